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
)

func newRoot(stdout, stderr io.Writer) *cobra.Command {
	root := &cobra.Command{
		Use:           "tokenhunt",
		Short:         "Compile Sigma rules into queries and hunt cloud audit logs for session-token abuse",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.AddCommand(newConvert(), newCheck(), newRun(), newPipelines())
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
func compileArgs(cmd *cobra.Command, pipelines, paths []string) ([]*compiler.Result, ir.Errors, error) {
	ps, err := pipeline.ResolveAll(pipelines)
	if err != nil {
		return nil, nil, &exitError{code: 2, err: err}
	}
	rules, errs := compiler.Load(paths)
	results, cerrs := compiler.Compile(rules, ps)
	errs = append(errs, cerrs...)
	errs.Sort()
	return results, errs, nil
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
rules are separated by a blank line and a "-- id: title" comment line. json
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
			results, errs, err := compileArgs(cmd, pipelines, args)
			if err != nil {
				return err
			}
			var buf bytes.Buffer
			n := 0
			for _, r := range results {
				var query string
				var irJSON json.RawMessage
				if be == nil {
					if format == "json" {
						b, err := ir.MarshalExpr(r.Rule.Where)
						if err != nil {
							return err
						}
						irJSON = b
					} else {
						query = strings.TrimRight(ir.FormatRule(r.Rule), "\n")
					}
				} else {
					q, err := be.Compile(r.Rule)
					if err != nil {
						errs = append(errs, asRuleErrors(err, r)...)
						continue
					}
					query = q
				}
				if format == "json" {
					obj := map[string]any{
						"id": r.Rule.ID, "title": r.Rule.Title, "level": r.Rule.Level,
						"tags": nonNil(r.Rule.Tags), "logsource": r.Rule.Logsource, "file": r.Source.File,
						"target": target,
					}
					if irJSON != nil {
						obj["query"] = irJSON
					} else {
						obj["query"] = query
					}
					b, err := json.Marshal(obj)
					if err != nil {
						return err
					}
					buf.Write(b)
					buf.WriteByte('\n')
					n++
					continue
				}
				if len(results) > 1 {
					if n > 0 {
						buf.WriteString("\n")
					}
					comment := "--"
					if be == nil {
						comment = "#"
					} else if c, ok := be.(interface{ LineComment() string }); ok {
						comment = c.LineComment()
					}
					fmt.Fprintf(&buf, "%s %s: %s\n", comment, r.Rule.ID, oneLine(r.Rule.Title))
				}
				buf.WriteString(query)
				buf.WriteString("\n")
				n++
			}
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
			rules, errs := compiler.Load(args)
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
