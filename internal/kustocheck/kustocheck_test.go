package kustocheck_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/tokenhunt/tokenhunt/internal/kustocheck"
)

// TestCheck: a valid query has no diagnostic, an unknown column is KS142
// at the name, and literals come back decoded, in the order asked.
func TestCheck(t *testing.T) {
	tables := map[string]map[string]string{"T": {"s": "string"}}
	qs := []kustocheck.Query{
		{ID: "valid", Query: `T | where s == "a\"b"`, Tables: tables, Literals: true},
		{ID: "unknown", Query: `T | where nope == "x"`, Tables: tables},
	}
	res := kustocheck.Check(t, "../../tools/kusto", qs)
	if len(res[0].Errors) > 0 {
		t.Errorf("valid: %+v", res[0].Errors)
	}
	if diff := cmp.Diff([]string{`a"b`}, res[0].Literals); diff != "" {
		t.Errorf("valid: literals (-want +got):\n%s", diff)
	}
	if got := res[1].Errors; len(got) != 1 || got[0].Code != "KS142" || got[0].Start != len("T | where ") || got[0].Length != len("nope") {
		t.Fatalf("unknown: want KS142 at 10 for 4 bytes, got %+v", got)
	}
	if got, want := res[1].Errors[0].Excerpt(qs[1].Query), `nope == "x"`; got != want {
		t.Errorf("Excerpt = %q, want %q", got, want)
	}
}

// TestExcerpt: the excerpt is clamped to the query, whatever the range.
func TestExcerpt(t *testing.T) {
	query := "T | where nope"
	tests := []struct {
		start, length int
		want          string
	}{
		{10, 4, "nope"},
		{0, 0, query},
		{-3, 2, query},
		{14, 0, ""},
		{99, 5, ""},
	}
	for _, tc := range tests {
		if got := (kustocheck.Diagnostic{Start: tc.start, Length: tc.length}).Excerpt(query); got != tc.want {
			t.Errorf("Excerpt at %d for %d = %q, want %q", tc.start, tc.length, got, tc.want)
		}
	}
}

// recorder is a testing.TB that records how Check stops the test.
type recorder struct {
	testing.TB
	skipped, failed string
}

type stopped struct{}

func (r *recorder) Helper() {}

func (r *recorder) Skipf(format string, args ...any) {
	r.skipped = fmt.Sprintf(format, args...)
	panic(stopped{})
}

func (r *recorder) Fatalf(format string, args ...any) {
	r.failed = fmt.Sprintf(format, args...)
	panic(stopped{})
}

// TestMissingTool: without Kusto.Language the test fails and says to run
// `make tools`, or skips when TOKENHUNT_SKIP_TOOLS=1.
func TestMissingTool(t *testing.T) {
	for _, skip := range []string{"", "1"} {
		t.Run("skip="+skip, func(t *testing.T) {
			t.Setenv(kustocheck.SkipEnv, skip)
			r := &recorder{TB: t}
			func() {
				defer func() {
					if v := recover(); v != nil && v != (stopped{}) {
						panic(v)
					}
				}()
				kustocheck.Check(r, t.TempDir(), []kustocheck.Query{{ID: "q", Query: "T"}})
			}()
			switch {
			case skip == "1" && (r.skipped == "" || r.failed != ""):
				t.Errorf("want a skip, got skipped %q, failed %q", r.skipped, r.failed)
			case skip == "" && !strings.Contains(r.failed, "run `make tools`"):
				t.Errorf("want a failure saying to run `make tools`, got skipped %q, failed %q", r.skipped, r.failed)
			}
		})
	}
}
