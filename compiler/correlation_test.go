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
	"github.com/tokenhunt/tokenhunt/compiler"
	"github.com/tokenhunt/tokenhunt/compiler/ir"
	"github.com/tokenhunt/tokenhunt/compiler/pipeline"
	"github.com/tokenhunt/tokenhunt/compiler/sigma"
	"github.com/tokenhunt/tokenhunt/internal/refeval"
)

const corrPipeline = `name: corr
logsources:
  - product: test
    service: corr
    table: ev
    time: ts
    id: id
    fields:
      ts: {type: timestamp}
`

// corrBase are the base rules the correlation tests use: each matches one
// event name.
const corrBase = `title: a
id: 00000000-0000-4000-8000-00000000000a
name: rule_a
logsource: {product: test, service: corr}
detection:
  sel: {name: a}
  condition: sel
---
title: b
id: 00000000-0000-4000-8000-00000000000b
name: rule_b
logsource: {product: test, service: corr}
detection:
  sel: {name: b}
  condition: sel
---
title: c
id: 00000000-0000-4000-8000-00000000000c
name: rule_c
logsource: {product: test, service: corr}
detection:
  sel: {name: c}
  condition: sel
`

func compileCorrelation(t *testing.T, yml string) *ir.Correlation {
	t.Helper()
	p, err := pipeline.Parse("corr.yml", []byte(corrPipeline))
	if err != nil {
		t.Fatal(err)
	}
	rules, errs := sigma.ParseFile("corr_rules.yml", []byte(corrBase+"---\n"+yml))
	if errs != nil {
		t.Fatalf("parse: %v", errs)
	}
	set, errs := compiler.CompileSet(rules, pipeline.Set{p})
	if errs != nil {
		t.Fatalf("compile: %v", errs)
	}
	if len(set.Correlations) != 1 {
		t.Fatalf("want one correlation, got %d", len(set.Correlations))
	}
	return set.Correlations[0].Correlation
}

type corrEvent struct {
	ID   string `json:"id"`
	TS   string `json:"ts"`
	Name string `json:"name"`
	User string `json:"user,omitempty"`
	IP   string `json:"ip,omitempty"`
	N    any    `json:"n,omitempty"`
}

// runCorrelation runs a correlation on DuckDB and in the reference
// evaluator over the same events and returns both sets of findings.
func runCorrelation(t *testing.T, eng *duckdb.Engine, c *ir.Correlation, events []corrEvent) (db, ref []string) {
	t.Helper()
	dir := t.TempDir()
	file := filepath.Join(dir, "ev.jsonl")
	var lines []string
	var decoded []map[string]any
	for _, e := range events {
		b, _ := json.Marshal(e)
		lines = append(lines, string(b))
		var m map[string]any
		dec := json.NewDecoder(strings.NewReader(string(b)))
		dec.UseNumber()
		if err := dec.Decode(&m); err != nil {
			t.Fatal(err)
		}
		decoded = append(decoded, m)
	}
	if err := os.WriteFile(file, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	var cols []ir.Column
	for _, b := range c.Bases {
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
	findings, err := refeval.Correlate(c, map[string][]map[string]any{"ev": decoded})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range findings {
		if c.Type == ir.NewTerms {
			// new_terms findings carry the terms after the group.
			f.Group = append(f.Group, termValues(c, decoded, f.Events[0])...)
		}
		ref = append(ref, f.String())
	}
	sort.Strings(db)
	sort.Strings(ref)
	if db == nil {
		db = []string{}
	}
	if ref == nil {
		ref = []string{}
	}
	return db, ref
}

func termValues(c *ir.Correlation, events []map[string]any, id string) []*string {
	for _, ev := range events {
		if fmt.Sprint(ev["id"]) != id {
			continue
		}
		var out []*string
		for _, f := range c.Bases[0].Terms {
			v, ok := refeval.Lookup(ev, f)
			if !ok || v == nil {
				out = append(out, nil)
				continue
			}
			s := fmt.Sprint(v)
			out = append(out, &s)
		}
		return out
	}
	return nil
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

func at(s string) string {
	t, err := time.Parse("15:04:05", s)
	if err != nil {
		panic(err)
	}
	return time.Date(2026, 11, 28, t.Hour(), t.Minute(), t.Second(), 0, time.UTC).Format(time.RFC3339)
}

// TestCorrelationBoundaries pins the cases a bucketed implementation gets
// wrong, on DuckDB and in the reference evaluator, with the findings
// written out by hand.
func TestCorrelationBoundaries(t *testing.T) {
	eng := newEngine(t)
	countRule := `title: burst
id: 00000000-0000-4000-8000-0000000000c1
correlation:
  type: event_count
  rules: [rule_a]
  group-by: [user]
  timespan: 5m
  condition: {gte: 2}
`
	tests := []struct {
		name   string
		rule   string
		events []corrEvent
		want   []string
	}{
		{
			"two events 2 minutes apart across an hour boundary fire", countRule,
			[]corrEvent{{ID: "1", TS: at("09:59:00"), Name: "a", User: "u"}, {ID: "2", TS: at("10:01:00"), Name: "a", User: "u"}},
			[]string{`group=["u"] first=2026-11-28T09:59:00Z fired=2026-11-28T10:01:00Z last=2026-11-28T10:01:00Z value=2 events=[1 2]`},
		},
		{
			"events exactly one timespan apart do not fire (the window is half-open)", countRule,
			[]corrEvent{{ID: "1", TS: at("10:00:00"), Name: "a", User: "u"}, {ID: "2", TS: at("10:05:00"), Name: "a", User: "u"}},
			nil,
		},
		{
			"events just inside the timespan fire", countRule,
			[]corrEvent{{ID: "1", TS: at("10:00:00"), Name: "a", User: "u"}, {ID: "2", TS: at("10:04:59"), Name: "a", User: "u"}},
			[]string{`group=["u"] first=2026-11-28T10:00:00Z fired=2026-11-28T10:04:59Z last=2026-11-28T10:04:59Z value=2 events=[1 2]`},
		},
		{
			"interleaved groups are not confused", countRule,
			[]corrEvent{
				{ID: "1", TS: at("10:00:00"), Name: "a", User: "u"}, {ID: "2", TS: at("10:01:00"), Name: "a", User: "v"},
				{ID: "3", TS: at("10:02:00"), Name: "b", User: "u"}, {ID: "4", TS: at("10:03:00"), Name: "a", User: "v"},
			},
			[]string{`group=["v"] first=2026-11-28T10:01:00Z fired=2026-11-28T10:03:00Z last=2026-11-28T10:03:00Z value=2 events=[2 4]`},
		},
		{
			"a burst is one finding", countRule,
			[]corrEvent{
				{ID: "1", TS: at("10:00:00"), Name: "a", User: "u"}, {ID: "2", TS: at("10:01:00"), Name: "a", User: "u"},
				{ID: "3", TS: at("10:02:00"), Name: "a", User: "u"}, {ID: "4", TS: at("10:06:30"), Name: "a", User: "u"},
				{ID: "5", TS: at("10:30:00"), Name: "a", User: "u"}, {ID: "6", TS: at("10:31:00"), Name: "a", User: "u"},
			},
			[]string{
				`group=["u"] first=2026-11-28T10:00:00Z fired=2026-11-28T10:01:00Z last=2026-11-28T10:06:30Z value=4 events=[1 2 3 4]`,
				`group=["u"] first=2026-11-28T10:30:00Z fired=2026-11-28T10:31:00Z last=2026-11-28T10:31:00Z value=2 events=[5 6]`,
			},
		},
		{
			"temporal_ordered in order fires", `title: issued then used
id: 00000000-0000-4000-8000-0000000000c2
correlation:
  type: temporal_ordered
  rules: [rule_a, rule_b]
  group-by: [user]
  timespan: 15m
`,
			[]corrEvent{{ID: "1", TS: at("10:00:00"), Name: "a", User: "u"}, {ID: "2", TS: at("10:10:00"), Name: "b", User: "u"}},
			[]string{`group=["u"] first=2026-11-28T10:00:00Z fired=2026-11-28T10:10:00Z last=2026-11-28T10:10:00Z value=2 events=[1 2]`},
		},
		{
			"temporal_ordered in the wrong order does not fire", `title: issued then used
id: 00000000-0000-4000-8000-0000000000c2
correlation:
  type: temporal_ordered
  rules: [rule_a, rule_b]
  group-by: [user]
  timespan: 15m
`,
			[]corrEvent{{ID: "1", TS: at("10:00:00"), Name: "b", User: "u"}, {ID: "2", TS: at("10:10:00"), Name: "a", User: "u"}},
			nil,
		},
		{
			"temporal fires in any order", `title: both
id: 00000000-0000-4000-8000-0000000000c3
correlation:
  type: temporal
  rules: [rule_a, rule_b]
  group-by: [user]
  timespan: 15m
`,
			[]corrEvent{{ID: "1", TS: at("10:00:00"), Name: "b", User: "u"}, {ID: "2", TS: at("10:10:00"), Name: "a", User: "u"}},
			[]string{`group=["u"] first=2026-11-28T10:00:00Z fired=2026-11-28T10:10:00Z last=2026-11-28T10:10:00Z value=2 events=[1 2]`},
		},
		{
			"value_count: one user from three addresses", `title: replay
id: 00000000-0000-4000-8000-0000000000c4
correlation:
  type: value_count
  rules: [rule_a]
  group-by: [user]
  timespan: 1h
  condition: {gte: 3, field: ip}
`,
			[]corrEvent{
				{ID: "1", TS: at("10:00:00"), Name: "a", User: "u", IP: "203.0.113.1"}, {ID: "2", TS: at("10:20:00"), Name: "a", User: "u", IP: "203.0.113.1"},
				{ID: "3", TS: at("10:40:00"), Name: "a", User: "u", IP: "198.51.100.2"}, {ID: "4", TS: at("10:50:00"), Name: "a", User: "u", IP: "192.0.2.3"},
			},
			[]string{`group=["u"] first=2026-11-28T10:00:00Z fired=2026-11-28T10:50:00Z last=2026-11-28T10:50:00Z value=3 events=[1 2 3 4]`},
		},
		{
			"new_terms: seen inside the lookback is not new, seen only before it is new again", `title: new source for a role
id: 00000000-0000-4000-8000-0000000000c5
correlation:
  type: new_terms
  rules: [rule_a]
  group-by: [user]
  fields: [ip]
  lookback: 1d
`,
			[]corrEvent{
				{ID: "1", TS: "2026-11-01T10:00:00Z", Name: "a", User: "u", IP: "203.0.113.1"},
				{ID: "2", TS: "2026-11-01T12:00:00Z", Name: "a", User: "u", IP: "203.0.113.1"},
				{ID: "3", TS: "2026-11-03T10:00:00Z", Name: "a", User: "u", IP: "203.0.113.1"},
				{ID: "4", TS: "2026-11-03T11:00:00Z", Name: "a", User: "v", IP: "203.0.113.1"},
			},
			[]string{
				`group=["u","203.0.113.1"] first=2026-11-01T10:00:00Z fired=2026-11-01T10:00:00Z last=2026-11-01T10:00:00Z value=1 events=[1]`,
				`group=["u","203.0.113.1"] first=2026-11-03T10:00:00Z fired=2026-11-03T10:00:00Z last=2026-11-03T10:00:00Z value=1 events=[3]`,
				`group=["v","203.0.113.1"] first=2026-11-03T11:00:00Z fired=2026-11-03T11:00:00Z last=2026-11-03T11:00:00Z value=1 events=[4]`,
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := compileCorrelation(t, tt.rule)
			db, ref := runCorrelation(t, eng, c, tt.events)
			want := tt.want
			if want == nil {
				want = []string{}
			}
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

// TestCorrelationProperty generates random event sequences and requires
// DuckDB's findings to equal the reference evaluator's for every type.
func TestCorrelationProperty(t *testing.T) {
	eng := newEngine(t)
	rules := map[string]string{
		"event_count": "type: event_count\n  rules: [rule_a, rule_b]\n  group-by: [user]\n  timespan: 7m\n  condition: {gte: 3}",
		"event_range": "type: event_count\n  rules: [rule_a]\n  group-by: [user, ip]\n  timespan: 10m\n  condition: {gte: 2, lt: 4}",
		"value_count": "type: value_count\n  rules: [rule_a, rule_c]\n  group-by: [user]\n  timespan: 20m\n  condition: {gt: 1, field: ip}",
		"value_sum":   "type: value_sum\n  rules: [rule_b]\n  group-by: [user]\n  timespan: 15m\n  condition: {gte: 10, field: n}",
		"value_avg":   "type: value_avg\n  rules: [rule_a, rule_b]\n  group-by: [user]\n  timespan: 15m\n  condition: {gt: 4, field: n}",
		"percentile":  "type: value_percentile\n  rules: [rule_a]\n  group-by: [user]\n  timespan: 30m\n  percentile: 90\n  condition: {gte: 7, field: n}",
		"temporal":    "type: temporal\n  rules: [rule_a, rule_b, rule_c]\n  group-by: [user]\n  timespan: 12m",
		"ordered":     "type: temporal_ordered\n  rules: [rule_a, rule_b, rule_c]\n  group-by: [user]\n  timespan: 30m",
		"no_group":    "type: event_count\n  rules: [rule_c]\n  timespan: 3m\n  condition: {gte: 2}",
		"new_terms":   "type: new_terms\n  rules: [rule_a, rule_b]\n  group-by: [user]\n  fields: [ip]\n  lookback: 40m",
	}
	names := make([]string, 0, len(rules))
	for n := range rules {
		names = append(names, n)
	}
	sort.Strings(names)
	rng := rand.New(rand.NewPCG(7, 11))
	for _, name := range names {
		c := compileCorrelation(t, fmt.Sprintf("title: %s\nid: 00000000-0000-4000-8000-0000000000d0\ncorrelation:\n  %s\n", name, rules[name]))
		fired := 0
		for round := 0; round < 12; round++ {
			events := randomEvents(rng, 40)
			db, ref := runCorrelation(t, eng, c, events)
			if diff := cmp.Diff(ref, db); diff != "" {
				b, _ := json.Marshal(events)
				t.Fatalf("%s round %d: DuckDB and the reference disagree (-reference +duckdb):\n%s\nevents: %s", name, round, diff, b)
			}
			if len(ref) > 0 {
				fired++
			}
		}
		if fired < 3 {
			t.Errorf("%s fired in only %d of 12 rounds: the generator does not exercise it", name, fired)
		}
	}
}

func randomEvents(rng *rand.Rand, n int) []corrEvent {
	base := time.Date(2026, 11, 28, 9, 50, 0, 0, time.UTC)
	var out []corrEvent
	t := base
	for i := 0; i < n; i++ {
		// Gaps from 0 (ties) to several minutes, sometimes on the second.
		t = t.Add(time.Duration(rng.IntN(5)) * time.Minute).Add(time.Duration(rng.IntN(3)*30) * time.Second)
		e := corrEvent{
			ID:   fmt.Sprintf("e%02d", i),
			TS:   t.Format(time.RFC3339),
			Name: []string{"a", "b", "c", "x"}[rng.IntN(4)],
			User: []string{"u", "v", "w"}[rng.IntN(3)],
			IP:   []string{"203.0.113.1", "198.51.100.2", "192.0.2.3", ""}[rng.IntN(4)],
		}
		switch rng.IntN(4) {
		case 0:
			e.N = rng.IntN(10)
		case 1:
			e.N = fmt.Sprint(rng.IntN(10))
		case 2:
			e.N = "n/a"
		}
		if rng.IntN(10) == 0 {
			e.User = ""
		}
		out = append(out, e)
	}
	return out
}
