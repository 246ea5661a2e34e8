package sql

import (
	"fmt"
	"net/netip"
	"strings"

	"github.com/tokenhunt/tokenhunt/backends/internal/ipshape"

	"github.com/tokenhunt/tokenhunt/compiler/ir"
)

// CIDR matching in plain SQL, with no inet type: the address text is
// normalised to a fixed-width string and compared with BETWEEN the prefix's
// first and last address in the same form. A shape check (a regular
// expression) guards the normalisation, so text that is not an address
// never matches and never raises an error.
//
//	IPv4: each octet left-padded to 3 digits: 10.0.0.1 -> 010.000.000.001.
//	      Zero-padded octets (075.050.255.067, as in the Stratus Red Team
//	      logs) are read as decimal.
//	IPv6: lower-cased, :: expanded, each group left-padded to 4 hex digits:
//	      2001:db8::1 -> 2001:0db8:0000:0000:0000:0000:0000:0001.
//
// Not matched: IPv6 text with an embedded IPv4 part (::ffff:1.2.3.4), zones
// (fe80::1%eth0), and octets written with more than 3 digits.

var (
	ipv4Shape = ipshape.IPv4
	ipv6Shape = ipshape.IPv6
)

func (p *printer) cidr(c ir.CIDR) (expr, error) {
	_, alts, err := p.cidrAlts(c, false)
	if err != nil {
		return expr{}, err
	}
	return p.or(alts...), nil
}

// cidrNeg is "the address is not in the networks", NULL included, with
// the negation inside: for an address that is not NULL, the shape test
// and the normal form are never NULL, so each alternative negates as
// "not that shape, or in none of its ranges".
func (p *printer) cidrNeg(c ir.CIDR) (expr, error) {
	null, alts, err := p.cidrAlts(c, true)
	if err != nil {
		return expr{}, err
	}
	return p.or(null, p.and(alts...)), nil
}

// cidrAlts is the test of each address family with networks in c (each
// negated when negated is set), and the test that the field is NULL.
func (p *printer) cidrAlts(c ir.CIDR, negated bool) (expr, []expr, error) {
	cl, err := p.column(c.Field)
	if err != nil {
		return expr{}, nil, err
	}
	var v4, v6 []netip.Prefix
	for _, pfx := range c.Prefixes {
		if !pfx.IsValid() {
			return expr{}, nil, p.errorf(c.Field.Pos, "write the network as address/bits, e.g. 10.0.0.0/8", "field %q: invalid network %q", c.Field.Name, pfx.String())
		}
		if pfx.Addr().Is4() {
			v4 = append(v4, pfx.Masked())
		} else {
			v6 = append(v6, pfx.Masked())
		}
	}
	s := p.text(cl)
	var alts []expr
	if len(v4) > 0 {
		alts = append(alts, p.within(s, ipv4Shape, p.normIPv4(s), v4, negated))
	}
	if len(v6) > 0 {
		s6 := p.call(p.d.Lower, s)
		alts = append(alts, p.within(s6, ipv6Shape, p.normIPv6(s6), v6, negated))
	}
	return isNull(cl.raw), alts, nil
}

// within is: s has the address shape, and its normal form lies in one of
// the prefixes; negated, s has another shape or lies in none of them.
func (p *printer) within(s expr, shape string, norm expr, prefixes []netip.Prefix, negated bool) expr {
	ranges := make([]expr, len(prefixes))
	for i, pfx := range prefixes {
		lo, hi := prefixRange(pfx)
		ranges[i] = between(norm, p.str(lo), p.str(hi), negated)
	}
	is := prim(p.d.RegexpMatches(s.text, p.rx(shape)))
	if negated {
		return p.or(expr{text: "NOT " + is.text, prec: precNot}, p.and(ranges...))
	}
	return p.and(is, p.or(ranges...))
}

func (p *printer) regexpReplace(x expr, pattern, repl string) expr {
	return prim(p.d.RegexpReplaceAll(x.text, p.rx(pattern), p.regexLit(repl)))
}

func (p *printer) replace(x expr, from, to expr) expr {
	return prim(p.d.Replace(x.text, from.text, to.text))
}

// normIPv4 pads every octet to three digits: put two zeros before each
// octet, then keep the last three digits of each run.
func (p *printer) normIPv4(s expr) expr {
	padded := concat(p.str("00"), p.replace(s, p.str("."), p.str(".00")))
	return p.regexpReplace(padded, `0*([0-9]{3})`, p.d.RegexpGroup1)
}

// normIPv6 expands :: and pads every group to four hex digits. With a
// leading or trailing :: completed by a 0 group, an address of n colons in
// total lacks 8-n groups, which replace the ::.
func (p *printer) normIPv6(s expr) expr {
	ends := p.regexpReplace(p.regexpReplace(s, `^::`, `0::`), `::$`, `::0`)
	colons := sub(p.call(p.d.Length, s), p.call(p.d.Length, p.replace(s, p.str(":"), p.str(""))))
	zeros := prim(p.d.Substr(p.d.QuoteString("0:0:0:0:0:0:0:0:"), add(mul(prim("2"), colons), prim("1")).text))
	full := p.replace(ends, p.str("::"), concat(p.str(":"), zeros))
	padded := concat(p.str("000"), p.replace(full, p.str(":"), p.str(":000")))
	return p.regexpReplace(padded, `0*([0-9a-f]{4})`, p.d.RegexpGroup1)
}

// prefixRange is the first and last address of a masked prefix, in the
// normal form.
func prefixRange(pfx netip.Prefix) (lo, hi string) {
	first := pfx.Addr().AsSlice()
	last := append([]byte(nil), first...)
	for bit := pfx.Bits(); bit < len(last)*8; bit++ {
		last[bit/8] |= 0x80 >> (bit % 8)
	}
	return normAddr(first), normAddr(last)
}

func normAddr(b []byte) string {
	if len(b) == 4 {
		return fmt.Sprintf("%03d.%03d.%03d.%03d", b[0], b[1], b[2], b[3])
	}
	groups := make([]string, 8)
	for i := range groups {
		groups[i] = fmt.Sprintf("%02x%02x", b[2*i], b[2*i+1])
	}
	return strings.Join(groups, ":")
}
