// Package refeval is the reference semantics of the IR, as a Go evaluator
// over one event decoded from JSON. Backends are tested against it: a query
// must select exactly the events for which Eval is true.
//
// An event is what encoding/json decodes (with UseNumber: json.Number for
// numbers; float64, ints and time.Time are accepted too). Every field is
// found through its ir.Column: Path walks nested objects (a key is matched
// exactly, else case-insensitively, as SQL engines resolve struct fields;
// on an array, a segment of decimal digits is an index);
// when JSON is not empty, the value at Path is JSON text (or an already
// decoded object) and JSON is a key path inside it, matched exactly (on an
// array, a key of decimal digits is an index, as in a JSON Pointer). A value
// is read as text: strings as they are, numbers as written, booleans as
// true/false, objects and arrays as compact JSON. Inside JSON text, numbers
// and nested objects read as DuckDB's JSON functions print them (1.50 is
// 1.5; keys stay in the order written). A null value is absent.
//
// The rules, as ../../../shared/DESIGN.md and package ir state them:
// strings compare case-insensitively (strings.ToLower on both sides) unless
// Cased; wildcards follow ir.Pattern.MatchString; regex is an unanchored Go
// regexp search with (?i), (?m), (?s) as the node asks; logic is two-valued,
// so a leaf on an absent field is false and Not of it is true.
package refeval

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/netip"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/tokenhunt/tokenhunt/compiler/ir"
)

// Eval reports whether the event matches. An expression that EvalErr
// rejects never matches.
func Eval(e ir.Expr, event map[string]any) bool {
	ok, err := EvalErr(e, event)
	return ok && err == nil
}

// EvalErr reports whether the event matches, or why the expression cannot
// be evaluated: a Keyword that no pipeline expanded, a regex that does not
// compile, an unknown node.
func EvalErr(e ir.Expr, event map[string]any) (bool, error) {
	if err := Check(e); err != nil {
		return false, err
	}
	return eval(e, event), nil
}

// Check reports the first reason an expression cannot be evaluated.
func Check(e ir.Expr) error {
	switch e := e.(type) {
	case ir.And:
		return checkAll(e.Args)
	case ir.Or:
		return checkAll(e.Args)
	case ir.Not:
		return Check(e.Arg)
	case ir.Keyword:
		return fmt.Errorf("keyword search %q was not expanded: apply a pipeline that names keyword columns first", e.Pattern.Sigma())
	case ir.Regex:
		if _, err := compile(e); err != nil {
			return fmt.Errorf("regex %q of field %s: %w", e.Pattern, e.Field.Name, err)
		}
		return nil
	case ir.Const, ir.Match, ir.Compare, ir.BoolEq, ir.IsNull, ir.CIDR, ir.FieldRef, ir.Time:
		return nil
	case nil:
		return fmt.Errorf("no expression")
	}
	return fmt.Errorf("unknown expression node %T", e)
}

func checkAll(args []ir.Expr) error {
	for _, a := range args {
		if err := Check(a); err != nil {
			return err
		}
	}
	return nil
}

func eval(e ir.Expr, ev map[string]any) bool {
	switch e := e.(type) {
	case ir.And:
		for _, a := range e.Args {
			if !eval(a, ev) {
				return false
			}
		}
		return true
	case ir.Or:
		for _, a := range e.Args {
			if eval(a, ev) {
				return true
			}
		}
		return false
	case ir.Not:
		return !eval(e.Arg, ev)
	case ir.Const:
		return e.Value
	case ir.Match:
		s, ok := text(ev, e.Field)
		if !ok {
			return false
		}
		p := e.Pattern
		if !e.Cased {
			s, p = strings.ToLower(s), p.Lower()
		}
		return p.MatchString(s)
	case ir.Regex:
		s, ok := text(ev, e.Field)
		if !ok {
			return false
		}
		re, err := compile(e)
		return err == nil && re.MatchString(s)
	case ir.Compare:
		return compare(ev, e)
	case ir.BoolEq:
		return boolEq(ev, e)
	case ir.IsNull:
		_, ok := lookup(ev, e.Field)
		return !ok
	case ir.CIDR:
		v, ok := lookup(ev, e.Field)
		if !ok {
			return false
		}
		s, isString := v.(string)
		if !isString {
			return false
		}
		addr, ok := ParseIP(s)
		if !ok {
			return false
		}
		for _, p := range e.Prefixes {
			if p.Contains(addr) {
				return true
			}
		}
		return false
	case ir.FieldRef:
		a, ok1 := text(ev, e.Field)
		b, ok2 := text(ev, e.Other)
		if !ok1 || !ok2 {
			return false
		}
		if !e.Cased {
			a, b = strings.ToLower(a), strings.ToLower(b)
		}
		switch e.Shape {
		case ir.ShapeEq:
			return a == b
		case ir.ShapePrefix:
			return strings.HasPrefix(a, b)
		case ir.ShapeSuffix:
			return strings.HasSuffix(a, b)
		case ir.ShapeContains:
			return strings.Contains(a, b)
		}
		return false
	case ir.Time:
		v, ok := lookup(ev, e.Field)
		if !ok {
			return false
		}
		t, ok := ParseTime(v)
		if !ok {
			return false
		}
		var part int64
		switch e.Part {
		case ir.Minute:
			part = int64(t.Minute())
		case ir.Hour:
			part = int64(t.Hour())
		case ir.Day:
			part = int64(t.Day())
		case ir.Week:
			_, w := t.ISOWeek()
			part = int64(w)
		case ir.Month:
			part = int64(t.Month())
		case ir.Year:
			part = int64(t.Year())
		default:
			return false
		}
		return order(cmpInt(part, e.Value), e.Op)
	}
	return false
}

func compile(e ir.Regex) (*regexp.Regexp, error) {
	var flags string
	if e.I {
		flags += "(?i)"
	}
	if e.M {
		flags += "(?m)"
	}
	if e.S {
		flags += "(?s)"
	}
	return regexp.Compile(flags + e.Pattern)
}

func cmpInt(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// order reports whether a comparison result c (-1, 0, 1) satisfies op.
func order(c int, op ir.Op) bool {
	switch op {
	case ir.Eq:
		return c == 0
	case ir.Lt:
		return c < 0
	case ir.Lte:
		return c <= 0
	case ir.Gt:
		return c > 0
	case ir.Gte:
		return c >= 0
	}
	return false
}

func compare(ev map[string]any, e ir.Compare) bool {
	v, ok := lookup(ev, e.Field)
	if !ok {
		return false
	}
	if e.Op == ir.Eq && (e.Field.Column == nil || (e.Field.Column.Type != ir.Number && e.Field.Column.Type != ir.Any)) {
		s, ok := stringify(v)
		return ok && s == e.Value.Text
	}
	// On a Number column, and on a column of undeclared type (Any), a
	// number compares as a number: "5", 5 and 5.0 all equal 5.
	f, ok := number(v)
	if !ok {
		return false
	}
	return order(cmpFloat(f, e.Value.Float), e.Op)
}

var decimal = regexp.MustCompile(`^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?$`)

// number reads a value as a decimal number: a JSON number, a Go number or
// text in decimal notation (surrounding spaces allowed). NaN, infinities,
// hexadecimal and anything else are not numbers.
func number(v any) (float64, bool) {
	var s string
	switch v := v.(type) {
	case json.Number:
		s = v.String()
	case string:
		s = strings.TrimSpace(v)
	case float64:
		return v, !math.IsNaN(v) && !math.IsInf(v, 0)
	case float32:
		return float64(v), !math.IsNaN(float64(v)) && !math.IsInf(float64(v), 0)
	case int:
		return float64(v), true
	case int64:
		return float64(v), true
	case int32:
		return float64(v), true
	case uint64:
		return float64(v), true
	default:
		return 0, false
	}
	if !decimal.MatchString(s) {
		return 0, false
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsInf(f, 0) {
		return 0, false
	}
	return f, true
}

func boolEq(ev map[string]any, e ir.BoolEq) bool {
	v, ok := lookup(ev, e.Field)
	if !ok {
		return false
	}
	if e.Field.Column != nil && e.Field.Column.Type == ir.Bool {
		switch v := v.(type) {
		case bool:
			return v == e.Value
		case string:
			switch strings.ToLower(strings.TrimSpace(v)) {
			case "true":
				return e.Value
			case "false":
				return !e.Value
			}
		}
		return false
	}
	s, ok := stringify(v)
	return ok && strings.ToLower(s) == strconv.FormatBool(e.Value)
}

// text returns a field's value as text; false when absent or null.
func text(ev map[string]any, f ir.Field) (string, bool) {
	v, ok := lookup(ev, f)
	if !ok {
		return "", false
	}
	return stringify(v)
}

// stringify reads a value as text.
func stringify(v any) (string, bool) {
	switch v := v.(type) {
	case nil:
		return "", false
	case string:
		return v, true
	case json.Number:
		return v.String(), true
	case bool:
		return strconv.FormatBool(v), true
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64), true
	case float32:
		return strconv.FormatFloat(float64(v), 'f', -1, 32), true
	case int:
		return strconv.Itoa(v), true
	case int64:
		return strconv.FormatInt(v, 10), true
	case int32:
		return strconv.FormatInt(int64(v), 10), true
	case uint64:
		return strconv.FormatUint(v, 10), true
	case time.Time:
		return v.UTC().Format(time.RFC3339Nano), true
	case json.RawMessage:
		if c, err := CompactJSON(v); err == nil {
			return c, true
		}
		return string(v), true
	}
	// Objects and arrays of a decoded event: compact JSON.
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return fmt.Sprint(v), true
	}
	if c, err := CompactJSON(b.Bytes()); err == nil {
		return c, true
	}
	return strings.TrimSpace(b.String()), true
}

// Lookup returns the value of a field in an event, found through its
// column (the same-named struct path when the field has none); false when
// it is absent or null. Values read from inside JSON text are strings
// (objects and arrays as compact JSON text, numbers as CanonicalNumber
// prints them) or booleans.
func Lookup(event map[string]any, f ir.Field) (any, bool) { return lookup(event, f) }

func lookup(ev map[string]any, f ir.Field) (any, bool) {
	col := f.Column
	if col == nil {
		col = &ir.Column{Path: strings.Split(f.Name, ".")}
	}
	var cur any = ev
	for _, seg := range col.Path {
		if a, isArray := cur.([]any); isArray {
			// An element of an array (a REPEATED field, a LIST).
			n, isIndex := ir.ArrayIndex(seg)
			if !isIndex || n >= len(a) {
				return nil, false
			}
			cur = a[n]
			continue
		}
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		if cur, ok = member(m, seg); !ok {
			return nil, false
		}
	}
	if cur == nil {
		return nil, false
	}
	if len(col.JSON) == 0 {
		return cur, true
	}
	return jsonPath(cur, col.JSON)
}

// member finds a key exactly, else case-insensitively (the first in
// sorted order when several keys differ only in case).
func member(m map[string]any, key string) (any, bool) {
	if v, ok := m[key]; ok {
		return v, true
	}
	found, best := false, ""
	for k := range m {
		if strings.EqualFold(k, key) && (!found || k < best) {
			found, best = true, k
		}
	}
	if !found {
		return nil, false
	}
	return m[best], true
}

// jsonPath walks a key path inside JSON text (or a decoded object), keys
// matched exactly; on an array, a key of decimal digits is an index (as in
// a JSON Pointer). Scalars come back as strings, numbers as DuckDB's JSON
// functions print them, objects and arrays as compact JSON text.
func jsonPath(v any, keys []string) (any, bool) {
	var raw json.RawMessage
	switch v := v.(type) {
	case string:
		raw = json.RawMessage(v)
	case json.RawMessage:
		raw = v
	case []byte:
		raw = json.RawMessage(v)
	default:
		b, err := json.Marshal(v)
		if err != nil {
			return nil, false
		}
		raw = b
	}
	for _, k := range keys {
		var m map[string]json.RawMessage
		if err := json.Unmarshal(raw, &m); err != nil || m == nil {
			// An array: a key of decimal digits is an index, as in a JSON
			// Pointer (RFC 6901).
			var a []json.RawMessage
			i, isIndex := ir.ArrayIndex(k)
			if !isIndex || json.Unmarshal(raw, &a) != nil || i >= len(a) {
				return nil, false
			}
			raw = a[i]
			continue
		}
		next, ok := m[k]
		if !ok {
			return nil, false
		}
		raw = next
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var val any
	if err := dec.Decode(&val); err != nil || val == nil {
		return nil, false
	}
	switch val := val.(type) {
	case json.Number:
		return CanonicalNumber(val.String()), true
	case map[string]any, []any:
		s, err := CompactJSON(raw)
		if err != nil {
			return nil, false
		}
		return s, true
	}
	return val, true
}

// CompactJSON rewrites JSON text without insignificant space, keys in the
// order written, numbers as CanonicalNumber prints them and strings escaped
// only where JSON requires it: the text DuckDB's JSON functions return.
func CompactJSON(raw []byte) (string, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var b strings.Builder
	// first[i] is false once the container at depth i has written a member;
	// key[i] is true when the next string at depth i is an object key.
	var first, isObj []bool
	key, done := false, false
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			if !done || len(first) > 0 {
				return "", io.ErrUnexpectedEOF
			}
			break
		}
		if err != nil {
			return "", err
		}
		if done {
			return "", fmt.Errorf("more than one JSON value")
		}
		if d, ok := tok.(json.Delim); ok && (d == '}' || d == ']') {
			b.WriteRune(rune(d))
			first, isObj = first[:len(first)-1], isObj[:len(isObj)-1]
			key = len(isObj) > 0 && isObj[len(isObj)-1]
			done = len(first) == 0
			continue
		}
		if n := len(first); n > 0 {
			if isObj[n-1] && !key {
				b.WriteByte(':')
			} else if !first[n-1] {
				b.WriteByte(',')
			}
			first[n-1] = false
		}
		switch t := tok.(type) {
		case json.Delim:
			b.WriteRune(rune(t))
			first, isObj = append(first, true), append(isObj, t == '{')
			key = t == '{'
			continue
		case string:
			b.WriteString(quote(t))
		case json.Number:
			b.WriteString(CanonicalNumber(t.String()))
		case bool:
			b.WriteString(strconv.FormatBool(t))
		case nil:
			b.WriteString("null")
		}
		if n := len(isObj); n > 0 && isObj[n-1] {
			key = !key
		}
		done = len(first) == 0
	}
	return b.String(), nil
}

func quote(s string) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s)
	return strings.TrimSuffix(b.String(), "\n")
}

// CanonicalNumber prints a JSON number literal as DuckDB's JSON functions
// do: an integer as written (-0 as 0); any other number as the shortest
// text that reads back to the same float64, in plain notation with a ".0"
// when it is whole for magnitudes in [1e-6, 1e21), and as 1.5e-7 outside.
func CanonicalNumber(lit string) string {
	if !strings.ContainsAny(lit, ".eE") {
		if lit == "-0" {
			return "0"
		}
		return lit
	}
	f, err := strconv.ParseFloat(lit, 64)
	if err != nil {
		return lit
	}
	if a := math.Abs(f); a == 0 || (a >= 1e-6 && a < 1e21) {
		s := strconv.FormatFloat(f, 'f', -1, 64)
		if !strings.Contains(s, ".") {
			s += ".0"
		}
		return s
	}
	mant, exp, _ := strings.Cut(strconv.FormatFloat(f, 'e', -1, 64), "e")
	sign := ""
	if exp[0] == '-' {
		sign = "-"
	}
	return mant + "e" + sign + strings.TrimLeft(exp[1:], "0")
}

// ParseIP reads an IPv4 address, octets with leading zeros read as decimal
// (075.050.255.67 is 75.50.255.67), or an IPv6 address.
func ParseIP(s string) (netip.Addr, bool) {
	if strings.Contains(s, ":") {
		// IPv6 in hex groups only: text with an embedded IPv4 part
		// (::ffff:1.2.3.4) or a zone (fe80::1%eth0) is not an address here,
		// as in every backend.
		if strings.ContainsAny(s, ".%") {
			return netip.Addr{}, false
		}
		a, err := netip.ParseAddr(s)
		if err != nil || !a.Is6() {
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
		if len(p) == 0 || len(p) > 3 {
			return netip.Addr{}, false
		}
		n := 0
		for _, c := range p {
			if c < '0' || c > '9' {
				return netip.Addr{}, false
			}
			n = n*10 + int(c-'0')
		}
		if n > 255 {
			return netip.Addr{}, false
		}
		b[i] = byte(n)
	}
	return netip.AddrFrom4(b), true
}

var timeLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05.999999999",
	"2006-01-02 15:04:05.999999999Z07:00",
	"2006-01-02 15:04:05.999999999Z07",
	"2006-01-02 15:04:05.999999999",
}

// ParseTime reads a timestamp, in UTC: a time.Time, or RFC 3339 text (a
// space for the T and a missing zone, read as UTC, are accepted).
func ParseTime(v any) (time.Time, bool) {
	switch v := v.(type) {
	case time.Time:
		return v.UTC(), true
	case string:
		for _, l := range timeLayouts {
			if t, err := time.Parse(l, v); err == nil {
				return t.UTC(), true
			}
		}
	}
	return time.Time{}, false
}
