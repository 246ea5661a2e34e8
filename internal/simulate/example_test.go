package simulate_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/tokenhunt/tokenhunt/internal/simulate"
)

// Simulate six hours of one small AWS organisation with one attack, and read
// the ground truth back.
func ExampleRun() {
	dir, err := os.MkdirTemp("", "simulate-example")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)
	sum, err := simulate.Run(context.Background(), simulate.Options{
		Seed:      7,
		Duration:  6 * time.Hour,
		Events:    5000,
		Clouds:    []string{"aws"},
		Scenarios: []simulate.ScenarioSpec{{Name: "aws-session-token-replay"}},
		Out:       dir,
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(sum.Records["cloudtrail"]-sum.ScenarioRecords["cloudtrail"], "background CloudTrail records")
	labels, err := simulate.ReadLabels(filepath.Join(dir, "labels.jsonl"))
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, l := range labels {
		fmt.Printf("%s: %s, key %s…, from %d addresses\n", l.ID, l.Finding.Rule, l.Entity.AccessKeyID[:4], len(l.Entity.SourceIPs))
	}
	// Output:
	// 5000 background CloudTrail records
	// aws-session-token-replay#1: aws.session_token_replay, key ASIA…, from 2 addresses
}
