package refeval

import (
	"fmt"
	"math"
	"sort"
	"strings"
	"time"

	"github.com/tokenhunt/tokenhunt/compiler/ir"
)

// Finding is what a correlation raises: one per group and run of
// overlapping firing windows (or, for new_terms, one per new event).
type Finding struct {
	// Group holds the group-by values as text; nil for a null value.
	Group []*string
	// First is the earliest contributing event; Fired the event at which
	// the correlation first fired; Last the last firing event.
	First, Fired, Last time.Time
	// Value is the aggregate over all contributing events.
	Value float64
	// Events are the ids of the contributing events, by time then id.
	Events []string
}

// corrMatch is one event matched by one base rule.
type corrMatch struct {
	base  int
	t     time.Time
	us    int64
	id    string
	group []*string
	value *string
	terms []*string
}

// Correlate evaluates a correlation over events, given per table. It is
// the reference semantics of correlations: plain loops, no cleverness.
//
// A chained base (ir.Base.Correlation) reads the inner correlation's
// firings: every event of a group at which the inner correlation fires
// (each new event for new_terms), before firings merge into findings, with
// the firing event's time, the id ir.FiringID(inner, event id) and the
// inner group values as its fields. An event that fires the inner
// correlation through several of its base rules fires once.
func Correlate(c *ir.Correlation, tables map[string][]map[string]any) ([]Finding, error) {
	groups, keys, err := groupMatches(c, tables, map[*ir.Correlation]bool{})
	if err != nil {
		return nil, err
	}
	var out []Finding
	for _, k := range keys {
		ms := groups[k]
		if c.Type == ir.NewTerms {
			out = append(out, newTerms(c, ms)...)
			continue
		}
		out = append(out, windows(c, ms)...)
	}
	return out, nil
}

// groupMatches returns c's matched events by group, each group sorted by
// time, id and base, and the group keys sorted.
func groupMatches(c *ir.Correlation, tables map[string][]map[string]any, active map[*ir.Correlation]bool) (map[string][]corrMatch, []string, error) {
	if active[c] {
		return nil, nil, fmt.Errorf("correlation %s reads its own firings", c.Ref())
	}
	active[c] = true
	defer delete(active, c)
	var all []corrMatch
	for i, b := range c.Bases {
		if b == nil || (b.Rule == nil && b.Correlation == nil) {
			return nil, nil, fmt.Errorf("correlation %s: base %d is missing", c.Ref(), i+1)
		}
		if b.Correlation != nil {
			ms, err := chained(i, b, tables, active)
			if err != nil {
				return nil, nil, err
			}
			all = append(all, ms...)
			continue
		}
		if err := Check(b.Rule.Where); err != nil {
			return nil, nil, err
		}
		for _, ev := range tables[b.Rule.Table] {
			if !Eval(b.Rule.Where, ev) {
				continue
			}
			tv, ok := lookup(ev, b.Time)
			if !ok {
				continue
			}
			t, ok := ParseTime(tv)
			if !ok {
				continue
			}
			id, ok := text(ev, b.ID)
			if !ok {
				continue // an event without an id cannot be counted or cited
			}
			m := corrMatch{base: i, t: t.UTC(), us: t.UnixMicro(), id: id}
			for _, g := range b.Group {
				m.group = append(m.group, optText(ev, g))
			}
			if b.Value != nil {
				m.value = optText(ev, *b.Value)
			}
			for _, f := range b.Terms {
				m.terms = append(m.terms, optText(ev, f))
			}
			all = append(all, m)
		}
	}
	groups := map[string][]corrMatch{}
	var keys []string
	for _, m := range all {
		k := key(m.group)
		if _, ok := groups[k]; !ok {
			keys = append(keys, k)
		}
		groups[k] = append(groups[k], m)
	}
	sort.Strings(keys)
	for _, k := range keys {
		ms := groups[k]
		sort.SliceStable(ms, func(i, j int) bool {
			if ms[i].us != ms[j].us {
				return ms[i].us < ms[j].us
			}
			if ms[i].id != ms[j].id {
				return ms[i].id < ms[j].id
			}
			return ms[i].base < ms[j].base
		})
	}
	return groups, keys, nil
}

// chained returns the firings of the inner correlation of base i as
// matched events of base i: fields are inner group values by name.
func chained(i int, b *ir.Base, tables map[string][]map[string]any, active map[*ir.Correlation]bool) ([]corrMatch, error) {
	inner := b.Correlation
	groups, keys, err := groupMatches(inner, tables, active)
	if err != nil {
		return nil, err
	}
	field := func(f ir.Field, m corrMatch) (*string, error) {
		k := inner.GroupIndex(f.Name)
		if k < 0 {
			return nil, fmt.Errorf("field %s is not a group-by field of correlation %s", f.Name, inner.Ref())
		}
		return m.group[k], nil
	}
	var out []corrMatch
	for _, k := range keys {
		ms := groups[k]
		seen := map[string]bool{}
		for j, m := range ms {
			var fired bool
			if inner.Type == ir.NewTerms {
				fired = isNew(inner, ms, j)
			} else {
				fired = fires(inner, ms, j)
			}
			if !fired || seen[m.id] {
				continue
			}
			seen[m.id] = true
			o := corrMatch{base: i, t: m.t, us: m.us, id: ir.FiringID(inner, m.id)}
			for _, g := range b.Group {
				v, err := field(g, m)
				if err != nil {
					return nil, err
				}
				o.group = append(o.group, v)
			}
			if b.Value != nil {
				v, err := field(*b.Value, m)
				if err != nil {
					return nil, err
				}
				o.value = v
			}
			for _, f := range b.Terms {
				v, err := field(f, m)
				if err != nil {
					return nil, err
				}
				o.terms = append(o.terms, v)
			}
			out = append(out, o)
		}
	}
	return out, nil
}

func optText(ev map[string]any, f ir.Field) *string {
	s, ok := text(ev, f)
	if !ok {
		return nil
	}
	return &s
}

func key(vals []*string) string {
	var b strings.Builder
	for _, v := range vals {
		if v == nil {
			b.WriteString("\x00N")
		} else {
			b.WriteString("\x00S" + *v)
		}
	}
	return b.String()
}

// inWindow returns the matches with time in (end - span, end].
func inWindow(ms []corrMatch, endUS, spanUS int64) []corrMatch {
	var out []corrMatch
	for _, m := range ms {
		if m.us > endUS-spanUS && m.us <= endUS {
			out = append(out, m)
		}
	}
	return out
}

// aggregate computes a correlation's aggregate over some matches; ok is
// false when it is undefined (an average of no values).
func aggregate(c *ir.Correlation, ms []corrMatch) (float64, bool) {
	switch c.Type {
	case ir.EventCount:
		ids := map[string]bool{}
		for _, m := range ms {
			ids[m.id] = true
		}
		return float64(len(ids)), true
	case ir.ValueCount:
		vals := map[string]bool{}
		for _, m := range ms {
			if m.value != nil {
				vals[*m.value] = true
			}
		}
		return float64(len(vals)), true
	case ir.ValueSum, ir.ValueAvg, ir.ValuePercentile:
		var nums []float64
		seen := map[string]bool{}
		for _, m := range ms {
			if m.value == nil || seen[m.id] {
				continue
			}
			seen[m.id] = true
			if f, ok := number(*m.value); ok {
				nums = append(nums, f)
			}
		}
		if len(nums) == 0 {
			return 0, c.Type == ir.ValueSum
		}
		sum := 0.0
		for _, f := range nums {
			sum += f
		}
		switch c.Type {
		case ir.ValueSum:
			return sum, true
		case ir.ValueAvg:
			return sum / float64(len(nums)), true
		}
		sort.Float64s(nums)
		pos := c.Percentile / 100 * float64(len(nums)-1)
		lo := math.Floor(pos)
		hi := math.Ceil(pos)
		return nums[int(lo)] + (nums[int(hi)]-nums[int(lo)])*(pos-lo), true
	case ir.Temporal, ir.TemporalOrdered:
		bases := map[int]bool{}
		for _, m := range ms {
			bases[m.base] = true
		}
		return float64(len(bases)), true
	}
	return 0, false
}

func holds(c *ir.Correlation, v float64) bool {
	for _, t := range c.Thresholds {
		if !t.Holds(v) {
			return false
		}
	}
	return true
}

// fires reports whether the correlation fires at corrMatch i of a group.
func fires(c *ir.Correlation, ms []corrMatch, i int) bool {
	e := ms[i]
	span := c.Timespan.Microseconds()
	if c.Type == ir.TemporalOrdered {
		return e.base == len(c.Bases)-1 && chainStart(ms, e, len(c.Bases)-1) > e.us-span
	}
	v, ok := aggregate(c, inWindow(ms, e.us, span))
	return ok && holds(c, v)
}

// chainStart is the latest time at which a chain of events of bases 0..k,
// in order (times not decreasing), can start and end at e; math.MinInt64
// when there is none.
func chainStart(ms []corrMatch, e corrMatch, k int) int64 {
	if e.base != k {
		return math.MinInt64
	}
	if k == 0 {
		return e.us
	}
	best := int64(math.MinInt64)
	for _, p := range ms {
		if p.base == k-1 && p.us <= e.us {
			if s := chainStart(ms, p, k-1); s > best {
				best = s
			}
		}
	}
	return best
}

// windows finds the firings of one group and merges overlapping ones.
func windows(c *ir.Correlation, ms []corrMatch) []Finding {
	span := c.Timespan.Microseconds()
	var fired []corrMatch
	for i := range ms {
		if fires(c, ms, i) {
			fired = append(fired, ms[i])
		}
	}
	var out []Finding
	for i := 0; i < len(fired); {
		j := i
		for j+1 < len(fired) && fired[j+1].us-fired[j].us < span {
			j++
		}
		first, last := fired[i], fired[j]
		var contrib []corrMatch
		for _, m := range ms {
			if m.us > first.us-span && m.us <= last.us {
				contrib = append(contrib, m)
			}
		}
		v, _ := aggregate(c, contrib)
		f := Finding{Group: first.group, First: contrib[0].t, Fired: first.t, Last: last.t, Value: v}
		seen := map[string]bool{}
		for _, m := range contrib {
			if !seen[m.id] {
				seen[m.id] = true
				f.Events = append(f.Events, m.id)
			}
		}
		out = append(out, f)
		i = j + 1
	}
	return out
}

// newTerms raises one finding per event whose terms no earlier event of
// its group had within [t - lookback, t).
func newTerms(c *ir.Correlation, ms []corrMatch) []Finding {
	var out []Finding
	for i, e := range ms {
		if isNew(c, ms, i) {
			out = append(out, Finding{Group: e.group, First: e.t, Fired: e.t, Last: e.t, Value: 1, Events: []string{e.id}})
		}
	}
	return out
}

// isNew reports whether no earlier event of the group (ms, sorted by time)
// had the terms of ms[i] within [t - lookback, t).
func isNew(c *ir.Correlation, ms []corrMatch, i int) bool {
	look := c.Lookback.Microseconds()
	e := ms[i]
	for _, p := range ms[:i] {
		if p.us < e.us && p.us >= e.us-look && key(p.terms) == key(e.terms) {
			return false
		}
	}
	return true
}

// String prints a finding in one line, for test failures.
func (f Finding) String() string {
	var g []string
	for _, v := range f.Group {
		if v == nil {
			g = append(g, "null")
		} else {
			g = append(g, fmt.Sprintf("%q", *v))
		}
	}
	return fmt.Sprintf("group=[%s] first=%s fired=%s last=%s value=%.10g events=%v", strings.Join(g, ","), f.First.Format(time.RFC3339Nano), f.Fired.Format(time.RFC3339Nano), f.Last.Format(time.RFC3339Nano), f.Value, f.Events)
}
