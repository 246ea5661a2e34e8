package ir

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// CorrelationType is the kind of a correlation rule.
type CorrelationType int

const (
	EventCount CorrelationType = iota
	ValueCount
	ValueSum
	ValueAvg
	ValuePercentile
	Temporal
	TemporalOrdered
	// NewTerms is tokenhunt's baseline extension: an event whose terms no
	// earlier event of its group had within the lookback.
	NewTerms
)

var correlationNames = [...]string{EventCount: "event_count", ValueCount: "value_count", ValueSum: "value_sum", ValueAvg: "value_avg", ValuePercentile: "value_percentile", Temporal: "temporal", TemporalOrdered: "temporal_ordered", NewTerms: "new_terms"}

func (t CorrelationType) String() string { return correlationNames[t] }

// ParseCorrelationType reads a type name.
func ParseCorrelationType(s string) (CorrelationType, bool) {
	for i, n := range correlationNames {
		if n == s {
			return CorrelationType(i), true
		}
	}
	return 0, false
}

// ThresholdOp compares a correlation's aggregate.
type ThresholdOp int

const (
	TGt ThresholdOp = iota
	TGte
	TLt
	TLte
	TEq
	TNeq
)

var thresholdNames = [...]string{TGt: "gt", TGte: "gte", TLt: "lt", TLte: "lte", TEq: "eq", TNeq: "neq"}

func (o ThresholdOp) String() string { return thresholdNames[o] }

// ParseThresholdOp reads an operator name.
func ParseThresholdOp(s string) (ThresholdOp, bool) {
	for i, n := range thresholdNames {
		if n == s {
			return ThresholdOp(i), true
		}
	}
	return 0, false
}

// Threshold is one comparison of the aggregate; a condition is one or two
// (a range), all of which must hold.
type Threshold struct {
	Op    ThresholdOp
	Value float64
}

// Holds reports whether an aggregate meets the threshold.
func (t Threshold) Holds(v float64) bool {
	switch t.Op {
	case TGt:
		return v > t.Value
	case TGte:
		return v >= t.Value
	case TLt:
		return v < t.Value
	case TLte:
		return v <= t.Value
	case TEq:
		return v == t.Value
	case TNeq:
		return v != t.Value
	}
	return false
}

// Base is one base rule of a correlation, with the fields the correlation
// reads from its events, resolved by the base rule's pipelines.
//
// A base may instead be an inner correlation (chaining): Rule is nil and
// Correlation is set. Its events are the inner correlation's firings, every
// event of a group at which the inner condition holds over its window
// (before overlapping firings merge into findings), with the firing event's
// time, the id FiringID(inner, event id) and one text field per inner
// group-by name. Group, Value and Terms then name inner group-by names
// (Field.Name, with Column.Path that one name); Time and ID are unset.
type Base struct {
	Rule *Rule
	// Correlation is the inner correlation of a chained base; nil for a
	// detection rule.
	Correlation *Correlation
	// Time is the event time; ID identifies an event.
	Time, ID Field
	// Group holds one field per group-by name of the correlation.
	Group []Field
	// Value is the aggregated field of value_* types.
	Value *Field
	// Terms are the fields of new_terms.
	Terms []Field
}

// Correlation is a compiled correlation rule. The semantics (DESIGN.md,
// "Correlations"): events first match their base rules; the group-by
// values form the group; at each event e of a group the window is
// (e.time - Timespan, e.time], and the correlation fires at e when the
// window's aggregate meets every threshold. Firings of one group whose
// windows overlap merge into one finding.
type Correlation struct {
	ID          string
	Name        string
	Title       string
	Level       string
	Status      string
	Description string
	Tags        []string
	Pos         Pos
	Type        CorrelationType
	// Bases are the base rules in the order listed.
	Bases []*Base
	// GroupBy are the names of the group columns of a finding.
	GroupBy    []string
	Timespan   time.Duration
	Thresholds []Threshold
	// ValueName is the value_* field as the condition names it.
	ValueName  string
	Percentile float64
	// TermNames and Lookback are the new_terms fields and lookback.
	TermNames []string
	Lookback  time.Duration
	Generate  bool
}

// Ref is how a chained correlation's firing ids name c: its id, else its
// name.
func (c *Correlation) Ref() string {
	if c.ID != "" {
		return c.ID
	}
	return c.Name
}

// FiringID is the id of the firing of inner at the event with id eventID,
// as an outer correlation's events cite it: "<inner id or name>:<event id>".
func FiringID(inner *Correlation, eventID string) string {
	return inner.Ref() + ":" + eventID
}

// GroupIndex is the position of a group-by name in c.GroupBy, or -1.
func (c *Correlation) GroupIndex(name string) int {
	for i, g := range c.GroupBy {
		if g == name {
			return i
		}
	}
	return -1
}

// RuleBases returns the bases that read detection rules: c's own and,
// through chained inner correlations, theirs, depth first in the order
// listed. Each carries the fields of the correlation it belongs to.
func (c *Correlation) RuleBases() []*Base {
	var out []*Base
	for _, b := range c.Bases {
		switch {
		case b == nil:
		case b.Correlation != nil:
			out = append(out, b.Correlation.RuleBases()...)
		default:
			out = append(out, b)
		}
	}
	return out
}

// Reach is how long before a firing events can still count: the timespan
// (or new_terms lookback) plus, for a chain, the longest reach of an inner
// correlation, whose firings need their own windows.
func (c *Correlation) Reach() time.Duration {
	var inner time.Duration
	for _, b := range c.Bases {
		if b != nil && b.Correlation != nil {
			inner = max(inner, b.Correlation.Reach())
		}
	}
	return max(c.Timespan, c.Lookback) + inner
}

// FormatCorrelation prints a correlation and its base rules' conditions.
//
// A chained base prints as "base correlation <id>", the fields it reads
// (inner group-by names), then the inner correlation's own lines indented
// below it.
func FormatCorrelation(c *Correlation) string {
	var b strings.Builder
	fmt.Fprintf(&b, "correlation %s\n", c.ID)
	formatCorrelation(&b, c, "")
	return b.String()
}

// formatCorrelation prints the lines of c below its header, indented by in.
func formatCorrelation(b *strings.Builder, c *Correlation, in string) {
	fmt.Fprintf(b, "%s  title %s\n", in, strconv.Quote(c.Title))
	if c.Level != "" {
		fmt.Fprintf(b, "%s  level %s\n", in, c.Level)
	}
	fmt.Fprintf(b, "%s  type %s\n", in, c.Type)
	if len(c.GroupBy) > 0 {
		fmt.Fprintf(b, "%s  group-by %s\n", in, strings.Join(c.GroupBy, " "))
	}
	if c.Timespan > 0 {
		fmt.Fprintf(b, "%s  timespan %s\n", in, c.Timespan)
	}
	if c.Lookback > 0 {
		fmt.Fprintf(b, "%s  lookback %s\n", in, c.Lookback)
	}
	for _, t := range c.Thresholds {
		fmt.Fprintf(b, "%s  condition %s %s\n", in, t.Op, strconv.FormatFloat(t.Value, 'g', -1, 64))
	}
	if c.ValueName != "" {
		fmt.Fprintf(b, "%s  value %s\n", in, c.ValueName)
	}
	if c.Percentile > 0 {
		fmt.Fprintf(b, "%s  percentile %s\n", in, strconv.FormatFloat(c.Percentile, 'g', -1, 64))
	}
	if len(c.TermNames) > 0 {
		fmt.Fprintf(b, "%s  terms %s\n", in, strings.Join(c.TermNames, " "))
	}
	for _, base := range c.Bases {
		switch {
		case base == nil:
			fmt.Fprintf(b, "%s  base <missing>\n", in)
			continue
		case base.Correlation != nil:
			fmt.Fprintf(b, "%s  base correlation %s\n", in, base.Correlation.Ref())
		case base.Rule != nil:
			fmt.Fprintf(b, "%s  base %s table %s time %s id %s\n", in, base.Rule.ID, base.Rule.Table, FieldString(base.Time), FieldString(base.ID))
		default:
			fmt.Fprintf(b, "%s  base <missing>\n", in)
			continue
		}
		field := FieldString
		if base.Correlation != nil {
			field = func(f Field) string { return quoteName(f.Name) } // an inner group-by name
		}
		for i, g := range base.Group {
			fmt.Fprintf(b, "%s    group %s %s\n", in, c.GroupBy[i], field(g))
		}
		if base.Value != nil {
			fmt.Fprintf(b, "%s    value %s\n", in, field(*base.Value))
		}
		for i, f := range base.Terms {
			fmt.Fprintf(b, "%s    term %s %s\n", in, c.TermNames[i], field(f))
		}
		if base.Correlation != nil {
			formatCorrelation(b, base.Correlation, in+"  ")
			continue
		}
		fmt.Fprintf(b, "%s    where\n%s      ", in, in)
		writeExpr(b, base.Rule.Where, len(in)+6, 100)
		b.WriteString("\n")
	}
}

// WithRules returns a copy of c whose detection base rules, at every level
// of a chain, are f's copies of them (e.g. with another table name); c is
// not changed.
func (c *Correlation) WithRules(f func(*Rule) *Rule) *Correlation {
	out := *c
	out.Bases = nil
	for _, b := range c.Bases {
		nb := *b
		if b.Correlation != nil {
			nb.Correlation = b.Correlation.WithRules(f)
		} else {
			nb.Rule = f(b.Rule)
		}
		out.Bases = append(out.Bases, &nb)
	}
	return &out
}
