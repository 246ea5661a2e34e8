package sigma

import (
	"fmt"
	"strings"
	"unicode"
)

// Cond is a parsed condition expression. It is sealed.
type Cond interface {
	condNode()
	// Offset is the 0-based rune offset of the node in the condition text.
	Offset() int
}

// CondAnd is `a and b`.
type CondAnd struct {
	Left, Right Cond
	At          int
}

// CondOr is `a or b`.
type CondOr struct {
	Left, Right Cond
	At          int
}

// CondNot is `not a`.
type CondNot struct {
	Arg Cond
	At  int
}

// CondIdent names one selection.
type CondIdent struct {
	Name string
	At   int
}

// CondOf is `1 of X`, `any of X` or `all of X`; X is a name pattern with `*`
// wildcards, or `them`.
type CondOf struct {
	All     bool   // all of; otherwise 1 of / any of
	Pattern string // "them" for every selection not starting with _
	At      int
}

func (CondAnd) condNode()   {}
func (CondOr) condNode()    {}
func (CondNot) condNode()   {}
func (CondIdent) condNode() {}
func (CondOf) condNode()    {}

func (c CondAnd) Offset() int   { return c.At }
func (c CondOr) Offset() int    { return c.At }
func (c CondNot) Offset() int   { return c.At }
func (c CondIdent) Offset() int { return c.At }
func (c CondOf) Offset() int    { return c.At }

// CondError is a syntax error in a condition, at a rune offset.
type CondError struct {
	Offset int
	Msg    string
	Hint   string
}

func (e *CondError) Error() string { return fmt.Sprintf("offset %d: %s", e.Offset, e.Msg) }

type tokKind int

const (
	tEOF tokKind = iota
	tIdent
	tLParen
	tRParen
	tAnd
	tOr
	tNot
	tOf
	tAll
	tOne // `1` or `any`
	tThem
	tNumber
	tPipe
)

type token struct {
	kind tokKind
	text string
	at   int
}

func isIdentRune(r rune) bool {
	return unicode.IsLetter(r) || unicode.IsDigit(r) || r == '_' || r == '*' || r == '-' || r == '.' || r == '?'
}

func lexCondition(s string) ([]token, error) {
	rs := []rune(s)
	var toks []token
	for i := 0; i < len(rs); {
		r := rs[i]
		switch {
		case unicode.IsSpace(r):
			i++
		case r == '(':
			toks = append(toks, token{tLParen, "(", i})
			i++
		case r == ')':
			toks = append(toks, token{tRParen, ")", i})
			i++
		case r == '|':
			// Everything after a pipe is a Sigma v1 aggregation: stop here
			// and let the parser explain.
			toks = append(toks, token{tPipe, "|", i})
			i = len(rs)
		case isIdentRune(r):
			j := i
			for j < len(rs) && isIdentRune(rs[j]) {
				j++
			}
			word := string(rs[i:j])
			k := tIdent
			switch word {
			case "and":
				k = tAnd
			case "or":
				k = tOr
			case "not":
				k = tNot
			case "of":
				k = tOf
			case "all":
				k = tAll
			case "any", "1":
				k = tOne
			case "them":
				k = tThem
			default:
				if isNumber(word) {
					k = tNumber
				}
			}
			toks = append(toks, token{k, word, i})
			i = j
		default:
			return nil, &CondError{Offset: i, Msg: fmt.Sprintf("unexpected character %q in condition", r)}
		}
	}
	toks = append(toks, token{tEOF, "", len(rs)})
	return toks, nil
}

func isNumber(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return s != ""
}

// ParseCondition parses a condition with the specification's precedence:
// not binds tighter than and, and tighter than or; both are left
// associative; parentheses group.
func ParseCondition(s string) (Cond, error) {
	toks, err := lexCondition(s)
	if err != nil {
		return nil, err
	}
	p := &condParser{toks: toks}
	c, err := p.or()
	if err != nil {
		return nil, err
	}
	if t := p.peek(); t.kind != tEOF {
		return nil, p.unexpected(t, "expected `and`, `or` or the end of the condition")
	}
	return c, nil
}

type condParser struct {
	toks  []token
	i     int
	depth int
}

func (p *condParser) peek() token { return p.toks[p.i] }
func (p *condParser) next() token {
	t := p.toks[p.i]
	if t.kind != tEOF {
		p.i++
	}
	return t
}

func (p *condParser) unexpected(t token, want string) error {
	switch t.kind {
	case tEOF:
		return &CondError{Offset: t.at, Msg: "unexpected end of condition: " + want}
	case tPipe:
		return &CondError{Offset: t.at, Msg: "aggregations (`| count() ...`) are Sigma v1 syntax", Hint: "write a correlation rule instead"}
	case tIdent:
		if kw := strings.ToLower(t.text); isKeyword(kw) {
			return &CondError{Offset: t.at, Msg: fmt.Sprintf("%q: condition keywords are lower-case", t.text), Hint: "write " + kw}
		}
	}
	return &CondError{Offset: t.at, Msg: fmt.Sprintf("unexpected %q: %s", t.text, want)}
}

const maxCondDepth = 200

func (p *condParser) or() (Cond, error) {
	left, err := p.and()
	if err != nil {
		return nil, err
	}
	for p.peek().kind == tOr {
		t := p.next()
		right, err := p.and()
		if err != nil {
			return nil, err
		}
		left = CondOr{Left: left, Right: right, At: t.at}
	}
	return left, nil
}

func (p *condParser) and() (Cond, error) {
	left, err := p.not()
	if err != nil {
		return nil, err
	}
	for p.peek().kind == tAnd {
		t := p.next()
		right, err := p.not()
		if err != nil {
			return nil, err
		}
		left = CondAnd{Left: left, Right: right, At: t.at}
	}
	return left, nil
}

func (p *condParser) not() (Cond, error) {
	if p.peek().kind == tNot {
		t := p.next()
		p.depth++
		defer func() { p.depth-- }()
		if p.depth > maxCondDepth {
			return nil, &CondError{Offset: t.at, Msg: "condition nests too deeply"}
		}
		arg, err := p.not()
		if err != nil {
			return nil, err
		}
		return CondNot{Arg: arg, At: t.at}, nil
	}
	return p.primary()
}

func (p *condParser) primary() (Cond, error) {
	t := p.next()
	switch t.kind {
	case tLParen:
		p.depth++
		defer func() { p.depth-- }()
		if p.depth > maxCondDepth {
			return nil, &CondError{Offset: t.at, Msg: "condition nests too deeply"}
		}
		c, err := p.or()
		if err != nil {
			return nil, err
		}
		if r := p.next(); r.kind != tRParen {
			return nil, p.unexpected(r, fmt.Sprintf("expected `)` to close the `(` at offset %d", t.at))
		}
		return c, nil
	case tIdent:
		if strings.ContainsAny(t.text, "*?") {
			return nil, &CondError{Offset: t.at, Msg: fmt.Sprintf("wildcard name %q outside `1 of` / `all of`", t.text), Hint: "write `1 of " + t.text + "` or `all of " + t.text + "`"}
		}
		if kw := strings.ToLower(t.text); isKeyword(kw) {
			return nil, &CondError{Offset: t.at, Msg: fmt.Sprintf("%q: condition keywords are lower-case", t.text), Hint: "write " + kw}
		}
		return CondIdent{Name: t.text, At: t.at}, nil
	case tOne, tAll, tNumber:
		if p.peek().kind != tOf {
			if t.kind == tNumber || t.text == "1" {
				return CondIdent{Name: t.text, At: t.at}, nil
			}
			return nil, p.unexpected(p.peek(), fmt.Sprintf("expected `of` after %q", t.text))
		}
		if t.kind == tNumber {
			return nil, &CondError{Offset: t.at, Msg: fmt.Sprintf("`%s of` is not Sigma: only `1 of`, `any of` and `all of` exist", t.text)}
		}
		p.next()
		target := p.next()
		switch target.kind {
		case tThem:
			return CondOf{All: t.kind == tAll, Pattern: "them", At: t.at}, nil
		case tIdent, tNumber:
			return CondOf{All: t.kind == tAll, Pattern: target.text, At: t.at}, nil
		}
		return nil, p.unexpected(target, "expected `them` or a selection name pattern after `of`")
	}
	return nil, p.unexpected(t, "expected a selection name, `not`, `(`, `1 of`, `any of` or `all of`")
}

// FormatCond prints a condition back as text with minimal parentheses.
func FormatCond(c Cond) string { return formatCond(c, 0) }

func formatCond(c Cond, prec int) string {
	wrap := func(s string, p int) string {
		if p < prec {
			return "(" + s + ")"
		}
		return s
	}
	switch c := c.(type) {
	case CondOr:
		return wrap(formatCond(c.Left, 1)+" or "+formatCond(c.Right, 2), 1)
	case CondAnd:
		return wrap(formatCond(c.Left, 2)+" and "+formatCond(c.Right, 3), 2)
	case CondNot:
		return wrap("not "+formatCond(c.Arg, 3), 3)
	case CondIdent:
		return c.Name
	case CondOf:
		q := "1"
		if c.All {
			q = "all"
		}
		return q + " of " + c.Pattern
	}
	return "?"
}

func isKeyword(w string) bool {
	switch w {
	case "and", "or", "not", "of", "them", "all", "any":
		return true
	}
	return false
}
