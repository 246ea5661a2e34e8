package sigma

import (
	"fmt"
	"regexp"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/tokenhunt/tokenhunt/compiler/ir"
)

// Kind tells what a rule document is.
type Kind int

const (
	// Detection is a detection rule.
	Detection Kind = iota
	// Correlation is a correlation rule (`correlation:`).
	Correlation
	// Filter is a filter (`filter:`).
	Filter
)

// Rule is a Sigma rule document, parsed but not lowered.
type Rule struct {
	Kind  Kind
	File  string
	Pos   ir.Pos // the document's first key
	Node  *yaml.Node
	IDPos ir.Pos

	ID             string
	Name           string
	Title          string
	Status         string
	Description    string
	Author         string
	Level          string
	Tags           []string
	References     []string
	FalsePositives []string
	Fields         []string
	Logsource      ir.Logsource

	// Selections are the detection's search identifiers in file order.
	Selections []*Selection
	// Conditions are the parsed conditions (a list of conditions is ORed).
	Conditions []*Condition

	// Correlation is the correlation section of a Correlation rule.
	Correlation *CorrelationSpec
	// Filter is the filter section of a Filter.
	Filter *FilterSpec
}

// Selection is one search identifier of the detection.
type Selection struct {
	Name string
	Pos  ir.Pos // of the name
	Node *yaml.Node
}

// Condition is one parsed condition and where its text starts.
type Condition struct {
	Text string
	Expr Cond
	node *yaml.Node
}

// posOf is the 1-based position of a node.
func posOf(file string, n *yaml.Node) ir.Pos {
	return ir.Pos{File: file, Line: n.Line, Col: n.Column}
}

// offsetPos is the position of a rune offset inside a scalar that sits on
// one line (plain or quoted); otherwise the scalar's own position.
func offsetPos(file string, n *yaml.Node, offset int) ir.Pos {
	p := posOf(file, n)
	switch n.Style {
	case 0:
		p.Col += offset
	case yaml.SingleQuotedStyle, yaml.DoubleQuotedStyle:
		p.Col += offset + 1
	}
	return p
}

var validLevels = map[string]bool{"informational": true, "low": true, "medium": true, "high": true, "critical": true}
var validStatus = map[string]bool{"stable": true, "test": true, "experimental": true, "deprecated": true, "unsupported": true}

var uuidRe = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

// ParseRule reads the metadata, log source, selections and conditions of a
// rule document. It returns the rule (nil when the document is not a rule
// at all) and every error found.
func ParseRule(d Document) (*Rule, ir.Errors) {
	var errs ir.Errors
	n := d.Node
	file := d.File
	r := &Rule{File: file, Node: n, Pos: posOf(file, n)}
	errf := func(node *yaml.Node, hint, format string, args ...any) {
		e := ir.Errorf(posOf(file, node), r.ID, format, args...)
		e.Hint = hint
		errs = append(errs, e)
	}
	if n.Kind != yaml.MappingNode {
		errf(n, "a rule is a YAML mapping with title, logsource and detection", "a rule document must be a mapping, not a %s", kindName(n))
		return nil, errs
	}
	// First pass: the id, so that every later error can name the rule.
	for i := 0; i+1 < len(n.Content); i += 2 {
		if k, v := n.Content[i], n.Content[i+1]; k.Value == "id" {
			r.IDPos = posOf(file, v)
			if v.Kind == yaml.ScalarNode {
				r.ID = v.Value
			}
		}
	}
	var detection, logsource, correlation, filter *yaml.Node
	seen := map[string]*yaml.Node{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if prev, dup := seen[k.Value]; dup {
			errf(k, "remove one of them", "duplicate key %q (first at line %d)", k.Value, prev.Line)
			continue
		}
		seen[k.Value] = k
		str := func(dst *string) {
			if v.Kind != yaml.ScalarNode || v.Tag == "!!null" {
				errf(v, "", "%s must be a string", k.Value)
				return
			}
			*dst = v.Value
		}
		list := func(dst *[]string) {
			switch v.Kind {
			case yaml.SequenceNode:
				for _, item := range v.Content {
					if item.Kind != yaml.ScalarNode {
						errf(item, "", "%s must be a list of strings", k.Value)
						continue
					}
					*dst = append(*dst, item.Value)
				}
			case yaml.ScalarNode:
				if v.Tag != "!!null" {
					*dst = []string{v.Value}
				}
			default:
				errf(v, "", "%s must be a list of strings", k.Value)
			}
		}
		switch k.Value {
		case "title":
			str(&r.Title)
		case "id":
			if v.Kind != yaml.ScalarNode {
				errf(v, "use a UUID", "id must be a string")
			} else if !uuidRe.MatchString(v.Value) {
				e := ir.Errorf(posOf(file, v), r.ID, "id %q is not a UUID", v.Value)
				e.Hint, e.Warning = "the specification asks for a UUID: generate one with uuidgen", true
				errs = append(errs, e)
			}
		case "name":
			str(&r.Name)
		case "status":
			str(&r.Status)
			if r.Status != "" && !validStatus[r.Status] {
				errf(v, "use stable, test, experimental, deprecated or unsupported", "unknown status %q", r.Status)
			}
		case "description":
			str(&r.Description)
		case "author":
			str(&r.Author)
		case "level":
			str(&r.Level)
			if r.Level != "" && !validLevels[r.Level] {
				errf(v, "use informational, low, medium, high or critical", "unknown level %q", r.Level)
			}
		case "tags":
			list(&r.Tags)
		case "references":
			list(&r.References)
		case "falsepositives":
			list(&r.FalsePositives)
		case "fields":
			list(&r.Fields)
		case "logsource":
			logsource = v
		case "detection":
			detection = v
		case "correlation":
			r.Kind, correlation = Correlation, resolveAlias(v)
		case "filter":
			r.Kind, filter = Filter, resolveAlias(v)
		case "action":
			if v.Value == "global" || v.Value == "reset" || v.Value == "repeat" {
				errf(k, "split the collection into standalone rules", "Sigma v1 rule collections (action: %s) are not supported", v.Value)
				return nil, errs
			}
		}
	}
	switch r.Kind {
	case Correlation:
		if r.Title == "" && seen["title"] == nil {
			errf(n, "add a title", "rule has no title")
		}
		r.Correlation = parseCorrelation(file, r, correlation, &errs)
		return r, errs
	case Filter:
		if logsource != nil {
			r.Logsource = parseLogsource(file, r, logsource, &errs)
		}
		r.Filter = parseFilter(file, r, filter, &errs)
		return r, errs
	}
	if r.Title == "" && seen["title"] == nil {
		errf(n, "add a title", "rule has no title")
	}
	if logsource == nil {
		errf(n, "add logsource with product, category and/or service", "rule has no logsource")
	} else {
		r.Logsource = parseLogsource(file, r, logsource, &errs)
	}
	if detection == nil {
		errf(n, "add a detection with selections and a condition", "rule has no detection")
		return r, errs
	}
	parseDetection(file, r, detection, &errs)
	return r, errs
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.ScalarNode:
		if n.Tag == "!!null" {
			return "null"
		}
		return "scalar"
	case yaml.SequenceNode:
		return "list"
	case yaml.MappingNode:
		return "mapping"
	case yaml.AliasNode:
		return "alias"
	}
	return "document"
}

func parseLogsource(file string, r *Rule, n *yaml.Node, errs *ir.Errors) ir.Logsource {
	var ls ir.Logsource
	if n.Kind != yaml.MappingNode {
		*errs = append(*errs, &ir.Error{Pos: posOf(file, n), RuleID: r.ID, Msg: "logsource must be a mapping", Hint: "e.g. logsource: {product: aws, service: cloudtrail}"})
		return ls
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if v.Kind != yaml.ScalarNode {
			*errs = append(*errs, &ir.Error{Pos: posOf(file, v), RuleID: r.ID, Msg: fmt.Sprintf("logsource %s must be a string", k.Value)})
			continue
		}
		switch k.Value {
		case "product":
			ls.Product = v.Value
		case "category":
			ls.Category = v.Value
		case "service":
			ls.Service = v.Value
		}
	}
	return ls
}

func parseDetection(file string, r *Rule, n *yaml.Node, errs *ir.Errors) {
	errf := func(node *yaml.Node, hint, format string, args ...any) {
		e := ir.Errorf(posOf(file, node), r.ID, format, args...)
		e.Hint = hint
		*errs = append(*errs, e)
	}
	if n.Kind != yaml.MappingNode {
		errf(n, "detection holds named selections and a condition", "detection must be a mapping, not a %s", kindName(n))
		return
	}
	var cond *yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		switch k.Value {
		case "condition":
			cond = v
		case "timeframe":
			errf(k, "write a correlation rule with a timespan", "timeframe is Sigma v1 aggregation syntax")
		default:
			r.Selections = append(r.Selections, &Selection{Name: k.Value, Pos: posOf(file, k), Node: resolveAlias(v)})
		}
	}
	if cond == nil {
		errf(n, "add `condition:` naming the selections that must match", "detection has no condition")
		return
	}
	var condNodes []*yaml.Node
	switch cond.Kind {
	case yaml.ScalarNode:
		condNodes = []*yaml.Node{cond}
	case yaml.SequenceNode:
		condNodes = cond.Content
		if len(condNodes) == 0 {
			errf(cond, "", "condition list is empty")
		}
	default:
		errf(cond, "", "condition must be a string or a list of strings")
	}
	for _, c := range condNodes {
		if c.Kind != yaml.ScalarNode || c.Tag == "!!null" {
			errf(c, "", "condition must be a string")
			continue
		}
		expr, err := ParseCondition(c.Value)
		if err != nil {
			ce := err.(*CondError)
			*errs = append(*errs, &ir.Error{Pos: offsetPos(file, c, ce.Offset), RuleID: r.ID, Msg: "condition: " + ce.Msg, Hint: ce.Hint})
			continue
		}
		r.Conditions = append(r.Conditions, &Condition{Text: c.Value, Expr: expr, node: c})
	}
}

func resolveAlias(n *yaml.Node) *yaml.Node {
	for i := 0; n != nil && n.Kind == yaml.AliasNode && i < 10; i++ {
		n = n.Alias
	}
	return n
}

// matchName matches a selection name against a `1 of` pattern, where `*`
// is any run of characters and `?` one character.
func matchName(pattern, name string) bool {
	return ParseValue(strings.ReplaceAll(pattern, `\`, `\\`)).MatchString(name)
}
