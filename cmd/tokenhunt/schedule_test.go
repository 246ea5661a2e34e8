package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// scheduleCLI runs `tokenhunt schedule ARGS` through the CLI's entry point.
func scheduleCLI(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	return cli(t, append([]string{"schedule"}, args...)...)
}

// schedule --once hunts a due spec over its watermark window and logs one
// line (exit 1: new findings); run again it finds nothing due (exit 0).
// Progress bars go to stderr only when asked for, since stderr here is
// not a terminal.
func TestScheduleCommand(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "logs", "year=2026", "month=11", "day=02")
	if err := os.MkdirAll(data, 0o755); err != nil {
		t.Fatal(err)
	}
	records := `{"eventVersion":"1.08","eventTime":"2026-11-02T10:00:00Z","eventSource":"sts.amazonaws.com","eventName":"GetFederationToken","awsRegion":"us-east-1","sourceIPAddress":"203.0.113.7","userAgent":"aws-cli/2.15","eventID":"e1","recipientAccountId":"111122223333","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/alice","accountId":"111122223333","accessKeyId":"AKIAIOSFODNN7EXAMPLE"}}
`
	if err := os.WriteFile(filepath.Join(data, "ct.jsonl"), []byte(records), 0o644); err != nil {
		t.Fatal(err)
	}
	rules, _ := filepath.Abs(fedToken)
	spec := filepath.Join(dir, "hunt.yml")
	os.WriteFile(spec, []byte(`name: sched
rules: {paths: [`+rules+`]}
sources:
  - logsource: {product: aws, service: cloudtrail}
    pipeline: cloudtrail
    paths: [logs/**/*.jsonl]
window: {start: "2026-11-02T00:00:00Z"}
outputs: {dir: out}
schedule: "0 0 1 1 *"
`), 0o644)

	code, out, errOut := scheduleCLI(t, "--once", "--progress=always", spec)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if code != 1 || len(lines) != 1 || !strings.Contains(lines[0], " hunt sched: 1 sources, 1 rules, 1 findings, 1 new, 0 errors in ") {
		t.Errorf("first --once: exit %d, want 1 and one line; stdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	if !strings.Contains(errOut, "aws_cloudtrail: reading 1 files") {
		t.Errorf("--progress=always drew no bar; stderr:\n%s", errOut)
	}
	if _, err := os.Stat(filepath.Join(dir, "out", "state", "sched", "last-run.json")); err != nil {
		t.Errorf("last run not recorded: %v", err)
	}
	code, out, errOut = scheduleCLI(t, "--once", spec)
	if code != 0 || out != "" || errOut != "" {
		t.Errorf("second --once: exit %d, want 0 and nothing run; stdout:\n%s\nstderr:\n%s", code, out, errOut)
	}

	os.WriteFile(spec, []byte(strings.Replace(mustRead(t, spec), `schedule: "0 0 1 1 *"`, "", 1)), 0o644)
	code, _, errOut = scheduleCLI(t, "--once", spec)
	if code != 2 || !strings.Contains(errOut, "hunt sched has no schedule") {
		t.Errorf("spec without schedule: exit %d, stderr:\n%s", code, errOut)
	}
	code, _, errOut = scheduleCLI(t, "--once", "--progress=sometimes", spec)
	if code != 2 || !strings.Contains(errOut, `--progress "sometimes": want auto, always or never`) {
		t.Errorf("bad --progress: exit %d, stderr:\n%s", code, errOut)
	}
}

func mustRead(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
