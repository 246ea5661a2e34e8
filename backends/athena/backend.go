package athena

import (
	"fmt"

	"github.com/tokenhunt/tokenhunt/backends/sql"
	"github.com/tokenhunt/tokenhunt/compiler/ir"
)

// MaxQueryBytes is the longest query string Athena accepts, in bytes of
// UTF-8, a quota that cannot be raised
// (https://docs.aws.amazon.com/athena/latest/ug/service-limits.html).
const MaxQueryBytes = 262144

// Backend compiles rules to Trino SQL for Amazon Athena (engine version 3).
type Backend struct{}

// New returns the Athena backend.
func New() Backend { return Backend{} }

// Name is "athena".
func (Backend) Name() string { return "athena" }

// Compile prints the rule as SELECT * FROM <table> WHERE <condition>. Its
// errors are *ir.Error, among them a query longer than Athena accepts.
func (Backend) Compile(r *ir.Rule) (string, error) {
	q, err := sql.Select(Dialect(), r)
	if err != nil {
		return "", err
	}
	if len(q) > MaxQueryBytes {
		return "", &ir.Error{Pos: r.Pos, RuleID: r.ID,
			Msg:  fmt.Sprintf("athena: the query is %d bytes long, more than the %d bytes Athena accepts", len(q), MaxQueryBytes),
			Hint: "split the rule into smaller rules"}
	}
	return q, nil
}
