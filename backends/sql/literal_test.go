package sql

import "testing"

func TestRequiredLiteral(t *testing.T) {
	for _, tt := range []struct {
		pattern, want string
		whole         bool
	}{
		{`.+:assumed-role/aws:.+`, ":assumed-role/aws:", false},
		{`^arn:aws:iam::[0-9]{12}:root$`, "arn:aws:iam::", false},
		{`(secret)[0-9]+`, "secret", false},
		{`it's`, "it's", true},
		{`(exact)`, "exact", true},
		{`^exact$`, "exact", false}, // anchored: not a substring search
		{`(?i)password`, "", false}, // case-folded: no case-sensitive literal
		{`ab|abcdef`, "", false},    // an alternation requires neither branch
		{`(abcd)?x`, "", false},     // optional
		{`a.b`, "", false},          // too short
		{`x(?:abcd)*y`, "", false},  // repeated zero or more times
		{`(`, "", false},            // not a regular expression
		{`[ab]cdef[gh]`, "cdef", false},
	} {
		if got, whole := requiredLiteral(tt.pattern); got != tt.want || whole != tt.whole {
			t.Errorf("requiredLiteral(%q) = %q, %v, want %q, %v", tt.pattern, got, whole, tt.want, tt.whole)
		}
	}
}
