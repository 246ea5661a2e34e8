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
	ir.Fields(e, add)
	return out
}
