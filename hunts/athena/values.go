package athena

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/athena/types"
)

// column is one result column: its name and its type, lower-case without
// parameters ("decimal(10,2)" -> "decimal").
type column struct {
	name, typ string
}

func columns(info []types.ColumnInfo) []column {
	cols := make([]column, len(info))
	for i, c := range info {
		name := aws.ToString(c.Name)
		if name == "" {
			name = aws.ToString(c.Label)
		}
		typ := strings.ToLower(strings.TrimSpace(aws.ToString(c.Type)))
		if i := strings.IndexByte(typ, '('); i >= 0 {
			typ = strings.TrimSpace(typ[:i])
		}
		cols[i] = column{name: name, typ: typ}
	}
	return cols
}

// isHeader: the row holds exactly the column names.
func isHeader(r types.Row, cols []column) bool {
	if len(r.Data) != len(cols) {
		return false
	}
	for i, d := range r.Data {
		if d.VarCharValue == nil || *d.VarCharValue != cols[i].name {
			return false
		}
	}
	return true
}

func rowValues(r types.Row, cols []column) (map[string]any, error) {
	if len(r.Data) > len(cols) {
		return nil, fmt.Errorf("a result row has %d values for %d columns", len(r.Data), len(cols))
	}
	m := make(map[string]any, len(cols))
	for i, c := range cols {
		if i >= len(r.Data) || r.Data[i].VarCharValue == nil {
			m[c.name] = nil
			continue
		}
		v, err := value(c.typ, *r.Data[i].VarCharValue)
		if err != nil {
			return nil, fmt.Errorf("column %q (%s): %w", c.name, c.typ, err)
		}
		m[c.name] = v
	}
	return m, nil
}

// value types the text Athena prints for a value of type typ:
// varchar/char/string -> string; bigint/integer/smallint/tinyint -> int64;
// double/float/real/decimal -> float64; boolean -> bool; timestamp,
// timestamp with time zone and date -> time.Time in UTC; json -> decoded
// with encoding/json; any other type -> the text.
func value(typ, s string) (any, error) {
	switch typ {
	case "varchar", "char", "string":
		return s, nil
	case "bigint", "integer", "int", "smallint", "tinyint":
		n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
		if err != nil {
			return nil, fmt.Errorf("%q is not an integer", s)
		}
		return n, nil
	case "double", "float", "real", "decimal":
		f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
		if err != nil {
			return nil, fmt.Errorf("%q is not a number", s)
		}
		return f, nil
	case "boolean":
		switch strings.ToLower(strings.TrimSpace(s)) {
		case "true":
			return true, nil
		case "false":
			return false, nil
		}
		return nil, fmt.Errorf("%q is not a boolean", s)
	case "timestamp", "timestamp with time zone":
		return parseTimestamp(s)
	case "date":
		t, err := time.Parse(time.DateOnly, strings.TrimSpace(s))
		if err != nil {
			return nil, fmt.Errorf("%q is not a date (want 2006-01-02)", s)
		}
		return t, nil
	case "json":
		var v any
		if err := json.Unmarshal([]byte(s), &v); err != nil {
			return nil, fmt.Errorf("%q is not JSON: %v", s, err)
		}
		return v, nil
	}
	return s, nil
}

// parseTimestamp reads Trino's timestamp text, "2026-11-02 10:00:00.000"
// (any number of fraction digits, or none), optionally followed by a zone:
// "UTC", "Z", an offset "+02:00" or a region name "Europe/Paris". A
// timestamp without a zone is UTC. The result is in UTC.
func parseTimestamp(s string) (time.Time, error) {
	bad := func(why string) (time.Time, error) {
		return time.Time{}, fmt.Errorf("%q is not a timestamp (want 2006-01-02 15:04:05.000 [zone]): %s", s, why)
	}
	s = strings.TrimSpace(s)
	if len(s) < len("2006-01-02 15:04:05") {
		return bad("too short")
	}
	b := []byte(s[:19])
	if b[10] == 'T' {
		b[10] = ' '
	}
	rest := s[19:]
	frac := ""
	if strings.HasPrefix(rest, ".") {
		n := 1
		for n < len(rest) && rest[n] >= '0' && rest[n] <= '9' {
			n++
		}
		frac, rest = rest[:n], rest[n:]
		if len(frac) > 10 { // Trino prints up to 12 digits; keep nanoseconds
			frac = frac[:10]
		}
	}
	t, err := time.Parse("2006-01-02 15:04:05.999999999", string(b)+frac)
	if err != nil {
		return bad(err.Error())
	}
	zone := strings.TrimSpace(rest)
	switch {
	case zone == "" || zone == "UTC" || zone == "Z":
		return t, nil
	case zone[0] == '+' || zone[0] == '-':
		var off time.Time
		var err error
		for _, layout := range []string{"-07:00", "-0700", "-07"} {
			if off, err = time.Parse(layout, zone); err == nil {
				break
			}
		}
		if err != nil {
			return bad("bad offset " + zone)
		}
		_, secs := off.Zone()
		return t.Add(-time.Duration(secs) * time.Second).UTC(), nil
	}
	loc, err := time.LoadLocation(zone)
	if err != nil {
		return bad(fmt.Sprintf("unknown zone %q", zone))
	}
	lt := time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), loc)
	return lt.UTC(), nil
}
