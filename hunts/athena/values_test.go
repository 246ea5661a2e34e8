package athena

import (
	"math"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// TestValue: Athena's text for each column type reads as the Go type the
// runner relies on; text that does not fit its type is an error.
func TestValue(t *testing.T) {
	ts := func(s string) time.Time {
		v, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			t.Fatal(err)
		}
		return v.UTC()
	}
	tests := []struct {
		typ, in string
		want    any
		wantErr string
	}{
		{typ: "varchar", in: " GetSessionToken ", want: " GetSessionToken "},
		{typ: "char", in: "ab  ", want: "ab  "},
		{typ: "string", in: "", want: ""},
		{typ: "bigint", in: "-9223372036854775808", want: int64(-9223372036854775808)},
		{typ: "integer", in: "7", want: int64(7)},
		{typ: "smallint", in: "-3", want: int64(-3)},
		{typ: "tinyint", in: "1", want: int64(1)},
		{typ: "bigint", in: "1.5", wantErr: `"1.5" is not an integer`},
		{typ: "double", in: "2.5E-3", want: 0.0025},
		{typ: "float", in: "1", want: 1.0},
		{typ: "real", in: "-Infinity", want: math.Inf(-1)},
		{typ: "decimal", in: "12345.67", want: 12345.67},
		{typ: "double", in: "one", wantErr: `"one" is not a number`},
		{typ: "boolean", in: "true", want: true},
		{typ: "boolean", in: "FALSE", want: false},
		{typ: "boolean", in: "1", wantErr: `"1" is not a boolean`},
		{typ: "timestamp", in: "2026-11-02 10:00:00.000", want: ts("2026-11-02T10:00:00Z")},
		{typ: "timestamp", in: "2026-11-02 10:00:00", want: ts("2026-11-02T10:00:00Z")},
		{typ: "timestamp", in: "2026-11-02 10:00:00.123456", want: ts("2026-11-02T10:00:00.123456Z")},
		{typ: "timestamp", in: "2026-11-02 10:00:00.123456789012", want: ts("2026-11-02T10:00:00.123456789Z")},
		{typ: "timestamp", in: "2026-11-02T10:00:00.5", want: ts("2026-11-02T10:00:00.5Z")},
		{typ: "timestamp with time zone", in: "2026-11-02 10:00:00.000 UTC", want: ts("2026-11-02T10:00:00Z")},
		{typ: "timestamp with time zone", in: "2026-11-02 10:00:00.000 Z", want: ts("2026-11-02T10:00:00Z")},
		{typ: "timestamp with time zone", in: "2026-11-02 10:00:00.000 -05:30", want: ts("2026-11-02T15:30:00Z")},
		{typ: "timestamp with time zone", in: "2026-07-02 10:00:00.000 Europe/Paris", want: ts("2026-07-02T08:00:00Z")},
		{typ: "timestamp with time zone", in: "2026-11-02 10:00:00.000 Mars/Olympus", wantErr: `unknown zone "Mars/Olympus"`},
		{typ: "timestamp", in: "2026-11-02", wantErr: "too short"},
		{typ: "timestamp", in: "2026-13-02 10:00:00", wantErr: "month out of range"},
		{typ: "date", in: "2026-11-02", want: ts("2026-11-02T00:00:00Z")},
		{typ: "date", in: "11/02/2026", wantErr: "is not a date"},
		{typ: "json", in: `["a",1,true,null,{"b":[]}]`, want: []any{"a", 1.0, true, nil, map[string]any{"b": []any{}}}},
		{typ: "json", in: `"x"`, want: "x"},
		{typ: "json", in: `[a, b]`, wantErr: "is not JSON"},
		{typ: "array", in: "[a, b]", want: "[a, b]"},
		{typ: "varbinary", in: "68 65", want: "68 65"},
	}
	for _, tc := range tests {
		got, err := value(tc.typ, tc.in)
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("value(%q, %q): err = %v, want one saying %q", tc.typ, tc.in, err, tc.wantErr)
			}
			continue
		}
		if err != nil {
			t.Errorf("value(%q, %q): %v", tc.typ, tc.in, err)
			continue
		}
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("value(%q, %q) (-want +got):\n%s", tc.typ, tc.in, diff)
		}
	}
}

// TestCost: bytes are rounded up to whole megabytes with a 10 MB minimum
// for a query that ran to the end; a cancelled query pays for what it
// scanned.
func TestCost(t *testing.T) {
	tests := []struct {
		bytes     int64
		succeeded bool
		want      float64
	}{
		{0, true, 10e6 / 1e12 * 5},
		{1, true, 10e6 / 1e12 * 5},
		{10_000_001, true, 11e6 / 1e12 * 5},
		{2e12, true, 10},
		{0, false, 0},
		{1, false, 10e6 / 1e12 * 5},
		{3e12, false, 15},
	}
	for _, tc := range tests {
		if got := cost(tc.bytes, 5, tc.succeeded); got != tc.want {
			t.Errorf("cost(%d, 5, %v) = %v, want %v", tc.bytes, tc.succeeded, got, tc.want)
		}
	}
}
