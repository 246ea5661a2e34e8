package sql

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/tokenhunt/tokenhunt/compiler/ir"
)

// CorrelationDialect is what a SQL engine needs on top of Dialect to print
// correlations with exact sliding windows: microsecond epochs (so that a
// RANGE frame of span-1 microseconds is exactly the half-open window
// (t - span, t]), ordered lists, percentiles.
type CorrelationDialect struct {
	// EpochMicros reads an event time as microseconds since the epoch;
	// typed says x is a timestamp column, otherwise text (ISO-8601) that
	// may not be a time at all (then NULL, never an error).
	EpochMicros func(x string, typed bool) string
	// TimestampFromMicros turns microseconds back into a timestamp.
	TimestampFromMicros func(x string) string
	// ListAgg collects x ordered by order (already a list of expressions).
	ListAgg func(x, order string) string
	// Quantile is the continuous quantile (linear interpolation) of x as a
	// window and a plain aggregate; nil computes it exactly from the ranks
	// of the numbers (row_number over a self-join), for engines whose only
	// percentile is approximate or takes no window frame.
	Quantile func(x string, q float64) string
	// DistinctWindow reports whether COUNT(DISTINCT x) OVER (... RANGE ...)
	// is allowed; without it the distinct counts over a sliding window are
	// taken over a self-join of the group's events within the timespan.
	DistinctWindow bool
	// JoinWindows says the engine cannot run partitioned RANGE frames with
	// an offset: every sliding window becomes a self-join of the group's
	// events within the timespan, and new_terms compares each event with
	// the previous distinct time of its group and terms (lag).
	JoinWindows bool
	// NoFilter says aggregates take no FILTER clause: the condition goes
	// inside the aggregate (CASE WHEN cond THEN x END), the same for the
	// aggregates used here, which skip NULL.
	NoFilter bool
	// NullSafeEq, when not nil, writes the equality of a and b where NULL
	// equals NULL, for join keys; nil writes a IS NOT DISTINCT FROM b.
	NullSafeEq func(a, b string) string
	// EventIDs, when not nil, collects at most n values of x for which
	// cond holds, ordered by order; nil writes
	// (ListAgg(x, order) FILTER (WHERE cond))[1:n].
	EventIDs func(x, cond, order string, n int) string
	// NoArrayOrder says lists cannot be ordered by: new_terms findings are
	// ordered by their event id rather than by their event_ids list.
	NoArrayOrder bool
	// Double, when not nil, writes a DOUBLE literal for the exact
	// percentile (nil: the shortest decimal text).
	Double func(f float64) string
}

// maxEventIDs bounds the contributing event ids a finding carries.
const maxEventIDs = 100

// SelectCorrelation prints a correlation as one query returning one row
// per finding: the group-by columns (named as the correlation names them),
// first_seen, fired_at, last_seen, value (the aggregate over the
// contributing events), event_count and event_ids (at most 100, by time).
//
// A chained base (ir.Base.Correlation) reads the inner correlation's
// firing rows, before they merge into findings: its CTEs come first in the
// same WITH, named with the prefix b<k>_ of their base (b0_b1_ a level
// deeper), and its firings enter the outer matched rows with the id
// '<inner id>:' || the firing event's id and the inner group columns.
func SelectCorrelation(d Dialect, cd CorrelationDialect, c *ir.Correlation) (string, error) {
	if c == nil {
		return "", &ir.Error{Msg: d.Name + ": no correlation to compile"}
	}
	if cd.EpochMicros == nil {
		return "", &ir.Error{Pos: c.Pos, RuleID: c.ID, Msg: d.Name + ": correlations are not supported yet"}
	}
	l := newCorrLevel(d, cd, c, "")
	var b strings.Builder
	b.WriteString("WITH ")
	from, cond, err := l.firings(&b, map[*ir.Correlation]bool{})
	if err != nil {
		return "", err
	}
	gcols, tcols := l.gcols, l.tcols
	partition, sameGroup, errAt := l.partition, l.sameGroup, l.errAt
	span := c.Timespan.Microseconds()
	if c.Type == ir.NewTerms {
		var out []string
		for i, name := range c.GroupBy {
			out = append(out, gcols[i]+" AS "+d.QuoteIdent(name))
		}
		for i, name := range c.TermNames {
			out = append(out, tcols[i]+" AS "+d.QuoteIdent(name))
		}
		ts := cd.TimestampFromMicros("_us")
		out = append(out, ts+" AS first_seen", ts+" AS fired_at", ts+" AS last_seen", "1 AS value", "1 AS event_count", cd.ListAgg("_id", "_id")+" AS event_ids")
		order := "event_ids"
		if cd.NoArrayOrder {
			order = "_id"
		}
		fmt.Fprintf(&b, "\nSELECT %s\nFROM %s WHERE %s\nGROUP BY %s\nORDER BY fired_at, %s", strings.Join(out, ", "), from, cond, strings.Join(append(append(append([]string(nil), gcols...), tcols...), "_us", "_base", "_id"), ", "), order)
		return b.String(), nil
	}
	firing := "SELECT * FROM " + from + " WHERE " + cond
	order := "ORDER BY _us, _id, _base"
	fmt.Fprintf(&b, ",\nf AS (%s),\n", firing)
	fmt.Fprintf(&b, "i AS (\n  SELECT *, sum(CASE WHEN _prev IS NULL OR _us - _prev >= %d THEN 1 ELSE 0 END) OVER (%s%s ROWS UNBOUNDED PRECEDING) AS _run\n  FROM (SELECT *, lag(_us) OVER (%s%s) AS _prev FROM f) AS fp\n),\n", span, partition(), order, partition(), order)
	fmt.Fprintf(&b, "r AS (\n  SELECT %s_run, min(_us) AS _fired, max(_us) AS _last FROM i GROUP BY %s_run\n)", prefixed(gcols, ""), prefixed(gcols, ""))

	// The findings: every event of the group inside the merged windows.
	on := append(sameGroup("e", "r", gcols), fmt.Sprintf("e._us > r._fired - %d", span), "e._us <= r._last")
	join := "r JOIN e ON " + strings.Join(on, " AND ")
	var value string
	if c.Type == ir.ValuePercentile && cd.Quantile == nil {
		// The exact percentile of each finding's numbers, joined by
		// group and run.
		keys := append(append([]string(nil), gcols...), "_run")
		fmt.Fprintf(&b, ",\nfj AS (SELECT %sr._run, e._num FROM %s WHERE e._rn = 1 AND e._num IS NOT NULL),\n", prefixed(gcols, "r."), join)
		b.WriteString(exactQuantile(cd, "fv", "SELECT * FROM fj", keys, c.Percentile/100, "_p"))
		join += " LEFT JOIN fv ON " + strings.Join(append(sameGroup("fv", "r", gcols), "fv._run = r._run"), " AND ")
		value = "max(fv._p)"
	} else {
		var err error
		value, err = finalAggregate(c, cd)
		if err != nil {
			return "", errAt("%v", err)
		}
	}
	b.WriteString("\n")
	var out []string
	for i, name := range c.GroupBy {
		out = append(out, "r."+gcols[i]+" AS "+d.QuoteIdent(name))
	}
	out = append(out,
		cd.TimestampFromMicros("min(e._us)")+" AS first_seen",
		cd.TimestampFromMicros("r._fired")+" AS fired_at",
		cd.TimestampFromMicros("r._last")+" AS last_seen",
		value+" AS value",
		"count(DISTINCT e._id) AS event_count",
		eventIDs(cd, "e._id", "e._rn = 1", "e._us, e._id", maxEventIDs)+" AS event_ids",
	)
	fmt.Fprintf(&b, "SELECT %s\nFROM %s\nGROUP BY %sr._run, r._fired, r._last\nORDER BY fired_at%s",
		strings.Join(out, ", "), join, prefixed(gcols, "r."), orderGroups(c, d))
	return b.String(), nil
}

// corrLevel prints one correlation of a chain (the outermost has the empty
// prefix): its CTE names all start with pre.
type corrLevel struct {
	d            Dialect
	cd           CorrelationDialect
	c            *ir.Correlation
	pre          string
	gcols, tcols []string
}

func newCorrLevel(d Dialect, cd CorrelationDialect, c *ir.Correlation, pre string) *corrLevel {
	l := &corrLevel{d: d, cd: cd, c: c, pre: pre}
	for i := range c.GroupBy {
		l.gcols = append(l.gcols, "_g"+strconv.Itoa(i))
	}
	for i := range c.TermNames {
		l.tcols = append(l.tcols, "_t"+strconv.Itoa(i))
	}
	return l
}

func (l *corrLevel) errAt(format string, args ...any) error {
	return &ir.Error{Pos: l.c.Pos, RuleID: l.c.ID, Msg: l.d.Name + ": " + fmt.Sprintf(format, args...)}
}

// partition is the PARTITION BY of the group columns and extra.
func (l *corrLevel) partition(extra ...string) string {
	cols := append(append([]string(nil), l.gcols...), extra...)
	if len(cols) == 0 {
		return ""
	}
	return "PARTITION BY " + strings.Join(cols, ", ") + " "
}

func (l *corrLevel) eq(a, b string) string {
	if l.cd.NullSafeEq != nil {
		return l.cd.NullSafeEq(a, b)
	}
	return a + " IS NOT DISTINCT FROM " + b
}

// sameGroup is the join condition of rows of x and y of one group.
func (l *corrLevel) sameGroup(x, y string, cols []string) []string {
	var on []string
	for _, g := range cols {
		on = append(on, l.eq(x+"."+g, y+"."+g))
	}
	return on
}

// firings writes the CTEs of the level (inner levels first), from its
// matched events to its firing rows, and returns where the firing rows
// are: SELECT * FROM from WHERE cond. For new_terms each new event is a
// firing. active holds the correlations being printed, to refuse a cycle
// that the front end let through.
func (l *corrLevel) firings(b *strings.Builder, active map[*ir.Correlation]bool) (from, cond string, err error) {
	c, d, cd, n := l.c, l.d, l.cd, func(s string) string { return l.pre + s }
	if active[c] {
		return "", "", l.errAt("correlation %s reads its own firings (a cycle of chained correlations)", c.Ref())
	}
	active[c] = true
	defer delete(active, c)
	if len(c.Bases) == 0 {
		return "", "", l.errAt("correlation has no base rules")
	}
	span := c.Timespan.Microseconds()
	gcols, tcols, partition, sameGroup := l.gcols, l.tcols, l.partition, l.sameGroup

	// matched: one row per (base rule, matching event); for a chained
	// base, one per (inner firing event, group).
	var selects []string
	for i, base := range c.Bases {
		if base == nil || (base.Rule == nil && base.Correlation == nil) {
			return "", "", l.errAt("base rule %d is missing", i+1)
		}
		if base.Correlation != nil {
			sel, err := l.chained(b, i, base, active)
			if err != nil {
				return "", "", err
			}
			selects = append(selects, sel)
			continue
		}
		cond, err := Where(d, base.Rule)
		if err != nil {
			return "", "", err
		}
		col := func(f ir.Field) (string, error) { return Column(d, base.Rule, f) }
		timeX, err := col(base.Time)
		if err != nil {
			return "", "", err
		}
		idX, err := col(base.ID)
		if err != nil {
			return "", "", err
		}
		typed := base.Time.Column != nil && base.Time.Column.Type == ir.Timestamp && len(base.Time.Column.JSON) == 0
		cols := []string{
			strconv.Itoa(i) + " AS _base",
			cd.EpochMicros(timeX, typed) + " AS _us",
			d.CastString(idX) + " AS _id",
		}
		for j, g := range base.Group {
			x, err := col(g)
			if err != nil {
				return "", "", err
			}
			cols = append(cols, d.CastString(x)+" AS "+gcols[j])
		}
		if base.Value != nil {
			x, err := col(*base.Value)
			if err != nil {
				return "", "", err
			}
			cols = append(cols, d.CastString(x)+" AS _v")
		} else {
			cols = append(cols, d.CastString("NULL")+" AS _v")
		}
		for j, f := range base.Terms {
			x, err := col(f)
			if err != nil {
				return "", "", err
			}
			cols = append(cols, d.CastString(x)+" AS "+tcols[j])
		}
		selects = append(selects, "SELECT "+strings.Join(cols, ", ")+" FROM "+d.Table(base.Rule.Table)+" WHERE "+cond)
	}
	b.WriteString(n("matched") + " AS (\n  ")
	b.WriteString(strings.Join(selects, "\n  UNION ALL\n  "))
	b.WriteString("\n),\n")
	// e: events with a time and an id; _rn marks the first row of an event
	// that several base rules matched; _num is _v read as a number.
	num := d.TryCastDouble("_v")
	switch {
	case c.Type != ir.ValueSum && c.Type != ir.ValueAvg && c.Type != ir.ValuePercentile:
		// Only these read numbers: the others skip a regular expression
		// on every event.
		num = d.TryCastDouble("NULL")
	case !d.StrictNumbers:
		quote := d.QuoteString
		if d.QuoteRegex != nil {
			quote = d.QuoteRegex
		}
		num = "CASE WHEN " + d.RegexpMatches("_v", quote(decimalText)) + " THEN " + num + " END"
	}
	fmt.Fprintf(b, "%s AS (\n  SELECT *, row_number() OVER (PARTITION BY %s_id ORDER BY _base) AS _rn,\n    %s AS _num\n  FROM %s WHERE _us IS NOT NULL AND _id IS NOT NULL\n)", n("e"), prefixed(gcols, ""), num, n("matched"))

	if c.Type == ir.NewTerms {
		look := c.Lookback.Microseconds()
		if cd.JoinWindows {
			// An event's terms were seen within [t - lookback, t) when the
			// previous distinct time of its group and terms is in it.
			keys := append(append([]string(nil), gcols...), tcols...)
			on := append(sameGroup("e", "nt", keys), "nt._us = e._us")
			fmt.Fprintf(b, ",\n%s AS (\n  SELECT %s_us, lag(_us) OVER (%sORDER BY _us) AS _p FROM (SELECT DISTINCT %s_us FROM %s) AS d\n),\n", n("nt"), prefixed(keys, ""), partition(tcols...), prefixed(keys, ""), n("e"))
			fmt.Fprintf(b, "%s AS (\n  SELECT e.*, CASE WHEN nt._p IS NULL OR e._us - nt._p > %d THEN 0 ELSE 1 END AS _prior\n  FROM %s JOIN %s ON %s\n)", n("w"), look, alias(n("e"), "e"), alias(n("nt"), "nt"), strings.Join(on, " AND "))
		} else {
			fmt.Fprintf(b, ",\n%s AS (\n  SELECT *, count(*) OVER (%sORDER BY _us RANGE BETWEEN %d PRECEDING AND 1 PRECEDING) AS _prior FROM %s\n)", n("w"), partition(tcols...), look, n("e"))
		}
		return n("w"), "_prior = 0", nil
	}

	window := fmt.Sprintf("(%sORDER BY _us RANGE BETWEEN %d PRECEDING AND CURRENT ROW)", partition(), span-1)
	switch c.Type {
	case ir.TemporalOrdered:
		prev := n("e")
		for k := range c.Bases {
			s := "_s" + strconv.Itoa(k)
			var expr string
			if k == 0 {
				expr = "CASE WHEN _base = 0 THEN _us END"
			} else {
				expr = fmt.Sprintf("CASE WHEN _base = %d THEN max(_s%d) OVER (%sORDER BY _us RANGE BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) END", k, k-1, partition())
			}
			fmt.Fprintf(b, ",\n%s AS (SELECT *, %s AS %s FROM %s)", n("c"+strconv.Itoa(k)), expr, s, prev)
			prev = n("c" + strconv.Itoa(k))
		}
		last := len(c.Bases) - 1
		return prev, fmt.Sprintf("_base = %d AND _s%d > _us - %d", last, last, span), nil
	}
	if windowByJoin(c, cd) {
		// The aggregate at each distinct end time of a group, over the
		// group's events in (end - span, end], by a self-join.
		on := append(sameGroup("y", "x", gcols), fmt.Sprintf("y._us > x._us - %d", span), "y._us <= x._us")
		fmt.Fprintf(b, ",\n%s AS (SELECT DISTINCT %s_us FROM %s),\n", n("ends"), prefixed(gcols, ""), n("e"))
		fmt.Fprintf(b, "%s AS (\n  SELECT %sx._us, y._id, y._v, y._base, y._rn, y._num\n  FROM %s AS x JOIN %s AS y ON %s\n),\n", n("wj"), prefixed(gcols, "x."), n("ends"), n("e"), strings.Join(on, " AND "))
		keys := append(append([]string(nil), gcols...), "_us")
		if c.Type == ir.ValuePercentile {
			b.WriteString(exactQuantile(cd, n("wa"), "SELECT "+prefixed(keys, "")+"_num FROM "+n("wj")+" WHERE _rn = 1 AND _num IS NOT NULL", keys, c.Percentile/100, "_agg"))
		} else {
			agg, err := plainAggregate(c, cd, "")
			if err != nil {
				return "", "", l.errAt("%v", err)
			}
			fmt.Fprintf(b, "%s AS (SELECT %s%s AS _agg FROM %s GROUP BY %s)", n("wa"), prefixed(keys, ""), agg, n("wj"), strings.Join(keys, ", "))
		}
		won := append(sameGroup("wa", "e", gcols), "wa._us = e._us")
		fmt.Fprintf(b, ",\n%s AS (\n  SELECT e.*, wa._agg FROM %s LEFT JOIN %s ON %s\n)", n("w"), alias(n("e"), "e"), alias(n("wa"), "wa"), strings.Join(won, " AND "))
	} else {
		agg, err := windowAggregate(c, cd)
		if err != nil {
			return "", "", l.errAt("%v", err)
		}
		agg += " OVER " + window
		if c.Type == ir.ValueSum {
			agg = "coalesce(" + agg + ", 0)" // a sum of no numbers is 0
		}
		fmt.Fprintf(b, ",\n%s AS (\n  SELECT *, %s AS _agg FROM %s\n)", n("w"), agg, n("e"))
	}
	return n("w"), thresholds(c, "_agg"), nil
}

// chained writes the CTEs of the inner correlation of base i (prefix
// pre+"b<i>_") and returns the select of its firings as matched rows of
// this level: base i, the firing time, the id '<inner ref>:' || event id,
// and the inner group columns this level reads as group, value and terms.
func (l *corrLevel) chained(b *strings.Builder, i int, base *ir.Base, active map[*ir.Correlation]bool) (string, error) {
	inner := newCorrLevel(l.d, l.cd, base.Correlation, l.pre+"b"+strconv.Itoa(i)+"_")
	from, cond, err := inner.firings(b, active)
	if err != nil {
		return "", err
	}
	b.WriteString(",\n")
	innerCol := func(f ir.Field) (string, error) {
		k := base.Correlation.GroupIndex(f.Name)
		if k < 0 {
			return "", l.errAt("field %s is not a group-by field of correlation %s", f.Name, base.Correlation.Ref())
		}
		return inner.gcols[k], nil
	}
	if len(base.Group) != len(l.gcols) || len(base.Terms) != len(l.tcols) {
		return "", l.errAt("base %d has %d group fields and %d terms for %d and %d", i+1, len(base.Group), len(base.Terms), len(l.gcols), len(l.tcols))
	}
	cols := []string{
		strconv.Itoa(i) + " AS _base",
		"_us",
		l.d.QuoteString(base.Correlation.Ref()+":") + " || _id AS _id",
	}
	for j, g := range base.Group {
		x, err := innerCol(g)
		if err != nil {
			return "", err
		}
		cols = append(cols, x+" AS "+l.gcols[j])
	}
	if base.Value != nil {
		x, err := innerCol(*base.Value)
		if err != nil {
			return "", err
		}
		cols = append(cols, x+" AS _v")
	} else {
		cols = append(cols, l.d.CastString("NULL")+" AS _v")
	}
	for j, f := range base.Terms {
		x, err := innerCol(f)
		if err != nil {
			return "", err
		}
		cols = append(cols, x+" AS "+l.tcols[j])
	}
	// An event that several inner base rules matched fires once.
	return "SELECT DISTINCT " + strings.Join(cols, ", ") + " FROM " + from + " WHERE " + cond, nil
}

// alias names a CTE in a FROM clause: "name AS a", or "a" when they are
// the same.
func alias(name, a string) string {
	if name == a {
		return a
	}
	return name + " AS " + a
}

func prefixed(cols []string, p string) string {
	var s string
	for _, c := range cols {
		s += p + c + ", "
	}
	return s
}

func orderGroups(c *ir.Correlation, d Dialect) string {
	var s string
	for _, name := range c.GroupBy {
		s += ", " + d.QuoteIdent(name)
	}
	return s
}

// windowByJoin reports whether the sliding-window aggregate of c is taken
// over a self-join rather than a RANGE frame.
func windowByJoin(c *ir.Correlation, cd CorrelationDialect) bool {
	switch {
	case cd.JoinWindows:
		return true
	case c.Type == ir.EventCount || c.Type == ir.ValueCount || c.Type == ir.Temporal:
		return !cd.DistinctWindow
	case c.Type == ir.ValuePercentile:
		return cd.Quantile == nil
	}
	return false
}

// filtered applies the aggregate fn to x over the rows where cond holds.
func filtered(cd CorrelationDialect, fn, x, cond string) string {
	if cd.NoFilter {
		return fn + "(CASE WHEN " + cond + " THEN " + x + " END)"
	}
	return fn + "(" + x + ") FILTER (WHERE " + cond + ")"
}

func eventIDs(cd CorrelationDialect, x, cond, order string, n int) string {
	if cd.EventIDs != nil {
		return cd.EventIDs(x, cond, order, n)
	}
	return fmt.Sprintf("(%s FILTER (WHERE %s))[1:%d]", cd.ListAgg(x, order), cond, n)
}

// windowAggregate is the aggregate over the sliding window at each event.
func windowAggregate(c *ir.Correlation, cd CorrelationDialect) (string, error) {
	switch c.Type {
	case ir.EventCount:
		return "count(DISTINCT _id)", nil
	case ir.ValueCount:
		return "count(DISTINCT _v)", nil
	case ir.ValueSum:
		return filtered(cd, "sum", "_num", "_rn = 1"), nil
	case ir.ValueAvg:
		return filtered(cd, "avg", "_num", "_rn = 1"), nil
	case ir.ValuePercentile:
		if cd.Quantile == nil {
			return "", fmt.Errorf("no percentile function")
		}
		return cd.Quantile("_num", c.Percentile/100) + " FILTER (WHERE _rn = 1)", nil
	case ir.Temporal:
		return "count(DISTINCT _base)", nil
	}
	return "", fmt.Errorf("unknown correlation type %s", c.Type)
}

// plainAggregate is the aggregate of the rows of a group (table alias p,
// "" for none) for every type but the percentile.
func plainAggregate(c *ir.Correlation, cd CorrelationDialect, p string) (string, error) {
	switch c.Type {
	case ir.EventCount:
		return "count(DISTINCT " + p + "_id)", nil
	case ir.ValueCount:
		return "count(DISTINCT " + p + "_v)", nil
	case ir.ValueSum:
		return "coalesce(" + filtered(cd, "sum", p+"_num", p+"_rn = 1") + ", 0)", nil
	case ir.ValueAvg:
		return filtered(cd, "avg", p+"_num", p+"_rn = 1"), nil
	case ir.Temporal, ir.TemporalOrdered:
		return "count(DISTINCT " + p + "_base)", nil
	}
	return "", fmt.Errorf("unknown correlation type %s", c.Type)
}

// finalAggregate is the aggregate over all contributing events of a
// finding (table alias e).
func finalAggregate(c *ir.Correlation, cd CorrelationDialect) (string, error) {
	if c.Type == ir.ValuePercentile {
		return cd.Quantile("e._num", c.Percentile/100) + " FILTER (WHERE e._rn = 1)", nil
	}
	return plainAggregate(c, cd, "e.")
}

// exactQuantile writes two CTEs, name+"k" and name, that give the
// continuous quantile q of the numbers _num of src for each value of keys,
// as column out: with the n numbers ranked 1..n, at P = q*(n-1) it is
// v[floor(P)+1] + (v[ceil(P)+1] - v[floor(P)+1]) * (P - floor(P)), the
// linear interpolation of DuckDB's quantile_cont and of the reference.
func exactQuantile(cd CorrelationDialect, name, src string, keys []string, q float64, out string) string {
	lit := strconv.FormatFloat(q, 'g', -1, 64)
	if cd.Double != nil {
		lit = cd.Double(q)
	}
	k := strings.Join(keys, ", ")
	pos := lit + " * (_n - 1)"
	at := func(rank string) string { return "min(CASE WHEN _k = " + rank + " + 1 THEN _num END)" }
	lo, hi := at("floor("+pos+")"), at("ceil("+pos+")")
	return fmt.Sprintf("%sk AS (\n  SELECT %s, _num, row_number() OVER (PARTITION BY %s ORDER BY _num) AS _k, count(*) OVER (PARTITION BY %s) AS _n FROM (%s) AS s\n),\n%s AS (\n  SELECT %s, %s + (%s - %s) * (%s - floor(%s)) AS %s FROM %sk GROUP BY %s, _n\n)",
		name, k, k, k, src, name, k, lo, hi, lo, pos, pos, out, name, k)
}

func thresholds(c *ir.Correlation, x string) string {
	ops := map[ir.ThresholdOp]string{ir.TGt: ">", ir.TGte: ">=", ir.TLt: "<", ir.TLte: "<=", ir.TEq: "=", ir.TNeq: "<>"}
	var parts []string
	for _, t := range c.Thresholds {
		parts = append(parts, x+" "+ops[t.Op]+" "+strconv.FormatFloat(t.Value, 'g', -1, 64))
	}
	if len(parts) == 0 {
		return x + " IS NOT NULL"
	}
	return strings.Join(parts, " AND ")
}
