package findings_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tokenhunt/tokenhunt/hunts/findings"
)

func TestID(t *testing.T) {
	at := time.Date(2026, 11, 2, 10, 0, 0, 0, time.UTC)
	a := findings.ID("r1", []string{"ab", "c"}, at)
	for name, other := range map[string]string{
		"group split":  findings.ID("r1", []string{"a", "bc"}, at),
		"other rule":   findings.ID("r2", []string{"ab", "c"}, at),
		"other firing": findings.ID("r1", []string{"ab", "c"}, at.Add(time.Microsecond)),
	} {
		if a == other {
			t.Errorf("%s: same id %s", name, a)
		}
	}
	if a != findings.ID("r1", []string{"ab", "c"}, at.In(time.FixedZone("x", 3600))) {
		t.Error("the id depends on the time zone")
	}
}

// A store dedupes by id across reopenings, redacts, and writes the same
// bytes whatever order findings came in.
func TestStore(t *testing.T) {
	ctx := context.Background()
	at := time.Date(2026, 11, 2, 10, 0, 0, 0, time.UTC)
	mk := func(id string, t time.Time) findings.Finding {
		return findings.Finding{ID: id, Rule: findings.Rule{ID: "r"}, Kind: "event", FiredAt: t, FirstSeen: t, LastSeen: t, Count: 1,
			Entity: map[string]string{"access_key_id": "ASIAY34FZKBOKMUTVV7A"}, EventIDs: []string{id}}
	}
	one, two := t.TempDir(), t.TempDir()
	s, _ := findings.Open(one)
	if n := s.Add(mk("b", at.Add(time.Hour)), mk("a", at)); n != 2 {
		t.Fatalf("added %d, want 2", n)
	}
	if err := s.Save(ctx, nil, nil); err != nil {
		t.Fatal(err)
	}
	s, err := findings.Open(one)
	if err != nil {
		t.Fatal(err)
	}
	if n := s.Add(mk("a", at), mk("c", at.Add(2*time.Hour))); n != 1 {
		t.Errorf("after reopening added %d, want 1", n)
	}
	s.Save(ctx, nil, nil)
	u, _ := findings.Open(two)
	u.Add(mk("c", at.Add(2*time.Hour)), mk("a", at), mk("b", at.Add(time.Hour)))
	u.Save(ctx, nil, nil)
	for _, f := range []string{findings.JSONLFile, findings.OCSFFile} {
		x, _ := os.ReadFile(filepath.Join(one, f))
		y, _ := os.ReadFile(filepath.Join(two, f))
		if diff := cmp.Diff(string(y), string(x)); diff != "" {
			t.Errorf("%s depends on the order of adds (-one go +two goes):\n%s", f, diff)
		}
		if strings.Contains(string(x), "ASIAY34FZKBOKMUTVV7A") || !strings.Contains(string(x), "ASIA…#") {
			t.Errorf("%s: key not redacted:\n%s", f, x)
		}
	}
}
