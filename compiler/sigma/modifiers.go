package sigma

import (
	"fmt"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/tokenhunt/tokenhunt/compiler/ir"
)

// modKind groups the modifiers by what they do.
type modKind int

const (
	mkShape     modKind = iota // contains, startswith, endswith
	mkType                     // re, cidr, exists, fieldref
	mkCompare                  // lt, lte, gt, gte
	mkTimePart                 // minute ... year
	mkTransform                // base64, base64offset, utf16*, wide, windash
	mkFlag                     // all, cased, neq, expand
	mkReFlag                   // i, m, s (after re)
)

var modifierKinds = map[string]modKind{
	"contains": mkShape, "startswith": mkShape, "endswith": mkShape,
	"re": mkType, "cidr": mkType, "exists": mkType, "fieldref": mkType,
	"lt": mkCompare, "lte": mkCompare, "gt": mkCompare, "gte": mkCompare,
	"minute": mkTimePart, "hour": mkTimePart, "day": mkTimePart, "week": mkTimePart, "month": mkTimePart, "year": mkTimePart,
	"base64": mkTransform, "base64offset": mkTransform, "utf16le": mkTransform, "utf16be": mkTransform, "utf16": mkTransform, "wide": mkTransform, "windash": mkTransform,
	"all": mkFlag, "cased": mkFlag, "neq": mkFlag, "expand": mkFlag,
	"i": mkReFlag, "m": mkReFlag, "s": mkReFlag,
	"ignorecase": mkReFlag, "multiline": mkReFlag, "dotall": mkReFlag,
}

// modifier is one `|name` of a field key with its position.
type modifier struct {
	name string
	pos  ir.Pos
}

// modSet is a validated modifier chain.
type modSet struct {
	shape      string // "", contains, startswith, endswith
	typ        string // "", re, cidr, exists, fieldref
	cmp        *ir.Op
	part       *ir.TimePart
	transforms []modifier // in the order written
	all        bool
	cased      bool
	neq        bool
	expand     bool
	reI        bool
	reM        bool
	reS        bool
	first      ir.Pos // position of the first modifier, or the key
}

// parseKey splits `field|mod|mod` and gives each modifier its position.
func parseKey(file string, key *yaml.Node) (string, []modifier) {
	parts := strings.Split(key.Value, "|")
	field := parts[0]
	var mods []modifier
	off := len([]rune(field)) + 1
	for _, m := range parts[1:] {
		mods = append(mods, modifier{name: m, pos: offsetPos(file, key, off)})
		off += len([]rune(m)) + 1
	}
	return field, mods
}

// validateModifiers checks a modifier chain against the specification and
// returns it grouped, or errors naming each problem at its position.
func validateModifiers(ruleID string, keyPos ir.Pos, mods []modifier) (*modSet, ir.Errors) {
	var errs ir.Errors
	bad := func(m modifier, hint, format string, args ...any) {
		e := ir.Errorf(m.pos, ruleID, format, args...)
		e.Hint = hint
		errs = append(errs, e)
	}
	ms := &modSet{first: keyPos}
	if len(mods) > 0 {
		ms.first = mods[0].pos
	}
	seen := map[string]bool{}
	var shapeMod, typeMod, cmpMod, partMod *modifier
	for i := range mods {
		m := mods[i]
		if m.name == "" {
			bad(m, "remove the extra `|`", "empty modifier")
			continue
		}
		kind, ok := modifierKinds[m.name]
		if !ok {
			hint := "known modifiers: " + knownModifiers()
			if s := suggest(m.name); s != "" {
				hint = "did you mean |" + s + "?"
			}
			bad(m, hint, "unknown modifier %q", m.name)
			continue
		}
		if seen[m.name] {
			bad(m, "remove the repetition", "modifier %q appears twice", m.name)
			continue
		}
		seen[m.name] = true
		switch kind {
		case mkShape:
			if shapeMod != nil {
				bad(m, "use one of contains, startswith, endswith (or wildcards)", "|%s cannot be combined with |%s", m.name, shapeMod.name)
				continue
			}
			shapeMod = &mods[i]
			ms.shape = m.name
		case mkType:
			if typeMod != nil {
				bad(m, "", "|%s cannot be combined with |%s", m.name, typeMod.name)
				continue
			}
			typeMod = &mods[i]
			ms.typ = m.name
		case mkCompare:
			if cmpMod != nil {
				bad(m, "use a range of two separate selections", "|%s cannot be combined with |%s", m.name, cmpMod.name)
				continue
			}
			cmpMod = &mods[i]
			op, _ := ir.ParseOp(m.name)
			ms.cmp = &op
		case mkTimePart:
			if partMod != nil {
				bad(m, "", "|%s cannot be combined with |%s", m.name, partMod.name)
				continue
			}
			if cmpMod != nil {
				bad(m, "write the time part first: field|"+m.name+"|"+cmpMod.name, "|%s must come before |%s", m.name, cmpMod.name)
			}
			partMod = &mods[i]
			p, _ := ir.ParseTimePart(m.name)
			ms.part = &p
		case mkTransform:
			if shapeMod != nil && m.name != "windash" {
				bad(m, fmt.Sprintf("write |%s before |%s", m.name, shapeMod.name), "|%s after |%s: values are encoded first, then matched", m.name, shapeMod.name)
			}
			ms.transforms = append(ms.transforms, m)
		case mkFlag:
			switch m.name {
			case "all":
				ms.all = true
			case "cased":
				ms.cased = true
			case "neq":
				ms.neq = true
			case "expand":
				ms.expand = true
			}
		case mkReFlag:
			if typeMod == nil || typeMod.name != "re" {
				bad(m, "write it after |re, e.g. field|re|"+m.name, "regex flag |%s without |re", m.name)
				continue
			}
			switch m.name {
			case "i", "ignorecase":
				ms.reI = true
			case "m", "multiline":
				ms.reM = true
			case "s", "dotall":
				ms.reS = true
			}
		}
	}
	// Combinations.
	conflict := func(a, b *modifier, hint string) {
		if a != nil && b != nil {
			bad(*b, hint, "|%s cannot be combined with |%s", b.name, a.name)
		}
	}
	modAt := func(name string) *modifier {
		for i := range mods {
			if mods[i].name == name {
				return &mods[i]
			}
		}
		return nil
	}
	if typeMod != nil {
		switch typeMod.name {
		case "exists":
			for i := range mods {
				if mods[i].name != "exists" && modifierKinds[mods[i].name] != mkReFlag {
					bad(mods[i], "write `field|exists: true` alone", "|exists cannot be combined with |%s", mods[i].name)
				}
			}
		case "re", "cidr":
			conflict(typeMod, shapeMod, "")
			conflict(typeMod, cmpMod, "")
			conflict(typeMod, partMod, "")
			for _, t := range ms.transforms {
				t := t
				bad(t, "", "|%s cannot be combined with |%s", t.name, typeMod.name)
			}
			if m := modAt("cased"); m != nil {
				hint := "CIDR matching has no case"
				if typeMod.name == "re" {
					hint = "regexes are case-sensitive already; use |re|i for the opposite"
				}
				bad(*m, hint, "|cased cannot be combined with |%s", typeMod.name)
			}
			if m := modAt("expand"); m != nil && typeMod.name == "re" {
				bad(*m, "", "|expand cannot be combined with |re")
			}
		case "fieldref":
			conflict(typeMod, cmpMod, "")
			conflict(typeMod, partMod, "")
			for _, t := range ms.transforms {
				t := t
				bad(t, "", "|%s cannot be combined with |fieldref", t.name)
			}
			if m := modAt("expand"); m != nil {
				bad(*m, "", "|expand cannot be combined with |fieldref")
			}
		}
	}
	if cmpMod != nil || partMod != nil {
		var num *modifier = cmpMod
		if num == nil {
			num = partMod
		}
		conflict(num, shapeMod, "")
		for _, t := range ms.transforms {
			t := t
			bad(t, "", "|%s cannot be combined with |%s", t.name, num.name)
		}
		for _, f := range []string{"cased", "expand"} {
			if m := modAt(f); m != nil {
				bad(*m, "", "|%s cannot be combined with |%s", f, num.name)
			}
		}
	}
	// Transform order: utf16 family must be followed by an encoding;
	// base64offset needs contains; windash comes before encodings.
	for i, t := range ms.transforms {
		switch t.name {
		case "utf16le", "utf16be", "utf16", "wide":
			encoded := false
			for _, u := range ms.transforms[i+1:] {
				if u.name == "base64" || u.name == "base64offset" {
					encoded = true
				}
			}
			if !encoded {
				bad(t, fmt.Sprintf("follow it with |base64 or |base64offset, e.g. field|%s|base64offset|contains", t.name), "|%s produces bytes that cannot be matched as text", t.name)
			}
		case "base64offset":
			if ms.shape != "contains" {
				bad(t, "write field|base64offset|contains", "|base64offset needs |contains: its values are fragments of a longer encoding")
			}
		case "windash":
			for _, u := range ms.transforms[:i] {
				if u.name != "windash" {
					bad(t, "write |windash before |"+u.name, "|windash after |%s would change encoded text", u.name)
				}
			}
		}
	}
	if ms.neq && ms.all {
		bad(*modAt("all"), "|neq already requires the field to differ from every value", "|all cannot be combined with |neq")
	}
	if len(errs) > 0 {
		return nil, errs
	}
	return ms, nil
}

func knownModifiers() string {
	var names []string
	for n, k := range modifierKinds {
		if k != mkReFlag || len(n) == 1 {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}

// suggest returns the known modifier closest to a misspelt one, if close.
func suggest(name string) string {
	best, bestD := "", 3
	lower := strings.ToLower(name)
	names := make([]string, 0, len(modifierKinds))
	for n := range modifierKinds {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if n == lower {
			return n
		}
		if d := editDistance(lower, n); d < bestD && len(n) > 1 {
			best, bestD = n, d
		}
	}
	return best
}

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			c := prev[j-1]
			if a[i-1] != b[j-1] {
				c++
			}
			cur[j] = min(c, prev[j]+1, cur[j-1]+1)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// Modifiers returns the names of the Sigma modifiers the compiler accepts,
// sorted.
func Modifiers() []string {
	names := make([]string, 0, len(modifierKinds))
	for name := range modifierKinds {
		names = append(names, name)
	}
	sort.Strings(names)
	return names
}
