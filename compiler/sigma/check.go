package sigma

import (
	"fmt"

	"github.com/tokenhunt/tokenhunt/compiler/ir"
)

// Check finds the problems of a rule set that lowering alone does not:
// missing and duplicate ids, and selections that no condition uses
// (warnings). Lowering errors are not repeated here.
func Check(rules []*Rule) ir.Errors {
	var errs ir.Errors
	first := map[string]*Rule{}
	for _, r := range rules {
		if r.ID == "" {
			errs = append(errs, &ir.Error{Pos: r.Pos, Msg: fmt.Sprintf("rule %q has no id", r.Title), Hint: "add `id:` with a new UUID (uuidgen)"})
		} else if prev, dup := first[r.ID]; dup {
			errs = append(errs, &ir.Error{Pos: r.IDPos, RuleID: r.ID, Msg: fmt.Sprintf("duplicate id: also used at %s", prev.IDPos), Hint: "give one of the rules a new UUID"})
		} else {
			first[r.ID] = r
		}
		if r.Kind != Detection {
			continue
		}
		used := map[string]bool{}
		for _, c := range r.Conditions {
			markUsed(r, c.Expr, used)
		}
		if len(r.Conditions) == 0 {
			continue
		}
		for _, s := range r.Selections {
			if !used[s.Name] {
				errs = append(errs, &ir.Error{Pos: s.Pos, RuleID: r.ID, Msg: fmt.Sprintf("selection %q is not used by any condition", s.Name), Hint: "use it in the condition or remove it", Warning: true})
			}
		}
	}
	errs = append(errs, checkReferences(rules)...)
	errs.Sort()
	return errs
}

func markUsed(r *Rule, c Cond, used map[string]bool) {
	switch c := c.(type) {
	case CondAnd:
		markUsed(r, c.Left, used)
		markUsed(r, c.Right, used)
	case CondOr:
		markUsed(r, c.Left, used)
		markUsed(r, c.Right, used)
	case CondNot:
		markUsed(r, c.Arg, used)
	case CondIdent:
		used[c.Name] = true
	case CondOf:
		for _, s := range r.Selections {
			if c.Pattern == "them" {
				if len(s.Name) > 0 && s.Name[0] != '_' {
					used[s.Name] = true
				}
			} else if matchName(c.Pattern, s.Name) {
				used[s.Name] = true
			}
		}
	}
}

// checkReferences reports correlations and filters that name rules the
// set does not hold.
func checkReferences(rules []*Rule) ir.Errors {
	known := map[string]*Rule{}
	for _, r := range rules {
		if r.ID != "" {
			known[r.ID] = r
		}
		if r.Name != "" {
			known[r.Name] = r
		}
	}
	var errs ir.Errors
	for _, r := range rules {
		var refs []Ref
		what := "correlation"
		switch {
		case r.Correlation != nil:
			refs = r.Correlation.Rules
		case r.Filter != nil:
			refs, what = r.Filter.Rules, "filter"
		}
		for _, ref := range refs {
			if _, ok := known[ref.Name]; !ok {
				errs = append(errs, &ir.Error{Pos: ref.Pos, RuleID: r.ID, Msg: fmt.Sprintf("%s names unknown rule %q", what, ref.Name), Hint: "name a rule of the rule set by id or name (give its file too)"})
			}
		}
	}
	return errs
}
