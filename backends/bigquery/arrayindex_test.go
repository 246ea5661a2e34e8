package bigquery_test

import (
	"context"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/tokenhunt/tokenhunt/backends/bigquery"
	"github.com/tokenhunt/tokenhunt/compiler/ir"
	"github.com/tokenhunt/tokenhunt/internal/bqemu"
)

// TestArrayIndexPrinting: a path segment that ir.ArrayIndex reads as an
// index is an element of a REPEATED field in a column path
// ([SAFE_OFFSET(n)]) and a subscript in a JSONPath ([n]); other segments
// of digits ("01") stay keys.
func TestArrayIndexPrinting(t *testing.T) {
	d := bigquery.Dialect()
	if got, want := d.ArrayIndex("`a`", 3), "`a`[SAFE_OFFSET(3)]"; got != want {
		t.Errorf("ArrayIndex = %s, want %s", got, want)
	}
	tests := []struct {
		keys []string
		want string
	}{
		{[]string{"deleg", "0", "who"}, `'$."deleg"[0]."who"'`},
		{[]string{"0"}, `'$[0]'`},
		{[]string{"a", "12", "7"}, `'$."a"[12][7]'`},
		{[]string{"a", "01"}, `'$."a"."01"'`},
		{[]string{"a", "-1"}, `'$."a"."-1"'`},
		{[]string{"a", "1234567890"}, `'$."a"."1234567890"'`},
	}
	for _, tt := range tests {
		want := "COALESCE(SAFE.JSON_VALUE(`j`, " + tt.want + "), SAFE.JSON_QUERY(`j`, " + tt.want + "))"
		if diff := cmp.Diff(want, d.JSONExtract("`j`", tt.keys)); diff != "" {
			t.Errorf("%q (-want +got):\n%s", tt.keys, diff)
		}
	}

	f := ir.Field{Name: "deleg", Column: &ir.Column{Path: []string{"protopayload_auditlog", "authenticationInfo", "serviceAccountDelegationInfo", "0", "firstPartyPrincipal", "principalEmail"}}}
	got, err := bigquery.New().Compile(rule(ir.Match{Field: f, Pattern: ir.Literal("a@x"), Cased: true}))
	if err != nil {
		t.Fatal(err)
	}
	want := "SELECT * FROM `audit`.`activity` WHERE `protopayload_auditlog`.`authenticationInfo`.`serviceAccountDelegationInfo`[SAFE_OFFSET(0)].`firstPartyPrincipal`.`principalEmail` = 'a@x'"
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("column path (-want +got):\n%s", diff)
	}
}

// TestRepeatedRecordInEmulator reads element 0 and 1 of a REPEATED RECORD,
// as the BigQuery audit-log export holds serviceAccountDelegationInfo: an
// element past the end, or of an empty array, is NULL, so a match is false
// and `not` of it true. The rows are array literals: the emulator cannot
// evaluate [SAFE_OFFSET(n)] on a stored REPEATED RECORD column ("failed to
// convert struct from array"), which the test checks too, so that it fails
// once the emulator can.
func TestRepeatedRecordInEmulator(t *testing.T) {
	em := startEmulator(t)
	ctx := context.Background()
	const typ = "ARRAY<STRUCT<first STRUCT<email STRING>>>"
	hops := func(emails ...string) string {
		s := typ + "["
		for i, e := range emails {
			if i > 0 {
				s += ", "
			}
			s += "STRUCT(STRUCT('" + e + "' AS email) AS first)"
		}
		return s + "]"
	}
	rows := "SELECT 'r1' AS id, " + hops("a@x", "b@x") + " AS deleg" +
		" UNION ALL SELECT 'r2', " + hops("b@x") +
		" UNION ALL SELECT 'r3', " + hops() +
		" UNION ALL SELECT 'r4', " + typ + "[STRUCT(NULL)]" +
		" UNION ALL SELECT 'r5', CAST(NULL AS " + typ + ")" +
		" UNION ALL SELECT 'r6', " + hops("A@X", "a@x")
	field := func(i string) ir.Field {
		return ir.Field{Name: "deleg" + i, Column: &ir.Column{Path: []string{"deleg", i, "first", "email"}}}
	}
	tests := []struct {
		name  string
		where ir.Expr
		want  []string
	}{
		{"element 0", ir.Match{Field: field("0"), Pattern: ir.Literal("a@x")}, []string{"r1", "r6"}},
		{"element 0 cased", ir.Match{Field: field("0"), Pattern: ir.Literal("a@x"), Cased: true}, []string{"r1"}},
		{"element 1", ir.Match{Field: field("1"), Pattern: ir.Literal("b@x")}, []string{"r1"}},
		{"element 1 absent", ir.IsNull{Field: field("1")}, []string{"r2", "r3", "r4", "r5"}},
		{"not element 1", ir.Not{Arg: ir.Match{Field: field("1"), Pattern: ir.Literal("b@x")}}, []string{"r2", "r3", "r4", "r5", "r6"}},
	}
	for _, tt := range tests {
		r := rule(tt.where)
		r.Table = "t"
		q, err := bigquery.New().Compile(r)
		if err != nil {
			t.Fatal(err)
		}
		from := "SELECT * FROM `t` "
		if !strings.HasPrefix(q, from) {
			t.Fatalf("query %s does not start with %s", q, from)
		}
		q = "SELECT id FROM (" + rows + ") " + strings.TrimPrefix(q, from)
		if diff := cmp.Diff(tt.want, matchedIDs(t, ctx, em, q)); diff != "" {
			t.Errorf("%s (-want +got):\n%s\nquery: %s", tt.name, diff, q)
		}
	}

	// The same on a stored REPEATED RECORD column.
	const dataset = "arrayidx"
	if err := em.CreateDataset(ctx, dataset); err != nil {
		t.Fatal(err)
	}
	schema := []*bqemu.Field{
		{Name: "id", Type: "STRING"},
		{Name: "deleg", Type: "RECORD", Mode: "REPEATED", Fields: []*bqemu.Field{
			{Name: "first", Type: "RECORD", Fields: []*bqemu.Field{{Name: "email", Type: "STRING"}}},
		}},
	}
	if err := em.CreateTable(ctx, dataset, "t", schema); err != nil {
		t.Fatal(err)
	}
	hop := map[string]any{"first": map[string]any{"email": "a@x"}}
	if err := em.Insert(ctx, dataset, "t", []map[string]any{{"id": "r1", "deleg": []any{hop}}}); err != nil {
		t.Fatal(err)
	}
	q := "SELECT id FROM `arrayidx`.`t` WHERE `deleg`[SAFE_OFFSET(0)].`first`.`email` = 'a@x'"
	if _, err := em.Query(ctx, "", q); err == nil {
		t.Errorf("the emulator now indexes a stored REPEATED RECORD: run the cases above on a table")
	} else {
		t.Logf("emulator deviation: [SAFE_OFFSET(0)] of a stored REPEATED RECORD: %v", err)
	}
}
