package bigquery_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/tokenhunt/tokenhunt/backends/bigquery"
	"github.com/tokenhunt/tokenhunt/compiler/ir"
)

func TestQuoting(t *testing.T) {
	d := bigquery.Dialect()
	tests := []struct {
		name string
		f    func(string) string
		in   string
		want string
	}{
		{"string", d.QuoteString, "plain", `'plain'`},
		{"string quote", d.QuoteString, "it's", `'it\'s'`},
		{"string backslash", d.QuoteString, `C:\Windows\`, `'C:\\Windows\\'`},
		{"string double quote", d.QuoteString, `say "hi"`, `'say "hi"'`},
		{"string newline", d.QuoteString, "a\nb\r\tc", `'a\nb\r\tc'`},
		{"string control", d.QuoteString, "a\x01\x7fb", `'a\x01\x7fb'`},
		{"string unicode", d.QuoteString, "école 日本", `'école 日本'`},
		{"ident", d.QuoteIdent, "eventName", "`eventName`"},
		{"ident backtick", d.QuoteIdent, "a`b", "`a\\`b`"},
		{"table", d.Table, "cloudtrail", "`cloudtrail`"},
		{"table qualified", d.Table, "my-project.audit.cloudaudit_googleapis_com_activity", "`my-project`.`audit`.`cloudaudit_googleapis_com_activity`"},
		{"regex raw", d.QuoteRegex, `^a\.b\\$`, `r'^a\.b\\$'`},
		{"regex with quote", d.QuoteRegex, `it's\.`, `'it\'s\\.'`},
		{"regex with newline", d.QuoteRegex, "a\nb", `'a\nb'`},
		{"regex odd trailing backslashes", d.QuoteRegex, `a\\\`, `'a\\\\\\'`},
	}
	for _, tt := range tests {
		if got := tt.f(tt.in); got != tt.want {
			t.Errorf("%s: %q -> %s, want %s", tt.name, tt.in, got, tt.want)
		}
	}
}

func TestJSONExtract(t *testing.T) {
	d := bigquery.Dialect()
	got := d.JSONExtract("`requestParameters`", []string{"policy.name", `say "x"`})
	want := `COALESCE(SAFE.JSON_VALUE(` + "`requestParameters`" + `, '$."policy.name"."say \\"x\\""'), SAFE.JSON_QUERY(` + "`requestParameters`" + `, '$."policy.name"."say \\"x\\""'))`
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestTimePart(t *testing.T) {
	d := bigquery.Dialect()
	for _, tt := range []struct {
		part  ir.TimePart
		typed bool
		want  string
	}{
		{ir.Hour, true, "EXTRACT(HOUR FROM `ts` AT TIME ZONE 'UTC')"},
		{ir.Week, true, "EXTRACT(ISOWEEK FROM `ts` AT TIME ZONE 'UTC')"},
		{ir.Year, false, "EXTRACT(YEAR FROM SAFE_CAST(`ts` AS TIMESTAMP) AT TIME ZONE 'UTC')"},
	} {
		if got := d.TimePart(tt.part, "`ts`", tt.typed); got != tt.want {
			t.Errorf("%s typed=%v: got %s, want %s", tt.part, tt.typed, got, tt.want)
		}
	}
}

func rule(where ir.Expr) *ir.Rule {
	return &ir.Rule{ID: "r1", Title: "t", Table: "audit.activity", Pos: ir.Pos{File: "r.yml", Line: 1, Col: 1}, Where: where}
}

func TestCompile(t *testing.T) {
	col := func(path ...string) ir.Field {
		return ir.Field{Name: strings.Join(path, "."), Column: &ir.Column{Path: path, Type: ir.String}, Pos: ir.Pos{File: "r.yml", Line: 5, Col: 7}}
	}
	jsonField := func(keys ...string) ir.Field {
		return ir.Field{Name: "requestParameters." + strings.Join(keys, "."), Column: &ir.Column{Path: []string{"requestParameters"}, JSON: keys}, Pos: ir.Pos{File: "r.yml", Line: 6, Col: 7}}
	}
	tests := []struct {
		name  string
		where ir.Expr
		want  string
	}{
		{"struct path, cased contains: the needle needs no escaping",
			ir.Match{Field: col("protopayload_auditlog", "methodName"), Pattern: ir.Pattern{{Kind: ir.Star}, {Kind: ir.Lit, Text: `50%_\Set`}, {Kind: ir.Star}}, Cased: true},
			"SELECT * FROM `audit`.`activity` WHERE (STRPOS(`protopayload_auditlog`.`methodName`, '50%_\\\\Set') > 0)"},
		{"glob: literal %, _ and backslash escaped for LIKE, no ESCAPE clause",
			ir.Match{Field: col("m"), Pattern: ir.Pattern{{Kind: ir.Lit, Text: `50%`}, {Kind: ir.One}, {Kind: ir.Lit, Text: `_\S`}, {Kind: ir.Star}}},
			"SELECT * FROM `audit`.`activity` WHERE LOWER(`m`) LIKE '50\\\\%_\\\\_\\\\\\\\s%'"},
		{"regex with flags",
			ir.Regex{Field: col("m"), Pattern: `^Set.*Policy$`, I: true, S: true},
			"SELECT * FROM `audit`.`activity` WHERE REGEXP_CONTAINS(`m`, r'(?is)^Set.*Policy$')"},
		{"an integer beyond INT64 is a FLOAT64 literal",
			ir.Or{Args: []ir.Expr{
				ir.Compare{Field: ir.Field{Name: "n", Column: &ir.Column{Path: []string{"n"}, Type: ir.Number}}, Op: ir.Gt, Value: ir.NumberValue{Text: "99999999999999999999", Float: 1e20}},
				ir.Compare{Field: ir.Field{Name: "n", Column: &ir.Column{Path: []string{"n"}, Type: ir.Number}}, Op: ir.Lt, Value: ir.NumberValue{Text: "-9223372036854775808", Float: -9223372036854775808}},
			}},
			"SELECT * FROM `audit`.`activity` WHERE `n` > 99999999999999999999.0 OR `n` < -9223372036854775808"},
		{"null under not",
			ir.Not{Arg: ir.Match{Field: jsonField("roleArn"), Pattern: ir.Literal("x")}},
			"SELECT * FROM `audit`.`activity` WHERE NOT COALESCE(LOWER(COALESCE(SAFE.JSON_VALUE(`requestParameters`, '$.\"roleArn\"'), SAFE.JSON_QUERY(`requestParameters`, '$.\"roleArn\"'))) = 'x', FALSE)"},
	}
	for _, tt := range tests {
		got, err := bigquery.New().Compile(rule(tt.where))
		if err != nil {
			t.Errorf("%s: %v", tt.name, err)
			continue
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tt.name, diff)
		}
	}
}

// A JSON key that a GoogleSQL JSONPath cannot spell is a positioned error
// naming the backend, not a query that reads another key.
func TestCompileUnspellableJSONKey(t *testing.T) {
	for _, key := range []string{`trailing\`, `a\"b`} {
		f := ir.Field{Name: "requestParameters.k", Column: &ir.Column{Path: []string{"requestParameters"}, JSON: []string{key}}, Pos: ir.Pos{File: "r.yml", Line: 9, Col: 5}}
		_, err := bigquery.New().Compile(rule(ir.Or{Args: []ir.Expr{ir.Const{Value: false}, ir.IsNull{Field: f}}}))
		var e *ir.Error
		if !errors.As(err, &e) {
			t.Errorf("key %q: want an *ir.Error, got %v", key, err)
			continue
		}
		if e.Pos != f.Pos || e.RuleID != "r1" || !strings.Contains(e.Msg, "bigquery") || !strings.Contains(e.Msg, "JSON key") {
			t.Errorf("key %q: error %v lacks the position, rule, backend or feature", key, e)
		}
	}
	// A backslash elsewhere is part of the key.
	f := ir.Field{Name: "k", Column: &ir.Column{Path: []string{"j"}, JSON: []string{`a\b`}}}
	if _, err := bigquery.New().Compile(rule(ir.IsNull{Field: f})); err != nil {
		t.Errorf("key a\\b: %v", err)
	}
}

func TestName(t *testing.T) {
	if got := bigquery.New().Name(); got != "bigquery" {
		t.Errorf("Name() = %q", got)
	}
}
