package main

import (
	"bytes"
	"context"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// runTest runs `tokenhunt test` as the root command would and returns the
// exit code and output.
func runTest(t *testing.T, args ...string) (int, string) {
	t.Helper()
	var out bytes.Buffer
	cmd := newTest()
	cmd.SetArgs(args)
	cmd.SetOut(&out)
	cmd.SetErr(&out)
	cmd.SilenceUsage, cmd.SilenceErrors = true, true
	err := cmd.ExecuteContext(context.Background())
	if err == nil {
		return 0, out.String()
	}
	if ee, ok := err.(*exitError); ok {
		return ee.code, out.String()
	}
	t.Fatalf("unexpected error: %v", err)
	return 0, ""
}

const testRule = `title: federation token
id: 6c5b4f9d-2e6a-4b00-8d6f-8e7a1f5c3b66
status: experimental
logsource:
    product: aws
    service: cloudtrail
detection:
    selection:
        eventName: GetFederationToken
    condition: selection
level: high
`

func TestTestCommand(t *testing.T) {
	dir := writeRules(t, map[string]string{
		"good.yml":       testRule,
		"good.tests.yml": "pipeline: cloudtrail\nfire:\n  - - {eventID: a, eventTime: '2026-11-28T02:14:30Z', eventName: GetFederationToken}\nquiet:\n  - - {eventID: b, eventTime: '2026-11-28T02:14:30Z', eventName: GetSessionToken}\n",
	})
	code, out := runTest(t, dir)
	if code != 0 || !strings.Contains(out, "ok    "+filepath.Join(dir, "good.yml")+" (federation token, 2 cases)") || !strings.HasSuffix(out, "1 rule files, 1 passed, 0 failed\n") {
		t.Errorf("exit %d, output:\n%s", code, out)
	}

	bad := writeRules(t, map[string]string{
		"loud.yml":       testRule,
		"loud.tests.yml": "pipeline: cloudtrail\nfire:\n  - - {eventID: a, eventTime: '2026-11-28T02:14:30Z', eventName: GetFederationToken}\nquiet:\n  - name: near miss\n    events:\n      - {eventID: b, eventTime: '2026-11-28T02:14:30Z', eventName: GetFederationToken}\n",
		"untested.yml":   strings.Replace(testRule, "6c5b4f9d", "7d6c5a0e", 1),
	})
	code, out = runTest(t, bad)
	if code != 1 {
		t.Errorf("exit %d, want 1", code)
	}
	for _, want := range []string{
		`FAIL  ` + regexp.QuoteMeta(filepath.Join(bad, "loud.yml")) + ` \(federation token\)\n      quiet 1: near miss: fired on b\n`,
		`FAIL  ` + regexp.QuoteMeta(filepath.Join(bad, "untested.yml")) + `\n      no tests: add untested.tests.yml`,
		`2 rule files, 0 passed, 2 failed\n$`,
	} {
		if !regexp.MustCompile(want).MatchString(out) {
			t.Errorf("output does not match %q:\n%s", want, out)
		}
	}
}

// TestTestShippedRules runs the shipped library's tests through the
// command, as `make test` users and CI would.
func TestTestShippedRules(t *testing.T) {
	code, out := runTest(t, rulesDir)
	if code != 0 || !regexp.MustCompile(`\n\d+ rule files, (\d+) passed, 0 failed\n$`).MatchString(out) {
		t.Errorf("exit %d, output:\n%s", code, out)
	}
}
