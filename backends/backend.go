// Package backends lists the query backends of tokenhunt. Each backend turns
// a compiled rule (every field resolved by a pipeline) into query text for
// one engine; the list is explicit, with no registration at init time.
package backends

import (
	"github.com/tokenhunt/tokenhunt/backends/athena"
	"github.com/tokenhunt/tokenhunt/backends/bigquery"
	"github.com/tokenhunt/tokenhunt/backends/duckdb"
	"github.com/tokenhunt/tokenhunt/backends/kql"
	"github.com/tokenhunt/tokenhunt/compiler/ir"
)

// Backend compiles rules for one query engine.
type Backend interface {
	// Name is the backend's name on the command line, e.g. "duckdb".
	Name() string
	// Compile prints the rule as a query. Its errors are *ir.Error: the
	// position of the field (or the rule), the rule id, the feature the
	// backend cannot express and what to change.
	Compile(r *ir.Rule) (string, error)
}

// All returns every backend, in the order the command line lists them.
func All() []Backend {
	return []Backend{duckdb.New(), athena.New(), bigquery.New(), kql.New()}
}

// ByName returns the backend of that name.
func ByName(name string) (Backend, bool) {
	for _, b := range All() {
		if b.Name() == name {
			return b, true
		}
	}
	return nil, false
}
