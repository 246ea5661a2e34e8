package refeval

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/tokenhunt/tokenhunt/compiler/ir"
)

// TestJSONArrayIndex: inside JSON text, a key of decimal digits reads that
// element of an array (as a JSON Pointer does, and DuckDB's
// json_extract_string with one), and is an ordinary key of an object.
func TestJSONArrayIndex(t *testing.T) {
	event := decode(t, `{"p": "{\"deleg\": [{\"who\": \"a@x\"}, {\"who\": \"b@x\"}], \"m\": {\"0\": \"zero\", \"01\": \"pad\"}}"}`)
	tests := []struct {
		keys []string
		want any
		ok   bool
	}{
		{[]string{"deleg", "0", "who"}, "a@x", true},
		{[]string{"deleg", "1", "who"}, "b@x", true},
		{[]string{"deleg", "2", "who"}, nil, false},  // past the end
		{[]string{"deleg", "01", "who"}, nil, false}, // not an index: a leading zero
		{[]string{"deleg", "who"}, nil, false},       // a key of an array reads nothing
		{[]string{"m", "0"}, "zero", true},           // an object's key "0"
		{[]string{"m", "01"}, "pad", true},
		{[]string{"deleg", "0"}, `{"who":"a@x"}`, true},
	}
	for _, tt := range tests {
		got, ok := Lookup(event, ir.Field{Name: "f", Column: &ir.Column{Path: []string{"p"}, JSON: tt.keys}})
		if ok != tt.ok || !cmp.Equal(tt.want, got) {
			t.Errorf("%v: got %v, %v; want %v, %v", tt.keys, got, ok, tt.want, tt.ok)
		}
	}
}

// TestPathArrayIndex: in a column path, a segment of decimal digits reads
// that element of an array (a REPEATED field, a LIST).
func TestPathArrayIndex(t *testing.T) {
	event := decode(t, `{"a": {"deleg": [{"who": "a@x"}, {"who": "b@x"}], "m": {"0": "zero"}}}`)
	tests := []struct {
		path []string
		want any
		ok   bool
	}{
		{[]string{"a", "deleg", "0", "who"}, "a@x", true},
		{[]string{"a", "deleg", "1", "who"}, "b@x", true},
		{[]string{"a", "deleg", "2", "who"}, nil, false},
		{[]string{"a", "deleg", "01", "who"}, nil, false},
		{[]string{"a", "m", "0"}, "zero", true}, // a struct field "0"
	}
	for _, tt := range tests {
		got, ok := Lookup(event, ir.Field{Name: "f", Column: &ir.Column{Path: tt.path}})
		if ok != tt.ok || !cmp.Equal(tt.want, got) {
			t.Errorf("%v: got %v, %v; want %v, %v", tt.path, got, ok, tt.want, tt.ok)
		}
	}
}
