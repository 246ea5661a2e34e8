package refeval

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/tokenhunt/tokenhunt/compiler/ir"
	"github.com/tokenhunt/tokenhunt/compiler/pipeline"
)

type record struct {
	file  string
	event map[string]any
}

func stratus(t *testing.T) []record {
	t.Helper()
	dir := "../../../shared/corpus/stratus-detonation-logs"
	files, _ := filepath.Glob(filepath.Join(dir, "*.json"))
	if len(files) == 0 {
		t.Skip("Stratus detonation logs not present")
	}
	var out []record
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.UseNumber()
		var events []map[string]any
		if err := dec.Decode(&events); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		for _, e := range events {
			out = append(out, record{strings.TrimSuffix(filepath.Base(f), ".json"), e})
		}
	}
	return out
}

func name(n string) ir.Field { return ir.Field{Name: n} }

func eq(f, v string) ir.Match { return ir.Match{Field: name(f), Pattern: ir.Literal(v)} }

// TestStratusThroughCloudTrailPipeline runs conditions, as the front end
// lowers them from SigmaHQ rules, through the shipped CloudTrail pipeline
// and over the real records, as raw CloudTrail JSON decodes them. The
// expected results were counted independently from the files.
func TestStratusThroughCloudTrailPipeline(t *testing.T) {
	records := stratus(t)
	if len(records) != 310 {
		t.Fatalf("%d Stratus records, want 310", len(records))
	}
	ct, err := pipeline.Resolve("cloudtrail")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		where ir.Expr
		want  []string // file/eventName of the matches, sorted
		count int      // when want is nil: the number of matches
	}{
		{"console login without MFA (SigmaHQ spelling NO, data No)",
			ir.And{Args: []ir.Expr{eq("eventName", "ConsoleLogin"), eq("additionalEventData.MFAUsed", "NO"), eq("responseElements.ConsoleLogin", "Success")}},
			[]string{"aws.initial-access.console-login-without-mfa/ConsoleLogin"}, 0},
		{"update login profile of another user (fieldref under not)",
			ir.And{Args: []ir.Expr{eq("eventSource", "iam.amazonaws.com"), eq("eventName", "UpdateLoginProfile"),
				ir.Not{Arg: ir.FieldRef{Field: name("userIdentity.arn"), Other: name("requestParameters.userName"), Shape: ir.ShapeEq}}}},
			[]string{"aws.privilege-escalation.iam-update-user-login-profile/UpdateLoginProfile"}, 0},
		{"administrator policy attached",
			ir.Match{Field: name("requestparameters.policyArn"), Pattern: ir.Pattern{{Kind: ir.Star}, {Kind: ir.Lit, Text: "/administratoraccess"}}},
			[]string{"aws.persistence.iam-create-admin-user/AttachUserPolicy", "aws.persistence.iam-create-backdoor-role/AttachRolePolicy"}, 0},
		{"instance credentials delivered by IMDS",
			ir.Not{Arg: ir.IsNull{Field: name("userIdentity.sessionContext.ec2RoleDelivery")}},
			[]string{"aws.credential-access.ec2-steal-instance-credentials/DescribeInstances", "aws.credential-access.ec2-steal-instance-credentials/GetCallerIdentity"}, 0},
		{"keyword search", ir.Keyword{Pattern: ir.Literal("getfederationtoken")},
			[]string{"aws.persistence.sts-federation-token/GetFederationToken"}, 0},
		{"zero-padded source addresses (075.050.255.67)",
			ir.CIDR{Field: name("src_ip"), Prefixes: []netip.Prefix{netip.MustParsePrefix("75.50.0.0/16")}},
			[]string{"aws.persistence.iam-create-admin-user/AttachUserPolicy", "aws.persistence.iam-create-admin-user/CreateAccessKey", "aws.persistence.iam-create-admin-user/CreateUser"}, 0},
		{"cidr over every record", ir.CIDR{Field: name("sourceIPAddress"), Prefixes: []netip.Prefix{netip.MustParsePrefix("250.0.0.0/7")}}, nil, 46},
		{"readOnly is a boolean column", ir.BoolEq{Field: name("readOnly"), Value: true}, nil, 261},
		{"errorCode absent", ir.IsNull{Field: name("errorCode")}, nil, 258},
		{"not of a match on a field most records lack", ir.Not{Arg: eq("userIdentity.type", "AssumedRole")}, nil, 242},
		{"hour of eventTime", ir.Time{Field: name("eventTime"), Part: ir.Hour, Op: ir.Lt, Value: 9}, nil, 51},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rule, err := pipeline.Set{ct}.Apply(&ir.Rule{ID: "t", Logsource: ir.Logsource{Product: "aws", Service: "cloudtrail"}, Where: tt.where})
			if err != nil {
				t.Fatalf("Apply: %v", err)
			}
			var got []string
			for _, r := range records {
				ok, err := EvalErr(rule.Where, r.event)
				if err != nil {
					t.Fatalf("EvalErr: %v", err)
				}
				if ok {
					got = append(got, fmt.Sprintf("%s/%s", r.file, r.event["eventName"]))
				}
			}
			sort.Strings(got)
			if tt.want == nil {
				if len(got) != tt.count {
					t.Errorf("%d matches, want %d", len(got), tt.count)
				}
				return
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("matches (-want +got):\n%s", diff)
			}
		})
	}
}
