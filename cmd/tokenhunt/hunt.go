package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/tokenhunt/tokenhunt/compiler/ir"
	"github.com/tokenhunt/tokenhunt/hunts"
	"github.com/tokenhunt/tokenhunt/hunts/findings"
	"github.com/tokenhunt/tokenhunt/hunts/report"
	"github.com/tokenhunt/tokenhunt/hunts/runner"
	"github.com/tokenhunt/tokenhunt/internal/redact"
)

// pauseEnv names a phase at which `hunt` stops and waits to be killed,
// for the crash tests: it prints "tokenhunt: paused at PHASE" to stderr.
const pauseEnv = "TOKENHUNT_HUNT_PAUSE_AT"

func newHunt() *cobra.Command {
	var from, to, now, stateDir, outDir string
	var dryRun bool
	var reportFile, progress string
	cmd := &cobra.Command{
		Use:   "hunt SPEC",
		Short: "Run a hunt spec over Parquet or JSON logs with embedded DuckDB and write its findings",
		Long: `Run a hunt spec (YAML: rules, sources, window, outputs; see hunts/examples).

Without --from/--to each source is hunted from its watermark (or the spec's
window start) up to now minus the settle delay, and its watermark moves
only after the window's findings are durably written. With --from/--to the
window is given (RFC 3339) and watermarks are neither read nor moved.
Findings go to the output folder: findings.jsonl, findings.ocsf.json (OCSF
Detection Finding, class 2004, one object a line) and findings.parquet.
A finding's id hashes its rule, group and firing time: re-running a
window, or resuming after a crash, adds no duplicate. Token-like values are
redacted everywhere. Two runs of one hunt cannot overlap (a lock in the
state folder).

--dry-run prints the plan: per source the window, the files it would
read, the rules and the compiled queries.

A column a rule needs but a file lacks is not an error: it reads as NULL
(files of one source may come from exporters of different versions), so
the rule simply does not match on it. A source whose files cannot be
read (a missing, unreadable or truncated file, a dangling symlink, a
file where its glob expects a folder) fails with an error naming the
file; the other sources are still hunted, and the failed source's
watermark stays, so the next run hunts its window again.

--progress draws a bar per source on stderr (files read, then queries
run); by default only when stderr is a terminal, never into logs.

Exit codes: 0 no new findings, 1 new findings written, 2 errors (a rule or
source failed, bad spec, the hunt is already running).`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			spec, err := hunts.Load(args[0])
			if err != nil {
				return &exitError{code: 2, err: err}
			}
			opts := runner.Options{DryRun: dryRun, StateDir: stateDir, OutDir: outDir, Log: cmd.ErrOrStderr()}
			show, finish, err := newProgress(progress, cmd.ErrOrStderr())
			if err != nil {
				return &exitError{code: 2, err: err}
			}
			if show != nil {
				// The bar replaces the runner's progress lines on a terminal.
				opts.Progress, opts.Log = show, nil
			}
			parse := func(flag, s string) (time.Time, error) {
				if s == "" {
					return time.Time{}, nil
				}
				t, err := time.Parse(time.RFC3339, s)
				if err != nil {
					return t, &exitError{code: 2, err: fmt.Errorf("--%s %q: want an RFC 3339 time such as 2026-11-02T00:00:00Z", flag, s)}
				}
				return t, nil
			}
			if opts.From, err = parse("from", from); err != nil {
				return err
			}
			if opts.To, err = parse("to", to); err != nil {
				return err
			}
			if opts.Now, err = parse("now", now); err != nil {
				return err
			}
			if phase := os.Getenv(pauseEnv); phase != "" {
				stderr := cmd.ErrOrStderr()
				opts.Hook = func(p string) {
					if p == phase {
						fmt.Fprintf(stderr, "tokenhunt: paused at %s\n", p)
						select {}
					}
				}
			}
			rep, err := runner.Run(cmd.Context(), spec, opts)
			if finish != nil {
				finish()
			}
			if err != nil {
				return &exitError{code: 2, err: err}
			}
			out := cmd.OutOrStdout()
			if dryRun {
				printPlan(out, rep)
			} else {
				printSummary(out, rep)
				printCost(out, rep)
			}
			if reportFile != "" && !dryRun {
				dir := spec.OutDir
				if outDir != "" {
					dir = outDir
				}
				// The rules' queries are compiled with the sources'
				// pipelines; CloudTrail sources' files give the events.
				var pipes, events []string
				seen := map[string]bool{}
				for _, src := range spec.Sources {
					if src.Pipeline != "" && !seen[src.Pipeline] {
						seen[src.Pipeline] = true
						pipes = append(pipes, src.Pipeline)
					}
					if strings.EqualFold(src.Logsource.Service, "cloudtrail") || src.Pipeline == "cloudtrail" {
						events = append(events, src.Paths...)
					}
				}
				sum, err := report.Generate(report.Config{
					Inputs:    []string{filepath.Join(dir, findings.JSONLFile)},
					MissingOK: true, // a hunt without findings yet has no file
					RulePaths: spec.Rules.Paths,
					Pipelines: pipes,
					Events:    events,
					Output:    reportFile,
					Options:   report.Options{Title: "hunt " + spec.Name, Generated: time.Now()},
				})
				if err != nil {
					return &exitError{code: 2, err: fmt.Errorf("report: %s", redact.String(err.Error()))}
				}
				for _, w := range sum.Warnings {
					fmt.Fprintln(cmd.ErrOrStderr(), "tokenhunt: report:", redact.String(fmt.Sprint(w)))
				}
				fmt.Fprintf(out, "report: %s\n", reportFile)
			}
			printHuntErrors(cmd.ErrOrStderr(), rep.Warnings)
			printHuntErrors(cmd.ErrOrStderr(), rep.Errors)
			switch {
			case rep.Failed():
				return &exitError{code: 2}
			case rep.New > 0:
				return &exitError{code: 1}
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&from, "from", "", "window start (RFC 3339); with --to")
	cmd.Flags().StringVar(&to, "to", "", "window end, exclusive (RFC 3339); with --from")
	cmd.Flags().StringVar(&now, "now", "", "the current time for a watermark window (RFC 3339; default the clock)")
	cmd.Flags().StringVar(&reportFile, "report", "", "also write the HTML report of all the hunt's findings to this file")
	cmd.Flags().StringVar(&progress, "progress", "auto", "progress bars on stderr: auto (when stderr is a terminal), always or never")
	cmd.Flags().BoolVar(&dryRun, "dry-run", false, "print the plan and the compiled queries; read and write nothing")
	cmd.Flags().StringVar(&stateDir, "state", "", "state folder (watermarks, lock); default the spec's, or OUT/state")
	cmd.Flags().StringVar(&outDir, "out", "", "output folder of the findings; default the spec's outputs.dir")
	return cmd
}

func printPlan(w io.Writer, rep *runner.Report) {
	fmt.Fprintf(w, "hunt %s (dry run)\n", rep.Hunt)
	for _, s := range rep.Sources {
		fmt.Fprintf(w, "\nsource %s (table %s)\n", s.Name, s.Table)
		if s.Err != nil {
			fmt.Fprintf(w, "  error: %s\n", redact.String(s.Err.Error()))
			continue
		}
		if s.UpToDate {
			fmt.Fprintf(w, "  up to date: watermark %s\n", s.Start.Format(time.RFC3339))
			continue
		}
		fmt.Fprintf(w, "  window [%s, %s), reading from %s\n", s.Start.Format(time.RFC3339), s.End.Format(time.RFC3339), s.Read.Format(time.RFC3339))
		if s.Engine == "duckdb" {
			fmt.Fprintf(w, "  files: %d (%d pruned by day folder)\n", len(s.Files), s.Skipped)
			for _, f := range s.Files {
				fmt.Fprintf(w, "    %s\n", f)
			}
		} else {
			fmt.Fprintf(w, "  engine: %s (the table is read there)\n", s.Engine)
		}
		for _, q := range s.Queries {
			fmt.Fprintf(w, "  query for %s:\n", strings.Join(q.Rules, ", "))
			for _, p := range q.Params {
				fmt.Fprintf(w, "    parameter @%s = TIMESTAMP '%s'\n", p.Name, p.Value.Format(time.RFC3339Nano))
			}
			if q.Estimate >= 0 && s.Engine == "bigquery" {
				fmt.Fprintf(w, "    dry run: %s would be processed\n", runner.HumanBytes(q.Estimate))
			}
			for _, line := range strings.Split(q.SQL, "\n") {
				fmt.Fprintf(w, "    %s\n", line)
			}
		}
	}
}

// printCost prints what the cloud queries of a run read and cost.
func printCost(w io.Writer, rep *runner.Report) {
	for _, s := range rep.Sources {
		if s.Engine == "duckdb" || len(s.Queries) == 0 {
			continue
		}
		var bytes int64
		var cost float64
		for _, q := range s.Queries {
			bytes += max(q.Bytes, 0)
			cost += q.Cost
		}
		fmt.Fprintf(w, "source %s on %s: %d queries read %s, about %.4f USD\n", s.Name, s.Engine, len(s.Queries), runner.HumanBytes(bytes), cost)
	}
}

func printSummary(w io.Writer, rep *runner.Report) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "SOURCE\tWINDOW\tFILES\tWATERMARK")
	for _, s := range rep.Sources {
		win, wm := "-", "kept"
		if !s.Start.IsZero() {
			win = s.Start.Format(time.RFC3339) + " → " + s.End.Format(time.RFC3339)
		}
		switch {
		case s.Err != nil:
			wm = "kept (error)"
		case s.UpToDate:
			wm = "up to date"
		case s.Advanced:
			wm = "advanced"
		case s.Explicit:
			wm = "not used (--from/--to)"
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\n", s.Name, win, len(s.Files), wm)
	}
	fmt.Fprintln(tw)
	fmt.Fprintln(tw, "LEVEL\tRULE\tSOURCE\tFINDINGS\tNEW\tERROR")
	for _, r := range rep.Sorted() {
		e := ""
		if r.Err != nil {
			e = "failed"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%d\t%s\n", strings.ToUpper(orDash(r.Level)), redact.String(oneLine(r.Title)), r.Source, r.Findings, r.New, e)
	}
	tw.Flush()
	fmt.Fprintf(w, "\n%d rules run, %d findings in the window, %d new, %d errors\n", len(rep.Rules), rep.Found, rep.New, len(rep.Errors))
}

func printHuntErrors(w io.Writer, errs []error) {
	for _, e := range errs {
		prefix := "error: "
		if ie, ok := e.(*ir.Error); ok && ie.Warning {
			prefix = ""
		}
		fmt.Fprintln(w, prefix+redact.String(e.Error()))
	}
}
