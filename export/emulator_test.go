package export_test

// The BigQuery scheduled queries run in the BigQuery emulator
// (github.com/goccy/bigquery-emulator, `make tools` builds it into
// bin/bigquery-emulator) with @run_time bound as a TIMESTAMP query
// parameter, as the Data Transfer Service binds it. The client speaks the
// REST API with net/http, as backends/bigquery's tests do.

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tokenhunt/tokenhunt/backends/sql"
	"github.com/tokenhunt/tokenhunt/compiler"
	"github.com/tokenhunt/tokenhunt/compiler/ir"
	"github.com/tokenhunt/tokenhunt/compiler/pipeline"
	"github.com/tokenhunt/tokenhunt/internal/bqemu"
)

func startEmulator(t *testing.T) *bqemu.Emulator { return bqemu.Start(t, "../bin/bigquery-emulator") }

type bqField = bqemu.Field

// bqTables are the tables the set reads, with the columns the pipelines
// declare and the rules read.
func bqTables(set *compiler.Set, ps pipeline.Set) map[string][]*bqField {
	schemas := map[string]*bqemu.Schema{}
	add := func(r *ir.Rule, extra ...ir.Expr) {
		sc := schemas[r.Table]
		if sc == nil {
			sc = &bqemu.Schema{}
			schemas[r.Table] = sc
		}
		src := ps.Source(r.Logsource)
		for _, c := range src.ColumnList() {
			sc.Declare(c)
		}
		for _, j := range src.JSONColumns {
			sc.Declare(ir.Column{Path: strings.Split(j, "."), JSON: []string{""}})
		}
		for _, c := range sql.Columns(ir.And{Args: append([]ir.Expr{r.Where}, extra...)}) {
			sc.Declare(c)
		}
	}
	for _, r := range set.Rules {
		add(r.Rule)
	}
	for _, c := range set.Correlations {
		for _, b := range c.Correlation.RuleBases() {
			extra := []ir.Expr{ir.IsNull{Field: b.Time}, ir.IsNull{Field: b.ID}}
			for _, f := range append(append([]ir.Field(nil), b.Group...), b.Terms...) {
				extra = append(extra, ir.IsNull{Field: f})
			}
			if b.Value != nil {
				extra = append(extra, ir.IsNull{Field: *b.Value})
			}
			add(b.Rule, extra...)
		}
	}
	out := map[string][]*bqField{}
	for t, sc := range schemas {
		sc.Infer(nil) // undeclared leaves are text
		out[t] = sc.Fields
	}
	return out
}

// runScheduled runs a scheduled query as the Data Transfer Service does,
// with @run_time bound, and returns the rows' rule ids.
func runScheduled(ctx context.Context, e *bqemu.Emulator, dataset, query string, runTime time.Time) ([]string, error) {
	req := map[string]any{
		"query": query, "useLegacySql": false, "timeoutMs": 120000, "parameterMode": "NAMED",
		"defaultDataset": map[string]string{"projectId": bqemu.Project, "datasetId": dataset},
		"queryParameters": []any{map[string]any{
			"name":           "run_time",
			"parameterType":  map[string]string{"type": "TIMESTAMP"},
			"parameterValue": map[string]string{"value": runTime.UTC().Format("2006-01-02 15:04:05.999999") + " UTC"},
		}},
	}
	var res struct {
		Schema struct{ Fields []bqField } `json:"schema"`
		Rows   []struct {
			F []struct {
				V any `json:"v"`
			} `json:"f"`
		} `json:"rows"`
		JobComplete bool `json:"jobComplete"`
	}
	if err := e.Call(ctx, "POST", "/queries", req, &res); err != nil {
		return nil, err
	}
	if !res.JobComplete {
		return nil, fmt.Errorf("the query did not complete")
	}
	if len(res.Schema.Fields) < 2 || res.Schema.Fields[0].Name != "tokenhunt_rule_id" || res.Schema.Fields[1].Name != "tokenhunt_run_time" {
		return nil, fmt.Errorf("the findings do not start with tokenhunt_rule_id, tokenhunt_run_time: %+v", res.Schema.Fields)
	}
	var ids []string
	for _, r := range res.Rows {
		ids = append(ids, fmt.Sprint(r.F[0].V))
	}
	return ids, nil
}

// TestBigQueryScheduledQueriesRun: every scheduled query (both formats
// hold the same) runs in the emulator over the tables it reads, with
// @run_time bound; and the window holds: an AdministratorAccess attachment
// ten minutes before the run is a finding, one two hours before is not.
func TestBigQueryScheduledQueriesRun(t *testing.T) {
	ex := exportLibrary(t, "bigquery", "transfer-config")
	em := startEmulator(t)
	ctx := context.Background()
	const dataset = "logs"
	if err := em.Call(ctx, "POST", "/datasets", map[string]any{"datasetReference": map[string]string{"projectId": bqemu.Project, "datasetId": dataset}}, nil); err != nil {
		t.Fatal(err)
	}
	for table, fields := range bqTables(ex.set, ex.ps) {
		err := em.Call(ctx, "POST", "/datasets/"+dataset+"/tables", map[string]any{
			"tableReference": map[string]string{"projectId": bqemu.Project, "datasetId": dataset, "tableId": table},
			"schema":         map[string]any{"fields": fields},
		}, nil)
		if err != nil {
			t.Fatalf("create %s: %v", table, err)
		}
	}
	runTime := time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)
	row := func(id string, at time.Time) map[string]any {
		return map[string]any{"insertId": id, "json": map[string]any{
			"eventID": id, "eventTime": at.Format("2006-01-02 15:04:05") + " UTC", "eventSource": "iam.amazonaws.com", "eventName": "AttachUserPolicy",
			"requestParameters": `{"userName":"backdoor","policyArn":"arn:aws:iam::aws:policy/AdministratorAccess"}`,
		}}
	}
	err := em.Call(ctx, "POST", "/datasets/"+dataset+"/tables/cloudtrail/insertAll", map[string]any{"rows": []any{
		row("in-window", runTime.Add(-10*time.Minute)), row("too-old", runTime.Add(-2*time.Hour)),
	}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	const admin = "af60e831-9d47-4b59-af92-59aa9f6ac3ff"
	ran := 0
	for _, f := range ex.files {
		var params struct {
			Query                        string `json:"query"`
			DestinationTableNameTemplate string `json:"destination_table_name_template"`
			WriteDisposition             string `json:"write_disposition"`
		}
		if err := json.Unmarshal(f.Data, &params); err != nil {
			t.Fatalf("%s: %v", f.Path, err)
		}
		if params.DestinationTableNameTemplate == "" || params.WriteDisposition != "WRITE_APPEND" || !strings.Contains(params.Query, "@run_time") {
			t.Errorf("%s: params %+v", f.Path, params)
		}
		ids, err := runScheduled(ctx, em, dataset, params.Query, runTime)
		if err != nil {
			t.Errorf("%s: the emulator rejects the scheduled query: %v\n%s", f.Path, err, params.Query)
			continue
		}
		ran++
		isAdmin := strings.Contains(params.Query, "tokenhunt detection rule "+admin)
		want := 0
		if isAdmin {
			want = 1
		}
		if len(ids) != want {
			t.Errorf("%s: %d findings at run time %s, want %d", f.Path, len(ids), runTime, want)
		}
		if isAdmin && len(ids) == 1 && ids[0] != admin {
			t.Errorf("%s: finding carries rule id %s", f.Path, ids[0])
		}
	}
	if ran < 10 {
		t.Errorf("only %d scheduled queries ran", ran)
	}
}

// TestTerraformHoldsTheScheduledQueries: the Terraform resources hold the
// queries of the transfer configs (which run in the emulator), with the
// same destination tables, once each.
func TestTerraformHoldsTheScheduledQueries(t *testing.T) {
	want := map[string]string{}
	for _, f := range exportLibrary(t, "bigquery", "transfer-config").files {
		var p map[string]string
		if err := json.Unmarshal(f.Data, &p); err != nil {
			t.Fatal(err)
		}
		want[p["destination_table_name_template"]] = p["query"]
	}
	tf := exportLibrary(t, "bigquery", "terraform").files
	if len(tf) != 1 {
		t.Fatalf("%d Terraform files, want 1", len(tf))
	}
	text := string(tf[0].Data)
	got := map[string]string{}
	for _, block := range strings.Split(text, "resource \"google_bigquery_data_transfer_config\" ")[1:] {
		_, rest, _ := strings.Cut(block, "destination_table_name_template = \"")
		table, rest, _ := strings.Cut(rest, "\"")
		_, rest, _ = strings.Cut(rest, "<<EOT\n")
		q, _, ok := strings.Cut(rest, "\nEOT\n")
		if !ok || !strings.Contains(block, `data_source_id         = "scheduled_query"`) {
			t.Errorf("resource for %s is not a scheduled query with a heredoc query", table)
		}
		q = strings.ReplaceAll(strings.ReplaceAll(q, "$${", "${"), "%%{", "%{")
		got[table] = q
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Terraform queries (-transfer configs +terraform):\n%s", diff)
	}
}

// TestTerraformFormat: when terraform is installed, the Terraform file is
// HCL that `terraform fmt -check` accepts unchanged.
func TestTerraformFormat(t *testing.T) {
	tf, err := exec.LookPath("terraform")
	if err != nil {
		t.Skip("terraform is not installed")
	}
	dir := t.TempDir()
	for _, f := range exportLibrary(t, "bigquery", "terraform").files {
		if err := os.WriteFile(filepath.Join(dir, filepath.Base(f.Path)), f.Data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.Command(tf, "fmt", "-check", "-diff", ".")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "TF_CLI_CONFIG_FILE=/dev/null", "CHECKPOINT_DISABLE=1")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("terraform fmt -check: %v\n%s", err, out)
	}
}
