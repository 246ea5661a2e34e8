package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tokenhunt/tokenhunt/hunts/findings"
)

func TestReportCommand(t *testing.T) {
	dir := t.TempDir()
	at := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	var jl bytes.Buffer
	for i, id := range []string{"a", "b", "a"} { // a duplicate id across runs
		b, _ := json.Marshal(findings.Finding{
			ID: id, Hunt: "h", Source: "cloudtrail", Kind: "event", Count: 1, FiredAt: at.Add(time.Duration(i) * time.Hour),
			Rule:   findings.Rule{ID: "5f0e5798-0e7d-4e41-ac52-2c0ee34d4579", Title: "AWS IAM User Created", Level: "medium"},
			Entity: map[string]string{"principal": "arn:aws:iam::1:user/bob", "access_key_id": "AKIAIOSFODNN7EXAMPLE"},
		})
		jl.Write(append(b, '\n'))
	}
	in := filepath.Join(dir, "findings.jsonl")
	os.WriteFile(in, jl.Bytes(), 0o644)
	out := filepath.Join(dir, "r.html")

	run := func(args ...string) (string, error) {
		cmd := newReport()
		var stdout, stderr bytes.Buffer
		cmd.SetOut(&stdout)
		cmd.SetErr(&stderr)
		cmd.SetArgs(args)
		cmd.SilenceUsage, cmd.SilenceErrors = true, true
		err := cmd.Execute()
		return stdout.String() + stderr.String(), err
	}
	got, err := run(in, in, "-o", out, "--rules", "../../rules")
	if err != nil {
		t.Fatalf("report: %v\n%s", err, got)
	}
	if !strings.Contains(got, "2 findings") {
		t.Errorf("output %q, want 2 findings (merged without duplicates)", got)
	}
	page, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(page, []byte("AKIAIOSFODNN7EXAMPLE")) {
		t.Errorf("report prints a raw access key")
	}

	// -p: the rule's query for every backend, compiled with the pipeline.
	if got, err := run(in, "-o", out, "--rules", "../../rules/aws", "-p", "cloudtrail"); err != nil {
		t.Fatalf("report -p cloudtrail: %v\n%s", err, got)
	}
	page, _ = os.ReadFile(out)
	for _, be := range []string{"duckdb", "athena", "bigquery", "kql"} {
		if !bytes.Contains(page, []byte(`<div class="query" data-backend="`+be+`">`)) {
			t.Errorf("report -p cloudtrail: no %s query", be)
		}
	}
	if !bytes.Contains(page, []byte(`class="qlink"`)) {
		t.Errorf("report -p cloudtrail: findings do not link their rule's queries")
	}
	if _, err := run(in, "-o", out, "--rules", "../../rules/aws", "-p", "no-such-pipeline"); err == nil {
		t.Errorf("report -p no-such-pipeline: no error")
	}

	_, err = run(in)
	if ee, ok := err.(*exitError); !ok || ee.code != 2 || !strings.Contains(ee.Error(), "-o") {
		t.Errorf("report without -o: %v, want a usage error (exit 2) naming -o", err)
	}
	_, err = run(filepath.Join(dir, "missing.jsonl"), "-o", out)
	if ee, ok := err.(*exitError); !ok || ee.code != 2 {
		t.Errorf("report of a missing file: %v, want exit 2", err)
	}
}
