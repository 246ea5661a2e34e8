package bigquery

// The engine runs through cloud.google.com/go/bigquery against the BigQuery
// emulator (bin/bigquery-emulator, `make tools`), behind a recording proxy
// that shows what the client sent (dry runs, parameters, labels, cancels)
// and can hold a response to make a job look long-running.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tokenhunt/tokenhunt/internal/bqemu"
)

// request is one API call the proxy forwarded.
type request struct {
	Method, Path string
	Body         map[string]any
}

// proxy forwards to the emulator and records every request. When hold
// says so, it forwards the request, then keeps the answer until the client
// gives up; when refuse says so, it answers 501 Not Implemented.
type proxy struct {
	target string
	hold   func(r request) bool
	refuse func(r request) bool

	mu   sync.Mutex
	reqs []request
}

func (p *proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	data, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	rec := request{Method: r.Method, Path: r.URL.Path}
	if len(data) > 0 {
		_ = json.Unmarshal(data, &rec.Body)
	}
	p.mu.Lock()
	p.reqs = append(p.reqs, rec)
	hold, refuse := p.hold, p.refuse
	p.mu.Unlock()
	if refuse != nil && refuse(rec) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusNotImplemented)
		_, _ = io.WriteString(w, `{"error":{"code":501,"message":"dry runs are not implemented"}}`)
		return
	}
	out, err := http.NewRequestWithContext(r.Context(), r.Method, p.target+r.URL.RequestURI(), bytes.NewReader(data))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	out.Header = r.Header.Clone()
	resp, err := http.DefaultClient.Do(out)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	defer resp.Body.Close()
	if hold != nil && hold(rec) {
		<-r.Context().Done()
		return
	}
	for k, v := range resp.Header {
		w.Header()[k] = v
	}
	w.WriteHeader(resp.StatusCode)
	_, _ = io.Copy(w, resp.Body)
}

func isDryRun(r request) bool {
	cfg, _ := r.Body["configuration"].(map[string]any)
	return cfg["dryRun"] == true
}

// requests are the calls so far.
func (p *proxy) requests() []request {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]request(nil), p.reqs...)
}

// inserts are the jobs.insert calls so far, dry runs included.
func (p *proxy) inserts() []request {
	var out []request
	for _, r := range p.requests() {
		if r.Method == "POST" && strings.HasSuffix(r.Path, "/projects/"+bqemu.Project+"/jobs") {
			out = append(out, r)
		}
	}
	return out
}

func (p *proxy) setHold(hold func(r request) bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.hold = hold
}

func (p *proxy) setRefuse(refuse func(r request) bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.refuse = refuse
}

var (
	day    = time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC)
	nextDy = day.Add(24 * time.Hour)
	alice  = "arn:aws:iam::111122223333:user/alice"
)

// fixture starts the emulator with a table audit.activity of four events,
// two of them inside [day, nextDy), and a proxy in front of it.
func fixture(t *testing.T) (*bqemu.Emulator, *proxy, *httptest.Server) {
	t.Helper()
	ctx := context.Background()
	emu := bqemu.Start(t, "../../bin/bigquery-emulator")
	if err := emu.CreateDataset(ctx, "audit"); err != nil {
		t.Fatal(err)
	}
	schema := []*bqemu.Field{
		{Name: "event_time", Type: "TIMESTAMP"},
		{Name: "method", Type: "STRING"},
		{Name: "caller", Type: "STRING"},
		{Name: "n", Type: "INT64"},
		{Name: "score", Type: "FLOAT64"},
		{Name: "ok", Type: "BOOL"},
		{Name: "roles", Type: "STRING", Mode: "REPEATED"},
		{Name: "meta", Type: "RECORD", Fields: []*bqemu.Field{{Name: "region", Type: "STRING"}, {Name: "zone", Type: "INT64"}}},
	}
	if err := emu.CreateTable(ctx, "audit", "activity", schema); err != nil {
		t.Fatal(err)
	}
	rows := []map[string]any{
		{"event_time": "2026-11-01T23:59:59Z", "method": "Before", "caller": alice, "n": 9, "score": 9.5, "ok": true},
		{"event_time": "2026-11-02T00:00:00Z", "method": "GetCallerIdentity", "caller": alice, "n": 1, "score": 0.5, "ok": true,
			"roles": []string{"admin", "audit"}, "meta": map[string]any{"region": "us-east-1", "zone": 3}},
		{"event_time": "2026-11-02T10:30:00.123456Z", "method": "AssumeRole", "n": 2, "score": 1.25, "ok": false},
		{"event_time": "2026-11-03T00:00:00Z", "method": "After", "caller": alice, "n": 7, "score": 7.5, "ok": true},
	}
	if err := emu.Insert(ctx, "audit", "activity", rows); err != nil {
		t.Fatal(err)
	}
	p := &proxy{target: emu.URL()}
	srv := httptest.NewServer(p)
	t.Cleanup(srv.Close)
	return emu, p, srv
}

func open(t *testing.T, cfg Config) *Engine {
	t.Helper()
	if cfg.Project == "" {
		cfg.Project = bqemu.Project
	}
	e, err := Open(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = e.Close() })
	return e
}

// collect runs a query and returns its rows.
func collect(t *testing.T, e *Engine, ctx context.Context, query string, params []Param, labels map[string]string) ([]map[string]any, Stats, error) {
	t.Helper()
	var rows []map[string]any
	st, err := e.Query(ctx, query, params, labels, func(m map[string]any) error {
		rows = append(rows, m)
		return nil
	})
	return rows, st, err
}

var window = []Param{{Name: "from", Value: day}, {Name: "to", Value: nextDy}}

func TestQueryTimeWindow(t *testing.T) {
	_, p, srv := fixture(t)
	e := open(t, Config{Endpoint: srv.URL, Location: "US"})
	const q = "SELECT event_time, method, caller, n, score, ok FROM audit.activity WHERE event_time >= @from AND event_time < @to ORDER BY event_time"
	// The window's zone does not matter: parameters go in UTC.
	berlin := time.FixedZone("CET", 3600)
	params := []Param{{Name: "from", Value: day.In(berlin)}, {Name: "to", Value: nextDy}}
	labels := map[string]string{"hunt": "Nightly Session-Tokens", "rule": "3F2504E0-4F89-11D3-9A0C-0305E82C3301"}
	rows, st, err := collect(t, e, context.Background(), q, params, labels)
	if err != nil {
		t.Fatal(err)
	}
	want := []map[string]any{
		{"event_time": day, "method": "GetCallerIdentity", "caller": alice, "n": int64(1), "score": 0.5, "ok": true},
		{"event_time": time.Date(2026, 11, 2, 10, 30, 0, 123456000, time.UTC), "method": "AssumeRole", "caller": nil, "n": int64(2), "score": 1.25, "ok": false},
	}
	if diff := cmp.Diff(want, rows); diff != "" {
		t.Errorf("rows (-want +got):\n%s", diff)
	}
	for _, r := range rows {
		if loc := r["event_time"].(time.Time).Location(); loc != time.UTC {
			t.Errorf("event_time in %v, want UTC", loc)
		}
	}

	// One dry run, then one job with the labels and the parameters; the
	// window never enters the query text.
	ins := p.inserts()
	if len(ins) != 2 || !isDryRun(ins[0]) || isDryRun(ins[1]) {
		t.Fatalf("jobs.insert calls: %+v, want a dry run then a run", ins)
	}
	job := ins[1].Body
	cfg := job["configuration"].(map[string]any)
	query := cfg["query"].(map[string]any)
	if query["query"] != q {
		t.Errorf("query sent %q, want %q", query["query"], q)
	}
	wantLabels := map[string]any{"hunt": "nightly_session-tokens", "rule": "3f2504e0-4f89-11d3-9a0c-0305e82c3301"}
	if diff := cmp.Diff(wantLabels, cfg["labels"]); diff != "" {
		t.Errorf("labels (-want +got):\n%s", diff)
	}
	wantParams := []any{
		map[string]any{"name": "from", "parameterType": map[string]any{"type": "TIMESTAMP"}, "parameterValue": map[string]any{"value": "2026-11-02 00:00:00+00:00"}},
		map[string]any{"name": "to", "parameterType": map[string]any{"type": "TIMESTAMP"}, "parameterValue": map[string]any{"value": "2026-11-03 00:00:00+00:00"}},
	}
	if diff := cmp.Diff(wantParams, query["queryParameters"]); diff != "" {
		t.Errorf("query parameters (-want +got):\n%s", diff)
	}
	if query["useLegacySql"] != false {
		t.Errorf("useLegacySql = %v, want false (GoogleSQL)", query["useLegacySql"])
	}
	ref := job["jobReference"].(map[string]any)
	if ref["jobId"] != st.JobID || !strings.HasPrefix(st.JobID, "tokenhunt_") {
		t.Errorf("job id %v sent, stats say %q; want the same, starting tokenhunt_", ref["jobId"], st.JobID)
	}
	if ref["location"] != "US" {
		t.Errorf("job location %v, want US", ref["location"])
	}

	// The emulator's byte counts are the size of the result cells; the
	// stats carry them through, and the cost prices them per TiB.
	if st.BytesEstimated <= 0 || st.BytesProcessed != st.BytesEstimated {
		t.Errorf("bytes estimated %d, processed %d: want the emulator's result size in both", st.BytesEstimated, st.BytesProcessed)
	}
	if want := float64(st.BytesProcessed) / (1 << 40) * 6.25; st.Cost != want {
		t.Errorf("cost %g, want %g", st.Cost, want)
	}
	if st.Elapsed <= 0 {
		t.Errorf("elapsed %v", st.Elapsed)
	}
}

func TestQueryArraysAndStructs(t *testing.T) {
	_, _, srv := fixture(t)
	e := open(t, Config{Endpoint: srv.URL})
	const q = `SELECT method, roles, meta, [meta] AS metas, ARRAY<INT64>[1, 2] AS nums
FROM audit.activity WHERE event_time >= @from AND event_time < @to ORDER BY event_time`
	rows, _, err := collect(t, e, context.Background(), q, window, nil)
	if err != nil {
		t.Fatal(err)
	}
	meta := map[string]any{"region": "us-east-1", "zone": int64(3)}
	want := []map[string]any{
		{"method": "GetCallerIdentity", "roles": []any{"admin", "audit"}, "meta": meta, "metas": []any{meta}, "nums": []any{int64(1), int64(2)}},
		{"method": "AssumeRole", "roles": []any{}, "meta": nil, "metas": []any{nil}, "nums": []any{int64(1), int64(2)}},
	}
	if diff := cmp.Diff(want, rows); diff != "" {
		t.Errorf("rows (-want +got):\n%s", diff)
	}
}

func TestQueryOtherTypes(t *testing.T) {
	_, _, srv := fixture(t)
	e := open(t, Config{Endpoint: srv.URL})
	const q = `SELECT DATETIME "2026-11-02 10:11:12" AS dt, DATE "2026-11-02" AS d, NUMERIC "1.5" AS num,
b"\x01\x02" AS raw, TIME "10:11:12" AS tm, @n AS n, @s AS s, @f AS f, @b AS b, @list AS list`
	params := []Param{{Name: "n", Value: int64(42)}, {Name: "s", Value: "o'brien"}, {Name: "f", Value: 2.5}, {Name: "b", Value: true}, {Name: "list", Value: []string{"a", "b"}}}
	rows, _, err := collect(t, e, context.Background(), q, params, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := []map[string]any{{
		"dt": time.Date(2026, 11, 2, 10, 11, 12, 0, time.UTC), "d": day, "num": 1.5,
		"raw": "AQI=", "tm": "10:11:12",
		"n": int64(42), "s": "o'brien", "f": 2.5, "b": true, "list": []any{"a", "b"},
	}}
	if diff := cmp.Diff(want, rows); diff != "" {
		t.Errorf("rows (-want +got):\n%s", diff)
	}
}

func TestQueryErrors(t *testing.T) {
	_, _, srv := fixture(t)
	e := open(t, Config{Endpoint: srv.URL})
	for _, tc := range []struct {
		name, query string
		want        []string // in the message
		line, col   int
	}{{
		name:  "syntax",
		query: "SELECT method\nFROM audit.activity\nWHERE event_time >= @from AND AND event_time < @to",
		want:  []string{"syntax error", "3:31", "WHERE event_time >= @from AND AND event_time < @to"},
		line:  3, col: 31,
	}, {
		name:  "unknown column",
		query: "SELECT no_such_column FROM audit.activity WHERE event_time >= @from AND event_time < @to",
		want:  []string{"no_such_column", "1:8"},
		line:  1, col: 8,
	}, {
		name:  "unknown table",
		query: "SELECT method FROM audit.no_such_table WHERE event_time >= @from AND event_time < @to",
		want:  []string{"no_such_table", "1:20"},
		line:  1, col: 20,
	}} {
		t.Run(tc.name, func(t *testing.T) {
			called := false
			_, err := e.Query(context.Background(), tc.query, window, nil, func(map[string]any) error { called = true; return nil })
			var qe *QueryError
			if !errors.As(err, &qe) {
				t.Fatalf("error %v (%T), want a *QueryError", err, err)
			}
			msg := strings.ToLower(err.Error())
			for _, w := range tc.want {
				if !strings.Contains(msg, strings.ToLower(w)) {
					t.Errorf("error %q does not name %q", err, w)
				}
			}
			if qe.Line != tc.line || qe.Col != tc.col {
				t.Errorf("position %d:%d, want %d:%d", qe.Line, qe.Col, tc.line, tc.col)
			}
			if qe.Query != tc.query {
				t.Errorf("query %q, want %q", qe.Query, tc.query)
			}
			// The dry run finds the error: no job runs.
			if qe.JobID != "" || !strings.HasPrefix(err.Error(), "bigquery: dry run: ") {
				t.Errorf("error %q from job %q, want it from the dry run", err, qe.JobID)
			}
			if called {
				t.Error("fn called for a failed query")
			}
		})
	}
}

// An error the dry run does not see (a fake dry run stands for one) fails
// the job, and names it.
func TestQueryJobFails(t *testing.T) {
	_, _, srv := fixture(t)
	e := open(t, Config{Endpoint: srv.URL})
	e.dryRun = func(context.Context, string, []Param) (int64, error) { return 0, nil }
	q := "SELECT method\nFROM audit.activity WHERE no_such_column = 1"
	st, err := e.Query(context.Background(), q, nil, nil, func(map[string]any) error { return nil })
	var qe *QueryError
	if !errors.As(err, &qe) {
		t.Fatalf("error %v (%T), want a *QueryError", err, err)
	}
	if qe.JobID == "" || qe.JobID != st.JobID || !strings.HasPrefix(err.Error(), "bigquery: job "+st.JobID+": ") {
		t.Errorf("error %q of job %q, stats job %q: want the job named", err, qe.JobID, st.JobID)
	}
	if !strings.Contains(qe.Message, "no_such_column") || qe.Line != 2 || qe.Col != 27 {
		t.Errorf("message %q at %d:%d, want no_such_column at 2:27", qe.Message, qe.Line, qe.Col)
	}
}

func TestQueryFnError(t *testing.T) {
	_, _, srv := fixture(t)
	e := open(t, Config{Endpoint: srv.URL})
	stop := errors.New("sink full")
	calls := 0
	_, err := e.Query(context.Background(), "SELECT method FROM audit.activity", nil, nil, func(map[string]any) error {
		calls++
		return stop
	})
	if !errors.Is(err, stop) || calls != 1 {
		t.Errorf("error %v after %d calls, want fn's error after 1", err, calls)
	}
}

func TestQueryCeiling(t *testing.T) {
	_, p, srv := fixture(t)
	e := open(t, Config{Endpoint: srv.URL, MaxBytes: 10})
	const q = "SELECT method, caller FROM audit.activity WHERE event_time >= @from AND event_time < @to"
	est, err := e.DryRun(context.Background(), q, window)
	if err != nil {
		t.Fatal(err)
	}
	if est <= 10 {
		t.Fatalf("the emulator estimates %d bytes; the test needs more than the ceiling of 10", est)
	}
	called := false
	st, err := e.Query(context.Background(), q, window, nil, func(map[string]any) error { called = true; return nil })
	var ce *CeilingError
	if !errors.As(err, &ce) {
		t.Fatalf("error %v, want a *CeilingError", err)
	}
	if diff := cmp.Diff(&CeilingError{Estimate: est, Ceiling: 10}, ce); diff != "" {
		t.Errorf("ceiling error (-want +got):\n%s", diff)
	}
	if st.BytesEstimated != est || st.JobID != "" || called {
		t.Errorf("stats %+v, fn called %v: want the estimate, no job, no rows", st, called)
	}
	for _, r := range p.inserts() {
		if !isDryRun(r) {
			t.Errorf("a job ran above the ceiling: %+v", r.Body)
		}
	}

	// At or under the ceiling the query runs.
	e = open(t, Config{Endpoint: srv.URL, MaxBytes: est})
	rows, _, err := collect(t, e, context.Background(), q, window, nil)
	if err != nil || len(rows) != 2 {
		t.Errorf("at the ceiling: %d rows, error %v; want 2 rows", len(rows), err)
	}
}

// The estimate the ceiling checks comes from the dry run; a fake one stands
// for a big table.
func TestQueryCeilingFakeEstimate(t *testing.T) {
	_, p, srv := fixture(t)
	e := open(t, Config{Endpoint: srv.URL, MaxBytes: 500 << 30})
	e.dryRun = func(context.Context, string, []Param) (int64, error) { return 3 << 40, nil }
	_, err := e.Query(context.Background(), "SELECT 1", nil, nil, func(map[string]any) error { return nil })
	want := "bigquery: the dry run estimates 3.0 TiB (3298534883328 bytes) processed, above the ceiling of 500.0 GiB (536870912000 bytes); the query did not run (narrow the hunt's window or sources, or raise bigquery.max_bytes in the hunt spec)"
	if err == nil || err.Error() != want {
		t.Errorf("error\n%v\nwant\n%s", err, want)
	}
	if n := len(p.inserts()); n != 0 {
		t.Errorf("%d jobs.insert calls, want none", n)
	}
}

// An endpoint without dry runs (501) leaves the estimate unknown when it is
// an emulator's (Config.Endpoint); against BigQuery itself it is an error.
func TestDryRunUnsupported(t *testing.T) {
	_, p, srv := fixture(t)
	p.setRefuse(isDryRun)
	e := open(t, Config{Endpoint: srv.URL, MaxBytes: 1})
	rows, st, err := collect(t, e, context.Background(), "SELECT method FROM audit.activity WHERE event_time >= @from AND event_time < @to", window, nil)
	if err != nil || len(rows) != 2 || st.BytesEstimated != -1 {
		t.Errorf("%d rows, estimate %d, error %v; want 2 rows, estimate -1 (unknown)", len(rows), st.BytesEstimated, err)
	}

	_, err = e.DryRun(context.Background(), "SELECT 1", nil)
	if !errors.Is(err, ErrEstimateUnknown) {
		t.Errorf("dry run at the endpoint: error %v, want ErrEstimateUnknown", err)
	}

	// The same client as against BigQuery (no Endpoint in the config).
	e.cfg.Endpoint = ""
	_, err = e.DryRun(context.Background(), "SELECT 1", nil)
	var qe *QueryError
	if !errors.As(err, &qe) || !strings.Contains(err.Error(), "dry runs are not implemented") {
		t.Errorf("error %v, want a *QueryError naming the dry run's failure", err)
	}
	_, err = e.Query(context.Background(), "SELECT 1", nil, nil, func(map[string]any) error { return nil })
	if !errors.As(err, &qe) {
		t.Errorf("error %v, want the dry run's *QueryError", err)
	}
}

func TestQueryCancel(t *testing.T) {
	for _, tc := range []struct {
		name string
		hold func(r request) bool // the call that hangs
	}{{
		name: "while the job runs",
		hold: func(r request) bool { return strings.Contains(r.Path, "/queries/") },
	}, {
		name: "while the job is inserted",
		hold: func(r request) bool {
			return r.Method == "POST" && strings.HasSuffix(r.Path, "/jobs") && !isDryRun(r)
		},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			_, p, srv := fixture(t)
			p.setHold(tc.hold)
			e := open(t, Config{Endpoint: srv.URL})
			ctx, cancel := context.WithCancel(context.Background())
			time.AfterFunc(500*time.Millisecond, cancel)
			start := time.Now()
			rows, st, err := collect(t, e, ctx, "SELECT method FROM audit.activity", nil, nil)
			if !errors.Is(err, context.Canceled) || err != ctx.Err() {
				t.Fatalf("error %v, want ctx.Err()", err)
			}
			if d := time.Since(start); d > 5*time.Second {
				t.Errorf("returned %v after the start, want promptly after the cancel at 500ms", d)
			}
			if len(rows) != 0 {
				t.Errorf("rows %v after cancel", rows)
			}
			if !cancelled(p, st.JobID) {
				t.Errorf("no jobs.cancel of %s among %+v", st.JobID, p.requests())
			}
		})
	}
}

// A cancel while fn handles a row stops the rows there.
func TestQueryCancelInFn(t *testing.T) {
	_, p, srv := fixture(t)
	e := open(t, Config{Endpoint: srv.URL})
	ctx, cancel := context.WithCancel(context.Background())
	calls := 0
	st, err := e.Query(ctx, "SELECT method FROM audit.activity", nil, nil, func(map[string]any) error {
		calls++
		cancel()
		return nil
	})
	if err != context.Canceled || calls != 1 {
		t.Errorf("error %v after %d rows, want context.Canceled after 1", err, calls)
	}
	if !cancelled(p, st.JobID) {
		t.Errorf("no jobs.cancel of %s", st.JobID)
	}
}

func cancelled(p *proxy, jobID string) bool {
	for _, r := range p.requests() {
		if r.Method == "POST" && strings.HasSuffix(r.Path, "/jobs/"+jobID+"/cancel") && jobID != "" {
			return true
		}
	}
	return false
}
