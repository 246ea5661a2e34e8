package ir

import (
	"fmt"
	"sort"
)

// Error is a problem with a rule, at a position, with what to change.
// Every stage (front end, pipelines, backends) reports through it.
type Error struct {
	Pos    Pos
	RuleID string // empty when the rule has no id (yet)
	Msg    string // lower-case, no trailing period
	Hint   string // what to change; may be empty
	// Warning marks a problem that does not stop compilation.
	Warning bool
}

func (e *Error) Error() string {
	s := e.Pos.String() + ": "
	if e.Warning {
		s += "warning: "
	}
	if e.RuleID != "" {
		s += "rule " + e.RuleID + ": "
	}
	s += e.Msg
	if e.Hint != "" {
		s += " (" + e.Hint + ")"
	}
	return s
}

// String prints file:line:col, leaving out the parts that are unknown.
func (p Pos) String() string {
	s := p.File
	if s == "" {
		s = "<input>"
	}
	if p.Line > 0 {
		s += fmt.Sprintf(":%d", p.Line)
		if p.Col > 0 {
			s += fmt.Sprintf(":%d", p.Col)
		}
	}
	return s
}

// Less orders positions by file, line and column.
func (p Pos) Less(q Pos) bool {
	if p.File != q.File {
		return p.File < q.File
	}
	if p.Line != q.Line {
		return p.Line < q.Line
	}
	return p.Col < q.Col
}

// Errors is a list of rule errors.
type Errors []*Error

func (es Errors) Error() string {
	s := ""
	for i, e := range es {
		if i > 0 {
			s += "\n"
		}
		s += e.Error()
	}
	return s
}

// Sort orders the errors by position, then message.
func (es Errors) Sort() {
	sort.SliceStable(es, func(i, j int) bool {
		if es[i].Pos != es[j].Pos {
			return es[i].Pos.Less(es[j].Pos)
		}
		return es[i].Msg < es[j].Msg
	})
}

// Errorf makes an Error at pos.
func Errorf(pos Pos, ruleID, format string, args ...any) *Error {
	return &Error{Pos: pos, RuleID: ruleID, Msg: fmt.Sprintf(format, args...)}
}
