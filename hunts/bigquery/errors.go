package bigquery

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	bq "cloud.google.com/go/bigquery"
	"google.golang.org/api/googleapi"
)

// QueryError is a query BigQuery refused or failed: a syntax error, a
// missing table or column, a type error, a denied permission.
type QueryError struct {
	// JobID is the job's id; empty for a dry run (it makes no job).
	JobID string
	// Reason is BigQuery's error reason (invalidQuery, notFound,
	// accessDenied, ...), when it gave one.
	Reason  string
	Message string
	Query   string
	// Line and Col locate the error in Query (1-based; 0: unknown).
	Line, Col int
	// Err is the client's error.
	Err error
}

func (e *QueryError) Error() string {
	var b strings.Builder
	b.WriteString("bigquery: ")
	if e.JobID != "" {
		fmt.Fprintf(&b, "job %s: ", e.JobID)
	} else {
		b.WriteString("dry run: ")
	}
	if e.Reason != "" {
		b.WriteString(e.Reason + ": ")
	}
	b.WriteString(e.Message)
	if line, ok := queryLine(e.Query, e.Line); ok {
		prefix := fmt.Sprintf("    %d:%d: ", e.Line, e.Col)
		b.WriteString("\n" + prefix + line)
		if e.Col > 0 && e.Col <= len(line)+1 {
			b.WriteString("\n" + strings.Repeat(" ", len(prefix)+e.Col-1) + "^")
		}
	}
	return b.String()
}

func (e *QueryError) Unwrap() error { return e.Err }

// queryLine is line n (1-based) of query. The caret under it counts
// columns in bytes, as BigQuery does for ASCII text.
func queryLine(query string, n int) (string, bool) {
	if n <= 0 {
		return "", false
	}
	lines := strings.Split(query, "\n")
	if n > len(lines) {
		return "", false
	}
	return strings.TrimRight(lines[n-1], "\r"), true
}

// positionRE finds the position BigQuery puts in an error message:
// "... at [3:14]" (BigQuery) or "... [at 3:14]" (the emulator).
var positionRE = regexp.MustCompile(`(?:at \[|\[at )(\d+):(\d+)\]`)

// queryError makes a *QueryError of an error the client returned for a
// query (jobs.insert, the job's status, jobs.getQueryResults).
func queryError(jobID, query string, err error) error {
	qe := &QueryError{JobID: jobID, Query: query, Message: err.Error(), Err: err}
	var be *bq.Error
	var ge *googleapi.Error
	switch {
	case errors.As(err, &be):
		qe.Reason, qe.Message = be.Reason, be.Message
	case errors.As(err, &ge):
		qe.Message = ge.Message
		if qe.Message == "" {
			qe.Message = fmt.Sprintf("HTTP %d", ge.Code)
		}
		if len(ge.Errors) > 0 {
			qe.Reason = ge.Errors[0].Reason
		}
	}
	qe.Message = strings.TrimSpace(qe.Message)
	if m := positionRE.FindStringSubmatch(qe.Message); m != nil {
		qe.Line, _ = strconv.Atoi(m[1])
		qe.Col, _ = strconv.Atoi(m[2])
	}
	return qe
}
