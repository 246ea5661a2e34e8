package refeval

import (
	"encoding/json"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/tokenhunt/tokenhunt/compiler/ir"
)

func decode(t *testing.T, s string) map[string]any {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		t.Fatalf("decode %s: %v", s, err)
	}
	return m
}

// fld names a field at the column of the same name.
func fld(name string) ir.Field {
	return ir.Field{Name: name, Column: &ir.Column{Path: strings.Split(name, ".")}}
}

func typed(name string, t ir.Type) ir.Field {
	f := fld(name)
	f.Column.Type = t
	return f
}

// jsonFld names a key path inside the JSON text column col.
func jsonFld(col, keys string) ir.Field {
	return ir.Field{Name: col + "." + keys, Column: &ir.Column{Path: []string{col}, JSON: strings.Split(keys, ".")}}
}

func pat(parts ...any) ir.Pattern {
	var p ir.Pattern
	for _, x := range parts {
		switch x := x.(type) {
		case string:
			p = append(p, ir.Part{Kind: ir.Lit, Text: x})
		case ir.PartKind:
			p = append(p, ir.Part{Kind: x})
		}
	}
	return p
}

func match(f ir.Field, cased bool, parts ...any) ir.Match {
	return ir.Match{Field: f, Pattern: pat(parts...), Cased: cased}
}

func num(f ir.Field, op ir.Op, text string) ir.Compare {
	var v float64
	if err := json.Unmarshal([]byte(text), &v); err != nil {
		panic(err)
	}
	return ir.Compare{Field: f, Op: op, Value: ir.NumberValue{Text: text, Float: v}}
}

func cidr(f ir.Field, prefixes ...string) ir.CIDR {
	c := ir.CIDR{Field: f}
	for _, p := range prefixes {
		c.Prefixes = append(c.Prefixes, netip.MustParsePrefix(p))
	}
	return c
}

const star, one = ir.Star, ir.One

type evalCase struct {
	name  string
	expr  ir.Expr
	event string
	want  bool
}

func runCases(t *testing.T, cases []evalCase) {
	t.Helper()
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			got, err := EvalErr(tt.expr, decode(t, tt.event))
			if err != nil {
				t.Fatalf("EvalErr(%s): %v", ir.Flat(tt.expr), err)
			}
			if got != tt.want {
				t.Errorf("Eval(%s) on %s = %t, want %t", ir.Flat(tt.expr), tt.event, got, tt.want)
			}
			if Eval(tt.expr, decode(t, tt.event)) != got {
				t.Errorf("Eval and EvalErr disagree")
			}
		})
	}
}

func TestLogic(t *testing.T) {
	a := match(fld("a"), false, "x")
	runCases(t, []evalCase{
		{"and of none is true", ir.And{}, `{}`, true},
		{"or of none is false", ir.Or{}, `{}`, false},
		{"const", ir.Const{Value: true}, `{}`, true},
		{"and", ir.And{Args: []ir.Expr{a, match(fld("b"), false, "y")}}, `{"a":"x","b":"y"}`, true},
		{"and one false", ir.And{Args: []ir.Expr{a, match(fld("b"), false, "y")}}, `{"a":"x","b":"z"}`, false},
		{"or", ir.Or{Args: []ir.Expr{a, match(fld("b"), false, "y")}}, `{"b":"y"}`, true},
		{"not of a match on an absent field is true", ir.Not{Arg: a}, `{}`, true},
		{"not of a match on a null field is true", ir.Not{Arg: a}, `{"a":null}`, true},
		{"not of a match on a field inside an absent struct is true", ir.Not{Arg: match(fld("s.a"), false, "x")}, `{"s":null}`, true},
		{"not of a match that holds", ir.Not{Arg: a}, `{"a":"X"}`, false},
		{"not not on absent", ir.Not{Arg: ir.Not{Arg: a}}, `{}`, false},
		{"not of a regex on an absent field", ir.Not{Arg: ir.Regex{Field: fld("a"), Pattern: "."}}, `{}`, true},
		{"not of a compare on an absent field", ir.Not{Arg: num(typed("n", ir.Number), ir.Gt, "1")}, `{}`, true},
		{"not of a cidr on a null field", ir.Not{Arg: cidr(fld("ip"), "10.0.0.0/8")}, `{"ip":null}`, true},
		{"not of a fieldref with one side absent", ir.Not{Arg: ir.FieldRef{Field: fld("a"), Other: fld("b")}}, `{"a":"x"}`, true},
		{"not of a bool on an absent field", ir.Not{Arg: ir.BoolEq{Field: typed("b", ir.Bool), Value: false}}, `{}`, true},
		{"not of a time on an absent field", ir.Not{Arg: ir.Time{Field: fld("t"), Part: ir.Hour, Op: ir.Gte, Value: 0}}, `{}`, true},
	})
}

func TestMatch(t *testing.T) {
	f := fld("a")
	runCases(t, []evalCase{
		{"equal ignoring case", match(f, false, "GetSecretValue"), `{"a":"getsecretvalue"}`, true},
		{"cased equal", match(f, true, "GetSecretValue"), `{"a":"GetSecretValue"}`, true},
		{"cased differs", match(f, true, "GetSecretValue"), `{"a":"getsecretvalue"}`, false},
		{"unicode lower-casing", match(f, false, "ÄRGER"), `{"a":"ärger"}`, true},
		{"prefix", match(f, false, "arn:aws:iam::", star), `{"a":"ARN:aws:iam::111122223333:user/x"}`, true},
		{"suffix", match(f, false, star, "/i-0abc"), `{"a":"arn:aws:sts::1:assumed-role/r/i-0ABC"}`, true},
		{"contains", match(f, false, star, "admin", star), `{"a":"xAdMinx"}`, true},
		{"one char", match(f, false, "a", one, "c"), `{"a":"abc"}`, true},
		{"one char needs exactly one", match(f, false, "a", one, "c"), `{"a":"ac"}`, false},
		{"literal star is not a wildcard", match(f, false, "a*c"), `{"a":"abc"}`, false},
		{"literal percent and underscore", match(f, false, "100%_x"), `{"a":"100%_x"}`, true},
		{"percent is not a SQL wildcard", match(f, false, "1%"), `{"a":"100"}`, false},
		{"any on present", match(f, false, star), `{"a":""}`, true},
		{"any on null", match(f, false, star), `{"a":null}`, false},
		{"any on absent", match(f, false, star), `{}`, false},
		{"empty matches empty only", match(f, false), `{"a":""}`, true},
		{"empty does not match text", match(f, false), `{"a":"x"}`, false},
		{"number read as written", match(f, false, "4624"), `{"a":4624}`, true},
		{"boolean read as text", match(f, false, "TRUE"), `{"a":true}`, true},
		{"struct path", match(fld("userIdentity.sessionContext.sessionIssuer.type"), false, "Role"), `{"userIdentity":{"sessionContext":{"sessionIssuer":{"type":"Role"}}}}`, true},
		{"struct keys case-insensitive", match(fld("useridentity.type"), false, "IAMUser"), `{"userIdentity":{"type":"IAMUser"}}`, true},
		{"path through a non-object", match(fld("a.b"), false, star), `{"a":"text"}`, false},
		{"object read as compact JSON", match(f, false, star, `"k":"v"`, star), `{"a":{"k": "v"}}`, true},
	})
}

func TestJSON(t *testing.T) {
	text := `{"requestParameters": "{\"userName\": \"bob\", \"policy\": {\"b\": 1, \"a\": [1, 2]}, \"n\": 5, \"f\": 1.50, \"nothing\": null, \"flag\": true}"}`
	decoded := `{"requestParameters": {"userName": "bob", "policy": {"b": 1, "a": [1, 2]}, "n": 5, "f": 1.50, "nothing": null, "flag": true}}`
	for _, ev := range []struct{ name, event string }{{"text", text}, {"decoded", decoded}} {
		t.Run(ev.name, func(t *testing.T) {
			runCases(t, []evalCase{
				{"key", match(jsonFld("requestParameters", "userName"), false, "BOB"), ev.event, true},
				{"keys are exact", match(jsonFld("requestParameters", "username"), false, star), ev.event, false},
				{"nested key", num(jsonFld("requestParameters", "policy.b"), ir.Eq, "1"), ev.event, true},
				{"integer as written", match(jsonFld("requestParameters", "n"), false, "5"), ev.event, true},
				{"float as DuckDB prints it", match(jsonFld("requestParameters", "f"), false, "1.5"), ev.event, true},
				{"float compares as a number", num(typed("requestParameters", ir.Number), ir.Eq, "1"), `{"requestParameters": 1}`, true},
				{"bool as text", match(jsonFld("requestParameters", "flag"), false, "true"), ev.event, true},
				{"object as compact JSON", match(jsonFld("requestParameters", "policy"), false, star, `"a":[1,2]`, star), ev.event, true},
				{"null is absent", ir.IsNull{Field: jsonFld("requestParameters", "nothing")}, ev.event, true},
				{"missing key is absent", ir.IsNull{Field: jsonFld("requestParameters", "x.y")}, ev.event, true},
				{"present key is not null", ir.IsNull{Field: jsonFld("requestParameters", "userName")}, ev.event, false},
				{"whole column as text", match(fld("requestParameters"), false, star, "userName", star), ev.event, true},
				{"not on a missing key", ir.Not{Arg: match(jsonFld("requestParameters", "x"), false, star)}, ev.event, true},
			})
		})
	}
	// Keys keep the order they were written in when the column is text.
	got, ok := Lookup(decode(t, text), jsonFld("requestParameters", "policy"))
	if s, _ := got.(string); !ok || s != `{"b":1,"a":[1,2]}` {
		t.Errorf("Lookup(policy) = %v, %t; want {\"b\":1,\"a\":[1,2]}", got, ok)
	}
	runCases(t, []evalCase{
		{"JSON column null", ir.IsNull{Field: jsonFld("requestParameters", "userName")}, `{"requestParameters": null}`, true},
		{"JSON column not JSON", ir.IsNull{Field: jsonFld("requestParameters", "userName")}, `{"requestParameters": "oops"}`, true},
		{"JSON column holding an array", ir.IsNull{Field: jsonFld("requestParameters", "userName")}, `{"requestParameters": "[1]"}`, true},
	})
}

// The expected texts are what DuckDB 1.5 prints for json_extract_string.
func TestCanonicalNumber(t *testing.T) {
	tests := []struct{ in, want string }{
		{"5", "5"}, {"-5", "-5"}, {"-0", "0"}, {"1.50", "1.5"}, {"1e3", "1000.0"}, {"1E+2", "100.0"}, {"0.0", "0.0"},
		{"-0.0", "-0.0"}, {"1.0", "1.0"}, {"0.1", "0.1"}, {"123e-2", "1.23"}, {"1e20", "100000000000000000000.0"},
		{"1e21", "1e21"}, {"0.000001", "0.000001"}, {"0.0000015", "0.0000015"}, {"1e-7", "1e-7"}, {"1.5e-7", "1.5e-7"},
		{"1e300", "1e300"}, {"5e-324", "5e-324"}, {"1.7976931348623157e308", "1.7976931348623157e308"},
		{"123456789.125", "123456789.125"}, {"100000000000000000000000.5", "1.0000000000000001e23"},
		{"12345678901234567890", "12345678901234567890"}, {"123456789012345678901234", "123456789012345678901234"},
	}
	for _, tt := range tests {
		if got := CanonicalNumber(tt.in); got != tt.want {
			t.Errorf("CanonicalNumber(%s) = %s, want %s", tt.in, got, tt.want)
		}
	}
}

func TestCompactJSON(t *testing.T) {
	tests := []struct{ in, want string }{
		{`{ "b" : 1.50 , "a" : [ 1 , {"x": null, "y": true} , [] , {} ] }`, `{"b":1.5,"a":[1,{"x":null,"y":true},[],{}]}`},
		{`[ "a<b>&c", "q\"uote", "line\nbreak", "é" ]`, `["a<b>&c","q\"uote","line\nbreak","é"]`},
		{`{"Principal": {"AWS": ["arn:aws:iam::1:root"]}}`, `{"Principal":{"AWS":["arn:aws:iam::1:root"]}}`},
	}
	for _, tt := range tests {
		got, err := CompactJSON([]byte(tt.in))
		if err != nil || got != tt.want {
			t.Errorf("CompactJSON(%s) = %s, %v; want %s", tt.in, got, err, tt.want)
		}
	}
	for _, bad := range []string{`{"a":`, `[1,`, ``, `{} {}`, `1 2`, `{"a" 1}`} {
		if got, err := CompactJSON([]byte(bad)); err == nil {
			t.Errorf("CompactJSON(%s) = %s, want an error", bad, got)
		}
	}
	if got, err := CompactJSON([]byte(` 7 `)); err != nil || got != "7" {
		t.Errorf("CompactJSON(7) = %s, %v", got, err)
	}
}

func TestRegex(t *testing.T) {
	f := fld("a")
	runCases(t, []evalCase{
		{"unanchored", ir.Regex{Field: f, Pattern: "Secret"}, `{"a":"GetSecretValue"}`, true},
		{"case-sensitive by default", ir.Regex{Field: f, Pattern: "secret"}, `{"a":"GetSecretValue"}`, false},
		{"i", ir.Regex{Field: f, Pattern: "secret", I: true}, `{"a":"GetSecretValue"}`, true},
		{"anchors without m", ir.Regex{Field: f, Pattern: "^b$"}, `{"a":"a\nb"}`, false},
		{"m", ir.Regex{Field: f, Pattern: "^b$", M: true}, `{"a":"a\nb"}`, true},
		{"dot without s", ir.Regex{Field: f, Pattern: "a.b"}, `{"a":"a\nb"}`, false},
		{"s", ir.Regex{Field: f, Pattern: "a.b", S: true}, `{"a":"a\nb"}`, true},
		{"absent", ir.Regex{Field: f, Pattern: ".*"}, `{}`, false},
		{"on a number", ir.Regex{Field: f, Pattern: `^\d+$`}, `{"a":42}`, true},
	})
}

func TestCompare(t *testing.T) {
	n := typed("n", ir.Number)
	s := fld("s")
	runCases(t, []evalCase{
		{"number eq", num(n, ir.Eq, "4624"), `{"n":4624}`, true},
		{"number eq is numeric", num(n, ir.Eq, "1.5"), `{"n":1.50}`, true},
		{"number gt", num(n, ir.Gt, "10"), `{"n":11}`, true},
		{"number gt equal", num(n, ir.Gt, "10"), `{"n":10}`, false},
		{"number gte", num(n, ir.Gte, "10"), `{"n":10}`, true},
		{"number lt", num(n, ir.Lt, "10"), `{"n":9.5}`, true},
		{"number lte", num(n, ir.Lte, "10"), `{"n":10.5}`, false},
		{"number column holding text", num(n, ir.Gt, "10"), `{"n":"11"}`, true},
		{"number column holding words", num(n, ir.Gt, "10"), `{"n":"many"}`, false},
		{"number null", num(n, ir.Lt, "10"), `{"n":null}`, false},
		{"string eq is text equality", num(s, ir.Eq, "4624"), `{"s":"4624"}`, true},
		{"string eq is not numeric", num(s, ir.Eq, "4624"), `{"s":"04624"}`, false},
		{"string eq on a JSON number", num(s, ir.Eq, "4624"), `{"s":4624}`, true},
		{"string ordering reads a number", num(s, ir.Gt, "9"), `{"s":"10"}`, true},
		{"string ordering is not lexical", num(s, ir.Lt, "9"), `{"s":"10"}`, false},
		{"string ordering with spaces", num(s, ir.Gte, "10"), `{"s":" 10 "}`, true},
		{"string ordering on words", num(s, ir.Lt, "9"), `{"s":"abc"}`, false},
		{"string ordering on NaN", num(s, ir.Lt, "9"), `{"s":"NaN"}`, false},
		{"string ordering on Inf", num(s, ir.Gt, "9"), `{"s":"Inf"}`, false},
		{"string ordering on hex", num(s, ir.Gt, "9"), `{"s":"0x10"}`, false},
		{"string ordering on bool", num(s, ir.Gt, "0"), `{"s":true}`, false},
		{"string ordering exponent", num(s, ir.Gt, "99"), `{"s":"1e3"}`, true},
	})
}

func TestBoolEq(t *testing.T) {
	b := typed("b", ir.Bool)
	s := fld("s")
	runCases(t, []evalCase{
		{"bool true", ir.BoolEq{Field: b, Value: true}, `{"b":true}`, true},
		{"bool false", ir.BoolEq{Field: b, Value: false}, `{"b":false}`, true},
		{"bool mismatch", ir.BoolEq{Field: b, Value: true}, `{"b":false}`, false},
		{"bool column holding text", ir.BoolEq{Field: b, Value: true}, `{"b":"True"}`, true},
		{"bool column holding a number", ir.BoolEq{Field: b, Value: true}, `{"b":1}`, false},
		{"bool null", ir.BoolEq{Field: b, Value: false}, `{"b":null}`, false},
		{"string column", ir.BoolEq{Field: s, Value: true}, `{"s":"TRUE"}`, true},
		{"string column false", ir.BoolEq{Field: s, Value: false}, `{"s":"false"}`, true},
		{"string column other text", ir.BoolEq{Field: s, Value: true}, `{"s":"yes"}`, false},
		{"string column JSON bool", ir.BoolEq{Field: s, Value: true}, `{"s":true}`, true},
	})
}

func TestIsNull(t *testing.T) {
	f := fld("a")
	runCases(t, []evalCase{
		{"absent", ir.IsNull{Field: f}, `{}`, true},
		{"null", ir.IsNull{Field: f}, `{"a":null}`, true},
		{"empty string is not null", ir.IsNull{Field: f}, `{"a":""}`, false},
		{"value", ir.IsNull{Field: f}, `{"a":"x"}`, false},
		{"not null", ir.Not{Arg: ir.IsNull{Field: f}}, `{"a":0}`, true},
		{"nested absent", ir.IsNull{Field: fld("s.t")}, `{"s":{}}`, true},
		{"empty object is not null", ir.IsNull{Field: f}, `{"a":{}}`, false},
	})
}

func TestCIDR(t *testing.T) {
	f := fld("ip")
	v4 := cidr(f, "75.50.0.0/16", "192.0.2.0/24")
	v6 := cidr(f, "2001:db8::/32")
	runCases(t, []evalCase{
		{"ipv4 inside", v4, `{"ip":"192.0.2.10"}`, true},
		{"ipv4 outside", v4, `{"ip":"198.51.100.1"}`, false},
		{"zero-padded octets are decimal", v4, `{"ip":"075.050.255.067"}`, true},
		{"zero-padded not octal", cidr(f, "61.0.0.0/8"), `{"ip":"075.050.255.67"}`, false},
		{"ipv6 inside", v6, `{"ip":"2001:DB8::1"}`, true},
		{"ipv6 outside", v6, `{"ip":"2001:db9::1"}`, false},
		{"ipv6 address against ipv4 prefix", v4, `{"ip":"2001:db8::1"}`, false},
		{"ipv4-mapped ipv6 is not ipv4", v4, `{"ip":"::ffff:192.0.2.10"}`, false},
		{"service name", v4, `{"ip":"ec2.amazonaws.com"}`, false},
		{"AWS Internal", v4, `{"ip":"AWS Internal"}`, false},
		{"octet too large", cidr(f, "0.0.0.0/0"), `{"ip":"256.1.1.1"}`, false},
		{"too many digits", cidr(f, "0.0.0.0/0"), `{"ip":"0001.1.1.1"}`, false},
		{"three octets", cidr(f, "0.0.0.0/0"), `{"ip":"1.1.1"}`, false},
		{"trailing space", cidr(f, "0.0.0.0/0"), `{"ip":"1.1.1.1 "}`, false},
		{"empty", cidr(f, "0.0.0.0/0"), `{"ip":""}`, false},
		{"number", cidr(f, "0.0.0.0/0"), `{"ip":12}`, false},
		{"absent", v4, `{}`, false},
		{"not on a service name", ir.Not{Arg: v4}, `{"ip":"AWS Internal"}`, true},
	})
	for _, tt := range []struct{ in, want string }{{"075.050.255.67", "75.50.255.67"}, {"000.000.000.000", "0.0.0.0"}, {"2001:db8::1", "2001:db8::1"}} {
		if a, ok := ParseIP(tt.in); !ok || a.String() != tt.want {
			t.Errorf("ParseIP(%q) = %v, %t; want %s", tt.in, a, ok, tt.want)
		}
	}
}

func TestFieldRef(t *testing.T) {
	ref := func(shape ir.Shape, cased bool) ir.FieldRef {
		return ir.FieldRef{Field: fld("arn"), Other: jsonFld("rp", "userName"), Shape: shape, Cased: cased}
	}
	ev := `{"arn":"arn:aws:iam::1:user/Bob","rp":"{\"userName\":\"bob\"}"}`
	runCases(t, []evalCase{
		{"suffix ignoring case", ref(ir.ShapeSuffix, false), ev, true},
		{"suffix cased", ref(ir.ShapeSuffix, true), ev, false},
		{"contains", ref(ir.ShapeContains, false), ev, true},
		{"prefix", ref(ir.ShapePrefix, false), ev, false},
		{"eq", ref(ir.ShapeEq, false), `{"arn":"BOB","rp":"{\"userName\":\"bob\"}"}`, true},
		{"other absent", ref(ir.ShapeContains, false), `{"arn":"x"}`, false},
		{"other null", ref(ir.ShapeContains, false), `{"arn":"x","rp":"{\"userName\":null}"}`, false},
		{"wildcards in the other value are literal", ir.FieldRef{Field: fld("a"), Other: fld("b"), Shape: ir.ShapeEq}, `{"a":"abc","b":"a*"}`, false},
	})
}

func TestTime(t *testing.T) {
	tm := func(part ir.TimePart, op ir.Op, v int64) ir.Time {
		return ir.Time{Field: typed("t", ir.Timestamp), Part: part, Op: op, Value: v}
	}
	// 2026-11-28T23:45:10+02:00 is 21:45:10 UTC.
	ev := `{"t":"2026-11-28T23:45:10+02:00"}`
	runCases(t, []evalCase{
		{"minute", tm(ir.Minute, ir.Eq, 45), ev, true},
		{"hour in UTC", tm(ir.Hour, ir.Eq, 21), ev, true},
		{"hour not local", tm(ir.Hour, ir.Eq, 23), ev, false},
		{"day", tm(ir.Day, ir.Eq, 28), ev, true},
		{"month", tm(ir.Month, ir.Eq, 11), ev, true},
		{"year", tm(ir.Year, ir.Gte, 2026), ev, true},
		{"hour lt", tm(ir.Hour, ir.Lt, 6), `{"t":"2026-11-28T05:59:59Z"}`, true},
		{"hour lte", tm(ir.Hour, ir.Lte, 5), `{"t":"2026-11-28T06:00:00Z"}`, false},
		{"hour gt", tm(ir.Hour, ir.Gt, 22), `{"t":"2026-11-28T23:00:00Z"}`, true},
		{"iso week", tm(ir.Week, ir.Eq, 48), `{"t":"2026-11-28T00:00:00Z"}`, true},
		{"iso week 53 in january", tm(ir.Week, ir.Eq, 53), `{"t":"2021-01-01T00:00:00Z"}`, true},
		{"iso week 1 in december", tm(ir.Week, ir.Eq, 1), `{"t":"2025-12-29T00:00:00Z"}`, true},
		{"fractional seconds", tm(ir.Minute, ir.Eq, 1), `{"t":"2026-11-28T00:01:02.123456Z"}`, true},
		{"space and no zone is UTC", tm(ir.Hour, ir.Eq, 3), `{"t":"2026-11-28 03:04:05"}`, true},
		{"not a time", tm(ir.Hour, ir.Gte, 0), `{"t":"yesterday"}`, false},
		{"a number is not a time", tm(ir.Year, ir.Gte, 0), `{"t":1700000000}`, false},
	})
	ev2 := map[string]any{"t": time.Date(2026, 11, 28, 23, 30, 0, 0, time.FixedZone("x", -2*3600))}
	if !Eval(tm(ir.Day, ir.Eq, 29), ev2) || !Eval(tm(ir.Hour, ir.Eq, 1), ev2) {
		t.Errorf("a time.Time is not read in UTC")
	}
}

func TestErrors(t *testing.T) {
	tests := []struct {
		name string
		expr ir.Expr
		want string
	}{
		{"keyword", ir.Or{Args: []ir.Expr{ir.Const{Value: true}, ir.Keyword{Pattern: ir.Literal("evil*")}}},
			`keyword search "evil\\*" was not expanded: apply a pipeline that names keyword columns first`},
		{"bad regex", ir.Not{Arg: ir.Regex{Field: fld("a"), Pattern: "(", I: true}}, "regex \"(\" of field a: error parsing regexp: missing closing ): `(?i)(`"},
		{"nil", nil, "no expression"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := EvalErr(tt.expr, map[string]any{"a": "x"})
			if err == nil || err.Error() != tt.want || got {
				t.Errorf("EvalErr = %t, %v; want false, %s", got, err, tt.want)
			}
			if Eval(tt.expr, map[string]any{"a": "x"}) {
				t.Errorf("Eval matched an expression it cannot evaluate")
			}
		})
	}
}

func TestUnresolvedFieldUsesSameName(t *testing.T) {
	e := ir.Match{Field: ir.Field{Name: "userIdentity.type"}, Pattern: ir.Literal("Root")}
	if !Eval(e, decode(t, `{"userIdentity":{"type":"Root"}}`)) {
		t.Errorf("a field without a column is not read at its same-named path")
	}
}
