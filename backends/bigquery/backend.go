package bigquery

import (
	"fmt"
	"strings"

	"github.com/tokenhunt/tokenhunt/backends/sql"
	"github.com/tokenhunt/tokenhunt/compiler/ir"
)

// Backend compiles rules to GoogleSQL for BigQuery.
type Backend struct{}

// New returns the BigQuery backend.
func New() Backend { return Backend{} }

// Name is "bigquery".
func (Backend) Name() string { return "bigquery" }

// Compile prints the rule as SELECT * FROM <table> WHERE <condition>, the
// table's dot-separated parts (dataset.table or project.dataset.table)
// each in backticks. Its errors are *ir.Error.
func (Backend) Compile(r *ir.Rule) (string, error) {
	if r != nil {
		if err := checkJSONKeys(r); err != nil {
			return "", err
		}
	}
	return sql.Select(Dialect(), r)
}

// checkJSONKeys rejects JSON keys that a GoogleSQL JSONPath cannot name: in
// a double-quoted key a backslash before a double quote escapes it, so a
// key whose backslash comes right before a quote or at its end has no
// spelling.
func checkJSONKeys(r *ir.Rule) error {
	var bad *ir.Error
	ir.Fields(r.Where, func(f ir.Field) {
		if bad != nil || f.Column == nil {
			return
		}
		for _, k := range f.Column.JSON {
			if strings.HasSuffix(k, `\`) || strings.Contains(k, `\"`) {
				pos := f.Pos
				if pos == (ir.Pos{}) {
					pos = r.Pos
				}
				bad = &ir.Error{Pos: pos, RuleID: r.ID,
					Msg:  fmt.Sprintf("bigquery: field %q: the JSON key %q cannot be written in a GoogleSQL JSONPath (a backslash before a double quote or at the end of a key)", f.Name, k),
					Hint: "map the field to a column, or to a JSON key without that backslash, in a pipeline"}
				return
			}
		}
	})
	if bad != nil {
		return bad
	}
	return nil
}
