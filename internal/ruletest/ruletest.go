// Package ruletest runs the tests that sit beside rule files: for a rule
// file NAME.yml, NAME.tests.yml holds events that must make the rule fire
// and near misses that must leave it quiet. Each case is run on embedded
// DuckDB (the events written as JSON lines, registered as the rule's table,
// the rule's or correlation's query run over them) and cross-checked with
// the reference evaluator (internal/refeval).
//
// A tests file:
//
//	pipeline: cloudtrail          # the pipeline the rule is compiled with
//	fire:                         # each case must raise at least one match / finding
//	  - name: key used from two addresses
//	    events:                   # the log source's raw records, as YAML maps
//	      - {eventID: e1, eventTime: "2026-11-28T10:00:00Z", ...}
//	    expect: [e1, e2]          # optional: exactly these event ids match
//	quiet:                        # each case must raise nothing
//	  - name: AWS service calling with the key
//	    history: [...]            # optional: earlier events (new_terms baselines);
//	    events: [...]             # findings made only of history events are ignored
//
// A case may also be a bare list of events. An event of a rule that reads
// several tables names its table with the key _table.
package ruletest

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/tokenhunt/tokenhunt/backends/duckdb"
	"github.com/tokenhunt/tokenhunt/backends/sql"
	"github.com/tokenhunt/tokenhunt/compiler"
	"github.com/tokenhunt/tokenhunt/compiler/ir"
	"github.com/tokenhunt/tokenhunt/compiler/pipeline"
	"github.com/tokenhunt/tokenhunt/compiler/sigma"
	"github.com/tokenhunt/tokenhunt/internal/refeval"
)

// TableKey is the event key that names an event's table when a rule reads
// several.
const TableKey = "_table"

// Suite is a parsed tests file.
type Suite struct {
	File     string
	Pipeline string `yaml:"pipeline"`
	Fire     []Case `yaml:"fire"`
	Quiet    []Case `yaml:"quiet"`
}

// Case is one test case.
type Case struct {
	Name    string           `yaml:"name"`
	History []map[string]any `yaml:"history"`
	Events  []map[string]any `yaml:"events"`
	// Expect, when set, lists the ids of exactly the events that must
	// match (detection rules) or make up the findings (correlations).
	Expect []string `yaml:"expect"`
}

// UnmarshalYAML accepts a case as a mapping or as a bare list of events.
func (c *Case) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.SequenceNode {
		return n.Decode(&c.Events)
	}
	type plain Case
	var p plain
	if err := n.Decode(&p); err != nil {
		return err
	}
	*c = Case(p)
	return nil
}

// TestsFile is the tests file of a rule file: NAME.tests.yml beside NAME.yml.
func TestsFile(ruleFile string) string {
	ext := filepath.Ext(ruleFile)
	return strings.TrimSuffix(ruleFile, ext) + ".tests" + ext
}

// ParseSuite reads a tests file.
func ParseSuite(file string) (*Suite, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	var s Suite
	dec := yaml.NewDecoder(strings.NewReader(string(data)))
	dec.KnownFields(true)
	if err := dec.Decode(&s); err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	s.File = file
	if s.Pipeline == "" {
		return nil, fmt.Errorf("%s: no pipeline: name the pipeline the rule is compiled with (e.g. pipeline: cloudtrail)", file)
	}
	if len(s.Fire) == 0 {
		return nil, fmt.Errorf("%s: no fire cases: add at least one case the rule must catch", file)
	}
	return &s, nil
}

// Outcome is the result of one case.
type Outcome struct {
	Case string // "fire 1: name" or "quiet 2: name"
	// Got are the ids DuckDB matched (a detection) or put in findings not
	// made only of history events (a correlation), sorted.
	Got []string
	// Failure says what went wrong; empty when the case passed.
	Failure string
}

// Result is the outcome of one rule file's tests.
type Result struct {
	File   string // the rule file
	Rule   string // the title of the rule tested
	Tests  string // the tests file; empty when there is none
	Cases  []Outcome
	Err    error // the rule or its tests could not be loaded, compiled or run
	Passed bool
}

// Runner runs rule tests on one DuckDB engine.
type Runner struct {
	eng *duckdb.Engine
	dir string
	n   int
}

// NewRunner opens DuckDB and a scratch folder for the cases' events.
func NewRunner(ctx context.Context) (*Runner, error) {
	eng, err := duckdb.Open(ctx)
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "tokenhunt-ruletest-")
	if err != nil {
		eng.Close()
		return nil, err
	}
	return &Runner{eng: eng, dir: dir}, nil
}

// Close closes DuckDB and removes the scratch folder.
func (r *Runner) Close() error {
	err := r.eng.Close()
	if rerr := os.RemoveAll(r.dir); err == nil {
		err = rerr
	}
	return err
}

// RuleFiles expands paths (files, folders, globs) into rule files, tests
// files left out.
func RuleFiles(paths []string) ([]string, error) {
	return sigma.ExpandPaths(paths)
}

// target is what a tests file exercises: a detection rule or a correlation.
type target struct {
	title string
	rule  *ir.Rule
	corr  *ir.Correlation
}

// RunFile runs the tests of one rule file. A rule file without a tests
// file is a failure: every rule must carry its tests.
func (r *Runner) RunFile(ctx context.Context, file string) Result {
	res := Result{File: file}
	tests := TestsFile(file)
	if _, err := os.Stat(tests); err != nil {
		res.Err = fmt.Errorf("no tests: add %s with fire and quiet cases", filepath.Base(tests))
		return res
	}
	res.Tests = tests
	suite, err := ParseSuite(tests)
	if err != nil {
		res.Err = err
		return res
	}
	p, err := pipeline.Resolve(suite.Pipeline)
	if err != nil {
		res.Err = fmt.Errorf("%s: %w", tests, err)
		return res
	}
	ps := pipeline.Set{p}
	rules, errs := compiler.Load([]string{file})
	if len(errs) > 0 {
		res.Err = errs
		return res
	}
	set, errs := compiler.CompileSet(rules, ps)
	if hasErrors(errs) {
		res.Err = errs
		return res
	}
	tg, err := pick(set)
	if err != nil {
		res.Err = fmt.Errorf("%s: %w", file, err)
		return res
	}
	res.Rule = tg.title
	res.Passed = true
	run := func(kind string, i int, c Case, fire bool) {
		name := fmt.Sprintf("%s %d", kind, i+1)
		if c.Name != "" {
			name += ": " + c.Name
		}
		o := r.runCase(ctx, ps, tg, c, fire)
		o.Case = name
		if o.Failure != "" {
			res.Passed = false
		}
		res.Cases = append(res.Cases, o)
	}
	for i, c := range suite.Fire {
		run("fire", i, c, true)
	}
	for i, c := range suite.Quiet {
		run("quiet", i, c, false)
	}
	return res
}

func hasErrors(errs ir.Errors) bool {
	for _, e := range errs {
		if !e.Warning {
			return true
		}
	}
	return false
}

// pick finds the one rule of a file that its tests are about: its
// correlation, or its detection rule when it has no correlation.
func pick(set *compiler.Set) (target, error) {
	switch {
	case len(set.Correlations) == 1:
		c := set.Correlations[0]
		return target{title: c.Source.Title, corr: c.Correlation}, nil
	case len(set.Correlations) > 1:
		return target{}, fmt.Errorf("%d correlations in one file: keep one correlation (with its base rules) per file", len(set.Correlations))
	case len(set.Rules) == 1:
		return target{title: set.Rules[0].Source.Title, rule: set.Rules[0].Rule}, nil
	}
	return target{}, fmt.Errorf("%d detection rules and no correlation: keep one rule per file", len(set.Rules))
}

// runCase registers the case's events and runs the target on DuckDB and
// on the reference evaluator.
func (r *Runner) runCase(ctx context.Context, ps pipeline.Set, tg target, c Case, fire bool) Outcome {
	var o Outcome
	fail := func(format string, args ...any) Outcome {
		o.Failure = fmt.Sprintf(format, args...)
		return o
	}
	// The rules read, by table, and what each table must hold.
	var rules []*ir.Rule
	extra := map[string][]ir.Field{}
	if tg.corr != nil {
		for _, b := range tg.corr.RuleBases() {
			rules = append(rules, b.Rule)
			fs := append(append([]ir.Field{b.Time, b.ID}, b.Group...), b.Terms...)
			if b.Value != nil {
				fs = append(fs, *b.Value)
			}
			extra[b.Rule.Table] = append(extra[b.Rule.Table], fs...)
		}
	} else {
		rules = []*ir.Rule{tg.rule}
	}
	var tables []string
	sources := map[string]pipeline.Source{}
	columns := map[string][]ir.Column{}
	for _, rl := range rules {
		if _, ok := sources[rl.Table]; !ok {
			tables = append(tables, rl.Table)
			sources[rl.Table] = ps.Source(rl.Logsource)
			columns[rl.Table] = sources[rl.Table].ColumnList()
		}
		columns[rl.Table] = append(columns[rl.Table], sql.Columns(rl.Where)...)
	}
	for t, fs := range extra {
		for _, f := range fs {
			if f.Column != nil {
				columns[t] = append(columns[t], *f.Column)
			}
		}
	}
	// The events, by table, as JSON (what a log file holds) and as the
	// reference evaluator reads JSON.
	byTable := map[string][]map[string]any{}
	lines := map[string][]byte{}
	history := map[string]bool{}
	all := append(append([]map[string]any(nil), c.History...), c.Events...)
	if len(c.Events) == 0 {
		return fail("no events")
	}
	for i, ev := range all {
		ev = plainEvent(ev).(map[string]any)
		table := tables[0]
		if t, ok := ev[TableKey]; ok {
			s, _ := t.(string)
			if _, known := sources[s]; !known {
				return fail("event %d: %s %q is not a table the rule reads (%s)", i+1, TableKey, t, strings.Join(tables, ", "))
			}
			table = s
			delete(ev, TableKey)
		} else if len(tables) > 1 {
			return fail("event %d: the rule reads %s: name the event's table with %s", i+1, strings.Join(tables, ", "), TableKey)
		}
		data, err := json.Marshal(ev)
		if err != nil {
			return fail("event %d: %v", i+1, err)
		}
		dec := json.NewDecoder(strings.NewReader(string(data)))
		dec.UseNumber()
		var back map[string]any
		if err := dec.Decode(&back); err != nil {
			return fail("event %d: %v", i+1, err)
		}
		id, _ := back[sources[table].ID].(string)
		if id == "" {
			return fail("event %d has no id: set %s (a string)", i+1, sources[table].ID)
		}
		if i < len(c.History) {
			history[id] = true
		}
		byTable[table] = append(byTable[table], back)
		lines[table] = append(append(lines[table], data...), '\n')
	}
	r.n++
	for _, t := range tables {
		f := filepath.Join(r.dir, fmt.Sprintf("case%d_%s.jsonl", r.n, strings.ReplaceAll(t, ".", "_")))
		if err := os.WriteFile(f, lines[t], 0o600); err != nil {
			return fail("%v", err)
		}
		if err := r.eng.Register(ctx, t, []string{f}, duckdb.Options{JSONText: sources[t].JSONColumns, Columns: columns[t], SampleSize: 0}); err != nil {
			return fail("register: %v", err)
		}
	}
	be := duckdb.New()
	var got, ref []string
	if tg.corr != nil {
		q, err := be.CompileCorrelation(tg.corr)
		if err != nil {
			return fail("compile: %v", err)
		}
		rows, err := r.eng.Query(ctx, q)
		if err != nil {
			return fail("query: %v", err)
		}
		for _, row := range rows {
			ids, _ := row["event_ids"].([]any)
			var s []string
			for _, id := range ids {
				s = append(s, fmt.Sprint(id))
			}
			got = appendFinding(got, s, history)
		}
		findings, err := refeval.Correlate(tg.corr, byTable)
		if err != nil {
			return fail("reference evaluator: %v", err)
		}
		for _, f := range findings {
			ref = appendFinding(ref, f.Events, history)
		}
	} else {
		q, err := be.Compile(tg.rule)
		if err != nil {
			return fail("compile: %v", err)
		}
		rows, err := r.eng.Query(ctx, q)
		if err != nil {
			return fail("query: %v", err)
		}
		idField := sources[tg.rule.Table].ID
		for _, row := range rows {
			if id := fmt.Sprint(row[idField]); !history[id] {
				got = append(got, id)
			}
		}
		for _, ev := range byTable[tg.rule.Table] {
			match, err := refeval.EvalErr(tg.rule.Where, ev)
			if err != nil {
				return fail("reference evaluator: %v", err)
			}
			if id := ev[idField].(string); match && !history[id] {
				ref = append(ref, id)
			}
		}
	}
	got, ref = uniqSorted(got), uniqSorted(ref)
	o.Got = got
	switch {
	case !slices.Equal(got, ref):
		return fail("DuckDB and the reference evaluator disagree: DuckDB %v, reference %v", got, ref)
	case fire && len(got) == 0:
		return fail("did not fire")
	case !fire && len(got) > 0:
		return fail("fired on %s", strings.Join(got, ", "))
	case c.Expect != nil && !slices.Equal(uniqSorted(slices.Clone(c.Expect)), got):
		return fail("matched %v, want %v", got, uniqSorted(slices.Clone(c.Expect)))
	}
	return o
}

// appendFinding adds a finding's events unless they are all history.
func appendFinding(dst, events []string, history map[string]bool) []string {
	for _, id := range events {
		if !history[id] {
			return append(dst, events...)
		}
	}
	return dst
}

func uniqSorted(s []string) []string {
	sort.Strings(s)
	return slices.Compact(s)
}

// plainEvent turns what YAML decoded into what JSON can hold: timestamps
// as RFC 3339 text, map keys as strings.
func plainEvent(v any) any {
	switch v := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, x := range v {
			out[k] = plainEvent(x)
		}
		return out
	case map[any]any:
		out := make(map[string]any, len(v))
		for k, x := range v {
			out[fmt.Sprint(k)] = plainEvent(x)
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, x := range v {
			out[i] = plainEvent(x)
		}
		return out
	case time.Time:
		return v.UTC().Format(time.RFC3339Nano)
	}
	return v
}
