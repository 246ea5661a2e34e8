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
	// Quantile is the continuous quantile (linear interpolation) of x.
	Quantile func(x string, q float64) string
	// DistinctWindow reports whether COUNT(DISTINCT x) OVER (... RANGE ...)
	// is allowed.
	DistinctWindow bool
}

// maxEventIDs bounds the contributing event ids a finding carries.
const maxEventIDs = 100

// SelectCorrelation prints a correlation as one query returning one row
// per finding: the group-by columns (named as the correlation names them),
// first_seen, fired_at, last_seen, value (the aggregate over the
// contributing events), event_count and event_ids (at most 100, by time).
func SelectCorrelation(d Dialect, cd CorrelationDialect, c *ir.Correlation) (string, error) {
	errAt := func(format string, args ...any) error {
		return &ir.Error{Pos: c.Pos, RuleID: c.ID, Msg: d.Name + ": " + fmt.Sprintf(format, args...)}
	}
	if cd.EpochMicros == nil {
		return "", errAt("correlations are not supported yet")
	}
	if len(c.Bases) == 0 {
		return "", errAt("correlation has no base rules")
	}
	if !cd.DistinctWindow && (c.Type == ir.EventCount || c.Type == ir.ValueCount || c.Type == ir.Temporal) {
		return "", errAt("%s needs COUNT(DISTINCT) over a sliding window, which this engine lacks", c.Type)
	}
	span := c.Timespan.Microseconds()
	ngroup := len(c.GroupBy)
	gcols := make([]string, ngroup)
	for i := range gcols {
		gcols[i] = "_g" + strconv.Itoa(i)
	}
	var tcols []string
	for i := range c.TermNames {
		tcols = append(tcols, "_t"+strconv.Itoa(i))
	}
	partition := func(extra ...string) string {
		cols := append(append([]string(nil), gcols...), extra...)
		if len(cols) == 0 {
			return ""
		}
		return "PARTITION BY " + strings.Join(cols, ", ") + " "
	}

	// events: one row per (base rule, matching event).
	var selects []string
	for i, b := range c.Bases {
		cond, err := Where(d, b.Rule)
		if err != nil {
			return "", err
		}
		col := func(f ir.Field) (string, error) { return Column(d, b.Rule, f) }
		timeX, err := col(b.Time)
		if err != nil {
			return "", err
		}
		idX, err := col(b.ID)
		if err != nil {
			return "", err
		}
		typed := b.Time.Column != nil && b.Time.Column.Type == ir.Timestamp && len(b.Time.Column.JSON) == 0
		cols := []string{
			strconv.Itoa(i) + " AS _base",
			cd.EpochMicros(timeX, typed) + " AS _us",
			d.CastString(idX) + " AS _id",
		}
		for j, g := range b.Group {
			x, err := col(g)
			if err != nil {
				return "", err
			}
			cols = append(cols, d.CastString(x)+" AS "+gcols[j])
		}
		if b.Value != nil {
			x, err := col(*b.Value)
			if err != nil {
				return "", err
			}
			cols = append(cols, d.CastString(x)+" AS _v")
		} else {
			cols = append(cols, "CAST(NULL AS VARCHAR) AS _v")
		}
		for j, f := range b.Terms {
			x, err := col(f)
			if err != nil {
				return "", err
			}
			cols = append(cols, d.CastString(x)+" AS "+tcols[j])
		}
		selects = append(selects, "SELECT "+strings.Join(cols, ", ")+" FROM "+d.Table(b.Rule.Table)+" WHERE "+cond)
	}
	var b strings.Builder
	b.WriteString("WITH matched AS (\n  ")
	b.WriteString(strings.Join(selects, "\n  UNION ALL\n  "))
	b.WriteString("\n),\n")
	// e: events with a time and an id; _rn marks the first row of an event
	// that several base rules matched; _num is _v read as a number.
	decimal := d.RegexpMatches("_v", d.QuoteString(decimalText))
	fmt.Fprintf(&b, "e AS (\n  SELECT *, row_number() OVER (PARTITION BY %s_id ORDER BY _base) AS _rn,\n    CASE WHEN %s THEN %s END AS _num\n  FROM matched WHERE _us IS NOT NULL AND _id IS NOT NULL\n)", prefixed(gcols, ""), decimal, d.TryCastDouble("_v"))

	if c.Type == ir.NewTerms {
		look := c.Lookback.Microseconds()
		fmt.Fprintf(&b, ",\nw AS (\n  SELECT *, count(*) OVER (%sORDER BY _us RANGE BETWEEN %d PRECEDING AND 1 PRECEDING) AS _prior FROM e\n)\n", partition(tcols...), look)
		var out []string
		for i, name := range c.GroupBy {
			out = append(out, gcols[i]+" AS "+d.QuoteIdent(name))
		}
		for i, name := range c.TermNames {
			out = append(out, tcols[i]+" AS "+d.QuoteIdent(name))
		}
		ts := cd.TimestampFromMicros("_us")
		out = append(out, ts+" AS first_seen", ts+" AS fired_at", ts+" AS last_seen", "1 AS value", "1 AS event_count", cd.ListAgg("_id", "_id")+" AS event_ids")
		fmt.Fprintf(&b, "SELECT %s\nFROM w WHERE _prior = 0\nGROUP BY %s\nORDER BY fired_at, event_ids", strings.Join(out, ", "), strings.Join(append(append(append([]string(nil), gcols...), tcols...), "_us", "_base", "_id"), ", "))
		return b.String(), nil
	}

	window := fmt.Sprintf("(%sORDER BY _us RANGE BETWEEN %d PRECEDING AND CURRENT ROW)", partition(), span-1)
	var firing string
	switch c.Type {
	case ir.TemporalOrdered:
		prev := "e"
		for k := range c.Bases {
			s := "_s" + strconv.Itoa(k)
			var expr string
			if k == 0 {
				expr = "CASE WHEN _base = 0 THEN _us END"
			} else {
				expr = fmt.Sprintf("CASE WHEN _base = %d THEN max(_s%d) OVER (%sORDER BY _us RANGE BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) END", k, k-1, partition())
			}
			fmt.Fprintf(&b, ",\nc%d AS (SELECT *, %s AS %s FROM %s)", k, expr, s, prev)
			prev = "c" + strconv.Itoa(k)
		}
		last := len(c.Bases) - 1
		firing = fmt.Sprintf("SELECT * FROM %s WHERE _base = %d AND _s%d > _us - %d", prev, last, last, span)
	default:
		agg, err := windowAggregate(c, cd)
		if err != nil {
			return "", errAt("%v", err)
		}
		agg += " OVER " + window
		if c.Type == ir.ValueSum {
			agg = "coalesce(" + agg + ", 0)" // a sum of no numbers is 0
		}
		fmt.Fprintf(&b, ",\nw AS (\n  SELECT *, %s AS _agg FROM e\n)", agg)
		firing = "SELECT * FROM w WHERE " + thresholds(c, "_agg")
	}
	order := "ORDER BY _us, _id, _base"
	fmt.Fprintf(&b, ",\nf AS (%s),\n", firing)
	fmt.Fprintf(&b, "i AS (\n  SELECT *, sum(CASE WHEN _prev IS NULL OR _us - _prev >= %d THEN 1 ELSE 0 END) OVER (%s%s ROWS UNBOUNDED PRECEDING) AS _run\n  FROM (SELECT *, lag(_us) OVER (%s%s) AS _prev FROM f) AS fp\n),\n", span, partition(), order, partition(), order)
	fmt.Fprintf(&b, "r AS (\n  SELECT %s_run, min(_us) AS _fired, max(_us) AS _last FROM i GROUP BY %s_run\n)\n", prefixed(gcols, ""), prefixed(gcols, ""))

	// The findings: every event of the group inside the merged windows.
	var on []string
	for _, g := range gcols {
		on = append(on, "e."+g+" IS NOT DISTINCT FROM r."+g)
	}
	on = append(on, fmt.Sprintf("e._us > r._fired - %d", span), "e._us <= r._last")
	var out []string
	for i, name := range c.GroupBy {
		out = append(out, "r."+gcols[i]+" AS "+d.QuoteIdent(name))
	}
	value, err := finalAggregate(c, cd)
	if err != nil {
		return "", errAt("%v", err)
	}
	out = append(out,
		cd.TimestampFromMicros("min(e._us)")+" AS first_seen",
		cd.TimestampFromMicros("r._fired")+" AS fired_at",
		cd.TimestampFromMicros("r._last")+" AS last_seen",
		value+" AS value",
		"count(DISTINCT e._id) AS event_count",
		fmt.Sprintf("(%s FILTER (WHERE e._rn = 1))[1:%d] AS event_ids", cd.ListAgg("e._id", "e._us, e._id"), maxEventIDs),
	)
	fmt.Fprintf(&b, "SELECT %s\nFROM r JOIN e ON %s\nGROUP BY %sr._run, r._fired, r._last\nORDER BY fired_at%s",
		strings.Join(out, ", "), strings.Join(on, " AND "), prefixed(gcols, "r."), orderGroups(c, d))
	return b.String(), nil
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

// windowAggregate is the aggregate over the sliding window at each event.
func windowAggregate(c *ir.Correlation, cd CorrelationDialect) (string, error) {
	switch c.Type {
	case ir.EventCount:
		return "count(DISTINCT _id)", nil
	case ir.ValueCount:
		return "count(DISTINCT _v)", nil
	case ir.ValueSum:
		return "sum(_num) FILTER (WHERE _rn = 1)", nil
	case ir.ValueAvg:
		return "avg(_num) FILTER (WHERE _rn = 1)", nil
	case ir.ValuePercentile:
		return cd.Quantile("_num", c.Percentile/100) + " FILTER (WHERE _rn = 1)", nil
	case ir.Temporal:
		return "count(DISTINCT _base)", nil
	}
	return "", fmt.Errorf("unknown correlation type %s", c.Type)
}

// finalAggregate is the aggregate over all contributing events of a
// finding (table alias e).
func finalAggregate(c *ir.Correlation, cd CorrelationDialect) (string, error) {
	switch c.Type {
	case ir.EventCount:
		return "count(DISTINCT e._id)", nil
	case ir.ValueCount:
		return "count(DISTINCT e._v)", nil
	case ir.ValueSum:
		return "coalesce(sum(e._num) FILTER (WHERE e._rn = 1), 0)", nil
	case ir.ValueAvg:
		return "avg(e._num) FILTER (WHERE e._rn = 1)", nil
	case ir.ValuePercentile:
		return cd.Quantile("e._num", c.Percentile/100) + " FILTER (WHERE e._rn = 1)", nil
	case ir.Temporal, ir.TemporalOrdered:
		return "count(DISTINCT e._base)", nil
	}
	return "", fmt.Errorf("unknown correlation type %s", c.Type)
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
