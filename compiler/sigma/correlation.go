package sigma

import (
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/tokenhunt/tokenhunt/compiler/ir"
)

// Ref is a name in a rule file (a rule id or name, a field, an alias) and
// where it is written.
type Ref struct {
	Name string
	Pos  ir.Pos
}

// Threshold is one comparison of a correlation condition.
type Threshold struct {
	Op    string // gt, gte, lt, lte, eq, neq
	Value float64
	Pos   ir.Pos
}

// Alias names one group-by value that the referenced rules spell
// differently.
type Alias struct {
	Name   string
	Pos    ir.Pos
	Fields map[string]Ref // rule reference (as written in rules:) -> field
}

// CorrelationSpec is the `correlation:` section of a correlation rule.
type CorrelationSpec struct {
	Pos        ir.Pos
	Type       string
	TypePos    ir.Pos
	Rules      []Ref
	GroupBy    []Ref
	Aliases    []*Alias
	Timespan   time.Duration
	Thresholds []Threshold
	Field      Ref // the condition's field (value_* types)
	Percentile float64
	Fields     []Ref // new_terms
	Lookback   time.Duration
	Generate   bool
}

// FilterSpec is the `filter:` section of a Sigma filter: extra conditions
// for the named rules.
type FilterSpec struct {
	Pos        ir.Pos
	Rules      []Ref
	Selections []*Selection
	Conditions []*Condition
}

// CorrelationTypes are the correlation types tokenhunt compiles: the
// specification's seven and the new_terms baseline extension.
var CorrelationTypes = []string{"event_count", "value_count", "value_sum", "value_avg", "value_percentile", "temporal", "temporal_ordered", "new_terms"}

var durationRe = regexp.MustCompile(`^([0-9]+)([smhdw])$`)

// ParseDuration reads a Sigma timespan: a whole number and one of s, m, h,
// d (24h) or w (7d).
func ParseDuration(s string) (time.Duration, error) {
	m := durationRe.FindStringSubmatch(strings.TrimSpace(s))
	if m == nil {
		return 0, fmt.Errorf("%q is not a timespan: write a whole number and one of s, m, h, d, w (e.g. 5m)", s)
	}
	n, err := strconv.ParseInt(m[1], 10, 64)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("%q is not a positive timespan", s)
	}
	unit := map[string]time.Duration{"s": time.Second, "m": time.Minute, "h": time.Hour, "d": 24 * time.Hour, "w": 7 * 24 * time.Hour}[m[2]]
	if n > int64(math.MaxInt64/int64(unit)) {
		return 0, fmt.Errorf("timespan %q is too long", s)
	}
	return time.Duration(n) * unit, nil
}

// parseCorrelation reads a correlation section and validates it on its
// own; references to other rules are checked when the rule set is linked.
func parseCorrelation(file string, r *Rule, n *yaml.Node, errs *ir.Errors) *CorrelationSpec {
	errf := func(node *yaml.Node, hint, format string, args ...any) {
		e := ir.Errorf(posOf(file, node), r.ID, format, args...)
		e.Hint = hint
		*errs = append(*errs, e)
	}
	c := &CorrelationSpec{Pos: posOf(file, n)}
	if n.Kind != yaml.MappingNode {
		errf(n, "write type, rules, group-by, timespan and condition under correlation", "correlation must be a mapping, not a %s", kindName(n))
		return nil
	}
	refs := func(v *yaml.Node, what string) []Ref {
		var out []Ref
		items := []*yaml.Node{v}
		if v.Kind == yaml.SequenceNode {
			items = v.Content
		}
		for _, it := range items {
			if it.Kind != yaml.ScalarNode || it.Value == "" || it.ShortTag() == "!!null" {
				errf(it, "", "%s must be a list of names", what)
				continue
			}
			out = append(out, Ref{Name: it.Value, Pos: posOf(file, it)})
		}
		return out
	}
	var condNode, typeNode *yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], resolveAlias(n.Content[i+1])
		switch k.Value {
		case "type":
			typeNode = v
			c.Type, c.TypePos = v.Value, posOf(file, v)
		case "rules":
			c.Rules = refs(v, "rules")
		case "group-by":
			c.GroupBy = refs(v, "group-by")
		case "timespan", "timeframe":
			d, err := ParseDuration(v.Value)
			if err != nil {
				errf(v, "", "timespan: %v", err)
				continue
			}
			c.Timespan = d
		case "lookback":
			d, err := ParseDuration(v.Value)
			if err != nil {
				errf(v, "", "lookback: %v", err)
				continue
			}
			c.Lookback = d
		case "fields":
			c.Fields = refs(v, "fields")
		case "generate":
			c.Generate = v.Value == "true"
		case "percentile":
			p, err := strconv.ParseFloat(v.Value, 64)
			if err != nil || p <= 0 || p >= 100 {
				errf(v, "e.g. percentile: 95", "percentile must be a number between 0 and 100, not %q", v.Value)
				continue
			}
			c.Percentile = p
		case "condition":
			condNode = v
		case "aliases":
			c.Aliases = parseAliases(file, r, v, errs)
		default:
			errf(k, "known keys: type, rules, group-by, timespan, condition, aliases, generate, fields, lookback, percentile", "unknown correlation key %q", k.Value)
		}
	}
	if typeNode == nil {
		errf(n, "add type: one of "+strings.Join(CorrelationTypes, ", "), "correlation has no type")
		return nil
	}
	known := false
	for _, t := range CorrelationTypes {
		if t == c.Type {
			known = true
		}
	}
	if !known {
		errf(typeNode, "use one of "+strings.Join(CorrelationTypes, ", "), "unknown correlation type %q", c.Type)
		return nil
	}
	if len(c.Rules) == 0 {
		errf(n, "list the rules (by id or name) whose events this correlation counts", "correlation has no rules")
	}
	if condNode != nil {
		parseThresholds(file, r, c, condNode, errs)
	}
	valueType := strings.HasPrefix(c.Type, "value_")
	switch {
	case c.Type == "new_terms":
		if len(c.Fields) == 0 {
			errf(n, "add fields: the field (or tuple of fields) that must be new", "new_terms needs fields")
		}
		if c.Lookback == 0 {
			errf(n, "add lookback, e.g. 30d", "new_terms needs a lookback")
		}
		if condNode != nil {
			errf(condNode, "remove it: an event either has new terms or not", "new_terms takes no condition")
		}
	default:
		if c.Timespan == 0 {
			errf(n, "add timespan, e.g. 5m", "correlation has no timespan")
		}
		if condNode == nil && c.Type != "temporal" && c.Type != "temporal_ordered" {
			errf(n, "add condition, e.g. condition: {gte: 10}", "%s needs a condition", c.Type)
		}
	}
	if valueType && c.Field.Name == "" && condNode != nil {
		errf(condNode, "add field: the field whose values are aggregated", "%s needs condition.field", c.Type)
	}
	if !valueType && c.Field.Name != "" {
		errf(condNode, "remove field, or use a value_* type", "%s takes no condition.field", c.Type)
	}
	if c.Type == "value_percentile" && c.Percentile == 0 {
		errf(n, "add percentile, e.g. percentile: 95", "value_percentile needs a percentile")
	}
	if (c.Type == "temporal" || c.Type == "temporal_ordered") && len(c.Rules) < 2 {
		errf(n, "list two or more rules", "%s needs at least two rules", c.Type)
	}
	return c
}

var thresholdOps = map[string]bool{"gt": true, "gte": true, "lt": true, "lte": true, "eq": true, "neq": true}

func parseThresholds(file string, r *Rule, c *CorrelationSpec, n *yaml.Node, errs *ir.Errors) {
	errf := func(node *yaml.Node, hint, format string, args ...any) {
		e := ir.Errorf(posOf(file, node), r.ID, format, args...)
		e.Hint = hint
		*errs = append(*errs, e)
	}
	if n.Kind != yaml.MappingNode {
		errf(n, "e.g. condition: {gte: 10}", "correlation condition must be a mapping")
		return
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		switch {
		case k.Value == "field":
			c.Field = Ref{Name: v.Value, Pos: posOf(file, v)}
		case k.Value == "percentile":
			p, err := strconv.ParseFloat(v.Value, 64)
			if err != nil || p <= 0 || p >= 100 {
				errf(v, "e.g. percentile: 95", "percentile must be a number between 0 and 100, not %q", v.Value)
				continue
			}
			c.Percentile = p
		case thresholdOps[k.Value]:
			f, err := strconv.ParseFloat(v.Value, 64)
			if err != nil || math.IsNaN(f) || math.IsInf(f, 0) || v.ShortTag() == "!!bool" {
				errf(v, "", "condition %s needs a number, not %q", k.Value, v.Value)
				continue
			}
			c.Thresholds = append(c.Thresholds, Threshold{Op: k.Value, Value: f, Pos: posOf(file, k)})
		default:
			errf(k, "use gt, gte, lt, lte, eq or neq (two of them for a range) and field", "unknown condition operator %q", k.Value)
		}
	}
	if len(c.Thresholds) > 2 {
		errf(n, "", "a condition holds one comparison or a range of two")
	}
	if len(c.Thresholds) == 2 {
		a, b := c.Thresholds[0].Op, c.Thresholds[1].Op
		lower := func(op string) bool { return op == "gt" || op == "gte" }
		upper := func(op string) bool { return op == "lt" || op == "lte" }
		if !(lower(a) && upper(b) || upper(a) && lower(b)) {
			errf(n, "a range is a lower bound (gt, gte) and an upper bound (lt, lte)", "condition %s and %s do not form a range", a, b)
		}
	}
}

func parseAliases(file string, r *Rule, n *yaml.Node, errs *ir.Errors) []*Alias {
	if n.Kind != yaml.MappingNode {
		*errs = append(*errs, &ir.Error{Pos: posOf(file, n), RuleID: r.ID, Msg: "aliases must be a mapping of alias name to {rule: field}"})
		return nil
	}
	var out []*Alias
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		a := &Alias{Name: k.Value, Pos: posOf(file, k), Fields: map[string]Ref{}}
		if v.Kind != yaml.MappingNode {
			*errs = append(*errs, &ir.Error{Pos: posOf(file, v), RuleID: r.ID, Msg: fmt.Sprintf("alias %q must map each rule to its field", k.Value)})
			continue
		}
		for j := 0; j+1 < len(v.Content); j += 2 {
			rk, fv := v.Content[j], v.Content[j+1]
			a.Fields[rk.Value] = Ref{Name: fv.Value, Pos: posOf(file, fv)}
		}
		out = append(out, a)
	}
	return out
}

// parseFilter reads a filter section: the rules it applies to, selections
// and a condition.
func parseFilter(file string, r *Rule, n *yaml.Node, errs *ir.Errors) *FilterSpec {
	f := &FilterSpec{Pos: posOf(file, n)}
	if n.Kind != yaml.MappingNode {
		*errs = append(*errs, &ir.Error{Pos: posOf(file, n), RuleID: r.ID, Msg: "filter must be a mapping with rules, selections and a condition"})
		return nil
	}
	det := &yaml.Node{Kind: yaml.MappingNode, Line: n.Line, Column: n.Column}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Value == "rules" {
			items := []*yaml.Node{v}
			if v.Kind == yaml.SequenceNode {
				items = v.Content
			}
			for _, it := range items {
				f.Rules = append(f.Rules, Ref{Name: it.Value, Pos: posOf(file, it)})
			}
			continue
		}
		det.Content = append(det.Content, k, v)
	}
	if len(f.Rules) == 0 {
		*errs = append(*errs, &ir.Error{Pos: f.Pos, RuleID: r.ID, Msg: "filter has no rules", Hint: "list the rules (by id or name) the filter applies to"})
	}
	tmp := &Rule{File: file, ID: r.ID}
	parseDetection(file, tmp, det, errs)
	f.Selections, f.Conditions = tmp.Selections, tmp.Conditions
	return f
}
