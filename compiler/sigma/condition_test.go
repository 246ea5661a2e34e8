package sigma

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseConditionPrecedence(t *testing.T) {
	tests := []struct {
		in, want string
	}{
		{"a", "a"},
		{"a and b or c", "a and b or c"},
		{"a or b and c", "a or b and c"},
		{"(a or b) and c", "(a or b) and c"},
		{"not a and b", "not a and b"},
		{"not (a and b)", "not (a and b)"},
		{"not not a", "not not a"},
		{"a and not b or not c and d", "a and not b or not c and d"},
		{"1 of sel* and not 1 of filter_*", "1 of sel* and not 1 of filter_*"},
		{"any of sel*", "1 of sel*"},
		{"all of them", "all of them"},
		{"1 of them", "1 of them"},
		{"((a))", "a"},
		{"a or (b or c)", "a or (b or c)"},
		{"sel-1 and sel.2", "sel-1 and sel.2"},
		{"1", "1"},
	}
	for _, tt := range tests {
		c, err := ParseCondition(tt.in)
		if err != nil {
			t.Errorf("ParseCondition(%q): %v", tt.in, err)
			continue
		}
		if got := FormatCond(c); got != tt.want {
			t.Errorf("ParseCondition(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestParseConditionStructure(t *testing.T) {
	c, err := ParseCondition("a or b and not c")
	if err != nil {
		t.Fatal(err)
	}
	want := CondOr{
		Left:  CondIdent{Name: "a", At: 0},
		Right: CondAnd{Left: CondIdent{Name: "b", At: 5}, Right: CondNot{Arg: CondIdent{Name: "c", At: 15}, At: 11}, At: 7},
		At:    2,
	}
	if diff := cmp.Diff(Cond(want), c); diff != "" {
		t.Errorf("(-want +got)\n%s", diff)
	}
}

func TestParseConditionErrors(t *testing.T) {
	tests := []struct {
		in     string
		offset int
		msg    string
	}{
		{"", 0, "unexpected end of condition: expected a selection name, `not`, `(`, `1 of`, `any of` or `all of`"},
		{"a and", 5, "unexpected end of condition: expected a selection name, `not`, `(`, `1 of`, `any of` or `all of`"},
		{"(a or b", 7, "unexpected end of condition: expected `)` to close the `(` at offset 0"},
		{"a b", 2, "unexpected \"b\": expected `and`, `or` or the end of the condition"},
		{"sel | count() > 5", 4, "aggregations (`| count() ...`) are Sigma v1 syntax"},
		{"2 of sel*", 0, "`2 of` is not Sigma: only `1 of`, `any of` and `all of` exist"},
		{"sel*", 0, "wildcard name \"sel*\" outside `1 of` / `all of`"},
		{"a AND b", 2, "\"AND\": condition keywords are lower-case"},
		{"all sel", 4, "unexpected \"sel\": expected `of` after \"all\""},
		{"1 of", 4, "unexpected end of condition: expected `them` or a selection name pattern after `of`"},
		{"a & b", 2, "unexpected character '&' in condition"},
		{"a )", 2, "unexpected \")\": expected `and`, `or` or the end of the condition"},
	}
	for _, tt := range tests {
		_, err := ParseCondition(tt.in)
		ce, ok := err.(*CondError)
		if !ok {
			t.Errorf("ParseCondition(%q) error = %v, want a *CondError", tt.in, err)
			continue
		}
		if ce.Offset != tt.offset || ce.Msg != tt.msg {
			t.Errorf("ParseCondition(%q) = offset %d %q, want offset %d %q", tt.in, ce.Offset, ce.Msg, tt.offset, tt.msg)
		}
	}
}

func TestParseValueEscapes(t *testing.T) {
	// The specification's escaping table: value as written in YAML (after
	// YAML's own quoting) -> pattern.
	tests := []struct {
		in, want string
	}{
		{`plain`, `["plain"]`},
		{`a*b`, `["a" * "b"]`},
		{`a?b`, `["a" ? "b"]`},
		{`a\*b`, `["a*b"]`},
		{`a\?b`, `["a?b"]`},
		{`a\\b`, `["a\\b"]`},
		{`a\\*`, `["a\\" *]`},
		{`a\\\*`, `["a\\*"]`},
		{`a\\\\*`, `["a\\\\" *]`},
		{`C:\Windows\System32`, `["C:\\Windows\\System32"]`},
		{`trailing\`, `["trailing\\"]`},
		{`\`, `["\\"]`},
		{`**`, `[*]`},
		{`%_'`, `["%_'"]`},
		{``, `[]`},
		{`\a\*\?`, `["\\a*?"]`},
	}
	for _, tt := range tests {
		got := irPatternString(ParseValue(tt.in))
		if got != tt.want {
			t.Errorf("ParseValue(%q) = %s, want %s", tt.in, got, tt.want)
		}
	}
}
