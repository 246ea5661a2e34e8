// Package compiler ties tokenhunt's stages together: it loads Sigma rules
// (package sigma), lowers them to IR (package ir) and applies processing
// pipelines (package pipeline). Backends then print the resulting rules.
//
//	rule files ──sigma──▶ IR ──pipeline──▶ IR' ──backend──▶ query text
package compiler

import (
	"errors"

	"github.com/tokenhunt/tokenhunt/compiler/ir"
	"github.com/tokenhunt/tokenhunt/compiler/pipeline"
	"github.com/tokenhunt/tokenhunt/compiler/sigma"
)

// Result is one compiled rule: its source and its IR after the pipelines.
type Result struct {
	Source *sigma.Rule
	Rule   *ir.Rule
}

// Load expands paths (files, folders, globs) and parses every rule in them.
func Load(paths []string) ([]*sigma.Rule, ir.Errors) {
	files, err := sigma.ExpandPaths(paths)
	if err != nil {
		return nil, ir.Errors{{Msg: err.Error()}}
	}
	if len(files) == 0 {
		return nil, ir.Errors{{Msg: "no rule files (*.yml, *.yaml) found", Hint: "name rule files, folders or globs"}}
	}
	return sigma.LoadFiles(files)
}

// Compile lowers each detection rule (with the filters that name it) and
// applies the pipelines. A rule that fails does not stop the others; all
// errors are returned sorted by position. Correlations are linked and
// checked too, but only CompileSet returns them.
func Compile(rules []*sigma.Rule, ps pipeline.Set) ([]*Result, ir.Errors) {
	set, errs := CompileSet(rules, ps)
	return set.Rules, errs
}

// asErrors turns any error into positioned rule errors.
func asErrors(err error, r *sigma.Rule) ir.Errors {
	var list ir.Errors
	if errors.As(err, &list) {
		return list
	}
	var one *ir.Error
	if errors.As(err, &one) {
		return ir.Errors{one}
	}
	return ir.Errors{{Pos: r.Pos, RuleID: r.ID, Msg: err.Error()}}
}

// LowerOnly lowers every rule without pipelines and returns the errors: a
// check of everything the rule itself decides.
func LowerOnly(rules []*sigma.Rule) ir.Errors {
	var errs ir.Errors
	for _, r := range rules {
		switch r.Kind {
		case sigma.Detection:
			_, es := sigma.Lower(r, lenientVars)
			errs = append(errs, es...)
		case sigma.Filter:
			_, es := sigma.LowerFilter(r, lenientVars)
			errs = append(errs, es...)
		}
	}
	return errs
}

// lenientVars resolves every |expand placeholder, for checks made without
// a pipeline: a placeholder is only an error once a pipeline should define it.
func lenientVars(name string) ([]string, bool) { return []string{"%" + name + "%"}, true }

// Check reports rule-set problems: missing and duplicate ids, unused
// selections.
func Check(rules []*sigma.Rule) ir.Errors { return sigma.Check(rules) }
