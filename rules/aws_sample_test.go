package rules_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/tokenhunt/tokenhunt/compiler"
	"github.com/tokenhunt/tokenhunt/compiler/pipeline"
	"github.com/tokenhunt/tokenhunt/internal/refeval"
)

const sampleDir = "../testdata/sample"

// TestAWSRulesOnSample compiles the CloudTrail example rules with the shipped
// cloudtrail pipeline and checks, with the reference evaluator, that each
// finds exactly the sample records testdata/sample/expected.json lists: the
// attacks, and none of the near misses next to them.
func TestAWSRulesOnSample(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(sampleDir, "cloudtrail", "2026", "11", "28", "sample.json"))
	if err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var doc struct{ Records []map[string]any }
	if err := dec.Decode(&doc); err != nil {
		t.Fatalf("sample: %v", err)
	}
	var expected map[string][]string
	data, err = os.ReadFile(filepath.Join(sampleDir, "expected.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &expected); err != nil {
		t.Fatalf("expected.json: %v", err)
	}

	ct, err := pipeline.Resolve("cloudtrail")
	if err != nil {
		t.Fatal(err)
	}
	rules, errs := compiler.Load([]string{"aws/cloudtrail"})
	if len(errs) > 0 {
		t.Fatalf("load: %v", errs)
	}
	set, errs := compiler.CompileSet(rules, pipeline.Set{ct})
	if len(errs) > 0 {
		t.Fatalf("compile: %v", errs)
	}
	// A correlation's base rules are checked through the correlation: its
	// findings' events are what expected.json lists under the file.
	order := map[string]int{}
	for i, ev := range doc.Records {
		order[ev["eventID"].(string)] = i
	}
	inside := map[string]bool{}
	for _, c := range set.Correlations {
		for _, b := range c.Correlation.Bases {
			inside[b.Rule.ID] = true
		}
		stem := strings.TrimSuffix(filepath.Base(c.Source.File), ".yml")
		t.Run(stem, func(t *testing.T) {
			findings, err := refeval.Correlate(c.Correlation, map[string][]map[string]any{"cloudtrail": doc.Records})
			if err != nil {
				t.Fatal(err)
			}
			got := []string{}
			for _, f := range findings {
				got = append(got, f.Events...)
			}
			// expected.json lists events in the sample's (time) order;
			// findings come group by group.
			sort.SliceStable(got, func(i, j int) bool { return order[got[i]] < order[got[j]] })
			if diff := cmp.Diff(expected[stem], got); diff != "" {
				t.Errorf("finding events (-want +got):\n%s", diff)
			}
		})
	}
	var results []*compiler.Result
	for _, r := range set.Rules {
		if !inside[r.Rule.ID] {
			results = append(results, r)
		}
	}
	if len(results)+len(set.Correlations) != len(expected) {
		t.Errorf("%d rules and correlations compiled, expected.json lists %d", len(results)+len(set.Correlations), len(expected))
	}
	for _, r := range results {
		stem := strings.TrimSuffix(filepath.Base(r.Source.File), ".yml")
		t.Run(stem, func(t *testing.T) {
			want, ok := expected[stem]
			if !ok {
				t.Fatalf("expected.json has no entry for %s", stem)
			}
			got := []string{}
			for _, ev := range doc.Records {
				match, err := refeval.EvalErr(r.Rule.Where, ev)
				if err != nil {
					t.Fatalf("evaluate: %v", err)
				}
				if match {
					got = append(got, ev["eventID"].(string))
				}
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("matched eventIDs (-want +got):\n%s", diff)
			}
		})
	}
}

var (
	uuidRE   = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	attackRE = regexp.MustCompile(`^attack\.(t\d{4}(\.\d{3})?|[a-z-]+)$`)
)

// TestAWSRuleMetadata checks what SigmaHQ's conventions ask of a rule.
func TestAWSRuleMetadata(t *testing.T) {
	rules, errs := compiler.Load([]string{"aws"})
	if len(errs) > 0 {
		t.Fatalf("load: %v", errs)
	}
	seen := map[string]string{}
	for _, r := range rules {
		name := filepath.Base(r.File)
		if !uuidRE.MatchString(r.ID) {
			t.Errorf("%s: id %q is not a version 4 UUID", name, r.ID)
		}
		if other, dup := seen[r.ID]; dup {
			t.Errorf("%s: id %s also used by %s", name, r.ID, other)
		}
		seen[r.ID] = name
		isCorrelation := r.Correlation != nil
		if !isCorrelation && (r.Logsource.Product != "aws" || r.Logsource.Service != "cloudtrail") {
			t.Errorf("%s: logsource %+v, want product aws, service cloudtrail", name, r.Logsource)
		}
		var technique bool
		for _, tag := range r.Tags {
			if !attackRE.MatchString(tag) {
				t.Errorf("%s: tag %q is not an ATT&CK tag", name, tag)
			}
			technique = technique || strings.HasPrefix(tag, "attack.t")
		}
		if !technique && r.Level != "informational" { // informational rules feed correlations
			t.Errorf("%s: no ATT&CK technique tag", name)
		}
		if r.Description == "" || r.Level == "" || len(r.FalsePositives) == 0 || r.Status == "" || r.Author == "" {
			t.Errorf("%s: description, level, falsepositives, status and author are all required", name)
		}
		if !strings.HasPrefix(name, "aws_") {
			t.Errorf("%s: file name should start with aws_", name)
		}
	}
}
