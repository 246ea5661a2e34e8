package compiler_test

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
	"github.com/tokenhunt/tokenhunt/internal/goldentest"
	"github.com/tokenhunt/tokenhunt/internal/refeval"
)

// cloudCorpus is the SigmaHQ cloud and identity rules, compiled as every
// target's corpus test compiles them; the test is skipped without the
// corpus.
func cloudCorpus(t *testing.T) *goldentest.CloudCorpus {
	t.Helper()
	corpus, err := goldentest.LoadCloudCorpus("..")
	if err != nil {
		t.Fatal(err)
	}
	if corpus == nil {
		t.Skip("SigmaHQ corpus not found beside the project")
	}
	for _, e := range corpus.Errs {
		t.Errorf("%v", e)
	}
	return corpus
}

func corpusPipelines(t *testing.T) pipeline.Set {
	t.Helper()
	ps, err := pipeline.ResolveAll([]string{"cloudtrail", "../testdata/pipelines/corpus-keywords.yml"})
	if err != nil {
		t.Fatal(err)
	}
	return ps
}

// TestCorpusCloudConvertsToDuckDB: every SigmaHQ rule under rules/cloud and
// rules/identity converts to DuckDB SQL that DuckDB's parser accepts, with
// the CloudTrail pipeline where it applies and same-named columns
// otherwise.
func TestCorpusCloudConvertsToDuckDB(t *testing.T) {
	corpus := cloudCorpus(t)
	files, results := corpus.Files, corpus.Results
	eng := newEngine(t)
	be := duckdb.New()
	converted := 0
	for _, r := range results {
		q, err := be.Compile(r.Rule)
		if err != nil {
			t.Errorf("%s: %v", r.Source.File, err)
			continue
		}
		if err := parsesInDuckDB(eng, q); err != nil {
			t.Errorf("%s: DuckDB does not parse the query: %v\n%s", r.Source.File, err, q)
			continue
		}
		converted++
	}
	t.Logf("%d of %d SigmaHQ cloud and identity rules converted to DuckDB SQL that DuckDB parses", converted, len(files))
	if converted != len(files) {
		t.Errorf("converted %d of %d", converted, len(files))
	}
}

// TestCorpusAllQueriesParse: the DuckDB query of every SigmaHQ rule that
// compiles without a pipeline (keyword rules need one) is valid DuckDB
// syntax.
func TestCorpusAllQueriesParse(t *testing.T) {
	files := corpusFiles(t)
	rules, _ := compiler.Load(files)
	results, _ := compiler.Compile(rules, nil)
	eng := newEngine(t)
	be := duckdb.New()
	n := 0
	for _, r := range results {
		q, err := be.Compile(r.Rule)
		if err != nil {
			t.Errorf("%s: %v", r.Source.File, err)
			continue
		}
		if err := parsesInDuckDB(eng, q); err != nil {
			t.Errorf("%s: DuckDB does not parse the query: %v\n%s", r.Source.File, err, q)
			continue
		}
		n++
	}
	t.Logf("%d of %d SigmaHQ rules compile without a pipeline; all %d queries parse in DuckDB", len(results), len(rules), n)
	if len(results) < len(rules)*9/10 {
		t.Errorf("only %d of %d rules compile without a pipeline", len(results), len(rules))
	}
}

// parsesInDuckDB asks DuckDB's parser (without binding) about a query.
func parsesInDuckDB(eng *duckdb.Engine, q string) error {
	rows, err := eng.Query(context.Background(), "SELECT CAST(json_serialize_sql(?::VARCHAR) AS VARCHAR) AS j", q)
	if err != nil {
		return err
	}
	var out struct {
		Error        bool   `json:"error"`
		ErrorMessage string `json:"error_message"`
	}
	if err := json.Unmarshal([]byte(fmt.Sprint(rows[0]["j"])), &out); err != nil {
		return err
	}
	if out.Error {
		return fmt.Errorf("%s", out.ErrorMessage)
	}
	return nil
}

// TestCorpusAWSRulesOnStratus runs every SigmaHQ CloudTrail rule through
// the cloudtrail pipeline on DuckDB over the real Stratus Red Team
// detonation logs, and requires the same events as the reference
// semantics.
func TestCorpusAWSRulesOnStratus(t *testing.T) {
	logs, err := filepath.Glob("../../shared/corpus/stratus-detonation-logs/*.json")
	if err != nil || len(logs) == 0 {
		t.Skip("Stratus detonation logs not found")
	}
	var events []map[string]any
	for _, f := range logs {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		dec := json.NewDecoder(strings.NewReader(string(data)))
		dec.UseNumber()
		var recs []map[string]any
		if err := dec.Decode(&recs); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		events = append(events, recs...)
	}
	ps := corpusPipelines(t)
	rules, errs := compiler.Load(corpusFiles(t, "rules", "cloud", "aws"))
	results, cerrs := compiler.Compile(rules, ps)
	for _, e := range append(errs, cerrs...) {
		t.Fatalf("%v", e)
	}
	var cols []ir.Column
	for _, r := range results {
		cols = append(cols, sql.Columns(r.Rule.Where)...)
	}
	src := ps.Source(ir.Logsource{Product: "aws", Service: "cloudtrail"})
	eng := newEngine(t)
	ctx := context.Background()
	if err := eng.Register(ctx, "cloudtrail", logs, duckdb.Options{JSONText: src.JSONColumns, Columns: append(src.ColumnList(), cols...), Materialize: true}); err != nil {
		t.Fatal(err)
	}
	be := duckdb.New()
	fired := 0
	for _, r := range results {
		q, err := be.Compile(r.Rule)
		if err != nil {
			t.Fatal(err)
		}
		rows, err := eng.Query(ctx, q)
		if err != nil {
			t.Errorf("%s: %v\n%s", r.Source.File, err, q)
			continue
		}
		got := []string{}
		for _, row := range rows {
			got = append(got, fmt.Sprint(row["eventID"]))
		}
		want := []string{}
		for _, ev := range events {
			ok, err := refeval.EvalErr(r.Rule.Where, ev)
			if err != nil {
				t.Fatal(err)
			}
			if ok {
				want = append(want, fmt.Sprint(ev["eventID"]))
			}
		}
		sort.Strings(got)
		sort.Strings(want)
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s: DuckDB and the reference disagree (-reference +duckdb):\n%s\n%s", r.Source.File, diff, q)
		}
		if len(got) > 0 {
			fired++
		}
	}
	t.Logf("%d SigmaHQ CloudTrail rules run over %d Stratus events; %d fired", len(results), len(events), fired)
}

// TestParsesInDuckDBRejectsBadSQL keeps the syntax check honest.
func TestParsesInDuckDBRejectsBadSQL(t *testing.T) {
	eng := newEngine(t)
	if err := parsesInDuckDB(eng, `SELECT * FROM "t" WHERE lower("x") = 'a'`); err != nil {
		t.Errorf("valid query rejected: %v", err)
	}
	for _, q := range []string{`SELECT * FROM WHERE`, `SELECT * FROM "t" WHERE lower("x") = 'a`, `SELECT * FROM "t" WHERE (a OR b`} {
		if err := parsesInDuckDB(eng, q); err == nil {
			t.Errorf("invalid query accepted: %s", q)
		}
	}
}
