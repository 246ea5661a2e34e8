package report

import (
	"bytes"
	"context"
	"fmt"
	"image/png"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/tokenhunt/tokenhunt/hunts"
	"github.com/tokenhunt/tokenhunt/hunts/findings"
	"github.com/tokenhunt/tokenhunt/hunts/ingest"
	"github.com/tokenhunt/tokenhunt/hunts/runner"
	"github.com/tokenhunt/tokenhunt/internal/redact"
	"github.com/tokenhunt/tokenhunt/internal/simulate"
)

// huntMonth simulates 30 days of CloudTrail, ingests them into Parquet,
// hunts them with the shipped AWS rules and the cloudtrail pipeline, and
// returns the findings file, the Parquet glob and the simulator's labels.
func huntMonth(t *testing.T, dir string) (findingsFile, events string, labels []simulate.Label) {
	t.Helper()
	ctx := context.Background()
	start := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	raw := filepath.Join(dir, "raw")
	if _, err := simulate.Run(ctx, simulate.Options{Seed: 7, Start: start, Duration: 30 * 24 * time.Hour, Events: 15000, Clouds: []string{"aws"}, Out: raw}); err != nil {
		t.Fatalf("simulate: %v", err)
	}
	parquet := filepath.Join(dir, "parquet")
	if _, err := ingest.Run(ctx, ingest.Options{Kind: ingest.CloudTrail, Out: parquet}, []string{filepath.Join(raw, "AWSLogs")}); err != nil {
		t.Fatalf("ingest: %v", err)
	}
	rules, err := filepath.Abs("../../rules/aws")
	if err != nil {
		t.Fatal(err)
	}
	events = filepath.Join(parquet, "**", "*.parquet")
	specFile := filepath.Join(dir, "month.yml")
	spec, err := hunts.Parse(specFile, []byte(fmt.Sprintf(`name: month
rules:
  paths: [%q]
  level: informational
sources:
  - name: cloudtrail
    logsource: {product: aws, service: cloudtrail}
    pipeline: cloudtrail
    paths: [%q]
engine: duckdb
outputs:
  dir: %q
`, rules, events, filepath.Join(dir, "findings"))))
	if err != nil {
		t.Fatalf("spec: %v", err)
	}
	rep, err := runner.Run(ctx, spec, runner.Options{From: start, To: start.Add(31 * 24 * time.Hour), StateDir: filepath.Join(dir, "state")})
	if err != nil {
		t.Fatalf("hunt: %v", err)
	}
	if rep.Failed() {
		t.Fatalf("hunt failed: %v %v", rep.Errors, rep.Sources)
	}
	labels, err = simulate.ReadLabels(filepath.Join(raw, "labels.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	return filepath.Join(dir, "findings", findings.JSONLFile), events, labels
}

// TestBrowserRendersSimulatedMonth renders the report of a real hunt over
// a simulated month in headless Chromium: the overview counts are those
// of the findings file, the replayed session token's timeline has marks
// on the rows of both addresses it was used from, the issued-then-read
// correlation shows the issuance, and each rule's queries are there.
func TestBrowserRendersSimulatedMonth(t *testing.T) {
	bin := findChromium(t, true)
	dir := t.TempDir()
	began := time.Now()
	in, events, labels := huntMonth(t, dir)
	t.Logf("simulate, ingest and hunt: %v", time.Since(began).Round(time.Millisecond))
	fs, err := ReadFiles(in)
	if err != nil {
		t.Fatal(err)
	}
	if len(fs) == 0 {
		t.Fatal("the hunt found nothing in a simulated month")
	}
	file := filepath.Join(dir, "report.html")
	if _, err := Generate(Config{Inputs: []string{in}, RulePaths: []string{"../../rules/aws"}, Pipelines: []string{"cloudtrail"}, Events: []string{events}, Output: file}); err != nil {
		t.Fatal(err)
	}
	url := "file://" + file
	dom := string(runChromium(t, bin, "--dump-dom", url))
	if !strings.Contains(dom, `data-ready="1"`) {
		t.Errorf("the report's script did not run (no data-ready on body)")
	}

	// Overview counts: total, by level and by rule, as in the file.
	if want := fmt.Sprintf(`id="total" data-count="%d">%d<`, len(fs), len(fs)); !strings.Contains(dom, want) {
		t.Errorf("overview total %d not shown", len(fs))
	}
	byLevel, byRule := map[string]int{}, map[string]int{}
	for _, f := range fs {
		byLevel[normLevel(f.Rule.Level)]++
		byRule[f.Rule.ID]++
	}
	for l, n := range byLevel {
		if !strings.Contains(dom, fmt.Sprintf(`data-level="%s" data-count="%d"`, l, n)) {
			t.Errorf("overview: %d %s findings not shown", n, l)
		}
	}
	for id, n := range byRule {
		if !strings.Contains(dom, fmt.Sprintf(`<tr data-rule="%s" data-count="%d">`, id, n)) {
			t.Errorf("overview: %d findings of rule %s not shown", n, id)
		}
	}

	// The replayed session token: its timeline has marks on the rows of
	// the addresses the simulator used it from.
	var replay *simulate.Label
	for i := range labels {
		if labels[i].Scenario == "aws-session-token-replay" {
			replay = &labels[i]
			break
		}
	}
	if replay == nil || replay.Entity.AccessKeyID == "" {
		t.Fatal("no aws-session-token-replay label with an access key in labels.jsonl")
	}
	key := redact.Value(replay.Entity.AccessKeyID)
	svg := timelineSVG(t, dom, "access key:"+key)
	lanes := regexp.MustCompile(`<line class="axis" x1="190" y1="([^"]*)"[^>]*></line><text class="lane mono"[^>]*>([^<]*) \(`).FindAllStringSubmatch(svg, -1)
	laneOf := map[string]string{} // y → address
	for _, l := range lanes {
		laneOf[l[1]] = l[2]
	}
	marked := map[string]bool{}
	for _, m := range regexp.MustCompile(`<circle class="mark[^"]*" cx="[^"]*" cy="([^"]*)"`).FindAllStringSubmatch(svg, -1) {
		if ad := laneOf[m[1]]; ad != "" && !strings.HasPrefix(ad, "(") {
			marked[ad] = true
		}
	}
	if len(marked) < 2 {
		t.Errorf("replayed key %s: marks on address rows %v, want at least 2 (lanes %v)", key, marked, laneOf)
	}
	for _, ip := range replay.Entity.SourceIPs {
		if !marked[ip] {
			t.Errorf("replayed key %s: no mark on the row of %s (marked %v)", key, ip, marked)
		}
	}

	// Issuance: the issued-then-read correlation's findings carry the
	// AssumeRole; it is drawn as a diamond and listed in the finding.
	const issuedThenRead = "8de69693-88d9-47ce-bf5a-77c0303714d2"
	if byRule[issuedThenRead] > 0 {
		if !strings.Contains(dom, `<rect class="issue"`) {
			t.Errorf("no issuance mark although %d issued-then-read findings", byRule[issuedThenRead])
		}
		if !strings.Contains(dom, `(credentials issued)`) {
			t.Errorf("no issuing event listed in an issued-then-read finding")
		}
	}

	// Queries: once per rule, one block per backend, linked from findings.
	const replayRule = "aabc9605-918e-4842-b010-775bdb58f708"
	qa := anchor("q-", replayRule)
	if n := strings.Count(dom, `id="`+qa+`"`); n != 1 {
		t.Errorf("replay rule's queries block appears %d times, want 1", n)
	}
	if !strings.Contains(dom, `class="qlink" href="#`+qa+`"`) {
		t.Errorf("no finding links the replay rule's queries")
	}
	block := dom[strings.Index(dom, `id="`+qa+`"`):]
	block = block[:strings.Index(block, "</details>")]
	for _, be := range []string{"duckdb", "athena", "bigquery", "kql"} {
		if !strings.Contains(block, `data-backend="`+be+`"`) {
			t.Errorf("replay rule: no %s query", be)
		}
	}
	if strings.Contains(dom, replay.Entity.AccessKeyID) {
		t.Errorf("the report shows the unredacted key %s", replay.Entity.AccessKeyID)
	}

	// A screenshot tall enough for the overview and the first timelines
	// (replayed keys first), under the test's output and out/report.
	keep := filepath.Join("..", "..", "out", "report")
	for _, c := range []struct{ name, url string }{
		{"month.png", url},
	} {
		shot := filepath.Join(dir, c.name)
		runChromium(t, bin, "--window-size=1280,4000", "--hide-scrollbars", "--screenshot="+shot, c.url)
		b, err := os.ReadFile(shot)
		if err != nil {
			t.Fatalf("no screenshot: %v", err)
		}
		if _, err := png.Decode(bytes.NewReader(b)); err != nil {
			t.Fatalf("screenshot %s: %v", c.name, err)
		}
		if err := os.MkdirAll(keep, 0o755); err == nil {
			os.WriteFile(filepath.Join(keep, c.name), b, 0o644)
		}
		t.Logf("screenshot %s (%d bytes)", shot, len(b))
	}
	t.Logf("total %v", time.Since(began).Round(time.Millisecond))
}

// timelineSVG returns the SVG of an entity's timeline in the DOM.
func timelineSVG(t *testing.T, dom, key string) string {
	t.Helper()
	start := strings.Index(dom, `<svg class="timeline" data-entity="`+key+`"`)
	if start < 0 {
		t.Fatalf("no timeline for %s", key)
	}
	svg := dom[start:]
	return svg[:strings.Index(svg, "</svg>")]
}
