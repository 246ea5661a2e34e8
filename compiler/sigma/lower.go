package sigma

import (
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"math"
	"net/netip"
	"regexp"
	"regexp/syntax"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf16"

	"gopkg.in/yaml.v3"

	"github.com/tokenhunt/tokenhunt/compiler/ir"
)

// Vars resolves a placeholder of the |expand modifier to its values.
type Vars func(name string) ([]string, bool)

// maxAlternatives bounds the values one Sigma value may expand into
// (|windash permutations, |expand products).
const maxAlternatives = 4096

// lowerer lowers one rule.
type lowerer struct {
	file string
	rule *Rule
	vars Vars
	errs ir.Errors
}

func (l *lowerer) errAt(pos ir.Pos, hint, format string, args ...any) {
	e := ir.Errorf(pos, l.rule.ID, format, args...)
	e.Hint = hint
	l.errs = append(l.errs, e)
}

func (l *lowerer) pos(n *yaml.Node) ir.Pos { return posOf(l.file, n) }

// Lower turns a parsed detection rule into IR. vars resolves |expand
// placeholders and may be nil.
func Lower(r *Rule, vars Vars) (*ir.Rule, ir.Errors) {
	l := &lowerer{file: r.File, rule: r, vars: vars}
	switch r.Kind {
	case Correlation:
		l.errAt(r.Pos, "convert its base rules; correlations arrive with the correlation engine", "correlation rules are not supported yet")
		return nil, l.errs
	case Filter:
		l.errAt(r.Pos, "", "Sigma filters are not supported yet")
		return nil, l.errs
	}
	where := l.where()
	if where == nil {
		return nil, l.errs
	}
	out := &ir.Rule{
		ID:          r.ID,
		Title:       r.Title,
		Level:       r.Level,
		Status:      r.Status,
		Description: r.Description,
		Tags:        r.Tags,
		Logsource:   r.Logsource,
		Pos:         r.Pos,
		Where:       where,
	}
	return out, nil
}

// LowerFilter lowers the selections and condition of a Sigma filter into
// the expression it adds (ANDed) to each rule it names.
func LowerFilter(f *Rule, vars Vars) (ir.Expr, ir.Errors) {
	if f.Filter == nil {
		return nil, nil
	}
	tmp := &Rule{Kind: Detection, File: f.File, ID: f.ID, Pos: f.Pos, Selections: f.Filter.Selections, Conditions: f.Filter.Conditions}
	l := &lowerer{file: f.File, rule: tmp, vars: vars}
	where := l.where()
	if where == nil {
		return nil, l.errs
	}
	return where, nil
}

// where lowers every selection and resolves the conditions; nil with
// errors recorded when anything fails.
func (l *lowerer) where() ir.Expr {
	sels := map[string]ir.Expr{}
	for _, s := range l.rule.Selections {
		if e := l.selection(s); e != nil {
			sels[s.Name] = e
		}
	}
	var conds []ir.Expr
	for _, c := range l.rule.Conditions {
		if e := l.condition(c, c.Expr, sels); e != nil {
			conds = append(conds, e)
		}
	}
	if len(l.errs) > 0 || len(conds) == 0 {
		// Without conditions, parsing has reported why.
		l.errs.Sort()
		return nil
	}
	return ir.Simplify(or(conds))
}

func or(es []ir.Expr) ir.Expr {
	if len(es) == 1 {
		return es[0]
	}
	return ir.Or{Args: es}
}

func and(es []ir.Expr) ir.Expr {
	if len(es) == 1 {
		return es[0]
	}
	return ir.And{Args: es}
}

// condition resolves selection names and `of` patterns.
func (l *lowerer) condition(c *Condition, e Cond, sels map[string]ir.Expr) ir.Expr {
	at := func(off int) ir.Pos { return offsetPos(l.file, c.node, off) }
	switch e := e.(type) {
	case CondAnd:
		a, b := l.condition(c, e.Left, sels), l.condition(c, e.Right, sels)
		if a == nil || b == nil {
			return nil
		}
		return ir.And{Args: []ir.Expr{a, b}}
	case CondOr:
		a, b := l.condition(c, e.Left, sels), l.condition(c, e.Right, sels)
		if a == nil || b == nil {
			return nil
		}
		return ir.Or{Args: []ir.Expr{a, b}}
	case CondNot:
		a := l.condition(c, e.Arg, sels)
		if a == nil {
			return nil
		}
		return ir.Not{Arg: a}
	case CondIdent:
		if x, ok := sels[e.Name]; ok {
			return x
		}
		if l.hasSelection(e.Name) {
			return nil // its own error was reported
		}
		l.errAt(at(e.At), "define it under detection or fix the name; selections: "+l.selectionNames(), "condition names unknown selection %q", e.Name)
		return nil
	case CondOf:
		var args []ir.Expr
		matched := 0
		for _, s := range l.rule.Selections {
			if e.Pattern == "them" {
				if strings.HasPrefix(s.Name, "_") {
					continue
				}
			} else if !matchName(e.Pattern, s.Name) {
				continue
			}
			matched++
			if x, ok := sels[s.Name]; ok {
				args = append(args, x)
			}
		}
		if matched == 0 {
			l.errAt(at(e.At), "selections: "+l.selectionNames(), "%q matches no selection", FormatCond(e))
			return nil
		}
		if len(args) < matched {
			return nil
		}
		if e.All {
			return and(args)
		}
		return or(args)
	}
	return nil
}

func (l *lowerer) hasSelection(name string) bool {
	for _, s := range l.rule.Selections {
		if s.Name == name {
			return true
		}
	}
	return false
}

func (l *lowerer) selectionNames() string {
	var names []string
	for _, s := range l.rule.Selections {
		names = append(names, s.Name)
	}
	if len(names) == 0 {
		return "(none)"
	}
	return strings.Join(names, ", ")
}

// selection lowers one search identifier: a map is AND of its fields, a
// list of maps is OR of them, a list of plain values is a keyword search.
func (l *lowerer) selection(s *Selection) ir.Expr {
	n := s.Node
	switch n.Kind {
	case yaml.MappingNode:
		return l.fieldMap(n)
	case yaml.SequenceNode:
		if len(n.Content) == 0 {
			l.errAt(s.Pos, "give it at least one value or map", "selection %q is an empty list", s.Name)
			return nil
		}
		var maps, scalars int
		for _, item := range n.Content {
			switch resolveAlias(item).Kind {
			case yaml.MappingNode:
				maps++
			case yaml.ScalarNode:
				scalars++
			default:
				l.errAt(l.pos(item), "", "selection %q: a list item must be a map or a value, not a %s", s.Name, kindName(item))
				return nil
			}
		}
		if maps > 0 && scalars > 0 {
			l.errAt(l.pos(n), "split keywords and field maps into two selections", "selection %q mixes keywords and field maps", s.Name)
			return nil
		}
		if scalars > 0 {
			return l.keywords(n.Content, &modSet{}, l.pos(n))
		}
		var alts []ir.Expr
		for _, item := range n.Content {
			e := l.fieldMap(resolveAlias(item))
			if e == nil {
				return nil
			}
			alts = append(alts, e)
		}
		return or(alts)
	}
	l.errAt(s.Pos, "a selection is a map of fields to values, a list of such maps, or a list of keywords", "selection %q must be a map or a list, not a %s", s.Name, kindName(n))
	return nil
}

func (l *lowerer) fieldMap(n *yaml.Node) ir.Expr {
	if len(n.Content) == 0 {
		l.errAt(l.pos(n), "add field: value pairs", "empty selection map")
		return nil
	}
	var parts []ir.Expr
	failed := false
	for i := 0; i+1 < len(n.Content); i += 2 {
		e := l.fieldEntry(n.Content[i], resolveAlias(n.Content[i+1]))
		if e == nil {
			failed = true
			continue
		}
		parts = append(parts, e)
	}
	if failed {
		return nil
	}
	return and(parts)
}

// value is one YAML scalar of a field's values.
type value struct {
	node *yaml.Node
	tag  string // !!str, !!int, !!float, !!bool, !!null
	text string
}

func (l *lowerer) values(n *yaml.Node) []value {
	var items []*yaml.Node
	switch n.Kind {
	case yaml.ScalarNode:
		items = []*yaml.Node{n}
	case yaml.SequenceNode:
		if len(n.Content) == 0 {
			l.errAt(l.pos(n), "give at least one value, or use null / '' ", "empty list of values")
			return nil
		}
		items = n.Content
	default:
		l.errAt(l.pos(n), "a field takes a value or a list of values", "field value must be a value or a list, not a %s", kindName(n))
		return nil
	}
	var out []value
	for _, it := range items {
		it = resolveAlias(it)
		if it.Kind != yaml.ScalarNode {
			l.errAt(l.pos(it), "nested lists and maps are not Sigma values", "value must be a scalar, not a %s", kindName(it))
			return nil
		}
		tag := it.ShortTag()
		switch tag {
		case "!!str", "!!int", "!!float", "!!bool", "!!null":
		default:
			tag = "!!str"
		}
		out = append(out, value{node: it, tag: tag, text: it.Value})
	}
	return out
}

func (l *lowerer) fieldEntry(key, val *yaml.Node) ir.Expr {
	if key.Kind != yaml.ScalarNode {
		l.errAt(l.pos(key), "", "field name must be a string")
		return nil
	}
	name, mods := parseKey(l.file, key)
	ms, errs := validateModifiers(l.rule.ID, l.pos(key), mods)
	if errs != nil {
		l.errs = append(l.errs, errs...)
		return nil
	}
	vals := l.values(val)
	if vals == nil {
		return nil
	}
	if name == "" {
		return l.keywordEntry(val, ms, mods)
	}
	field := ir.Field{Name: name, Pos: l.pos(key)}
	var items []ir.Expr
	for _, v := range vals {
		e := l.value(field, ms, v)
		if e == nil {
			return nil
		}
		items = append(items, e)
	}
	if ms.typ == "cidr" && !ms.all && len(items) > 1 {
		// One node for all networks of a field: backends test the address
		// shape once.
		merged := ir.CIDR{Field: field}
		for _, it := range items {
			merged.Prefixes = append(merged.Prefixes, it.(ir.CIDR).Prefixes...)
		}
		items = []ir.Expr{merged}
	}
	switch {
	case ms.neq:
		return ir.Not{Arg: or(items)}
	case ms.all:
		return and(items)
	}
	return or(items)
}

// keywordEntry lowers a field-less key such as `'|all': [a, b]`.
func (l *lowerer) keywordEntry(val *yaml.Node, ms *modSet, mods []modifier) ir.Expr {
	for _, m := range mods {
		if m.name != "all" && m.name != "cased" {
			l.errAt(m.pos, "field-less searches take only |all and |cased", "|%s is not supported on a keyword search", m.name)
			return nil
		}
	}
	items := []*yaml.Node{val}
	if val.Kind == yaml.SequenceNode {
		items = val.Content
	}
	return l.keywords(items, ms, l.pos(val))
}

func (l *lowerer) keywords(items []*yaml.Node, ms *modSet, at ir.Pos) ir.Expr {
	var out []ir.Expr
	for _, it := range items {
		it = resolveAlias(it)
		if it.Kind != yaml.ScalarNode || it.ShortTag() == "!!null" {
			l.errAt(l.pos(it), "", "keyword must be a value, not a %s", kindName(it))
			return nil
		}
		out = append(out, ir.Keyword{Pattern: ParseValue(it.Value), Cased: ms.cased, Pos: l.pos(it)})
	}
	if ms.all {
		return and(out)
	}
	return or(out)
}

// value lowers one value of a field under its modifiers.
func (l *lowerer) value(f ir.Field, ms *modSet, v value) ir.Expr {
	vp := l.pos(v.node)
	if v.tag == "!!null" {
		if ms.typ != "" || ms.shape != "" || ms.cmp != nil || ms.part != nil || len(ms.transforms) > 0 || ms.expand || ms.cased {
			l.errAt(vp, "null stands alone: `field: null` (absent or null) or `field|exists: false`", "null cannot take modifiers")
			return nil
		}
		return ir.IsNull{Field: f}
	}
	switch ms.typ {
	case "exists":
		if v.tag != "!!bool" {
			l.errAt(vp, "write `field|exists: true` or `field|exists: false`", "|exists takes true or false, not %q", v.text)
			return nil
		}
		if v.text == "true" || v.text == "True" || v.text == "TRUE" {
			return ir.Not{Arg: ir.IsNull{Field: f}}
		}
		return ir.IsNull{Field: f}
	case "fieldref":
		if v.tag != "!!str" || v.text == "" {
			l.errAt(vp, "the value names another field of the same event", "|fieldref needs a field name, not %q", v.text)
			return nil
		}
		shape := ir.ShapeEq
		switch ms.shape {
		case "contains":
			shape = ir.ShapeContains
		case "startswith":
			shape = ir.ShapePrefix
		case "endswith":
			shape = ir.ShapeSuffix
		}
		return ir.FieldRef{Field: f, Other: ir.Field{Name: v.text, Pos: vp}, Shape: shape, Cased: ms.cased}
	case "cidr":
		texts := []string{v.text}
		if ms.expand {
			var err error
			if texts, err = expandPlaceholders(v.text, l.vars); err != nil {
				l.errAt(vp, "define it under `vars:` in a pipeline given with -p", "|expand: %v", err)
				return nil
			}
		}
		var prefixes []netip.Prefix
		for _, text := range texts {
			if m := placeholderRe.FindStringIndex(text); ms.expand && m != nil && m[0] == 0 && m[1] == len(text) {
				// A placeholder left as itself: a check without a
				// pipeline, which has no networks to give it.
				continue
			}
			p, err := parsePrefix(text)
			if err != nil {
				l.errAt(vp, "write an IPv4 or IPv6 network such as 10.0.0.0/8 or 2001:db8::/32", "|cidr: %v", err)
				return nil
			}
			prefixes = append(prefixes, p)
		}
		return ir.CIDR{Field: f, Prefixes: prefixes}
	case "re":
		for _, la := range []string{"(?=", "(?!", "(?<=", "(?<!"} {
			if strings.Contains(v.text, la) {
				l.errAt(vp, "rewrite the regex without it, or split the rule into a selection and a filter", "|re: look-around %q is not supported: backends run RE2, which has none", la+"…)")
				return nil
			}
		}
		if _, err := syntax.Parse(v.text, syntax.Perl); err != nil {
			l.errAt(vp, "write RE2 syntax: no look-arounds, no back-references", "|re: invalid regex %q: %v", v.text, reErr(err))
			return nil
		}
		return ir.Regex{Field: f, Pattern: v.text, I: ms.reI, M: ms.reM, S: ms.reS}
	}
	if ms.part != nil {
		n, err := strconv.ParseInt(v.text, 10, 64)
		if err != nil || v.tag == "!!bool" {
			l.errAt(vp, "time parts are whole numbers, e.g. hour: 3", "|%s needs an integer, not %q", ms.part, v.text)
			return nil
		}
		op := ir.Eq
		if ms.cmp != nil {
			op = *ms.cmp
		}
		return ir.Time{Field: f, Part: *ms.part, Op: op, Value: n}
	}
	if ms.cmp != nil {
		num, ok := parseNumber(v)
		if !ok {
			l.errAt(vp, "compare with a number, e.g. 100 or 2.5", "|%s needs a number, not %q", *ms.cmp, v.text)
			return nil
		}
		return ir.Compare{Field: f, Op: *ms.cmp, Value: num}
	}
	// Plain numbers and booleans compare by type unless a string modifier
	// makes them text.
	stringy := ms.shape != "" || len(ms.transforms) > 0 || ms.expand || ms.cased
	if !stringy {
		switch v.tag {
		case "!!int", "!!float":
			if num, ok := parseNumber(v); ok {
				return ir.Compare{Field: f, Op: ir.Eq, Value: num}
			}
		case "!!bool":
			return ir.BoolEq{Field: f, Value: strings.EqualFold(v.text, "true")}
		}
	}
	pats := l.patterns(ms, v, vp)
	if pats == nil {
		return nil
	}
	var alts []ir.Expr
	for _, p := range pats {
		alts = append(alts, ir.Match{Field: f, Pattern: p, Cased: ms.cased})
	}
	return or(alts)
}

func reErr(err error) string {
	if e, ok := err.(*syntax.Error); ok {
		return fmt.Sprintf("%s `%s`", e.Code, e.Expr)
	}
	return err.Error()
}

// patterns applies |expand, then the transforms in order, then the shape.
func (l *lowerer) patterns(ms *modSet, v value, vp ir.Pos) []ir.Pattern {
	texts := []string{v.text}
	if ms.expand {
		var err error
		texts, err = expandPlaceholders(v.text, l.vars)
		if err != nil {
			l.errAt(vp, "define it under `vars:` in a pipeline given with -p", "|expand: %v", err)
			return nil
		}
	}
	var pats []ir.Pattern
	for _, t := range texts {
		pats = append(pats, ParseValue(t))
	}
	encoded := false
	for _, t := range ms.transforms {
		var next []ir.Pattern
		switch t.name {
		case "windash":
			for _, p := range pats {
				next = append(next, windash(p)...)
			}
		case "utf16le", "wide", "utf16be", "utf16":
			for _, p := range pats {
				if p.HasWildcards() {
					l.errAt(vp, "encoded values cannot hold wildcards; escape * and ? with \\ or split the value", "|%s of a value with wildcards", t.name)
					return nil
				}
				next = append(next, ir.Literal(encodeUTF16(t.name, p.LiteralText())))
			}
		case "base64", "base64offset":
			for _, p := range pats {
				if p.HasWildcards() {
					l.errAt(vp, "encoded values cannot hold wildcards; escape * and ? with \\ or split the value", "|%s of a value with wildcards", t.name)
					return nil
				}
				raw := []byte(p.LiteralText())
				if t.name == "base64" {
					next = append(next, ir.Literal(base64.StdEncoding.EncodeToString(raw)))
					continue
				}
				frags := base64Offsets(raw)
				if len(frags) == 0 {
					l.errAt(vp, "use a longer value, or |base64 for an exact encoding", "|base64offset: %q is too short to have a fragment that does not depend on its neighbours", p.LiteralText())
					return nil
				}
				for _, s := range frags {
					next = append(next, ir.Literal(s))
				}
			}
			encoded = true
		}
		pats = next
		if len(pats) > maxAlternatives {
			l.errAt(vp, "split the value", "value expands into more than %d alternatives", maxAlternatives)
			return nil
		}
	}
	_ = encoded
	for i, p := range pats {
		switch ms.shape {
		case "contains":
			p = append(append(ir.Pattern{{Kind: ir.Star}}, p...), ir.Part{Kind: ir.Star})
		case "startswith":
			p = append(append(ir.Pattern{}, p...), ir.Part{Kind: ir.Star})
		case "endswith":
			p = append(ir.Pattern{{Kind: ir.Star}}, p...)
		}
		pats[i] = p.Normalize()
	}
	return dedupe(pats)
}

func dedupe(pats []ir.Pattern) []ir.Pattern {
	seen := map[string]bool{}
	var out []ir.Pattern
	for _, p := range pats {
		k := ir.PatternString(p)
		if !seen[k] {
			seen[k] = true
			out = append(out, p)
		}
	}
	return out
}

// encodeUTF16 encodes text as UTF-16 bytes, held in a string.
func encodeUTF16(mode, s string) string {
	units := utf16.Encode([]rune(s))
	var b []byte
	if mode == "utf16" {
		b = append(b, 0xFF, 0xFE)
	}
	for _, u := range units {
		if mode == "utf16be" {
			b = binary.BigEndian.AppendUint16(b, u)
		} else {
			b = binary.LittleEndian.AppendUint16(b, u)
		}
	}
	return string(b)
}

// base64Offsets returns the three encodings of raw at byte offsets 0, 1
// and 2 of a longer text, trimmed to the characters that do not depend on
// the surrounding bytes (as pySigma does).
func base64Offsets(raw []byte) []string {
	starts := [3]int{0, 2, 3}
	ends := [3]int{0, -3, -2}
	var out []string
	for i := 0; i < 3; i++ {
		enc := base64.StdEncoding.EncodeToString(append([]byte(strings.Repeat(" ", i)), raw...))
		end := len(enc)
		if e := ends[(len(raw)+i)%3]; e != 0 {
			end += e
		}
		if starts[i] >= end {
			continue // nothing of the value survives at this offset
		}
		out = append(out, enc[starts[i]:end])
	}
	return out
}

// windashChars are the dashes Windows command lines accept for `-`.
var windashChars = []string{"-", "/", "\u2013", "\u2014", "\u2015"}

// windash expands every `-` or `/` that starts a word (not preceded by a
// word character, followed by one) into each of windashChars.
func windash(p ir.Pattern) []ir.Pattern {
	type unit struct {
		r    rune
		wild ir.PartKind
	}
	var units []unit
	for _, part := range p {
		if part.Kind != ir.Lit {
			units = append(units, unit{wild: part.Kind})
			continue
		}
		for _, r := range part.Text {
			units = append(units, unit{r: r, wild: ir.Lit})
		}
	}
	isWord := func(u unit) bool {
		return u.wild == ir.Lit && (u.r == '_' || unicode.IsLetter(u.r) || unicode.IsDigit(u.r))
	}
	var spots []int
	for i, u := range units {
		if u.wild != ir.Lit || (u.r != '-' && u.r != '/') {
			continue
		}
		if i > 0 && isWord(units[i-1]) {
			continue
		}
		if i+1 >= len(units) || !isWord(units[i+1]) {
			continue
		}
		spots = append(spots, i)
	}
	if len(spots) == 0 {
		return []ir.Pattern{p}
	}
	total := int(math.Pow(float64(len(windashChars)), float64(len(spots))))
	if total > maxAlternatives {
		total = maxAlternatives + 1 // the caller reports the overflow
	}
	out := make([]ir.Pattern, 0, total)
	for k := 0; k < total; k++ {
		choice := map[int]string{}
		n := k
		for _, s := range spots {
			choice[s] = windashChars[n%len(windashChars)]
			n /= len(windashChars)
		}
		var q ir.Pattern
		for i, u := range units {
			switch {
			case u.wild != ir.Lit:
				q = append(q, ir.Part{Kind: u.wild})
			case choice[i] != "":
				q = append(q, ir.Part{Kind: ir.Lit, Text: choice[i]})
			default:
				q = append(q, ir.Part{Kind: ir.Lit, Text: string(u.r)})
			}
		}
		out = append(out, q.Normalize())
	}
	return out
}

var placeholderRe = regexp.MustCompile(`%([A-Za-z0-9_.\-]+)%`)

// expandPlaceholders substitutes every %name% by each of its values (the
// product when there are several).
func expandPlaceholders(s string, vars Vars) ([]string, error) {
	locs := placeholderRe.FindAllStringSubmatchIndex(s, -1)
	if len(locs) == 0 {
		return nil, fmt.Errorf("value %q has no %%placeholder%%", s)
	}
	out := []string{""}
	last := 0
	for _, loc := range locs {
		name := s[loc[2]:loc[3]]
		var vals []string
		var ok bool
		if vars != nil {
			vals, ok = vars(name)
		}
		if !ok {
			return nil, fmt.Errorf("placeholder %%%s%% is not defined", name)
		}
		if len(vals) == 0 {
			return nil, fmt.Errorf("placeholder %%%s%% has no values", name)
		}
		var next []string
		for _, prefix := range out {
			for _, v := range vals {
				next = append(next, prefix+s[last:loc[0]]+v)
			}
		}
		if len(next) > maxAlternatives {
			return nil, fmt.Errorf("placeholders expand into more than %d values", maxAlternatives)
		}
		out = next
		last = loc[1]
	}
	for i := range out {
		out[i] += s[last:]
	}
	return out, nil
}

func parsePrefix(s string) (netip.Prefix, error) {
	s = strings.TrimSpace(s)
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return netip.Prefix{}, fmt.Errorf("%q is not a network", s)
		}
		return p.Masked(), nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, fmt.Errorf("%q is not an IP address or network", s)
	}
	if a.Zone() != "" {
		return netip.Prefix{}, fmt.Errorf("%q has a zone", s)
	}
	return netip.PrefixFrom(a, a.BitLen()), nil
}

func parseNumber(v value) (ir.NumberValue, bool) {
	if v.tag == "!!bool" || v.tag == "!!null" {
		return ir.NumberValue{}, false
	}
	t := strings.TrimSpace(v.text)
	if i, err := strconv.ParseInt(t, 0, 64); err == nil {
		return ir.NumberValue{Text: t, Float: float64(i)}, true
	}
	f, err := strconv.ParseFloat(t, 64)
	if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
		return ir.NumberValue{}, false
	}
	return ir.NumberValue{Text: t, Float: f}, true
}
