// Package irtest builds hand-made IR with resolved columns, for the tests
// of the backends that print it.
package irtest

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"github.com/tokenhunt/tokenhunt/compiler/ir"
)

// Star and One are the wildcard parts of a pattern.
var (
	Star = ir.Part{Kind: ir.Star}
	One  = ir.Part{Kind: ir.One}
)

// Field is a string column, a struct path when given several names.
func Field(path ...string) ir.Field { return Typed(ir.String, path...) }

// Typed is a column of a type.
func Typed(t ir.Type, path ...string) ir.Field {
	return ir.Field{Name: strings.Join(path, "."), Column: &ir.Column{Path: path, Type: t}}
}

// JSONField is a key path inside the JSON text of column col.
func JSONField(col string, keys ...string) ir.Field {
	return ir.Field{Name: col + "." + strings.Join(keys, "."), Column: &ir.Column{Path: []string{col}, JSON: keys}}
}

// Pat builds a pattern: a string is literal text, Star and One are
// wildcards.
func Pat(parts ...any) ir.Pattern {
	var p ir.Pattern
	for _, x := range parts {
		switch x := x.(type) {
		case string:
			p = append(p, ir.Part{Kind: ir.Lit, Text: x})
		case ir.Part:
			p = append(p, x)
		default:
			panic(fmt.Sprintf("irtest.Pat: %T", x))
		}
	}
	return p
}

// CI is a case-insensitive match, CS a cased one.
func CI(f ir.Field, parts ...any) ir.Expr { return ir.Match{Field: f, Pattern: Pat(parts...)} }

// CS is a cased match.
func CS(f ir.Field, parts ...any) ir.Expr {
	return ir.Match{Field: f, Pattern: Pat(parts...), Cased: true}
}

// Not negates.
func Not(e ir.Expr) ir.Expr { return ir.Not{Arg: e} }

// Num compares with a number spelled as text.
func Num(f ir.Field, op ir.Op, text string) ir.Expr {
	v, _ := strconv.ParseFloat(text, 64)
	return ir.Compare{Field: f, Op: op, Value: ir.NumberValue{Text: text, Float: v}}
}

// CIDR tests networks.
func CIDR(f ir.Field, prefixes ...string) ir.Expr {
	c := ir.CIDR{Field: f}
	for _, p := range prefixes {
		c.Prefixes = append(c.Prefixes, netip.MustParsePrefix(p))
	}
	return c
}
