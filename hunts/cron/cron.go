// Package cron reads five-field cron expressions (minute hour
// day-of-month month day-of-week) and finds the next time one fires.
//
// Each field is *, a number, a range a-b, a step */n or a-b/n or a/n, or a
// comma-separated list of those; months and weekdays also take three-letter
// English names (jan, mon), and weekday 7 is Sunday like 0. As in cron, when
// both day-of-month and day-of-week are restricted (neither starts with *),
// a day matches when either does. Times are compared in the location of the
// time given to Next (the scheduler passes UTC).
package cron

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Schedule is a parsed cron expression.
type Schedule struct {
	expr                          string
	minute, hour, dom, month, dow uint64 // bit i set: value i matches
	domStar, dowStar              bool
}

type field struct {
	name     string
	min, max int
	names    []string // names[i] is value min+i
}

var fields = []field{
	{name: "minute", min: 0, max: 59},
	{name: "hour", min: 0, max: 23},
	{name: "day of month", min: 1, max: 31},
	{name: "month", min: 1, max: 12, names: []string{"jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"}},
	{name: "day of week", min: 0, max: 7, names: []string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"}},
}

// Parse reads a cron expression; its error says which field is wrong.
func Parse(expr string) (*Schedule, error) {
	parts := strings.Fields(expr)
	if len(parts) != 5 {
		return nil, fmt.Errorf("cron expression %q has %d fields, want 5 (minute hour day-of-month month day-of-week)", expr, len(parts))
	}
	s := &Schedule{expr: expr}
	out := []*uint64{&s.minute, &s.hour, &s.dom, &s.month, &s.dow}
	for i, p := range parts {
		bits, err := fields[i].parse(p)
		if err != nil {
			return nil, fmt.Errorf("cron expression %q: %s field %q: %v", expr, fields[i].name, p, err)
		}
		*out[i] = bits
	}
	if s.dow&(1<<7) != 0 {
		s.dow |= 1 // 7 is Sunday
	}
	s.domStar = strings.HasPrefix(parts[2], "*")
	s.dowStar = strings.HasPrefix(parts[4], "*")
	return s, nil
}

// String returns the expression as written.
func (s *Schedule) String() string { return s.expr }

func (f field) value(v string) (int, error) {
	for i, n := range f.names {
		if strings.EqualFold(v, n) {
			return f.min + i, nil
		}
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return 0, fmt.Errorf("%q is not a number", v)
	}
	if n < f.min || n > f.max {
		return 0, fmt.Errorf("%d is outside %d-%d", n, f.min, f.max)
	}
	return n, nil
}

func (f field) parse(p string) (uint64, error) {
	var bits uint64
	for _, item := range strings.Split(p, ",") {
		rng, stepStr, hasStep := strings.Cut(item, "/")
		step := 1
		if hasStep {
			n, err := strconv.Atoi(stepStr)
			if err != nil || n < 1 {
				return 0, fmt.Errorf("step %q is not a positive number", stepStr)
			}
			step = n
		}
		lo, hi := f.min, f.max
		switch {
		case rng == "*":
		case rng == "":
			return 0, fmt.Errorf("empty item")
		default:
			a, b, isRange := strings.Cut(rng, "-")
			var err error
			if lo, err = f.value(a); err != nil {
				return 0, err
			}
			hi = lo
			if isRange {
				if hi, err = f.value(b); err != nil {
					return 0, err
				}
				if hi < lo {
					return 0, fmt.Errorf("range %s ends before it starts", rng)
				}
			} else if hasStep {
				hi = f.max // a/n: from a to the end
			}
		}
		for v := lo; v <= hi; v += step {
			bits |= 1 << v
		}
	}
	return bits, nil
}

func has(bits uint64, v int) bool { return bits&(1<<v) != 0 }

func (s *Schedule) dayMatches(t time.Time) bool {
	dom, dow := has(s.dom, t.Day()), has(s.dow, int(t.Weekday()))
	if !s.domStar && !s.dowStar {
		return dom || dow
	}
	return dom && dow
}

// Next returns the first time after t (at a whole minute) the schedule
// fires; ok is false when it fires in none of the next five years (e.g.
// "0 0 30 2 *").
func (s *Schedule) Next(t time.Time) (next time.Time, ok bool) {
	loc := t.Location()
	t = t.Truncate(time.Minute).Add(time.Minute)
	limit := t.AddDate(5, 0, 0)
	for t.Before(limit) {
		switch {
		case !has(s.month, int(t.Month())):
			t = time.Date(t.Year(), t.Month()+1, 1, 0, 0, 0, 0, loc)
		case !s.dayMatches(t):
			t = time.Date(t.Year(), t.Month(), t.Day()+1, 0, 0, 0, 0, loc)
		case !has(s.hour, t.Hour()):
			t = time.Date(t.Year(), t.Month(), t.Day(), t.Hour()+1, 0, 0, 0, loc)
		case !has(s.minute, t.Minute()):
			t = t.Add(time.Minute)
		default:
			return t, true
		}
	}
	return time.Time{}, false
}
