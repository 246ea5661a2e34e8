package sql_test

import (
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/tokenhunt/tokenhunt/backends/sql"
	"github.com/tokenhunt/tokenhunt/compiler/ir"
)

// other is a dialect unlike DuckDB's: back-quoted identifiers, no ESCAPE
// clause (backslash by default), no dedicated string functions, $1 in
// replacements. What it prints shows that the printer takes all of that
// from the Dialect.
func other() sql.Dialect {
	call := func(name string) func(...string) string {
		return func(args ...string) string { return name + "(" + strings.Join(args, ", ") + ")" }
	}
	one := func(name string) func(string) string { return func(x string) string { return call(name)(x) } }
	return sql.Dialect{
		Name:       "other",
		QuoteIdent: func(n string) string { return "`" + n + "`" },
		QuoteString: func(s string) string {
			return "'" + strings.ReplaceAll(strings.ReplaceAll(s, `\`, `\\`), "'", `\'`) + "'"
		},
		Table:            func(n string) string { return "`" + n + "`" },
		True:             "true",
		False:            "false",
		Lower:            one("LOWER"),
		CastString:       func(x string) string { return "CAST(" + x + " AS STRING)" },
		TryCastDouble:    func(x string) string { return "SAFE_CAST(" + x + " AS FLOAT64)" },
		LikeEscape:       '\\',
		RegexpMatches:    func(x, p string) string { return call("REGEXP_CONTAINS")(x, p) },
		RegexpReplaceAll: func(x, p, r string) string { return call("REGEXP_REPLACE")(x, p, r) },
		RegexpGroup1:     "$1",
		Length:           one("LENGTH"),
		Replace:          func(x, a, b string) string { return call("REPLACE")(x, a, b) },
		Substr:           func(x, s string) string { return call("SUBSTR")(x, s) },
		StructField:      func(x, n string) string { return x + ".`" + n + "`" },
		JSONExtract:      func(x string, keys []string) string { return call("JSON_VALUE")(x, "'$."+strings.Join(keys, ".")+"'") },
		TimePart: func(p ir.TimePart, x string, typed bool) string {
			return "EXTRACT(" + strings.ToUpper(p.String()) + " FROM " + x + ")"
		},
	}
}

func field(path ...string) ir.Field {
	return ir.Field{Name: strings.Join(path, "."), Column: &ir.Column{Path: path}}
}

func TestOtherDialect(t *testing.T) {
	star, one := ir.Part{Kind: ir.Star}, ir.Part{Kind: ir.One}
	lit := func(s string) ir.Part { return ir.Part{Kind: ir.Lit, Text: s} }
	tests := []struct {
		name  string
		where ir.Expr
		want  string
	}{
		{"prefix by LIKE", ir.Match{Field: field("a", "b"), Pattern: ir.Pattern{lit(`50%_\`), star}},
			"LOWER(`a`.`b`) LIKE '50\\\\%\\\\_\\\\\\\\%'"},
		{"glob", ir.Match{Field: field("a"), Pattern: ir.Pattern{lit("it's"), one}, Cased: true},
			"`a` LIKE 'it\\'s_'"},
		{"fieldref contains by LIKE", ir.FieldRef{Field: field("a"), Other: field("b"), Shape: ir.ShapeContains, Cased: true},
			"`a` LIKE '%' || REPLACE(REPLACE(REPLACE(`b`, '\\\\', '\\\\\\\\'), '%', '\\\\%'), '_', '\\\\_') || '%'"},
		{"not", ir.Not{Arg: ir.Regex{Field: field("a"), Pattern: "x", I: true}},
			"NOT COALESCE(REGEXP_CONTAINS(`a`, '(?i)x'), false)"},
		{"json number", ir.Compare{Field: ir.Field{Name: "d", Column: &ir.Column{Path: []string{"rp"}, JSON: []string{"d"}, Type: ir.Number}}, Op: ir.Gt, Value: ir.NumberValue{Text: "5", Float: 5}},
			"SAFE_CAST(JSON_VALUE(`rp`, '$.d') AS FLOAT64) > 5"},
		{"time", ir.Time{Field: field("t"), Part: ir.Hour, Op: ir.Eq, Value: 3}, "EXTRACT(HOUR FROM `t`) = 3"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := sql.Where(other(), &ir.Rule{ID: "r", Table: "t", Where: tc.where})
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
	cidr, err := sql.Where(other(), &ir.Rule{ID: "r", Table: "t", Where: ir.CIDR{Field: field("ip"), Prefixes: []netip.Prefix{netip.MustParsePrefix("::1/128")}}})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(cidr, "'$1'") || strings.Contains(cidr, `\1`) {
		t.Errorf("CIDR replacement does not use the dialect's group reference: %s", cidr)
	}
}

func TestColumns(t *testing.T) {
	a, b := field("a"), field("b", "c")
	j := ir.Field{Name: "j", Column: &ir.Column{Path: []string{"rp"}, JSON: []string{"k"}}}
	n := ir.Field{Name: "n", Column: &ir.Column{Path: []string{"a"}, Type: ir.Number}}
	where := ir.And{Args: []ir.Expr{
		ir.Match{Field: a, Pattern: ir.Literal("x")},
		ir.Or{Args: []ir.Expr{ir.Not{Arg: ir.IsNull{Field: j}}, ir.Keyword{Pattern: ir.Literal("k")}}},
		ir.FieldRef{Field: a, Other: b, Shape: ir.ShapeEq},
		ir.Compare{Field: n, Op: ir.Gt},
		ir.Regex{Field: ir.Field{Name: "unresolved"}, Pattern: "x"},
		ir.Time{Field: b},
	}}
	got := sql.Columns(where)
	want := []ir.Column{*a.Column, *j.Column, *b.Column, *n.Column}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// TestArrayIndexSegment: a column path segment that ir.ArrayIndex reads as
// an index goes through the dialect's ArrayIndex; a dialect without one
// makes it a positioned error naming the field, never a struct field "0".
func TestArrayIndexSegment(t *testing.T) {
	f := ir.Field{Name: "deleg", Column: &ir.Column{Path: []string{"a", "deleg", "0", "who", "01"}}, Pos: ir.Pos{File: "r.yml", Line: 4, Col: 3}}
	where := ir.IsNull{Field: f}
	d := other()
	d.ArrayIndex = func(x string, i int) string { return fmt.Sprintf("%s[OFFSET(%d)]", x, i) }
	got, err := sql.Where(d, &ir.Rule{ID: "r", Table: "t", Where: where})
	if err != nil {
		t.Fatal(err)
	}
	if want := "`a`.`deleg`[OFFSET(0)].`who`.`01` IS NULL"; got != want {
		t.Errorf("got %s, want %s", got, want)
	}
	_, err = sql.Where(other(), &ir.Rule{ID: "r", Table: "t", Where: where})
	var e *ir.Error
	if !errors.As(err, &e) || e.Pos != f.Pos || !strings.Contains(e.Msg, `field "deleg"`) || !strings.Contains(e.Msg, "cannot index an array") {
		t.Errorf("without ArrayIndex: got %v, want a positioned error on the field", err)
	}
}
