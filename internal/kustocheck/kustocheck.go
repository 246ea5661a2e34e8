// Package kustocheck parses and analyses KQL with Microsoft's
// Kusto.Language (tools/kusto, installed by `make tools`), so that tests of
// several packages can assert that what they print for Sentinel is KQL
// that names only the columns of the tables it reads.
package kustocheck

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// SkipEnv names the environment variable that turns a missing tool into a
// skipped test instead of a failed one.
const SkipEnv = "TOKENHUNT_SKIP_TOOLS"

// Query is one query for check.js, analysed against Tables (table ->
// column -> KQL type). With Literals the result lists the value of every
// string literal of the query, as Kusto.Language's lexer decodes it.
type Query struct {
	ID       string                       `json:"id"`
	Query    string                       `json:"query"`
	Tables   map[string]map[string]string `json:"tables"`
	Literals bool                         `json:"literals,omitempty"`
}

// Diagnostic is an error diagnostic of Kusto.Language: its code (KS142 is
// an unknown column), message and the byte range of the query it points at.
type Diagnostic struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Start   int    `json:"start"`
	Length  int    `json:"length"`
}

// Excerpt is the text of query the diagnostic points at, at least 40
// bytes of it when the query is that long, clamped to the query.
func (d Diagnostic) Excerpt(query string) string {
	start := min(max(d.Start, 0), len(query))
	end := min(start+max(d.Length, 40), len(query))
	return query[start:end]
}

// Result is check.js's answer for one query: its error diagnostics (none
// when the query is valid) and, when the query asked, its literals.
type Result struct {
	ID       string       `json:"id"`
	Errors   []Diagnostic `json:"errors"`
	Literals []string     `json:"literals"`
}

// Check parses and analyses queries with toolDir/check.js, in one node
// run, and returns their results in the same order. When node or
// Kusto.Language is missing the test fails (the message says to run `make
// tools`), or is skipped when TOKENHUNT_SKIP_TOOLS=1.
func Check(t testing.TB, toolDir string, queries []Query) []Result {
	t.Helper()
	node, err := exec.LookPath("node")
	if err == nil {
		_, err = os.Stat(filepath.Join(toolDir, "node_modules", "@kusto", "language-service-next", "Kusto.Language.Bridge.min.js"))
	}
	if err != nil {
		if os.Getenv(SkipEnv) == "1" {
			t.Skipf("Kusto.Language cannot run (%v); %s=1", err, SkipEnv)
		}
		t.Fatalf("Kusto.Language cannot run (%v): run `make tools`", err)
	}
	if queries == nil {
		queries = []Query{} // check.js wants an array, not null
	}
	data, err := json.Marshal(queries)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(node, filepath.Join(toolDir, "check.js"))
	cmd.Stdin = bytes.NewReader(data)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("check.js: %v\n%s", err, stderr.String())
	}
	var res []Result
	if err := json.Unmarshal(out, &res); err != nil {
		t.Fatalf("check.js output: %v\n%.500s", err, out)
	}
	if len(res) != len(queries) {
		t.Fatalf("check.js answered %d of %d queries", len(res), len(queries))
	}
	for i, r := range res {
		if r.ID != queries[i].ID {
			t.Fatalf("check.js answered %q in the place of %q", r.ID, queries[i].ID)
		}
	}
	return res
}
