package compiler_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/tokenhunt/tokenhunt/backends"
	"github.com/tokenhunt/tokenhunt/compiler/ir"
)

// minConverted is, per target, the recorded number of SigmaHQ rules under
// rules/cloud and rules/identity (249 files) that convert to it. A count
// below its row is a regression and fails; raise a row when a target
// converts more. Every target in backends.All() needs a row.
var minConverted = map[string]int{
	"duckdb":   249,
	"athena":   249,
	"bigquery": 249,
	"kql":      249,
}

// TestCorpusTargets converts every SigmaHQ cloud and identity rule to every
// target, prints the table of counts, and requires each failure to be a
// positioned *ir.Error that names the target.
func TestCorpusTargets(t *testing.T) {
	corpus := cloudCorpus(t)
	files, results := corpus.Files, corpus.Results
	var table strings.Builder
	fmt.Fprintf(&table, "%-10s %9s %7s %8s\n", "target", "converted", "errors", "recorded")
	for _, b := range backends.All() {
		converted, failed := 0, 0
		for _, r := range results {
			_, err := b.Compile(r.Rule)
			if err == nil {
				converted++
				continue
			}
			failed++
			var e *ir.Error
			switch {
			case !errors.As(err, &e):
				t.Errorf("%s: %s: not an *ir.Error: %v", b.Name(), r.Source.File, err)
			case e.Pos.Line == 0:
				t.Errorf("%s: %s: error without a position: %v", b.Name(), r.Source.File, err)
			case !strings.Contains(e.Msg, b.Name()):
				t.Errorf("%s: %s: error does not name the target: %v", b.Name(), r.Source.File, err)
			}
		}
		min, ok := minConverted[b.Name()]
		recorded := fmt.Sprint(min)
		if !ok {
			recorded = "none"
			t.Errorf("no recorded count for target %s: add a row to minConverted", b.Name())
		} else if converted < min {
			t.Errorf("%s: %d of %d rules convert, fewer than the recorded %d", b.Name(), converted, len(files), min)
		}
		fmt.Fprintf(&table, "%-10s %9d %7d %8s\n", b.Name(), converted, failed, recorded)
	}
	t.Logf("SigmaHQ rules/cloud and rules/identity, %d files:\n%s", len(files), table.String())
}
