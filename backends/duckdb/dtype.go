package duckdb

import (
	"fmt"
	"strings"

	"github.com/tokenhunt/tokenhunt/compiler/ir"
)

// dtype is a DuckDB column type as DESCRIBE prints it, parsed just enough
// to add struct fields and change leaf types: a STRUCT, a list, a MAP, or
// any other type kept as its text.
type dtype struct {
	name       string    // a type that is none of the others
	fields     []*dfield // a STRUCT
	elem       *dtype    // a list: elem[]
	key, value *dtype    // a MAP(key, value)
}

type dfield struct {
	name string
	typ  *dtype
}

func (t *dtype) isStruct() bool { return t.fields != nil }

// isScalar reports whether the type is neither a STRUCT, a list nor a MAP.
func (t *dtype) isScalar() bool { return t.fields == nil && t.elem == nil && t.value == nil }

func (t *dtype) String() string {
	switch {
	case t.elem != nil:
		return t.elem.String() + "[]"
	case t.value != nil:
		return "MAP(" + t.key.String() + ", " + t.value.String() + ")"
	case t.fields != nil:
		parts := make([]string, len(t.fields))
		for i, f := range t.fields {
			parts[i] = quoteIdent(f.name) + " " + f.typ.String()
		}
		return "STRUCT(" + strings.Join(parts, ", ") + ")"
	}
	return t.name
}

// parseType reads a type such as
// STRUCT("type" VARCHAR, sessionContext STRUCT(arn VARCHAR))[].
func parseType(s string) (*dtype, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, fmt.Errorf("empty type")
	}
	if strings.HasSuffix(s, "[]") {
		e, err := parseType(s[:len(s)-2])
		if err != nil {
			return nil, err
		}
		return &dtype{elem: e}, nil
	}
	const openMap = "MAP("
	if len(s) > len(openMap) && strings.EqualFold(s[:len(openMap)], openMap) && s[len(s)-1] == ')' {
		parts, err := splitTop(s[len(openMap) : len(s)-1])
		if err != nil || len(parts) != 2 {
			return nil, fmt.Errorf("type %s: not a MAP of a key and a value type", s)
		}
		k, err := parseType(parts[0])
		if err != nil {
			return nil, err
		}
		v, err := parseType(parts[1])
		if err != nil {
			return nil, err
		}
		return &dtype{key: k, value: v}, nil
	}
	const open = "STRUCT("
	if len(s) > len(open) && strings.EqualFold(s[:len(open)], open) && s[len(s)-1] == ')' {
		parts, err := splitTop(s[len(open) : len(s)-1])
		if err != nil {
			return nil, fmt.Errorf("type %s: %v", s, err)
		}
		t := &dtype{fields: []*dfield{}}
		for _, p := range parts {
			name, rest, err := fieldName(p)
			if err != nil {
				return nil, fmt.Errorf("type %s: %v", s, err)
			}
			ft, err := parseType(rest)
			if err != nil {
				return nil, err
			}
			t.fields = append(t.fields, &dfield{name: name, typ: ft})
		}
		return t, nil
	}
	return &dtype{name: s}, nil
}

// splitTop splits at the commas outside parentheses and quotes.
func splitTop(s string) ([]string, error) {
	var parts []string
	depth, start := 0, 0
	var quote byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0 // a doubled quote closes and reopens: same result
			}
		case c == '"' || c == '\'':
			quote = c
		case c == '(':
			depth++
		case c == ')':
			depth--
			if depth < 0 {
				return nil, fmt.Errorf("unbalanced parentheses")
			}
		case c == ',' && depth == 0:
			parts = append(parts, s[start:i])
			start = i + 1
		}
	}
	if quote != 0 || depth != 0 {
		return nil, fmt.Errorf("unbalanced quotes or parentheses")
	}
	return append(parts, s[start:]), nil
}

// fieldName splits `"name" TYPE` or `name TYPE`.
func fieldName(s string) (name, rest string, err error) {
	s = strings.TrimSpace(s)
	if strings.HasPrefix(s, `"`) {
		var b strings.Builder
		for i := 1; i < len(s); i++ {
			if s[i] != '"' {
				b.WriteByte(s[i])
				continue
			}
			if i+1 < len(s) && s[i+1] == '"' {
				b.WriteByte('"')
				i++
				continue
			}
			return b.String(), s[i+1:], nil
		}
		return "", "", fmt.Errorf("unterminated field name in %q", s)
	}
	i := strings.IndexByte(s, ' ')
	if i < 0 {
		return "", "", fmt.Errorf("field without a type: %q", s)
	}
	return s[:i], s[i+1:], nil
}

// class is the ir.Type a DuckDB type holds; ok is false for types that are
// none of them (structs, lists, maps, UUID, JSON, ...).
func (t *dtype) class() (ir.Type, bool) {
	if !t.isScalar() {
		return 0, false
	}
	n := strings.ToUpper(t.name)
	switch {
	case n == "VARCHAR" || strings.HasPrefix(n, "VARCHAR("):
		return ir.String, true
	case n == "BOOLEAN":
		return ir.Bool, true
	case strings.HasPrefix(n, "TIMESTAMP") || n == "DATE":
		return ir.Timestamp, true
	case strings.HasPrefix(n, "DECIMAL"):
		return ir.Number, true
	}
	switch n {
	case "TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT", "UHUGEINT", "FLOAT", "DOUBLE":
		return ir.Number, true
	}
	return 0, false
}

// sqlType is the DuckDB type a pipeline type is read as.
func sqlType(t ir.Type) string {
	switch t {
	case ir.Number:
		return "DOUBLE"
	case ir.Bool:
		return "BOOLEAN"
	case ir.Timestamp:
		return "TIMESTAMPTZ"
	}
	return "VARCHAR"
}

// build is the type of a missing column or field that a path goes through.
func build(path []string, leaf ir.Type) *dtype {
	if len(path) == 0 {
		return &dtype{name: sqlType(leaf)}
	}
	return &dtype{fields: []*dfield{{name: path[0], typ: build(path[1:], leaf)}}}
}

// ensure makes the struct path exist with a leaf of the declared type: a
// missing field is added, a scalar leaf of another type is changed. A path
// through something that is not a struct is left alone. It reports whether
// the type changed.
func (t *dtype) ensure(path []string, leaf ir.Type) bool {
	if len(path) == 0 {
		if leaf == ir.Any {
			return false // undeclared: whatever the data holds
		}
		if c, ok := t.class(); ok && c != leaf {
			t.name = sqlType(leaf)
			return true
		}
		return false
	}
	if !t.isStruct() {
		return false
	}
	for _, f := range t.fields {
		if strings.EqualFold(f.name, path[0]) {
			return f.typ.ensure(path[1:], leaf)
		}
	}
	t.fields = append(t.fields, &dfield{name: path[0], typ: build(path[1:], leaf)})
	return true
}

// textUUIDs turns every UUID in the type into VARCHAR (the JSON reader
// detects UUIDs, and string functions do not take them). It reports whether
// the type changed.
func (t *dtype) textUUIDs() bool {
	switch {
	case t.elem != nil:
		return t.elem.textUUIDs()
	case t.value != nil:
		k := t.key.textUUIDs()
		return t.value.textUUIDs() || k
	case t.fields != nil:
		changed := false
		for _, f := range t.fields {
			changed = f.typ.textUUIDs() || changed
		}
		return changed
	case strings.EqualFold(t.name, "UUID"):
		t.name = "VARCHAR"
		return true
	}
	return false
}

// reading is what Options declare at one place of a JSON record, for
// Register's explicit read of JSON sources: how the value there is read,
// and the declarations below it (struct fields, by lower-cased name).
type reading struct {
	typed  bool // declared number, boolean or timestamp: read as detected, converted later
	json   bool // JSON text
	fields map[string]*reading
}

// child is the declaration of a struct field, nil when there is none.
func (r *reading) child(name string) *reading {
	if r == nil {
		return nil
	}
	return r.fields[strings.ToLower(name)]
}

// at returns the declaration at a path, making it.
func (r *reading) at(path []string) *reading {
	for _, name := range path {
		k := strings.ToLower(name)
		if r.fields == nil {
			r.fields = map[string]*reading{}
		}
		c, ok := r.fields[k]
		if !ok {
			c = &reading{}
			r.fields[k] = c
		}
		r = c
	}
	return r
}

// readings gathers the declarations of Options: the record is the root,
// its top-level columns are the root's fields.
func readings(opts Options) *reading {
	root := &reading{}
	for _, n := range opts.JSONText {
		root.at([]string{n}).json = true
	}
	for _, c := range opts.Columns {
		if len(c.Path) == 0 {
			continue
		}
		r := root.at(c.Path)
		switch {
		case len(c.JSON) > 0:
			r.json = true
		case c.Type == ir.Number || c.Type == ir.Bool || c.Type == ir.Timestamp:
			r.typed = true
		}
	}
	return root
}

// readAsText changes a type the JSON reader detected into the type to read
// it as, so that rules see the text the log has: every scalar other than
// VARCHAR and BOOLEAN becomes VARCHAR (the reader then holds a number as
// its JSON text, 5 as '5' where DOUBLE would print '5.0'; a UUID with its
// case; a value of mixed JSON types as its text), in structs, lists and
// MAP values too. Where r declares a number, boolean or timestamp, the
// detected type stays (Register converts it to the declared type), unless
// it is JSON or UUID, read as VARCHAR. Where r declares JSON text, a
// value that is not text is read as JSON (its JSON text, keys in the
// order written).
func (t *dtype) readAsText(r *reading) {
	if r != nil && r.json {
		if c, ok := t.class(); !ok || c != ir.String {
			*t = dtype{name: "JSON"}
		}
		return
	}
	switch {
	case t.elem != nil:
		t.elem.readAsText(r)
	case t.value != nil:
		t.value.readAsText(nil)
	case t.fields != nil:
		for _, f := range t.fields {
			f.typ.readAsText(r.child(f.name))
		}
	default:
		n := strings.ToUpper(t.name)
		c, ok := t.class()
		switch {
		case ok && (c == ir.String || c == ir.Bool):
		case r != nil && r.typed && n != "JSON" && n != "UUID":
		default:
			t.name = "VARCHAR"
		}
	}
}
