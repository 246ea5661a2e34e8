package kql

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/tokenhunt/tokenhunt/compiler/ir"
)

type printer struct {
	rule *ir.Rule
}

// errorf reports a problem at the field's position, or the rule's.
func (p *printer) errorf(pos ir.Pos, hint, format string, args ...any) *ir.Error {
	if pos == (ir.Pos{}) && p.rule != nil {
		pos = p.rule.Pos
	}
	var id string
	if p.rule != nil {
		id = p.rule.ID
	}
	return &ir.Error{Pos: pos, RuleID: id, Msg: "kql: " + fmt.Sprintf(format, args...), Hint: hint}
}

func (p *printer) expr(e ir.Expr) (expr, error) {
	switch e := e.(type) {
	case ir.And:
		return p.junction(e.Args, and)
	case ir.Or:
		return p.junction(e.Args, or)
	case ir.Not:
		if e.Arg == nil {
			return expr{}, p.errorf(ir.Pos{}, "", "not without an operand")
		}
		x, err := p.expr(e.Arg)
		if err != nil {
			return expr{}, err
		}
		return not(x), nil
	case ir.Const:
		if e.Value {
			return exprTrue, nil
		}
		return exprFalse, nil
	case ir.Match:
		return p.match(e)
	case ir.Regex:
		return p.regex(e)
	case ir.Compare:
		return p.compare(e)
	case ir.BoolEq:
		return p.boolEq(e)
	case ir.IsNull:
		c, err := p.column(e.Field)
		if err != nil {
			return expr{}, err
		}
		return c.absent(), nil
	case ir.CIDR:
		return p.cidr(e)
	case ir.FieldRef:
		return p.fieldRef(e)
	case ir.Time:
		return p.time(e)
	case ir.Keyword:
		return expr{}, p.errorf(e.Pos, "name the keyword columns of this log source in a pipeline, or search a named field",
			"a keyword search (a value without a field) cannot be printed: no pipeline replaced it with a search of named columns")
	case nil:
		return expr{}, p.errorf(ir.Pos{}, "", "empty condition")
	}
	return expr{}, p.errorf(ir.Pos{}, "", "unsupported condition node %T", e)
}

func (p *printer) junction(args []ir.Expr, join func(...expr) expr) (expr, error) {
	terms := make([]expr, 0, len(args))
	for _, a := range args {
		t, err := p.expr(a)
		if err != nil {
			return expr{}, err
		}
		terms = append(terms, t)
	}
	return join(terms...), nil
}

// kind is how KQL stores a field's value, which decides how the printer
// reads it as text and tests it for null.
type kind int

const (
	// kString is a string column: never null, "" when the value is absent.
	kString kind = iota
	// kAny is a column whose type no pipeline declared: read through
	// tostring(), tested with isempty() (true for "" and for null).
	kAny
	// kTyped is a number, bool or datetime column: null when absent.
	kTyped
	// kDynamic is a value inside a dynamic column (a struct path) or inside
	// parsed JSON text: null when absent.
	kDynamic
)

// col is a resolved field.
type col struct {
	raw  expr // the value as KQL holds it
	kind kind
	typ  ir.Type
}

func (p *printer) column(f ir.Field) (col, error) {
	c := f.Column
	if c == nil {
		return col{}, p.errorf(f.Pos, "map the field in a pipeline", "field %q is not resolved to a column", f.Name)
	}
	if len(c.Path) == 0 {
		return col{}, p.errorf(f.Pos, "", "field %q maps to an empty column path", f.Name)
	}
	for _, s := range append(append([]string(nil), c.Path...), c.JSON...) {
		if err := checkText(s); err != nil {
			return col{}, p.errorf(f.Pos, "", "field %q: column name %q %v", f.Name, s, err)
		}
	}
	x := Ident(c.Path[0])
	if len(c.Path) == 1 && len(c.JSON) == 0 {
		k := kTyped
		switch c.Type {
		case ir.String:
			k = kString
		case ir.Any:
			k = kAny
		}
		return col{raw: prim(x), kind: k, typ: c.Type}, nil
	}
	for _, name := range c.Path[1:] {
		x = member(x, name)
	}
	if len(c.JSON) > 0 {
		// parse_json takes a string column's JSON text, or a dynamic
		// column's value as it is; a value inside a dynamic column goes
		// through tostring first, so JSON text held there is parsed too.
		if len(c.Path) == 1 {
			x = "parse_json(" + x + ")"
		} else {
			x = "parse_json(tostring(" + x + "))"
		}
		for _, key := range c.JSON {
			x = member(x, key)
		}
	}
	return col{raw: prim(x), kind: kDynamic, typ: c.Type}, nil
}

// text reads the value as a string; "" when absent, never null.
func (c col) text() expr {
	if c.kind == kString {
		return never(c.raw)
	}
	return never(call("tostring", c.raw))
}

// folded reads the value as a string, lower-cased unless cased.
func (c col) folded(cased bool) expr {
	if cased {
		return c.text()
	}
	return never(call("tolower", c.text()))
}

// present is true when the value is there: not null, and for string
// columns (which cannot hold null) not empty.
func (c col) present() expr {
	if c.kind == kString || c.kind == kAny {
		return never(call("isnotempty", c.raw))
	}
	return never(call("isnotnull", c.raw))
}

// absent is the negation of present.
func (c col) absent() expr {
	if c.kind == kString || c.kind == kAny {
		return never(call("isempty", c.raw))
	}
	return never(call("isnull", c.raw))
}

// nullable says whether KQL can tell an absent value from an empty string.
func (c col) nullable() bool { return c.kind == kTyped || c.kind == kDynamic }

func (p *printer) literal(f ir.Field, s string) (expr, error) {
	if err := checkText(s); err != nil {
		return expr{}, p.errorf(f.Pos, "", "field %q: value %q %v", f.Name, s, err)
	}
	return str(s), nil
}

func (p *printer) match(m ir.Match) (expr, error) {
	c, err := p.column(m.Field)
	if err != nil {
		return expr{}, err
	}
	pat := m.Pattern.Normalize()
	for _, part := range pat {
		if err := checkText(part.Text); err != nil {
			return expr{}, p.errorf(m.Field.Pos, "", "field %q: value %q %v", m.Field.Name, part.Text, err)
		}
	}
	if !m.Cased {
		pat = pat.Lower()
	}
	shape, lit := pat.Shape()
	if shape == ir.ShapeAny {
		return c.present(), nil
	}
	if shape == ir.ShapeEq && lit == "" {
		// An absent string reads as "": only a dynamic or typed value can
		// tell the two apart.
		e := cmp(c.text(), "==", str(""))
		e.notNull = true
		if c.nullable() {
			return and(c.present(), e), nil
		}
		return e, nil
	}
	x := c.folded(m.Cased)
	op := map[ir.Shape]string{ir.ShapeEq: "==", ir.ShapePrefix: "startswith_cs", ir.ShapeSuffix: "endswith_cs", ir.ShapeContains: "contains_cs"}[shape]
	if op != "" {
		e := cmp(x, op, str(lit))
		e.notNull = true
		return e, nil
	}
	e := cmp(x, "matches regex", str(globRegex(pat)))
	e.notNull = true
	return e, nil
}

// globRegex spells a wildcard pattern as an anchored RE2 pattern: literal
// text quoted, * as .*, ? as one character; (?s) makes both match a newline
// too.
func globRegex(pat ir.Pattern) string {
	var b strings.Builder
	b.WriteString("(?s)^")
	for _, part := range pat {
		switch part.Kind {
		case ir.Star:
			b.WriteString(".*")
		case ir.One:
			b.WriteString(".")
		case ir.Lit:
			b.WriteString(regexp.QuoteMeta(part.Text))
		}
	}
	b.WriteString("$")
	return b.String()
}

func (p *printer) regex(r ir.Regex) (expr, error) {
	c, err := p.column(r.Field)
	if err != nil {
		return expr{}, err
	}
	var flags string
	for _, f := range []struct {
		on bool
		c  string
	}{{r.I, "i"}, {r.M, "m"}, {r.S, "s"}} {
		if f.on {
			flags += f.c
		}
	}
	pattern := r.Pattern
	if flags != "" {
		pattern = "(?" + flags + ")" + pattern
	}
	if err := checkText(pattern); err != nil {
		return expr{}, p.errorf(r.Field.Pos, "", "field %q: regular expression %v", r.Field.Name, err)
	}
	re, err := regexp.Compile(pattern)
	if err != nil {
		return expr{}, p.errorf(r.Field.Pos, "write the expression in RE2 syntax", "field %q: invalid regular expression %q: %v", r.Field.Name, r.Pattern, err)
	}
	e := cmp(c.text(), "matches regex", str(pattern))
	e.notNull = true
	if re.MatchString("") {
		// An absent value reads as "", which this expression matches; a
		// string column's "" counts as absent, as in isempty().
		return and(c.present(), e), nil
	}
	return e, nil
}

var opSyms = map[ir.Op]string{ir.Eq: "==", ir.Lt: "<", ir.Lte: "<=", ir.Gt: ">", ir.Gte: ">="}

// decimalText is the text read as a number for a comparison with a value
// of undeclared type: the DuckDB backend and the reference evaluator read
// the same.
const decimalText = `^\s*[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?\s*$`

func (p *printer) compare(cp ir.Compare) (expr, error) {
	c, err := p.column(cp.Field)
	if err != nil {
		return expr{}, err
	}
	op, ok := opSyms[cp.Op]
	if !ok {
		return expr{}, p.errorf(cp.Field.Pos, "", "unknown comparison operator %d", int(cp.Op))
	}
	if c.typ != ir.Number && c.typ != ir.Any && cp.Op == ir.Eq {
		lit, err := p.literal(cp.Field, cp.Value.Text)
		if err != nil {
			return expr{}, err
		}
		e := cmp(c.text(), "==", lit)
		e.notNull = true
		return e, nil
	}
	n, err := number(cp.Value.Text, cp.Value.Float)
	if err != nil {
		return expr{}, p.errorf(cp.Field.Pos, "compare with a finite number", "field %q: %v", cp.Field.Name, err)
	}
	switch {
	case c.typ == ir.Number && c.kind == kTyped:
		return cmp(c.raw, op, prim(n)), nil
	case c.typ == ir.Number:
		return cmp(call("toreal", c.raw), op, prim(n)), nil
	}
	// Text, or a value of undeclared type: only text in decimal notation
	// is a number, as in the DuckDB backend and the reference evaluator;
	// what else toreal() reads ("Infinity"?) is not documented.
	guard := cmp(c.text(), "matches regex", str(decimalText))
	guard.notNull = true
	return and(guard, cmp(call("toreal", c.raw), op, prim(n))), nil
}

func (p *printer) boolEq(b ir.BoolEq) (expr, error) {
	c, err := p.column(b.Field)
	if err != nil {
		return expr{}, err
	}
	if c.typ == ir.Bool && c.kind == kTyped {
		v := exprFalse
		if b.Value {
			v = exprTrue
		}
		return cmp(c.raw, "==", v), nil
	}
	e := cmp(c.folded(false), "==", str(strconv.FormatBool(b.Value)))
	e.notNull = true
	return e, nil
}

func (p *printer) fieldRef(f ir.FieldRef) (expr, error) {
	a, err := p.column(f.Field)
	if err != nil {
		return expr{}, err
	}
	b, err := p.column(f.Other)
	if err != nil {
		return expr{}, err
	}
	op := map[ir.Shape]string{ir.ShapeEq: "==", ir.ShapePrefix: "startswith_cs", ir.ShapeSuffix: "endswith_cs", ir.ShapeContains: "contains_cs"}[f.Shape]
	if op == "" {
		return expr{}, p.errorf(f.Field.Pos, "", "field %q: a field reference cannot be compared as %s", f.Field.Name, f.Shape)
	}
	// The other field's value is literal text on the right of a string
	// operator; both must be there (an absent string reads as "", which
	// would equal another absent one and start every string).
	e := cmp(a.folded(f.Cased), op, b.folded(f.Cased))
	e.notNull = true
	return and(a.present(), b.present(), e), nil
}

var timeParts = map[ir.TimePart]string{
	ir.Minute: "minute", ir.Hour: "hour", ir.Day: "day", ir.Week: "week_of_year", ir.Month: "month", ir.Year: "year",
}

// time takes a part of a datetime (KQL datetimes are UTC). A value that is
// not a datetime column is converted with todatetime(), null when it is not
// a timestamp.
func (p *printer) time(t ir.Time) (expr, error) {
	c, err := p.column(t.Field)
	if err != nil {
		return expr{}, err
	}
	op, ok := opSyms[t.Op]
	if !ok {
		return expr{}, p.errorf(t.Field.Pos, "", "unknown comparison operator %d", int(t.Op))
	}
	part, ok := timeParts[t.Part]
	if !ok {
		return expr{}, p.errorf(t.Field.Pos, "", "unknown time part %d", int(t.Part))
	}
	var dt expr
	switch {
	case c.kind == kTyped && c.typ == ir.Timestamp:
		dt = c.raw
	case c.kind == kTyped:
		dt = call("todatetime", c.text())
	default:
		dt = call("todatetime", c.raw)
	}
	return cmp(call("datetime_part", str(part), dt), op, prim(strconv.FormatInt(t.Value, 10))), nil
}
