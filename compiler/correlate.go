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
	for _, c := range correlations {
		if c.Correlation == nil {
			continue
		}
		corr, es := linkCorrelation(c, byRef, compiled, ps)
		errs = append(errs, es...)
		if corr != nil {
			set.Correlations = append(set.Correlations, &CorrelationResult{Source: c, Correlation: corr})
		}
	}
	errs.Sort()
	return set, errs
}

func linkCorrelation(c *sigma.Rule, byRef map[string]*sigma.Rule, compiled map[*sigma.Rule]*Result, ps pipeline.Set) (*ir.Correlation, ir.Errors) {
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
			errf(ref.Pos, "correlate the base rules directly", "chaining correlations (%q is a correlation) is not supported yet", ref.Name)
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
				f, ok := a.Fields[ref.Name]
				if !ok {
					f, ok = a.Fields[target.ID]
				}
				if !ok && target.Name != "" {
					f, ok = a.Fields[target.Name]
				}
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
