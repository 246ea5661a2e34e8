package pipeline

import (
	"errors"
	"strings"
	"testing"

	"github.com/tokenhunt/tokenhunt/compiler/ir"
)

// TestUnsupportedField: a field a pipeline declares unsupported is a
// positioned error naming the field, the table and the reason, for a
// detection rule and for a correlation's fields alike (both go through
// Apply); other fields of the log source resolve as before.
func TestUnsupportedField(t *testing.T) {
	p, err := Parse("p.yml", []byte(`name: p
logsources:
  - product: gcp
    table: audit
    fields:
      deleg.first: {unsupported: "an array the printer cannot index"}
      method: {}
`))
	if err != nil {
		t.Fatal(err)
	}
	ls := ir.Logsource{Product: "gcp"}
	at := ir.Pos{File: "r.yml", Line: 7, Col: 9}
	_, err = Set{p}.Apply(&ir.Rule{ID: "r1", Logsource: ls, Where: ir.IsNull{Field: ir.Field{Name: "Deleg.First", Pos: at}}})
	var e *ir.Error
	if !errors.As(err, &e) || e.Pos != at || e.RuleID != "r1" ||
		!strings.Contains(e.Msg, `field "Deleg.First" cannot be read from table audit: an array the printer cannot index`) {
		t.Errorf("Apply = %v; want the unsupported field's error at %v", err, at)
	}
	if got := resolveAll(t, Set{p}, ls, []string{"method"}); got[0] != "method" {
		t.Errorf("method resolves to %v", got)
	}

	for _, tt := range []struct{ field, want string }{
		{`{unsupported: ""}`, "unsupported is empty"},
		{`{unsupported: "x", column: y}`, "has unsupported and a column"},
		{`{unsupported: "x", json: y}`, "has unsupported and a column"},
	} {
		_, err := Parse("p.yml", []byte("name: p\nlogsources:\n  - product: gcp\n    fields:\n      f: "+tt.field+"\n"))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: Parse = %v; want an error with %q", tt.field, err, tt.want)
		}
	}
}
