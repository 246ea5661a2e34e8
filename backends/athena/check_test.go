package athena_test

import (
	"strings"
	"testing"

	"github.com/tokenhunt/tokenhunt/backends/athena"
	"github.com/tokenhunt/tokenhunt/compiler/ir"
)

// TestCheckRejects: each construct the Trino grammar of dt-sql-parser lets
// through, or that only DuckDB has, is reported.
func TestCheckRejects(t *testing.T) {
	tests := []struct{ query, want string }{
		{"SELECT * FROM `t`", "back-quoted identifier"},
		{`SELECT * FROM "t" WHERE "a" ILIKE 'x%'`, "ILIKE"},
		{`SELECT * FROM "t" WHERE "a" NOT ilike 'x%'`, "ILIKE"},
		{`SELECT * FROM "t" WHERE "a"::VARCHAR = 'x'`, ":: cast"},
		{`SELECT * FROM "t" QUALIFY row_number() OVER () = 1`, "QUALIFY"},
		{`SELECT * FROM "t" WHERE regexp_matches("a", 'x')`, "function regexp_matches"},
		{`SELECT * FROM "t" WHERE contains(lower("a"), 'x')`, "function contains"},
		{`SELECT * FROM "t" WHERE ends_with("a", 'x')`, "function ends_with"},
		{`SELECT * FROM "t" WHERE json_extract_string("a", '/k') = 'x'`, "function json_extract_string"},
		{`SELECT * FROM "t" WHERE epoch_us("t") > 0`, "function epoch_us"},
		{`SELECT * FROM "t" WHERE date_part('hour', "t") = 1`, "function date_part"},
		{`SELECT * FROM "t" WHERE REGEXP_CONTAINS ("a", r'x')`, "function regexp_contains"},
		{`SELECT * FROM "t" WHERE "a" = 'x`, "unterminated string literal"},
		{`SELECT * FROM "t WHERE TRUE`, "unterminated quoted identifier"},
		{`SELECT * FROM "t" /* open`, "unterminated comment"},
	}
	for _, tc := range tests {
		err := athena.Check(tc.query)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Check(%s) = %v, want an error about %s", tc.query, err, tc.want)
		}
	}
}

// TestCheckAccepts: quoted text is not code, and the functions the backend
// prints are allowed in any case.
func TestCheckAccepts(t *testing.T) {
	for _, q := range []string{
		"SELECT * FROM \"t\" WHERE \"a\" = 'x`y ILIKE z::int QUALIFY ends_with(a)'",
		`SELECT * FROM "qualify" WHERE "ilike" = 'it''s' AND "a""::b" IS NULL`,
		`SELECT * FROM "t" WHERE NOT (LOWER("a") = 'x' OR Starts_With("b", 'y')) -- ends_with(x)`,
		`SELECT * FROM "t" WHERE regexp_like("a", '(?:\A|(?<=\n))x') AND "b" IN ('1', '2') /* contains(x) */`,
		`SELECT * FROM "t" WHERE TRY_CAST("n" AS DOUBLE) >= 1.5e3`,
	} {
		if err := athena.Check(q); err != nil {
			t.Errorf("Check(%s) = %v", q, err)
		}
	}
}

// TestCompileCorrelationBadInput: no panic and an error naming athena for
// a missing correlation or base rule.
func TestCompileCorrelationBadInput(t *testing.T) {
	for name, c := range map[string]*ir.Correlation{
		"nil":           nil,
		"no bases":      {ID: "c1", Type: ir.EventCount},
		"nil base":      {ID: "c1", Type: ir.EventCount, Bases: []*ir.Base{nil}},
		"nil base rule": {ID: "c1", Type: ir.EventCount, Bases: []*ir.Base{{}}},
	} {
		if _, err := athena.New().CompileCorrelation(c); err == nil || !strings.Contains(err.Error(), "athena: ") {
			t.Errorf("%s: got %v, want an error naming athena", name, err)
		}
	}
}
