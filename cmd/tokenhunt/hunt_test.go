package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// huntCLI runs `tokenhunt hunt ARGS` through the CLI's entry point.
func huntCLI(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	return cli(t, append([]string{"hunt"}, args...)...)
}

// A hunt over hand-written records: exit 1 with new findings, then 0 when
// the same window is hunted again; a dry run prints the plan and queries;
// a bad spec exits 2 with its position.
func TestHuntCommand(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "logs", "year=2026", "month=11", "day=02")
	if err := os.MkdirAll(data, 0o755); err != nil {
		t.Fatal(err)
	}
	records := `{"eventVersion":"1.08","eventTime":"2026-11-02T10:00:00Z","eventSource":"sts.amazonaws.com","eventName":"GetFederationToken","awsRegion":"us-east-1","sourceIPAddress":"203.0.113.7","userAgent":"aws-cli/2.15","eventID":"e1","recipientAccountId":"111122223333","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/alice","accountId":"111122223333","accessKeyId":"AKIAIOSFODNN7EXAMPLE"}}
{"eventVersion":"1.08","eventTime":"2026-11-02T11:00:00Z","eventSource":"s3.amazonaws.com","eventName":"ListBuckets","awsRegion":"us-east-1","sourceIPAddress":"203.0.113.7","userAgent":"aws-cli/2.15","eventID":"e2","recipientAccountId":"111122223333","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/alice","accountId":"111122223333","accessKeyId":"AKIAIOSFODNN7EXAMPLE"}}
`
	if err := os.WriteFile(filepath.Join(data, "ct.jsonl"), []byte(records), 0o644); err != nil {
		t.Fatal(err)
	}
	rules, _ := filepath.Abs(fedToken)
	spec := filepath.Join(dir, "hunt.yml")
	os.WriteFile(spec, []byte(`name: cli
rules: {paths: [`+rules+`]}
sources:
  - logsource: {product: aws, service: cloudtrail}
    pipeline: cloudtrail
    paths: [logs/**/*.jsonl]
outputs: {dir: out}
`), 0o644)
	window := []string{"--from", "2026-11-02T00:00:00Z", "--to", "2026-11-03T00:00:00Z"}

	code, out, errOut := huntCLI(t, append([]string{spec, "--dry-run"}, window...)...)
	if code != 0 || !strings.Contains(out, "ct.jsonl") || !strings.Contains(out, "getfederationtoken") {
		t.Errorf("dry run: exit %d, stdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	code, out, errOut = huntCLI(t, append([]string{spec}, window...)...)
	if code != 1 || !strings.Contains(out, "1 new") {
		t.Errorf("first run: exit %d, want 1; stdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	t.Logf("first run:\n%s%s", out, errOut)
	b, err := os.ReadFile(filepath.Join(dir, "out", "findings.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), "AKIAIOSFODNN7EXAMPLE") || strings.Contains(out+errOut, "AKIAIOSFODNN7EXAMPLE") {
		t.Errorf("access key id in clear:\n%s", b)
	}
	if !strings.Contains(string(b), `"principal":"arn:aws:iam::111122223333:user/alice"`) {
		t.Errorf("finding lacks its principal:\n%s", b)
	}
	code, out, errOut = huntCLI(t, append([]string{spec}, window...)...)
	if code != 0 || !strings.Contains(out, "0 new") {
		t.Errorf("second run: exit %d, want 0; stdout:\n%s\nstderr:\n%s", code, out, errOut)
	}

	bad := filepath.Join(dir, "bad.yml")
	os.WriteFile(bad, []byte("name: x\nrules: {paths: [r]}\nsources: []\n"), 0o644)
	code, _, errOut = huntCLI(t, bad)
	if code != 2 || !strings.Contains(errOut, "bad.yml:3:10: sources must be a non-empty list") {
		t.Errorf("bad spec: exit %d, stderr:\n%s", code, errOut)
	}
}
