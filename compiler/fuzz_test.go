package compiler_test

import (
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/tools/txtar"

	"github.com/tokenhunt/tokenhunt/backends/duckdb"
	"github.com/tokenhunt/tokenhunt/compiler"
	"github.com/tokenhunt/tokenhunt/compiler/ir"
	"github.com/tokenhunt/tokenhunt/compiler/pipeline"
	"github.com/tokenhunt/tokenhunt/compiler/sigma"
	"github.com/tokenhunt/tokenhunt/internal/refeval"
)

// FuzzCompile feeds rule files through the whole compile path: YAML, rule,
// condition, modifiers, the cloudtrail pipeline, the DuckDB printer and
// DuckDB's parser. Nothing may panic; every error must carry a position;
// every query must parse. Seeds: the rules of testdata/golden.
func FuzzCompile(f *testing.F) {
	files, _ := filepath.Glob("../testdata/golden/*.txtar")
	for _, file := range files {
		ar, err := txtar.ParseFile(file)
		if err != nil {
			f.Fatal(err)
		}
		for _, af := range ar.Files {
			if af.Name == "rule.yml" {
				f.Add(af.Data)
			}
		}
	}
	ps, err := pipeline.ResolveAll([]string{"cloudtrail"})
	if err != nil {
		f.Fatal(err)
	}
	eng, err := duckdb.Open(f.Context())
	if err != nil {
		f.Fatal(err)
	}
	defer eng.Close()
	be := duckdb.New()
	f.Fuzz(func(t *testing.T, data []byte) {
		rules, errs := sigma.ParseFile("fuzz.yml", data)
		results, cerrs := compiler.Compile(rules, ps)
		for _, e := range append(errs, cerrs...) {
			checkPositioned(t, e)
		}
		for _, r := range results {
			if err := refeval.Check(r.Rule.Where); err != nil {
				t.Fatalf("compiled IR fails the reference check: %v\n%s", err, ir.FormatRule(r.Rule))
			}
			q, err := be.Compile(r.Rule)
			if err != nil {
				e, ok := err.(*ir.Error)
				if !ok {
					t.Fatalf("backend error is %T, not *ir.Error: %v", err, err)
				}
				checkPositioned(t, e)
				continue
			}
			if err := parsesInDuckDB(eng, q); err != nil {
				t.Fatalf("DuckDB does not parse the query: %v\n%s\n%s", err, q, ir.FormatRule(r.Rule))
			}
		}
	})
}

func checkPositioned(t *testing.T, e *ir.Error) {
	t.Helper()
	if e.Pos.File == "" || e.Pos.Line < 1 || e.Pos.Col < 1 {
		t.Fatalf("error without a file:line:col: %v", e)
	}
	if e.Msg == "" || strings.TrimSpace(e.Msg) != e.Msg {
		t.Fatalf("error with an empty or padded message: %q", e.Msg)
	}
}
