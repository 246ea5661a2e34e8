// Package duckdb is the DuckDB backend and engine of tokenhunt: the DuckDB
// SQL dialect for the shared printer (../sql), a Backend that compiles rules
// with it, and an Engine that registers log files (Parquet, JSON lines, JSON
// arrays, CloudTrail {"Records": [...]} files) as views of an embedded,
// in-memory DuckDB and runs queries on them.
package duckdb

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/tokenhunt/tokenhunt/backends/sql"
	"github.com/tokenhunt/tokenhunt/compiler/ir"
)

// Dialect returns the DuckDB dialect of the shared SQL printer.
func Dialect() sql.Dialect {
	return sql.Dialect{
		Name:             "duckdb",
		QuoteIdent:       quoteIdent,
		QuoteString:      quoteString,
		Table:            quoteTable,
		True:             "TRUE",
		False:            "FALSE",
		Lower:            func(x string) string { return "lower(" + x + ")" },
		CastString:       func(x string) string { return "CAST(" + x + " AS VARCHAR)" },
		TryCastDouble:    func(x string) string { return "TRY_CAST(" + x + " AS DOUBLE)" },
		LikeEscape:       '\\',
		LikeEscapeClause: true,
		StartsWith:       func(s, n string) string { return "starts_with(" + s + ", " + n + ")" },
		EndsWith:         func(s, n string) string { return "ends_with(" + s + ", " + n + ")" },
		Contains:         func(s, n string) string { return "contains(" + s + ", " + n + ")" },
		// regexp_matches is an unanchored RE2 search. Never DuckDB's ~,
		// which is a whole-string match.
		RegexpMatches:    func(x, p string) string { return "regexp_matches(" + x + ", " + p + ")" },
		RegexpReplaceAll: func(x, p, r string) string { return "regexp_replace(" + x + ", " + p + ", " + r + ", 'g')" },
		RegexpGroup1:     `\1`,
		Length:           func(x string) string { return "length(" + x + ")" },
		Replace:          func(x, from, to string) string { return "replace(" + x + ", " + from + ", " + to + ")" },
		Substr:           func(x, start string) string { return "substr(" + x + ", " + start + ")" },
		// Struct field access with dots; DuckDB looks fields up without
		// regard to case.
		StructField: func(x, name string) string { return x + "." + quoteIdent(name) },
		// A LIST counts from 1; past its end the element is NULL.
		ArrayIndex:  func(x string, i int) string { return x + "[" + strconv.Itoa(i+1) + "]" },
		JSONExtract: jsonExtract,
		TimePart:    timePart,
	}
}

func quoteIdent(name string) string { return `"` + strings.ReplaceAll(name, `"`, `""`) + `"` }

func quoteString(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// quoteTable quotes each dot-separated part: "db"."table".
func quoteTable(name string) string {
	parts := strings.Split(name, ".")
	for i, p := range parts {
		parts[i] = quoteIdent(p)
	}
	return strings.Join(parts, ".")
}

// jsonExtract reads a string at a path of keys with a JSON Pointer (RFC
// 6901), which can name any key: dots, spaces and quotes included. try()
// turns text that is not JSON into NULL instead of an error.
func jsonExtract(x string, keys []string) string {
	var p strings.Builder
	for _, k := range keys {
		k = strings.ReplaceAll(k, "~", "~0")
		k = strings.ReplaceAll(k, "/", "~1")
		p.WriteString("/" + k)
	}
	return "try(json_extract_string(" + x + ", " + quoteString(p.String()) + "))"
}

var partNames = map[ir.TimePart]string{
	ir.Minute: "minute", ir.Hour: "hour", ir.Day: "day", ir.Week: "week", ir.Month: "month", ir.Year: "year",
}

// timePart reads any column as a TIMESTAMPTZ (text that is not a timestamp
// gives NULL) and takes the part in UTC. date_part('week') is the ISO week.
func timePart(part ir.TimePart, x string, typed bool) string {
	name, ok := partNames[part]
	if !ok {
		name = fmt.Sprintf("unknown part %d", int(part))
	}
	return "date_part(" + quoteString(name) + ", timezone('UTC', TRY_CAST(" + x + " AS TIMESTAMPTZ)))"
}
