package sigma

import (
	"testing"
)

// FuzzParseCondition checks that the condition parser never panics and that
// what it prints parses back to the same text. Seeds: testdata/fuzz.
func FuzzParseCondition(f *testing.F) {
	for _, s := range []string{"sel", "a and not b", "1 of sel* or all of them", "(a or b) and not (c and d)", "any of filter_*", "sel | count() > 5"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, err := ParseCondition(s)
		if err != nil {
			ce, ok := err.(*CondError)
			if !ok {
				t.Fatalf("error is %T, want *CondError", err)
			}
			if ce.Offset < 0 || ce.Offset > len([]rune(s)) {
				t.Fatalf("offset %d outside the condition (%d runes)", ce.Offset, len([]rune(s)))
			}
			return
		}
		text := FormatCond(c)
		c2, err := ParseCondition(text)
		if err != nil {
			t.Fatalf("printed %q does not parse: %v", text, err)
		}
		if text2 := FormatCond(c2); text2 != text {
			t.Fatalf("round trip: %q -> %q", text, text2)
		}
	})
}
