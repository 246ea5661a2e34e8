package athena_test

import (
	"errors"
	"fmt"
	"math"
	"net/netip"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/tokenhunt/tokenhunt/backends/athena"
	"github.com/tokenhunt/tokenhunt/compiler/ir"
	"github.com/tokenhunt/tokenhunt/internal/irtest"
)

// Builders for hand-made IR with resolved columns (internal/irtest).
var (
	fld   = irtest.Field
	typed = irtest.Typed
	jsonf = irtest.JSONField
	pat   = irtest.Pat
	ci    = irtest.CI
	cs    = irtest.CS
	not   = irtest.Not
	num   = irtest.Num
	star  = irtest.Star
	one   = irtest.One
)

func compile(t *testing.T, where ir.Expr) string {
	t.Helper()
	q, err := athena.New().Compile(&ir.Rule{ID: "r", Table: "t", Where: where})
	if err != nil {
		t.Fatal(err)
	}
	return q
}

// The number pattern of TRY_CAST(regexp_extract(...)): only decimal text is
// a number.
const decimal = `'\A[\t\n\f\r ]*([+\-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[Ee][+\-]?[0-9]+)?)[\t\n\f\r ]*\z'`

// TestCompileSQL pins the Trino SQL of each IR node. Every query is also
// checked against Check (and, in TestTrinoGrammar, the Trino grammar).
func TestCompileSQL(t *testing.T) {
	for _, tc := range compileCases() {
		t.Run(tc.name, func(t *testing.T) {
			got := compile(t, tc.where)
			if diff := cmp.Diff(`SELECT * FROM "t" WHERE `+tc.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
			if err := athena.Check(got); err != nil {
				t.Errorf("Check: %v", err)
			}
		})
	}
}

type compileCase struct {
	name  string
	where ir.Expr
	want  string
}

func ipPrefix(p string) ir.Expr {
	return ir.CIDR{Field: fld("ip"), Prefixes: []netip.Prefix{netip.MustParsePrefix(p)}}
}

func compileCases() []compileCase {
	return []compileCase{
		{"eq", ci(fld("eventName"), "AssumeRole"), `lower("eventName") = 'assumerole'`},
		{"eq cased", cs(fld("eventName"), "AssumeRole"), `"eventName" = 'AssumeRole'`},
		{"prefix", ci(fld("s"), "ab", star), `starts_with(lower("s"), 'ab')`},
		{"suffix", ci(fld("s"), star, "a%b"), `lower("s") LIKE '%a\%b' ESCAPE '\'`},
		{"contains", ci(fld("s"), star, "a_b", star), `(strpos(lower("s"), 'a_b') > 0)`},
		{"glob", ci(fld("s"), "a%", one, "_", star, `\`), `lower("s") LIKE 'a\%_\_%\\' ESCAPE '\'`},
		{"any", ci(fld("s"), star), `"s" IS NOT NULL`},
		{"quote", ci(fld("s"), "it's"), `lower("s") = 'it''s'`},
		{"backslash is no escape", cs(fld("s"), `C:\temp\`), `"s" = 'C:\temp\'`},
		{"untyped column", ci(typed(ir.Any, "s"), "x"), `lower(CAST("s" AS VARCHAR)) = 'x'`},
		{"number column", ci(typed(ir.Number, "n"), "5"), `lower(CAST("n" AS VARCHAR)) = '5'`},
		{"regex", ir.Regex{Field: fld("s"), Pattern: `a.b$`}, `regexp_like("s", 'a[^\n]b\z')`},
		{"regex flags", ir.Regex{Field: fld("s"), Pattern: `^k.`, I: true, M: true, S: true},
			`regexp_like("s", '(?:\A|(?<=\n))[Kk\u212A][\s\S]')`},
		{"regex quote", ir.Regex{Field: fld("s"), Pattern: `it's.`}, `(strpos("s", 'it''s') > 0) AND regexp_like("s", 'it''s[^\n]')`},
		{"compare number", num(typed(ir.Number, "n"), ir.Gt, "5"), `"n" > 5`},
		{"compare text eq", num(fld("code"), ir.Eq, "4624"), `"code" = '4624'`},
		{"compare untyped eq", num(typed(ir.Any, "code"), ir.Eq, "4624"),
			`TRY_CAST(regexp_extract(CAST("code" AS VARCHAR), ` + decimal + `, 1) AS DOUBLE) = 4624`},
		{"compare text gte", num(fld("code"), ir.Gte, "1.5e3"),
			`TRY_CAST(regexp_extract(CAST("code" AS VARCHAR), ` + decimal + `, 1) AS DOUBLE) >= 1.5e3`},
		{"bool", ir.BoolEq{Field: typed(ir.Bool, "b"), Value: true}, `"b" = TRUE`},
		{"bool text", ir.BoolEq{Field: fld("b"), Value: false}, `lower("b") = 'false'`},
		{"is null", ir.IsNull{Field: fld("s")}, `"s" IS NULL`},
		{"not", not(ci(fld("s"), "x")), `NOT COALESCE(lower("s") = 'x', FALSE)`},
		{"not contains", not(ci(fld("s"), star, "x", star)), `NOT COALESCE((strpos(lower("s"), 'x') > 0), FALSE)`},
		{"not never null", not(ir.IsNull{Field: fld("s")}), `NOT "s" IS NULL`},
		{"precedence", ir.And{Args: []ir.Expr{
			ir.Or{Args: []ir.Expr{ci(fld("a"), "1"), ci(fld("b"), "2")}},
			not(ir.Or{Args: []ir.Expr{ci(fld("c"), "3"), ir.And{Args: []ir.Expr{ci(fld("d"), "4"), ci(fld("e"), "5")}}}}),
		}}, `(lower("a") = '1' OR lower("b") = '2') AND NOT COALESCE(lower("c") = '3', FALSE) AND (NOT COALESCE(lower("d") = '4', FALSE) OR NOT COALESCE(lower("e") = '5', FALSE))`},
		{"struct path", ci(fld("useridentity", "sessioncontext", "sessionissuer", "arn"), "x"),
			`lower("useridentity"."sessioncontext"."sessionissuer"."arn") = 'x'`},
		{"quoted identifier", ci(fld(`we"ird`, "a b"), "x"), `lower("we""ird"."a b") = 'x'`},
		{"json", ci(jsonf("requestparameters", "roleArn"), "x"),
			`lower(COALESCE(json_extract_scalar("requestparameters", '$["roleArn"]'), ` +
				`NULLIF(json_format(json_extract("requestparameters", '$["roleArn"]')), 'null'))) = 'x'`},
		{"json key escapes", cs(jsonf("rp", "a.b", `c"d`, `e\f`, "g'h", "$[0]"), "x"),
			`COALESCE(json_extract_scalar("rp", '$["a.b"]["c\"d"]["e\\f"]["g''h"]["$[0]"]'), ` +
				`NULLIF(json_format(json_extract("rp", '$["a.b"]["c\"d"]["e\\f"]["g''h"]["$[0]"]')), 'null')) = 'x'`},
		{"json number", num(ir.Field{Name: "d", Column: &ir.Column{Path: []string{"rp"}, JSON: []string{"d"}, Type: ir.Number}}, ir.Lt, "3"),
			`TRY_CAST(regexp_extract(CAST(COALESCE(json_extract_scalar("rp", '$["d"]'), NULLIF(json_format(json_extract("rp", '$["d"]')), 'null')) AS VARCHAR), ` +
				decimal + `, 1) AS DOUBLE) < 3`},
		{"fieldref eq", ir.FieldRef{Field: fld("a"), Other: fld("b"), Shape: ir.ShapeEq}, `lower("a") = lower("b")`},
		{"fieldref prefix", ir.FieldRef{Field: fld("a"), Other: fld("b"), Shape: ir.ShapePrefix, Cased: true}, `starts_with("a", "b")`},
		{"fieldref contains", ir.FieldRef{Field: fld("a"), Other: fld("b"), Shape: ir.ShapeContains}, `(strpos(lower("a"), lower("b")) > 0)`},
		{"fieldref suffix", ir.FieldRef{Field: fld("a"), Other: fld("b"), Shape: ir.ShapeSuffix},
			`lower("a") LIKE '%' || replace(replace(replace(lower("b"), '\', '\\'), '%', '\%'), '_', '\_') ESCAPE '\'`},
		{"time typed", ir.Time{Field: typed(ir.Timestamp, "time_dt"), Part: ir.Week, Op: ir.Lte, Value: 5},
			`week("time_dt" AT TIME ZONE 'UTC') <= 5`},
		{"time text", ir.Time{Field: fld("eventtime"), Part: ir.Hour, Op: ir.Eq, Value: 23},
			`hour(COALESCE(try(from_iso8601_timestamp(CAST("eventtime" AS VARCHAR))), ` +
				`try(CAST(CAST("eventtime" AS VARCHAR) AS TIMESTAMP WITH TIME ZONE))) AT TIME ZONE 'UTC') = 23`},
		{"time day", ir.Time{Field: typed(ir.Timestamp, "t"), Part: ir.Day, Op: ir.Gt, Value: 1}, `day_of_month("t" AT TIME ZONE 'UTC') > 1`},
		{"time minute", ir.Time{Field: typed(ir.Timestamp, "t"), Part: ir.Minute, Op: ir.Lt, Value: 30}, `minute("t" AT TIME ZONE 'UTC') < 30`},
		{"time month", ir.Time{Field: typed(ir.Timestamp, "t"), Part: ir.Month, Op: ir.Eq, Value: 12}, `month("t" AT TIME ZONE 'UTC') = 12`},
		{"time year", ir.Time{Field: typed(ir.Timestamp, "t"), Part: ir.Year, Op: ir.Gte, Value: 2024}, `year("t" AT TIME ZONE 'UTC') >= 2024`},
		{"cidr v4", ipPrefix("10.0.0.0/8"),
			`regexp_like("ip", '\A(2(?:5[0-5]|[0-4][0-9])|[01]?[0-9]?[0-9])(\.(2(?:5[0-5]|[0-4][0-9])|[01]?[0-9]?[0-9])){3}\z') AND ` +
				`regexp_replace('00' || replace("ip", '.', '.00'), '0*([0-9]{3})', '$1') BETWEEN '010.000.000.000' AND '010.255.255.255'`},
		{"cidr v6", ipPrefix("2001:db8::/33"),
			`regexp_like(lower("ip"), '\A(([0-9a-f]{1,4}:){7}[0-9a-f]{1,4}|([0-9a-f]{1,4}:){1,7}:|([0-9a-f]{1,4}:){1,6}:[0-9a-f]{1,4}|` +
				`([0-9a-f]{1,4}:){1,5}(:[0-9a-f]{1,4}){1,2}|([0-9a-f]{1,4}:){1,4}(:[0-9a-f]{1,4}){1,3}|([0-9a-f]{1,4}:){1,3}(:[0-9a-f]{1,4}){1,4}|` +
				`([0-9a-f]{1,4}:){1,2}(:[0-9a-f]{1,4}){1,5}|[0-9a-f]{1,4}:(:[0-9a-f]{1,4}){1,6}|:((:[0-9a-f]{1,4}){1,7}|:))\z') AND ` +
				`regexp_replace('000' || replace(replace(regexp_replace(regexp_replace(lower("ip"), '\A::', '0::'), '::\z', '::0'), '::', ` +
				`':' || substr('0:0:0:0:0:0:0:0:', 2 * (length(lower("ip")) - length(replace(lower("ip"), ':', ''))) + 1)), ':', ':000'), ` +
				`'0*([0-9a-f]{4})', '$1') BETWEEN '2001:0db8:0000:0000:0000:0000:0000:0000' AND '2001:0db8:7fff:ffff:ffff:ffff:ffff:ffff'`},
		{"true", ir.Const{Value: true}, `TRUE`},
	}
}

func TestCompileTable(t *testing.T) {
	for _, tc := range []struct{ table, want string }{
		{"cloudtrail_logs", `"cloudtrail_logs"`},
		{"security_lake.cloud_trail_mgmt", `"security_lake"."cloud_trail_mgmt"`},
	} {
		got, err := athena.New().Compile(&ir.Rule{ID: "r", Table: tc.table, Where: ir.Const{Value: true}})
		if err != nil {
			t.Fatal(err)
		}
		if want := "SELECT * FROM " + tc.want + " WHERE TRUE"; got != want {
			t.Errorf("table %q: got %s, want %s", tc.table, got, want)
		}
	}
}

// TestCompileErrors checks that what the backend cannot print is an
// *ir.Error at the field (or rule), naming athena and the feature.
func TestCompileErrors(t *testing.T) {
	rulePos := ir.Pos{File: "r.yml", Line: 1, Col: 1}
	fieldPos := ir.Pos{File: "r.yml", Line: 7, Col: 5}
	at := func(f ir.Field) ir.Field { f.Pos = fieldPos; return f }
	tests := []struct {
		name  string
		table string
		where ir.Expr
		pos   ir.Pos
		msg   string
	}{
		{"keyword", "t", ir.Keyword{Pattern: ir.Literal("evil"), Pos: fieldPos}, fieldPos, "keyword search"},
		{"unresolved field", "t", ir.Match{Field: ir.Field{Name: "eventName", Pos: fieldPos}, Pattern: ir.Literal("x")}, fieldPos, `field "eventName" is not resolved`},
		{"no table", "", ci(fld("a"), "x"), rulePos, "no table"},
		{"invalid regex", "t", ir.Regex{Field: at(fld("a")), Pattern: `a(b`}, fieldPos, "invalid regular expression"},
		{"regex not RE2", "t", ir.Regex{Field: at(fld("a")), Pattern: `(?<=a)b`}, fieldPos, "invalid regular expression"},
		{"nul", "t", ci(at(fld("a")), "a\x00b"), fieldPos, "NUL"},
		{"nan", "t", ir.Compare{Field: at(typed(ir.Number, "n")), Op: ir.Gt, Value: ir.NumberValue{Text: "NaN", Float: math.NaN()}}, fieldPos, "not a finite number"},
		{"invalid prefix", "t", ir.CIDR{Field: at(fld("ip")), Prefixes: []netip.Prefix{{}}}, fieldPos, "invalid network"},
		{"too long", "t", ci(at(fld("a")), strings.Repeat("x", athena.MaxQueryBytes)), rulePos, "more than the 262144 bytes Athena accepts"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			sql, err := athena.New().Compile(&ir.Rule{ID: "rule-1", Pos: rulePos, Table: tc.table, Where: tc.where})
			var ie *ir.Error
			if !errors.As(err, &ie) {
				t.Fatalf("Compile = %q, %v; want an *ir.Error", sql, err)
			}
			if ie.Pos != tc.pos || ie.RuleID != "rule-1" {
				t.Errorf("error at %v in rule %q, want %v in rule-1", ie.Pos, ie.RuleID, tc.pos)
			}
			if !strings.HasPrefix(ie.Msg, "athena: ") || !strings.Contains(ie.Msg, tc.msg) {
				t.Errorf("message %q, want one naming athena and %q", ie.Msg, tc.msg)
			}
		})
	}
}

func ExampleBackend_Compile() {
	rule := &ir.Rule{
		ID:    "0b3d6b2e-assume-role-from-session",
		Table: "cloudtrail_logs",
		Where: ir.And{Args: []ir.Expr{
			ir.Match{
				Field:   ir.Field{Name: "eventName", Column: &ir.Column{Path: []string{"eventname"}}},
				Pattern: ir.Literal("AssumeRole"),
			},
			ir.Match{
				Field:   ir.Field{Name: "userIdentity.arn", Column: &ir.Column{Path: []string{"useridentity", "arn"}}},
				Pattern: ir.Pattern{{Kind: ir.Star}, {Kind: ir.Lit, Text: ":assumed-role/"}, {Kind: ir.Star}},
			},
			ir.Not{Arg: ir.Match{
				Field:   ir.Field{Name: "requestParameters.roleSessionName", Column: &ir.Column{Path: []string{"requestparameters"}, JSON: []string{"roleSessionName"}}},
				Pattern: ir.Pattern{{Kind: ir.Lit, Text: "aws-go-sdk-"}, {Kind: ir.Star}},
			}},
		}},
	}
	q, err := athena.New().Compile(rule)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(q)
	// Output:
	// SELECT * FROM "cloudtrail_logs" WHERE lower("eventname") = 'assumerole' AND (strpos(lower("useridentity"."arn"), ':assumed-role/') > 0) AND NOT COALESCE(starts_with(lower(COALESCE(json_extract_scalar("requestparameters", '$["roleSessionName"]'), NULLIF(json_format(json_extract("requestparameters", '$["roleSessionName"]')), 'null'))), 'aws-go-sdk-'), FALSE)
}

// TestCompileLimit: a query of exactly MaxQueryBytes is printed; one byte
// more is an error.
func TestCompileLimit(t *testing.T) {
	prefix := len(`SELECT * FROM "t" WHERE lower("a") = '`) + len(`'`)
	for _, n := range []int{athena.MaxQueryBytes - prefix, athena.MaxQueryBytes - prefix + 1} {
		q, err := athena.New().Compile(&ir.Rule{ID: "r", Table: "t", Where: ci(fld("a"), strings.Repeat("x", n))})
		if fits := prefix+n <= athena.MaxQueryBytes; fits != (err == nil) {
			t.Errorf("a query of %d bytes: %d bytes printed, error %v", prefix+n, len(q), err)
		}
	}
}
