package bqemu

// Explicit table schemas for the emulator, which cannot infer one: declared
// column types come from the pipeline (the rule's resolved columns and the
// log source's typed columns), the others from the data, as DuckDB's JSON
// reader infers them. Values are converted the way the DuckDB engine's
// TRY_CAST converts them: what is not of the column's type becomes NULL.

import (
	"bytes"
	"encoding/json"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/tokenhunt/tokenhunt/compiler/ir"
)

// bqType is the column type of a declared IR type.
func bqType(t ir.Type) string {
	switch t {
	case ir.Number:
		return "FLOAT64"
	case ir.Bool:
		return "BOOL"
	case ir.Timestamp:
		return "TIMESTAMP"
	}
	return "STRING"
}

// Schema collects the columns of one table: Declare the pipeline's
// columns, Infer the rest from the events, then create the table with
// Fields and insert Row of each event.
type Schema struct {
	Fields []*Field
}

// get finds a field among fields by name, ignoring case as BigQuery does,
// or adds it with type typ.
func get(fields *[]*Field, name, typ string) *Field {
	for _, f := range *fields {
		if strings.EqualFold(f.Name, name) {
			return f
		}
	}
	f := &Field{Name: name, Type: typ, Mode: "NULLABLE"}
	*fields = append(*fields, f)
	return f
}

// Declare adds a resolved column: a struct path becomes nested STRUCTs, a
// JSON column is text, an undeclared (Any) leaf is left to the data.
func (s *Schema) Declare(c ir.Column) {
	if len(c.Path) == 0 {
		return
	}
	fields := &s.Fields
	var prev *Field
	for i, name := range c.Path {
		last := i == len(c.Path)-1
		if _, ok := ir.ArrayIndex(name); ok && prev != nil {
			// An element of the field before: that field repeats.
			prev.Mode = "REPEATED"
			continue
		}
		switch {
		case !last:
			f := get(fields, name, "RECORD")
			f.Type = "RECORD"
			fields = &f.Fields
			prev = f
		case len(c.JSON) > 0:
			get(fields, name, "STRING").Type = "STRING"
		case c.Type == ir.Any:
			get(fields, name, "")
		default:
			f := get(fields, name, "")
			if f.Type != "RECORD" {
				f.Type = bqType(c.Type)
			}
		}
	}
}

// Infer gives every top-level column the data did not type a type from
// its values, and adds the columns only the data has.
func (s *Schema) Infer(events []map[string]any) {
	var names []string
	seen := map[string]bool{}
	for _, ev := range events {
		for _, k := range sortedKeys(ev) {
			if !seen[strings.ToLower(k)] {
				seen[strings.ToLower(k)] = true
				names = append(names, k)
			}
		}
	}
	for _, n := range names {
		get(&s.Fields, n, "")
	}
	for _, f := range s.Fields {
		if f.Type != "" {
			continue
		}
		var vs []any
		for _, ev := range events {
			if v, ok := member(ev, f.Name); ok {
				vs = append(vs, v)
			}
		}
		f.Type = inferType(vs)
	}
	// Undeclared struct members are text.
	var leaves func(fields []*Field)
	leaves = func(fields []*Field) {
		for _, f := range fields {
			if f.Type == "" {
				f.Type = "STRING"
			}
			leaves(f.Fields)
		}
	}
	leaves(s.Fields)
}

// inferType: booleans, integers, numbers, else text.
func inferType(vs []any) string {
	kind := ""
	for _, v := range vs {
		k := "STRING"
		switch v := v.(type) {
		case nil:
			continue
		case bool:
			k = "BOOL"
		case json.Number:
			k = "FLOAT64"
			if _, err := strconv.ParseInt(v.String(), 10, 64); err == nil {
				k = "INT64"
			}
		}
		switch {
		case kind == "":
			kind = k
		case kind == k:
		case (kind == "INT64" && k == "FLOAT64") || (kind == "FLOAT64" && k == "INT64"):
			kind = "FLOAT64"
		default:
			kind = "STRING"
		}
	}
	if kind == "" {
		return "STRING"
	}
	return kind
}

// Row converts an event to a row of the schema.
func (s *Schema) Row(ev map[string]any) map[string]any {
	return convertObject(s.Fields, ev)
}

func convertObject(fields []*Field, obj map[string]any) map[string]any {
	out := map[string]any{}
	for _, f := range fields {
		v, ok := member(obj, f.Name)
		if !ok || v == nil {
			continue
		}
		if c := convert(f, v); c != nil {
			out[f.Name] = c
		}
	}
	return out
}

// convert reads a value as the field's type; nil when it is not one.
func convert(f *Field, v any) any {
	if f.Mode == "REPEATED" {
		vs, ok := v.([]any)
		if !ok {
			return nil
		}
		one := *f
		one.Mode = "NULLABLE"
		out := []any{}
		for _, e := range vs {
			if c := convert(&one, e); c != nil {
				out = append(out, c)
			}
		}
		return out
	}
	switch f.Type {
	case "RECORD":
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		return convertObject(f.Fields, m)
	case "STRING":
		return text(v)
	case "INT64":
		if n, ok := v.(json.Number); ok {
			if i, err := n.Int64(); err == nil {
				return strconv.FormatInt(i, 10)
			}
		}
		return nil
	case "FLOAT64":
		var x float64
		var err error
		switch v := v.(type) {
		case json.Number:
			x, err = v.Float64()
		case string:
			x, err = strconv.ParseFloat(strings.TrimSpace(v), 64)
		default:
			return nil
		}
		if err != nil || math.IsNaN(x) || math.IsInf(x, 0) {
			return nil
		}
		return x
	case "BOOL":
		switch v := v.(type) {
		case bool:
			return v
		case string:
			if b, err := strconv.ParseBool(strings.ToLower(strings.TrimSpace(v))); err == nil {
				return b
			}
		}
		return nil
	case "TIMESTAMP":
		s, ok := v.(string)
		if !ok {
			return nil
		}
		for _, layout := range []string{time.RFC3339Nano, "2006-01-02 15:04:05Z07:00", "2006-01-02T15:04:05", "2006-01-02 15:04:05", "2006-01-02"} {
			if ts, err := time.Parse(layout, strings.TrimSpace(s)); err == nil {
				return ts.UTC().Format("2006-01-02 15:04:05.999999") + " UTC"
			}
		}
		return nil
	}
	return nil
}

// text reads a value as a string: numbers as written, objects and arrays
// as compact JSON.
func text(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case json.Number:
		return v.String()
	case bool:
		return strconv.FormatBool(v)
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
	return strings.TrimSpace(b.String())
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// member finds a key exactly, else ignoring case.
func member(m map[string]any, key string) (any, bool) {
	if v, ok := m[key]; ok {
		return v, true
	}
	for _, k := range sortedKeys(m) {
		if strings.EqualFold(k, key) {
			return m[k], true
		}
	}
	return nil, false
}
