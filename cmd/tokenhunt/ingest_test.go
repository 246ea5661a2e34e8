package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/tokenhunt/tokenhunt/internal/redact"
)

// ingestCLI runs `tokenhunt ingest ARGS` through the CLI's entry point.
func ingestCLI(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	return cli(t, append([]string{"ingest"}, args...)...)
}

func TestIngestCLI(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.jsonl")
	if err := os.WriteFile(good, []byte(`{"eventTime":"2024-03-01T10:00:00Z","eventID":"1","userIdentity":{"accessKeyId":"ASIA5FLZVX4OPVKKVBMX"}}`+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	bad := filepath.Join(dir, "bad.jsonl")
	// The rejected record's reason quotes a token-like value.
	if err := os.WriteFile(bad, []byte(`{"eventTime":"2024-03-01T10:00:00Z"}`+"\n"+`{"eventTime":"ASIA5FLZVX4OPVKKVBMX"}`+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		inputs []string
		code   int
		stdout []string
		stderr []string
	}{
		{"all written", []string{good}, 0, []string{
			"FILE LAYOUT READ WRITTEN REJECTED",
			good + " json lines 1 1 0",
			"total 1 1 0",
			"1 Parquet files written",
		}, nil},
		{"rejected", []string{bad}, 1, []string{
			"FILE LAYOUT READ WRITTEN REJECTED",
			bad + " json lines 2 1 1",
			"total 2 1 1",
			"1 Parquet files written",
		}, []string{
			bad + `:2 (byte 37): rejected: eventTime: "` + redact.Value("ASIA5FLZVX4OPVKKVBMX") + `" is not a timestamp (want RFC 3339, such as 2024-01-31T12:00:00Z)`,
		}},
		{"unreadable", []string{filepath.Join(dir, "missing.json"), good}, 2, nil, []string{
			filepath.Join(dir, "missing.json") + ": cannot read: stat " + filepath.Join(dir, "missing.json") + ": no such file or directory",
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr := ingestCLI(t, append([]string{"--kind", "cloudtrail", "--out", t.TempDir()}, tc.inputs...)...)
			if code != tc.code {
				t.Errorf("exit code %d, want %d\n%s%s", code, tc.code, stdout, stderr)
			}
			if tc.stdout != nil {
				if diff := cmp.Diff(tc.stdout, squeeze(lines(stdout))); diff != "" {
					t.Errorf("stdout (-want +got):\n%s", diff)
				}
			}
			if diff := cmp.Diff(tc.stderr, nonEmpty(lines(stderr))); diff != "" {
				t.Errorf("stderr (-want +got):\n%s", diff)
			}
			if strings.Contains(stdout+stderr, "ASIA5FLZVX4OPVKKVBMX") {
				t.Errorf("output holds an access key id:\n%s%s", stdout, stderr)
			}
		})
	}
	if code, _, stderr := ingestCLI(t, "--kind", "syslog", "--out", t.TempDir(), good); code != 2 || !strings.Contains(stderr, `unknown kind "syslog"`) {
		t.Errorf("unknown kind: exit code %d, stderr %q", code, stderr)
	}
}

// squeeze makes every run of spaces one, so that tables compare whatever
// their column widths.
func squeeze(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = strings.Join(strings.Fields(s), " ")
	}
	return out
}

func nonEmpty(ss []string) []string {
	var out []string
	for _, s := range ss {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}
