package duckdb_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/tokenhunt/tokenhunt/backends/duckdb"
	"github.com/tokenhunt/tokenhunt/backends/sql"
	"github.com/tokenhunt/tokenhunt/compiler/ir"
	"github.com/tokenhunt/tokenhunt/internal/irtest"
)

// Builders for hand-made IR with resolved columns (internal/irtest).
var (
	fld   = irtest.Field
	typed = irtest.Typed
	jsonf = irtest.JSONField
	pat   = irtest.Pat
	ci    = irtest.CI
	cs    = irtest.CS
	not   = irtest.Not
	num   = irtest.Num
	star  = irtest.Star
	one   = irtest.One
)

// writeJSONL writes records as JSON lines.
func writeJSONL(t *testing.T, path string, records []map[string]any) {
	t.Helper()
	var b strings.Builder
	for _, r := range records {
		line, err := json.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		b.Write(line)
		b.WriteByte('\n')
	}
	writeFile(t, path, b.String())
}

func writeFile(t *testing.T, path, text string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

func openEngine(t *testing.T) *duckdb.Engine {
	t.Helper()
	e, err := duckdb.Open(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	return e
}

// ids runs a query and returns the sorted values of its "id" column.
func ids(t *testing.T, e *duckdb.Engine, query string) []string {
	t.Helper()
	rows, err := e.Query(context.Background(), query)
	if err != nil {
		t.Fatalf("query %s: %v", query, err)
	}
	out := []string{}
	for _, r := range rows {
		out = append(out, fmt.Sprint(r["id"]))
	}
	sort.Strings(out)
	return out
}

// compile prints a condition over a table with the dialect.
func compile(t *testing.T, d sql.Dialect, table string, where ir.Expr) string {
	t.Helper()
	q, err := sql.Select(d, &ir.Rule{ID: "test", Table: table, Where: where})
	if err != nil {
		t.Fatalf("compile %s: %v", ir.Flat(where), err)
	}
	return q
}

// likeOnly is the DuckDB dialect without starts_with, ends_with and
// contains, so that the printer's LIKE forms run too.
func likeOnly() sql.Dialect {
	d := duckdb.Dialect()
	d.StartsWith, d.EndsWith, d.Contains = nil, nil, nil
	return d
}

func idList(prefix string, nums ...int) []string {
	out := make([]string, len(nums))
	for i, n := range nums {
		out[i] = fmt.Sprintf("%s%02d", prefix, n)
	}
	sort.Strings(out)
	return out
}

func idRange(prefix string, from, to int, except ...int) []string {
	skip := map[int]bool{}
	for _, x := range except {
		skip[x] = true
	}
	var nums []int
	for i := from; i <= to; i++ {
		if !skip[i] {
			nums = append(nums, i)
		}
	}
	return idList(prefix, nums...)
}
