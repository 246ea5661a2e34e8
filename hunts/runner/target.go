package runner

import (
	"strconv"
	"strings"
	"time"

	"github.com/tokenhunt/tokenhunt/backends/athena"
	"github.com/tokenhunt/tokenhunt/backends/bigquery"
	"github.com/tokenhunt/tokenhunt/backends/duckdb"
	"github.com/tokenhunt/tokenhunt/backends/sql"
	"github.com/tokenhunt/tokenhunt/compiler/ir"
)

// target is what the runner prints a source's queries with: the engine's
// SQL dialect, and the few constructs of a hunt's own queries (time
// bounds, the list of rules an event matched) that differ by engine.
type target struct {
	engine string
	d      sql.Dialect
	cd     sql.CorrelationDialect
	// compile and correlate check a rule or correlation as the engine's
	// backend does (e.g. BigQuery's JSON keys, Athena's query length).
	compile   func(*ir.Rule) (string, error)
	correlate func(*ir.Correlation) (string, error)
	// params says time bounds are query parameters (@name), not literals.
	params bool
	// unnest writes the FROM item that turns the list of matched rule
	// indexes (items may be NULL) into rows of one column, _rule.
	unnest func(items []string) string
	// jsonArrays says arrays come back as text that cannot be split
	// safely (Athena): event_ids is cast to JSON.
	jsonArrays bool
	// maxQuery bounds a query's length in bytes (0: none).
	maxQuery int
}

func targetFor(engine string) target {
	switch engine {
	case "athena":
		be := athena.New()
		return target{engine: engine, d: athena.Dialect(), cd: athena.CorrelationDialect(), compile: be.Compile, correlate: be.CompileCorrelation,
			unnest: func(items []string) string {
				return "UNNEST(ARRAY[" + strings.Join(items, ", ") + "]) AS u(_rule)"
			},
			jsonArrays: true, maxQuery: athena.MaxQueryBytes}
	case "bigquery":
		be := bigquery.New()
		return target{engine: engine, d: bigquery.Dialect(), cd: bigquery.CorrelationDialect(), compile: be.Compile, correlate: be.CompileCorrelation,
			params: true,
			unnest: func(items []string) string { return "UNNEST([" + strings.Join(items, ", ") + "]) AS _rule" }}
	}
	be := duckdb.New()
	return target{engine: "duckdb", d: duckdb.Dialect(), cd: duckdb.CorrelationDialect(), compile: be.Compile, correlate: be.CompileCorrelation,
		unnest: func(items []string) string { return "unnest([" + strings.Join(items, ", ") + "]) AS u(_rule)" }}
}

// Param is a named query parameter (BigQuery's @name).
type Param struct {
	Name  string
	Value time.Time
}

// bound is a time as a query reads it: microseconds since the epoch and a
// timestamp, as literals or as a parameter.
type bound struct {
	micros, ts string
	param      *Param
}

func (t target) bound(name string, v time.Time) bound {
	if t.params {
		return bound{micros: "UNIX_MICROS(@" + name + ")", ts: "@" + name, param: &Param{Name: name, Value: v.UTC()}}
	}
	us := v.UnixMicro()
	n := strconv.FormatInt(us, 10)
	switch t.engine {
	case "athena":
		return bound{micros: n, ts: "from_unixtime_nanos(" + n + "000)"}
	}
	return bound{micros: n, ts: "make_timestamp(" + n + ")"}
}

// within is the predicate "the event time x is in [from, to)": on the
// timestamp itself when the column is typed (so that an engine can prune
// the partitions of a table partitioned by it), else on the microseconds
// of the text read as a time.
func (t target) within(x string, typed bool, from, to bound) string {
	if typed && t.engine != "duckdb" { // DuckDB's TIMESTAMPTZ would compare in the session's zone
		return x + " >= " + from.ts + " AND " + x + " < " + to.ts
	}
	us := t.cd.EpochMicros(x, false)
	return us + " >= " + from.micros + " AND " + us + " < " + to.micros
}

// params lists the parameters a query uses.
func usedParams(q string, bs ...bound) []Param {
	var out []Param
	seen := map[string]bool{}
	for _, b := range bs {
		if b.param == nil || seen[b.param.Name] || !strings.Contains(q, "@"+b.param.Name) {
			continue
		}
		seen[b.param.Name] = true
		out = append(out, *b.param)
	}
	return out
}
