package kql

import (
	"net/netip"

	"github.com/tokenhunt/tokenhunt/backends/internal/ipshape"

	"github.com/tokenhunt/tokenhunt/compiler/ir"
)

// CIDR matching with KQL's own functions, behind a shape check so that text
// which is not an address never matches (ipv4_is_in_any_range and
// ipv6_is_in_any_range return null, not false, for it):
//
//	IPv4: text of four decimal octets, each 0-255 in at most three digits.
//	      Zero-padded octets (075.050.255.067, as in the Stratus Red Team
//	      logs) are read as decimal: the leading zeros are removed before
//	      the range check, so no parser can read them as octal.
//	IPv6: hex groups only, any case, compressed or not.
//
// Not matched, as in the SQL backends: IPv6 text with an embedded IPv4 part
// (::ffff:1.2.3.4), zones (fe80::1%eth0), octets of more than three digits.

var (
	ipv4Shape = ipshape.IPv4
	ipv6Shape = `(?i)` + ipshape.IPv6 // any case
)

// stripZeros removes the leading zeros of each octet, keeping a lone 0.
const (
	stripZeros     = `(^|\.)0+([0-9])`
	stripZerosRepl = `\1\2`
)

func (p *printer) cidr(c ir.CIDR) (expr, error) {
	cl, err := p.column(c.Field)
	if err != nil {
		return expr{}, err
	}
	var v4, v6 []netip.Prefix
	for _, pfx := range c.Prefixes {
		if !pfx.IsValid() {
			return expr{}, p.errorf(c.Field.Pos, "write the network as address/bits, e.g. 10.0.0.0/8", "field %q: invalid network %q", c.Field.Name, pfx.String())
		}
		if pfx.Addr().Is4() {
			v4 = append(v4, pfx.Masked())
		} else {
			v6 = append(v6, pfx.Masked())
		}
	}
	s := cl.text()
	var alts []expr
	if len(v4) > 0 {
		norm := call("replace_regex", s, str(stripZeros), str(stripZerosRepl))
		alts = append(alts, p.within(s, ipv4Shape, "ipv4_is_in_any_range", norm, v4))
	}
	if len(v6) > 0 {
		alts = append(alts, p.within(s, ipv6Shape, "ipv6_is_in_any_range", s, v6))
	}
	return or(alts...), nil
}

// within is: s has the address shape, and its normal form lies in one of
// the prefixes.
func (p *printer) within(s expr, shape, fn string, norm expr, prefixes []netip.Prefix) expr {
	args := []expr{norm}
	for _, pfx := range prefixes {
		args = append(args, str(pfx.String()))
	}
	guard := cmp(s, "matches regex", str(shape))
	guard.notNull = true
	return and(guard, call(fn, args...))
}
