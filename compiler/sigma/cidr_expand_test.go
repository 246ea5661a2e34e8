package sigma

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/tokenhunt/tokenhunt/compiler/ir"
)

// TestCIDRExpand: |cidr|expand takes the networks from a pipeline
// placeholder, one prefix per value; an undefined placeholder and a value
// that is not a network are positioned errors.
func TestCIDRExpand(t *testing.T) {
	rule := func(value string) *Rule {
		t.Helper()
		rs, errs := ParseFile("r.yml", []byte(`title: t
id: 1b4e28ba-2fa1-4d3b-a3f5-ef19b5a7633b
logsource: {product: aws, service: cloudtrail}
detection:
    sel:
        sourceIPAddress|cidr|expand: '`+value+`'
    condition: sel
`))
		if len(errs) > 0 || len(rs) != 1 {
			t.Fatalf("parse: %v", errs)
		}
		return rs[0]
	}
	vars := func(name string) ([]string, bool) {
		switch name {
		case "corporate_egress":
			return []string{"198.51.100.0/24", "2001:db8:64::/48"}, true
		case "bad":
			return []string{"not-a-network"}, true
		}
		return nil, false
	}
	r, errs := Lower(rule("%corporate_egress%"), vars)
	if len(errs) > 0 {
		t.Fatalf("Lower: %v", errs)
	}
	want := ir.CIDR{Field: ir.Field{Name: "sourceIPAddress"}, Prefixes: []netip.Prefix{netip.MustParsePrefix("198.51.100.0/24"), netip.MustParsePrefix("2001:db8:64::/48")}}
	got, ok := r.Where.(ir.CIDR)
	if !ok {
		t.Fatalf("Where = %#v, want a CIDR", r.Where)
	}
	got.Field.Pos = ir.Pos{}
	if diff := cmp.Diff(want, got, cmp.Comparer(func(a, b netip.Prefix) bool { return a == b })); diff != "" {
		t.Errorf("CIDR (-want +got):\n%s", diff)
	}
	for _, tt := range []struct{ value, want string }{
		{"%nowhere%", "r.yml:6:38: rule 1b4e28ba-2fa1-4d3b-a3f5-ef19b5a7633b: |expand: placeholder %nowhere% is not defined"},
		{"%bad%", `r.yml:6:38: rule 1b4e28ba-2fa1-4d3b-a3f5-ef19b5a7633b: |cidr: "not-a-network" is not an IP address or network`},
	} {
		_, errs := Lower(rule(tt.value), vars)
		if len(errs) == 0 || !strings.HasPrefix(errs.Error(), tt.want) {
			t.Errorf("%s: Lower = %v, want an error starting %q", tt.value, errs, tt.want)
		}
	}
}
