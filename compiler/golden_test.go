package compiler_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/tools/txtar"

	"github.com/tokenhunt/tokenhunt/backends"
	"github.com/tokenhunt/tokenhunt/backends/duckdb"
	"github.com/tokenhunt/tokenhunt/backends/sql"
	"github.com/tokenhunt/tokenhunt/compiler"
	"github.com/tokenhunt/tokenhunt/compiler/ir"
	"github.com/tokenhunt/tokenhunt/compiler/pipeline"
	"github.com/tokenhunt/tokenhunt/compiler/sigma"
	"github.com/tokenhunt/tokenhunt/internal/refeval"
)

var update = flag.Bool("update", false, "rewrite the generated sections of golden files")

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

// TestGolden compiles every case under testdata/golden and compares the IR,
// the DuckDB query (or the exact error) with the file. When the case has
// events, it runs the query on DuckDB and evaluates the IR with the
// reference semantics, and both must return exactly the hand-written
// matches.
func TestGolden(t *testing.T) {
	files, err := filepath.Glob("../testdata/golden/*.txtar")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no golden files")
	}
	eng := newEngine(t)
	for _, file := range files {
		name := strings.TrimSuffix(filepath.Base(file), ".txtar")
		t.Run(name, func(t *testing.T) { runGolden(t, eng, file) })
	}
}

type goldenCase struct {
	ar       *txtar.Archive
	sections map[string]string
}

func readGolden(t *testing.T, file string) *goldenCase {
	t.Helper()
	ar, err := txtar.ParseFile(file)
	if err != nil {
		t.Fatal(err)
	}
	c := &goldenCase{ar: ar, sections: map[string]string{}}
	for _, f := range ar.Files {
		c.sections[f.Name] = string(f.Data)
	}
	return c
}

// compileCase runs the front end, the case's pipeline and the DuckDB
// backend, and returns the generated sections and the compiled rule.
func compileCase(t *testing.T, c *goldenCase) (map[string]string, *ir.Rule, pipeline.Set) {
	t.Helper()
	var ps pipeline.Set
	if text, ok := c.sections["pipeline.yml"]; ok {
		p, err := pipeline.Parse("pipeline.yml", []byte(text))
		if err != nil {
			t.Fatalf("pipeline: %v", err)
		}
		ps = pipeline.Set{p}
	}
	out := map[string]string{}
	rules, errs := sigma.ParseFile("rule.yml", []byte(c.sections["rule.yml"]))
	set := &compiler.Set{}
	if len(errs) == 0 {
		set, errs = compiler.CompileSet(rules, ps)
	}
	if len(errs) > 0 {
		out["error"] = errs.Error() + "\n"
		return out, nil, ps
	}
	if len(set.Correlations) == 1 {
		// A correlation case: its base rules are printed inside it.
		c := set.Correlations[0].Correlation
		out["ir"] = ir.FormatCorrelation(c)
		for _, b := range backends.All() {
			cc, ok := b.(interface {
				CompileCorrelation(*ir.Correlation) (string, error)
			})
			if !ok {
				out[b.Name()] = "ERROR: " + b.Name() + ": correlation rules are not supported by this target yet\n"
				continue
			}
			q, err := cc.CompileCorrelation(c)
			if err != nil {
				out[b.Name()] = "ERROR: " + err.Error() + "\n"
				continue
			}
			out[b.Name()] = q + "\n"
		}
		return out, nil, ps
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
	return out, r, ps
}

func runGolden(t *testing.T, eng *duckdb.Engine, file string) {
	c := readGolden(t, file)
	if _, ok := c.sections["rule.yml"]; !ok {
		t.Fatal("no rule.yml section")
	}
	got, rule, ps := compileCase(t, c)
	if *update {
		writeGolden(t, file, c, got)
	} else {
		for _, name := range generated() {
			if diff := cmp.Diff(c.sections[name], got[name]); diff != "" {
				t.Errorf("section %s (-want +got):\n%s", name, diff)
			}
		}
	}
	if q := got["duckdb"]; q != "" && !strings.HasPrefix(q, "ERROR: ") {
		if err := parsesInDuckDB(eng, q); err != nil {
			t.Errorf("DuckDB does not parse the query: %v", err)
		}
	}
	events, hasEvents := c.sections["events"]
	if !hasEvents {
		return
	}
	matchText, ok := c.sections["matches"]
	if !ok {
		t.Fatal("events without a hand-written matches section")
	}
	want := strings.Fields(matchText)
	if len(want) == 1 && want[0] == "(none)" {
		want = []string{}
	}
	if rule == nil || got["duckdb"] == "" || strings.HasPrefix(got["duckdb"], "ERROR: ") {
		t.Fatalf("case has events but did not compile: %s", got["error"])
	}
	eventsFile := filepath.Join("..", "testdata", "golden", "events", strings.TrimSpace(events)+".jsonl")

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

func writeGolden(t *testing.T, file string, c *goldenCase, got map[string]string) {
	t.Helper()
	var files []txtar.File
	for _, f := range c.ar.Files {
		if !slices.Contains(generated(), f.Name) {
			files = append(files, f)
		}
	}
	for _, name := range generated() {
		if s, ok := got[name]; ok {
			files = append(files, txtar.File{Name: name, Data: []byte(s)})
		}
	}
	c.ar.Files = files
	if err := os.WriteFile(file, txtar.Format(c.ar), 0o644); err != nil {
		t.Fatal(err)
	}
}

func readEvents(t *testing.T, path string) []map[string]any {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []map[string]any
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		if strings.TrimSpace(sc.Text()) == "" {
			continue
		}
		dec := json.NewDecoder(strings.NewReader(sc.Text()))
		dec.UseNumber()
		var ev map[string]any
		if err := dec.Decode(&ev); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		out = append(out, ev)
	}
	return out
}

func refMatches(t *testing.T, r *ir.Rule, eventsFile string) []string {
	t.Helper()
	ids := []string{}
	for _, ev := range readEvents(t, eventsFile) {
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

var tableSeq int

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
