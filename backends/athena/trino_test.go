package athena_test

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tokenhunt/tokenhunt/backends/athena"
	"github.com/tokenhunt/tokenhunt/compiler/ir"
	"github.com/tokenhunt/tokenhunt/internal/goldentest"
)

const (
	trinoTool = "../../tools/trino"
	goldenDir = "../../testdata/golden"
	corpusDir = "../../../shared/corpus/sigmahq"
)

type checked struct {
	ID     string `json:"id"`
	Errors []struct {
		Line    int    `json:"line"`
		Column  int    `json:"column"`
		Message string `json:"message"`
	} `json:"errors"`
}

// trinoGrammar parses queries (id -> query) with the Trino grammar of
// dt-sql-parser (tools/trino/check.js) and returns the syntax errors by id.
func trinoGrammar(t *testing.T, queries map[string]string) map[string]string {
	t.Helper()
	node, err := exec.LookPath("node")
	if err == nil {
		_, err = os.Stat(filepath.Join(trinoTool, "dist", "trino.cjs"))
	}
	if err != nil {
		if os.Getenv("TOKENHUNT_SKIP_TOOLS") == "1" {
			t.Skipf("the Trino grammar cannot run (%v); TOKENHUNT_SKIP_TOOLS=1", err)
		}
		t.Fatalf("the Trino grammar cannot run (%v): run `make tools`", err)
	}
	type input struct {
		ID    string `json:"id"`
		Query string `json:"query"`
	}
	var in []input
	for id, q := range queries {
		in = append(in, input{id, q})
	}
	data, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(node, filepath.Join(trinoTool, "check.js"))
	cmd.Stdin = strings.NewReader(string(data))
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("check.js: %v\n%s", err, stderr.String())
	}
	var res []checked
	if err := json.Unmarshal(out, &res); err != nil {
		t.Fatalf("check.js output: %v", err)
	}
	if len(res) != len(in) {
		t.Fatalf("check.js answered %d of %d queries", len(res), len(in))
	}
	errs := map[string]string{}
	for _, r := range res {
		if len(r.Errors) > 0 {
			var msgs []string
			for _, e := range r.Errors {
				msgs = append(msgs, fmt.Sprintf("%d:%d: %s", e.Line, e.Column, e.Message))
			}
			errs[r.ID] = strings.Join(msgs, "; ")
		}
	}
	return errs
}

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
	errs := trinoGrammar(t, queries)
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
