package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/tokenhunt/tokenhunt/internal/simulate"
)

// simulateCLI runs the simulate command alone (the root command wires it
// separately).
func simulateCLI(t *testing.T, args ...string) (stdout string, err error) {
	t.Helper()
	var out, errOut bytes.Buffer
	cmd := newSimulate()
	cmd.SetArgs(args)
	cmd.SetOut(&out)
	cmd.SetErr(&errOut)
	cmd.SilenceUsage, cmd.SilenceErrors = true, true
	err = cmd.ExecuteContext(context.Background())
	return out.String(), err
}

func TestSimulateCommand(t *testing.T) {
	dir := t.TempDir()
	out, err := simulateCLI(t, "--out", dir, "--seed", "7", "--duration", "6h", "--events", "3000", "--clouds", "aws,ci",
		"--scenario", "aws-persistence", "--scenario", "ci-token-leak@1h,3h")
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	for _, want := range []string{"simulated 2026-11-02T00:00:00Z to 2026-11-02T06:00:00Z", " cloudtrail\n", " buildlog\n", "labels"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	labels, err := simulate.ReadLabels(filepath.Join(dir, "labels.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]int{}
	for _, l := range labels {
		got[l.Finding.Rule]++
	}
	want := map[string]int{
		"aws.persistence.user_created": 1, "aws.persistence.admin_policy_attached": 1, "aws.persistence.access_key_for_other_user": 1,
		"aws.persistence.login_profile_for_other_user": 1, "aws.persistence.trust_policy_opened": 1,
		"cicd.token_in_build_log": 2, "aws.session_token_replay": 1, // the second leak prints a Google token: no AWS use
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("labels (-want +got):\n%s", diff)
	}
	if _, err := os.Stat(filepath.Join(dir, "entra")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("entra written though --clouds left it out: %v", err)
	}
	// Again into the same folder: refused, then replaced with --force.
	if _, err := simulateCLI(t, "--out", dir, "--events", "3000", "--duration", "6h"); err == nil || !strings.Contains(err.Error(), "not empty") {
		t.Errorf("rerun into a full folder: %v", err)
	}
	if _, err := simulateCLI(t, "--out", dir, "--events", "3000", "--duration", "6h", "--force", "--scenario", "none", "--rate", "0"); err != nil {
		t.Errorf("--force: %v", err)
	}
}

func TestSimulateCommandErrors(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{}, "--out is required"},
		{[]string{"--out", "x", "--events", "10", "--rate", "10"}, "not both"},
		{[]string{"--out", "x", "--duration", "3 days"}, "bad duration"},
		{[]string{"--out", "x", "--start", "yesterday"}, "RFC 3339"},
		{[]string{"--out", "x", "--scenario", "aws-nope"}, `unknown scenario "aws-nope"`},
		{[]string{"--out", "x", "--clouds", "aws,azure"}, `unknown cloud "azure"`},
	}
	for _, tt := range tests {
		_, err := simulateCLI(t, tt.args...)
		var ee *exitError
		if !errors.As(err, &ee) || ee.code != 2 || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%v: got %v, want exit 2 with %q", tt.args, err, tt.want)
		}
	}
}

func TestSimulateListScenarios(t *testing.T) {
	out, err := simulateCLI(t, "--list-scenarios")
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range simulate.Scenarios() {
		if !strings.Contains(out, s.Name) {
			t.Errorf("list lacks %s", s.Name)
		}
	}
}

// TestSimulateParquet checks that --parquet converts the logs ingest reads
// and leaves proxy and build logs as JSON, and that a forced re-run
// replaces the Parquet rather than adding to it.
func TestSimulateParquet(t *testing.T) {
	dir := t.TempDir()
	args := []string{"--out", dir, "--seed", "7", "--duration", "6h", "--events", "2000", "--parquet"}
	count := func() map[string]int {
		t.Helper()
		n := map[string]int{}
		for _, sub := range []string{"cloudtrail", "entra-signin/SigninLogs", "entra-signin/AADNonInteractiveUserSignInLogs", "gcp-audit"} {
			files, err := filepath.Glob(filepath.Join(dir, "parquet", sub, "year=2026", "month=11", "day=02", "*.parquet"))
			if err != nil {
				t.Fatal(err)
			}
			n[sub] = len(files)
		}
		return n
	}
	for run := range 2 {
		out, err := simulateCLI(t, append(args, "--force")...)
		if err != nil {
			t.Fatalf("run %d: %v\n%s", run, err, out)
		}
		for _, want := range []string{"parquet/cloudtrail (table cloudtrail, pipeline cloudtrail-duckdb)", "parquet/gcp-audit (table gcp_audit", "proxy/ and ci/buildlog/ stay JSON lines"} {
			if !strings.Contains(out, want) {
				t.Errorf("run %d: output lacks %q:\n%s", run, want, out)
			}
		}
		want := map[string]int{"cloudtrail": 1, "entra-signin/SigninLogs": 1, "entra-signin/AADNonInteractiveUserSignInLogs": 1, "gcp-audit": 1}
		if diff := cmp.Diff(want, count()); diff != "" {
			t.Errorf("run %d: Parquet files of the day (-want +got):\n%s", run, diff)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "parquet", "proxy")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("proxy converted though ingest has no kind for it: %v", err)
	}
}
