package ir_test

import (
	"net/netip"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/tokenhunt/tokenhunt/compiler/ir"
)

// Fields visits every field a condition reads, under And, Or and Not, both
// sides of a field reference, in order.
func TestFields(t *testing.T) {
	f := func(n string) ir.Field { return ir.Field{Name: n} }
	e := ir.And{Args: []ir.Expr{
		ir.IsNull{Field: f("a")},
		ir.Or{Args: []ir.Expr{
			ir.Not{Arg: ir.CIDR{Field: f("b"), Prefixes: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}}},
			ir.FieldRef{Field: f("c"), Other: f("d")},
		}},
		ir.Const{Value: true},
		ir.Regex{Field: f("e"), Pattern: "x"},
	}}
	var got []string
	ir.Fields(e, func(x ir.Field) { got = append(got, x.Name) })
	if diff := cmp.Diff([]string{"a", "b", "c", "d", "e"}, got); diff != "" {
		t.Errorf("fields (-want +got):\n%s", diff)
	}
}
