package sigma

import (
	"github.com/tokenhunt/tokenhunt/compiler/ir"
)

// ParseValue reads a Sigma string value into a pattern, exactly as the
// specification's escaping table says:
//
//   - any run of characters        \*   a literal *
//     ?     exactly one character        \?   a literal ?
//     \\    a literal \                  \x   a literal \ then x (x not * ? \)
//
// A trailing lone backslash is a literal backslash.
func ParseValue(s string) ir.Pattern {
	var p ir.Pattern
	var lit []rune
	flush := func() {
		if len(lit) > 0 {
			p = append(p, ir.Part{Kind: ir.Lit, Text: string(lit)})
			lit = lit[:0]
		}
	}
	rs := []rune(s)
	for i := 0; i < len(rs); i++ {
		switch r := rs[i]; r {
		case '\\':
			if i+1 < len(rs) && (rs[i+1] == '*' || rs[i+1] == '?' || rs[i+1] == '\\') {
				lit = append(lit, rs[i+1])
				i++
			} else {
				lit = append(lit, '\\')
			}
		case '*':
			flush()
			p = append(p, ir.Part{Kind: ir.Star})
		case '?':
			flush()
			p = append(p, ir.Part{Kind: ir.One})
		default:
			lit = append(lit, r)
		}
	}
	flush()
	return p.Normalize()
}
