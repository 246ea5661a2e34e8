package compiler_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tokenhunt/tokenhunt/backends/duckdb"
	"github.com/tokenhunt/tokenhunt/backends/sql"
	"github.com/tokenhunt/tokenhunt/compiler/ir"
	"github.com/tokenhunt/tokenhunt/internal/corrtest"
	"github.com/tokenhunt/tokenhunt/internal/refeval"
)

func compileCorrelation(t *testing.T, yml string) *ir.Correlation {
	t.Helper()
	c, err := corrtest.Compile(yml, corrtest.Pipeline("ev", true))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// runCorrelation runs a correlation on DuckDB and in the reference
// evaluator over the same events and returns both sets of findings.
func runCorrelation(t *testing.T, eng *duckdb.Engine, c *ir.Correlation, events []corrtest.Event) (db, ref []string) {
	t.Helper()
	lines, decoded, err := corrtest.Decode(events)
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "ev.jsonl")
	if err := os.WriteFile(file, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	var cols []ir.Column
	for _, b := range c.RuleBases() {
		cols = append(cols, sql.Columns(b.Rule.Where)...)
		for _, f := range append(append([]ir.Field{b.Time, b.ID}, b.Group...), b.Terms...) {
			cols = append(cols, *f.Column)
		}
		if b.Value != nil {
			cols = append(cols, *b.Value.Column)
		}
	}
	ctx := context.Background()
	if err := eng.Register(ctx, "ev", []string{file}, duckdb.Options{Columns: cols, Materialize: true}); err != nil {
		t.Fatal(err)
	}
	q, err := duckdb.New().CompileCorrelation(c)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := eng.Query(ctx, q)
	if err != nil {
		t.Fatalf("%v\n%s", err, q)
	}
	db = findingLines(c, rows)
	ref, err = corrtest.Reference(c, "ev", decoded)
	if err != nil {
		t.Fatal(err)
	}
	return db, ref
}

// findingLines reads the rows of a correlation query as findings, one
// line each (refeval.Finding.String), sorted.
func findingLines(c *ir.Correlation, rows []map[string]any) []string {
	db := []string{}
	for _, row := range rows {
		f := refeval.Finding{Value: toFloat(row["value"])}
		for _, name := range append(append([]string(nil), c.GroupBy...), c.TermNames...) {
			if v, ok := row[name].(string); ok {
				f.Group = append(f.Group, &v)
			} else {
				f.Group = append(f.Group, nil)
			}
		}
		f.First, f.Fired, f.Last = row["first_seen"].(time.Time), row["fired_at"].(time.Time), row["last_seen"].(time.Time)
		for _, id := range row["event_ids"].([]any) {
			f.Events = append(f.Events, id.(string))
		}
		db = append(db, f.String())
	}
	sort.Strings(db)
	return db
}

func toFloat(v any) float64 {
	switch v := v.(type) {
	case float64:
		return v
	case int64:
		return float64(v)
	case int32:
		return float64(v)
	case nil:
		return math.NaN()
	}
	var f float64
	fmt.Sscan(fmt.Sprint(v), &f)
	return f
}

// TestCorrelationBoundaries pins the cases a bucketed implementation gets
// wrong (internal/corrtest), on DuckDB and in the reference evaluator, with
// the findings written out by hand; over a timestamp column and over text.
func TestCorrelationBoundaries(t *testing.T) {
	eng := newEngine(t)
	for _, typed := range []bool{true, false} {
		for _, tt := range corrtest.Boundaries() {
			name := tt.Name + " (text time)"
			if typed {
				name = tt.Name + " (timestamp)"
			}
			t.Run(name, func(t *testing.T) {
				c, err := corrtest.Compile(tt.Rule, corrtest.Pipeline("ev", typed))
				if err != nil {
					t.Fatal(err)
				}
				db, ref := runCorrelation(t, eng, c, tt.Events)
				want := append([]string{}, tt.Want...)
				sort.Strings(want)
				if diff := cmp.Diff(want, ref); diff != "" {
					t.Errorf("reference (-want +got):\n%s", diff)
				}
				if diff := cmp.Diff(want, db); diff != "" {
					t.Errorf("DuckDB (-want +got):\n%s", diff)
				}
			})
		}
	}
}

// TestCorrelationProperty generates random event sequences and requires
// DuckDB's findings to equal the reference evaluator's for every type.
func TestCorrelationProperty(t *testing.T) {
	eng := newEngine(t)
	rng := rand.New(rand.NewPCG(7, 11))
	for _, pr := range corrtest.PropertyRules() {
		c := compileCorrelation(t, pr.Rule)
		fired := 0
		for round := 0; round < 12; round++ {
			events := corrtest.RandomEvents(rng, 40)
			db, ref := runCorrelation(t, eng, c, events)
			if diff := cmp.Diff(ref, db); diff != "" {
				b, _ := json.Marshal(events)
				t.Fatalf("%s round %d: DuckDB and the reference disagree (-reference +duckdb):\n%s\nevents: %s", pr.Name, round, diff, b)
			}
			if len(ref) > 0 {
				fired++
			}
		}
		if fired < 3 {
			t.Errorf("%s fired in only %d of 12 rounds: the generator does not exercise it", pr.Name, fired)
		}
	}
}

// TestChainErrors: a correlation over another reads only the inner
// group-by names, and a cycle is refused, each at the reference that
// causes it.
func TestChainErrors(t *testing.T) {
	inner := "title: inner\nid: 00000000-0000-4000-8000-0000000000e1\nname: inner\ncorrelation:\n  type: event_count\n  rules: [rule_a]\n  group-by: [user]\n  timespan: 5m\n  condition: {gte: 2}\n---\n"
	for _, tt := range []struct{ name, rule, want string }{
		{"self reference", "title: self\nid: 00000000-0000-4000-8000-0000000000e2\nname: self\ncorrelation:\n  type: event_count\n  rules: [self]\n  timespan: 5m\n  condition: {gte: 2}\n",
			`corr_rules.yml:30:11: rule 00000000-0000-4000-8000-0000000000e2: correlations form a cycle: self -> self`},
		{"value field", inner + "title: outer\nid: 00000000-0000-4000-8000-0000000000e3\ncorrelation:\n  type: value_count\n  rules: [inner]\n  group-by: [user]\n  timespan: 1h\n  condition: {gte: 2, field: ip}\n",
			`corr_rules.yml:42:30: rule 00000000-0000-4000-8000-0000000000e3: field "ip" is not a group-by field of correlation "inner" (a correlation's events have its group-by fields only: user;`},
		{"alias", inner + "title: outer\nid: 00000000-0000-4000-8000-0000000000e4\ncorrelation:\n  type: temporal\n  rules: [inner, rule_b]\n  group-by: [who]\n  aliases:\n    who:\n      inner: name\n      rule_b: user\n  timespan: 1h\n",
			`rule 00000000-0000-4000-8000-0000000000e4: field "name" is not a group-by field of correlation "inner"`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := corrtest.Compile(tt.rule, corrtest.Pipeline("ev", true))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got %v, want an error containing %q", err, tt.want)
			}
		})
	}
	// Mixed with a base rule, through an alias, it compiles.
	c, err := corrtest.Compile(inner+"title: outer\nid: 00000000-0000-4000-8000-0000000000e5\ncorrelation:\n  type: temporal_ordered\n  rules: [inner, rule_b]\n  group-by: [who]\n  aliases:\n    who:\n      inner: user\n      rule_b: user\n  timespan: 1h\n", corrtest.Pipeline("ev", true))
	if err != nil {
		t.Fatal(err)
	}
	if got := []string{c.Bases[0].Correlation.Ref(), c.Bases[0].Group[0].Name, c.Bases[1].Rule.ID}; !cmp.Equal(got, []string{"00000000-0000-4000-8000-0000000000e1", "user", "00000000-0000-4000-8000-00000000000b"}) {
		t.Errorf("bases: got %v", got)
	}
}
