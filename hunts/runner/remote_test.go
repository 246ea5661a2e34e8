package runner_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tokenhunt/tokenhunt/backends/duckdb"
	"github.com/tokenhunt/tokenhunt/compiler/ir"
	"github.com/tokenhunt/tokenhunt/compiler/pipeline"
	"github.com/tokenhunt/tokenhunt/hunts"
	"github.com/tokenhunt/tokenhunt/hunts/runner"
	"github.com/tokenhunt/tokenhunt/internal/bqemu"
	"github.com/tokenhunt/tokenhunt/internal/refeval"
)

// duckEngine is a cloud engine stand-in: DuckDB over the test's Parquet
// files registered as the source's table, recording every query and the
// rows it returned.
type duckEngine struct {
	eng     *duckdb.Engine
	queries []string
	rows    [][]map[string]any
}

func openDuck(t *testing.T, rec **duckEngine) func(ctx context.Context, spec *hunts.Spec, src *hunts.Source) (runner.RemoteEngine, error) {
	return func(ctx context.Context, spec *hunts.Spec, src *hunts.Source) (runner.RemoteEngine, error) {
		ps, err := pipeline.ResolveAll([]string{src.Pipeline})
		if err != nil {
			return nil, err
		}
		psrc := ps.Source(src.Logsource)
		eng, err := duckdb.Open(ctx)
		if err != nil {
			return nil, err
		}
		if err := eng.Register(ctx, psrc.Table, []string{parquetGlob()}, duckdb.Options{JSONText: psrc.JSONColumns, Columns: psrc.ColumnList()}); err != nil {
			eng.Close()
			return nil, err
		}
		e := &duckEngine{eng: eng}
		*rec = e
		return e, nil
	}
}

func (e *duckEngine) Query(ctx context.Context, q string, params []runner.Param, labels map[string]string, fn func(map[string]any) error) (runner.QueryStats, error) {
	if len(params) > 0 {
		return runner.QueryStats{}, fmt.Errorf("duckdb: unexpected parameters %v", params)
	}
	rows, err := e.eng.Query(ctx, q)
	if err != nil {
		return runner.QueryStats{}, err
	}
	e.queries = append(e.queries, q)
	e.rows = append(e.rows, rows)
	for _, r := range rows {
		if err := fn(r); err != nil {
			return runner.QueryStats{}, err
		}
	}
	return runner.QueryStats{ID: fmt.Sprint("q", len(e.queries)), Estimate: -1}, nil
}

func (e *duckEngine) Estimate(context.Context, string, []runner.Param) (int64, error) { return -1, nil }
func (e *duckEngine) Close() error                                                    { return e.eng.Close() }

// huntOnDuck runs the test's hunt over [from, to) on the cloud path with
// DuckDB as its engine, and returns the engine with the queries it ran and
// the rows of each.
func huntOnDuck(t *testing.T, from, to time.Time) (*duckEngine, *runner.Report, *hunts.Spec) {
	t.Helper()
	spec := load(t, writeSpec(t, t.TempDir(), map[string]string{"cloudtrail": parquetGlob()}))
	spec.Sources[0].Engine, spec.Sources[0].Paths = "duckdb-remote", nil
	var rec *duckEngine
	opts := runner.Options{From: from, To: to}
	runner.SetOpen(&opts, openDuck(t, &rec))
	rep := run(t, spec, opts)
	return rec, rep, spec
}

// remoteWindow is the window the cloud-engine tests hunt.
func remoteWindow() (time.Time, time.Time) {
	return simStart.Add(24 * time.Hour), simStart.Add(72 * time.Hour)
}

// The queries printed for a cloud engine, run on DuckDB over the same
// events, find exactly what the embedded DuckDB hunt and the reference
// evaluator find: the cloud path's own SQL (window bounds, the one scan's
// rule list, correlations over the windowed table) is right before any
// engine's dialect enters.
func TestRemotePathMatchesLocal(t *testing.T) {
	from, to := remoteWindow()
	want := expected(t, from, to)
	dir := t.TempDir()
	spec := load(t, writeSpec(t, dir, map[string]string{"cloudtrail": parquetGlob()}))
	run(t, spec, runner.Options{From: from, To: to})
	local := counts(readFindings(t, spec.OutDir))
	if diff := cmp.Diff(want, local); diff != "" {
		t.Fatalf("local hunt vs reference (-want +got):\n%s", diff)
	}

	rec, rep, spec2 := huntOnDuck(t, from, to)
	if len(rep.Errors) > 0 {
		t.Fatalf("errors: %v", rep.Errors)
	}
	if rec == nil || len(rec.queries) == 0 {
		t.Fatal("the cloud path ran no query")
	}
	got := counts(readFindings(t, spec2.OutDir))
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("cloud path on DuckDB vs reference (-want +got):\n%s", diff)
	}
	if n := len(rep.Sources[0].Queries); n != len(rec.queries) {
		t.Errorf("planned %d queries, ran %d", n, len(rec.queries))
	}
}

// A hunt on BigQuery (the emulator, through the real client) finds
// exactly what the embedded DuckDB hunt finds on the same events.
func TestBigQueryHunt(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the BigQuery emulator")
	}
	// The emulator evaluates a query at SQLite's pace: a window of six
	// hours, over the events of those hours and three before them (the
	// reference sees the same events).
	from := simStart.Add(50 * time.Hour) // singles, new_terms and temporal_ordered fire in it
	to := from.Add(6 * time.Hour)
	all := events
	defer func() { events = all }()
	var some []map[string]any
	for _, ev := range all {
		if tm, ok := refeval.ParseTime(ev["eventTime"]); ok && !tm.Before(from.Add(-3*time.Hour)) && tm.Before(to.Add(time.Hour)) {
			some = append(some, ev)
		}
	}
	events = some
	want := expected(t, from, to)
	if len(want) == 0 {
		t.Fatal("the test's window holds no finding")
	}
	em := bqemu.Start(t, "../../bin/bigquery-emulator")
	ctx := context.Background()
	ps, err := pipeline.ResolveAll([]string{"cloudtrail"})
	if err != nil {
		t.Fatal(err)
	}
	psrc := ps.Source(ir.Logsource{Product: "aws", Service: "cloudtrail"})
	var sc bqemu.Schema
	for _, c := range psrc.ColumnList() {
		sc.Declare(c)
	}
	for _, j := range psrc.JSONColumns {
		sc.Declare(ir.Column{Path: strings.Split(j, "."), JSON: []string{""}})
	}
	sc.Infer(events)
	if err := em.CreateDataset(ctx, "trail"); err != nil {
		t.Fatal(err)
	}
	if err := em.CreateTable(ctx, "trail", psrc.Table, sc.Fields); err != nil {
		t.Fatal(err)
	}
	var rows []map[string]any
	for _, ev := range events {
		rows = append(rows, sc.Row(ev))
	}
	for len(rows) > 0 {
		n := min(500, len(rows))
		if err := em.Insert(ctx, "trail", psrc.Table, rows[:n]); err != nil {
			t.Fatal(err)
		}
		rows = rows[n:]
	}
	dir := t.TempDir()
	spec := load(t, writeSpec(t, dir, map[string]string{"cloudtrail": parquetGlob()}))
	spec.Sources[0].Engine, spec.Sources[0].Paths = "bigquery", nil
	spec.BigQuery = hunts.BigQueryConfig{Project: bqemu.Project, Dataset: "trail", Endpoint: em.URL()}
	opts := runner.Options{From: from, To: to}
	runner.SetOpen(&opts, func(ctx context.Context, spec *hunts.Spec, src *hunts.Source) (runner.RemoteEngine, error) {
		e, err := runner.OpenEngine(ctx, spec, src)
		return emulatorFix{e}, err
	})
	rep := run(t, spec, opts)
	if len(rep.Errors) > 0 {
		t.Fatalf("errors: %v", rep.Errors)
	}
	fs := readFindings(t, spec.OutDir)
	got := counts(fs)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("BigQuery hunt vs reference (-want +got):\n%s", diff)
		n := 0
		for _, f := range fs {
			if _, ok := want[f.ID]; !ok && n < 5 {
				n++
				t.Logf("unexpected: %s %s %v %v", f.Rule.Title, f.FiredAt, f.EventIDs, f.Sample)
			}
		}
	}
	kinds := map[string]int{}
	for _, f := range fs {
		kinds[f.Kind]++
	}
	if kinds["event"] == 0 || kinds["correlation"] == 0 {
		t.Errorf("the window should hold findings of both kinds, got %v", kinds)
	}
	// A dry run asks the engine for each query's bytes and reads nothing.
	dry, err := runner.Run(ctx, spec, runner.Options{From: from, To: to, DryRun: true, OutDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	if len(dry.Errors) > 0 || len(dry.Sources[0].Queries) != len(rep.Sources[0].Queries) {
		t.Fatalf("dry run: %v, %d queries", dry.Errors, len(dry.Sources[0].Queries))
	}
	for _, q := range dry.Sources[0].Queries {
		if q.Estimate < 0 || q.ID != "" {
			t.Errorf("dry run of %v: estimate %d, job %q: want an estimate and no job", q.Rules, q.Estimate, q.ID)
		}
	}
	for _, q := range rep.Sources[0].Queries {
		if strings.Contains(q.SQL, from.Format("2006-01-02")) || len(q.Params) == 0 {
			t.Errorf("the window is not passed as parameters: %v\n%s", q.Params, q.SQL)
		}
	}
}

// emulatorFix works around the emulator's REGEXP_REPLACE, which drops a
// replacement ending with \1 (BigQuery inserts group 1; see
// backends/bigquery/golden_test.go, emulatorDeviations): the CIDR
// normalisation's r'\1' is written as '${1}', which the emulator hands to
// Go's regexp as group 1.
type emulatorFix struct{ runner.RemoteEngine }

func (e emulatorFix) Query(ctx context.Context, q string, params []runner.Param, labels map[string]string, fn func(map[string]any) error) (runner.QueryStats, error) {
	return e.RemoteEngine.Query(ctx, strings.ReplaceAll(q, `r'\1'`, `'${1}'`), params, labels, fn)
}
