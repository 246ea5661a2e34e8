package sql

import (
	"fmt"
	"math"
	"regexp"
	"regexp/syntax"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/tokenhunt/tokenhunt/compiler/ir"
)

// Select prints a rule as SELECT * FROM <table> WHERE <condition>.
func Select(d Dialect, r *ir.Rule) (string, error) {
	if r == nil {
		return "", &ir.Error{Msg: d.Name + ": no rule to compile"}
	}
	if strings.TrimSpace(r.Table) == "" {
		return "", &ir.Error{Pos: r.Pos, RuleID: r.ID,
			Msg:  d.Name + ": the rule has no table",
			Hint: "map the rule's log source to a table in a pipeline"}
	}
	if err := checkText(r.Table); err != nil {
		return "", &ir.Error{Pos: r.Pos, RuleID: r.ID, Msg: fmt.Sprintf("%s: table name %q %v", d.Name, r.Table, err)}
	}
	cond, err := Where(d, r)
	if err != nil {
		return "", err
	}
	return "SELECT * FROM " + d.Table(r.Table) + " WHERE " + cond, nil
}

// Where prints the rule's condition alone, for callers that build a larger
// query around it (time ranges, correlations).
func Where(d Dialect, r *ir.Rule) (string, error) {
	if r == nil {
		return "", &ir.Error{Msg: d.Name + ": no rule to compile"}
	}
	if r.Where == nil {
		return "", &ir.Error{Pos: r.Pos, RuleID: r.ID, Msg: d.Name + ": the rule has no condition"}
	}
	p := &printer{d: d, rule: r}
	e, err := p.expr(r.Where)
	if err == nil {
		err = p.err
	}
	if err != nil {
		return "", err
	}
	return e.text, nil
}

// Column prints where a field's value lives (a column, a struct path, a JSON
// extraction), for callers that select or group by it.
func Column(d Dialect, r *ir.Rule, f ir.Field) (string, error) {
	p := &printer{d: d, rule: r}
	c, err := p.column(f)
	if err != nil {
		return "", err
	}
	return c.x.text, nil
}

type printer struct {
	d    Dialect
	rule *ir.Rule
	// err is the first error of rx, which prints the printer's own
	// patterns where no error can be returned.
	err error
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
	return &ir.Error{Pos: pos, RuleID: id, Msg: p.d.Name + ": " + fmt.Sprintf(format, args...), Hint: hint}
}

func (p *printer) bool(v bool) expr {
	if v {
		return expr{text: p.d.True, prec: precPrimary, notNull: true}
	}
	return expr{text: p.d.False, prec: precPrimary, notNull: true}
}

func (p *printer) str(s string) expr { return prim(p.d.QuoteString(s)) }

// regexLit quotes the text of a regular expression or a replacement.
func (p *printer) regexLit(s string) string {
	if p.d.QuoteRegex != nil {
		return p.d.QuoteRegex(s)
	}
	return p.d.QuoteString(s)
}

// pattern rewrites an RE2 pattern with the dialect's Regex and quotes it.
func (p *printer) pattern(re string) (string, error) {
	if p.d.Regex != nil {
		s, err := p.d.Regex(re)
		if err != nil {
			return "", err
		}
		re = s
	}
	return p.regexLit(re), nil
}

// rx quotes one of the printer's own patterns (CIDR shapes, decimal text),
// which every dialect must express: a failure is kept in p.err and
// reported by Where.
func (p *printer) rx(re string) string {
	q, err := p.pattern(re)
	if err != nil {
		if p.err == nil {
			p.err = p.errorf(ir.Pos{}, "", "internal pattern %q: %v", re, err)
		}
		return p.regexLit(re)
	}
	return q
}

func (p *printer) call(f func(string) string, x expr) expr { return prim(f(x.text)) }

func (p *printer) and(terms ...expr) expr {
	switch len(terms) {
	case 0:
		return p.bool(true)
	case 1:
		return terms[0]
	}
	return junction("AND", precAnd, terms)
}

func (p *printer) or(terms ...expr) expr {
	switch len(terms) {
	case 0:
		return p.bool(false)
	case 1:
		return terms[0]
	}
	return junction("OR", precOr, terms)
}

// not negates under two-valued logic: an operand that may be NULL (a leaf
// on an absent field) counts as false, so its negation is true.
func (p *printer) not(x expr) expr {
	if !x.notNull {
		x = prim("COALESCE(" + x.text + ", " + p.d.False + ")")
	}
	return expr{text: "NOT " + operand(x, precNot), prec: precNot, notNull: true}
}

// neg prints "e is not true". The negation is pushed down to the leaves
// (De Morgan: not (a or b) is (a is not true) and (b is not true), which
// holds in three-valued logic too), so that the engine still evaluates
// ANDs and ORs lazily: a NOT around a whole filter group, or a COALESCE
// around it, made DuckDB evaluate every branch of it on every row (six
// times slower on an address filter with IPv6 branches). A leaf is negated
// as NOT COALESCE(leaf, FALSE); a double negation is the operand itself,
// where NULL and false no longer differ (the result is only ever read as
// true or not).
func (p *printer) neg(e ir.Expr) (expr, error) {
	switch e := e.(type) {
	case ir.And:
		return p.junction(e.Args, p.neg, p.or)
	case ir.Or:
		return p.junction(e.Args, p.neg, p.and)
	case ir.Not:
		if e.Arg == nil {
			return expr{}, p.errorf(ir.Pos{}, "", "not without an operand")
		}
		return p.expr(e.Arg)
	case ir.CIDR:
		return p.cidrNeg(e)
	}
	x, err := p.expr(e)
	if err != nil {
		return expr{}, err
	}
	return p.not(x), nil
}

func (p *printer) expr(e ir.Expr) (expr, error) {
	switch e := e.(type) {
	case ir.And:
		return p.junction(e.Args, p.expr, p.and)
	case ir.Or:
		return p.junction(e.Args, p.expr, p.or)
	case ir.Not:
		if e.Arg == nil {
			return expr{}, p.errorf(ir.Pos{}, "", "not without an operand")
		}
		return p.neg(e.Arg)
	case ir.Const:
		return p.bool(e.Value), nil
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
		return isNull(c.raw), nil
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

// junction prints each operand with print (p.expr, or p.neg under a
// negation) and joins them.
func (p *printer) junction(args []ir.Expr, print func(ir.Expr) (expr, error), join func(...expr) expr) (expr, error) {
	terms := make([]expr, 0, len(args))
	for _, a := range args {
		t, err := print(a)
		if err != nil {
			return expr{}, err
		}
		terms = append(terms, t)
	}
	return join(terms...), nil
}

// col is a resolved field: its expression and the type the printer may
// rely on. A JSON extraction is text, read as a number when the pipeline
// declares one.
type col struct {
	x     expr
	raw   expr // before any conversion: what IS NULL tests
	typ   ir.Type
	typed bool // a native timestamp column, for time parts
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
	x := p.d.QuoteIdent(c.Path[0])
	for _, name := range c.Path[1:] {
		if i, ok := ir.ArrayIndex(name); ok {
			if p.d.ArrayIndex == nil {
				return col{}, p.errorf(f.Pos, "read the array as JSON text, or map the field to another column", "field %q: cannot index an array in a column path", f.Name)
			}
			x = p.d.ArrayIndex(x, i)
			continue
		}
		x = p.d.StructField(x, name)
	}
	if len(c.JSON) == 0 {
		return col{x: prim(x), raw: prim(x), typ: c.Type, typed: c.Type == ir.Timestamp}, nil
	}
	raw := prim(p.d.JSONExtract(x, c.JSON))
	if c.Type == ir.Number {
		return col{x: p.call(p.d.TryCastDouble, raw), raw: raw, typ: ir.Number}, nil
	}
	// Booleans and timestamps stay the text JSON has ("true", ISO-8601).
	return col{x: raw, raw: raw, typ: ir.String}, nil
}

// text reads a column as a string.
func (p *printer) text(c col) expr {
	if c.typ == ir.String {
		return c.x
	}
	return p.call(p.d.CastString, c.x)
}

// folded reads a column as a string, lower-cased unless cased.
func (p *printer) folded(c col, cased bool) expr {
	x := p.text(c)
	if !cased {
		x = p.call(p.d.Lower, x)
	}
	return x
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
		return isNotNull(c.raw), nil
	}
	x := p.folded(c, m.Cased)
	return p.shaped(x, shape, lit, pat), nil
}

// shaped prints a string test of x against a literal shape, with the
// dialect's dedicated function when it has one, else LIKE.
func (p *printer) shaped(x expr, shape ir.Shape, lit string, pat ir.Pattern) expr {
	var f func(s, needle string) string
	switch shape {
	case ir.ShapeEq:
		return cmp(x, "=", p.str(lit))
	case ir.ShapePrefix:
		f = p.d.StartsWith
	case ir.ShapeSuffix:
		f = p.d.EndsWith
	case ir.ShapeContains:
		f = p.d.Contains
	}
	if f != nil {
		return prim(f(x.text, p.d.QuoteString(lit)))
	}
	return p.like(x, p.str(p.likePattern(pat)))
}

func (p *printer) like(x, pattern expr) expr {
	e := cmp(x, "LIKE", pattern)
	if p.d.LikeEscapeClause {
		e.text += " ESCAPE " + p.d.QuoteString(string(p.d.LikeEscape))
	}
	return e
}

// likePattern spells a pattern for LIKE: wildcards become % and _, and a
// literal %, _ or escape character is escaped.
func (p *printer) likePattern(pat ir.Pattern) string {
	var b strings.Builder
	esc := p.d.LikeEscape
	for _, part := range pat {
		switch part.Kind {
		case ir.Star:
			b.WriteByte('%')
		case ir.One:
			b.WriteByte('_')
		case ir.Lit:
			for _, r := range part.Text {
				if r == '%' || r == '_' || r == esc {
					b.WriteRune(esc)
				}
				b.WriteRune(r)
			}
		}
	}
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
	if _, err := regexp.Compile(pattern); err != nil {
		return expr{}, p.errorf(r.Field.Pos, "write the expression in RE2 syntax", "field %q: invalid regular expression %q: %v", r.Field.Name, r.Pattern, err)
	}
	q, err := p.pattern(pattern)
	if err != nil {
		return expr{}, p.errorf(r.Field.Pos, "rewrite the expression without it", "field %q: regular expression %q: %v", r.Field.Name, r.Pattern, err)
	}
	re := prim(p.d.RegexpMatches(p.text(c).text, q))
	if lit, whole := requiredLiteral(pattern); lit != "" && p.d.Contains != nil {
		// Every match contains lit: a substring search first lets the
		// engine skip the regular expression on most rows (five times
		// faster on DuckDB for '.+:assumed-role/aws:.+'); a pattern that
		// is just lit is the search alone.
		has := prim(p.d.Contains(p.text(c).text, p.str(lit).text))
		if whole {
			return has, nil
		}
		return p.and(has, re), nil
	}
	return re, nil
}

// requiredLiteral is the longest case-sensitive literal every match of the
// pattern contains, when it is at least three bytes long ("" otherwise),
// and whether the pattern is that literal and nothing else.
func requiredLiteral(pattern string) (string, bool) {
	re, err := syntax.Parse(pattern, syntax.Perl)
	if err != nil {
		return "", false
	}
	re = re.Simplify()
	for re.Op == syntax.OpCapture && len(re.Sub) == 1 {
		re = re.Sub[0]
	}
	if re.Op == syntax.OpLiteral && re.Flags&syntax.FoldCase == 0 && len(string(re.Rune)) > 0 {
		return string(re.Rune), true
	}
	parts := []*syntax.Regexp{re}
	if re.Op == syntax.OpConcat {
		parts = re.Sub
	}
	best := ""
	for _, part := range parts {
		for part.Op == syntax.OpCapture && len(part.Sub) == 1 {
			part = part.Sub[0]
		}
		if part.Op == syntax.OpLiteral && part.Flags&syntax.FoldCase == 0 && len(string(part.Rune)) > len(best) {
			best = string(part.Rune)
		}
	}
	if len(best) < 3 {
		return "", false
	}
	return best, false
}

var opSyms = map[ir.Op]string{ir.Eq: "=", ir.Lt: "<", ir.Lte: "<=", ir.Gt: ">", ir.Gte: ">="}

var numberText = regexp.MustCompile(`^-?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][-+]?[0-9]+)?$`)

// number prints a numeric literal: as the rule spelled it when that is SQL
// number syntax, else from its value.
func (p *printer) number(v ir.NumberValue, f ir.Field) (expr, error) {
	t := strings.TrimPrefix(v.Text, "+")
	if numberText.MatchString(t) {
		if p.d.NumberLiteral != nil {
			t = p.d.NumberLiteral(t)
		}
		return prim(t), nil
	}
	if math.IsNaN(v.Float) || math.IsInf(v.Float, 0) {
		return expr{}, p.errorf(f.Pos, "compare with a finite number", "field %q: %q is not a finite number", f.Name, v.Text)
	}
	return prim(strconv.FormatFloat(v.Float, 'g', -1, 64)), nil
}

func (p *printer) compare(c ir.Compare) (expr, error) {
	cl, err := p.column(c.Field)
	if err != nil {
		return expr{}, err
	}
	op, ok := opSyms[c.Op]
	if !ok {
		return expr{}, p.errorf(c.Field.Pos, "", "unknown comparison operator %d", int(c.Op))
	}
	if cl.typ != ir.Number && cl.typ != ir.Any && c.Op == ir.Eq {
		if err := checkText(c.Value.Text); err != nil {
			return expr{}, p.errorf(c.Field.Pos, "", "field %q: value %q %v", c.Field.Name, c.Value.Text, err)
		}
		return cmp(p.text(cl), "=", p.str(c.Value.Text)), nil
	}
	n, err := p.number(c.Value, c.Field)
	if err != nil {
		return expr{}, err
	}
	if cl.typ == ir.Number {
		return cmp(cl.x, op, n), nil
	}
	// A column of undeclared type equals (or orders against) a number when
	// its text reads as one, whether the engine stores it as text or as a
	// number of any width ("5", 5, 5.0). Only decimal notation is a number:
	// the engine's cast also takes "inf", "nan" and "1_000", which must
	// never match.
	if p.d.StrictNumbers {
		return cmp(p.call(p.d.TryCastDouble, cl.x), op, n), nil
	}
	num := cmp(p.call(p.d.TryCastDouble, p.text(cl)), op, n)
	guard := prim(p.d.RegexpMatches(p.text(cl).text, p.rx(decimalText)))
	return p.and(guard, num), nil
}

// decimalText is the text the printer reads as a number for an ordering
// comparison (the reference evaluator uses the same).
const decimalText = `^\s*[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?\s*$`

func (p *printer) boolEq(b ir.BoolEq) (expr, error) {
	c, err := p.column(b.Field)
	if err != nil {
		return expr{}, err
	}
	if c.typ == ir.Bool {
		return cmp(c.x, "=", p.bool(b.Value)), nil
	}
	return cmp(p.folded(c, false), "=", p.str(strconv.FormatBool(b.Value))), nil
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
	x, y := p.folded(a, f.Cased), p.folded(b, f.Cased)
	var fn func(s, needle string) string
	var pre, post bool
	switch f.Shape {
	case ir.ShapeEq:
		return cmp(x, "=", y), nil
	case ir.ShapePrefix:
		fn, post = p.d.StartsWith, true
	case ir.ShapeSuffix:
		fn, pre = p.d.EndsWith, true
	case ir.ShapeContains:
		fn, pre, post = p.d.Contains, true, true
	default:
		return expr{}, p.errorf(f.Field.Pos, "", "field %q: a field reference cannot be compared as %s", f.Field.Name, f.Shape)
	}
	if fn != nil {
		return prim(fn(x.text, y.text)), nil
	}
	// LIKE with the other field's value escaped, so that its % and _ are
	// literal.
	esc := string(p.d.LikeEscape)
	pat := y
	for _, s := range []string{esc, "%", "_"} {
		pat = prim(p.d.Replace(pat.text, p.d.QuoteString(s), p.d.QuoteString(esc+s)))
	}
	if pre {
		pat = concat(p.str("%"), pat)
	}
	if post {
		pat = concat(pat, p.str("%"))
	}
	return p.like(x, pat), nil
}

var timeParts = map[ir.TimePart]bool{ir.Minute: true, ir.Hour: true, ir.Day: true, ir.Week: true, ir.Month: true, ir.Year: true}

func (p *printer) time(t ir.Time) (expr, error) {
	c, err := p.column(t.Field)
	if err != nil {
		return expr{}, err
	}
	op, ok := opSyms[t.Op]
	if !ok {
		return expr{}, p.errorf(t.Field.Pos, "", "unknown comparison operator %d", int(t.Op))
	}
	if !timeParts[t.Part] {
		return expr{}, p.errorf(t.Field.Pos, "", "unknown time part %d", int(t.Part))
	}
	part := prim(p.d.TimePart(t.Part, c.x.text, c.typed))
	return cmp(part, op, prim(strconv.FormatInt(t.Value, 10))), nil
}

// checkText rejects text that no SQL engine takes in a literal.
func checkText(s string) error {
	if !utf8.ValidString(s) {
		return fmt.Errorf("is not valid UTF-8 text")
	}
	if strings.ContainsRune(s, 0) {
		return fmt.Errorf("contains a NUL character")
	}
	return nil
}
