// Package findings defines what a hunt raises and writes it: JSON Lines
// (the record of truth), OCSF Detection Finding JSON lines (class 2004) and
// Parquet. Every string is redacted (internal/redact) before it is kept.
//
// A Store holds every finding of a hunt's output folder; Add keeps only
// findings whose id it has not seen, and Save rewrites the three files
// durably, in a canonical order, so that a re-run or a resumed run leaves
// the same bytes as one uninterrupted run.
package findings

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/tokenhunt/tokenhunt/backends/duckdb"
	"github.com/tokenhunt/tokenhunt/hunts/state"
	"github.com/tokenhunt/tokenhunt/internal/redact"
)

// MaxEventIDs bounds the contributing event ids a finding carries.
const MaxEventIDs = 100

// Rule is the rule that raised a finding.
type Rule struct {
	ID    string   `json:"id"`
	Title string   `json:"title"`
	Level string   `json:"level,omitempty"`
	Tags  []string `json:"tags,omitempty"`
}

// Finding is one alert.
type Finding struct {
	ID     string `json:"id"`
	Hunt   string `json:"hunt"`
	Source string `json:"source"`
	Rule   Rule   `json:"rule"`
	// Kind is "event" (a single-event rule) or "correlation".
	Kind string `json:"kind"`
	// FirstSeen and LastSeen bound the contributing events; FiredAt is the
	// event at which the rule fired.
	FirstSeen time.Time `json:"first_seen"`
	FiredAt   time.Time `json:"fired_at"`
	LastSeen  time.Time `json:"last_seen"`
	// Group holds a correlation's group-by values.
	Group map[string]string `json:"group,omitempty"`
	// Entity holds who and where: principal, access_key_id, source_ip,
	// user_agent, region, account, when the source has them.
	Entity map[string]string `json:"entity,omitempty"`
	Count  int64             `json:"count"`
	// Value is a correlation's aggregate.
	Value    *float64       `json:"value,omitempty"`
	EventIDs []string       `json:"event_ids"`
	Sample   map[string]any `json:"sample,omitempty"`
}

// ID is the hex SHA-256 of the rule id, the group values and the firing
// time (RFC 3339, nanoseconds, UTC); single-event rules pass the event id
// as their one group value.
func ID(ruleID string, group []string, fired time.Time) string {
	h := sha256.New()
	write := func(s string) {
		fmt.Fprintf(h, "%d:%s", len(s), s)
	}
	write(ruleID)
	fmt.Fprintf(h, "|%d|", len(group))
	for _, g := range group {
		write(g)
	}
	if !fired.IsZero() {
		write(fired.UTC().Format(time.RFC3339Nano))
	}
	return hex.EncodeToString(h.Sum(nil))
}

// Redact returns the finding with every string redacted and the event
// ids bounded.
func Redact(f Finding) Finding {
	f.Rule.Title = redact.String(f.Rule.Title)
	f.Group = redactMap(f.Group)
	f.Entity = redactMap(f.Entity)
	if len(f.EventIDs) > MaxEventIDs {
		f.EventIDs = f.EventIDs[:MaxEventIDs]
	}
	ids := make([]string, len(f.EventIDs))
	for i, id := range f.EventIDs {
		ids[i] = redact.String(id)
	}
	f.EventIDs = ids
	if f.Sample != nil {
		f.Sample, _ = redact.Any(f.Sample).(map[string]any)
	}
	return f
}

func redactMap(m map[string]string) map[string]string {
	if m == nil {
		return nil
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = redact.String(v)
	}
	return out
}

// Files are the names of the sinks in an output folder.
const (
	JSONLFile   = "findings.jsonl"
	OCSFFile    = "findings.ocsf.json"
	ParquetFile = "findings.parquet"
)

// Store is the findings of one output folder.
type Store struct {
	dir  string
	list []Finding
	ids  map[string]bool
}

// Open reads the findings already in dir (findings.jsonl), if any.
func Open(dir string) (*Store, error) {
	s := &Store{dir: dir, ids: map[string]bool{}}
	f, err := os.Open(filepath.Join(dir, JSONLFile))
	if errors.Is(err, os.ErrNotExist) {
		return s, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	line := 0
	for sc.Scan() {
		line++
		if len(bytes.TrimSpace(sc.Bytes())) == 0 {
			continue
		}
		var fd Finding
		if err := json.Unmarshal(sc.Bytes(), &fd); err != nil {
			return nil, fmt.Errorf("%s:%d: %w", f.Name(), line, err)
		}
		if !s.ids[fd.ID] {
			s.ids[fd.ID] = true
			s.list = append(s.list, fd)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", f.Name(), err)
	}
	return s, nil
}

// Has reports whether a finding of that id is in the store.
func (s *Store) Has(id string) bool { return s.ids[id] }

// Add redacts and keeps the findings whose ids are new, and returns how
// many it kept.
func (s *Store) Add(fs ...Finding) int {
	n := 0
	for _, f := range fs {
		if s.ids[f.ID] {
			continue
		}
		s.ids[f.ID] = true
		s.list = append(s.list, Redact(f))
		n++
	}
	return n
}

// All returns the findings in canonical order (firing time, rule id, id).
func (s *Store) All() []Finding {
	out := append([]Finding(nil), s.list...)
	sortFindings(out)
	return out
}

func sortFindings(fs []Finding) {
	sort.Slice(fs, func(i, j int) bool {
		a, b := fs[i], fs[j]
		if !a.FiredAt.Equal(b.FiredAt) {
			return a.FiredAt.Before(b.FiredAt)
		}
		if a.Rule.ID != b.Rule.ID {
			return a.Rule.ID < b.Rule.ID
		}
		return a.ID < b.ID
	})
}

// Save durably rewrites findings.jsonl, then findings.ocsf.json and
// findings.parquet, all from the whole store. eng writes Parquet; nil
// skips it. hook, when not nil, is called after each file
// ("jsonl-written", "ocsf-written", "parquet-written").
func (s *Store) Save(ctx context.Context, eng *duckdb.Engine, hook func(string)) error {
	if hook == nil {
		hook = func(string) {}
	}
	all := s.All()
	var jl, oc bytes.Buffer
	for _, f := range all {
		b, err := json.Marshal(f)
		if err != nil {
			return err
		}
		jl.Write(b)
		jl.WriteByte('\n')
		b, err = json.Marshal(OCSF(f))
		if err != nil {
			return err
		}
		oc.Write(b)
		oc.WriteByte('\n')
	}
	if err := state.WriteFile(filepath.Join(s.dir, JSONLFile), jl.Bytes()); err != nil {
		return fmt.Errorf("write findings: %w", err)
	}
	hook("jsonl-written")
	if err := state.WriteFile(filepath.Join(s.dir, OCSFFile), oc.Bytes()); err != nil {
		return fmt.Errorf("write findings: %w", err)
	}
	hook("ocsf-written")
	if eng == nil || len(all) == 0 {
		return nil
	}
	if err := writeParquet(ctx, eng, filepath.Join(s.dir, JSONLFile), filepath.Join(s.dir, ParquetFile)); err != nil {
		return fmt.Errorf("write findings: %w", err)
	}
	hook("parquet-written")
	return nil
}

func writeParquet(ctx context.Context, eng *duckdb.Engine, from, to string) error {
	f, err := os.CreateTemp(filepath.Dir(to), "."+filepath.Base(to)+".tmp*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	f.Close()
	ok := false
	defer func() {
		if !ok {
			os.Remove(tmp)
		}
	}()
	q := "COPY (SELECT * FROM read_json(" + lit(from) + ", format = 'newline_delimited', sample_size = -1)) TO " + lit(tmp) + " (FORMAT parquet)"
	if err := eng.Exec(ctx, q); err != nil {
		return err
	}
	g, err := os.OpenFile(tmp, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	err = g.Sync()
	if cerr := g.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	if err := state.Commit(tmp, to); err != nil {
		return err
	}
	ok = true
	return nil
}

func lit(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// severity maps a Sigma level to OCSF severity_id and name.
func severity(level string) (int, string) {
	switch strings.ToLower(level) {
	case "informational":
		return 1, "Informational"
	case "low":
		return 2, "Low"
	case "medium":
		return 3, "Medium"
	case "high":
		return 4, "High"
	case "critical":
		return 5, "Critical"
	}
	return 0, "Unknown"
}

// OCSF returns the finding as an OCSF 1.1 Detection Finding (class_uid
// 2004, activity Create).
func OCSF(f Finding) map[string]any {
	sevID, sev := severity(f.Rule.Level)
	ms := func(t time.Time) int64 { return t.UnixMilli() }
	info := map[string]any{
		"uid":             f.ID,
		"title":           f.Rule.Title,
		"first_seen_time": ms(f.FirstSeen),
		"last_seen_time":  ms(f.LastSeen),
		"created_time":    ms(f.FiredAt),
		"analytic": map[string]any{
			"uid": f.Rule.ID, "name": f.Rule.Title, "type_id": 1, "type": "Rule",
		},
	}
	if len(f.Rule.Tags) > 0 {
		info["types"] = f.Rule.Tags
	}
	var related []map[string]any
	for _, id := range f.EventIDs {
		related = append(related, map[string]any{"uid": id})
	}
	if related != nil {
		info["related_events"] = related
	}
	out := map[string]any{
		"class_uid":     2004,
		"class_name":    "Detection Finding",
		"category_uid":  2,
		"category_name": "Findings",
		"activity_id":   1,
		"activity_name": "Create",
		"type_uid":      200401,
		"type_name":     "Detection Finding: Create",
		"severity_id":   sevID,
		"severity":      sev,
		"status_id":     1,
		"status":        "New",
		"time":          ms(f.FiredAt),
		"count":         f.Count,
		"finding_info":  info,
		"metadata": map[string]any{
			"version": "1.1.0",
			"product": map[string]any{"name": "tokenhunt", "vendor_name": "tokenhunt"},
		},
	}
	var obs []map[string]any
	add := func(key, name string, typeID int, typ string) {
		if v := f.Entity[key]; v != "" {
			obs = append(obs, map[string]any{"name": name, "type_id": typeID, "type": typ, "value": v})
		}
	}
	add("source_ip", "src_endpoint.ip", 2, "IP Address")
	add("principal", "actor.user.uid", 20, "User")
	add("access_key_id", "actor.user.credential_uid", 99, "Other")
	add("user_agent", "http_request.user_agent", 16, "HTTP User-Agent")
	if obs != nil {
		out["observables"] = obs
	}
	if v := f.Entity["source_ip"]; v != "" {
		out["src_endpoint"] = map[string]any{"ip": v}
	}
	if v := f.Entity["region"]; v != "" {
		out["cloud"] = map[string]any{"region": v, "account": map[string]any{"uid": f.Entity["account"]}}
	}
	unmapped := map[string]any{"hunt": f.Hunt, "source": f.Source, "kind": f.Kind}
	if f.Group != nil {
		unmapped["group"] = f.Group
	}
	if f.Entity != nil {
		unmapped["entity"] = f.Entity
	}
	if f.Value != nil {
		unmapped["value"] = *f.Value
	}
	out["unmapped"] = unmapped
	return out
}
