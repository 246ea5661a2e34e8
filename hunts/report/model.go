// Package report turns hunt findings (findings.jsonl, see hunts/findings)
// into one self-contained HTML report: an overview (findings by level,
// rule and cloud, the busiest identities and tokens), a timeline per
// entity (each finding on a time axis, one lane per source address, so a
// replayed token shows as marks on several lanes) and a section per
// finding with its fields, event ids, rule and response steps filled in
// with the finding's values.
//
// The report needs no network: CSS, the small script (theme toggle) and
// the SVG charts are inline. Every string it prints is redacted again
// (internal/redact), and html/template escapes it.
package report

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/tokenhunt/tokenhunt/hunts/findings"
	"github.com/tokenhunt/tokenhunt/internal/redact"
)

// ReadFiles reads findings.jsonl files and merges them: a finding id seen
// in an earlier file (or earlier in the same file) is kept once. The
// result is in canonical order (firing time, rule id, id).
func ReadFiles(paths ...string) ([]findings.Finding, error) {
	var sets [][]findings.Finding
	for _, p := range paths {
		fs, err := readFile(p)
		if err != nil {
			return nil, err
		}
		sets = append(sets, fs)
	}
	return Merge(sets...), nil
}

func readFile(path string) ([]findings.Finding, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []findings.Finding
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	line := 0
	for sc.Scan() {
		line++
		b := bytes.TrimSpace(sc.Bytes())
		if len(b) == 0 {
			continue
		}
		var fd findings.Finding
		if err := json.Unmarshal(b, &fd); err != nil {
			return nil, fmt.Errorf("%s:%d: not a finding: %w", path, line, err)
		}
		if fd.ID == "" {
			return nil, fmt.Errorf("%s:%d: finding without an id", path, line)
		}
		out = append(out, fd)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return out, nil
}

// Merge returns the findings of all sets, each id once (the first seen
// wins), in canonical order (firing time, rule id, id).
func Merge(sets ...[]findings.Finding) []findings.Finding {
	seen := map[string]bool{}
	var out []findings.Finding
	for _, s := range sets {
		for _, f := range s {
			if seen[f.ID] {
				continue
			}
			seen[f.ID] = true
			out = append(out, f)
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if ta, tb := when(a), when(b); !ta.Equal(tb) {
			return ta.Before(tb)
		}
		if a.Rule.ID != b.Rule.ID {
			return a.Rule.ID < b.Rule.ID
		}
		return a.ID < b.ID
	})
	return out
}

// when is the time a finding is drawn at: its firing time, else its
// first event.
func when(f findings.Finding) time.Time {
	if !f.FiredAt.IsZero() {
		return f.FiredAt.UTC()
	}
	return f.FirstSeen.UTC()
}

// Levels are the Sigma levels, most severe first.
var Levels = []string{"critical", "high", "medium", "low", "informational"}

func levelRank(l string) int {
	for i, x := range Levels {
		if x == l {
			return i
		}
	}
	return len(Levels)
}

func normLevel(l string) string {
	l = strings.ToLower(strings.TrimSpace(l))
	if levelRank(l) == len(Levels) {
		return "unknown"
	}
	return l
}

// Entity kinds a timeline is drawn for.
const (
	KindPrincipal = "principal"
	KindRole      = "role"
	KindAccessKey = "access key"
	KindToken     = "token"
)

// EntityRef names one entity: its kind and its (redacted) value.
type EntityRef struct {
	Kind  string
	Value string
}

// Key is a stable identifier of the entity, used in anchors and tests.
func (e EntityRef) Key() string { return e.Kind + ":" + e.Value }

// entitiesOf returns the entities a finding is about, from its entity
// fields and its group-by fields, each once.
func entitiesOf(f findings.Finding) []EntityRef {
	var out []EntityRef
	add := func(kind, v string) {
		v = redact.String(strings.TrimSpace(v))
		if v == "" {
			return
		}
		for _, e := range out {
			if e.Kind == kind && e.Value == v {
				return
			}
		}
		out = append(out, EntityRef{kind, v})
	}
	for _, k := range sortedKeys(f.Entity) {
		switch k {
		case "principal":
			add(KindPrincipal, f.Entity[k])
		case "access_key_id":
			add(KindAccessKey, f.Entity[k])
		case "role":
			add(KindRole, f.Entity[k])
		case "token", "token_id":
			add(KindToken, f.Entity[k])
		}
	}
	for _, k := range sortedKeys(f.Group) {
		if kind := groupKind(k); kind != "" {
			add(kind, f.Group[k])
		}
	}
	return out
}

// groupKind names the entity kind a group-by field holds, or "".
func groupKind(field string) string {
	k := strings.ToLower(field)
	switch {
	case strings.Contains(k, "rolearn"), strings.HasSuffix(k, "sessionissuer.arn"), strings.HasSuffix(k, "sessionissuer.username"):
		return KindRole
	case strings.HasSuffix(k, "accesskeyid"), k == "access_key_id":
		return KindAccessKey
	case k == "session_key", strings.HasSuffix(k, "sessionid"), strings.Contains(k, "uniquetokenidentifier"),
		k == "uti", strings.Contains(k, "token"), strings.HasSuffix(k, "serviceaccountkeyname"):
		return KindToken
	case strings.HasSuffix(k, "useridentity.arn"), strings.Contains(k, "principalemail"), strings.Contains(k, "userprincipalname"),
		strings.HasSuffix(k, "useridentity.username"), k == "principal":
		return KindPrincipal
	}
	return ""
}

// addrOf and agentOf return a finding's source address and user agent, if
// it carries them.
func addrOf(f findings.Finding) string {
	if v := f.Entity["source_ip"]; v != "" {
		return redact.String(v)
	}
	for _, k := range sortedKeys(f.Group) {
		lk := strings.ToLower(k)
		if strings.Contains(lk, "sourceipaddress") || strings.Contains(lk, "callerip") || lk == "ipaddress" || lk == "source_ip" {
			return redact.String(f.Group[k])
		}
	}
	return ""
}

func agentOf(f findings.Finding) string {
	if v := f.Entity["user_agent"]; v != "" {
		return redact.String(v)
	}
	for _, k := range sortedKeys(f.Group) {
		if lk := strings.ToLower(k); strings.Contains(lk, "useragent") || lk == "user_agent" {
			return redact.String(f.Group[k])
		}
	}
	return ""
}

// cloudOf derives a finding's cloud: from its rule's log source when the
// rule file is known, else from its field names, its source and title.
func cloudOf(f findings.Finding, r *RuleInfo) string {
	if r != nil && r.Cloud != "" {
		return r.Cloud
	}
	fields := append(sortedKeys(f.Group), sortedKeys(f.Sample)...)
	for _, k := range fields {
		switch {
		case strings.HasPrefix(k, "userIdentity.") || strings.HasPrefix(k, "requestParameters.") || k == "sourceIPAddress" || k == "eventSource":
			return "aws"
		case strings.HasPrefix(k, "protoPayload."):
			return "gcp"
		case k == "UserPrincipalName" || k == "TenantId" || k == "AppDisplayName" || k == "ResultType":
			return "azure"
		}
	}
	if k := f.Entity["access_key_id"]; strings.HasPrefix(k, "AKIA") || strings.HasPrefix(k, "ASIA") {
		return "aws"
	}
	s := strings.ToLower(f.Source + " " + f.Rule.Title)
	for _, c := range []struct{ word, cloud string }{
		{"cloudtrail", "aws"}, {"aws", "aws"}, {"gcp", "gcp"}, {"google", "gcp"}, {"entra", "azure"}, {"azure", "azure"}, {"signin", "azure"},
	} {
		if strings.Contains(s, c.word) {
			return c.cloud
		}
	}
	return "unknown"
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
