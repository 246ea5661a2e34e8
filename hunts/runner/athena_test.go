package runner_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tokenhunt/tokenhunt/hunts"
	"github.com/tokenhunt/tokenhunt/hunts/runner"
	"github.com/tokenhunt/tokenhunt/internal/trinocheck"
)

// fakeAthena speaks the part of the Athena JSON protocol a hunt uses. It
// answers the n-th query with the n-th canned result (rows as a hunt's
// query returns them), two rows per page; a query whose index is in fail
// ends FAILED with a syntax error.
type fakeAthena struct {
	mu      sync.Mutex
	results [][]map[string]any
	fail    map[int]bool
	queries []string
	stopped []string
}

func (f *fakeAthena) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var in map[string]any
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	id := fmt.Sprint(in["QueryExecutionId"])
	n, _ := strconv.Atoi(strings.TrimPrefix(id, "q"))
	var out any
	switch op := strings.TrimPrefix(r.Header.Get("X-Amz-Target"), "AmazonAthena."); op {
	case "StartQueryExecution":
		f.queries = append(f.queries, fmt.Sprint(in["QueryString"]))
		out = map[string]any{"QueryExecutionId": fmt.Sprint("q", len(f.queries)-1)}
	case "GetQueryExecution":
		status := map[string]any{"State": "SUCCEEDED"}
		if f.fail[n] {
			status = map[string]any{"State": "FAILED", "StateChangeReason": "line 1:8: Column 'nope' cannot be resolved",
				"AthenaError": map[string]any{"ErrorCategory": 2, "ErrorType": 1006, "Retryable": false}}
		}
		out = map[string]any{"QueryExecution": map[string]any{"QueryExecutionId": id, "Query": f.queries[n], "StatementType": "DML",
			"Status": status, "Statistics": map[string]any{"DataScannedInBytes": 25_000_000 + n}}}
	case "GetQueryResults":
		page := 0
		if tok, ok := in["NextToken"].(string); ok {
			page, _ = strconv.Atoi(tok)
		}
		out = resultPage(f.results[n], page)
	case "StopQueryExecution":
		f.stopped = append(f.stopped, id)
		out = map[string]any{}
	default:
		http.Error(w, "unknown operation "+op, http.StatusBadRequest)
		return
	}
	_ = json.NewEncoder(w).Encode(out)
}

// resultPage is page p of rows in Athena's text form: the header row
// first, two data rows a page, the column types from the values.
func resultPage(rows []map[string]any, p int) map[string]any {
	types := map[string]string{}
	for _, r := range rows {
		for k, v := range r {
			if v != nil && types[k] == "" {
				types[k] = athenaType(v)
			}
		}
	}
	var names []string
	for _, r := range rows {
		for k := range r {
			if _, ok := types[k]; !ok {
				types[k] = "varchar"
			}
		}
	}
	for k := range types {
		names = append(names, k)
	}
	sort.Strings(names)
	var info []map[string]any
	header := []map[string]any{}
	for _, n := range names {
		info = append(info, map[string]any{"Name": n, "Label": n, "Type": types[n]})
		header = append(header, map[string]any{"VarCharValue": n})
	}
	var out []map[string]any
	if p == 0 {
		out = append(out, map[string]any{"Data": header})
	}
	lo, hi := 2*p, min(2*p+2, len(rows))
	for _, r := range rows[min(lo, len(rows)):hi] {
		var data []map[string]any
		for _, n := range names {
			if v := r[n]; v != nil {
				data = append(data, map[string]any{"VarCharValue": athenaText(v)})
			} else {
				data = append(data, map[string]any{})
			}
		}
		out = append(out, map[string]any{"Data": data})
	}
	res := map[string]any{"ResultSet": map[string]any{"Rows": out, "ResultSetMetadata": map[string]any{"ColumnInfo": info}}}
	if hi < len(rows) {
		res["NextToken"] = strconv.Itoa(p + 1)
	}
	return res
}

func athenaType(v any) string {
	switch v.(type) {
	case int64, int32:
		return "bigint"
	case float64:
		return "double"
	case bool:
		return "boolean"
	case time.Time:
		return "timestamp with time zone"
	case []any:
		return "json"
	}
	return "varchar"
}

func athenaText(v any) string {
	switch v := v.(type) {
	case time.Time:
		return v.UTC().Format("2006-01-02 15:04:05.000000") + " UTC"
	case []any:
		b, _ := json.Marshal(v)
		return string(b)
	case float64:
		return strconv.FormatFloat(v, 'g', -1, 64)
	}
	return fmt.Sprint(v)
}

// A hunt on Athena: the queries it sends are Trino SQL, its results come
// back over several pages, and the findings built from them are the
// findings of the embedded DuckDB hunt when Athena returns the rows
// DuckDB returns for the same queries (the cloud path on DuckDB, checked
// against the reference by TestRemotePathMatchesLocal). A failing query
// fails its rule only.
func TestAthenaHunt(t *testing.T) {
	from, to := remoteWindow()
	want := expected(t, from, to)

	// The rows of each query, from the cloud path run on DuckDB.
	rec, _, _ := huntOnDuck(t, from, to)

	t.Setenv("AWS_ACCESS_KEY_ID", "AKIAIOSFODNN7EXAMPLE")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(t.TempDir(), "none"))
	athenaSpec := func(dir string, srv *httptest.Server) *hunts.Spec {
		s := load(t, writeSpec(t, dir, map[string]string{"cloudtrail": parquetGlob()}))
		s.Sources[0].Engine, s.Sources[0].Paths, s.Sources[0].Pipeline = "athena", nil, "cloudtrail-athena"
		s.Sources[0].Partitions = hunts.Partitions{Date: "timestamp", Format: "yyyy/MM/dd"}
		s.Athena = hunts.AthenaConfig{Region: "us-east-1", Workgroup: "primary", Database: "security", Endpoint: srv.URL}
		return s
	}

	t.Run("findings", func(t *testing.T) {
		fake := &fakeAthena{results: rec.rows}
		srv := httptest.NewServer(fake)
		defer srv.Close()
		s := athenaSpec(t.TempDir(), srv)
		rep := run(t, s, runner.Options{From: from, To: to})
		if len(rep.Errors) > 0 {
			t.Fatalf("errors: %v", rep.Errors)
		}
		if diff := cmp.Diff(want, counts(readFindings(t, s.OutDir))); diff != "" {
			t.Errorf("Athena hunt vs reference (-want +got):\n%s", diff)
		}
		if len(fake.queries) != len(rec.rows) {
			t.Fatalf("Athena received %d queries, DuckDB ran %d", len(fake.queries), len(rec.rows))
		}
		qs := map[string]string{}
		for i, q := range fake.queries {
			qs[strconv.Itoa(i)] = q
			if !strings.Contains(q, `"timestamp" BETWEEN '`+from.Add(-30*24*time.Hour).Format("2006/01/02")) {
				t.Errorf("query %d reads no partition range from the lookback's first day:\n%s", i, q)
			}
		}
		for id, msg := range trinocheck.Errors(t, "../../tools/trino", qs) {
			t.Errorf("query %s is not Trino SQL: %s\n%s", id, msg, qs[id])
		}
		for _, q := range rep.Sources[0].Queries {
			if q.ID == "" || q.Bytes < 25_000_000 || q.Cost <= 0 {
				t.Errorf("query of %v: id %q, %d bytes, %.6f USD: want the engine's id, bytes and cost", q.Rules, q.ID, q.Bytes, q.Cost)
			}
		}
	})

	t.Run("failed query", func(t *testing.T) {
		fake := &fakeAthena{results: rec.rows, fail: map[int]bool{1: true}}
		srv := httptest.NewServer(fake)
		defer srv.Close()
		s := athenaSpec(t.TempDir(), srv)
		rep := run(t, s, runner.Options{From: from, To: to})
		var failed []string
		for _, rr := range rep.Rules {
			if rr.Err != nil {
				failed = append(failed, rr.ID)
				if !strings.Contains(rr.Err.Error(), "cannot be resolved") {
					t.Errorf("rule %s: error %q does not carry Athena's reason", rr.ID, rr.Err)
				}
			}
		}
		if q := rep.Sources[0].Queries[1]; !cmp.Equal(failed, q.Rules) {
			t.Errorf("failed rules %v, want those of the failed query %v", failed, q.Rules)
		}
		if len(readFindings(t, s.OutDir)) == 0 {
			t.Error("the other queries' findings were not written")
		}
	})
}

// The dry run of the example Athena spec prints its queries without
// connecting: Trino SQL that reads only the partitions of the window and
// its lookback, one day past its end, in the listed regions.
func TestAthenaDryRunExample(t *testing.T) {
	spec := load(t, "../examples/aws-athena.yml")
	from := time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)
	rep, err := runner.Run(context.Background(), spec, runner.Options{DryRun: true, From: from, To: from.Add(24 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Errors) > 0 {
		t.Fatalf("errors: %v", rep.Errors)
	}
	src := rep.Sources[0]
	if src.Engine != "athena" || len(src.Queries) < 2 {
		t.Fatalf("engine %q, %d queries", src.Engine, len(src.Queries))
	}
	qs := map[string]string{}
	for i, q := range src.Queries {
		qs[strconv.Itoa(i)] = q.SQL
		for _, want := range []string{`"timestamp" BETWEEN '2026/10/21' AND '2026/11/21'`, `"region" IN ('eu-west-1', 'us-east-1')`} {
			if !strings.Contains(q.SQL, want) {
				t.Errorf("query of %v lacks %s:\n%s", q.Rules, want, q.SQL)
			}
		}
	}
	for id, msg := range trinocheck.Errors(t, "../../tools/trino", qs) {
		t.Errorf("query %s is not Trino SQL: %s\n%s", id, msg, qs[id])
	}
}
