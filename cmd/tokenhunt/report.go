package main

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/tokenhunt/tokenhunt/hunts/report"
	"github.com/tokenhunt/tokenhunt/internal/redact"
)

func newReport() *cobra.Command {
	var out, title string
	var rules, pipelines, events []string
	var maxDetails int
	cmd := &cobra.Command{
		Use:   "report FINDINGS.jsonl... -o report.html",
		Short: "Write a self-contained HTML report (overview, timelines, findings) of hunt findings",
		Long: `Write one self-contained HTML file (no network, light and dark) from
findings.jsonl files written by ` + "`tokenhunt hunt`" + `; findings of several files
merge without duplicates (by finding id).

The report shows findings by level, rule and cloud, the busiest identities
and tokens, a timeline per entity (principal, role, access key id, token)
with a lane per source address, and a section per finding with its
fields, event ids, rule and, with --rules, the rule's response steps
filled in with the finding's values and its query for every target
(compiled with the -p pipelines, as the hunt ran it). With --events, the
findings' events are looked up in CloudTrail logs (Parquet or JSON): a
finding is drawn on the rows of its events' addresses, credential
issuance is marked, and the events are listed. Token-like values are
redacted.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if out == "" {
				return &exitError{code: 2, err: fmt.Errorf("give the output file with -o report.html")}
			}
			sum, err := report.Generate(report.Config{
				Inputs: args, RulePaths: rules, Pipelines: pipelines, Events: events, Output: out,
				Options: report.Options{Title: title, Generated: time.Now(), MaxDetails: maxDetails},
			})
			for _, w := range sum.Warnings {
				fmt.Fprintln(cmd.ErrOrStderr(), "tokenhunt: warning:", redact.String(w.Error()))
			}
			if err != nil {
				return &exitError{code: 2, err: fmt.Errorf("report: %s", redact.String(err.Error()))}
			}
			fmt.Fprintf(cmd.OutOrStdout(), "report %s: %d findings (%d with a section), %d bytes\n", out, sum.Findings, sum.Details, sum.Bytes)
			return nil
		},
	}
	cmd.Flags().StringVarP(&out, "output", "o", "", "the HTML file to write")
	cmd.Flags().StringArrayVar(&rules, "rules", nil, "rule files or folders, for clouds and response steps (repeatable)")
	cmd.Flags().StringArrayVarP(&pipelines, "pipeline", "p", nil, "pipeline (builtin name or file) the rules' queries are compiled with (repeatable)")
	cmd.Flags().StringArrayVar(&events, "events", nil, "CloudTrail logs (Parquet or JSON files, folders or globs) to look the findings' events up in (repeatable)")
	cmd.Flags().StringVar(&title, "title", "", "the report's title (default \"tokenhunt report\")")
	cmd.Flags().IntVar(&maxDetails, "max-details", 0, "findings given a section, most severe first (default 1500)")
	return cmd
}
