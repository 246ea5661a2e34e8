package cron

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestNext(t *testing.T) {
	at := func(s string) time.Time {
		t.Helper()
		v, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	tests := []struct {
		expr, from string
		want       []string // the next fire times, in order
	}{
		{"*/15 * * * *", "2026-11-02T10:07:30Z", []string{"2026-11-02T10:15:00Z", "2026-11-02T10:30:00Z", "2026-11-02T10:45:00Z", "2026-11-02T11:00:00Z"}},
		{"0 2 * * *", "2026-11-02T02:00:00Z", []string{"2026-11-03T02:00:00Z", "2026-11-04T02:00:00Z"}},
		{"30 1-3/2 * * *", "2026-11-02T00:00:00Z", []string{"2026-11-02T01:30:00Z", "2026-11-02T03:30:00Z", "2026-11-03T01:30:00Z"}},
		// Weekdays by name; Monday 2026-11-02.
		{"0 9 * * mon-fri", "2026-11-06T09:00:00Z", []string{"2026-11-09T09:00:00Z", "2026-11-10T09:00:00Z"}},
		// 7 is Sunday.
		{"0 0 * * 7", "2026-11-02T00:00:00Z", []string{"2026-11-08T00:00:00Z", "2026-11-15T00:00:00Z"}},
		// Both days restricted: either matches (the 1st, or a Sunday).
		{"0 0 1 * sun", "2026-11-28T00:00:00Z", []string{"2026-11-29T00:00:00Z", "2026-12-01T00:00:00Z", "2026-12-06T00:00:00Z"}},
		// Month rollover and leap day.
		{"0 0 29 feb *", "2026-03-01T00:00:00Z", []string{"2028-02-29T00:00:00Z", "2032-02-29T00:00:00Z"}},
		{"5,10 0 1 jan,jul *", "2026-06-15T00:00:00Z", []string{"2026-07-01T00:05:00Z", "2026-07-01T00:10:00Z", "2027-01-01T00:05:00Z"}},
		{"45/5 * * * *", "2026-11-02T10:58:00Z", []string{"2026-11-02T11:45:00Z", "2026-11-02T11:50:00Z"}},
	}
	for _, tt := range tests {
		s, err := Parse(tt.expr)
		if err != nil {
			t.Errorf("Parse(%q): %v", tt.expr, err)
			continue
		}
		var got []string
		cur := at(tt.from)
		for range tt.want {
			next, ok := s.Next(cur)
			if !ok {
				got = append(got, "never")
				break
			}
			got = append(got, next.Format(time.RFC3339))
			cur = next
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("%q from %s (-want +got):\n%s", tt.expr, tt.from, diff)
		}
	}
}

func TestNever(t *testing.T) {
	s, err := Parse("0 0 30 2 *")
	if err != nil {
		t.Fatal(err)
	}
	if next, ok := s.Next(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)); ok {
		t.Errorf("February 30th fires at %v", next)
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct{ expr, want string }{
		{"* * * *", "has 4 fields, want 5"},
		{"60 * * * *", `minute field "60": 60 is outside 0-59`},
		{"* 24 * * *", `hour field "24": 24 is outside 0-23`},
		{"* * 0 * *", `day of month field "0": 0 is outside 1-31`},
		{"* * * foo *", `month field "foo": "foo" is not a number`},
		{"*/0 * * * *", `step "0" is not a positive number`},
		{"* 5-2 * * *", "range 5-2 ends before it starts"},
		{"1,,2 * * * *", "empty item"},
		{"@daily", "has 1 fields"},
	}
	for _, tt := range tests {
		_, err := Parse(tt.expr)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Parse(%q) = %v, want an error containing %q", tt.expr, err, tt.want)
		}
	}
}
