package pipeline

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/tokenhunt/tokenhunt/compiler/ir"
)

// Set is the pipelines given for one run, in the order given. It applies
// them in ascending priority, then in that order; later ones override
// earlier ones.
type Set []*Pipeline

// ordered returns the pipelines in application order.
func (s Set) ordered() []*Pipeline {
	out := make([]*Pipeline, 0, len(s))
	for _, p := range s {
		if p != nil {
			out = append(out, p)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Priority < out[j].Priority })
	return out
}

// Var returns the values of an |expand placeholder. The name may be given
// with or without its surrounding '%'; names are case-insensitive, and the
// last pipeline that defines one wins.
func (s Set) Var(name string) ([]string, bool) {
	name = strings.TrimSuffix(strings.TrimPrefix(name, "%"), "%")
	var vals []string
	found := false
	for _, p := range s.ordered() {
		for k, v := range p.Vars {
			if strings.EqualFold(k, name) {
				vals, found = v, true
			}
		}
	}
	return slices.Clone(vals), found
}

// Source is what the pipelines say about one log source, for an engine that
// registers the table.
type Source struct {
	// Table is the table the log source's rules read.
	Table string
	// Keywords are the fields keyword searches cover (not resolved).
	Keywords []string
	// JSONColumns are the columns (dotted struct paths, usually one name)
	// that hold JSON text: json_columns plus every column a json: entry
	// names, in first-mention order, without duplicates. Dynamic columns
	// are listed too, first.
	JSONColumns []string
	// DynamicColumns are the JSON columns of the engine's own JSON type
	// (KQL dynamic) rather than text: dynamic_columns, as written.
	DynamicColumns []string
	// Time and ID are the fields holding the event time and a unique event
	// id (field names as rules spell them; empty when no entry sets them).
	Time, ID string
	// Columns are the columns that exact fields entries name, as dotted
	// paths spelled as the pipeline spells them, with their types. Values
	// read from inside JSON text are not listed.
	Columns map[string]ir.Type
}

// Source returns the table, keyword fields, JSON columns and typed columns
// of a log source.
func (s Set) Source(ls ir.Logsource) Source {
	v := s.view(ls)
	src := Source{Table: v.tableFor(ls), Keywords: slices.Clone(v.keywords), Columns: map[string]ir.Type{}, Time: v.time, ID: v.id}
	seen := map[string]bool{}
	addJSON := func(c string) {
		if !seen[strings.ToLower(c)] {
			seen[strings.ToLower(c)] = true
			src.JSONColumns = append(src.JSONColumns, c)
		}
	}
	for _, c := range v.dynCols {
		addJSON(c)
	}
	src.DynamicColumns = slices.Clone(v.dynCols)
	for _, c := range v.jsonCols {
		addJSON(c)
	}
	for _, f := range v.fieldOrder {
		if f.JSON != nil {
			addJSON(strings.Join(f.JSON, "."))
		}
	}
	for _, f := range v.fieldOrder {
		if _, isPrefix := f.Prefix(); isPrefix {
			continue
		}
		col := v.column(f, f.Name, nil)
		if len(col.JSON) > 0 || seen[strings.ToLower(strings.Join(col.Path, "."))] {
			continue
		}
		src.Columns[strings.Join(col.Path, ".")] = col.Type
	}
	return src
}

// Apply returns a copy of the rule with its table set, every field resolved
// to a column and every keyword search expanded. It does not change r.
func (s Set) Apply(r *ir.Rule) (*ir.Rule, error) {
	if r == nil {
		return nil, fmt.Errorf("pipeline: no rule")
	}
	v := s.view(r.Logsource)
	out := *r
	out.Tags = slices.Clone(r.Tags)
	out.Table = v.tableFor(r.Logsource)
	if out.Table == "" {
		return nil, &ir.Error{Pos: r.Pos, RuleID: r.ID, Msg: "rule has no table: its log source names no product, category or service",
			Hint: "set the rule's logsource, or add a pipeline logsources entry with a table"}
	}
	a := applier{v: v, rule: r}
	if r.Where != nil {
		out.Where = a.expr(r.Where)
	}
	if a.err != nil {
		return nil, a.err
	}
	return &out, nil
}

// view is the merged result of every logsources entry that matches one log
// source.
type view struct {
	table      string
	keywords   []string
	jsonCols   []string
	dynCols    []string
	time, id   string
	renames    map[string]string    // lower-cased name -> target
	prefixRen  map[string]string    // lower-cased prefix -> replacement
	exact      map[string]FieldSpec // lower-cased name -> entry
	prefixes   map[string]FieldSpec // lower-cased prefix (no ".*") -> entry
	fieldOrder []FieldSpec          // winning entries, in first-mention order
}

func matches(want, have string) bool { return want == "" || strings.EqualFold(want, have) }

func (s Set) view(ls ir.Logsource) *view {
	v := &view{renames: map[string]string{}, prefixRen: map[string]string{}, exact: map[string]FieldSpec{}, prefixes: map[string]FieldSpec{}}
	index := map[string]int{} // lower-cased name -> position in fieldOrder
	for _, p := range s.ordered() {
		for _, e := range p.Logsources {
			if !matches(e.Product, ls.Product) || !matches(e.Category, ls.Category) || !matches(e.Service, ls.Service) {
				continue
			}
			if e.Table != "" {
				v.table = e.Table
			}
			if e.Keywords != nil {
				v.keywords = e.Keywords
			}
			if e.JSONColumns != nil {
				v.jsonCols = e.JSONColumns
			}
			if e.DynamicColumns != nil {
				v.dynCols = e.DynamicColumns
			}
			if e.Time != "" {
				v.time = e.Time
			}
			if e.ID != "" {
				v.id = e.ID
			}
			for from, to := range e.Renames {
				v.renames[strings.ToLower(from)] = to
			}
			for from, to := range e.PrefixRenames {
				v.prefixRen[strings.ToLower(from)] = to
			}
			for _, f := range e.Fields {
				key := strings.ToLower(f.Name)
				if prefix, ok := f.Prefix(); ok {
					v.prefixes[strings.ToLower(prefix)] = f
				} else {
					v.exact[key] = f
				}
				if i, ok := index[key]; ok {
					v.fieldOrder[i] = f
				} else {
					index[key] = len(v.fieldOrder)
					v.fieldOrder = append(v.fieldOrder, f)
				}
			}
		}
	}
	return v
}

// DefaultTable names the table of a log source that no pipeline gives one:
// product, category and service, those not empty, joined by "_".
func DefaultTable(ls ir.Logsource) string {
	var parts []string
	for _, p := range []string{ls.Product, ls.Category, ls.Service} {
		if p != "" {
			parts = append(parts, p)
		}
	}
	return strings.Join(parts, "_")
}

func (v *view) tableFor(ls ir.Logsource) string {
	if v.table != "" {
		return v.table
	}
	return DefaultTable(ls)
}

// resolve finds where a field lives.
func (v *view) resolve(name string) *ir.Column {
	c, _ := v.resolveSpec(name)
	return c
}

// resolveSpec is resolve, with the exact fields entry that resolved the
// name (its zero value when none did).
func (v *view) resolveSpec(name string) (*ir.Column, FieldSpec) {
	if to, ok := v.renames[strings.ToLower(name)]; ok {
		name = to
	} else if from, to, ok := v.prefixRename(name); ok {
		name = to + name[len(from):]
	}
	lower := strings.ToLower(name)
	if f, ok := v.exact[lower]; ok {
		c := v.column(f, f.Name, nil)
		return &c, f
	}
	return v.resolveRest(name), FieldSpec{}
}

// resolveRest resolves a name no exact entry names.
func (v *view) resolveRest(name string) *ir.Column {
	// The longest prefix.* entry: try the name's dotted prefixes from the
	// longest down, then a lone "*".
	dotted := len(defaultPath(name)) > 1 // no empty part
	for i := strings.LastIndexByte(name, '.'); dotted && i > 0; i = strings.LastIndexByte(name[:i], '.') {
		if f, ok := v.prefixes[strings.ToLower(name[:i])]; ok && i+1 < len(name) {
			p, _ := f.Prefix()
			c := v.column(f, p, strings.Split(name[i+1:], "."))
			return &c
		}
	}
	if f, ok := v.prefixes[""]; ok {
		c := v.column(f, "", defaultPath(name))
		return &c
	}
	// No entry: the same-named column, whose type nobody declared.
	c := v.inferJSON(ir.Column{Path: defaultPath(name), Type: ir.Any})
	if len(c.JSON) > 0 || (len(c.Path) == 1 && v.isJSONColumn(c.Path[0])) {
		c.Type = ir.String // JSON text, or a value read out of it, is text
	}
	return &c
}

// prefixRename finds the longest field_name_prefix_mapping prefix of name
// (compared case-insensitively) and returns it as name spells it, with its
// replacement. A prefix that would leave an empty name does not apply.
func (v *view) prefixRename(name string) (from, to string, ok bool) {
	best := -1
	for p, r := range v.prefixRen {
		if len(p) > best && len(p) <= len(name) && strings.EqualFold(name[:len(p)], p) && (len(p) < len(name) || r != "") {
			best, to = len(p), r
		}
	}
	if best < 0 {
		return "", "", false
	}
	return name[:best], to, true
}

// column builds the column of an entry: base is the entry's own name (an
// exact entry) or prefix, rest the part of the field name below the prefix.
func (v *view) column(f FieldSpec, base string, rest []string) ir.Column {
	var basePath []string
	if base != "" {
		basePath = strings.Split(base, ".")
	}
	if f.JSON != nil {
		key := f.Key
		if key == nil && rest == nil {
			key = basePath
		}
		return ir.Column{Path: slices.Clone(f.JSON), JSON: concat(key, rest), Type: f.Type}
	}
	path := f.Column
	if path == nil {
		path = basePath
	}
	return v.inferJSON(ir.Column{Path: concat(path, rest), Type: f.Type})
}

// inferJSON turns a struct path that starts at a JSON column into a key path
// inside that column.
func (v *view) inferJSON(c ir.Column) ir.Column {
	if len(c.JSON) > 0 || len(c.Path) < 2 {
		return c
	}
	for _, j := range v.allJSON() {
		if strings.EqualFold(j, c.Path[0]) {
			return ir.Column{Path: []string{j}, JSON: c.Path[1:], Type: c.Type}
		}
	}
	return c
}

// allJSON returns the dynamic and JSON text columns.
func (v *view) allJSON() []string {
	return append(slices.Clone(v.dynCols), v.jsonCols...)
}

func concat(a, b []string) []string {
	out := make([]string, 0, len(a)+len(b))
	return append(append(out, a...), b...)
}

type applier struct {
	v    *view
	rule *ir.Rule
	err  error
}

func (a *applier) field(f ir.Field) ir.Field {
	if f.Column == nil {
		var spec FieldSpec
		f.Column, spec = a.v.resolveSpec(f.Name)
		if spec.Unsupported != "" {
			a.fail(&ir.Error{Pos: f.Pos, RuleID: a.rule.ID,
				Msg:  fmt.Sprintf("field %q cannot be read from table %s: %s", f.Name, a.v.table, spec.Unsupported),
				Hint: "compile the rule for another target, or leave the field out"})
		}
	}
	return f
}

func (a *applier) exprs(args []ir.Expr) []ir.Expr {
	if args == nil {
		return nil
	}
	out := make([]ir.Expr, len(args))
	for i, e := range args {
		out[i] = a.expr(e)
	}
	return out
}

func (a *applier) expr(e ir.Expr) ir.Expr {
	switch e := e.(type) {
	case ir.And:
		return ir.And{Args: a.exprs(e.Args)}
	case ir.Or:
		return ir.Or{Args: a.exprs(e.Args)}
	case ir.Not:
		return ir.Not{Arg: a.expr(e.Arg)}
	case ir.Const:
		return e
	case ir.Match:
		e.Field = a.field(e.Field)
		return e
	case ir.Regex:
		e.Field = a.field(e.Field)
		return e
	case ir.Compare:
		e.Field = a.field(e.Field)
		return e
	case ir.BoolEq:
		e.Field = a.field(e.Field)
		return e
	case ir.IsNull:
		e.Field = a.field(e.Field)
		return e
	case ir.CIDR:
		e.Field = a.field(e.Field)
		return e
	case ir.FieldRef:
		e.Field = a.field(e.Field)
		e.Other = a.field(e.Other)
		return e
	case ir.Time:
		e.Field = a.field(e.Field)
		return e
	case ir.Keyword:
		return a.keyword(e)
	}
	a.fail(&ir.Error{Pos: a.rule.Pos, RuleID: a.rule.ID, Msg: fmt.Sprintf("pipeline: unknown expression node %T", e)})
	return e
}

func (a *applier) fail(err *ir.Error) {
	if a.err == nil {
		a.err = err
	}
}

func (a *applier) keyword(k ir.Keyword) ir.Expr {
	if len(a.v.keywords) == 0 {
		a.fail(&ir.Error{Pos: k.Pos, RuleID: a.rule.ID,
			Msg:  fmt.Sprintf("keyword search %q, but no pipeline names keyword columns for log source %s", k.Pattern.Sigma(), logsourceString(a.rule.Logsource)),
			Hint: "add keywords: [column, ...] to a pipeline's logsources entry for this log source, or search a named field"})
		return k
	}
	pattern := append(append(ir.Pattern{{Kind: ir.Star}}, k.Pattern...), ir.Part{Kind: ir.Star}).Normalize()
	or := ir.Or{Args: make([]ir.Expr, 0, len(a.v.keywords))}
	for _, name := range a.v.keywords {
		f := a.field(ir.Field{Name: name, Pos: k.Pos})
		or.Args = append(or.Args, ir.Match{Field: f, Pattern: slices.Clone(pattern), Cased: k.Cased})
	}
	return or
}

func logsourceString(ls ir.Logsource) string {
	var parts []string
	for _, kv := range [][2]string{{"product", ls.Product}, {"category", ls.Category}, {"service", ls.Service}} {
		if kv[1] != "" {
			parts = append(parts, kv[0]+"="+kv[1])
		}
	}
	if len(parts) == 0 {
		return "(none)"
	}
	return strings.Join(parts, " ")
}

// isJSONColumn reports whether a column holds JSON text.
func (v *view) isJSONColumn(name string) bool {
	for _, j := range v.allJSON() {
		if strings.EqualFold(j, name) {
			return true
		}
	}
	return false
}

// ColumnList returns Columns as ir.Column values (dotted paths split),
// sorted by path, for an engine that pads and types a table.
func (s Source) ColumnList() []ir.Column {
	keys := make([]string, 0, len(s.Columns))
	for k := range s.Columns {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make([]ir.Column, 0, len(keys))
	for _, k := range keys {
		out = append(out, ir.Column{Path: strings.Split(k, "."), Type: s.Columns[k]})
	}
	return out
}

// defaultPath is the struct path of a field no entry maps: its dotted parts,
// or the whole name as one column when a part would be empty ("a..b", "x.").
func defaultPath(name string) []string {
	parts := strings.Split(name, ".")
	for _, p := range parts {
		if p == "" {
			return []string{name}
		}
	}
	return parts
}
