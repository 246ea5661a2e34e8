// Package trinocheck parses SQL text with the Trino grammar of dt-sql-parser
// (tools/trino, installed by `make tools`), so that tests of several
// packages can assert that what they send to Athena is Trino SQL.
package trinocheck

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// SkipEnv names the environment variable that turns a missing tool into a
// skipped test instead of a failed one.
const SkipEnv = "TOKENHUNT_SKIP_TOOLS"

// Errors parses queries (id -> query) with toolDir/check.js and returns the
// syntax errors by id, as "line:col: message" joined by "; ". A query that
// parses has no entry. When node or the bundle is missing the test fails
// (the message says to run `make tools`), or is skipped when
// TOKENHUNT_SKIP_TOOLS=1.
func Errors(t testing.TB, toolDir string, queries map[string]string) map[string]string {
	t.Helper()
	node, err := exec.LookPath("node")
	if err == nil {
		_, err = os.Stat(filepath.Join(toolDir, "dist", "trino.cjs"))
	}
	if err != nil {
		if os.Getenv(SkipEnv) == "1" {
			t.Skipf("the Trino grammar cannot run (%v); %s=1", err, SkipEnv)
		}
		t.Fatalf("the Trino grammar cannot run (%v): run `make tools`", err)
	}
	type input struct {
		ID    string `json:"id"`
		Query string `json:"query"`
	}
	ids := make([]string, 0, len(queries))
	for id := range queries {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	in := make([]input, 0, len(ids))
	for _, id := range ids {
		in = append(in, input{id, queries[id]})
	}
	data, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(node, filepath.Join(toolDir, "check.js"))
	cmd.Stdin = strings.NewReader(string(data))
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("check.js: %v\n%s", err, stderr.String())
	}
	var res []struct {
		ID     string `json:"id"`
		Errors []struct {
			Line    int    `json:"line"`
			Column  int    `json:"column"`
			Message string `json:"message"`
		} `json:"errors"`
	}
	if err := json.Unmarshal(out, &res); err != nil {
		t.Fatalf("check.js output: %v", err)
	}
	if len(res) != len(in) {
		t.Fatalf("check.js answered %d of %d queries", len(res), len(in))
	}
	errs := map[string]string{}
	for _, r := range res {
		if len(r.Errors) == 0 {
			continue
		}
		var msgs []string
		for _, e := range r.Errors {
			msgs = append(msgs, fmt.Sprintf("%d:%d: %s", e.Line, e.Column, e.Message))
		}
		errs[r.ID] = strings.Join(msgs, "; ")
	}
	return errs
}
