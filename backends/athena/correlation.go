package athena

import (
	"fmt"
	"strconv"

	"github.com/tokenhunt/tokenhunt/backends/sql"
	"github.com/tokenhunt/tokenhunt/compiler/ir"
)

// CorrelationDialect is what Trino adds for correlations, with the exact
// sliding windows of DuckDB's queries (https://trino.io/docs/current/functions/window.html):
//
//   - event times as BIGINT microseconds, round(to_unixtime(ts) * 1e6)
//     (exact for microsecond times: a double's step near today's epoch
//     seconds is below a quarter microsecond), text read as ISO-8601 with
//     try(from_iso8601_timestamp_nanos(...)) and the forms timePart takes;
//     back with from_unixtime_nanos;
//   - RANGE frames with a numeric offset over the BIGINT microseconds for
//     sums, averages and new_terms;
//   - window functions take no DISTINCT (trinodb/trino#7885): distinct
//     counts over a sliding window are a self-join of the group's events
//     in (t - timespan, t];
//   - approx_percentile is approximate: the percentile is exact, from the
//     ranks of the numbers (row_number) over the same self-join;
//   - conditions of window aggregates go inside them (CASE); the event ids
//     are slice(array_agg(... ORDER BY ...) FILTER (WHERE ...), 1, 100).
func CorrelationDialect() sql.CorrelationDialect {
	return sql.CorrelationDialect{
		EpochMicros: func(x string, typed bool) string {
			ts := x
			if !typed {
				s := "CAST(" + x + " AS VARCHAR)"
				ts = "COALESCE(try(from_iso8601_timestamp_nanos(" + s + ")), try(from_iso8601_timestamp(" + s + ")), try(CAST(" + s + " AS TIMESTAMP WITH TIME ZONE)))"
			}
			return "CAST(round(to_unixtime(" + ts + ") * 1000000) AS BIGINT)"
		},
		TimestampFromMicros: func(x string) string { return "from_unixtime_nanos(" + x + " * 1000)" },
		ListAgg:             func(x, order string) string { return "array_agg(" + x + " ORDER BY " + order + ")" },
		NoFilter:            true,
		EventIDs: func(x, cond, order string, n int) string {
			return "slice(array_agg(" + x + " ORDER BY " + order + ") FILTER (WHERE " + cond + "), 1, " + strconv.Itoa(n) + ")"
		},
		Double: func(f float64) string { return "DOUBLE '" + strconv.FormatFloat(f, 'g', -1, 64) + "'" },
	}
}

// CompileCorrelation prints a correlation as one Trino query returning one
// row per finding. Its errors are *ir.Error, among them a query longer
// than Athena accepts.
func (Backend) CompileCorrelation(c *ir.Correlation) (string, error) {
	q, err := sql.SelectCorrelation(Dialect(), CorrelationDialect(), c)
	if err != nil {
		return "", err
	}
	if len(q) > MaxQueryBytes {
		return "", &ir.Error{Pos: c.Pos, RuleID: c.ID,
			Msg:  fmt.Sprintf("athena: the query is %d bytes long, more than the %d bytes Athena accepts", len(q), MaxQueryBytes),
			Hint: "split the base rules into smaller rules"}
	}
	return q, nil
}
