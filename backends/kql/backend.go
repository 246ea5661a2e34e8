package kql

import (
	"strings"

	"github.com/tokenhunt/tokenhunt/compiler/ir"
)

// Backend compiles rules to KQL.
type Backend struct{}

// New returns the KQL backend.
func New() Backend { return Backend{} }

// Name is "kql".
func (Backend) Name() string { return "kql" }

// Compile prints the rule as `<Table> | where <condition>`. Its errors are
// *ir.Error.
func (Backend) Compile(r *ir.Rule) (string, error) {
	if r == nil {
		return "", &ir.Error{Msg: "kql: no rule to compile"}
	}
	if strings.TrimSpace(r.Table) == "" {
		return "", &ir.Error{Pos: r.Pos, RuleID: r.ID, Msg: "kql: the rule has no table",
			Hint: "map the rule's log source to a table in a pipeline"}
	}
	if err := checkText(r.Table); err != nil {
		return "", &ir.Error{Pos: r.Pos, RuleID: r.ID, Msg: "kql: table name " + quoteGo(r.Table) + " " + err.Error()}
	}
	cond, err := Where(r)
	if err != nil {
		return "", err
	}
	return Ident(r.Table) + " | where " + cond, nil
}

// Where prints the rule's condition alone, for callers that build a larger
// query around it (time ranges, correlations).
func Where(r *ir.Rule) (string, error) {
	if r == nil {
		return "", &ir.Error{Msg: "kql: no rule to compile"}
	}
	if r.Where == nil {
		return "", &ir.Error{Pos: r.Pos, RuleID: r.ID, Msg: "kql: the rule has no condition"}
	}
	p := &printer{rule: r}
	e, err := p.expr(r.Where)
	if err != nil {
		return "", err
	}
	return e.text, nil
}

// Column prints where a field's value lives as a KQL expression (a column,
// a dynamic path, a key of parsed JSON text), for callers that select or
// summarize by it.
func Column(r *ir.Rule, f ir.Field) (string, error) {
	p := &printer{rule: r}
	c, err := p.column(f)
	if err != nil {
		return "", err
	}
	return c.raw.text, nil
}
