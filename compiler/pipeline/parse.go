package pipeline

import (
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"

	"github.com/tokenhunt/tokenhunt/compiler/ir"
	"gopkg.in/yaml.v3"
)

// Pipeline is one pipeline file.
type Pipeline struct {
	Name        string
	Description string
	Priority    int
	// Vars are the |expand placeholders, by name as the file spells it.
	Vars       map[string][]string
	Logsources []Logsource
	// File is where the pipeline came from: a path, or builtin/NAME.yml.
	File string
}

// Logsource is one entry of a pipeline's logsources list.
type Logsource struct {
	// Product, Category and Service select the rules the entry applies to;
	// an empty one matches any value.
	Product, Category, Service string
	// Table is the table the rules read; empty leaves it to other entries
	// or to the default name.
	Table string
	// Keywords are the fields a keyword search covers; nil when the entry
	// does not set them (an empty list clears them).
	Keywords []string
	// JSONColumns are the columns that hold JSON text; nil when not set.
	JSONColumns []string
	// DynamicColumns are columns of the engine's own JSON type (KQL's
	// dynamic): read like JSONColumns, but not text; nil when not set.
	DynamicColumns []string
	// Time and ID name the fields (as rules spell them) holding the event
	// time and a unique event id, which correlations and hunts read.
	Time, ID string
	// Renames maps a Sigma field name (as written) to the source field name.
	Renames map[string]string
	// PrefixRenames maps a field name prefix (plain text, as written) to
	// its replacement, for names that no rename covers.
	PrefixRenames map[string]string
	// Fields are the fields entries in file order.
	Fields []FieldSpec
	Pos    ir.Pos
}

// FieldSpec is one entry of a logsource's fields map.
type FieldSpec struct {
	// Name is the key as written: a field name, "prefix.*" or "*".
	Name string
	// Column is the struct path of the column; nil for the default.
	Column []string
	// JSON is the column holding JSON text; nil when the value is not JSON.
	JSON []string
	// Key is the key path inside the JSON text; nil for the default.
	Key  []string
	Type ir.Type
	// Unsupported, when set, says why the target cannot read the field
	// (e.g. it lies inside an array the target's printer cannot index): a
	// rule naming it is an error with this reason, never a query that
	// silently reads nothing.
	Unsupported string
	Pos         ir.Pos
}

// Prefix reports whether the entry covers every name under a prefix, and
// returns the prefix without its ".*" ("" for a lone "*").
func (f FieldSpec) Prefix() (string, bool) {
	if f.Name == "*" {
		return "", true
	}
	if p, ok := strings.CutSuffix(f.Name, ".*"); ok {
		return p, true
	}
	return "", false
}

// Load reads a pipeline file.
func Load(path string) (*Pipeline, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read pipeline: %w", err)
	}
	return Parse(path, data)
}

// Parse reads a pipeline from YAML text; name is the file name used in
// error positions.
func Parse(name string, data []byte) (*Pipeline, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, yamlError(name, err)
	}
	d := decoder{file: name}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) == 0 {
		return nil, &ir.Error{Pos: ir.Pos{File: name}, Msg: "empty pipeline", Hint: "a pipeline needs at least a name and logsources"}
	}
	p := &Pipeline{File: name}
	root := resolveAlias(doc.Content[0])
	if isPySigma(root) {
		if err := d.pySigma(root, p); err != nil {
			return nil, err
		}
		return p, nil
	}
	if err := d.pipeline(root, p); err != nil {
		return nil, err
	}
	return p, nil
}

var yamlLine = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

func yamlError(file string, err error) error {
	msg := err.Error()
	if m := yamlLine.FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[1])
		return &ir.Error{Pos: ir.Pos{File: file, Line: line}, Msg: "bad yaml: " + m[2]}
	}
	return &ir.Error{Pos: ir.Pos{File: file}, Msg: "bad yaml: " + strings.TrimPrefix(msg, "yaml: ")}
}

type decoder struct{ file string }

func (d decoder) pos(n *yaml.Node) ir.Pos { return ir.Pos{File: d.file, Line: n.Line, Col: n.Column} }

func (d decoder) errorf(n *yaml.Node, hint, format string, args ...any) error {
	return &ir.Error{Pos: d.pos(n), Msg: fmt.Sprintf(format, args...), Hint: hint}
}

// mapping walks a mapping node, calling f for each key in order; a key that
// f does not know is an error naming the known keys. Keys are compared as
// written (they are the pipeline's own keywords).
func (d decoder) mapping(n *yaml.Node, what string, known []string, f func(key string, k, v *yaml.Node) error) error {
	n = resolveAlias(n)
	if n.Kind != yaml.MappingNode {
		if n.Tag == "!!null" {
			return nil
		}
		return d.errorf(n, "", "%s must be a mapping, not %s", what, kindName(n))
	}
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], resolveAlias(n.Content[i+1])
		if k.Kind != yaml.ScalarNode {
			return d.errorf(k, "", "%s keys must be plain text", what)
		}
		if seen[k.Value] {
			return d.errorf(k, "", "duplicate key %q in %s", k.Value, what)
		}
		seen[k.Value] = true
		if known != nil && !contains(known, k.Value) {
			return d.errorf(k, "known keys: "+strings.Join(known, ", "), "unknown key %q in %s", k.Value, what)
		}
		if err := f(k.Value, k, v); err != nil {
			return err
		}
	}
	return nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func resolveAlias(n *yaml.Node) *yaml.Node {
	for n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	return n
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		if n.Tag == "!!null" {
			return "null"
		}
		return "a scalar"
	}
	return "an alias"
}

// str reads a scalar as text. Numbers and booleans are taken as written.
func (d decoder) str(n *yaml.Node, what string) (string, error) {
	if n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
		return "", d.errorf(n, "", "%s must be text, not %s", what, kindName(n))
	}
	return n.Value, nil
}

// strList reads a list of scalars; a single scalar is a list of one.
func (d decoder) strList(n *yaml.Node, what string) ([]string, error) {
	if n.Kind == yaml.ScalarNode && n.Tag != "!!null" {
		return []string{n.Value}, nil
	}
	if n.Kind == yaml.ScalarNode { // null: an empty list
		return []string{}, nil
	}
	if n.Kind != yaml.SequenceNode {
		return nil, d.errorf(n, "", "%s must be a list of text values, not %s", what, kindName(n))
	}
	out := make([]string, 0, len(n.Content))
	for _, c := range n.Content {
		s, err := d.str(resolveAlias(c), what+" item")
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, nil
}

// path reads a column or key path: dotted text, or a list of segments.
func (d decoder) path(n *yaml.Node, what string) ([]string, error) {
	var segs []string
	if n.Kind == yaml.SequenceNode {
		var err error
		if segs, err = d.strList(n, what); err != nil {
			return nil, err
		}
	} else {
		s, err := d.str(n, what)
		if err != nil {
			return nil, err
		}
		segs = strings.Split(s, ".")
	}
	if len(segs) == 0 {
		return nil, d.errorf(n, "", "%s is empty", what)
	}
	for _, s := range segs {
		if s == "" {
			return nil, d.errorf(n, "write a dotted path such as userIdentity.arn, or a list of segments", "%s has an empty segment", what)
		}
	}
	return segs, nil
}

var pipelineKeys = []string{"name", "description", "priority", "vars", "logsources"}

func (d decoder) pipeline(n *yaml.Node, p *Pipeline) error {
	n = resolveAlias(n)
	if n.Kind != yaml.MappingNode {
		return d.errorf(n, "", "a pipeline must be a mapping, not %s", kindName(n))
	}
	err := d.mapping(n, "pipeline", pipelineKeys, func(key string, k, v *yaml.Node) error {
		var err error
		switch key {
		case "name":
			if p.Name, err = d.str(v, "name"); err == nil && !validName(p.Name) {
				err = d.errorf(v, "use letters, digits, '.', '_' and '-'", "bad pipeline name %q", p.Name)
			}
		case "description":
			p.Description, err = d.str(v, "description")
		case "priority":
			var s string
			if s, err = d.str(v, "priority"); err == nil {
				if p.Priority, err = strconv.Atoi(s); err != nil {
					err = d.errorf(v, "", "priority must be an integer, not %q", s)
				}
			}
		case "vars":
			err = d.vars(v, p)
		case "logsources":
			err = d.logsources(v, p)
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

var nameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*$`)

func validName(s string) bool { return nameRE.MatchString(s) }

func (d decoder) vars(n *yaml.Node, p *Pipeline) error {
	p.Vars = map[string][]string{}
	seen := map[string]bool{}
	return d.mapping(n, "vars", nil, func(key string, k, v *yaml.Node) error {
		if seen[strings.ToLower(key)] {
			return d.errorf(k, "", "duplicate var %q (names are case-insensitive)", key)
		}
		seen[strings.ToLower(key)] = true
		vals, err := d.strList(v, "var "+key)
		if err != nil {
			return err
		}
		p.Vars[key] = vals
		return nil
	})
}

func (d decoder) logsources(n *yaml.Node, p *Pipeline) error {
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return nil
	}
	if n.Kind != yaml.SequenceNode {
		return d.errorf(n, "write logsources as a list: - product: ...", "logsources must be a list, not %s", kindName(n))
	}
	for _, c := range n.Content {
		c = resolveAlias(c)
		ls, err := d.logsource(c)
		if err != nil {
			return err
		}
		p.Logsources = append(p.Logsources, ls)
	}
	return nil
}

var logsourceKeys = []string{"product", "category", "service", "table", "keywords", "json_columns", "dynamic_columns", "time", "id", "field_name_mapping", "field_name_prefix_mapping", "fields"}

func (d decoder) logsource(n *yaml.Node) (Logsource, error) {
	ls := Logsource{Pos: d.pos(n)}
	if n.Kind != yaml.MappingNode {
		return ls, d.errorf(n, "", "a logsources entry must be a mapping, not %s", kindName(n))
	}
	err := d.mapping(n, "logsources entry", logsourceKeys, func(key string, k, v *yaml.Node) error {
		var err error
		switch key {
		case "product":
			ls.Product, err = d.str(v, key)
		case "category":
			ls.Category, err = d.str(v, key)
		case "service":
			ls.Service, err = d.str(v, key)
		case "table":
			ls.Table, err = d.str(v, key)
		case "keywords":
			ls.Keywords, err = d.strList(v, key)
		case "json_columns":
			ls.JSONColumns, err = d.strList(v, key)
		case "dynamic_columns":
			ls.DynamicColumns, err = d.strList(v, key)
		case "time":
			ls.Time, err = d.str(v, key)
		case "id":
			ls.ID, err = d.str(v, key)
		case "field_name_mapping":
			err = d.renames(v, &ls)
		case "field_name_prefix_mapping":
			err = d.prefixRenames(v, &ls)
		case "fields":
			err = d.fields(v, &ls)
		}
		return err
	})
	return ls, err
}

func (d decoder) renames(n *yaml.Node, ls *Logsource) error {
	ls.Renames = map[string]string{}
	seen := map[string]bool{}
	return d.mapping(n, "field_name_mapping", nil, func(key string, k, v *yaml.Node) error {
		if seen[strings.ToLower(key)] {
			return d.errorf(k, "", "duplicate field %q in field_name_mapping (field names are case-insensitive)", key)
		}
		seen[strings.ToLower(key)] = true
		if v.Kind == yaml.SequenceNode {
			return d.errorf(v, "map the field to one source field", "field_name_mapping of %q to several fields is not supported", key)
		}
		to, err := d.str(v, "field_name_mapping target")
		if err != nil {
			return err
		}
		if to == "" {
			return d.errorf(v, "", "field_name_mapping of %q is empty", key)
		}
		ls.Renames[key] = to
		return nil
	})
}

func (d decoder) prefixRenames(n *yaml.Node, ls *Logsource) error {
	ls.PrefixRenames = map[string]string{}
	seen := map[string]bool{}
	return d.mapping(n, "field_name_prefix_mapping", nil, func(key string, k, v *yaml.Node) error {
		if key == "" {
			return d.errorf(k, "", "field_name_prefix_mapping has an empty prefix")
		}
		if seen[strings.ToLower(key)] {
			return d.errorf(k, "", "duplicate prefix %q in field_name_prefix_mapping (field names are case-insensitive)", key)
		}
		seen[strings.ToLower(key)] = true
		if v.Kind == yaml.ScalarNode && v.Tag == "!!null" {
			ls.PrefixRenames[key] = "" // strip the prefix
			return nil
		}
		to, err := d.str(v, "field_name_prefix_mapping target")
		if err != nil {
			return err
		}
		ls.PrefixRenames[key] = to
		return nil
	})
}

var fieldKeys = []string{"column", "json", "key", "type", "unsupported"}

func (d decoder) fields(n *yaml.Node, ls *Logsource) error {
	seen := map[string]bool{}
	return d.mapping(n, "fields", nil, func(key string, k, v *yaml.Node) error {
		if seen[strings.ToLower(key)] {
			return d.errorf(k, "", "duplicate field %q in fields (field names are case-insensitive)", key)
		}
		seen[strings.ToLower(key)] = true
		f := FieldSpec{Name: key, Pos: d.pos(k)}
		if key == "" || strings.Contains(strings.TrimSuffix(key, "*"), "*") || (strings.HasSuffix(key, "*") && key != "*" && !strings.HasSuffix(key, ".*")) {
			return d.errorf(k, "write a field name, prefix.* or *", "bad fields key %q", key)
		}
		var keyNode *yaml.Node
		err := d.mapping(v, "field "+key, fieldKeys, func(fk string, kn, vn *yaml.Node) error {
			var err error
			switch fk {
			case "column":
				f.Column, err = d.path(vn, "column")
			case "json":
				f.JSON, err = d.path(vn, "json")
			case "key":
				f.Key, err = d.path(vn, "key")
				keyNode = kn
			case "unsupported":
				if f.Unsupported, err = d.str(vn, "unsupported"); err == nil && f.Unsupported == "" {
					err = d.errorf(vn, "say why the target cannot read the field", "unsupported is empty")
				}
			case "type":
				var s string
				if s, err = d.str(vn, "type"); err == nil {
					var ok bool
					if f.Type, ok = ir.ParseType(strings.ToLower(s)); !ok {
						err = d.errorf(vn, "use string, number, bool or timestamp", "unknown type %q", s)
					}
				}
			}
			return err
		})
		if err != nil {
			return err
		}
		if f.Column != nil && f.JSON != nil {
			return d.errorf(v, "use column: for a struct path, json: for a JSON text column", "field %q has both column and json", key)
		}
		if f.Unsupported != "" && (f.Column != nil || f.JSON != nil) {
			return d.errorf(v, "an unsupported field names no column", "field %q has unsupported and a column", key)
		}
		if f.Key != nil && f.JSON == nil {
			return d.errorf(keyNode, "add json: naming the column that holds the JSON text", "field %q has key but no json", key)
		}
		ls.Fields = append(ls.Fields, f)
		return nil
	})
}
