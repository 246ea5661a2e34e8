package ruletest

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const federationRule = `title: federation token
id: 1d0c9a4e-7f1b-4c55-9e1a-3f2b6a0d8c11
status: experimental
logsource:
    product: aws
    service: cloudtrail
detection:
    selection:
        eventName: GetFederationToken
    filter:
        sourceIPAddress|endswith: .amazonaws.com
    condition: selection and not filter
level: high
`

const replayRule = `title: temporary key call
id: 2e1d0b5f-8a2c-4d66-8f2b-4a3c7b1e9d22
name: temp_call
status: experimental
logsource:
    product: aws
    service: cloudtrail
detection:
    selection:
        userIdentity.accessKeyId|startswith: ASIA
    condition: selection
level: informational
---
title: replay
id: 3f2e1c6a-9b3d-4e77-9a3c-5b4d8c2f0e33
status: experimental
correlation:
    type: value_count
    rules: [temp_call]
    group-by: [userIdentity.accessKeyId]
    timespan: 1h
    condition:
        gte: 2
        field: sourceIPAddress
level: high
`

const newTermsRule = `title: assume
id: 4a3f2d7b-0c4e-4f88-8b4d-6c5e9d3a1f44
name: assume
status: experimental
logsource:
    product: aws
    service: cloudtrail
detection:
    selection:
        eventName: AssumeRole
    condition: selection
level: informational
---
title: new source
id: 5b4a3e8c-1d5f-4a99-9c5e-7d6f0e4b2a55
status: experimental
correlation:
    type: new_terms
    rules: [assume]
    group-by: [requestParameters.roleArn]
    fields: [sourceIPAddress]
    lookback: 30d
level: medium
`

// write puts files in a temporary folder and returns its path.
func write(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, text := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func run(t *testing.T, r *Runner, file string) Result {
	t.Helper()
	return r.RunFile(context.Background(), file)
}

// failures lists each case with its failure, "" when it passed.
func failures(res Result) map[string]string {
	out := map[string]string{}
	for _, c := range res.Cases {
		out[c.Case] = c.Failure
	}
	return out
}

func TestRunFile(t *testing.T) {
	r, err := NewRunner(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	tests := []struct {
		name  string
		rule  string
		tests string
		want  map[string]string // case → failure text it must contain ("" passes)
	}{
		{
			name: "detection rule: a fire case, a quiet near miss, a quiet case that fires, an expect that differs",
			rule: federationRule,
			tests: `pipeline: cloudtrail
fire:
  - name: minted
    events:
      - {eventID: a, eventTime: "2026-11-28T02:14:30Z", eventName: GetFederationToken, sourceIPAddress: 203.0.113.66}
      - {eventID: b, eventTime: "2026-11-28T02:15:30Z", eventName: GetCallerIdentity, sourceIPAddress: 203.0.113.66}
    expect: [a]
  - name: wrong expectation
    events:
      - {eventID: a, eventTime: "2026-11-28T02:14:30Z", eventName: GetFederationToken, sourceIPAddress: 203.0.113.66}
    expect: [a, b]
  - - {eventID: c, eventTime: "2026-11-28T02:14:30Z", eventName: GetSessionToken}
quiet:
  - name: service
    events:
      - {eventID: d, eventTime: "2026-11-28T02:14:30Z", eventName: GetFederationToken, sourceIPAddress: sts.amazonaws.com}
  - name: not quiet
    events:
      - {eventID: e, eventTime: "2026-11-28T02:14:30Z", eventName: GetFederationToken, sourceIPAddress: 198.51.100.1}
`,
			want: map[string]string{
				"fire 1: minted":            "",
				"fire 2: wrong expectation": "matched [a], want [a b]",
				"fire 3":                    "did not fire",
				"quiet 1: service":          "",
				"quiet 2: not quiet":        "fired on e",
			},
		},
		{
			name: "correlation: window edges",
			rule: replayRule,
			tests: `pipeline: cloudtrail
fire:
  - name: two addresses within the hour
    events:
      - &c {eventID: a, eventTime: "2026-11-28T09:59:30Z", sourceIPAddress: 198.51.100.1, userIdentity: {accessKeyId: ASIAEXAMPLE000000001}}
      - {<<: *c, eventID: b, eventTime: "2026-11-28T10:00:30Z", sourceIPAddress: 203.0.113.66}
    expect: [a, b]
quiet:
  - name: two addresses two hours apart
    events:
      - *c
      - {<<: *c, eventID: b, eventTime: "2026-11-28T11:59:31Z", sourceIPAddress: 203.0.113.66}
`,
			want: map[string]string{"fire 1: two addresses within the hour": "", "quiet 1: two addresses two hours apart": ""},
		},
		{
			name: "new_terms: history is a baseline, not a finding",
			rule: newTermsRule,
			tests: `pipeline: cloudtrail
fire:
  - name: new address
    history:
      - &a {eventID: h, eventTime: "2026-11-20T09:00:00Z", eventName: AssumeRole, sourceIPAddress: 198.51.100.1, requestParameters: {roleArn: "arn:aws:iam::111122223333:role/x"}}
    events:
      - {<<: *a, eventID: n, eventTime: "2026-11-28T09:00:00Z", sourceIPAddress: 203.0.113.66}
    expect: [n]
quiet:
  - name: known address
    history: [*a]
    events:
      - {<<: *a, eventID: k, eventTime: "2026-11-28T09:00:00Z"}
  - name: without history the first sighting is new
    events:
      - {<<: *a, eventID: k, eventTime: "2026-11-28T09:00:00Z"}
`,
			want: map[string]string{"fire 1: new address": "", "quiet 1: known address": "", "quiet 2: without history the first sighting is new": "fired on k"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := write(t, map[string]string{"r.yml": tt.rule, "r.tests.yml": tt.tests})
			res := run(t, r, filepath.Join(dir, "r.yml"))
			if res.Err != nil {
				t.Fatal(res.Err)
			}
			got := failures(res)
			if len(got) != len(tt.want) {
				t.Fatalf("cases %v, want %v", got, tt.want)
			}
			pass := true
			for name, want := range tt.want {
				g, ok := got[name]
				switch {
				case !ok:
					t.Errorf("no case %q among %v", name, got)
				case want == "" && g != "":
					t.Errorf("%s failed: %s", name, g)
				case want != "" && !strings.Contains(g, want):
					t.Errorf("%s: failure %q, want it to say %q", name, g, want)
				}
				pass = pass && want == ""
			}
			if res.Passed != pass {
				t.Errorf("Passed = %v, want %v", res.Passed, pass)
			}
		})
	}
}

func TestRunFileErrors(t *testing.T) {
	r, err := NewRunner(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	tests := []struct {
		name  string
		files map[string]string
		want  string
	}{
		{"no tests file", map[string]string{"r.yml": federationRule}, "no tests: add r.tests.yml"},
		{"no pipeline", map[string]string{"r.yml": federationRule, "r.tests.yml": "fire:\n  - - {eventID: a}\n"}, "no pipeline"},
		{"no fire case", map[string]string{"r.yml": federationRule, "r.tests.yml": "pipeline: cloudtrail\nquiet:\n  - - {eventID: a}\n"}, "no fire cases"},
		{"unknown key", map[string]string{"r.yml": federationRule, "r.tests.yml": "pipeline: cloudtrail\nfires: []\n"}, "field fires not found"},
		{"unknown pipeline", map[string]string{"r.yml": federationRule, "r.tests.yml": "pipeline: nope\nfire:\n  - - {eventID: a}\n"}, `unknown pipeline "nope"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := write(t, tt.files)
			res := run(t, r, filepath.Join(dir, "r.yml"))
			if res.Err == nil || !strings.Contains(res.Err.Error(), tt.want) {
				t.Errorf("error %v, want one saying %q", res.Err, tt.want)
			}
		})
	}
}

func TestCaseErrors(t *testing.T) {
	r, err := NewRunner(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	dir := write(t, map[string]string{"r.yml": federationRule, "r.tests.yml": `pipeline: cloudtrail
fire:
  - name: no id
    events:
      - {eventTime: "2026-11-28T02:14:30Z", eventName: GetFederationToken}
  - name: unknown table
    events:
      - {_table: SigninLogs, eventID: a, eventName: GetFederationToken}
  - name: empty
    events: []
`})
	got := failures(run(t, r, filepath.Join(dir, "r.yml")))
	want := map[string]string{
		"fire 1: no id":         "event 1 has no id: set eventID (a string)",
		"fire 2: unknown table": `event 1: _table "SigninLogs" is not a table the rule reads (cloudtrail)`,
		"fire 3: empty":         "no events",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("failures (-want +got):\n%s", diff)
	}
}

func TestTestsFileAndRuleFiles(t *testing.T) {
	if got := TestsFile("rules/aws/x.yml"); got != "rules/aws/x.tests.yml" {
		t.Errorf("TestsFile = %q", got)
	}
	dir := write(t, map[string]string{"a.yml": federationRule, "a.tests.yml": "pipeline: cloudtrail\n", "b.yaml": replayRule})
	got, err := RuleFiles([]string{dir})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{filepath.Join(dir, "a.yml"), filepath.Join(dir, "b.yaml")}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("RuleFiles (-want +got):\n%s", diff)
	}
}
