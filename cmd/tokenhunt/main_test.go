package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"gopkg.in/yaml.v3"

	"github.com/tokenhunt/tokenhunt/backends"
	"github.com/tokenhunt/tokenhunt/compiler/ir"
)

const (
	rulesDir   = "../../rules"
	awsRules   = "../../rules/aws/cloudtrail"
	fedToken   = "../../rules/aws/cloudtrail/aws_sts_get_federation_token.yml"
	sampleDir  = "../../testdata/sample"
	sampleFile = "../../testdata/sample/cloudtrail/2026/11/28/sample.json"
)

// cli runs the command line and returns its exit code and output.
func cli(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = run(context.Background(), args, &out, &errOut)
	return code, out.String(), errOut.String()
}

// ruleHeader is what a test needs from a rule.
type ruleHeader struct {
	File        string         `yaml:"-"`
	ID          string         `yaml:"id"`
	Title       string         `yaml:"title"`
	Detection   map[string]any `yaml:"detection"`
	Correlation map[string]any `yaml:"correlation"`
}

// plainDetections reads the shipped CloudTrail rule files that hold one
// detection rule and no correlation, in file name order.
func plainDetections(t *testing.T) []ruleHeader {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(awsRules, "*.yml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no rules in %s: %v", awsRules, err)
	}
	slices.Sort(files)
	var out []ruleHeader
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		dec := yaml.NewDecoder(bytes.NewReader(data))
		var docs []ruleHeader
		for {
			var h ruleHeader
			if err := dec.Decode(&h); err != nil {
				break
			}
			h.File = f
			docs = append(docs, h)
		}
		if len(docs) == 1 && docs[0].Detection != nil && docs[0].Correlation == nil {
			out = append(out, docs[0])
		}
	}
	return out
}

// writeRules writes rule files into a fresh folder and returns it.
func writeRules(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, text := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func lines(s string) []string { return strings.Split(strings.TrimRight(s, "\n"), "\n") }

const goodRule = `title: Federation Token
id: 0b8f3c52-5f0e-4a34-9e43-3a4f4d2c1b01
logsource:
  product: aws
  service: cloudtrail
detection:
  sel:
    eventName: GetFederationToken
  condition: sel
level: high
`

// badModifier has an unknown modifier at line 8, column 15.
const badModifier = `title: Bad Modifier
id: 0b8f3c52-5f0e-4a34-9e43-3a4f4d2c1b02
logsource:
  product: aws
  service: cloudtrail
detection:
  sel:
    eventName|foo: GetFederationToken
  condition: sel
level: low
`

// badCondition has a condition that stops short at line 9, column 21.
const badCondition = `title: Bad Condition
id: 0b8f3c52-5f0e-4a34-9e43-3a4f4d2c1b03
logsource:
  product: aws
  service: cloudtrail
detection:
  sel:
    eventName: A
  condition: sel and
`

func TestConvertOneRule(t *testing.T) {
	code, out, errOut := cli(t, "convert", "-p", "cloudtrail", fedToken)
	if code != 0 {
		t.Fatalf("exit %d, stderr:\n%s", code, errOut)
	}
	// One rule: the query alone, on one line, ready to paste.
	if ls := lines(out); len(ls) != 1 || !strings.HasPrefix(out, `SELECT * FROM "cloudtrail" WHERE `) || !strings.Contains(out, "'getfederationtoken'") {
		t.Errorf("stdout is not one query:\n%s", out)
	}
	if errOut != "" {
		t.Errorf("stderr: %s", errOut)
	}
}

// threeRules writes rule files whose order, ids and titles the tests know;
// the titles hold a run of two spaces.
func threeRules(t *testing.T) (dir string, ids, titles []string) {
	t.Helper()
	files := map[string]string{}
	for i, ev := range []string{"GetFederationToken", "StopLogging", "GetSecretValue"} {
		id := fmt.Sprintf("0b8f3c52-5f0e-4a34-9e43-3a4f4d2c1c%02d", i)
		title := "Rule  " + ev // two spaces: the comment line folds them
		rule := strings.NewReplacer("Federation Token", title, "GetFederationToken", ev, "0b8f3c52-5f0e-4a34-9e43-3a4f4d2c1b01", id).Replace(goodRule)
		files[fmt.Sprintf("r%d.yml", i)] = rule
		ids = append(ids, id)
		titles = append(titles, title)
	}
	return writeRules(t, files), ids, titles
}

func TestConvertSeveralRules(t *testing.T) {
	dir, ids, titles := threeRules(t)
	code, out, errOut := cli(t, "convert", "-p", "cloudtrail", dir)
	if code != 0 {
		t.Fatalf("exit %d, stderr:\n%s", code, errOut)
	}
	// Blocks separated by a blank line, each a "-- id: title" comment and
	// the query.
	blocks := strings.Split(strings.TrimSuffix(out, "\n"), "\n\n")
	if len(blocks) != len(ids) {
		t.Fatalf("%d blocks for %d rules:\n%s", len(blocks), len(ids), out)
	}
	for i, b := range blocks {
		ls := strings.Split(b, "\n")
		// The comment keeps the title on one line, runs of spaces folded.
		if want := "-- " + ids[i] + ": " + strings.Join(strings.Fields(titles[i]), " "); ls[0] != want {
			t.Errorf("block %d starts with %q, want %q", i, ls[0], want)
		}
		if len(ls) != 2 || !strings.HasPrefix(ls[1], `SELECT * FROM "cloudtrail" WHERE `) {
			t.Errorf("block %d is not a comment and one query:\n%s", i, b)
		}
	}

	// The IR target comments with #.
	code, out, _ = cli(t, "convert", "-p", "cloudtrail", "-t", "ir", dir)
	if want := "# " + ids[0] + ": Rule GetFederationToken\nrule " + ids[0] + "\n"; code != 0 || !strings.HasPrefix(out, want) {
		t.Errorf("convert -t ir: exit %d, output starts:\n%.200s\nwant:\n%s", code, out, want)
	}
}

func TestConvertJSON(t *testing.T) {
	dir, ids, titles := threeRules(t)
	tagged := strings.Replace(goodRule, "level: high\n", "level: medium\ntags:\n  - attack.persistence\n  - attack.t1550.001\n", 1)
	if err := os.WriteFile(filepath.Join(dir, "r9.yml"), []byte(tagged), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := cli(t, "convert", "-p", "cloudtrail", "-f", "json", dir)
	if code != 0 {
		t.Fatalf("exit %d, stderr:\n%s", code, errOut)
	}
	type object struct {
		ID        string       `json:"id"`
		Title     string       `json:"title"`
		Level     string       `json:"level"`
		Tags      []string     `json:"tags"`
		Logsource ir.Logsource `json:"logsource"`
		Query     string       `json:"query"`
	}
	aws := ir.Logsource{Product: "aws", Service: "cloudtrail"}
	var want []object
	for i := range ids {
		want = append(want, object{ID: ids[i], Title: titles[i], Level: "high", Tags: []string{}, Logsource: aws})
	}
	want = append(want, object{ID: "0b8f3c52-5f0e-4a34-9e43-3a4f4d2c1b01", Title: "Federation Token", Level: "medium", Tags: []string{"attack.persistence", "attack.t1550.001"}, Logsource: aws})
	var got []object
	for i, l := range lines(out) {
		var o object
		if err := json.Unmarshal([]byte(l), &o); err != nil {
			t.Fatalf("line %d is not a JSON object: %v\n%s", i+1, err, l)
		}
		if !strings.HasPrefix(o.Query, `SELECT * FROM "cloudtrail" WHERE `) {
			t.Errorf("line %d: query %q", i+1, o.Query)
		}
		o.Query = ""
		got = append(got, o)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("objects (-want +got):\n%s", diff)
	}
}

func TestConvertIR(t *testing.T) {
	code, out, errOut := cli(t, "convert", "-p", "cloudtrail", "-t", "ir", fedToken)
	if code != 0 {
		t.Fatalf("exit %d, stderr:\n%s", code, errOut)
	}
	if !strings.HasPrefix(out, "rule 59b9a65c-dc27-45e1-a1bf-1223e7fd9d3e\n  title \"AWS STS Federation Token Issued\"\n") {
		t.Errorf("output starts:\n%.200s", out)
	}
	// The condition reads back with ir.Parse.
	_, where, ok := strings.Cut(out, "\n  where\n")
	if !ok {
		t.Fatalf("no where line:\n%s", out)
	}
	e, err := ir.Parse(where)
	if err != nil {
		t.Fatalf("ir.Parse: %v\n%s", err, where)
	}
	if got, want := ir.Flat(e), `(and (eq ci eventSource "sts.amazonaws.com") (eq ci eventName "GetFederationToken"))`; got != want {
		t.Errorf("where %s, want %s", got, want)
	}

	// As JSON, the query is the IR's JSON.
	code, out, errOut = cli(t, "convert", "-p", "cloudtrail", "-t", "ir", "-f", "json", fedToken)
	if code != 0 {
		t.Fatalf("-f json: exit %d, stderr:\n%s", code, errOut)
	}
	var got struct {
		ID    string `json:"id"`
		Query struct {
			Op   string            `json:"op"`
			Args []json.RawMessage `json:"args"`
		} `json:"query"`
	}
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("-f json: %v\n%s", err, out)
	}
	if got.ID != "59b9a65c-dc27-45e1-a1bf-1223e7fd9d3e" || got.Query.Op != "and" || len(got.Query.Args) != 2 {
		t.Errorf("-f json: %s", out)
	}
}

func TestConvertOutputFile(t *testing.T) {
	dir, _, _ := threeRules(t)
	_, want, _ := cli(t, "convert", "-p", "cloudtrail", dir)
	path := filepath.Join(t.TempDir(), "queries.sql")
	code, out, errOut := cli(t, "convert", "-p", "cloudtrail", "-o", path, dir)
	if code != 0 {
		t.Fatalf("exit %d, stderr:\n%s", code, errOut)
	}
	if out != "" {
		t.Errorf("stdout not empty with -o: %q", out)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, string(data)); diff != "" {
		t.Errorf("file (-stdout +file):\n%s", diff)
	}

	// A file that cannot be written is an I/O error.
	code, _, errOut = cli(t, "convert", "-p", "cloudtrail", "-o", filepath.Join(t.TempDir(), "missing", "q.sql"), fedToken)
	if code != 2 || !strings.Contains(errOut, "missing") {
		t.Errorf("unwritable -o: exit %d, stderr %q", code, errOut)
	}
}

func TestConvertUsageErrors(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"convert", "-t", "splunk", fedToken}, `tokenhunt: unknown target "splunk": choose one of ir, duckdb`},
		{[]string{"convert", "-f", "yaml", fedToken}, `tokenhunt: unknown format "yaml": choose text or json`},
		{[]string{"convert", "-p", "no-such-pipeline", fedToken}, `no-such-pipeline`},
		{[]string{"convert"}, `requires at least 1 arg`},
		{[]string{"frobnicate"}, `unknown command "frobnicate"`},
		// Paths that name no rule file are usage errors, not rule errors.
		{[]string{"convert", "no-such-rule.yml"}, `tokenhunt: no-such-rule.yml: no such file or directory`},
		{[]string{"check", "no-such-rule.yml"}, `tokenhunt: no-such-rule.yml: no such file or directory`},
		{[]string{"convert", "no-such-*.yml"}, `tokenhunt: no-such-*.yml: no file matches this pattern`},
		{[]string{"check", "../../testdata/sample/cloudtrail"}, `tokenhunt: no rule files (*.yml, *.yaml) in ../../testdata/sample/cloudtrail`},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			code, out, errOut := cli(t, tt.args...)
			if code != 2 {
				t.Errorf("exit %d, want 2", code)
			}
			if out != "" {
				t.Errorf("stdout %q, want nothing", out)
			}
			if !strings.Contains(errOut, tt.want) {
				t.Errorf("stderr %q does not say %q", errOut, tt.want)
			}
		})
	}
}

// nulValue compiles, but the DuckDB backend rejects its value at line 8,
// column 5: an error of a later stage than the others.
const nulValue = `title: Nul Value
id: 0b8f3c52-5f0e-4a34-9e43-3a4f4d2c1b04
logsource:
  product: aws
  service: cloudtrail
detection:
  sel:
    eventName: "a\0b"
  condition: sel
`

// TestConvertBrokenRules: the good rule's query is still printed; each
// error is on stderr at file:line:col, sorted by file and position whatever
// stage found it; the exit code is 1.
func TestConvertBrokenRules(t *testing.T) {
	dir := writeRules(t, map[string]string{"a_nul.yml": nulValue, "b_good.yml": goodRule, "c_bad.yml": badModifier, "d_bad.yml": badCondition})
	code, out, errOut := cli(t, "convert", "-p", "cloudtrail", dir)
	if code != 1 {
		t.Errorf("exit %d, want 1", code)
	}
	// One good rule of four: no comment line.
	if want := `SELECT * FROM "cloudtrail" WHERE lower("eventName") = 'getfederationtoken'` + "\n"; out != want {
		t.Errorf("stdout %q, want %q", out, want)
	}
	got := lines(errOut)
	want := []string{
		filepath.Join(dir, "a_nul.yml") + `:8:5: rule 0b8f3c52-5f0e-4a34-9e43-3a4f4d2c1b04: duckdb: field "eventName": value "a\x00b" contains a NUL character`,
		filepath.Join(dir, "c_bad.yml") + `:8:15: rule 0b8f3c52-5f0e-4a34-9e43-3a4f4d2c1b02: unknown modifier "foo"`,
		filepath.Join(dir, "d_bad.yml") + ":9:21: rule 0b8f3c52-5f0e-4a34-9e43-3a4f4d2c1b03: condition: unexpected end of condition",
		"tokenhunt: 3 of 4 rules failed",
	}
	if len(got) != len(want) {
		t.Fatalf("stderr has %d lines, want %d:\n%s", len(got), len(want), errOut)
	}
	for i := range want {
		if !strings.HasPrefix(got[i], want[i]) {
			t.Errorf("stderr line %d:\n got %s\nwant %s…", i+1, got[i], want[i])
		}
	}
}

func TestCheckShippedRules(t *testing.T) {
	all := []string{"check", "-p", "cloudtrail", "-p", "entra-duckdb", "-p", "gcp-duckdb", "-p", "cicd-duckdb", "-p", "proxy-duckdb", rulesDir}
	for _, args := range [][]string{{"check", rulesDir}, {"check", "-p", "cloudtrail", filepath.Join(rulesDir, "aws")}, all} {
		code, out, errOut := cli(t, args...)
		if code != 0 {
			t.Errorf("%s: exit %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), code, out, errOut)
			continue
		}
		if !regexp.MustCompile(`^\d+ rules checked, 0 errors, 0 warnings\n$`).MatchString(out) {
			t.Errorf("%s: stdout %q", strings.Join(args, " "), out)
		}
	}
}

func TestCheckBadRule(t *testing.T) {
	dir := writeRules(t, map[string]string{"bad.yml": badModifier})
	file := filepath.Join(dir, "bad.yml")
	code, out, _ := cli(t, "check", file)
	if code != 1 {
		t.Errorf("exit %d, want 1", code)
	}
	ls := lines(out)
	if want := file + `:8:15: rule 0b8f3c52-5f0e-4a34-9e43-3a4f4d2c1b02: unknown modifier "foo"`; !strings.HasPrefix(ls[0], want) {
		t.Errorf("first line %q, want %q…", ls[0], want)
	}
	if last := ls[len(ls)-1]; last != "1 rules checked, 1 errors, 0 warnings" {
		t.Errorf("last line %q", last)
	}
}

// checkJSON is the shape of check --json.
type checkJSON struct {
	Rules    int `json:"rules"`
	Problems []struct {
		File     string `json:"file"`
		Line     int    `json:"line"`
		Col      int    `json:"col"`
		Rule     string `json:"rule"`
		Severity string `json:"severity"`
		Message  string `json:"message"`
		Hint     string `json:"hint"`
	} `json:"problems"`
}

func checkAsJSON(t *testing.T, args ...string) (int, checkJSON) {
	t.Helper()
	code, out, errOut := cli(t, append([]string{"check", "--json"}, args...)...)
	dec := json.NewDecoder(strings.NewReader(out))
	var got checkJSON
	if err := dec.Decode(&got); err != nil {
		t.Fatalf("check --json output: %v\n%s\nstderr: %s", err, out, errOut)
	}
	return code, got
}

func TestCheckJSON(t *testing.T) {
	dir := writeRules(t, map[string]string{"a_good.yml": goodRule, "b_bad.yml": badModifier})
	code, got := checkAsJSON(t, dir)
	if code != 1 {
		t.Errorf("exit %d, want 1", code)
	}
	if got.Rules != 2 || len(got.Problems) != 1 {
		t.Fatalf("got %+v, want 2 rules and one problem", got)
	}
	p := got.Problems[0]
	if p.File != filepath.Join(dir, "b_bad.yml") || p.Line != 8 || p.Col != 15 || p.Rule != "0b8f3c52-5f0e-4a34-9e43-3a4f4d2c1b02" || p.Severity != "error" ||
		!strings.HasPrefix(p.Message, `unknown modifier "foo"`) {
		t.Errorf("problem %+v", p)
	}

	// No problems: an empty list, not null.
	_, out, _ := cli(t, "check", "--json", filepath.Join(dir, "a_good.yml"))
	if !strings.Contains(out, `"problems": []`) {
		t.Errorf("check --json without problems:\n%s", out)
	}
}

func TestCheckUnusedSelection(t *testing.T) {
	rule := strings.Replace(goodRule, "  condition: sel\n", "  spare:\n    eventName: X\n  condition: sel\n", 1)
	dir := writeRules(t, map[string]string{"r.yml": rule})
	code, out, _ := cli(t, "check", dir)
	if code != 0 {
		t.Errorf("a warning alone: exit %d, want 0", code)
	}
	want := filepath.Join(dir, "r.yml") + `:9:3: warning: rule 0b8f3c52-5f0e-4a34-9e43-3a4f4d2c1b01: selection "spare" is not used by any condition`
	if ls := lines(out); !strings.HasPrefix(ls[0], want) || ls[len(ls)-1] != "1 rules checked, 0 errors, 1 warnings" {
		t.Errorf("stdout:\n%s\nwant first line %s…", out, want)
	}
	code, got := checkAsJSON(t, dir)
	if code != 0 || len(got.Problems) != 1 || got.Problems[0].Severity != "warning" {
		t.Errorf("--json: exit %d, %+v", code, got)
	}
}

func TestCheckDuplicateIDs(t *testing.T) {
	other := strings.Replace(goodRule, "title: Federation Token", "title: Same Id", 1)
	dir := writeRules(t, map[string]string{"one.yml": goodRule, "two.yml": other})
	code, got := checkAsJSON(t, dir)
	if code != 1 {
		t.Errorf("exit %d, want 1", code)
	}
	if len(got.Problems) != 1 {
		t.Fatalf("want one problem, got %+v", got.Problems)
	}
	p := got.Problems[0]
	files := []string{filepath.Join(dir, "one.yml"), filepath.Join(dir, "two.yml")}
	// Reported at one file, naming the other.
	at, also := slices.Index(files, p.File), -1
	for i, f := range files {
		if i != at && strings.Contains(p.Message, f+":2:5") {
			also = i
		}
	}
	if at < 0 || also < 0 || p.Line != 2 || p.Col != 5 || p.Severity != "error" || !strings.HasPrefix(p.Message, "duplicate id") {
		t.Errorf("problem %+v", p)
	}
}

// TestRunSample runs the shipped rules over the sample CloudTrail file: each
// rule finds the records expected.json lists, the exit code says there were
// matches, and no access key id is printed in clear.
func TestRunSample(t *testing.T) {
	raw, err := os.ReadFile(sampleFile)
	if err != nil {
		t.Fatal(err)
	}
	for _, secret := range []string{"ASIAEXAMPLE", "AKIAEXAMPLE"} {
		if !bytes.Contains(raw, []byte(secret)) {
			t.Fatalf("the sample no longer holds %s keys: this test would prove nothing", secret)
		}
	}
	var expected map[string][]string
	data, err := os.ReadFile(filepath.Join(sampleDir, "expected.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &expected); err != nil {
		t.Fatal(err)
	}
	// Each plain detection rule matches the records expected.json lists.
	wantCounts := map[string]int{}
	for _, h := range plainDetections(t) {
		stem := strings.TrimSuffix(filepath.Base(h.File), ".yml")
		ids, ok := expected[stem]
		if !ok {
			t.Fatalf("expected.json has no entry for %s", stem)
		}
		wantCounts[h.Title] = len(ids)
	}

	code, out, errOut := cli(t, "run", "-p", "cloudtrail", "--data", "cloudtrail="+filepath.Join(sampleDir, "cloudtrail", "**", "*.json"), awsRules)
	if code != 1 {
		t.Errorf("exit %d, want 1 (matches found)\nstderr:\n%s", code, errOut)
	}
	for _, secret := range []string{"ASIAEXAMPLE", "AKIAEXAMPLE"} {
		if strings.Contains(out, secret) || strings.Contains(errOut, secret) {
			t.Errorf("output shows a %s… key in clear:\n%s", secret, out)
		}
	}
	if !strings.Contains(out, "ASIA…#") || !strings.Contains(out, "AKIA…#") {
		t.Errorf("no redacted key ids in the output:\n%s", out)
	}
	head := regexp.MustCompile(`^(\S+) +(.+?)  \((\d+) matches, `)
	gotCounts := map[string]int{}
	for _, l := range lines(out) {
		if m := head.FindStringSubmatch(l); m != nil {
			if _, ok := wantCounts[m[2]]; ok {
				gotCounts[m[2]], _ = strconv.Atoi(m[3])
			}
		}
	}
	if diff := cmp.Diff(wantCounts, gotCounts); diff != "" {
		t.Errorf("matches per rule title (-want +got):\n%s\noutput:\n%s", diff, out)
	}
	ls := lines(out)
	if last := ls[len(ls)-1]; !regexp.MustCompile(`^\d+ rules run, [1-9]\d* matches, 0 errors$`).MatchString(last) {
		t.Errorf("last line %q", last)
	}

	// A rule that matches nothing: exit 0.
	code, out, errOut = cli(t, "run", "-p", "cloudtrail", "--data", "cloudtrail="+sampleFile, writeRules(t, map[string]string{"r.yml": strings.Replace(goodRule, "GetFederationToken", "NoSuchEvent", 1)}))
	if code != 0 || !strings.HasSuffix(out, "\n1 rules run, 0 matches, 0 errors\n") {
		t.Errorf("no matches: exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
}

func TestRunDataErrors(t *testing.T) {
	code, _, errOut := cli(t, "run", "-p", "cloudtrail", fedToken)
	if code != 2 {
		t.Errorf("exit %d, want 2", code)
	}
	want := fedToken + `:1:1: rule 59b9a65c-dc27-45e1-a1bf-1223e7fd9d3e: no data for table "cloudtrail" (add --data cloudtrail=FILES)`
	if !strings.Contains(errOut, want) {
		t.Errorf("stderr:\n%s\nwant %s", errOut, want)
	}
	code, _, errOut = cli(t, "run", "-p", "cloudtrail", "--data", "cloudtrail", fedToken)
	if code != 2 || !strings.Contains(errOut, `--data "cloudtrail": want TABLE=FILES`) {
		t.Errorf("--data without files: exit %d, stderr %q", code, errOut)
	}
	// A folder is not a list of files: the message shows the glob to use.
	folder := filepath.Join(sampleDir, "cloudtrail")
	code, _, errOut = cli(t, "run", "-p", "cloudtrail", "--data", "cloudtrail="+folder, fedToken)
	if want := folder + " is a folder: name its files with a glob, e.g. " + filepath.Join(folder, "**", "*.json"); code != 2 || !strings.Contains(errOut, want) {
		t.Errorf("--data with a folder: exit %d, stderr %q, want %q", code, errOut, want)
	}
}

func TestPipelines(t *testing.T) {
	code, out, _ := cli(t, "pipelines")
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	var names []string
	for _, l := range lines(out) {
		names = append(names, strings.Fields(l)[0])
	}
	if !slices.Contains(names, "cloudtrail") {
		t.Errorf("pipelines %v lack cloudtrail:\n%s", names, out)
	}
	if !slices.IsSorted(names) {
		t.Errorf("pipelines not sorted: %v", names)
	}
}

// A correlation and its base rule in one file: convert prints the
// correlation's query with the base rule inside it, and nothing else;
// with generate: true the base rule's own query comes too.
func TestConvertCorrelation(t *testing.T) {
	const corr = `title: temporary key call
id: 0b8f3c52-5f0e-4a34-9e43-3a4f4d2c1d01
name: temp_key
logsource: {product: aws, service: cloudtrail}
detection:
  sel:
    userIdentity.accessKeyId|startswith: ASIA
  condition: sel
level: informational
---
title: key from several addresses
id: 0b8f3c52-5f0e-4a34-9e43-3a4f4d2c1d02
correlation:
  type: value_count
  rules: [temp_key]
  group-by: [userIdentity.accessKeyId]
  timespan: 1h
  condition: {gte: 2, field: sourceIPAddress}
level: high
`
	dir := writeRules(t, map[string]string{"c.yml": corr})
	code, out, errOut := cli(t, "convert", "-p", "cloudtrail", dir)
	if code != 0 {
		t.Fatalf("exit %d, stderr:\n%s", code, errOut)
	}
	if !strings.HasPrefix(out, "WITH matched AS (") || !strings.Contains(out, `AS "userIdentity.accessKeyId"`) || strings.Contains(out, "-- 0b8f3c52") {
		t.Errorf("want the correlation's query alone, got:\n%s", out)
	}
	gen := strings.Replace(corr, "  timespan: 1h", "  timespan: 1h\n  generate: true", 1)
	dir = writeRules(t, map[string]string{"c.yml": gen})
	code, out, errOut = cli(t, "convert", "-p", "cloudtrail", dir)
	if code != 0 {
		t.Fatalf("exit %d, stderr:\n%s", code, errOut)
	}
	if !strings.Contains(out, "-- 0b8f3c52-5f0e-4a34-9e43-3a4f4d2c1d01: temporary key call\nSELECT * FROM") || !strings.Contains(out, "-- 0b8f3c52-5f0e-4a34-9e43-3a4f4d2c1d02: key from several addresses\nWITH matched AS (") {
		t.Errorf("with generate: true want both queries, got:\n%s", out)
	}
	// A target without correlations says so, with the position.
	for _, be := range backends.All() {
		if _, ok := be.(interface {
			CompileCorrelation(*ir.Correlation) (string, error)
		}); ok {
			continue
		}
		code, _, errOut = cli(t, "convert", "-t", be.Name(), "-p", "cloudtrail", dir)
		if code != 1 || !strings.Contains(errOut, "c.yml:11:1: rule 0b8f3c52-5f0e-4a34-9e43-3a4f4d2c1d02: "+be.Name()+":") {
			t.Errorf("%s: exit %d, stderr:\n%s", be.Name(), code, errOut)
		}
	}
}
