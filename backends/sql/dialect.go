// Package sql prints a compiled rule (an *ir.Rule whose fields are all
// resolved to columns) as one SQL query:
//
//	SELECT * FROM <table> WHERE <condition>
//
// The printer keeps the semantics of ../../shared/DESIGN.md for every SQL
// engine. Everything that differs between engines (quoting, function names,
// JSON and struct access, casts, time parts) is data and small functions in a
// Dialect value; the printer's logic never asks which engine it prints for.
//
// Parentheses come from operator precedence in one place (operand); nothing
// else writes a parenthesis around an expression.
package sql

import "github.com/tokenhunt/tokenhunt/compiler/ir"

// Dialect is what the printer needs to know about one SQL engine.
//
// Contract for the functions: an argument may be any SQL expression (it is
// only ever placed where a function argument goes), and the result must be
// a primary expression (a literal, an identifier, a function call, a CAST):
// something that can stand as an operand of any operator without
// parentheses.
type Dialect struct {
	// Name names the backend in error messages, e.g. "duckdb".
	Name string

	// QuoteIdent quotes one identifier: a column, a struct field, a part of
	// a table name.
	QuoteIdent func(name string) string
	// QuoteString quotes a string literal.
	QuoteString func(s string) string
	// QuoteRegex, when not nil, quotes the string literal of a regular
	// expression or a regex replacement (e.g. as a raw string, r'...');
	// nil uses QuoteString.
	QuoteRegex func(s string) string
	// Table quotes a table name as a pipeline spells it (it may be
	// qualified, e.g. "db.table").
	Table func(name string) string

	// True and False are the boolean literals.
	True, False string
	// NumberLiteral, when not nil, respells a numeric literal (SQL number
	// syntax, as the rule wrote it) that the engine would reject, e.g. an
	// integer beyond 64 bits; nil keeps the text.
	NumberLiteral func(text string) string

	// Lower lower-cases a string (Unicode, the same mapping as Go's
	// strings.ToLower).
	Lower func(x string) string
	// CastString reads any scalar as its text.
	CastString func(x string) string
	// TryCastDouble reads text as a number; NULL when it is not one.
	TryCastDouble func(x string) string
	// StrictNumbers says TryCastDouble already gives NULL for text that is
	// not in decimal notation ("inf", "nan", "1_000"), so the printer needs
	// no decimal check of its own before it.
	StrictNumbers bool

	// LikeEscape is the escape character of LIKE patterns. When
	// LikeEscapeClause is set the printer writes ESCAPE '<c>' after every
	// pattern; otherwise the engine must use LikeEscape by default.
	LikeEscape       rune
	LikeEscapeClause bool

	// StartsWith, EndsWith and Contains test a string against a needle
	// with dedicated functions. A nil function makes the printer use LIKE.
	StartsWith, EndsWith, Contains func(s, needle string) string

	// RegexpMatches is an unanchored RE2 search; pattern is a quoted
	// literal whose inline flags ((?i) …) the engine must honour.
	RegexpMatches func(x, pattern string) string
	// RegexpReplaceAll replaces every match of pattern (a quoted literal)
	// with replacement (a quoted literal that may use RegexpGroup1).
	RegexpReplaceAll func(x, pattern, replacement string) string
	// Regex, when not nil, rewrites every RE2 pattern the printer emits
	// (flags as a leading (?flags) group) into the engine's own regex
	// syntax before it is quoted; its error names what the engine cannot
	// express. Nil passes RE2 through.
	Regex func(pattern string) (string, error)
	// RegexpGroup1 is how a replacement refers to the first capture group,
	// e.g. `\1` or `$1` (unquoted).
	RegexpGroup1 string
	// Length, Replace and Substr are the plain string functions:
	// length in characters, replace every occurrence, and the suffix from a
	// 1-based position (empty past the end, never an error).
	Length  func(x string) string
	Replace func(x, from, to string) string
	Substr  func(x, start string) string

	// StructField reads field name of the struct expression x.
	StructField func(x, name string) string
	// ArrayIndex reads element i (counted from 0) of the array expression
	// x: NULL past its end, never an error. A column path segment that
	// ir.ArrayIndex reads as an index is printed with it.
	ArrayIndex func(x string, i int) string
	// JSONExtract extracts the value at a path of object keys from JSON
	// text as a string: NULL when a key is absent, when the value is JSON
	// null, or when the text is not JSON (never an error). Objects and
	// arrays come back as JSON text. A key that ir.ArrayIndex reads as an
	// index reads that element of an array, and that key of an object.
	JSONExtract func(x string, keys []string) string

	// TimePart extracts a part of a timestamp in UTC as an integer: minute,
	// hour, day of month, ISO week, month, year. typed says the column is a
	// timestamp; otherwise x is text (ISO-8601) to read as one, and text
	// that is not a timestamp gives NULL.
	TimePart func(part ir.TimePart, x string, typed bool) string
}
