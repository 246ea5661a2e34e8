package rules_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tokenhunt/tokenhunt/backends"
	"github.com/tokenhunt/tokenhunt/backends/kql"
	"github.com/tokenhunt/tokenhunt/compiler"
	"github.com/tokenhunt/tokenhunt/compiler/ir"
	"github.com/tokenhunt/tokenhunt/compiler/pipeline"
	"github.com/tokenhunt/tokenhunt/compiler/sigma"
	"github.com/tokenhunt/tokenhunt/internal/response"
	"github.com/tokenhunt/tokenhunt/internal/ruletest"
)

// clouds are the rule folders, the log sources their rules read and the
// file name prefix their rules carry.
var clouds = map[string]string{"aws": "aws_", "azure": "azure_", "gcp": "gcp_", "cicd": "cicd_", "network": "net_"}

// TestRuleTests runs every rule file's tests (NAME.tests.yml) on DuckDB,
// cross-checked with the reference evaluator: each fire case must match,
// each quiet case must not. A rule file without tests fails.
func TestRuleTests(t *testing.T) {
	files, err := ruletest.RuleFiles([]string{"."})
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatalf("found %d rule files", len(files))
	}
	ctx := context.Background()
	r, err := ruletest.NewRunner(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	for _, f := range files {
		t.Run(strings.TrimSuffix(f, ".yml"), func(t *testing.T) {
			res := r.RunFile(ctx, f)
			if res.Err != nil {
				t.Fatal(res.Err)
			}
			for _, c := range res.Cases {
				if c.Failure != "" {
					t.Errorf("%s: %s", c.Case, c.Failure)
				}
			}
		})
	}
}

// TestEveryTestsFileHasItsRule catches a tests file left behind by a
// renamed or deleted rule.
func TestEveryTestsFileHasItsRule(t *testing.T) {
	err := filepath.WalkDir(".", func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".tests.yml") {
			return err
		}
		if _, err := os.Stat(strings.TrimSuffix(p, ".tests.yml") + ".yml"); err != nil {
			t.Errorf("%s has no rule file beside it", p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestRuleMetadataAndResponse checks what every rule of the library
// carries: SigmaHQ's metadata, ATT&CK tags on the rules that raise alerts,
// and a response section whose placeholders name fields the finding has.
func TestRuleMetadataAndResponse(t *testing.T) {
	rules, errs := compiler.Load([]string{"."})
	if len(errs) > 0 {
		t.Fatalf("load: %v", errs)
	}
	if errs := compiler.Check(rules); len(errs) > 0 {
		t.Fatalf("check: %v", errs)
	}
	seen := map[string]string{}
	for _, r := range rules {
		name := r.File + " " + r.Title
		if !uuidRE.MatchString(r.ID) {
			t.Errorf("%s: id %q is not a version 4 UUID", name, r.ID)
		}
		if other, dup := seen[r.ID]; dup {
			t.Errorf("%s: id %s also used by %s", name, r.ID, other)
		}
		seen[r.ID] = name
		folder := strings.Split(filepath.ToSlash(r.File), "/")[0]
		prefix, ok := clouds[folder]
		if !ok {
			t.Errorf("%s: rules live in one folder per cloud (%v)", name, clouds)
		} else if !strings.HasPrefix(filepath.Base(r.File), prefix) {
			t.Errorf("%s: file name should start with %s", name, prefix)
		}
		if r.Description == "" || r.Level == "" || len(r.FalsePositives) == 0 || r.Status != "experimental" || r.Author != "tokenhunt" {
			t.Errorf("%s: description, level, falsepositives, status experimental and author tokenhunt are all required", name)
		}
		steps, err := response.Parse(r.File, r.ID, r.Node)
		if err != nil {
			t.Errorf("%s: %v", name, err)
		}
		if r.Level == "informational" {
			if len(steps) > 0 {
				t.Errorf("%s: a base rule (level informational) carries no response; its correlation does", name)
			}
			continue // base rules of correlations
		}
		var technique bool
		for _, tag := range r.Tags {
			if !attackRE.MatchString(tag) {
				t.Errorf("%s: tag %q is not an ATT&CK tag", name, tag)
			}
			technique = technique || strings.HasPrefix(tag, "attack.t")
		}
		if !technique {
			t.Errorf("%s: no ATT&CK technique tag", name)
		}
		if len(steps) == 0 {
			t.Errorf("%s: no response steps", name)
		}
		// A placeholder names a group-by field of a correlation, or any
		// field of a detection rule's matched event.
		if r.Correlation != nil {
			group := map[string]bool{}
			for _, g := range r.Correlation.GroupBy {
				group[g.Name] = true
			}
			for _, s := range steps {
				for _, f := range response.Fields(s.Command) {
					if !group[f] {
						t.Errorf("%s: response placeholder {{%s}} is not a group-by field of the correlation", name, f)
					}
				}
			}
		}
	}
}

// targets are, per backend, the shipped pipelines the library is compiled
// with: one per log source the rules read (CloudTrail, Entra ID, GCP audit,
// CI/CD build logs, proxy logs). A file is compiled with each pipeline that
// maps all its log sources.
var targets = map[string][]string{
	"duckdb":   {"cloudtrail", "entra-duckdb", "gcp-duckdb", "cicd-duckdb", "proxy-duckdb"},
	"athena":   {"cloudtrail-athena", "entra-athena", "gcp-athena", "cicd-athena", "proxy-athena"},
	"bigquery": {"cloudtrail", "entra-bigquery", "gcp-bigquery", "cicd-bigquery", "proxy-bigquery"},
	"kql":      {"sentinel-awscloudtrail", "sentinel-entra", "sentinel-gcp", "sentinel-cicd", "sentinel-proxy"},
}

// pending are the (rule file, backend) pairs that cannot compile yet,
// with why: the pipeline declares a field the target's printer cannot read
// as unsupported, so compiling is a positioned error rather than a query
// that silently reads nothing.
var pending = map[[2]string]string{}

// compiledQuery is one query the library compiles to: a detection rule
// (a correlation's base rules included) or a correlation.
type compiledQuery struct {
	id     string // file, pipeline and rule id
	query  string
	tables map[string]map[string]string // for KQL: the columns it reads, typed
}

// compileLibrary compiles every rule file with every target's pipelines for
// its log sources, and returns the queries per backend and, per file, the
// backends that compiled it. Compile errors are test errors.
func compileLibrary(t *testing.T) (map[string][]compiledQuery, map[string]map[string]bool) {
	t.Helper()
	files, err := ruletest.RuleFiles([]string{"."})
	if err != nil {
		t.Fatal(err)
	}
	queries, compiled := map[string][]compiledQuery{}, map[string]map[string]bool{}
	for _, f := range files {
		compiled[f] = map[string]bool{}
	}
	for _, be := range backends.All() {
		names, ok := targets[be.Name()]
		if !ok {
			t.Errorf("backend %s has no pipelines listed here", be.Name())
			continue
		}
		for _, name := range names {
			p, err := pipeline.Resolve(name)
			if err != nil {
				t.Fatal(err)
			}
			for _, f := range files {
				rules, errs := compiler.Load([]string{f})
				if len(errs) > 0 {
					t.Fatalf("load %s: %v", f, errs)
				}
				if !mapsAll(p, rules) {
					continue
				}
				set, errs := compiler.CompileSet(rules, pipeline.Set{p})
				if _, isPending := pending[[2]string{filepath.ToSlash(f), be.Name()}]; isPending && len(errs) > 0 {
					if !strings.Contains(errs.Error(), "cannot be read from table") {
						t.Errorf("%s with %s: want an unsupported field error, got %v", f, name, errs)
					}
					continue
				}
				if len(errs) > 0 {
					t.Errorf("%s with %s: %v", f, name, errs)
					continue
				}
				ok := true
				for _, c := range set.Rules {
					q, err := be.Compile(c.Rule)
					if err != nil {
						t.Errorf("%s for %s (%s): %v", f, be.Name(), name, err)
						ok = false
						continue
					}
					tables := map[string]map[string]string{c.Rule.Table: kql.Schema(c.Rule.Where)}
					queries[be.Name()] = append(queries[be.Name()], compiledQuery{id: f + " " + name + " " + c.Rule.ID, query: q, tables: tables})
				}
				if cc, isCorr := be.(interface {
					CompileCorrelation(*ir.Correlation) (string, error)
				}); isCorr {
					for _, c := range set.Correlations {
						q, err := cc.CompileCorrelation(c.Correlation)
						if err != nil {
							t.Errorf("%s correlation for %s (%s): %v", f, be.Name(), name, err)
							ok = false
							continue
						}
						queries[be.Name()] = append(queries[be.Name()], compiledQuery{id: f + " " + name + " correlation " + c.Correlation.ID, query: q, tables: correlationTables(c.Correlation)})
					}
				} else if len(set.Correlations) > 0 {
					t.Errorf("%s: backend %s compiles no correlations", f, be.Name())
					ok = false
				}
				if ok {
					compiled[f][be.Name()] = true
				}
			}
		}
	}
	return queries, compiled
}

// correlationTables is every table a correlation reads, with the columns
// its base rules and its group, value and term fields read.
func correlationTables(c *ir.Correlation) map[string]map[string]string {
	out := map[string]map[string]string{}
	for _, b := range c.Bases {
		args := []ir.Expr{b.Rule.Where, ir.IsNull{Field: b.Time}, ir.IsNull{Field: b.ID}}
		for _, f := range append(append([]ir.Field(nil), b.Group...), b.Terms...) {
			args = append(args, ir.IsNull{Field: f})
		}
		if b.Value != nil {
			args = append(args, ir.IsNull{Field: *b.Value})
		}
		if out[b.Rule.Table] == nil {
			out[b.Rule.Table] = map[string]string{}
		}
		for k, v := range kql.Schema(ir.And{Args: args}) {
			if old, ok := out[b.Rule.Table][k]; ok && old != v {
				v = "dynamic"
			}
			out[b.Rule.Table][k] = v
		}
	}
	return out
}

// TestRulesCompileForEveryTarget requires every rule file to compile, its
// detection rules (correlations' base rules included) and its
// correlations, for each of the four backends, with the shipped pipeline
// of that backend for its log source.
func TestRulesCompileForEveryTarget(t *testing.T) {
	queries, compiled := compileLibrary(t)
	perTarget := map[string]int{}
	for f, bes := range compiled {
		for _, be := range backends.All() {
			why, isPending := pending[[2]string{filepath.ToSlash(f), be.Name()}]
			switch {
			case bes[be.Name()] && isPending:
				t.Errorf("%s compiles for %s now: remove it from pending", f, be.Name())
			case bes[be.Name()]:
				perTarget[be.Name()]++
			case isPending:
				t.Logf("%s: not for %s yet: %s", f, be.Name(), why)
			default:
				t.Errorf("%s: no %s pipeline (%v) compiled it", f, be.Name(), targets[be.Name()])
			}
		}
	}
	t.Logf("rule files compiled per target: %v (of %d)", perTarget, len(compiled))
	for be, qs := range queries {
		t.Logf("%s: %d queries", be, len(qs))
	}
}

// mapsAll tells whether a pipeline maps the log source of every detection
// rule of a file.
func mapsAll(p *pipeline.Pipeline, rules []*sigma.Rule) bool {
	any := false
	for _, r := range rules {
		if r.Kind != sigma.Detection {
			continue
		}
		found := false
		for _, ls := range p.Logsources {
			if strings.EqualFold(ls.Product, r.Logsource.Product) && strings.EqualFold(ls.Service, r.Logsource.Service) && strings.EqualFold(ls.Category, r.Logsource.Category) {
				found = true
			}
		}
		if !found {
			return false
		}
		any = true
	}
	return any
}
