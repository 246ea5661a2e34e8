// Package runner runs a hunt spec: it selects and compiles the rules,
// plans a time window per source, reads each source once — its files with
// embedded DuckDB, or its table where it lives on Athena or BigQuery —
// running every single-event rule of a source in one scan and each
// correlation in its own query, and writes the findings durably before it
// advances the source's watermark.
//
// Crash safety: findings are written (temp file, fsync, rename, fsync of
// the folder) before the watermark moves, and a finding's id is a hash of
// its rule, group and firing time, so a run killed at any point and run
// again ends with the findings of an uninterrupted run: none lost, none
// twice.
package runner

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/tokenhunt/tokenhunt/backends/duckdb"
	"github.com/tokenhunt/tokenhunt/backends/sql"
	"github.com/tokenhunt/tokenhunt/compiler"
	"github.com/tokenhunt/tokenhunt/compiler/ir"
	"github.com/tokenhunt/tokenhunt/compiler/pipeline"
	"github.com/tokenhunt/tokenhunt/compiler/sigma"
	"github.com/tokenhunt/tokenhunt/hunts"
	"github.com/tokenhunt/tokenhunt/hunts/findings"
	"github.com/tokenhunt/tokenhunt/hunts/state"
	"github.com/tokenhunt/tokenhunt/internal/redact"
)

// Options change how a hunt runs.
type Options struct {
	// From and To, when both set, are the window [From, To) of every
	// source; the watermarks are then neither read nor moved.
	From, To time.Time
	// Now is the current time (default time.Now()); without From/To a
	// window ends at Now minus the spec's settle delay.
	Now time.Time
	// DryRun plans and compiles but reads no data and writes nothing.
	DryRun bool
	// OutDir and StateDir override the spec's folders.
	OutDir, StateDir string
	// Log receives progress lines (redacted); nil discards them.
	Log io.Writer
	// Hook, when set, is called at each phase boundary (e.g.
	// "registered:cloudtrail", "jsonl-written", "watermark:cloudtrail"),
	// for tests that stop a run there.
	Hook func(phase string)
	// Progress, when set, is told each step of a source's hunt, for a
	// progress display; it is called from the goroutine of Run.
	Progress func(Progress)
	// open connects to a cloud engine (tests replace it).
	open func(ctx context.Context, spec *hunts.Spec, src *hunts.Source) (remoteEngine, error)
}

// Progress is where a source's hunt stands: Done of Total units, where
// the units are its files (counted when DuckDB has read them) and then one
// per query (the single-event scan, each correlation). Step says what
// runs now, e.g. "reading 12 files", "scanning 40 rules",
// "correlation: Session token replay", "writing findings", "done".
type Progress struct {
	Source      string
	Step        string
	Done, Total int
}

// Query is one compiled query of a plan.
type Query struct {
	// Rules are the rule ids it evaluates.
	Rules []string
	SQL   string
	// Params are a BigQuery query's parameters (the window's bounds).
	Params []Param
	// ID, Bytes, Cost and Elapsed are what a cloud engine reported of
	// the query's run; Estimate is a dry run's bytes (-1: none).
	ID              string
	Bytes, Estimate int64
	Cost            float64
	Elapsed         time.Duration
	corr            *corr
}

// RuleReport is one rule's outcome.
type RuleReport struct {
	ID, Title, Level, Source string
	Correlation              bool
	// Findings is the number of findings in the window, New of those not
	// written before.
	Findings, New int
	Err           error
}

// SourceReport is one source's plan and outcome.
type SourceReport struct {
	Name, Table string
	// Engine runs the source's queries: duckdb, athena or bigquery.
	Engine string
	// Files are the files read; Skipped the files pruned by their day
	// folder.
	Files   []string
	Skipped int
	// Start and End are the window; Read is where reading starts (Start
	// minus the lookback).
	Start, End, Read time.Time
	Queries          []Query
	// UpToDate is set when the watermark already reaches the window's end.
	UpToDate bool
	// Advanced is set when the watermark moved to End; Explicit when the
	// window was given (--from/--to) and the watermark is not used.
	Advanced, Explicit bool
	Err                error
}

// Report is what a run did.
type Report struct {
	Hunt    string
	Sources []*SourceReport
	Rules   []*RuleReport
	// Errors are rule and source errors (load, compile, query); Warnings
	// do not fail the run.
	Errors, Warnings []error
	// Found counts findings in the windows, New the ones written now.
	Found, New int
}

// Failed reports whether anything failed.
func (r *Report) Failed() bool { return len(r.Errors) > 0 }

// entityFields name where a single event's who and where live; the first
// field the pipeline resolves to a column of the source wins.
var entityFields = []struct {
	key    string
	fields []string
}{
	{"principal", []string{"userIdentity.arn", "UserPrincipalName", "protoPayload.authenticationInfo.principalEmail"}},
	{"access_key_id", []string{"userIdentity.accessKeyId"}},
	{"source_ip", []string{"sourceIPAddress", "IPAddress", "protoPayload.requestMetadata.callerIp"}},
	{"user_agent", []string{"userAgent", "UserAgent", "protoPayload.requestMetadata.callerSuppliedUserAgent"}},
	{"region", []string{"awsRegion", "Location"}},
	{"account", []string{"recipientAccountId", "userIdentity.accountId", "TenantId"}},
}

// sampleFields are raw fields kept with a single-event finding.
var sampleFields = []string{"eventSource", "eventName", "errorCode", "userIdentity.type", "AppDisplayName", "ResultType", "protoPayload.methodName"}

// Run runs the hunt.
func Run(ctx context.Context, spec *hunts.Spec, opts Options) (*Report, error) {
	r := &runner{spec: spec, opts: opts, rep: &Report{Hunt: spec.Name}, log: opts.Log}
	if r.log == nil {
		r.log = io.Discard
	}
	if opts.OutDir != "" {
		spec.OutDir = opts.OutDir
	}
	if opts.StateDir != "" {
		spec.StateDir = opts.StateDir
	}
	if spec.OutDir == "" && !opts.DryRun {
		return nil, fmt.Errorf("hunt %s: no output folder: set outputs: {dir: ...} in the spec or --out", spec.Name)
	}
	if spec.StateDir == "" {
		spec.StateDir = spec.OutDir + "/state"
	}
	if opts.From.IsZero() != opts.To.IsZero() {
		return nil, fmt.Errorf("give both --from and --to, or neither")
	}
	if !opts.From.IsZero() && !opts.From.Before(opts.To) {
		return nil, fmt.Errorf("--from %s is not before --to %s", opts.From.Format(time.RFC3339), opts.To.Format(time.RFC3339))
	}
	if r.opts.Now.IsZero() {
		r.opts.Now = time.Now()
	}
	return r.rep, r.run(ctx)
}

type runner struct {
	spec  *hunts.Spec
	opts  Options
	rep   *Report
	log   io.Writer
	st    *state.Dir
	store *findings.Store
	seen  map[string]bool
}

func (r *runner) logf(format string, args ...any) {
	fmt.Fprintln(r.log, redact.String(fmt.Sprintf(format, args...)))
}

func (r *runner) progress(source, step string, done, total int) {
	if r.opts.Progress != nil {
		r.opts.Progress(Progress{Source: source, Step: redact.String(step), Done: done, Total: total})
	}
}

func (r *runner) hook(phase string) {
	if r.opts.Hook != nil {
		r.opts.Hook(phase)
	}
}

func (r *runner) errorf(err error) {
	if r.seen == nil {
		r.seen = map[string]bool{}
	}
	if r.seen[err.Error()] {
		return // a rule error that each source's compilation repeats
	}
	r.seen[err.Error()] = true
	var ie *ir.Error
	if errors.As(err, &ie) && ie.Warning {
		r.rep.Warnings = append(r.rep.Warnings, err)
		return
	}
	r.rep.Errors = append(r.rep.Errors, err)
}

func (r *runner) run(ctx context.Context) error {
	if !r.opts.DryRun {
		st, err := state.Open(r.spec.StateDir, r.spec.Name)
		if err != nil {
			return err
		}
		lock, err := st.Lock()
		if err != nil {
			return fmt.Errorf("hunt %s: %w", r.spec.Name, err)
		}
		defer lock.Release()
		r.st = st
		if err := os.MkdirAll(r.spec.OutDir, 0o755); err != nil {
			return err
		}
		if r.store, err = findings.Open(r.spec.OutDir); err != nil {
			return fmt.Errorf("hunt %s: %w", r.spec.Name, err)
		}
	}
	rules, lerrs := loadRules(r.spec.Rules.Paths)
	for _, e := range lerrs {
		r.errorf(e)
	}
	sel := selectRules(rules, r.spec.Rules)
	if len(sel.rules) == 0 {
		r.errorf(fmt.Errorf("hunt %s: no rule in %s passes the selection (ids, tags, level)", r.spec.Name, strings.Join(r.spec.Rules.Paths, " ")))
	}
	// Compile once, with every source's pipeline: a correlation links
	// its base rules through the pipelines of their own log sources.
	var names []string
	for _, src := range r.spec.Sources {
		if !slices.Contains(names, src.Pipeline) {
			names = append(names, src.Pipeline)
		}
	}
	ps, err := pipeline.ResolveAll(names)
	if err != nil {
		return fmt.Errorf("hunt %s: %w", r.spec.Name, err)
	}
	set, cerrs := compiler.CompileSet(sel.all, ps)
	for _, e := range cerrs {
		r.errorf(e)
	}
	claimed := map[string]bool{}
	groups := r.groups(set)
	for i := range r.spec.Sources {
		if err := ctx.Err(); err != nil {
			return err
		}
		r.source(ctx, &r.spec.Sources[i], sel, set, claimed, groups[i])
	}
	done := map[*group]bool{}
	for _, g := range groups {
		if g == nil || done[g] {
			continue
		}
		done[g] = true
		if err := ctx.Err(); err != nil {
			return err
		}
		r.huntGroup(ctx, g)
	}
	for _, sr := range sel.rules {
		if !claimed[ruleKey(sr)] && !sel.baseOnly[sr] {
			r.errorf(&ir.Error{Pos: sr.Pos, RuleID: sr.ID, Msg: fmt.Sprintf("no source of hunt %s reads this rule's log source", r.spec.Name), Hint: "add a source for its logsource or leave the rule out", Warning: true})
		}
	}
	return ctx.Err()
}

func ruleKey(r *sigma.Rule) string { return r.File + ":" + strconv.Itoa(r.Pos.Line) }

func loadRules(paths []string) ([]*sigma.Rule, ir.Errors) {
	files, err := sigma.ExpandPaths(paths)
	if err != nil {
		return nil, ir.Errors{{Msg: err.Error()}}
	}
	if len(files) == 0 {
		return nil, ir.Errors{{Msg: "no rule files (*.yml, *.yaml) in " + strings.Join(paths, " ")}}
	}
	return compiler.Load(files)
}

// selection is the rules a hunt compiles: the selected detections and
// correlations, every filter, and the base rules the selected
// correlations need (baseOnly: compiled, not run on their own).
type selection struct {
	rules    []*sigma.Rule
	baseOnly map[*sigma.Rule]bool
	all      []*sigma.Rule
}

func normTag(t string) string { return strings.ReplaceAll(strings.ToLower(t), "_", "-") }

func selectRules(rules []*sigma.Rule, s hunts.RuleSelection) selection {
	byRef := map[string]*sigma.Rule{}
	for _, r := range rules {
		if r.ID != "" {
			byRef[r.ID] = r
		}
		if r.Name != "" {
			byRef[r.Name] = r
		}
	}
	keep := func(r *sigma.Rule) bool {
		if len(s.IDs) > 0 {
			ok := false
			for _, id := range s.IDs {
				ok = ok || strings.EqualFold(id, r.ID) || (r.Name != "" && id == r.Name)
			}
			if !ok {
				return false
			}
		}
		if len(s.Tags) > 0 {
			ok := false
			for _, want := range s.Tags {
				for _, t := range r.Tags {
					ok = ok || normTag(want) == normTag(t)
				}
			}
			if !ok {
				return false
			}
		}
		return s.Level == "" || hunts.LevelRank(r.Level) >= hunts.LevelRank(s.Level)
	}
	sel := selection{baseOnly: map[*sigma.Rule]bool{}}
	in := map[*sigma.Rule]bool{}
	for _, r := range rules {
		if (r.Kind == sigma.Detection || r.Kind == sigma.Correlation) && keep(r) {
			sel.rules = append(sel.rules, r)
			in[r] = true
		}
	}
	for _, r := range sel.rules {
		if r.Kind != sigma.Correlation || r.Correlation == nil {
			continue
		}
		for _, ref := range r.Correlation.Rules {
			if b, ok := byRef[ref.Name]; ok && !in[b] {
				in[b] = true
				sel.baseOnly[b] = true
			}
		}
	}
	for _, r := range rules {
		if in[r] || r.Kind == sigma.Filter {
			sel.all = append(sel.all, r)
		}
	}
	return sel
}

// matchLogsource reports whether a rule's log source is the source's: each
// part the source names must be the rule's.
func matchLogsource(src, rule ir.Logsource) bool {
	eq := func(a, b string) bool { return a == "" || strings.EqualFold(a, b) }
	return src != (ir.Logsource{}) && eq(src.Product, rule.Product) && eq(src.Service, rule.Service) && eq(src.Category, rule.Category)
}

// single is one single-event rule of a source.
type single struct {
	res  *compiler.Result
	cond string
	rep  *RuleReport
}

// corr is one correlation of a source.
type corr struct {
	c     *ir.Correlation
	query string
	rep   *RuleReport
}

// fields a source resolves for itself: event time and id, entities and
// sample fields, as SQL expressions.
type sourceFields struct {
	timeX, idX string
	typed      bool
	entity     [][2]string // key, expression
	sample     [][2]string
	columns    []ir.Column
	read       []ir.Column // every column the source's queries read
}

func (r *runner) source(ctx context.Context, src *hunts.Source, sel selection, set *compiler.Set, claimed map[string]bool, g *group) {
	rep := &SourceReport{Name: src.Name}
	r.rep.Sources = append(r.rep.Sources, rep)
	ps, err := pipeline.ResolveAll([]string{src.Pipeline})
	if err != nil {
		r.fail(src, rep, err)
		return
	}
	ls := src.Logsource
	psrc := ps.Source(ls)
	table := src.Table
	if table == "" {
		table = psrc.Table
	}
	rep.Table = table
	mine := func(l ir.Logsource, t string) bool {
		return t == table && (src.Logsource == (ir.Logsource{}) || matchLogsource(src.Logsource, l))
	}
	t := targetFor(src.Engine)
	rep.Engine = t.engine
	remote := src.Engine != "" && src.Engine != "duckdb"
	d := t.d
	inside := map[*ir.Rule]bool{}
	// A chained inner correlation runs inside the one that names it, and on
	// its own only with generate: true (as base rules).
	insideCorr := map[*ir.Correlation]bool{}
	for _, cr := range set.Correlations {
		for _, b := range cr.Correlation.Bases {
			if b.Correlation != nil && !cr.Correlation.Generate {
				insideCorr[b.Correlation] = true
			}
		}
	}
	var corrs []*corr
	var lookback time.Duration
	if g != nil {
		lookback = g.lookback
	}
	for _, cr := range set.Correlations {
		c := cr.Correlation
		all, some := true, false
		for _, b := range c.RuleBases() {
			m := mine(b.Rule.Logsource, b.Rule.Table)
			all, some = all && m, some || m
		}
		if some && !all {
			// Its base rules read tables of several sources: hunted in one
			// engine with the other sources of its group, by the group's
			// first source; the base rules of this source are not
			// findings of their own.
			claimed[ruleKey(cr.Source)] = true
			for _, b := range c.RuleBases() {
				if !c.Generate && mine(b.Rule.Logsource, b.Rule.Table) {
					inside[b.Rule] = true
				}
			}
			switch {
			case g == nil || !g.has(c):
				r.errorf(&ir.Error{Pos: c.Pos, RuleID: c.ID, Warning: true,
					Msg:  fmt.Sprintf("correlation %q reads the tables of several sources, not all of them in this hunt or all on DuckDB; it is not hunted", c.Title),
					Hint: "add a DuckDB source for each of its log sources, or convert it for a target that has them"})
				continue
			case g.owner[c] != src:
				continue
			}
		} else if !all {
			continue
		}
		claimed[ruleKey(cr.Source)] = true
		for _, b := range c.Bases {
			if !c.Generate && b.Rule != nil {
				inside[b.Rule] = true
			}
		}
		if insideCorr[c] {
			continue
		}
		rr := &RuleReport{ID: c.ID, Title: c.Title, Level: c.Level, Source: src.Name, Correlation: true}
		r.rep.Rules = append(r.rep.Rules, rr)
		q, err := t.correlate(c)
		if err != nil {
			rr.Err = err
			r.errorf(err)
			continue
		}
		lookback = max(lookback, c.Reach())
		corrs = append(corrs, &corr{c: c, query: q, rep: rr})
	}
	if r.spec.Lookback > 0 {
		lookback = r.spec.Lookback
	}
	var singles []*single
	for _, res := range set.Rules {
		if !mine(res.Rule.Logsource, res.Rule.Table) {
			continue
		}
		if sel.baseOnly[res.Source] {
			claimed[ruleKey(res.Source)] = true
			continue
		}
		if inside[res.Rule] {
			claimed[ruleKey(res.Source)] = true
			continue
		}
		claimed[ruleKey(res.Source)] = true
		rr := &RuleReport{ID: ruleID(res.Rule), Title: res.Rule.Title, Level: res.Rule.Level, Source: src.Name}
		r.rep.Rules = append(r.rep.Rules, rr)
		cond, err := sql.Where(d, res.Rule)
		if err == nil && remote {
			_, err = t.compile(res.Rule) // the engine's own checks
		}
		if err != nil {
			rr.Err = err
			r.errorf(err)
			continue
		}
		singles = append(singles, &single{res: res, cond: cond, rep: rr})
	}
	if len(singles) == 0 && len(corrs) == 0 && g == nil {
		r.logf("source %s: no rules", src.Name)
		return
	}
	// Window.
	if r.opts.From.IsZero() {
		rep.End = r.opts.Now.Add(-r.spec.Settle).UTC().Truncate(time.Second)
		rep.Start = r.spec.Start
		if r.st != nil {
			wm, ok, err := r.st.Watermark(src.Name)
			if err != nil {
				r.fail(src, rep, err)
				return
			}
			if ok {
				rep.Start = wm
			}
		}
		if rep.Start.IsZero() {
			rep.Start = rep.End.Add(-24 * time.Hour)
		}
		if g != nil {
			// A group is hunted from the earliest watermark of its
			// members, so that its correlations see every table over
			// one window (findings found again keep their ids).
			rep.Start = g.start
		}
		if !rep.Start.Before(rep.End) {
			rep.UpToDate = true
			r.logf("source %s: up to date (watermark %s)", src.Name, rep.Start.Format(time.RFC3339))
			return
		}
	} else {
		rep.Start, rep.End, rep.Explicit = r.opts.From.UTC(), r.opts.To.UTC(), true
	}
	rep.Read = rep.Start.Add(-lookback)
	// Fields of the source.
	sf, err := resolveFields(ps, ls, table, psrc, d)
	if err != nil {
		r.fail(src, rep, err)
		return
	}
	cols := append(psrc.ColumnList(), sf.columns...)
	for _, s := range singles {
		cols = append(cols, sql.Columns(s.res.Rule.Where)...)
	}
	touching := []*ir.Correlation{}
	for _, c := range corrs {
		touching = append(touching, c.c)
	}
	if g != nil {
		touching = append(touching, g.corrs...)
	}
	for _, c := range touching {
		for _, b := range c.RuleBases() {
			if !mine(b.Rule.Logsource, b.Rule.Table) {
				continue // another source's table
			}
			cols = append(cols, sql.Columns(b.Rule.Where)...)
			fields := append(append([]ir.Field{b.Time, b.ID}, b.Group...), b.Terms...)
			if b.Value != nil {
				fields = append(fields, *b.Value)
			}
			for _, f := range fields {
				if f.Column != nil {
					cols = append(cols, *f.Column)
				}
			}
		}
	}
	// The columns rules, correlations and findings read: what the
	// window's view exposes (the others are only padded as NULL).
	sf.read = cols[len(psrc.ColumnList()):]
	if remote {
		found, err := r.remoteSource(ctx, t, src, table, sf, singles, corrs, rep)
		if err != nil {
			r.fail(src, rep, err)
			return
		}
		if r.opts.DryRun {
			return
		}
		r.finish(ctx, src, singles, corrs, found, rep, false)
		return
	}
	singleQ := singleQuery(d, table, sf, singles, rep.Start, rep.End)
	if singleQ != "" {
		var ids []string
		for _, s := range singles {
			ids = append(ids, s.rep.ID)
		}
		rep.Queries = append(rep.Queries, Query{Rules: ids, SQL: singleQ})
	}
	for _, c := range corrs {
		rep.Queries = append(rep.Queries, Query{Rules: []string{c.rep.ID}, SQL: c.query})
	}
	files, err := expand(src.Paths)
	if err != nil {
		r.fail(src, rep, err)
		return
	}
	rep.Files, rep.Skipped = prune(files, rep.Read, rep.End)
	if err := readable(rep.Files); err != nil {
		r.fail(src, rep, err)
		return
	}
	if r.opts.DryRun {
		return
	}
	r.logf("source %s: window [%s, %s), reading from %s, %d files (%d pruned), %d single-event rules, %d correlations",
		src.Name, rep.Start.Format(time.RFC3339), rep.End.Format(time.RFC3339), rep.Read.Format(time.RFC3339), len(rep.Files), rep.Skipped, len(singles), len(corrs))
	p := &plan{src: src, rep: rep, table: table, psrc: psrc, sf: sf, cols: cols, singles: singles, singleQ: singleQ, corrs: corrs}
	if g != nil {
		g.plans = append(g.plans, p) // hunted with the other sources of its group
		return
	}
	if len(rep.Files) > 0 {
		if err := r.hunt(ctx, []*plan{p}); err != nil {
			r.fail(src, rep, err)
			return
		}
		if p.err != nil {
			r.fail(src, rep, p.err)
			return
		}
	}
	r.finish(ctx, src, singles, corrs, p.found, rep, false)
}

// huntGroup hunts the sources of a group in one engine, then writes each
// one's findings; a failed correlation of the group keeps every member's
// watermark.
func (r *runner) huntGroup(ctx context.Context, g *group) {
	if len(g.plans) == 0 {
		return
	}
	if err := r.hunt(ctx, g.plans); err != nil {
		for _, p := range g.plans {
			r.fail(p.src, p.rep, err)
		}
		return
	}
	failed := false
	for _, p := range g.plans {
		for _, c := range p.corrs {
			failed = failed || c.rep.Err != nil
		}
	}
	for _, p := range g.plans {
		if p.err != nil {
			r.fail(p.src, p.rep, p.err)
			continue
		}
		r.finish(ctx, p.src, p.singles, p.corrs, p.found, p.rep, failed)
	}
}

// fail records a source's error: its watermark stays.
func (r *runner) fail(src *hunts.Source, rep *SourceReport, err error) {
	rep.Err = fmt.Errorf("source %s: %w", src.Name, err)
	r.errorf(rep.Err)
	r.logf("source %s: %v", src.Name, err)
}

// finish counts and writes a source's findings, then advances its
// watermark unless a rule failed.
func (r *runner) finish(ctx context.Context, src *hunts.Source, singles []*single, corrs []*corr, found []findings.Finding, rep *SourceReport, failed bool) {
	for _, s := range singles {
		failed = failed || s.rep.Err != nil
	}
	for _, c := range corrs {
		failed = failed || c.rep.Err != nil
	}
	r.rep.Found += len(found)
	newIDs := map[string]bool{}
	for _, f := range found {
		if !r.store.Has(f.ID) {
			newIDs[f.ID] = true
		}
	}
	byRule := map[string]*RuleReport{}
	for _, rr := range r.rep.Rules {
		if rr.Source == src.Name {
			byRule[rr.ID] = rr
		}
	}
	for _, f := range found {
		if rr := byRule[f.Rule.ID]; rr != nil {
			rr.Findings++
			if newIDs[f.ID] {
				rr.New++
			}
		}
	}
	n := r.store.Add(found...)
	r.rep.New += n
	r.hook("queried:" + src.Name)
	if err := r.save(ctx); err != nil {
		r.fail(src, rep, err)
		return
	}
	r.hook("saved:" + src.Name)
	if failed {
		r.logf("source %s: watermark kept at %s: a rule failed", src.Name, rep.Start.Format(time.RFC3339))
		return
	}
	if r.opts.From.IsZero() {
		if err := r.st.SetWatermark(src.Name, rep.End); err != nil {
			r.fail(src, rep, err)
			return
		}
		rep.Advanced = true
		r.hook("watermark:" + src.Name)
	}
	r.progress(src.Name, "done", len(rep.Files)+len(rep.Queries), len(rep.Files)+len(rep.Queries))
	r.logf("source %s: %d findings, %d new", src.Name, len(found), n)
}

// save writes the findings files, Parquet through a DuckDB of its own.
func (r *runner) save(ctx context.Context) error {
	eng, err := duckdb.Open(ctx)
	if err != nil {
		return err
	}
	defer eng.Close()
	return r.store.Save(ctx, eng, r.hook)
}

func ruleID(r *ir.Rule) string {
	if r.ID != "" {
		return r.ID
	}
	return r.Pos.String()
}

// resolveFields maps the source's time, id, entity and sample fields
// through the pipeline.
func resolveFields(ps pipeline.Set, ls ir.Logsource, table string, psrc pipeline.Source, d sql.Dialect) (*sourceFields, error) {
	if psrc.Time == "" || psrc.ID == "" {
		return nil, fmt.Errorf("the pipeline names no time: or id: field for this log source (table %s): a hunt needs both", table)
	}
	names := []string{psrc.Time, psrc.ID}
	for _, e := range entityFields {
		names = append(names, e.fields...)
	}
	names = append(names, sampleFields...)
	var args []ir.Expr
	for _, n := range names {
		args = append(args, ir.IsNull{Field: ir.Field{Name: n}})
	}
	rule := &ir.Rule{ID: "hunt-fields", Title: "fields", Logsource: ls, Where: ir.And{Args: args}}
	applied, err := ps.Apply(rule)
	if err != nil {
		return nil, err
	}
	applied.Table = table
	resolved := map[string]ir.Field{}
	var walk func(e ir.Expr)
	walk = func(e ir.Expr) {
		switch e := e.(type) {
		case ir.And:
			for _, a := range e.Args {
				walk(a)
			}
		case ir.IsNull:
			if _, ok := resolved[e.Field.Name]; !ok {
				resolved[e.Field.Name] = e.Field
			}
		}
	}
	walk(applied.Where)
	sf := &sourceFields{}
	col := func(name string, known bool) (string, *ir.Column, bool) {
		f, ok := resolved[name]
		if !ok || f.Column == nil {
			return "", nil, false
		}
		if !known {
			if len(f.Column.JSON) > 0 {
				return "", nil, false
			}
			if _, ok := psrc.Columns[strings.Join(f.Column.Path, ".")]; !ok {
				return "", nil, false
			}
		}
		x, err := sql.Column(d, applied, f)
		if err != nil {
			return "", nil, false
		}
		return x, f.Column, true
	}
	x, c, ok := col(psrc.Time, true)
	if !ok {
		return nil, fmt.Errorf("the time field %s does not resolve to a column", psrc.Time)
	}
	sf.timeX, sf.typed = x, c.Type == ir.Timestamp && len(c.JSON) == 0
	sf.columns = append(sf.columns, *c)
	if x, c, ok = col(psrc.ID, true); !ok {
		return nil, fmt.Errorf("the id field %s does not resolve to a column", psrc.ID)
	}
	sf.idX = x
	sf.columns = append(sf.columns, *c)
	for _, e := range entityFields {
		for _, n := range e.fields {
			if x, c, ok := col(n, false); ok {
				sf.entity = append(sf.entity, [2]string{e.key, x})
				sf.columns = append(sf.columns, *c)
				break
			}
		}
	}
	for _, n := range sampleFields {
		if x, c, ok := col(n, false); ok {
			sf.sample = append(sf.sample, [2]string{n, x})
			sf.columns = append(sf.columns, *c)
		}
	}
	return sf, nil
}

// projection lists the top-level columns the source's queries read, the
// columns of the window's view; * when none is known.
func (sf *sourceFields) projection() string {
	seen := map[string]bool{}
	var names []string
	for _, c := range sf.read {
		if len(c.Path) == 0 || seen[strings.ToLower(c.Path[0])] {
			continue
		}
		seen[strings.ToLower(c.Path[0])] = true
		names = append(names, duckdb.Dialect().QuoteIdent(c.Path[0]))
	}
	if len(names) == 0 {
		return "*"
	}
	return strings.Join(names, ", ")
}

func micros(t time.Time) string { return strconv.FormatInt(t.UnixMicro(), 10) }

// timeExpr is the event time as a timestamp.
func (sf *sourceFields) timeExpr() string {
	if sf.typed {
		return "CAST(" + sf.timeX + " AS TIMESTAMP)"
	}
	return "CAST(TRY_CAST(" + sf.timeX + " AS TIMESTAMPTZ) AS TIMESTAMP)"
}

// window is the predicate event time in [from, to), on the microseconds
// since the epoch: epoch_us reads them off a TIMESTAMPTZ as they are
// stored, where a cast to TIMESTAMP converted each row's zone (ten times
// slower: a tenth of a second per million rows).
func (sf *sourceFields) window(from, to time.Time) string {
	us := duckdb.CorrelationDialect().EpochMicros(sf.timeX, sf.typed)
	return us + " >= " + micros(from) + " AND " + us + " < " + micros(to)
}

// singleQuery prints one scan for all single-event rules: every rule's
// condition is a boolean column, and each matching event yields one row
// per rule it matches.
func singleQuery(d sql.Dialect, table string, sf *sourceFields, singles []*single, from, to time.Time) string {
	if len(singles) == 0 {
		return ""
	}
	var cols, flags, conds []string
	cols = append(cols, "CAST("+sf.idX+" AS VARCHAR) AS _id", sf.timeExpr()+" AS _time")
	for i, e := range sf.entity {
		cols = append(cols, "CAST("+e[1]+" AS VARCHAR) AS _e"+strconv.Itoa(i))
	}
	for i, s := range sf.sample {
		cols = append(cols, "CAST("+s[1]+" AS VARCHAR) AS _s"+strconv.Itoa(i))
	}
	for i, s := range singles {
		conds = append(conds, "("+s.cond+")")
		flags = append(flags, "CASE WHEN "+s.cond+" THEN "+strconv.Itoa(i)+" END")
	}
	// The rows any rule matches are found in a WHERE, where the engine
	// stops evaluating a condition at its first false part; which rules
	// matched is then computed on those rows only. (As projected columns
	// over every row, every condition was evaluated in full: three times
	// slower on the benchmark's rules.)
	return "WITH m AS (\n  SELECT * FROM " + d.Table(table) + "\n  WHERE " + sf.window(from, to) + " AND (" + strings.Join(conds, "\n    OR ") + ")\n)\n" +
		"SELECT unnest(list_filter([" + strings.Join(flags, ",\n    ") + "], x -> x IS NOT NULL)) AS _rule,\n  " + strings.Join(cols, ",\n  ") +
		"\nFROM m" +
		// A sink: a result streamed straight from the scan is produced by
		// one thread, a sorted one by all (1.7 times faster on two cores).
		"\nORDER BY _time, _id, _rule"
}

// withTimeout bounds one query by the spec's timeout.
func (r *runner) withTimeout(ctx context.Context) (context.Context, context.CancelFunc) {
	if r.spec.Timeout > 0 {
		return context.WithTimeout(ctx, r.spec.Timeout)
	}
	return context.WithCancel(ctx)
}

// plan is one DuckDB source's hunt, ready to run: its window, files,
// rules and queries. A source whose correlations read the tables of other
// sources runs in one engine with them (a group).
type plan struct {
	src     *hunts.Source
	rep     *SourceReport
	table   string
	psrc    pipeline.Source
	sf      *sourceFields
	cols    []ir.Column
	singles []*single
	singleQ string
	corrs   []*corr
	// found and err are the outcome.
	found []findings.Finding
	err   error
}

// hunt registers each plan's files once, as its table over its window and
// lookback, in one engine, and runs the plans' queries: each source's
// single-event rules, then the correlations, which may read the tables of
// every plan. A plan whose files cannot be read fails alone; the
// correlations of a failed group fail with it.
func (r *runner) hunt(ctx context.Context, plans []*plan) error {
	eng, err := duckdb.Open(ctx)
	if err != nil {
		return err
	}
	defer eng.Close()
	for i, p := range plans {
		p.err = r.register(ctx, eng, p, "_tokenhunt_raw_"+strconv.Itoa(i))
	}
	for _, p := range plans {
		if p.err != nil || p.singleQ == "" {
			continue
		}
		r.progress(p.src.Name, fmt.Sprintf("scanning %d single-event rules", len(p.singles)), len(p.rep.Files), len(p.rep.Files)+len(p.rep.Queries))
		fs, err := r.runSingles(ctx, eng, p.table, p.sf, p.singles, p.singleQ, p.src.Name, p.rep)
		if err != nil {
			return err
		}
		p.found = append(p.found, fs...)
	}
	// Correlations: over the window of their plan, or of the whole group.
	from, to := plans[0].rep.Start, plans[0].rep.End
	var broken error
	for _, p := range plans {
		from, to = minTime(from, p.rep.Start), maxTime(to, p.rep.End)
		if p.err != nil && broken == nil {
			broken = fmt.Errorf("source %s could not be read", p.src.Name)
		}
	}
	for _, p := range plans {
		done := len(p.rep.Files) + 1
		for _, c := range p.corrs {
			if err := ctx.Err(); err != nil {
				return err
			}
			if p.err != nil {
				// The source fails as a whole, with its own error.
				c.rep.Err = &ir.Error{Pos: c.c.Pos, RuleID: c.c.ID, Msg: "not run: " + redact.String(p.err.Error())}
				continue
			}
			if broken != nil {
				c.rep.Err = &ir.Error{Pos: c.c.Pos, RuleID: c.c.ID, Msg: "not run: " + broken.Error()}
				r.errorf(c.rep.Err)
				continue
			}
			r.progress(p.src.Name, "correlation: "+oneLine(c.c.Title), done, len(p.rep.Files)+len(p.rep.Queries))
			done++
			start, end := p.rep.Start, p.rep.End
			if len(plans) > 1 {
				start, end = from, to
			}
			q := "SELECT * FROM (\n" + c.query + "\n) WHERE fired_at >= make_timestamp(" + micros(start) + ") AND fired_at < make_timestamp(" + micros(end) + ")"
			qctx, cancel := r.withTimeout(ctx)
			rows, err := eng.Query(qctx, q)
			cancel()
			if err != nil {
				if ctx.Err() != nil {
					return ctx.Err()
				}
				if te := r.timedOut(ctx, err); te != nil {
					err = te
				}
				c.rep.Err = &ir.Error{Pos: c.c.Pos, RuleID: c.c.ID, Msg: "query failed: " + redact.String(err.Error())}
				r.errorf(c.rep.Err)
				continue
			}
			for _, row := range rows {
				p.found = append(p.found, correlationFinding(r.spec.Name, p.src.Name, c.c, row))
			}
		}
		r.progress(p.src.Name, "writing findings", len(p.rep.Files)+len(p.rep.Queries), len(p.rep.Files)+len(p.rep.Queries))
	}
	return nil
}

// register reads a plan's files as raw and makes its table: a view of the
// window and its lookback, over the columns its queries read. A view, not
// a table, even for correlations that read it again: each query then
// reads from the files only the rows and columns it needs, where copying
// the window first cost three times the time and memory (value_count
// over 1M events: 3.8 s and 1.4 GB as a table, 1.1 s and 0.44 GB as a
// view).
func (r *runner) register(ctx context.Context, eng *duckdb.Engine, p *plan, raw string) error {
	r.progress(p.src.Name, fmt.Sprintf("reading %d files", len(p.rep.Files)), 0, len(p.rep.Files)+len(p.rep.Queries))
	if err := eng.Register(ctx, raw, p.rep.Files, duckdb.Options{JSONText: p.psrc.JSONColumns, Columns: p.cols}); err != nil {
		return blameFile(ctx, eng, p.rep.Files, err)
	}
	if i := strings.LastIndexByte(p.table, '.'); i > 0 {
		if err := eng.Exec(ctx, "CREATE SCHEMA IF NOT EXISTS "+duckdb.Dialect().QuoteIdent(p.table[:i])); err != nil {
			return err
		}
	}
	qctx, cancel := r.withTimeout(ctx)
	err := eng.Exec(qctx, "CREATE VIEW "+duckdb.Dialect().Table(p.table)+" AS SELECT "+p.sf.projection()+" FROM "+raw+" WHERE "+p.sf.window(p.rep.Read, p.rep.End))
	cancel()
	if err != nil {
		if te := r.timedOut(ctx, err); te != nil {
			return te
		}
		return blameFile(ctx, eng, p.rep.Files, err)
	}
	r.hook("registered:" + p.src.Name)
	return nil
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// oneLine keeps the first line of s.
func oneLine(s string) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	return s
}

// timedOut explains a query's own timeout; nil for other errors.
func (r *runner) timedOut(ctx context.Context, err error) error {
	if ctx.Err() == nil && errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("query timed out after %s (raise timeout: in the hunt spec)", r.spec.Timeout)
	}
	return nil
}

// blameFile names the file behind a read error when DuckDB's message does
// not: each file is read on its own until one fails.
func blameFile(ctx context.Context, eng *duckdb.Engine, files []string, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	msg := shortError(err)
	for _, f := range files {
		if strings.Contains(msg, f) {
			return fmt.Errorf("cannot read %s: %s", f, msg)
		}
	}
	for _, f := range files {
		if perr := eng.Register(ctx, "_tokenhunt_probe", []string{f}, duckdb.Options{}); perr != nil {
			return fmt.Errorf("cannot read %s: %s", f, shortError(perr))
		}
		if _, perr := eng.Query(ctx, "SELECT count(*) FROM _tokenhunt_probe"); perr != nil {
			return fmt.Errorf("cannot read %s: %s", f, shortError(perr))
		}
	}
	return fmt.Errorf("read files: %s", msg)
}

var internalTable = regexp.MustCompile(`^register _tokenhunt_(raw(_[0-9]+)?|probe): `)

// shortError drops the query excerpt DuckDB appends and our internal
// table name.
func shortError(err error) string {
	msg := err.Error()
	if i := strings.Index(msg, "\n\nLINE "); i >= 0 {
		msg = msg[:i]
	}
	msg = internalTable.ReplaceAllString(msg, "")
	return strings.TrimSpace(msg)
}

func (r *runner) runSingles(ctx context.Context, eng *duckdb.Engine, table string, sf *sourceFields, singles []*single, q, source string, rep *SourceReport) ([]findings.Finding, error) {
	var out []findings.Finding
	emit := func(set []*single) func(map[string]any) error {
		return func(row map[string]any) error {
			var i int
			switch v := row["_rule"].(type) {
			case int32:
				i = int(v)
			case int64:
				i = int(v)
			default:
				return fmt.Errorf("unexpected rule index %T", row["_rule"])
			}
			out = append(out, singleFinding(r.spec.Name, source, set[i].res.Rule, sf, row))
			return nil
		}
	}
	qctx, cancel := r.withTimeout(ctx)
	err := eng.Each(qctx, q, emit(singles))
	cancel()
	if err == nil {
		return out, nil
	}
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	// One rule may be at fault: run each alone, keep the others' findings.
	r.logf("source %s: the combined scan failed (%v); running each rule alone", source, err)
	out = nil
	d := duckdb.Dialect()
	for _, s := range singles {
		one := []*single{s}
		qctx, cancel := r.withTimeout(ctx)
		n := len(out)
		err := eng.Each(qctx, singleQuery(d, table, sf, one, rep.Start, rep.End), emit(one))
		cancel()
		if err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			out = out[:n]
			if te := r.timedOut(ctx, err); te != nil {
				err = te
			}
			s.rep.Err = &ir.Error{Pos: s.res.Rule.Pos, RuleID: s.res.Rule.ID, Msg: "query failed: " + redact.String(err.Error())}
			r.errorf(s.rep.Err)
		}
	}
	return out, nil
}

func str(v any) (string, bool) {
	switch v := v.(type) {
	case nil:
		return "", false
	case string:
		return v, true
	case time.Time:
		return v.UTC().Format(time.RFC3339Nano), true
	}
	return fmt.Sprint(v), true
}

func singleFinding(hunt, source string, rule *ir.Rule, sf *sourceFields, row map[string]any) findings.Finding {
	id, _ := str(row["_id"])
	t, _ := row["_time"].(time.Time)
	f := findings.Finding{
		ID: findings.ID(ruleID(rule), []string{id}, time.Time{}), Hunt: hunt, Source: source,
		Rule: findings.Rule{ID: ruleID(rule), Title: rule.Title, Level: rule.Level, Tags: rule.Tags},
		Kind: "event", FirstSeen: t.UTC(), FiredAt: t.UTC(), LastSeen: t.UTC(), Count: 1, EventIDs: []string{id},
	}
	for i, e := range sf.entity {
		if v, ok := str(row["_e"+strconv.Itoa(i)]); ok {
			if f.Entity == nil {
				f.Entity = map[string]string{}
			}
			f.Entity[e[0]] = v
		}
	}
	for i, s := range sf.sample {
		if v, ok := str(row["_s"+strconv.Itoa(i)]); ok {
			if f.Sample == nil {
				f.Sample = map[string]any{}
			}
			f.Sample[s[0]] = v
		}
	}
	return f
}

// groupEntity names the entity a correlation's group-by field is.
var groupEntity = func() map[string]string {
	m := map[string]string{}
	for _, e := range entityFields {
		for _, f := range e.fields {
			m[strings.ToLower(f)] = e.key
		}
	}
	return m
}()

func correlationFinding(hunt, source string, c *ir.Correlation, row map[string]any) findings.Finding {
	t := func(k string) time.Time {
		v, _ := row[k].(time.Time)
		return v.UTC()
	}
	f := findings.Finding{
		Hunt: hunt, Source: source, Kind: "correlation",
		Rule:      findings.Rule{ID: c.ID, Title: c.Title, Level: c.Level, Tags: c.Tags},
		FirstSeen: t("first_seen"), FiredAt: t("fired_at"), LastSeen: t("last_seen"),
	}
	var group []string
	for _, name := range c.GroupBy {
		v, ok := str(row[name])
		if !ok {
			group = append(group, "\x00null")
			continue
		}
		group = append(group, v)
		if f.Group == nil {
			f.Group = map[string]string{}
		}
		f.Group[name] = v
		if key, ok := groupEntity[strings.ToLower(name)]; ok {
			if f.Entity == nil {
				f.Entity = map[string]string{}
			}
			f.Entity[key] = v
		}
	}
	for _, name := range c.TermNames {
		if v, ok := str(row[name]); ok {
			if f.Group == nil {
				f.Group = map[string]string{}
			}
			f.Group[name] = v
		}
	}
	switch v := row["event_count"].(type) {
	case int64:
		f.Count = v
	case int32:
		f.Count = int64(v)
	}
	switch v := row["value"].(type) {
	case float64:
		f.Value = &v
	case int64:
		x := float64(v)
		f.Value = &x
	case int32:
		x := float64(v)
		f.Value = &x
	}
	if ids, ok := row["event_ids"].([]any); ok {
		for _, id := range ids {
			if s, ok := str(id); ok {
				f.EventIDs = append(f.EventIDs, s)
			}
		}
	}
	// A new_terms finding is one event: its id tells two new terms of a
	// group at the same instant apart.
	if c.Type == ir.NewTerms && len(f.EventIDs) > 0 {
		group = append(group, f.EventIDs[0])
	}
	f.ID = findings.ID(c.ID, group, f.FiredAt)
	return f
}

// Sorted returns the rule reports by source then id.
func (r *Report) Sorted() []*RuleReport {
	out := append([]*RuleReport(nil), r.Rules...)
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Source != out[j].Source {
			return out[i].Source < out[j].Source
		}
		return out[i].ID < out[j].ID
	})
	return out
}

// IsLocked reports whether err says another run holds the hunt's lock.
func IsLocked(err error) bool { return errors.Is(err, state.ErrLocked) }
