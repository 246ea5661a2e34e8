package sql

import (
	"slices"

	"github.com/tokenhunt/tokenhunt/compiler/ir"
)

// Columns lists the resolved columns a condition reads, each once, in the
// order they first appear. An engine uses it to make sure they exist.
func Columns(e ir.Expr) []ir.Column {
	var out []ir.Column
	add := func(f ir.Field) {
		if f.Column == nil {
			return
		}
		for _, c := range out {
			if slices.Equal(c.Path, f.Column.Path) && slices.Equal(c.JSON, f.Column.JSON) && c.Type == f.Column.Type {
				return
			}
		}
		out = append(out, *f.Column)
	}
	var walk func(ir.Expr)
	walk = func(e ir.Expr) {
		switch e := e.(type) {
		case ir.And:
			for _, a := range e.Args {
				walk(a)
			}
		case ir.Or:
			for _, a := range e.Args {
				walk(a)
			}
		case ir.Not:
			walk(e.Arg)
		case ir.Match:
			add(e.Field)
		case ir.Regex:
			add(e.Field)
		case ir.Compare:
			add(e.Field)
		case ir.BoolEq:
			add(e.Field)
		case ir.IsNull:
			add(e.Field)
		case ir.CIDR:
			add(e.Field)
		case ir.FieldRef:
			add(e.Field)
			add(e.Other)
		case ir.Time:
			add(e.Field)
		}
	}
	walk(e)
	return out
}
