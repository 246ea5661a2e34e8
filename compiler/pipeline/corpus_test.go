package pipeline

import (
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

const corpus = "../../../shared/corpus"

func corpusDir(t *testing.T, sub string) string {
	t.Helper()
	dir := filepath.Join(corpus, sub)
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("corpus not present: %v", err)
	}
	return dir
}

// sigmaFields returns the field names a rule's detection uses, fieldref
// targets included.
func sigmaFields(t *testing.T, path string) []string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var rule struct {
		Detection map[string]any `yaml:"detection"`
	}
	if err := yaml.Unmarshal(data, &rule); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	var out []string
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			for k, val := range v {
				name, mods, _ := strings.Cut(k, "|")
				out = append(out, name)
				if strings.Contains(mods, "fieldref") {
					if s, ok := val.(string); ok {
						out = append(out, s)
					}
				}
			}
		case []any:
			for _, x := range v {
				walk(x)
			}
		}
	}
	for name, v := range rule.Detection {
		if name != "condition" && name != "timeframe" {
			walk(v)
		}
	}
	return out
}

// TestCloudTrailCoversSigmaHQ checks that every field the SigmaHQ CloudTrail
// rules name lands on a column that the pipeline declares, spelled as
// CloudTrail spells it.
func TestCloudTrailCoversSigmaHQ(t *testing.T) {
	dir := corpusDir(t, "sigmahq")
	set := Set{builtin(t, "cloudtrail")}
	src := set.Source(cloudtrailLS)
	top := map[string]bool{}
	for c := range src.Columns {
		top[strings.Split(c, ".")[0]] = true
	}
	for _, c := range src.JSONColumns {
		top[c] = true
	}
	// Fields that CloudTrail does not have: left to the default mapping.
	// (aws_delete_saml_provider.yml tests a status field that CloudTrail
	// records do not carry.)
	absent := map[string]bool{"src_country": true, "status": true}

	var files []string
	for _, sub := range []string{"rules", "rules-placeholder", "rules-threat-hunting", "rules-emerging-threats"} {
		m, _ := filepath.Glob(filepath.Join(dir, sub, "cloud", "aws", "cloudtrail", "*.yml"))
		files = append(files, m...)
	}
	if len(files) < 40 {
		t.Fatalf("found %d SigmaHQ CloudTrail rules, want at least 40", len(files))
	}
	seen := 0
	for _, f := range files {
		names := sigmaFields(t, f)
		got := resolveAll(t, set, cloudtrailLS, names)
		for i, n := range names {
			seen++
			if absent[n] {
				continue
			}
			loc := got[i] // name[=column[$key]][:type]
			if _, after, ok := strings.Cut(loc, "="); ok {
				loc = after
			}
			loc, _, _ = strings.Cut(loc, ":")
			loc, _, _ = strings.Cut(loc, "$")
			col, _, _ := strings.Cut(loc, ".")
			if !top[col] {
				t.Errorf("%s: field %s resolved to %s, not a declared CloudTrail column", filepath.Base(f), n, got[i])
			}
		}
	}
	if seen < 100 {
		t.Errorf("checked %d field uses, want at least 100", seen)
	}
}

// TestCloudTrailCoversStratus checks that every top-level key and every
// userIdentity path of real CloudTrail records is declared by the pipeline.
func TestCloudTrailCoversStratus(t *testing.T) {
	dir := corpusDir(t, "stratus-detonation-logs")
	src := Set{builtin(t, "cloudtrail")}.Source(cloudtrailLS)
	declared := map[string]bool{}
	for c := range src.Columns {
		declared[c] = true
	}
	for _, c := range src.JSONColumns {
		declared[c] = true
	}
	missing := map[string]bool{}
	for _, p := range stratusPaths(t, dir, func(prefix string) bool { return declared[prefix] }) {
		if !declared[p] {
			missing[p] = true
		}
	}
	var list []string
	for m := range missing {
		list = append(list, m)
	}
	sort.Strings(list)
	if len(list) > 0 {
		t.Errorf("paths in real CloudTrail records the pipeline does not declare: %v", list)
	}
}

// stratusPaths lists the field paths (dotted) of the Stratus detonation
// records in dir, each once: an object is walked into unless whole says
// its path is read as one value.
func stratusPaths(t *testing.T, dir string, whole func(prefix string) bool) []string {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(dir, "*.json"))
	if len(files) == 0 {
		t.Fatal("no Stratus detonation logs")
	}
	seen := map[string]bool{}
	var walk func(prefix string, v any)
	walk = func(prefix string, v any) {
		if m, ok := v.(map[string]any); ok && !whole(prefix) {
			for k, x := range m {
				walk(prefix+"."+k, x)
			}
			return
		}
		seen[prefix] = true
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var records []map[string]any
		if err := json.Unmarshal(data, &records); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		for _, r := range records {
			for k, v := range r {
				walk(k, v)
			}
		}
	}
	out := make([]string, 0, len(seen))
	for p := range seen {
		out = append(out, p)
	}
	sort.Strings(out)
	return out
}
