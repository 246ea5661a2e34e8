package rules_test

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/tokenhunt/tokenhunt/compiler/ir"
	"github.com/tokenhunt/tokenhunt/hunts"
	"github.com/tokenhunt/tokenhunt/hunts/ingest"
	"github.com/tokenhunt/tokenhunt/hunts/runner"
)

const corpusDir = "../../shared/corpus"

// stratusCaught is what the shipped AWS rules raise on each Stratus Red
// Team detonation (README, "What the rules catch in the public data"):
// technique file -> rule ids that must fire. A technique of the token
// abuse this library targets that no rule catches is a defect.
var stratusCaught = map[string][]string{
	"aws.credential-access.ec2-get-password-data": {
		"8de69693-88d9-47ce-bf5a-77c0303714d2", // temporary credentials used at once for sensitive reads
		"ac3ceef7-7b76-4412-a63f-626b0a207c04", // role assumed from a source address new for the role
	},
	"aws.credential-access.ec2-steal-instance-credentials":        {"85cba49c-eedd-4a09-9af8-a31510a8bc56"}, // instance credentials used outside
	"aws.credential-access.secretsmanager-retrieve-secrets":       {"eb7553b2-309e-44ca-8017-6bd1763f4b86"}, // many secrets read
	"aws.credential-access.ssm-retrieve-securestring-parameters":  {"eb7553b2-309e-44ca-8017-6bd1763f4b86"},
	"aws.credential-access.secretsmanager-batch-retrieve-secrets": {"36c2dacf-4efa-4c10-85b4-3660071bacbe"}, // batch retrieval
	"aws.defense-evasion.cloudtrail-stop":                         {"095090b5-7cd5-44c9-85f4-3a562a8b6cb8"}, // logging stopped
	"aws.defense-evasion.cloudtrail-delete":                       {"095090b5-7cd5-44c9-85f4-3a562a8b6cb8"},
	"aws.defense-evasion.cloudtrail-event-selectors":              {"c727c046-634f-4c74-8a0d-e27ae1ba9f44"}, // selectors drop management events
	"aws.persistence.iam-backdoor-role":                           {"07f7dc41-c8ca-457c-9f1f-c3b57d4f772e"}, // trust names an account
	"aws.persistence.iam-create-backdoor-role": {
		"07f7dc41-c8ca-457c-9f1f-c3b57d4f772e",
		"af60e831-9d47-4b59-af92-59aa9f6ac3ff", // AdministratorAccess attached
	},
	"aws.persistence.iam-backdoor-user":                      {"bd9d7c5d-8a3b-40a2-823a-b21ec8f3a11d"}, // credentials for another user
	"aws.persistence.iam-create-user-login-profile":          {"bd9d7c5d-8a3b-40a2-823a-b21ec8f3a11d"},
	"aws.privilege-escalation.iam-update-user-login-profile": {"bd9d7c5d-8a3b-40a2-823a-b21ec8f3a11d"},
	"aws.persistence.iam-create-admin-user": {
		"5f0e5798-0e7d-4e41-ac52-2c0ee34d4579", // user created
		"af60e831-9d47-4b59-af92-59aa9f6ac3ff",
		"bd9d7c5d-8a3b-40a2-823a-b21ec8f3a11d",
	},
	"aws.persistence.rolesanywhere-create-trust-anchor": {"216d2713-a077-4d6c-994c-c625384107c5"},
	"aws.persistence.sts-federation-token":              {"59b9a65c-dc27-45e1-a1bf-1223e7fd9d3e"},
}

// huntFile hunts one raw CloudTrail file (a JSON array or lines) with the
// shipped AWS rules, as `tokenhunt hunt` does, and returns the ids of the
// rules with findings.
func huntFile(t *testing.T, file string) []string {
	t.Helper()
	dir := t.TempDir()
	spec := &hunts.Spec{
		Name:  "corpus",
		Rules: hunts.RuleSelection{Paths: []string{"aws"}},
		Sources: []hunts.Source{{Name: "cloudtrail", Logsource: ir.Logsource{Product: "aws", Service: "cloudtrail"}, Pipeline: "cloudtrail",
			Engine: "duckdb", Paths: []string{file}}},
		Engine: "duckdb",
		OutDir: dir,
	}
	from, to := time.Date(2015, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2035, 1, 1, 0, 0, 0, 0, time.UTC)
	rep, err := runner.Run(context.Background(), spec, runner.Options{From: from, To: to})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Errors) > 0 {
		t.Fatalf("%s: %v", file, rep.Errors)
	}
	var fired []string
	for _, rr := range rep.Rules {
		if rr.Findings > 0 {
			fired = append(fired, rr.ID)
		}
	}
	sort.Strings(fired)
	return fired
}

// TestStratusTechniquesCaught hunts each Stratus Red Team detonation log
// with the shipped AWS rules and requires the rules the README names for
// it; it prints what fired on every technique, targeted or not.
func TestStratusTechniquesCaught(t *testing.T) {
	dir := filepath.Join(corpusDir, "stratus-detonation-logs")
	files, _ := filepath.Glob(filepath.Join(dir, "aws.*.json"))
	if len(files) == 0 {
		t.Skipf("no Stratus logs under %s", dir)
	}
	seen := map[string]bool{}
	for _, f := range files {
		technique := strings.TrimSuffix(filepath.Base(f), ".json")
		seen[technique] = true
		fired := huntFile(t, f)
		t.Logf("%-62s %v", technique, fired)
		for _, id := range stratusCaught[technique] {
			if !slices.Contains(fired, id) {
				t.Errorf("%s: rule %s raised nothing (fired: %v)", technique, id, fired)
			}
		}
	}
	for technique := range stratusCaught {
		if !seen[technique] {
			t.Errorf("no detonation log for %s", technique)
		}
	}
}

// TestOTRFStolenInstanceKey: the OTRF EC2 proxy exfiltration logs hold the
// instance key ASIA5FLZVX4OPVKKVBMX used from 1.2.3.4 after it was issued
// to the instance: instance credentials used outside must catch it. The
// logs are Logstash-shaped (@timestamp, no eventTime): they are ingested
// first, as a user does.
func TestOTRFStolenInstanceKey(t *testing.T) {
	file := filepath.Join(corpusDir, "otrf", "ec2_proxy_s3_exfiltration_2020-09-14011940.json")
	if _, err := os.Stat(file); err != nil {
		t.Skipf("no OTRF log: %v", err)
	}
	out := t.TempDir()
	rep, err := ingest.Run(context.Background(), ingest.Options{Kind: ingest.CloudTrail, Out: out}, []string{file})
	if err != nil {
		t.Fatal(err)
	}
	if _, written, rejected := rep.Totals(); written != 103 || rejected != 0 {
		t.Fatalf("ingest wrote %d and rejected %d of the 103 records", written, rejected)
	}
	fired := huntFile(t, filepath.Join(out, "**", "*.parquet"))
	if !slices.Contains(fired, "85cba49c-eedd-4a09-9af8-a31510a8bc56") {
		t.Errorf("instance credentials used outside raised nothing on the OTRF log (fired: %v)", fired)
	}
}
