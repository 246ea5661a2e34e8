package rules_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tokenhunt/tokenhunt/backends/athena"
)

// The validators `make tools` installs: the Trino grammar of dt-sql-parser
// (Athena) and Microsoft's Kusto.Language (KQL).
const (
	trinoDir = "../tools/trino"
	kustoDir = "../tools/kusto"
)

// TestLibraryPassesTrinoGrammar parses every Athena query of the library
// (detection rules, base rules and correlations, with every Athena
// pipeline) with the Trino grammar and with athena.Check.
func TestLibraryPassesTrinoGrammar(t *testing.T) {
	queries, _ := compileLibrary(t)
	qs := queries["athena"]
	if len(qs) == 0 {
		t.Fatal("the library compiled to no Athena query")
	}
	type input struct {
		ID    string `json:"id"`
		Query string `json:"query"`
	}
	var in []input
	for _, q := range qs {
		in = append(in, input{q.id, q.query})
		if err := athena.Check(q.query); err != nil {
			t.Errorf("%s: Check: %v\n%s", q.id, err, q.query)
		}
	}
	var out []struct {
		ID     string `json:"id"`
		Errors []struct {
			Line    int    `json:"line"`
			Column  int    `json:"column"`
			Message string `json:"message"`
		} `json:"errors"`
	}
	runNode(t, trinoDir, filepath.Join("dist", "trino.cjs"), in, &out)
	if len(out) != len(in) {
		t.Fatalf("check.js answered %d of %d queries", len(out), len(in))
	}
	for i, r := range out {
		for _, e := range r.Errors {
			t.Errorf("%s: the Trino grammar rejects %d:%d: %s\n%s", r.ID, e.Line, e.Column, e.Message, in[i].Query)
		}
	}
	t.Logf("%d Athena queries parse with the Trino grammar and pass Check", len(in))
}

// TestLibraryPassesKustoAnalyser has Kusto.Language parse and analyse every
// KQL query of the library against the tables it reads (the columns its
// rules read, typed as the pipeline declares them): no error diagnostic.
func TestLibraryPassesKustoAnalyser(t *testing.T) {
	queries, _ := compileLibrary(t)
	qs := queries["kql"]
	if len(qs) == 0 {
		t.Fatal("the library compiled to no KQL query")
	}
	type input struct {
		ID     string                       `json:"id"`
		Query  string                       `json:"query"`
		Tables map[string]map[string]string `json:"tables"`
	}
	var in []input
	for _, q := range qs {
		in = append(in, input{q.id, q.query, q.tables})
	}
	var out []struct {
		ID     string `json:"id"`
		Errors []struct {
			Code    string `json:"code"`
			Message string `json:"message"`
			Start   int    `json:"start"`
		} `json:"errors"`
	}
	runNode(t, kustoDir, filepath.Join("node_modules", "@kusto", "language-service-next", "Kusto.Language.Bridge.min.js"), in, &out)
	if len(out) != len(in) {
		t.Fatalf("check.js answered %d of %d queries", len(out), len(in))
	}
	for i, r := range out {
		for _, e := range r.Errors {
			at := in[i].Query[min(max(e.Start, 0), len(in[i].Query)):]
			t.Errorf("%s: Kusto.Language: %s %s at %q\n%s", r.ID, e.Code, e.Message, at[:min(len(at), 40)], in[i].Query)
		}
	}
	t.Logf("Kusto.Language analysed %d KQL queries", len(in))
}

// runNode runs dir/check.js with in as JSON on its standard input and
// decodes its output into out. Without node or the tool (need, under dir)
// the test fails with how to install it, or skips with
// TOKENHUNT_SKIP_TOOLS=1.
func runNode(t *testing.T, dir, need string, in, out any) {
	t.Helper()
	node, err := exec.LookPath("node")
	if err == nil {
		_, err = os.Stat(filepath.Join(dir, need))
	}
	if err != nil {
		if os.Getenv("TOKENHUNT_SKIP_TOOLS") == "1" {
			t.Skipf("%s cannot run (%v); TOKENHUNT_SKIP_TOOLS=1", dir, err)
		}
		t.Fatalf("%s cannot run (%v): run `make tools`", dir, err)
	}
	data, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(node, "check.js")
	cmd.Dir = dir
	cmd.Stdin = bytes.NewReader(data)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	res, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s/check.js: %v\n%s", dir, err, stderr.String())
	}
	if err := json.Unmarshal(res, out); err != nil {
		t.Fatalf("%s/check.js output: %v\n%s", dir, err, fmt.Sprintf("%.500s", res))
	}
}
