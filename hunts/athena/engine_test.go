package athena_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/athena/types"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/tokenhunt/tokenhunt/hunts/athena"
	"github.com/tokenhunt/tokenhunt/internal/trinocheck"
)

const (
	trinoTool = "../../tools/trino"
	fakeKeyID = "AKIDTOKENHUNTFAKE"
	queryID   = "q-0001"
	huntQuery = `SELECT "eventtime", "eventname" FROM "cloudtrail_logs"` + "\n" +
		`WHERE "eventtime" >= ? AND "eventtime" < ? AND lower("eventname") = 'getsessiontoken'`
)

var window = []string{"TIMESTAMP '2026-11-02 00:00:00'", "TIMESTAMP '2026-11-03 00:00:00'"}

// fakeAWSEnv makes the standard credential chain resolve offline to fake
// environment keys, with no shared files and no instance metadata.
func fakeAWSEnv(t *testing.T) {
	t.Helper()
	dir := t.TempDir()
	for _, name := range []string{"config", "credentials"} {
		if err := os.WriteFile(filepath.Join(dir, name), nil, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(dir, "config"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(dir, "credentials"))
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	t.Setenv("AWS_ACCESS_KEY_ID", fakeKeyID)
	t.Setenv("AWS_SECRET_ACCESS_KEY", "fake-secret-key")
	t.Setenv("AWS_SESSION_TOKEN", "")
	t.Setenv("AWS_PROFILE", "")
	t.Setenv("AWS_REGION", "eu-west-1")
	t.Setenv("AWS_DEFAULT_REGION", "")
	t.Setenv("AWS_ENDPOINT_URL", "")
	t.Setenv("AWS_ENDPOINT_URL_ATHENA", "")
}

// call is one request the fake server received.
type call struct {
	Target string // StartQueryExecution, GetQueryExecution, ...
	Body   map[string]any
	Auth   string
}

// apiError is an error answer of the AWS JSON 1.1 protocol.
type apiError struct {
	Status int
	Code   string
	Extra  map[string]any
}

// fakeAthena speaks enough of the Athena JSON protocol (AWS JSON 1.1,
// X-Amz-Target: AmazonAthena.*) to run queries from canned answers.
type fakeAthena struct {
	t *testing.T

	// Set before the test runs.
	errs          map[string][]apiError // per target, answered (in order) before the real answers
	states        []string              // answers of GetQueryExecution, the last one repeats
	reason        string                // StateChangeReason of a FAILED or CANCELLED query
	athenaError   map[string]any        // Status.AthenaError
	statementType string
	scanned       int64
	pages         []map[string]any // result sets; page i+1 is asked for with NextToken "page-<i+1>"
	blockStatus   bool             // GetQueryExecution hangs until the client gives up
	badSQL        bool             // the test sends a query that is not Trino SQL on purpose
	polled        chan struct{}    // receives (without blocking) on every GetQueryExecution

	mu    sync.Mutex
	calls []call
	polls int
}

func (f *fakeAthena) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	target, ok := strings.CutPrefix(r.Header.Get("X-Amz-Target"), "AmazonAthena.")
	if r.Method != http.MethodPost || !ok || r.Header.Get("Content-Type") != "application/x-amz-json-1.1" {
		f.t.Errorf("unexpected request %s %s, X-Amz-Target %q, Content-Type %q",
			r.Method, r.URL, r.Header.Get("X-Amz-Target"), r.Header.Get("Content-Type"))
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	data, err := io.ReadAll(r.Body)
	var body map[string]any
	if err == nil {
		err = json.Unmarshal(data, &body)
	}
	if err != nil {
		f.t.Errorf("%s: body %q: %v", target, data, err)
		http.Error(w, "bad body", http.StatusBadRequest)
		return
	}

	f.mu.Lock()
	f.calls = append(f.calls, call{Target: target, Body: body, Auth: r.Header.Get("Authorization")})
	if q := f.errs[target]; len(q) > 0 {
		e := q[0]
		f.errs[target] = q[1:]
		f.mu.Unlock()
		writeError(w, e)
		return
	}
	var answer any
	switch target {
	case "StartQueryExecution":
		answer = map[string]any{"QueryExecutionId": queryID}
	case "GetQueryExecution":
		if f.polled != nil {
			select {
			case f.polled <- struct{}{}:
			default:
			}
		}
		if f.blockStatus {
			f.mu.Unlock()
			<-r.Context().Done()
			return
		}
		state := f.states[min(f.polls, len(f.states)-1)]
		f.polls++
		status := map[string]any{"State": state, "SubmissionDateTime": 1.7932e9}
		if state == "FAILED" || state == "CANCELLED" {
			status["StateChangeReason"] = f.reason
			if f.athenaError != nil {
				status["AthenaError"] = f.athenaError
			}
		}
		qe := map[string]any{
			"QueryExecutionId": queryID,
			"Status":           status,
			"Statistics":       map[string]any{"DataScannedInBytes": f.scanned, "TotalExecutionTimeInMillis": 1234},
		}
		if f.statementType != "" {
			qe["StatementType"] = f.statementType
		}
		answer = map[string]any{"QueryExecution": qe}
	case "GetQueryResults":
		i := 0
		if tok, _ := body["NextToken"].(string); tok != "" {
			var ok bool
			if i, ok = pageIndex(tok); !ok || i < 1 || i >= len(f.pages) {
				f.mu.Unlock()
				writeError(w, apiError{400, "InvalidRequestException", map[string]any{"Message": "bad NextToken " + tok}})
				return
			}
		}
		page := map[string]any{"ResultSet": f.pages[i], "UpdateCount": 0}
		if i+1 < len(f.pages) {
			page["NextToken"] = "page-" + strconv.Itoa(i+1)
		}
		answer = page
	case "StopQueryExecution":
		answer = map[string]any{}
	default:
		f.mu.Unlock()
		f.t.Errorf("unexpected operation %s", target)
		writeError(w, apiError{400, "UnknownOperationException", nil})
		return
	}
	f.mu.Unlock()
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	if err := json.NewEncoder(w).Encode(answer); err != nil {
		f.t.Error(err)
	}
}

// pageIndex reads the NextToken "page-<n>".
func pageIndex(tok string) (int, bool) {
	s, ok := strings.CutPrefix(tok, "page-")
	n, err := strconv.Atoi(s)
	return n, ok && err == nil
}

func writeError(w http.ResponseWriter, e apiError) {
	body := map[string]any{"__type": e.Code, "Message": "Rate exceeded"}
	for k, v := range e.Extra {
		body[k] = v
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.Header().Set("X-Amzn-ErrorType", e.Code)
	w.WriteHeader(e.Status)
	_ = json.NewEncoder(w).Encode(body)
}

// received returns the requests so far.
func (f *fakeAthena) received() []call {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]call(nil), f.calls...)
}

// targets returns the operations received, in order.
func (f *fakeAthena) targets() []string {
	var out []string
	for _, c := range f.received() {
		out = append(out, c.Target)
	}
	return out
}

// start serves f and opens an engine on it; at the end of the test every
// query the server received must parse with the Trino grammar.
func start(t *testing.T, f *fakeAthena, cfg athena.Config) *athena.Engine {
	t.Helper()
	f.t = t
	if f.errs == nil {
		f.errs = map[string][]apiError{}
	}
	fakeAWSEnv(t)
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	cfg.Endpoint = srv.URL
	if cfg.Workgroup == "" {
		cfg.Workgroup = "hunts"
	}
	if cfg.PollInterval == 0 {
		cfg.PollInterval = time.Millisecond
		cfg.MaxPollInterval = 4 * time.Millisecond
	}
	e, err := athena.Open(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if f.badSQL {
			return
		}
		queries := map[string]string{}
		for i, c := range f.received() {
			if c.Target == "StartQueryExecution" {
				q, _ := c.Body["QueryString"].(string)
				queries["request "+strconv.Itoa(i)] = q
			}
		}
		for id, msg := range trinocheck.Errors(t, trinoTool, queries) {
			t.Errorf("the server received a query the Trino grammar rejects: %s\n%s", msg, queries[id])
		}
	})
	return e
}

// resultSet builds a GetQueryResults ResultSet: columns as name/type pairs,
// rows of string or nil (NULL) values.
func resultSet(cols [][2]string, rows ...[]any) map[string]any {
	var info []map[string]any
	for _, c := range cols {
		info = append(info, map[string]any{"Name": c[0], "Label": c[0], "Type": c[1], "Nullable": "UNKNOWN", "CaseSensitive": true})
	}
	var rs []map[string]any
	for _, r := range rows {
		var data []map[string]any
		for _, v := range r {
			if v == nil {
				data = append(data, map[string]any{})
			} else {
				data = append(data, map[string]any{"VarCharValue": v})
			}
		}
		rs = append(rs, map[string]any{"Data": data})
	}
	return map[string]any{"ResultSetMetadata": map[string]any{"ColumnInfo": info}, "Rows": rs}
}

func collect(rows *[]map[string]any) func(map[string]any) error {
	return func(m map[string]any) error {
		*rows = append(*rows, m)
		return nil
	}
}

var allTypes = [][2]string{
	{"eventtime", "timestamp"}, {"eventname", "varchar"}, {"n", "bigint"}, {"score", "double"},
	{"readonly", "boolean"}, {"ips", "json"}, {"day", "date"}, {"seen", "timestamp with time zone"},
	{"tags", "map"}, {"small", "integer"},
}

func utc(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		panic(err)
	}
	return t.UTC()
}

// TestQueryTwoPages: a query that waits in QUEUED and RUNNING, then
// returns two pages of results, typed by the column metadata, the header
// row skipped; the request carries the workgroup, context, result location
// and parameters; the scanned bytes are priced.
func TestQueryTwoPages(t *testing.T) {
	f := &fakeAthena{
		states:        []string{"QUEUED", "RUNNING", "SUCCEEDED"},
		statementType: "DML",
		scanned:       123_456_789,
		pages: []map[string]any{
			resultSet(allTypes,
				[]any{"eventtime", "eventname", "n", "score", "readonly", "ips", "day", "seen", "tags", "small"},
				[]any{"2026-11-02 10:00:00.000", "GetSessionToken", "42", "0.5", "true", `["1.2.3.4","075.050.255.67"]`,
					"2026-11-02", "2026-11-02 11:00:00.123 UTC", "{a=1, b=2}", nil},
				[]any{"2026-11-02 10:05:00.250", "AssumeRole", "-7", "1e3", "false", "[]", "2026-11-01", "2026-11-02 12:00:00.000 +01:00", nil, "3"},
			),
			resultSet(allTypes,
				[]any{"2026-11-02 23:59:59.999", "GetFederationToken", "9007199254740993", "NaN", "true", `{"k":[1,"x",null]}`,
					"2026-11-02", "2026-11-02 08:00:00.000 America/New_York", "{}", "0"},
			),
		},
	}
	e := start(t, f, athena.Config{
		Region: "eu-west-1", Workgroup: "hunts", Catalog: "AwsDataCatalog", Database: "security",
		OutputLocation: "s3://results/tokenhunt/",
	})
	var got []map[string]any
	st, err := e.Query(context.Background(), huntQuery, window, collect(&got))
	if err != nil {
		t.Fatal(err)
	}
	want := []map[string]any{
		{
			"eventtime": utc("2026-11-02T10:00:00Z"), "eventname": "GetSessionToken", "n": int64(42), "score": 0.5,
			"readonly": true, "ips": []any{"1.2.3.4", "075.050.255.67"}, "day": utc("2026-11-02T00:00:00Z"),
			"seen": utc("2026-11-02T11:00:00.123Z"), "tags": "{a=1, b=2}", "small": nil,
		},
		{
			"eventtime": utc("2026-11-02T10:05:00.25Z"), "eventname": "AssumeRole", "n": int64(-7), "score": 1000.0,
			"readonly": false, "ips": []any{}, "day": utc("2026-11-01T00:00:00Z"),
			"seen": utc("2026-11-02T11:00:00Z"), "tags": nil, "small": int64(3),
		},
		{
			"eventtime": utc("2026-11-02T23:59:59.999Z"), "eventname": "GetFederationToken", "n": int64(9007199254740993),
			"score": math.NaN(), "readonly": true, "ips": map[string]any{"k": []any{1.0, "x", nil}}, "day": utc("2026-11-02T00:00:00Z"),
			"seen": utc("2026-11-02T13:00:00Z"), "tags": "{}", "small": int64(0),
		},
	}
	if diff := cmp.Diff(want, got, cmpopts.EquateNaNs()); diff != "" {
		t.Errorf("rows (-want +got):\n%s", diff)
	}

	wantStats := athena.Stats{QueryID: queryID, BytesScanned: 123_456_789, Cost: 124e6 / 1e12 * 5, State: "SUCCEEDED"}
	if diff := cmp.Diff(wantStats, st, cmpStats); diff != "" {
		t.Errorf("stats (-want +got):\n%s", diff)
	}
	if st.Elapsed <= 0 {
		t.Errorf("Elapsed = %v, want > 0", st.Elapsed)
	}

	calls := f.received()
	wantTargets := []string{"StartQueryExecution", "GetQueryExecution", "GetQueryExecution", "GetQueryExecution",
		"GetQueryResults", "GetQueryResults"}
	if diff := cmp.Diff(wantTargets, f.targets()); diff != "" {
		t.Fatalf("operations (-want +got):\n%s", diff)
	}
	startBody := calls[0].Body
	if tok, _ := startBody["ClientRequestToken"].(string); tok == "" {
		t.Errorf("StartQueryExecution has no ClientRequestToken")
	}
	delete(startBody, "ClientRequestToken")
	wantStart := map[string]any{
		"QueryString":           huntQuery,
		"ExecutionParameters":   []any{window[0], window[1]},
		"WorkGroup":             "hunts",
		"QueryExecutionContext": map[string]any{"Catalog": "AwsDataCatalog", "Database": "security"},
		"ResultConfiguration":   map[string]any{"OutputLocation": "s3://results/tokenhunt/"},
	}
	if diff := cmp.Diff(wantStart, startBody); diff != "" {
		t.Errorf("StartQueryExecution request (-want +got):\n%s", diff)
	}
	wantPages := []map[string]any{
		{"QueryExecutionId": queryID, "MaxResults": 1000.0},
		{"QueryExecutionId": queryID, "MaxResults": 1000.0, "NextToken": "page-1"},
	}
	if diff := cmp.Diff(wantPages, []map[string]any{calls[4].Body, calls[5].Body}); diff != "" {
		t.Errorf("GetQueryResults requests (-want +got):\n%s", diff)
	}
	for _, c := range calls {
		if !strings.Contains(c.Auth, "Credential="+fakeKeyID+"/") || !strings.Contains(c.Auth, "/eu-west-1/athena/") {
			t.Errorf("%s is not signed with the chain's key for eu-west-1: Authorization %q", c.Target, c.Auth)
		}
	}
}

var cmpStats = cmp.FilterPath(func(p cmp.Path) bool { return p.Last().String() == ".Elapsed" }, cmp.Ignore())

// TestQueryNoParams: without parameters the request has no
// ExecutionParameters (Athena refuses an empty list), and without a result
// location or context the workgroup's are used.
func TestQueryNoParams(t *testing.T) {
	f := &fakeAthena{states: []string{"SUCCEEDED"}, statementType: "DML",
		pages: []map[string]any{resultSet([][2]string{{"n", "bigint"}}, []any{"n"})}}
	e := start(t, f, athena.Config{})
	var got []map[string]any
	if _, err := e.Query(context.Background(), `SELECT count(*) AS "n" FROM "cloudtrail_logs"`, nil, collect(&got)); err != nil {
		t.Fatal(err)
	}
	if len(got) != 0 {
		t.Errorf("rows = %v, want none (only the header)", got)
	}
	body := f.received()[0].Body
	delete(body, "ClientRequestToken")
	want := map[string]any{"QueryString": `SELECT count(*) AS "n" FROM "cloudtrail_logs"`, "WorkGroup": "hunts"}
	if diff := cmp.Diff(want, body); diff != "" {
		t.Errorf("StartQueryExecution request (-want +got):\n%s", diff)
	}
}

// TestHeaderRow: the first row of a SELECT (DML) names the columns and is
// skipped; other statements have no header; when Athena gives no statement
// type the row is skipped only if it holds the column names.
func TestHeaderRow(t *testing.T) {
	cols := [][2]string{{"tab_name", "string"}}
	tests := []struct {
		name, statementType string
		rows                [][]any
		want                []map[string]any
	}{
		{"select", "DML", [][]any{{"tab_name"}, {"cloudtrail_logs"}}, []map[string]any{{"tab_name": "cloudtrail_logs"}}},
		{"show tables", "UTILITY", [][]any{{"cloudtrail_logs"}, {"vpc_flow"}},
			[]map[string]any{{"tab_name": "cloudtrail_logs"}, {"tab_name": "vpc_flow"}}},
		{"ddl", "DDL", [][]any{{"tab_name"}}, []map[string]any{{"tab_name": "tab_name"}}},
		{"unknown type with header", "", [][]any{{"tab_name"}, {"x"}}, []map[string]any{{"tab_name": "x"}}},
		{"unknown type without header", "", [][]any{{"x"}, {"y"}}, []map[string]any{{"tab_name": "x"}, {"tab_name": "y"}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := &fakeAthena{states: []string{"SUCCEEDED"}, statementType: tc.statementType,
				pages: []map[string]any{resultSet(cols, tc.rows...)}}
			e := start(t, f, athena.Config{})
			var got []map[string]any
			if _, err := e.Query(context.Background(), `SHOW TABLES`, nil, collect(&got)); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("rows (-want +got):\n%s", diff)
			}
		})
	}
}

// TestQueryFails: a query that Athena refuses, that fails or that is
// cancelled returns a *QueryError naming the query id, Athena's reason,
// and for a syntax error the line of the query with a caret; no results
// are read and nothing is stopped.
func TestQueryFails(t *testing.T) {
	const bad = "SELECT \"eventname\"\n\tFORM \"cloudtrail_logs\"\nWHERE \"eventtime\" >= ?"
	tests := []struct {
		name        string
		f           *fakeAthena
		query       string
		want        athena.QueryError
		wantText    string
		wantTargets []string
		wantStats   athena.Stats
	}{
		{
			name: "syntax error",
			f: &fakeAthena{states: []string{"RUNNING", "FAILED"}, badSQL: true, scanned: 0,
				reason:      "line 2:2: mismatched input 'FORM'. Expecting: ',', 'EXCEPT', 'FROM'",
				athenaError: map[string]any{"ErrorCategory": 2, "ErrorType": 1006, "Retryable": false, "ErrorMessage": "mismatched input"}},
			query: bad,
			want: athena.QueryError{QueryID: queryID, State: "FAILED", Query: bad, Line: 2, Col: 2, Category: "user",
				Reason: "line 2:2: mismatched input 'FORM'. Expecting: ',', 'EXCEPT', 'FROM'"},
			wantText: "athena query q-0001 failed: line 2:2: mismatched input 'FORM'. Expecting: ',', 'EXCEPT', 'FROM'\n" +
				"    2 | \tFORM \"cloudtrail_logs\"\n" +
				"      | \t^",
			wantTargets: []string{"StartQueryExecution", "GetQueryExecution", "GetQueryExecution"},
			wantStats:   athena.Stats{QueryID: queryID, State: "FAILED"},
		},
		{
			name: "analysis error, no charge for a failed query",
			f: &fakeAthena{states: []string{"FAILED"}, scanned: 5_000_000,
				reason:      "COLUMN_NOT_FOUND: line 1:8: Column 'eventnam' cannot be resolved or requester is not authorized to access requested resources",
				athenaError: map[string]any{"ErrorCategory": 2, "ErrorType": 1006, "Retryable": false}},
			query: `SELECT "eventnam" FROM "cloudtrail_logs"`,
			want: athena.QueryError{QueryID: queryID, State: "FAILED", Query: `SELECT "eventnam" FROM "cloudtrail_logs"`, Line: 1, Col: 8, Category: "user",
				Reason: "COLUMN_NOT_FOUND: line 1:8: Column 'eventnam' cannot be resolved or requester is not authorized to access requested resources"},
			wantText: "athena query q-0001 failed: COLUMN_NOT_FOUND: line 1:8: Column 'eventnam' cannot be resolved or requester is not authorized to access requested resources\n" +
				"    1 | SELECT \"eventnam\" FROM \"cloudtrail_logs\"\n" +
				"      |        ^",
			wantTargets: []string{"StartQueryExecution", "GetQueryExecution"},
			wantStats:   athena.Stats{QueryID: queryID, State: "FAILED", BytesScanned: 5_000_000},
		},
		{
			name: "internal error, retryable",
			f: &fakeAthena{states: []string{"FAILED"},
				athenaError: map[string]any{"ErrorCategory": 1, "ErrorType": 401, "Retryable": true, "ErrorMessage": "Query exhausted resources at this scale factor"}},
			query:       `SELECT 1`,
			want:        athena.QueryError{QueryID: queryID, State: "FAILED", Query: `SELECT 1`, Category: "system", Retryable: true, Reason: "Query exhausted resources at this scale factor"},
			wantText:    "athena query q-0001 failed: Query exhausted resources at this scale factor",
			wantTargets: []string{"StartQueryExecution", "GetQueryExecution"},
			wantStats:   athena.Stats{QueryID: queryID, State: "FAILED"},
		},
		{
			name:        "cancelled by the workgroup's data limit, billed for what it scanned",
			f:           &fakeAthena{states: []string{"RUNNING", "CANCELLED"}, scanned: 2_000_000_000, reason: "Query cancelled: data scanned exceeded the workgroup limit"},
			query:       `SELECT 1`,
			want:        athena.QueryError{QueryID: queryID, State: "CANCELLED", Query: `SELECT 1`, Reason: "Query cancelled: data scanned exceeded the workgroup limit"},
			wantText:    "athena query q-0001 was cancelled: Query cancelled: data scanned exceeded the workgroup limit",
			wantTargets: []string{"StartQueryExecution", "GetQueryExecution", "GetQueryExecution"},
			wantStats:   athena.Stats{QueryID: queryID, State: "CANCELLED", BytesScanned: 2_000_000_000, Cost: 0.01},
		},
		{
			name: "refused at start",
			f: &fakeAthena{errs: map[string][]apiError{"StartQueryExecution": {{400, "InvalidRequestException",
				map[string]any{"Message": "line 1:1: Queries of this type are not supported", "AthenaErrorCode": "INVALID_INPUT"}}}}},
			query:       `VACUUM "cloudtrail_logs"`,
			want:        athena.QueryError{State: athena.StateRejected, Query: `VACUUM "cloudtrail_logs"`, Line: 1, Col: 1, Category: "user", Reason: "INVALID_INPUT: line 1:1: Queries of this type are not supported"},
			wantText:    "athena refused the query: INVALID_INPUT: line 1:1: Queries of this type are not supported\n    1 | VACUUM \"cloudtrail_logs\"\n      | ^",
			wantTargets: []string{"StartQueryExecution"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.f.badSQL = true // the queries are wrong on purpose or are not SELECTs
			e := start(t, tc.f, athena.Config{})
			st, err := e.Query(context.Background(), tc.query, nil, func(map[string]any) error {
				t.Error("fn called for a failed query")
				return nil
			})
			var qe *athena.QueryError
			if !errors.As(err, &qe) {
				t.Fatalf("err = %v (%T), want *athena.QueryError", err, err)
			}
			if diff := cmp.Diff(tc.want, *qe); diff != "" {
				t.Errorf("QueryError (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.wantText, err.Error()); diff != "" {
				t.Errorf("Error() (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.wantTargets, tc.f.targets()); diff != "" {
				t.Errorf("operations (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.wantStats, st, cmpStats); diff != "" {
				t.Errorf("stats (-want +got):\n%s", diff)
			}
		})
	}
}

// TestThrottling: throttled requests (400 TooManyRequestsException, 429
// ThrottlingException) are retried with backoff and the query succeeds;
// the retried StartQueryExecution keeps its ClientRequestToken, so Athena
// starts the query once.
func TestThrottling(t *testing.T) {
	throttled := apiError{400, "TooManyRequestsException", map[string]any{"Reason": "CONCURRENT_QUERY_LIMIT_EXCEEDED"}}
	rate := apiError{429, "ThrottlingException", nil}
	f := &fakeAthena{
		errs: map[string][]apiError{
			"StartQueryExecution": {throttled, rate},
			"GetQueryExecution":   {rate},
			"GetQueryResults":     {throttled},
		},
		states: []string{"SUCCEEDED"}, statementType: "DML", scanned: 10,
		pages: []map[string]any{resultSet([][2]string{{"eventname", "varchar"}}, []any{"eventname"}, []any{"GetSessionToken"})},
	}
	e := start(t, f, athena.Config{})
	var got []map[string]any
	st, err := e.Query(context.Background(), huntQuery, window, collect(&got))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]map[string]any{{"eventname": "GetSessionToken"}}, got); diff != "" {
		t.Errorf("rows (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(athena.Stats{QueryID: queryID, State: "SUCCEEDED", BytesScanned: 10, Cost: 10e6 / 1e12 * 5}, st, cmpStats); diff != "" {
		t.Errorf("stats (-want +got):\n%s", diff)
	}
	want := []string{"StartQueryExecution", "StartQueryExecution", "StartQueryExecution",
		"GetQueryExecution", "GetQueryExecution", "GetQueryResults", "GetQueryResults"}
	if diff := cmp.Diff(want, f.targets()); diff != "" {
		t.Errorf("operations (-want +got):\n%s", diff)
	}
	tokens := map[any]bool{}
	for _, c := range f.received()[:3] {
		tokens[c.Body["ClientRequestToken"]] = true
	}
	if len(tokens) != 1 || tokens[nil] || tokens[""] {
		t.Errorf("the retried StartQueryExecution requests carry the tokens %v, want one token", tokens)
	}
}

// TestThrottlingBounded: a request that stays throttled is tried
// MaxAttempts times, then the throttling error is returned.
func TestThrottlingBounded(t *testing.T) {
	var throttled []apiError
	for range 10 {
		throttled = append(throttled, apiError{400, "TooManyRequestsException", nil})
	}
	f := &fakeAthena{errs: map[string][]apiError{"StartQueryExecution": throttled}, states: []string{"SUCCEEDED"}}
	e := start(t, f, athena.Config{MaxAttempts: 4})
	_, err := e.Query(context.Background(), huntQuery, window, func(map[string]any) error { return nil })
	var tooMany *types.TooManyRequestsException
	if !errors.As(err, &tooMany) {
		t.Fatalf("err = %v, want a TooManyRequestsException", err)
	}
	if !strings.HasPrefix(err.Error(), "athena: starting the query: ") {
		t.Errorf("err = %q, want it to say what failed", err)
	}
	if diff := cmp.Diff([]string{"StartQueryExecution", "StartQueryExecution", "StartQueryExecution", "StartQueryExecution"}, f.targets()); diff != "" {
		t.Errorf("operations (-want +got):\n%s", diff)
	}
}

// TestCancel: when the caller's context ends while the query runs, Query
// returns promptly with ctx.Err() and the server sees StopQueryExecution
// for the query.
func TestCancel(t *testing.T) {
	tests := []struct {
		name string
		// hang: GetQueryExecution never answers; otherwise the engine sleeps an
		// hour between polls.
		hang     bool
		deadline bool
		want     error
	}{
		{name: "between polls", want: context.Canceled},
		{name: "during a status request", hang: true, want: context.Canceled},
		{name: "deadline", deadline: true, want: context.DeadlineExceeded},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := &fakeAthena{states: []string{"RUNNING"}, blockStatus: tc.hang, polled: make(chan struct{}, 1)}
			e := start(t, f, athena.Config{PollInterval: time.Hour, MaxPollInterval: time.Hour})
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			if tc.deadline {
				ctx, cancel = context.WithTimeout(ctx, 300*time.Millisecond)
				defer cancel()
			} else {
				go func() {
					<-f.polled
					time.Sleep(50 * time.Millisecond)
					cancel()
				}()
			}
			began := time.Now()
			_, err := e.Query(ctx, huntQuery, window, func(map[string]any) error { return nil })
			if took := time.Since(began); took > 5*time.Second {
				t.Errorf("Query returned after %v, want promptly", took)
			}
			if !errors.Is(err, tc.want) || err.Error() != tc.want.Error() {
				t.Errorf("err = %v, want %v", err, tc.want)
			}
			calls := f.received()
			last := calls[len(calls)-1]
			if last.Target != "StopQueryExecution" || last.Body["QueryExecutionId"] != queryID {
				t.Errorf("last request = %s %v, want StopQueryExecution of %s", last.Target, last.Body, queryID)
			}
		})
	}
}

// TestCallbackError: an error from fn ends the paging and is returned as
// is; the finished query is not stopped.
func TestCallbackError(t *testing.T) {
	cols := [][2]string{{"eventname", "varchar"}}
	f := &fakeAthena{states: []string{"SUCCEEDED"}, statementType: "DML", pages: []map[string]any{
		resultSet(cols, []any{"eventname"}, []any{"A"}, []any{"B"}),
		resultSet(cols, []any{"C"}),
	}}
	e := start(t, f, athena.Config{})
	stop := errors.New("sink full")
	n := 0
	_, err := e.Query(context.Background(), huntQuery, window, func(map[string]any) error {
		n++
		return stop
	})
	if err != stop {
		t.Errorf("err = %v, want the callback's error", err)
	}
	if n != 1 {
		t.Errorf("fn called %d times, want 1", n)
	}
	want := []string{"StartQueryExecution", "GetQueryExecution", "GetQueryResults"}
	if diff := cmp.Diff(want, f.targets()); diff != "" {
		t.Errorf("operations (-want +got):\n%s", diff)
	}
}

// TestBadValue: a value that does not read as its column's type is an
// error naming the query, the column and the value.
func TestBadValue(t *testing.T) {
	f := &fakeAthena{states: []string{"SUCCEEDED"}, statementType: "DML", pages: []map[string]any{
		resultSet([][2]string{{"n", "bigint"}}, []any{"n"}, []any{"12x"}),
	}}
	e := start(t, f, athena.Config{})
	_, err := e.Query(context.Background(), `SELECT 1 AS "n"`, nil, func(map[string]any) error { return nil })
	want := `athena query q-0001: column "n" (bigint): "12x" is not an integer`
	if err == nil || err.Error() != want {
		t.Errorf("err = %v, want %s", err, want)
	}
}

// TestOpen: the region and the credentials come from the standard chain;
// without them Open says what is missing.
func TestOpen(t *testing.T) {
	tests := []struct {
		name    string
		env     map[string]string
		cfg     athena.Config
		wantErr string
	}{
		{name: "region from the environment", env: map[string]string{}},
		{name: "region from the config", env: map[string]string{"AWS_REGION": ""}, cfg: athena.Config{Region: "us-east-2"}},
		{name: "no region", env: map[string]string{"AWS_REGION": ""}, wantErr: "athena: no AWS region"},
		{name: "no credentials", env: map[string]string{"AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": ""},
			wantErr: "athena: no AWS credentials from the standard chain"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fakeAWSEnv(t)
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			_, err := athena.Open(ctx, tc.cfg)
			switch {
			case tc.wantErr == "" && err != nil:
				t.Errorf("Open: %v", err)
			case tc.wantErr != "" && (err == nil || !strings.HasPrefix(err.Error(), tc.wantErr)):
				t.Errorf("Open: err = %v, want %s...", err, tc.wantErr)
			}
		})
	}
}
