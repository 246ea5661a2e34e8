package main

import (
	"bytes"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/tokenhunt/tokenhunt/backends"
	"github.com/tokenhunt/tokenhunt/compiler/pipeline"
)

func runList(t *testing.T, args ...string) (string, error) {
	t.Helper()
	cmd := newList()
	var out, errb bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetErr(&errb)
	cmd.SetArgs(args)
	cmd.SilenceUsage, cmd.SilenceErrors = true, true
	err := cmd.Execute()
	return out.String(), err
}

func TestList(t *testing.T) {
	out, err := runList(t, "targets")
	if err != nil {
		t.Fatalf("list targets: %v", err)
	}
	var want []string
	for _, b := range backends.All() {
		want = append(want, b.Name())
	}
	if diff := cmp.Diff(want, strings.Fields(out)); diff != "" {
		t.Errorf("list targets (-want +got):\n%s", diff)
	}

	out, err = runList(t, "modifiers")
	if err != nil {
		t.Fatalf("list modifiers: %v", err)
	}
	mods := strings.Fields(out)
	for _, m := range []string{"all", "base64offset", "cased", "cidr", "contains", "endswith", "exists", "expand", "fieldref", "gt", "re", "startswith", "utf16le", "windash"} {
		if !slices.Contains(mods, m) {
			t.Errorf("list modifiers lacks %q: %v", m, mods)
		}
	}

	out, err = runList(t, "pipelines")
	if err != nil {
		t.Fatalf("list pipelines: %v", err)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != len(pipeline.Builtin()) {
		t.Errorf("list pipelines printed %d lines for %d pipelines:\n%s", len(lines), len(pipeline.Builtin()), out)
	}
	for _, name := range []string{"cloudtrail-athena", "securitylake-ocsf", "sentinel-awscloudtrail", "sentinel-entra", "entra-duckdb", "gcp-bigquery", "sentinel-gcp", "gcp-duckdb"} {
		if !strings.Contains(out, name+" ") {
			t.Errorf("list pipelines lacks %s:\n%s", name, out)
		}
	}
	for _, l := range lines {
		if len(strings.Fields(l)) < 2 {
			t.Errorf("pipeline line without a description: %q", l)
		}
	}

	for _, bad := range [][]string{{}, {"rules"}, {"targets", "pipelines"}} {
		if _, err := runList(t, bad...); err == nil {
			t.Errorf("list %v: no error", bad)
		}
	}
}
