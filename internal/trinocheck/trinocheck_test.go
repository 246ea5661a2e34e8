package trinocheck_test

import (
	"strings"
	"testing"

	"github.com/tokenhunt/tokenhunt/internal/trinocheck"
)

// TestErrors: Trino SQL (parameters included) parses; other dialects'
// syntax is reported by id with its position.
func TestErrors(t *testing.T) {
	queries := map[string]string{
		"params": `SELECT "eventname" FROM "cloudtrail_logs" WHERE "eventtime" >= ? AND regexp_like("useragent", '(?i)boto')`,
		"ilike":  `SELECT * FROM "t" WHERE "a" ILIKE 'x%'`,
		"cut":    `SELECT * FROM "t" WHERE`,
	}
	errs := trinocheck.Errors(t, "../../tools/trino", queries)
	if e, ok := errs["params"]; ok {
		t.Errorf("params: %s", e)
	}
	for _, id := range []string{"ilike", "cut"} {
		if !strings.HasPrefix(errs[id], "1:") {
			t.Errorf("%s: errors %q, want one at line 1", id, errs[id])
		}
	}
}
