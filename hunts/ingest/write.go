package ingest

import (
	"context"
	dbsql "database/sql"
	"database/sql/driver"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/duckdb/duckdb-go/v2"
)

// writer stages rows in an in-memory DuckDB table and writes them out as
// one Parquet file per day and batch.
type writer struct {
	s         *schema
	out       string
	batchRows int
	db        *dbsql.DB
	conn      *dbsql.Conn
	pending   []row
	pendingBy map[*FileReport]int // rows in pending, by file
	staged    int
	stagedBy  map[*FileReport]int // rows in the stage table, by file
	outputs   []string
}

const stageTable = "ingest_stage"

// appendChunk is the number of rows handed to the appender at once.
const appendChunk = 4096

func newWriter(ctx context.Context, s *schema, out string, batchRows int) (*writer, error) {
	c, err := duckdb.NewConnector("", func(execer driver.ExecerContext) error {
		_, err := execer.ExecContext(context.Background(), "SET TimeZone = 'UTC'", nil)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("open duckdb: %w", err)
	}
	db := dbsql.OpenDB(c)
	conn, err := db.Conn(ctx)
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("open duckdb: %w", err)
	}
	w := &writer{s: s, out: out, batchRows: batchRows, db: db, conn: conn,
		pendingBy: map[*FileReport]int{}, stagedBy: map[*FileReport]int{}}
	defs := []string{}
	for _, c := range s.allColumns() {
		defs = append(defs, quoteIdent(c.name)+" "+c.sqlType())
	}
	defs = append(defs, "_day DATE")
	if _, err := conn.ExecContext(ctx, "CREATE TABLE "+stageTable+" ("+strings.Join(defs, ", ")+")"); err != nil {
		w.close()
		return nil, fmt.Errorf("stage table: %w", err)
	}
	return w, nil
}

func (w *writer) close() {
	w.conn.Close()
	w.db.Close()
}

// add queues one row of file f.
func (w *writer) add(ctx context.Context, r row, f *FileReport) error {
	w.pending = append(w.pending, r)
	w.pendingBy[f]++
	full := w.staged+len(w.pending) >= w.batchRows
	if len(w.pending) >= appendChunk || full {
		if err := w.stage(); err != nil {
			return err
		}
	}
	if full {
		return w.write(ctx)
	}
	return nil
}

// stage appends the pending rows to the stage table.
func (w *writer) stage() error {
	if len(w.pending) == 0 {
		return nil
	}
	err := w.conn.Raw(func(dc any) error {
		a, err := duckdb.NewAppenderFromConn(dc.(driver.Conn), "", stageTable)
		if err != nil {
			return err
		}
		for _, r := range w.pending {
			vals := make([]driver.Value, 0, len(r.values)+1)
			for _, v := range r.values {
				vals = append(vals, v)
			}
			vals = append(vals, r.day)
			if err := a.AppendRow(vals...); err != nil {
				a.Close()
				return err
			}
		}
		return a.Close()
	})
	if err != nil {
		return fmt.Errorf("stage rows: %w", err)
	}
	w.staged += len(w.pending)
	for f, n := range w.pendingBy {
		w.stagedBy[f] += n
	}
	w.pending = w.pending[:0]
	w.pendingBy = map[*FileReport]int{}
	return nil
}

// flush writes everything held.
func (w *writer) flush(ctx context.Context) error {
	if err := w.stage(); err != nil {
		return err
	}
	return w.write(ctx)
}

// write copies the staged rows to one Parquet file per day, each written
// under a hidden name and renamed into place once complete, then credits
// the rows to their files.
func (w *writer) write(ctx context.Context) error {
	if w.staged == 0 {
		return nil
	}
	rows, err := w.conn.QueryContext(ctx, "SELECT DISTINCT strftime(_day, '%Y-%m-%d') FROM "+stageTable+" ORDER BY 1")
	if err != nil {
		return fmt.Errorf("list days: %w", err)
	}
	var days []string
	for rows.Next() {
		var d string
		if err := rows.Scan(&d); err != nil {
			rows.Close()
			return err
		}
		days = append(days, d)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	names := make([]string, 0, len(w.s.allColumns()))
	for _, c := range w.s.allColumns() {
		names = append(names, quoteIdent(c.name))
	}
	total := int64(0)
	for _, d := range days {
		day, err := time.Parse("2006-01-02", d)
		if err != nil {
			return err
		}
		dir := filepath.Join(w.out, day.Format("year=2006"), day.Format("month=01"), day.Format("day=02"))
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
		n, err := nextPart(dir)
		if err != nil {
			return err
		}
		name := fmt.Sprintf("part-%04d.parquet", n)
		tmp := filepath.Join(dir, "."+name+".tmp")
		q := "COPY (SELECT " + strings.Join(names, ", ") + " FROM " + stageTable +
			" WHERE _day = DATE " + quoteString(d) + " ORDER BY " + quoteIdent(w.s.timeColumn) + ") TO " +
			quoteString(tmp) + " (FORMAT parquet, COMPRESSION zstd)"
		res, err := w.conn.ExecContext(ctx, q)
		if err != nil {
			os.Remove(tmp)
			return fmt.Errorf("write %s: %w", filepath.Join(dir, name), err)
		}
		if k, err := res.RowsAffected(); err == nil {
			total += k
		}
		if err := syncFile(tmp); err != nil {
			return err
		}
		if err := os.Rename(tmp, filepath.Join(dir, name)); err != nil {
			return err
		}
		rel, _ := filepath.Rel(w.out, filepath.Join(dir, name))
		w.outputs = append(w.outputs, rel)
	}
	if total != int64(w.staged) {
		return fmt.Errorf("wrote %d rows of %d staged", total, w.staged)
	}
	if _, err := w.conn.ExecContext(ctx, "DELETE FROM "+stageTable); err != nil {
		return err
	}
	for f, n := range w.stagedBy {
		f.Written += n
	}
	w.staged = 0
	w.stagedBy = map[*FileReport]int{}
	return nil
}

var partName = regexp.MustCompile(`^part-(\d+)\.parquet$`)

// nextPart is the next free part number in dir.
func nextPart(dir string) (int, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return 0, err
	}
	nums := []int{}
	for _, e := range entries {
		if m := partName.FindStringSubmatch(e.Name()); m != nil {
			n, _ := strconv.Atoi(m[1])
			nums = append(nums, n)
		}
	}
	sort.Ints(nums)
	if len(nums) == 0 {
		return 0, nil
	}
	return nums[len(nums)-1] + 1, nil
}

func syncFile(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	return f.Sync()
}

func quoteIdent(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

func quoteString(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }
