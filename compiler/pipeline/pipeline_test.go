package pipeline

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/tokenhunt/tokenhunt/compiler/ir"
)

func mustParse(t *testing.T, name, text string) *Pipeline {
	t.Helper()
	p, err := Parse(name, []byte(text))
	if err != nil {
		t.Fatalf("Parse(%s): %v", name, err)
	}
	return p
}

func builtin(t *testing.T, name string) *Pipeline {
	t.Helper()
	p, err := Resolve(name)
	if err != nil {
		t.Fatalf("Resolve(%q): %v", name, err)
	}
	return p
}

var cloudtrailLS = ir.Logsource{Product: "aws", Service: "cloudtrail"}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name, text, want string
	}{
		{"bad yaml", "name: x\nlogsources: [\n", "p.yml:2: bad yaml: did not find expected node content"},
		{"not a mapping", "- a\n", "p.yml:1:1: a pipeline must be a mapping, not a list"},
		{"no name", "description: x\n", "p.yml:1:1: pipeline has no name (add name: to the pipeline)"},
		{"bad name", "name: 'a b'\n", "p.yml:1:7: bad pipeline name \"a b\" (use letters, digits, '.', '_' and '-')"},
		{"unknown top key", "name: x\ntables: y\n", "p.yml:2:1: unknown key \"tables\" in pipeline (known keys: name, description, priority, vars, logsources)"},
		{"bad priority", "name: x\npriority: high\n", "p.yml:2:11: priority must be an integer, not \"high\""},
		{"logsources not a list", "name: x\nlogsources: {product: aws}\n", "p.yml:2:13: logsources must be a list, not a mapping (write logsources as a list: - product: ...)"},
		{"unknown logsource key", "name: x\nlogsources:\n  - product: aws\n    index: y\n", "p.yml:4:5: unknown key \"index\" in logsources entry (known keys: product, category, service, table, keywords, json_columns, dynamic_columns, time, id, field_name_mapping, field_name_prefix_mapping, fields)"},
		{"keywords not a list", "name: x\nlogsources:\n  - keywords: {a: b}\n", "p.yml:3:15: keywords must be a list of text values, not a mapping"},
		{"unknown field key", "name: x\nlogsources:\n  - fields:\n      a: {colum: b}\n", "p.yml:4:11: unknown key \"colum\" in field a (known keys: column, json, key, type, unsupported)"},
		{"unknown type", "name: x\nlogsources:\n  - fields:\n      a: {type: integer32}\n", "p.yml:4:17: unknown type \"integer32\" (use string, number, bool or timestamp)"},
		{"column and json", "name: x\nlogsources:\n  - fields:\n      a: {column: b, json: c}\n", "p.yml:4:10: field \"a\" has both column and json (use column: for a struct path, json: for a JSON text column)"},
		{"key without json", "name: x\nlogsources:\n  - fields:\n      a: {key: b}\n", "p.yml:4:11: field \"a\" has key but no json (add json: naming the column that holds the JSON text)"},
		{"empty segment", "name: x\nlogsources:\n  - fields:\n      a: {column: b..c}\n", "p.yml:4:19: column has an empty segment (write a dotted path such as userIdentity.arn, or a list of segments)"},
		{"bad wildcard key", "name: x\nlogsources:\n  - fields:\n      a*b: {}\n", "p.yml:4:7: bad fields key \"a*b\" (write a field name, prefix.* or *)"},
		{"prefix without dot", "name: x\nlogsources:\n  - fields:\n      ab*: {}\n", "p.yml:4:7: bad fields key \"ab*\" (write a field name, prefix.* or *)"},
		{"duplicate field ignoring case", "name: x\nlogsources:\n  - fields:\n      eventName: {}\n      EventName: {}\n", "p.yml:5:7: duplicate field \"EventName\" in fields (field names are case-insensitive)"},
		{"duplicate rename ignoring case", "name: x\nlogsources:\n  - field_name_mapping:\n      src_ip: a\n      SRC_IP: b\n", "p.yml:5:7: duplicate field \"SRC_IP\" in field_name_mapping (field names are case-insensitive)"},
		{"rename to many", "name: x\nlogsources:\n  - field_name_mapping:\n      src_ip: [a, b]\n", "p.yml:4:15: field_name_mapping of \"src_ip\" to several fields is not supported (map the field to one source field)"},
		{"var not a list", "name: x\nvars:\n  a: {b: c}\n", "p.yml:3:6: var a must be a list of text values, not a mapping"},
		{"duplicate var", "name: x\nvars:\n  a: [1]\n  A: [2]\n", "p.yml:4:3: duplicate var \"A\" (names are case-insensitive)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("p.yml", []byte(tt.text))
			if err == nil {
				t.Fatalf("Parse: no error, want %q", tt.want)
			}
			var ie *ir.Error
			if !errors.As(err, &ie) {
				t.Errorf("error %T is not an *ir.Error", err)
			}
			if diff := cmp.Diff(tt.want, err.Error()); diff != "" {
				t.Errorf("error (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParse(t *testing.T) {
	p := mustParse(t, "p.yml", `
name: demo
description: a demo
priority: 5
vars:
  admin_roles: [Admin, 'OrganizationAccountAccessRole']
  one: single
logsources:
  - product: aws
    service: cloudtrail
    table: ct
    keywords: [eventName]
    json_columns: [requestParameters]
    field_name_mapping: {src_ip: sourceIPAddress}
    fields:
      eventTime: {type: timestamp}
      odd: {column: ["a.b", c], type: number}
      requestParameters.*: {json: requestParameters}
      x: {json: raw, key: detail.name}
`)
	want := &Pipeline{
		Name: "demo", Description: "a demo", Priority: 5, File: "p.yml",
		Vars: map[string][]string{"admin_roles": {"Admin", "OrganizationAccountAccessRole"}, "one": {"single"}},
		Logsources: []Logsource{{
			Product: "aws", Service: "cloudtrail", Table: "ct",
			Keywords: []string{"eventName"}, JSONColumns: []string{"requestParameters"},
			Renames: map[string]string{"src_ip": "sourceIPAddress"},
			Fields: []FieldSpec{
				{Name: "eventTime", Type: ir.Timestamp, Pos: ir.Pos{File: "p.yml", Line: 16, Col: 7}},
				{Name: "odd", Column: []string{"a.b", "c"}, Type: ir.Number, Pos: ir.Pos{File: "p.yml", Line: 17, Col: 7}},
				{Name: "requestParameters.*", JSON: []string{"requestParameters"}, Pos: ir.Pos{File: "p.yml", Line: 18, Col: 7}},
				{Name: "x", JSON: []string{"raw"}, Key: []string{"detail", "name"}, Pos: ir.Pos{File: "p.yml", Line: 19, Col: 7}},
			},
			Pos: ir.Pos{File: "p.yml", Line: 9, Col: 5},
		}},
	}
	if diff := cmp.Diff(want, p); diff != "" {
		t.Errorf("Parse (-want +got):\n%s", diff)
	}
}

// resolveAll applies the set to a rule that names each field once and
// returns how each field printed.
func resolveAll(t *testing.T, set Set, ls ir.Logsource, names []string) []string {
	t.Helper()
	var args []ir.Expr
	for _, n := range names {
		args = append(args, ir.IsNull{Field: ir.Field{Name: n}})
	}
	r, err := set.Apply(&ir.Rule{ID: "r1", Logsource: ls, Where: ir.And{Args: args}})
	if err != nil {
		t.Fatalf("Apply: %v", err)
	}
	var got []string
	for _, a := range r.Where.(ir.And).Args {
		got = append(got, ir.FieldString(a.(ir.IsNull).Field))
	}
	return got
}

func TestResolveCloudTrail(t *testing.T) {
	set := Set{builtin(t, "cloudtrail")}
	tests := []struct{ field, want string }{
		{"eventName", "eventName"},
		{"eventname", "eventname=eventName"}, // case-insensitive; the column as the pipeline spells it
		{"EVENTSOURCE", "EVENTSOURCE=eventSource"},
		{"eventTime", "eventTime:timestamp"},
		{"readOnly", "readOnly:bool"},
		{"managementEvent", "managementEvent:bool"},
		{"src_ip", "src_ip=sourceIPAddress"},
		{"userIdentity.type", "userIdentity.type"},
		{"useridentity.sessioncontext.sessionissuer.type", "useridentity.sessioncontext.sessionissuer.type=userIdentity.sessionContext.sessionIssuer.type"},
		{"userIdentity.sessionContext.attributes.creationDate", "userIdentity.sessionContext.attributes.creationDate:timestamp"},
		{"userIdentity.sessionContext.ec2RoleDelivery", "userIdentity.sessionContext.ec2RoleDelivery"},
		{"userIdentity.somethingNew", "userIdentity.somethingNew"}, // under the userIdentity.* prefix
		{"tlsDetails.tlsVersion", "tlsDetails.tlsVersion"},
		{"requestParameters.userName", "requestParameters.userName=requestParameters$userName"},
		{"requestParameters.containerDefinitions.command", "requestParameters.containerDefinitions.command=requestParameters$containerDefinitions.command"},
		{"RequestParameters.policyArn", "RequestParameters.policyArn=requestParameters$policyArn"}, // JSON keys keep the rule's spelling
		{"responseElements.ConsoleLogin", "responseElements.ConsoleLogin=responseElements$ConsoleLogin"},
		{"additionalEventData.MFAUsed", "additionalEventData.MFAUsed=additionalEventData$MFAUsed"},
		{"requestParameters", "requestParameters"}, // the whole JSON text
		{"src_country", "src_country:any"}, // not mapped: the default, type unknown
	}
	var names []string
	for _, tt := range tests {
		names = append(names, tt.field)
	}
	got := resolveAll(t, set, cloudtrailLS, names)
	for i, tt := range tests {
		if got[i] != tt.want {
			t.Errorf("field %s resolved to %s, want %s", tt.field, got[i], tt.want)
		}
	}
}

func TestResolveOrder(t *testing.T) {
	p := mustParse(t, "p.yml", `
name: order
logsources:
  - product: p
    json_columns: [raw]
    field_name_mapping:
      alias: a.b.c
      Renamed: plain
      toJSON: raw.deep.key
    fields:
      a.*: {column: A}
      a.b.*: {column: [AB, "x.y"], type: number}
      a.b.exact: {column: E}
      named: {column: other.path, type: number}
      plain: {type: bool}
      j.*: {json: payload, key: inner}
      jx: {json: payload}
      jk: {json: payload, key: k1.k2}
`)
	tests := []struct{ field, want string }{
		{"a.x", "a.x=A.x"},
		{"a.b.x.y", "a.b.x.y=AB.\"x.y\".x.y:number"}, // longest prefix wins
		{"a.b.exact", "a.b.exact=E"},                 // exact beats prefix
		{"A.B.EXACT", "A.B.EXACT=E"},
		{"alias", "alias=AB.\"x.y\".c:number"}, // rename, then the prefix entry
		{"renamed", "renamed=plain:bool"},
		{"toJSON", "toJSON=raw$deep.key"}, // a path into a json_columns column
		{"named", "named=other.path:number"},
		{"j.a.b", "j.a.b=payload$inner.a.b"},
		{"jx", "jx=payload$jx"},
		{"jk", "jk=payload$k1.k2"},
		{"a", "a:any"}, // "a.*" needs something after the dot
		{"raw.k", "raw.k=raw$k"},
		{"zzz.q", "zzz.q:any"},
	}
	var names []string
	for _, tt := range tests {
		names = append(names, tt.field)
	}
	got := resolveAll(t, Set{p}, ir.Logsource{Product: "p"}, names)
	for i, tt := range tests {
		if got[i] != tt.want {
			t.Errorf("field %s resolved to %s, want %s", tt.field, got[i], tt.want)
		}
	}
}

func TestResolveCatchAll(t *testing.T) {
	p := mustParse(t, "p.yml", `
name: all
logsources:
  - fields:
      a.*: {column: A}
      b: {}
      "*": {json: event}
`)
	got := resolveAll(t, Set{p}, ir.Logsource{Product: "p"}, []string{"a.x", "b", "a", "userIdentity.arn"})
	want := []string{"a.x=A.x", "b", "a=event$a", "userIdentity.arn=event$userIdentity.arn"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("fields (-want +got):\n%s", diff)
	}
}

func TestOverrideAndPriority(t *testing.T) {
	base := mustParse(t, "base.yml", `
name: base
priority: 10
vars: {v: [from-base]}
logsources:
  - product: aws
    table: base_table
    keywords: [k1]
    fields:
      f: {column: base_f}
      g: {column: base_g}
`)
	local := mustParse(t, "local.yml", `
name: local
priority: 20
vars: {V: [from-local]}
logsources:
  - product: aws
    service: cloudtrail
    table: local_table
    fields:
      F: {column: local_f, type: number}
`)
	low := mustParse(t, "low.yml", `
name: low
priority: 0
logsources:
  - table: low_table
    fields:
      g: {column: low_g}
      h: {column: low_h}
`)
	tests := []struct {
		name      string
		set       Set
		ls        ir.Logsource
		wantTable string
		wantField []string
		wantVar   string
	}{
		{"later overrides, unmatched entries skipped", Set{low, base, local}, cloudtrailLS, "local_table",
			[]string{"f=local_f:number", "g=base_g", "h=low_h"}, "from-local"},
		{"priority beats the order given", Set{local, base, low}, cloudtrailLS, "local_table",
			[]string{"f=local_f:number", "g=base_g", "h=low_h"}, "from-local"},
		{"entry for another service does not apply", Set{low, base, local}, ir.Logsource{Product: "aws", Service: "s3"}, "base_table",
			[]string{"f=base_f", "g=base_g", "h=low_h"}, "from-local"},
		{"log source values are case-insensitive", Set{base, local}, ir.Logsource{Product: "AWS", Service: "CloudTrail"}, "local_table",
			[]string{"f=local_f:number", "g=base_g", "h:any"}, "from-local"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := resolveAll(t, tt.set, tt.ls, []string{"f", "g", "h"})
			if diff := cmp.Diff(tt.wantField, got); diff != "" {
				t.Errorf("fields (-want +got):\n%s", diff)
			}
			if src := tt.set.Source(tt.ls); src.Table != tt.wantTable {
				t.Errorf("table %q, want %q", src.Table, tt.wantTable)
			}
			if v, ok := tt.set.Var("%v%"); !ok || len(v) != 1 || v[0] != tt.wantVar {
				t.Errorf("Var(%%v%%) = %v, %t; want [%s]", v, ok, tt.wantVar)
			}
		})
	}
	if _, ok := (Set{base}).Var("missing"); ok {
		t.Errorf("Var(missing) found a value")
	}
}

func TestDefaultTable(t *testing.T) {
	tests := []struct {
		ls   ir.Logsource
		want string
	}{
		{ir.Logsource{Product: "aws", Service: "cloudtrail"}, "aws_cloudtrail"},
		{ir.Logsource{Product: "windows", Category: "process_creation"}, "windows_process_creation"},
		{ir.Logsource{Product: "azure", Category: "x", Service: "signinlogs"}, "azure_x_signinlogs"},
		{ir.Logsource{Category: "proxy"}, "proxy"},
	}
	for _, tt := range tests {
		r, err := Set{}.Apply(&ir.Rule{ID: "r", Logsource: tt.ls, Where: ir.Const{Value: true}})
		if err != nil {
			t.Fatalf("Apply(%v): %v", tt.ls, err)
		}
		if r.Table != tt.want {
			t.Errorf("table of %v = %q, want %q", tt.ls, r.Table, tt.want)
		}
	}
	_, err := Set{}.Apply(&ir.Rule{ID: "r", Pos: ir.Pos{File: "r.yml", Line: 1}, Where: ir.Const{Value: true}})
	want := "r.yml:1: rule r: rule has no table: its log source names no product, category or service (set the rule's logsource, or add a pipeline logsources entry with a table)"
	if err == nil || err.Error() != want {
		t.Errorf("Apply without log source: %v, want %s", err, want)
	}
}

func kw(text string, cased bool, line int) ir.Keyword {
	return ir.Keyword{Pattern: ir.Literal(text), Cased: cased, Pos: ir.Pos{File: "r.yml", Line: line, Col: 7}}
}

func TestKeywords(t *testing.T) {
	ct := builtin(t, "cloudtrail")
	rule := &ir.Rule{ID: "kw", Logsource: cloudtrailLS, Where: ir.And{Args: []ir.Expr{
		ir.Or{Args: []ir.Expr{kw("GetSecretValue", false, 5), ir.Keyword{Pattern: ir.Pattern{{Kind: ir.Star}, {Kind: ir.Lit, Text: "a%b"}, {Kind: ir.One}}, Cased: true}}},
		ir.Not{Arg: kw("x", false, 6)},
	}}}
	got, err := Set{ct}.Apply(rule)
	if err != nil {
		t.Fatalf("Apply: %v", err)
	}
	want := `(and
  (or
    (or (contains ci eventName "GetSecretValue") (contains ci eventSource "GetSecretValue") (contains ci userAgent "GetSecretValue") (contains ci errorCode "GetSecretValue") (contains ci errorMessage "GetSecretValue"))
    (or (glob cs eventName [* "a%b" ? *]) (glob cs eventSource [* "a%b" ? *]) (glob cs userAgent [* "a%b" ? *]) (glob cs errorCode [* "a%b" ? *]) (glob cs errorMessage [* "a%b" ? *])))
  (not (or (contains ci eventName "x") (contains ci eventSource "x") (contains ci userAgent "x") (contains ci errorCode "x") (contains ci errorMessage "x"))))`
	if diff := cmp.Diff(want, ir.Format(got.Where, 220)); diff != "" {
		t.Errorf("Apply (-want +got):\n%s", diff)
	}
	// The keyword's own position is kept on the fields it became.
	m := got.Where.(ir.And).Args[1].(ir.Not).Arg.(ir.Or).Args[0].(ir.Match)
	if m.Field.Pos.Line != 6 {
		t.Errorf("keyword field position %v, want line 6", m.Field.Pos)
	}

	// Keyword columns are fields: renames and JSON columns apply to them.
	p := mustParse(t, "p.yml", "name: p\nlogsources:\n  - product: x\n    json_columns: [raw]\n    keywords: [raw, raw.msg]\n")
	got, err = Set{p}.Apply(&ir.Rule{ID: "kw", Logsource: ir.Logsource{Product: "x"}, Where: kw("boom", false, 3)})
	if err != nil {
		t.Fatalf("Apply: %v", err)
	}
	if diff := cmp.Diff(`(or (contains ci raw "boom") (contains ci raw.msg=raw$msg "boom"))`, ir.Flat(got.Where)); diff != "" {
		t.Errorf("Apply (-want +got):\n%s", diff)
	}
}

func TestKeywordErrors(t *testing.T) {
	clear := mustParse(t, "clear.yml", "name: clear\nlogsources:\n  - product: aws\n    keywords: []\n")
	tests := []struct {
		name string
		set  Set
		ls   ir.Logsource
	}{
		{"no pipeline", Set{}, ir.Logsource{Product: "windows", Category: "process_creation"}},
		{"pipeline for another source", Set{builtin(t, "cloudtrail")}, ir.Logsource{Product: "windows", Category: "process_creation"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tt.set.Apply(&ir.Rule{ID: "r9", Logsource: tt.ls, Where: ir.And{Args: []ir.Expr{kw("mimikatz", false, 12), kw("other", false, 13)}}})
			want := `r.yml:12:7: rule r9: keyword search "mimikatz", but no pipeline names keyword columns for log source product=windows category=process_creation (add keywords: [column, ...] to a pipeline's logsources entry for this log source, or search a named field)`
			if err == nil || err.Error() != want {
				t.Errorf("Apply: %v\nwant %s", err, want)
			}
			var ie *ir.Error
			if !errors.As(err, &ie) || ie.Pos.Line != 12 {
				t.Errorf("error is not an *ir.Error at line 12: %#v", err)
			}
		})
	}
	// A later pipeline's empty keyword list clears the earlier one.
	_, err := Set{builtin(t, "cloudtrail"), clear}.Apply(&ir.Rule{ID: "r", Logsource: cloudtrailLS, Where: kw("x", false, 1)})
	if err == nil || !strings.Contains(err.Error(), "no pipeline names keyword columns for log source product=aws service=cloudtrail") {
		t.Errorf("Apply with cleared keywords: %v", err)
	}
}

func TestApplyDoesNotMutate(t *testing.T) {
	set := Set{builtin(t, "cloudtrail")}
	where := ir.And{Args: []ir.Expr{
		ir.Match{Field: ir.Field{Name: "eventName"}, Pattern: ir.Literal("x")},
		ir.Not{Arg: ir.FieldRef{Field: ir.Field{Name: "userIdentity.arn"}, Other: ir.Field{Name: "requestParameters.userName"}, Shape: ir.ShapeSuffix}},
		ir.Or{Args: []ir.Expr{
			ir.Regex{Field: ir.Field{Name: "userAgent"}, Pattern: "x"},
			ir.Compare{Field: ir.Field{Name: "n"}, Op: ir.Gt, Value: ir.NumberValue{Text: "1", Float: 1}},
			ir.BoolEq{Field: ir.Field{Name: "readOnly"}, Value: true},
			ir.CIDR{Field: ir.Field{Name: "src_ip"}},
			ir.Time{Field: ir.Field{Name: "eventTime"}, Part: ir.Hour, Op: ir.Lt, Value: 6},
			ir.Const{Value: false},
		}},
	}}
	rule := &ir.Rule{ID: "m", Logsource: cloudtrailLS, Tags: []string{"attack.t1078"}, Where: where}
	before := ir.Flat(rule.Where)
	got, err := set.Apply(rule)
	if err != nil {
		t.Fatalf("Apply: %v", err)
	}
	if after := ir.Flat(rule.Where); after != before {
		t.Errorf("Apply changed its input:\nbefore %s\nafter  %s", before, after)
	}
	if rule.Table != "" {
		t.Errorf("Apply set the input's table")
	}
	want := `(and (eq ci eventName "x") (not (fieldref suffix ci userIdentity.arn requestParameters.userName=requestParameters$userName)) (or (re userAgent "x") (num gt n:any 1) (bool readOnly:bool true) (cidr src_ip=sourceIPAddress) (time hour lt eventTime:timestamp 6) false))`
	if diff := cmp.Diff(want, ir.Flat(got.Where)); diff != "" {
		t.Errorf("Apply (-want +got):\n%s", diff)
	}
	if got.Table != "cloudtrail" {
		t.Errorf("table %q, want cloudtrail", got.Table)
	}
	// A field a pipeline already placed stays where it is.
	again, err := Set{mustParse(t, "p.yml", "name: p\nlogsources:\n  - fields: {eventName: {column: other}}\n")}.Apply(got)
	if err != nil {
		t.Fatalf("Apply again: %v", err)
	}
	if s := ir.FieldString(again.Where.(ir.And).Args[0].(ir.Match).Field); s != "eventName" {
		t.Errorf("re-applied field %s, want eventName", s)
	}
}

func TestSource(t *testing.T) {
	src := Set{builtin(t, "cloudtrail")}.Source(cloudtrailLS)
	if src.Table != "cloudtrail" {
		t.Errorf("table %q", src.Table)
	}
	if diff := cmp.Diff([]string{"eventName", "eventSource", "userAgent", "errorCode", "errorMessage"}, src.Keywords); diff != "" {
		t.Errorf("keywords (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"requestParameters", "responseElements", "additionalEventData", "serviceEventDetails", "resources"}, src.JSONColumns); diff != "" {
		t.Errorf("json columns (-want +got):\n%s", diff)
	}
	for col, want := range map[string]ir.Type{
		"eventTime": ir.Timestamp, "readOnly": ir.Bool, "managementEvent": ir.Bool, "eventName": ir.String,
		"userIdentity.sessionContext.sessionIssuer.arn": ir.String, "userIdentity.sessionContext.attributes.creationDate": ir.Timestamp,
	} {
		if got, ok := src.Columns[col]; !ok || got != want {
			t.Errorf("column %s: %v, %t; want %v", col, got, ok, want)
		}
	}
	for col := range src.Columns {
		if strings.HasPrefix(strings.ToLower(col), "requestparameters") {
			t.Errorf("JSON content %s listed as a column", col)
		}
	}

	p := mustParse(t, "p.yml", "name: p\nlogsources:\n  - json_columns: [a]\n    fields:\n      x: {json: b, key: k}\n      y.*: {json: A}\n      a: {}\n      n: {type: number}\n")
	src = Set{p}.Source(ir.Logsource{Product: "q"})
	want := Source{Table: "q", JSONColumns: []string{"a", "b"}, Columns: map[string]ir.Type{"n": ir.Number}}
	if diff := cmp.Diff(want, src); diff != "" {
		t.Errorf("Source (-want +got):\n%s", diff)
	}
}

func TestBuiltinAndResolve(t *testing.T) {
	names := Builtin()
	if len(names) == 0 || !contains(names, "cloudtrail") {
		t.Fatalf("Builtin() = %v, want cloudtrail among them", names)
	}
	for _, n := range names {
		if _, err := Resolve(n); err != nil {
			t.Errorf("shipped pipeline %s: %v", n, err)
		}
	}
	for _, n := range []string{"cloudtrail", "CloudTrail", "cloudtrail-duckdb"} {
		if p, err := Resolve(n); err != nil || p.Name != "cloudtrail" || p.File != "builtin/cloudtrail-duckdb.yml" {
			t.Errorf("Resolve(%q) = %v, %v", n, p, err)
		}
	}

	dir := t.TempDir()
	path := filepath.Join(dir, "mine.yml")
	if err := os.WriteFile(path, []byte("name: mine\nlogsources:\n  - product: aws\n    table: t\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if p, err := Resolve(path); err != nil || p.Name != "mine" || p.File != path {
		t.Errorf("Resolve(%q) = %v, %v", path, p, err)
	}
	if _, err := Resolve(filepath.Join(dir, "absent.yml")); err == nil || !strings.Contains(err.Error(), "absent.yml") {
		t.Errorf("Resolve(absent file) = %v", err)
	}
	if _, err := Resolve("nosuch"); err == nil || !strings.Contains(err.Error(), `unknown pipeline "nosuch" (shipped: `) || !strings.Contains(err.Error(), "cloudtrail") {
		t.Errorf("Resolve(nosuch) = %v", err)
	}
	set, err := ResolveAll([]string{"cloudtrail", path})
	if err != nil || len(set) != 2 || set[1].Name != "mine" {
		t.Errorf("ResolveAll = %v, %v", set, err)
	}
	if src := set.Source(cloudtrailLS); src.Table != "t" {
		t.Errorf("a later file's table: %q, want t", src.Table)
	}
}
