package ir

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// exprOpts compares expressions as Parse promises: positions aside, empty
// slices equal to nil.
var exprOpts = cmp.Options{
	cmpopts.IgnoreFields(Field{}, "Pos"),
	cmpopts.IgnoreFields(Keyword{}, "Pos"),
	cmpopts.EquateEmpty(),
	cmp.Comparer(func(a, b netip.Prefix) bool { return a == b }),
}

func col(t Type, path ...string) *Column { return &Column{Path: path, Type: t} }

func fld(name string, c *Column) Field { return Field{Name: name, Column: c} }

// same is a field resolved to the string column of its own name.
func same(name string) Field { return fld(name, col(String, strings.Split(name, ".")...)) }

func lit(s string) Part { return Part{Kind: Lit, Text: s} }

var (
	star = Part{Kind: Star}
	one  = Part{Kind: One}
)

func num(text string) NumberValue {
	v, ok := parseNumber(text)
	if !ok {
		panic("bad number " + text)
	}
	return v
}

func TestParse(t *testing.T) {
	s := same("s")
	tests := []struct {
		name string
		text string
		want Expr
	}{
		{"true", "true", Const{Value: true}},
		{"false with spaces", " \n\tfalse\n", Const{Value: false}},
		{"empty and", "(and)", And{}},
		{"empty or", "(or)", Or{}},
		{"and of consts", "(and true false)", And{Args: []Expr{Const{Value: true}, Const{Value: false}}}},
		{"not", "(not (null s))", Not{Arg: IsNull{Field: s}}},
		{"eq", `(eq ci s "a b")`, Match{Field: s, Pattern: Pattern{lit("a b")}}},
		{"eq empty", `(eq cs s "")`, Match{Field: s, Pattern: Pattern{}, Cased: true}},
		{"prefix", `(prefix ci s "a")`, Match{Field: s, Pattern: Pattern{lit("a"), star}}},
		{"suffix", `(suffix cs s "a")`, Match{Field: s, Pattern: Pattern{star, lit("a")}, Cased: true}},
		{"contains", `(contains ci s "100%")`, Match{Field: s, Pattern: Pattern{star, lit("100%"), star}}},
		{"contains empty is any", `(contains ci s "")`, Match{Field: s, Pattern: Pattern{star}}},
		{"any", `(any ci s)`, Match{Field: s, Pattern: Pattern{star}}},
		{"glob", `(glob cs s ["a" * "b" ?])`, Match{Field: s, Pattern: Pattern{lit("a"), star, lit("b"), one}, Cased: true}},
		{"glob normalised", `(glob ci s ["a" "b" * * "" ?])`, Match{Field: s, Pattern: Pattern{lit("ab"), star, one}}},
		{"glob empty", `(glob ci s [])`, Match{Field: s, Pattern: Pattern{}}},
		{"escapes and unicode", `(eq ci s "C:\\Windows\t\"日本\"\u00e9\xff")`, Match{Field: s, Pattern: Pattern{lit("C:\\Windows\t\"日本\"é\xff")}}},
		{"re", `(re s "^x\\d")`, Regex{Field: s, Pattern: `^x\d`}},
		{"re flags", `(re:ims s "x")`, Regex{Field: s, Pattern: "x", I: true, M: true, S: true}},
		{"re flags any order", `(re:si s "x")`, Regex{Field: s, Pattern: "x", I: true, S: true}},
		{"num", "(num gt n:any 5)", Compare{Field: fld("n", col(Any, "n")), Op: Gt, Value: NumberValue{Text: "5", Float: 5}}},
		{"num float", "(num lte f:number -1.5e3)", Compare{Field: fld("f", col(Number, "f")), Op: Lte, Value: NumberValue{Text: "-1.5e3", Float: -1500}}},
		{"num hex", "(num eq n 0x1F)", Compare{Field: same("n"), Op: Eq, Value: NumberValue{Text: "0x1F", Float: 31}}},
		{"num every op", "(and (num eq n 1) (num lt n 1) (num lte n 1) (num gt n 1) (num gte n 1))", And{Args: []Expr{
			Compare{Field: same("n"), Op: Eq, Value: num("1")},
			Compare{Field: same("n"), Op: Lt, Value: num("1")},
			Compare{Field: same("n"), Op: Lte, Value: num("1")},
			Compare{Field: same("n"), Op: Gt, Value: num("1")},
			Compare{Field: same("n"), Op: Gte, Value: num("1")},
		}}},
		{"bool", "(bool readOnly:bool true)", BoolEq{Field: fld("readOnly", col(Bool, "readOnly")), Value: true}},
		{"bool false", "(bool b false)", BoolEq{Field: same("b")}},
		{"null nested", "(not (null userIdentity.sessionContext.ec2RoleDelivery))", Not{Arg: IsNull{Field: same("userIdentity.sessionContext.ec2RoleDelivery")}}},
		{"cidr", `(cidr sourceIPAddress "10.0.0.0/8" "fc00::/7")`, CIDR{Field: same("sourceIPAddress"), Prefixes: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("fc00::/7")}}},
		{"cidr unmasked kept", `(cidr ip "10.1.2.3/8")`, CIDR{Field: same("ip"), Prefixes: []netip.Prefix{netip.MustParsePrefix("10.1.2.3/8")}}},
		{"cidr without prefixes", `(cidr src_ip=sourceIPAddress)`, CIDR{Field: fld("src_ip", col(String, "sourceIPAddress"))}},
		{"fieldref", "(fieldref contains ci s:any t:any)", FieldRef{Field: fld("s", col(Any, "s")), Other: fld("t", col(Any, "t")), Shape: ShapeContains}},
		{"fieldref eq cased", "(fieldref eq cs a b=?)", FieldRef{Field: same("a"), Other: fld("b", nil), Shape: ShapeEq, Cased: true}},
		{"time", "(time hour eq ts:timestamp 5)", Time{Field: fld("ts", col(Timestamp, "ts")), Part: Hour, Op: Eq, Value: 5}},
		{"time negative", "(time year lt ts -1)", Time{Field: same("ts"), Part: Year, Op: Lt, Value: -1}},
		{"keyword", `(keyword ci ["x" *])`, Keyword{Pattern: Pattern{lit("x"), star}}},
		{"keyword cased", `(keyword cs [* "a%b" ? *])`, Keyword{Pattern: Pattern{star, lit("a%b"), one, star}, Cased: true}},

		// Fields.
		{"unresolved", "(null eventName=?)", IsNull{Field: fld("eventName", nil)}},
		{"json column", "(null requestParameters.roleArn=requestParameters$roleArn)", IsNull{Field: fld("requestParameters.roleArn", &Column{Path: []string{"requestParameters"}, JSON: []string{"roleArn"}})}},
		{"quoted segments and type", `(null a.b=x."y z"$k:number)`, IsNull{Field: fld("a.b", &Column{Path: []string{"x", "y z"}, JSON: []string{"k"}, Type: Number})}},
		{"quoted name", `(null "x y"="x y")`, IsNull{Field: fld("x y", col(String, "x y"))}},
		{"quoted unresolved name", `(null "Event ID"=?)`, IsNull{Field: fld("Event ID", nil)}},
		{"dotted column name", `(null a.b="a.b":any)`, IsNull{Field: fld("a.b", col(Any, "a.b"))}},
		{"rename", "(null src_ip=sourceIPAddress)", IsNull{Field: fld("src_ip", col(String, "sourceIPAddress"))}},
		{"empty path", "(null x=)", IsNull{Field: fld("x", &Column{})}},
		{"empty path typed", "(null x=:bool)", IsNull{Field: fld("x", &Column{Type: Bool})}},
		{"json at empty path", "(null x=$a.b)", IsNull{Field: fld("x", &Column{JSON: []string{"a", "b"}})}},
		{"at and dash", "(null @timestamp-x.y_z)", IsNull{Field: same("@timestamp-x.y_z")}},
		{"explicit string type", "(null s:string)", IsNull{Field: s}},
		{"empty name", `(null "")`, IsNull{Field: fld("", &Column{})}},

		{"layout", "(and\n  (or\n    (eq ci a \"1\")\n    (eq ci b \"2\"))\n  (not\n    true))", And{Args: []Expr{
			Or{Args: []Expr{Match{Field: same("a"), Pattern: Pattern{lit("1")}}, Match{Field: same("b"), Pattern: Pattern{lit("2")}}}},
			Not{Arg: Const{Value: true}},
		}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse(tt.text)
			if err != nil {
				t.Fatalf("Parse(%q): %v", tt.text, err)
			}
			if diff := cmp.Diff(tt.want, got, exprOpts); diff != "" {
				t.Errorf("Parse(%q) (-want +got):\n%s", tt.text, diff)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct{ text, want string }{
		{"", `<input>:1:1: empty expression (write an expression such as (eq ci eventName "x"))`},
		{"  \n ", `<input>:2:2: empty expression (write an expression such as (eq ci eventName "x"))`},
		{"maybe", `<input>:1:1: expected an expression, found "maybe"`},
		{")", `<input>:1:1: expected an expression, found ')'`},
		{"true false", `<input>:1:6: unexpected "false" after the expression`},
		{"(and true", `<input>:1:10: expected ) to end (and, found end of text`},
		{"(and(eq ci s \"x\"))", `<input>:1:5: expected a space after (and, found '('`},
		{"(and true(or))", `<input>:1:10: expected a space between the arguments of (and, found '('`},
		{"( and)", `<input>:1:2: expected a form name after (, found space`},
		{"(nand true)", `<input>:1:2: unknown form "nand" (use and, or, not, eq, prefix, suffix, contains, any, glob, re, num, bool, null, cidr, fieldref, time or keyword)`},
		{"(not true false)", `<input>:1:11: expected ) to end (not, found "false"`},
		{"(not)", `<input>:1:5: expected a space and an expression, found ')'`},
		{`(eq ic s "x")`, `<input>:1:5: expected ci or cs, found "ic" (ci is case-insensitive, cs case-sensitive)`},
		{`(eq ci s x)`, `<input>:1:10: expected a quoted string, found "x"`},
		{`(eq ci s "x)`, `<input>:1:10: string not terminated`},
		{"(eq ci s \"x\n\")", `<input>:1:10: string not terminated before the end of the line (write a newline as \n)`},
		{`(eq ci s "\q")`, `<input>:1:10: invalid string "\q" (strings are Go string literals: escape " and \ with \)`},
		{`(eq ci s "x" "y")`, `<input>:1:14: expected ) to end (eq, found '"'`},
		{`(eq ci "s"x "y")`, `<input>:1:11: unexpected "x" after a field`},
		{`(eq ci 1s "y")`, `<input>:1:8: expected a field name, found "1s" (quote names that do not start with a letter, _ or @)`},
		{`(eq ci s:int "y")`, `<input>:1:10: unknown type "int" (the types are string, number, bool, timestamp and any)`},
		{`(eq ci s=? :any "y")`, `<input>:1:12: expected a quoted string, found ":any"`},
		{`(eq ci s=?:any "y")`, `<input>:1:11: unexpected ":any" after a field`},
		{`(eq ci s=a$ "y")`, `<input>:1:12: empty JSON path (name the JSON key after $)`},
		{`(eq ci s=a.1 "y")`, `<input>:1:12: expected a field name, found "1" (quote names that do not start with a letter, _ or @)`},
		{`(glob ci s "a")`, `<input>:1:12: expected [, found '"' (write a pattern as a list of quoted text and wildcards, e.g. ["a" * "b" ?])`},
		{`(glob ci s ["a"*])`, `<input>:1:16: expected a space between pattern parts, found "*"`},
		{`(glob ci s [** "a"])`, `<input>:1:13: expected a quoted string, * or ?, found "**" (separate wildcards with spaces)`},
		{`(glob ci s [a])`, `<input>:1:13: expected a quoted string, * or ?, found "a" (quote literal text)`},
		{`(glob ci s ["a"`, `<input>:1:16: expected ] to end the pattern, found end of text`},
		{`(re:x s "a")`, `<input>:1:2: unknown regex flag 'x' in "re:x" (the flags are i, m and s)`},
		{`(re:ii s "a")`, `<input>:1:2: regex flag 'i' repeated in "re:ii"`},
		{`(re: s "a")`, `<input>:1:2: "re:" has no flags (write re alone, or re: followed by i, m or s)`},
		{`(num gt n five)`, `<input>:1:11: expected a number, found "five" (write a finite decimal, hexadecimal, octal or binary number)`},
		{`(num gt n 1e999)`, `<input>:1:11: expected a number, found "1e999" (write a finite decimal, hexadecimal, octal or binary number)`},
		{`(num gt n NaN)`, `<input>:1:11: expected a number, found "NaN" (write a finite decimal, hexadecimal, octal or binary number)`},
		{`(num ge n 1)`, `<input>:1:6: expected an operator (eq, lt, lte, gt, gte), found "ge"`},
		{`(bool b yes)`, `<input>:1:9: expected true or false, found "yes"`},
		{`(cidr ip "10.0.0.0/33")`, `<input>:1:10: "10.0.0.0/33" is not a network prefix (write an address and a prefix length, e.g. "10.0.0.0/8")`},
		{`(cidr ip "10.0.0.1")`, `<input>:1:10: "10.0.0.1" is not a network prefix (write an address and a prefix length, e.g. "10.0.0.0/8")`},
		{`(cidr ip "10.0.0.0/8""::/0")`, `<input>:1:22: expected a space before the next prefix, found '"'`},
		{`(fieldref glob ci a b)`, `<input>:1:11: expected eq, prefix, suffix or contains, found "glob"`},
		{`(fieldref eq ci a)`, `<input>:1:18: expected a space and the other field, found ')'`},
		{`(time hours eq ts 1)`, `<input>:1:7: expected minute, hour, day, week, month or year, found "hours"`},
		{`(time hour eq ts 1.5)`, `<input>:1:18: expected a decimal integer, found "1.5"`},
		{`(keyword ci "x")`, `<input>:1:13: expected [, found '"' (write a pattern as a list of quoted text and wildcards, e.g. ["a" * "b" ?])`},
		{"(or\n  (eq ci a \"1\")\n  (eq ci b 2))", `<input>:3:12: expected a quoted string, found "2"`},
		{"(or\n\t(null é))", `<input>:2:8: expected a field name, found "é" (quote names that do not start with a letter, _ or @)`},
		{strings.Repeat("(not ", 1002) + "true" + strings.Repeat(")", 1002), `<input>:1:5006: expression nested deeper than 1000 levels`},
	}
	for _, tt := range tests {
		t.Run(tt.text, func(t *testing.T) {
			got, err := Parse(tt.text)
			if err == nil {
				t.Fatalf("Parse(%q) = %s, want error %s", tt.text, Flat(got), tt.want)
			}
			if _, ok := err.(*Error); !ok {
				t.Errorf("error is a %T, want *ir.Error", err)
			}
			if err.Error() != tt.want {
				t.Errorf("Parse(%q) error\n got %s\nwant %s", tt.text, err, tt.want)
			}
		})
	}
}

// TestParsePositions: fields and keywords point into the text, by line and
// character.
func TestParsePositions(t *testing.T) {
	e, err := Parse("(or\n  (eq ci \"日本\"=? \"x\")\n  (keyword ci [\"k\"])\n  (fieldref eq ci a b))")
	if err != nil {
		t.Fatal(err)
	}
	args := e.(Or).Args
	got := []Pos{args[0].(Match).Field.Pos, args[1].(Keyword).Pos, args[2].(FieldRef).Field.Pos, args[2].(FieldRef).Other.Pos}
	want := []Pos{{Line: 2, Col: 10}, {Line: 3, Col: 3}, {Line: 4, Col: 19}, {Line: 4, Col: 21}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("positions (-want +got):\n%s", diff)
	}
}

// TestFieldString: each column placement prints differently, so that Parse
// can tell them apart.
func TestFieldString(t *testing.T) {
	tests := []struct {
		f    Field
		want string
	}{
		{fld("eventName", nil), "eventName=?"},
		{same("eventName"), "eventName"},
		{same("a.b"), "a.b"},
		{fld("a.b", col(String, "a.b")), `a.b="a.b"`},
		{fld("a.b", col(Any, "a", "b")), "a.b:any"},
		{fld("x y", nil), `"x y"=?`},
		{fld("x y", col(String, "x y")), `"x y"="x y"`},
		{fld("r.k", &Column{Path: []string{"r"}, JSON: []string{"k"}}), "r.k=r$k"},
		{fld("a.b", &Column{Path: []string{"x", "y z"}, JSON: []string{"k"}, Type: Number}), `a.b=x."y z"$k:number`},
		{fld("a..b", col(String, "a", "", "b")), `a..b=a."".b`},
		{fld("x", &Column{}), "x="},
	}
	for _, tt := range tests {
		if got := FieldString(tt.f); got != tt.want {
			t.Errorf("FieldString(%#v) = %s, want %s", tt.f, got, tt.want)
		}
	}
}

// roundTripCases are expressions in the form printing keeps, covering every
// node and every way of placing a field.
func roundTripCases() []Expr {
	fields := []Field{
		fld("eventName", nil),
		same("eventName"),
		same("userIdentity.sessionContext.ec2RoleDelivery"),
		fld("n", col(Number, "n")),
		fld("requestParameters.roleArn", &Column{Path: []string{"requestParameters"}, JSON: []string{"roleArn"}}),
		fld("a.b", &Column{Path: []string{"x", "y z"}, JSON: []string{"k", "l.m"}, Type: Number}),
		fld("x y", col(Any, "x y")),
		fld("Event \"ID\"", nil),
		fld("a.b", col(Timestamp, "a.b")),
		fld("a..b", col(Bool, "a", "", "b")),
		fld("", &Column{}),
		fld("", nil),
		fld("x", &Column{Type: Any}),
		fld("x", &Column{JSON: []string{"j"}}),
		fld("日本", col(String, "日本")),
		fld("@timestamp", col(Timestamp, "@timestamp")),
	}
	var leaves []Expr
	for i, f := range fields {
		g := fields[(i+1)%len(fields)]
		leaves = append(leaves,
			Match{Field: f, Pattern: Pattern{lit("a\"b\\c")}, Cased: i%2 == 0},
			Match{Field: f, Pattern: Pattern{}},
			Match{Field: f, Pattern: Pattern{lit("pre"), star}},
			Match{Field: f, Pattern: Pattern{star, lit("suf")}, Cased: true},
			Match{Field: f, Pattern: Pattern{star, lit("100%_"), star}},
			Match{Field: f, Pattern: Pattern{star}},
			Match{Field: f, Pattern: Pattern{lit("日"), one, lit("語"), star}},
			Match{Field: f, Pattern: Pattern{one}},
			Match{Field: f, Pattern: Pattern{star, one, star, lit("\x00\xff\n")}},
			Regex{Field: f, Pattern: `^a\.b$`},
			Regex{Field: f, Pattern: "(?x) \"q\"", I: true},
			Regex{Field: f, Pattern: "", M: true, S: true},
			Regex{Field: f, Pattern: "x", I: true, M: true, S: true},
			Compare{Field: f, Op: Op(i % 5), Value: num("4624")},
			Compare{Field: f, Op: Gte, Value: num("-1.5")},
			Compare{Field: f, Op: Lt, Value: num("0x1F")},
			Compare{Field: f, Op: Eq, Value: num("1e-3")},
			Compare{Field: f, Op: Eq, Value: num("+7")},
			Compare{Field: f, Op: Eq, Value: num("99999999999999999999999")},
			BoolEq{Field: f, Value: i%2 == 0},
			IsNull{Field: f},
			CIDR{Field: f},
			CIDR{Field: f, Prefixes: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("fc00::/7"), netip.MustParsePrefix("::ffff:10.0.0.0/104"), netip.MustParsePrefix("192.168.1.7/16")}},
			FieldRef{Field: f, Other: g, Shape: Shape(i % 4), Cased: i%3 == 0},
			Time{Field: f, Part: TimePart(i % 6), Op: Op((i + 2) % 5), Value: int64(i*7 - 3)},
		)
	}
	cases := []Expr{
		Const{Value: true},
		Const{Value: false},
		And{},
		Or{},
		Not{Arg: Not{Arg: Const{Value: false}}},
		Keyword{Pattern: Pattern{lit("GetSecretValue")}},
		Keyword{Pattern: Pattern{star, lit("a%b"), one, star}, Cased: true},
		Keyword{Pattern: Pattern{}},
		And{Args: leaves},
	}
	cases = append(cases, leaves...)
	// Nesting that forces the indented layout at small widths.
	var nested Expr = Or{Args: leaves[:6]}
	for i := 0; i < 5; i++ {
		nested = And{Args: []Expr{Not{Arg: nested}, leaves[i*3], Or{Args: []Expr{leaves[i*5+1], Const{Value: i%2 == 0}}}}}
	}
	return append(cases, nested)
}

// TestRoundTrip: Parse reads back exactly what Format and Flat print, at
// any width.
func TestRoundTrip(t *testing.T) {
	for i, e := range roundTripCases() {
		for _, width := range []int{0, 10, 40, 100, 1 << 20} {
			text := Format(e, width)
			got, err := Parse(text)
			if err != nil {
				t.Fatalf("case %d width %d: Parse(%q): %v", i, width, text, err)
			}
			if diff := cmp.Diff(e, got, exprOpts); diff != "" {
				t.Errorf("case %d width %d: Parse(Format(e)) (-want +got):\n%s\ntext: %s", i, width, diff, text)
			}
		}
		if got, err := Parse(Flat(e)); err != nil {
			t.Errorf("case %d: Parse(Flat(e)): %v", i, err)
		} else if diff := cmp.Diff(e, got, exprOpts); diff != "" {
			t.Errorf("case %d: Parse(Flat(e)) (-want +got):\n%s", i, diff)
		}
	}
}

// TestRoundTripNormalises: what printing drops, parsing does not invent.
// A Match comes back with its normalised pattern, a Compare with the value
// of its text.
func TestRoundTripNormalises(t *testing.T) {
	tests := []struct{ in, want Expr }{
		{
			Match{Field: same("s"), Pattern: Pattern{lit("a"), lit(""), lit("b"), star, star}},
			Match{Field: same("s"), Pattern: Pattern{lit("ab"), star}},
		},
		{
			Match{Field: same("s"), Pattern: Literal("")},
			Match{Field: same("s"), Pattern: nil},
		},
		{
			Keyword{Pattern: Pattern{star, star, lit("x"), lit("y")}, Pos: Pos{File: "r.yml", Line: 3}},
			Keyword{Pattern: Pattern{star, lit("xy")}},
		},
		{
			Compare{Field: same("n"), Op: Gt, Value: NumberValue{Text: "2.50", Float: 0}},
			Compare{Field: same("n"), Op: Gt, Value: NumberValue{Text: "2.50", Float: 2.5}},
		},
		{
			IsNull{Field: Field{Name: "x", Column: &Column{Path: []string{}, JSON: []string{}}}},
			IsNull{Field: Field{Name: "x", Column: &Column{}}},
		},
	}
	for _, tt := range tests {
		got, err := Parse(Flat(tt.in))
		if err != nil {
			t.Fatalf("Parse(%s): %v", Flat(tt.in), err)
		}
		if diff := cmp.Diff(tt.want, got, exprOpts); diff != "" {
			t.Errorf("Parse(%s) (-want +got):\n%s", Flat(tt.in), diff)
		}
	}
}

func FuzzParseIR(f *testing.F) {
	// Small seeds: the fuzzer minimises every new input it finds, and that
	// takes minutes on the large cases.
	for _, e := range roundTripCases() {
		if s := Format(e, 30); len(s) < 300 {
			f.Add(s)
		}
	}
	for _, s := range []string{"(and (or) (not true))", `(glob ci s ["a" * "b" ?])`, `(num gt n 0b101)`, `(eq ci "a\u00e9"=x."y"$z:any "\x00")`, "(re:im s \"\\\\\")"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		if len(text) > 1500 {
			// Format's time grows with the cube of the nesting depth, which
			// long inputs reach; this target tests the parser.
			return
		}
		e, err := Parse(text)
		if err != nil {
			if _, ok := err.(*Error); !ok {
				t.Fatalf("error is a %T, want *ir.Error", err)
			}
			return
		}
		// Strings, not cmp: cmp's time grows exponentially with nesting.
		flat := Flat(e)
		for _, width := range []int{0, 80} {
			s1 := Format(e, width)
			e2, err := Parse(s1)
			if err != nil {
				t.Fatalf("Parse(Format(Parse(%q))) = %v\nformatted: %s", text, err, s1)
			}
			if s2 := Format(e2, width); s2 != s1 {
				t.Fatalf("Format is not stable:\n%s\n%s", s1, s2)
			}
			if f2 := Flat(e2); f2 != flat {
				t.Fatalf("Flat is not stable:\n%s\n%s", flat, f2)
			}
		}
	})
}
