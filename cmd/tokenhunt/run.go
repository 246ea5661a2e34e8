package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/tokenhunt/tokenhunt/backends/duckdb"
	"github.com/tokenhunt/tokenhunt/backends/sql"
	"github.com/tokenhunt/tokenhunt/compiler"
	"github.com/tokenhunt/tokenhunt/compiler/ir"
	"github.com/tokenhunt/tokenhunt/compiler/pipeline"
	"github.com/tokenhunt/tokenhunt/internal/redact"
)

// summaryFields are shown for each match when the row has them; otherwise
// the row is printed as compact JSON.
var summaryFields = [][]string{
	{"eventTime"}, {"eventName"}, {"sourceIPAddress"}, {"userIdentity", "arn"}, {"userIdentity", "accessKeyId"},
}

func newRun() *cobra.Command {
	var pipelines, data []string
	var limit int
	cmd := &cobra.Command{
		Use:   "run [-p PIPELINE]... --data TABLE=FILES... RULES...",
		Short: "Run rules once with embedded DuckDB over local files and print the matches",
		Long: `Compile rules for DuckDB and run each over local files: Parquet, JSON Lines,
JSON arrays or CloudTrail's {"Records": [...]} files. --data binds a table (as the
pipeline names it, e.g. cloudtrail) to a file, folder glob or list of them.
Token-like values (access keys, session tokens, JWTs) are redacted in the output.

Exit codes: 0 no matches, 1 matches found, 2 errors.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			sources := map[string][]string{}
			for _, d := range data {
				table, files, ok := strings.Cut(d, "=")
				if !ok || table == "" || files == "" {
					return &exitError{code: 2, err: fmt.Errorf("--data %q: want TABLE=FILES", d)}
				}
				for _, f := range strings.Split(files, ",") {
					if st, err := os.Stat(f); err == nil && st.IsDir() {
						return &exitError{code: 2, err: fmt.Errorf("--data %s=%s: %s is a folder: name its files with a glob, e.g. %s", table, files, f, filepath.Join(f, "**", "*.json"))}
					}
					sources[table] = append(sources[table], f)
				}
			}
			set, errs, err := compileArgs(cmd, pipelines, args)
			if err != nil {
				return err
			}
			ps, _ := pipeline.ResolveAll(pipelines)
			eng, err := duckdb.Open(ctx)
			if err != nil {
				return &exitError{code: 2, err: err}
			}
			defer eng.Close()
			be := duckdb.New()
			out := cmd.OutOrStdout()
			// Compile every rule, then register each table once with the
			// columns all of its rules read.
			type job struct {
				r     *compiler.Result
				query string
				corr  bool
			}
			var jobs []job
			columns := map[string][]ir.Column{}
			logsources := map[string]ir.Logsource{}
			// need records the columns a rule reads; false when its table
			// has no data.
			need := func(r *ir.Rule, extra ...ir.Field) bool {
				if _, ok := sources[r.Table]; !ok {
					errs = append(errs, &ir.Error{Pos: r.Pos, RuleID: r.ID, Msg: fmt.Sprintf("no data for table %q", r.Table), Hint: fmt.Sprintf("add --data %s=FILES", r.Table)})
					return false
				}
				if _, seen := columns[r.Table]; !seen {
					columns[r.Table] = ps.Source(r.Logsource).ColumnList()
					logsources[r.Table] = r.Logsource
				}
				columns[r.Table] = append(columns[r.Table], sql.Columns(r.Where)...)
				for _, f := range extra {
					if f.Column != nil {
						columns[r.Table] = append(columns[r.Table], *f.Column)
					}
				}
				return true
			}
			// base rules and chained correlations shown through their correlation
			inside, insideCorr := insideCorrelations(set)
			for _, r := range set.Rules {
				if inside[r.Rule] {
					continue
				}
				q, err := be.Compile(r.Rule)
				if err != nil {
					errs = append(errs, asRuleErrors(err, r)...)
					continue
				}
				if need(r.Rule) {
					jobs = append(jobs, job{r: r, query: q})
				}
			}
			for _, cr := range set.Correlations {
				c := cr.Correlation
				if insideCorr[c] {
					continue
				}
				res := &compiler.Result{Source: cr.Source, Rule: correlationHeader(c)}
				q, err := be.CompileCorrelation(c)
				if err != nil {
					errs = append(errs, asRuleErrors(err, res)...)
					continue
				}
				ok := true
				for _, b := range c.RuleBases() {
					fields := append(append([]ir.Field{b.Time, b.ID}, b.Group...), b.Terms...)
					if b.Value != nil {
						fields = append(fields, *b.Value)
					}
					ok = need(b.Rule, fields...) && ok
				}
				if ok {
					jobs = append(jobs, job{r: res, query: q, corr: true})
				}
			}
			tables := make([]string, 0, len(columns))
			for t := range columns {
				tables = append(tables, t)
			}
			sort.Strings(tables)
			for _, t := range tables {
				src := ps.Source(logsources[t])
				if err := eng.Register(ctx, t, sources[t], duckdb.Options{JSONText: src.JSONColumns, Columns: columns[t], Materialize: true}); err != nil {
					return &exitError{code: 2, err: fmt.Errorf("table %s: %w", t, err)}
				}
			}
			total, failed := 0, 0
			for _, j := range jobs {
				start := time.Now()
				rows, err := eng.Query(ctx, j.query)
				if err != nil {
					failed++
					errs = append(errs, &ir.Error{Pos: j.r.Rule.Pos, RuleID: j.r.Rule.ID, Msg: "query failed: " + err.Error()})
					continue
				}
				total += len(rows)
				if j.corr {
					printFindings(out, j.r, rows, limit, time.Since(start))
					continue
				}
				printMatches(out, j.r, rows, limit, time.Since(start))
			}
			errs.Sort()
			printErrors(cmd.ErrOrStderr(), errs)
			fmt.Fprintf(out, "\n%d rules run, %d matches, %d errors\n", len(jobs)-failed, total, countErrors(errs, false))
			switch {
			case hasErrors(errs):
				return &exitError{code: 2}
			case total > 0:
				return &exitError{code: 1}
			}
			return nil
		},
	}
	cmd.Flags().StringArrayVarP(&pipelines, "pipeline", "p", nil, "pipeline name or YAML file (repeatable)")
	cmd.Flags().StringArrayVar(&data, "data", nil, "TABLE=FILES: files, globs or comma-separated lists for a table (repeatable)")
	cmd.Flags().IntVar(&limit, "limit", 10, "matches to print per rule")
	return cmd
}

func printMatches(w io.Writer, r *compiler.Result, rows []map[string]any, limit int, took time.Duration) {
	fmt.Fprintf(w, "%-8s %s  (%d matches, %s)\n", strings.ToUpper(orDash(r.Rule.Level)), oneLine(r.Rule.Title), len(rows), took.Round(time.Millisecond))
	for i, row := range rows {
		if i == limit {
			fmt.Fprintf(w, "         … %d more\n", len(rows)-limit)
			break
		}
		fmt.Fprintf(w, "         %s\n", summarize(row))
	}
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// summarize prints the row's summary fields, redacted, or the whole row as
// JSON when it has none of them.
func summarize(row map[string]any) string {
	var parts []string
	for _, path := range summaryFields {
		if v, ok := lookup(row, path); ok && v != nil {
			parts = append(parts, fmt.Sprint(v))
		}
	}
	if len(parts) == 0 {
		b, _ := json.Marshal(redact.Any(row))
		s := string(b)
		if len(s) > 200 {
			s = s[:200] + "…"
		}
		return s
	}
	return redact.String(strings.Join(parts, "  "))
}

func lookup(row map[string]any, path []string) (any, bool) {
	var cur any = row
	for _, p := range path {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		found := false
		for k, v := range m {
			if strings.EqualFold(k, p) {
				cur, found = v, true
				break
			}
		}
		if !found {
			return nil, false
		}
	}
	if t, ok := cur.(time.Time); ok {
		return t.UTC().Format(time.RFC3339), true
	}
	return cur, true
}

// printFindings prints a correlation's findings: group values, when, the
// aggregate and how many events, redacted.
func printFindings(w io.Writer, r *compiler.Result, rows []map[string]any, limit int, took time.Duration) {
	fmt.Fprintf(w, "%-8s %s  (%d findings, %s)\n", strings.ToUpper(orDash(r.Rule.Level)), oneLine(r.Rule.Title), len(rows), took.Round(time.Millisecond))
	fixed := map[string]bool{"first_seen": true, "fired_at": true, "last_seen": true, "value": true, "event_count": true, "event_ids": true}
	for i, row := range rows {
		if i == limit {
			fmt.Fprintf(w, "         … %d more\n", len(rows)-limit)
			break
		}
		var group []string
		for k, v := range row {
			if !fixed[k] {
				group = append(group, fmt.Sprintf("%s=%v", k, v))
			}
		}
		sort.Strings(group)
		first, _ := lookup(row, []string{"first_seen"})
		last, _ := lookup(row, []string{"last_seen"})
		line := fmt.Sprintf("%s  %v → %v  value=%v events=%v", strings.Join(group, " "), first, last, row["value"], row["event_count"])
		fmt.Fprintf(w, "         %s\n", redact.String(line))
	}
}
