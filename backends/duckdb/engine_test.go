package duckdb_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/tokenhunt/tokenhunt/backends/duckdb"
	"github.com/tokenhunt/tokenhunt/backends/sql"
	"github.com/tokenhunt/tokenhunt/compiler/ir"
)

// record is a CloudTrail-like event.
func record(id, role, typ string) map[string]any {
	return map[string]any{
		"id":                id,
		"eventID":           "6f1c2b8e-3d4a-4b5c-9e8f-0a1b2c3d4e5f",
		"eventTime":         "2024-11-30T08:43:17Z",
		"eventName":         "AssumeRole",
		"requestParameters": map[string]any{"roleArn": role, "durationSeconds": 3600},
		"userIdentity":      map[string]any{"type": typ, "principalId": "0a1b2c3d-3d4a-4b5c-9e8f-6f1c2b8e4e5f"},
	}
}

func marshal(t *testing.T, v any, indent bool) string {
	t.Helper()
	var b []byte
	var err error
	if indent {
		b, err = json.MarshalIndent(v, "", "  ")
	} else {
		b, err = json.Marshal(v)
	}
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func gzipText(t *testing.T, s string) string {
	t.Helper()
	var buf bytes.Buffer
	w := gzip.NewWriter(&buf)
	if _, err := w.Write([]byte(s)); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

// writeFormats writes the same kind of records in every format the engine
// reads, and returns the directory.
func writeFormats(t *testing.T, e *duckdb.Engine) string {
	t.Helper()
	dir := t.TempDir()
	writeJSONL(t, filepath.Join(dir, "lines", "a.jsonl"), []map[string]any{
		record("l1", "arn:aws:iam::1:role/Admin", "AssumedRole"), record("l2", "arn:aws:iam::1:role/Dev", "IAMUser"),
	})
	writeFile(t, filepath.Join(dir, "array", "b.json"), marshal(t, []any{
		record("a1", "arn:aws:iam::1:role/Admin", "Root"), record("a2", "arn:aws:iam::1:role/Ops", "AssumedRole"),
	}, true))
	writeFile(t, filepath.Join(dir, "records", "c.json"), marshal(t, map[string]any{"Records": []any{
		record("r1", "arn:aws:iam::1:role/Admin", "AssumedRole"), record("r2", "arn:aws:iam::1:role/Dev", "AWSService"),
	}}, true))
	writeFile(t, filepath.Join(dir, "records", "d.json.gz"), gzipText(t, marshal(t, map[string]any{"Records": []any{
		record("r3", "arn:aws:iam::1:role/Admin", "IAMUser"),
	}}, false)))
	writeFile(t, filepath.Join(dir, "records", "e.json"), `{"Records": []}`)
	writeFile(t, filepath.Join(dir, "records", "f.json"), "")
	parquet := filepath.Join(dir, "parquet", "g.parquet")
	if err := os.MkdirAll(filepath.Dir(parquet), 0o755); err != nil {
		t.Fatal(err)
	}
	err := e.Exec(context.Background(), `COPY (
		SELECT 'p1' AS id, 'AssumeRole' AS eventName, {'roleArn': 'arn:aws:iam::1:role/Admin'} AS requestParameters,
		       {'type': 'AssumedRole'} AS userIdentity
		UNION ALL
		SELECT 'p2', 'GetObject', {'roleArn': NULL}, {'type': 'IAMUser'}
	) TO '`+parquet+`' (FORMAT parquet)`)
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

var cloudTrailJSON = []string{"requestParameters", "responseElements", "additionalEventData", "serviceEventDetails"}

func TestRegisterFormats(t *testing.T) {
	ctx := context.Background()
	e := openEngine(t)
	dir := writeFormats(t, e)
	admin := ci(jsonf("requestParameters", "roleArn"), star, "/admin")
	assumed := ci(fld("userIdentity", "type"), "assumedrole")
	tests := []struct {
		name  string
		paths []string
		where ir.Expr
		want  []string
	}{
		{"json lines", []string{filepath.Join(dir, "lines", "*.jsonl")}, admin, []string{"l1"}},
		{"json array", []string{filepath.Join(dir, "array", "b.json")}, admin, []string{"a1"}},
		{"cloudtrail records, gzip, empty", []string{filepath.Join(dir, "records", "*")}, admin, []string{"r1", "r3"}},
		{"parquet", []string{filepath.Join(dir, "parquet", "*.parquet")}, admin, []string{"p1"}},
		{"everything", []string{filepath.Join(dir, "**", "*")}, admin, []string{"a1", "l1", "p1", "r1", "r3"}},
		{"struct path everywhere", []string{filepath.Join(dir, "**", "*")}, assumed, []string{"a2", "l1", "p1", "r1"}},
		{"all rows", []string{filepath.Join(dir, "**", "*")}, ir.Const{Value: true}, []string{"a1", "a2", "l1", "l2", "p1", "p2", "r1", "r2", "r3"}},
		{"not over null json key", []string{filepath.Join(dir, "**", "*")}, not(admin), []string{"a2", "l2", "p2", "r2"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			opts := duckdb.Options{JSONText: cloudTrailJSON, Columns: sql.Columns(tc.where)}
			if err := e.Register(ctx, "trail", tc.paths, opts); err != nil {
				t.Fatal(err)
			}
			q := compile(t, duckdb.Dialect(), "trail", tc.where)
			if diff := cmp.Diff(tc.want, ids(t, e, q)); diff != "" {
				t.Errorf("%s: matched ids (-want +got):\n%s", q, diff)
			}
		})
	}
}

// TestRegisterShape checks the column types a registered table has: JSON
// text where asked, text kept as the log spells it, UUIDs as text, declared
// types, and padding for what no file has.
func TestRegisterShape(t *testing.T) {
	ctx := context.Background()
	e := openEngine(t)
	dir := writeFormats(t, e)
	opts := duckdb.Options{
		JSONText: cloudTrailJSON,
		Columns: []ir.Column{
			{Path: []string{"eventTime"}, Type: ir.Timestamp},
			{Path: []string{"errorCode"}},
			{Path: []string{"userIdentity", "sessionContext", "sessionIssuer", "arn"}},
			{Path: []string{"userIdentity", "type"}},
			{Path: []string{"readOnly"}, Type: ir.Bool},
			{Path: []string{"tlsDetails", "tlsVersion"}},
		},
	}
	if err := e.Register(ctx, "trail", []string{filepath.Join(dir, "lines", "*")}, opts); err != nil {
		t.Fatal(err)
	}
	rows, err := e.Query(ctx, `SELECT column_name, data_type FROM information_schema.columns WHERE table_name = 'trail' ORDER BY column_name`)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, r := range rows {
		got[fmt.Sprint(r["column_name"])] = fmt.Sprint(r["data_type"])
	}
	want := map[string]string{
		"additionalEventData": "VARCHAR",
		"errorCode":           "VARCHAR",
		"eventID":             "VARCHAR", // detected as UUID, turned into text
		"eventName":           "VARCHAR",
		"eventTime":           "TIMESTAMP WITH TIME ZONE",
		"id":                  "VARCHAR",
		"readOnly":            "BOOLEAN",
		"requestParameters":   "VARCHAR",
		"responseElements":    "VARCHAR",
		"serviceEventDetails": "VARCHAR",
		"tlsDetails":          `STRUCT(tlsVersion VARCHAR)`,
		"userIdentity":        `STRUCT(principalId VARCHAR, "type" VARCHAR, sessionContext STRUCT(sessionIssuer STRUCT(arn VARCHAR)))`, // a nested UUID too
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("column types (-want +got):\n%s", diff)
	}
	rows, err = e.Query(ctx, `SELECT requestParameters, eventID, "userIdentity"."sessionContext"."sessionIssuer"."arn" AS arn FROM trail WHERE id = 'l1'`)
	if err != nil {
		t.Fatal(err)
	}
	wantRow := []map[string]any{{
		"requestParameters": `{"durationSeconds":3600,"roleArn":"arn:aws:iam::1:role/Admin"}`,
		"eventID":           "6f1c2b8e-3d4a-4b5c-9e8f-0a1b2c3d4e5f",
		"arn":               nil,
	}}
	if diff := cmp.Diff(wantRow, rows); diff != "" {
		t.Errorf("row (-want +got):\n%s", diff)
	}

	// Without a declared type, a timestamp stays the text the log has.
	if err := e.Register(ctx, "raw", []string{filepath.Join(dir, "lines", "*")}, duckdb.Options{}); err != nil {
		t.Fatal(err)
	}
	rows, err = e.Query(ctx, `SELECT eventTime FROM raw WHERE id = 'l1'`)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]map[string]any{{"eventTime": "2024-11-30T08:43:17Z"}}, rows); diff != "" {
		t.Errorf("eventTime (-want +got):\n%s", diff)
	}
}

func TestRegisterMaterializeAndReplace(t *testing.T) {
	ctx := context.Background()
	e := openEngine(t)
	dir := writeFormats(t, e)
	lines := []string{filepath.Join(dir, "lines", "*")}
	array := []string{filepath.Join(dir, "array", "*")}
	if err := e.Register(ctx, "t", lines, duckdb.Options{Materialize: true}); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"l1", "l2"}, ids(t, e, `SELECT id FROM t`)); diff != "" {
		t.Errorf("table (-want +got):\n%s", diff)
	}
	// A view replaces the table of the same name, and the other way round.
	if err := e.Register(ctx, "t", array, duckdb.Options{}); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"a1", "a2"}, ids(t, e, `SELECT id FROM t`)); diff != "" {
		t.Errorf("view (-want +got):\n%s", diff)
	}
	if err := e.Register(ctx, "t", lines, duckdb.Options{Materialize: true}); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"l1", "l2"}, ids(t, e, `SELECT id FROM t`)); diff != "" {
		t.Errorf("table again (-want +got):\n%s", diff)
	}
}

func TestRegisterQualifiedName(t *testing.T) {
	ctx := context.Background()
	e := openEngine(t)
	dir := writeFormats(t, e)
	where := ci(fld("eventName"), "assumerole")
	for _, materialize := range []bool{false, true, false} {
		if err := e.Register(ctx, "lake.trail", []string{filepath.Join(dir, "lines", "*")}, duckdb.Options{Materialize: materialize}); err != nil {
			t.Fatal(err)
		}
		q := compile(t, duckdb.Dialect(), "lake.trail", where)
		if diff := cmp.Diff([]string{"l1", "l2"}, ids(t, e, q)); diff != "" {
			t.Errorf("%s (-want +got):\n%s", q, diff)
		}
	}
	if err := e.Register(ctx, "a.b.c", []string{filepath.Join(dir, "lines", "*")}, duckdb.Options{}); err == nil {
		t.Errorf("Register a.b.c: no error")
	}
}

func TestRegisterEmpty(t *testing.T) {
	ctx := context.Background()
	e := openEngine(t)
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "e.json"), `{"Records": []}`)
	writeFile(t, filepath.Join(dir, "f.json"), "")
	where := ci(fld("userIdentity", "type"), "root")
	opts := duckdb.Options{JSONText: cloudTrailJSON, Columns: sql.Columns(where)}
	if err := e.Register(ctx, "t", []string{filepath.Join(dir, "*")}, opts); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{}, ids(t, e, compile(t, duckdb.Dialect(), "t", where))); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestRegisterErrors(t *testing.T) {
	ctx := context.Background()
	e := openEngine(t)
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "e.json"), `{"Records": []}`)
	tests := []struct {
		name  string
		table string
		paths []string
		opts  duckdb.Options
		want  string
	}{
		{"no paths", "t", nil, duckdb.Options{}, "no files given"},
		{"empty table name", "", []string{filepath.Join(dir, "e.json")}, duckdb.Options{}, "empty part"},
		{"glob matches nothing", "t", []string{filepath.Join(dir, "*.parquet")}, duckdb.Options{}, "no file matches"},
		{"missing file", "t", []string{filepath.Join(dir, "nope.json")}, duckdb.Options{}, "no file matches"},
		{"no records and no columns", "t", []string{filepath.Join(dir, "e.json")}, duckdb.Options{}, "no records"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := e.Register(ctx, tc.table, tc.paths, tc.opts)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Register error = %v, want one containing %q", err, tc.want)
			}
		})
	}
}

func TestEachStopsAtError(t *testing.T) {
	e := openEngine(t)
	stop := fmt.Errorf("enough")
	n := 0
	err := e.Each(context.Background(), "SELECT * FROM range(10)", func(map[string]any) error {
		n++
		if n == 3 {
			return stop
		}
		return nil
	})
	if err != stop || n != 3 {
		t.Errorf("Each = %v after %d rows, want %v after 3", err, n, stop)
	}
}

// TestQueryValues checks that rows come back as values that encode as
// JSON, in a UTC session.
func TestQueryValues(t *testing.T) {
	e := openEngine(t)
	rows, err := e.Query(context.Background(), `SELECT MAP {'k': 1} AS m, '6f1c2b8e-3d4a-4b5c-9e8f-0a1b2c3d4e5f'::UUID AS u,
		1.50::DECIMAL(4,2) AS d, 12::HUGEINT AS h, [1, 2] AS l, {'a': [MAP {2: 'x'}]} AS s,
		current_setting('TimeZone') AS tz, hour(TIMESTAMPTZ '2024-01-01 10:00:00+02') AS hr`)
	if err != nil {
		t.Fatal(err)
	}
	want := []map[string]any{{
		"m": map[string]any{"k": int32(1)}, "u": "6f1c2b8e-3d4a-4b5c-9e8f-0a1b2c3d4e5f", "d": 1.5, "h": int64(12),
		"l": []any{int32(1), int32(2)}, "s": map[string]any{"a": []any{map[string]any{"2": "x"}}},
		"tz": "UTC", "hr": int64(8),
	}}
	if diff := cmp.Diff(want, rows); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if _, err := json.Marshal(rows); err != nil {
		t.Errorf("rows do not encode as JSON: %v", err)
	}
}

// numberRecords hold numbers of mixed kinds (5 and 1.5, so that the JSON
// reader would type the columns DOUBLE) at the top level, in structs,
// lists, lists of structs and maps; booleans; a UUID in upper case; a
// column of mixed JSON types; a JSON text column with numbers.
const numberRecords = `{"id":"a","x":5,"s":{"v":10,"w":[{"k":1}]},"l":[1,2.5],"d":{"n":3},"u":"6F1C2B8E-3D4A-4B5C-9E8F-0A1B2C3D4E5F","b":true,"mix":5,"rp":{"n":5,"f":1.5}}
{"id":"b","x":1.5,"s":{"v":1.5,"w":[{"k":2.5}]},"l":[3],"d":{"n":2.5},"b":false,"mix":"text","rp":{"n":1.5}}
{"id":"c","x":1e3,"s":{"v":100},"l":[],"d":{"n":"7"},"mix":[1,2.5],"rp":"{\"n\":5}"}
`

// TestRegisterNumberText checks that a number in a JSON source reads as its
// JSON text wherever no column declares it a number, in every JSON format.
func TestRegisterNumberText(t *testing.T) {
	ctx := context.Background()
	e := openEngine(t)
	dir := t.TempDir()
	lines := strings.Split(strings.TrimSpace(numberRecords), "\n")
	writeFile(t, filepath.Join(dir, "lines.jsonl"), numberRecords)
	writeFile(t, filepath.Join(dir, "array.json"), "[\n"+strings.Join(lines, ",\n")+"\n]")
	writeFile(t, filepath.Join(dir, "records.json"), `{"Records": [`+strings.Join(lines, ",")+`]}`)
	writeFile(t, filepath.Join(dir, "records.json.gz"), gzipText(t, `{"Records": [`+strings.Join(lines, ",")+`]}`))
	opts := duckdb.Options{
		JSONText: []string{"rp"},
		Columns:  []ir.Column{{Path: []string{"d", "n"}, Type: ir.Number}},
	}
	wantTypes := map[string]string{
		"id": "VARCHAR", "x": "VARCHAR", "l": "VARCHAR[]", "mix": "VARCHAR", "u": "VARCHAR", "b": "BOOLEAN", "rp": "VARCHAR",
		"s": `STRUCT(v VARCHAR, w STRUCT(k VARCHAR)[])`,
		"d": `STRUCT(n DOUBLE)`, // declared a number
	}
	wantRows := []map[string]any{{
		"id": "a", "x": "5", "s": map[string]any{"v": "10", "w": []any{map[string]any{"k": "1"}}}, "l": []any{"1", "2.5"},
		"d": map[string]any{"n": 3.0}, "u": "6F1C2B8E-3D4A-4B5C-9E8F-0A1B2C3D4E5F", "b": true, "mix": "5",
		"rp": `{"n":5,"f":1.5}`,
	}, {
		"id": "b", "x": "1.5", "s": map[string]any{"v": "1.5", "w": []any{map[string]any{"k": "2.5"}}}, "l": []any{"3"},
		"d": map[string]any{"n": 2.5}, "u": nil, "b": false, "mix": "text", "rp": `{"n":1.5}`,
	}, {
		// 1e3 reads as 1000.0 (see TestRegisterNumberLiterals).
		"id": "c", "x": "1000.0", "s": map[string]any{"v": "100", "w": nil}, "l": []any{},
		"d": map[string]any{"n": 7.0}, "u": nil, "b": nil, "mix": "[1,2.5]", "rp": `{"n":5}`,
	}}
	for _, file := range []string{"lines.jsonl", "array.json", "records.json", "records.json.gz"} {
		t.Run(file, func(t *testing.T) {
			if err := e.Register(ctx, "nums", []string{filepath.Join(dir, file)}, opts); err != nil {
				t.Fatal(err)
			}
			rows, err := e.Query(ctx, `SELECT column_name, data_type FROM information_schema.columns WHERE table_name = 'nums'`)
			if err != nil {
				t.Fatal(err)
			}
			types := map[string]string{}
			for _, r := range rows {
				types[fmt.Sprint(r["column_name"])] = fmt.Sprint(r["data_type"])
			}
			if diff := cmp.Diff(wantTypes, types); diff != "" {
				t.Errorf("column types (-want +got):\n%s", diff)
			}
			rows, err = e.Query(ctx, `SELECT id, x, s, l, d, u, b, mix, rp FROM nums ORDER BY id`)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(wantRows, rows); diff != "" {
				t.Errorf("rows (-want +got):\n%s", diff)
			}
		})
	}
}

// TestRegisterNumberRules runs rules on undeclared (ir.Any) columns of
// mixed integers and floats: string matching sees the text the log has.
func TestRegisterNumberRules(t *testing.T) {
	ctx := context.Background()
	e := openEngine(t)
	file := filepath.Join(t.TempDir(), "n.jsonl")
	writeFile(t, file, numberRecords)
	anyf := func(path ...string) ir.Field { return typed(ir.Any, path...) }
	tests := []struct {
		name  string
		where ir.Expr
		want  []string
	}{
		{"string equality", ci(anyf("x"), "5"), []string{"a"}},
		{"suffix", ci(anyf("x"), star, "00"), []string{}},
		{"contains zero", ci(anyf("s", "v"), star, "0", star), []string{"a", "c"}},
		// Read as DOUBLE, the list would print as [{'k': 1.0}].
		{"contains zero in a list of structs", ci(anyf("s", "w"), star, "0", star), []string{}},
		{"number equality", num(anyf("x"), ir.Eq, "1000"), []string{"c"}},
		{"number equality on float", num(anyf("x"), ir.Eq, "1.5"), []string{"b"}},
		{"number gt", num(anyf("x"), ir.Gt, "2"), []string{"a", "c"}},
		{"number on mixed column", num(anyf("mix"), ir.Eq, "5"), []string{"a"}},
		{"json text number", ci(jsonf("rp", "n"), "5"), []string{"a", "c"}},
		{"json text whole", ci(fld("rp"), star, `"n":5,`, star), []string{"a"}},
		{"bool true", ir.BoolEq{Field: anyf("b"), Value: true}, []string{"a"}},
		{"bool false", ir.BoolEq{Field: anyf("b"), Value: false}, []string{"b"}},
		{"not bool true", not(ir.BoolEq{Field: anyf("b"), Value: true}), []string{"b", "c"}},
		{"uuid keeps its case", cs(anyf("u"), "6F1C2B8E", star), []string{"a"}},
		{"declared number", num(typed(ir.Number, "d", "n"), ir.Gt, "2.5"), []string{"a", "c"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			opts := duckdb.Options{JSONText: []string{"rp"}, Columns: sql.Columns(tc.where)}
			if err := e.Register(ctx, "n", []string{file}, opts); err != nil {
				t.Fatal(err)
			}
			q := compile(t, duckdb.Dialect(), "n", tc.where)
			if diff := cmp.Diff(tc.want, ids(t, e, q)); diff != "" {
				t.Errorf("%s: matched ids (-want +got):\n%s", q, diff)
			}
		})
	}
}

// TestRegisterNumberLiterals pins how DuckDB turns a JSON number into the
// text of a VARCHAR column: integers as written (-0 as 0), other numbers
// as the shortest text of their double, in plain notation with ".0" from
// 1e-4 up to 1e16 and in exponent notation outside (Python's repr). A
// number the log writes otherwise (1.50, 1e3) reads differently from the
// log; refeval reads JSON numbers as written.
func TestRegisterNumberLiterals(t *testing.T) {
	ctx := context.Background()
	e := openEngine(t)
	lits := []struct{ lit, text string }{
		{"5", "5"}, {"-3", "-3"}, {"-0", "0"}, {"12345678901234567890123", "12345678901234567890123"},
		{"1.5", "1.5"}, {"0.5", "0.5"}, {"1.0", "1.0"}, {"-0.0", "-0.0"}, {"0.30000000000000004", "0.30000000000000004"},
		{"1.50", "1.5"}, {"1e3", "1000.0"}, {"1E+2", "100.0"}, {"1e-7", "1e-07"}, {"1e-4", "0.0001"},
		{"1e15", "1000000000000000.0"}, {"1e16", "1e+16"}, {"1e400", "1e400"},
	}
	var b strings.Builder
	for i, l := range lits {
		fmt.Fprintf(&b, `{"i":%d,"v":%s}`+"\n", i, l.lit)
	}
	fmt.Fprintf(&b, `{"i":%d,"v":1.5}`+"\n", len(lits)) // a float, should every literal above be an integer
	file := filepath.Join(t.TempDir(), "lits.jsonl")
	writeFile(t, file, b.String())
	if err := e.Register(ctx, "lits", []string{file}, duckdb.Options{}); err != nil {
		t.Fatal(err)
	}
	// i is text too: no column declares it a number.
	rows, err := e.Query(ctx, `SELECT v FROM lits ORDER BY CAST(i AS INTEGER)`)
	if err != nil {
		t.Fatal(err)
	}
	for i, l := range lits {
		if got := rows[i]["v"]; got != l.text {
			t.Errorf("JSON number %s reads as %#v, want %q", l.lit, got, l.text)
		}
	}
}

// TestRegisterParquetNumbers: Parquet columns keep their types, so string
// matching on a DOUBLE column sees DuckDB's text of the double ('5.0'):
// pipelines declare such columns numbers. Joined with JSON files, whose
// numbers are text, the column is text and the Parquet values read '5.0'.
func TestRegisterParquetNumbers(t *testing.T) {
	ctx := context.Background()
	e := openEngine(t)
	dir := t.TempDir()
	parquet := filepath.Join(dir, "p.parquet")
	if err := e.Exec(ctx, `COPY (SELECT 'p' AS id, 5.0::DOUBLE AS x) TO '`+parquet+`' (FORMAT parquet)`); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(dir, "j.jsonl"), `{"id":"j","x":5}`+"\n"+`{"id":"k","x":1.5}`+"\n")
	tests := []struct {
		name  string
		paths []string
		where ir.Expr
		want  []string
	}{
		{"text of a double", []string{parquet}, ci(typed(ir.Any, "x"), "5.0"), []string{"p"}},
		{"not the log's text", []string{parquet}, ci(typed(ir.Any, "x"), "5"), []string{}},
		{"declared number", []string{parquet}, num(typed(ir.Number, "x"), ir.Eq, "5"), []string{"p"}},
		{"number equality", []string{parquet}, num(typed(ir.Any, "x"), ir.Eq, "5"), []string{"p"}},
		{"joined with JSON", []string{parquet, filepath.Join(dir, "j.jsonl")}, ci(typed(ir.Any, "x"), "5", star), []string{"j", "p"}},
		{"joined, number equality", []string{parquet, filepath.Join(dir, "j.jsonl")}, num(typed(ir.Any, "x"), ir.Eq, "5"), []string{"j", "p"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := e.Register(ctx, "pq", tc.paths, duckdb.Options{Columns: sql.Columns(tc.where)}); err != nil {
				t.Fatal(err)
			}
			q := compile(t, duckdb.Dialect(), "pq", tc.where)
			if diff := cmp.Diff(tc.want, ids(t, e, q)); diff != "" {
				t.Errorf("%s: matched ids (-want +got):\n%s", q, diff)
			}
		})
	}
}

// TestRegisterNestedJSONText: a column read with a JSON path below a
// struct holds the JSON as written, numbers included.
func TestRegisterNestedJSONText(t *testing.T) {
	ctx := context.Background()
	e := openEngine(t)
	file := filepath.Join(t.TempDir(), "o.jsonl")
	writeFile(t, file, `{"id":"a","o":{"j":{"n":5,"f":1.5}}}`+"\n"+`{"id":"b","o":{"j":{"n":1.5}}}`+"\n"+`{"id":"c","o":{}}`+"\n")
	nested := func(keys ...string) ir.Field {
		return ir.Field{Name: "o.j", Column: &ir.Column{Path: []string{"o", "j"}, JSON: keys}}
	}
	tests := []struct {
		name  string
		where ir.Expr
		want  []string
	}{
		{"key", ci(nested("n"), "5"), []string{"a"}},
		{"float key", ci(nested("n"), "1.5"), []string{"b"}},
		{"whole", ir.And{Args: []ir.Expr{ci(nested("f"), star), ci(nested(), `{"n":5,"f":1.5}`)}}, []string{"a"}},
		{"missing key", ir.IsNull{Field: nested("n")}, []string{"c"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := e.Register(ctx, "o", []string{file}, duckdb.Options{Columns: sql.Columns(tc.where)}); err != nil {
				t.Fatal(err)
			}
			q := compile(t, duckdb.Dialect(), "o", tc.where)
			if diff := cmp.Diff(tc.want, ids(t, e, q)); diff != "" {
				t.Errorf("%s: matched ids (-want +got):\n%s", q, diff)
			}
		})
	}
}
