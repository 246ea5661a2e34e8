package simulate

import (
	"math/rand/v2"
	"net/netip"
	"strconv"
)

// netKind says who a network belongs to.
type netKind int

const (
	netOffice netKind = iota
	netVPN
	netHome
	netMobile
	netCI
	netVendor
	netCloudAWS
	netAttacker
)

// network is an address pool with the facts sign-in logs carry about it.
// Every public pool is synthetic: documentation ranges (RFC 5737, RFC 3849),
// or the shared address space 100.64.0.0/10 (RFC 6598), which no one owns on
// the internet; autonomous system numbers are the documentation ones
// (RFC 5398: 64496-64511, 65536-65551).
type network struct {
	name     string
	kind     netKind
	asn      int
	country  string
	state    string
	city     string
	lat, lon float64
	v4       netip.Prefix
	v6       netip.Prefix // optional
}

func mustPrefix(s string) netip.Prefix { return netip.MustParsePrefix(s) }

// networks is the fixed catalogue. Order matters for determinism only.
var networks = []*network{
	{name: "Example Corp office New York", kind: netOffice, asn: 64496, country: "US", state: "New York", city: "New York", lat: 40.7128, lon: -74.006, v4: mustPrefix("198.51.100.0/27")},
	{name: "Example Corp office Berlin", kind: netOffice, asn: 64496, country: "DE", state: "Berlin", city: "Berlin", lat: 52.52, lon: 13.405, v4: mustPrefix("198.51.100.32/27")},
	{name: "Example Corp VPN", kind: netVPN, asn: 64496, country: "US", state: "Virginia", city: "Ashburn", lat: 39.0438, lon: -77.4874, v4: mustPrefix("198.51.100.64/26"), v6: mustPrefix("2001:db8:64::/48")},
	{name: "Residential Broadband A (synthetic)", kind: netHome, asn: 64497, country: "US", state: "New Jersey", city: "Newark", lat: 40.7357, lon: -74.1724, v4: mustPrefix("100.64.0.0/14"), v6: mustPrefix("2001:db8:1000::/36")},
	{name: "Residential Cable B (synthetic)", kind: netHome, asn: 64498, country: "US", state: "California", city: "San Jose", lat: 37.3382, lon: -121.8863, v4: mustPrefix("100.68.0.0/14")},
	{name: "Residential DSL DE (synthetic)", kind: netHome, asn: 64499, country: "DE", state: "Brandenburg", city: "Potsdam", lat: 52.3906, lon: 13.0645, v4: mustPrefix("100.72.0.0/14"), v6: mustPrefix("2001:db8:2000::/36")},
	{name: "Residential Fibre GB (synthetic)", kind: netHome, asn: 64500, country: "GB", state: "England", city: "London", lat: 51.5072, lon: -0.1276, v4: mustPrefix("100.76.0.0/14")},
	{name: "Residential Broadband IN (synthetic)", kind: netHome, asn: 64501, country: "IN", state: "Karnataka", city: "Bengaluru", lat: 12.9716, lon: 77.5946, v4: mustPrefix("100.80.0.0/14")},
	{name: "Mobile Carrier US (synthetic)", kind: netMobile, asn: 64502, country: "US", state: "Texas", city: "Dallas", lat: 32.7767, lon: -96.797, v4: mustPrefix("100.84.0.0/14"), v6: mustPrefix("2001:db8:3000::/36")},
	{name: "Mobile Carrier EU (synthetic)", kind: netMobile, asn: 64503, country: "DE", state: "Hesse", city: "Frankfurt am Main", lat: 50.1109, lon: 8.6821, v4: mustPrefix("100.88.0.0/14")},
	{name: "Hosted CI Runners (synthetic)", kind: netCI, asn: 64504, country: "US", state: "Virginia", city: "Boydton", lat: 36.6676, lon: -78.3875, v4: mustPrefix("100.96.0.0/12")},
	{name: "Monitoring SaaS (synthetic)", kind: netVendor, asn: 64505, country: "US", state: "Oregon", city: "Portland", lat: 45.5152, lon: -122.6784, v4: mustPrefix("203.0.113.0/27")},
	{name: "Public Cloud (synthetic)", kind: netCloudAWS, asn: 64506, country: "US", state: "Virginia", city: "Ashburn", lat: 39.0438, lon: -77.4874, v4: mustPrefix("100.112.0.0/13")},
	{name: "Hosting VPS NL (synthetic)", kind: netAttacker, asn: 64507, country: "NL", state: "North Holland", city: "Amsterdam", lat: 52.3676, lon: 4.9041, v4: mustPrefix("192.0.2.0/25"), v6: mustPrefix("2001:db8:bad::/48")},
	{name: "Hosting VPS RO (synthetic)", kind: netAttacker, asn: 64508, country: "RO", state: "Bucharest", city: "Bucharest", lat: 44.4268, lon: 26.1025, v4: mustPrefix("192.0.2.128/25")},
	{name: "Anonymising VPN SG (synthetic)", kind: netAttacker, asn: 64509, country: "SG", state: "Singapore", city: "Singapore", lat: 1.3521, lon: 103.8198, v4: mustPrefix("203.0.113.64/26")},
	{name: "Residential Proxy BR (synthetic)", kind: netAttacker, asn: 64510, country: "BR", state: "Sao Paulo", city: "Sao Paulo", lat: -23.5505, lon: -46.6333, v4: mustPrefix("100.120.0.0/14")},
}

func networksOf(kind netKind) []*network {
	var out []*network
	for _, n := range networks {
		if n.kind == kind {
			out = append(out, n)
		}
	}
	return out
}

func homeNetworkFor(country string) *network {
	for _, n := range networks {
		if n.kind == netHome && n.country == country {
			return n
		}
	}
	return networksOf(netHome)[0]
}

// addr returns a random host address in the pool (IPv6 when v6 is asked
// for and the pool has it). Network and broadcast-looking addresses are
// avoided.
func (n *network) addr(r *rand.Rand, v6 bool) string {
	if v6 && n.v6.IsValid() {
		return randomHost(r, n.v6).String()
	}
	return randomHost(r, n.v4).String()
}

func (n *network) asnString() string { return strconv.Itoa(n.asn) }

// randomHost draws an address inside p, never the first or last of an IPv4
// prefix.
func randomHost(r *rand.Rand, p netip.Prefix) netip.Addr {
	a := p.Masked().Addr()
	if a.Is4() {
		b := a.As4()
		base := uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
		size := uint32(1) << (32 - p.Bits())
		off := uint32(1)
		if size > 2 {
			off = 1 + r.Uint32N(size-2)
		}
		v := base + off
		return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)})
	}
	b := a.As16()
	for i := p.Bits() / 8; i < 16; i++ {
		x := byte(r.Uint32())
		if i == p.Bits()/8 && p.Bits()%8 != 0 {
			keep := byte(0xff) << (8 - p.Bits()%8)
			x = b[i]&keep | x&^keep
		}
		b[i] = x
	}
	if b[15] == 0 {
		b[15] = 1
	}
	return netip.AddrFrom16(b)
}

// privateAddr returns an address in 10.<second>.0.0/16.
func privateAddr(r *rand.Rand, second int) string {
	return netip.AddrFrom4([4]byte{10, byte(second), byte(r.IntN(254)), byte(1 + r.IntN(253))}).String()
}
