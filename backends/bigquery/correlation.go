package bigquery

import (
	"strconv"

	"github.com/tokenhunt/tokenhunt/backends/sql"
	"github.com/tokenhunt/tokenhunt/compiler/ir"
)

// CorrelationDialect is what GoogleSQL adds for correlations, with the
// exact sliding windows of DuckDB's queries
// (https://cloud.google.com/bigquery/docs/reference/standard-sql/window-function-calls):
//
//   - event times as INT64 microseconds with UNIX_MICROS (text read with
//     SAFE_CAST(x AS TIMESTAMP), NULL when it is no time), back with
//     TIMESTAMP_MICROS;
//   - aggregate window functions take no DISTINCT with an ORDER BY or a
//     frame, PERCENTILE_CONT takes no frame, and the BigQuery emulator
//     (SQLite underneath) rejects RANGE frames with an offset inside a
//     PARTITION BY: every sliding window is a self-join of the group's
//     events in (t - timespan, t], and new_terms compares each event with
//     the previous distinct time of its group and terms (LAG);
//   - the percentile is exact: ranks of the numbers (ROW_NUMBER) with the
//     linear interpolation of PERCENTILE_CONT;
//   - no FILTER clause: conditions go inside the aggregate (CASE), and the
//     event ids are ARRAY_AGG(IF(...) IGNORE NULLS ORDER BY ... LIMIT 100);
//     arrays cannot be ordered by, so new_terms findings are ordered by
//     their event id;
//   - group keys are joined on IFNULL(CONCAT('v', x), 'n'), an equality
//     where NULL equals NULL that stays a hash-join key.
func CorrelationDialect() sql.CorrelationDialect {
	return sql.CorrelationDialect{
		EpochMicros: func(x string, typed bool) string {
			if typed {
				return "UNIX_MICROS(" + x + ")"
			}
			return "UNIX_MICROS(SAFE_CAST(" + x + " AS TIMESTAMP))"
		},
		TimestampFromMicros: func(x string) string { return "TIMESTAMP_MICROS(" + x + ")" },
		ListAgg:             func(x, order string) string { return "ARRAY_AGG(" + x + " ORDER BY " + order + ")" },
		JoinWindows:         true,
		NoFilter:            true,
		NoArrayOrder:        true,
		NullSafeEq: func(a, b string) string {
			return "IFNULL(CONCAT('v', " + a + "), 'n') = IFNULL(CONCAT('v', " + b + "), 'n')"
		},
		EventIDs: func(x, cond, order string, n int) string {
			return "ARRAY_AGG(IF(" + cond + ", " + x + ", NULL) IGNORE NULLS ORDER BY " + order + " LIMIT " + strconv.Itoa(n) + ")"
		},
		Double: func(f float64) string { return "CAST(" + strconv.FormatFloat(f, 'g', -1, 64) + " AS FLOAT64)" },
	}
}

// CompileCorrelation prints a correlation as one GoogleSQL query returning
// one row per finding. Its errors are *ir.Error.
func (Backend) CompileCorrelation(c *ir.Correlation) (string, error) {
	if c == nil {
		return "", &ir.Error{Msg: "bigquery: no correlation to compile"}
	}
	for _, b := range c.RuleBases() {
		if b == nil || b.Rule == nil {
			continue // SelectCorrelation reports it
		}
		if err := checkJSONKeys(b.Rule); err != nil {
			return "", err
		}
	}
	return sql.SelectCorrelation(Dialect(), CorrelationDialect(), c)
}
