package runner

import (
	"sort"
	"time"

	"github.com/tokenhunt/tokenhunt/compiler"
	"github.com/tokenhunt/tokenhunt/compiler/ir"
	"github.com/tokenhunt/tokenhunt/compiler/pipeline"
	"github.com/tokenhunt/tokenhunt/hunts"
)

// group is the DuckDB sources of a hunt that run in one engine because
// correlations read the tables of several of them (the Entra sign-in
// correlations read SigninLogs and AADNonInteractiveUserSignInLogs).
type group struct {
	members []*hunts.Source
	// corrs are the correlations across its members; owner runs each.
	corrs []*ir.Correlation
	owner map[*ir.Correlation]*hunts.Source
	// lookback is the longest reach of its correlations; start is the
	// earliest window start of its members (zero with --from/--to).
	lookback time.Duration
	start    time.Time
	plans    []*plan
}

func (g *group) has(c *ir.Correlation) bool { _, ok := g.owner[c]; return ok }

// groups finds, for each source of the spec, its group (nil for a source
// hunted alone): the sources whose tables a correlation's base rules read,
// joined when correlations share a source.
func (r *runner) groups(set *compiler.Set) []*group {
	srcs := r.spec.Sources
	type key struct {
		table string
		ls    ir.Logsource
	}
	keys := make([]*key, len(srcs))
	for i, src := range srcs {
		if src.Engine != "" && src.Engine != "duckdb" {
			continue
		}
		ps, err := pipeline.ResolveAll([]string{src.Pipeline})
		if err != nil {
			continue // the source reports it
		}
		table := src.Table
		if table == "" {
			table = ps.Source(src.Logsource).Table
		}
		keys[i] = &key{table, src.Logsource}
	}
	reads := func(i int, b *ir.Base) bool {
		k := keys[i]
		return k != nil && b.Rule.Table == k.table && (k.ls == (ir.Logsource{}) || matchLogsource(k.ls, b.Rule.Logsource))
	}
	parent := make([]int, len(srcs))
	for i := range parent {
		parent[i] = i
	}
	var find func(int) int
	find = func(i int) int {
		if parent[i] != i {
			parent[i] = find(parent[i])
		}
		return parent[i]
	}
	across := map[*ir.Correlation][]int{}
	for _, cr := range set.Correlations {
		c := cr.Correlation
		var in []int
		covered := true
		for _, b := range c.RuleBases() {
			at := -1
			for i := range srcs {
				if reads(i, b) {
					at = i
					break
				}
			}
			if at < 0 {
				covered = false
				break
			}
			in = append(in, at)
		}
		sort.Ints(in)
		if !covered || len(in) == 0 || in[0] == in[len(in)-1] {
			continue // a table no source has, or one source's own
		}
		across[c] = in
		for _, i := range in[1:] {
			parent[find(i)] = find(in[0])
		}
	}
	out := make([]*group, len(srcs))
	byRoot := map[int]*group{}
	for c, in := range across {
		root := find(in[0])
		g := byRoot[root]
		if g == nil {
			g = &group{owner: map[*ir.Correlation]*hunts.Source{}}
			byRoot[root] = g
		}
		g.corrs = append(g.corrs, c)
		g.owner[c] = &r.spec.Sources[in[0]]
		g.lookback = max(g.lookback, c.Reach())
	}
	for i := range srcs {
		if g := byRoot[find(i)]; g != nil && keys[i] != nil {
			out[i] = g
			g.members = append(g.members, &r.spec.Sources[i])
		}
	}
	for _, g := range byRoot {
		sort.Slice(g.corrs, func(i, j int) bool { return g.corrs[i].Pos.String() < g.corrs[j].Pos.String() })
		if r.spec.Lookback > 0 {
			g.lookback = r.spec.Lookback
		}
		if !r.opts.From.IsZero() {
			continue
		}
		end := r.opts.Now.Add(-r.spec.Settle).UTC().Truncate(time.Second)
		for k, src := range g.members {
			start := r.spec.Start
			if r.st != nil {
				if wm, ok, err := r.st.Watermark(src.Name); err == nil && ok {
					start = wm
				}
			}
			if start.IsZero() {
				start = end.Add(-24 * time.Hour)
			}
			if k == 0 || start.Before(g.start) {
				g.start = start
			}
		}
	}
	return out
}
