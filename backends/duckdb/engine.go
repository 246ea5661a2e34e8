package duckdb

import (
	"bufio"
	"compress/gzip"
	"context"
	dbsql "database/sql"
	"database/sql/driver"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"os"
	"strings"

	"github.com/duckdb/duckdb-go/v2"

	"github.com/tokenhunt/tokenhunt/compiler/ir"
)

// Engine runs queries on an embedded, in-memory DuckDB whose session time
// zone is UTC.
type Engine struct {
	db *dbsql.DB
}

// Open starts an in-memory DuckDB.
func Open(ctx context.Context) (*Engine, error) {
	c, err := duckdb.NewConnector("", func(execer driver.ExecerContext) error {
		// Naive timestamps are read as UTC, and so are time parts.
		_, err := execer.ExecContext(context.Background(), "SET TimeZone = 'UTC'", nil)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("open duckdb: %w", err)
	}
	db := dbsql.OpenDB(c)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("open duckdb: %w", err)
	}
	return &Engine{db: db}, nil
}

// Close closes the database.
func (e *Engine) Close() error { return e.db.Close() }

// Options says how Register turns files into a table that rules can read.
type Options struct {
	// JSONText names top-level columns that must hold JSON text (CloudTrail
	// requestParameters, responseElements, additionalEventData,
	// serviceEventDetails): JSON files are read with the JSON as written
	// there, Parquet STRUCTs are turned into JSON text.
	JSONText []string
	// Columns are the columns rules read (see sql.Columns). Each must exist
	// with its declared type: a missing column, or a missing struct field
	// on its path, is added as NULL, and a column or struct field of
	// another type is converted with TRY_CAST (a value that is not of the
	// type becomes NULL). A column with a JSON path makes the column at
	// its Path JSON text. In JSON files, a number where no column declares
	// one reads as its text (see Register).
	Columns []ir.Column
	// Materialize copies the data into a table instead of making a view,
	// for many queries over the same files.
	Materialize bool
	// SampleSize is the number of JSON records read to detect the schema;
	// 0 reads them all, so that no key seen only late is lost.
	SampleSize int
}

// file kinds, found by looking at a file's first bytes.
const (
	kindParquet = "parquet"
	kindLines   = "json lines"   // one object after another (JSON lines, or one object)
	kindArray   = "json array"   // [ {...}, ... ]
	kindRecords = "json records" // CloudTrail's {"Records": [ {...}, ... ]}
	kindAuto    = "json"         // compressed in a way we cannot peek into: DuckDB decides
)

// keepText is a date format no text matches: with it the JSON reader keeps
// timestamps as the text the log has, and rules match what the log says.
const keepText = "tokenhunt:keep-text %Y"

// Register makes a view named table ("name" or "schema.name") over files: Parquet, JSON lines, JSON
// arrays of records and CloudTrail {"Records": [...]} files, gzip-compressed
// or not, told apart by their content. paths may be globs (DuckDB's, with
// **); each must match at least one file. The files are listed now: files
// added later need another Register.
//
// JSON files are read so that rules see the text the log has: the columns
// and their types are detected from the records, then read again with
// every number, UUID and value of mixed JSON types as text (VARCHAR),
// in structs, lists and maps too, unless opts.Columns declares a number,
// boolean or timestamp there. Without this, a column holding 5 and 1.5
// would be DOUBLE and 5 would read '5.0'. DuckDB keeps the text of an
// integer (-0 reads 0) and prints any other number as the shortest text of
// its double (1.50 reads 1.5, 1e3 1000.0, 1e-7 1e-07). Booleans stay
// BOOLEAN (their text is true and false); timestamps stay text unless
// declared. Columns of JSON text (opts.JSONText, or a column whose values
// are read with a JSON path) hold the JSON as written, keys in their order;
// a JSON string there is the text it holds. Of top-level keys that differ
// only in case, only the spelling the reader saw first is read (it names
// the others name_1, ..., and these stay NULL).
//
// Parquet columns keep their types: string matching on a DOUBLE column
// sees DuckDB's text of the double ('5.0' for 5), so pipelines should
// declare such columns numbers. Where JSON and Parquet files share a
// column, the column is text and the Parquet values read as DuckDB prints
// them.
func (e *Engine) Register(ctx context.Context, table string, paths []string, opts Options) error {
	schema, name, err := splitTable(table)
	if err != nil {
		return fmt.Errorf("register: %w", err)
	}
	files, err := e.expand(ctx, paths)
	if err != nil {
		return fmt.Errorf("register %s: %w", table, err)
	}
	byKind := map[string][]string{}
	for _, f := range files {
		k, err := fileKind(f)
		if err != nil {
			return fmt.Errorf("register %s: %w", table, err)
		}
		if k != "" {
			byKind[k] = append(byKind[k], f)
		}
	}
	var parts []string
	for _, k := range []string{kindParquet, kindLines, kindArray, kindRecords, kindAuto} {
		if len(byKind[k]) == 0 {
			continue
		}
		if k == kindParquet {
			parts = append(parts, "SELECT * FROM "+parquetReader(byKind[k]))
			continue
		}
		spec, ok, err := e.jsonColumns(ctx, k, byKind[k], opts)
		if err != nil {
			return fmt.Errorf("register %s: %w", table, err)
		}
		if !ok {
			continue // CloudTrail files whose Records are all empty
		}
		read := jsonReader(k, byKind[k], opts, spec)
		if k == kindRecords {
			parts = append(parts, "SELECT unnest(\"Records\", max_depth := 2) FROM "+read)
		} else {
			parts = append(parts, "SELECT * FROM "+read)
		}
	}
	var query string
	if len(parts) == 0 {
		// Only empty files: a table of the declared columns without rows.
		_, extra, err := shape(nil, opts)
		if err != nil {
			return fmt.Errorf("register %s: %w", table, err)
		}
		if len(extra) == 0 {
			return fmt.Errorf("register %s: the files hold no records and no columns are declared", table)
		}
		query = "SELECT " + strings.Join(extra, ", ") + " WHERE FALSE"
	} else {
		source := "SELECT * FROM (" + strings.Join(parts, ") UNION ALL BY NAME SELECT * FROM (") + ")"
		cols, err := e.describe(ctx, source)
		if err != nil {
			return fmt.Errorf("register %s: %w", table, err)
		}
		replace, extra, err := shape(cols, opts)
		if err != nil {
			return fmt.Errorf("register %s: %w", table, err)
		}
		query = "SELECT *"
		if len(replace) > 0 {
			query += " REPLACE (" + strings.Join(replace, ", ") + ")"
		}
		for _, x := range extra {
			query += ", " + x
		}
		query += " FROM (" + source + ")"
	}
	if schema != "main" {
		if err := e.Exec(ctx, "CREATE SCHEMA IF NOT EXISTS "+quoteIdent(schema)); err != nil {
			return fmt.Errorf("register %s: %w", table, err)
		}
	}
	if err := e.drop(ctx, schema, name); err != nil {
		return fmt.Errorf("register %s: %w", table, err)
	}
	kind := "VIEW"
	if opts.Materialize {
		kind = "TABLE"
	}
	if _, err := e.db.ExecContext(ctx, "CREATE "+kind+" "+quoteTable(table)+" AS "+query); err != nil {
		return fmt.Errorf("register %s: %w", table, err)
	}
	return nil
}

// splitTable reads "name" or "schema.name", as the backend prints them.
func splitTable(table string) (schema, name string, err error) {
	parts := strings.Split(table, ".")
	for _, p := range parts {
		if p == "" {
			return "", "", fmt.Errorf("table name %q has an empty part", table)
		}
	}
	switch len(parts) {
	case 1:
		return "main", parts[0], nil
	case 2:
		return parts[0], parts[1], nil
	}
	return "", "", fmt.Errorf("table name %q: want name or schema.name", table)
}

// drop removes the view or table of that name, if there is one.
func (e *Engine) drop(ctx context.Context, schema, name string) error {
	rows, err := e.db.QueryContext(ctx, "SELECT table_type FROM information_schema.tables "+
		"WHERE lower(table_schema) = lower(?) AND lower(table_name) = lower(?)", schema, name)
	if err != nil {
		return err
	}
	var kinds []string
	for rows.Next() {
		var k string
		if err := rows.Scan(&k); err != nil {
			rows.Close()
			return err
		}
		kinds = append(kinds, k)
	}
	rows.Close()
	for _, k := range kinds {
		what := "TABLE"
		if k == "VIEW" {
			what = "VIEW"
		}
		if err := e.Exec(ctx, "DROP "+what+" "+quoteIdent(schema)+"."+quoteIdent(name)); err != nil {
			return err
		}
	}
	return nil
}

// expand lists the files of every path with DuckDB's glob.
func (e *Engine) expand(ctx context.Context, paths []string) ([]string, error) {
	if len(paths) == 0 {
		return nil, fmt.Errorf("no files given")
	}
	seen := map[string]bool{}
	var files []string
	for _, p := range paths {
		rows, err := e.db.QueryContext(ctx, "SELECT file FROM glob("+quoteString(p)+") ORDER BY file")
		if err != nil {
			return nil, err
		}
		n := 0
		for rows.Next() {
			var f string
			if err := rows.Scan(&f); err != nil {
				rows.Close()
				return nil, err
			}
			n++
			if !seen[f] {
				seen[f] = true
				files = append(files, f)
			}
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return nil, err
		}
		if n == 0 {
			return nil, fmt.Errorf("no file matches %q", p)
		}
	}
	return files, nil
}

// fileKind tells a file's format from its first bytes; "" for an empty
// file.
func fileKind(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	br := bufio.NewReader(f)
	magic, _ := br.Peek(4)
	var r io.Reader = br
	switch {
	case string(magic) == "PAR1":
		return kindParquet, nil
	case len(magic) >= 2 && magic[0] == 0x1f && magic[1] == 0x8b:
		gz, err := gzip.NewReader(br)
		if err != nil {
			return "", fmt.Errorf("%s: %w", path, err)
		}
		defer gz.Close()
		r = gz
	case len(magic) == 4 && string(magic) == "\x28\xb5\x2f\xfd": // zstd
		return kindAuto, nil
	}
	dec := json.NewDecoder(r)
	tok, err := dec.Token()
	if errors.Is(err, io.EOF) {
		return "", nil
	}
	if err != nil {
		// Not JSON at its start: let the reader report where.
		return kindLines, nil
	}
	if tok == json.Delim('[') {
		return kindArray, nil
	}
	if tok != json.Delim('{') {
		return kindLines, nil
	}
	if key, err := dec.Token(); err == nil && key == "Records" {
		if open, err := dec.Token(); err == nil && open == json.Delim('[') {
			return kindRecords, nil
		}
	}
	return kindLines, nil
}

func parquetReader(files []string) string {
	return "read_parquet(" + fileList(files) + ", union_by_name = true)"
}

func fileList(files []string) string {
	list := make([]string, len(files))
	for i, f := range files {
		list[i] = quoteString(f)
	}
	return "[" + strings.Join(list, ", ") + "]"
}

// jsonReader is the read_json call for files of one kind: with spec "",
// the reader detects the columns and their types from the records (all
// of them, or opts.SampleSize); otherwise spec is the columns parameter.
func jsonReader(kind string, files []string, opts Options, spec string) string {
	sample := opts.SampleSize
	if sample <= 0 {
		sample = -1
	}
	format := map[string]string{kindLines: "newline_delimited", kindArray: "array", kindRecords: "auto", kindAuto: "auto"}[kind]
	read := fmt.Sprintf("read_json(%s, format = '%s', union_by_name = true, sample_size = %d, "+
		"dateformat = '%s', timestampformat = '%s', maximum_object_size = 1073741824", fileList(files), format, sample, keepText, keepText)
	if spec != "" {
		read += ", columns = " + spec
	}
	return read + ")"
}

// jsonColumns detects the columns of JSON files of one kind and returns
// the columns parameter that reads them as rules must see them (see
// dtype.readAsText): read with the detected types, a number in a column
// holding both 5 and 1.5 would be the DOUBLE 5.0, whose text is '5.0'
// where the log says 5. ok is false for CloudTrail files without any
// record.
func (e *Engine) jsonColumns(ctx context.Context, kind string, files []string, opts Options) (spec string, ok bool, err error) {
	cols, err := e.describe(ctx, "SELECT * FROM "+jsonReader(kind, files, opts, ""))
	if err != nil {
		return "", false, err
	}
	decl := readings(opts)
	if kind == kindRecords {
		// {"Records": [ {...}, ... ]}: the records are the elements of
		// one list column.
		for _, c := range cols {
			if c.name != "Records" {
				continue
			}
			t, err := parseType(c.typ)
			if err != nil {
				return "", false, fmt.Errorf("column %s: %w", c.name, err)
			}
			if t.elem == nil || !t.elem.isStruct() {
				return "", false, nil // no record, or no object among them
			}
			t.elem.readAsText(decl)
			return "{'Records': " + quoteString(t.String()) + "}", true, nil
		}
		return "", false, nil
	}
	var parts []string
	for _, c := range cols {
		t, err := parseType(c.typ)
		if err != nil {
			return "", false, fmt.Errorf("column %s: %w", c.name, err)
		}
		t.readAsText(decl.child(c.name))
		parts = append(parts, quoteString(c.name)+": "+quoteString(t.String()))
	}
	if len(parts) == 0 {
		return "", false, nil
	}
	return "{" + strings.Join(parts, ", ") + "}", true, nil
}

type column struct{ name, typ string }

func (e *Engine) describe(ctx context.Context, query string) ([]column, error) {
	rows, err := e.db.QueryContext(ctx, "DESCRIBE "+query)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var cols []column
	for rows.Next() {
		var name, typ string
		var null, key, def, extra any
		if err := rows.Scan(&name, &typ, &null, &key, &def, &extra); err != nil {
			return nil, err
		}
		cols = append(cols, column{name, typ})
	}
	return cols, rows.Err()
}

// declared is what Options asks of one top-level column.
type declared struct {
	name  string // as first spelled
	json  bool
	paths []ir.Column
}

// shape gives the registered table its declared shape: replace holds the
// conversions of present columns (JSON text, declared types, UUIDs as
// text), extra the missing columns, as NULLs of their type.
func shape(cols []column, opts Options) (replace, extra []string, err error) {
	decl := map[string]*declared{}
	var order []string
	get := func(name string) *declared {
		k := strings.ToLower(name)
		d, ok := decl[k]
		if !ok {
			d = &declared{name: name}
			decl[k] = d
			order = append(order, k)
		}
		return d
	}
	for _, n := range opts.JSONText {
		get(n).json = true
	}
	for _, c := range opts.Columns {
		if len(c.Path) == 0 {
			continue
		}
		d := get(c.Path[0])
		if len(c.JSON) > 0 && len(c.Path) == 1 {
			d.json = true
			continue
		}
		d.paths = append(d.paths, c)
	}

	present := map[string]bool{}
	for _, c := range cols {
		k := strings.ToLower(c.name)
		present[k] = true
		id := quoteIdent(c.name)
		d := decl[k]
		t, err := parseType(c.typ)
		if err != nil {
			return nil, nil, fmt.Errorf("column %s: %w", c.name, err)
		}
		if d != nil && d.json {
			switch cl, ok := t.class(); {
			case ok && cl == ir.String:
			case t.isScalar() && strings.EqualFold(t.name, "JSON"):
				// A JSON string is the JSON text it holds.
				replace = append(replace, "CASE WHEN json_type("+id+") = 'VARCHAR' THEN json_extract_string("+id+", '$') "+
					"ELSE CAST("+id+" AS VARCHAR) END AS "+id)
			default:
				replace = append(replace, "CAST(to_json("+id+") AS VARCHAR) AS "+id)
			}
			continue
		}
		src := id
		changed := false
		if strings.EqualFold(t.name, "JSON") {
			// Values of mixed JSON types: read them as text.
			src, t, changed = "json_extract_string("+id+", '$')", &dtype{name: "VARCHAR"}, true
		}
		changed = t.textUUIDs() || changed
		if d != nil {
			for _, p := range d.paths {
				changed = t.ensure(p.Path[1:], leafType(p)) || changed
			}
		}
		if changed {
			replace = append(replace, "TRY_CAST("+src+" AS "+t.String()+") AS "+id)
		}
	}
	for _, k := range order {
		if present[k] {
			continue
		}
		d := decl[k]
		var t *dtype
		if d.json {
			t = &dtype{name: "VARCHAR"}
		}
		for _, p := range d.paths {
			if t == nil {
				t = build(p.Path[1:], leafType(p))
			} else {
				t.ensure(p.Path[1:], leafType(p))
			}
		}
		extra = append(extra, "CAST(NULL AS "+t.String()+") AS "+quoteIdent(d.name))
	}
	return replace, extra, nil
}

// leafType is the type of the value at a column's path: JSON text when the
// column reads a key inside it, else the declared type.
func leafType(c ir.Column) ir.Type {
	if len(c.JSON) > 0 {
		return ir.String
	}
	return c.Type
}

// Exec runs a statement that returns no rows.
func (e *Engine) Exec(ctx context.Context, query string, args ...any) error {
	_, err := e.db.ExecContext(ctx, query, args...)
	return err
}

// Query runs a query and returns its rows as maps from column name to value
// (see Each for the values).
func (e *Engine) Query(ctx context.Context, query string, args ...any) ([]map[string]any, error) {
	var out []map[string]any
	err := e.Each(ctx, query, func(row map[string]any) error {
		out = append(out, row)
		return nil
	}, args...)
	return out, err
}

// Each runs a query and calls fn with each row as it comes, stopping at the
// first error fn returns. Values are those of the DuckDB driver (string,
// int64, float64, bool, time.Time, []any for lists, map[string]any for
// structs), with MAPs as map[string]any (keys as text), UUID columns as
// strings, DECIMALs as float64 and HUGEINTs as int64 (float64 when too
// large).
func (e *Engine) Each(ctx context.Context, query string, fn func(map[string]any) error, args ...any) error {
	rows, err := e.db.QueryContext(ctx, query, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	names, err := rows.Columns()
	if err != nil {
		return err
	}
	types, err := rows.ColumnTypes()
	if err != nil {
		return err
	}
	vals := make([]any, len(names))
	ptrs := make([]any, len(names))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return err
		}
		row := make(map[string]any, len(names))
		for i, n := range names {
			v := vals[i]
			if b, ok := v.([]byte); ok && len(b) == 16 && types[i].DatabaseTypeName() == "UUID" {
				v = uuidString(b)
			}
			row[n] = plain(v)
		}
		if err := fn(row); err != nil {
			return err
		}
	}
	return rows.Err()
}

// plain turns driver values that do not encode as JSON into ones that do.
func plain(v any) any {
	switch v := v.(type) {
	case []any:
		for i := range v {
			v[i] = plain(v[i])
		}
		return v
	case map[string]any:
		for k, x := range v {
			v[k] = plain(x)
		}
		return v
	case duckdb.OrderedMap:
		return plainMap(&v)
	case *duckdb.OrderedMap:
		if v == nil {
			return nil
		}
		return plainMap(v)
	case duckdb.UUID:
		return uuidString(v[:])
	case duckdb.Decimal:
		return v.Float64()
	case *big.Int:
		if v.IsInt64() {
			return v.Int64()
		}
		f, _ := new(big.Float).SetInt(v).Float64()
		return f
	}
	return v
}

func plainMap(m *duckdb.OrderedMap) map[string]any {
	out := make(map[string]any, m.Len())
	vals := m.Values()
	for i, k := range m.Keys() {
		out[fmt.Sprint(k)] = plain(vals[i])
	}
	return out
}

func uuidString(b []byte) string {
	h := fmt.Sprintf("%x", b)
	if len(h) != 32 {
		return h
	}
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}
