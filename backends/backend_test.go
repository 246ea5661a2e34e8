package backends_test

import (
	"testing"

	"github.com/tokenhunt/tokenhunt/backends"
)

func TestAll(t *testing.T) {
	seen := map[string]bool{}
	for _, b := range backends.All() {
		if b.Name() == "" || seen[b.Name()] {
			t.Errorf("backend name %q is empty or repeated", b.Name())
		}
		seen[b.Name()] = true
		got, ok := backends.ByName(b.Name())
		if !ok || got.Name() != b.Name() {
			t.Errorf("ByName(%q) = %v, %v", b.Name(), got, ok)
		}
	}
	if !seen["duckdb"] {
		t.Errorf("no duckdb backend in %v", seen)
	}
	if _, ok := backends.ByName("nope"); ok {
		t.Errorf("ByName found a backend named nope")
	}
}
