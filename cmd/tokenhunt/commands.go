package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	"github.com/spf13/cobra"

	"github.com/tokenhunt/tokenhunt/backends"
	"github.com/tokenhunt/tokenhunt/compiler"
	"github.com/tokenhunt/tokenhunt/compiler/ir"
	"github.com/tokenhunt/tokenhunt/compiler/pipeline"
	"github.com/tokenhunt/tokenhunt/compiler/sigma"
)

func newRoot(stdout, stderr io.Writer) *cobra.Command {
	root := &cobra.Command{
		Use:           "tokenhunt",
		Short:         "Compile Sigma rules into queries and hunt cloud audit logs for session-token abuse",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.AddCommand(newConvert(), newCheck(), newRun(), newPipelines(), newList(), newSimulate(), newIngest(), newHunt(), newExport(), newReport(), newTest(), newSchedule())
	return root
}

func targetNames() []string {
	names := []string{"ir"}
	for _, b := range backends.All() {
		names = append(names, b.Name())
	}
	return names
}

func findBackend(name string) (backends.Backend, error) {
	for _, b := range backends.All() {
		if b.Name() == name {
			return b, nil
		}
	}
	return nil, &exitError{code: 2, err: fmt.Errorf("unknown target %q: choose one of %s", name, strings.Join(targetNames(), ", "))}
}

// compileArgs loads rules and pipelines and compiles them; rule errors are
// printed to stderr and counted.
func compileArgs(cmd *cobra.Command, pipelines, paths []string) (*compiler.Set, ir.Errors, error) {
	ps, err := pipeline.ResolveAll(pipelines)
	if err != nil {
		return nil, nil, &exitError{code: 2, err: err}
	}
	rules, errs, err := loadRules(paths)
	if err != nil {
		return nil, nil, err
	}
	set, cerrs := compiler.CompileSet(rules, ps)
	errs = append(errs, cerrs...)
	errs.Sort()
	return set, errs, nil
}

// loadRules expands paths and loads the rules in them. A path that names
// no file is a usage error (exit 2), not a rule error.
func loadRules(paths []string) ([]*sigma.Rule, ir.Errors, error) {
	files, err := sigma.ExpandPaths(paths)
	if err != nil {
		return nil, nil, &exitError{code: 2, err: err}
	}
	if len(files) == 0 {
		return nil, nil, &exitError{code: 2, err: fmt.Errorf("no rule files (*.yml, *.yaml) in %s", strings.Join(paths, " "))}
	}
	rules, errs := compiler.Load(files)
	return rules, errs, nil
}

func printErrors(w io.Writer, errs ir.Errors) {
	for _, e := range errs {
		fmt.Fprintln(w, e)
	}
}

func newConvert() *cobra.Command {
	var target, format, out string
	var pipelines []string
	cmd := &cobra.Command{
		Use:   "convert -t TARGET [-p PIPELINE]... [-f text|json] [-o OUT] RULES...",
		Short: "Compile Sigma rules into queries (or IR)",
		Long: `Compile Sigma rules (files, folders or globs) into queries for a target.

Formats: text (default) prints the query alone, ready to paste and run; several
queries are separated by a blank line and a "-- id: title" comment line. json
prints one object per rule and line: id, title, level, tags, logsource, query.
Rules that fail are reported on stderr with file:line:col and the exit code is 1.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var be backends.Backend
			if target != "ir" {
				var err error
				if be, err = findBackend(target); err != nil {
					return err
				}
			}
			if format != "text" && format != "json" {
				return &exitError{code: 2, err: fmt.Errorf("unknown format %q: choose text or json", format)}
			}
			set, errs, err := compileArgs(cmd, pipelines, args)
			if err != nil {
				return err
			}
			// Compile everything first: whether the text output carries
			// comment lines depends on how many queries it holds.
			type converted struct {
				r      *compiler.Result
				query  string
				irJSON json.RawMessage
			}
			var done []converted
			// A base rule (or chained correlation) of a correlation is
			// printed inside the correlation's query, and on its own only
			// with generate: true.
			inside, insideCorr := insideCorrelations(set)
			for _, r := range set.Rules {
				if inside[r.Rule] {
					continue
				}
				c := converted{r: r}
				if be == nil {
					if format == "json" {
						b, err := ir.MarshalExpr(r.Rule.Where)
						if err != nil {
							return err
						}
						c.irJSON = b
					} else {
						c.query = strings.TrimRight(ir.FormatRule(r.Rule), "\n")
					}
				} else {
					q, err := be.Compile(r.Rule)
					if err != nil {
						errs = append(errs, asRuleErrors(err, r)...)
						continue
					}
					c.query = q
				}
				done = append(done, c)
			}
			for _, cr := range set.Correlations {
				if insideCorr[cr.Correlation] {
					continue
				}
				c := converted{r: &compiler.Result{Source: cr.Source, Rule: correlationHeader(cr.Correlation)}}
				switch {
				case be == nil && format == "json":
					b, err := json.Marshal(map[string]any{"correlation": cr.Correlation.Type.String(), "text": ir.FormatCorrelation(cr.Correlation)})
					if err != nil {
						return err
					}
					c.irJSON = b
				case be == nil:
					c.query = strings.TrimRight(ir.FormatCorrelation(cr.Correlation), "\n")
				default:
					cc, ok := be.(interface {
						CompileCorrelation(*ir.Correlation) (string, error)
					})
					if !ok {
						errs = append(errs, &ir.Error{Pos: cr.Correlation.Pos, RuleID: cr.Correlation.ID, Msg: fmt.Sprintf("%s: correlation rules are not supported by this target yet", be.Name()), Hint: "convert it for duckdb"})
						continue
					}
					q, err := cc.CompileCorrelation(cr.Correlation)
					if err != nil {
						errs = append(errs, asRuleErrors(err, c.r)...)
						continue
					}
					c.query = q
				}
				done = append(done, c)
			}
			var buf bytes.Buffer
			for i, c := range done {
				r := c.r
				if format == "json" {
					obj := map[string]any{
						"id": r.Rule.ID, "title": r.Rule.Title, "level": r.Rule.Level,
						"tags": nonNil(r.Rule.Tags), "logsource": r.Rule.Logsource, "file": r.Source.File,
						"target": target,
					}
					if c.irJSON != nil {
						obj["query"] = c.irJSON
					} else {
						obj["query"] = c.query
					}
					b, err := json.Marshal(obj)
					if err != nil {
						return err
					}
					buf.Write(b)
					buf.WriteByte('\n')
					continue
				}
				if len(done) > 1 {
					if i > 0 {
						buf.WriteString("\n")
					}
					comment := "--"
					if be == nil {
						comment = "#"
					} else if lc, ok := be.(interface{ LineComment() string }); ok {
						comment = lc.LineComment()
					}
					fmt.Fprintf(&buf, "%s %s: %s\n", comment, r.Rule.ID, oneLine(r.Rule.Title))
				}
				buf.WriteString(c.query)
				buf.WriteString("\n")
			}
			n := len(done)
			if err := writeOut(cmd, out, buf.Bytes()); err != nil {
				return err
			}
			errs.Sort()
			printErrors(cmd.ErrOrStderr(), errs)
			if hasErrors(errs) {
				return &exitError{code: 1, err: fmt.Errorf("%d of %d rules failed", failedRules(errs), n+failedRules(errs))}
			}
			return nil
		},
	}
	cmd.Flags().StringVarP(&target, "target", "t", "duckdb", "target: "+strings.Join(targetNames(), ", "))
	cmd.Flags().StringArrayVarP(&pipelines, "pipeline", "p", nil, "pipeline name or YAML file (repeatable); built in: "+strings.Join(pipeline.Builtin(), ", "))
	cmd.Flags().StringVarP(&format, "format", "f", "text", "output format: text or json")
	cmd.Flags().StringVarP(&out, "output", "o", "", "write to this file instead of stdout")
	return cmd
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

func writeOut(cmd *cobra.Command, path string, data []byte) error {
	if path == "" || path == "-" {
		_, err := cmd.OutOrStdout().Write(data)
		return err
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		return &exitError{code: 2, err: err}
	}
	return nil
}

func asRuleErrors(err error, r *compiler.Result) ir.Errors {
	switch e := err.(type) {
	case ir.Errors:
		return e
	case *ir.Error:
		return ir.Errors{e}
	}
	return ir.Errors{{Pos: r.Rule.Pos, RuleID: r.Rule.ID, Msg: err.Error()}}
}

func hasErrors(errs ir.Errors) bool {
	for _, e := range errs {
		if !e.Warning {
			return true
		}
	}
	return false
}

// failedRules counts distinct rules (by file and id) with errors.
func failedRules(errs ir.Errors) int {
	seen := map[string]bool{}
	for _, e := range errs {
		if !e.Warning {
			seen[e.Pos.File+"\x00"+e.RuleID] = true
		}
	}
	return len(seen)
}

func newCheck() *cobra.Command {
	var asJSON bool
	var pipelines []string
	cmd := &cobra.Command{
		Use:   "check [-p PIPELINE]... [--json] RULES...",
		Short: "Validate Sigma rules: syntax, conditions, modifiers, unused selections, ids",
		Long: `Validate Sigma rules without converting them. Reports YAML errors, unknown
or misplaced modifiers, conditions naming unknown selections, selections that no
condition uses (a warning), and missing or duplicate ids, each at file:line:col.
With -p, field and keyword mapping is checked against the pipelines too.
Exit code 1 when any error (not warning) is found.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ps, err := pipeline.ResolveAll(pipelines)
			if err != nil {
				return &exitError{code: 2, err: err}
			}
			rules, errs, err := loadRules(args)
			if err != nil {
				return err
			}
			if len(pipelines) > 0 {
				_, cerrs := compiler.Compile(rules, ps)
				errs = append(errs, cerrs...)
			} else {
				errs = append(errs, compiler.LowerOnly(rules)...)
			}
			errs = append(errs, compiler.Check(rules)...)
			errs.Sort()
			if asJSON {
				type jsonErr struct {
					File     string `json:"file"`
					Line     int    `json:"line"`
					Col      int    `json:"col"`
					Rule     string `json:"rule,omitempty"`
					Severity string `json:"severity"`
					Message  string `json:"message"`
					Hint     string `json:"hint,omitempty"`
				}
				list := []jsonErr{}
				for _, e := range errs {
					sev := "error"
					if e.Warning {
						sev = "warning"
					}
					list = append(list, jsonErr{e.Pos.File, e.Pos.Line, e.Pos.Col, e.RuleID, sev, e.Msg, e.Hint})
				}
				enc := json.NewEncoder(cmd.OutOrStdout())
				enc.SetIndent("", "  ")
				if err := enc.Encode(map[string]any{"rules": len(rules), "problems": list}); err != nil {
					return err
				}
			} else {
				printErrors(cmd.OutOrStdout(), errs)
				fmt.Fprintf(cmd.OutOrStdout(), "%d rules checked, %d errors, %d warnings\n", len(rules), countErrors(errs, false), countErrors(errs, true))
			}
			if hasErrors(errs) {
				return &exitError{code: 1}
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print problems as JSON")
	cmd.Flags().StringArrayVarP(&pipelines, "pipeline", "p", nil, "pipeline name or YAML file (repeatable)")
	return cmd
}

func countErrors(errs ir.Errors, warnings bool) int {
	n := 0
	for _, e := range errs {
		if e.Warning == warnings {
			n++
		}
	}
	return n
}

func newPipelines() *cobra.Command {
	return &cobra.Command{
		Use:   "pipelines",
		Short: "List the built-in pipelines",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			names := pipeline.Builtin()
			sort.Strings(names)
			for _, n := range names {
				p, err := pipeline.Resolve(n)
				if err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "%-24s %s\n", n, oneLine(p.Description))
			}
			return nil
		},
	}
}

// correlationHeader carries a correlation's metadata in a Rule, for the
// output code that prints rules and correlations alike.
func correlationHeader(c *ir.Correlation) *ir.Rule {
	r := &ir.Rule{ID: c.ID, Title: c.Title, Level: c.Level, Status: c.Status, Tags: c.Tags, Pos: c.Pos}
	if bs := c.RuleBases(); len(bs) > 0 {
		r.Logsource = bs[0].Rule.Logsource
	}
	return r
}

// insideCorrelations returns the base rules and the chained correlations
// that a correlation without generate: true shows through itself only.
func insideCorrelations(set *compiler.Set) (map[*ir.Rule]bool, map[*ir.Correlation]bool) {
	rules, corrs := map[*ir.Rule]bool{}, map[*ir.Correlation]bool{}
	for _, c := range set.Correlations {
		if c.Correlation.Generate {
			continue
		}
		for _, b := range c.Correlation.Bases {
			if b.Correlation != nil {
				corrs[b.Correlation] = true
			} else {
				rules[b.Rule] = true
			}
		}
	}
	return rules, corrs
}
