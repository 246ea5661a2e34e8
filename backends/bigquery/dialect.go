// Package bigquery is the Google BigQuery backend of tokenhunt: the
// GoogleSQL dialect of the shared SQL printer (../sql) and a Backend that
// compiles rules with it.
//
// Where GoogleSQL differs from DuckDB, with the same meaning:
//
//   - identifiers in backticks (`dataset`.`table`, `col`.`field`), string
//     literals with backslash escapes ('it\'s'), regular expressions as raw
//     strings (r'^a\.b') when they can be;
//   - no ILIKE: LOWER(x) = 'v', LOWER(x) LIKE '%v%'. LIKE's escape character
//     is the backslash, and GoogleSQL has no ESCAPE clause;
//   - STARTS_WITH / ENDS_WITH; containment with (STRPOS(x, 'v') > 0), which
//     needs no escaping (CONTAINS_SUBSTR is not used: it normalises case and
//     Unicode, so it cannot match exactly);
//   - REGEXP_CONTAINS, an unanchored RE2 search like DuckDB's
//     regexp_matches, so Sigma regexes carry over unchanged;
//   - SAFE_CAST(x AS FLOAT64) and SAFE_CAST(x AS TIMESTAMP) for text that may
//     not be a number or a time;
//   - JSON text read with SAFE.JSON_VALUE (scalars) and SAFE.JSON_QUERY
//     (objects and arrays, as JSON text), keys always double-quoted in the
//     path ($."a.b"."c"), an index segment as a subscript ($."a"[0]."b");
//   - an index segment of a column path, an element of a REPEATED field,
//     with SAFE_OFFSET: `a`.`b`[SAFE_OFFSET(0)].`c`;
//   - time parts with EXTRACT(... FROM ts AT TIME ZONE 'UTC'), ISOWEEK for
//     the ISO week;
//   - CIDR with the shared plain-SQL normalisation (REGEXP_REPLACE replaces
//     every match, \1 names the group), so zero-padded IPv4 octets match as
//     in DuckDB and IPv6 text with an embedded IPv4 part never matches.
package bigquery

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/tokenhunt/tokenhunt/backends/sql"
	"github.com/tokenhunt/tokenhunt/compiler/ir"
)

// Dialect returns the GoogleSQL dialect of the shared SQL printer.
func Dialect() sql.Dialect {
	return sql.Dialect{
		Name:          "bigquery",
		QuoteIdent:    quoteIdent,
		QuoteString:   quoteString,
		QuoteRegex:    quoteRegex,
		Table:         quoteTable,
		True:          "TRUE",
		False:         "FALSE",
		NumberLiteral: numberLiteral,
		Lower:         func(x string) string { return "LOWER(" + x + ")" },
		CastString:    func(x string) string { return "CAST(" + x + " AS STRING)" },
		TryCastDouble: func(x string) string { return "SAFE_CAST(" + x + " AS FLOAT64)" },
		// GoogleSQL's LIKE escapes with a backslash and has no ESCAPE
		// clause.
		LikeEscape:       '\\',
		LikeEscapeClause: false,
		StartsWith:       func(s, n string) string { return "STARTS_WITH(" + s + ", " + n + ")" },
		EndsWith:         func(s, n string) string { return "ENDS_WITH(" + s + ", " + n + ")" },
		// STRPOS needs no escaping of the needle (a rule's literal or
		// another field's value). Not CONTAINS_SUBSTR: it folds case and
		// normalises Unicode, so it cannot express a cased match.
		Contains:         func(s, n string) string { return "(STRPOS(" + s + ", " + n + ") > 0)" },
		RegexpMatches:    func(x, p string) string { return "REGEXP_CONTAINS(" + x + ", " + p + ")" },
		RegexpReplaceAll: func(x, p, r string) string { return "REGEXP_REPLACE(" + x + ", " + p + ", " + r + ")" },
		RegexpGroup1:     `\1`,
		Length:           func(x string) string { return "LENGTH(" + x + ")" },
		Replace:          func(x, from, to string) string { return "REPLACE(" + x + ", " + from + ", " + to + ")" },
		Substr:           func(x, start string) string { return "SUBSTR(" + x + ", " + start + ")" },
		// Struct fields with a dot; BigQuery resolves field names without
		// regard to case.
		StructField: func(x, name string) string { return x + "." + quoteIdent(name) },
		// An element of an ARRAY (a REPEATED field): SAFE_OFFSET counts
		// from 0 and gives NULL past the end.
		ArrayIndex:  func(x string, i int) string { return x + "[SAFE_OFFSET(" + strconv.Itoa(i) + ")]" },
		JSONExtract: jsonExtract,
		TimePart:    timePart,
	}
}

// escape writes s with GoogleSQL's escape sequences for a quoted string or
// identifier: the quote character, the backslash and control characters.
func escape(b *strings.Builder, s string, quote rune) {
	for _, r := range s {
		switch {
		case r == quote || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(b, `\x%02x`, r)
		default:
			b.WriteRune(r)
		}
	}
}

// quoteIdent quotes an identifier in backticks. Quoted identifiers take the
// escape sequences of string literals.
func quoteIdent(name string) string {
	var b strings.Builder
	b.WriteByte('`')
	escape(&b, name, '`')
	b.WriteByte('`')
	return b.String()
}

// quoteString quotes a string literal: 'it\'s', 'C:\\Windows'.
func quoteString(s string) string {
	var b strings.Builder
	b.WriteByte('\'')
	escape(&b, s, '\'')
	b.WriteByte('\'')
	return b.String()
}

// quoteRegex writes a regular expression as a raw string, r'…', whose
// backslashes are the regex's own, when it can: no quote, no control
// character, and no odd run of backslashes at the end (which would escape
// the closing quote). Otherwise it is an ordinary string literal.
func quoteRegex(s string) string {
	raw := !strings.ContainsAny(s, "'") && len(strings.TrimRight(s, `\`))%2 == len(s)%2
	for _, r := range s {
		if r < 0x20 || r == 0x7f {
			raw = false
		}
	}
	if !raw {
		return quoteString(s)
	}
	return "r'" + s + "'"
}

// numberLiteral writes an integer beyond INT64, which GoogleSQL rejects as
// an integer literal, as a FLOAT64 literal: 99999999999999999999.0.
func numberLiteral(text string) string {
	if strings.ContainsAny(text, ".eE") {
		return text
	}
	if _, err := strconv.ParseInt(text, 10, 64); err != nil {
		return text + ".0"
	}
	return text
}

// quoteTable quotes each dot-separated part: `dataset`.`table`,
// `project`.`dataset`.`table`.
func quoteTable(name string) string {
	parts := strings.Split(name, ".")
	for i, p := range parts {
		parts[i] = quoteIdent(p)
	}
	return strings.Join(parts, ".")
}

// jsonPath is a GoogleSQL JSONPath for JSON_VALUE and JSON_QUERY with every
// key double-quoted, so that dots, spaces and other characters are part of
// the key: $."a.b"."c". A double quote in a key is escaped with a
// backslash. A key that ir.ArrayIndex reads as an index is a subscript,
// $."a"[0]."b": on JSON text GoogleSQL keeps path tokens as text and reads
// a token as an index where the value is an array and as a key where it is
// an object (ZetaSQL's JSONPathExtractor), the JSON Pointer reading the IR
// asks for.
func jsonPath(keys []string) string {
	var b strings.Builder
	b.WriteByte('$')
	for _, k := range keys {
		if i, ok := ir.ArrayIndex(k); ok {
			b.WriteString("[" + strconv.Itoa(i) + "]")
			continue
		}
		b.WriteString(`."`)
		b.WriteString(strings.ReplaceAll(k, `"`, `\"`))
		b.WriteByte('"')
	}
	return b.String()
}

// jsonExtract reads the value at a key path of JSON text: a scalar with
// JSON_VALUE, an object or an array with JSON_QUERY, as JSON text. For
// STRING input both give NULL for an absent key, for JSON null and for text
// that is not JSON; SAFE. turns their remaining errors (JSON nested too
// deeply) into NULL too, so that no event stops a hunt.
func jsonExtract(x string, keys []string) string {
	p := quoteString(jsonPath(keys))
	return "COALESCE(SAFE.JSON_VALUE(" + x + ", " + p + "), SAFE.JSON_QUERY(" + x + ", " + p + "))"
}

var partNames = map[ir.TimePart]string{
	ir.Minute: "MINUTE", ir.Hour: "HOUR", ir.Day: "DAY", ir.Week: "ISOWEEK", ir.Month: "MONTH", ir.Year: "YEAR",
}

// timePart takes a part of a timestamp in UTC. Text is read as a timestamp
// in GoogleSQL's canonical format (ISO-8601 with a space or T, Z or an
// offset); text that is not one gives NULL.
func timePart(part ir.TimePart, x string, typed bool) string {
	name, ok := partNames[part]
	if !ok {
		name = fmt.Sprintf("unknown part %d", int(part))
	}
	if !typed {
		x = "SAFE_CAST(" + x + " AS TIMESTAMP)"
	}
	return "EXTRACT(" + name + " FROM " + x + " AT TIME ZONE 'UTC')"
}
