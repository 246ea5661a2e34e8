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
type Base struct {
	Rule *Rule
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

// FormatCorrelation prints a correlation and its base rules' conditions.
func FormatCorrelation(c *Correlation) string {
	var b strings.Builder
	fmt.Fprintf(&b, "correlation %s\n", c.ID)
	fmt.Fprintf(&b, "  title %s\n", strconv.Quote(c.Title))
	if c.Level != "" {
		fmt.Fprintf(&b, "  level %s\n", c.Level)
	}
	fmt.Fprintf(&b, "  type %s\n", c.Type)
	if len(c.GroupBy) > 0 {
		fmt.Fprintf(&b, "  group-by %s\n", strings.Join(c.GroupBy, " "))
	}
	if c.Timespan > 0 {
		fmt.Fprintf(&b, "  timespan %s\n", c.Timespan)
	}
	if c.Lookback > 0 {
		fmt.Fprintf(&b, "  lookback %s\n", c.Lookback)
	}
	for _, t := range c.Thresholds {
		fmt.Fprintf(&b, "  condition %s %s\n", t.Op, strconv.FormatFloat(t.Value, 'g', -1, 64))
	}
	if c.ValueName != "" {
		fmt.Fprintf(&b, "  value %s\n", c.ValueName)
	}
	if c.Percentile > 0 {
		fmt.Fprintf(&b, "  percentile %s\n", strconv.FormatFloat(c.Percentile, 'g', -1, 64))
	}
	if len(c.TermNames) > 0 {
		fmt.Fprintf(&b, "  terms %s\n", strings.Join(c.TermNames, " "))
	}
	for _, base := range c.Bases {
		fmt.Fprintf(&b, "  base %s table %s time %s id %s\n", base.Rule.ID, base.Rule.Table, FieldString(base.Time), FieldString(base.ID))
		for i, g := range base.Group {
			fmt.Fprintf(&b, "    group %s %s\n", c.GroupBy[i], FieldString(g))
		}
		if base.Value != nil {
			fmt.Fprintf(&b, "    value %s\n", FieldString(*base.Value))
		}
		for i, f := range base.Terms {
			fmt.Fprintf(&b, "    term %s %s\n", c.TermNames[i], FieldString(f))
		}
		b.WriteString("    where\n      ")
		writeExpr(&b, base.Rule.Where, 6, 100)
		b.WriteString("\n")
	}
	return b.String()
}
