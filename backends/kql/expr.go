package kql

import "strings"

// prec is the binding strength of a KQL expression: a lower one binds more
// loosely. or binds more loosely than and, and both more loosely than the
// comparison and string operators (==, startswith_cs, matches regex, …),
// which do not chain.
type prec int

const (
	precOr prec = iota + 1
	precAnd
	precCmp
	precPrimary // a literal, a name, a function call, a dynamic path
)

// expr is a printed KQL expression with its precedence. notNull says it is
// never null, so not() needs no coalesce around it.
type expr struct {
	text    string
	prec    prec
	notNull bool
}

// prim wraps text that is a primary expression.
func prim(text string) expr { return expr{text: text, prec: precPrimary} }

// call prints a function call; it is null when its arguments may be.
func call(name string, args ...expr) expr {
	parts := make([]string, len(args))
	for i, a := range args {
		parts[i] = a.text
	}
	return prim(name + "(" + strings.Join(parts, ", ") + ")")
}

// never marks an expression as never null.
func never(e expr) expr {
	e.notNull = true
	return e
}

// operand prints e where the syntax needs at least min: the only place that
// puts parentheses around an expression.
func operand(e expr, min prec) string {
	if e.prec < min {
		return "(" + e.text + ")"
	}
	return e.text
}

// cmp is a comparison or a string operator between two operands that bind
// tighter than it.
func cmp(l expr, op string, r expr) expr {
	return expr{text: operand(l, precCmp+1) + " " + op + " " + operand(r, precCmp+1), prec: precCmp}
}

// junction joins terms with and or or. Both are associative, so a term of
// the same kind needs no parentheses.
func junction(op string, p prec, terms []expr) expr {
	parts := make([]string, len(terms))
	notNull := true
	for i, t := range terms {
		parts[i] = operand(t, p)
		notNull = notNull && t.notNull
	}
	return expr{text: strings.Join(parts, " "+op+" "), prec: p, notNull: notNull}
}

var (
	exprTrue  = expr{text: "true", prec: precPrimary, notNull: true}
	exprFalse = expr{text: "false", prec: precPrimary, notNull: true}
)

func and(terms ...expr) expr {
	switch len(terms) {
	case 0:
		return exprTrue
	case 1:
		return terms[0]
	}
	return junction("and", precAnd, terms)
}

func or(terms ...expr) expr {
	switch len(terms) {
	case 0:
		return exprFalse
	case 1:
		return terms[0]
	}
	return junction("or", precOr, terms)
}

// not negates under two-valued logic: an operand that may be null (a leaf
// on an absent value) counts as false, so its negation is true.
func not(x expr) expr {
	if !x.notNull {
		x = call("coalesce", x, exprFalse)
	}
	return never(call("not", x))
}

// str is a string literal; lit must have passed checkText.
func str(lit string) expr { return never(prim(Quote(lit))) }
