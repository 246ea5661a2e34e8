package report

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tokenhunt/tokenhunt/hunts/findings"
	"github.com/tokenhunt/tokenhunt/internal/redact"
)

var t0 = time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)

func finding(id, rule, level string, at time.Duration, entity map[string]string) findings.Finding {
	return findings.Finding{
		ID: id, Hunt: "h", Source: "cloudtrail", Kind: "event", Count: 1,
		Rule:    findings.Rule{ID: rule, Title: "Title " + rule, Level: level},
		FiredAt: t0.Add(at), FirstSeen: t0.Add(at), LastSeen: t0.Add(at), Entity: entity, EventIDs: []string{"ev-" + id},
	}
}

func writeJSONL(t *testing.T, path string, fs ...findings.Finding) {
	t.Helper()
	var b bytes.Buffer
	for _, f := range fs {
		j, err := json.Marshal(f)
		if err != nil {
			t.Fatal(err)
		}
		b.Write(j)
		b.WriteByte('\n')
	}
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

func render(t *testing.T, r *Report) string {
	t.Helper()
	var b bytes.Buffer
	if err := r.WriteHTML(&b); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func TestReadFilesMergesWithoutDuplicates(t *testing.T) {
	dir := t.TempDir()
	a := finding("a", "r1", "high", 2*time.Hour, nil)
	b := finding("b", "r1", "high", time.Hour, nil)
	c := finding("c", "r2", "low", 3*time.Hour, nil)
	// Run 2 saw b again (same id) and found c; run 1 listed a twice.
	writeJSONL(t, filepath.Join(dir, "1.jsonl"), a, b, a)
	writeJSONL(t, filepath.Join(dir, "2.jsonl"), b, c)
	fs, err := ReadFiles(filepath.Join(dir, "1.jsonl"), filepath.Join(dir, "2.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, f := range fs {
		ids = append(ids, f.ID)
	}
	if diff := cmp.Diff([]string{"b", "a", "c"}, ids); diff != "" {
		t.Errorf("merged ids, in firing order (-want +got):\n%s", diff)
	}
	if got := Build(fs, Options{}).Total; got != 3 {
		t.Errorf("total = %d, want 3", got)
	}
}

func TestReadFilesErrors(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.jsonl")
	os.WriteFile(bad, []byte("{\"id\":\"x\"}\nnot json\n"), 0o644)
	noid := filepath.Join(dir, "noid.jsonl")
	os.WriteFile(noid, []byte("{\"hunt\":\"h\"}\n"), 0o644)
	for _, c := range []struct{ path, want string }{
		{bad, "bad.jsonl:2: not a finding"},
		{noid, "noid.jsonl:1: finding without an id"},
		{filepath.Join(dir, "missing.jsonl"), "no such file"},
	} {
		_, err := ReadFiles(c.path)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("ReadFiles(%s) = %v, want an error with %q", filepath.Base(c.path), err, c.want)
		}
	}
}

func TestBuildCounts(t *testing.T) {
	fs := synth(500, t0)
	r := Build(fs, Options{})
	if r.Total != 500 {
		t.Fatalf("total = %d, want 500", r.Total)
	}
	wantLevel := map[string]int{}
	wantRule := map[string]int{}
	wantCloud := map[string]int{}
	for _, f := range fs {
		wantLevel[f.Rule.Level]++
		wantRule[f.Rule.ID]++
		wantCloud[map[string]string{"cloudtrail": "aws", "gcp": "gcp", "entra": "azure"}[f.Source]]++
	}
	gotLevel, gotRule, gotCloud := map[string]int{}, map[string]int{}, map[string]int{}
	var order []string
	for _, b := range r.Levels {
		gotLevel[b.Label] = b.Count
		order = append(order, b.Label)
	}
	for _, rr := range r.Rules {
		gotRule[rr.ID] = rr.Count
	}
	for _, b := range r.Clouds {
		gotCloud[b.Label] = b.Count
	}
	for _, c := range []struct {
		name      string
		want, got map[string]int
	}{{"level", wantLevel, gotLevel}, {"rule", wantRule, gotRule}, {"cloud", wantCloud, gotCloud}} {
		if diff := cmp.Diff(c.want, c.got); diff != "" {
			t.Errorf("findings by %s (-want +got):\n%s", c.name, diff)
		}
	}
	if diff := cmp.Diff([]string{"critical", "high", "medium", "low", "informational"}, order); diff != "" {
		t.Errorf("levels, most severe first (-want +got):\n%s", diff)
	}
	for i := 1; i < len(r.Entities); i++ {
		if r.Entities[i].Count > r.Entities[i-1].Count {
			t.Errorf("busiest entities out of order at %d: %d after %d", i, r.Entities[i].Count, r.Entities[i-1].Count)
		}
	}
	if len(r.Entities) != 20 {
		t.Errorf("busiest entities: %d rows, want the default 20", len(r.Entities))
	}
}

func TestReplayedTokenTimeline(t *testing.T) {
	r := Build(synth(300, t0), Options{})
	if len(r.Timelines) == 0 {
		t.Fatal("no timelines")
	}
	tl := r.Timelines[0] // replayed keys and tokens come first
	if tl.Key != KindAccessKey+":"+replayKey || !tl.Replay {
		t.Fatalf("first timeline = %s (replay %v), want the replayed key %s", tl.Key, tl.Replay, replayKey)
	}
	var lanes []string
	for _, l := range tl.Lanes {
		lanes = append(lanes, l.Label)
	}
	want := append([]string(nil), replayAddrs...)
	// Busiest first: 7 findings over 3 addresses are 3, 2, 2.
	if diff := cmp.Diff([]string{"198.51.100.7", "192.0.2.41", "203.0.113.99"}, lanes); diff != "" {
		t.Errorf("lanes (-want +got):\n%s (addresses %v)", diff, want)
	}
	if len(tl.Marks) != 7 || tl.Addrs != 3 {
		t.Errorf("marks = %d, addresses = %d; want 7 and 3", len(tl.Marks), tl.Addrs)
	}
	for i := 1; i < len(tl.Marks); i++ {
		if tl.Marks[i].X < tl.Marks[i-1].X {
			t.Errorf("mark %d at x=%v before mark %d at x=%v: not in time order", i, tl.Marks[i].X, i-1, tl.Marks[i-1].X)
		}
	}
	if len(tl.Agents) != 2 {
		t.Errorf("user agents = %v, want 2", tl.Agents)
	}
}

func TestCaps(t *testing.T) {
	fs := synth(400, t0)
	r := Build(fs, Options{MaxDetails: 50, MaxTimelines: 5, MaxMarks: 3, MaxEventIDs: 1})
	if len(r.Findings) != 50 || r.DetailsOmitted != 350 {
		t.Errorf("sections = %d, omitted = %d; want 50 and 350", len(r.Findings), r.DetailsOmitted)
	}
	// The sections kept are the most severe.
	for _, f := range r.Findings {
		if f.Level != "critical" && f.Level != "high" {
			t.Errorf("section for a %s finding kept over more severe ones", f.Level)
			break
		}
	}
	if len(r.Timelines) != 5 || r.TimelinesOmitted == 0 {
		t.Errorf("timelines = %d (omitted %d), want 5 and some omitted", len(r.Timelines), r.TimelinesOmitted)
	}
	for _, tl := range r.Timelines {
		if len(tl.Marks) > 3 || len(tl.Marks)+tl.Dropped != tl.Count {
			t.Errorf("timeline %s: %d marks + %d dropped != %d findings (cap 3)", tl.Key, len(tl.Marks), tl.Dropped, tl.Count)
		}
	}
	for _, f := range r.Findings {
		if len(f.EventIDs) > 1 {
			t.Errorf("finding %s prints %d event ids, cap 1", f.ID, len(f.EventIDs))
		}
		if f.Rule.ID == "r-aws-replay" && f.MoreEvents != 2 {
			t.Errorf("finding %s: %d more events, want 2", f.ID, f.MoreEvents)
		}
	}
}

const rawKey = "AKIAIOSFODNN7EXAMPLE"

func TestRedactsAgain(t *testing.T) {
	// A findings file written by hand (or an older version) with raw
	// secrets: the report must not print them.
	f := finding("x", "r1", "high", 0, map[string]string{"access_key_id": rawKey, "principal": "alice", "source_ip": "192.0.2.1"})
	f.Rule.Title = "key " + rawKey + " used"
	f.Group = map[string]string{"userIdentity.accessKeyId": rawKey}
	f.Sample = map[string]any{"sessionToken": "IQoJb3JpZ2luX2VjEXAMPLETOKENVALUE000000", "eventName": "GetCallerIdentity"}
	f.EventIDs = []string{"ev " + rawKey}
	rules := map[string]*RuleInfo{"r1": {ID: "r1", Cloud: "aws", Description: "about " + rawKey, Response: []Step{
		{Description: "disable " + rawKey, Command: "aws iam update-access-key --access-key-id {{userIdentity.accessKeyId}} --status Inactive # " + rawKey},
	}}}
	page := render(t, Build([]findings.Finding{f}, Options{Rules: rules, Title: "for " + rawKey, Inputs: []string{"/tmp/" + rawKey}}))
	if strings.Contains(page, rawKey) || strings.Contains(page, "EXAMPLETOKENVALUE") {
		t.Errorf("the report prints a raw secret")
	}
	red := redact.Value(rawKey)
	if n := strings.Count(page, red); n < 8 {
		t.Errorf("redacted key %s appears %d times, want it everywhere the key was (>= 8)", red, n)
	}
	if !strings.Contains(page, "--access-key-id <mark class=\"v\" title=\"userIdentity.accessKeyId\">"+red+"</mark>") {
		t.Errorf("response step not filled with the redacted key")
	}
}

func TestEscapesHostileStrings(t *testing.T) {
	f := finding("x", `r"><script>alert(1)</script>`, "high", 0, map[string]string{
		"principal": `"><img src=x onerror=alert(2)>`, "source_ip": "</text><script>alert(3)</script>", "user_agent": "<svg onload=alert(4)>",
	})
	f.Rule.Title = "<script>alert('title')</script>"
	f.Rule.Tags = []string{"<b>tag</b>"}
	f.Group = map[string]string{"SessionId": "javascript:alert(5)"}
	rules := map[string]*RuleInfo{f.Rule.ID: {ID: f.Rule.ID, Description: "<iframe src=//evil>", Response: []Step{
		{Description: "<script>x</script>", Command: "echo {{principal}} </pre><script>alert(6)</script>"},
	}}}
	page := render(t, Build([]findings.Finding{f}, Options{Rules: rules, Title: "</title><script>alert(7)</script>"}))
	for _, bad := range []string{"<script>alert", "<img src=x", "<svg onload", "<iframe", "<b>tag", "<script>x", "href=\"javascript:"} {
		if strings.Contains(page, bad) {
			t.Errorf("the report contains %q unescaped", bad)
		}
	}
	if got := strings.Count(page, "<script>"); got != 1 {
		t.Errorf("%d <script> elements, want only the report's own", got)
	}
	if !strings.Contains(page, "&lt;script&gt;alert(&#39;title&#39;)&lt;/script&gt;") {
		t.Errorf("escaped rule title missing")
	}
}

func TestFill(t *testing.T) {
	f := finding("x", "r", "high", 0, map[string]string{"principal": "arn:aws:iam::1:user/bob", "source_ip": "192.0.2.9"})
	f.Group = map[string]string{"requestParameters.roleArn": "arn:aws:iam::1:role/r"}
	f.Sample = map[string]any{"eventName": "AssumeRole"}
	got := Fill("revoke {{ requestParameters.roleArn }} for {{userIdentity.arn}} from {{sourceIPAddress}} ({{eventName}}) {{nope}}", f)
	want := []Segment{
		{Text: "revoke "}, {Text: "arn:aws:iam::1:role/r", Field: "requestParameters.roleArn"},
		{Text: " for "}, {Text: "arn:aws:iam::1:user/bob", Field: "userIdentity.arn"},
		{Text: " from "}, {Text: "192.0.2.9", Field: "sourceIPAddress"},
		{Text: " ("}, {Text: "AssumeRole", Field: "eventName"}, {Text: ") "},
		{Text: "{{nope}}", Field: "nope", Missing: true},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Fill (-want +got):\n%s", diff)
	}
}

func TestLoadRules(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "a.yml"), []byte(`title: Base
id: base-1
logsource: {product: aws, service: cloudtrail}
detection: {sel: {a: 1}, condition: sel}
level: informational
---
title: Corr
id: corr-1
level: high
correlation: {type: event_count, rules: [base-1], group-by: [k], timespan: 1h, condition: {gte: 2}}
response:
    - description: Disable the key
      command: aws iam update-access-key --access-key-id {{k}} --status Inactive
`), 0o644)
	os.WriteFile(filepath.Join(dir, "a.tests.yml"), []byte("id: not-a-rule\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "bad.yml"), []byte("id: [\n"), 0o644)
	rules, warns, err := LoadRules([]string{dir})
	if err != nil {
		t.Fatal(err)
	}
	if len(warns) != 1 || !strings.Contains(warns[0].Error(), "bad.yml") {
		t.Errorf("warnings = %v, want one for bad.yml", warns)
	}
	var ids []string
	for id := range rules {
		ids = append(ids, id)
	}
	if len(rules) != 2 || rules["base-1"] == nil || rules["corr-1"] == nil {
		t.Fatalf("rules = %v, want base-1 and corr-1", ids)
	}
	if rules["base-1"].Cloud != "aws" {
		t.Errorf("base-1 cloud = %q, want aws", rules["base-1"].Cloud)
	}
	if diff := cmp.Diff([]Step{{Description: "Disable the key", Command: "aws iam update-access-key --access-key-id {{k}} --status Inactive"}}, rules["corr-1"].Response); diff != "" {
		t.Errorf("response (-want +got):\n%s", diff)
	}
}

func TestShippedRulesLoad(t *testing.T) {
	rules, warns, err := LoadRules([]string{"../../rules"})
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range warns {
		t.Errorf("shipped rule: %v", w)
	}
	if len(rules) < 10 {
		t.Errorf("%d shipped rules read, want many", len(rules))
	}
}

func TestGenerate(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "findings.jsonl")
	writeJSONL(t, in, synth(50, t0)...)
	out := filepath.Join(dir, "report.html")
	sum, err := Generate(Config{Inputs: []string{in, in}, Output: out})
	if err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(out)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Findings != 50 || sum.Bytes != st.Size() {
		t.Errorf("summary %+v, want 50 findings and %d bytes", sum, st.Size())
	}
	// A hunt that has found nothing yet has no findings file.
	sum, err = Generate(Config{Inputs: []string{filepath.Join(dir, "none.jsonl")}, MissingOK: true, Output: filepath.Join(dir, "empty.html")})
	if err != nil || sum.Findings != 0 {
		t.Errorf("report of a missing file with MissingOK: %+v, %v; want an empty report", sum, err)
	}
	b, _ := os.ReadFile(out)
	for _, bad := range []string{"http://", "https://", "src=\"//"} {
		if bytes.Contains(b, []byte(bad)) {
			t.Errorf("report refers to the network: %q", bad)
		}
	}
}

func TestParseTime(t *testing.T) {
	want := time.Date(2026, 11, 19, 1, 28, 39, 0, time.UTC)
	for _, s := range []string{"2026-11-19T01:28:39Z", "2026-11-19 01:28:39+00", "2026-11-19 01:28:39+00:00", "2026-11-19 01:28:39", "2026-11-19 02:28:39+01"} {
		if got := parseTime(s); !got.Equal(want) {
			t.Errorf("parseTime(%q) = %v, want %v", s, got, want)
		}
	}
	if got := parseTime("yesterday"); !got.IsZero() {
		t.Errorf("parseTime(yesterday) = %v, want zero", got)
	}
}

// A correlation finding without an address of its own is drawn on the
// rows of its events' addresses, and the issuing event as a diamond.
func TestEventsPlaceCorrelationAndIssuance(t *testing.T) {
	key := redact.Value("ASIAEVENTSKEY0000001")
	f := finding("c1", "r-issued-then-read", "high", 2*time.Hour, map[string]string{"access_key_id": key})
	f.Kind, f.EventIDs = "correlation", []string{"e-issue", "e-read-1", "e-read-2", "e-missing"}
	evs := map[string]Event{
		"e-issue":  {ID: "e-issue", Time: t0.Add(90 * time.Minute), Name: "AssumeRole", Addr: "198.51.100.7", Issued: true},
		"e-read-1": {ID: "e-read-1", Time: t0.Add(100 * time.Minute), Name: "GetSecretValue", Addr: "198.51.100.7"},
		"e-read-2": {ID: "e-read-2", Time: t0.Add(110 * time.Minute), Name: "GetSecretValue", Addr: "203.0.113.99"},
	}
	r := Build([]findings.Finding{f}, Options{Events: evs})
	if len(r.Timelines) == 0 || r.Timelines[0].Key != KindAccessKey+":"+key {
		t.Fatalf("no timeline for %s: %+v", key, r.Timelines)
	}
	tl := r.Timelines[0]
	type mark struct {
		Lane  string
		Issue bool
	}
	laneAt := map[float64]string{}
	for _, l := range tl.Lanes {
		laneAt[l.Y] = l.Label
	}
	var got []mark
	for _, m := range tl.Marks {
		got = append(got, mark{laneAt[m.Y], m.Issue})
	}
	want := []mark{{"198.51.100.7", true}, {"198.51.100.7", false}, {"203.0.113.99", false}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("marks (-want +got):\n%s", diff)
	}
	if !tl.Replay || tl.Addrs != 2 {
		t.Errorf("replay = %v, addresses = %d; want true, 2", tl.Replay, tl.Addrs)
	}
	if tl.Marks[0].X >= tl.Marks[1].X || tl.Marks[1].X >= tl.Marks[2].X {
		t.Errorf("marks not in event time order: %+v", tl.Marks)
	}
	var names []string
	for _, e := range r.Findings[0].Events {
		names = append(names, e.Name)
	}
	if diff := cmp.Diff([]string{"AssumeRole", "GetSecretValue", "GetSecretValue"}, names); diff != "" {
		t.Errorf("finding's events (-want +got):\n%s", diff)
	}
}

func TestCompileQueriesShippedRules(t *testing.T) {
	qs, _, err := CompileQueries([]string{"../../rules/aws"}, []string{"cloudtrail"})
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{
		"aabc9605-918e-4842-b010-775bdb58f708", // session token replay (correlation)
		"5cfc1122-8bda-4278-9d23-dcbb9720d63c", // its base rule
	} {
		var got []string
		for _, q := range qs[id] {
			got = append(got, q.Backend)
			if q.Backend == "duckdb" && (q.Err != "" || !strings.Contains(q.Text, "SELECT")) {
				t.Errorf("%s: duckdb query %q, error %q", id, q.Text, q.Err)
			}
			if q.Text == "" && q.Err == "" {
				t.Errorf("%s: %s has neither a query nor an error", id, q.Backend)
			}
		}
		if diff := cmp.Diff([]string{"duckdb", "athena", "bigquery", "kql"}, got); diff != "" {
			t.Errorf("%s: backends (-want +got):\n%s", id, diff)
		}
	}
	if _, _, err := CompileQueries([]string{"../../rules/aws"}, []string{"no-such-pipeline"}); err == nil {
		t.Errorf("an unknown pipeline is not an error")
	}
}
