package ir

import (
	"fmt"
	"math"
	"net/netip"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Parse reads an expression back from the text Format and Flat print, so
// that tests and tools can write IR as text:
//
//	expr    = "true" | "false"
//	        | "(and" {expr} ")" | "(or" {expr} ")" | "(not" expr ")"
//	        | "(" ("eq"|"prefix"|"suffix"|"contains") case field string ")"
//	        | "(any" case field ")" | "(glob" case field pattern ")"
//	        | "(re" [":" flags] field string ")"        flags: i, m, s
//	        | "(num" op field number ")" | "(bool" field ("true"|"false") ")"
//	        | "(null" field ")" | "(cidr" field {string} ")"
//	        | "(fieldref" ("eq"|"prefix"|"suffix"|"contains") case field field ")"
//	        | "(time" part op field integer ")" | "(keyword" case pattern ")"
//	case    = "ci" | "cs"
//	op      = "eq" | "lt" | "lte" | "gt" | "gte"
//	pattern = "[" {string | "*" | "?"} "]"
//	field   = name ["=?" | "=" path ["$" path]] [":" type]
//	path    = [segment {"." segment}]
//
// Strings are Go double-quoted literals; names and path segments are bare
// when FieldString prints them bare, quoted otherwise. A bare field without
// "=" is the column of the same name (split at dots); "=?" is a field no
// pipeline has resolved (Column nil).
//
// Parsing inverts printing: Parse(Format(e, w)) equals e once e is in the
// form printing keeps: Match patterns normalised (a Match prints its
// Shape), a Compare's Float read from its Text, empty slices nil, and
// positions those of the text (Field.Pos and Keyword.Pos point into it,
// File empty). Errors are *Error values at a 1-based line and column (in
// characters) of the text.
func Parse(text string) (Expr, error) {
	p := &parser{src: []rune(text), line: 1, col: 1}
	p.skipSpace()
	if p.eof() {
		return nil, p.errorf(p.pos(), "write an expression such as (eq ci eventName \"x\")", "empty expression")
	}
	e, err := p.expr(0)
	if err != nil {
		return nil, err
	}
	p.skipSpace()
	if !p.eof() {
		return nil, p.errorf(p.pos(), "", "unexpected %s after the expression", p.describe())
	}
	return e, nil
}

// maxDepth bounds nesting, so that hostile input cannot exhaust the stack.
const maxDepth = 1000

type parser struct {
	src       []rune
	i         int
	line, col int
}

func (p *parser) eof() bool { return p.i >= len(p.src) }

func (p *parser) peek() rune {
	if p.eof() {
		return 0
	}
	return p.src[p.i]
}

func (p *parser) next() rune {
	r := p.src[p.i]
	p.i++
	if r == '\n' {
		p.line++
		p.col = 1
	} else {
		p.col++
	}
	return r
}

func (p *parser) pos() Pos { return Pos{Line: p.line, Col: p.col} }

func isSpace(r rune) bool { return r == ' ' || r == '\t' || r == '\n' || r == '\r' }

// isDelim reports whether r ends a bare word.
func isDelim(r rune) bool {
	return isSpace(r) || r == '(' || r == ')' || r == '[' || r == ']' || r == '"'
}

func (p *parser) skipSpace() {
	for !p.eof() && isSpace(p.peek()) {
		p.next()
	}
}

func (p *parser) errorf(pos Pos, hint, format string, args ...any) *Error {
	return &Error{Pos: pos, Msg: fmt.Sprintf(format, args...), Hint: hint}
}

// describe names what is at the current position, for error messages.
func (p *parser) describe() string {
	if p.eof() {
		return "end of text"
	}
	if r := p.peek(); isDelim(r) {
		if isSpace(r) {
			return "space"
		}
		return strconv.QuoteRune(r)
	}
	j := p.i
	for j < len(p.src) && !isDelim(p.src[j]) && j-p.i < 40 {
		j++
	}
	return strconv.Quote(string(p.src[p.i:j]))
}

// sep requires white space before the next item of a form.
func (p *parser) sep(what string) error {
	if p.eof() || !isSpace(p.peek()) {
		return p.errorf(p.pos(), "", "expected a space and %s, found %s", what, p.describe())
	}
	p.skipSpace()
	return nil
}

// word reads a bare word: everything up to white space, a bracket or a quote.
func (p *parser) word() string {
	start := p.i
	for !p.eof() && !isDelim(p.peek()) {
		p.next()
	}
	return string(p.src[start:p.i])
}

// close reads the ")" that ends a form.
func (p *parser) close(head string) error {
	p.skipSpace()
	if p.peek() != ')' {
		return p.errorf(p.pos(), "", "expected ) to end (%s, found %s", head, p.describe())
	}
	p.next()
	return nil
}

func (p *parser) expr(depth int) (Expr, error) {
	if depth > maxDepth {
		return nil, p.errorf(p.pos(), "", "expression nested deeper than %d levels", maxDepth)
	}
	start := p.pos()
	if p.peek() != '(' {
		switch w := p.word(); w {
		case "true":
			return Const{Value: true}, nil
		case "false":
			return Const{Value: false}, nil
		case "":
			return nil, p.errorf(start, "", "expected an expression, found %s", p.describe())
		default:
			return nil, p.errorf(start, "", "expected an expression, found %q", w)
		}
	}
	p.next()
	headPos := p.pos()
	head := p.word()
	switch head {
	case "and", "or":
		var args []Expr
		for {
			p.skipSpace()
			if p.eof() || p.peek() == ')' {
				break
			}
			if len(args) == 0 && p.i > 0 && !isSpace(p.src[p.i-1]) {
				return nil, p.errorf(p.pos(), "", "expected a space after (%s, found %s", head, p.describe())
			}
			if len(args) > 0 && !isSpace(p.src[p.i-1]) {
				return nil, p.errorf(p.pos(), "", "expected a space between the arguments of (%s, found %s", head, p.describe())
			}
			a, err := p.expr(depth + 1)
			if err != nil {
				return nil, err
			}
			args = append(args, a)
		}
		if err := p.close(head); err != nil {
			return nil, err
		}
		if head == "and" {
			return And{Args: args}, nil
		}
		return Or{Args: args}, nil
	case "not":
		if err := p.sep("an expression"); err != nil {
			return nil, err
		}
		a, err := p.expr(depth + 1)
		if err != nil {
			return nil, err
		}
		if err := p.close(head); err != nil {
			return nil, err
		}
		return Not{Arg: a}, nil
	case "eq", "prefix", "suffix", "contains", "any", "glob":
		return p.match(head)
	case "num":
		return p.compare()
	case "bool":
		return p.boolEq()
	case "null":
		if err := p.sep("a field"); err != nil {
			return nil, err
		}
		f, err := p.field()
		if err != nil {
			return nil, err
		}
		if err := p.close(head); err != nil {
			return nil, err
		}
		return IsNull{Field: f}, nil
	case "cidr":
		return p.cidr()
	case "fieldref":
		return p.fieldRef()
	case "time":
		return p.time()
	case "keyword":
		if err := p.sep("ci or cs"); err != nil {
			return nil, err
		}
		cased, err := p.caseWord()
		if err != nil {
			return nil, err
		}
		if err := p.sep("a pattern"); err != nil {
			return nil, err
		}
		pat, err := p.pattern()
		if err != nil {
			return nil, err
		}
		if err := p.close(head); err != nil {
			return nil, err
		}
		return Keyword{Pattern: pat, Cased: cased, Pos: start}, nil
	}
	if head == "re" || strings.HasPrefix(head, "re:") {
		return p.regex(head, headPos)
	}
	if head == "" {
		return nil, p.errorf(headPos, "", "expected a form name after (, found %s", p.describe())
	}
	return nil, p.errorf(headPos, "use and, or, not, eq, prefix, suffix, contains, any, glob, re, num, bool, null, cidr, fieldref, time or keyword", "unknown form %q", head)
}

func (p *parser) caseWord() (bool, error) {
	pos := p.pos()
	switch w := p.word(); w {
	case "ci":
		return false, nil
	case "cs":
		return true, nil
	default:
		return false, p.errorf(pos, "ci is case-insensitive, cs case-sensitive", "expected ci or cs, found %q", w)
	}
}

func (p *parser) op() (Op, error) {
	pos := p.pos()
	w := p.word()
	op, ok := ParseOp(w)
	if !ok {
		return 0, p.errorf(pos, "", "expected an operator (eq, lt, lte, gt, gte), found %q", w)
	}
	return op, nil
}

func (p *parser) match(head string) (Expr, error) {
	if err := p.sep("ci or cs"); err != nil {
		return nil, err
	}
	cased, err := p.caseWord()
	if err != nil {
		return nil, err
	}
	f, err := p.sepField("a field")
	if err != nil {
		return nil, err
	}
	var pat Pattern
	switch head {
	case "any":
		pat = Pattern{{Kind: Star}}
	case "glob":
		if err := p.sep("a pattern"); err != nil {
			return nil, err
		}
		if pat, err = p.pattern(); err != nil {
			return nil, err
		}
	default:
		if err := p.sep("a quoted string"); err != nil {
			return nil, err
		}
		s, err := p.str()
		if err != nil {
			return nil, err
		}
		lit := Part{Kind: Lit, Text: s}
		star := Part{Kind: Star}
		switch head {
		case "eq":
			pat = Pattern{lit}
		case "prefix":
			pat = Pattern{lit, star}
		case "suffix":
			pat = Pattern{star, lit}
		case "contains":
			pat = Pattern{star, lit, star}
		}
	}
	if err := p.close(head); err != nil {
		return nil, err
	}
	return Match{Field: f, Pattern: pat.Normalize(), Cased: cased}, nil
}

func (p *parser) regex(head string, headPos Pos) (Expr, error) {
	var r Regex
	if flags, ok := strings.CutPrefix(head, "re:"); ok {
		if flags == "" {
			return nil, p.errorf(headPos, "write re alone, or re: followed by i, m or s", "%q has no flags", head)
		}
		for _, c := range flags {
			var flag *bool
			switch c {
			case 'i':
				flag = &r.I
			case 'm':
				flag = &r.M
			case 's':
				flag = &r.S
			default:
				return nil, p.errorf(headPos, "the flags are i, m and s", "unknown regex flag %q in %q", c, head)
			}
			if *flag {
				return nil, p.errorf(headPos, "", "regex flag %q repeated in %q", c, head)
			}
			*flag = true
		}
	}
	f, err := p.sepField("a field")
	if err != nil {
		return nil, err
	}
	if err := p.sep("a quoted regular expression"); err != nil {
		return nil, err
	}
	s, err := p.str()
	if err != nil {
		return nil, err
	}
	if err := p.close("re"); err != nil {
		return nil, err
	}
	r.Field, r.Pattern = f, s
	return r, nil
}

func (p *parser) compare() (Expr, error) {
	if err := p.sep("an operator"); err != nil {
		return nil, err
	}
	op, err := p.op()
	if err != nil {
		return nil, err
	}
	f, err := p.sepField("a field")
	if err != nil {
		return nil, err
	}
	if err := p.sep("a number"); err != nil {
		return nil, err
	}
	pos := p.pos()
	w := p.word()
	v, ok := parseNumber(w)
	if !ok {
		return nil, p.errorf(pos, "write a finite decimal, hexadecimal, octal or binary number", "expected a number, found %q", w)
	}
	if err := p.close("num"); err != nil {
		return nil, err
	}
	return Compare{Field: f, Op: op, Value: v}, nil
}

// parseNumber reads a number as the Sigma front end does: an integer in Go
// syntax (decimal, 0x, 0o, 0b, underscores) or a finite floating point
// number. Text keeps the spelling.
func parseNumber(s string) (NumberValue, bool) {
	if i, err := strconv.ParseInt(s, 0, 64); err == nil {
		return NumberValue{Text: s, Float: float64(i)}, true
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
		return NumberValue{}, false
	}
	return NumberValue{Text: s, Float: f}, true
}

func (p *parser) boolEq() (Expr, error) {
	f, err := p.sepField("a field")
	if err != nil {
		return nil, err
	}
	if err := p.sep("true or false"); err != nil {
		return nil, err
	}
	pos := p.pos()
	var v bool
	switch w := p.word(); w {
	case "true":
		v = true
	case "false":
	default:
		return nil, p.errorf(pos, "", "expected true or false, found %q", w)
	}
	if err := p.close("bool"); err != nil {
		return nil, err
	}
	return BoolEq{Field: f, Value: v}, nil
}

func (p *parser) cidr() (Expr, error) {
	f, err := p.sepField("a field")
	if err != nil {
		return nil, err
	}
	var prefixes []netip.Prefix
	for {
		p.skipSpace()
		if p.eof() || p.peek() == ')' {
			break
		}
		if !isSpace(p.src[p.i-1]) {
			return nil, p.errorf(p.pos(), "", "expected a space before the next prefix, found %s", p.describe())
		}
		pos := p.pos()
		s, err := p.str()
		if err != nil {
			return nil, err
		}
		pre, err := netip.ParsePrefix(s)
		if err != nil {
			return nil, p.errorf(pos, "write an address and a prefix length, e.g. \"10.0.0.0/8\"", "%q is not a network prefix", s)
		}
		prefixes = append(prefixes, pre)
	}
	if err := p.close("cidr"); err != nil {
		return nil, err
	}
	return CIDR{Field: f, Prefixes: prefixes}, nil
}

func (p *parser) fieldRef() (Expr, error) {
	if err := p.sep("a shape"); err != nil {
		return nil, err
	}
	pos := p.pos()
	var shape Shape
	switch w := p.word(); w {
	case "eq":
		shape = ShapeEq
	case "prefix":
		shape = ShapePrefix
	case "suffix":
		shape = ShapeSuffix
	case "contains":
		shape = ShapeContains
	default:
		return nil, p.errorf(pos, "", "expected eq, prefix, suffix or contains, found %q", w)
	}
	if err := p.sep("ci or cs"); err != nil {
		return nil, err
	}
	cased, err := p.caseWord()
	if err != nil {
		return nil, err
	}
	f, err := p.sepField("a field")
	if err != nil {
		return nil, err
	}
	other, err := p.sepField("the other field")
	if err != nil {
		return nil, err
	}
	if err := p.close("fieldref"); err != nil {
		return nil, err
	}
	return FieldRef{Field: f, Other: other, Shape: shape, Cased: cased}, nil
}

func (p *parser) time() (Expr, error) {
	if err := p.sep("a time part"); err != nil {
		return nil, err
	}
	pos := p.pos()
	w := p.word()
	part, ok := ParseTimePart(w)
	if !ok {
		return nil, p.errorf(pos, "", "expected minute, hour, day, week, month or year, found %q", w)
	}
	if err := p.sep("an operator"); err != nil {
		return nil, err
	}
	op, err := p.op()
	if err != nil {
		return nil, err
	}
	f, err := p.sepField("a field")
	if err != nil {
		return nil, err
	}
	if err := p.sep("an integer"); err != nil {
		return nil, err
	}
	pos = p.pos()
	w = p.word()
	v, err := strconv.ParseInt(w, 10, 64)
	if err != nil {
		return nil, p.errorf(pos, "", "expected a decimal integer, found %q", w)
	}
	if err := p.close("time"); err != nil {
		return nil, err
	}
	return Time{Field: f, Part: part, Op: op, Value: v}, nil
}

// str reads a double-quoted Go string literal.
func (p *parser) str() (string, error) {
	pos := p.pos()
	if p.peek() != '"' {
		return "", p.errorf(pos, "", "expected a quoted string, found %s", p.describe())
	}
	start := p.i
	p.next()
	for {
		if p.eof() {
			return "", p.errorf(pos, "", "string not terminated")
		}
		switch p.next() {
		case '\\':
			if !p.eof() {
				p.next()
			}
		case '"':
			s, err := strconv.Unquote(string(p.src[start:p.i]))
			if err != nil {
				return "", p.errorf(pos, "strings are Go string literals: escape \" and \\ with \\", "invalid string %s", string(p.src[start:p.i]))
			}
			return s, nil
		case '\n':
			return "", p.errorf(pos, "write a newline as \\n", "string not terminated before the end of the line")
		}
	}
}

// pattern reads ["lit" * ?].
func (p *parser) pattern() (Pattern, error) {
	if p.peek() != '[' {
		return nil, p.errorf(p.pos(), "write a pattern as a list of quoted text and wildcards, e.g. [\"a\" * \"b\" ?]", "expected [, found %s", p.describe())
	}
	p.next()
	var pat Pattern
	for {
		p.skipSpace()
		if p.eof() {
			return nil, p.errorf(p.pos(), "", "expected ] to end the pattern, found end of text")
		}
		if p.peek() == ']' {
			p.next()
			return pat.Normalize(), nil
		}
		if len(pat) > 0 && !isSpace(p.src[p.i-1]) {
			return nil, p.errorf(p.pos(), "", "expected a space between pattern parts, found %s", p.describe())
		}
		switch p.peek() {
		case '"':
			s, err := p.str()
			if err != nil {
				return nil, err
			}
			pat = append(pat, Part{Kind: Lit, Text: s})
			continue
		case '*', '?':
			pos := p.pos()
			w := p.word()
			switch w {
			case "*":
				pat = append(pat, Part{Kind: Star})
				continue
			case "?":
				pat = append(pat, Part{Kind: One})
				continue
			}
			return nil, p.errorf(pos, "separate wildcards with spaces", "expected a quoted string, * or ?, found %q", w)
		}
		return nil, p.errorf(p.pos(), "quote literal text", "expected a quoted string, * or ?, found %s", p.describe())
	}
}

// field reads name[=?|=path[$path]][:type].
func (p *parser) field() (Field, error) {
	pos := p.pos()
	name, err := p.name(isNameStart, isNameRune)
	if err != nil {
		return Field{}, err
	}
	f := Field{Name: name, Pos: pos}
	if p.peek() == '=' {
		p.next()
		if p.peek() == '?' {
			p.next()
			if err := p.fieldEnd(); err != nil {
				return Field{}, err
			}
			return f, nil
		}
		path, err := p.path()
		if err != nil {
			return Field{}, err
		}
		f.Column = &Column{Path: path}
		if p.peek() == '$' {
			p.next()
			jpos := p.pos()
			if f.Column.JSON, err = p.path(); err != nil {
				return Field{}, err
			}
			if len(f.Column.JSON) == 0 {
				return Field{}, p.errorf(jpos, "name the JSON key after $", "empty JSON path")
			}
		}
	} else {
		f.Column = &Column{}
		if name != "" {
			f.Column.Path = strings.Split(name, ".")
		}
	}
	if p.peek() == ':' {
		p.next()
		tpos := p.pos()
		w := p.word()
		t, ok := typeByName(w)
		if !ok {
			return Field{}, p.errorf(tpos, "the types are string, number, bool, timestamp and any", "unknown type %q", w)
		}
		f.Column.Type = t
	}
	if err := p.fieldEnd(); err != nil {
		return Field{}, err
	}
	return f, nil
}

func (p *parser) fieldEnd() error {
	if !p.eof() && !isSpace(p.peek()) && p.peek() != ')' {
		return p.errorf(p.pos(), "", "unexpected %s after a field", p.describe())
	}
	return nil
}

func typeByName(s string) (Type, bool) {
	for i, n := range typeNames {
		if n == s {
			return Type(i), true
		}
	}
	return 0, false
}

// path reads segment{.segment}; it may be empty.
func (p *parser) path() ([]string, error) {
	if p.peek() != '"' && !isSegmentStart(p.peek()) {
		return nil, nil
	}
	var path []string
	for {
		seg, err := p.name(isSegmentStart, isSegmentRune)
		if err != nil {
			return nil, err
		}
		path = append(path, seg)
		if p.peek() != '.' {
			return path, nil
		}
		p.next()
	}
}

// name reads a bare name (start, then rest) or a quoted one.
func (p *parser) name(start, rest func(rune) bool) (string, error) {
	if p.peek() == '"' {
		return p.str()
	}
	if p.eof() || !start(p.peek()) {
		return "", p.errorf(p.pos(), "quote names that do not start with a letter, _ or @", "expected a field name, found %s", p.describe())
	}
	from := p.i
	for !p.eof() && rest(p.peek()) {
		p.next()
	}
	return string(p.src[from:p.i]), nil
}

// The bare spellings of names and path segments; they match the
// expressions plainName and plainSegment in print.go.
func isSegmentStart(r rune) bool {
	return r < utf8.RuneSelf && (r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r == '_' || r == '@')
}
func isSegmentRune(r rune) bool { return isSegmentStart(r) || r >= '0' && r <= '9' || r == '-' }
func isNameStart(r rune) bool   { return isSegmentStart(r) }
func isNameRune(r rune) bool    { return isSegmentRune(r) || r == '.' }

// sepField reads the separator before a field, then the field; what names
// the field in the error when the separator is missing.
func (p *parser) sepField(what string) (Field, error) {
	if err := p.sep(what); err != nil {
		return Field{}, err
	}
	return p.field()
}
