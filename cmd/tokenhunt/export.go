package main

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/tokenhunt/tokenhunt/compiler/pipeline"
	"github.com/tokenhunt/tokenhunt/export"
)

func newExport() *cobra.Command {
	var target, format, out, root, database, workgroup, dataset string
	var pipelines []string
	var interval time.Duration
	var formats []string
	for _, t := range export.Targets() {
		formats = append(formats, t+": "+strings.Join(export.Formats()[t], "|"))
	}
	sort.Strings(formats)
	cmd := &cobra.Command{
		Use:   "export -t sentinel|athena|bigquery|duckdb [--format FORMAT] [-p PIPELINE]... -o DIR RULES...",
		Short: "Export compiled rules as deployable scheduled detections",
		Long: `Compile Sigma rules and write them as the native scheduled detections of a
platform, one artefact per rule (or one template holding every rule):

  ` + strings.Join(formats, "\n  ") + `

Artefact ids derive from the rule ids (UUIDv5), so exporting again and
redeploying updates the deployed rules. Rules that fail are reported on
stderr and the exit code is 1; the others are still written.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if _, ok := export.Formats()[target]; !ok {
				return &exitError{code: 2, err: fmt.Errorf("unknown export target %q: choose one of %s", target, strings.Join(export.Targets(), ", "))}
			}
			if out == "" {
				return &exitError{code: 2, err: fmt.Errorf("name the output folder with -o DIR")}
			}
			ps, err := pipeline.ResolveAll(pipelines)
			if err != nil {
				return &exitError{code: 2, err: err}
			}
			set, errs, err := compileArgs(cmd, pipelines, args)
			if err != nil {
				return err
			}
			files, xerrs := export.Export(set, export.Options{
				Target: target, Format: format, Pipelines: ps, Names: pipelines, Root: root, OutDir: out,
				Database: database, WorkGroup: workgroup, Dataset: dataset, Interval: interval,
			})
			if len(files) == 0 && len(xerrs) > 0 && xerrs[0].RuleID == "" && xerrs[0].Pos.File == "" {
				return &exitError{code: 2, err: xerrs[0]}
			}
			errs = append(errs, xerrs...)
			if err := export.WriteFiles(out, files); err != nil {
				return &exitError{code: 2, err: err}
			}
			printErrors(cmd.ErrOrStderr(), errs)
			fmt.Fprintf(cmd.OutOrStdout(), "wrote %d files to %s\n", len(files), out)
			if len(errs) > 0 {
				return &exitError{code: 1}
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVarP(&target, "target", "t", "", "sentinel, athena, bigquery or duckdb")
	f.StringVar(&format, "format", "", "artefact format (default: the target's first)")
	f.StringArrayVarP(&pipelines, "pipeline", "p", nil, "processing pipeline: builtin name or YAML file (repeatable)")
	f.StringVarP(&out, "output", "o", "", "output folder")
	f.StringVar(&root, "root", "", "write rule file paths relative to this folder")
	f.StringVar(&database, "database", "default", "athena: the database of the named queries")
	f.StringVar(&workgroup, "workgroup", "primary", "athena: the workgroup of the named queries")
	f.StringVar(&dataset, "dataset", "", "bigquery: the dataset of tables the pipelines name without one")
	f.DurationVar(&interval, "interval", time.Hour, "how often a scheduled rule runs and the window it reads")
	return cmd
}
