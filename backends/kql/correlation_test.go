package kql_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/tokenhunt/tokenhunt/backends/kql"
	"github.com/tokenhunt/tokenhunt/compiler/ir"
	"github.com/tokenhunt/tokenhunt/internal/corrtest"
)

// corrPipeline maps the test log source: a datetime column ts, an id, a
// dynamic column ctx (a struct), a number column n and JSON text req.
const corrPipeline = `name: corr
logsources:
  - product: test
    service: corr
    table: ev
    time: ts
    id: id
    json_columns: [req]
    fields:
      ts: {type: timestamp}
      n: {type: number}
      req.*: {json: req}
`

type corrCase struct {
	name string
	yml  string // the correlation rule, after the base rules
}

func (tc corrCase) corr(t *testing.T) *ir.Correlation {
	t.Helper()
	c, err := corrtest.Compile(tc.yml, corrPipeline) // the base rules of internal/corrtest
	if err != nil {
		t.Fatalf("%s: %v", tc.name, err)
	}
	return c
}

func corrUnitCases() []corrCase {
	head := "title: t\nid: 00000000-0000-4000-8000-0000000000ff\ncorrelation:\n"
	return []corrCase{
		{"event_count no group", head + "  type: event_count\n  rules: [rule_a]\n  timespan: 5m\n  condition: {gte: 3}\n"},
		{"value_count two groups", head + "  type: value_count\n  rules: [rule_a, rule_b]\n  group-by: [user, ctx.session]\n  timespan: 1h\n  condition: {field: req.ip, gt: 1}\n"},
		{"value_percentile", head + "  type: value_percentile\n  rules: [rule_a]\n  group-by: [user]\n  timespan: 10m\n  condition: {field: n, percentile: 95, gt: 100}\n"},
		{"temporal_ordered three", head + "  type: temporal_ordered\n  rules: [rule_a, rule_b, rule_c]\n  group-by: [user]\n  timespan: 15m\n"},
		{"new_terms no group", head + "  type: new_terms\n  rules: [rule_a]\n  fields: [ip, req.ua]\n  lookback: 30d\n"},
	}
}

// TestCorrelationShapes pins, per correlation type, the parts of the KQL
// that carry the semantics (DESIGN.md "Correlations"; the reasons are in
// doc.go): the window (t - timespan, t] of a self-join within the group,
// the exact aggregate, the chain of temporal_ordered, the merging of
// firings less than a timespan apart, the new_terms lookback.
func TestCorrelationShapes(t *testing.T) {
	head := "title: t\nid: 00000000-0000-4000-8000-0000000000ff\ncorrelation:\n"
	window := func(span string) string {
		return "| where _us2 > _us - " + span + " and _us2 <= _us\n"
	}
	runs := func(keys, span string) string {
		return "| extend _new = iff(row_number() > 1 and " + keys + ", _us - prev(_us) >= " + span + ", true)\n| extend _run = row_cumsum(iff(_new, 1, 0))\n"
	}
	findings := func(span string) string {
		return "| where _us > _fired - " + span + " and _us <= _last\n| sort by _run asc, _us asc, _id asc\n"
	}
	tests := []struct {
		name string
		yml  string
		want []string
	}{
		{"event_count", "  type: event_count\n  rules: [rule_a]\n  group-by: [user]\n  timespan: 5m\n  condition: {gte: 3}\n", []string{
			`_g0 = iff(isempty(user), "", strcat("=", tostring(user)))`,
			`_us = datetime_diff("microsecond", ts, datetime(1970-01-01))`,
			"| join kind=inner (_e | project _g0, _us2 = _us, _id2 = _id, _base2 = _base, _v2 = _v, _vp2 = _vp, _num2 = _num, _rn2 = _rn) on _g0\n" + window("300000000") +
				"| summarize _a = count_distinct(_id2) by _g0, _us, _id, _base\n| extend _agg = _a\n| where _agg >= 3;\n",
			runs("prev(_g0) == _g0", "300000000"),
			findings("300000000"),
			"event_count = count_distinct(_id), _ids = make_list_if(_id, _rn) by _g0, _run, _fired, _last\n",
			"| project user = substring(_g0, 1), first_seen = unixtime_microseconds_todatetime(_first), fired_at = unixtime_microseconds_todatetime(_fired), last_seen = unixtime_microseconds_todatetime(_last), value, event_count, event_ids = array_slice(_ids, 0, 99)\n| sort by fired_at asc, user asc",
		}},
		{"event_count without group-by", "  type: event_count\n  rules: [rule_a]\n  timespan: 5m\n  condition: {gte: 3}\n", []string{
			", _k = 0, ", "on _k\n", runs("prev(_k) == _k", "300000000"), "| project first_seen = ",
		}},
		{"value_count on JSON text", "  type: value_count\n  rules: [rule_a, rule_b]\n  group-by: [user]\n  timespan: 1h\n  condition: {field: req.ip, gt: 1, lte: 4}\n", []string{
			`_v = tostring(parse_json(req).ip), _vp = isnotnull(parse_json(req).ip)`,
			"union\n(ev | where",
			window("3600000000") + "| summarize _a = count_distinctif(_v2, _vp2) by _g0, _us, _id, _base\n| extend _agg = _a\n| where _agg > 1 and _agg <= 4;\n",
			"_a = count_distinctif(_v, _vp)",
		}},
		{"value_sum", "  type: value_sum\n  rules: [rule_a]\n  group-by: [user]\n  timespan: 10m\n  condition: {field: n, gt: 100}\n", []string{
			`_v = tostring(n), _vp = isnotnull(n)`,
			"| extend _rn = row_number(1, prev(_g0) != _g0 or prev(_id) != _id) == 1, _num = iff(_v matches regex ",
			"| summarize _sum = sumif(_num2, _rn2 and isnotnull(_num2)) by _g0, _us, _id, _base\n| extend _agg = coalesce(_sum, 0.0)\n| where _agg > 100;\n",
		}},
		{"value_avg", "  type: value_avg\n  rules: [rule_a]\n  group-by: [user]\n  timespan: 10m\n  condition: {field: n, lt: 2}\n", []string{
			"| summarize _sum = sumif(_num2, _rn2 and isnotnull(_num2)), _cnt = countif(_rn2 and isnotnull(_num2)) by _g0, _us, _id, _base\n| extend _agg = iff(_cnt > 0, _sum / _cnt, real(null))\n| where _agg < 2;\n",
		}},
		{"value_percentile", "  type: value_percentile\n  rules: [rule_a]\n  group-by: [user]\n  timespan: 10m\n  condition: {field: n, percentile: 95, gt: 100}\n", []string{
			"| summarize _l = make_list_if(_num2, _rn2 and isnotnull(_num2)) by _g0, _us, _id, _base\n| extend _l = array_sort_asc(_l), _pos = 0.95 * (array_length(_l) - 1)\n| extend _lo = tolong(-ceiling(-_pos)), _hi = tolong(ceiling(_pos))\n| extend _agg = iff(array_length(_l) == 0, real(null), toreal(_l[_lo]) + (toreal(_l[_hi]) - toreal(_l[_lo])) * (_pos - _lo))\n| where _agg > 100;\n",
		}},
		{"temporal", "  type: temporal\n  rules: [rule_a, rule_b]\n  group-by: [user]\n  timespan: 10m\n", []string{
			"| summarize _a = count_distinct(_base2) by _g0, _us, _id, _base\n| extend _agg = _a\n| where _agg >= 2;\n",
		}},
		{"temporal_ordered", "  type: temporal_ordered\n  rules: [rule_a, rule_b, rule_c]\n  group-by: [ctx.session]\n  timespan: 15m\n", []string{
			`_g0 = iff(isnull(ctx.session), "", strcat("=", tostring(ctx.session)))`,
			"let _c0 = _e | where _base == 0 | project _g0, _us, _id, _base, _s = _us;\n",
			"let _c1 = _e\n| where _base == 1\n| join kind=inner (_c0 | project _g0, _us2 = _us, _s2 = _s) on _g0\n| where _us2 > _us - 900000000 and _us2 <= _us\n| summarize _s = max(_s2) by _g0, _us, _id, _base;\n",
			"let _c2 = _e\n| where _base == 2\n| join kind=inner (_c1 | project _g0, _us2 = _us, _s2 = _s) on _g0\n",
			"let _f = _c2 | where _s > _us - 900000000;\n",
			"| project ['ctx.session'] = substring(_g0, 1), ",
		}},
		{"new_terms", "  type: new_terms\n  rules: [rule_a]\n  group-by: [user]\n  fields: [ip]\n  lookback: 30d\n", []string{
			"let _n = _e\n| summarize by _g0, _t0, _us\n| sort by _g0 asc, _t0 asc, _us asc\n| extend _new = iff(row_number() > 1 and prev(_g0) == _g0 and prev(_t0) == _t0, prev(_us) < _us - 2592000000000, true)\n| where _new\n",
			"| join kind=inner (_e) on _g0, _t0, _us\n| summarize event_ids = make_list(_id) by _g0, _t0, _us, _base, _id\n",
			"| project user = substring(_g0, 1), ip = substring(_t0, 1), first_seen = unixtime_microseconds_todatetime(_us), fired_at = unixtime_microseconds_todatetime(_us), last_seen = unixtime_microseconds_todatetime(_us), value = 1, event_count = 1, event_ids\n",
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := corrCase{tc.name, head + tc.yml}.corr(t)
			q, err := kql.New().CompileCorrelation(c)
			if err != nil {
				t.Fatal(err)
			}
			for _, w := range tc.want {
				if !strings.Contains(q, w) {
					t.Errorf("query lacks\n%s\nquery:\n%s", w, q)
				}
			}
			for _, bad := range []string{"bin(", "floor(", "dcount(", "percentile(", "percentiles("} {
				if strings.Contains(q, bad) {
					t.Errorf("query uses %s, which is a clock bucket or an estimate:\n%s", bad, q)
				}
			}
		})
	}
}

// TestCorrelationErrors: what the backend cannot print is a positioned
// *ir.Error naming kql.
func TestCorrelationErrors(t *testing.T) {
	head := "title: t\nid: 00000000-0000-4000-8000-0000000000ff\ncorrelation:\n"
	c := corrCase{"clash", head + "  type: event_count\n  rules: [rule_a]\n  group-by: [value]\n  timespan: 5m\n  condition: {gte: 3}\n"}.corr(t)
	_, err := kql.New().CompileCorrelation(c)
	var e *ir.Error
	if !errors.As(err, &e) || e.Pos.Line == 0 || !strings.Contains(e.Msg, "kql: ") || !strings.Contains(e.Msg, `"value"`) {
		t.Errorf("a group-by named value: want a positioned kql error naming it, got %v", err)
	}
	c.GroupBy = []string{"user"}
	c.Timespan = 1500 * time.Nanosecond
	if _, err := kql.New().CompileCorrelation(c); err == nil || !strings.Contains(err.Error(), "microseconds") {
		t.Errorf("a sub-microsecond timespan: want an error, got %v", err)
	}
	for name, c := range map[string]*ir.Correlation{
		"nil":           nil,
		"no bases":      {ID: "c1", Type: ir.EventCount, Timespan: time.Minute},
		"nil base":      {ID: "c1", Type: ir.EventCount, Timespan: time.Minute, Bases: []*ir.Base{nil}},
		"nil base rule": {ID: "c1", Type: ir.EventCount, Timespan: time.Minute, Bases: []*ir.Base{{}}},
	} {
		if _, err := kql.New().CompileCorrelation(c); err == nil || !strings.Contains(err.Error(), "kql: ") {
			t.Errorf("%s: got %v, want an error naming kql", name, err)
		}
	}
}
