package ingest_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/tokenhunt/tokenhunt/backends/duckdb"
	"github.com/tokenhunt/tokenhunt/backends/sql"
	"github.com/tokenhunt/tokenhunt/compiler"
	"github.com/tokenhunt/tokenhunt/compiler/ir"
	"github.com/tokenhunt/tokenhunt/compiler/pipeline"
	"github.com/tokenhunt/tokenhunt/hunts/ingest"
)

const (
	corpus     = "../../../shared/corpus"
	stratusDir = corpus + "/stratus-detonation-logs"
	otrfDir    = corpus + "/otrf"
	sigmaCloud = corpus + "/sigmahq/rules/cloud"
)

// counts is a file's line in the summary.
type counts struct {
	File                    string
	Layout                  string
	Read, Written, Rejected int
	Err                     string
}

func summary(rep *ingest.Report) []counts {
	var out []counts
	for _, f := range rep.Files {
		c := counts{File: filepath.Base(f.Path), Layout: f.Layout, Read: f.Read, Written: f.Written, Rejected: f.Rejected}
		if f.Err != nil {
			c.Err = f.Err.Error()
		}
		out = append(out, c)
	}
	return out
}

func run(t *testing.T, kind ingest.Kind, inputs ...string) (*ingest.Report, string) {
	t.Helper()
	out := t.TempDir()
	rep, err := ingest.Run(context.Background(), ingest.Options{Kind: kind, Out: out}, inputs)
	if err != nil {
		t.Fatal(err)
	}
	return rep, out
}

func skipWithout(t *testing.T, path string) {
	t.Helper()
	if _, err := os.Stat(path); err != nil {
		t.Skip("no corpus at " + path)
	}
}

// parquetFiles lists the Parquet files under dir, relative to it.
func parquetFiles(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && d.Name() != ingest.ManifestFile {
			rel, _ := filepath.Rel(dir, p)
			out = append(out, filepath.ToSlash(rel))
		}
		return nil
	})
	sort.Strings(out)
	return out
}

// matches compiles the detection rules in ruleDirs with the named pipeline,
// registers files as the rules' table, and returns, per rule, the ids of
// the events each matches (id is the log source's id column).
func matches(t *testing.T, pipe string, ruleDirs []string, files []string) (map[string][]string, int) {
	t.Helper()
	p, err := pipeline.Resolve(pipe)
	if err != nil {
		t.Fatal(err)
	}
	ps := pipeline.Set{p}
	rules, _ := compiler.Load(ruleDirs)
	set, _ := compiler.CompileSet(rules, ps)
	ctx := context.Background()
	eng, err := duckdb.Open(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	be := duckdb.New()
	type job struct {
		id, query string
		idCol     ir.Column
	}
	var jobs []job
	columns := map[string][]ir.Column{}
	srcs := map[string]pipeline.Source{}
	for _, r := range set.Rules {
		q, err := be.Compile(r.Rule)
		if err != nil {
			continue
		}
		src := ps.Source(r.Rule.Logsource)
		if _, ok := columns[r.Rule.Table]; !ok {
			columns[r.Rule.Table] = src.ColumnList()
			srcs[r.Rule.Table] = src
		}
		columns[r.Rule.Table] = append(columns[r.Rule.Table], sql.Columns(r.Rule.Where)...)
		jobs = append(jobs, job{id: r.Rule.ID + " " + r.Rule.Title + " " + r.Rule.Table, query: q})
	}
	if len(jobs) == 0 {
		t.Fatalf("no rule in %v compiles with %s", ruleDirs, pipe)
	}
	for table, cols := range columns {
		if err := eng.Register(ctx, table, files, duckdb.Options{JSONText: srcs[table].JSONColumns, Columns: cols, Materialize: true}); err != nil {
			t.Fatalf("register %s: %v", table, err)
		}
	}
	got := map[string][]string{}
	n := 0
	for _, j := range jobs {
		table := strings.Fields(j.id)[len(strings.Fields(j.id))-1]
		idName := srcs[table].ID
		if idName == "" {
			t.Fatalf("pipeline %s has no id column for %s", pipe, table)
		}
		rows, err := eng.Query(ctx, "SELECT CAST("+quote(idName)+" AS VARCHAR) AS id FROM ("+j.query+") ORDER BY 1")
		if err != nil {
			t.Errorf("%s: %v\n%s", j.id, err, j.query)
			continue
		}
		for _, r := range rows {
			got[j.id] = append(got[j.id], fmt.Sprint(r["id"]))
			n++
		}
	}
	return got, n
}

func quote(s string) string { return `"` + s + `"` }

// TestStratus ingests the Stratus Red Team detonation logs (JSON arrays),
// checks the counts against the files, and checks that the shipped AWS
// rules and SigmaHQ's CloudTrail rules find the same events in the Parquet
// output as in the raw JSON.
func TestStratus(t *testing.T) {
	skipWithout(t, stratusDir)
	files, _ := filepath.Glob(filepath.Join(stratusDir, "*.json"))
	var want []counts
	total := 0
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var recs []json.RawMessage
		if err := json.Unmarshal(b, &recs); err != nil {
			t.Fatal(err)
		}
		want = append(want, counts{File: filepath.Base(f), Layout: "json array", Read: len(recs), Written: len(recs)})
		total += len(recs)
	}
	rep, out := run(t, ingest.CloudTrail, stratusDir) // the folder: LICENSE and SOURCE.md are skipped
	if diff := cmp.Diff(want, summary(rep)); diff != "" {
		t.Errorf("summary (-want +got):\n%s", diff)
	}
	if read, written, rejected := rep.Totals(); read != 310 || written != 310 || rejected != 0 || total != 310 {
		t.Errorf("totals: read %d written %d rejected %d (files hold %d), want 310 written", read, written, rejected, total)
	}
	if rep.ExitCode() != 0 {
		t.Errorf("exit code %d, want 0", rep.ExitCode())
	}
	parts := parquetFiles(t, out)
	if len(parts) == 0 || len(parts) != len(rep.Outputs) {
		t.Fatalf("parquet files %v, report says %v", parts, rep.Outputs)
	}

	rules := []string{"../../rules/aws/cloudtrail", sigmaCloud + "/aws/cloudtrail"}
	raw, nraw := matches(t, "cloudtrail", rules, files)
	pq, _ := matches(t, "cloudtrail", rules, []string{filepath.Join(out, "*/*/*/*.parquet")})
	if nraw == 0 {
		t.Fatal("no rule matches the raw logs: the comparison proves nothing")
	}
	if diff := cmp.Diff(raw, pq); diff != "" {
		t.Errorf("matched eventIDs, raw JSON (-) vs Parquet (+):\n%s", diff)
	}
	t.Logf("%d matches of %d rules", nraw, len(raw))
}

// TestOTRF ingests the OTRF Azure AD audit events (Sentinel AuditLogs
// columns, one JSON object a line) and the Logstash-shaped CloudTrail lines
// (@timestamp and no eventTime).
func TestOTRF(t *testing.T) {
	skipWithout(t, otrfDir)
	audit := filepath.Join(otrfDir, "AADAuditEvents.json")
	rep, out := run(t, ingest.EntraAudit, audit)
	want := []counts{{File: "AADAuditEvents.json", Layout: "json lines", Read: 4, Written: 4}}
	if diff := cmp.Diff(want, summary(rep)); diff != "" {
		t.Errorf("summary (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"year=2021/month=08/day=02/part-0000.parquet"}, parquetFiles(t, out)); diff != "" {
		t.Errorf("files (-want +got):\n%s", diff)
	}
	// The shipped pipeline's columns read the Parquet files.
	rows := readBack(t, "entra-duckdb", ir.Logsource{Product: "azure", Service: "auditlogs"}, out,
		`SELECT strftime(TimeGenerated, '%Y-%m-%dT%H:%M:%S.%g') AS t, OperationName AS op, `+
			`json_extract_string(InitiatedBy, '$.user.userPrincipalName') AS upn, `+
			`json_extract_string(_unmapped, '$.targetDisplayName') AS target FROM AuditLogs ORDER BY t, op`)
	wantRows := []map[string]any{
		{"t": "2021-08-02T13:25:12.246", "op": "Update application", "upn": "pgustavo@simulandlabs.com", "target": nil},
		{"t": "2021-08-02T13:27:20.017", "op": "Add delegated permission grant", "upn": "pgustavo@simulandlabs.com", "target": nil},
		{"t": "2021-08-02T13:29:25.983", "op": "Update application – Certificates and secrets management ", "upn": "pgustavo@simulandlabs.com", "target": "SimuLandApp"},
		{"t": "2021-08-02T13:29:25.983", "op": "Update application – Certificates and secrets management ", "upn": "pgustavo@simulandlabs.com", "target": "SimuLandApp"},
	}
	if diff := cmp.Diff(wantRows, rows); diff != "" {
		t.Errorf("rows (-want +got):\n%s", diff)
	}
	// Rules find the same events in the Parquet files as in the raw lines.
	ruleDir := t.TempDir()
	writeFile(t, filepath.Join(ruleDir, "app.yml"), `title: Application credentials changed by a user
id: 9a4c0fbc-6f33-4f51-8a5c-6a1d1f1b7c11
status: test
logsource: {product: azure, service: auditlogs}
detection:
  sel:
    OperationName|startswith: Update application
    InitiatedBy.user.userPrincipalName|endswith: '@simulandlabs.com'
  condition: sel
level: medium
`)
	rules := []string{ruleDir, sigmaCloud + "/azure/audit_logs"}
	raw, nraw := matches(t, "entra-duckdb", rules, []string{audit})
	pq, _ := matches(t, "entra-duckdb", rules, []string{filepath.Join(out, "*/*/*/*.parquet")})
	if nraw != 6 {
		t.Errorf("%d matches on the raw lines, want 6 (3 of our rule, 3 of SigmaHQ's): %v", nraw, raw)
	}
	if diff := cmp.Diff(raw, pq); diff != "" {
		t.Errorf("matched Ids, raw JSON (-) vs Parquet (+):\n%s", diff)
	}

	proxy := filepath.Join(otrfDir, "ec2_proxy_s3_exfiltration_2020-09-14011940.json")
	rep, out = run(t, ingest.CloudTrail, proxy)
	want = []counts{{File: filepath.Base(proxy), Layout: "json lines", Read: 103, Written: 103}}
	if diff := cmp.Diff(want, summary(rep)); diff != "" {
		t.Errorf("summary (-want +got):\n%s", diff)
	}
	rows = readBack(t, "cloudtrail", ir.Logsource{Product: "aws", Service: "cloudtrail"}, out,
		`SELECT count(*) AS n, count(eventTime) AS timed, count(DISTINCT userIdentity.accessKeyId) AS keys, `+
			`min(strftime(eventTime, '%Y-%m-%d')) AS first, max(strftime(eventTime, '%Y-%m-%d')) AS last FROM cloudtrail`)
	if diff := cmp.Diff([]map[string]any{{"n": int64(103), "timed": int64(103), "keys": int64(2), "first": "2020-09-14", "last": "2020-09-14"}}, rows); diff != "" {
		t.Errorf("cloudtrail (-want +got):\n%s", diff)
	}
}

// readBack registers the Parquet files under out as the log source's table,
// with every column the pipeline declares, and runs query.
func readBack(t *testing.T, pipe string, ls ir.Logsource, out, query string) []map[string]any {
	t.Helper()
	p, err := pipeline.Resolve(pipe)
	if err != nil {
		t.Fatal(err)
	}
	src := pipeline.Set{p}.Source(ls)
	ctx := context.Background()
	eng, err := duckdb.Open(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	if err := eng.Register(ctx, src.Table, []string{filepath.Join(out, "*/*/*/*.parquet")},
		duckdb.Options{JSONText: src.JSONColumns, Columns: src.ColumnList()}); err != nil {
		t.Fatal(err)
	}
	rows, err := eng.Query(ctx, query)
	if err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return rows
}

func writeFile(t *testing.T, path, text string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}
