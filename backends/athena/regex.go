package athena

import (
	"fmt"
	"regexp/syntax"
	"slices"
	"strconv"
	"strings"
	"unicode"
)

// Trino runs regular expressions with joni, a port of Oniguruma, in its
// Java syntax (https://trino.io/docs/current/functions/regexp.html). That
// syntax reads some of RE2 otherwise (each checked with joni in
// TestJavaRegexOnJoni):
//
//   - `$` also matches before a final newline ("a$" finds "a\n");
//   - `(?i)` folds one character to several (ß matches ss) and `\w`, `\b`
//     and `\s` are Unicode-aware, where RE2's are ASCII;
//   - inside a class, `[` opens a nested class and `&&` intersects;
//   - `\x{...}` is no code point, `(?P<name>` does not exist and group
//     names cannot hold `_`.
//
// So a pattern is not passed through: it is parsed with Go's regexp/syntax
// (the reference semantics) and printed again in a subset of Java syntax
// whose meaning does not depend on those differences. Case folding is
// spelled out as classes ([Kk\u212A]), classes as explicit code point
// ranges, `.` as [^\n] (or [\s\S] under (?s)), the anchors as \A, \z and
// look-arounds for (?m) and word boundaries. No flag is left for the
// engine to interpret.

// javaRegex rewrites an RE2 pattern as a Java pattern that matches the same
// strings.
func javaRegex(pattern string) (string, error) {
	re, err := syntax.Parse(pattern, syntax.Perl)
	if err != nil {
		return "", fmt.Errorf("not an RE2 expression: %v", err)
	}
	var b strings.Builder
	if err := writeJava(&b, re); err != nil {
		return "", err
	}
	return b.String(), nil
}

// word is RE2's \w: ASCII letters, digits and the underscore, the class
// that \b and \B look at.
const word = `[0-9A-Z_a-z]`

// anyChar is every code point, and noChar none: `.` under (?s) and a class
// that matches nothing, with no flag.
const (
	anyChar = `[\s\S]`
	noChar  = `[^\s\S]`
)

// The anchors that RE2 defines in terms of \n and \w, as look-arounds.
const (
	beginLine = `(?:\A|(?<=\n))`
	endLine   = `(?=\n|\z)`
	wordB     = `(?:(?<=` + word + `)(?!` + word + `)|(?<!` + word + `)(?=` + word + `))`
	noWordB   = `(?:(?<=` + word + `)(?=` + word + `)|(?<!` + word + `)(?!` + word + `))`
)

func writeJava(b *strings.Builder, re *syntax.Regexp) error {
	switch re.Op {
	case syntax.OpNoMatch:
		b.WriteString(noChar)
	case syntax.OpEmptyMatch:
		b.WriteString(`(?:)`)
	case syntax.OpLiteral:
		for _, r := range re.Rune {
			if re.Flags&syntax.FoldCase != 0 {
				if orbit := foldOrbit(r); len(orbit) > 1 {
					writeClass(b, pairs(orbit))
					continue
				}
			}
			writeRune(b, r, false)
		}
	case syntax.OpCharClass:
		writeClass(b, re.Rune)
	case syntax.OpAnyCharNotNL:
		b.WriteString(`[^\n]`)
	case syntax.OpAnyChar:
		b.WriteString(anyChar)
	case syntax.OpBeginLine:
		b.WriteString(beginLine)
	case syntax.OpEndLine:
		b.WriteString(endLine)
	case syntax.OpBeginText:
		b.WriteString(`\A`)
	case syntax.OpEndText:
		b.WriteString(`\z`)
	case syntax.OpWordBoundary:
		b.WriteString(wordB)
	case syntax.OpNoWordBoundary:
		b.WriteString(noWordB)
	case syntax.OpCapture:
		// Names play no part in a match, and Java's cannot hold `_`.
		b.WriteByte('(')
		if err := writeJava(b, re.Sub[0]); err != nil {
			return err
		}
		b.WriteByte(')')
	case syntax.OpStar, syntax.OpPlus, syntax.OpQuest, syntax.OpRepeat:
		if err := writeOperand(b, re.Sub[0]); err != nil {
			return err
		}
		switch re.Op {
		case syntax.OpStar:
			b.WriteByte('*')
		case syntax.OpPlus:
			b.WriteByte('+')
		case syntax.OpQuest:
			b.WriteByte('?')
		default:
			b.WriteString("{" + strconv.Itoa(re.Min))
			switch {
			case re.Max == -1:
				b.WriteString(",")
			case re.Max != re.Min:
				b.WriteString("," + strconv.Itoa(re.Max))
			}
			b.WriteString("}")
		}
		if re.Flags&syntax.NonGreedy != 0 {
			b.WriteByte('?')
		}
	case syntax.OpConcat:
		for _, sub := range re.Sub {
			group := sub.Op == syntax.OpAlternate
			if group {
				b.WriteString("(?:")
			}
			if err := writeJava(b, sub); err != nil {
				return err
			}
			if group {
				b.WriteByte(')')
			}
		}
	case syntax.OpAlternate:
		for i, sub := range re.Sub {
			if i > 0 {
				b.WriteByte('|')
			}
			if err := writeJava(b, sub); err != nil {
				return err
			}
		}
	default:
		return fmt.Errorf("the regular expression operator %v has no Java equivalent", re.Op)
	}
	return nil
}

// writeOperand writes the operand of a repetition, in a group unless it is
// a single character, a class or a capture.
func writeOperand(b *strings.Builder, re *syntax.Regexp) error {
	single := re.Op == syntax.OpCharClass || re.Op == syntax.OpAnyChar || re.Op == syntax.OpAnyCharNotNL ||
		re.Op == syntax.OpCapture || re.Op == syntax.OpLiteral && len(re.Rune) == 1
	if single {
		return writeJava(b, re)
	}
	b.WriteString("(?:")
	if err := writeJava(b, re); err != nil {
		return err
	}
	b.WriteByte(')')
	return nil
}

// foldOrbit is every rune that RE2's case folding takes r to, sorted.
func foldOrbit(r rune) []rune {
	orbit := []rune{r}
	for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
		orbit = append(orbit, f)
	}
	slices.Sort(orbit)
	return orbit
}

// pairs turns runes into the lo-hi pairs of a class.
func pairs(runes []rune) []rune {
	out := make([]rune, 0, 2*len(runes))
	for _, r := range runes {
		out = append(out, r, r)
	}
	return out
}

// Surrogate code points never occur in UTF-8 text (Go reads them as
// U+FFFD, Trino's joni as invalid bytes), so a class may drop them; Trino
// does not accept them in a pattern.
const (
	surrogateLo = 0xD800
	surrogateHi = 0xDFFF
)

// writeClass writes a class of lo-hi pairs, negated when that is shorter
// to read (RE2 stores [^a] as everything but a).
func writeClass(b *strings.Builder, ranges []rune) {
	ranges = withoutSurrogates(ranges)
	if len(ranges) == 0 {
		b.WriteString(noChar)
		return
	}
	neg := false
	if ranges[0] == 0 && ranges[len(ranges)-1] == unicode.MaxRune {
		c := complement(ranges)
		if len(c) == 0 {
			b.WriteString(anyChar)
			return
		}
		neg, ranges = true, c
	}
	b.WriteByte('[')
	if neg {
		b.WriteByte('^')
	}
	for i := 0; i+1 < len(ranges); i += 2 {
		lo, hi := ranges[i], ranges[i+1]
		writeRune(b, lo, true)
		if hi != lo {
			if hi > lo+1 {
				b.WriteByte('-')
			}
			writeRune(b, hi, true)
		}
	}
	b.WriteByte(']')
}

// withoutSurrogates removes U+D800-U+DFFF from sorted lo-hi pairs.
func withoutSurrogates(ranges []rune) []rune {
	out := make([]rune, 0, len(ranges)+2)
	for i := 0; i+1 < len(ranges); i += 2 {
		lo, hi := ranges[i], ranges[i+1]
		if lo < surrogateLo && hi >= surrogateLo {
			out = append(out, lo, surrogateLo-1)
			lo = surrogateHi + 1
		}
		if lo >= surrogateLo && lo <= surrogateHi {
			lo = surrogateHi + 1
		}
		if lo <= hi {
			out = append(out, lo, hi)
		}
	}
	return out
}

// complement is every code point outside the sorted lo-hi pairs, surrogates
// left out.
func complement(ranges []rune) []rune {
	var out []rune
	next := rune(0)
	for i := 0; i+1 < len(ranges); i += 2 {
		if ranges[i] > next {
			out = append(out, next, ranges[i]-1)
		}
		next = ranges[i+1] + 1
	}
	if next <= unicode.MaxRune {
		out = append(out, next, unicode.MaxRune)
	}
	return withoutSurrogates(out)
}

// writeRune writes one code point: printable ASCII as itself (escaped where
// Java gives it a meaning), the rest of the Basic Multilingual Plane as
// \uHHHH, and code points above it as themselves: joni's Java syntax has
// no \x{...} (it reads \x{E9} as something else), and \uD83D\uDE00 would
// be two surrogates, not U+1F600.
func writeRune(b *strings.Builder, r rune, inClass bool) {
	special := `\.+*?()|[]{}^$`
	if inClass {
		special = `\[]^-&`
	}
	switch {
	case r == '\n':
		b.WriteString(`\n`)
	case r == '\t':
		b.WriteString(`\t`)
	case r == '\r':
		b.WriteString(`\r`)
	case r == '\f':
		b.WriteString(`\f`)
	case r > 0xFFFF:
		b.WriteRune(r)
	case r < 0x20 || r > 0x7e:
		fmt.Fprintf(b, `\u%04X`, r)
	case strings.ContainsRune(special, r):
		b.WriteByte('\\')
		b.WriteRune(r)
	default:
		b.WriteRune(r)
	}
}
