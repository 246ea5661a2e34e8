package report

import (
	"fmt"
	"sort"

	"github.com/tokenhunt/tokenhunt/backends"
	"github.com/tokenhunt/tokenhunt/compiler"
	"github.com/tokenhunt/tokenhunt/compiler/ir"
	"github.com/tokenhunt/tokenhunt/compiler/pipeline"
	"github.com/tokenhunt/tokenhunt/compiler/sigma"
	"github.com/tokenhunt/tokenhunt/internal/redact"
)

// Query is one rule compiled for one backend: the query text, or why the
// backend cannot express the rule. Both are redacted.
type Query struct {
	Backend string
	Text    string
	Err     string
}

// CompileQueries compiles the rules (and correlations) of rulePaths with
// the pipelines (builtin names or files, as the hunt used them) for every
// backend of backends.All, and returns the queries by rule id. A rule
// that does not compile has no entry; its error is among the returned
// warnings. A pipeline that cannot be read is an error.
func CompileQueries(rulePaths, pipelines []string) (map[string][]Query, []error, error) {
	ps, err := pipeline.ResolveAll(pipelines)
	if err != nil {
		return nil, nil, err
	}
	files, err := sigma.ExpandPaths(rulePaths)
	if err != nil {
		return nil, nil, err
	}
	rules, errs := compiler.Load(files)
	set, cerrs := compiler.CompileSet(rules, ps)
	var warns []error
	for _, e := range append(errs, cerrs...) {
		if !e.Warning {
			warns = append(warns, e)
		}
	}
	out := map[string][]Query{}
	for _, r := range set.Rules {
		if r.Rule.ID == "" {
			continue
		}
		var qs []Query
		for _, be := range backends.All() {
			q, err := be.Compile(r.Rule)
			qs = append(qs, query(be.Name(), q, err))
		}
		out[r.Rule.ID] = qs
	}
	for _, c := range set.Correlations {
		if c.Correlation.ID == "" {
			continue
		}
		var qs []Query
		for _, be := range backends.All() {
			cc, ok := be.(interface {
				CompileCorrelation(*ir.Correlation) (string, error)
			})
			if !ok {
				qs = append(qs, Query{Backend: be.Name(), Err: "correlation rules are not supported by this backend"})
				continue
			}
			q, err := cc.CompileCorrelation(c.Correlation)
			qs = append(qs, query(be.Name(), q, err))
		}
		out[c.Correlation.ID] = qs
	}
	sort.Slice(warns, func(i, j int) bool { return fmt.Sprint(warns[i]) < fmt.Sprint(warns[j]) })
	return out, warns, nil
}

func query(backend, text string, err error) Query {
	if err != nil {
		return Query{Backend: backend, Err: redact.String(err.Error())}
	}
	return Query{Backend: backend, Text: redact.String(text)}
}
