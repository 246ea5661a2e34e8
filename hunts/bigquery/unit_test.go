package bigquery

import (
	"context"
	"errors"
	"fmt"
	"math/big"
	"path/filepath"
	"strings"
	"testing"
	"time"

	bq "cloud.google.com/go/bigquery"
	"cloud.google.com/go/civil"
	"github.com/google/go-cmp/cmp"
	"google.golang.org/api/googleapi"
)

func TestSanitizeLabels(t *testing.T) {
	long := strings.Repeat("x", 70)
	for _, tc := range []struct {
		name string
		in   map[string]string
		want map[string]string
	}{
		{"none", nil, nil},
		{"lower-cased, others to _", map[string]string{"Hunt": "Nightly Session Tokens/AWS", "rule": "3F25-04E0"},
			map[string]string{"hunt": "nightly_session_tokens_aws", "rule": "3f25-04e0"}},
		{"non-ASCII letters to _", map[string]string{"hunt": "Ünïcode"}, map[string]string{"hunt": "_n_code"}},
		{"keys start with a letter", map[string]string{"1st": "a", "_x": "b", "-y": "c"},
			map[string]string{"l_1st": "a", "l__x": "b", "l_-y": "c"}},
		{"cut to 63", map[string]string{long: long, "9" + long: ""},
			map[string]string{long[:63]: long[:63], "l_9" + long[:60]: ""}},
		{"empty key dropped, empty value kept", map[string]string{"": "x", "k": ""}, map[string]string{"k": ""}},
		{"collision: first sorted key wins", map[string]string{"Rule": "b", "RULE": "a"}, map[string]string{"rule": "a"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := SanitizeLabels(tc.in)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("labels (-want +got):\n%s", diff)
			}
		})
	}
	many := map[string]string{}
	for i := range 65 {
		many[fmt.Sprintf("k%d", i)] = "v"
	}
	if _, err := SanitizeLabels(many); err == nil || !strings.Contains(err.Error(), "at most 64") {
		t.Errorf("65 labels: error %v, want one naming the limit of 64", err)
	}
}

func TestQueryParams(t *testing.T) {
	berlin := time.FixedZone("CET", 3600)
	got, err := queryParams([]Param{{Name: "from", Value: time.Date(2026, 11, 2, 1, 0, 0, 0, berlin)}, {Name: "n", Value: int64(3)}, {Name: "ids", Value: []string{"a"}}})
	if err != nil {
		t.Fatal(err)
	}
	want := []bq.QueryParameter{{Name: "from", Value: time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC)}, {Name: "n", Value: int64(3)}, {Name: "ids", Value: []string{"a"}}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("params (-want +got):\n%s", diff)
	}
	if got[0].Value.(time.Time).Location() != time.UTC {
		t.Error("a TIMESTAMP parameter not sent in UTC")
	}
	for _, tc := range []struct {
		name   string
		params []Param
		want   string
	}{
		{"bad name", []Param{{Name: "from-time", Value: "x"}}, `query parameter name "from-time" is not an identifier`},
		{"leading digit", []Param{{Name: "1from", Value: "x"}}, `query parameter name "1from" is not an identifier`},
		{"twice", []Param{{Name: "a", Value: "x"}, {Name: "a", Value: "y"}}, "query parameter @a is given twice"},
		{"nil", []Param{{Name: "a"}}, "query parameter @a has no value"},
		{"unsupported", []Param{{Name: "a", Value: uint64(1)}}, "query parameter @a has a value of type uint64; use time.Time, string, int64, float64, bool"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := queryParams(tc.params)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want it to say %q", err, tc.want)
			}
		})
	}
}

// Types the emulator cannot return (JSON, BIGNUMERIC, INTERVAL, RANGE) and
// the conversions of each.
func TestRowMap(t *testing.T) {
	f := func(name string, typ bq.FieldType) *bq.FieldSchema { return &bq.FieldSchema{Name: name, Type: typ} }
	schema := bq.Schema{
		f("j", bq.JSONFieldType),
		f("jnull", bq.JSONFieldType),
		f("big", bq.BigNumericFieldType),
		f("iv", bq.IntervalFieldType),
		f("rg", bq.RangeFieldType),
		f("dt", bq.DateTimeFieldType),
		f("ts", bq.TimestampFieldType),
		{Name: "recs", Type: bq.RecordFieldType, Repeated: true, Schema: bq.Schema{f("a", bq.StringFieldType), {Name: "xs", Type: bq.IntegerFieldType, Repeated: true}}},
		f("geo", bq.GeographyFieldType),
	}
	berlin := time.FixedZone("CET", 3600)
	row := []bq.Value{
		`{"a": [1, "x", null], "b": {"c": true}}`,
		nil,
		big.NewRat(-5, 4),
		&bq.IntervalValue{Days: 1, Hours: 2},
		&bq.RangeValue{Start: time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC)},
		civil.DateTime{Date: civil.Date{Year: 2026, Month: 11, Day: 2}, Time: civil.Time{Hour: 23, Minute: 59}},
		time.Date(2026, 11, 2, 1, 0, 0, 0, berlin),
		[]bq.Value{[]bq.Value{"p", []bq.Value{int64(1), int64(2)}}, []bq.Value{nil, []bq.Value{}}},
		"POINT(1 2)",
	}
	got, err := rowMap(schema, row)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"j":     map[string]any{"a": []any{1.0, "x", nil}, "b": map[string]any{"c": true}},
		"jnull": nil,
		"big":   -1.25,
		"iv":    "0-0 1 2:0:0",
		"rg":    "[2026-11-02 00:00:00 UTC, UNBOUNDED)",
		"dt":    time.Date(2026, 11, 2, 23, 59, 0, 0, time.UTC),
		"ts":    time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC),
		"recs":  []any{map[string]any{"a": "p", "xs": []any{int64(1), int64(2)}}, map[string]any{"a": nil, "xs": []any{}}},
		"geo":   "POINT(1 2)",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("row (-want +got):\n%s", diff)
	}
	if got["ts"].(time.Time).Location() != time.UTC {
		t.Error("a TIMESTAMP not in UTC")
	}

	// Bad input is an error, not a panic.
	for _, tc := range []struct {
		name   string
		schema bq.Schema
		row    []bq.Value
		want   string
	}{
		{"short row", bq.Schema{f("a", bq.StringFieldType)}, nil, "a row of 0 values for 1 columns"},
		{"bad JSON", bq.Schema{f("j", bq.JSONFieldType)}, []bq.Value{"{"}, "column j: JSON value"},
		{"struct arity", bq.Schema{{Name: "r", Type: bq.RecordFieldType, Schema: bq.Schema{f("a", bq.StringFieldType)}}}, []bq.Value{[]bq.Value{}}, "column r: a struct of 0 values for 1 fields"},
		{"array not a list", bq.Schema{{Name: "xs", Type: bq.StringFieldType, Repeated: true}}, []bq.Value{"x"}, "column xs: an array of type string"},
		{"unknown Go type", bq.Schema{f("x", bq.StringFieldType)}, []bq.Value{struct{}{}}, "column x: a STRING value of Go type struct {}"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := rowMap(tc.schema, tc.row)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want it to say %q", err, tc.want)
			}
		})
	}
}

// BigQuery's own errors (as opposed to the emulator's) put the position
// after "at": "... at [3:14]".
func TestQueryError(t *testing.T) {
	query := "SELECT a\nFROM t\nWHERE a = = 1"
	for _, tc := range []struct {
		name      string
		err       error
		want      string
		line, col int
	}{{
		name: "dry run refused (HTTP 400)",
		err: &googleapi.Error{Code: 400, Message: "Syntax error: Unexpected \"=\" at [3:11]",
			Errors: []googleapi.ErrorItem{{Reason: "invalidQuery", Message: "Syntax error: Unexpected \"=\" at [3:11]"}}},
		want: "bigquery: dry run: invalidQuery: Syntax error: Unexpected \"=\" at [3:11]\n" +
			"    3:11: WHERE a = = 1\n" +
			strings.Repeat(" ", len("    3:11: WHERE a = ")) + "^",
		line: 3, col: 11,
	}, {
		name: "job status",
		err:  &bq.Error{Reason: "accessDenied", Message: "Access Denied: Table p:d.t: User does not have permission"},
		want: "bigquery: dry run: accessDenied: Access Denied: Table p:d.t: User does not have permission",
	}, {
		name: "other",
		err:  errors.New("dial tcp: connection refused"),
		want: "bigquery: dry run: dial tcp: connection refused",
	}, {
		name: "position past the query",
		err:  &bq.Error{Reason: "invalidQuery", Message: "oops at [9:1]"},
		want: "bigquery: dry run: invalidQuery: oops at [9:1]",
		line: 9, col: 1,
	}} {
		t.Run(tc.name, func(t *testing.T) {
			err := queryError("", query, tc.err)
			if got := err.Error(); got != tc.want {
				t.Errorf("error\n%s\nwant\n%s", got, tc.want)
			}
			var qe *QueryError
			if !errors.As(err, &qe) || qe.Line != tc.line || qe.Col != tc.col || !errors.Is(err, tc.err) {
				t.Errorf("%#v: want position %d:%d and the cause kept", err, tc.line, tc.col)
			}
		})
	}
	withJob := queryError("tokenhunt_1", "SELECT 1", errors.New("boom")).Error()
	if withJob != "bigquery: job tokenhunt_1: boom" {
		t.Errorf("error %q names no job", withJob)
	}
}

func TestCeiling(t *testing.T) {
	for _, tc := range []struct {
		estimate, ceiling int64
		want              string // "" = runs
	}{
		{100, 0, ""},
		{100, 100, ""},
		{-1, 100, ""},
		{101, 100, "the dry run estimates 101 bytes processed, above the ceiling of 100 bytes"},
		{3 << 20, 1 << 20, "the dry run estimates 3.0 MiB (3145728 bytes) processed, above the ceiling of 1.0 MiB (1048576 bytes)"},
	} {
		err := checkCeiling(tc.estimate, tc.ceiling)
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("estimate %d, ceiling %d: error %v, want none", tc.estimate, tc.ceiling, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "raise bigquery.max_bytes")):
			t.Errorf("estimate %d, ceiling %d: error %v, want %q and how to raise the ceiling", tc.estimate, tc.ceiling, err, tc.want)
		}
	}
}

func TestOpen(t *testing.T) {
	ctx := context.Background()
	// Credentials come from Application Default Credentials only: a missing
	// key file named by GOOGLE_APPLICATION_CREDENTIALS is an error that says
	// where credentials come from.
	missing := filepath.Join(t.TempDir(), "missing-key.json")
	t.Setenv("GOOGLE_APPLICATION_CREDENTIALS", missing)
	_, err := Open(ctx, Config{Project: "p"})
	if err == nil || !strings.HasPrefix(err.Error(), "bigquery: ") || !strings.Contains(err.Error(), "missing-key.json") || !strings.Contains(err.Error(), "Application Default Credentials") {
		t.Errorf("error %v, want one naming the key file and Application Default Credentials", err)
	}
	for _, tc := range []struct {
		name string
		cfg  Config
		want string
	}{
		{"no project at an endpoint", Config{Endpoint: "http://127.0.0.1:1"}, "no project: set bigquery.project"},
		{"negative ceiling", Config{Project: "p", Endpoint: "http://127.0.0.1:1", MaxBytes: -1}, "max bytes -1 is negative"},
		{"negative price", Config{Project: "p", Endpoint: "http://127.0.0.1:1", PricePerTB: -1}, "price per TiB -1 is negative"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Open(ctx, tc.cfg)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want it to say %q", err, tc.want)
			}
		})
	}
	e, err := Open(ctx, Config{Project: "p", Endpoint: "http://127.0.0.1:1"})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	if e.cfg.PricePerTB != DefaultPricePerTB {
		t.Errorf("price %g, want the default %g", e.cfg.PricePerTB, DefaultPricePerTB)
	}
	if _, err := e.Query(ctx, "SELECT 1", nil, nil, nil); err == nil || !strings.Contains(err.Error(), "needs a function") {
		t.Errorf("nil fn: error %v", err)
	}
}
