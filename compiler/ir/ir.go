// Package ir is the intermediate representation between Sigma rules and the
// query backends.
//
// A rule's detection is lowered into a tree of sealed Expr nodes whose meaning
// does not depend on any Sigma modifier: every node states its case
// sensitivity, its wildcard parts, its regex flags and the type of the value it
// compares. Backends print these nodes; they never see a Sigma modifier.
//
// The semantics every backend must keep (../shared/DESIGN.md, "Semantics"):
//
//   - Strings match case-insensitively (Unicode lower-casing of both sides)
//     unless Cased is set.
//   - Logic is two-valued: a leaf on an absent or null field is false, never
//     unknown, so Not of it is true.
//   - Regex is an unanchored RE2 search.
//   - CIDR matches IPv4 and IPv6 addresses; anything else never matches.
package ir

import (
	"net/netip"
)

// Pos is a 1-based position in a rule file.
type Pos struct {
	File string `json:"file,omitempty"`
	Line int    `json:"line,omitempty"`
	Col  int    `json:"col,omitempty"`
}

// Type is the type of a column as a pipeline declares it.
type Type int

const (
	// String is the default: a text column.
	String Type = iota
	// Number is any integer or floating point column.
	Number
	// Bool is a boolean column.
	Bool
	// Timestamp is a point in time.
	Timestamp
	// Any is a column whose type no pipeline declared (the same-name default
	// mapping): backends must work whatever its real type is, e.g. by
	// casting to text for string matching.
	Any
)

var typeNames = [...]string{String: "string", Number: "number", Bool: "bool", Timestamp: "timestamp", Any: "any"}

func (t Type) String() string {
	if int(t) < len(typeNames) {
		return typeNames[t]
	}
	return "unknown"
}

// ParseType reads a type name as pipelines spell it.
func ParseType(s string) (Type, bool) {
	switch s {
	case "string", "str", "text", "varchar":
		return String, true
	case "number", "int", "integer", "bigint", "float", "double":
		return Number, true
	case "bool", "boolean":
		return Bool, true
	case "timestamp", "time", "datetime":
		return Timestamp, true
	case "any":
		return Any, true
	}
	return 0, false
}

// Column says where a field's value lives in the target table.
type Column struct {
	// Path is a column name followed by struct field names. After the
	// column name, a segment that ArrayIndex reads as an index (decimal
	// digits, no leading zero) is an element of an array (a REPEATED
	// field, a LIST), counted from 0; past the end it reads nothing.
	Path []string `json:"path"`
	// JSON, when not empty, is a path of object keys inside the JSON text held
	// at Path: the value is extracted from that text as a string. As in a
	// JSON Pointer (RFC 6901), a segment that ArrayIndex reads as an index
	// is, where the value is an array, its element of that index (from 0;
	// past the end it reads nothing), and where the value is an object, the
	// key of that text.
	JSON []string `json:"json,omitempty"`
	// Type is the column type; String unless a pipeline says otherwise.
	Type Type `json:"type"`
}

// ArrayIndex reads a path segment as an array index, as a JSON Pointer
// does: "0", or decimal digits without a leading zero (at most 9, so that
// every engine's integer holds it). "01", "-1" and "" are not indexes.
func ArrayIndex(segment string) (int, bool) {
	if segment == "" || len(segment) > 9 || (len(segment) > 1 && segment[0] == '0') {
		return 0, false
	}
	n := 0
	for _, c := range segment {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

// Field is a field reference in a rule. Column is nil until a pipeline (or
// the default same-name mapping) has resolved it.
type Field struct {
	Name   string  `json:"name"`
	Column *Column `json:"column,omitempty"`
	// Pos is where the rule names the field, for error messages.
	Pos Pos `json:"-"`
}

// Expr is a boolean expression over one event. It is sealed: only the node
// types of this package implement it.
type Expr interface {
	exprNode()
}

// And is true when every argument is true. An And without arguments is true.
type And struct{ Args []Expr }

// Or is true when any argument is true. An Or without arguments is false.
type Or struct{ Args []Expr }

// Not negates its argument under two-valued logic.
type Not struct{ Arg Expr }

// Const is a constant truth value.
type Const struct{ Value bool }

// PartKind tells what a pattern part matches.
type PartKind int

const (
	// Lit matches its text exactly (modulo case folding).
	Lit PartKind = iota
	// Star matches any run of characters, the empty one included.
	Star
	// One matches exactly one character.
	One
)

// Part is a piece of a wildcard pattern.
type Part struct {
	Kind PartKind
	Text string // for Lit only
}

// Pattern is a string pattern made of literal text and wildcards. Literal
// text is never interpreted: a `%`, `_` or `*` in it is that character.
type Pattern []Part

// Shape classifies a string match, for backends that print the common shapes
// with dedicated functions.
type Shape int

const (
	// ShapeEq is a whole-string equality.
	ShapeEq Shape = iota
	// ShapePrefix is literal text followed by one Star.
	ShapePrefix
	// ShapeSuffix is one Star followed by literal text.
	ShapeSuffix
	// ShapeContains is literal text between two Stars.
	ShapeContains
	// ShapeAny is a lone Star: any non-null value.
	ShapeAny
	// ShapeGlob is anything else.
	ShapeGlob
)

var shapeNames = [...]string{ShapeEq: "eq", ShapePrefix: "prefix", ShapeSuffix: "suffix", ShapeContains: "contains", ShapeAny: "any", ShapeGlob: "glob"}

func (s Shape) String() string { return shapeNames[s] }

// Match compares a field with a wildcard pattern. It is false when the field
// is absent or null.
type Match struct {
	Field   Field
	Pattern Pattern
	Cased   bool // exact case; otherwise both sides are lower-cased
}

// Regex is an unanchored RE2 search. Without I it is case-sensitive.
type Regex struct {
	Field   Field
	Pattern string
	I, M, S bool // case-insensitive, multi-line (^ $ at lines), dot matches newline
}

// Op is a comparison operator.
type Op int

const (
	Eq Op = iota
	Lt
	Lte
	Gt
	Gte
)

var opNames = [...]string{Eq: "eq", Lt: "lt", Lte: "lte", Gt: "gt", Gte: "gte"}

func (o Op) String() string { return opNames[o] }

// ParseOp reads an operator name.
func ParseOp(s string) (Op, bool) {
	for i, n := range opNames {
		if n == s {
			return Op(i), true
		}
	}
	return 0, false
}

// Number is a numeric literal, kept as the rule spelled it.
type NumberValue struct {
	Text  string  // canonical text, e.g. "4624" or "1.5"
	Float float64 // its value
}

// Compare compares a field with a number. On a Number column it is a numeric
// comparison. On any other column, Eq is a string equality with Value.Text
// and the ordering operators read the field as a number: a value that is
// not a number never matches.
type Compare struct {
	Field Field
	Op    Op
	Value NumberValue
}

// BoolEq compares a field with a boolean. On a Bool column it is a boolean
// equality; on any other column a case-insensitive equality with "true" or
// "false".
type BoolEq struct {
	Field Field
	Value bool
}

// IsNull is true when the field is absent or null. It is never unknown.
type IsNull struct{ Field Field }

// CIDR is true when the field holds an IPv4 or IPv6 address inside one of
// the prefixes. Anything that is not an address never matches.
type CIDR struct {
	Field    Field
	Prefixes []netip.Prefix
}

// FieldRef compares a field with another field of the same event. It is
// false when either is absent or null.
type FieldRef struct {
	Field Field
	Other Field
	Shape Shape // ShapeEq, ShapePrefix, ShapeSuffix or ShapeContains: Other's value is the literal
	Cased bool
}

// TimePart is a part of a timestamp.
type TimePart int

const (
	Minute TimePart = iota
	Hour
	Day
	Week
	Month
	Year
)

var partNames = [...]string{Minute: "minute", Hour: "hour", Day: "day", Week: "week", Month: "month", Year: "year"}

func (p TimePart) String() string { return partNames[p] }

// ParseTimePart reads a time part name.
func ParseTimePart(s string) (TimePart, bool) {
	for i, n := range partNames {
		if n == s {
			return TimePart(i), true
		}
	}
	return 0, false
}

// Time compares a part of a timestamp field (UTC; minute 0-59, hour 0-23,
// day of month 1-31, ISO week 1-53, month 1-12, year) with a number.
type Time struct {
	Field Field
	Part  TimePart
	Op    Op
	Value int64
}

// Keyword is a field-less search: the pattern is searched (as a substring,
// wildcards allowed) in the keyword columns that a pipeline names for the
// log source. Pipelines replace every Keyword before a backend sees it.
type Keyword struct {
	Pattern Pattern
	Cased   bool
	Pos     Pos
}

func (And) exprNode()      {}
func (Or) exprNode()       {}
func (Not) exprNode()      {}
func (Const) exprNode()    {}
func (Match) exprNode()    {}
func (Regex) exprNode()    {}
func (Compare) exprNode()  {}
func (BoolEq) exprNode()   {}
func (IsNull) exprNode()   {}
func (CIDR) exprNode()     {}
func (FieldRef) exprNode() {}
func (Time) exprNode()     {}
func (Keyword) exprNode()  {}

// Logsource is the rule's log source.
type Logsource struct {
	Product  string `json:"product,omitempty"`
	Category string `json:"category,omitempty"`
	Service  string `json:"service,omitempty"`
}

// Rule is a compiled detection rule.
type Rule struct {
	ID          string    `json:"id"`
	Title       string    `json:"title"`
	Level       string    `json:"level,omitempty"`
	Status      string    `json:"status,omitempty"`
	Description string    `json:"description,omitempty"`
	Tags        []string  `json:"tags,omitempty"`
	Logsource   Logsource `json:"logsource"`
	Pos         Pos       `json:"pos"`
	// Table is the table the rule reads; set by pipelines (or the default
	// naming after the log source).
	Table string `json:"table,omitempty"`
	// Where is the detection condition.
	Where Expr `json:"-"`
}
