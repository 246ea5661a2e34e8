package ir_test

import (
	"net/netip"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/tokenhunt/tokenhunt/compiler/ir"
	"github.com/tokenhunt/tokenhunt/compiler/pipeline"
	"github.com/tokenhunt/tokenhunt/compiler/sigma"
	"github.com/tokenhunt/tokenhunt/internal/goldentest"
)

// exprOpts compares expressions as Parse promises: positions aside, empty
// slices equal to nil.
var exprOpts = cmp.Options{
	cmpopts.IgnoreFields(ir.Field{}, "Pos"),
	cmpopts.IgnoreFields(ir.Keyword{}, "Pos"),
	cmpopts.EquateEmpty(),
	cmp.Comparer(func(a, b netip.Prefix) bool { return a == b }),
}

// sameExpr is cmp.Equal(a, b, exprOpts), fast: cmp's time grows
// exponentially with the nesting of And and Or.
func sameExpr(a, b ir.Expr) bool { return reflect.DeepEqual(strip(a), strip(b)) }

// strip clears positions and turns empty slices into nil.
func strip(e ir.Expr) ir.Expr {
	field := func(f ir.Field) ir.Field {
		f.Pos = ir.Pos{}
		if c := f.Column; c != nil {
			c2 := *c
			if len(c2.Path) == 0 {
				c2.Path = nil
			}
			if len(c2.JSON) == 0 {
				c2.JSON = nil
			}
			f.Column = &c2
		}
		return f
	}
	pattern := func(p ir.Pattern) ir.Pattern {
		if len(p) == 0 {
			return nil
		}
		return p
	}
	out, _ := ir.Rewrite(e, func(e ir.Expr) (ir.Expr, error) {
		switch e := e.(type) {
		case ir.Match:
			e.Field, e.Pattern = field(e.Field), pattern(e.Pattern)
			return e, nil
		case ir.Regex:
			e.Field = field(e.Field)
			return e, nil
		case ir.Compare:
			e.Field = field(e.Field)
			return e, nil
		case ir.BoolEq:
			e.Field = field(e.Field)
			return e, nil
		case ir.IsNull:
			e.Field = field(e.Field)
			return e, nil
		case ir.CIDR:
			e.Field = field(e.Field)
			if len(e.Prefixes) == 0 {
				e.Prefixes = nil
			}
			return e, nil
		case ir.FieldRef:
			e.Field, e.Other = field(e.Field), field(e.Other)
			return e, nil
		case ir.Time:
			e.Field = field(e.Field)
			return e, nil
		case ir.Keyword:
			e.Pos, e.Pattern = ir.Pos{}, pattern(e.Pattern)
			return e, nil
		}
		return e, nil
	})
	return out
}

// TestParseGolden reads the expression of every golden detection rule's ir
// section: it must parse, print back to the same text at the same layout,
// and equal the IR the compiler makes from the case's rule.
func TestParseGolden(t *testing.T) {
	files, err := filepath.Glob("../../testdata/golden/*.txtar")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, file := range files {
		c, err := goldentest.Read(file)
		if err != nil {
			t.Fatal(err)
		}
		sections := c.Sections
		irText, ok := sections["ir"]
		if !ok || !strings.HasPrefix(irText, "rule ") {
			continue // an error case, or a correlation
		}
		n++
		t.Run(strings.TrimSuffix(filepath.Base(file), ".txtar"), func(t *testing.T) {
			_, exprText, ok := strings.Cut(irText, "\n  where\n")
			if !ok {
				t.Fatalf("ir section without a where line:\n%s", irText)
			}
			got, err := ir.Parse(exprText)
			if err != nil {
				t.Fatalf("Parse: %v\n%s", err, exprText)
			}
			// FormatRule indents the expression by four spaces within 100
			// columns: Format at width 96, every line shifted by four.
			again := "    " + strings.ReplaceAll(ir.Format(got, 96), "\n", "\n    ") + "\n"
			if diff := cmp.Diff(exprText, again); diff != "" {
				t.Errorf("Format(Parse(text)) (-want +got):\n%s", diff)
			}
			if want := compileCase(t, c); !sameExpr(want, got) {
				t.Errorf("Parse(text) differs from the compiled IR (-want +got):\n%s", cmp.Diff(want, got, exprOpts))
			}
		})
	}
	if n < 50 {
		t.Errorf("only %d golden files with an ir section", n)
	}
}

// compileCase lowers a golden case's rule and applies its pipeline, as
// compiler.Compile does for the golden test.
func compileCase(t *testing.T, c *goldentest.Case) ir.Expr {
	t.Helper()
	r, _, err := c.Rule() // filters apply to the rules they name
	if err != nil || r == nil {
		t.Fatalf("compile: %v", err)
	}
	return r.Where
}

// TestParseCorpus round-trips the IR of every SigmaHQ rule, as lowered
// (fields unresolved) and after the default same-name mapping.
func TestParseCorpus(t *testing.T) {
	const root = "../../../shared/corpus/sigmahq"
	if _, err := os.Stat(root); err != nil {
		t.Skipf("SigmaHQ corpus not found at %s: %v", root, err)
	}
	var files []string
	err := filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(p, ".yml") {
			files = append(files, p)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	rules, _ := sigma.LoadFiles(files)
	vars := func(name string) ([]string, bool) { return []string{"%" + name + "%"}, true }
	n := 0
	for _, r := range rules {
		lowered, errs := sigma.Lower(r, vars)
		if len(errs) > 0 || lowered == nil {
			continue
		}
		applied, err := pipeline.Set{}.Apply(lowered)
		if err != nil {
			// Keyword searches need a pipeline; round-trip the lowered IR only.
			applied = lowered
		}
		for _, e := range []ir.Expr{lowered.Where, applied.Where} {
			for _, width := range []int{0, 100} {
				text := ir.Format(e, width)
				got, err := ir.Parse(text)
				if err != nil {
					t.Fatalf("%s: Parse: %v\n%s", r.File, err, text)
				}
				if !sameExpr(e, got) {
					t.Fatalf("%s: Parse(Format(e)) (-want +got):\n%s", r.File, cmp.Diff(e, got, exprOpts))
				}
			}
		}
		n++
	}
	if n < 3000 {
		t.Errorf("round-tripped only %d of %d rules", n, len(rules))
	}
	t.Logf("%d rules round-tripped", n)
}
