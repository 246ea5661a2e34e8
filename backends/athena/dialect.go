// Package athena is the Amazon Athena backend of tokenhunt: the Trino SQL
// dialect (Athena engine version 3 runs Trino) for the shared printer
// (../sql), a Backend that compiles rules with it, and Check, which finds
// what the Trino grammar lets through although Trino would reject it or
// read it otherwise (back-quoted identifiers, ILIKE, :: casts, QUALIFY,
// functions of other engines).
//
// Semantic choices, each from the Trino documentation
// (https://trino.io/docs/current/, the functions Athena engine version 3
// lists at https://docs.aws.amazon.com/athena/latest/ug/functions-env3.html):
//
//   - Identifiers are double-quoted (a quote doubled); string literals
//     single-quoted (a quote doubled), with no backslash escapes.
//   - Trino has no ILIKE: both sides are lower-cased with lower(), a
//     per-code-point mapping without one-to-many folds (functions/string).
//     LIKE takes an explicit ESCAPE '\' (functions/comparison, "Pattern
//     comparison: LIKE").
//   - Prefixes use starts_with (release 333), substrings strpos(x, n) > 0
//     (functions/string), suffixes LIKE '%…': ends_with appears only in
//     recent Trino documentation, so it is not relied on.
//   - Regular expressions are rewritten from RE2 into the Java syntax of
//     Trino's regex engine (see regex.go; functions/regexp), and searched
//     with regexp_like, which is unanchored.
//   - JSON text is read with json_extract_scalar and the bracket path
//     $["key"] (functions/json): NULL when the text is not JSON, a key is
//     missing or the value is JSON null; objects and arrays come back as
//     their JSON text through json_format(json_extract(...)).
//   - Text is read as a number only in decimal notation: a varchar cast to
//     DOUBLE goes through Java's Double.parseDouble, which also takes "5d",
//     "0x1p3", "NaN" and "Infinity".
//   - Time parts: try(from_iso8601_timestamp(x)) (or a cast for the form
//     with a space) gives NULL for text that is no timestamp; the part is
//     taken AT TIME ZONE 'UTC' with hour, minute, day_of_month, week (the
//     ISO week), month and year (functions/datetime, functions/conditional).
//   - A query longer than Athena's 262,144-byte quota is an error.
package athena

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/tokenhunt/tokenhunt/backends/sql"
	"github.com/tokenhunt/tokenhunt/compiler/ir"
)

// Dialect returns the Trino dialect of the shared SQL printer.
func Dialect() sql.Dialect {
	return sql.Dialect{
		Name:             "athena",
		QuoteIdent:       quoteIdent,
		QuoteString:      quoteString,
		Table:            quoteTable,
		True:             "TRUE",
		False:            "FALSE",
		Lower:            func(x string) string { return "lower(" + x + ")" },
		CastString:       func(x string) string { return "CAST(" + x + " AS VARCHAR)" },
		TryCastDouble:    tryCastDouble,
		StrictNumbers:    true, // tryCastDouble reads decimal notation only
		LikeEscape:       '\\',
		LikeEscapeClause: true,
		StartsWith:       func(s, n string) string { return "starts_with(" + s + ", " + n + ")" },
		// No EndsWith: the printer writes LIKE '%…' ESCAPE '\'.
		Contains:         func(s, n string) string { return "(strpos(" + s + ", " + n + ") > 0)" },
		RegexpMatches:    func(x, p string) string { return "regexp_like(" + x + ", " + p + ")" },
		Regex:            javaRegex,
		RegexpReplaceAll: func(x, p, r string) string { return "regexp_replace(" + x + ", " + p + ", " + r + ")" },
		RegexpGroup1:     "$1",
		Length:           func(x string) string { return "length(" + x + ")" },
		Replace:          func(x, from, to string) string { return "replace(" + x + ", " + from + ", " + to + ")" },
		Substr:           func(x, start string) string { return "substr(" + x + ", " + start + ")" },
		StructField:      func(x, name string) string { return x + "." + quoteIdent(name) },
		// element_at counts from 1 and gives NULL past the end (x[i]
		// fails there).
		ArrayIndex:  func(x string, i int) string { return "element_at(" + x + ", " + strconv.Itoa(i+1) + ")" },
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

// decimalGroup captures text in decimal notation, surrounding white space
// left out: the text the printer reads as a number (its decimalText), in
// the Java syntax javaRegex gives `^\s*([+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?)\s*$`.
const decimalGroup = `\A[\t\n\f\r ]*([+\-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[Ee][+\-]?[0-9]+)?)[\t\n\f\r ]*\z`

// tryCastDouble reads any scalar as a DOUBLE when its text is a decimal
// number, else NULL. Trino's varchar-to-double cast is Java's
// Double.parseDouble, which would also read "5d", "0x1p3" and "NaN".
func tryCastDouble(x string) string {
	return "TRY_CAST(regexp_extract(CAST(" + x + " AS VARCHAR), " + quoteString(decimalGroup) + ", 1) AS DOUBLE)"
}

// jsonExtract reads the value at a path of object keys from JSON text.
// json_extract_scalar gives strings, numbers and booleans as text and NULL
// for a missing key, JSON null, an object or an array, or text that is not
// JSON; objects and arrays then come back as their JSON text
// (json_format of json_extract, where JSON null is the text 'null').
func jsonExtract(x string, keys []string) string {
	path := quoteString(jsonPath(keys))
	return "COALESCE(json_extract_scalar(" + x + ", " + path + "), " +
		"NULLIF(json_format(json_extract(" + x + ", " + path + ")), 'null'))"
}

// jsonPath spells keys in Trino's bracket notation, $["a"]["b"], where a
// backslash escapes `"` and `\` (Trino's JsonPathTokenizer); any other
// character stands for itself. A key that ir.ArrayIndex reads as an index
// is bare, $["a"][0]["b"]: Trino's json_extract reads the token 0 (quoted
// or not) as element 0 of an array and as the key "0" of an object, the
// JSON Pointer reading the IR asks for.
func jsonPath(keys []string) string {
	var b strings.Builder
	b.WriteString("$")
	for _, k := range keys {
		if i, ok := ir.ArrayIndex(k); ok {
			b.WriteString("[" + strconv.Itoa(i) + "]")
			continue
		}
		k = strings.ReplaceAll(k, `\`, `\\`)
		k = strings.ReplaceAll(k, `"`, `\"`)
		b.WriteString(`["` + k + `"]`)
	}
	return b.String()
}

var partFuncs = map[ir.TimePart]string{
	ir.Minute: "minute", ir.Hour: "hour", ir.Day: "day_of_month", ir.Week: "week", ir.Month: "month", ir.Year: "year",
}

// timePart takes a part of a timestamp in UTC. A timestamp column is used
// as it is; anything else is read as ISO-8601 text (2024-01-07T23:05:00Z)
// or as the text of a timestamp with a space (2024-01-07 23:05:00 UTC),
// and text that is neither gives NULL.
func timePart(part ir.TimePart, x string, typed bool) string {
	name, ok := partFuncs[part]
	if !ok {
		name = fmt.Sprintf("unknown_part_%d", int(part))
	}
	ts := x
	if !typed {
		// Through VARCHAR, so that a column of any scalar type is valid.
		s := "CAST(" + x + " AS VARCHAR)"
		ts = "COALESCE(try(from_iso8601_timestamp(" + s + ")), try(CAST(" + s + " AS TIMESTAMP WITH TIME ZONE)))"
	}
	return name + "(" + ts + " AT TIME ZONE 'UTC')"
}
