package pipeline

import (
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// isPySigma reports whether a pipeline document has pySigma's shape: a
// mapping with a transformations key.
func isPySigma(n *yaml.Node) bool {
	if n.Kind != yaml.MappingNode {
		return false
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == "transformations" {
			return true
		}
	}
	return false
}

var pySigmaKeys = []string{"name", "priority", "vars", "transformations", "postprocessing", "finalizers", "allowed_backends"}

// pySigma reads a pySigma processing pipeline: each supported
// transformation becomes a logsources entry, in order.
func (d decoder) pySigma(n *yaml.Node, p *Pipeline) error {
	var hist history
	err := d.mapping(n, "pySigma pipeline", pySigmaKeys, func(key string, k, v *yaml.Node) error {
		var err error
		switch key {
		case "name":
			if p.Name, err = d.str(v, "name"); err == nil && strings.TrimSpace(p.Name) == "" {
				err = d.errorf(v, "", "pipeline name is empty")
			}
		case "priority":
			var s string
			if s, err = d.str(v, "priority"); err == nil {
				if p.Priority, err = strconv.Atoi(s); err != nil {
					err = d.errorf(v, "", "priority must be an integer, not %q", s)
				}
			}
		case "vars":
			err = d.vars(v, p)
		case "transformations":
			if v.Kind != yaml.SequenceNode {
				return d.errorf(v, "", "transformations must be a list, not %s", kindName(v))
			}
			for _, item := range v.Content {
				entries, err := d.pyTransformation(resolveAlias(item), &hist)
				if err != nil {
					return err
				}
				p.Logsources = append(p.Logsources, entries...)
			}
		case "postprocessing", "finalizers":
			if v.Kind == yaml.SequenceNode && len(v.Content) > 0 || v.Kind == yaml.MappingNode {
				err = d.errorf(k, "remove it: tokenhunt pipelines map fields and tables, they do not rewrite query text",
					"pySigma %s is not supported", key)
			}
		case "allowed_backends":
			// Informational in pySigma; every backend accepts the result.
		}
		return err
	})
	if err != nil {
		return err
	}
	if p.Name == "" {
		return d.errorf(n, "add name: to the pipeline", "pipeline has no name")
	}
	return nil
}

var pyCommonKeys = []string{"id", "type", "rule_conditions", "rule_cond_op", "rule_cond_not", "rule_cond_expr",
	"detection_item_conditions", "detection_item_cond_op", "detection_item_cond_not",
	"field_name_conditions", "field_name_cond_op", "field_name_cond_not"}

// pyTypeKeys are the supported transformation types and their parameters.
var pyTypeKeys = map[string][]string{
	"field_name_mapping":        {"mapping"},
	"field_name_prefix_mapping": {"mapping"},
	"set_state":                 {"key", "val"},
}

// tableStates are the set_state keys that backends read as the query table.
var tableStates = []string{"table", "query_table"}

// pyTransformation converts one pySigma processing item into logsources
// entries: one per rule condition when they are alternatives (rule_cond_op:
// or), else one.
func (d decoder) pyTransformation(n *yaml.Node, hist *history) ([]Logsource, error) {
	if n.Kind != yaml.MappingNode {
		return nil, d.errorf(n, "", "a transformation must be a mapping, not %s", kindName(n))
	}
	var typNode *yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == "type" {
			typNode = resolveAlias(n.Content[i+1])
		}
	}
	if typNode == nil {
		return nil, d.errorf(n, "add type: field_name_mapping (or field_name_prefix_mapping, set_state)", "transformation has no type")
	}
	typ, err := d.str(typNode, "type")
	if err != nil {
		return nil, err
	}
	params, ok := pyTypeKeys[typ]
	if !ok {
		return nil, d.errorf(typNode, "supported: field_name_mapping, field_name_prefix_mapping, set_state (key table); convert the rest by hand",
			"pySigma transformation type %q is not supported", typ)
	}
	var id, stateKey string
	var mapNode, keyNode, valNode, condNode, opNode *yaml.Node
	err = d.mapping(n, "transformation "+typ, append(append([]string(nil), pyCommonKeys...), params...), func(key string, k, v *yaml.Node) error {
		var err error
		switch key {
		case "id":
			id, err = d.str(v, "id")
		case "mapping":
			mapNode = v
		case "key":
			stateKey, err = d.str(v, "key")
			keyNode = v
		case "val":
			valNode = v
		case "rule_conditions":
			condNode = v
		case "rule_cond_op":
			opNode = v
		case "rule_cond_not":
			if v.Kind != yaml.ScalarNode || v.Value != "false" {
				err = d.errorf(k, "write the condition positively, or convert this item by hand", "rule_cond_not is not supported")
			}
		case "rule_cond_expr", "detection_item_conditions", "field_name_conditions":
			if !(v.Kind == yaml.SequenceNode && len(v.Content) == 0) && v.Tag != "!!null" {
				err = d.errorf(k, "tokenhunt pipelines choose by log source only (rule_conditions of type logsource)", "%s is not supported", key)
			}
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	what := "transformation " + typ
	if id != "" {
		what += " (id " + id + ")"
	}
	base := Logsource{Pos: d.pos(n)}
	switch typ {
	case "field_name_mapping":
		if mapNode == nil {
			return nil, d.errorf(n, "", "%s has no mapping", what)
		}
		if err := d.renames(mapNode, &base); err != nil {
			return nil, err
		}
	case "field_name_prefix_mapping":
		if mapNode == nil {
			return nil, d.errorf(n, "", "%s has no mapping", what)
		}
		if err := d.prefixRenames(mapNode, &base); err != nil {
			return nil, err
		}
	case "set_state":
		if keyNode == nil {
			return nil, d.errorf(n, "add key: table", "%s has no key", what)
		}
		if !contains(tableStates, stateKey) {
			return nil, d.errorf(keyNode, "only the query table can be set: key: table (or query_table)", "set_state of %q is not supported", stateKey)
		}
		if valNode == nil {
			return nil, d.errorf(n, "", "%s has no val", what)
		}
		t, err := d.str(valNode, "set_state val")
		if err != nil {
			return nil, err
		}
		base.Table = t
	}
	entries, err := d.pyConditions(condNode, opNode, base)
	if err != nil || mapNode == nil {
		return entries, err
	}
	return entries, hist.add(d, mapNode, id, entries)
}

// pyConditions splits a converted transformation over its rule conditions.
func (d decoder) pyConditions(condNode, opNode *yaml.Node, base Logsource) ([]Logsource, error) {
	if condNode == nil || (condNode.Kind == yaml.SequenceNode && len(condNode.Content) == 0) {
		return []Logsource{base}, nil
	}
	if condNode.Kind != yaml.SequenceNode {
		return nil, d.errorf(condNode, "write rule_conditions as a list of {type: logsource, product: ..., service: ...}", "rule_conditions must be a list, not %s", kindName(condNode))
	}
	op := "and"
	if opNode != nil {
		s, err := d.str(opNode, "rule_cond_op")
		if err != nil {
			return nil, err
		}
		if op = strings.ToLower(s); op != "and" && op != "or" {
			return nil, d.errorf(opNode, "", "rule_cond_op must be and or or, not %q", s)
		}
	}
	var out []Logsource
	merged := base
	for _, c := range condNode.Content {
		c = resolveAlias(c)
		ls, err := d.pyLogsourceCondition(c)
		if err != nil {
			return nil, err
		}
		if op == "or" {
			e := base
			e.Product, e.Category, e.Service, e.Pos = ls.Product, ls.Category, ls.Service, ls.Pos
			out = append(out, e)
			continue
		}
		for _, f := range []struct {
			name      string
			have, add *string
		}{{"product", &merged.Product, &ls.Product}, {"category", &merged.Category, &ls.Category}, {"service", &merged.Service, &ls.Service}} {
			if *f.add == "" {
				continue
			}
			if *f.have != "" && !strings.EqualFold(*f.have, *f.add) {
				return nil, d.errorf(c, "use rule_cond_op: or for alternatives", "rule conditions require %s %q and %q at once", f.name, *f.have, *f.add)
			}
			*f.have = *f.add
		}
	}
	if op == "or" {
		return out, nil
	}
	return []Logsource{merged}, nil
}

var pyCondKeys = []string{"type", "product", "category", "service"}

func (d decoder) pyLogsourceCondition(n *yaml.Node) (Logsource, error) {
	ls := Logsource{Pos: d.pos(n)}
	var typ string
	err := d.mapping(n, "rule condition", pyCondKeys, func(key string, k, v *yaml.Node) error {
		var err error
		switch key {
		case "type":
			if typ, err = d.str(v, "type"); err == nil && typ != "logsource" {
				err = d.errorf(v, "tokenhunt pipelines choose by log source only", "rule condition type %q is not supported", typ)
			}
		case "product":
			ls.Product, err = d.str(v, key)
		case "category":
			ls.Category, err = d.str(v, key)
		case "service":
			ls.Service, err = d.str(v, key)
		}
		return err
	})
	if err == nil && typ == "" {
		err = d.errorf(n, "add type: logsource", "rule condition has no type")
	}
	return ls, err
}

// history holds the rename transformations read so far. pySigma applies
// transformations one after the other, so a later mapping sees the names an
// earlier one produced; tokenhunt renames a field once. A later mapping of
// an earlier one's output is composed into direct renames when the earlier
// one applies to every log source, and is an error otherwise.
type history struct{ steps []step }

type step struct {
	id       string
	sel      []Logsource // log source selectors; none: every log source
	renames  map[string]string
	prefixes map[string]string
}

// selectors returns the selectors of a transformation's entries; none when
// an entry selects every log source.
func selectors(entries []Logsource) []Logsource {
	var sel []Logsource
	for _, e := range entries {
		if e.Product == "" && e.Category == "" && e.Service == "" {
			return nil
		}
		sel = append(sel, e)
	}
	return sel
}

func overlaps(a, b []Logsource) bool {
	if len(a) == 0 || len(b) == 0 {
		return true
	}
	agree := func(x, y string) bool { return x == "" || y == "" || strings.EqualFold(x, y) }
	for _, x := range a {
		for _, y := range b {
			if agree(x.Product, y.Product) && agree(x.Category, y.Category) && agree(x.Service, y.Service) {
				return true
			}
		}
	}
	return false
}

func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}

func (st step) name() string {
	if st.id != "" {
		return "transformation " + st.id
	}
	return "an earlier transformation"
}

const (
	chainHint = "map each field to its final name in one transformation, or make the earlier one apply to every log source"
	twiceHint = "give the two transformations disjoint rule_conditions, or merge them"
)

// add checks a rename transformation against the earlier ones, composes
// what it can into its entries' renames, and records it.
func (h *history) add(d decoder, mapNode *yaml.Node, id string, entries []Logsource) error {
	sel := selectors(entries)
	renames, prefixes := entries[0].Renames, entries[0].PrefixRenames
	for i := 0; i+1 < len(mapNode.Content); i += 2 {
		k := mapNode.Content[i]
		from := k.Value
		for _, st := range h.steps {
			if !overlaps(st.sel, sel) {
				continue
			}
			if renames != nil {
				for src, to := range st.renames {
					if strings.EqualFold(src, from) {
						return d.errorf(k, twiceHint, "field %q is already mapped by %s for the same log sources, and pySigma would keep that mapping", from, st.name())
					}
					if strings.EqualFold(to, from) {
						if st.sel != nil {
							return d.errorf(k, chainHint, "field_name_mapping of %q chains %s, which maps %q to it under other rule conditions", from, st.name(), src)
						}
						if !hasKeyFold(renames, src) {
							renames[src] = renames[from]
						}
					}
				}
				for p, r := range st.prefixes {
					if hasPrefixFold(from, r) {
						if st.sel != nil {
							return d.errorf(k, chainHint, "field_name_mapping of %q chains %s, which maps names starting with %q to it under other rule conditions", from, st.name(), p)
						}
						if src := p + from[len(r):]; !hasKeyFold(renames, src) {
							renames[src] = renames[from]
						}
					}
				}
				continue
			}
			for p, r := range st.prefixes {
				switch {
				case strings.EqualFold(p, from):
					return d.errorf(k, twiceHint, "prefix %q is already mapped by %s for the same log sources, and pySigma would keep that mapping", from, st.name())
				case hasPrefixFold(from, r) && st.sel == nil:
					if src := p + from[len(r):]; !hasKeyFold(prefixes, src) {
						prefixes[src] = prefixes[from]
					}
				case hasPrefixFold(from, r) || (r != "" && hasPrefixFold(r, from)):
					return d.errorf(k, chainHint, "field_name_prefix_mapping of %q chains %s, which maps names starting with %q under other rule conditions", from, st.name(), p)
				}
			}
			for src, to := range st.renames {
				if hasPrefixFold(to, from) {
					return d.errorf(k, chainHint, "field_name_prefix_mapping of %q would apply to %q, the name %s gives %q", from, to, st.name(), src)
				}
			}
		}
	}
	h.steps = append(h.steps, step{id: id, sel: sel, renames: renames, prefixes: prefixes})
	return nil
}

func hasKeyFold(m map[string]string, key string) bool {
	for k := range m {
		if strings.EqualFold(k, key) {
			return true
		}
	}
	return false
}
