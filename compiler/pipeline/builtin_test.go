package pipeline

import (
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"gopkg.in/yaml.v3"

	"github.com/tokenhunt/tokenhunt/compiler/ir"
)

// shipped are the pipelines this package ships for the real schemas, each
// with the SigmaHQ log sources it serves.
var shipped = []struct {
	name     string
	product  string
	services []string
}{
	{"cloudtrail", "aws", []string{"cloudtrail"}},
	{"cloudtrail-athena", "aws", []string{"cloudtrail"}},
	{"securitylake-ocsf", "aws", []string{"cloudtrail"}},
	{"sentinel-awscloudtrail", "aws", []string{"cloudtrail"}},
	{"sentinel-entra", "azure", []string{"signinlogs", "auditlogs", "aadnoninteractiveusersigninlogs"}},
	{"entra-duckdb", "azure", []string{"signinlogs", "auditlogs", "aadnoninteractiveusersigninlogs"}},
	{"entra-athena", "azure", []string{"signinlogs", "auditlogs", "aadnoninteractiveusersigninlogs"}},
	{"entra-bigquery", "azure", []string{"signinlogs", "auditlogs", "aadnoninteractiveusersigninlogs"}},
	{"gcp-bigquery", "gcp", []string{"gcp.audit", "google_workspace.admin", "google_workspace.login"}},
	{"sentinel-gcp", "gcp", []string{"gcp.audit", "google_workspace.admin", "google_workspace.login"}},
	{"gcp-duckdb", "gcp", []string{"gcp.audit", "google_workspace.admin", "google_workspace.login"}},
	{"gcp-athena", "gcp", []string{"gcp.audit", "google_workspace.admin", "google_workspace.login"}},
}

// textTime are the shipped pipelines whose event time is RFC 3339 text:
// Athena tables over JSON, whose SerDes read no such timestamp.
var textTime = map[string]bool{"cloudtrail-athena": true, "gcp-athena": true, "cicd-athena": true, "proxy-athena": true}

// TestShippedFiles checks what every shipped pipeline file promises: it
// parses, -p finds it by its file name, its opening comment cites the
// vendor's page the columns come from, and each log source names its
// table, event time, event id and keyword columns, all declared.
func TestShippedFiles(t *testing.T) {
	entries, err := fs.ReadDir(builtinFS, "builtin")
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) < len(shipped)+1 {
		t.Fatalf("%d shipped files, want at least %d", len(entries), len(shipped)+1)
	}
	for _, e := range entries {
		file := path.Join("builtin", e.Name())
		t.Run(e.Name(), func(t *testing.T) {
			data, err := builtinFS.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			p, err := Parse(file, data)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			stem := strings.TrimSuffix(e.Name(), ".yml")
			if got, err := Resolve(stem); err != nil || got.Name != p.Name {
				t.Errorf("Resolve(%q) = %v, %v; want pipeline %s", stem, got, err, p.Name)
			}
			if stem != "cloudtrail-duckdb" && p.Name != stem {
				t.Errorf("name %q differs from the file name %q", p.Name, stem)
			}
			if !strings.Contains(leadingComment(string(data)), "https://") {
				t.Errorf("the opening comment cites no documentation page")
			}
			if p.Description == "" {
				t.Errorf("no description")
			}
			for _, ls := range p.Logsources {
				lsrc := ir.Logsource{Product: ls.Product, Category: ls.Category, Service: ls.Service}
				set := Set{p}
				if stem == "gcp-bigquery-data-access" {
					set = Set{builtin(t, "gcp-bigquery"), p}
				}
				src := set.Source(lsrc)
				if ls.Table == "" {
					t.Errorf("%s: no table", ls.Pos)
				}
				if src.Time == "" || src.ID == "" || len(src.Keywords) == 0 {
					t.Errorf("%s: time %q, id %q, keywords %v: want all three", ls.Pos, src.Time, src.ID, src.Keywords)
				}
				names := append([]string{src.Time, src.ID}, src.Keywords...)
				for i, f := range resolveFields(t, set, lsrc, names) {
					if !declared(src, p, f) {
						t.Errorf("%s: %s resolves to %s, not a declared column", ls.Pos, names[i], ir.FieldString(f))
					}
				}
				if f := resolveFields(t, set, lsrc, []string{src.Time})[0]; f.Column.Type != ir.Timestamp && len(f.Column.JSON) == 0 && !textTime[stem] {
					t.Errorf("%s: time field %s is not a timestamp", ls.Pos, ir.FieldString(f))
				}
				for _, d := range src.DynamicColumns {
					if !containsFold(src.JSONColumns, d) {
						t.Errorf("%s: dynamic column %s not among the JSON columns %v", ls.Pos, d, src.JSONColumns)
					}
				}
			}
		})
	}
}

func leadingComment(text string) string {
	var b strings.Builder
	for _, l := range strings.Split(text, "\n") {
		if !strings.HasPrefix(l, "#") {
			break
		}
		b.WriteString(l + "\n")
	}
	return b.String()
}

func containsFold(list []string, s string) bool {
	for _, x := range list {
		if strings.EqualFold(x, s) {
			return true
		}
	}
	return false
}

// resolveFields applies the set to a rule that names each field once.
func resolveFields(t *testing.T, set Set, ls ir.Logsource, names []string) []ir.Field {
	t.Helper()
	var args []ir.Expr
	for _, n := range names {
		args = append(args, ir.IsNull{Field: ir.Field{Name: n}})
	}
	r, err := set.Apply(&ir.Rule{ID: "r1", Logsource: ls, Where: ir.And{Args: args}})
	if err != nil {
		t.Fatalf("Apply: %v", err)
	}
	var out []ir.Field
	for _, a := range r.Where.(ir.And).Args {
		out = append(out, a.(ir.IsNull).Field)
	}
	return out
}

// declared reports whether a resolved field reads a column the pipeline
// declares, spelled as the pipeline spells it: a typed column of Source, a
// JSON column (whole, or a key inside it), or a column under a prefix.*
// entry.
func declared(src Source, p *Pipeline, f ir.Field) bool {
	c := f.Column
	if c == nil || c.Type == ir.Any {
		return false
	}
	col := strings.Join(c.Path, ".")
	if len(c.JSON) > 0 {
		return contains(src.JSONColumns, col)
	}
	if _, ok := src.Columns[col]; ok || contains(src.JSONColumns, col) {
		return true
	}
	for _, ls := range p.Logsources {
		for _, fs := range ls.Fields {
			prefix, ok := fs.Prefix()
			if !ok || fs.JSON != nil {
				continue
			}
			base := prefix
			if fs.Column != nil {
				base = strings.Join(fs.Column, ".")
			}
			if base != "" && strings.HasPrefix(col, base+".") {
				return true
			}
		}
	}
	return false
}

// sigmaRule is what the coverage tests read of a rule file.
type sigmaRule struct {
	file      string
	logsource ir.Logsource
	fields    []string
}

func sigmaRules(t *testing.T, product string) []sigmaRule {
	t.Helper()
	dir := corpusDir(t, "sigmahq")
	var files []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		parts := strings.Split(rel, string(filepath.Separator))
		if !d.IsDir() && strings.HasSuffix(p, ".yml") && len(parts) > 3 && strings.HasPrefix(parts[0], "rules") && parts[1] == "cloud" && parts[2] == product {
			files = append(files, p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var out []sigmaRule
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var r struct {
			Logsource ir.Logsource `yaml:"logsource"`
		}
		if err := yaml.Unmarshal(data, &r); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		out = append(out, sigmaRule{file: filepath.Base(f), logsource: r.Logsource, fields: sigmaFields(t, f)})
	}
	return out
}

// TestShippedCoverSigmaHQ checks, for each shipped pipeline, that every
// field the SigmaHQ rules of its log sources name resolves to a column the
// pipeline declares. The exceptions are fields the source truly lacks; each
// must still occur in the corpus and still be undeclared, so the list
// cannot go stale.
func TestShippedCoverSigmaHQ(t *testing.T) {
	cloudtrailAbsent := map[string]string{
		"cloudtrail src_country": "CloudTrail records no country (a GeoIP enrichment)",
		"cloudtrail status":      "CloudTrail records no status field (aws_delete_saml_provider.yml)",
	}
	entraAbsent := map[string]string{
		"signinlogs ActivityDetails":              "no such sign-in column (azure_legacy_authentication_protocols.yml)",
		"signinlogs properties.message":           "sign-ins have no message; Device Code / ROPC are AuthenticationProtocol values of another spelling",
		"auditlogs ConsentContext.IsAdminConsent": "lives inside TargetResources[].modifiedProperties[], an array",
		"auditlogs Initiatied.By":                 "misspelled in rules-placeholder (no such field)",
	}
	gcpAbsent := map[string]string{
		"google_workspace.admin eventName":    "Workspace Reports API field; Cloud Logging keeps it in protoPayload.metadata.event[], an array",
		"google_workspace.admin eventService": "Workspace Reports API field, not in Cloud Audit Logs",
		"google_workspace.admin new_value":    "Workspace Reports API parameter, inside metadata.event[].parameter[]",
		"google_workspace.admin setting_name": "Workspace Reports API parameter, inside metadata.event[].parameter[]",
	}
	gcpArrays := map[string]string{
		"gcp.audit data.protoPayload.authorizationInfo.granted":    "authorizationInfo is a repeated record (an array)",
		"gcp.audit data.protoPayload.authorizationInfo.permission": "authorizationInfo is a repeated record (an array)",
	}
	tests := []struct {
		pipeline  string
		absent    map[string]string
		minRules  int
		minFields int
	}{
		{"cloudtrail-athena", cloudtrailAbsent, 55, 150},
		{"securitylake-ocsf", merge(map[string]string{
			"cloudtrail src_country":                                    "CloudTrail records no country",
			"cloudtrail additionalEventData.MFAUsed":                    "OCSF derives is_mfa from it and keeps no additionalEventData column",
			"cloudtrail userIdentity.sessionContext.sessionIssuer.type": "OCSF keeps only the issuer's ARN (actor.session.issuer)",
		}), 55, 150},
		{"sentinel-awscloudtrail", cloudtrailAbsent, 55, 150},
		{"sentinel-entra", entraAbsent, 60, 120},
		{"entra-duckdb", entraAbsent, 60, 120},
		{"entra-athena", entraAbsent, 60, 120},
		{"entra-bigquery", entraAbsent, 60, 120},
		{"gcp-bigquery", merge(gcpAbsent, gcpArrays), 20, 25},
		{"sentinel-gcp", merge(gcpAbsent, gcpArrays), 20, 25},
		{"gcp-duckdb", gcpAbsent, 20, 25},
		{"gcp-athena", gcpAbsent, 20, 25},
	}
	byProduct := map[string][]sigmaRule{}
	for _, tt := range tests {
		t.Run(tt.pipeline, func(t *testing.T) {
			var product string
			var services []string
			for _, s := range shipped {
				if s.name == tt.pipeline {
					product, services = s.product, s.services
				}
			}
			if byProduct[product] == nil {
				byProduct[product] = sigmaRules(t, product)
			}
			p := builtin(t, tt.pipeline)
			set := Set{p}
			rules, fields := 0, 0
			seen := map[string]bool{}
			for _, r := range byProduct[product] {
				if !strings.EqualFold(r.logsource.Product, product) || !containsFold(services, r.logsource.Service) {
					continue
				}
				rules++
				src := set.Source(r.logsource)
				for i, f := range resolveFields(t, set, r.logsource, r.fields) {
					fields++
					key := r.logsource.Service + " " + r.fields[i]
					ok := declared(src, p, f)
					if _, isAbsent := tt.absent[key]; isAbsent {
						seen[key] = true
						if ok {
							t.Errorf("%s: %s resolves to the declared %s: drop it from the exceptions", r.file, key, ir.FieldString(f))
						}
						continue
					}
					if !ok {
						t.Errorf("%s: %s resolves to %s, not a declared column", r.file, key, ir.FieldString(f))
					}
				}
			}
			for key := range tt.absent {
				if !seen[key] {
					t.Errorf("exception %q occurs in no rule: drop it", key)
				}
			}
			if rules < tt.minRules || fields < tt.minFields {
				t.Errorf("checked %d rules and %d field uses, want at least %d and %d", rules, fields, tt.minRules, tt.minFields)
			}
		})
	}
}

func merge(ms ...map[string]string) map[string]string {
	out := map[string]string{}
	for _, m := range ms {
		for k, v := range m {
			out[k] = v
		}
	}
	return out
}

// TestResolveShipped pins where the fields that rules use most land in each
// schema, as the vendor spells the column.
func TestResolveShipped(t *testing.T) {
	azureSignin := ir.Logsource{Product: "azure", Service: "signinlogs"}
	azureAudit := ir.Logsource{Product: "azure", Service: "auditlogs"}
	nonInteractive := ir.Logsource{Product: "azure", Service: "aadnoninteractiveusersigninlogs"}
	gcpAudit := ir.Logsource{Product: "gcp", Service: "gcp.audit"}
	tests := []struct {
		pipeline string
		ls       ir.Logsource
		table    string
		fields   [][2]string // field, how it prints
	}{
		{"cloudtrail-athena", cloudtrailLS, "cloudtrail_logs", [][2]string{
			{"eventName", "eventName=eventname"},
			{"eventTime", "eventTime=eventtime"}, // STRING in the Athena table
			{"readOnly", "readOnly=readonly"},    // STRING 'true'/'false', not a boolean
			{"sourceIPAddress", "sourceIPAddress=sourceipaddress"},
			{"src_ip", "src_ip=sourceipaddress"},
			{"userIdentity.arn", "userIdentity.arn=useridentity.arn"},
			{"userIdentity.accessKeyId", "userIdentity.accessKeyId=useridentity.accesskeyid"},
			{"userIdentity.sessionContext.sessionIssuer.arn", "userIdentity.sessionContext.sessionIssuer.arn=useridentity.sessioncontext.sessionissuer.arn"},
			{"userIdentity.sessionContext.attributes.mfaAuthenticated", "userIdentity.sessionContext.attributes.mfaAuthenticated=useridentity.sessioncontext.attributes.mfaauthenticated"},
			{"userIdentity.sessionContext.ec2RoleDelivery", "userIdentity.sessionContext.ec2RoleDelivery=useridentity.sessioncontext.ec2roledelivery"},
			{"requestParameters", "requestParameters=requestparameters"},
			{"requestParameters.roleArn", "requestParameters.roleArn=requestparameters$roleArn"}, // JSON keys keep CloudTrail's spelling
			{"responseElements.credentials.accessKeyId", "responseElements.credentials.accessKeyId=responseelements$credentials.accessKeyId"},
			{"additionalEventData.MFAUsed", "additionalEventData.MFAUsed=additionaleventdata$MFAUsed"},
			{"tlsDetails.clientProvidedHostHeader", "tlsDetails.clientProvidedHostHeader=tlsdetails.clientprovidedhostheader"},
			{"region", "region"}, // partition column
		}},
		{"securitylake-ocsf", cloudtrailLS, "amazon_security_lake_table_us_east_1_cloud_trail_mgmt_2_0", [][2]string{
			{"eventName", "eventName=api.operation"},
			{"eventSource", "eventSource=api.service.name"},
			{"eventTime", "eventTime=time_dt:timestamp"},
			{"eventID", "eventID=metadata.uid"},
			{"sourceIPAddress", "sourceIPAddress=src_endpoint.ip"},
			{"userAgent", "userAgent=http_request.user_agent"},
			{"awsRegion", "awsRegion=cloud.region"},
			{"recipientAccountId", "recipientAccountId=cloud.account.uid"},
			{"errorCode", "errorCode=api.response.error"},
			{"errorMessage", "errorMessage=api.response.message"},
			{"userIdentity.accessKeyId", "userIdentity.accessKeyId=actor.user.credential_uid"},
			{"userIdentity.arn", "userIdentity.arn=actor.user.uid"},
			{"userIdentity.userName", "userIdentity.userName=actor.user.name"},
			{"userIdentity.type", "userIdentity.type=actor.user.type"},
			{"userIdentity.accountId", "userIdentity.accountId=actor.user.account.uid"},
			{"userIdentity.sessionContext.sessionIssuer.arn", "userIdentity.sessionContext.sessionIssuer.arn=actor.session.issuer"},
			{"userIdentity.sessionContext.attributes.creationDate", "userIdentity.sessionContext.attributes.creationDate=actor.session.created_time_dt:timestamp"},
			{"userIdentity.sessionContext.attributes.mfaAuthenticated", "userIdentity.sessionContext.attributes.mfaAuthenticated=actor.session.is_mfa:bool"},
			{"requestParameters", "requestParameters=api.request.data"},
			{"requestParameters.roleArn", "requestParameters.roleArn=api.request.data$roleArn"},
			{"responseElements.ConsoleLogin", "responseElements.ConsoleLogin=api.response.data$ConsoleLogin"},
			{"api.operation", "api.operation"}, // OCSF names work too
			{"time", "time:number"},
			{"status", "status"},
		}},
		{"sentinel-awscloudtrail", cloudtrailLS, "AWSCloudTrail", [][2]string{
			{"eventName", "eventName=EventName"},
			{"eventSource", "eventSource=EventSource"},
			{"eventType", "eventType=EventTypeName"},
			{"eventTime", "eventTime=TimeGenerated:timestamp"},
			{"eventID", "eventID=AwsEventId"},
			{"sourceIPAddress", "sourceIPAddress=SourceIpAddress"},
			{"awsRegion", "awsRegion=AWSRegion"},
			{"readOnly", "readOnly=ReadOnly:bool"},
			{"userIdentity.arn", "userIdentity.arn=UserIdentityArn"},
			{"userIdentity.accessKeyId", "userIdentity.accessKeyId=UserIdentityAccessKeyId"},
			{"userIdentity.principalId", "userIdentity.principalId=UserIdentityPrincipalid"},
			{"userIdentity.sessionContext.sessionIssuer.arn", "userIdentity.sessionContext.sessionIssuer.arn=SessionIssuerArn"},
			{"userIdentity.sessionContext.attributes.mfaAuthenticated", "userIdentity.sessionContext.attributes.mfaAuthenticated=SessionMfaAuthenticated:bool"},
			{"userIdentity.sessionContext.attributes.creationDate", "userIdentity.sessionContext.attributes.creationDate=SessionCreationDate:timestamp"},
			{"requestParameters", "requestParameters=RequestParameters"},
			{"requestParameters.roleArn", "requestParameters.roleArn=RequestParameters$roleArn"},
			{"UserIdentityArn", "UserIdentityArn"},
		}},
		{"sentinel-entra", azureSignin, "SigninLogs", [][2]string{
			{"ResultType", "ResultType"},
			{"resultType", "resultType=ResultType"},
			{"AppDisplayName", "AppDisplayName"},
			{"IPAddress", "IPAddress"},
			{"callerIpAddress", "callerIpAddress=IPAddress"},
			{"UniqueTokenIdentifier", "UniqueTokenIdentifier"},
			{"SessionId", "SessionId"},
			{"IncomingTokenType", "IncomingTokenType"},
			{"TimeGenerated", "TimeGenerated:timestamp"},
			{"IsInteractive", "IsInteractive:bool"},
			{"DeviceDetail", "DeviceDetail"},
			{"DeviceDetail.trusttype", "DeviceDetail.trusttype=DeviceDetail$trustType"},
			{"properties.deviceDetail.deviceId", "properties.deviceDetail.deviceId=DeviceDetail$deviceId"},
			{"LocationDetails.countryOrRegion", "LocationDetails.countryOrRegion=LocationDetails$countryOrRegion"},
			{"Status.errorCode", "Status.errorCode=Status$errorCode:number"},
			{"properties.appId", "properties.appId=AppId"},
			{"ClientApp", "ClientApp=ClientAppUsed"},
		}},
		{"sentinel-entra", nonInteractive, "AADNonInteractiveUserSignInLogs", [][2]string{
			{"ProcessingTimeInMs", "ProcessingTimeInMs"},
			{"DeviceDetail.isCompliant", "DeviceDetail.isCompliant=DeviceDetail$isCompliant"},
			{"SignInEventTypes", "SignInEventTypes"},
		}},
		{"sentinel-entra", azureAudit, "AuditLogs", [][2]string{
			{"OperationName", "OperationName"},
			{"properties.message", "properties.message=OperationName"},
			{"Status", "Status=Result"},
			{"InitiatedBy.user.userPrincipalName", "InitiatedBy.user.userPrincipalName=InitiatedBy$user.userPrincipalName"},
			{"properties.initiatedBy", "properties.initiatedBy=InitiatedBy"},
			{"Target", "Target=TargetResources"},
			{"ActivityDateTime", "ActivityDateTime:timestamp"},
		}},
		{"gcp-bigquery", gcpAudit, "cloudaudit_googleapis_com_activity", [][2]string{
			{"protoPayload.methodName", "protoPayload.methodName=protopayload_auditlog.methodName"},
			{"gcp.audit.method_name", "gcp.audit.method_name=protopayload_auditlog.methodName"},
			{"data.protoPayload.serviceName", "data.protoPayload.serviceName=protopayload_auditlog.serviceName"},
			{"data.protoPayload.logName", "data.protoPayload.logName=logName"},
			{"data.protoPayload.resource.type", "data.protoPayload.resource.type=resource.type"},
			{"protoPayload.authenticationInfo.principalEmail", "protoPayload.authenticationInfo.principalEmail=protopayload_auditlog.authenticationInfo.principalEmail"},
			{"protoPayload.requestMetadata.callerIp", "protoPayload.requestMetadata.callerIp=protopayload_auditlog.requestMetadata.callerIp"},
			{"protoPayload.requestMetadata.callerSuppliedUserAgent", "protoPayload.requestMetadata.callerSuppliedUserAgent=protopayload_auditlog.requestMetadata.callerSuppliedUserAgent"},
			{"protoPayload.status.code", "protoPayload.status.code=protopayload_auditlog.status.code:number"},
			{"protoPayload.request.policy.etag", "protoPayload.request.policy.etag=protopayload_auditlog.requestJson$policy.etag"},
			{"protoPayload.response", "protoPayload.response=protopayload_auditlog.responseJson"},
			{"timestamp", "timestamp:timestamp"},
			{"resource.labels.project_id", "resource.labels.project_id"},
		}},
		{"sentinel-gcp", gcpAudit, "GCPAuditLogs", [][2]string{
			{"protoPayload.methodName", "protoPayload.methodName=MethodName"},
			{"gcp.audit.method_name", "gcp.audit.method_name=MethodName"},
			{"protoPayload.resourceName", "protoPayload.resourceName=GCPResourceName"},
			{"protoPayload.authenticationInfo.principalEmail", "protoPayload.authenticationInfo.principalEmail=PrincipalEmail"},
			{"protoPayload.requestMetadata.callerIp", "protoPayload.requestMetadata.callerIp=RequestMetadata$callerIp"},
			{"protoPayload.status.code", "protoPayload.status.code=Status$code:number"},
			{"protoPayload.request.policy.etag", "protoPayload.request.policy.etag=Request$policy.etag"},
			{"data.protoPayload.logName", "data.protoPayload.logName=LogName"},
			{"resource.type", "resource.type=GCPResourceType"},
			{"timestamp", "timestamp=Timestamp:timestamp"},
		}},
		{"gcp-duckdb", gcpAudit, "gcp_audit", [][2]string{
			{"protoPayload.methodName", "protoPayload.methodName=protoPayload$methodName"},
			{"gcp.audit.method_name", "gcp.audit.method_name=protoPayload$methodName"},
			{"protoPayload.Servicename", "protoPayload.Servicename=protoPayload$serviceName"},
			{"protoPayload.status.code", "protoPayload.status.code=protoPayload$status.code:number"},
			{"protoPayload.request.policy.etag", "protoPayload.request.policy.etag=protoPayload$request.policy.etag"},
			{"data.protoPayload.resource.type", "data.protoPayload.resource.type=resource$type"},
			{"timestamp", "timestamp:timestamp"},
		}},
		{"gcp-athena", gcpAudit, "gcp_audit_logs", [][2]string{
			{"protoPayload.methodName", "protoPayload.methodName=protopayload$methodName"},
			{"gcp.audit.method_name", "gcp.audit.method_name=protopayload$methodName"},
			{"protoPayload.status.code", "protoPayload.status.code=protopayload$status.code:number"},
			{"protoPayload.request.policy.etag", "protoPayload.request.policy.etag=protopayload$request.policy.etag"},
			{"protoPayload.authenticationInfo.serviceAccountDelegationInfo.firstPartyPrincipal.principalEmail",
				"protoPayload.authenticationInfo.serviceAccountDelegationInfo.firstPartyPrincipal.principalEmail=protopayload$authenticationInfo.serviceAccountDelegationInfo.\"0\".firstPartyPrincipal.principalEmail"},
			{"data.protoPayload.resource.type", "data.protoPayload.resource.type=resource$type"},
			{"timestamp", "timestamp"}, // STRING, RFC 3339
		}},
		{"entra-athena", azureSignin, "signinlogs", [][2]string{
			{"IPAddress", "IPAddress=ipaddress"},
			{"UniqueTokenIdentifier", "UniqueTokenIdentifier=uniquetokenidentifier"},
			{"TimeGenerated", "TimeGenerated=timegenerated:timestamp"},
			{"DeviceDetail.trusttype", "DeviceDetail.trusttype=devicedetail$trustType"},
		}},
		{"sentinel-proxy", ir.Logsource{Category: "proxy"}, "ProxyAccessLog_CL", [][2]string{
			{"c-uri", "c-uri=c_uri"},
			{"cs-host", "cs-host=cs_host"},
			{"time", "time=TimeGenerated:timestamp"},
			{"sc-status", "sc-status=sc_status:number"},
		}},
		{"proxy-athena", ir.Logsource{Category: "proxy"}, "proxy", [][2]string{
			{"c-uri", "c-uri=c_uri"},
			{"time", "time"}, // STRING, RFC 3339
		}},
		{"sentinel-cicd", ir.Logsource{Product: "cicd", Service: "buildlog"}, "CIBuildLog_CL", [][2]string{
			{"message", "message"},
			{"time", "time=TimeGenerated:timestamp"},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.pipeline+"/"+tt.ls.Service, func(t *testing.T) {
			set := Set{builtin(t, tt.pipeline)}
			var names, want []string
			for _, f := range tt.fields {
				names = append(names, f[0])
				want = append(want, f[1])
			}
			if diff := cmp.Diff(want, resolveAll(t, set, tt.ls, names)); diff != "" {
				t.Errorf("fields (-want +got):\n%s", diff)
			}
			if src := set.Source(tt.ls); src.Table != tt.table {
				t.Errorf("table %q, want %q", src.Table, tt.table)
			}
		})
	}
}

// TestEntraPipelinesAreSentinel checks that the DuckDB, BigQuery and
// Athena pipelines read the same columns as the Sentinel one, with every
// dynamic column as JSON text; Athena (Glue) spells tables and columns in
// lower case, and keeps the JSON keys' spelling.
func TestEntraPipelinesAreSentinel(t *testing.T) {
	sentinel := Set{builtin(t, "sentinel-entra")}
	names := map[string][]string{}
	for _, r := range sigmaRules(t, "azure") {
		names[r.logsource.Service] = append(names[r.logsource.Service], r.fields...)
	}
	for _, ls := range builtin(t, "sentinel-entra").Logsources {
		for _, f := range ls.Fields {
			names[ls.Service] = append(names[ls.Service], f.Name)
		}
	}
	for _, tt := range []struct {
		pipeline string
		lower    bool
	}{{"entra-duckdb", false}, {"entra-bigquery", false}, {"entra-athena", true}} {
		other := Set{builtin(t, tt.pipeline)}
		fold := func(s string) string {
			if tt.lower {
				return strings.ToLower(s)
			}
			return s
		}
		for _, ls := range builtin(t, "sentinel-entra").Logsources {
			lsrc := ir.Logsource{Product: ls.Product, Service: ls.Service}
			want, got := sentinel.Source(lsrc), other.Source(lsrc)
			if len(want.DynamicColumns) == 0 || len(got.DynamicColumns) != 0 {
				t.Errorf("%s %s: dynamic columns: sentinel %v, %v; want some, none", tt.pipeline, ls.Service, want.DynamicColumns, got.DynamicColumns)
			}
			want.Table, want.Time, want.ID = fold(want.Table), fold(want.Time), fold(want.ID)
			for i := range want.Keywords {
				want.Keywords[i] = fold(want.Keywords[i])
			}
			for i := range want.JSONColumns {
				want.JSONColumns[i] = fold(want.JSONColumns[i])
			}
			cols := map[string]ir.Type{}
			for c, typ := range want.Columns {
				cols[fold(c)] = typ
			}
			want.Columns = cols
			sort.Strings(want.JSONColumns)
			sort.Strings(got.JSONColumns)
			want.DynamicColumns, got.DynamicColumns = nil, nil
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("%s %s: Source (-sentinel +%s):\n%s", tt.pipeline, ls.Service, tt.pipeline, diff)
			}
			wantFields := resolveFields(t, sentinel, lsrc, names[ls.Service])
			for i := range wantFields {
				c := *wantFields[i].Column
				c.Path = append([]string(nil), c.Path...)
				for j := range c.Path {
					if c.Type != ir.Any { // undeclared: the rule's own spelling
						c.Path[j] = fold(c.Path[j])
					}
				}
				wantFields[i].Column = &c
			}
			if diff := cmp.Diff(wantFields, resolveFields(t, other, lsrc, names[ls.Service])); diff != "" {
				t.Errorf("%s %s: fields (-sentinel +%s):\n%s", tt.pipeline, ls.Service, tt.pipeline, diff)
			}
		}
	}
}

// TestCloudTrailSchemasCoverStratus reads every field of the real CloudTrail
// records (free-form objects as a whole) through each CloudTrail schema and
// checks which ones the schema has no column for: exactly the fields the
// vendor's table lacks.
func TestCloudTrailSchemasCoverStratus(t *testing.T) {
	dir := corpusDir(t, "stratus-detonation-logs")
	whole := map[string]bool{"requestParameters": true, "responseElements": true, "additionalEventData": true, "serviceEventDetails": true, "resources": true}
	names := stratusPaths(t, dir, func(prefix string) bool { return whole[prefix] })
	if len(names) < 30 {
		t.Fatalf("%d distinct fields in the Stratus records, want at least 30", len(names))
	}
	tests := []struct {
		pipeline string
		lacks    []string
	}{
		// The Athena DDL has no managementevent column, and resources is
		// ARRAY<STRUCT<...>>.
		{"cloudtrail-athena", []string{"managementEvent", "resources"}},
		// OCSF keeps these in unmapped, or not at all.
		{"securitylake-ocsf", []string{"additionalEventData", "managementEvent", "readOnly", "resources",
			"tlsDetails.cipherSuite", "tlsDetails.clientProvidedHostHeader", "tlsDetails.tlsVersion",
			"userIdentity.sessionContext.ec2RoleDelivery", "userIdentity.sessionContext.sessionIssuer.accountId",
			"userIdentity.sessionContext.sessionIssuer.principalId", "userIdentity.sessionContext.sessionIssuer.type",
			"userIdentity.sessionContext.sessionIssuer.userName"}},
		{"sentinel-awscloudtrail", nil},
		{"cloudtrail", nil},
	}
	for _, tt := range tests {
		p := builtin(t, tt.pipeline)
		set := Set{p}
		src := set.Source(cloudtrailLS)
		var lacks []string
		for i, f := range resolveFields(t, set, cloudtrailLS, names) {
			if !declared(src, p, f) {
				lacks = append(lacks, names[i])
			}
		}
		if diff := cmp.Diff(tt.lacks, lacks); diff != "" {
			t.Errorf("%s: record fields without a column (-want +got):\n%s", tt.pipeline, diff)
		}
	}
}
