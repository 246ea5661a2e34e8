package ir

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// Format prints an expression as deterministic S-expression text, on one
// line when it fits in width columns and indented by two spaces a level
// otherwise.
func Format(e Expr, width int) string {
	var b strings.Builder
	writeExpr(&b, e, 0, width)
	return b.String()
}

// Flat prints an expression on one line.
func Flat(e Expr) string { return flatExpr(e) }

// writeExpr prints e at the current column indent (in spaces).
func writeExpr(b *strings.Builder, e Expr, indent, width int) {
	flat := flatExpr(e)
	if indent+len(flat) <= width {
		b.WriteString(flat)
		return
	}
	var head string
	var args []Expr
	switch e := e.(type) {
	case And:
		head, args = "and", e.Args
	case Or:
		head, args = "or", e.Args
	case Not:
		head, args = "not", []Expr{e.Arg}
	default:
		b.WriteString(flat)
		return
	}
	b.WriteString("(" + head)
	for _, a := range args {
		b.WriteString("\n" + strings.Repeat(" ", indent+2))
		writeExpr(b, a, indent+2, width)
	}
	b.WriteString(")")
}

func flatExpr(e Expr) string {
	switch e := e.(type) {
	case And:
		return "(and" + flatArgs(e.Args) + ")"
	case Or:
		return "(or" + flatArgs(e.Args) + ")"
	case Not:
		return "(not " + flatExpr(e.Arg) + ")"
	case Const:
		return strconv.FormatBool(e.Value)
	case Match:
		shape, lit := e.Pattern.Shape()
		switch shape {
		case ShapeAny:
			return fmt.Sprintf("(any %s %s)", caseWord(e.Cased), FieldString(e.Field))
		case ShapeGlob:
			return fmt.Sprintf("(glob %s %s %s)", caseWord(e.Cased), FieldString(e.Field), PatternString(e.Pattern))
		}
		return fmt.Sprintf("(%s %s %s %s)", shape, caseWord(e.Cased), FieldString(e.Field), strconv.Quote(lit))
	case Regex:
		head := "re"
		if flags := regexFlags(e); flags != "" {
			head += ":" + flags
		}
		return fmt.Sprintf("(%s %s %s)", head, FieldString(e.Field), strconv.Quote(e.Pattern))
	case Compare:
		return fmt.Sprintf("(num %s %s %s)", e.Op, FieldString(e.Field), e.Value.Text)
	case BoolEq:
		return fmt.Sprintf("(bool %s %t)", FieldString(e.Field), e.Value)
	case IsNull:
		return fmt.Sprintf("(null %s)", FieldString(e.Field))
	case CIDR:
		var b strings.Builder
		fmt.Fprintf(&b, "(cidr %s", FieldString(e.Field))
		for _, p := range e.Prefixes {
			b.WriteString(" " + strconv.Quote(p.String()))
		}
		return b.String() + ")"
	case FieldRef:
		return fmt.Sprintf("(fieldref %s %s %s %s)", e.Shape, caseWord(e.Cased), FieldString(e.Field), FieldString(e.Other))
	case Time:
		return fmt.Sprintf("(time %s %s %s %d)", e.Part, e.Op, FieldString(e.Field), e.Value)
	case Keyword:
		return fmt.Sprintf("(keyword %s %s)", caseWord(e.Cased), PatternString(e.Pattern))
	}
	panic(fmt.Sprintf("ir: unknown node %T", e))
}

func regexFlags(e Regex) string {
	var f string
	if e.I {
		f += "i"
	}
	if e.M {
		f += "m"
	}
	if e.S {
		f += "s"
	}
	return f
}

func flatArgs(args []Expr) string {
	var b strings.Builder
	for _, a := range args {
		b.WriteString(" " + flatExpr(a))
	}
	return b.String()
}

func caseWord(cased bool) string {
	if cased {
		return "cs"
	}
	return "ci"
}

// PatternString prints a pattern as a bracketed list of quoted literals and
// bare wildcards: ["abc" * "d" ?].
func PatternString(p Pattern) string {
	parts := make([]string, 0, len(p))
	for _, part := range p.Normalize() {
		switch part.Kind {
		case Lit:
			parts = append(parts, strconv.Quote(part.Text))
		case Star:
			parts = append(parts, "*")
		case One:
			parts = append(parts, "?")
		}
	}
	return "[" + strings.Join(parts, " ") + "]"
}

var plainName = regexp.MustCompile(`^[A-Za-z_@][A-Za-z0-9_.@\-]*$`)

// FieldString prints a field: its name, then where a pipeline put it when
// that is not the string column of the same name, or `=?` while no pipeline
// has resolved it:
//
//	eventName
//	requestParameters.roleArn=requestParameters$roleArn
//	eventTime:timestamp
//	eventName=?
func FieldString(f Field) string {
	name := quoteName(f.Name)
	c := f.Column
	if c == nil {
		return name + "=?"
	}
	var loc string
	if !(len(c.JSON) == 0 && strings.Join(c.Path, ".") == f.Name && allPlain(c.Path)) {
		loc = "=" + pathString(c.Path)
		if len(c.JSON) > 0 {
			loc += "$" + pathString(c.JSON)
		}
	}
	if c.Type != String {
		loc += ":" + c.Type.String()
	}
	return name + loc
}

func allPlain(path []string) bool {
	for _, p := range path {
		if !plainSegment.MatchString(p) {
			return false
		}
	}
	return true
}

var plainSegment = regexp.MustCompile(`^[A-Za-z_@][A-Za-z0-9_@\-]*$`)

func pathString(path []string) string {
	parts := make([]string, len(path))
	for i, p := range path {
		if plainSegment.MatchString(p) {
			parts[i] = p
		} else {
			parts[i] = strconv.Quote(p)
		}
	}
	return strings.Join(parts, ".")
}

func quoteName(n string) string {
	if plainName.MatchString(n) {
		return n
	}
	return strconv.Quote(n)
}

// FormatRule prints a rule header and its condition.
func FormatRule(r *Rule) string {
	var b strings.Builder
	fmt.Fprintf(&b, "rule %s\n", r.ID)
	fmt.Fprintf(&b, "  title %s\n", strconv.Quote(r.Title))
	if r.Level != "" {
		fmt.Fprintf(&b, "  level %s\n", r.Level)
	}
	if len(r.Tags) > 0 {
		fmt.Fprintf(&b, "  tags %s\n", strings.Join(r.Tags, " "))
	}
	var ls []string
	for _, kv := range [][2]string{{"product", r.Logsource.Product}, {"category", r.Logsource.Category}, {"service", r.Logsource.Service}} {
		if kv[1] != "" {
			ls = append(ls, kv[0]+"="+kv[1])
		}
	}
	fmt.Fprintf(&b, "  logsource %s\n", strings.Join(ls, " "))
	if r.Table != "" {
		fmt.Fprintf(&b, "  table %s\n", r.Table)
	}
	b.WriteString("  where\n    ")
	writeExpr(&b, r.Where, 4, 100)
	b.WriteString("\n")
	return b.String()
}
