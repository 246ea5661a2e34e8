package pipeline_test

import (
	"context"
	"os"
	"path/filepath"
	"sort"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/tokenhunt/tokenhunt/backends/duckdb"
	"github.com/tokenhunt/tokenhunt/backends/sql"
	"github.com/tokenhunt/tokenhunt/compiler/ir"
	"github.com/tokenhunt/tokenhunt/compiler/pipeline"
	"github.com/tokenhunt/tokenhunt/compiler/sigma"
)

const corpus = "../../../shared/corpus"

// hunt compiles rules through a shipped pipeline and runs them with DuckDB
// over the files, registering each table once with every column its rules
// read; it returns the values of idField in the rows each rule matched.
func hunt(t *testing.T, pipelineName string, files []string, idField string, rules map[string]string) map[string][]string {
	t.Helper()
	p, err := pipeline.Resolve(pipelineName)
	if err != nil {
		t.Fatal(err)
	}
	set := pipeline.Set{p}
	ctx := context.Background()
	eng, err := duckdb.Open(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { eng.Close() })

	compiled := map[string]*ir.Rule{}
	columns := map[string][]ir.Column{}
	sources := map[string]pipeline.Source{}
	for name, text := range rules {
		parsed, errs := sigma.ParseFile(name, []byte(text))
		if len(errs) > 0 || len(parsed) != 1 {
			t.Fatalf("%s: %v", name, errs)
		}
		lowered, errs := sigma.Lower(parsed[0], set.Var)
		if len(errs) > 0 {
			t.Fatalf("%s: %v", name, errs)
		}
		r, err := set.Apply(lowered)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		compiled[name] = r
		src := set.Source(r.Logsource)
		if _, ok := sources[r.Table]; !ok {
			sources[r.Table] = src
			columns[r.Table] = src.ColumnList()
		}
		columns[r.Table] = append(columns[r.Table], sql.Columns(r.Where)...)
	}
	for table, src := range sources {
		if err := eng.Register(ctx, table, files, duckdb.Options{JSONText: src.JSONColumns, Columns: columns[table]}); err != nil {
			t.Fatalf("register %s: %v", table, err)
		}
	}
	out := map[string][]string{}
	for name, r := range compiled {
		q, err := duckdb.New().Compile(r)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		rows, err := eng.Query(ctx, q)
		if err != nil {
			t.Fatalf("%s: %v\n%s", name, err, q)
		}
		ids := []string{}
		for _, row := range rows {
			id, _ := row[idField].(string)
			ids = append(ids, id)
		}
		sort.Strings(ids)
		out[name] = ids
	}
	return out
}

// TestEntraDuckDBOnAuditLogs runs audit-log rules through entra-duckdb over
// real Sentinel AuditLogs records whose dynamic columns are JSON text: keys
// inside InitiatedBy, whole-object searches, and SigmaHQ's diagnostic-log
// spellings (properties.message, Status).
func TestEntraDuckDBOnAuditLogs(t *testing.T) {
	file := filepath.Join(corpus, "otrf", "AADAuditEvents.json")
	if _, err := os.Stat(file); err != nil {
		t.Skipf("corpus not present: %v", err)
	}
	got := hunt(t, "entra-duckdb", []string{file}, "Id", map[string]string{
		// Entra writes this operation name with a trailing space.
		"credential.yml": "title: t\nid: 00000000-0000-0000-0000-000000000001\nlogsource: {product: azure, service: auditlogs}\ndetection:\n" +
			"  sel:\n    properties.message|startswith: 'Update application – Certificates and secrets management'\n" +
			"    Status: success\n    InitiatedBy.user.userPrincipalName: pgustavo@simulandlabs.com\n  condition: sel\n",
		"initiator.yml": "title: t\nid: 00000000-0000-0000-0000-000000000002\nlogsource: {product: azure, service: auditlogs}\ndetection:\n" +
			"  sel:\n    properties.initiatedBy|contains: '@simulandlabs.com'\n  condition: sel\n",
		"target.yml": "title: t\nid: 00000000-0000-0000-0000-000000000003\nlogsource: {product: azure, service: auditlogs}\ndetection:\n" +
			"  sel:\n    Target|contains: '\"type\":\"ServicePrincipal\"'\n  condition: sel\n",
		"nobody.yml": "title: t\nid: 00000000-0000-0000-0000-000000000004\nlogsource: {product: azure, service: auditlogs}\ndetection:\n" +
			"  sel:\n    InitiatedBy.app.displayName|contains: 'a'\n  condition: sel\n",
	})
	const credential = "Directory_10065ffb-8199-48bc-8ff5-912cb5b8295a_AUMVX_13992832"
	const update = "Directory_ae69aa7a-e9b7-4066-84f2-58582994d8cb_7H1JL_8584070"
	const grant = "Directory_630d7f0c-acc4-4596-85ab-7e5d839b4291_9VRQI_37762000"
	want := map[string][]string{
		"credential.yml": {credential, credential},
		"initiator.yml":  {credential, credential, grant, update},
		"target.yml":     {grant},
		"nobody.yml":     {},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("matched ids (-want +got):\n%s", diff)
	}
}

// TestGCPDuckDBOnLogEntries runs gcp.audit rules through gcp-duckdb over
// raw Cloud Audit Log entries: a SigmaHQ rule in Elastic's spelling, and a
// rule in SigmaHQ's data.protoPayload spelling with a keyword, a number and
// a key inside the request.
func TestGCPDuckDBOnLogEntries(t *testing.T) {
	rules := map[string]string{
		"denied.yml": "title: t\nid: 00000000-0000-0000-0000-000000000011\nlogsource: {product: gcp, service: gcp.audit}\ndetection:\n" +
			"  sel:\n    data.protoPayload.methodName: SetIamPolicy\n    protoPayload.status.code|gte: 7\n" +
			"    protoPayload.request.resource: demo-project\n    data.protoPayload.resource.type: project\n  condition: sel\n",
		"breakglass.yml": "title: t\nid: 00000000-0000-0000-0000-000000000012\nlogsource: {product: gcp, service: gcp.audit}\ndetection:\n" +
			"  sel:\n    data.protoPayload.resource.type: k8s_cluster\n    data.protoPayload.logName|endswith: 'cloudaudit.googleapis.com%2Factivity'\n" +
			"    gcp.audit.method_name: io.k8s.core.v1.pods.create\n  keywords:\n    - 'image-policy.k8s.io/break-glass'\n  condition: sel and keywords\n",
		"caller.yml": "title: t\nid: 00000000-0000-0000-0000-000000000013\nlogsource: {product: gcp, service: gcp.audit}\ndetection:\n" +
			"  sel:\n    protoPayload.requestMetadata.callerIp|cidr: 203.0.113.0/24\n    protoPayload.authenticationInfo.principalEmail: INTRUDER@example.com\n  condition: sel\n",
	}
	if data, err := os.ReadFile(filepath.Join(corpus, "sigmahq", "rules", "cloud", "gcp", "audit", "gcp_bucket_enumeration.yml")); err == nil {
		rules["gcp_bucket_enumeration.yml"] = string(data)
	}
	got := hunt(t, "gcp-duckdb", []string{filepath.Join("testdata", "gcp_audit.jsonl")}, "insertId", rules)
	want := map[string][]string{
		"denied.yml":     {"1a2b3c4d5e03"},
		"breakglass.yml": {"1a2b3c4d5e02"},
		"caller.yml":     {"1a2b3c4d5e01", "1a2b3c4d5e03"},
	}
	if _, ok := rules["gcp_bucket_enumeration.yml"]; ok {
		want["gcp_bucket_enumeration.yml"] = []string{"1a2b3c4d5e01"}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("matched ids (-want +got):\n%s", diff)
	}
}
