package kql_test

// A model of the KQL the printer emits: a parser for that subset and an
// evaluator with the semantics the Microsoft documentation states (see the
// package notes). No Kusto engine runs here; the model lets the golden
// cases' events run through the KQL text itself, so a wrong guard, a wrong
// precedence or a wrong escape shows as a wrong match. Where the
// documentation leaves a point open, the model takes the stricter reading:
// not(null) is null and `and`/`or` are three-valued, so only an explicit
// coalesce makes a null leaf false.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"net/netip"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/tokenhunt/tokenhunt/internal/refeval"
)

// ---- lexer

type tokKind int

const (
	tEOF tokKind = iota
	tIdent
	tString
	tNumber
	tPunct // ( ) [ ] , . -
	tOp    // == < <= > >=
)

type token struct {
	kind tokKind
	text string // identifier, operator, punctuation; a string's value; a number's text
}

func lex(src string) ([]token, error) {
	var out []token
	i := 0
	for i < len(src) {
		c := src[i]
		switch {
		case c == ' ':
			i++
		case c == '@' && i+1 < len(src) && src[i+1] == '"':
			// Verbatim: "" is a quote, nothing else escapes.
			var b strings.Builder
			j := i + 2
			for {
				if j >= len(src) {
					return nil, fmt.Errorf("unterminated verbatim string at %d", i)
				}
				if src[j] == '"' {
					if j+1 < len(src) && src[j+1] == '"' {
						b.WriteByte('"')
						j += 2
						continue
					}
					break
				}
				b.WriteByte(src[j])
				j++
			}
			out = append(out, token{tString, b.String()})
			i = j + 1
		case c == '"' || c == '\'':
			var b strings.Builder
			j := i + 1
			for {
				if j >= len(src) {
					return nil, fmt.Errorf("unterminated string at %d", i)
				}
				if src[j] == c {
					break
				}
				if src[j] == '\\' {
					if j+1 >= len(src) {
						return nil, fmt.Errorf("dangling backslash at %d", j)
					}
					switch e := src[j+1]; e {
					case '\\', '"', '\'':
						b.WriteByte(e)
					case 'n':
						b.WriteByte('\n')
					case 't':
						b.WriteByte('\t')
					case 'r':
						b.WriteByte('\r')
					default:
						return nil, fmt.Errorf("escape \\%c at %d is not one the printer writes", e, j)
					}
					j += 2
					continue
				}
				if src[j] < 0x20 {
					return nil, fmt.Errorf("raw control character in a string at %d", j)
				}
				b.WriteByte(src[j])
				j++
			}
			out = append(out, token{tString, b.String()})
			i = j + 1
		case c >= '0' && c <= '9':
			j := i
			for j < len(src) && (src[j] >= '0' && src[j] <= '9' || src[j] == '.' || src[j] == 'e' || src[j] == 'E' ||
				(src[j] == '+' || src[j] == '-') && (src[j-1] == 'e' || src[j-1] == 'E')) {
				j++
			}
			out = append(out, token{tNumber, src[i:j]})
			i = j
		case c == '_' || c < utf8.RuneSelf && unicode.IsLetter(rune(c)):
			j := i
			for j < len(src) && (src[j] == '_' || src[j] < utf8.RuneSelf && (unicode.IsLetter(rune(src[j])) || unicode.IsDigit(rune(src[j])))) {
				j++
			}
			out = append(out, token{tIdent, src[i:j]})
			i = j
		case strings.HasPrefix(src[i:], "=="), strings.HasPrefix(src[i:], "<="), strings.HasPrefix(src[i:], ">="):
			out = append(out, token{tOp, src[i : i+2]})
			i += 2
		case c == '<' || c == '>':
			out = append(out, token{tOp, string(c)})
			i++
		case strings.ContainsRune("()[],.-", rune(c)):
			out = append(out, token{tPunct, string(c)})
			i++
		default:
			return nil, fmt.Errorf("unexpected %q at %d", c, i)
		}
	}
	return append(out, token{kind: tEOF}), nil
}

// ---- parser

type node interface{}

type (
	nLit    struct{ v val }
	nCol    struct{ name string }
	nMember struct {
		x   node
		key string
	}
	// nIndex is an element of a dynamic array, arr[n].
	nIndex struct {
		x node
		i int
	}
	nCall struct {
		fn   string
		args []node
	}
	nBin struct {
		op   string
		l, r node
	}
)

type parser struct {
	toks []token
	pos  int
}

func parseKQL(src string) (node, error) {
	toks, err := lex(src)
	if err != nil {
		return nil, err
	}
	p := &parser{toks: toks}
	n, err := p.or()
	if err != nil {
		return nil, err
	}
	if p.peek().kind != tEOF {
		return nil, fmt.Errorf("unexpected %q after the expression", p.peek().text)
	}
	return n, nil
}

func (p *parser) peek() token { return p.toks[p.pos] }
func (p *parser) next() token { t := p.toks[p.pos]; p.pos++; return t }

func (p *parser) expect(kind tokKind, text string) error {
	t := p.next()
	if t.kind != kind || t.text != text {
		return fmt.Errorf("want %q, got %q", text, t.text)
	}
	return nil
}

func (p *parser) or() (node, error)  { return p.chain("or", p.and) }
func (p *parser) and() (node, error) { return p.chain("and", p.cmp) }

func (p *parser) chain(word string, sub func() (node, error)) (node, error) {
	l, err := sub()
	if err != nil {
		return nil, err
	}
	for p.peek().kind == tIdent && p.peek().text == word {
		p.next()
		r, err := sub()
		if err != nil {
			return nil, err
		}
		l = nBin{word, l, r}
	}
	return l, nil
}

var stringOps = map[string]bool{"startswith_cs": true, "endswith_cs": true, "contains_cs": true}

func (p *parser) cmp() (node, error) {
	l, err := p.postfix()
	if err != nil {
		return nil, err
	}
	t := p.peek()
	var op string
	switch {
	case t.kind == tOp:
		op = t.text
		p.next()
	case t.kind == tIdent && stringOps[t.text]:
		op = t.text
		p.next()
	case t.kind == tIdent && t.text == "matches":
		p.next()
		if err := p.expect(tIdent, "regex"); err != nil {
			return nil, err
		}
		op = "matches regex"
	default:
		return l, nil
	}
	r, err := p.postfix()
	if err != nil {
		return nil, err
	}
	if next := p.peek(); next.kind == tOp || next.kind == tIdent && (stringOps[next.text] || next.text == "matches") {
		return nil, fmt.Errorf("comparisons do not chain: %q", next.text)
	}
	return nBin{op, l, r}, nil
}

func (p *parser) postfix() (node, error) {
	x, err := p.primary()
	if err != nil {
		return nil, err
	}
	for {
		t := p.peek()
		switch {
		case t.kind == tPunct && t.text == ".":
			p.next()
			name := p.next()
			if name.kind != tIdent {
				return nil, fmt.Errorf("want a member name after '.', got %q", name.text)
			}
			x = nMember{x, name.text}
		case t.kind == tPunct && t.text == "[":
			p.next()
			key := p.next()
			if key.kind == tNumber {
				i, err := strconv.Atoi(key.text)
				if err != nil || i < 0 {
					return nil, fmt.Errorf("want an array index, got %q", key.text)
				}
				if err := p.expect(tPunct, "]"); err != nil {
					return nil, err
				}
				x = nIndex{x, i}
				continue
			}
			if key.kind != tString {
				return nil, fmt.Errorf("want a string or integer index, got %q", key.text)
			}
			if err := p.expect(tPunct, "]"); err != nil {
				return nil, err
			}
			x = nMember{x, key.text}
		default:
			return x, nil
		}
	}
}

func (p *parser) primary() (node, error) {
	t := p.next()
	switch {
	case t.kind == tPunct && t.text == "(":
		x, err := p.or()
		if err != nil {
			return nil, err
		}
		return x, p.expect(tPunct, ")")
	case t.kind == tPunct && t.text == "[":
		// A bracketed name: ['a b'].
		name := p.next()
		if name.kind != tString {
			return nil, fmt.Errorf("want a bracketed name, got %q", name.text)
		}
		return nCol{name.text}, p.expect(tPunct, "]")
	case t.kind == tPunct && t.text == "-":
		n := p.next()
		if n.kind != tNumber {
			return nil, fmt.Errorf("want a number after '-', got %q", n.text)
		}
		f, err := strconv.ParseFloat("-"+n.text, 64)
		return nLit{val{t: "real", f: f}}, err
	case t.kind == tNumber:
		f, err := strconv.ParseFloat(t.text, 64)
		return nLit{val{t: "real", f: f}}, err
	case t.kind == tString:
		return nLit{val{t: "string", s: t.text}}, nil
	case t.kind == tIdent && (t.text == "true" || t.text == "false"):
		return nLit{val{t: "bool", b: t.text == "true"}}, nil
	case t.kind == tIdent && p.peek().kind == tPunct && p.peek().text == "(":
		p.next()
		var args []node
		for !(p.peek().kind == tPunct && p.peek().text == ")") {
			if len(args) > 0 {
				if err := p.expect(tPunct, ","); err != nil {
					return nil, err
				}
			}
			a, err := p.or()
			if err != nil {
				return nil, err
			}
			args = append(args, a)
		}
		p.next()
		return nCall{t.text, args}, nil
	case t.kind == tIdent:
		if t.text == "and" || t.text == "or" || stringOps[t.text] || t.text == "matches" {
			return nil, fmt.Errorf("keyword %q where a value belongs", t.text)
		}
		return nCol{t.text}, nil
	}
	return nil, fmt.Errorf("unexpected %q", t.text)
}

// ---- values

// val is a KQL value: t is string, real, bool, datetime or dynamic. A
// string is never null; d holds a dynamic value as encoding/json decodes it
// (numbers as json.Number).
type val struct {
	t    string
	null bool
	s    string
	f    float64
	b    bool
	tm   time.Time
	d    any
}

var nullBool = val{t: "bool", null: true}

func boolVal(b bool) val { return val{t: "bool", b: b} }

// row is one event as a KQL table holds it, after ingestion into the
// columns of the given types.
func ingest(ev map[string]any, schema map[string]string) map[string]val {
	row := map[string]val{}
	for col, typ := range schema {
		v, ok := ev[col]
		if !ok {
			v = nil
		}
		switch typ {
		case "string":
			if v == nil {
				row[col] = val{t: "string"}
			} else {
				row[col] = val{t: "string", s: dynText(v)}
			}
		case "real":
			f, ok := toReal(v)
			row[col] = val{t: "real", f: f, null: !ok}
		case "bool":
			switch x := v.(type) {
			case bool:
				row[col] = boolVal(x)
			case string:
				switch strings.ToLower(x) {
				case "true":
					row[col] = boolVal(true)
				case "false":
					row[col] = boolVal(false)
				default:
					row[col] = nullBool
				}
			default:
				row[col] = nullBool
			}
		case "datetime":
			tm, ok := toDatetime(v)
			row[col] = val{t: "datetime", tm: tm, null: !ok}
		case "dynamic":
			row[col] = val{t: "dynamic", d: v, null: v == nil}
		}
	}
	return row
}

// dynText is tostring() of a dynamic value.
func dynText(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case json.Number:
		return x.String()
	case bool:
		return strconv.FormatBool(x)
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
	return strings.TrimSpace(b.String())
}

func toReal(v any) (float64, bool) {
	switch x := v.(type) {
	case json.Number:
		f, err := x.Float64()
		return f, err == nil
	case float64:
		return x, true
	case string:
		f, err := strconv.ParseFloat(strings.TrimSpace(x), 64)
		return f, err == nil && !math.IsInf(f, 0) && !math.IsNaN(f)
	}
	return 0, false
}

func toDatetime(v any) (time.Time, bool) {
	switch x := v.(type) {
	case time.Time:
		return x.UTC(), true
	case string:
		return refeval.ParseTime(x)
	}
	return time.Time{}, false
}

// ---- evaluator

type evaluator struct {
	row map[string]val
	res map[string]*regexp.Regexp
}

func (e *evaluator) regex(p string) (*regexp.Regexp, error) {
	if re, ok := e.res[p]; ok {
		return re, nil
	}
	re, err := regexp.Compile(p)
	if err != nil {
		return nil, err
	}
	e.res[p] = re
	return re, nil
}

func (e *evaluator) eval(n node) (val, error) {
	switch n := n.(type) {
	case nLit:
		return n.v, nil
	case nCol:
		v, ok := e.row[n.name]
		if !ok {
			return val{}, fmt.Errorf("unknown column %q", n.name)
		}
		return v, nil
	case nMember:
		x, err := e.eval(n.x)
		if err != nil {
			return val{}, err
		}
		if x.t != "dynamic" {
			return val{}, fmt.Errorf("member %q of a %s", n.key, x.t)
		}
		m, ok := x.d.(map[string]any)
		if x.null || !ok {
			return val{t: "dynamic", null: true}, nil
		}
		v := m[n.key]
		return val{t: "dynamic", d: v, null: v == nil}, nil
	case nIndex:
		// dynamic-object accessors: arr[n] counts from 0. The model takes
		// an index past the end, or on anything but an array, as null.
		x, err := e.eval(n.x)
		if err != nil {
			return val{}, err
		}
		if x.t != "dynamic" {
			return val{}, fmt.Errorf("index %d of a %s", n.i, x.t)
		}
		a, ok := x.d.([]any)
		if x.null || !ok || n.i >= len(a) {
			return val{t: "dynamic", null: true}, nil
		}
		v := a[n.i]
		return val{t: "dynamic", d: v, null: v == nil}, nil
	case nBin:
		return e.binary(n)
	case nCall:
		return e.call(n)
	}
	return val{}, fmt.Errorf("unknown node %T", n)
}

func (e *evaluator) binary(n nBin) (val, error) {
	l, err := e.eval(n.l)
	if err != nil {
		return val{}, err
	}
	r, err := e.eval(n.r)
	if err != nil {
		return val{}, err
	}
	switch n.op {
	case "and", "or":
		if l.t != "bool" || r.t != "bool" {
			return val{}, fmt.Errorf("%s of %s and %s", n.op, l.t, r.t)
		}
		// Three-valued, as SQL: the strictest reading of the docs.
		if n.op == "and" {
			if !l.null && !l.b || !r.null && !r.b {
				return boolVal(false), nil
			}
			if l.null || r.null {
				return nullBool, nil
			}
			return boolVal(true), nil
		}
		if !l.null && l.b || !r.null && r.b {
			return boolVal(true), nil
		}
		if l.null || r.null {
			return nullBool, nil
		}
		return boolVal(false), nil
	case "startswith_cs", "endswith_cs", "contains_cs", "matches regex":
		if l.t != "string" || r.t != "string" {
			return val{}, fmt.Errorf("%s of %s and %s", n.op, l.t, r.t)
		}
		switch n.op {
		case "startswith_cs":
			return boolVal(strings.HasPrefix(l.s, r.s)), nil
		case "endswith_cs":
			return boolVal(strings.HasSuffix(l.s, r.s)), nil
		case "contains_cs":
			return boolVal(strings.Contains(l.s, r.s)), nil
		}
		re, err := e.regex(r.s)
		if err != nil {
			return val{}, err
		}
		return boolVal(re.MatchString(l.s)), nil
	}
	// ==, <, <=, >, >=: null == non-null is false, an ordering with null
	// is null (the "Null values" page).
	if l.t != r.t {
		return val{}, fmt.Errorf("%s between %s and %s", n.op, l.t, r.t)
	}
	if l.null || r.null {
		if n.op == "==" && l.null != r.null {
			return boolVal(false), nil
		}
		return nullBool, nil
	}
	var c int
	switch l.t {
	case "string":
		if n.op != "==" {
			return val{}, fmt.Errorf("ordering of strings")
		}
		return boolVal(l.s == r.s), nil
	case "bool":
		if n.op != "==" {
			return val{}, fmt.Errorf("ordering of bools")
		}
		return boolVal(l.b == r.b), nil
	case "real":
		switch {
		case l.f < r.f:
			c = -1
		case l.f > r.f:
			c = 1
		}
	default:
		return val{}, fmt.Errorf("%s of %s", n.op, l.t)
	}
	switch n.op {
	case "==":
		return boolVal(c == 0), nil
	case "<":
		return boolVal(c < 0), nil
	case "<=":
		return boolVal(c <= 0), nil
	case ">":
		return boolVal(c > 0), nil
	}
	return boolVal(c >= 0), nil
}

func (e *evaluator) call(n nCall) (val, error) {
	args := make([]val, len(n.args))
	for i, a := range n.args {
		v, err := e.eval(a)
		if err != nil {
			return val{}, err
		}
		args[i] = v
	}
	want := func(k int, types ...string) error {
		if len(args) != k && k >= 0 {
			return fmt.Errorf("%s takes %d arguments, got %d", n.fn, k, len(args))
		}
		for i, t := range types {
			if t != "" && args[i].t != t {
				return fmt.Errorf("%s: argument %d is %s, want %s", n.fn, i+1, args[i].t, t)
			}
		}
		return nil
	}
	switch n.fn {
	case "tolower":
		if err := want(1, "string"); err != nil {
			return val{}, err
		}
		return val{t: "string", s: strings.ToLower(args[0].s)}, nil
	case "tostring":
		if err := want(1); err != nil {
			return val{}, err
		}
		return val{t: "string", s: text(args[0])}, nil
	case "isempty", "isnotempty":
		if err := want(1); err != nil {
			return val{}, err
		}
		a := args[0]
		empty := a.null || a.t == "string" && a.s == "" || a.t == "dynamic" && a.d == ""
		return boolVal(empty == (n.fn == "isempty")), nil
	case "isnull", "isnotnull":
		if err := want(1); err != nil {
			return val{}, err
		}
		if args[0].t == "string" {
			return val{}, fmt.Errorf("%s of a string is constant: use isempty", n.fn)
		}
		return boolVal(args[0].null == (n.fn == "isnull")), nil
	case "not":
		if err := want(1, "bool"); err != nil {
			return val{}, err
		}
		if args[0].null {
			return nullBool, nil
		}
		return boolVal(!args[0].b), nil
	case "coalesce":
		if err := want(2); err != nil {
			return val{}, err
		}
		if args[0].t != args[1].t {
			return val{}, fmt.Errorf("coalesce of %s and %s", args[0].t, args[1].t)
		}
		if args[0].null {
			return args[1], nil
		}
		return args[0], nil
	case "toreal":
		if err := want(1); err != nil {
			return val{}, err
		}
		a := args[0]
		if a.null {
			return val{t: "real", null: true}, nil
		}
		var f float64
		var ok bool
		switch a.t {
		case "real":
			f, ok = a.f, true
		case "string":
			f, ok = toReal(a.s)
		case "dynamic":
			f, ok = toReal(a.d)
		}
		return val{t: "real", f: f, null: !ok}, nil
	case "todatetime":
		if err := want(1); err != nil {
			return val{}, err
		}
		a := args[0]
		var tm time.Time
		ok := false
		switch {
		case a.null:
		case a.t == "datetime":
			tm, ok = a.tm, true
		case a.t == "string":
			tm, ok = toDatetime(a.s)
		case a.t == "dynamic":
			tm, ok = toDatetime(a.d)
		}
		return val{t: "datetime", tm: tm, null: !ok}, nil
	case "datetime_part":
		if err := want(2, "string", "datetime"); err != nil {
			return val{}, err
		}
		if args[1].null {
			return val{t: "real", null: true}, nil
		}
		tm := args[1].tm.UTC()
		var part int
		switch args[0].s {
		case "minute":
			part = tm.Minute()
		case "hour":
			part = tm.Hour()
		case "day":
			part = tm.Day()
		case "week_of_year":
			_, part = tm.ISOWeek()
		case "month":
			part = int(tm.Month())
		case "year":
			part = tm.Year()
		default:
			return val{}, fmt.Errorf("datetime_part %q", args[0].s)
		}
		return val{t: "real", f: float64(part)}, nil
	case "parse_json":
		if err := want(1); err != nil {
			return val{}, err
		}
		a := args[0]
		if a.t == "dynamic" {
			return a, nil
		}
		if a.t != "string" {
			return val{}, fmt.Errorf("parse_json of %s", a.t)
		}
		dec := json.NewDecoder(strings.NewReader(a.s))
		dec.UseNumber()
		var v any
		if err := dec.Decode(&v); err != nil || dec.More() {
			return val{t: "dynamic", d: a.s}, nil
		}
		return val{t: "dynamic", d: v, null: v == nil}, nil
	case "replace_regex":
		if err := want(3, "string", "string", "string"); err != nil {
			return val{}, err
		}
		re, err := e.regex(args[1].s)
		if err != nil {
			return val{}, err
		}
		repl := regexp.MustCompile(`\\([0-9])`).ReplaceAllString(args[2].s, "$${$1}")
		return val{t: "string", s: re.ReplaceAllString(args[0].s, repl)}, nil
	case "ipv4_is_in_any_range", "ipv6_is_in_any_range":
		if len(args) < 2 {
			return val{}, fmt.Errorf("%s needs a range", n.fn)
		}
		for i, a := range args {
			if a.t != "string" {
				return val{}, fmt.Errorf("%s: argument %d is %s", n.fn, i+1, a.t)
			}
		}
		// The parsers are strict: a zero-padded octet is no address, so
		// the printer's normalisation is what makes it match.
		addr, err := netip.ParseAddr(args[0].s)
		if err != nil || addr.Is4() != (n.fn == "ipv4_is_in_any_range") {
			return nullBool, nil
		}
		for _, r := range args[1:] {
			pfx, err := netip.ParsePrefix(r.s)
			if err != nil {
				return val{}, fmt.Errorf("%s: range %q: %v", n.fn, r.s, err)
			}
			if pfx.Contains(addr) {
				return boolVal(true), nil
			}
		}
		return boolVal(false), nil
	}
	return val{}, fmt.Errorf("function %s is not in the model", n.fn)
}

// text is tostring(): "" for null.
func text(v val) string {
	if v.null {
		return ""
	}
	switch v.t {
	case "string":
		return v.s
	case "real":
		return strconv.FormatFloat(v.f, 'f', -1, 64)
	case "bool":
		return strconv.FormatBool(v.b)
	case "datetime":
		return v.tm.UTC().Format(time.RFC3339Nano)
	}
	return dynText(v.d)
}

// where reports whether the condition selects the row: null is false.
func where(cond node, row map[string]val) (bool, error) {
	e := &evaluator{row: row, res: map[string]*regexp.Regexp{}}
	v, err := e.eval(cond)
	if err != nil {
		return false, err
	}
	if v.t != "bool" {
		return false, fmt.Errorf("the condition is a %s", v.t)
	}
	return !v.null && v.b, nil
}
