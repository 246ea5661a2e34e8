package sql_test

import (
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"testing"

	"github.com/tokenhunt/tokenhunt/backends/sql"
	"github.com/tokenhunt/tokenhunt/compiler/ir"
)

// TestRegexHook: a dialect's Regex rewrites every pattern the printer
// emits (the rule's and its own), and what it cannot rewrite is an error:
// at the field for the rule's pattern, at the rule for the printer's own.
func TestRegexHook(t *testing.T) {
	d := other()
	d.Regex = func(p string) (string, error) {
		if strings.Contains(p, "lookbehind") {
			return "", fmt.Errorf("no look-behind here")
		}
		return "<" + p + ">", nil
	}
	fieldPos := ir.Pos{File: "r.yml", Line: 4, Col: 3}
	f := field("a")
	f.Pos = fieldPos
	got, err := sql.Where(d, &ir.Rule{ID: "r", Where: ir.Regex{Field: f, Pattern: "x", I: true}})
	if err != nil || got != "REGEXP_CONTAINS(`a`, '<(?i)x>')" {
		t.Errorf("regex: %s, %v", got, err)
	}
	got, err = sql.Where(d, &ir.Rule{ID: "r", Where: ir.CIDR{Field: f, Prefixes: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}}})
	if err != nil || !strings.Contains(got, "'<0*([0-9]{3})>', '$1'") || !strings.Contains(got, `'<^(25[0-5]`) {
		t.Errorf("cidr: the printer's own patterns are not rewritten, the replacement is: %s, %v", got, err)
	}
	_, err = sql.Where(d, &ir.Rule{ID: "r", Where: ir.Regex{Field: f, Pattern: "lookbehind"}})
	var ie *ir.Error
	if !errors.As(err, &ie) || ie.Pos != fieldPos || !strings.Contains(ie.Msg, "other: ") || !strings.Contains(ie.Msg, "no look-behind here") {
		t.Errorf("a pattern the dialect cannot rewrite: %v, want an error at %v naming the dialect and the reason", err, fieldPos)
	}
	d.Regex = func(p string) (string, error) { return "", fmt.Errorf("no regex at all") }
	_, err = sql.Where(d, &ir.Rule{ID: "r", Pos: fieldPos, Where: ir.Compare{Field: field("n"), Op: ir.Gt, Value: ir.NumberValue{Text: "5", Float: 5}}})
	if err == nil || !strings.Contains(err.Error(), "no regex at all") {
		t.Errorf("the printer's own pattern that the dialect cannot rewrite: %v, want an error", err)
	}
}
