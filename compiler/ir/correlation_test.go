package ir_test

import (
	"testing"

	"github.com/tokenhunt/tokenhunt/compiler/ir"
)

// WithRules replaces the detection rules at every level of a chain and
// leaves the correlation it copies as it was.
func TestWithRules(t *testing.T) {
	a := &ir.Rule{ID: "a", Table: "t"}
	b := &ir.Rule{ID: "b", Table: "t"}
	inner := &ir.Correlation{ID: "inner", Bases: []*ir.Base{{Rule: a}}}
	outer := &ir.Correlation{ID: "outer", Bases: []*ir.Base{{Correlation: inner}, {Rule: b}}}
	got := outer.WithRules(func(r *ir.Rule) *ir.Rule {
		c := *r
		c.Table = "ds." + r.Table
		return &c
	})
	var tables []string
	for _, r := range got.RuleBases() {
		tables = append(tables, r.Rule.ID+"="+r.Rule.Table)
	}
	if len(tables) != 2 || tables[0] != "a=ds.t" || tables[1] != "b=ds.t" {
		t.Errorf("copied rules %v, want a and b in ds.t", tables)
	}
	for _, r := range outer.RuleBases() {
		if r.Rule.Table != "t" {
			t.Errorf("the original's rule %s moved to %s", r.Rule.ID, r.Rule.Table)
		}
	}
	if got.Bases[0].Correlation == inner {
		t.Error("the inner correlation is shared, not copied")
	}
}
