package export

import (
	"bytes"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/tokenhunt/tokenhunt/backends/athena"
	"github.com/tokenhunt/tokenhunt/backends/bigquery"
	"github.com/tokenhunt/tokenhunt/backends/duckdb"
	"github.com/tokenhunt/tokenhunt/backends/kql"
	"github.com/tokenhunt/tokenhunt/compiler/ir"
	"github.com/tokenhunt/tokenhunt/compiler/pipeline"
)

func backendFor(target string) backend {
	switch target {
	case "sentinel":
		return kql.New()
	case "athena":
		return athena.New()
	case "bigquery":
		return bigquery.New()
	}
	return duckdb.New()
}

// ARMAPIVersion is the Microsoft.SecurityInsights API version of the
// alertRules resources in ARM templates.
const ARMAPIVersion = "2023-02-01"

// sentinelRule is an analytics rule as the Azure-Sentinel repository's
// Detections folder writes it.
type sentinelRule struct {
	ID                     string          `yaml:"id"`
	Name                   string          `yaml:"name"`
	Description            string          `yaml:"description"`
	Severity               string          `yaml:"severity"`
	Status                 string          `yaml:"status,omitempty"`
	RequiredDataConnectors []dataConnector `yaml:"requiredDataConnectors"`
	QueryFrequency         string          `yaml:"queryFrequency"`
	QueryPeriod            string          `yaml:"queryPeriod"`
	TriggerOperator        string          `yaml:"triggerOperator"`
	TriggerThreshold       int             `yaml:"triggerThreshold"`
	Tactics                []string        `yaml:"tactics"`
	RelevantTechniques     []string        `yaml:"relevantTechniques"`
	Tags                   []string        `yaml:"tags,omitempty"`
	Query                  string          `yaml:"query"`
	EntityMappings         []entityMapping `yaml:"entityMappings,omitempty"`
	Version                string          `yaml:"version"`
	Kind                   string          `yaml:"kind"`
}

type dataConnector struct {
	ConnectorID string   `yaml:"connectorId" json:"connectorId"`
	DataTypes   []string `yaml:"dataTypes" json:"dataTypes"`
}

type entityMapping struct {
	EntityType    string         `yaml:"entityType" json:"entityType"`
	FieldMappings []fieldMapping `yaml:"fieldMappings" json:"fieldMappings"`
}

type fieldMapping struct {
	Identifier string `yaml:"identifier" json:"identifier"`
	ColumnName string `yaml:"columnName" json:"columnName"`
}

// connectors are the Sentinel data connectors that fill each table.
var connectors = map[string]string{
	"AWSCloudTrail":                   "AWS",
	"SigninLogs":                      "AzureActiveDirectory",
	"AuditLogs":                       "AzureActiveDirectory",
	"AADNonInteractiveUserSignInLogs": "AzureActiveDirectory",
	"AADServicePrincipalSignInLogs":   "AzureActiveDirectory",
	"GCPAuditLogs":                    "GCPAuditLogsDefinition",
}

// tactics are the ATT&CK tactic tags and Sentinel's spelling of them.
var tactics = map[string]string{
	"reconnaissance": "Reconnaissance", "resource-development": "ResourceDevelopment", "initial-access": "InitialAccess",
	"execution": "Execution", "persistence": "Persistence", "privilege-escalation": "PrivilegeEscalation",
	"defense-evasion": "DefenseEvasion", "credential-access": "CredentialAccess", "discovery": "Discovery",
	"lateral-movement": "LateralMovement", "collection": "Collection", "command-and-control": "CommandAndControl",
	"exfiltration": "Exfiltration", "impact": "Impact",
}

var techniqueRE = regexp.MustCompile(`^t(\d{4})(\.\d{3})?$`)

// attack reads the ATT&CK tags: Sentinel tactics, techniques with their
// sub-techniques (T1078.004), and the parent techniques alone (T1078).
func attack(tags []string) (tacs, techs, parents []string) {
	for _, t := range tags {
		t = strings.ToLower(t)
		name, ok := strings.CutPrefix(t, "attack.")
		if !ok {
			continue
		}
		name = strings.ReplaceAll(name, "_", "-")
		if tac, ok := tactics[name]; ok && !slices.Contains(tacs, tac) {
			tacs = append(tacs, tac)
		}
		if m := techniqueRE.FindStringSubmatch(name); m != nil {
			if full := "T" + m[1] + m[2]; !slices.Contains(techs, full) {
				techs = append(techs, full)
			}
			if p := "T" + m[1]; !slices.Contains(parents, p) {
				parents = append(parents, p)
			}
		}
	}
	return nonNil(tacs), nonNil(techs), nonNil(parents)
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// severity maps a Sigma level to a Sentinel severity.
func severity(level string) string {
	switch strings.ToLower(level) {
	case "informational":
		return "Informational"
	case "low":
		return "Low"
	case "medium":
		return "Medium"
	}
	return "High" // high, critical, and a rule without a level
}

// entityCandidate is a field that holds an entity's identifier, as rules
// spell it for some log source.
type entityCandidate struct {
	entity, identifier string
	fields             []string
}

var entityCandidates = []entityCandidate{
	{"Account", "FullName", []string{"userIdentity.arn", "UserPrincipalName", "protoPayload.authenticationInfo.principalEmail", "principalEmail"}},
	{"IP", "Address", []string{"sourceIPAddress", "IPAddress", "protoPayload.requestMetadata.callerIp", "callerIp", "CallerIpAddress"}},
	{"CloudApplication", "Name", []string{"AppDisplayName", "protoPayload.serviceName", "eventSource"}},
	{"AzureResource", "ResourceId", []string{"ResourceId", "_ResourceId"}},
}

var identRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// entities maps the rule's entity fields to the columns of its result: for
// a detection rule, the first candidate field the pipelines map to a
// declared top-level column of its table; for a correlation, a group-by
// name among the candidates.
func entities(it *item, ps pipeline.Set) []entityMapping {
	var out []entityMapping
	for _, c := range entityCandidates {
		col := ""
		for _, f := range c.fields {
			if it.Rule != nil {
				src := ps.Source(it.Rule.Logsource)
				rc := resolve(it.Rule, ps, f)
				if rc == nil || len(rc.Path) != 1 || len(rc.JSON) > 0 || !identRE.MatchString(rc.Path[0]) {
					continue
				}
				if _, declared := src.Columns[rc.Path[0]]; !declared {
					continue
				}
				col = rc.Path[0]
			} else {
				for _, g := range it.Corr.GroupBy {
					if strings.EqualFold(g, f) && identRE.MatchString(g) {
						col = g
					}
				}
			}
			if col != "" {
				break
			}
		}
		if col != "" {
			out = append(out, entityMapping{EntityType: c.entity, FieldMappings: []fieldMapping{{Identifier: c.identifier, ColumnName: col}}})
		}
	}
	return out
}

// schedule is how often a rule runs and how far back it reads. Sentinel
// accepts 5 minutes to 14 days for both.
func schedule(it *item, opt Options) (freq, period time.Duration) {
	freq = opt.Interval
	period = freq + it.span()
	const maxPeriod = 14 * 24 * time.Hour
	return min(max(freq, 5*time.Minute), maxPeriod), min(max(period, 5*time.Minute), maxPeriod)
}

// shortDuration writes a duration as the Azure-Sentinel repository does:
// 5m, 1h, 1d.
func shortDuration(d time.Duration) string {
	switch {
	case d%(24*time.Hour) == 0:
		return fmt.Sprintf("%dd", d/(24*time.Hour))
	case d%time.Hour == 0:
		return fmt.Sprintf("%dh", d/time.Hour)
	}
	return fmt.Sprintf("%dm", (d+time.Minute-1)/time.Minute)
}

// isoDuration writes a duration in ISO 8601 as the REST API takes it:
// PT5M, PT1H, P1D.
func isoDuration(d time.Duration) string {
	switch {
	case d%(24*time.Hour) == 0:
		return fmt.Sprintf("P%dD", d/(24*time.Hour))
	case d%time.Hour == 0:
		return fmt.Sprintf("PT%dH", d/time.Hour)
	}
	return fmt.Sprintf("PT%dM", (d+time.Minute-1)/time.Minute)
}

func requiredConnectors(it *item) []dataConnector {
	byID := map[string][]string{}
	var ids []string
	for _, t := range it.tables() {
		id, ok := connectors[t]
		if !ok {
			continue
		}
		if _, seen := byID[id]; !seen {
			ids = append(ids, id)
		}
		byID[id] = append(byID[id], t)
	}
	out := []dataConnector{}
	for _, id := range ids {
		out = append(out, dataConnector{ConnectorID: id, DataTypes: byID[id]})
	}
	return out
}

// description is the rule's description followed by its metadata.
func description(it *item, opt Options) string {
	d := strings.TrimSpace(it.Description)
	meta := strings.Join(metadataLines(it, opt), "\n")
	if d == "" {
		return meta
	}
	return d + "\n\n" + meta
}

func sentinel(items []*item, opt Options) ([]File, ir.Errors) {
	if opt.Format == "arm" {
		return sentinelARM(items, opt)
	}
	var files []File
	for _, it := range items {
		freq, period := schedule(it, opt)
		tacs, techs, _ := attack(it.Tags)
		r := sentinelRule{
			ID: StableID(it.ID), Name: it.Title, Description: description(it, opt) + "\n", Severity: severity(it.Level),
			Status: "Available", RequiredDataConnectors: requiredConnectors(it),
			QueryFrequency: shortDuration(freq), QueryPeriod: shortDuration(period), TriggerOperator: "gt", TriggerThreshold: 0,
			Tactics: tacs, RelevantTechniques: techs, Tags: it.Tags, Query: it.Query + "\n", EntityMappings: entities(it, opt.Pipelines),
			Version: "1.0.0", Kind: "Scheduled",
		}
		var buf bytes.Buffer
		enc := yaml.NewEncoder(&buf)
		enc.SetIndent(2)
		if err := enc.Encode(r); err != nil {
			return nil, ir.Errors{{Pos: it.Pos, RuleID: it.ID, Msg: err.Error()}}
		}
		files = append(files, File{Path: "sentinel/" + fileName(it) + ".yaml", Data: buf.Bytes()})
	}
	return files, nil
}

// armString escapes a string for an ARM template: one starting with '['
// would be read as a template expression.
func armString(s string) string {
	if strings.HasPrefix(s, "[") {
		return "[" + s
	}
	return s
}

func sentinelARM(items []*item, opt Options) ([]File, ir.Errors) {
	var files []File
	for _, it := range items {
		freq, period := schedule(it, opt)
		tacs, _, parents := attack(it.Tags)
		id := StableID(it.ID)
		ents := entities(it, opt.Pipelines)
		props := map[string]any{
			"displayName":         armString(it.Title),
			"description":         armString(description(it, opt)),
			"severity":            severity(it.Level),
			"enabled":             true,
			"query":               armString(it.Query),
			"queryFrequency":      isoDuration(freq),
			"queryPeriod":         isoDuration(period),
			"triggerOperator":     "GreaterThan",
			"triggerThreshold":    0,
			"suppressionDuration": isoDuration(freq),
			"suppressionEnabled":  false,
			"tactics":             tacs,
			"techniques":          parents,
			"eventGroupingSettings": map[string]any{
				"aggregationKind": "AlertPerResult",
			},
		}
		if len(ents) > 0 {
			props["entityMappings"] = ents
		}
		tmpl := map[string]any{
			"$schema":        "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
			"contentVersion": "1.0.0.0",
			"metadata": map[string]any{
				"tokenhunt": map[string]any{"id": it.ID, "title": it.Title, "level": it.Level, "tags": nonNil(it.Tags), "source": it.File, "pipelines": nonNil(opt.Names)},
			},
			"parameters": map[string]any{
				"workspace": map[string]any{"type": "String", "metadata": map[string]string{"description": "The Log Analytics workspace that Microsoft Sentinel is enabled on"}},
			},
			"resources": []any{map[string]any{
				"id":         "[concat(resourceId('Microsoft.OperationalInsights/workspaces/providers', parameters('workspace'), 'Microsoft.SecurityInsights'),'/alertRules/" + id + "')]",
				"name":       "[concat(parameters('workspace'),'/Microsoft.SecurityInsights/" + id + "')]",
				"type":       "Microsoft.OperationalInsights/workspaces/providers/alertRules",
				"kind":       "Scheduled",
				"apiVersion": ARMAPIVersion,
				"properties": props,
			}},
		}
		data, err := marshalJSON(tmpl)
		if err != nil {
			return nil, ir.Errors{{Pos: it.Pos, RuleID: it.ID, Msg: err.Error()}}
		}
		files = append(files, File{Path: "sentinel/" + fileName(it) + ".json", Data: data})
	}
	return files, nil
}
