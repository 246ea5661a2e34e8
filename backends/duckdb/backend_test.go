package duckdb_test

import (
	"errors"
	"fmt"
	"math"
	"net/netip"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/tokenhunt/tokenhunt/backends/duckdb"
	"github.com/tokenhunt/tokenhunt/compiler/ir"
)

// TestCompileSQL pins the SQL shape of each IR node (their meaning is
// checked by running them in TestSemantics).
func TestCompileSQL(t *testing.T) {
	ipPrefix := func(p string) ir.Expr {
		return ir.CIDR{Field: fld("ip"), Prefixes: []netip.Prefix{netip.MustParsePrefix(p)}}
	}
	tests := []struct {
		name  string
		where ir.Expr
		want  string
	}{
		{"eq", ci(fld("eventName"), "AssumeRole"), `lower("eventName") = 'assumerole'`},
		{"eq cased", cs(fld("eventName"), "AssumeRole"), `"eventName" = 'AssumeRole'`},
		{"prefix", ci(fld("s"), "ab", star), `starts_with(lower("s"), 'ab')`},
		{"suffix", ci(fld("s"), star, "ab"), `ends_with(lower("s"), 'ab')`},
		{"contains", ci(fld("s"), star, "ab", star), `contains(lower("s"), 'ab')`},
		{"glob", ci(fld("s"), "a%", one, "_", star, `\`), `lower("s") LIKE 'a\%_\_%\\' ESCAPE '\'`},
		{"any", ci(fld("s"), star), `"s" IS NOT NULL`},
		{"quote", ci(fld("s"), "it's"), `lower("s") = 'it''s'`},
		{"number column", ci(typed(ir.Number, "n"), "5"), `lower(CAST("n" AS VARCHAR)) = '5'`},
		{"regex", ir.Regex{Field: fld("s"), Pattern: `a.b`, I: true, M: true, S: true}, `regexp_matches("s", '(?ims)a.b')`},
		{"compare number", num(typed(ir.Number, "n"), ir.Gt, "5"), `"n" > 5`},
		{"compare text eq", num(fld("code"), ir.Eq, "4624"), `"code" = '4624'`},
		{"compare bool column eq", num(typed(ir.Bool, "b"), ir.Eq, "1"), `CAST("b" AS VARCHAR) = '1'`},
		{"compare text gt", num(fld("code"), ir.Gte, "1.5e3"), `regexp_matches("code", '^\s*[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?\s*$') AND TRY_CAST("code" AS DOUBLE) >= 1.5e3`},
		{"compare plus sign", num(typed(ir.Number, "n"), ir.Lt, "+7"), `"n" < 7`},
		{"bool", ir.BoolEq{Field: typed(ir.Bool, "b"), Value: true}, `"b" = TRUE`},
		{"bool text", ir.BoolEq{Field: fld("b"), Value: false}, `lower("b") = 'false'`},
		{"is null", ir.IsNull{Field: fld("s")}, `"s" IS NULL`},
		{"not", not(ci(fld("s"), "x")), `NOT COALESCE(lower("s") = 'x', FALSE)`},
		{"not never null", not(ir.IsNull{Field: fld("s")}), `NOT "s" IS NULL`},
		{"not and of never null", not(ir.And{Args: []ir.Expr{ir.IsNull{Field: fld("a")}, ir.Const{Value: true}}}), `NOT "a" IS NULL OR NOT TRUE`},
		{"double negation", not(not(ci(fld("s"), "x"))), `lower("s") = 'x'`},
		{"precedence", ir.And{Args: []ir.Expr{
			ir.Or{Args: []ir.Expr{ci(fld("a"), "1"), ci(fld("b"), "2")}},
			not(ir.Or{Args: []ir.Expr{ci(fld("c"), "3"), ir.And{Args: []ir.Expr{ci(fld("d"), "4"), ci(fld("e"), "5")}}}}),
			ir.And{Args: []ir.Expr{ci(fld("f"), "6"), ci(fld("g"), "7")}},
		}}, `(lower("a") = '1' OR lower("b") = '2') AND NOT COALESCE(lower("c") = '3', FALSE) AND (NOT COALESCE(lower("d") = '4', FALSE) OR NOT COALESCE(lower("e") = '5', FALSE)) AND lower("f") = '6' AND lower("g") = '7'`},
		{"and one", ir.And{Args: []ir.Expr{ci(fld("a"), "1")}}, `lower("a") = '1'`},
		{"struct path", ci(fld("userIdentity", "sessionContext", "sessionIssuer", "arn"), "x"),
			`lower("userIdentity"."sessionContext"."sessionIssuer"."arn") = 'x'`},
		{"quoted identifier", ci(fld(`we"ird`, "a b"), "x"), `lower("we""ird"."a b") = 'x'`},
		{"json", ci(jsonf("requestParameters", "roleArn"), "x"), `lower(try(json_extract_string("requestParameters", '/roleArn'))) = 'x'`},
		{"json pointer escapes", ci(jsonf("rp", "a/b", "c~d", "e.f", `g"h`, "i'j"), "x"),
			`lower(try(json_extract_string("rp", '/a~1b/c~0d/e.f/g"h/i''j'))) = 'x'`},
		{"fieldref", ir.FieldRef{Field: fld("a"), Other: fld("b"), Shape: ir.ShapeSuffix}, `ends_with(lower("a"), lower("b"))`},
		{"time", ir.Time{Field: typed(ir.Timestamp, "eventTime"), Part: ir.Week, Op: ir.Lte, Value: 5},
			`date_part('week', timezone('UTC', TRY_CAST("eventTime" AS TIMESTAMPTZ))) <= 5`},
		{"cidr v4", ipPrefix("10.0.0.0/8"),
			`regexp_matches("ip", '^(25[0-5]|2[0-4][0-9]|[01]?[0-9]?[0-9])(\.(25[0-5]|2[0-4][0-9]|[01]?[0-9]?[0-9])){3}$') AND ` +
				`regexp_replace('00' || replace("ip", '.', '.00'), '0*([0-9]{3})', '\1', 'g') BETWEEN '010.000.000.000' AND '010.255.255.255'`},
		{"cidr v6", ipPrefix("2001:db8::/33"),
			`regexp_matches(lower("ip"), '^(([0-9a-f]{1,4}:){7}[0-9a-f]{1,4}|([0-9a-f]{1,4}:){1,7}:|([0-9a-f]{1,4}:){1,6}:[0-9a-f]{1,4}|` +
				`([0-9a-f]{1,4}:){1,5}(:[0-9a-f]{1,4}){1,2}|([0-9a-f]{1,4}:){1,4}(:[0-9a-f]{1,4}){1,3}|([0-9a-f]{1,4}:){1,3}(:[0-9a-f]{1,4}){1,4}|` +
				`([0-9a-f]{1,4}:){1,2}(:[0-9a-f]{1,4}){1,5}|[0-9a-f]{1,4}:(:[0-9a-f]{1,4}){1,6}|:((:[0-9a-f]{1,4}){1,7}|:))$') AND ` +
				`regexp_replace('000' || replace(replace(regexp_replace(regexp_replace(lower("ip"), '^::', '0::', 'g'), '::$', '::0', 'g'), '::', ` +
				`':' || substr('0:0:0:0:0:0:0:0:', 2 * (length(lower("ip")) - length(replace(lower("ip"), ':', ''))) + 1)), ':', ':000'), ` +
				`'0*([0-9a-f]{4})', '\1', 'g') BETWEEN '2001:0db8:0000:0000:0000:0000:0000:0000' AND '2001:0db8:7fff:ffff:ffff:ffff:ffff:ffff'`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := compile(t, duckdb.Dialect(), "t", tc.where)
			if diff := cmp.Diff(`SELECT * FROM "t" WHERE `+tc.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestCompileTable(t *testing.T) {
	for _, tc := range []struct{ table, want string }{
		{"cloudtrail", `"cloudtrail"`},
		{"lake.cloudtrail_logs", `"lake"."cloudtrail_logs"`},
	} {
		got, err := duckdb.New().Compile(&ir.Rule{ID: "r", Table: tc.table, Where: ir.Const{Value: true}})
		if err != nil {
			t.Fatal(err)
		}
		if want := "SELECT * FROM " + tc.want + " WHERE TRUE"; got != want {
			t.Errorf("table %q: got %s, want %s", tc.table, got, want)
		}
	}
}

// TestCompileErrors checks that what the backend cannot print is an
// *ir.Error at the field (or rule), naming the backend and the feature.
func TestCompileErrors(t *testing.T) {
	rulePos := ir.Pos{File: "r.yml", Line: 1, Col: 1}
	fieldPos := ir.Pos{File: "r.yml", Line: 7, Col: 5}
	at := func(f ir.Field) ir.Field { f.Pos = fieldPos; return f }
	unresolved := ir.Field{Name: "eventName", Pos: fieldPos}
	tests := []struct {
		name  string
		table string
		where ir.Expr
		pos   ir.Pos
		msg   string
	}{
		{"keyword", "t", ir.Keyword{Pattern: ir.Literal("evil"), Pos: fieldPos}, fieldPos, "keyword search"},
		{"unresolved field", "t", ir.Match{Field: unresolved, Pattern: ir.Literal("x")}, fieldPos, `field "eventName" is not resolved`},
		{"empty path", "t", ir.Match{Field: ir.Field{Name: "x", Column: &ir.Column{}, Pos: fieldPos}, Pattern: ir.Literal("x")}, fieldPos, "empty column path"},
		{"no table", "", ci(fld("a"), "x"), rulePos, "no table"},
		{"no condition", "t", nil, rulePos, "no condition"},
		{"invalid regex", "t", ir.Regex{Field: at(fld("a")), Pattern: `a(b`}, fieldPos, "invalid regular expression"},
		{"regex not RE2", "t", ir.Regex{Field: at(fld("a")), Pattern: `(?<=a)b`}, fieldPos, "invalid regular expression"},
		{"invalid utf-8", "t", ci(at(fld("a")), "\xff"), fieldPos, "not valid UTF-8"},
		{"nul", "t", ci(at(fld("a")), "a\x00b"), fieldPos, "NUL"},
		{"nan", "t", ir.Compare{Field: at(typed(ir.Number, "n")), Op: ir.Gt, Value: ir.NumberValue{Text: "NaN", Float: math.NaN()}}, fieldPos, "not a finite number"},
		{"fieldref glob", "t", ir.FieldRef{Field: at(fld("a")), Other: fld("b"), Shape: ir.ShapeGlob}, fieldPos, "cannot be compared as glob"},
		{"invalid prefix", "t", ir.CIDR{Field: at(fld("ip")), Prefixes: []netip.Prefix{{}}}, fieldPos, "invalid network"},
		{"unknown time part", "t", ir.Time{Field: at(fld("t")), Part: ir.TimePart(42)}, fieldPos, "unknown time part"},
		{"keyword deep inside", "t", ir.Or{Args: []ir.Expr{ci(fld("a"), "x"), not(ir.Keyword{Pattern: ir.Literal("evil"), Pos: fieldPos})}}, fieldPos, "keyword search"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			sql, err := duckdb.New().Compile(&ir.Rule{ID: "rule-1", Pos: rulePos, Table: tc.table, Where: tc.where})
			var ie *ir.Error
			if !errors.As(err, &ie) {
				t.Fatalf("Compile = %q, %v; want an *ir.Error", sql, err)
			}
			if ie.Pos != tc.pos || ie.RuleID != "rule-1" {
				t.Errorf("error at %v in rule %q, want %v in rule-1", ie.Pos, ie.RuleID, tc.pos)
			}
			if !strings.HasPrefix(ie.Msg, "duckdb: ") || !strings.Contains(ie.Msg, tc.msg) {
				t.Errorf("message %q, want one naming duckdb and %q", ie.Msg, tc.msg)
			}
		})
	}
}

func ExampleBackend_Compile() {
	rule := &ir.Rule{
		ID:    "0b3d6b2e-assume-role-from-session",
		Table: "cloudtrail",
		Where: ir.And{Args: []ir.Expr{
			ir.Match{
				Field:   ir.Field{Name: "eventName", Column: &ir.Column{Path: []string{"eventName"}}},
				Pattern: ir.Literal("AssumeRole"),
			},
			ir.Match{
				Field: ir.Field{Name: "userIdentity.arn", Column: &ir.Column{Path: []string{"userIdentity", "arn"}}},
				Pattern: ir.Pattern{
					{Kind: ir.Star}, {Kind: ir.Lit, Text: ":assumed-role/"}, {Kind: ir.Star},
				},
			},
			ir.Not{Arg: ir.Match{
				Field:   ir.Field{Name: "requestParameters.roleSessionName", Column: &ir.Column{Path: []string{"requestParameters"}, JSON: []string{"roleSessionName"}}},
				Pattern: ir.Pattern{{Kind: ir.Lit, Text: "aws-go-sdk-"}, {Kind: ir.Star}},
			}},
		}},
	}
	q, err := duckdb.New().Compile(rule)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(q)
	// Output:
	// SELECT * FROM "cloudtrail" WHERE lower("eventName") = 'assumerole' AND contains(lower("userIdentity"."arn"), ':assumed-role/') AND NOT COALESCE(starts_with(lower(try(json_extract_string("requestParameters", '/roleSessionName'))), 'aws-go-sdk-'), FALSE)
}
