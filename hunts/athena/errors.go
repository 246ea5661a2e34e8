package athena

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/athena/types"
)

// StateRejected is the State of a QueryError for a query that
// StartQueryExecution refused (InvalidRequestException): it never ran and
// has no query id.
const StateRejected = "REJECTED"

// QueryError is a query that Athena refused, or that ended FAILED or
// CANCELLED.
type QueryError struct {
	QueryID string
	State   string // FAILED, CANCELLED or StateRejected
	// Reason is Athena's StateChangeReason (or the AthenaError message, or
	// the InvalidRequestException message).
	Reason string
	Query  string
	// Line and Col locate a syntax or analysis error in Query ("line 3:14:
	// ..." in Reason); 0 when Reason names no position.
	Line, Col int
	// Category is Athena's error category: "system", "user" or "other"
	// (empty when Athena gave none); Retryable is its advice.
	Category  string
	Retryable bool
}

func (e *QueryError) Error() string {
	var b strings.Builder
	switch e.State {
	case StateRejected:
		b.WriteString("athena refused the query: ")
	case string(types.QueryExecutionStateCancelled):
		fmt.Fprintf(&b, "athena query %s was cancelled: ", e.QueryID)
	default:
		fmt.Fprintf(&b, "athena query %s failed: ", e.QueryID)
	}
	reason := e.Reason
	if reason == "" {
		reason = "no reason given"
	}
	b.WriteString(reason)
	if e.Line > 0 {
		lines := strings.Split(e.Query, "\n")
		if e.Line <= len(lines) {
			line := strings.TrimRight(lines[e.Line-1], "\r")
			fmt.Fprintf(&b, "\n%5d | %s", e.Line, line)
			if e.Col > 0 {
				var pad strings.Builder
				for i, r := range []rune(line) {
					if i >= e.Col-1 {
						break
					}
					if r == '\t' {
						pad.WriteByte('\t')
					} else {
						pad.WriteByte(' ')
					}
				}
				fmt.Fprintf(&b, "\n      | %s^", pad.String())
			}
		}
	}
	return b.String()
}

// position finds "line L:C" in Trino's messages ("line 3:14: mismatched
// input ...", "COLUMN_NOT_FOUND: line 1:8: Column 'x' cannot be resolved").
var position = regexp.MustCompile(`\bline (\d+):(\d+)\b`)

func locate(e *QueryError) {
	m := position.FindStringSubmatch(e.Reason)
	if m == nil {
		return
	}
	e.Line, _ = strconv.Atoi(m[1])
	e.Col, _ = strconv.Atoi(m[2])
}

// failure is the QueryError of a query that ended FAILED or CANCELLED.
func failure(id, query string, st *types.QueryExecutionStatus) *QueryError {
	e := &QueryError{QueryID: id, State: string(st.State), Reason: aws.ToString(st.StateChangeReason), Query: query}
	if ae := st.AthenaError; ae != nil {
		if e.Reason == "" {
			e.Reason = aws.ToString(ae.ErrorMessage)
		}
		switch aws.ToInt32(ae.ErrorCategory) {
		case 1:
			e.Category = "system"
		case 2:
			e.Category = "user"
		case 3:
			e.Category = "other"
		}
		e.Retryable = ae.Retryable
	}
	locate(e)
	return e
}

// startError turns StartQueryExecution's InvalidRequestException into a
// QueryError (the query is at fault) and wraps any other error.
func startError(err error, query string) error {
	var inv *types.InvalidRequestException
	if errors.As(err, &inv) {
		e := &QueryError{State: StateRejected, Reason: inv.ErrorMessage(), Query: query, Category: "user"}
		if code := aws.ToString(inv.AthenaErrorCode); code != "" {
			e.Reason = code + ": " + e.Reason
		}
		locate(e)
		return e
	}
	return fmt.Errorf("athena: starting the query: %w", err)
}
