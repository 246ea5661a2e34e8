package report

import (
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/tokenhunt/tokenhunt/hunts/findings"
	"github.com/tokenhunt/tokenhunt/internal/redact"
)

// synthRules are the rules synthetic findings come from.
var synthRules = []findings.Rule{
	{ID: "r-aws-replay", Title: "AWS Session Token Used From Several Addresses", Level: "high", Tags: []string{"attack.t1550.001"}},
	{ID: "r-aws-ec2", Title: "AWS EC2 Instance Role Credentials Used From Outside The Network", Level: "high"},
	{ID: "r-aws-iam", Title: "AWS IAM User Created", Level: "medium"},
	{ID: "r-aws-new", Title: "AWS Identity Calling An IAM Write API It Never Called In 30 Days", Level: "low"},
	{ID: "r-gcp-sa", Title: "GCP Service Account Calling From An Address Outside Google", Level: "high"},
	{ID: "r-entra", Title: "Entra ID Token Replayed From Another Autonomous System", Level: "critical"},
	{ID: "r-info", Title: "AWS STS Temporary Credentials Issued", Level: "informational"},
}

// replayKey is the access key id of the replayed token in synth, as a
// hunt writes it (redacted).
var replayKey = redact.Value("ASIAREPLAYEDKEY00001")

// replayAddrs are the addresses the replayed token is used from.
var replayAddrs = []string{"198.51.100.7", "203.0.113.99", "192.0.2.41"}

// synth returns n findings over 30 days from start, the first 7 of them
// the replayed token (replayKey from replayAddrs), like a hunt writes
// them: entity fields for single events, group fields for correlations.
func synth(n int, start time.Time) []findings.Finding {
	rng := rand.New(rand.NewPCG(7, 11))
	var out []findings.Finding
	add := func(f findings.Finding) {
		f.ID = findings.ID(f.Rule.ID, []string{fmt.Sprint(len(out))}, f.FiredAt)
		f.Hunt, f.FirstSeen, f.LastSeen = "nightly", f.FiredAt, f.FiredAt
		if f.Count == 0 {
			f.Count = 1
		}
		out = append(out, findings.Redact(f))
	}
	replayAt := start.Add(10 * 24 * time.Hour)
	for i := 0; i < min(n, 7); i++ {
		add(findings.Finding{
			Source: "cloudtrail", Rule: synthRules[1], Kind: "event", FiredAt: replayAt.Add(time.Duration(i) * 7 * time.Minute),
			Entity: map[string]string{
				"access_key_id": replayKey, "principal": "arn:aws:sts::111122223333:assumed-role/web/i-0abc",
				"source_ip": replayAddrs[i%len(replayAddrs)], "user_agent": fmt.Sprintf("aws-cli/2.%d", i%2),
			},
			EventIDs: []string{fmt.Sprintf("ev-replay-%d", i)},
		})
	}
	for len(out) < n {
		i := len(out)
		r := synthRules[rng.IntN(len(synthRules))]
		if r.ID == "r-aws-ec2" {
			r = synthRules[2]
		}
		t := start.Add(time.Duration(rng.Int64N(int64(30 * 24 * time.Hour)))).Truncate(time.Second)
		f := findings.Finding{Rule: r, FiredAt: t, Kind: "event", EventIDs: []string{fmt.Sprintf("ev-%d", i)}}
		ip := fmt.Sprintf("100.64.%d.%d", rng.IntN(4), rng.IntN(50))
		switch r.ID {
		case "r-aws-replay":
			f.Source, f.Kind, f.Count = "cloudtrail", "correlation", 3
			key := redact.Value(fmt.Sprintf("ASIASYNTHKEY%08d", rng.IntN(400)))
			f.Group = map[string]string{"userIdentity.accessKeyId": key}
			f.Entity = map[string]string{"access_key_id": key}
			f.EventIDs = []string{fmt.Sprintf("ev-%d-a", i), fmt.Sprintf("ev-%d-b", i), fmt.Sprintf("ev-%d-c", i)}
		case "r-gcp-sa":
			f.Source = "gcp"
			f.Entity = map[string]string{"principal": fmt.Sprintf("sa-%d@proj.iam.gserviceaccount.com", rng.IntN(30)), "source_ip": ip}
			f.Sample = map[string]any{"protoPayload.methodName": "storage.objects.get"}
		case "r-entra":
			f.Source, f.Kind = "entra", "correlation"
			f.Group = map[string]string{"SessionId": fmt.Sprintf("sess-%04d", rng.IntN(200)), "UserPrincipalName": fmt.Sprintf("user%d@corp.example.com", rng.IntN(60))}
		default:
			f.Source = "cloudtrail"
			f.Entity = map[string]string{
				"principal":     fmt.Sprintf("arn:aws:iam::111122223333:user/u%d", rng.IntN(80)),
				"access_key_id": redact.Value(fmt.Sprintf("AKIASYNTHKEY%08d", rng.IntN(300))),
				"source_ip":     ip, "user_agent": fmt.Sprintf("aws-sdk-go-v2/1.%d", rng.IntN(5)),
			}
			f.Sample = map[string]any{"eventName": "CreateUser", "eventSource": "iam.amazonaws.com"}
		}
		add(f)
	}
	return Merge(out)
}
