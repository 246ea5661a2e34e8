package sql

import "strings"

// prec is the binding strength of an SQL expression: a lower one binds more
// loosely. The order is the one of PostgreSQL, DuckDB and Trino.
type prec int

const (
	precOr prec = iota + 1
	precAnd
	precNot
	precCmp    // = <> < <= > >= LIKE BETWEEN IS
	precConcat // ||
	precAdd    // + -
	precMul    // *
	precPrimary
)

// expr is a printed SQL expression with its precedence. notNull says it can
// never be NULL, so NOT needs no COALESCE around it.
type expr struct {
	text    string
	prec    prec
	notNull bool
}

// prim wraps text that is a primary expression: a literal, an identifier, a
// function call or a cast.
func prim(text string) expr { return expr{text: text, prec: precPrimary} }

// operand prints e where the syntax needs at least min: the only place that
// puts parentheses around an expression.
func operand(e expr, min prec) string {
	if e.prec < min {
		return "(" + e.text + ")"
	}
	return e.text
}

// infix joins two operands with an operator of precedence p. lmin and rmin
// are the least precedences the left and right operands may have.
func infix(l expr, op string, r expr, p, lmin, rmin prec) expr {
	return expr{text: operand(l, lmin) + " " + op + " " + operand(r, rmin), prec: p}
}

// cmp is a comparison; comparisons do not chain, so both sides bind tighter.
func cmp(l expr, op string, r expr) expr { return infix(l, op, r, precCmp, precCmp+1, precCmp+1) }

func concat(l, r expr) expr { return infix(l, "||", r, precConcat, precConcat, precConcat+1) }

func sub(l, r expr) expr { return infix(l, "-", r, precAdd, precAdd, precAdd+1) }

func mul(l, r expr) expr { return infix(l, "*", r, precMul, precMul, precMul+1) }

func add(l, r expr) expr { return infix(l, "+", r, precAdd, precAdd, precAdd+1) }

func isNull(x expr) expr {
	return expr{text: operand(x, precCmp+1) + " IS NULL", prec: precCmp, notNull: true}
}

func isNotNull(x expr) expr {
	return expr{text: operand(x, precCmp+1) + " IS NOT NULL", prec: precCmp, notNull: true}
}

func between(x, lo, hi expr, negated bool) expr {
	op := " BETWEEN "
	if negated {
		op = " NOT BETWEEN "
	}
	return expr{text: operand(x, precCmp+1) + op + operand(lo, precCmp+1) + " AND " + operand(hi, precCmp+1), prec: precCmp}
}

// junction joins terms with AND or OR. Both are associative, so a term of
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
