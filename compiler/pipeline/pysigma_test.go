package pipeline

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/tokenhunt/tokenhunt/compiler/ir"
)

// A pySigma processing pipeline, as pySigma's YAML loader reads it.
const pySigmaEntra = `
name: Entra ID for Sentinel (pySigma)
priority: 20
allowed_backends: [kusto]
vars:
  admins: [alice, bob]
transformations:
  - id: strip_properties
    type: field_name_prefix_mapping
    mapping:
      properties.: ""
  - id: signin_table
    type: set_state
    key: query_table
    val: SigninLogs
    rule_conditions:
      - type: logsource
        product: azure
        service: signinlogs
  - id: audit_table
    type: set_state
    key: table
    val: AuditLogs
    rule_conditions:
      - type: logsource
        product: azure
      - type: logsource
        service: auditlogs
  - id: signin_fields
    type: field_name_mapping
    mapping:
      callerIpAddress: IPAddress
      Username: UserPrincipalName
      deviceDetail.deviceId: DeviceDetail.deviceId
    rule_cond_op: or
    rule_conditions:
      - type: logsource
        product: azure
        service: signinlogs
      - type: logsource
        product: azure
        service: aadnoninteractiveusersigninlogs
  - id: audit_fields
    type: field_name_mapping
    mapping:
      message: OperationName
    rule_conditions:
      - type: logsource
        product: azure
        service: auditlogs
  - id: generic
    type: field_name_mapping
    mapping:
      src_ip: IPAddress
postprocessing: []
`

// The same pipeline in tokenhunt's own format. The properties.* renames are
// what pySigma's sequence of transformations makes of the prefix mapping
// followed by the field mappings.
const nativeEntra = `
name: entra-native
priority: 20
vars:
  admins: [alice, bob]
logsources:
  - field_name_prefix_mapping: {"properties.": ""}
    field_name_mapping: {src_ip: IPAddress, properties.src_ip: IPAddress}
  - product: azure
    service: signinlogs
    table: SigninLogs
    field_name_mapping: &signin
      callerIpAddress: IPAddress
      Username: UserPrincipalName
      deviceDetail.deviceId: DeviceDetail.deviceId
      properties.callerIpAddress: IPAddress
      properties.Username: UserPrincipalName
      properties.deviceDetail.deviceId: DeviceDetail.deviceId
  - product: azure
    service: aadnoninteractiveusersigninlogs
    field_name_mapping: *signin
  - product: azure
    service: auditlogs
    table: AuditLogs
    field_name_mapping:
      message: OperationName
      properties.message: OperationName
`

func TestPySigmaEquivalent(t *testing.T) {
	py := mustParse(t, "py.yml", pySigmaEntra)
	native := mustParse(t, "native.yml", nativeEntra)
	if py.Name != "Entra ID for Sentinel (pySigma)" || py.Priority != 20 {
		t.Errorf("name %q, priority %d", py.Name, py.Priority)
	}
	if diff := cmp.Diff(native.Vars, py.Vars); diff != "" {
		t.Errorf("vars (-native +pySigma):\n%s", diff)
	}
	fields := []string{
		"callerIpAddress", "properties.callerIpAddress", "Username", "properties.username",
		"properties.deviceDetail.deviceId", "deviceDetail.deviceId", "properties.message", "message",
		"properties.appId", "src_ip", "properties.src_ip", "ResultType",
	}
	for _, ls := range []ir.Logsource{
		{Product: "azure", Service: "signinlogs"},
		{Product: "azure", Service: "aadnoninteractiveusersigninlogs"},
		{Product: "azure", Service: "auditlogs"},
		{Product: "azure", Service: "riskdetection"},
		{Product: "aws", Service: "cloudtrail"},
	} {
		want, got := resolveAll(t, Set{native}, ls, fields), resolveAll(t, Set{py}, ls, fields)
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%v: fields (-native +pySigma):\n%s", ls, diff)
		}
		if w, g := (Set{native}).Source(ls).Table, (Set{py}).Source(ls).Table; w != g {
			t.Errorf("%v: table %q, native %q", ls, g, w)
		}
	}
	// The pySigma file reaches the same columns through a shipped pipeline.
	ls := ir.Logsource{Product: "azure", Service: "signinlogs"}
	got := resolveAll(t, Set{builtin(t, "sentinel-entra"), py}, ls, []string{"properties.deviceDetail.deviceId", "Username", "callerIpAddress"})
	want := []string{"properties.deviceDetail.deviceId=DeviceDetail$deviceId", "Username=UserPrincipalName", "callerIpAddress=IPAddress"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("with sentinel-entra (-want +got):\n%s", diff)
	}
}

func TestPySigmaLogsourceConditions(t *testing.T) {
	p := mustParse(t, "py.yml", `
name: conditions
transformations:
  - type: field_name_mapping
    mapping: {a: b}
    rule_conditions:
      - {type: logsource, product: windows}
      - {type: logsource, category: process_creation}
  - type: field_name_mapping
    mapping: {c: d}
    rule_cond_op: or
    rule_conditions:
      - {type: logsource, product: linux}
      - {type: logsource, product: macos}
`)
	var got [][3]string
	for _, ls := range p.Logsources {
		got = append(got, [3]string{ls.Product, ls.Category, ls.Service})
	}
	want := [][3]string{{"windows", "process_creation", ""}, {"linux", "", ""}, {"macos", "", ""}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("entries (-want +got):\n%s", diff)
	}
}

func TestPySigmaErrors(t *testing.T) {
	head := "name: p\ntransformations:\n"
	tests := []struct{ name, text, want string }{
		{"unsupported type", head + "  - id: x\n    type: add_condition\n    conditions: {a: b}\n",
			`p.yml:4:11: pySigma transformation type "add_condition" is not supported (supported: field_name_mapping, field_name_prefix_mapping, set_state (key table); convert the rest by hand)`},
		{"no type", head + "  - id: x\n    mapping: {a: b}\n",
			`p.yml:3:5: transformation has no type (add type: field_name_mapping (or field_name_prefix_mapping, set_state))`},
		{"unknown parameter", head + "  - type: field_name_mapping\n    maping: {a: b}\n",
			`p.yml:4:5: unknown key "maping" in transformation field_name_mapping (known keys: id, type, rule_conditions, rule_cond_op, rule_cond_not, rule_cond_expr, detection_item_conditions, detection_item_cond_op, detection_item_cond_not, field_name_conditions, field_name_cond_op, field_name_cond_not, mapping)`},
		{"one to many", head + "  - type: field_name_mapping\n    mapping:\n      src: [a, b]\n",
			`p.yml:5:12: field_name_mapping of "src" to several fields is not supported (map the field to one source field)`},
		{"set_state of another key", head + "  - type: set_state\n    key: index\n    val: x\n",
			`p.yml:4:10: set_state of "index" is not supported (only the query table can be set: key: table (or query_table))`},
		{"field name condition", head + "  - type: field_name_mapping\n    mapping: {a: b}\n    field_name_conditions:\n      - type: include_fields\n        fields: [a]\n",
			`p.yml:5:5: field_name_conditions is not supported (tokenhunt pipelines choose by log source only (rule_conditions of type logsource))`},
		{"rule condition type", head + "  - type: field_name_mapping\n    mapping: {a: b}\n    rule_conditions:\n      - type: contains_detection_item\n        field: a\n",
			`p.yml:6:15: rule condition type "contains_detection_item" is not supported (tokenhunt pipelines choose by log source only)`},
		{"conflicting and", head + "  - type: field_name_mapping\n    mapping: {a: b}\n    rule_conditions:\n      - {type: logsource, product: aws}\n      - {type: logsource, product: gcp}\n",
			`p.yml:7:9: rule conditions require product "aws" and "gcp" at once (use rule_cond_op: or for alternatives)`},
		{"postprocessing", head + "  - type: field_name_mapping\n    mapping: {a: b}\npostprocessing:\n  - type: template\n    template: x\n",
			`p.yml:5:1: pySigma postprocessing is not supported (remove it: tokenhunt pipelines map fields and tables, they do not rewrite query text)`},
		{"mapped twice", head + "  - id: one\n    type: field_name_mapping\n    mapping: {a: b}\n  - type: field_name_mapping\n    mapping: {a: c}\n    rule_conditions: [{type: logsource, product: aws}]\n",
			`p.yml:7:15: field "a" is already mapped by transformation one for the same log sources, and pySigma would keep that mapping (give the two transformations disjoint rule_conditions, or merge them)`},
		{"conditional chain", head + "  - id: one\n    type: field_name_mapping\n    mapping: {a: b}\n    rule_conditions: [{type: logsource, product: aws}]\n  - type: field_name_mapping\n    mapping: {b: c}\n",
			`p.yml:8:15: field_name_mapping of "b" chains transformation one, which maps "a" to it under other rule conditions (map each field to its final name in one transformation, or make the earlier one apply to every log source)`},
		{"no name", "transformations: []\n", `p.yml:1:1: pipeline has no name (add name: to the pipeline)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("p.yml", []byte(tt.text))
			if err == nil {
				t.Fatalf("Parse: no error, want %s", tt.want)
			}
			var ie *ir.Error
			if !errors.As(err, &ie) || ie.Pos.Line == 0 {
				t.Errorf("error %#v is not a positioned *ir.Error", err)
			}
			if diff := cmp.Diff(tt.want, err.Error()); diff != "" {
				t.Errorf("error (-want +got):\n%s", diff)
			}
		})
	}
	// Disjoint log sources may map one field differently, as pySigma
	// pipelines for several tables do.
	p := mustParse(t, "p.yml", head+"  - type: field_name_mapping\n    mapping: {a: b}\n    rule_conditions: [{type: logsource, product: aws}]\n  - type: field_name_mapping\n    mapping: {a: c}\n    rule_conditions: [{type: logsource, product: gcp}]\n")
	if got := resolveAll(t, Set{p}, ir.Logsource{Product: "gcp"}, []string{"a"}); got[0] != "a=c:any" {
		t.Errorf("gcp field a resolved to %s, want a=c:any", got[0])
	}
}

func TestPrefixRenamesAndDynamicColumns(t *testing.T) {
	p := mustParse(t, "p.yml", `
name: prefixes
logsources:
  - product: azure
    dynamic_columns: [DeviceDetail]
    json_columns: [Raw]
    field_name_prefix_mapping:
      properties.: ""
      properties.device.: DeviceDetail.
      data.: payload.
    field_name_mapping:
      properties.special: Exact
    fields:
      AppId: {}
      DeviceDetail.trustType: {}
      Exact: {type: number}
`)
	tests := []struct{ field, want string }{
		{"properties.appId", "properties.appId=AppId"},                                        // prefix stripped, then the entry (any case)
		{"PROPERTIES.appid", "PROPERTIES.appid=AppId"},                                        // prefixes compare case-insensitively
		{"properties.device.trusttype", "properties.device.trusttype=DeviceDetail$trustType"}, // the longest prefix wins
		{"properties.special", "properties.special=Exact:number"},                             // an exact rename beats a prefix
		{"properties.", `properties.="properties.":any`},                                      // a prefix never empties a name
		{"data.x.y", "data.x.y=payload.x.y:any"},
		{"DeviceDetail.isCompliant", "DeviceDetail.isCompliant=DeviceDetail$isCompliant"}, // below a dynamic column: a key
		{"DeviceDetail", "DeviceDetail"},                                                  // the whole object
		{"Raw.k", "Raw.k=Raw$k"},
	}
	var names, want []string
	for _, tt := range tests {
		names = append(names, tt.field)
		want = append(want, tt.want)
	}
	if diff := cmp.Diff(want, resolveAll(t, Set{p}, ir.Logsource{Product: "azure"}, names)); diff != "" {
		t.Errorf("fields (-want +got):\n%s", diff)
	}
	src := Set{p}.Source(ir.Logsource{Product: "azure"})
	if diff := cmp.Diff([]string{"DeviceDetail"}, src.DynamicColumns); diff != "" {
		t.Errorf("dynamic columns (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"DeviceDetail", "Raw"}, src.JSONColumns); diff != "" {
		t.Errorf("JSON columns (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(map[string]ir.Type{"AppId": ir.String, "Exact": ir.Number}, src.Columns); diff != "" {
		t.Errorf("columns (-want +got):\n%s", diff)
	}
	_, err := Parse("p.yml", []byte("name: x\nlogsources:\n  - field_name_prefix_mapping:\n      a.: b.\n      A.: c.\n"))
	if want := `p.yml:5:7: duplicate prefix "A." in field_name_prefix_mapping (field names are case-insensitive)`; err == nil || err.Error() != want {
		t.Errorf("duplicate prefix: %v, want %s", err, want)
	}
}
