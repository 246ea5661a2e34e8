package ingest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"
)

// ctype is the type of a column or struct field in the Parquet files.
type ctype int

const (
	tText   ctype = iota // VARCHAR: strings as they are, numbers and booleans as their JSON text
	tJSON                // VARCHAR holding JSON text (a JSON string holds its text)
	tBool                // BOOLEAN
	tTime                // TIMESTAMPTZ (UTC)
	tNumber              // DOUBLE
	tStruct              // STRUCT of fields
)

// col is one column, or one field of a struct column.
type col struct {
	name   string
	typ    ctype
	fields []col // tStruct
}

func (c col) sqlType() string {
	switch c.typ {
	case tBool:
		return "BOOLEAN"
	case tTime:
		return "TIMESTAMPTZ"
	case tNumber:
		return "DOUBLE"
	case tStruct:
		parts := make([]string, len(c.fields))
		for i, f := range c.fields {
			parts[i] = quoteIdent(f.name) + " " + f.sqlType()
		}
		return "STRUCT(" + strings.Join(parts, ", ") + ")"
	}
	return "VARCHAR"
}

// unmappedColumn holds, as JSON text, the keys of a record that have no
// column (or whose value does not fit the column's type), so that nothing
// in a record is lost.
const unmappedColumn = "_unmapped"

// schema is the table one kind of log is written as.
type schema struct {
	kind    Kind
	columns []col
	// timeColumn is the column whose day partitions the data; timeFrom
	// lists the keys tried, in order, when the record does not have it (the
	// value found is written to timeColumn).
	timeColumn string
	timeFrom   []string
	// renames maps keys of other exports (spelled exactly) to column
	// names; a renamed key is used only when the record lacks the column.
	renames map[string]string
	// lift names an object whose keys are lifted to the top level when the
	// record lacks them (Azure Monitor diagnostic exports nest the log's
	// columns in "properties").
	lift string
}

func text(names ...string) []col {
	out := make([]col, len(names))
	for i, n := range names {
		out[i] = col{name: n, typ: tText}
	}
	return out
}

func typed(t ctype, names ...string) []col {
	out := text(names...)
	for i := range out {
		out[i].typ = t
	}
	return out
}

func strct(name string, fields ...[]col) col {
	c := col{name: name, typ: tStruct}
	for _, f := range fields {
		c.fields = append(c.fields, f...)
	}
	return c
}

func cols(groups ...[]col) []col {
	var out []col
	for _, g := range groups {
		out = append(out, g...)
	}
	return out
}

// cloudTrail is the CloudTrail record as the cloudtrail pipeline reads it:
// userIdentity and tlsDetails as structs, the free-form objects as JSON
// text.
// Source: https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-event-reference-record-contents.html
func cloudTrail() *schema {
	issuer := strct("sessionIssuer", text("type", "principalId", "arn", "accountId", "userName"))
	attrs := strct("attributes", typed(tTime, "creationDate"), text("mfaAuthenticated"))
	webID := strct("webIdFederationData", text("federatedProvider"), typed(tJSON, "attributes"))
	session := strct("sessionContext", text("sourceIdentity", "ec2RoleDelivery", "assumedRoot"),
		[]col{attrs, issuer, webID})
	identity := strct("userIdentity",
		text("type", "principalId", "arn", "accountId", "accessKeyId", "userName", "invokedBy",
			"credentialId", "identityProvider"),
		[]col{session,
			strct("onBehalfOf", text("userId", "identityStoreArn")),
			strct("inScopeOf", text("issuerAccountId", "issuerType", "credentialsIssuedTo", "issuerArn"))})
	return &schema{
		kind: CloudTrail,
		columns: cols(
			text("eventVersion"), []col{identity}, typed(tTime, "eventTime"),
			text("eventSource", "eventName", "awsRegion", "sourceIPAddress", "userAgent", "errorCode", "errorMessage"),
			typed(tJSON, "requestParameters", "responseElements", "additionalEventData"),
			text("requestID", "eventID"), typed(tBool, "readOnly"), typed(tJSON, "resources"),
			text("eventType", "apiVersion"), typed(tBool, "managementEvent"),
			text("recipientAccountId", "sharedEventID", "vpcEndpointId", "vpcEndpointAccountId", "eventCategory"),
			typed(tJSON, "serviceEventDetails"), text("sessionCredentialFromConsole"),
			[]col{strct("tlsDetails", text("tlsVersion", "cipherSuite", "clientProvidedHostHeader"))},
			typed(tJSON, "edgeDeviceDetails", "insightDetails", "addendum"),
		),
		timeColumn: "eventTime",
		// Logstash-shaped exports (the OTRF data sets) carry @timestamp only.
		timeFrom: []string{"@timestamp"},
	}
}

// entraSignIn is the union of the Sentinel SigninLogs and
// AADNonInteractiveUserSignInLogs columns, the entra-duckdb pipeline's;
// Sentinel's dynamic columns hold JSON text.
// Source: https://learn.microsoft.com/en-us/azure/azure-monitor/reference/tables/signinlogs
func entraSignIn() *schema {
	return &schema{
		kind: EntraSignIn,
		columns: cols(
			text("AADTenantId", "Agent", "AlternateSignInName", "AppDisplayName", "AppId",
				"AppliedConditionalAccessPolicies", "AppliedEventListeners", "AppOwnerTenantId",
				"AuthenticationAppDeviceDetails", "AuthenticationAppPolicyEvaluationDetails",
				"AuthenticationContextClassReferences", "AuthenticationDetails", "AuthenticationMethodsUsed",
				"AuthenticationProcessingDetails", "AuthenticationProtocol", "AuthenticationRequirement",
				"AuthenticationRequirementPolicies", "AuthenticatorAppLocation", "AutonomousSystemNumber",
				"Category", "ClientAppUsed", "ClientCredentialType", "ClientSessionId",
				"ConditionalAccessAudiences", "ConditionalAccessPolicies", "ConditionalAccessStatus",
				"CorrelationId"),
			typed(tTime, "CreatedDateTime"),
			text("CrossTenantAccessType", "DeviceDetail"), typed(tNumber, "DurationMs"),
			text("FederatedCredentialId"), typed(tBool, "FlaggedForReview"),
			text("GlobalSecureAccessIpAddress", "HomeTenantId", "HomeTenantName", "Id", "Identity",
				"IncomingTokenType", "IPAddress", "IPAddressFromResourceProvider"),
			typed(tBool, "IsInteractive", "IsRisky", "IsTenantRestricted", "IsThroughGlobalSecureAccess"),
			text("Level", "Location", "LocationDetails", "MfaDetail", "NetworkLocationDetails",
				"OperationName", "OperationVersion", "OriginalRequestId", "OriginalTransferMethod",
				"ProcessingTimeInMilliseconds", "ProcessingTimeInMs", "Resource", "ResourceDisplayName",
				"ResourceGroup", "ResourceId", "ResourceIdentity", "ResourceOwnerTenantId", "ResourceProvider",
				"ResourceServicePrincipalId", "ResourceTenantId", "ResultDescription", "ResultSignature",
				"ResultType", "RiskDetail", "RiskEventTypes", "RiskEventTypes_V2", "RiskLevel",
				"RiskLevelAggregated", "RiskLevelDuringSignIn", "RiskState", "RootActorID",
				"ServicePrincipalId", "ServicePrincipalName", "SessionId", "SessionLifetimePolicies",
				"SignInEventTypes", "SignInIdentifier", "SignInIdentifierType", "SourceAppClientId",
				"SourceSystem", "Status", "TenantId"),
			typed(tTime, "TimeGenerated"),
			text("TokenIssuerName", "TokenIssuerType", "TokenProtectionStatusDetails", "Type",
				"UniqueTokenIdentifier", "UserAgent", "UserDisplayName", "UserId", "UserPrincipalName", "UserType"),
		),
		timeColumn: "TimeGenerated",
		timeFrom:   []string{"CreatedDateTime", "time"},
		// Microsoft Graph signIn and Azure Monitor diagnostic export names.
		// (Sentinel's Location is a country code, Graph's location the
		// LocationDetails object.)
		renames: map[string]string{
			"location":                         "LocationDetails",
			"appliedConditionalAccessPolicies": "ConditionalAccessPolicies",
			"callerIpAddress":                  "IPAddress",
		},
		lift: "properties",
	}
}

// entraAudit is the Sentinel AuditLogs table of the entra-duckdb pipeline.
// Source: https://learn.microsoft.com/en-us/azure/azure-monitor/reference/tables/auditlogs
func entraAudit() *schema {
	return &schema{
		kind: EntraAudit,
		columns: cols(
			text("AADOperationType", "AADTenantId"), typed(tTime, "ActivityDateTime"),
			text("ActivityDisplayName", "AdditionalDetails", "Category", "CorrelationId"),
			typed(tNumber, "DurationMs"),
			text("Id", "Identity", "InitiatedBy", "Level", "Location", "LoggedByService", "OperationName",
				"OperationVersion", "Resource", "ResourceGroup", "ResourceId", "ResourceProvider", "Result",
				"ResultDescription", "ResultReason", "ResultSignature", "ResultType", "SourceSystem",
				"TargetResources", "TenantId"),
			typed(tTime, "TimeGenerated"), text("Type"),
		),
		timeColumn: "TimeGenerated",
		timeFrom:   []string{"ActivityDateTime", "time"},
		renames:    map[string]string{"operationType": "AADOperationType"},
		lift:       "properties",
	}
}

// gcpAudit is the Cloud Logging LogEntry as the gcp-duckdb pipeline reads
// it: payloads, resource and labels as JSON text.
// Source: https://cloud.google.com/logging/docs/reference/v2/rest/v2/LogEntry
func gcpAudit() *schema {
	return &schema{
		kind: GCPAudit,
		columns: cols(
			text("logName"), typed(tTime, "timestamp", "receiveTimestamp"),
			text("severity", "insertId", "trace", "spanId"), typed(tBool, "traceSampled"),
			[]col{strct("operation", text("id", "producer"), typed(tBool, "first", "last"))},
			typed(tJSON, "resource", "labels", "protoPayload", "jsonPayload"), text("textPayload"),
			typed(tJSON, "httpRequest", "sourceLocation", "split", "errorGroups", "apphub", "apphubDestination"),
		),
		timeColumn: "timestamp",
		timeFrom:   []string{"receiveTimestamp"},
	}
}

// allColumns are the table's columns: the kind's and _unmapped.
func (s *schema) allColumns() []col {
	return append(append([]col(nil), s.columns...), col{name: unmappedColumn, typ: tJSON})
}

// row is one record ready for the Parquet file.
type row struct {
	values []any // in allColumns order
	day    time.Time
}

// convert turns one candidate record into a row, or says why it is
// rejected.
func (s *schema) convert(raw []byte) (row, string) {
	obj, problem := decodeObject(raw)
	if problem != "" {
		return row{}, problem
	}
	if s.lift != "" {
		if inner, ok := lookup(obj, s.lift); ok {
			if sub, p := decodeObject(obj[inner]); p == "" {
				delete(obj, inner)
				for k, v := range sub {
					if _, ok := lookup(obj, k); !ok {
						obj[k] = v
					}
				}
			}
		}
	}
	for from, to := range s.renames {
		if _, ok := lookup(obj, to); ok {
			continue
		}
		if v, ok := obj[from]; ok {
			obj[to] = v
			delete(obj, from)
		}
	}
	// The partition time: the time column, else the first fallback.
	var when time.Time
	tk, ok := lookup(obj, s.timeColumn)
	if ok && !isNull(obj[tk]) {
		t, err := parseTime(obj[tk])
		if err != nil {
			return row{}, fmt.Sprintf("%s: %v", s.timeColumn, err)
		}
		when = t
	} else {
		found := false
		for _, f := range s.timeFrom {
			k, ok := lookup(obj, f)
			if !ok || isNull(obj[k]) {
				continue
			}
			t, err := parseTime(obj[k])
			if err != nil {
				return row{}, fmt.Sprintf("%s: %v", f, err)
			}
			when, found = t, true
			if tk != "" {
				delete(obj, tk)
			}
			obj[s.timeColumn] = json.RawMessage(strconv.Quote(t.Format(time.RFC3339Nano)))
			break
		}
		if !found {
			return row{}, fmt.Sprintf("no event time: the record has no %s", strings.Join(append([]string{s.timeColumn}, s.timeFrom...), " or "))
		}
	}
	values, left := convertFields(s.columns, obj)
	unmapped, err := encodeLeft(left)
	if err != nil {
		return row{}, err.Error()
	}
	values = append(values, unmapped)
	y, m, d := when.UTC().Date()
	return row{values: values, day: time.Date(y, m, d, 0, 0, 0, 0, time.UTC)}, ""
}

// decodeObject decodes the top level of a JSON object, keeping each value's
// text.
func decodeObject(raw []byte) (map[string]json.RawMessage, string) {
	trimmed := bytes.TrimSpace(raw)
	if len(trimmed) == 0 {
		return nil, "empty record"
	}
	if trimmed[0] != '{' {
		if !json.Valid(trimmed) {
			var v any
			return nil, "malformed JSON: " + json.Unmarshal(trimmed, &v).Error()
		}
		return nil, "not an object: a JSON " + jsonKind(trimmed)
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(trimmed, &obj); err != nil {
		return nil, "malformed JSON: " + err.Error()
	}
	return obj, ""
}

func jsonKind(b []byte) string {
	switch b[0] {
	case '[':
		return "array"
	case '"':
		return "string"
	case 't', 'f':
		return "boolean"
	case 'n':
		return "null"
	}
	return "number"
}

// lookup finds a key case-insensitively, preferring the exact spelling.
func lookup(obj map[string]json.RawMessage, name string) (string, bool) {
	if _, ok := obj[name]; ok {
		return name, true
	}
	keys := make([]string, 0, len(obj))
	for k := range obj {
		if strings.EqualFold(k, name) {
			keys = append(keys, k)
		}
	}
	if len(keys) == 0 {
		return "", false
	}
	sort.Strings(keys)
	return keys[0], true
}

func isNull(v json.RawMessage) bool { return string(bytes.TrimSpace(v)) == "null" }

// convertFields converts the keys of obj that have a column and returns
// the keys left over (those without a column, or whose value does not fit
// its column's type).
func convertFields(columns []col, obj map[string]json.RawMessage) ([]any, map[string]json.RawMessage) {
	left := map[string]json.RawMessage{}
	used := map[string]bool{}
	values := make([]any, len(columns))
	for i, c := range columns {
		k, ok := lookup(obj, c.name)
		if !ok {
			continue
		}
		used[k] = true
		v, rest, fits := convertValue(c, obj[k])
		values[i] = v
		if !fits {
			left[k] = obj[k]
		} else if rest != nil {
			left[k] = rest
		}
	}
	for k, v := range obj {
		if !used[k] {
			left[k] = v
		}
	}
	return values, left
}

// convertValue converts one value to a column's type. fits is false when
// the value cannot be held there (it then goes to _unmapped whole); rest
// is the JSON of a struct's keys that have no field.
func convertValue(c col, raw json.RawMessage) (v any, rest json.RawMessage, fits bool) {
	raw = bytes.TrimSpace(raw)
	if isNull(raw) {
		return nil, nil, true
	}
	switch c.typ {
	case tJSON:
		if raw[0] == '"' {
			var s string
			if err := json.Unmarshal(raw, &s); err != nil {
				return nil, nil, false
			}
			return s, nil, true
		}
		var buf bytes.Buffer
		if err := json.Compact(&buf, raw); err != nil {
			return nil, nil, false
		}
		return buf.String(), nil, true
	case tText:
		switch raw[0] {
		case '"':
			var s string
			if err := json.Unmarshal(raw, &s); err != nil {
				return nil, nil, false
			}
			return s, nil, true
		case '{', '[':
			// Sentinel's dynamic columns: JSON text.
			var buf bytes.Buffer
			if err := json.Compact(&buf, raw); err != nil {
				return nil, nil, false
			}
			return buf.String(), nil, true
		}
		return string(raw), nil, true // number or boolean: its text
	case tBool:
		switch strings.ToLower(strings.Trim(string(raw), `"`)) {
		case "true":
			return true, nil, true
		case "false":
			return false, nil, true
		}
		return nil, nil, false
	case tNumber:
		f, err := strconv.ParseFloat(strings.Trim(string(raw), `"`), 64)
		if err != nil {
			return nil, nil, false
		}
		return f, nil, true
	case tTime:
		t, err := parseTime(raw)
		if err != nil {
			return nil, nil, false
		}
		return t, nil, true
	case tStruct:
		if raw[0] != '{' {
			return nil, nil, false
		}
		var obj map[string]json.RawMessage
		if err := json.Unmarshal(raw, &obj); err != nil {
			return nil, nil, false
		}
		values, left := convertFields(c.fields, obj)
		m := make(map[string]any, len(c.fields))
		for i, f := range c.fields {
			m[f.name] = values[i]
		}
		if len(left) > 0 {
			b, err := encodeLeft(left)
			if err != nil {
				return nil, nil, false
			}
			rest = json.RawMessage(b.(string))
		}
		return m, rest, true
	}
	return nil, nil, false
}

// encodeLeft is the JSON text of the keys left over, keys sorted; nil when
// there are none.
func encodeLeft(left map[string]json.RawMessage) (any, error) {
	if len(left) == 0 {
		return nil, nil
	}
	keys := make([]string, 0, len(left))
	for k := range left {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var buf bytes.Buffer
	buf.WriteByte('{')
	for i, k := range keys {
		if i > 0 {
			buf.WriteByte(',')
		}
		kb, _ := json.Marshal(k)
		buf.Write(kb)
		buf.WriteByte(':')
		if err := json.Compact(&buf, left[k]); err != nil {
			return nil, fmt.Errorf("malformed JSON under %q: %v", k, err)
		}
	}
	buf.WriteByte('}')
	return buf.String(), nil
}

// timeLayouts are the timestamp spellings of the supported logs.
var timeLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05.999999999",
	"2006-01-02 15:04:05.999999999Z07:00",
	"2006-01-02 15:04:05.999999999",
	"2006-01-02T15:04:05.999999999 MST",
}

// parseTime reads a JSON string timestamp; one without a zone is UTC.
func parseTime(raw json.RawMessage) (time.Time, error) {
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return time.Time{}, fmt.Errorf("%s is not a timestamp string", clip(string(raw)))
	}
	for _, l := range timeLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("%q is not a timestamp (want RFC 3339, such as 2024-01-31T12:00:00Z)", clip(s))
}

func clip(s string) string {
	if r := []rune(s); len(r) > 40 {
		return string(r[:40]) + "…"
	}
	return s
}
