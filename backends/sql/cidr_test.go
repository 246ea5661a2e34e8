package sql

import (
	"net/netip"
	"regexp"
	"testing"
)

func TestPrefixRange(t *testing.T) {
	tests := []struct{ prefix, lo, hi string }{
		{"10.0.0.0/8", "010.000.000.000", "010.255.255.255"},
		{"172.16.0.0/12", "172.016.000.000", "172.031.255.255"},
		{"172.16.0.0/20", "172.016.000.000", "172.016.015.255"},
		{"75.50.255.67/32", "075.050.255.067", "075.050.255.067"},
		{"0.0.0.0/0", "000.000.000.000", "255.255.255.255"},
		{"2001:db8::/33", "2001:0db8:0000:0000:0000:0000:0000:0000", "2001:0db8:7fff:ffff:ffff:ffff:ffff:ffff"},
		{"fe80::/10", "fe80:0000:0000:0000:0000:0000:0000:0000", "febf:ffff:ffff:ffff:ffff:ffff:ffff:ffff"},
		{"::1/128", "0000:0000:0000:0000:0000:0000:0000:0001", "0000:0000:0000:0000:0000:0000:0000:0001"},
		{"::/0", "0000:0000:0000:0000:0000:0000:0000:0000", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"},
	}
	for _, tc := range tests {
		lo, hi := prefixRange(netip.MustParsePrefix(tc.prefix).Masked())
		if lo != tc.lo || hi != tc.hi {
			t.Errorf("%s: range %s..%s, want %s..%s", tc.prefix, lo, hi, tc.lo, tc.hi)
		}
	}
}

// TestIPv6Shape checks the shape check against Go's parser on the forms
// the SQL accepts: lower-case, no zone, no embedded IPv4.
func TestIPv6Shape(t *testing.T) {
	re := regexp.MustCompile(ipv6Shape)
	for _, s := range []string{
		"::", "::1", "1::", "1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7::", "::2:3:4:5:6:7:8", "1::8", "1:2::7:8",
		"2001:db8::1", "fe80::1:2", "0000:0000:0000:0000:0000:0000:0000:0000", "1:2:3:4:5::8", "1::3:4:5:6:7:8",
		"1:2:3:4:5:6:7:8:9", "1:2:3:4:5:6:7::8", "::1::", "1::2::3", ":1", "1:", ":::", "12345::1", "::g",
		"1:2:3:4:5:6:7", "", ":", "1:2:3:4:5:6:7:8::", "::1:2:3:4:5:6:7:8",
	} {
		a, err := netip.ParseAddr(s)
		want := err == nil
		if got := re.MatchString(s); got != want {
			t.Errorf("%q: shape check %v, Go's parser %v (%v)", s, got, want, a)
		}
	}
}
