package kql

import "github.com/tokenhunt/tokenhunt/compiler/ir"

// Schema returns the table columns a condition reads, with the KQL type the
// printer expects of each: dynamic for a column read through a struct path,
// string for JSON text, real, bool and datetime for declared numbers,
// booleans and timestamps, string otherwise. A column read both ways is
// dynamic (every function the printer applies takes a dynamic value).
func Schema(e ir.Expr) map[string]string {
	out := map[string]string{}
	add := func(f ir.Field) {
		c := f.Column
		if c == nil || len(c.Path) == 0 {
			return
		}
		t := "string"
		switch {
		case len(c.Path) > 1:
			t = "dynamic"
		case len(c.JSON) > 0:
			t = "string"
		case c.Type == ir.Number:
			t = "real"
		case c.Type == ir.Bool:
			t = "bool"
		case c.Type == ir.Timestamp:
			t = "datetime"
		}
		name := c.Path[0]
		if old, ok := out[name]; ok && old != t {
			if old == "dynamic" || t == "dynamic" {
				out[name] = "dynamic"
			}
			return
		}
		out[name] = t
	}
	ir.Fields(e, add)
	return out
}
