package athena

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

// functions lists every function the Athena backend may print, lower-case,
// each one documented for Trino (https://trino.io/docs/current/functions/):
// Check rejects a call of any other, which is how a function of another
// engine (DuckDB's regexp_matches, contains, ends_with, json_extract_string,
// epoch_us, date_part …) is caught before a query reaches Athena.
var functions = []string{
	// functions/conversion: CAST and TRY_CAST are written as calls.
	"cast", "try_cast",
	// functions/conditional
	"coalesce", "nullif", "try",
	// functions/string
	"length", "lower", "replace", "starts_with", "strpos", "substr",
	// functions/regexp
	"regexp_extract", "regexp_like", "regexp_replace",
	// functions/json
	"json_extract", "json_extract_scalar", "json_format",
	// functions/datetime
	"from_iso8601_timestamp", "minute", "hour", "day_of_month", "week", "month", "year",
	// correlations: functions/datetime, functions/math, functions/array,
	// functions/aggregate and functions/window
	"from_iso8601_timestamp_nanos", "to_unixtime", "from_unixtime_nanos",
	"round", "floor", "ceil", "slice",
	"count", "sum", "avg", "min", "max", "array_agg", "row_number", "lag",
}

// keywordsBeforeParen are the SQL words that a parenthesis may follow
// without being a function call.
var keywordsBeforeParen = []string{
	"and", "or", "not", "where", "select", "from", "in", "exists", "on", "when", "then", "else",
	"like", "between", "is", "escape", "union", "all", "distinct", "as",
	"over", "filter",
}

// Check reports, in a Trino query, what the Trino grammar of a parser lets
// through although Trino rejects it or reads it otherwise: a back-quoted
// identifier, ILIKE, a :: cast, QUALIFY, and the call of a function that
// is not one of the functions it prints. It reads the query as Trino's lexer does: text in
// single quotes is a string, in double quotes an identifier (a doubled
// quote stands for itself in both), -- and /* */ are comments.
func Check(query string) error {
	var errs []error
	at := func(i int, format string, args ...any) {
		errs = append(errs, fmt.Errorf("offset %d: %s", i, fmt.Sprintf(format, args...)))
	}
	n := len(query)
	for i := 0; i < n; {
		c := query[i]
		switch {
		case c == '\'' || c == '"':
			end := closeQuote(query, i)
			if end < 0 {
				what := "string literal"
				if c == '"' {
					what = "quoted identifier"
				}
				at(i, "unterminated %s", what)
				return errors.Join(errs...)
			}
			i = end
		case c == '`':
			at(i, "back-quoted identifier: Trino quotes identifiers with double quotes")
			i++
		case c == ':' && i+1 < n && query[i+1] == ':':
			at(i, ":: cast: Trino writes CAST(x AS type)")
			i += 2
		case c == '-' && i+1 < n && query[i+1] == '-':
			for i < n && query[i] != '\n' {
				i++
			}
		case c == '/' && i+1 < n && query[i+1] == '*':
			end := strings.Index(query[i+2:], "*/")
			if end < 0 {
				at(i, "unterminated comment")
				return errors.Join(errs...)
			}
			i += 2 + end + 2
		case isWordStart(c):
			start := i
			for i < n && isWordPart(query[i]) {
				i++
			}
			word := strings.ToLower(query[start:i])
			switch word {
			case "ilike":
				at(start, "ILIKE: Trino has no ILIKE; compare lower(x) with LIKE")
				continue
			case "qualify":
				at(start, "QUALIFY: Trino has no QUALIFY clause")
				continue
			}
			j := i
			for j < n && (query[j] == ' ' || query[j] == '\t' || query[j] == '\n' || query[j] == '\r') {
				j++
			}
			if j < n && query[j] == '(' && !slices.Contains(keywordsBeforeParen, word) && !slices.Contains(functions, word) {
				at(start, "function %s is not a Trino function the Athena backend uses", word)
			}
		default:
			i++
		}
	}
	return errors.Join(errs...)
}

// closeQuote returns the index after the quote that closes the one at i,
// or -1.
func closeQuote(s string, i int) int {
	q := s[i]
	for j := i + 1; j < len(s); j++ {
		if s[j] != q {
			continue
		}
		if j+1 < len(s) && s[j+1] == q {
			j++
			continue
		}
		return j + 1
	}
	return -1
}

func isWordStart(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

func isWordPart(c byte) bool { return isWordStart(c) || c >= '0' && c <= '9' }
