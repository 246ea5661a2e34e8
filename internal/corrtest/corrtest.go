// Package corrtest holds the fixtures every engine's correlation tests
// share: three base rules, a pipeline, events, the boundary cases with their
// findings written out by hand, the rules of the property test and its
// random event generator. An engine test runs them through its backend and
// compares with internal/refeval.Correlate, the reference semantics.
package corrtest

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"sort"
	"strings"
	"time"

	"github.com/tokenhunt/tokenhunt/compiler"
	"github.com/tokenhunt/tokenhunt/compiler/ir"
	"github.com/tokenhunt/tokenhunt/compiler/pipeline"
	"github.com/tokenhunt/tokenhunt/compiler/sigma"
	"github.com/tokenhunt/tokenhunt/internal/refeval"
)

// Base are the base rules: rule_a, rule_b and rule_c match the events named
// a, b and c.
const Base = `title: a
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

// Pipeline maps the test log source to table, with ts the event time (a
// timestamp column when typed, ISO-8601 text otherwise) and id the event id.
func Pipeline(table string, typed bool) string {
	p := "name: corr\nlogsources:\n  - product: test\n    service: corr\n    table: " + table + "\n    time: ts\n    id: id\n"
	if typed {
		p += "    fields:\n      ts: {type: timestamp}\n"
	}
	return p
}

// Compile compiles a correlation rule over Base with a pipeline's text;
// rule may hold several correlations that chain, and the one that no other
// names is returned.
func Compile(rule, pipelineText string) (*ir.Correlation, error) {
	p, err := pipeline.Parse("corr.yml", []byte(pipelineText))
	if err != nil {
		return nil, err
	}
	rules, errs := sigma.ParseFile("corr_rules.yml", []byte(Base+"---\n"+rule))
	if errs != nil {
		return nil, errs
	}
	set, errs := compiler.CompileSet(rules, pipeline.Set{p})
	if errs != nil {
		return nil, errs
	}
	top := set.Outermost()
	if len(top) != 1 {
		return nil, fmt.Errorf("want one outermost correlation, got %d", len(top))
	}
	return top[0].Correlation, nil
}

// Event is one test event.
type Event struct {
	ID   string `json:"id"`
	TS   string `json:"ts"`
	Name string `json:"name"`
	User string `json:"user,omitempty"`
	IP   string `json:"ip,omitempty"`
	N    any    `json:"n,omitempty"`
}

// Decode returns the events as JSON lines and as the reference evaluator
// reads them (decoded with json.Number).
func Decode(events []Event) (lines []string, decoded []map[string]any, err error) {
	for _, e := range events {
		b, err := json.Marshal(e)
		if err != nil {
			return nil, nil, err
		}
		dec := json.NewDecoder(strings.NewReader(string(b)))
		dec.UseNumber()
		var m map[string]any
		if err := dec.Decode(&m); err != nil {
			return nil, nil, err
		}
		lines = append(lines, string(b))
		decoded = append(decoded, m)
	}
	return lines, decoded, nil
}

// Reference returns the reference evaluator's findings over the events of
// table, one line each (refeval.Finding.String), sorted; new_terms findings
// carry their terms after the group, as the engines' rows do.
func Reference(c *ir.Correlation, table string, decoded []map[string]any) ([]string, error) {
	findings, err := refeval.Correlate(c, map[string][]map[string]any{table: decoded})
	if err != nil {
		return nil, err
	}
	out := []string{}
	for _, f := range findings {
		if c.Type == ir.NewTerms {
			f.Group = append(f.Group, termValues(c, decoded, f.Events[0])...)
		}
		out = append(out, f.String())
	}
	sort.Strings(out)
	return out, nil
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

// At is a time of 2026-11-28 (UTC) as RFC 3339, from "15:04:05".
func At(hms string) string {
	t, err := time.Parse("15:04:05", hms)
	if err != nil {
		panic(err)
	}
	return time.Date(2026, 11, 28, t.Hour(), t.Minute(), t.Second(), 0, time.UTC).Format(time.RFC3339)
}

// Boundary is a case a bucketed implementation gets wrong, with the
// findings written out by hand (refeval.Finding.String lines).
type Boundary struct {
	Name   string
	Rule   string
	Events []Event
	Want   []string
}

const countRule = `title: burst
id: 00000000-0000-4000-8000-0000000000c1
correlation:
  type: event_count
  rules: [rule_a]
  group-by: [user]
  timespan: 5m
  condition: {gte: 2}
`

const ordered = `title: issued then used
id: 00000000-0000-4000-8000-0000000000c2
correlation:
  type: temporal_ordered
  rules: [rule_a, rule_b]
  group-by: [user]
  timespan: 15m
`

// Boundaries are the boundary cases every engine must get right.
func Boundaries() []Boundary {
	return []Boundary{
		{
			"two events 2 minutes apart across an hour boundary fire", countRule,
			[]Event{{ID: "1", TS: At("09:59:00"), Name: "a", User: "u"}, {ID: "2", TS: At("10:01:00"), Name: "a", User: "u"}},
			[]string{`group=["u"] first=2026-11-28T09:59:00Z fired=2026-11-28T10:01:00Z last=2026-11-28T10:01:00Z value=2 events=[1 2]`},
		},
		{
			"events exactly one timespan apart do not fire", countRule,
			[]Event{{ID: "1", TS: At("10:00:00"), Name: "a", User: "u"}, {ID: "2", TS: At("10:05:00"), Name: "a", User: "u"}},
			nil,
		},
		{
			"events just inside the timespan fire", countRule,
			[]Event{{ID: "1", TS: At("10:00:00"), Name: "a", User: "u"}, {ID: "2", TS: At("10:04:59"), Name: "a", User: "u"}},
			[]string{`group=["u"] first=2026-11-28T10:00:00Z fired=2026-11-28T10:04:59Z last=2026-11-28T10:04:59Z value=2 events=[1 2]`},
		},
		{
			"interleaved groups are not confused", countRule,
			[]Event{
				{ID: "1", TS: At("10:00:00"), Name: "a", User: "u"}, {ID: "2", TS: At("10:01:00"), Name: "a", User: "v"},
				{ID: "3", TS: At("10:02:00"), Name: "b", User: "u"}, {ID: "4", TS: At("10:03:00"), Name: "a", User: "v"},
			},
			[]string{`group=["v"] first=2026-11-28T10:01:00Z fired=2026-11-28T10:03:00Z last=2026-11-28T10:03:00Z value=2 events=[2 4]`},
		},
		{
			"a null group is a group of its own", countRule,
			[]Event{
				{ID: "1", TS: At("10:00:00"), Name: "a"}, {ID: "2", TS: At("10:01:00"), Name: "a", User: "n"},
				{ID: "3", TS: At("10:02:00"), Name: "a"},
			},
			[]string{`group=[null] first=2026-11-28T10:00:00Z fired=2026-11-28T10:02:00Z last=2026-11-28T10:02:00Z value=2 events=[1 3]`},
		},
		{
			"a burst is one finding", countRule,
			[]Event{
				{ID: "1", TS: At("10:00:00"), Name: "a", User: "u"}, {ID: "2", TS: At("10:01:00"), Name: "a", User: "u"},
				{ID: "3", TS: At("10:02:00"), Name: "a", User: "u"}, {ID: "4", TS: At("10:06:30"), Name: "a", User: "u"},
				{ID: "5", TS: At("10:30:00"), Name: "a", User: "u"}, {ID: "6", TS: At("10:31:00"), Name: "a", User: "u"},
			},
			[]string{
				`group=["u"] first=2026-11-28T10:00:00Z fired=2026-11-28T10:01:00Z last=2026-11-28T10:06:30Z value=4 events=[1 2 3 4]`,
				`group=["u"] first=2026-11-28T10:30:00Z fired=2026-11-28T10:31:00Z last=2026-11-28T10:31:00Z value=2 events=[5 6]`,
			},
		},
		{
			"temporal_ordered in order fires", ordered,
			[]Event{{ID: "1", TS: At("10:00:00"), Name: "a", User: "u"}, {ID: "2", TS: At("10:10:00"), Name: "b", User: "u"}},
			[]string{`group=["u"] first=2026-11-28T10:00:00Z fired=2026-11-28T10:10:00Z last=2026-11-28T10:10:00Z value=2 events=[1 2]`},
		},
		{
			"temporal_ordered in the wrong order does not fire", ordered,
			[]Event{{ID: "1", TS: At("10:00:00"), Name: "b", User: "u"}, {ID: "2", TS: At("10:10:00"), Name: "a", User: "u"}},
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
			[]Event{{ID: "1", TS: At("10:00:00"), Name: "b", User: "u"}, {ID: "2", TS: At("10:10:00"), Name: "a", User: "u"}},
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
			[]Event{
				{ID: "1", TS: At("10:00:00"), Name: "a", User: "u", IP: "203.0.113.1"}, {ID: "2", TS: At("10:20:00"), Name: "a", User: "u", IP: "203.0.113.1"},
				{ID: "3", TS: At("10:40:00"), Name: "a", User: "u", IP: "198.51.100.2"}, {ID: "4", TS: At("10:50:00"), Name: "a", User: "u", IP: "192.0.2.3"},
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
			[]Event{
				{ID: "1", TS: At("10:00:00"), Name: "a", User: "u", N: 1}, {ID: "2", TS: At("10:01:00"), Name: "a", User: "u", N: "n/a"},
				{ID: "3", TS: At("10:02:00"), Name: "a", User: "u", N: 4}, {ID: "4", TS: At("10:03:00"), Name: "a", User: "u", N: "8"},
				{ID: "5", TS: At("10:04:00"), Name: "a", User: "u", N: 10},
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
			[]Event{
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
}

// PropertyRule is one correlation of the property test.
type PropertyRule struct{ Name, Rule string }

// PropertyRules cover every type, ranges, several rules, no group-by and
// chains: an inner correlation's firings as the events of an outer one
// (mixed with a base rule, as the values of value_count, and new_terms
// events counted).
func PropertyRules() []PropertyRule {
	body := []PropertyRule{
		{"event_count", "type: event_count\n  rules: [rule_a, rule_b]\n  group-by: [user]\n  timespan: 7m\n  condition: {gte: 3}"},
		{"event_range", "type: event_count\n  rules: [rule_a]\n  group-by: [user, ip]\n  timespan: 10m\n  condition: {gte: 2, lt: 4}"},
		{"new_terms", "type: new_terms\n  rules: [rule_a, rule_b]\n  group-by: [user]\n  fields: [ip]\n  lookback: 40m"},
		{"no_group", "type: event_count\n  rules: [rule_c]\n  timespan: 3m\n  condition: {gte: 2}"},
		{"ordered", "type: temporal_ordered\n  rules: [rule_a, rule_b, rule_c]\n  group-by: [user]\n  timespan: 30m"},
		{"percentile", "type: value_percentile\n  rules: [rule_a]\n  group-by: [user]\n  timespan: 30m\n  percentile: 90\n  condition: {gte: 7, field: n}"},
		{"temporal", "type: temporal\n  rules: [rule_a, rule_b, rule_c]\n  group-by: [user]\n  timespan: 12m"},
		{"value_avg", "type: value_avg\n  rules: [rule_a, rule_b]\n  group-by: [user]\n  timespan: 15m\n  condition: {gt: 4, field: n}"},
		{"value_count", "type: value_count\n  rules: [rule_a, rule_c]\n  group-by: [user]\n  timespan: 20m\n  condition: {gt: 1, field: ip}"},
		{"value_sum", "type: value_sum\n  rules: [rule_b]\n  group-by: [user]\n  timespan: 15m\n  condition: {gte: 10, field: n}"},
	}
	for i := range body {
		body[i].Rule = fmt.Sprintf("title: %s\nid: 00000000-0000-4000-8000-0000000000d0\ncorrelation:\n  %s\n", body[i].Name, body[i].Rule)
	}
	// Chains: the inner correlation is named inner.
	inner := func(body string) string {
		return "title: inner\nid: 00000000-0000-4000-8000-0000000000d1\nname: inner\ncorrelation:\n  " + body + "\n---\n"
	}
	body = append(body,
		PropertyRule{"chain_ordered", inner("type: event_count\n  rules: [rule_a, rule_b]\n  group-by: [user]\n  timespan: 6m\n  condition: {gte: 2}") +
			"title: chain_ordered\nid: 00000000-0000-4000-8000-0000000000d2\ncorrelation:\n  type: temporal_ordered\n  rules: [inner, rule_c]\n  group-by: [user]\n  timespan: 15m\n"},
		PropertyRule{"chain_value_count", inner("type: event_count\n  rules: [rule_a, rule_b, rule_c]\n  group-by: [user, ip]\n  timespan: 20m\n  condition: {gte: 2}") +
			"title: chain_value_count\nid: 00000000-0000-4000-8000-0000000000d3\ncorrelation:\n  type: value_count\n  rules: [inner]\n  group-by: [user]\n  timespan: 30m\n  condition: {gte: 2, field: ip}\n"},
		PropertyRule{"chain_new_terms", inner("type: new_terms\n  rules: [rule_a, rule_b]\n  group-by: [user]\n  fields: [ip]\n  lookback: 20m") +
			"title: chain_new_terms\nid: 00000000-0000-4000-8000-0000000000d4\ncorrelation:\n  type: event_count\n  rules: [inner]\n  group-by: [user]\n  timespan: 15m\n  condition: {gte: 2}\n"},
	)
	return body
}

// RandomEvents generates n events: gaps from 0 (ties) to several minutes,
// four event names, three users (sometimes none), addresses (sometimes
// none) and values that are numbers, numeric text, other text or absent.
func RandomEvents(rng *rand.Rand, n int) []Event {
	t := time.Date(2026, 11, 28, 9, 50, 0, 0, time.UTC)
	var out []Event
	for i := 0; i < n; i++ {
		t = t.Add(time.Duration(rng.IntN(5)) * time.Minute).Add(time.Duration(rng.IntN(3)*30) * time.Second)
		e := Event{
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
