// Package response reads the containment steps a rule carries in its
// `response:` section (an additional Sigma field tokenhunt defines) and
// fills their command templates from a finding's fields. tokenhunt prints
// the filled commands; it never runs them.
//
//	response:
//	    - description: Deactivate the parent access key
//	      command: aws iam update-access-key --user-name {{userIdentity.userName}} --access-key-id {{userIdentity.accessKeyId}} --status Inactive
//
// A placeholder {{field}} names a field of the finding as the rule spells it
// (a matched event's field, or a correlation's group-by name).
package response

import (
	"fmt"
	"regexp"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/tokenhunt/tokenhunt/compiler/ir"
)

// Step is one containment step.
type Step struct {
	Description string `yaml:"description"`
	Command     string `yaml:"command"`
}

var placeholder = regexp.MustCompile(`\{\{\s*([^{}\s]+)\s*\}\}`)

// Parse reads the response section of a rule document (the rule's YAML
// mapping node). It returns nil and no error when the rule has none.
func Parse(file, ruleID string, doc *yaml.Node) ([]Step, error) {
	if doc == nil || doc.Kind != yaml.MappingNode {
		return nil, nil
	}
	for i := 0; i+1 < len(doc.Content); i += 2 {
		k, v := doc.Content[i], doc.Content[i+1]
		if k.Value != "response" {
			continue
		}
		pos := ir.Pos{File: file, Line: v.Line, Col: v.Column}
		if v.Kind != yaml.SequenceNode || len(v.Content) == 0 {
			return nil, &ir.Error{Pos: pos, RuleID: ruleID, Msg: "response must be a list of steps", Hint: "each step is {description: ..., command: ...}"}
		}
		var steps []Step
		for _, item := range v.Content {
			ipos := ir.Pos{File: file, Line: item.Line, Col: item.Column}
			var s Step
			if item.Kind != yaml.MappingNode {
				return nil, &ir.Error{Pos: ipos, RuleID: ruleID, Msg: "a response step must be a mapping", Hint: "each step is {description: ..., command: ...}"}
			}
			for j := 0; j+1 < len(item.Content); j += 2 {
				switch key := item.Content[j].Value; key {
				case "description", "command":
				default:
					return nil, &ir.Error{Pos: ipos, RuleID: ruleID, Msg: fmt.Sprintf("unknown response step key %q", key), Hint: "a step has description and command"}
				}
			}
			if err := item.Decode(&s); err != nil {
				return nil, &ir.Error{Pos: ipos, RuleID: ruleID, Msg: "response step: " + err.Error()}
			}
			if strings.TrimSpace(s.Description) == "" || strings.TrimSpace(s.Command) == "" {
				return nil, &ir.Error{Pos: ipos, RuleID: ruleID, Msg: "a response step needs a description and a command"}
			}
			if strings.Count(s.Command, "{{") != len(placeholder.FindAllString(s.Command, -1)) {
				return nil, &ir.Error{Pos: ipos, RuleID: ruleID, Msg: "malformed placeholder in response command", Hint: "write {{field}}"}
			}
			steps = append(steps, s)
		}
		return steps, nil
	}
	return nil, nil
}

// Fields lists the fields a command's placeholders name, in order.
func Fields(command string) []string {
	var out []string
	for _, m := range placeholder.FindAllStringSubmatch(command, -1) {
		out = append(out, m[1])
	}
	return out
}

// Fill replaces each {{field}} with lookup(field); a field lookup does not
// find stays as <field>, so that the command cannot be run unedited.
func Fill(command string, lookup func(field string) (string, bool)) string {
	return placeholder.ReplaceAllStringFunc(command, func(m string) string {
		f := placeholder.FindStringSubmatch(m)[1]
		if v, ok := lookup(f); ok {
			return shellQuote(v)
		}
		return "<" + f + ">"
	})
}

// shellQuote leaves plain words alone and single-quotes anything else, so
// that a value taken from a log cannot inject shell syntax.
func shellQuote(s string) string {
	if s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_.:/@=+,%", r))
	}) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
