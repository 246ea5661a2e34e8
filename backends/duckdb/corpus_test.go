package duckdb_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/tokenhunt/tokenhunt/backends/duckdb"
	"github.com/tokenhunt/tokenhunt/backends/sql"
	"github.com/tokenhunt/tokenhunt/compiler/ir"
)

const stratusDir = "../../../shared/corpus/stratus-detonation-logs"

// parseLooseIPv4 reads an address as netip does, and also IPv4 with
// zero-padded octets (075.050.255.67), as the Stratus logs have them.
func parseLooseIPv4(s string) (netip.Addr, bool) {
	if a, err := netip.ParseAddr(s); err == nil && a.Zone() == "" {
		return a, true
	}
	parts := strings.Split(s, ".")
	if len(parts) != 4 {
		return netip.Addr{}, false
	}
	var b [4]byte
	for i, p := range parts {
		if len(p) == 0 || len(p) > 3 {
			return netip.Addr{}, false
		}
		n, err := strconv.Atoi(p)
		if err != nil || n > 255 || strings.ContainsAny(p, "+-") {
			return netip.Addr{}, false
		}
		b[i] = byte(n)
	}
	return netip.AddrFrom4(b), true
}

// TestStratusCorpus runs rules over the public Stratus Red Team CloudTrail
// logs and compares the matched events with what Go computes from the same
// files.
func TestStratusCorpus(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join(stratusDir, "*.json"))
	if len(files) == 0 {
		t.Skip("no Stratus corpus at " + stratusDir)
	}
	var records []map[string]any
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var recs []map[string]any
		if err := json.Unmarshal(b, &recs); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		records = append(records, recs...)
	}
	str := func(r map[string]any, path ...string) (string, bool) {
		var v any = r
		for _, p := range path {
			m, ok := v.(map[string]any)
			if !ok {
				return "", false
			}
			v = m[p]
		}
		s, ok := v.(string)
		return s, ok
	}
	expect := func(keep func(map[string]any) bool) []string {
		out := []string{}
		for _, r := range records {
			if keep(r) {
				id, _ := str(r, "eventID")
				out = append(out, id)
			}
		}
		sort.Strings(out)
		return out
	}
	inPrefix := func(p string) func(map[string]any) bool {
		pfx := netip.MustParsePrefix(p)
		return func(r map[string]any) bool {
			s, _ := str(r, "sourceIPAddress")
			a, ok := parseLooseIPv4(s)
			return ok && pfx.Contains(a)
		}
	}
	src := fld("sourceIPAddress")
	cidr := func(p string) ir.Expr { return ir.CIDR{Field: src, Prefixes: []netip.Prefix{netip.MustParsePrefix(p)}} }
	issuer := fld("userIdentity", "sessionContext", "sessionIssuer", "arn")
	instance := jsonf("requestParameters", "instanceId")
	tests := []struct {
		name  string
		where ir.Expr
		keep  func(map[string]any) bool
		// none says the corpus may have no such event (every source
		// address in it is an IPv4 address)
		none bool
	}{
		{"every v4 address", cidr("0.0.0.0/0"), inPrefix("0.0.0.0/0"), false},
		{"zero-padded /24", cidr("75.50.255.0/24"), inPrefix("75.50.255.0/24"), false},
		{"zero-padded last octet", cidr("253.252.51.0/24"), inPrefix("253.252.51.0/24"), false},
		{"/7", cidr("250.0.0.0/7"), inPrefix("250.0.0.0/7"), false},
		{"not an address", not(cidr("0.0.0.0/0")), func(r map[string]any) bool { return !inPrefix("0.0.0.0/0")(r) }, true},
		{"v6", cidr("::/0"), func(r map[string]any) bool {
			s, _ := str(r, "sourceIPAddress")
			a, err := netip.ParseAddr(s)
			return err == nil && a.Is6() && !a.Is4In6() && a.Zone() == ""
		}, true},
		{"struct path", ci(issuer, "arn:", star), func(r map[string]any) bool {
			s, ok := str(r, "userIdentity", "sessionContext", "sessionIssuer", "arn")
			return ok && strings.HasPrefix(strings.ToLower(s), "arn:")
		}, false},
		{"json text", ci(instance, "i-", star), func(r map[string]any) bool {
			s, ok := str(r, "requestParameters", "instanceId")
			return ok && strings.HasPrefix(s, "i-")
		}, false},
		{"event name", ci(fld("eventName"), "assumerole"), func(r map[string]any) bool {
			s, _ := str(r, "eventName")
			return strings.EqualFold(s, "AssumeRole")
		}, false},
	}
	var all []ir.Expr
	for _, tc := range tests {
		all = append(all, tc.where)
	}
	ctx := context.Background()
	e := openEngine(t)
	opts := duckdb.Options{JSONText: cloudTrailJSON, Columns: sql.Columns(ir.And{Args: all})}
	if err := e.Register(ctx, "cloudtrail", []string{filepath.Join(stratusDir, "*.json")}, opts); err != nil {
		t.Fatal(err)
	}
	rows, err := e.Query(ctx, "SELECT count(*) AS n FROM cloudtrail")
	if err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(rows[0]["n"]); got != strconv.Itoa(len(records)) {
		t.Errorf("cloudtrail has %s rows, want %d", got, len(records))
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			q := compile(t, duckdb.Dialect(), "cloudtrail", tc.where)
			want := expect(tc.keep)
			if len(want) == 0 && !tc.none {
				t.Fatalf("the corpus has no event for this case: the test proves nothing")
			}
			got := []string{}
			rows, err := e.Query(ctx, "SELECT eventID FROM ("+q+") ORDER BY eventID")
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range rows {
				got = append(got, fmt.Sprint(r["eventID"]))
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("%s\nmatched eventIDs (-want +got):\n%s", q, diff)
			}
		})
	}
}
