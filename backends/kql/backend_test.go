package kql_test

import (
	"errors"
	"math"
	"net/netip"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/tokenhunt/tokenhunt/backends/kql"
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
	cidr  = irtest.CIDR
)

const (
	decimal = `@"^\s*[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?\s*$"`
	v4shape = `@"^(25[0-5]|2[0-4][0-9]|[01]?[0-9]?[0-9])(\.(25[0-5]|2[0-4][0-9]|[01]?[0-9]?[0-9])){3}$"`
	v6shape = `"(?i)^(([0-9a-f]{1,4}:){7}[0-9a-f]{1,4}|([0-9a-f]{1,4}:){1,7}:|([0-9a-f]{1,4}:){1,6}:[0-9a-f]{1,4}|([0-9a-f]{1,4}:){1,5}(:[0-9a-f]{1,4}){1,2}|([0-9a-f]{1,4}:){1,4}(:[0-9a-f]{1,4}){1,3}|([0-9a-f]{1,4}:){1,3}(:[0-9a-f]{1,4}){1,4}|([0-9a-f]{1,4}:){1,2}(:[0-9a-f]{1,4}){1,5}|[0-9a-f]{1,4}:(:[0-9a-f]{1,4}){1,6}|:((:[0-9a-f]{1,4}){1,7}|:))$"`
	v4norm  = `replace_regex(ip, @"(^|\.)0+([0-9])", @"\1\2")`
)

type nodeCase struct {
	name  string
	where ir.Expr
	want  string
}

// nodeCases are the KQL shapes of each IR node. TestCompileKQL pins them;
// TestKustoAnalyser has Kusto.Language check every one.
func nodeCases() []nodeCase {
	return []nodeCase{
		// Case-insensitive: lower both sides, then exact operators.
		{"eq", ci(fld("eventName"), "AssumeRole"), `tolower(eventName) == "assumerole"`},
		{"eq non-ASCII lowered by Go", ci(fld("s"), "ÉΣK"), `tolower(s) == "éσk"`},
		{"eq cased", cs(fld("eventName"), "AssumeRole"), `eventName == "AssumeRole"`},
		{"prefix", ci(fld("s"), "Ab", star), `tolower(s) startswith_cs "ab"`},
		{"suffix", ci(fld("s"), star, "Ab"), `tolower(s) endswith_cs "ab"`},
		{"contains", ci(fld("s"), star, "Ab", star), `tolower(s) contains_cs "ab"`},
		{"prefix cased", cs(fld("s"), "Ab", star), `s startswith_cs "Ab"`},
		{"suffix cased", cs(fld("s"), star, "Ab"), `s endswith_cs "Ab"`},
		{"contains cased", cs(fld("s"), star, "Ab", star), `s contains_cs "Ab"`},
		{"glob", ci(fld("s"), "A.b", one, "x", star, "(c)"), `tolower(s) matches regex @"(?s)^a\.b.x.*\(c\)$"`},
		{"glob cased", cs(fld("s"), star, "A", star, "B", star), `s matches regex "(?s)^.*A.*B.*$"`},
		{"glob percent and underscore are literal", cs(fld("s"), "5%_", one), `s matches regex "(?s)^5%_.$"`},
		{"glob with backslash", cs(fld("s"), `C:\`, star, `\x`), `s matches regex @"(?s)^C:\\.*\\x$"`},
		{"any", ci(fld("s"), star), `isnotempty(s)`},
		{"any struct path", ci(fld("a", "b"), star), `isnotnull(a.b)`},
		{"empty string", ci(fld("s")), `s == ""`},
		{"empty string in a struct", cs(fld("a", "b"), ""), `isnotnull(a.b) and tostring(a.b) == ""`},
		{"quote", ci(fld("s"), `it's "x"`), `tolower(s) == "it's \"x\""`},
		{"backslash is verbatim", cs(fld("s"), `C:\Windows\`), `s == @"C:\Windows\"`},
		{"backslash and quote", cs(fld("s"), `a\"b`), `s == @"a\""b"`},
		{"newline and backslash", cs(fld("s"), "a\\\nb\t"), `s == "a\\\nb\t"`},
		{"number column as text", ci(typed(ir.Number, "n"), "5"), `tolower(tostring(n)) == "5"`},
		{"untyped column as text", ci(typed(ir.Any, "x"), "a", star), `tolower(tostring(x)) startswith_cs "a"`},
		{"untyped any", ci(typed(ir.Any, "x"), star), `isnotempty(x)`},

		// Regex.
		{"regex", ir.Regex{Field: fld("s"), Pattern: `a.b`}, `s matches regex "a.b"`},
		{"regex flags", ir.Regex{Field: fld("s"), Pattern: `a\d`, I: true, M: true, S: true}, `s matches regex @"(?ims)a\d"`},
		{"regex i", ir.Regex{Field: fld("s"), Pattern: `^a`, I: true}, `s matches regex "(?i)^a"`},
		{"regex matching empty on a struct path", ir.Regex{Field: fld("a", "b"), Pattern: `^x*$`},
			`isnotnull(a.b) and tostring(a.b) matches regex "^x*$"`},
		{"regex matching empty on a string column", ir.Regex{Field: fld("s"), Pattern: `.*`}, `isnotempty(s) and s matches regex ".*"`},

		// Numbers.
		{"compare number", num(typed(ir.Number, "n"), ir.Gt, "5"), `n > 5`},
		{"compare number lte", num(typed(ir.Number, "n"), ir.Lte, "5.5"), `n <= 5.5`},
		{"compare plus sign", num(typed(ir.Number, "n"), ir.Lt, "+7"), `n < 7`},
		{"compare number eq", num(typed(ir.Number, "n"), ir.Eq, "4624"), `n == 4624`},
		{"compare text eq", num(fld("code"), ir.Eq, "4624"), `code == "4624"`},
		{"compare text gt", num(fld("code"), ir.Gte, "1.5e3"), `code matches regex ` + decimal + ` and toreal(code) >= 1.5e3`},
		{"compare untyped eq", num(typed(ir.Any, "code"), ir.Eq, "4624"), `tostring(code) matches regex ` + decimal + ` and toreal(code) == 4624`},
		{"compare bool column eq", num(typed(ir.Bool, "b"), ir.Eq, "1"), `tostring(b) == "1"`},
		{"compare json number", num(ir.Field{Name: "d", Column: &ir.Column{Path: []string{"rp"}, JSON: []string{"d"}, Type: ir.Number}}, ir.Gt, "5"),
			`toreal(parse_json(rp).d) > 5`},
		{"compare struct text", num(fld("a", "n"), ir.Lt, "10"), `tostring(a.n) matches regex ` + decimal + ` and toreal(a.n) < 10`},

		// Booleans.
		{"bool", ir.BoolEq{Field: typed(ir.Bool, "b"), Value: true}, `b == true`},
		{"bool false", ir.BoolEq{Field: typed(ir.Bool, "b"), Value: false}, `b == false`},
		{"bool text", ir.BoolEq{Field: fld("b"), Value: false}, `tolower(b) == "false"`},
		{"bool in a struct", ir.BoolEq{Field: typed(ir.Bool, "a", "b"), Value: true}, `tolower(tostring(a.b)) == "true"`},

		// Null.
		{"is null string", ir.IsNull{Field: fld("s")}, `isempty(s)`},
		{"is null untyped", ir.IsNull{Field: typed(ir.Any, "s")}, `isempty(s)`},
		{"is null number", ir.IsNull{Field: typed(ir.Number, "n")}, `isnull(n)`},
		{"is null timestamp", ir.IsNull{Field: typed(ir.Timestamp, "t")}, `isnull(t)`},
		{"is null struct path", ir.IsNull{Field: fld("a", "b")}, `isnull(a.b)`},
		{"is null json", ir.IsNull{Field: jsonf("rp", "k")}, `isnull(parse_json(rp).k)`},

		// Two-valued logic.
		{"not of a string test", not(ci(fld("s"), "x")), `not(tolower(s) == "x")`},
		{"not of a number test", not(num(typed(ir.Number, "n"), ir.Gt, "5")), `not(coalesce(n > 5, false))`},
		{"not of a null test", not(ir.IsNull{Field: fld("s")}), `not(isempty(s))`},
		{"not of a time part", not(ir.Time{Field: typed(ir.Timestamp, "t"), Part: ir.Hour, Op: ir.Eq, Value: 3}),
			`not(coalesce(datetime_part("hour", t) == 3, false))`},
		{"not of and", not(ir.And{Args: []ir.Expr{ci(fld("a"), "1"), ir.IsNull{Field: fld("b")}}}), `not(tolower(a) == "1" and isempty(b))`},
		{"not of and with a nullable term", not(ir.And{Args: []ir.Expr{ci(fld("a"), "1"), num(typed(ir.Number, "n"), ir.Gt, "5")}}),
			`not(coalesce(tolower(a) == "1" and n > 5, false))`},
		{"precedence", ir.And{Args: []ir.Expr{
			ir.Or{Args: []ir.Expr{ci(fld("a"), "1"), ci(fld("b"), "2")}},
			not(ir.Or{Args: []ir.Expr{ci(fld("c"), "3"), ir.And{Args: []ir.Expr{ci(fld("d"), "4"), ci(fld("e"), "5")}}}}),
			ir.And{Args: []ir.Expr{ci(fld("f"), "6"), ci(fld("g"), "7")}},
		}}, `(tolower(a) == "1" or tolower(b) == "2") and not(tolower(c) == "3" or tolower(d) == "4" and tolower(e) == "5") and tolower(f) == "6" and tolower(g) == "7"`},
		{"or of ands", ir.Or{Args: []ir.Expr{
			ir.And{Args: []ir.Expr{ci(fld("a"), "1"), ci(fld("b"), "2")}},
			ci(fld("c"), "3"),
		}}, `tolower(a) == "1" and tolower(b) == "2" or tolower(c) == "3"`},
		{"const", ir.And{Args: []ir.Expr{ir.Const{Value: true}, not(ir.Const{Value: false})}}, `true and not(false)`},
		{"empty and", ir.And{}, `true`},
		{"empty or", ir.Or{}, `false`},

		// Columns.
		{"struct path", ci(fld("userIdentity", "sessionContext", "sessionIssuer", "arn"), "x"),
			`tolower(tostring(userIdentity.sessionContext.sessionIssuer.arn)) == "x"`},
		{"bracketed names", ci(fld("a b", "c.d", "where", "ok_1"), "x"), `tolower(tostring(['a b']["c.d"]["where"].ok_1)) == "x"`},
		{"keyword column", cs(fld("title"), "x"), `['title'] == "x"`},
		{"column with a quote", cs(fld("it's"), "x"), `["it's"] == "x"`},
		{"json", ci(jsonf("requestParameters", "roleArn"), "x"), `tolower(tostring(parse_json(requestParameters).roleArn)) == "x"`},
		{"json odd keys", ci(jsonf("rp", "a/b", "e.f", `g"h`), "x"), `tolower(tostring(parse_json(rp)["a/b"]["e.f"]["g\"h"])) == "x"`},
		{"json inside a struct", cs(ir.Field{Name: "x", Column: &ir.Column{Path: []string{"a", "b"}, JSON: []string{"k"}}}, "v"),
			`tostring(parse_json(tostring(a.b)).k) == "v"`},

		// CIDR.
		{"cidr v4", cidr(fld("ip"), "10.0.0.0/8"), `ip matches regex ` + v4shape + ` and ipv4_is_in_any_range(` + v4norm + `, "10.0.0.0/8")`},
		{"cidr v4 unaligned is masked", cidr(fld("ip"), "10.1.2.3/8", "192.168.0.0/16"),
			`ip matches regex ` + v4shape + ` and ipv4_is_in_any_range(` + v4norm + `, "10.0.0.0/8", "192.168.0.0/16")`},
		{"cidr v6", cidr(fld("ip"), "2001:DB8::/32"), `ip matches regex ` + v6shape + ` and ipv6_is_in_any_range(ip, "2001:db8::/32")`},
		{"cidr both", cidr(fld("ip"), "10.0.0.0/8", "fe80::/10"),
			`ip matches regex ` + v4shape + ` and ipv4_is_in_any_range(` + v4norm + `, "10.0.0.0/8") or ip matches regex ` + v6shape + ` and ipv6_is_in_any_range(ip, "fe80::/10")`},
		{"not cidr", not(cidr(fld("ip"), "10.0.0.0/8")),
			`not(coalesce(ip matches regex ` + v4shape + ` and ipv4_is_in_any_range(` + v4norm + `, "10.0.0.0/8"), false))`},

		// Field references: the other field's value is literal text.
		{"fieldref", ir.FieldRef{Field: fld("a"), Other: fld("b"), Shape: ir.ShapeEq}, `isnotempty(a) and isnotempty(b) and tolower(a) == tolower(b)`},
		{"fieldref cased", ir.FieldRef{Field: fld("a"), Other: fld("b"), Shape: ir.ShapeEq, Cased: true}, `isnotempty(a) and isnotempty(b) and a == b`},
		{"fieldref prefix", ir.FieldRef{Field: fld("a"), Other: fld("b"), Shape: ir.ShapePrefix}, `isnotempty(a) and isnotempty(b) and tolower(a) startswith_cs tolower(b)`},
		{"fieldref suffix", ir.FieldRef{Field: fld("a"), Other: fld("x", "y"), Shape: ir.ShapeSuffix, Cased: true},
			`isnotempty(a) and isnotnull(x.y) and a endswith_cs tostring(x.y)`},
		{"fieldref contains", ir.FieldRef{Field: typed(ir.Any, "a"), Other: fld("b"), Shape: ir.ShapeContains},
			`isnotempty(a) and isnotempty(b) and tolower(tostring(a)) contains_cs tolower(b)`},

		// Time parts, in UTC (KQL datetimes have no zone).
		{"minute", ir.Time{Field: typed(ir.Timestamp, "t"), Part: ir.Minute, Op: ir.Eq, Value: 5}, `datetime_part("minute", t) == 5`},
		{"hour", ir.Time{Field: typed(ir.Timestamp, "t"), Part: ir.Hour, Op: ir.Gte, Value: 22}, `datetime_part("hour", t) >= 22`},
		{"day", ir.Time{Field: typed(ir.Timestamp, "t"), Part: ir.Day, Op: ir.Lt, Value: 2}, `datetime_part("day", t) < 2`},
		{"week is ISO", ir.Time{Field: typed(ir.Timestamp, "t"), Part: ir.Week, Op: ir.Eq, Value: 53}, `datetime_part("week_of_year", t) == 53`},
		{"month", ir.Time{Field: typed(ir.Timestamp, "t"), Part: ir.Month, Op: ir.Lte, Value: 6}, `datetime_part("month", t) <= 6`},
		{"year", ir.Time{Field: typed(ir.Timestamp, "t"), Part: ir.Year, Op: ir.Gt, Value: 2020}, `datetime_part("year", t) > 2020`},
		{"time of text", ir.Time{Field: fld("t"), Part: ir.Hour, Op: ir.Eq, Value: 1}, `datetime_part("hour", todatetime(t)) == 1`},
		{"time of a struct path", ir.Time{Field: typed(ir.Timestamp, "a", "t"), Part: ir.Hour, Op: ir.Eq, Value: 1}, `datetime_part("hour", todatetime(a.t)) == 1`},
		{"time of a number column", ir.Time{Field: typed(ir.Number, "n"), Part: ir.Year, Op: ir.Eq, Value: 1}, `datetime_part("year", todatetime(tostring(n))) == 1`},
	}
}

// TestCompileKQL pins the KQL shape of each IR node. No Kusto engine runs
// here: the meaning of each shape rests on the Microsoft documentation
// listed in the package's notes, and its validity on Kusto.Language
// (TestKustoAnalyser).
func TestCompileKQL(t *testing.T) {
	for _, tc := range nodeCases() {
		t.Run(tc.name, func(t *testing.T) {
			got, err := kql.Where(&ir.Rule{ID: "r", Table: "T", Where: tc.where})
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestCompileQuery(t *testing.T) {
	b := kql.New()
	if b.Name() != "kql" {
		t.Errorf("Name() = %q, want kql", b.Name())
	}
	for _, tc := range []struct{ table, want string }{
		{"AWSCloudTrail", `AWSCloudTrail | where tolower(a) == "x"`},
		{"aws_cloudtrail", `aws_cloudtrail | where tolower(a) == "x"`},
		{"gcp_gcp.audit", `['gcp_gcp.audit'] | where tolower(a) == "x"`},
	} {
		got, err := b.Compile(&ir.Rule{ID: "r", Table: tc.table, Where: ci(fld("a"), "X")})
		if err != nil {
			t.Fatal(err)
		}
		if got != tc.want {
			t.Errorf("table %q: got %s, want %s", tc.table, got, tc.want)
		}
	}
}

// TestCompileErrors: what KQL cannot express is a positioned error naming
// the backend, never a query that means something else.
func TestCompileErrors(t *testing.T) {
	pos := ir.Pos{File: "r.yml", Line: 7, Col: 5}
	at := func(f ir.Field) ir.Field { f.Pos = pos; return f }
	tests := []struct {
		name string
		rule *ir.Rule
		want string
	}{
		{"no table", &ir.Rule{ID: "r", Pos: ir.Pos{File: "r.yml", Line: 1}, Where: ir.Const{Value: true}}, "r.yml:1: rule r: kql: the rule has no table"},
		{"no condition", &ir.Rule{ID: "r", Table: "T", Pos: ir.Pos{File: "r.yml", Line: 1}}, "r.yml:1: rule r: kql: the rule has no condition"},
		{"keyword", &ir.Rule{ID: "r", Table: "T", Where: ir.Keyword{Pattern: pat("x"), Pos: pos}}, "r.yml:7:5: rule r: kql: a keyword search"},
		{"unresolved field", &ir.Rule{ID: "r", Table: "T", Where: ir.Match{Field: ir.Field{Name: "f", Pos: pos}, Pattern: pat("x")}}, `r.yml:7:5: rule r: kql: field "f" is not resolved`},
		{"control character", &ir.Rule{ID: "r", Table: "T", Where: ci(at(fld("s")), "a\x01b")}, `r.yml:7:5: rule r: kql: field "s": value "a\x01b" contains the control character U+0001`},
		{"invalid UTF-8", &ir.Rule{ID: "r", Table: "T", Where: cs(at(fld("s")), "a\xffb")}, `kql: field "s": value "a\xffb" is not valid UTF-8 text`},
		{"invalid regex", &ir.Rule{ID: "r", Table: "T", Where: ir.Regex{Field: at(fld("s")), Pattern: `(?<=a)b`}}, `r.yml:7:5: rule r: kql: field "s": invalid regular expression`},
		{"regex with a control character", &ir.Rule{ID: "r", Table: "T", Where: ir.Regex{Field: at(fld("s")), Pattern: "a\x00"}}, `kql: field "s": regular expression contains the control character U+0000`},
		{"infinite number", &ir.Rule{ID: "r", Table: "T", Where: ir.Compare{Field: at(typed(ir.Number, "n")), Op: ir.Gt, Value: ir.NumberValue{Text: "1e999", Float: math.Inf(1)}}}, `kql: field "n": "1e999" is not a finite number`},
		{"invalid network", &ir.Rule{ID: "r", Table: "T", Where: ir.CIDR{Field: at(fld("ip")), Prefixes: []netip.Prefix{{}}}}, `kql: field "ip": invalid network`},
		{"fieldref glob", &ir.Rule{ID: "r", Table: "T", Where: ir.FieldRef{Field: at(fld("a")), Other: fld("b"), Shape: ir.ShapeGlob}}, `kql: field "a": a field reference cannot be compared as glob`},
		{"table with a control character", &ir.Rule{ID: "r", Table: "T\x02", Where: ir.Const{Value: true}}, `kql: table name "T\x02" contains the control character`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := kql.New().Compile(tc.rule)
			var e *ir.Error
			if !errors.As(err, &e) {
				t.Fatalf("want an *ir.Error, got %v", err)
			}
			if !strings.Contains(e.Error(), tc.want) {
				t.Errorf("error %q does not contain %q", e.Error(), tc.want)
			}
		})
	}
}

func TestQuote(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", `""`},
		{"abc", `"abc"`},
		{`a"b`, `"a\"b"`},
		{"it's", `"it's"`},
		{`C:\x`, `@"C:\x"`},
		{`\"`, `@"\"""`},
		{"a\\\tb", `"a\\\tb"`},
		{"l1\nl2\r", `"l1\nl2\r"`},
		{"éß€😀", `"éß€😀"`},
	}
	for _, tc := range tests {
		if got := kql.Quote(tc.in); got != tc.want {
			t.Errorf("Quote(%q) = %s, want %s", tc.in, got, tc.want)
		}
	}
}

func TestIdent(t *testing.T) {
	tests := []struct{ in, want string }{
		{"EventName", "EventName"},
		{"_x1", "_x1"},
		{"1a", "['1a']"},
		{"a b", "['a b']"},
		{"a.b", "['a.b']"},
		{"where", "['where']"},
		{"true", "['true']"},
		{"it's", `["it's"]`},
		{`a\b`, `['a\\b']`},
		{"ça", "['ça']"},
	}
	for _, tc := range tests {
		if got := kql.Ident(tc.in); got != tc.want {
			t.Errorf("Ident(%q) = %s, want %s", tc.in, got, tc.want)
		}
	}
}

func TestSchema(t *testing.T) {
	where := ir.And{Args: []ir.Expr{
		ci(fld("s"), "x"),
		ci(fld("u", "arn"), "x"),
		ci(jsonf("rp", "k"), "x"),
		num(typed(ir.Number, "n"), ir.Gt, "1"),
		ir.BoolEq{Field: typed(ir.Bool, "b"), Value: true},
		ir.Time{Field: typed(ir.Timestamp, "t"), Part: ir.Hour, Op: ir.Eq, Value: 1},
		ir.FieldRef{Field: typed(ir.Any, "a"), Other: fld("o"), Shape: ir.ShapeEq},
		ir.IsNull{Field: fld("u")},
	}}
	want := map[string]string{"s": "string", "u": "dynamic", "rp": "string", "n": "real", "b": "bool", "t": "datetime", "a": "string", "o": "string"}
	if diff := cmp.Diff(want, kql.Schema(where)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}
