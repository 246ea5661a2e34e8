package compiler

import (
	"fmt"
	"sort"
	"strings"

	"github.com/tokenhunt/tokenhunt/compiler/ir"
	"github.com/tokenhunt/tokenhunt/compiler/pipeline"
	"github.com/tokenhunt/tokenhunt/compiler/sigma"
)

// Set is a compiled rule set: detection rules (with the filters that name
// them applied) and correlations over them.
type Set struct {
	Rules        []*Result
	Correlations []*CorrelationResult
}

// CorrelationResult is one compiled correlation rule.
type CorrelationResult struct {
	Source      *sigma.Rule
	Correlation *ir.Correlation
}

// CompileSet compiles a whole rule set: filters are applied to the rules
// they name, detection rules are lowered and mapped by the pipelines, and
// correlations are linked to their base rules (by id or name). A rule that
// fails does not stop the others; all errors are returned sorted.
func CompileSet(rules []*sigma.Rule, ps pipeline.Set) (*Set, ir.Errors) {
	var detections, filters, correlations []*sigma.Rule
	for _, r := range rules {
		switch r.Kind {
		case sigma.Detection:
			detections = append(detections, r)
		case sigma.Filter:
			filters = append(filters, r)
		case sigma.Correlation:
			correlations = append(correlations, r)
		}
	}
	var errs ir.Errors
	byRef := map[string]*sigma.Rule{}
	for _, r := range rules {
		if r.ID != "" {
			byRef[r.ID] = r
		}
		if r.Name != "" {
			byRef[r.Name] = r
		}
	}
	// Filters: the extra condition of each rule, lowered on its own.
	extra := map[*sigma.Rule][]ir.Expr{}
	for _, f := range filters {
		if f.Filter == nil {
			continue
		}
		cond, es := sigma.LowerFilter(f, ps.Var)
		errs = append(errs, es...)
		for _, ref := range f.Filter.Rules {
			target, ok := byRef[ref.Name]
			if !ok || target.Kind != sigma.Detection {
				errs = append(errs, &ir.Error{Pos: ref.Pos, RuleID: f.ID, Msg: fmt.Sprintf("filter names unknown rule %q", ref.Name), Hint: "name a detection rule of the rule set by id or name"})
				continue
			}
			if cond != nil {
				extra[target] = append(extra[target], cond)
			}
		}
	}
	set := &Set{}
	compiled := map[*sigma.Rule]*Result{}
	for _, r := range detections {
		lowered, es := sigma.Lower(r, ps.Var)
		if es != nil || lowered == nil {
			errs = append(errs, es...)
			continue
		}
		if more := extra[r]; len(more) > 0 {
			lowered.Where = ir.Simplify(ir.And{Args: append([]ir.Expr{lowered.Where}, more...)})
		}
		applied, err := ps.Apply(lowered)
		if err != nil {
			errs = append(errs, asErrors(err, r)...)
			continue
		}
		res := &Result{Source: r, Rule: applied}
		compiled[r] = res
		set.Rules = append(set.Rules, res)
	}
	// Correlations are linked in dependency order: a correlation that
	// names another (chaining) links after it and shares its result.
	l := &linker{byRef: byRef, compiled: compiled, ps: ps, linked: map[*sigma.Rule]*ir.Correlation{}, state: map[*sigma.Rule]int{}}
	for _, c := range correlations {
		if c.Correlation == nil {
			continue
		}
		if corr := l.link(c); corr != nil {
			set.Correlations = append(set.Correlations, &CorrelationResult{Source: c, Correlation: corr})
		}
	}
	errs = append(errs, l.errs...)
	errs.Sort()
	return set, errs
}

// Outermost returns the correlations of the set that no other correlation
// of the set names (chains are printed and run from these), in order.
func (s *Set) Outermost() []*CorrelationResult {
	named := map[*ir.Correlation]bool{}
	for _, cr := range s.Correlations {
		for _, b := range cr.Correlation.Bases {
			if b.Correlation != nil {
				named[b.Correlation] = true
			}
		}
	}
	var out []*CorrelationResult
	for _, cr := range s.Correlations {
		if !named[cr.Correlation] {
			out = append(out, cr)
		}
	}
	return out
}

// linker links correlations depth first over their chains, each once.
type linker struct {
	byRef    map[string]*sigma.Rule
	compiled map[*sigma.Rule]*Result
	ps       pipeline.Set
	linked   map[*sigma.Rule]*ir.Correlation
	state    map[*sigma.Rule]int // 1 while linking (on the stack), 2 when done
	stack    []*sigma.Rule
	errs     ir.Errors
}

// link returns the linked correlation c, nil when it (or a rule it names)
// has errors; each correlation's errors are reported once.
func (l *linker) link(c *sigma.Rule) *ir.Correlation {
	if l.state[c] == 2 {
		return l.linked[c]
	}
	l.state[c] = 1
	l.stack = append(l.stack, c)
	corr, es := linkCorrelation(c, l.byRef, l.compiled, l.ps, l.inner)
	l.stack = l.stack[:len(l.stack)-1]
	l.state[c] = 2
	l.errs = append(l.errs, es...)
	l.linked[c] = corr
	return corr
}

// inner links the correlation target that c names at ref; ok is false
// after an error (reported at ref for a cycle, else by target itself).
func (l *linker) inner(c *sigma.Rule, ref sigma.Ref, target *sigma.Rule) (corr *ir.Correlation, err *ir.Error) {
	if l.state[target] == 1 {
		var path []string
		for i := len(l.stack) - 1; i >= 0; i-- {
			path = append([]string{ruleRef(l.stack[i])}, path...)
			if l.stack[i] == target {
				break
			}
		}
		path = append(path, ruleRef(target))
		return nil, &ir.Error{Pos: ref.Pos, RuleID: c.ID, Msg: fmt.Sprintf("correlations form a cycle: %s", strings.Join(path, " -> ")), Hint: "a correlation cannot count its own firings, directly or through others: remove one of these references"}
	}
	return l.link(target), nil
}

func ruleRef(r *sigma.Rule) string {
	if r.Name != "" {
		return r.Name
	}
	return r.ID
}

// innerFunc links a correlation that another names; see linker.inner.
type innerFunc func(c *sigma.Rule, ref sigma.Ref, target *sigma.Rule) (*ir.Correlation, *ir.Error)

func linkCorrelation(c *sigma.Rule, byRef map[string]*sigma.Rule, compiled map[*sigma.Rule]*Result, ps pipeline.Set, inner innerFunc) (*ir.Correlation, ir.Errors) {
	var errs ir.Errors
	errf := func(pos ir.Pos, hint, format string, args ...any) {
		e := ir.Errorf(pos, c.ID, format, args...)
		e.Hint = hint
		errs = append(errs, e)
	}
	spec := c.Correlation
	typ, _ := ir.ParseCorrelationType(spec.Type)
	out := &ir.Correlation{
		ID: c.ID, Name: c.Name, Title: c.Title, Level: c.Level, Status: c.Status, Description: c.Description,
		Tags: c.Tags, Pos: c.Pos, Type: typ, Timespan: spec.Timespan, ValueName: spec.Field.Name,
		Percentile: spec.Percentile, Lookback: spec.Lookback, Generate: spec.Generate,
	}
	for _, t := range spec.Thresholds {
		op, _ := ir.ParseThresholdOp(t.Op)
		out.Thresholds = append(out.Thresholds, ir.Threshold{Op: op, Value: t.Value})
	}
	if len(out.Thresholds) == 0 && (typ == ir.Temporal || typ == ir.TemporalOrdered) {
		// Without a condition every listed rule must be seen.
		out.Thresholds = []ir.Threshold{{Op: ir.TGte, Value: float64(len(spec.Rules))}}
	}
	for _, g := range spec.GroupBy {
		out.GroupBy = append(out.GroupBy, g.Name)
	}
	for _, t := range spec.Fields {
		out.TermNames = append(out.TermNames, t.Name)
	}
	aliases := map[string]*sigma.Alias{}
	for _, a := range spec.Aliases {
		aliases[a.Name] = a
	}
	for _, ref := range spec.Rules {
		target, ok := byRef[ref.Name]
		switch {
		case !ok:
			errf(ref.Pos, "name a rule of the rule set by its id or name (rules in other files must be given on the command line too)", "correlation names unknown rule %q", ref.Name)
			continue
		case target.Kind == sigma.Correlation:
			if target.Correlation == nil {
				continue // its own errors are reported
			}
			base, es := chainBase(c, ref, target, inner)
			errs = append(errs, es...)
			if base != nil {
				out.Bases = append(out.Bases, base)
			}
			continue
		case target.Kind != sigma.Detection:
			errf(ref.Pos, "", "correlation names %q, which is not a detection rule", ref.Name)
			continue
		}
		res := compiled[target]
		if res == nil {
			continue // the base rule's own errors are reported
		}
		// The names this base rule reads: group-by (through aliases), the
		// value field, the terms, then time and id.
		var names []string
		for _, g := range spec.GroupBy {
			name := g.Name
			if a, ok := aliases[g.Name]; ok {
				f, ok := aliasFor(a, ref.Name, target)
				if !ok {
					errf(a.Pos, fmt.Sprintf("add %s: FIELD under aliases.%s", ref.Name, a.Name), "alias %q does not cover rule %q", a.Name, ref.Name)
					continue
				}
				name = f.Name
			}
			names = append(names, name)
		}
		if len(names) != len(spec.GroupBy) {
			continue
		}
		if spec.Field.Name != "" {
			names = append(names, spec.Field.Name)
		}
		for _, t := range spec.Fields {
			names = append(names, t.Name)
		}
		src := ps.Source(res.Rule.Logsource)
		timeName, idName := src.Time, src.ID
		if timeName == "" || idName == "" {
			errf(ref.Pos, "set time: and id: for the log source in a pipeline (-p)", "rule %q: no pipeline names the event time and id fields of log source %s", ref.Name, logsourceText(res.Rule.Logsource))
			continue
		}
		names = append(names, timeName, idName)
		fields, err := resolveFields(ps, res.Rule, names)
		if err != nil {
			errs = append(errs, asErrors(err, target)...)
			continue
		}
		base := &ir.Base{Rule: res.Rule}
		n := len(spec.GroupBy)
		base.Group = fields[:n]
		if spec.Field.Name != "" {
			v := fields[n]
			base.Value = &v
			n++
		}
		base.Terms = fields[n : n+len(spec.Fields)]
		n += len(spec.Fields)
		base.Time, base.ID = fields[n], fields[n+1]
		out.Bases = append(out.Bases, base)
	}
	for _, a := range spec.Aliases {
		used := false
		for _, g := range spec.GroupBy {
			if g.Name == a.Name {
				used = true
			}
		}
		if !used {
			errf(a.Pos, "add it to group-by or remove it", "alias %q is not in group-by", a.Name)
		}
	}
	if len(errs) > 0 {
		return nil, errs
	}
	return out, nil
}

// chainBase is the base of correlation c that names the correlation target
// at ref: the fields c reads (group-by through aliases, value, terms) must
// be group-by names of the inner correlation, its firings' only fields.
func chainBase(c *sigma.Rule, ref sigma.Ref, target *sigma.Rule, inner innerFunc) (*ir.Base, ir.Errors) {
	innerCorr, cerr := inner(c, ref, target)
	if cerr != nil {
		return nil, ir.Errors{cerr}
	}
	if innerCorr == nil {
		return nil, nil // the inner correlation's own errors are reported
	}
	spec := c.Correlation
	var errs ir.Errors
	field := func(name string, pos ir.Pos) ir.Field {
		if innerCorr.GroupIndex(name) < 0 {
			hint := "a correlation's events have no fields but its group-by, and " + ruleRef(target) + " has no group-by"
			if len(innerCorr.GroupBy) > 0 {
				hint = "a correlation's events have its group-by fields only: " + strings.Join(innerCorr.GroupBy, ", ") + "; name one, through aliases if the other rules spell it differently"
			}
			errs = append(errs, &ir.Error{Pos: pos, RuleID: c.ID, Msg: fmt.Sprintf("field %q is not a group-by field of correlation %q", name, ref.Name), Hint: hint})
		}
		return ir.Field{Name: name, Pos: pos, Column: &ir.Column{Path: []string{name}, Type: ir.String}}
	}
	base := &ir.Base{Correlation: innerCorr}
	for _, g := range spec.GroupBy {
		name, pos := g.Name, ref.Pos
		for _, a := range spec.Aliases {
			if a.Name != g.Name {
				continue
			}
			f, ok := aliasFor(a, ref.Name, target)
			if !ok {
				errs = append(errs, &ir.Error{Pos: a.Pos, RuleID: c.ID, Msg: fmt.Sprintf("alias %q does not cover rule %q", a.Name, ref.Name), Hint: fmt.Sprintf("add %s: FIELD under aliases.%s", ref.Name, a.Name)})
				continue
			}
			name, pos = f.Name, f.Pos
		}
		base.Group = append(base.Group, field(name, pos))
	}
	if spec.Field.Name != "" {
		v := field(spec.Field.Name, spec.Field.Pos)
		base.Value = &v
	}
	for _, t := range spec.Fields {
		base.Terms = append(base.Terms, field(t.Name, t.Pos))
	}
	if len(errs) > 0 {
		return nil, errs
	}
	return base, nil
}

// aliasFor is the field an alias gives the rule a correlation names as ref:
// the alias may key it by that reference, the rule's id or its name.
func aliasFor(a *sigma.Alias, ref string, target *sigma.Rule) (sigma.Ref, bool) {
	for _, k := range []string{ref, target.ID, target.Name} {
		if f, ok := a.Fields[k]; ok && k != "" {
			return f, true
		}
	}
	return sigma.Ref{}, false
}

// resolveFields maps field names as a base rule's pipelines do.
func resolveFields(ps pipeline.Set, r *ir.Rule, names []string) ([]ir.Field, error) {
	var args []ir.Expr
	for _, n := range names {
		args = append(args, ir.IsNull{Field: ir.Field{Name: n, Pos: r.Pos}})
	}
	probe := &ir.Rule{ID: r.ID, Logsource: r.Logsource, Pos: r.Pos, Where: ir.And{Args: args}}
	applied, err := ps.Apply(probe)
	if err != nil {
		return nil, err
	}
	var out []ir.Field
	for _, a := range applied.Where.(ir.And).Args {
		out = append(out, a.(ir.IsNull).Field)
	}
	return out, nil
}

func logsourceText(ls ir.Logsource) string {
	var parts []string
	for _, kv := range [][2]string{{"product", ls.Product}, {"category", ls.Category}, {"service", ls.Service}} {
		if kv[1] != "" {
			parts = append(parts, kv[0]+"="+kv[1])
		}
	}
	sort.Strings(parts)
	return strings.Join(parts, " ")
}
