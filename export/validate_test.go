package export_test

// Validation of the artefacts by the platforms' own parsers and engines:
// Microsoft's Kusto.Language (tools/kusto), the Trino grammar of
// dt-sql-parser (tools/trino) with athena.Check, and the BigQuery emulator
// (bin/bigquery-emulator). Without a tool the test fails (run `make
// tools`), or skips when TOKENHUNT_SKIP_TOOLS=1.

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"gopkg.in/yaml.v3"

	"github.com/tokenhunt/tokenhunt/backends/athena"
	"github.com/tokenhunt/tokenhunt/backends/kql"
	"github.com/tokenhunt/tokenhunt/compiler"
	"github.com/tokenhunt/tokenhunt/compiler/ir"
	"github.com/tokenhunt/tokenhunt/compiler/pipeline"
	"github.com/tokenhunt/tokenhunt/export"
	"github.com/tokenhunt/tokenhunt/hunts"
	"github.com/tokenhunt/tokenhunt/internal/kustocheck"
	"github.com/tokenhunt/tokenhunt/internal/trinocheck"
)

// kqlTables are the tables of the set as the pipelines declare them (every
// declared column), with the columns the rules and correlations read.
func kqlTables(set *compiler.Set, ps pipeline.Set) map[string]map[string]string {
	out := map[string]map[string]string{}
	types := map[ir.Type]string{ir.String: "string", ir.Any: "string", ir.Number: "real", ir.Bool: "bool", ir.Timestamp: "datetime"}
	add := func(r *ir.Rule, extra ...ir.Expr) {
		tab := out[r.Table]
		if tab == nil {
			tab = map[string]string{}
			out[r.Table] = tab
		}
		src := ps.Source(r.Logsource)
		for path, typ := range src.Columns {
			top, _, nested := strings.Cut(path, ".")
			if nested {
				tab[top] = "dynamic"
			} else {
				tab[top] = types[typ]
			}
		}
		for _, c := range src.JSONColumns {
			tab[c] = "string"
		}
		for _, c := range src.DynamicColumns {
			tab[c] = "dynamic"
		}
		for k, v := range kql.Schema(ir.And{Args: append([]ir.Expr{r.Where}, extra...)}) {
			if _, ok := tab[k]; !ok {
				tab[k] = v
			}
		}
	}
	for _, r := range set.Rules {
		add(r.Rule)
	}
	for _, c := range set.Correlations {
		for _, b := range c.Correlation.Bases {
			extra := []ir.Expr{ir.IsNull{Field: b.Time}, ir.IsNull{Field: b.ID}}
			for _, f := range append(append([]ir.Field(nil), b.Group...), b.Terms...) {
				extra = append(extra, ir.IsNull{Field: f})
			}
			if b.Value != nil {
				extra = append(extra, ir.IsNull{Field: *b.Value})
			}
			add(b.Rule, extra...)
		}
	}
	return out
}

// TestSentinelKQLAnalyses: the query of every Sentinel artefact, YAML and
// ARM, parses and analyses in Kusto.Language against the tables the
// pipelines declare, without an error diagnostic.
func TestSentinelKQLAnalyses(t *testing.T) {
	var qs []kustocheck.Query
	for _, format := range []string{"yaml", "arm"} {
		e := exportLibrary(t, "sentinel", format)
		tables := kqlTables(e.set, e.ps)
		for _, f := range e.files {
			var q string
			if format == "yaml" {
				var r struct{ Query string }
				if err := yaml.Unmarshal(f.Data, &r); err != nil {
					t.Fatalf("%s: %v", f.Path, err)
				}
				q = r.Query
			} else {
				q = armRule(t, f).Properties["query"].(string)
			}
			if q == "" {
				t.Errorf("%s: no query", f.Path)
			}
			qs = append(qs, kustocheck.Query{ID: f.Path, Query: q, Tables: tables})
		}
	}
	for i, r := range kustocheck.Check(t, "../tools/kusto", qs) {
		for _, d := range r.Errors {
			t.Errorf("%s: %s %s at %q", r.ID, d.Code, d.Message, d.Excerpt(qs[i].Query))
		}
	}
	if len(qs) < 10 {
		t.Errorf("only %d Sentinel queries checked", len(qs))
	}
}

type armResource struct {
	ID         string         `json:"id"`
	Name       string         `json:"name"`
	Type       string         `json:"type"`
	Kind       string         `json:"kind"`
	APIVersion string         `json:"apiVersion"`
	Properties map[string]any `json:"properties"`
}

type armTemplate struct {
	Schema         string                    `json:"$schema"`
	ContentVersion string                    `json:"contentVersion"`
	Parameters     map[string]map[string]any `json:"parameters"`
	Resources      []armResource             `json:"resources"`
	Metadata       struct {
		Tokenhunt struct {
			ID        string   `json:"id"`
			Title     string   `json:"title"`
			Level     string   `json:"level"`
			Tags      []string `json:"tags"`
			Source    string   `json:"source"`
			Pipelines []string `json:"pipelines"`
		} `json:"tokenhunt"`
	} `json:"metadata"`
}

func armParse(t *testing.T, f export.File) armTemplate {
	t.Helper()
	var tmpl armTemplate
	dec := json.NewDecoder(bytes.NewReader(f.Data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&tmpl); err != nil {
		t.Fatalf("%s: not an ARM template: %v", f.Path, err)
	}
	if len(tmpl.Resources) != 1 {
		t.Fatalf("%s: %d resources, want 1", f.Path, len(tmpl.Resources))
	}
	return tmpl
}

func armRule(t *testing.T, f export.File) armResource { return armParse(t, f).Resources[0] }

var (
	isoRE           = regexp.MustCompile(`^P(T\d+[HM]|\d+D)$`)
	techniqueRE     = regexp.MustCompile(`^T\d{4}$`)
	sentinelTactics = []string{"Reconnaissance", "ResourceDevelopment", "InitialAccess", "Execution", "Persistence", "PrivilegeEscalation",
		"DefenseEvasion", "CredentialAccess", "Discovery", "LateralMovement", "Collection", "CommandAndControl", "Exfiltration", "Impact"}
)

// TestARMTemplates: every ARM template is JSON of the deploymentTemplate
// shape with a workspace parameter and one Scheduled alertRules resource
// named by the stable id, whose properties have the names, types and
// values the Sentinel REST API takes.
func TestARMTemplates(t *testing.T) {
	e := exportLibrary(t, "sentinel", "arm")
	ids := map[string]string{}
	for _, r := range e.set.Rules {
		ids[r.Rule.ID] = r.Rule.Title
	}
	for _, c := range e.set.Correlations {
		ids[c.Correlation.ID] = c.Correlation.Title
	}
	for _, f := range e.files {
		tmpl := armParse(t, f)
		r := tmpl.Resources[0]
		meta := tmpl.Metadata.Tokenhunt
		id := export.StableID(meta.ID)
		checks := []struct {
			what string
			ok   bool
		}{
			{"$schema", strings.HasSuffix(tmpl.Schema, "/deploymentTemplate.json#")},
			{"workspace parameter", tmpl.Parameters["workspace"]["type"] == "String"},
			{"type", r.Type == "Microsoft.OperationalInsights/workspaces/providers/alertRules"},
			{"kind", r.Kind == "Scheduled"},
			{"apiVersion", r.APIVersion >= "2023-02-01" && !strings.Contains(r.APIVersion, "preview")},
			{"name", r.Name == "[concat(parameters('workspace'),'/Microsoft.SecurityInsights/"+id+"')]"},
			{"id", strings.HasSuffix(r.ID, "/alertRules/"+id+"')]")},
			{"metadata", ids[meta.ID] == meta.Title && meta.Source != "" && meta.Level != ""},
		}
		for _, c := range checks {
			if !c.ok {
				t.Errorf("%s: bad %s", f.Path, c.what)
			}
		}
		p := r.Properties
		str := func(k string) string { s, _ := p[k].(string); return s }
		for _, k := range []string{"displayName", "description", "query"} {
			if str(k) == "" {
				t.Errorf("%s: properties.%s is not a non-empty string", f.Path, k)
			}
		}
		for _, k := range []string{"queryFrequency", "queryPeriod", "suppressionDuration"} {
			if !isoRE.MatchString(str(k)) {
				t.Errorf("%s: properties.%s = %q, not an ISO 8601 duration", f.Path, k, str(k))
			}
		}
		if !slices.Contains([]string{"Informational", "Low", "Medium", "High"}, str("severity")) {
			t.Errorf("%s: severity %q", f.Path, str("severity"))
		}
		if p["enabled"] != true || p["suppressionEnabled"] != false || str("triggerOperator") != "GreaterThan" || p["triggerThreshold"] != float64(0) {
			t.Errorf("%s: enabled, suppressionEnabled, triggerOperator or triggerThreshold wrong: %v %v %v %v", f.Path, p["enabled"], p["suppressionEnabled"], p["triggerOperator"], p["triggerThreshold"])
		}
		for _, k := range []string{"tactics", "techniques"} {
			list, ok := p[k].([]any)
			if !ok {
				t.Errorf("%s: properties.%s is not a list", f.Path, k)
			}
			for _, v := range list {
				s, _ := v.(string)
				if k == "tactics" && !slices.Contains(sentinelTactics, s) || k == "techniques" && !techniqueRE.MatchString(s) {
					t.Errorf("%s: %s holds %v", f.Path, k, v)
				}
			}
		}
		if m, ok := p["entityMappings"]; ok {
			list, _ := m.([]any)
			for _, em := range list {
				em, _ := em.(map[string]any)
				fms, _ := em["fieldMappings"].([]any)
				if em["entityType"] == nil || len(fms) == 0 {
					t.Errorf("%s: entity mapping %v", f.Path, em)
				}
			}
		}
	}
}

// TestSentinelYAMLShape: the YAML rules have the keys of the Azure-Sentinel
// repository's Detections, and the ATT&CK, severity and connector mapping.
func TestSentinelYAMLShape(t *testing.T) {
	e := exportLibrary(t, "sentinel", "yaml")
	want := []string{"id", "name", "description", "severity", "status", "requiredDataConnectors", "queryFrequency", "queryPeriod",
		"triggerOperator", "triggerThreshold", "tactics", "relevantTechniques", "tags", "query", "entityMappings", "version", "kind"}
	var admin map[string]any
	for _, f := range e.files {
		var r map[string]any
		if err := yaml.Unmarshal(f.Data, &r); err != nil {
			t.Fatalf("%s: %v", f.Path, err)
		}
		for k := range r {
			if !slices.Contains(want, k) {
				t.Errorf("%s: unknown key %s", f.Path, k)
			}
		}
		if r["kind"] != "Scheduled" || r["triggerOperator"] != "gt" {
			t.Errorf("%s: kind %v, triggerOperator %v", f.Path, r["kind"], r["triggerOperator"])
		}
		if strings.Contains(f.Path, "administratoraccess") {
			admin = r
		}
	}
	if admin == nil {
		t.Fatal("no artefact for the AdministratorAccess rule")
	}
	got := map[string]any{"id": admin["id"], "severity": admin["severity"], "tactics": admin["tactics"], "relevantTechniques": admin["relevantTechniques"],
		"requiredDataConnectors": admin["requiredDataConnectors"], "queryFrequency": admin["queryFrequency"]}
	wantAdmin := map[string]any{
		"id": export.StableID("af60e831-9d47-4b59-af92-59aa9f6ac3ff"), "severity": "High",
		"tactics": []any{"PrivilegeEscalation", "Persistence"}, "relevantTechniques": []any{"T1098.003"},
		"requiredDataConnectors": []any{map[string]any{"connectorId": "AWS", "dataTypes": []any{"AWSCloudTrail"}}},
		"queryFrequency":         "1h",
	}
	if diff := cmp.Diff(wantAdmin, got); diff != "" {
		t.Errorf("AdministratorAccess rule (-want +got):\n%s", diff)
	}
}

// athenaQueries are the query strings of both Athena formats.
func athenaQueries(t *testing.T) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, f := range exportLibrary(t, "athena", "named-query").files {
		var nq struct{ Name, Description, Database, QueryString, WorkGroup, ClientRequestToken string }
		dec := json.NewDecoder(bytes.NewReader(f.Data))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&nq); err != nil {
			t.Fatalf("%s: %v", f.Path, err)
		}
		if nq.Name == "" || len(nq.Name) > 128 || len(nq.Description) > 1024 || nq.Database == "" || nq.WorkGroup == "" || len(nq.ClientRequestToken) < 32 {
			t.Errorf("%s: a field out of the CreateNamedQuery limits: %+v", f.Path, nq)
		}
		if !strings.Contains(nq.Description, "?") {
			t.Errorf("%s: the description does not document the window parameters", f.Path)
		}
		out[f.Path] = nq.QueryString
	}
	for _, f := range exportLibrary(t, "athena", "cloudformation").files {
		var tmpl struct {
			AWSTemplateFormatVersion string
			Resources                map[string]struct {
				Type       string
				Properties struct {
					Name, Description, QueryString string
					Database, WorkGroup            map[string]string
				}
			}
		}
		if err := json.Unmarshal(f.Data, &tmpl); err != nil {
			t.Fatalf("%s: %v", f.Path, err)
		}
		for name, r := range tmpl.Resources {
			if r.Type != "AWS::Athena::NamedQuery" || r.Properties.Database["Ref"] != "Database" || r.Properties.QueryString == "" {
				t.Errorf("%s %s: %+v", f.Path, name, r)
			}
			out[f.Path+" "+name] = r.Properties.QueryString
		}
	}
	return out
}

// TestAthenaQueriesParse: every named query parses with the Trino grammar
// and passes athena.Check, with its two window parameters.
func TestAthenaQueriesParse(t *testing.T) {
	qs := athenaQueries(t)
	for id, q := range qs {
		if err := athena.Check(q); err != nil {
			t.Errorf("%s: athena.Check: %v", id, err)
		}
		if header, _, _ := strings.Cut(q, "SELECT"); strings.Contains(header, "?") {
			t.Errorf("%s: a ? in the comments, which a reader may take for a parameter", id)
		}
		if n := strings.Count(q, "from_iso8601_timestamp(?)"); n != 2 {
			t.Errorf("%s: %d window parameters, want 2", id, n)
		}
	}
	for id, e := range trinocheck.Errors(t, "../tools/trino", qs) {
		t.Errorf("%s: %s", id, e)
	}
	if len(qs) < 20 {
		t.Errorf("only %d Athena queries checked", len(qs))
	}
}

// TestHuntSpec: the DuckDB export's hunt spec is a valid spec that selects
// every exported rule, each SQL file once.
func TestHuntSpec(t *testing.T) {
	e := exportLibrary(t, "duckdb", "sql")
	var spec []byte
	sqls := 0
	for _, f := range e.files {
		switch {
		case f.Path == export.HuntSpecFile:
			spec = f.Data
		case strings.HasSuffix(f.Path, ".sql"):
			sqls++
		}
	}
	if spec == nil {
		t.Fatal("no hunt spec")
	}
	s, err := hunts.Parse(filepath.Join(outDir, export.HuntSpecFile), spec)
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Rules.IDs) != sqls {
		t.Errorf("the spec selects %d rules, %d SQL files written", len(s.Rules.IDs), sqls)
	}
	for _, p := range s.Rules.Paths {
		if _, err := os.Stat(p); err != nil {
			t.Errorf("rule path %s: %v", p, err)
		}
	}
	if s.Engine != "duckdb" || len(s.Sources) == 0 {
		t.Errorf("engine %q, %d sources", s.Engine, len(s.Sources))
	}
}
