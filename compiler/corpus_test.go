package compiler_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tokenhunt/tokenhunt/compiler"
	"github.com/tokenhunt/tokenhunt/compiler/ir"
)

// corpusDir is the SigmaHQ rule repository shared beside the project.
const corpusDir = "../../shared/corpus/sigmahq"

// knownDefects lists SigmaHQ rules that fail for a real defect of the rule,
// with the start of the expected error. Keep it in sync with README.md.
var knownDefects = map[string]string{}

func corpusFiles(t *testing.T, sub ...string) []string {
	t.Helper()
	root := filepath.Join(append([]string{corpusDir}, sub...)...)
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
	return files
}

// TestCorpusParses: every SigmaHQ rule parses and lowers to IR, or fails
// with a positioned error listed in knownDefects.
func TestCorpusParses(t *testing.T) {
	files := corpusFiles(t)
	rules, errs := compiler.Load(files)
	errs = append(errs, compiler.LowerOnly(rules)...)
	failed := map[string]bool{}
	for _, e := range errs {
		if e.Warning {
			continue
		}
		rel, _ := filepath.Rel(corpusDir, e.Pos.File)
		failed[rel] = true
		want, known := knownDefects[rel]
		switch {
		case e.Pos.Line == 0 || e.Pos.Col == 0:
			t.Errorf("error without a position: %v", e)
		case !known:
			t.Errorf("unexpected error: %v", e)
		case !strings.Contains(e.Error(), want):
			t.Errorf("%s: error %q does not name the known defect %q", rel, e.Error(), want)
		}
	}
	for rel := range knownDefects {
		if !failed[rel] {
			t.Errorf("%s is listed as defective but now compiles: remove it from knownDefects and the README", rel)
		}
	}
	if len(rules) < 3000 {
		t.Errorf("parsed only %d rules from %d files; the corpus has about 3,800", len(rules), len(files))
	}
	t.Logf("%d files, %d rules parsed and lowered, %d known defects", len(files), len(rules), len(knownDefects))
	_ = ir.Errors(nil)
}
