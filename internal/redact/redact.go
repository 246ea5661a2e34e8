// Package redact hides token-like values (cloud access keys, session
// tokens, JWTs, bearer and basic credentials) behind a short prefix and a
// hash, so that findings, logs and reports never repeat a secret while the
// same secret still reads the same everywhere.
//
// A redacted value looks like `ASIA…#3f9a1c2b`: the first four characters
// (enough to tell an AWS temporary key from a long-term one) and the first
// 8 hex digits of the value's SHA-256.
package redact

import (
	"crypto/sha256"
	"encoding/hex"
	"regexp"
	"strings"
)

// patterns match token-like values. Each is anchored on a shape that
// ordinary text does not have, so redaction does not eat identifiers.
var patterns = []*regexp.Regexp{
	// AWS access key ids: long-term (AKIA), temporary (ASIA) and friends.
	regexp.MustCompile(`\b(?:AKIA|ASIA|ABIA|ACCA|AGPA|AIDA|AIPA|ANPA|ANVA|APKA|AROA|ASCA)[A-Z0-9]{12,20}\b`),
	// AWS session tokens and secret keys in key=value or JSON form.
	regexp.MustCompile(`(?i)((?:sessionToken|secretAccessKey|aws_session_token|aws_secret_access_key|x-amz-security-token)"?\s*[:=]\s*"?)([A-Za-z0-9/+=]{16,})`),
	// AWS session tokens on their own (they start with these prefixes).
	regexp.MustCompile(`\b(?:IQoJb3JpZ2lu|FwoGZXIvYXdz|FQoGZXIvYXdz)[A-Za-z0-9/+=]{20,}`),
	// JSON Web Tokens (Entra ID / GCP access and ID tokens).
	regexp.MustCompile(`\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*`),
	// Google OAuth access and refresh tokens.
	regexp.MustCompile(`\bya29\.[A-Za-z0-9_\-]{20,}`),
	regexp.MustCompile(`\b1//0[A-Za-z0-9_\-]{20,}`),
	// Bearer / Basic authorization values.
	regexp.MustCompile(`(?i)(\b(?:bearer|basic)\s+)([A-Za-z0-9._~+/=-]{16,})`),
}

// Value redacts one whole value: a prefix and a hash.
func Value(s string) string {
	sum := sha256.Sum256([]byte(s))
	prefix := s
	if r := []rune(s); len(r) > 4 {
		prefix = string(r[:4])
	}
	return prefix + "…#" + hex.EncodeToString(sum[:4])
}

// String redacts every token-like value inside s and leaves the rest.
func String(s string) string {
	for _, re := range patterns {
		if re.NumSubexp() == 2 {
			s = re.ReplaceAllStringFunc(s, func(m string) string {
				sub := re.FindStringSubmatch(m)
				return sub[1] + Value(sub[2])
			})
			continue
		}
		s = re.ReplaceAllStringFunc(s, Value)
	}
	return s
}

// Any redacts every string inside a decoded JSON-like value (maps, slices,
// strings), returning a new value.
func Any(v any) any {
	switch v := v.(type) {
	case string:
		return String(v)
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, x := range v {
			if sensitiveKey(k) {
				if s, ok := x.(string); ok && s != "" {
					out[k] = Value(s)
					continue
				}
			}
			out[k] = Any(x)
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, x := range v {
			out[i] = Any(x)
		}
		return out
	}
	return v
}

// sensitiveKey reports whether a field name holds a secret whatever its
// shape.
func sensitiveKey(k string) bool {
	k = strings.ToLower(k)
	for _, s := range []string{"sessiontoken", "secretaccesskey", "password", "clientsecret", "refreshtoken", "accesstoken", "idtoken"} {
		if strings.Contains(k, s) {
			return true
		}
	}
	return false
}
