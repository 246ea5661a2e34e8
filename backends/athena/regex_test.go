package athena

import (
	"bufio"
	"encoding/hex"
	"fmt"
	"math/rand"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestJavaRegex pins the Java spelling of each RE2 construct.
func TestJavaRegex(t *testing.T) {
	tests := []struct{ re2, java string }{
		{`abc`, `abc`},
		{`a.b`, `a[^\n]b`},
		{`(?s)a.b`, `a[\s\S]b`},
		{`^a$`, `\Aa\z`},
		{`(?m)^a$`, `(?:\A|(?<=\n))a(?=\n|\z)`},
		{`(?i)ks`, `[Kk\u212A][Ss\u017F]`},
		{`(?i)1-σ`, `1-[\u03A3\u03C2\u03C3]`},
		{`(?i)[a-c]`, `[A-Ca-c]`},
		{`\s\d\w`, `[\t\n\f\r ][0-9][0-9A-Z_a-z]`},
		{`[^a-c]`, `[^a-c]`},
		{`[[\]^&-]`, `[\&\-\[\]\^]`},
		{`\.\+\*\?\(\)\|\[\]\{\}\^\$\\`, `\.\+\*\?\(\)\|\[\]\{\}\^\$\\`},
		{`a{2}b{2,}c{2,5}?`, `a{2}b{2,}c{2,5}?`},
		{`(?:ab)+|c`, `(?:ab)+|c`},
		{`x(?:a|b)y`, `x[ab]y`},
		{`x(?:ab|cd)y`, `x(?:ab|cd)y`},
		{`(?P<user_name>a)(?<n>b)`, `(a)(b)`},
		{`\bfoo\B`, `(?:(?<=[0-9A-Z_a-z])(?![0-9A-Z_a-z])|(?<![0-9A-Z_a-z])(?=[0-9A-Z_a-z]))foo` +
			`(?:(?<=[0-9A-Z_a-z])(?=[0-9A-Z_a-z])|(?<![0-9A-Z_a-z])(?![0-9A-Z_a-z]))`},
		{`a|`, `a|(?:)`},
		{`\x00é\x{1F600}\x{10FFFF}`, "\\u0000\\u00E9\U0001F600\U0010FFFF"},
		{`[^\x00-\x{10FFFF}]`, `[^\s\S]`},
		{`[\x00-\x{10FFFF}]`, `[\s\S]`},
		{`[\x{D000}-\x{E000}]`, `[\uD000-\uD7FF\uE000]`},
		{`[^a-\x{FFFF}]`, `[^a-\uD7FF\uE000-\uFFFF]`},
		{`\Qa.b\E`, `a\.b`},
		{`[[:alpha:]]`, `[A-Za-z]`},
		{`a{,2}`, `a\{,2\}`},
		{`(a*)*`, `(a*)*`},
		{`(?:a*)*`, `(?:a*)*`},
		{`(?:^)*`, `(?:\A)*`},
	}
	for _, tc := range tests {
		got, err := javaRegex(tc.re2)
		if err != nil {
			t.Errorf("%s: %v", tc.re2, err)
			continue
		}
		if got != tc.java {
			t.Errorf("%s:\n got %s\nwant %s", tc.re2, got, tc.java)
		}
	}
	if _, err := javaRegex(`a(b`); err == nil || !strings.Contains(err.Error(), "not an RE2 expression") {
		t.Errorf("javaRegex(a(b) = %v, want an error", err)
	}
}

// TestDecimalGroup: the number pattern of tryCastDouble is the printer's
// decimal text with the number captured, spelled by javaRegex.
func TestDecimalGroup(t *testing.T) {
	got, err := javaRegex(`^\s*([+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?)\s*$`)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(decimalGroup, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// regexCases are RE2 patterns (as rules write them, flags included) with
// texts that tell RE2 and Java apart: line terminators other than \n, a
// final newline, case folds that are not one-to-one (ß, ſ, K, σ/ς),
// non-ASCII word characters next to \b, supplementary characters.
var regexCases = []struct {
	re    string
	texts []string
}{
	{`a$`, []string{"a", "a\n", "ba", "a\r"}},
	{`(?m)a$`, []string{"a\nb", "a\rb", "a\u2028b", "ab"}},
	{`(?m)^b`, []string{"a\nb", "a\rb", "a\u0085b", "b", "ab"}},
	{`^a`, []string{"a", "b\na"}},
	{`a.b`, []string{"a\nb", "a\rb", "a\u2028b", "a\u0085b", "axb", "a😀b"}},
	{`(?s)a.b`, []string{"a\nb", "a\rb", "axb", "ab"}},
	{`(?i)strasse`, []string{"STRASSE", "straße", "STRAẞE", "ſtraſſe"}},
	{`(?i)ß`, []string{"ss", "SS", "ẞ", "ß"}},
	{`(?i)k`, []string{"K", "\u212a", "k", "x"}},
	{`(?i)σ`, []string{"Σ", "ς", "σ", "s"}},
	{`(?i)i`, []string{"I", "İ", "ı", "i"}},
	{`\bfoo\b`, []string{"foo", "éfoo", "foo_", "a foo.", "ñfooñ", "foo\u0301"}},
	{`\Bfoo`, []string{"afoo", "éfoo", " foo"}},
	{`\w+\s\d`, []string{"é\u00a05", "ab 5", "ab\v5", "ab\t٣", "ab\t3"}},
	{`[[:space:]]x`, []string{"\vx", " x", "\u00a0x"}},
	{`[^a]`, []string{"\n", "a", "😀", ""}},
	{`[a-c[]`, []string{"[", "b", "d"}},
	{`[a&&b]`, []string{"&", "a", "c"}},
	{`x{2,3}?y`, []string{"xxy", "xy", "xxxxy"}},
	{`(?P<user_name>ab)+`, []string{"abab", "a"}},
	{`^\s*[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?\s*$`, []string{"5", " 5 ", "5\n", "5\v", "1e5", "5d", "0x1p3", "NaN", "\u00a05"}},
	{`(?i)[k-m]`, []string{"\u212a", "L", "j"}},
	{`\pL\pN`, []string{"é٣", "a1", "1a"}},
	{`.+:assumed-role/aws:.+`, []string{"arn:aws:sts::1:assumed-role/aws:x", "arn:aws:sts::1:assumed-role/aws:\n"}},
	{`(^0oa.*|[a-zA-Z0-9._%+-]+@[a-zA-Z0-9.-]+\.[a-zA-Z]{2,10})`, []string{"0oa123", "me@example.com", "x0oa", "me@x"}},
	{`\x{1F600}|é`, []string{"😀", "e\u0301", "é"}},
	{`a|`, []string{"", "b"}},
	{`(?i)Ǆ`, []string{"ǅ", "ǆ", "DŽ"}},
	{`\\u0041`, []string{`\u0041`, "A"}},
	{`[😀-🙏]x|\x{10FFFF}`, []string{"😃x", "😃", "\U0010FFFF", "éx"}},
	{`(?s)^.$`, []string{"\n", "\r", "😀", "ab", ""}},
	{`[^\x00-\x{10FFFF}]|[\x00-\x{10FFFF}]z`, []string{"z", "\nz", ""}},
}

// TestJavaRegexSelf: where a translation uses no look-around, it is RE2
// syntax as well, and RE2 must find it in exactly the texts where it
// finds the original.
func TestJavaRegexSelf(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	alphabet := []rune("aAbBkKsSß\u212a\u017f\n\r\u2028 _é0159.+-xy[]&")
	for _, tc := range regexCases {
		java, err := javaRegex(tc.re)
		if err != nil {
			t.Errorf("%s: %v", tc.re, err)
			continue
		}
		if strings.Contains(java, "(?<") || strings.Contains(java, "(?=") || strings.Contains(java, "(?!") {
			continue
		}
		orig, back := regexp.MustCompile(tc.re), regexp.MustCompile(re2Escapes(java))
		texts := append([]string(nil), tc.texts...)
		for range 200 {
			r := make([]rune, rng.Intn(6))
			for i := range r {
				r[i] = alphabet[rng.Intn(len(alphabet))]
			}
			texts = append(texts, string(r))
		}
		for _, s := range texts {
			if orig.MatchString(s) != back.MatchString(s) {
				t.Errorf("%s (as %s) on %q: RE2 says %t, its translation %t", tc.re, java, s, orig.MatchString(s), back.MatchString(s))
			}
		}
	}
}

// TestJavaRegexOnJoni runs each translation with joni, the regex engine of
// Trino's regexp_like, configured as Trino configures it (Java syntax,
// NonStrictUTF8Encoding, an unanchored search), and requires the same
// answer as Go's RE2 on every text. It needs java and the joni and jcodings
// jars (Debian: apt-get install libjruby-joni-java default-jre-headless);
// without them it skips.
func TestJavaRegexOnJoni(t *testing.T) {
	java, err := exec.LookPath("java")
	jars := []string{"/usr/share/java/joni.jar", "/usr/share/java/jcodings.jar"}
	for _, j := range jars {
		if _, e := os.Stat(j); e != nil && err == nil {
			err = e
		}
	}
	if err != nil {
		t.Skipf("joni is not installed (apt-get install libjruby-joni-java): %v", err)
	}
	type query struct {
		re, java, text string
		want           bool
	}
	var qs []query
	var in strings.Builder
	add := func(re, java, text string) {
		qs = append(qs, query{re, java, text, regexp.MustCompile(re).MatchString(text)})
		fmt.Fprintf(&in, "%s %s\n", hex.EncodeToString([]byte(java)), hex.EncodeToString([]byte(text)))
	}
	for _, tc := range regexCases {
		j, err := javaRegex(tc.re)
		if err != nil {
			t.Fatalf("%s: %v", tc.re, err)
		}
		for _, s := range tc.texts {
			add(tc.re, j, s)
		}
		// The untranslated pattern, where Java reads it otherwise: the
		// test can tell the two apart.
		for _, s := range tc.texts {
			add(tc.re, tc.re, s)
		}
	}
	cmd := exec.Command(java, "-cp", strings.Join(jars, ":"), "testdata/JoniSearch.java")
	cmd.Stdin = strings.NewReader(in.String())
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("java: %v", err)
	}
	var lines []string
	sc := bufio.NewScanner(strings.NewReader(string(out)))
	for sc.Scan() {
		lines = append(lines, sc.Text())
	}
	if len(lines) != len(qs) {
		t.Fatalf("joni answered %d lines for %d queries", len(lines), len(qs))
	}
	untranslatedDiffer := 0
	for i, q := range qs {
		got := lines[i]
		if q.java == q.re && q.re != mustJava(t, q.re) {
			if got != fmt.Sprint(map[bool]int{false: 0, true: 1}[q.want]) {
				untranslatedDiffer++
			}
			continue
		}
		want := "0"
		if q.want {
			want = "1"
		}
		if got != want {
			t.Errorf("%s as %s on %q: RE2 says %s, joni %s", q.re, q.java, q.text, want, got)
		}
	}
	if untranslatedDiffer == 0 {
		t.Errorf("every untranslated pattern gave RE2's answer in joni: the cases do not tell the engines apart")
	}
	t.Logf("%d searches in joni; %d of them would differ from RE2 without the translation", len(qs)/2, untranslatedDiffer)
}

// re2Escapes respells Java's \uHHHH as RE2's \x{HHHH}, leaving every
// other escape as it is.
func re2Escapes(java string) string {
	var b strings.Builder
	for i := 0; i < len(java); i++ {
		if java[i] == '\\' && i+1 < len(java) {
			if java[i+1] == 'u' && i+5 < len(java) {
				b.WriteString(`\x{` + java[i+2:i+6] + `}`)
				i += 5
				continue
			}
			b.WriteString(java[i : i+2])
			i++
			continue
		}
		b.WriteByte(java[i])
	}
	return b.String()
}

func mustJava(t *testing.T, re string) string {
	t.Helper()
	j, err := javaRegex(re)
	if err != nil {
		t.Fatal(err)
	}
	return j
}
