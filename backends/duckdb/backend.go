package duckdb

import (
	"github.com/tokenhunt/tokenhunt/backends/sql"
	"github.com/tokenhunt/tokenhunt/compiler/ir"
)

// Backend compiles rules to DuckDB SQL.
type Backend struct{}

// New returns the DuckDB backend.
func New() Backend { return Backend{} }

// Name is "duckdb".
func (Backend) Name() string { return "duckdb" }

// Compile prints the rule as SELECT * FROM <table> WHERE <condition>. Its
// errors are *ir.Error.
func (Backend) Compile(r *ir.Rule) (string, error) { return sql.Select(Dialect(), r) }
