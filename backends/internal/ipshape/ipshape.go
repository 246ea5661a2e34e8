// Package ipshape holds the regular expressions (RE2, and valid Java regex
// too) with which every backend recognises the text of an IP address before
// it tests a CIDR range, so that text which is not an address never matches
// and never raises an error.
//
//	IPv4: four decimal octets, each 0-255 in at most three digits; zero-padded
//	      octets (075.050.255.067, as in the anonymised Stratus Red Team logs)
//	      are decimal.
//	IPv6: hex groups only, lower case, compressed or not.
//
// Not addresses, on every backend: IPv6 text with an embedded IPv4 part
// (::ffff:1.2.3.4), zones (fe80::1%eth0), octets of more than three digits.
package ipshape

import "strings"

const (
	// Octet is one IPv4 octet, 0-255 in at most three digits.
	Octet = `(25[0-5]|2[0-4][0-9]|[01]?[0-9]?[0-9])`
	// IPv4 is the whole text of an IPv4 address.
	IPv4 = `^` + Octet + `(\.` + Octet + `){3}$`
	// HexGroup is one IPv6 group.
	HexGroup = `[0-9a-f]{1,4}`
)

// IPv6 is the whole lower-case text of an IPv6 address: eight groups, or
// fewer around one :: that stands for at least one zero group.
var IPv6 = func() string {
	h := HexGroup
	alts := []string{
		`(` + h + `:){7}` + h,
		`(` + h + `:){1,7}:`,
		`(` + h + `:){1,6}:` + h,
		`(` + h + `:){1,5}(:` + h + `){1,2}`,
		`(` + h + `:){1,4}(:` + h + `){1,3}`,
		`(` + h + `:){1,3}(:` + h + `){1,4}`,
		`(` + h + `:){1,2}(:` + h + `){1,5}`,
		h + `:(:` + h + `){1,6}`,
		`:((:` + h + `){1,7}|:)`,
	}
	return `^(` + strings.Join(alts, "|") + `)$`
}()
