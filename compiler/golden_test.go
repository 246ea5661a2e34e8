package compiler_test

import (
	"context"
	"flag"
	"fmt"
	"os"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/tools/txtar"

	"github.com/tokenhunt/tokenhunt/backends"
	"github.com/tokenhunt/tokenhunt/backends/duckdb"
	"github.com/tokenhunt/tokenhunt/backends/sql"
	"github.com/tokenhunt/tokenhunt/compiler/ir"
	"github.com/tokenhunt/tokenhunt/compiler/pipeline"
	"github.com/tokenhunt/tokenhunt/internal/goldentest"
	"github.com/tokenhunt/tokenhunt/internal/refeval"
)

var update = flag.Bool("update", false, "rewrite the generated sections of golden files")

const goldenDir = "../testdata/golden"

// generated are the sections a golden file's test writes with -update:
// the IR, one section per backend (its query, or "ERROR: " and the error
// when that backend cannot express the rule) and the front end's error. The
// others (rule.yml, pipeline.yml, events, matches) are written by hand.
func generated() []string {
	names := []string{"ir"}
	for _, b := range backends.All() {
		names = append(names, b.Name())
	}
	return append(names, "error")
}

// TestGolden compiles every case under testdata/golden and compares the IR
// and each target's query (or the exact error) with the file. When the case
// has events, it runs the query on DuckDB and evaluates the IR with the
// reference semantics, and both must return exactly the hand-written
// matches.
func TestGolden(t *testing.T) {
	cases, err := goldentest.Load(goldenDir)
	if err != nil {
		t.Fatal(err)
	}
	eng := newEngine(t)
	for _, c := range cases {
		t.Run(c.Name, func(t *testing.T) { runGolden(t, eng, c) })
	}
}

// compileCase runs the front end, the case's pipeline and every backend,
// and returns the generated sections and the compiled rule or correlation
// (both nil for an error case).
func compileCase(t *testing.T, c *goldentest.Case) (map[string]string, *ir.Rule, *ir.Correlation, pipeline.Set) {
	t.Helper()
	set, ps, errs, err := c.Compile()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	if len(errs) > 0 {
		out["error"] = errs.Error() + "\n"
		return out, nil, nil, ps
	}
	if top := set.Outermost(); len(top) == 1 {
		// A correlation case: its base rules (and chained inner
		// correlations) are printed inside it.
		corr := top[0].Correlation
		out["ir"] = ir.FormatCorrelation(corr)
		for _, b := range backends.All() {
			cc, ok := b.(interface {
				CompileCorrelation(*ir.Correlation) (string, error)
			})
			if !ok {
				out[b.Name()] = "ERROR: " + b.Name() + ": correlation rules are not supported by this target yet\n"
				continue
			}
			q, err := cc.CompileCorrelation(corr)
			if err != nil {
				out[b.Name()] = "ERROR: " + err.Error() + "\n"
				continue
			}
			out[b.Name()] = q + "\n"
		}
		return out, nil, corr, ps
	}
	if len(set.Rules) != 1 {
		t.Fatalf("want one rule or one correlation, got %d rules and %d correlations", len(set.Rules), len(set.Correlations))
	}
	r := set.Rules[0].Rule
	out["ir"] = ir.FormatRule(r)
	for _, b := range backends.All() {
		q, err := b.Compile(r)
		if err != nil {
			out[b.Name()] = "ERROR: " + err.Error() + "\n"
			continue
		}
		out[b.Name()] = q + "\n"
	}
	return out, r, nil, ps
}

func runGolden(t *testing.T, eng *duckdb.Engine, c *goldentest.Case) {
	if _, ok := c.Sections["rule.yml"]; !ok {
		t.Fatal("no rule.yml section")
	}
	got, rule, corr, ps := compileCase(t, c)
	if *update {
		writeGolden(t, c, got)
	} else {
		for _, name := range generated() {
			if diff := cmp.Diff(c.Sections[name], got[name]); diff != "" {
				t.Errorf("section %s (-want +got):\n%s", name, diff)
			}
		}
	}
	if q := got["duckdb"]; q != "" && !strings.HasPrefix(q, "ERROR: ") {
		if err := parsesInDuckDB(eng, q); err != nil {
			t.Errorf("DuckDB does not parse the query: %v", err)
		}
	}
	if corr != nil {
		if _, ok := c.Sections["events"]; ok {
			runGoldenCorrelation(t, eng, c, ps, corr, got["duckdb"])
		}
		return
	}
	want, hasEvents := c.Matches()
	if !hasEvents {
		return
	}
	if _, ok := c.Sections["matches"]; !ok {
		t.Fatal("events without a hand-written matches section")
	}
	if rule == nil || got["duckdb"] == "" || strings.HasPrefix(got["duckdb"], "ERROR: ") {
		t.Fatalf("case has events but did not compile: %s", got["error"])
	}
	eventsFile := c.EventsFile(goldenDir)

	// The reference semantics.
	ref := refMatches(t, rule, eventsFile)
	if diff := cmp.Diff(want, ref); diff != "" {
		t.Errorf("reference evaluator matches (-want +got):\n%s", diff)
	}
	// DuckDB.
	db := duckdbMatches(t, eng, ps, rule, got["duckdb"], eventsFile)
	if diff := cmp.Diff(want, db); diff != "" {
		t.Errorf("DuckDB matches (-want +got):\n%s\nquery: %s", diff, got["duckdb"])
	}
}

// runGoldenCorrelation runs a correlation case's DuckDB query over its
// events (every table its base rules read holds them all) and the
// reference evaluator, and both must return exactly the hand-written
// findings section (refeval.Finding.String lines; "(none)" for none).
func runGoldenCorrelation(t *testing.T, eng *duckdb.Engine, c *goldentest.Case, ps pipeline.Set, corr *ir.Correlation, query string) {
	t.Helper()
	want, ok := c.Findings()
	if !ok {
		t.Fatal("events without a hand-written findings section")
	}
	eventsFile := c.EventsFile(goldenDir)
	events, err := goldentest.ReadEvents(eventsFile)
	if err != nil {
		t.Fatal(err)
	}
	tables := map[string][]map[string]any{}
	columns := map[string][]ir.Column{}
	for _, b := range corr.RuleBases() {
		src := ps.Source(b.Rule.Logsource)
		if _, ok := tables[b.Rule.Table]; !ok {
			tables[b.Rule.Table] = events
			columns[b.Rule.Table] = src.ColumnList()
		}
		columns[b.Rule.Table] = append(columns[b.Rule.Table], sql.Columns(b.Rule.Where)...)
		fields := append(append([]ir.Field{b.Time, b.ID}, b.Group...), b.Terms...)
		if b.Value != nil {
			fields = append(fields, *b.Value)
		}
		for _, f := range fields {
			columns[b.Rule.Table] = append(columns[b.Rule.Table], *f.Column)
		}
	}
	ctx := context.Background()
	for _, b := range corr.RuleBases() {
		src := ps.Source(b.Rule.Logsource)
		if err := eng.Register(ctx, b.Rule.Table, []string{eventsFile}, duckdb.Options{JSONText: src.JSONColumns, Columns: columns[b.Rule.Table], Materialize: true}); err != nil {
			t.Fatalf("register %s: %v", eventsFile, err)
		}
	}
	found, err := refeval.Correlate(corr, tables)
	if err != nil {
		t.Fatalf("reference evaluator: %v", err)
	}
	ref := []string{}
	for _, f := range found {
		ref = append(ref, f.String())
	}
	sort.Strings(ref)
	if diff := cmp.Diff(want, ref); diff != "" {
		t.Errorf("reference evaluator findings (-want +got):\n%s", diff)
	}
	rows, err := eng.Query(ctx, query)
	if err != nil {
		t.Fatalf("query failed: %v\n%s", err, query)
	}
	if diff := cmp.Diff(want, findingLines(corr, rows)); diff != "" {
		t.Errorf("DuckDB findings (-want +got):\n%s\nquery: %s", diff, query)
	}
}

func writeGolden(t *testing.T, c *goldentest.Case, got map[string]string) {
	t.Helper()
	var files []txtar.File
	for _, f := range c.Archive.Files {
		if !slices.Contains(generated(), f.Name) {
			files = append(files, f)
		}
	}
	for _, name := range generated() {
		if s, ok := got[name]; ok {
			files = append(files, txtar.File{Name: name, Data: []byte(s)})
		}
	}
	c.Archive.Files = files
	if err := os.WriteFile(c.File, txtar.Format(c.Archive), 0o644); err != nil {
		t.Fatal(err)
	}
}

func refMatches(t *testing.T, r *ir.Rule, eventsFile string) []string {
	t.Helper()
	events, err := goldentest.ReadEvents(eventsFile)
	if err != nil {
		t.Fatal(err)
	}
	ids := []string{}
	for _, ev := range events {
		ok, err := refeval.EvalErr(r.Where, ev)
		if err != nil {
			t.Fatalf("reference evaluator: %v", err)
		}
		if ok {
			ids = append(ids, fmt.Sprint(ev["id"]))
		}
	}
	sort.Strings(ids)
	return ids
}

func duckdbMatches(t *testing.T, eng *duckdb.Engine, ps pipeline.Set, r *ir.Rule, query, eventsFile string) []string {
	t.Helper()
	ctx := context.Background()
	src := ps.Source(r.Logsource)
	if err := eng.Register(ctx, r.Table, []string{eventsFile}, duckdb.Options{JSONText: src.JSONColumns, Columns: append(src.ColumnList(), sql.Columns(r.Where)...)}); err != nil {
		t.Fatalf("register %s: %v", eventsFile, err)
	}
	rows, err := eng.Query(ctx, query)
	if err != nil {
		t.Fatalf("query failed: %v\n%s", err, query)
	}
	ids := []string{}
	for _, row := range rows {
		ids = append(ids, fmt.Sprint(row["id"]))
	}
	sort.Strings(ids)
	return ids
}

func newEngine(t *testing.T) *duckdb.Engine {
	t.Helper()
	eng, err := duckdb.Open(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { eng.Close() })
	return eng
}
