package compiler_test

// Differential tests: rules and events generated from fixed seeds, the ids
// DuckDB selects compared with independent evaluators.
//
//   - TestDifferentialSigmaGo: rule shapes within the reach of sigma-go
//     v0.6.6's evaluator, whose semantics there equal ours (see
//     sigmaGoComparable for the shapes left out, each with the sigma-go code
//     that deviates). sigma-go, DuckDB, the reference evaluator (refeval) and
//     the oracle of this file must select the same events.
//   - TestDifferentialOracle: the shapes sigma-go cannot evaluate or
//     evaluates otherwise (wildcards and their escapes, |cased, |re flags,
//     |cidr on zero-padded addresses and on IPv6 text with an embedded
//     IPv4 part or a zone, which are not addresses, |exists, |neq,
//     |fieldref, |windash, the encodings, numbers with |gt..., null,
//     keywords, case-insensitive field names): DuckDB and refeval against
//     the oracle of this file, which reads the Sigma rule directly (a
//     wildcard value becomes a hand-made Go regexp, |neq "differs from every
//     value", ...), never through the IR.
//   - TestDifferentialFindings: the smallest reproductions of what they
//     found.
//
// A failure prints the rule, the SQL and the events the evaluators disagree
// on.

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"net"
	"net/netip"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"unicode"
	"unicode/utf16"

	sigmago "github.com/bradleyjkemp/sigma-go"
	"github.com/bradleyjkemp/sigma-go/evaluator"

	"github.com/tokenhunt/tokenhunt/backends/duckdb"
	"github.com/tokenhunt/tokenhunt/backends/sql"
	"github.com/tokenhunt/tokenhunt/compiler"
	"github.com/tokenhunt/tokenhunt/compiler/ir"
	"github.com/tokenhunt/tokenhunt/compiler/pipeline"
	"github.com/tokenhunt/tokenhunt/compiler/sigma"
	"github.com/tokenhunt/tokenhunt/internal/refeval"
)

const (
	diffEventCount   = 300
	diffSigmaGoRules = 400
	diffOracleRules  = 600
)

// diffPipeline gives the generated log sources their tables: test_diff,
// with keyword columns, and test_typed, where n and x are numbers.
const diffPipeline = `name: differential
logsources:
  - product: test
    service: diff
    keywords: [f1, f2]
  - product: test
    service: typed
    fields:
      n: {type: number}
      x: {type: number}
      ns: {type: string}
`

// ---------------------------------------------------------------------------
// Vocabulary.

// diffWords are the strings of events and rule values: mixed case, non-ASCII
// letters (with Σ/σ/ς and İ/i, whose case folding differs from lower-casing),
// quotes, backslashes, % and _, spaces, wildcard characters, and words that
// are prefixes, suffixes and substrings of each other.
var diffWords = []string{
	"", " ", "  ",
	"admin", "Admin", "ADMIN", "aDmIn", "administrator", "Administrator", "sysadmin", "SysAdmin",
	"admin user", " admin", "admin ", "user", "User Admin", "adm",
	"école", "ÉCOLE", "École", "ecole", "über", "ÜBER", "Über", "uber",
	"σίσυφοσ", "ΣΊΣΥΦΟΣ", "σίσυφος", "Σ", "σ",
	"日本", "日本語", "本", "İstanbul", "istanbul", "Straße", "strasse",
	"it's", "IT'S", "'", `"`, `say "hi"`,
	`C:\Windows\System32`, `c:\windows\system32\cmd.exe`, `back\slash`, `trailing\`, `\\server\share`, `\`,
	"100%", "100% sure", "%admin", "%", "%x%",
	"a_b", "axb", "A_B", "_", "a%b",
	"star*lit", "starXlit", "q?m", "qxm",
	"line1\nline2", "tab\there",
	"null", "true", "True", "false", "5", "10", "-3", "1.5",
	"cmd /c whoami -all", "cmd –c whoami —all",
}

// diffSeparators join two words into a longer event value.
var diffSeparators = []string{" ", "", `\`, "_", "%", "\n"}

// diffCmds are command lines for |windash.
var diffCmds = []string{
	"cmd /c whoami -all", "cmd –c whoami —all", "whoami /all", "whoami ―all", "whoami -ALL",
	"ping -n 1 host", "ping /n 1 host", "ping —n 1 host", "net user x /add", "net user x -add",
	"a-b", "x/y", "--all", "-all", "/all", "all", "-", "/c", "—c", "é-x", "-é",
}

// diffWindashValues are |windash rule values.
var diffWindashValues = []string{
	"-all", " -all", "/all", "-ALL", "-n 1", "/add", "-", "a-b", "whoami -all", "--all", "/c", "x/y", "c -",
}

// diffIPs are the values of the ip field.
var diffIPs = []string{
	"10.0.0.1", "10.1.2.3", "10.255.255.255", "11.0.0.0", "9.255.255.255",
	"192.168.1.10", "192.168.001.010", "075.050.255.67", "75.50.255.67", "0.0.0.0", "255.255.255.255",
	"172.16.5.4", "172.32.0.1",
	"2001:db8::1", "2001:DB8:0:0:0:0:0:2", "2001:0db8:0000:0000:0000:0000:0000:0003", "2001:db9::1",
	"2001:db8:ffff::1", "fe80::1", "fe80::1%eth0", "::1", "::", "::ffff:10.1.2.3", "::ffff:a01:203", "ff02::2",
	"ec2.amazonaws.com", "AWS Internal", "10.1.2", "10.1.2.3.4", "1000.1.1.1", "10.0.0.256", " 10.0.0.1",
	"", "2001:db8::g", "1::2::3",
}

// diffEncodedWords are the texts hidden in base64 in the b field, and
// the values of the encoding modifiers.
var diffEncodedWords = []string{
	"admin", "Administrator", "whoami", "école", "日本", "it's", "100%", "a_b", "hello world", "IEX", "powershell -enc", "ab", "x",
}

// diffRegexes are |re values. Those within sigma-go's reach must not match
// "<nil>" (see sigmaGoRegexOK).
var diffRegexes = []string{
	`^admin$`, `admin`, `^Admin`, `ADMIN$`, `[Aa]dmin`, `^ad.*n$`, `dm`, `^$`, `^ $`, `\s`, `^\S+$`,
	`É`, `é`, `(?i)école`, `(?i)ÉCOLE`, `über`, `(?i)ÜBER`, `σ`, `Σ`, `(?i)σ`, `ς$`, `日本`, `^日`, `本$`,
	`'`, `"`, `\\`, `\\[Ss]ystem32`, `%`, `\d%`, `_`, `a_b`, `^a.b$`, `\.`, `^-?\d+$`, `^\d+(\.\d+)?$`,
	`line1$`, `^line2`, `line1.line2`, `(?m)^line2$`, `(?s)line1.line2`, `\*`, `\?`, `^.{5}$`, `İ`,
	`(?i)istanbul`, `ß`, `(?i)STRASSE`, `whoami`, `\s-all$`, `[–—]`, `c\s*/`, `.`, `^`, `.*`, `(?i)N`,
	`^line1$`, `^line2$`, `1$`, `^l`, `e.l`, `(?i)^a`, `x{2,}`, `\\$`, `^\\`,
}

// ---------------------------------------------------------------------------
// Events.

// diffEvent is one generated event: its JSON line and the line decoded with
// UseNumber, as refeval and sigma-go's evaluator read it.
type diffEvent struct {
	ID   string
	Line string
	M    map[string]any
}

// diffJSON writes a string as JSON, leaving < > & as they are.
func diffJSON(s string) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s) // a string always encodes
	return strings.TrimSuffix(b.String(), "\n")
}

func diffPick[T any](rng *rand.Rand, list []T) T { return list[rng.IntN(len(list))] }

// diffGenEvents writes the events as JSON lines into a temporary file.
func diffGenEvents(t *testing.T) ([]diffEvent, string) {
	t.Helper()
	rng := rand.New(rand.NewPCG(20240611, 1))
	var lines []string
	var events []diffEvent
	for i := range diffEventCount {
		id := fmt.Sprintf("e%03d", i)
		parts := []string{`"id":` + diffJSON(id)}
		// field writes k, absent now and then, null now and then, else gen's JSON.
		field := func(k string, gen func() string) {
			switch r := rng.IntN(100); {
			case r < 8:
			case r < 16:
				parts = append(parts, diffJSON(k)+":null")
			default:
				parts = append(parts, diffJSON(k)+":"+gen())
			}
		}
		for _, f := range []string{"f1", "f2", "f3", "f4"} {
			field(f, func() string { return diffGenString(rng, f == "f4") })
		}
		field("n", func() string { return diffPick(rng, []string{"0", "5", "10", "100", "-3", "4624", "7"}) })
		field("x", func() string { return diffPick(rng, []string{"5", "1.5", "-2.25", "100", "0.5", "10", "7"}) })
		field("ns", func() string {
			return diffJSON(diffPick(rng, []string{"5", "10", "-3", "1.5", "abc", "", " 7 ", "1e3", "inf", "NaN", "0x10", "5.0", "+4", "4624", "9"}))
		})
		field("ip", func() string { return diffJSON(diffPick(rng, diffIPs)) })
		field("b", func() string { return diffJSON(diffGenEncoded(rng)) })
		field("cmd", func() string { return diffJSON(diffPick(rng, diffCmds)) })
		line := "{" + strings.Join(parts, ",") + "}"
		dec := json.NewDecoder(strings.NewReader(line))
		dec.UseNumber()
		var m map[string]any
		if err := dec.Decode(&m); err != nil {
			t.Fatalf("generated event %s: %v", line, err)
		}
		lines = append(lines, line)
		events = append(events, diffEvent{ID: id, Line: line, M: m})
	}
	file := filepath.Join(t.TempDir(), "events.jsonl")
	if err := os.WriteFile(file, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return events, file
}

// diffGenString returns the JSON value of a string field; mixed fields
// sometimes hold a JSON number or boolean.
func diffGenString(rng *rand.Rand, mixed bool) string {
	switch r := rng.IntN(100); {
	case mixed && r < 15:
		return diffPick(rng, []string{"5", "10", "1.5", "-3", "true", "false", "0"})
	case r < 30:
		return diffJSON(diffPick(rng, diffWords) + diffPick(rng, diffSeparators) + diffPick(rng, diffWords))
	}
	return diffJSON(diffPick(rng, diffWords))
}

// diffGenEncoded hides a word in base64, at a random offset, plain or as
// UTF-16, sometimes inside other text.
func diffGenEncoded(rng *rand.Rand) string {
	w := diffPick(rng, diffEncodedWords)
	if rng.IntN(8) == 0 {
		return w
	}
	var raw []byte
	switch rng.IntN(5) {
	case 0, 1:
		raw = []byte(w)
	case 2:
		raw = diffUTF16(w, binary.LittleEndian, false)
	case 3:
		raw = diffUTF16(w, binary.BigEndian, false)
	case 4:
		raw = diffUTF16(w, binary.LittleEndian, true)
	}
	pre := []byte("xyz")[:rng.IntN(3)]
	post := []byte("!?#")[:rng.IntN(4)]
	enc := base64.StdEncoding.EncodeToString(slices.Concat(pre, raw, post))
	if rng.IntN(3) == 0 {
		enc = "data=" + enc + ";"
	}
	return enc
}

func diffUTF16(s string, order binary.AppendByteOrder, bom bool) []byte {
	var b []byte
	if bom {
		b = append(b, 0xFF, 0xFE)
	}
	for _, u := range utf16.Encode([]rune(s)) {
		b = order.AppendUint16(b, u)
	}
	return b
}

// diffTexts lists the distinct texts of the events' values.
func diffTexts(events []diffEvent) []string {
	seen := map[string]bool{}
	var out []string
	for _, e := range events {
		for _, v := range e.M {
			if s, ok := diffText(v); ok && !seen[s] {
				seen[s] = true
				out = append(out, s)
			}
		}
	}
	sort.Strings(out)
	return out
}

// diffText reads an event value as text (false when null).
func diffText(v any) (string, bool) {
	switch v := v.(type) {
	case nil:
		return "", false
	case string:
		return v, true
	case json.Number:
		return v.String(), true
	case bool:
		return strconv.FormatBool(v), true
	}
	return fmt.Sprint(v), true
}

// diffLookup finds a field: the key exactly, else case-insensitively (Sigma
// field names are case-insensitive).
func diffLookup(ev map[string]any, field string) (any, bool) {
	v, ok := ev[field]
	if !ok {
		for k, x := range ev {
			if strings.EqualFold(k, field) {
				v, ok = x, true
			}
		}
	}
	return v, ok && v != nil
}

// ---------------------------------------------------------------------------
// Rules.

// dValue is one YAML scalar of a rule.
type dValue struct {
	YAML string // as written
	Kind byte   // 's' string, 'i' integer, 'f' float, 'b' boolean, 'n' null
	Text string // the scalar's value
}

func dStr(s string) dValue { return dValue{YAML: diffYAMLQuote(s), Kind: 's', Text: s} }
func dNum(s string) dValue {
	kind := byte('i')
	if strings.Contains(s, ".") {
		kind = 'f'
	}
	return dValue{YAML: s, Kind: kind, Text: s}
}
func dBool(b bool) dValue {
	return dValue{YAML: strconv.FormatBool(b), Kind: 'b', Text: strconv.FormatBool(b)}
}
func dNull() dValue { return dValue{YAML: "null", Kind: 'n'} }

// diffYAMLQuote writes a double-quoted YAML scalar.
func diffYAMLQuote(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch r {
		case '\\':
			b.WriteString(`\\`)
		case '"':
			b.WriteString(`\"`)
		case '\n':
			b.WriteString(`\n`)
		case '\t':
			b.WriteString(`\t`)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// dEntry is one `field|modifiers: values` of a selection.
type dEntry struct {
	Field  string
	Mods   []string
	Values []dValue
	List   bool // written as a YAML list even with one value
}

func (e dEntry) key() string { return strings.Join(append([]string{e.Field}, e.Mods...), "|") }

// dSel is a selection: a map, a list of maps, or a list of keywords.
type dSel struct {
	Name     string
	Maps     [][]dEntry
	AsList   bool
	Keywords []dValue
}

// dCond is a condition: a selection, `1/all of` a pattern or them, and, or,
// not.
type dCond struct {
	Op    string // "id", "of", "and", "or", "not"
	Name  string // the selection, or the pattern of `of` ("them", "sel*")
	All   bool
	Args  []*dCond
	Paren bool // written in redundant parentheses
}

func (c *dCond) prec() int {
	switch c.Op {
	case "or":
		return 1
	case "and":
		return 2
	case "not":
		return 3
	}
	return 4
}

func (c *dCond) String() string { return c.render(0) }

func (c *dCond) render(outer int) string {
	var s string
	switch c.Op {
	case "id":
		s = c.Name
	case "of":
		q := "1"
		if c.All {
			q = "all"
		}
		s = q + " of " + c.Name
	case "not":
		arg := c.Args[0].render(3)
		if c.Args[0].Op == "not" && !c.Args[0].Paren {
			arg = "(" + arg + ")"
		}
		s = "not " + arg
	case "and", "or":
		var parts []string
		for _, a := range c.Args {
			parts = append(parts, a.render(c.prec()))
		}
		s = strings.Join(parts, " "+c.Op+" ")
	}
	if c.Paren || c.prec() < outer {
		s = "(" + s + ")"
	}
	return s
}

func (c *dCond) eval(sels map[string]bool, names []string) bool {
	switch c.Op {
	case "id":
		return sels[c.Name]
	case "of":
		for _, n := range names {
			var in bool
			if c.Name == "them" {
				in = !strings.HasPrefix(n, "_")
			} else {
				in, _ = path.Match(c.Name, n)
			}
			if !in {
				continue
			}
			if c.All && !sels[n] {
				return false
			}
			if !c.All && sels[n] {
				return true
			}
		}
		return c.All
	case "not":
		return !c.Args[0].eval(sels, names)
	case "and":
		for _, a := range c.Args {
			if !a.eval(sels, names) {
				return false
			}
		}
		return true
	case "or":
		for _, a := range c.Args {
			if a.eval(sels, names) {
				return true
			}
		}
		return false
	}
	return false // no other operator is generated
}

// dRule is a generated detection rule.
type dRule struct {
	Sels  []dSel
	Conds []*dCond
	Typed bool // reads test_typed, where n and x are numbers
}

func (r *dRule) service() string {
	if r.Typed {
		return "typed"
	}
	return "diff"
}

// YAML writes the rule.
func (r *dRule) YAML(id string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "title: differential\nid: %s\nstatus: test\nlogsource:\n    product: test\n    service: %s\ndetection:\n", id, r.service())
	writeEntry := func(e dEntry, first, indent string) {
		if len(e.Values) == 1 && !e.List {
			fmt.Fprintf(&b, "%s%s: %s\n", first, e.key(), e.Values[0].YAML)
			return
		}
		fmt.Fprintf(&b, "%s%s:\n", first, e.key())
		for _, v := range e.Values {
			fmt.Fprintf(&b, "%s  - %s\n", indent, v.YAML)
		}
	}
	for _, s := range r.Sels {
		fmt.Fprintf(&b, "  %s:\n", s.Name)
		switch {
		case s.Keywords != nil:
			for _, v := range s.Keywords {
				fmt.Fprintf(&b, "    - %s\n", v.YAML)
			}
		case len(s.Maps) == 1 && !s.AsList:
			for _, e := range s.Maps[0] {
				writeEntry(e, "    ", "    ")
			}
		default:
			for _, m := range s.Maps {
				for j, e := range m {
					first := "      "
					if j == 0 {
						first = "    - "
					}
					writeEntry(e, first, "      ")
				}
			}
		}
	}
	if len(r.Conds) == 1 {
		fmt.Fprintf(&b, "  condition: %s\n", diffYAMLQuote(r.Conds[0].String()))
	} else {
		b.WriteString("  condition:\n")
		for _, c := range r.Conds {
			fmt.Fprintf(&b, "    - %s\n", diffYAMLQuote(c.String()))
		}
	}
	b.WriteString("level: low\n")
	return b.String()
}

// ---------------------------------------------------------------------------
// Generators.

type diffGen struct {
	rng     *rand.Rand
	texts   []string            // every text of the events
	byField map[string][]string // the texts of each field
}

func newDiffGen(seed uint64, events []diffEvent) *diffGen {
	g := &diffGen{rng: rand.New(rand.NewPCG(20240611, seed)), texts: diffTexts(events), byField: map[string][]string{}}
	for _, e := range events {
		for k, v := range e.M {
			if s, ok := diffText(v); ok {
				g.byField[k] = append(g.byField[k], s)
			}
		}
	}
	return g
}

func (g *diffGen) chance(percent int) bool { return g.rng.IntN(100) < percent }

// word is a vocabulary word or the text of the field in an event, or a
// piece of one.
func (g *diffGen) word(field string) string {
	w := diffPick(g.rng, diffWords)
	if texts := g.byField[strings.ToLower(field)]; len(texts) > 0 && g.chance(50) {
		w = diffPick(g.rng, texts)
	}
	if g.chance(30) {
		rs := []rune(w)
		i := g.rng.IntN(len(rs) + 1)
		j := i + g.rng.IntN(len(rs)-i+1)
		return string(rs[i:j])
	}
	return w
}

func (g *diffGen) uuid() string {
	return fmt.Sprintf("%08x-%04x-4%03x-8%03x-%012x", g.rng.Uint32(), g.rng.IntN(1<<16), g.rng.IntN(1<<12), g.rng.IntN(1<<12), g.rng.Uint64()&(1<<48-1))
}

// values draws one to three values; list says whether to write a list.
func (g *diffGen) values(draw func() dValue) ([]dValue, bool) {
	n := 1
	if g.chance(40) {
		n = 2 + g.rng.IntN(2)
	}
	var out []dValue
	for range n {
		out = append(out, draw())
	}
	return out, n > 1 || g.chance(15)
}

// selectionNames are drawn from sel* and flt*, for `1 of sel*`.
var diffSelNames = []string{"sel1", "sel2", "sel3", "flt1", "flt2"}

// rule assembles selections made by entry (one entry of a map) and a
// random condition over them.
func (g *diffGen) rule(entry func() dEntry, keywords func() []dValue) *dRule {
	r := &dRule{}
	names := slices.Clone(diffSelNames)
	g.rng.Shuffle(len(names), func(i, j int) { names[i], names[j] = names[j], names[i] })
	nsel := 1 + g.rng.IntN(3)
	for _, name := range names[:nsel] {
		s := dSel{Name: name}
		if keywords != nil && g.chance(15) {
			s.Keywords = keywords()
			r.Sels = append(r.Sels, s)
			continue
		}
		nmaps := 1
		if g.chance(30) {
			nmaps = 2 + g.rng.IntN(2)
			s.AsList = true
		}
		for range nmaps {
			var m []dEntry
			seen := map[string]bool{}
			for range 1 + g.rng.IntN(2) {
				e := entry()
				if seen[strings.ToLower(e.key())] {
					continue
				}
				seen[strings.ToLower(e.key())] = true
				m = append(m, e)
			}
			s.Maps = append(s.Maps, m)
		}
		r.Sels = append(r.Sels, s)
	}
	var selNames []string
	for _, s := range r.Sels {
		selNames = append(selNames, s.Name)
	}
	r.Conds = []*dCond{g.cond(selNames, 3)}
	if g.chance(10) {
		r.Conds = append(r.Conds, g.cond(selNames, 2))
	}
	return r
}

func (g *diffGen) cond(names []string, depth int) *dCond {
	var c *dCond
	if depth == 0 || g.chance(30) {
		if g.chance(75) {
			c = &dCond{Op: "id", Name: diffPick(g.rng, names)}
		} else {
			patterns := []string{"them"}
			for _, p := range []string{"sel", "flt"} {
				for _, n := range names {
					if strings.HasPrefix(n, p) {
						patterns = append(patterns, p+"*")
						break
					}
				}
			}
			c = &dCond{Op: "of", Name: diffPick(g.rng, patterns), All: g.chance(50)}
		}
	} else {
		switch r := g.rng.IntN(10); {
		case r < 3:
			c = &dCond{Op: "and"}
		case r < 8:
			c = &dCond{Op: "or"}
		default:
			c = &dCond{Op: "not", Args: []*dCond{g.cond(names, depth-1)}}
		}
		if c.Op != "not" {
			for range 2 + g.rng.IntN(2) {
				c.Args = append(c.Args, g.cond(names, depth-1))
			}
		}
	}
	c.Paren = g.chance(10)
	return c
}

// ---------------------------------------------------------------------------
// sigma-go's reach.

// sigmaGoComparable reports whether sigma-go v0.6.6 evaluates a string
// value under a modifier (none, contains, startswith, endswith) as the Sigma
// specification and ../shared/DESIGN.md do. It does not when
//   - the value starts and ends with %: evaluator/evaluate_search.go
//     getMatcherValues takes it for a placeholder and fails;
//   - the value holds * or ?, or a backslash escaping *, ? or \: sigma-go
//     has no wildcards or escapes and compares the text as it is
//     (evaluator/modifiers/modifiers.go baseComparator, contains, ...),
//     where the specification makes them wildcards and escapes;
//   - the value would match an absent or null field: CoerceString(nil) is
//     fmt.Sprint(nil), "<nil>", so `contains: ""` or `contains: nil` match
//     events without the field, and baseComparator matches the value "null"
//     on an absent field; in the specification a missing field matches
//     nothing but `null`;
//   - without a modifier, the value equals an event text under
//     strings.EqualFold but not under lower-casing, or the reverse:
//     baseComparator uses simple case folding (σ = ς, i ≠ İ), DESIGN.md
//     Unicode lower-casing (σ ≠ ς, i = lower(İ)). contains, startswith and
//     endswith lower-case both sides, as we do.
func sigmaGoComparable(mod, v string, texts []string) bool {
	if strings.HasPrefix(v, "%") && strings.HasSuffix(v, "%") {
		return false
	}
	if strings.ContainsAny(v, "*?") || strings.Contains(v, `\\`) {
		return false
	}
	lv := strings.ToLower(v)
	switch mod {
	case "":
		if v == "null" || strings.EqualFold(v, "<nil>") {
			return false
		}
		for _, w := range texts {
			if strings.EqualFold(v, w) != (lv == strings.ToLower(w)) {
				return false
			}
		}
	case "contains":
		return !strings.Contains("<nil>", lv)
	case "startswith":
		return !strings.HasPrefix("<nil>", lv)
	case "endswith":
		return !strings.HasSuffix("<nil>", lv)
	}
	return true
}

// sigmaGoRegexOK: sigma-go matches a regex against "<nil>" for an absent or
// null field (modifiers.go re.Matches with CoerceString(nil)); we never
// match a missing field. Its regexes are otherwise Go's unanchored,
// case-sensitive search, as ours.
func sigmaGoRegexOK(re string) bool {
	if strings.HasPrefix(re, "%") && strings.HasSuffix(re, "%") {
		return false
	}
	return !regexp.MustCompile(re).MatchString("<nil>")
}

// sigmaGoCIDROK: sigma-go's cidr (modifiers.go cidr.Matches) reads the
// network with net.ParseCIDR, which rejects a bare address (an error the
// evaluator ignores: no match), and the field with net.ParseIP, which
// rejects zero-padded octets (075.050.255.67, decimal for DESIGN.md, as
// CloudTrail's anonymised logs write them) and takes ::ffff:a.b.c.d for an
// IPv4 address (no address at all for us: IPv6 text with an embedded IPv4
// part never matches). Networks on which the two readings disagree for
// some event text are left out.
func sigmaGoCIDROK(p string, texts []string) bool {
	_, network, err := net.ParseCIDR(p)
	if err != nil {
		return false
	}
	ours := netip.MustParsePrefix(p).Masked()
	for _, w := range texts {
		ip := net.ParseIP(w)
		a, ok := diffParseIP(w)
		if (ip != nil && network.Contains(ip)) != (ok && ours.Contains(a)) {
			return false
		}
	}
	return true
}

// sigmaGoNumberOK: sigma-go compares a number value with a field as text
// (modifiers.go baseComparator, through CoerceString), where a field of
// undeclared type equals a number when it reads as that number ("5.0" and
// " 5 " equal 5). Numbers on which the two disagree for some text of the
// field are left out.
func sigmaGoNumberOK(v string, texts []string) bool {
	want, _ := strconv.ParseFloat(v, 64)
	for _, w := range texts {
		f, ok := diffNumber(w)
		if (ok && f == want) != (w == v) {
			return false
		}
	}
	return true
}

// sigmaGoEntry draws an entry sigma-go evaluates as we do: fields f1-f4, n,
// x, cmd, ip by their exact names (sigma-go looks fields up exactly and
// knows no dotted paths), no modifier or contains, startswith, endswith, re
// (no flags: sigma-go has none), cidr, |all, values from the vocabulary.
func (g *diffGen) sigmaGoEntry() dEntry {
	field := diffPick(g.rng, []string{"f1", "f1", "f2", "f2", "f3", "f3", "f4", "f4", "n", "x", "cmd"})
	mod := diffPick(g.rng, []string{"", "", "", "contains", "contains", "startswith", "endswith", "re", "cidr"})
	if mod == "cidr" {
		field = "ip"
	}
	var e dEntry
	e.Field = field
	if mod != "" {
		e.Mods = []string{mod}
	}
	draw := func() dValue {
		if mod == "re" {
			for {
				if re := diffPick(g.rng, diffRegexes); sigmaGoRegexOK(re) {
					return dStr(re)
				}
			}
		}
		if mod == "cidr" {
			for {
				if p := g.prefix(); sigmaGoCIDROK(p, g.texts) {
					return dStr(p)
				}
			}
		}
		numeric := field == "n" || field == "x"
		var number string
		switch r := g.rng.IntN(100); {
		case numeric && r < 60 || r < 5:
			number = diffPick(g.rng, []string{"0", "5", "10", "100", "-3", "4624", "7"})
		case numeric && r < 70 || r < 7:
			number = diffPick(g.rng, []string{"1.5", "-2.25", "0.5"})
		case r < 10 && mod == "" && field == "f4":
			return dBool(g.chance(50))
		}
		if number != "" && (mod != "" || sigmaGoNumberOK(number, g.byField[field])) {
			return dNum(number)
		}
		for {
			var w string
			if field == "cmd" {
				w = diffPick(g.rng, diffCmds)
				if g.chance(50) {
					rs := []rune(w)
					i := g.rng.IntN(len(rs) + 1)
					w = string(rs[i:])
				}
			} else {
				w = g.word(field)
			}
			if sigmaGoComparable(mod, w, g.texts) {
				return dStr(w)
			}
		}
	}
	e.Values, e.List = g.values(draw)
	if len(e.Values) > 1 && g.chance(30) {
		e.Mods = append(e.Mods, "all")
	}
	return e
}

// ---------------------------------------------------------------------------
// Shapes beyond sigma-go's reach.

// globValue writes a word as a Sigma value with wildcards and escapes.
func (g *diffGen) globValue(field string) string {
	var b strings.Builder
	for _, r := range g.word(field) {
		if g.chance(10) {
			b.WriteByte('*')
		}
		switch {
		case r == '*' || r == '?' || r == '\\':
			if g.chance(60) {
				b.WriteByte('\\')
			}
			b.WriteRune(r)
		case g.chance(8):
			b.WriteByte('?')
		default:
			b.WriteRune(r)
		}
	}
	switch r := g.rng.IntN(100); {
	case r < 10:
		b.WriteByte('*')
	case r < 13:
		b.WriteByte('\\')
	case r < 16:
		b.WriteString(`\\`)
	case r < 18:
		b.WriteString(`\*`)
	}
	return b.String()
}

func (g *diffGen) field() string {
	f := diffPick(g.rng, []string{"f1", "f2", "f3", "f4"})
	if g.chance(10) {
		f = strings.ToUpper(f) // field names are case-insensitive
	}
	return f
}

func (g *diffGen) shape() []string {
	switch g.rng.IntN(5) {
	case 0:
		return []string{"contains"}
	case 1:
		return []string{"startswith"}
	case 2:
		return []string{"endswith"}
	}
	return nil
}

// oracleEntry draws an entry of any shape; typed rules read test_typed.
func (g *diffGen) oracleEntry(typed bool) dEntry {
	var e dEntry
	withAll := func() {
		if len(e.Values) > 1 && g.chance(30) {
			e.Mods = append(e.Mods, "all")
		}
	}
	switch r := g.rng.IntN(25); {
	case r < 3: // plain values, any word
		e.Field, e.Mods = g.field(), g.shape()
		if g.chance(30) {
			e.Mods = append(e.Mods, "cased")
		}
		e.Values, e.List = g.values(func() dValue { return dStr(g.word(e.Field)) })
		withAll()
	case r < 7: // wildcards and escapes
		e.Field, e.Mods = g.field(), g.shape()
		if g.chance(25) {
			e.Mods = append(e.Mods, "cased")
		}
		e.Values, e.List = g.values(func() dValue { return dStr(g.globValue(e.Field)) })
		withAll()
	case r < 9: // regex with flags
		e.Field = diffPick(g.rng, []string{"f1", "f2", "f3", "f4", "ns", "cmd"})
		e.Mods = []string{"re"}
		for _, f := range []string{"i", "m", "s"} {
			if g.chance(35) {
				e.Mods = append(e.Mods, f)
			}
		}
		e.Values, e.List = g.values(func() dValue { return dStr(diffPick(g.rng, diffRegexes)) })
		withAll()
	case r < 12: // cidr
		e.Field = "ip"
		if g.chance(10) {
			e.Field = g.field()
		}
		e.Mods = []string{"cidr"}
		e.Values, e.List = g.values(func() dValue { return dStr(g.prefix()) })
		withAll()
	case r < 13: // exists
		e.Field = diffPick(g.rng, []string{"f1", "f4", "n", "ip", "zz", "F2"})
		e.Mods = []string{"exists"}
		e.Values = []dValue{dBool(g.chance(50))}
	case r < 15: // neq
		e.Field = g.field()
		e.Mods = append(g.shape(), "neq")
		e.Values, e.List = g.values(func() dValue {
			if g.chance(30) {
				return dStr(g.globValue(e.Field))
			}
			return dStr(g.word(e.Field))
		})
	case r < 16: // fieldref
		e.Field = g.field()
		e.Mods = append([]string{"fieldref"}, g.shape()...)
		if g.chance(30) {
			e.Mods = append(e.Mods, "cased")
		}
		e.Values, e.List = g.values(func() dValue { return dStr(g.field()) })
		withAll()
	case r < 17: // windash
		e.Field = "cmd"
		e.Mods = append([]string{"windash"}, g.shape()...)
		e.Values, e.List = g.values(func() dValue { return dStr(diffPick(g.rng, diffWindashValues)) })
		withAll()
	case r < 19: // encodings
		e.Field = "b"
		switch g.rng.IntN(4) {
		case 0:
			e.Mods = append([]string{"base64"}, g.shape()...)
		case 1:
			e.Mods = []string{"base64offset", "contains"}
		default:
			enc := diffPick(g.rng, []string{"base64", "base64offset"})
			e.Mods = []string{diffPick(g.rng, []string{"utf16le", "utf16be", "utf16", "wide"}), enc, "contains"}
		}
		if g.chance(20) {
			e.Mods = append(e.Mods, "cased")
		}
		e.Values, e.List = g.values(func() dValue {
			w := diffPick(g.rng, diffEncodedWords)
			if g.chance(20) {
				w = strings.ToUpper(w)
			}
			return dStr(w)
		})
		withAll()
	case r < 22: // numbers
		e.Field = diffPick(g.rng, []string{"n", "x", "ns", "ns", "f4"})
		if g.chance(75) {
			e.Mods = []string{diffPick(g.rng, []string{"gt", "gte", "lt", "lte"})}
		}
		e.Values, e.List = g.values(func() dValue {
			return dNum(diffPick(g.rng, []string{"-5", "-3", "0", "1", "5", "7", "9", "10", "100", "4624", "1.5", "-2.25", "0.5", "9.99", "5.0"}))
		})
		if len(e.Mods) > 0 {
			withAll()
		}
	case r < 23: // null and ''
		e.Field = diffPick(g.rng, []string{"f1", "f2", "f3", "f4", "n", "ip", "zz"})
		if g.chance(60) {
			e.Values = []dValue{dNull()}
		} else {
			e.Values = []dValue{dStr("")}
		}
	case r < 24: // booleans
		e.Field = diffPick(g.rng, []string{"f1", "f4"})
		e.Values, e.List = g.values(func() dValue { return dBool(g.chance(50)) })
	default: // sigma-go's shapes, over the whole vocabulary
		e.Field, e.Mods = g.field(), g.shape()
		e.Values, e.List = g.values(func() dValue { return dStr(diffPick(g.rng, diffWords)) })
		withAll()
	}
	if typed && (e.Field == "n" || e.Field == "x") && len(e.Mods) > 0 && !slices.Contains([]string{"gt", "gte", "lt", "lte", "exists"}, e.Mods[0]) {
		e.Field = "ns"
	}
	return e
}

// prefix draws a network (or one address) around an address of the
// vocabulary, aligned or not.
func (g *diffGen) prefix() string {
	for {
		a, ok := diffParseIP(diffPick(g.rng, diffIPs))
		if !ok {
			continue
		}
		bits := g.rng.IntN(a.BitLen() + 1)
		if a.Is4() {
			bits = diffPick(g.rng, []int{0, 1, 7, 8, 12, 16, 20, 24, 27, 31, 32, bits})
		} else {
			bits = diffPick(g.rng, []int{0, 8, 16, 32, 48, 64, 96, 127, 128, bits})
		}
		switch g.rng.IntN(4) {
		case 0:
			return a.String()
		case 1:
			return netip.PrefixFrom(a, bits).String() // unaligned
		}
		return netip.PrefixFrom(a, bits).Masked().String()
	}
}

func (g *diffGen) keywords() []dValue {
	vs, _ := g.values(func() dValue {
		field := diffPick(g.rng, diffKeywordColumns)
		if g.chance(30) {
			return dStr(g.globValue(field))
		}
		return dStr(g.word(field))
	})
	return vs
}

// ---------------------------------------------------------------------------
// The oracle: the Sigma rule read directly.

// diffMods is an entry's modifier chain.
type diffMods struct {
	shape      string
	typ        string // re, cidr, exists, fieldref
	cmp        string // gt, gte, lt, lte
	transforms []string
	all, cased bool
	neq        bool
	reFlags    string
}

func diffParseMods(mods []string) diffMods {
	var m diffMods
	for _, x := range mods {
		switch x {
		case "contains", "startswith", "endswith":
			m.shape = x
		case "re", "cidr", "exists", "fieldref":
			m.typ = x
		case "gt", "gte", "lt", "lte":
			m.cmp = x
		case "all":
			m.all = true
		case "cased":
			m.cased = true
		case "neq":
			m.neq = true
		case "i", "m", "s":
			m.reFlags += x
		default:
			m.transforms = append(m.transforms, x)
		}
	}
	return m
}

type diffOracle struct {
	res map[string]*regexp.Regexp
}

func (o *diffOracle) re(expr string) *regexp.Regexp {
	if r, ok := o.res[expr]; ok {
		return r
	}
	r := regexp.MustCompile(expr)
	o.res[expr] = r
	return r
}

// diffKeywordColumns are the pipeline's keyword columns of test_diff.
var diffKeywordColumns = []string{"f1", "f2"}

func (o *diffOracle) rule(r *dRule, ev map[string]any) bool {
	sels := map[string]bool{}
	var names []string
	for _, s := range r.Sels {
		names = append(names, s.Name)
		sels[s.Name] = o.selection(r, s, ev)
	}
	for _, c := range r.Conds {
		if c.eval(sels, names) {
			return true
		}
	}
	return false
}

func (o *diffOracle) selection(r *dRule, s dSel, ev map[string]any) bool {
	if s.Keywords != nil {
		for _, v := range s.Keywords {
			for _, col := range diffKeywordColumns {
				if t, ok := diffTextOf(ev, col); ok && o.glob(t, v.Text, "contains", false) {
					return true
				}
			}
		}
		return false
	}
	for _, m := range s.Maps {
		all := true
		for _, e := range m {
			if !o.entry(r, e, ev) {
				all = false
				break
			}
		}
		if all {
			return true
		}
	}
	return false
}

func diffTextOf(ev map[string]any, field string) (string, bool) {
	v, ok := diffLookup(ev, field)
	if !ok {
		return "", false
	}
	return diffText(v)
}

func (o *diffOracle) entry(r *dRule, e dEntry, ev map[string]any) bool {
	m := diffParseMods(e.Mods)
	if m.neq {
		// Differs from every value; a missing field differs from all.
		for _, v := range e.Values {
			if o.value(r, e.Field, m, v, ev) {
				return false
			}
		}
		return true
	}
	for _, v := range e.Values {
		ok := o.value(r, e.Field, m, v, ev)
		if m.all && !ok {
			return false
		}
		if !m.all && ok {
			return true
		}
	}
	return m.all
}

func (o *diffOracle) value(r *dRule, field string, m diffMods, v dValue, ev map[string]any) bool {
	raw, present := diffLookup(ev, field)
	switch {
	case v.Kind == 'n':
		return !present
	case m.typ == "exists":
		return present == (v.Text == "true")
	case !present:
		return false
	}
	text, _ := diffText(raw)
	// test_typed declares n and x numbers and ns a string; every other
	// column has no declared type.
	declaredString := r.Typed && strings.EqualFold(field, "ns")
	switch m.typ {
	case "fieldref":
		other, ok := diffTextOf(ev, v.Text)
		if !ok {
			return false
		}
		if !m.cased {
			text, other = strings.ToLower(text), strings.ToLower(other)
		}
		return diffShapeMatch(text, other, m.shape)
	case "cidr":
		a, ok := diffParseIP(text)
		if !ok {
			return false
		}
		p, err := netip.ParsePrefix(v.Text)
		if err != nil {
			addr := netip.MustParseAddr(v.Text)
			p = netip.PrefixFrom(addr, addr.BitLen())
		}
		return p.Masked().Contains(a)
	case "re":
		flags := ""
		if m.reFlags != "" {
			flags = "(?" + m.reFlags + ")"
		}
		return o.re(flags + v.Text).MatchString(text)
	}
	if m.cmp != "" {
		f, ok := diffNumber(raw)
		if !ok {
			return false
		}
		want, _ := strconv.ParseFloat(v.Text, 64)
		switch m.cmp {
		case "gt":
			return f > want
		case "gte":
			return f >= want
		case "lt":
			return f < want
		}
		return f <= want
	}
	stringy := m.shape != "" || len(m.transforms) > 0 || m.cased
	if !stringy {
		switch v.Kind {
		case 'i', 'f':
			if declaredString {
				return text == v.Text // a number on a text column is that text
			}
			// On a number column, and on one of undeclared type, the field
			// equals the number when it reads as that number: 5, "5.0" and
			// " 5 " all equal 5.
			f, ok := diffNumber(raw)
			want, _ := strconv.ParseFloat(v.Text, 64)
			return ok && f == want
		case 'b':
			return strings.ToLower(text) == v.Text
		}
	}
	if len(m.transforms) > 0 && m.transforms[0] != "windash" {
		for _, lit := range diffEncode(m.transforms, diffUnescape(v.Text)) {
			t := text
			if !m.cased {
				t, lit = strings.ToLower(t), strings.ToLower(lit)
			}
			if diffShapeMatch(t, lit, m.shape) {
				return true
			}
		}
		return false
	}
	if slices.Contains(m.transforms, "windash") {
		return o.windash(text, v.Text, m.shape)
	}
	return o.glob(text, v.Text, m.shape, m.cased)
}

func diffShapeMatch(text, lit, shape string) bool {
	switch shape {
	case "contains":
		return strings.Contains(text, lit)
	case "startswith":
		return strings.HasPrefix(text, lit)
	case "endswith":
		return strings.HasSuffix(text, lit)
	}
	return text == lit
}

// glob matches text against a Sigma value by the specification's table,
// translated by hand into a Go regexp: * any run of characters, ? exactly
// one, \* \? \\ the character itself, any other backslash a backslash.
// Without cased, both sides are lower-cased first.
func (o *diffOracle) glob(text, value, shape string, cased bool) bool {
	if !cased {
		text, value = strings.ToLower(text), strings.ToLower(value)
	}
	var b strings.Builder
	rs := []rune(value)
	for i := 0; i < len(rs); i++ {
		switch r := rs[i]; {
		case r == '\\' && i+1 < len(rs) && strings.ContainsRune(`*?\`, rs[i+1]):
			b.WriteString(regexp.QuoteMeta(string(rs[i+1])))
			i++
		case r == '*':
			b.WriteString(".*")
		case r == '?':
			b.WriteString(".")
		default:
			b.WriteString(regexp.QuoteMeta(string(r)))
		}
	}
	return o.re(diffWrap(b.String(), shape)).MatchString(text)
}

func diffWrap(expr, shape string) string {
	switch shape {
	case "contains":
		expr = ".*" + expr + ".*"
	case "startswith":
		expr += ".*"
	case "endswith":
		expr = ".*" + expr
	}
	return `(?s)^(?:` + expr + `)$`
}

// windash: a - or / that starts a word (no word character before it, one
// after it) may be any of - / – — ―.
func (o *diffOracle) windash(text, value, shape string) bool {
	text, value = strings.ToLower(text), strings.ToLower(value)
	word := func(r rune) bool { return r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r) }
	rs := []rune(value)
	var b strings.Builder
	for i, r := range rs {
		if (r == '-' || r == '/') && (i == 0 || !word(rs[i-1])) && i+1 < len(rs) && word(rs[i+1]) {
			b.WriteString("[-/–—―]")
			continue
		}
		b.WriteString(regexp.QuoteMeta(string(r)))
	}
	return o.re(diffWrap(b.String(), shape)).MatchString(text)
}

// diffUnescape is the literal text of a value without wildcards.
func diffUnescape(v string) string {
	var b strings.Builder
	rs := []rune(v)
	for i := 0; i < len(rs); i++ {
		if rs[i] == '\\' && i+1 < len(rs) && strings.ContainsRune(`*?\`, rs[i+1]) {
			i++
		}
		b.WriteRune(rs[i])
	}
	return b.String()
}

// diffEncode applies the encoding modifiers: the texts to look for.
func diffEncode(transforms []string, s string) []string {
	raw := []byte(s)
	for _, t := range transforms {
		switch t {
		case "utf16le", "wide":
			raw = diffUTF16(s, binary.LittleEndian, false)
		case "utf16be":
			raw = diffUTF16(s, binary.BigEndian, false)
		case "utf16":
			raw = diffUTF16(s, binary.LittleEndian, true)
		case "base64":
			return []string{base64.StdEncoding.EncodeToString(raw)}
		case "base64offset":
			return diffBase64Fragments(raw)
		}
	}
	return []string{string(raw)}
}

// diffBase64Fragments: the characters of base64(pad + raw + tail) that do
// not depend on the surrounding bytes, for 0, 1 and 2 bytes before raw.
// Found by encoding with bytes 0x00 and with bytes 0xFF around raw: a
// character that takes any bit from them differs between the two.
func diffBase64Fragments(raw []byte) []string {
	var out []string
	for k := range 3 {
		tail := (3 - (k+len(raw))%3) % 3
		around := func(b byte) string {
			return base64.StdEncoding.EncodeToString(slices.Concat(bytes.Repeat([]byte{b}, k), raw, bytes.Repeat([]byte{b}, tail)))
		}
		a, z := around(0x00), around(0xFF)
		i, j := 0, len(a)
		for i < j && a[i] != z[i] {
			i++
		}
		for j > i && a[j-1] != z[j-1] {
			j--
		}
		if j > i {
			out = append(out, a[i:j])
		}
	}
	return out
}

// diffNumber reads a value as a number: a JSON number, or text in decimal
// notation (spaces around allowed); NaN and infinities are not numbers.
func diffNumber(v any) (float64, bool) {
	var s string
	switch v := v.(type) {
	case json.Number:
		s = v.String()
	case string:
		s = strings.TrimSpace(v)
		if strings.ContainsAny(s, "xX_pP") {
			return 0, false
		}
	default:
		return 0, false
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
		return 0, false
	}
	return f, true
}

// diffParseIP reads an IPv4 address (octets may be zero-padded: decimal,
// as in CloudTrail's anonymised logs) or an IPv6 address in hexadecimal
// groups: IPv6 text with an embedded IPv4 part (::ffff:10.1.2.3) or a zone
// (fe80::1%eth0) is not an address.
func diffParseIP(s string) (netip.Addr, bool) {
	if strings.Contains(s, ":") {
		if strings.ContainsAny(s, ".%") {
			return netip.Addr{}, false
		}
		a, err := netip.ParseAddr(s)
		if err != nil {
			return netip.Addr{}, false
		}
		return a, true
	}
	parts := strings.Split(s, ".")
	if len(parts) != 4 {
		return netip.Addr{}, false
	}
	var b [4]byte
	for i, p := range parts {
		n, err := strconv.Atoi(p)
		if err != nil || len(p) == 0 || len(p) > 3 || strings.TrimLeft(p, "0123456789") != "" || n > 255 {
			return netip.Addr{}, false
		}
		b[i] = byte(n)
	}
	return netip.AddrFrom4(b), true
}

// ---------------------------------------------------------------------------
// Running.

type diffEnv struct {
	// selected counts the rules by how many events their reference
	// evaluator selects: none, all, or some.
	none, all, some int
	events          []diffEvent
	file            string
	ps              pipeline.Set
	eng             *duckdb.Engine
	oracle          *diffOracle
}

type diffCase struct {
	name string
	rule *dRule
	yaml string
	ir   *ir.Rule
	sql  string
}

func newDiffEnv(t *testing.T) *diffEnv {
	t.Helper()
	events, file := diffGenEvents(t)
	p, err := pipeline.Parse("differential.yml", []byte(diffPipeline))
	if err != nil {
		t.Fatal(err)
	}
	eng, err := duckdb.Open(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { eng.Close() })
	return &diffEnv{events: events, file: file, ps: pipeline.Set{p}, eng: eng, oracle: &diffOracle{res: map[string]*regexp.Regexp{}}}
}

// compile compiles every rule (an error fails the test: the rules are
// valid Sigma) and registers the events once per table with the columns the
// rules read.
func (d *diffEnv) compile(t *testing.T, prefix string, rules []*dRule, ids []string) []*diffCase {
	t.Helper()
	var cases []*diffCase
	columns := map[string][]ir.Column{}
	for i, r := range rules {
		c := &diffCase{name: fmt.Sprintf("%s%03d", prefix, i), rule: r, yaml: r.YAML(ids[i])}
		parsed, errs := sigma.ParseFile(c.name+".yml", []byte(c.yaml))
		var results []*compiler.Result
		if len(errs) == 0 {
			results, errs = compiler.Compile(parsed, d.ps)
		}
		if len(errs) > 0 || len(results) != 1 {
			t.Errorf("%s: valid rule does not compile: %v\n%s", c.name, errs, c.yaml)
			continue
		}
		c.ir = results[0].Rule
		q, err := duckdb.New().Compile(c.ir)
		if err != nil {
			t.Errorf("%s: no DuckDB query: %v\n%s", c.name, err, c.yaml)
			continue
		}
		c.sql = q
		src := d.ps.Source(c.ir.Logsource)
		for _, col := range append(src.ColumnList(), sql.Columns(c.ir.Where)...) {
			if !slices.ContainsFunc(columns[c.ir.Table], func(x ir.Column) bool {
				return slices.Equal(x.Path, col.Path) && slices.Equal(x.JSON, col.JSON) && x.Type == col.Type
			}) {
				columns[c.ir.Table] = append(columns[c.ir.Table], col)
			}
		}
		cases = append(cases, c)
	}
	tables := slices.Sorted(func(yield func(string) bool) {
		for k := range columns {
			if !yield(k) {
				return
			}
		}
	})
	for _, table := range tables {
		err := d.eng.Register(context.Background(), table, []string{d.file}, duckdb.Options{Columns: columns[table], Materialize: true})
		if err != nil {
			t.Fatalf("register %s: %v", table, err)
		}
	}
	return cases
}

func (d *diffEnv) duckdbIDs(t *testing.T, c *diffCase) []string {
	t.Helper()
	rows, err := d.eng.Query(context.Background(), "SELECT id FROM ("+c.sql+") AS matched")
	if err != nil {
		t.Errorf("query failed: %v\n%s\n%s", err, c.yaml, c.sql)
		return nil
	}
	ids := []string{}
	for _, row := range rows {
		ids = append(ids, fmt.Sprint(row["id"]))
	}
	sort.Strings(ids)
	return ids
}

func (d *diffEnv) idsWhere(match func(diffEvent) (bool, error)) ([]string, error) {
	ids := []string{}
	for _, ev := range d.events {
		ok, err := match(ev)
		if err != nil {
			return nil, fmt.Errorf("event %s: %w", ev.ID, err)
		}
		if ok {
			ids = append(ids, ev.ID)
		}
	}
	return ids, nil
}

// check requires every evaluator to select the ids of the first, and
// prints the rule, the query and each event they disagree on.
func (d *diffEnv) check(t *testing.T, c *diffCase, names []string, got map[string][]string) {
	t.Helper()
	switch len(got[names[0]]) {
	case 0:
		d.none++
	case len(d.events):
		d.all++
	default:
		d.some++
	}
	agree := true
	for _, n := range names[1:] {
		if !slices.Equal(got[names[0]], got[n]) {
			agree = false
		}
	}
	if agree {
		return
	}
	var b strings.Builder
	fmt.Fprintf(&b, "evaluators disagree\n--- rule\n%s--- duckdb\n%s\n--- events\n", c.yaml, c.sql)
	shown, more := 0, 0
	for _, ev := range d.events {
		var yes, no []string
		for _, n := range names {
			if slices.Contains(got[n], ev.ID) {
				yes = append(yes, n)
			} else {
				no = append(no, n)
			}
		}
		if len(yes) > 0 && len(no) > 0 {
			if shown == 12 {
				more++
				continue
			}
			shown++
			fmt.Fprintf(&b, "%s matched by %s, not by %s\n", ev.Line, strings.Join(yes, ", "), strings.Join(no, ", "))
		}
	}
	if more > 0 {
		fmt.Fprintf(&b, "(and %d more events)\n", more)
	}
	t.Error(b.String())
}

// power fails the test when too few rules select some events but not all:
// such rules would not tell evaluators apart.
func (d *diffEnv) power(t *testing.T) {
	t.Helper()
	t.Logf("%d rules: %d select some events, %d none, %d all", d.none+d.all+d.some, d.some, d.none, d.all)
	if 10*d.some < 4*(d.none+d.all+d.some) {
		t.Errorf("only %d of %d rules select some but not all events: make the generator draw more telling rules", d.some, d.none+d.all+d.some)
	}
}

// TestDifferentialSigmaGo: over the generated events, the ids DuckDB
// selects equal those of sigma-go's evaluator, of the reference evaluator
// and of this file's oracle, for random rules within sigma-go's reach.
func TestDifferentialSigmaGo(t *testing.T) {
	d := newDiffEnv(t)
	g := newDiffGen(2, d.events)
	var rules []*dRule
	var ids []string
	for range diffSigmaGoRules {
		rules = append(rules, g.rule(g.sigmaGoEntry, nil))
		ids = append(ids, g.uuid())
	}
	cases := d.compile(t, "sigmago", rules, ids)
	ctx := context.Background()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			sr, err := sigmago.ParseRule([]byte(c.yaml))
			if err != nil {
				t.Fatalf("sigma-go cannot parse the rule: %v\n%s", err, c.yaml)
			}
			ev := evaluator.ForRule(sr)
			got := map[string][]string{}
			if got["sigma-go"], err = d.idsWhere(func(e diffEvent) (bool, error) {
				res, err := ev.Matches(ctx, e.M)
				return res.Match, err
			}); err != nil {
				t.Fatalf("sigma-go: %v\n%s", err, c.yaml)
			}
			got["duckdb"] = d.duckdbIDs(t, c)
			if got["refeval"], err = d.idsWhere(func(e diffEvent) (bool, error) { return refeval.EvalErr(c.ir.Where, e.M) }); err != nil {
				t.Fatalf("refeval: %v", err)
			}
			got["oracle"], _ = d.idsWhere(func(e diffEvent) (bool, error) { return d.oracle.rule(c.rule, e.M), nil })
			d.check(t, c, []string{"sigma-go", "duckdb", "refeval", "oracle"}, got)
		})
	}
	d.power(t)
}

// TestDifferentialOracle: for the shapes beyond sigma-go's reach, the ids
// DuckDB and the reference evaluator select equal those of this file's
// oracle.
func TestDifferentialOracle(t *testing.T) {
	d := newDiffEnv(t)
	g := newDiffGen(3, d.events)
	var rules []*dRule
	var ids []string
	for range diffOracleRules {
		typed := g.chance(20)
		var kw func() []dValue
		if !typed {
			kw = g.keywords
		}
		r := g.rule(func() dEntry { return g.oracleEntry(typed) }, kw)
		r.Typed = typed
		rules = append(rules, r)
		ids = append(ids, g.uuid())
	}
	cases := d.compile(t, "oracle", rules, ids)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := map[string][]string{}
			got["oracle"], _ = d.idsWhere(func(e diffEvent) (bool, error) { return d.oracle.rule(c.rule, e.M), nil })
			got["duckdb"] = d.duckdbIDs(t, c)
			var err error
			if got["refeval"], err = d.idsWhere(func(e diffEvent) (bool, error) { return refeval.EvalErr(c.ir.Where, e.M) }); err != nil {
				t.Fatalf("refeval: %v", err)
			}
			d.check(t, c, []string{"oracle", "duckdb", "refeval"}, got)
		})
	}
	d.power(t)
}

// TestDifferentialFindings holds the smallest reproductions of what the
// random tests above found, with the expectation DESIGN.md and refeval set.
// Each runs on DuckDB and on refeval.
func TestDifferentialFindings(t *testing.T) {
	cases := []struct {
		name      string
		detection string // the detection block
		events    string // JSON lines
		want      []string
		// wantError: the rule must not compile.
		wantError bool
		why       string
	}{{
		name:      "number on untyped column of mixed integers and floats",
		detection: "  sel:\n    x: 5\n  condition: sel\n",
		events:    `{"id":"a","x":5}` + "\n" + `{"id":"b","x":1.5}` + "\n" + `{"id":"c","x":"5.0"}` + "\n" + `{"id":"d","x":"five"}` + "\n",
		want:      []string{"a", "c"},
		why:       "on a column of undeclared type a number equals the field when the field reads as that number",
	}, {
		name:      "endswith on untyped column of mixed integers and floats",
		detection: "  sel:\n    x|endswith: '00'\n  condition: sel\n",
		events:    `{"id":"a","x":100}` + "\n" + `{"id":"b","x":1.5}` + "\n",
		want:      []string{"a"},
		why: "the text of 100 in the log is 100; the JSON reader types the column DOUBLE, whose text is '100.0', " +
			"unless the engine reads numbers of undeclared columns as their JSON text",
	}, {
		name:      "string equality on untyped column of mixed integers and floats",
		detection: "  sel:\n    x: '10'\n  condition: sel\n",
		events:    `{"id":"a","x":10}` + "\n" + `{"id":"b","x":1.5}` + "\n" + `{"id":"c","x":"10"}` + "\n",
		want:      []string{"a", "c"},
		why:       "a string value compares with the text of the log, 10, not DuckDB's text of the DOUBLE 10.0",
	}, {
		name:      "contains of a number on untyped column of mixed integers and floats",
		detection: "  sel:\n    x|contains: 0\n  condition: sel\n",
		events:    `{"id":"a","x":10}` + "\n" + `{"id":"b","x":1.5}` + "\n" + `{"id":"c","x":1}` + "\n",
		want:      []string{"a"},
		why:       "|contains reads the field as text: 1 is '1', not '1.0'",
	}, {
		name:      "struct field of mixed integers and floats",
		detection: "  sel:\n    s.v|endswith: '0'\n  condition: sel\n",
		events:    `{"id":"a","s":{"v":10}}` + "\n" + `{"id":"b","s":{"v":1.5}}` + "\n" + `{"id":"c","s":{"v":1}}` + "\n",
		want:      []string{"a"},
		why:       "inside structs too, numbers read as the log writes them",
	}, {
		name:      "boolean on untyped column",
		detection: "  sel:\n    f: true\n  condition: sel\n",
		events:    `{"id":"a","f":true}` + "\n" + `{"id":"b","f":false}` + "\n" + `{"id":"c","f":"TRUE"}` + "\n" + `{"id":"d"}` + "\n",
		want:      []string{"a", "c"},
		why:       "a boolean matches the text true in any case",
	}, {
		name:      "boolean on untyped column of booleans only",
		detection: "  sel:\n    f: false\n  condition: sel\n",
		events:    `{"id":"a","f":true}` + "\n" + `{"id":"b","f":false}` + "\n" + `{"id":"c"}` + "\n",
		want:      []string{"b"},
		why:       "the JSON reader types the column BOOLEAN; its text is false",
	}, {
		name:      "gt on text that is not a decimal number",
		detection: "  sel:\n    ns|gt: 9\n  condition: sel\n",
		events:    `{"id":"a","ns":"10"}` + "\n" + `{"id":"b","ns":"inf"}` + "\n" + `{"id":"c","ns":"NaN"}` + "\n" + `{"id":"d","ns":"Infinity"}` + "\n",
		want:      []string{"a"},
		why: "a value that is not a number never matches (ir.Compare, refeval); " +
			"DuckDB's TRY_CAST reads inf, NaN and Infinity as doubles, and orders NaN above every number",
	}, {
		name:      "lt on text that is not a decimal number",
		detection: "  sel:\n    ns|lt: 9\n  condition: sel\n",
		events:    `{"id":"a","ns":"5"}` + "\n" + `{"id":"b","ns":"-inf"}` + "\n" + `{"id":"c","ns":"-Infinity"}` + "\n" + `{"id":"d","ns":"1_000"}` + "\n",
		want:      []string{"a"},
		why:       "as above, for -inf; DuckDB's TRY_CAST also reads 1_000 as 1000",
	}, {
		name:      "cidr of an IPv6 address written with an embedded IPv4 part",
		detection: "  sel:\n    ip|cidr: '::ffff:0:0/96'\n  condition: sel\n",
		events: `{"id":"a","ip":"::ffff:10.1.2.3"}` + "\n" + `{"id":"b","ip":"::ffff:a01:203"}` + "\n" + `{"id":"c","ip":"10.1.2.3"}` + "\n" +
			`{"id":"d","ip":"::FFFF:A01:203"}` + "\n",
		want: []string{"b", "d"},
		why: "IPv6 text with an embedded IPv4 part is not an address in any backend (DESIGN.md); " +
			"the same address in hexadecimal groups is",
	}, {
		name:      "cidr of an IPv6 address with a zone",
		detection: "  sel:\n    ip|cidr: 'fe80::/10'\n  condition: sel\n",
		events:    `{"id":"a","ip":"fe80::1%eth0"}` + "\n" + `{"id":"b","ip":"fe80::1"}` + "\n",
		want:      []string{"b"},
		why:       "text with a zone is not an address",
	}, {
		name:      "base64offset of one byte",
		detection: "  sel:\n    b|base64offset|contains: X\n  condition: sel\n",
		events:    `{"id":"a","b":"WA=="}` + "\n" + `{"id":"b","b":"zzzz"}` + "\n" + `{"id":"c","b":"ICBY"}` + "\n",
		want:      []string{"a", "c"},
		why: "at offset 1 no base64 character depends on the byte alone: that empty fragment is dropped " +
			"(else `contains ''` would match every value), W (offset 0) and Y (offset 2) remain",
	}, {
		name:      "base64offset of nothing",
		detection: "  sel:\n    b|base64offset|contains: ''\n  condition: sel\n",
		events:    `{"id":"a","b":"WA=="}` + "\n",
		wantError: true,
		why:       "no fragment is left at any offset: a compile error, not a rule that matches everything",
	}}
	p, err := pipeline.Parse("differential.yml", []byte(diffPipeline))
	if err != nil {
		t.Fatal(err)
	}
	ps := pipeline.Set{p}
	eng, err := duckdb.Open(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	for i, c := range cases {
		t.Run(strings.ReplaceAll(c.name, " ", "_"), func(t *testing.T) {
			yml := fmt.Sprintf("title: finding\nid: 00000000-0000-4000-8000-%012d\nstatus: test\nlogsource:\n    product: test\n    service: diff\ndetection:\n%slevel: low\n", i, c.detection)
			parsed, errs := sigma.ParseFile("finding.yml", []byte(yml))
			var results []*compiler.Result
			if len(errs) == 0 {
				results, errs = compiler.Compile(parsed, ps)
			}
			var q string
			if len(errs) == 0 {
				q, err = duckdb.New().Compile(results[0].Rule)
				if err != nil {
					errs = ir.Errors{{Msg: err.Error()}}
				}
			}
			if c.wantError {
				if len(errs) == 0 {
					t.Fatalf("compiles, want an error: %s\nrule:\n%s\nquery: %s", c.why, yml, q)
				}
				return
			}
			if len(errs) > 0 {
				t.Fatalf("does not compile: %v\n%s", errs, yml)
			}
			r := results[0].Rule
			file := filepath.Join(t.TempDir(), "events.jsonl")
			if err := os.WriteFile(file, []byte(c.events), 0o644); err != nil {
				t.Fatal(err)
			}
			src := ps.Source(r.Logsource)
			if err := eng.Register(context.Background(), r.Table, []string{file}, duckdb.Options{Columns: append(src.ColumnList(), sql.Columns(r.Where)...)}); err != nil {
				t.Fatal(err)
			}
			rows, err := eng.Query(context.Background(), "SELECT id FROM ("+q+") AS matched ORDER BY id")
			if err != nil {
				t.Fatalf("query failed: %v\n%s", err, q)
			}
			db := []string{}
			for _, row := range rows {
				db = append(db, fmt.Sprint(row["id"]))
			}
			ref := []string{}
			for _, line := range strings.Split(strings.TrimSpace(c.events), "\n") {
				dec := json.NewDecoder(strings.NewReader(line))
				dec.UseNumber()
				var ev map[string]any
				if err := dec.Decode(&ev); err != nil {
					t.Fatal(err)
				}
				if ok, err := refeval.EvalErr(r.Where, ev); err != nil {
					t.Fatal(err)
				} else if ok {
					ref = append(ref, fmt.Sprint(ev["id"]))
				}
			}
			if !slices.Equal(c.want, db) {
				t.Errorf("DuckDB selects %v, want %v: %s\nrule:\n%s\nquery: %s", db, c.want, c.why, yml, q)
			}
			if !slices.Equal(c.want, ref) {
				t.Errorf("refeval selects %v, want %v: %s\nrule:\n%s\nIR:\n%s", ref, c.want, c.why, yml, ir.FormatRule(r))
			}
		})
	}
}
