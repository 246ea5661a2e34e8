package simparquet_test

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tokenhunt/tokenhunt/backends/duckdb"
	"github.com/tokenhunt/tokenhunt/compiler/ir"
	"github.com/tokenhunt/tokenhunt/compiler/pipeline"
	"github.com/tokenhunt/tokenhunt/internal/simparquet"
	"github.com/tokenhunt/tokenhunt/internal/simulate"
)

// simulateAndConvert simulates two days of every log with every scenario
// and converts them.
func simulateAndConvert(t *testing.T, dir string) (*simulate.Summary, []simparquet.Result) {
	t.Helper()
	ctx := context.Background()
	sum, err := simulate.Run(ctx, simulate.Options{Seed: 7, Duration: 48 * time.Hour, Events: 4000, Out: dir, Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	res, err := simparquet.Convert(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	return sum, res
}

func glob(dir string, o simparquet.Output) string {
	return filepath.ToSlash(filepath.Join(dir, o.Out)) + "/**/*.parquet"
}

func quotePath(path []string) string {
	parts := make([]string, len(path))
	for i, p := range path {
		parts[i] = `"` + strings.ReplaceAll(p, `"`, `""`) + `"`
	}
	return strings.Join(parts, ".")
}

// compatible tells whether a DuckDB column type holds values of a
// pipeline's declared type without conversion.
func compatible(want ir.Type, got string) bool {
	switch want {
	case ir.String:
		return got == "VARCHAR" || got == "JSON"
	case ir.Number:
		return slices.Contains([]string{"TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT", "FLOAT", "DOUBLE"}, got) || strings.HasPrefix(got, "DECIMAL")
	case ir.Bool:
		return got == "BOOLEAN"
	case ir.Timestamp:
		return strings.HasPrefix(got, "TIMESTAMP")
	}
	return true
}

// sources returns the pipeline's view of every log source that reads the
// output's table.
func sources(t *testing.T, o simparquet.Output) []pipeline.Source {
	t.Helper()
	ps, err := pipeline.ResolveAll([]string{o.Pipeline})
	if err != nil {
		t.Fatal(err)
	}
	var out []pipeline.Source
	for _, p := range ps {
		for _, l := range p.Logsources {
			if l.Table != o.Table {
				continue
			}
			out = append(out, ps.Source(ir.Logsource{Product: l.Product, Category: l.Category, Service: l.Service}))
		}
	}
	if len(out) == 0 {
		t.Fatalf("pipeline %s has no log source reading table %s", o.Pipeline, o.Table)
	}
	return out
}

// TestParquetMatchesPipelines checks the converted logs against the shipped
// DuckDB pipelines: every column a pipeline declares with a type exists in
// the Parquet with a compatible type, every record is there, and every
// label's records can be found by the pipeline's id field.
func TestParquetMatchesPipelines(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	sum, res := simulateAndConvert(t, dir)
	var tables []string
	for _, r := range res {
		tables = append(tables, r.Table)
	}
	if diff := cmp.Diff([]string{"cloudtrail", "SigninLogs", "AADNonInteractiveUserSignInLogs", "gcp_audit"}, tables); diff != "" {
		t.Fatalf("converted tables (-want +got):\n%s", diff)
	}
	records := map[string]int{
		"cloudtrail":                      sum.Records["cloudtrail"],
		"SigninLogs":                      sum.Records["signinlogs"],
		"AADNonInteractiveUserSignInLogs": sum.Records["aadnoninteractiveusersigninlogs"],
		"gcp_audit":                       sum.Records["gcp_activity"] + sum.Records["gcp_data_access"],
	}
	labels, err := simulate.ReadLabels(filepath.Join(dir, "labels.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	wanted := map[string]bool{}
	for _, l := range labels {
		for _, id := range l.EventIDs {
			wanted[id] = true
		}
	}
	eng, err := duckdb.Open(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	found := map[string]bool{}
	for _, r := range res {
		t.Run(r.Table, func(t *testing.T) {
			if r.Records != records[r.Table] {
				t.Errorf("%d records written, the simulation wrote %d", r.Records, records[r.Table])
			}
			from := fmt.Sprintf("read_parquet('%s', hive_partitioning = false)", glob(dir, r.Output))
			checked := 0
			var idField string
			for _, src := range sources(t, r.Output) {
				idField = src.ID
				for _, c := range src.ColumnList() {
					rows, err := eng.Query(ctx, fmt.Sprintf("DESCRIBE SELECT %s AS c FROM %s", quotePath(c.Path), from))
					if err != nil {
						t.Errorf("column %s (%s, declared by %s): %v", strings.Join(c.Path, "."), c.Type, r.Pipeline, err)
						continue
					}
					got, _ := rows[0]["column_type"].(string)
					if !compatible(c.Type, got) {
						t.Errorf("column %s: declared %s by %s, Parquet has %s", strings.Join(c.Path, "."), c.Type, r.Pipeline, got)
					}
					checked++
				}
			}
			t.Logf("%d typed columns of %s checked", checked, r.Pipeline)
			if checked == 0 {
				t.Errorf("pipeline %s declares no typed column of %s", r.Pipeline, r.Table)
			}
			if idField == "" {
				t.Fatalf("pipeline %s names no id field for %s", r.Pipeline, r.Table)
			}
			err := eng.Each(ctx, fmt.Sprintf("SELECT %s AS id FROM %s", quotePath(strings.Split(idField, ".")), from), func(row map[string]any) error {
				if id, ok := row["id"].(string); ok && wanted[id] {
					found[id] = true
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
		})
	}
	// Every record a label of a converted log names is in the Parquet;
	// proxy and build-log labels name lines that stay JSON.
	for _, l := range labels {
		if l.Finding.Log == "proxy" || l.Finding.Log == "buildlog" {
			continue
		}
		var missing []string
		for _, id := range l.EventIDs {
			if !found[id] {
				missing = append(missing, id)
			}
		}
		if len(missing) > 0 {
			t.Errorf("label %s (%s): %d of %d records not in the Parquet, e.g. %s", l.ID, l.Finding.Rule, len(missing), len(l.EventIDs), missing[0])
		}
	}
}

// TestParquetDeterministic converts two simulations of the same seed and
// compares their rows: DuckDB's Parquet writer does not promise the same
// bytes (row group layout and metadata may differ), so rows are compared,
// both ways, with EXCEPT ALL.
func TestParquetDeterministic(t *testing.T) {
	ctx := context.Background()
	a, b := t.TempDir(), t.TempDir()
	_, ra := simulateAndConvert(t, a)
	_, rb := simulateAndConvert(t, b)
	if len(ra) != len(rb) {
		t.Fatalf("%d and %d conversions", len(ra), len(rb))
	}
	eng, err := duckdb.Open(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	for i := range ra {
		if ra[i].Records != rb[i].Records {
			t.Errorf("%s: %d and %d records", ra[i].Table, ra[i].Records, rb[i].Records)
		}
		fa := fmt.Sprintf("read_parquet('%s', hive_partitioning = false)", glob(a, ra[i].Output))
		fb := fmt.Sprintf("read_parquet('%s', hive_partitioning = false)", glob(b, rb[i].Output))
		for _, q := range []string{
			fmt.Sprintf("SELECT count(*) AS n FROM (SELECT * FROM %s EXCEPT ALL SELECT * FROM %s)", fa, fb),
			fmt.Sprintf("SELECT count(*) AS n FROM (SELECT * FROM %s EXCEPT ALL SELECT * FROM %s)", fb, fa),
		} {
			rows, err := eng.Query(ctx, q)
			if err != nil {
				t.Fatal(err)
			}
			if n := fmt.Sprint(rows[0]["n"]); n != "0" {
				t.Errorf("%s: %s rows of one conversion are not in the other", ra[i].Table, n)
			}
		}
	}
}
