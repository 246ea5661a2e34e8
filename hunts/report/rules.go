package report

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/tokenhunt/tokenhunt/compiler/sigma"
	"github.com/tokenhunt/tokenhunt/hunts/findings"
	"github.com/tokenhunt/tokenhunt/internal/redact"
)

// RuleInfo is what the report shows of a rule file: the fields of the
// finding's rule it cannot know, its cloud and its response steps.
type RuleInfo struct {
	ID          string
	Title       string
	Level       string
	Tags        []string
	Description string
	// Cloud is aws, gcp or azure, from the log source's product.
	Cloud string
	File  string
	// Response are the steps of the rule's `response:` section, with
	// {{field}} placeholders.
	Response []Step
}

// Step is one response step.
type Step struct {
	Description string `yaml:"description"`
	Command     string `yaml:"command"`
}

type ruleDoc struct {
	ID          string   `yaml:"id"`
	Title       string   `yaml:"title"`
	Level       string   `yaml:"level"`
	Tags        []string `yaml:"tags"`
	Description string   `yaml:"description"`
	Logsource   struct {
		Product string `yaml:"product"`
		Service string `yaml:"service"`
	} `yaml:"logsource"`
	Response []Step `yaml:"response"`
}

// LoadRules reads the rule files (*.yml, *.yaml, not *.tests.yml) of
// paths (files, folders or globs, as sigma.ExpandPaths) and returns them
// by rule id. A file that does not parse is reported in the returned
// warnings and skipped.
func LoadRules(paths []string) (map[string]*RuleInfo, []error, error) {
	files, err := sigma.ExpandPaths(paths)
	if err != nil {
		return nil, nil, err
	}
	out := map[string]*RuleInfo{}
	var warns []error
	for _, f := range files {
		if err := loadRuleFile(f, out); err != nil {
			warns = append(warns, err)
		}
	}
	return out, warns, nil
}

func loadRuleFile(file string, out map[string]*RuleInfo) error {
	data, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	for {
		var d ruleDoc
		err := dec.Decode(&d)
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("%s: %w", file, err)
		}
		if d.ID == "" {
			continue
		}
		var steps []Step
		for _, s := range d.Response {
			if strings.TrimSpace(s.Command) != "" || strings.TrimSpace(s.Description) != "" {
				steps = append(steps, s)
			}
		}
		out[d.ID] = &RuleInfo{
			ID: d.ID, Title: d.Title, Level: d.Level, Tags: d.Tags, Description: strings.TrimSpace(d.Description),
			Cloud: productCloud(d.Logsource.Product), File: file, Response: steps,
		}
	}
}

func productCloud(p string) string {
	switch strings.ToLower(p) {
	case "aws":
		return "aws"
	case "gcp":
		return "gcp"
	case "azure", "m365", "entra":
		return "azure"
	}
	return ""
}

// Segment is a piece of a filled response command: literal text, or a
// finding's value (Field set), or a placeholder the finding has no value
// for (Missing).
type Segment struct {
	Text    string
	Field   string
	Missing bool
}

var placeholder = regexp.MustCompile(`\{\{\s*([^{}]+?)\s*\}\}`)

// entityAliases maps raw field names to a finding's entity keys.
var entityAliases = map[string]string{
	"userIdentity.arn": "principal", "UserPrincipalName": "principal", "protoPayload.authenticationInfo.principalEmail": "principal",
	"userIdentity.accessKeyId": "access_key_id",
	"sourceIPAddress":          "source_ip", "IPAddress": "source_ip", "protoPayload.requestMetadata.callerIp": "source_ip",
	"userAgent": "user_agent", "UserAgent": "user_agent", "protoPayload.requestMetadata.callerSuppliedUserAgent": "user_agent",
	"awsRegion": "region", "Location": "region",
	"recipientAccountId": "account", "userIdentity.accountId": "account", "TenantId": "account",
}

// value looks a placeholder's field up in the finding: group, entity
// (by its key or a raw field it comes from), sample.
func value(f findings.Finding, field string) (string, bool) {
	if v, ok := f.Group[field]; ok {
		return v, true
	}
	if v, ok := f.Entity[field]; ok {
		return v, true
	}
	if k, ok := entityAliases[field]; ok {
		if v, ok := f.Entity[k]; ok {
			return v, true
		}
	}
	if v, ok := f.Sample[field]; ok && v != nil {
		return fmt.Sprint(v), true
	}
	for k, v := range f.Group { // field names are matched case-insensitively, as Sigma does
		if strings.EqualFold(k, field) {
			return v, true
		}
	}
	return "", false
}

// Fill splits a response command into literal text and the finding's
// values for its {{field}} placeholders. Every piece is redacted.
func Fill(cmd string, f findings.Finding) []Segment {
	var out []Segment
	last := 0
	for _, m := range placeholder.FindAllStringSubmatchIndex(cmd, -1) {
		if m[0] > last {
			out = append(out, Segment{Text: redact.String(cmd[last:m[0]])})
		}
		field := cmd[m[2]:m[3]]
		if v, ok := value(f, field); ok {
			out = append(out, Segment{Text: redact.String(v), Field: field})
		} else {
			out = append(out, Segment{Text: "{{" + field + "}}", Field: field, Missing: true})
		}
		last = m[1]
	}
	if last < len(cmd) {
		out = append(out, Segment{Text: redact.String(cmd[last:])})
	}
	return out
}
