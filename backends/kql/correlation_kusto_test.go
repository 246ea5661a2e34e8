package kql_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tokenhunt/tokenhunt/backends/kql"
	"github.com/tokenhunt/tokenhunt/compiler/ir"
	"github.com/tokenhunt/tokenhunt/internal/goldentest"
	"github.com/tokenhunt/tokenhunt/internal/kustocheck"
)

// compileGoldenCorrelation runs a correlation golden case through the
// front end and the case's pipeline; nil when the case is not one
// correlation.
func compileGoldenCorrelation(t *testing.T, file string) *ir.Correlation {
	t.Helper()
	c, err := goldentest.Read(file)
	if err != nil {
		t.Fatal(err)
	}
	set, _, errs, err := c.Compile()
	if err != nil {
		t.Fatal(err)
	}
	top := set.Outermost()
	if len(errs) > 0 || len(top) != 1 {
		return nil
	}
	return top[0].Correlation
}

// correlationSchema is every table a correlation reads, with the columns
// its base rules and correlation fields read, typed as the printer
// expects them.
func correlationSchema(c *ir.Correlation) map[string]map[string]string {
	out := map[string]map[string]string{}
	for _, b := range c.RuleBases() {
		args := []ir.Expr{b.Rule.Where, ir.IsNull{Field: b.Time}, ir.IsNull{Field: b.ID}}
		for _, f := range append(append([]ir.Field(nil), b.Group...), b.Terms...) {
			args = append(args, ir.IsNull{Field: f})
		}
		if b.Value != nil {
			args = append(args, ir.IsNull{Field: *b.Value})
		}
		cols := kql.Schema(ir.And{Args: args})
		if out[b.Rule.Table] == nil {
			out[b.Rule.Table] = map[string]string{}
		}
		for k, v := range cols {
			if old, ok := out[b.Rule.Table][k]; ok && old != v {
				v = "dynamic"
			}
			out[b.Rule.Table][k] = v
		}
	}
	return out
}

// TestKustoCorrelations: Microsoft's Kusto.Language parses and analyses
// the query of every correlation golden case against the tables it reads,
// without an error diagnostic.
func TestKustoCorrelations(t *testing.T) {
	files, err := filepath.Glob("../../testdata/golden/corr_*.txtar")
	if err != nil || len(files) == 0 {
		t.Fatalf("no correlation golden files: %v", err)
	}
	var qs []kustocheck.Query
	types := map[ir.CorrelationType]bool{}
	for _, file := range files {
		c := compileGoldenCorrelation(t, file)
		if c == nil {
			continue
		}
		q, err := kql.New().CompileCorrelation(c)
		if err != nil {
			t.Errorf("%s: %v", filepath.Base(file), err)
			continue
		}
		types[c.Type] = true
		qs = append(qs, kustocheck.Query{ID: filepath.Base(file), Query: q, Tables: correlationSchema(c)})
	}
	for _, tc := range corrUnitCases() {
		c := tc.corr(t)
		q, err := kql.New().CompileCorrelation(c)
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		qs = append(qs, kustocheck.Query{ID: "unit " + tc.name, Query: q, Tables: correlationSchema(c)})
	}
	if len(types) < 8 {
		t.Errorf("the golden cases cover %d correlation types, want all 8", len(types))
	}
	for i, r := range kustocheck.Check(t, kustoDir, qs) {
		if len(r.Errors) > 0 {
			t.Errorf("%s: Kusto.Language rejects\n%s%s", r.ID, qs[i].Query, describe(qs[i], r))
		}
	}
	if os.Getenv("KQL_PRINT") != "" {
		for _, q := range qs {
			t.Logf("%s\n%s", q.ID, strings.TrimSpace(q.Query))
		}
	}
}
