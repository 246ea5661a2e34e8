package duckdb

import (
	"strconv"

	"github.com/tokenhunt/tokenhunt/backends/sql"
	"github.com/tokenhunt/tokenhunt/compiler/ir"
)

// CorrelationDialect is what DuckDB adds for correlations: microsecond
// epochs, ordered lists, continuous quantiles and COUNT(DISTINCT) over
// RANGE frames.
func CorrelationDialect() sql.CorrelationDialect {
	return sql.CorrelationDialect{
		EpochMicros: func(x string, typed bool) string {
			if typed {
				return "epoch_us(" + x + ")"
			}
			return "epoch_us(TRY_CAST(" + x + " AS TIMESTAMPTZ))"
		},
		TimestampFromMicros: func(x string) string { return "make_timestamp(" + x + ")" },
		ListAgg:             func(x, order string) string { return "list(" + x + " ORDER BY " + order + ")" },
		Quantile: func(x string, q float64) string {
			return "quantile_cont(" + x + ", " + strconv.FormatFloat(q, 'g', -1, 64) + ")"
		},
		DistinctWindow: true,
	}
}

// CompileCorrelation prints a correlation as one DuckDB query returning
// one row per finding.
func (Backend) CompileCorrelation(c *ir.Correlation) (string, error) {
	return sql.SelectCorrelation(Dialect(), CorrelationDialect(), c)
}
