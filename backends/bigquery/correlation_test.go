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
	"github.com/tokenhunt/tokenhunt/compiler"
	"github.com/tokenhunt/tokenhunt/compiler/ir"
	"github.com/tokenhunt/tokenhunt/compiler/pipeline"
	"github.com/tokenhunt/tokenhunt/compiler/sigma"
	"github.com/tokenhunt/tokenhunt/internal/refeval"
)

// corrPipeline maps the test log source to table <dataset>.ev (the
// emulator does not always resolve a table in the default dataset of the
// query); typed says ts is a TIMESTAMP column (otherwise ISO-8601 text).
func corrPipeline(dataset string, typed bool) string {
	p := "name: corr\nlogsources:\n  - product: test\n    service: corr\n    table: " + dataset + ".ev\n    time: ts\n    id: id\n"
	if typed {
		p += "    fields:\n      ts: {type: timestamp}\n"
	}
	return p
}

// corrBase are the base rules of the correlation tests, the same as in
// compiler/correlation_test.go: each matches one event name.
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

func compileCorrelation(t *testing.T, yml, dataset string, typed bool) *ir.Correlation {
	t.Helper()
	p, err := pipeline.Parse("corr.yml", []byte(corrPipeline(dataset, typed)))
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

// corrData is one event sequence loaded into a dataset of the emulator,
// with the events as the reference evaluator reads them.
type corrData struct {
	dataset string
	typed   bool
	decoded []map[string]any
}

// loadEvents creates dataset with table ev (ts a TIMESTAMP or STRING
// column, n a STRING column holding numbers and text alike).
func loadEvents(t *testing.T, ctx context.Context, em *emulator, dataset string, events []corrEvent, typed bool) corrData {
	t.Helper()
	if err := em.createDataset(ctx, dataset); err != nil {
		t.Fatal(err)
	}
	tsType := "STRING"
	if typed {
		tsType = "TIMESTAMP"
	}
	schema := []*field{{Name: "id", Type: "STRING"}, {Name: "ts", Type: tsType}, {Name: "name", Type: "STRING"},
		{Name: "user", Type: "STRING"}, {Name: "ip", Type: "STRING"}, {Name: "n", Type: "STRING"}}
	if err := em.createTable(ctx, dataset, "ev", schema); err != nil {
		t.Fatal(err)
	}
	var rows, decoded []map[string]any
	for _, e := range events {
		b, _ := json.Marshal(e)
		var m map[string]any
		dec := json.NewDecoder(strings.NewReader(string(b)))
		dec.UseNumber()
		if err := dec.Decode(&m); err != nil {
			t.Fatal(err)
		}
		decoded = append(decoded, m)
		row := map[string]any{}
		for k, v := range m {
			row[k] = fmt.Sprint(v)
		}
		rows = append(rows, row)
	}
	if err := em.insert(ctx, dataset, "ev", rows); err != nil {
		t.Fatal(err)
	}
	return corrData{dataset: dataset, typed: typed, decoded: decoded}
}

// runCorrelation runs a correlation in the emulator and in the reference
// evaluator and returns both sets of findings, one line each, sorted.
func runCorrelation(t *testing.T, ctx context.Context, em *emulator, yml string, data corrData) (bq, ref []string) {
	t.Helper()
	c := compileCorrelation(t, yml, data.dataset, data.typed)
	q, err := bigquery.New().CompileCorrelation(c)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := em.query(ctx, data.dataset, q)
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
	findings, err := refeval.Correlate(c, map[string][]map[string]any{data.dataset + ".ev": data.decoded})
	if err != nil {
		t.Fatal(err)
	}
	ref = []string{}
	for _, f := range findings {
		if c.Type == ir.NewTerms {
			// new_terms findings carry the terms after the group.
			f.Group = append(f.Group, termValues(c, data.decoded, f.Events[0])...)
		}
		ref = append(ref, f.String())
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

func at(s string) string {
	t, err := time.Parse("15:04:05", s)
	if err != nil {
		panic(err)
	}
	return time.Date(2026, 11, 28, t.Hour(), t.Minute(), t.Second(), 0, time.UTC).Format(time.RFC3339)
}

// TestCorrelationBoundariesInEmulator runs the cases a bucketed
// implementation gets wrong (those of compiler/correlation_test.go) in the
// emulator, over a TIMESTAMP column and over ISO-8601 text, with the
// findings written out by hand.
func TestCorrelationBoundariesInEmulator(t *testing.T) {
	em := startEmulator(t)
	ctx := context.Background()
	countRule := `title: burst
id: 00000000-0000-4000-8000-0000000000c1
correlation:
  type: event_count
  rules: [rule_a]
  group-by: [user]
  timespan: 5m
  condition: {gte: 2}
`
	ordered := `title: issued then used
id: 00000000-0000-4000-8000-0000000000c2
correlation:
  type: temporal_ordered
  rules: [rule_a, rule_b]
  group-by: [user]
  timespan: 15m
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
			"events exactly one timespan apart do not fire", countRule,
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
			"a null group is a group of its own", countRule,
			[]corrEvent{
				{ID: "1", TS: at("10:00:00"), Name: "a"}, {ID: "2", TS: at("10:01:00"), Name: "a", User: "n"},
				{ID: "3", TS: at("10:02:00"), Name: "a"},
			},
			[]string{`group=[null] first=2026-11-28T10:00:00Z fired=2026-11-28T10:02:00Z last=2026-11-28T10:02:00Z value=2 events=[1 3]`},
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
			"temporal_ordered in order fires", ordered,
			[]corrEvent{{ID: "1", TS: at("10:00:00"), Name: "a", User: "u"}, {ID: "2", TS: at("10:10:00"), Name: "b", User: "u"}},
			[]string{`group=["u"] first=2026-11-28T10:00:00Z fired=2026-11-28T10:10:00Z last=2026-11-28T10:10:00Z value=2 events=[1 2]`},
		},
		{
			"temporal_ordered in the wrong order does not fire", ordered,
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
			"value_percentile interpolates between the ranks", `title: large pages
id: 00000000-0000-4000-8000-0000000000c6
correlation:
  type: value_percentile
  rules: [rule_a]
  group-by: [user]
  timespan: 1h
  percentile: 75
  condition: {gte: 5, field: n}
`,
			[]corrEvent{
				{ID: "1", TS: at("10:00:00"), Name: "a", User: "u", N: 1}, {ID: "2", TS: at("10:01:00"), Name: "a", User: "u", N: "n/a"},
				{ID: "3", TS: at("10:02:00"), Name: "a", User: "u", N: 4}, {ID: "4", TS: at("10:03:00"), Name: "a", User: "u", N: "8"},
				{ID: "5", TS: at("10:04:00"), Name: "a", User: "u", N: 10},
			},
			// 1, 4, 8: P = 1.5, 4 + 4 * 0.5 = 6; then 1, 4, 8, 10: P = 2.25, 8 + 2 * 0.25 = 8.5.
			[]string{`group=["u"] first=2026-11-28T10:00:00Z fired=2026-11-28T10:03:00Z last=2026-11-28T10:04:00Z value=8.5 events=[1 2 3 4 5]`},
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
				{ID: "5", TS: "2026-11-04T10:00:00Z", Name: "a", User: "u", IP: "203.0.113.1"},
			},
			[]string{
				`group=["u","203.0.113.1"] first=2026-11-01T10:00:00Z fired=2026-11-01T10:00:00Z last=2026-11-01T10:00:00Z value=1 events=[1]`,
				`group=["u","203.0.113.1"] first=2026-11-03T10:00:00Z fired=2026-11-03T10:00:00Z last=2026-11-03T10:00:00Z value=1 events=[3]`,
				`group=["v","203.0.113.1"] first=2026-11-03T11:00:00Z fired=2026-11-03T11:00:00Z last=2026-11-03T11:00:00Z value=1 events=[4]`,
			},
		},
	}
	n := 0
	for _, typed := range []bool{true, false} {
		for _, tt := range tests {
			n++
			name := tt.name + " (text time)"
			if typed {
				name = tt.name + " (TIMESTAMP)"
			}
			t.Run(name, func(t *testing.T) {
				data := loadEvents(t, ctx, em, fmt.Sprintf("b%d", n), tt.events, typed)
				bq, ref := runCorrelation(t, ctx, em, tt.rule, data)
				want := append([]string{}, tt.want...)
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
	const rounds = 10
	rng := rand.New(rand.NewPCG(7, 11))
	var data []corrData
	var events [][]corrEvent
	for round := range rounds {
		ev := randomEvents(rng, 40)
		events = append(events, ev)
		data = append(data, loadEvents(t, ctx, em, fmt.Sprintf("p%d", round), ev, true))
	}
	for _, name := range names {
		yml := fmt.Sprintf("title: %s\nid: 00000000-0000-4000-8000-0000000000d0\ncorrelation:\n  %s\n", name, rules[name])
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
	if err := em.createDataset(ctx, dataset); err != nil {
		t.Fatal(err)
	}
	for _, file := range files {
		name := strings.TrimSuffix(filepath.Base(file), ".txtar")
		t.Run(name, func(t *testing.T) {
			c := readCase(t, file)
			p, err := pipeline.Parse("pipeline.yml", []byte(c["pipeline.yml"]))
			if err != nil {
				t.Fatal(err)
			}
			rules, errs := sigma.ParseFile("rule.yml", []byte(c["rule.yml"]))
			if errs != nil {
				t.Fatal(errs)
			}
			set, errs := compiler.CompileSet(rules, pipeline.Set{p})
			if errs != nil || len(set.Correlations) != 1 {
				t.Fatalf("compile: %d correlations, %v", len(set.Correlations), errs)
			}
			corr := set.Correlations[0].Correlation
			golden, err := bigquery.New().CompileCorrelation(corr)
			if err != nil {
				t.Fatal(err)
			}
			if golden+"\n" != c["bigquery"] {
				t.Fatalf("the golden bigquery section is out of date (run go test ./compiler -run TestGolden -update)")
			}
			// The same query on a table of this case, qualified with the
			// dataset (see loadCase).
			table := "c_" + unsafeName.ReplaceAllString(name, "_")
			qualified := *corr
			qualified.Bases = nil
			var sb schemaBuilder
			src := pipeline.Set{p}.Source(corr.Bases[0].Rule.Logsource)
			for _, b := range corr.Bases {
				nb, nr := *b, *b.Rule
				nr.Table = dataset + "." + table
				nb.Rule = &nr
				qualified.Bases = append(qualified.Bases, &nb)
				cols := append(sql.Columns(b.Rule.Where), *b.Time.Column, *b.ID.Column)
				for _, f := range append(append([]ir.Field(nil), b.Group...), b.Terms...) {
					cols = append(cols, *f.Column)
				}
				if b.Value != nil {
					cols = append(cols, *b.Value.Column)
				}
				for _, col := range cols {
					sb.declare(col)
				}
			}
			for _, j := range src.JSONColumns {
				sb.declare(ir.Column{Path: strings.Split(j, "."), JSON: []string{""}})
			}
			sb.infer(nil) // undeclared columns are STRING
			q, err := bigquery.New().CompileCorrelation(&qualified)
			if err != nil {
				t.Fatal(err)
			}
			if want := strings.ReplaceAll(golden, "FROM `cloudtrail`", "FROM `"+dataset+"`.`"+table+"`"); q != want {
				t.Fatalf("the query on the qualified table differs from the golden query beyond its table:\n%s\n%s", golden, q)
			}
			if err := em.createTable(ctx, dataset, table, sb.fields); err != nil {
				t.Fatalf("create table: %v", err)
			}
			rows, err := em.query(ctx, "", q)
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
