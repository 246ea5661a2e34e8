package bigquery_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tokenhunt/tokenhunt/backends/bigquery"
	"github.com/tokenhunt/tokenhunt/backends/sql"
	"github.com/tokenhunt/tokenhunt/compiler/ir"
	"github.com/tokenhunt/tokenhunt/internal/bqemu"
	"github.com/tokenhunt/tokenhunt/internal/corrtest"
	"github.com/tokenhunt/tokenhunt/internal/goldentest"
	"github.com/tokenhunt/tokenhunt/internal/refeval"
)

func compileCorrelation(t *testing.T, yml, dataset string, typed bool) *ir.Correlation {
	t.Helper()
	// The emulator does not always resolve a table in the query's default
	// dataset: name it in full.
	c, err := corrtest.Compile(yml, corrtest.Pipeline(dataset+".ev", typed))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// corrData is one event sequence loaded into a dataset of the emulator,
// with the events as the reference evaluator reads them.
type corrData struct {
	dataset string
	typed   bool
	decoded []map[string]any
}

// loadEvents creates dataset with table ev (ts a TIMESTAMP or STRING
// column, n a STRING column holding numbers and text alike).
func loadEvents(t *testing.T, ctx context.Context, em *bqemu.Emulator, dataset string, events []corrtest.Event, typed bool) corrData {
	t.Helper()
	if err := em.CreateDataset(ctx, dataset); err != nil {
		t.Fatal(err)
	}
	tsType := "STRING"
	if typed {
		tsType = "TIMESTAMP"
	}
	schema := []*bqemu.Field{{Name: "id", Type: "STRING"}, {Name: "ts", Type: tsType}, {Name: "name", Type: "STRING"},
		{Name: "user", Type: "STRING"}, {Name: "ip", Type: "STRING"}, {Name: "n", Type: "STRING"}}
	if err := em.CreateTable(ctx, dataset, "ev", schema); err != nil {
		t.Fatal(err)
	}
	_, decoded, err := corrtest.Decode(events)
	if err != nil {
		t.Fatal(err)
	}
	var rows []map[string]any
	for _, m := range decoded {
		row := map[string]any{}
		for k, v := range m {
			row[k] = fmt.Sprint(v)
		}
		rows = append(rows, row)
	}
	if err := em.Insert(ctx, dataset, "ev", rows); err != nil {
		t.Fatal(err)
	}
	return corrData{dataset: dataset, typed: typed, decoded: decoded}
}

// runCorrelation runs a correlation in the emulator and in the reference
// evaluator and returns both sets of findings, one line each, sorted.
func runCorrelation(t *testing.T, ctx context.Context, em *bqemu.Emulator, yml string, data corrData) (bq, ref []string) {
	t.Helper()
	c := compileCorrelation(t, yml, data.dataset, data.typed)
	q, err := bigquery.New().CompileCorrelation(c)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := em.Query(ctx, data.dataset, q)
	if err != nil {
		t.Fatalf("%v\n%s", err, q)
	}
	bq = []string{}
	for _, row := range rows {
		f := refeval.Finding{Value: math.NaN()}
		if v, ok := row["value"].(string); ok {
			f.Value, err = strconv.ParseFloat(v, 64)
			if err != nil {
				t.Fatalf("value %q: %v", v, err)
			}
		}
		for _, name := range append(append([]string(nil), c.GroupBy...), c.TermNames...) {
			if v, ok := row[name].(string); ok {
				f.Group = append(f.Group, &v)
			} else {
				f.Group = append(f.Group, nil)
			}
		}
		f.First, f.Fired, f.Last = apiTime(t, row["first_seen"]), apiTime(t, row["fired_at"]), apiTime(t, row["last_seen"])
		ids, _ := row["event_ids"].([]any)
		for _, id := range ids {
			f.Events = append(f.Events, fmt.Sprint(id.(map[string]any)["v"]))
		}
		bq = append(bq, f.String())
	}
	ref, err = corrtest.Reference(c, data.dataset+".ev", data.decoded)
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(bq)
	sort.Strings(ref)
	return bq, ref
}

// apiTime reads a TIMESTAMP as the REST API encodes it: seconds since the
// epoch as decimal text ("1795860000.000001").
func apiTime(t *testing.T, v any) time.Time {
	t.Helper()
	s, ok := v.(string)
	if !ok {
		t.Fatalf("timestamp %v: not text", v)
	}
	whole, frac, _ := strings.Cut(s, ".")
	sec, err := strconv.ParseInt(whole, 10, 64)
	if err != nil || strings.ContainsAny(s, "eE") {
		f, ferr := strconv.ParseFloat(s, 64)
		if ferr != nil {
			t.Fatalf("timestamp %q: %v", s, ferr)
		}
		return time.UnixMicro(int64(math.Round(f * 1e6))).UTC()
	}
	frac = (frac + "000000")[:6]
	us, err := strconv.ParseInt(frac, 10, 64)
	if err != nil {
		t.Fatalf("timestamp %q: %v", s, err)
	}
	return time.UnixMicro(sec*1e6 + us).UTC()
}

// TestCorrelationBoundariesInEmulator runs the cases a bucketed
// implementation gets wrong (those of compiler/correlation_test.go) in the
// emulator, over a TIMESTAMP column and over ISO-8601 text, with the
// findings written out by hand.
func TestCorrelationBoundariesInEmulator(t *testing.T) {
	em := startEmulator(t)
	ctx := context.Background()
	n := 0
	for _, typed := range []bool{true, false} {
		for _, tt := range corrtest.Boundaries() {
			n++
			name := tt.Name + " (text time)"
			if typed {
				name = tt.Name + " (TIMESTAMP)"
			}
			t.Run(name, func(t *testing.T) {
				data := loadEvents(t, ctx, em, fmt.Sprintf("b%d", n), tt.Events, typed)
				bq, ref := runCorrelation(t, ctx, em, tt.Rule, data)
				want := append([]string{}, tt.Want...)
				sort.Strings(want)
				if diff := cmp.Diff(want, ref); diff != "" {
					t.Errorf("reference (-want +got):\n%s", diff)
				}
				if diff := cmp.Diff(want, bq); diff != "" {
					t.Errorf("emulator (-want +got):\n%s", diff)
				}
			})
		}
	}
}

// TestCorrelationPropertyInEmulator generates random event sequences and
// requires the emulator's findings to equal the reference evaluator's for
// every type (the property test of compiler/correlation_test.go).
func TestCorrelationPropertyInEmulator(t *testing.T) {
	em := startEmulator(t)
	ctx := context.Background()
	const rounds = 10
	rng := rand.New(rand.NewPCG(7, 11))
	var data []corrData
	var events [][]corrtest.Event
	for round := range rounds {
		ev := corrtest.RandomEvents(rng, 40)
		events = append(events, ev)
		data = append(data, loadEvents(t, ctx, em, fmt.Sprintf("p%d", round), ev, true))
	}
	for _, pr := range corrtest.PropertyRules() {
		name, yml := pr.Name, pr.Rule
		fired := 0
		for round := range rounds {
			bq, ref := runCorrelation(t, ctx, em, yml, data[round])
			if diff := cmp.Diff(ref, bq); diff != "" {
				b, _ := json.Marshal(events[round])
				t.Fatalf("%s round %d: the emulator and the reference disagree (-reference +emulator):\n%s\nevents: %s", name, round, diff, b)
			}
			if len(ref) > 0 {
				fired++
			}
		}
		if fired < 3 {
			t.Errorf("%s fired in only %d of %d rounds: the generator does not exercise it", name, fired, rounds)
		}
	}
}

// TestGoldenCorrelationsInEmulator runs the bigquery section of every
// correlation golden case in the emulator, on an empty table with the
// columns its base rules read (the emulator analyses the query with
// ZetaSQL): the golden queries are GoogleSQL that BigQuery accepts, not
// only text. Their semantics are the property test's.
func TestGoldenCorrelationsInEmulator(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(goldenDir, "corr_*.txtar"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no correlation golden files in %s: %v", goldenDir, err)
	}
	em := startEmulator(t)
	ctx := context.Background()
	const dataset = "corrgold"
	if err := em.CreateDataset(ctx, dataset); err != nil {
		t.Fatal(err)
	}
	for _, file := range files {
		name := strings.TrimSuffix(filepath.Base(file), ".txtar")
		t.Run(name, func(t *testing.T) {
			c, err := goldentest.Read(file)
			if err != nil {
				t.Fatal(err)
			}
			set, ps, errs, err := c.Compile()
			if err != nil || errs != nil || len(set.Outermost()) != 1 {
				t.Fatalf("compile: %v %v", err, errs)
			}
			corr := set.Outermost()[0].Correlation
			golden, err := bigquery.New().CompileCorrelation(corr)
			if err != nil {
				t.Fatal(err)
			}
			if golden+"\n" != c.Sections["bigquery"] {
				t.Fatalf("the golden bigquery section is out of date (run go test ./compiler -run TestGolden -update)")
			}
			// The same query on a table of this case, qualified with the
			// dataset (see loadCase).
			table := "c_" + unsafeName.ReplaceAllString(name, "_")
			qualified := *corr.WithRules(func(r *ir.Rule) *ir.Rule {
				nr := *r
				nr.Table = dataset + "." + table
				return &nr
			})
			var sb bqemu.Schema
			src := ps.Source(corr.RuleBases()[0].Rule.Logsource)
			for _, b := range corr.RuleBases() {
				cols := append(sql.Columns(b.Rule.Where), *b.Time.Column, *b.ID.Column)
				for _, f := range append(append([]ir.Field(nil), b.Group...), b.Terms...) {
					cols = append(cols, *f.Column)
				}
				if b.Value != nil {
					cols = append(cols, *b.Value.Column)
				}
				for _, col := range cols {
					sb.Declare(col)
				}
			}
			for _, j := range src.JSONColumns {
				sb.Declare(ir.Column{Path: strings.Split(j, "."), JSON: []string{""}})
			}
			sb.Infer(nil) // undeclared columns are STRING
			q, err := bigquery.New().CompileCorrelation(&qualified)
			if err != nil {
				t.Fatal(err)
			}
			if want := strings.ReplaceAll(golden, "FROM `cloudtrail`", "FROM `"+dataset+"`.`"+table+"`"); q != want {
				t.Fatalf("the query on the qualified table differs from the golden query beyond its table:\n%s\n%s", golden, q)
			}
			if err := em.CreateTable(ctx, dataset, table, sb.Fields); err != nil {
				t.Fatalf("create table: %v", err)
			}
			rows, err := em.Query(ctx, "", q)
			if err != nil {
				t.Fatalf("%v\n%s", err, q)
			}
			if len(rows) != 0 {
				t.Errorf("%d findings on an empty table", len(rows))
			}
		})
	}
}

// TestCompileCorrelationBadInput: no panic and an error naming bigquery
// for a missing correlation or base rule.
func TestCompileCorrelationBadInput(t *testing.T) {
	for name, c := range map[string]*ir.Correlation{
		"nil":           nil,
		"no bases":      {ID: "c1", Type: ir.EventCount},
		"nil base":      {ID: "c1", Type: ir.EventCount, Bases: []*ir.Base{nil}},
		"nil base rule": {ID: "c1", Type: ir.EventCount, Bases: []*ir.Base{{}}},
	} {
		if _, err := bigquery.New().CompileCorrelation(c); err == nil || !strings.Contains(err.Error(), "bigquery: ") {
			t.Errorf("%s: got %v, want an error naming bigquery", name, err)
		}
	}
}
