package athena_test

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/tokenhunt/tokenhunt/backends/athena"
	"github.com/tokenhunt/tokenhunt/compiler/ir"
	"github.com/tokenhunt/tokenhunt/internal/goldentest"
	"github.com/tokenhunt/tokenhunt/internal/trinocheck"
)

const (
	trinoTool = "../../tools/trino"
	goldenDir = "../../testdata/golden"
	corpusDir = "../../../shared/corpus/sigmahq"
)

// TestTrinoGrammar parses every query the backend prints (the cases of
// TestCompileSQL, the athena section of every golden case and every
// SigmaHQ rule under rules/cloud and rules/identity) with the Trino grammar
// and with Check, and requires both to find nothing. Queries with the
// mistakes of other dialects must fail the grammar or Check: the checks
// can tell.
func TestTrinoGrammar(t *testing.T) {
	queries := map[string]string{}
	for _, tc := range compileCases() {
		queries["case "+tc.name] = compile(t, tc.where)
	}
	golden := goldenQueries(t)
	for name, q := range golden {
		queries["golden "+name] = q
	}
	corpus := corpusQueries(t)
	for name, q := range corpus {
		queries["corpus "+name] = q
	}
	bad := map[string]string{
		"bad ilike":      `SELECT * FROM "t" WHERE "a" ILIKE 'x%'`,
		"bad cast":       `SELECT * FROM "t" WHERE "a"::VARCHAR = 'x'`,
		"bad paren":      `SELECT * FROM "t" WHERE (lower("a") = 'x'`,
		"bad incomplete": `SELECT * FROM "t" WHERE`,
		"bad string":     `SELECT * FROM "t" WHERE "a" = "b' AND 1 = 1`,
	}
	for id, q := range bad {
		queries[id] = q
	}
	errs := trinocheck.Errors(t, trinoTool, queries)
	for id := range bad {
		if errs[id] == "" {
			t.Errorf("the Trino grammar accepts %s: %s", id, bad[id])
		}
	}
	for id, q := range queries {
		if _, isBad := bad[id]; isBad {
			continue
		}
		if e := errs[id]; e != "" {
			t.Errorf("%s: the Trino grammar rejects the query: %s\n%s", id, e, q)
		}
		if err := athena.Check(q); err != nil {
			t.Errorf("%s: Check: %v\n%s", id, err, q)
		}
	}
	t.Logf("%d unit cases, %d golden queries, %d SigmaHQ queries parse with the Trino grammar and pass Check",
		len(compileCases()), len(golden), len(corpus))
}

// goldenQueries are the athena sections of the golden cases that hold a
// query (the others hold the error).
func goldenQueries(t *testing.T) map[string]string {
	t.Helper()
	cases, err := goldentest.Load(goldenDir)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, c := range cases {
		q, ok := c.Sections["athena"]
		if q = strings.TrimSpace(q); ok && !strings.HasPrefix(q, "ERROR: ") {
			out[c.Name] = q
		}
	}
	if len(out) == 0 {
		t.Fatalf("no golden case has an athena query: regenerate the golden files")
	}
	return out
}

// corpusQueries compiles the SigmaHQ rules under rules/cloud and
// rules/identity for athena, with the pipelines of the DuckDB corpus test.
// Every rule must convert or fail with a positioned error naming athena.
func corpusQueries(t *testing.T) map[string]string {
	t.Helper()
	corpus, err := goldentest.LoadCloudCorpus("../..")
	if err != nil {
		t.Fatal(err)
	}
	if corpus == nil {
		t.Logf("SigmaHQ corpus not found beside the project: its rules are not checked")
		return nil
	}
	for _, e := range corpus.Errs {
		t.Errorf("%v", e)
	}
	results := corpus.Results
	out := map[string]string{}
	for _, r := range results {
		q, err := athena.New().Compile(r.Rule)
		if err != nil {
			ie, ok := err.(*ir.Error)
			if !ok || ie.Pos.Line == 0 || !strings.HasPrefix(ie.Msg, "athena: ") {
				t.Errorf("%s: %v: want a positioned error naming athena", r.Source.File, err)
			}
			continue
		}
		rel, _ := filepath.Rel(corpusDir, r.Source.File)
		out[rel+" "+r.Rule.ID] = q
	}
	if len(out) < len(corpus.Files)*9/10 {
		t.Errorf("only %d of %d SigmaHQ cloud and identity rules convert to athena", len(out), len(corpus.Files))
	}
	return out
}
