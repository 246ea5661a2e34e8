package duckdb_test

import (
	"context"
	"net/netip"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/tokenhunt/tokenhunt/backends/duckdb"
	"github.com/tokenhunt/tokenhunt/backends/sql"
	"github.com/tokenhunt/tokenhunt/compiler/ir"
)

// Event sets, one table each. Ids tell which event a query matched.

var stringEvents = []map[string]any{
	{"id": "s01", "s": "100%"},
	{"id": "s02", "s": "100x"},
	{"id": "s03", "s": "a_b"},
	{"id": "s04", "s": "axb"},
	{"id": "s05", "s": "it's"},
	{"id": "s06", "s": `C:\Windows\x`},
	{"id": "s07", "s": "a*b"},
	{"id": "s08", "s": "a?b"},
	{"id": "s09", "s": "aXb"},
	{"id": "s10", "s": "CAFÉ"},
	{"id": "s11", "s": "ΣΟΦΙΑ"},
	{"id": "s12", "s": "Straße"},
	{"id": "s13", "s": "STRASSE"},
	{"id": "s14", "s": "日本"},
	{"id": "s15"},
	{"id": "s16", "s": nil},
	{"id": "s17", "s": ""},
}

var ipEvents = []map[string]any{
	{"id": "i01", "ip": "10.1.2.3"},
	{"id": "i02", "ip": "010.001.002.003"},
	{"id": "i03", "ip": "075.050.255.67"},
	{"id": "i04", "ip": "10.255.255.255"},
	{"id": "i05", "ip": "11.0.0.0"},
	{"id": "i06", "ip": "172.16.0.1"},
	{"id": "i07", "ip": "172.31.255.255"},
	{"id": "i08", "ip": "172.32.0.0"},
	{"id": "i09", "ip": "ec2.amazonaws.com"},
	{"id": "i10", "ip": "AWS Internal"},
	{"id": "i11", "ip": ""},
	{"id": "i12", "ip": "1.2.3"},
	{"id": "i13", "ip": "1.2.3.4.5"},
	{"id": "i14", "ip": "256.1.1.1"},
	{"id": "i15", "ip": "10.256.0.1"},
	{"id": "i16", "ip": "::g"},
	{"id": "i17", "ip": "2001:db8::1"},
	{"id": "i18", "ip": "2001:DB8:0:0:0:0:0:2"},
	{"id": "i19", "ip": "2001:db9::1"},
	{"id": "i20", "ip": "1:2:3:4:5:6:7:8:9"},
	{"id": "i21", "ip": "12345::1"},
	{"id": "i22", "ip": "::1"},
	{"id": "i23", "ip": "::"},
	{"id": "i24", "ip": "fe80::1%eth0"},
	{"id": "i25", "ip": "::ffff:10.1.2.3"},
	{"id": "i26", "ip": "2001:0db8:0000:0000:0000:0000:0000:0003"},
	{"id": "i27", "ip": "2001:db8:8000::1"},
	{"id": "i28"},
	{"id": "i29", "ip": nil},
	{"id": "i30", "ip": "1.2.3.4 "},
	{"id": "i31", "ip": "10.0.0.1/8"},
	{"id": "i32", "ip": "1:2:3:4:5:6:7::"},
	{"id": "i33", "ip": "1:2:3:4:5:6:7::8"},
	{"id": "i34", "ip": "0.0.0.0"},
	{"id": "i35", "ip": "255.255.255.255"},
	{"id": "i36", "ip": "10.0001.2.3"},
	{"id": "i37", "ip": "1::2::3"},
	{"id": "i38", "ip": "172.16.15.255"},
	{"id": "i39", "ip": "172.16.16.0"},
}

var miscEvents = []map[string]any{
	{"id": "m01", "msg": "Hello World", "num": 5, "code": "4624", "flag": true, "flagText": "True",
		"eventTime": "2024-11-30T08:43:17Z", "a": "Alice", "b": "alice",
		"requestParameters": map[string]any{"roleArn": "arn:aws:iam::123:role/Admin", "a.b": map[string]any{"c d": "v"},
			`quote"key`: "q", "durationSeconds": 3600, "nested": map[string]any{"deep": map[string]any{"x": "y"}}, "pct": "50%", "enabled": true},
		"userIdentity": map[string]any{"type": "AssumedRole",
			"sessionContext": map[string]any{"sessionIssuer": map[string]any{"arn": "arn:aws:iam::123:role/Admin"}}}},
	{"id": "m02", "msg": "hello\nworld", "num": 10, "code": "4625", "flag": false, "flagText": "false",
		"eventTime": "2024-12-31T23:59:59-02:00", "whenText": "2024-06-15T12:30:00Z", "a": "AliceSmith", "b": "ALICE",
		"requestParameters": map[string]any{"roleArn": nil, "durationSeconds": 900, "enabled": false},
		"userIdentity":      map[string]any{"type": "IAMUser", "userName": "bob"}},
	{"id": "m03", "msg": "line1\nfoo bar", "num": 4624, "code": "abc", "flagText": "yes", "eventTime": "not a time",
		"a": "x", "requestParameters": nil, "userIdentity": map[string]any{"type": "Root"}},
	{"id": "m04", "num": 1.5, "code": "10", "flag": nil, "eventTime": nil, "a": "Bob", "b": "Bobby",
		"requestParameters": map[string]any{"other": 1, "durationSeconds": "abc"}},
	{"id": "m05"},
}

type semCase struct {
	name  string
	table string
	where ir.Expr
	want  []string
}

func semanticCases() []semCase {
	s := fld("s")
	ip := fld("ip")
	msg := fld("msg")
	cidr := func(f ir.Field, prefixes ...string) ir.Expr {
		c := ir.CIDR{Field: f}
		for _, p := range prefixes {
			c.Prefixes = append(c.Prefixes, netip.MustParsePrefix(p))
		}
		return c
	}
	re := func(p string, flags string) ir.Expr {
		r := ir.Regex{Field: msg, Pattern: p}
		for _, f := range flags {
			switch f {
			case 'i':
				r.I = true
			case 'm':
				r.M = true
			case 's':
				r.S = true
			}
		}
		return r
	}
	reS := func(p string, i bool) ir.Expr { return ir.Regex{Field: s, Pattern: p, I: i} }
	eventTime := typed(ir.Timestamp, "eventTime")
	tm := func(f ir.Field, part ir.TimePart, op ir.Op, v int64) ir.Expr {
		return ir.Time{Field: f, Part: part, Op: op, Value: v}
	}
	a, b := fld("a"), fld("b")
	ref := func(x, y ir.Field, shape ir.Shape, cased bool) ir.Expr {
		return ir.FieldRef{Field: x, Other: y, Shape: shape, Cased: cased}
	}
	numCol := typed(ir.Number, "num")
	code := fld("code")
	duration := jsonf("requestParameters", "durationSeconds")
	duration.Column.Type = ir.Number
	jsonBool := jsonf("requestParameters", "enabled")
	jsonBool.Column.Type = ir.Bool
	allS := idRange("s", 1, 17)
	allI := idRange("i", 1, 39)
	allM := idRange("m", 1, 5)
	v4 := idList("i", 1, 2, 3, 4, 5, 6, 7, 8, 34, 35, 38, 39)
	v6 := idList("i", 17, 18, 19, 22, 23, 26, 27, 32)
	return []semCase{
		// literal %, _, ', \ and wildcards
		{"eq percent", "strings", ci(s, "100%"), idList("s", 1)},
		{"contains percent", "strings", ci(s, star, "%", star), idList("s", 1)},
		{"glob percent", "strings", ci(s, "10", one, "%"), idList("s", 1)},
		{"eq underscore", "strings", ci(s, "a_b"), idList("s", 3)},
		{"glob underscore", "strings", ci(s, "a_", one), idList("s", 3)},
		{"prefix underscore", "strings", ci(s, "a_", star), idList("s", 3)},
		{"eq quote", "strings", ci(s, "it's"), idList("s", 5)},
		{"glob quote", "strings", ci(s, "it'", one), idList("s", 5)},
		{"prefix backslash", "strings", ci(s, `C:\Windows\`, star), idList("s", 6)},
		{"glob backslash", "strings", ci(s, `c:\`, one, `indows\`, star), idList("s", 6)},
		{"suffix backslash", "strings", ci(s, star, `\x`), idList("s", 6)},
		{"eq backslash folded", "strings", ci(s, `c:\windows\x`), idList("s", 6)},
		{"literal star", "strings", ci(s, "a*b"), idList("s", 7)},
		{"literal star glob", "strings", ci(s, "a*", one), idList("s", 7)},
		{"literal question mark", "strings", ci(s, "a?b"), idList("s", 8)},
		{"contains literal star", "strings", ci(s, star, "*", star), idList("s", 7)},
		{"star wildcard", "strings", ci(s, "a", star, "b"), idList("s", 3, 4, 7, 8, 9)},
		{"one wildcard", "strings", ci(s, "a", one, "b"), idList("s", 3, 4, 7, 8, 9)},
		{"cased eq", "strings", cs(s, "axb"), idList("s", 4)},
		{"folded eq", "strings", ci(s, "axb"), idList("s", 4, 9)},
		{"cased glob", "strings", cs(s, "a", one, "b"), idList("s", 3, 4, 7, 8, 9)},
		{"cased glob upper", "strings", cs(s, "a", "X", star), idList("s", 9)},
		// Unicode case folding
		{"fold É", "strings", ci(s, "café"), idList("s", 10)},
		{"fold É literal upper", "strings", ci(s, "CAFÉ"), idList("s", 10)},
		{"cased é", "strings", cs(s, "café"), []string{}},
		{"cased É", "strings", cs(s, "CAFÉ"), idList("s", 10)},
		{"fold Σ", "strings", ci(s, "σοφια"), idList("s", 11)},
		{"fold Φ contains", "strings", ci(s, star, "Φ", star), idList("s", 11)},
		{"fold ß", "strings", ci(s, "STRAßE"), idList("s", 12)},
		{"ß is not ss", "strings", ci(s, "strasse"), idList("s", 13)},
		{"one over multi-byte", "strings", ci(s, "日", one), idList("s", 14)},
		{"one one over multi-byte", "strings", ci(s, one, one), idList("s", 14)},
		{"one before multi-byte", "strings", ci(s, one, "本"), idList("s", 14)},
		// absent, null, empty
		{"not over absent and null", "strings", not(ci(s, "100%")), idRange("s", 2, 17)},
		{"not not", "strings", not(not(ci(s, "100%"))), idList("s", 1)},
		{"not or", "strings", not(ir.Or{Args: []ir.Expr{ci(s, "100%"), ci(s, "a_b")}}), idRange("s", 2, 17, 3)},
		{"not and", "strings", not(ir.And{Args: []ir.Expr{ci(s, "a", star), ci(s, star, "b")}}), idRange("s", 1, 17, 3, 4, 7, 8, 9)},
		{"is null", "strings", ir.IsNull{Field: s}, idList("s", 15, 16)},
		{"not is null", "strings", not(ir.IsNull{Field: s}), idRange("s", 1, 17, 15, 16)},
		{"any", "strings", ci(s, star), idRange("s", 1, 17, 15, 16)},
		{"not any", "strings", not(ci(s, star)), idList("s", 15, 16)},
		{"empty string", "strings", ci(s, ""), idList("s", 17)},
		{"and of none", "strings", ir.And{}, allS},
		{"or of none", "strings", ir.Or{}, []string{}},
		{"true", "strings", ir.Const{Value: true}, allS},
		{"not false", "strings", not(ir.Const{Value: false}), allS},
		// regex
		{"regex percent", "strings", reS("%", false), idList("s", 1)},
		{"regex backslash", "strings", reS(`\\W`, false), idList("s", 6)},
		{"regex dot", "strings", reS(`^a.b$`, false), idList("s", 3, 4, 7, 8, 9)},
		{"regex case-sensitive", "strings", reS(`straße`, false), []string{}},
		{"regex i", "strings", reS(`straße`, true), idList("s", 12)},
		{"regex i ss", "strings", reS(`^strasse$`, true), idList("s", 13)},
		{"regex unanchored", "misc", re("World", ""), idList("m", 1)},
		{"regex unanchored middle", "misc", re("o W", ""), idList("m", 1)},
		{"regex anchored", "misc", re("^World", ""), []string{}},
		{"regex second line", "misc", re("foo", ""), idList("m", 3)},
		{"regex flag i", "misc", re("world", "i"), idList("m", 1, 2)},
		{"regex no m", "misc", re("^world$", ""), []string{}},
		{"regex flag m", "misc", re("^world$", "m"), idList("m", 2)},
		{"regex no s", "misc", re("hello.world", ""), []string{}},
		{"regex flag s", "misc", re("hello.world", "s"), idList("m", 2)},
		{"regex flags is", "misc", re("HELLO.WORLD", "is"), idList("m", 1, 2)},
		{"regex flags ims", "misc", re("^WORLD$", "ims"), idList("m", 2)},
		{"not regex", "misc", not(re("World", "")), idList("m", 2, 3, 4, 5)},
		// CIDR
		{"cidr v4 /8", "ips", cidr(ip, "10.0.0.0/8"), idList("i", 1, 2, 4)},
		{"cidr zero-padded", "ips", cidr(ip, "75.50.255.0/24"), idList("i", 3)},
		{"cidr v4 /12", "ips", cidr(ip, "172.16.0.0/12"), idList("i", 6, 7, 38, 39)},
		{"cidr v4 /20", "ips", cidr(ip, "172.16.0.0/20"), idList("i", 6, 38)},
		{"cidr v4 /32", "ips", cidr(ip, "10.1.2.3/32"), idList("i", 1, 2)},
		{"cidr host bits set", "ips", cidr(ip, "10.1.2.3/8"), idList("i", 1, 2, 4)},
		{"cidr v4 /0", "ips", cidr(ip, "0.0.0.0/0"), v4},
		{"cidr v6 /32", "ips", cidr(ip, "2001:db8::/32"), idList("i", 17, 18, 26, 27)},
		{"cidr v6 /33", "ips", cidr(ip, "2001:db8::/33"), idList("i", 17, 18, 26)},
		{"cidr v6 /128 loopback", "ips", cidr(ip, "::1/128"), idList("i", 22)},
		{"cidr v6 trailing ::", "ips", cidr(ip, "1:2:3:4:5:6:7:0/128"), idList("i", 32)},
		{"cidr v6 /0", "ips", cidr(ip, "::/0"), v6},
		{"cidr v4 and v6", "ips", cidr(ip, "10.0.0.0/8", "2001:db8::/32"), idList("i", 1, 2, 4, 17, 18, 26, 27)},
		{"cidr two v4", "ips", cidr(ip, "10.0.0.0/8", "172.16.0.0/20"), idList("i", 1, 2, 4, 6, 38)},
		{"not cidr", "ips", not(cidr(ip, "10.0.0.0/8")), idRange("i", 1, 39, 1, 2, 4)},
		{"cidr none", "ips", cidr(ip), []string{}},
		{"not cidr none", "ips", not(cidr(ip)), allI},
		// numbers
		{"number gt", "misc", num(numCol, ir.Gt, "5"), idList("m", 2, 3)},
		{"number gte", "misc", num(numCol, ir.Gte, "5"), idList("m", 1, 2, 3)},
		{"number eq", "misc", num(numCol, ir.Eq, "4624"), idList("m", 3)},
		{"number lt", "misc", num(numCol, ir.Lt, "5"), idList("m", 4)},
		{"number lte fraction", "misc", num(numCol, ir.Lte, "1.5"), idList("m", 4)},
		{"not number gt", "misc", not(num(numCol, ir.Gt, "5")), idList("m", 1, 4, 5)},
		{"number eq on text", "misc", num(code, ir.Eq, "4624"), idList("m", 1)},
		{"number gt on text", "misc", num(code, ir.Gt, "100"), idList("m", 1, 2)},
		{"number lt on text", "misc", num(code, ir.Lt, "100"), idList("m", 4)},
		{"not number gt on text", "misc", not(num(code, ir.Gt, "100")), idList("m", 3, 4, 5)},
		{"number in json", "misc", num(duration, ir.Gt, "1000"), idList("m", 1)},
		{"number eq in json", "misc", num(duration, ir.Eq, "900"), idList("m", 2)},
		{"number in json text", "misc", num(jsonf("requestParameters", "durationSeconds"), ir.Gt, "1000"), idList("m", 1)},
		{"json number is null", "misc", ir.IsNull{Field: duration}, idList("m", 3, 5)},
		{"json number any", "misc", ci(duration, star), idList("m", 1, 2, 4)},
		{"json bool", "misc", ir.BoolEq{Field: jsonBool, Value: true}, idList("m", 1)},
		{"json bool false", "misc", ir.BoolEq{Field: jsonBool, Value: false}, idList("m", 2)},
		{"match on number column", "misc", ci(numCol, "46", star), idList("m", 3)},
		// booleans
		{"bool true", "misc", ir.BoolEq{Field: typed(ir.Bool, "flag"), Value: true}, idList("m", 1)},
		{"bool false", "misc", ir.BoolEq{Field: typed(ir.Bool, "flag"), Value: false}, idList("m", 2)},
		{"not bool true", "misc", not(ir.BoolEq{Field: typed(ir.Bool, "flag"), Value: true}), idList("m", 2, 3, 4, 5)},
		{"bool on text", "misc", ir.BoolEq{Field: fld("flagText"), Value: true}, idList("m", 1)},
		{"bool false on text", "misc", ir.BoolEq{Field: fld("flagText"), Value: false}, idList("m", 2)},
		// time parts
		{"hour", "misc", tm(eventTime, ir.Hour, ir.Eq, 8), idList("m", 1)},
		{"hour in utc", "misc", tm(eventTime, ir.Hour, ir.Eq, 1), idList("m", 2)},
		{"minute", "misc", tm(eventTime, ir.Minute, ir.Eq, 43), idList("m", 1)},
		{"minute gte", "misc", tm(eventTime, ir.Minute, ir.Gte, 50), idList("m", 2)},
		{"day", "misc", tm(eventTime, ir.Day, ir.Eq, 30), idList("m", 1)},
		{"week", "misc", tm(eventTime, ir.Week, ir.Eq, 48), idList("m", 1)},
		{"iso week 1", "misc", tm(eventTime, ir.Week, ir.Eq, 1), idList("m", 2)},
		{"month", "misc", tm(eventTime, ir.Month, ir.Eq, 11), idList("m", 1)},
		{"year", "misc", tm(eventTime, ir.Year, ir.Eq, 2025), idList("m", 2)},
		{"year lt", "misc", tm(eventTime, ir.Year, ir.Lt, 2025), idList("m", 1)},
		{"not hour", "misc", not(tm(eventTime, ir.Hour, ir.Eq, 8)), idList("m", 2, 3, 4, 5)},
		{"hour of text", "misc", tm(fld("whenText"), ir.Hour, ir.Eq, 12), idList("m", 2)},
		{"minute of text", "misc", tm(fld("whenText"), ir.Minute, ir.Eq, 30), idList("m", 2)},
		// field references
		{"fieldref eq", "misc", ref(a, b, ir.ShapeEq, false), idList("m", 1)},
		{"fieldref eq cased", "misc", ref(a, b, ir.ShapeEq, true), []string{}},
		{"fieldref prefix", "misc", ref(a, b, ir.ShapePrefix, false), idList("m", 1, 2)},
		{"fieldref prefix reversed", "misc", ref(b, a, ir.ShapePrefix, false), idList("m", 1, 4)},
		{"fieldref suffix", "misc", ref(a, b, ir.ShapeSuffix, false), idList("m", 1)},
		{"fieldref contains", "misc", ref(a, b, ir.ShapeContains, false), idList("m", 1, 2)},
		{"fieldref contains cased", "misc", ref(a, b, ir.ShapeContains, true), []string{}},
		{"not fieldref", "misc", not(ref(a, b, ir.ShapeEq, false)), idList("m", 2, 3, 4, 5)},
		// JSON text
		{"json suffix", "misc", ci(jsonf("requestParameters", "roleArn"), star, "/admin"), idList("m", 1)},
		{"json null or absent", "misc", ir.IsNull{Field: jsonf("requestParameters", "roleArn")}, idList("m", 2, 3, 4, 5)},
		{"json dotted key", "misc", ci(jsonf("requestParameters", "a.b", "c d"), "v"), idList("m", 1)},
		{"json quoted key", "misc", ci(jsonf("requestParameters", `quote"key`), "q"), idList("m", 1)},
		{"json nested", "misc", ci(jsonf("requestParameters", "nested", "deep", "x"), "y"), idList("m", 1)},
		{"json object as text", "misc", ci(jsonf("requestParameters", "nested"), star, `"deep"`, star), idList("m", 1)},
		{"json percent", "misc", ci(jsonf("requestParameters", "pct"), star, "%"), idList("m", 1)},
		{"not json", "misc", not(ci(jsonf("requestParameters", "roleArn"), star, "/admin")), idList("m", 2, 3, 4, 5)},
		// struct paths
		{"struct field", "misc", ci(fld("userIdentity", "type"), "assumedrole"), idList("m", 1)},
		{"struct field other case", "misc", ci(fld("USERIDENTITY", "Type"), "assumedrole"), idList("m", 1)},
		{"struct deep", "misc", ci(fld("userIdentity", "sessionContext", "sessionIssuer", "arn"), star, "/admin"), idList("m", 1)},
		{"struct sparse field", "misc", ci(fld("userIdentity", "userName"), "bob"), idList("m", 2)},
		{"not struct", "misc", not(ci(fld("userIdentity", "type"), "root")), idList("m", 1, 2, 4, 5)},
		// columns and fields no file has
		{"missing column", "misc", ci(fld("errorCode"), "x"), []string{}},
		{"missing column is null", "misc", ir.IsNull{Field: fld("errorCode")}, allM},
		{"not missing column", "misc", not(ci(fld("errorCode"), "x")), allM},
		{"missing struct field", "misc", ir.IsNull{Field: fld("userIdentity", "sessionContext", "sessionIssuer", "principalId")}, allM},
		{"missing struct branch", "misc", ci(fld("userIdentity", "webIdFederationData", "federatedProvider"), star), []string{}},
		{"missing number column", "misc", num(typed(ir.Number, "count"), ir.Gt, "1"), []string{}},
	}
}

// TestSemantics compiles each condition with the DuckDB dialect (and with
// a variant that has only LIKE for prefix, suffix and contains), runs it
// and checks which events match.
func TestSemantics(t *testing.T) {
	ctx := context.Background()
	e := openEngine(t)
	dir := t.TempDir()
	cases := semanticCases()
	var where []ir.Expr
	for _, c := range cases {
		where = append(where, c.where)
	}
	declared := sql.Columns(ir.And{Args: where})
	for table, events := range map[string][]map[string]any{"strings": stringEvents, "ips": ipEvents, "misc": miscEvents} {
		path := filepath.Join(dir, table+".jsonl")
		writeJSONL(t, path, events)
		opts := duckdb.Options{JSONText: []string{"requestParameters"}}
		if table == "misc" {
			opts.Columns = declared
		}
		if err := e.Register(ctx, table, []string{path}, opts); err != nil {
			t.Fatal(err)
		}
	}
	dialects := map[string]sql.Dialect{"duckdb": duckdb.Dialect(), "like-only": likeOnly()}
	for _, c := range cases {
		for dn, d := range dialects {
			t.Run(dn+"/"+c.name, func(t *testing.T) {
				q := compile(t, d, c.table, c.where)
				if diff := cmp.Diff(c.want, ids(t, e, q)); diff != "" {
					t.Errorf("%s\n%s\nmatched ids (-want +got):\n%s", ir.Flat(c.where), q, diff)
				}
			})
		}
	}
}
