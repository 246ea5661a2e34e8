package report

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/tokenhunt/tokenhunt/backends/duckdb"
	"github.com/tokenhunt/tokenhunt/compiler/ir"
	"github.com/tokenhunt/tokenhunt/hunts/findings"
	"github.com/tokenhunt/tokenhunt/internal/redact"
)

// Event is one contributing event of a finding, as the report shows it:
// when, what, from where. Strings are redacted.
type Event struct {
	ID    string
	Time  time.Time
	Name  string
	Addr  string
	Agent string
	// Issued is set for an event that issued credentials (STS
	// AssumeRole*, GetSessionToken, GetFederationToken).
	Issued bool
}

// maxLookup bounds the event ids looked up in the logs.
const maxLookup = 50000

// issuing are the CloudTrail calls that issue temporary credentials.
var issuing = map[string]bool{
	"AssumeRole": true, "AssumeRoleWithSAML": true, "AssumeRoleWithWebIdentity": true,
	"GetSessionToken": true, "GetFederationToken": true,
}

// eventColumns are the CloudTrail columns the lookup reads.
var eventColumns = []ir.Column{
	{Path: []string{"eventID"}, Type: ir.String}, {Path: []string{"eventTime"}, Type: ir.String}, {Path: []string{"eventName"}, Type: ir.String},
	{Path: []string{"sourceIPAddress"}, Type: ir.String}, {Path: []string{"userAgent"}, Type: ir.String},
}

// LoadEvents looks the findings' event ids up in CloudTrail logs (Parquet
// as `tokenhunt ingest` writes it, or CloudTrail JSON; files, folders or
// DuckDB globs) and returns the events found by id. Ids past maxLookup
// (the latest findings first) are not looked up.
func LoadEvents(ctx context.Context, paths []string, fs []findings.Finding) (map[string]Event, error) {
	ids := map[string]bool{}
	var list []string
	for i := len(fs) - 1; i >= 0 && len(list) < maxLookup; i-- {
		for _, id := range fs[i].EventIDs {
			if !ids[id] && !strings.Contains(id, "…") { // a redacted id is no longer in the logs
				ids[id] = true
				list = append(list, id)
			}
		}
	}
	out := map[string]Event{}
	if len(list) == 0 || len(paths) == 0 {
		return out, nil
	}
	e, err := duckdb.Open(ctx)
	if err != nil {
		return nil, err
	}
	defer e.Close()
	if err := e.Register(ctx, "events", paths, duckdb.Options{Columns: eventColumns}); err != nil {
		return nil, fmt.Errorf("events: %w", err)
	}
	if err := e.Exec(ctx, "CREATE TEMP TABLE wanted (id VARCHAR)"); err != nil {
		return nil, err
	}
	sort.Strings(list)
	for start := 0; start < len(list); start += 1000 {
		chunk := list[start:min(start+1000, len(list))]
		var b strings.Builder
		b.WriteString("INSERT INTO wanted VALUES ")
		for i, id := range chunk {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString("('" + strings.ReplaceAll(id, "'", "''") + "')")
		}
		if err := e.Exec(ctx, b.String()); err != nil {
			return nil, err
		}
	}
	err = e.Each(ctx, `SELECT eventID, CAST(eventTime AS VARCHAR) AS t, eventName, sourceIPAddress, userAgent
FROM events WHERE eventID IN (SELECT id FROM wanted)`, func(row map[string]any) error {
		id := str(row["eventID"])
		t := parseTime(str(row["t"]))
		name := str(row["eventName"])
		out[id] = Event{
			ID: redact.String(id), Time: t.UTC(), Name: redact.String(name),
			Addr: redact.String(str(row["sourceIPAddress"])), Agent: redact.String(str(row["userAgent"])),
			Issued: issuing[name],
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("events: %w", err)
	}
	return out, nil
}

// timeLayouts are the texts of an event time: CloudTrail's, and DuckDB's
// text of a TIMESTAMP or TIMESTAMPTZ.
var timeLayouts = []string{time.RFC3339Nano, "2006-01-02 15:04:05.999999999Z07", "2006-01-02 15:04:05.999999999Z07:00", "2006-01-02 15:04:05.999999999"}

// parseTime reads an event time; zero if it is none of timeLayouts.
func parseTime(s string) time.Time {
	s = strings.TrimSpace(s)
	for _, l := range timeLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t.UTC()
		}
	}
	return time.Time{}
}

func str(v any) string {
	if v == nil {
		return ""
	}
	if s, ok := v.(string); ok {
		return s
	}
	return fmt.Sprint(v)
}

// eventsOf returns the finding's events found in the logs, by time.
func eventsOf(f findings.Finding, evs map[string]Event) []Event {
	var out []Event
	for _, id := range f.EventIDs {
		if e, ok := evs[id]; ok && !e.Time.IsZero() {
			out = append(out, e)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Time.Before(out[j].Time) })
	return out
}
