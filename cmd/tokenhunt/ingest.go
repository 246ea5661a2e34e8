package main

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/tokenhunt/tokenhunt/hunts/ingest"
	"github.com/tokenhunt/tokenhunt/internal/redact"
)

func newIngest() *cobra.Command {
	var (
		kind        string
		out         string
		batchRows   int
		showRejects int
		force       bool
	)
	kinds := []string{}
	for _, k := range ingest.Kinds() {
		kinds = append(kinds, string(k))
	}
	cmd := &cobra.Command{
		Use:   "ingest --kind KIND --out DIR INPUTS...",
		Short: "Convert raw audit-log exports into day-partitioned Parquet for hunting",
		Long: `Convert raw exports into Parquet that the shipped DuckDB pipelines read
(cloudtrail, entra-duckdb, gcp-duckdb), one folder per event day (UTC):

  DIR/year=YYYY/month=MM/day=DD/part-NNNN.parquet   (ZSTD; new files take the next free number)

An input whose bytes were ingested into DIR before is skipped (DIR/_tokenhunt_ingested.jsonl
lists them by SHA-256), so a nightly ingest of a growing export folder adds each file once;
--force ingests it again.

Kinds: ` + strings.Join(kinds, ", ") + `.
Inputs are files, folders (walked for *.json, *.jsonl, *.ndjson, *.log, also .gz)
and globs. A file may be CloudTrail {"Records": [...]}, a JSON array, JSON lines or
objects one after another, gzip-compressed or not.

A record that is malformed, not a JSON object, or has no event time is rejected and
listed with its file, line and byte offset (in the decompressed data); keys without
a column are kept as JSON text in the column _unmapped.

Exit codes: 0 every record written; 1 some records rejected; 2 an input could not
be read (or read to its end), or a usage or output error.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if out == "" {
				return &exitError{code: 2, err: fmt.Errorf("--out is required")}
			}
			rep, err := ingest.Run(cmd.Context(), ingest.Options{Kind: ingest.Kind(kind), Out: out, BatchRows: batchRows, Force: force}, args)
			if rep != nil {
				printIngest(cmd.OutOrStdout(), cmd.ErrOrStderr(), rep, showRejects)
			}
			if err != nil {
				return &exitError{code: 2, err: fmt.Errorf("ingest: %s", redact.String(err.Error()))}
			}
			if code := rep.ExitCode(); code != 0 {
				return &exitError{code: code}
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&kind, "kind", "", "kind of log: "+strings.Join(kinds, ", "))
	cmd.Flags().StringVar(&out, "out", "", "output folder (created if needed)")
	cmd.Flags().IntVar(&batchRows, "batch-rows", 100000, "rows held in memory before they are written out")
	cmd.Flags().IntVar(&showRejects, "show-rejects", 20, "rejected records listed per file (all are counted)")
	cmd.Flags().BoolVar(&force, "force", false, "ingest inputs that were ingested into --out before")
	cmd.MarkFlagRequired("kind")
	return cmd
}

// printIngest prints the per-file summary on stdout and the rejections and
// file errors on stderr; every line goes through redact.
func printIngest(stdout, stderr io.Writer, rep *ingest.Report, showRejects int) {
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "FILE\tLAYOUT\tREAD\tWRITTEN\tREJECTED")
	for _, f := range rep.Files {
		layout := f.Layout
		switch {
		case f.Skipped:
			layout = "skipped: ingested before"
		case f.Err != nil && layout == "":
			layout = "unreadable"
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%d\n", redact.String(f.Path), orDash(layout), f.Read, f.Written, f.Rejected)
	}
	read, written, rejected := rep.Totals()
	fmt.Fprintf(tw, "total\t\t%d\t%d\t%d\n", read, written, rejected)
	tw.Flush()
	fmt.Fprintf(stdout, "%d Parquet files written\n", len(rep.Outputs))
	for _, f := range rep.Files {
		if f.Err != nil {
			fmt.Fprintf(stderr, "%s: cannot read: %s\n", redact.String(f.Path), redact.String(f.Err.Error()))
		}
		for i, r := range f.Rejects {
			if i == showRejects {
				break
			}
			fmt.Fprintf(stderr, "%s:%d (byte %d): rejected: %s\n", redact.String(f.Path), r.Line, r.Offset, redact.String(r.Reason))
		}
		if more := f.Rejected - min(showRejects, len(f.Rejects)); f.Rejected > 0 && more > 0 {
			fmt.Fprintf(stderr, "%s: %d more rejected records\n", redact.String(f.Path), more)
		}
	}
}
