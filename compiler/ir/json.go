package ir

import (
	"encoding/json"
	"fmt"
)

// jsonNode is the JSON shape of every Expr: an "op" and the fields that op
// uses. Field order is fixed by the struct, so output is deterministic.
type jsonNode struct {
	Op       string      `json:"op"`
	Args     []*jsonNode `json:"args,omitempty"`
	Field    *Field      `json:"field,omitempty"`
	Other    *Field      `json:"other,omitempty"`
	Shape    string      `json:"shape,omitempty"`
	Cased    *bool       `json:"cased,omitempty"`
	Pattern  []jsonPart  `json:"pattern,omitempty"`
	Regex    string      `json:"regex,omitempty"`
	Flags    string      `json:"flags,omitempty"`
	Cmp      string      `json:"cmp,omitempty"`
	Number   *float64    `json:"number,omitempty"`
	Text     string      `json:"text,omitempty"`
	Bool     *bool       `json:"bool,omitempty"`
	Part     string      `json:"part,omitempty"`
	Prefixes []string    `json:"prefixes,omitempty"`
}

type jsonPart struct {
	Lit  *string `json:"lit,omitempty"`
	Wild string  `json:"wild,omitempty"`
}

func ptr[T any](v T) *T { return &v }

func toJSON(e Expr) *jsonNode {
	switch e := e.(type) {
	case And:
		return &jsonNode{Op: "and", Args: argsJSON(e.Args)}
	case Or:
		return &jsonNode{Op: "or", Args: argsJSON(e.Args)}
	case Not:
		return &jsonNode{Op: "not", Args: []*jsonNode{toJSON(e.Arg)}}
	case Const:
		return &jsonNode{Op: "const", Bool: ptr(e.Value)}
	case Match:
		shape, _ := e.Pattern.Shape()
		return &jsonNode{Op: "match", Field: &e.Field, Shape: shape.String(), Cased: ptr(e.Cased), Pattern: partsJSON(e.Pattern)}
	case Regex:
		return &jsonNode{Op: "regex", Field: &e.Field, Regex: e.Pattern, Flags: regexFlags(e)}
	case Compare:
		return &jsonNode{Op: "compare", Field: &e.Field, Cmp: e.Op.String(), Number: ptr(e.Value.Float), Text: e.Value.Text}
	case BoolEq:
		return &jsonNode{Op: "bool", Field: &e.Field, Bool: ptr(e.Value)}
	case IsNull:
		return &jsonNode{Op: "null", Field: &e.Field}
	case CIDR:
		n := &jsonNode{Op: "cidr", Field: &e.Field}
		for _, p := range e.Prefixes {
			n.Prefixes = append(n.Prefixes, p.String())
		}
		return n
	case FieldRef:
		return &jsonNode{Op: "fieldref", Field: &e.Field, Other: &e.Other, Shape: e.Shape.String(), Cased: ptr(e.Cased)}
	case Time:
		return &jsonNode{Op: "time", Field: &e.Field, Part: e.Part.String(), Cmp: e.Op.String(), Number: ptr(float64(e.Value))}
	case Keyword:
		return &jsonNode{Op: "keyword", Cased: ptr(e.Cased), Pattern: partsJSON(e.Pattern)}
	}
	panic(fmt.Sprintf("ir: unknown node %T", e))
}

func argsJSON(args []Expr) []*jsonNode {
	out := make([]*jsonNode, len(args))
	for i, a := range args {
		out[i] = toJSON(a)
	}
	return out
}

func partsJSON(p Pattern) []jsonPart {
	var out []jsonPart
	for _, part := range p.Normalize() {
		switch part.Kind {
		case Lit:
			out = append(out, jsonPart{Lit: ptr(part.Text)})
		case Star:
			out = append(out, jsonPart{Wild: "*"})
		case One:
			out = append(out, jsonPart{Wild: "?"})
		}
	}
	if out == nil {
		out = []jsonPart{{Lit: ptr("")}}
	}
	return out
}

// MarshalExpr encodes an expression as JSON.
func MarshalExpr(e Expr) ([]byte, error) { return json.Marshal(toJSON(e)) }

// MarshalJSON encodes a rule with its condition under "where".
func (r *Rule) MarshalJSON() ([]byte, error) {
	type plain Rule
	return json.Marshal(struct {
		*plain
		Where *jsonNode `json:"where"`
	}{(*plain)(r), toJSON(r.Where)})
}

// MarshalJSON encodes a type by name.
func (t Type) MarshalJSON() ([]byte, error) { return json.Marshal(t.String()) }

// UnmarshalJSON decodes a type name.
func (t *Type) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	v, ok := ParseType(s)
	if !ok {
		return fmt.Errorf("unknown type %q", s)
	}
	*t = v
	return nil
}
