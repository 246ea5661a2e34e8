package simulate

import (
	"encoding/base64"
	"math/rand/v2"
)

// Every random choice comes from a PCG generator derived from the seed and a
// path of integers naming what is being decided (a day's plan, a window, a
// scenario), so the same seed gives the same bytes whatever the order in
// which windows are generated.

// mix64 is the splitmix64 finaliser: a cheap, well-spread 64-bit hash step.
func mix64(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// hashParts folds a path of integers into one value.
func hashParts(parts ...uint64) uint64 {
	h := uint64(0x6a09e667f3bcc908)
	for _, p := range parts {
		h = mix64(h ^ p)
	}
	return h
}

// hashString is FNV-1a, for naming streams by text.
func hashString(s string) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= 1099511628211
	}
	return h
}

// derive returns a generator for the stream named by parts under seed.
func derive(seed uint64, parts ...uint64) *rand.Rand {
	return rand.New(rand.NewPCG(seed, hashParts(parts...)))
}

// Stream tags: the first part of every derive path, so that streams for
// different purposes never coincide.
const (
	tagOrg uint64 = iota + 1
	tagPlan
	tagWindow
	tagScenario
	tagFile
	tagNoise
	tagSession
)

const (
	hexLower   = "0123456789abcdef"
	upperAlnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	base32Up   = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
	lowerAlnum = "abcdefghijklmnopqrstuvwxyz0123456789"
	mixedAlnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
)

func randChars(r *rand.Rand, alphabet string, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = alphabet[r.IntN(len(alphabet))]
	}
	return string(b)
}

// uuid returns a version-4 UUID drawn from r.
func uuid(r *rand.Rand) string {
	var b [36]byte
	appendUUID(b[:0], r)
	return string(b[:])
}

func appendUUID(dst []byte, r *rand.Rand) []byte {
	hi, lo := r.Uint64(), r.Uint64()
	hi = (hi &^ (0xf << 12)) | (4 << 12)   // version 4
	lo = (lo &^ (0x3 << 62)) | (0x2 << 62) // RFC 4122 variant
	var raw [16]byte
	for i := 0; i < 8; i++ {
		raw[i] = byte(hi >> (56 - 8*i))
		raw[8+i] = byte(lo >> (56 - 8*i))
	}
	for i, c := range raw {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			dst = append(dst, '-')
		}
		dst = append(dst, hexLower[c>>4], hexLower[c&0xf])
	}
	return dst
}

// Fake credentials. Every secret the simulator writes is obviously fake
// (EXAMPLE inside it) and still has the shape internal/redact recognises:
// AWS key ids are 20 characters of [A-Z0-9] behind a known prefix, session
// tokens start with IQoJb3JpZ2lu, Google tokens with ya29., JWTs with eyJ.

// accessKeyID returns prefix (ASIA, AKIA) + 9 base32 characters + EXAMPLE.
func accessKeyID(r *rand.Rand, prefix string) string {
	return prefix + randChars(r, base32Up, 9) + "EXAMPLE"
}

// uniqueID returns an IAM unique id (AROA…, AIDA…): 21 characters.
func uniqueID(r *rand.Rand, prefix string) string {
	return prefix + randChars(r, base32Up, 10) + "EXAMPLE"
}

// sessionToken returns a fake STS session token.
func sessionToken(r *rand.Rand) string {
	raw := make([]byte, 180)
	for i := range raw {
		raw[i] = byte(r.Uint32())
	}
	return "IQoJb3JpZ2luX2VjEXAMPLE" + base64.StdEncoding.EncodeToString(raw)
}

// secretAccessKey returns a fake 40-character AWS secret key.
func secretAccessKey(r *rand.Rand) string {
	return randChars(r, mixedAlnum, 16) + "/EXAMPLE/" + randChars(r, mixedAlnum, 15)
}

// tokenID returns a base64url 16-byte identifier (Entra's UniqueTokenIdentifier).
func tokenID(r *rand.Rand) string {
	var raw [16]byte
	for i := range raw {
		raw[i] = byte(r.Uint32())
	}
	return base64.RawURLEncoding.EncodeToString(raw[:])
}

// googleAccessToken returns a fake OAuth access token (ya29.…).
func googleAccessToken(r *rand.Rand) string {
	return "ya29.EXAMPLE" + randChars(r, mixedAlnum+"_-", 120)
}

// fakeJWT returns an unsigned-looking JWT with an Entra issuer.
func fakeJWT(r *rand.Rand, tenant, upn string) string {
	hdr := base64.RawURLEncoding.EncodeToString([]byte(`{"typ":"JWT","alg":"RS256","kid":"EXAMPLE"}`))
	body := base64.RawURLEncoding.EncodeToString([]byte(`{"aud":"https://management.azure.com","iss":"https://sts.windows.net/` + tenant + `/","upn":"` + upn + `","note":"EXAMPLE token from tokenhunt simulate"}`))
	return hdr + "." + body + "." + randChars(r, mixedAlnum+"_-", 86)
}

// pick returns a uniformly chosen element.
func pick[T any](r *rand.Rand, xs []T) T { return xs[r.IntN(len(xs))] }

// chance is true with probability p.
func chance(r *rand.Rand, p float64) bool { return r.Float64() < p }
