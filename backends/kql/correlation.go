package kql

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/tokenhunt/tokenhunt/compiler/ir"
)

// maxEventIDs bounds the contributing event ids a finding carries, as in
// the SQL backends.
const maxEventIDs = 100

// resultColumns are the columns of a finding besides the group (and, for
// new_terms, the terms).
var resultColumns = []string{"first_seen", "fired_at", "last_seen", "value", "event_count", "event_ids"}

// CompileCorrelation prints a correlation as one KQL query returning one
// row per finding, with the columns of the SQL backends: the group-by
// columns (named as the correlation names them), first_seen, fired_at,
// last_seen, value, event_count and event_ids (at most 100, by time then
// id). The semantics are DuckDB's (backends/sql/correlation.go) and the
// reference evaluator's (internal/refeval): exact sliding windows
// (t - timespan, t] at each event, never clock buckets. KQL has no RANGE
// frames, so each window is a self-join of the group's events on the group
// keys, filtered to the window; see the package documentation. Its errors
// are *ir.Error.
func (Backend) CompileCorrelation(c *ir.Correlation) (string, error) {
	if c == nil {
		return "", &ir.Error{Msg: "kql: no correlation to compile"}
	}
	cp := &corrPrinter{c: c, active: map[*ir.Correlation]bool{}}
	return cp.query()
}

type corrPrinter struct {
	c *ir.Correlation
	// keys are the columns a group (and for new_terms its terms) is
	// partitioned by; groups the group columns alone.
	groups, terms []string
	// pre prefixes the let names of an inner correlation of a chain
	// ("" for the outermost: _e, _f; "b0_" for the inner one of base 0:
	// _b0_e, _b0_f).
	pre string
	// active holds the correlations being printed, against cycles.
	active map[*ir.Correlation]bool
}

func (p *corrPrinter) errorf(hint, format string, args ...any) *ir.Error {
	return &ir.Error{Pos: p.c.Pos, RuleID: p.c.ID, Msg: "kql: " + fmt.Sprintf(format, args...), Hint: hint}
}

// name is the let name of a step of this level.
func (p *corrPrinter) name(s string) string { return "_" + p.pre + s }

func (p *corrPrinter) query() (string, error) {
	c := p.c
	var b strings.Builder
	if err := p.firings(&b); err != nil {
		return "", err
	}
	if c.Type == ir.NewTerms {
		p.newTerms(&b)
		return b.String(), nil
	}
	span := c.Timespan.Microseconds()
	keys := p.keys()
	on := strings.Join(keys, ", ")
	// Runs: consecutive firings of a group less than a timespan apart.
	same := "row_number() > 1"
	for _, k := range keys {
		same += " and prev(" + k + ") == " + k
	}
	fmt.Fprintf(&b, "let _r = _f\n| sort by %s asc, _us asc, _id asc, _base asc\n| extend _new = iff(%s, _us - prev(_us) >= %d, true)\n| extend _run = row_cumsum(iff(_new, 1, 0))\n| summarize _fired = min(_us), _last = max(_us) by %s, _run;\n",
		strings.Join(keys, " asc, "), same, span, on)
	// Findings: every event of the group inside the merged windows.
	agg, err := p.aggregate("")
	if err != nil {
		return "", err
	}
	fmt.Fprintf(&b, "_r\n| join kind=inner (_e) on %s\n| where _us > _fired - %d and _us <= _last\n| sort by _run asc, _us asc, _id asc\n",
		on, span)
	agg.summarize = "_first = min(_us), " + agg.summarize + ", event_count = count_distinct(_id), _ids = make_list_if(_id, _rn)"
	agg.print(&b, on+", _run, _fired, _last", "value")
	out := p.groupColumns()
	out = append(out, "first_seen = "+fromMicros("_first"), "fired_at = "+fromMicros("_fired"), "last_seen = "+fromMicros("_last"),
		"value", "event_count", fmt.Sprintf("event_ids = array_slice(_ids, 0, %d)", maxEventIDs-1))
	fmt.Fprintf(&b, "| project %s\n| sort by fired_at asc%s", strings.Join(out, ", "), p.orderGroups())
	return b.String(), nil
}

// firings writes the let statements of this level (an inner level's
// first) from its events (_e) to its firing rows (_f; for new_terms the
// new distinct times _n, and for an inner level _f, the events at them).
func (p *corrPrinter) firings(b *strings.Builder) error {
	c := p.c
	if p.active[c] {
		return p.errorf("", "correlation %s reads its own firings (a cycle of chained correlations)", c.Ref())
	}
	p.active[c] = true
	defer delete(p.active, c)
	if len(c.Bases) == 0 {
		return p.errorf("", "correlation has no base rules")
	}
	if c.Type != ir.NewTerms && c.Timespan <= 0 {
		return p.errorf("give the correlation a timespan", "%s needs a positive timespan", c.Type)
	}
	if c.Type == ir.NewTerms && c.Lookback <= 0 {
		return p.errorf("give the correlation a lookback", "new_terms needs a positive lookback")
	}
	if c.Timespan%time.Microsecond != 0 || c.Lookback%time.Microsecond != 0 {
		return p.errorf("use whole microseconds", "timespan %s or lookback %s is not a whole number of microseconds", c.Timespan, c.Lookback)
	}
	seen := map[string]bool{}
	for _, n := range resultColumns {
		seen[n] = true
	}
	for _, n := range append(append([]string(nil), c.GroupBy...), c.TermNames...) {
		if seen[n] {
			return p.errorf("rename the group-by field with an alias", "the result column %q is named twice (a group-by or new_terms field named as a result column)", n)
		}
		seen[n] = true
		if err := checkText(n); err != nil {
			return p.errorf("", "column name %q %v", n, err)
		}
	}
	for i := range c.GroupBy {
		p.groups = append(p.groups, "_g"+strconv.Itoa(i))
	}
	for i := range c.TermNames {
		p.terms = append(p.terms, "_t"+strconv.Itoa(i))
	}
	events, err := p.events(b)
	if err != nil {
		return err
	}
	e, f := p.name("e"), p.name("f")
	b.WriteString("let " + e + " = materialize(" + events + ");\n")
	if c.Type == ir.NewTerms {
		p.newTimes(b)
		if p.pre != "" {
			fmt.Fprintf(b, "let %s = %s\n| join kind=inner (%s) on %s, _us;\n", f, p.name("n"), e, strings.Join(append(append([]string(nil), p.keys()...), p.terms...), ", "))
		}
		return nil
	}
	span := c.Timespan.Microseconds()
	on := strings.Join(p.keys(), ", ")
	switch c.Type {
	case ir.TemporalOrdered:
		// _s is the latest start of a chain of events of bases 0..k, in
		// order, ending at the row: a self-join per base over the window
		// (chains that start outside the last event's window cannot fire).
		fmt.Fprintf(b, "let %s = %s | where _base == 0 | project %s, _us, _id, _base, _s = _us;\n", p.name("c0"), e, on)
		for k := 1; k < len(c.Bases); k++ {
			fmt.Fprintf(b, "let %s = %s\n| where _base == %d\n| join kind=inner (%s | project %s, _us2 = _us, _s2 = _s) on %s\n| where _us2 > _us - %d and _us2 <= _us\n| summarize _s = max(_s2) by %s, _us, _id, _base;\n",
				p.name("c"+strconv.Itoa(k)), e, k, p.name("c"+strconv.Itoa(k-1)), on, on, span, on)
		}
		fmt.Fprintf(b, "let %s = %s | where _s > _us - %d;\n", f, p.name("c"+strconv.Itoa(len(c.Bases)-1)), span)
	default:
		agg, err := p.aggregate("2")
		if err != nil {
			return err
		}
		fmt.Fprintf(b, "let %s = %s\n| join kind=inner (%s | project %s, _us2 = _us, _id2 = _id, _base2 = _base, _v2 = _v, _vp2 = _vp, _num2 = _num, _rn2 = _rn) on %s\n| where _us2 > _us - %d and _us2 <= _us\n",
			f, e, e, on, on, span)
		agg.print(b, on+", _us, _id, _base", "_agg")
		fmt.Fprintf(b, "| where %s;\n", p.thresholds("_agg"))
	}
	return nil
}

// chained writes the let statements of the inner correlation of base i
// and returns its firings as events of this level: base i, the firing
// time, the id "<inner ref>:" + event id and the inner group keys that
// this level reads as group, value and terms. An event that several inner
// base rules matched fires once.
func (p *corrPrinter) chained(b *strings.Builder, i int, base *ir.Base) (string, error) {
	inner := &corrPrinter{c: base.Correlation, pre: p.pre + "b" + strconv.Itoa(i) + "_", active: p.active}
	if err := inner.firings(b); err != nil {
		return "", err
	}
	if len(base.Group) != len(p.c.GroupBy) || len(base.Terms) != len(p.c.TermNames) {
		return "", p.errorf("", "base %d has %d group fields and %d terms for %d and %d", i+1, len(base.Group), len(base.Terms), len(p.c.GroupBy), len(p.c.TermNames))
	}
	innerKey := func(f ir.Field) (string, error) {
		k := base.Correlation.GroupIndex(f.Name)
		if k < 0 {
			return "", p.errorf("", "field %s is not a group-by field of correlation %s", f.Name, base.Correlation.Ref())
		}
		return inner.groups[k], nil
	}
	cols := []string{
		"_base = " + strconv.Itoa(i),
		"_us",
		"_id = strcat(" + Quote(base.Correlation.Ref()+":") + ", _id)",
		"_ok = true",
	}
	if len(base.Group) == 0 {
		cols = append(cols, "_k = 0")
	}
	for j, g := range base.Group {
		x, err := innerKey(g)
		if err != nil {
			return "", err
		}
		cols = append(cols, p.groups[j]+" = "+x)
	}
	if base.Value != nil {
		x, err := innerKey(*base.Value)
		if err != nil {
			return "", err
		}
		cols = append(cols, "_v = substring("+x+", 1)", "_vp = isnotempty("+x+")")
	} else {
		cols = append(cols, `_v = ""`, "_vp = false")
	}
	for j, f := range base.Terms {
		x, err := innerKey(f)
		if err != nil {
			return "", err
		}
		cols = append(cols, p.terms[j]+" = "+x)
	}
	return inner.name("f") + "\n| project " + strings.Join(cols, ", ") + "\n| distinct *", nil
}

// keys are the join and partition columns: the group columns, or a
// constant when the correlation has no group-by.
func (p *corrPrinter) keys() []string {
	if len(p.groups) == 0 {
		return []string{"_k"}
	}
	return p.groups
}

// groupColumns prints the group (and term) columns of a finding under the
// names the correlation gives them: the key with its marker removed.
func (p *corrPrinter) groupColumns() []string {
	var out []string
	for i, name := range p.c.GroupBy {
		out = append(out, Ident(name)+" = substring("+p.groups[i]+", 1)")
	}
	for i, name := range p.c.TermNames {
		out = append(out, Ident(name)+" = substring("+p.terms[i]+", 1)")
	}
	return out
}

func (p *corrPrinter) orderGroups() string {
	var s string
	for _, name := range p.c.GroupBy {
		s += ", " + Ident(name) + " asc"
	}
	return s
}

func fromMicros(x string) string { return "unixtime_microseconds_todatetime(" + x + ")" }

// events prints the matched events, one row per (base rule, matching
// event): _base, _us (microseconds since the epoch, truncated as DuckDB's
// epoch_us), _id, the group keys _g<i>, the value _v with _vp (the value
// is there), the term keys _t<i>; then _rn (the first row of an event id
// in its group, by base) and _num (_v read as a decimal number).
func (p *corrPrinter) events(b *strings.Builder) (string, error) {
	c := p.c
	var subs []string
	for i, base := range c.Bases {
		if base != nil && base.Correlation != nil {
			sub, err := p.chained(b, i, base)
			if err != nil {
				return "", err
			}
			subs = append(subs, sub)
			continue
		}
		if base == nil || base.Rule == nil {
			return "", p.errorf("", "base rule %d is missing", i)
		}
		r := base.Rule
		q, err := New().Compile(r)
		if err != nil {
			return "", err
		}
		pr := &printer{rule: r}
		tcol, err := pr.column(base.Time)
		if err != nil {
			return "", err
		}
		var t expr
		if tcol.kind == kTyped && tcol.typ == ir.Timestamp {
			t = tcol.raw
		} else {
			t = call("todatetime", tcol.raw)
		}
		idcol, err := pr.column(base.ID)
		if err != nil {
			return "", err
		}
		cols := []string{
			"_base = " + strconv.Itoa(i),
			`_us = datetime_diff("microsecond", ` + t.text + `, datetime(1970-01-01))`,
			"_id = " + idcol.text().text,
			"_ok = " + idcol.present().text,
		}
		if len(base.Group) != len(c.GroupBy) || len(base.Terms) != len(c.TermNames) {
			return "", p.errorf("", "base rule %s has %d group fields and %d terms for %d and %d", r.ID, len(base.Group), len(base.Terms), len(c.GroupBy), len(c.TermNames))
		}
		if len(base.Group) == 0 {
			cols = append(cols, "_k = 0")
		}
		for j, g := range base.Group {
			gc, err := pr.column(g)
			if err != nil {
				return "", err
			}
			cols = append(cols, p.groups[j]+" = "+key(gc))
		}
		if base.Value != nil {
			vc, err := pr.column(*base.Value)
			if err != nil {
				return "", err
			}
			cols = append(cols, "_v = "+vc.text().text, "_vp = "+vc.present().text)
		} else {
			cols = append(cols, `_v = ""`, "_vp = false")
		}
		for j, f := range base.Terms {
			tc, err := pr.column(f)
			if err != nil {
				return "", err
			}
			cols = append(cols, p.terms[j]+" = "+key(tc))
		}
		subs = append(subs, q+"\n| project "+strings.Join(cols, ", "))
	}
	var src string
	if len(subs) == 1 {
		src = subs[0]
	} else {
		src = "union\n(" + strings.Join(subs, "),\n(") + ")"
	}
	restart := "prev(_id) != _id"
	for _, k := range p.keys() {
		restart = "prev(" + k + ") != " + k + " or " + restart
	}
	return fmt.Sprintf("%s\n| where isnotnull(_us) and _ok\n| project-away _ok\n| sort by %s asc, _id asc, _base asc, _us asc\n| extend _rn = row_number(1, %s) == 1, _num = iff(_v matches regex %s, toreal(_v), real(null))",
		src, strings.Join(p.keys(), " asc, "), restart, Quote(decimalText)), nil
}

// key prints a group or term value as a partition key that tells an
// absent value (null: "") from every present one ("=" and its text). A
// string column cannot hold null: its "" is the absent value.
func key(c col) string {
	if c.nullable() {
		return `iff(isnull(` + c.raw.text + `), "", strcat("=", ` + c.text().text + `))`
	}
	return `iff(isempty(` + c.raw.text + `), "", strcat("=", ` + c.text().text + `))`
}

// corrAgg is an aggregate: the assignments of a summarize, the extend
// steps that follow it (when the aggregate needs more than one) and the
// expression of the aggregate itself.
type corrAgg struct {
	summarize string
	extend    []string
	value     string
}

// print appends the summarize by keys and the extends, and names the
// aggregate.
func (a corrAgg) print(b *strings.Builder, keys, name string) {
	fmt.Fprintf(b, "| summarize %s by %s\n", a.summarize, keys)
	for _, e := range a.extend {
		fmt.Fprintf(b, "| extend %s\n", e)
	}
	fmt.Fprintf(b, "| extend %s = %s\n", name, a.value)
}

// aggregate is the correlation's aggregate over rows whose columns carry
// the suffix sfx (2 for the right side of the window join).
func (p *corrPrinter) aggregate(sfx string) (corrAgg, error) {
	c := p.c
	num := "_num" + sfx
	counted := "_rn" + sfx + " and isnotnull(" + num + ")"
	switch c.Type {
	case ir.EventCount:
		return corrAgg{summarize: "_a = count_distinct(_id" + sfx + ")", value: "_a"}, nil
	case ir.ValueCount:
		return corrAgg{summarize: "_a = count_distinctif(_v" + sfx + ", _vp" + sfx + ")", value: "_a"}, nil
	case ir.Temporal, ir.TemporalOrdered:
		return corrAgg{summarize: "_a = count_distinct(_base" + sfx + ")", value: "_a"}, nil
	case ir.ValueSum:
		return corrAgg{summarize: "_sum = sumif(" + num + ", " + counted + ")", value: "coalesce(_sum, 0.0)"}, nil
	case ir.ValueAvg:
		return corrAgg{summarize: "_sum = sumif(" + num + ", " + counted + "), _cnt = countif(" + counted + ")",
			value: "iff(_cnt > 0, _sum / _cnt, real(null))"}, nil
	case ir.ValuePercentile:
		q := c.Percentile / 100
		if !(q >= 0 && q <= 1) {
			return corrAgg{}, p.errorf("give a percentile between 0 and 100", "percentile %v is out of range", c.Percentile)
		}
		qs, err := number(strconv.FormatFloat(q, 'g', -1, 64), q)
		if err != nil {
			return corrAgg{}, p.errorf("", "percentile: %v", err)
		}
		// Linear interpolation between the closest ranks of the sorted
		// values, as DuckDB's quantile_cont: KQL's percentile() is an
		// estimate, so the values are sorted and indexed exactly.
		// -ceiling(-x) is floor(x) (KQL's floor() is bin()).
		return corrAgg{summarize: "_l = make_list_if(" + num + ", " + counted + ")",
			extend: []string{
				"_l = array_sort_asc(_l), _pos = " + qs + " * (array_length(_l) - 1)",
				"_lo = tolong(-ceiling(-_pos)), _hi = tolong(ceiling(_pos))",
			},
			value: "iff(array_length(_l) == 0, real(null), toreal(_l[_lo]) + (toreal(_l[_hi]) - toreal(_l[_lo])) * (_pos - _lo))"}, nil
	}
	return corrAgg{}, p.errorf("", "correlation type %s cannot be printed", c.Type)
}

func (p *corrPrinter) thresholds(x string) string {
	ops := map[ir.ThresholdOp]string{ir.TGt: ">", ir.TGte: ">=", ir.TLt: "<", ir.TLte: "<=", ir.TEq: "==", ir.TNeq: "!="}
	var parts []string
	for _, t := range p.c.Thresholds {
		n, err := number(strconv.FormatFloat(t.Value, 'g', -1, 64), t.Value)
		if err != nil {
			n = "real(null)" // unreachable: the front end reads finite numbers
		}
		parts = append(parts, x+" "+ops[t.Op]+" "+n)
	}
	if len(parts) == 0 {
		return "isnotnull(" + x + ")"
	}
	return strings.Join(parts, " and ")
}

// newTimes writes _n: the distinct times of each group and terms whose
// terms no earlier event of the group had within [t - lookback, t).
func (p *corrPrinter) newTimes(b *strings.Builder) {
	look := p.c.Lookback.Microseconds()
	keys := append(append([]string(nil), p.keys()...), p.terms...)
	on := strings.Join(keys, ", ")
	same := "row_number() > 1"
	for _, k := range keys {
		same += " and prev(" + k + ") == " + k
	}
	// The distinct times of each group and terms, so that the previous
	// row is the latest strictly earlier time.
	fmt.Fprintf(b, "let %s = %s\n| summarize by %s, _us\n| sort by %s asc, _us asc\n| extend _new = iff(%s, prev(_us) < _us - %d, true)\n| where _new\n| project %s, _us;\n",
		p.name("n"), p.name("e"), on, strings.Join(keys, " asc, "), same, look, on)
}

// newTerms prints the new_terms findings: one per matched row whose terms
// no earlier event of its group had within [t - lookback, t).
func (p *corrPrinter) newTerms(b *strings.Builder) {
	keys := append(append([]string(nil), p.keys()...), p.terms...)
	on := strings.Join(keys, ", ")
	out := p.groupColumns()
	ts := fromMicros("_us")
	out = append(out, "first_seen = "+ts, "fired_at = "+ts, "last_seen = "+ts, "value = 1", "event_count = 1", "event_ids")
	fmt.Fprintf(b, "_n\n| join kind=inner (_e) on %s, _us\n| summarize event_ids = make_list(_id) by %s, _us, _base, _id\n| project %s\n| sort by fired_at asc, tostring(event_ids) asc", on, on, strings.Join(out, ", "))
}
