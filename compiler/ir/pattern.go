package ir

import "strings"

// Literal returns a pattern matching s exactly.
func Literal(s string) Pattern { return Pattern{{Kind: Lit, Text: s}} }

// Normalize merges adjacent literals, collapses runs of Star and drops empty
// literals, so that equal patterns have equal parts.
func (p Pattern) Normalize() Pattern {
	out := make(Pattern, 0, len(p))
	for _, part := range p {
		switch part.Kind {
		case Lit:
			if part.Text == "" {
				continue
			}
			if n := len(out); n > 0 && out[n-1].Kind == Lit {
				out[n-1].Text += part.Text
				continue
			}
		case Star:
			if n := len(out); n > 0 && out[n-1].Kind == Star {
				continue
			}
		}
		out = append(out, part)
	}
	return out
}

// HasWildcards reports whether the pattern has a Star or a One.
func (p Pattern) HasWildcards() bool {
	for _, part := range p {
		if part.Kind != Lit {
			return true
		}
	}
	return false
}

// LiteralText joins the literal parts. It is the whole value when the
// pattern has no wildcards.
func (p Pattern) LiteralText() string {
	var b strings.Builder
	for _, part := range p {
		if part.Kind == Lit {
			b.WriteString(part.Text)
		}
	}
	return b.String()
}

// Shape classifies a normalized pattern and returns the literal text of the
// simple shapes.
func (p Pattern) Shape() (Shape, string) {
	p = p.Normalize()
	switch {
	case len(p) == 0:
		return ShapeEq, ""
	case len(p) == 1 && p[0].Kind == Lit:
		return ShapeEq, p[0].Text
	case len(p) == 1 && p[0].Kind == Star:
		return ShapeAny, ""
	case len(p) == 2 && p[0].Kind == Lit && p[1].Kind == Star:
		return ShapePrefix, p[0].Text
	case len(p) == 2 && p[0].Kind == Star && p[1].Kind == Lit:
		return ShapeSuffix, p[1].Text
	case len(p) == 3 && p[0].Kind == Star && p[1].Kind == Lit && p[2].Kind == Star:
		return ShapeContains, p[1].Text
	}
	return ShapeGlob, ""
}

// Lower returns the pattern with its literal text lower-cased.
func (p Pattern) Lower() Pattern {
	out := make(Pattern, len(p))
	for i, part := range p {
		out[i] = part
		if part.Kind == Lit {
			out[i].Text = strings.ToLower(part.Text)
		}
	}
	return out
}

// Sigma prints the pattern in Sigma's value syntax: wildcards bare, and a
// backslash before every literal `*`, `?` and `\`.
func (p Pattern) Sigma() string {
	var b strings.Builder
	for _, part := range p {
		switch part.Kind {
		case Star:
			b.WriteByte('*')
		case One:
			b.WriteByte('?')
		case Lit:
			for _, r := range part.Text {
				if r == '*' || r == '?' || r == '\\' {
					b.WriteByte('\\')
				}
				b.WriteRune(r)
			}
		}
	}
	return b.String()
}

// MatchString reports whether s matches the pattern, rune by rune, exactly
// (callers fold case first). It is the reference semantics of wildcards.
func (p Pattern) MatchString(s string) bool {
	p = p.Normalize()
	return matchParts(p, []rune(s))
}

func matchParts(p Pattern, s []rune) bool {
	for len(p) > 0 {
		part := p[0]
		switch part.Kind {
		case Lit:
			lit := []rune(part.Text)
			if len(s) < len(lit) || string(s[:len(lit)]) != part.Text {
				return false
			}
			s = s[len(lit):]
		case One:
			if len(s) == 0 {
				return false
			}
			s = s[1:]
		case Star:
			rest := p[1:]
			if len(rest) == 0 {
				return true
			}
			for i := 0; i <= len(s); i++ {
				if matchParts(rest, s[i:]) {
					return true
				}
			}
			return false
		}
		p = p[1:]
	}
	return len(s) == 0
}
