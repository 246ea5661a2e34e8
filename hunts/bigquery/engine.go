// Package bigquery runs a hunt's queries on Google BigQuery through
// cloud.google.com/go/bigquery: the time window travels as query parameters
// (never spliced into the text), a dry run first reports the bytes the query
// would process and refuses it above a ceiling, the job carries labels (hunt,
// rule) and a location, rows stream through the row iterator as plain Go
// values, and an interrupted hunt cancels its job. Credentials are
// Application Default Credentials only.
//
// Row values, by column type:
//
//	NULL                      nil
//	STRING, GEOGRAPHY         string
//	INT64                     int64
//	FLOAT64                   float64
//	NUMERIC, BIGNUMERIC       float64
//	BOOL                      bool
//	TIMESTAMP                 time.Time in UTC
//	DATETIME                  time.Time, the wall clock read as UTC
//	DATE                      time.Time, midnight UTC
//	TIME, INTERVAL, RANGE     string (BigQuery's text form)
//	BYTES                     string, base64 (as the REST API prints it)
//	JSON                      decoded with encoding/json
//	ARRAY (REPEATED)          []any of the element values
//	STRUCT (RECORD)           map[string]any by field name
package bigquery

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"time"

	bq "cloud.google.com/go/bigquery"
	"google.golang.org/api/googleapi"
	"google.golang.org/api/iterator"
	"google.golang.org/api/option"
)

// DefaultPricePerTB is the on-demand price of a TiB processed, in USD.
const DefaultPricePerTB = 6.25

// cancelTimeout bounds the jobs.cancel call an interrupted query sends.
const cancelTimeout = 10 * time.Second

// Config says where queries run.
type Config struct {
	// Project is the project that runs (and pays for) the jobs; empty: the
	// project of the Application Default Credentials.
	Project string
	// Location is the jobs' location (US, EU, europe-west1, ...); empty:
	// BigQuery picks it from the tables the query reads.
	Location string
	// MaxBytes refuses a query whose dry run estimates more bytes
	// processed (0: no ceiling).
	MaxBytes int64
	// Endpoint is an API root for tests (the emulator). When set the client
	// sends no credentials, and a dry run the endpoint cannot answer counts
	// as "estimate unknown" instead of an error.
	Endpoint string
	// PricePerTB is the price of a TiB (2^40 bytes) billed, as Google prices
	// on-demand queries; 0: DefaultPricePerTB.
	PricePerTB float64
}

// Engine runs queries in one project.
type Engine struct {
	client *bq.Client
	cfg    Config
	// dryRun is the estimate Query checks against the ceiling; tests
	// replace it (the emulator's estimate is the size of the result).
	dryRun func(ctx context.Context, query string, params []Param) (int64, error)
}

// Open makes a client. Credentials come from Application Default Credentials
// (GOOGLE_APPLICATION_CREDENTIALS, gcloud's application-default login, the
// metadata server); nothing else is read.
func Open(ctx context.Context, cfg Config) (*Engine, error) {
	if cfg.PricePerTB == 0 {
		cfg.PricePerTB = DefaultPricePerTB
	}
	if cfg.PricePerTB < 0 {
		return nil, fmt.Errorf("bigquery: price per TiB %g is negative", cfg.PricePerTB)
	}
	if cfg.MaxBytes < 0 {
		return nil, fmt.Errorf("bigquery: max bytes %d is negative (0 means no ceiling)", cfg.MaxBytes)
	}
	project := cfg.Project
	if project == "" {
		if cfg.Endpoint != "" {
			return nil, errors.New("bigquery: no project: set bigquery.project in the hunt spec")
		}
		project = bq.DetectProjectID
	}
	var opts []option.ClientOption
	if cfg.Endpoint != "" {
		opts = append(opts, option.WithEndpoint(cfg.Endpoint), option.WithoutAuthentication())
	}
	client, err := bq.NewClient(ctx, project, opts...)
	if err != nil {
		return nil, fmt.Errorf("%w (credentials come from Application Default Credentials: run `gcloud auth application-default login` or set GOOGLE_APPLICATION_CREDENTIALS)", err)
	}
	client.Location = cfg.Location
	e := &Engine{client: client, cfg: cfg}
	e.dryRun = e.DryRun
	return e, nil
}

// Close releases the client.
func (e *Engine) Close() error { return e.client.Close() }

// Param is a named query parameter (@name in the query). Values:
// time.Time (TIMESTAMP, sent in UTC), string, int64, int, float64, bool, and
// []string, []int64, []float64 (ARRAY).
type Param struct {
	Name  string
	Value any
}

// Stats describe one query.
type Stats struct {
	JobID string
	// BytesProcessed is what the job processed; BytesEstimated what the dry
	// run said it would (-1: unknown, only against an Endpoint).
	BytesProcessed, BytesEstimated int64
	// Cost is the bytes billed priced at Config.PricePerTB.
	Cost    float64
	Elapsed time.Duration
}

var paramNameRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// queryParams checks params and turns them into the client's parameters.
func queryParams(params []Param) ([]bq.QueryParameter, error) {
	out := make([]bq.QueryParameter, 0, len(params))
	seen := map[string]bool{}
	for _, p := range params {
		if !paramNameRE.MatchString(p.Name) {
			return nil, fmt.Errorf("bigquery: query parameter name %q is not an identifier (letters, digits, underscores; not starting with a digit)", p.Name)
		}
		if seen[p.Name] {
			return nil, fmt.Errorf("bigquery: query parameter @%s is given twice", p.Name)
		}
		seen[p.Name] = true
		v := p.Value
		switch x := v.(type) {
		case time.Time:
			v = x.UTC()
		case string, int64, int, float64, bool, []string, []int64, []float64:
		case nil:
			return nil, fmt.Errorf("bigquery: query parameter @%s has no value", p.Name)
		default:
			return nil, fmt.Errorf("bigquery: query parameter @%s has a value of type %T; use time.Time, string, int64, float64, bool or a slice of string, int64 or float64", p.Name, p.Value)
		}
		out = append(out, bq.QueryParameter{Name: p.Name, Value: v})
	}
	return out, nil
}

// newQuery is a GoogleSQL query with its parameters, labels and location.
func (e *Engine) newQuery(query string, params []bq.QueryParameter, labels map[string]string) *bq.Query {
	q := e.client.Query(query)
	q.Parameters = params
	q.Labels = labels
	q.Location = e.cfg.Location
	return q
}

// DryRun asks BigQuery how many bytes query would process. An error in the
// query is a *QueryError.
func (e *Engine) DryRun(ctx context.Context, query string, params []Param) (int64, error) {
	qp, err := queryParams(params)
	if err != nil {
		return 0, err
	}
	return e.dryRunQuery(ctx, query, qp, nil)
}

// ErrEstimateUnknown is a dry run an emulator (Config.Endpoint) cannot
// answer; DryRun's error wraps it, and Query then runs with the estimate
// unknown. Against BigQuery itself a failed dry run is always an error.
var ErrEstimateUnknown = errors.New("the endpoint gave no dry-run estimate")

func (e *Engine) dryRunQuery(ctx context.Context, query string, params []bq.QueryParameter, labels map[string]string) (int64, error) {
	q := e.newQuery(query, params, labels)
	q.DryRun = true
	job, err := q.Run(ctx)
	if err != nil {
		if ctx.Err() != nil {
			return 0, ctx.Err()
		}
		if e.cfg.Endpoint != "" && unsupported(err) {
			return 0, fmt.Errorf("bigquery: dry run at %s: %w: %v", e.cfg.Endpoint, ErrEstimateUnknown, err)
		}
		return 0, queryError("", query, err)
	}
	st := job.LastStatus()
	if st == nil || st.Statistics == nil {
		if e.cfg.Endpoint != "" {
			return 0, fmt.Errorf("bigquery: dry run at %s: %w", e.cfg.Endpoint, ErrEstimateUnknown)
		}
		return 0, errors.New("bigquery: the dry run returned no statistics")
	}
	if err := st.Err(); err != nil {
		return 0, queryError("", query, err)
	}
	return st.Statistics.TotalBytesProcessed, nil
}

// unsupported reports whether an API error says the endpoint does not
// implement the call (rather than that the query is wrong).
func unsupported(err error) bool {
	var ge *googleapi.Error
	if !errors.As(err, &ge) {
		return false
	}
	switch ge.Code {
	case http.StatusNotFound, http.StatusMethodNotAllowed, http.StatusNotImplemented:
		return true
	}
	return false
}

// CeilingError is a query refused because its dry run estimates more bytes
// than Config.MaxBytes.
type CeilingError struct {
	Estimate, Ceiling int64
}

func (e *CeilingError) Error() string {
	return fmt.Sprintf("bigquery: the dry run estimates %s processed, above the ceiling of %s; the query did not run (narrow the hunt's window or sources, or raise bigquery.max_bytes in the hunt spec)",
		formatBytes(e.Estimate), formatBytes(e.Ceiling))
}

// formatBytes prints a size in the units BigQuery bills (GiB, TiB) with the
// exact count.
func formatBytes(n int64) string {
	units := []struct {
		name string
		size float64
	}{{"PiB", 1 << 50}, {"TiB", 1 << 40}, {"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}}
	for _, u := range units {
		if float64(n) >= u.size {
			return fmt.Sprintf("%.1f %s (%d bytes)", float64(n)/u.size, u.name, n)
		}
	}
	return fmt.Sprintf("%d bytes", n)
}

// checkCeiling refuses an estimate above the ceiling (0: none; a negative
// estimate is unknown).
func checkCeiling(estimate, ceiling int64) error {
	if ceiling > 0 && estimate > ceiling {
		return &CeilingError{Estimate: estimate, Ceiling: ceiling}
	}
	return nil
}

// Query dry-runs query first, refusing it (a *CeilingError) when the estimate
// is above Config.MaxBytes, then runs it with the labels (sanitised to
// BigQuery's label rules) and calls fn with each row, column name to value.
// Values are nil, string, int64, float64, bool, time.Time (UTC), []any for
// arrays and map[string]any for structs (the package doc has the table).
// An error in the query is a *QueryError; an error fn returns stops the
// rows and is returned as is. When ctx ends, the job is cancelled and
// Query returns ctx.Err().
func (e *Engine) Query(ctx context.Context, query string, params []Param, labels map[string]string, fn func(map[string]any) error) (Stats, error) {
	start := time.Now()
	stats, err := e.query(ctx, query, params, labels, fn)
	stats.Elapsed = time.Since(start)
	return stats, err
}

func (e *Engine) query(ctx context.Context, query string, params []Param, labels map[string]string, fn func(map[string]any) error) (Stats, error) {
	stats := Stats{BytesEstimated: -1}
	if fn == nil {
		return stats, errors.New("bigquery: Query needs a function to call with each row")
	}
	qp, err := queryParams(params)
	if err != nil {
		return stats, err
	}
	lbl, err := SanitizeLabels(labels)
	if err != nil {
		return stats, err
	}
	est, err := e.dryRun(ctx, query, params)
	switch {
	case err == nil:
		stats.BytesEstimated = est
		if err := checkCeiling(est, e.cfg.MaxBytes); err != nil {
			return stats, err
		}
	case ctx.Err() != nil:
		return stats, ctx.Err()
	case e.cfg.Endpoint != "" && errors.Is(err, ErrEstimateUnknown):
		// An emulator without dry runs: run with the estimate unknown.
	default:
		return stats, err
	}

	id, err := newJobID()
	if err != nil {
		return stats, err
	}
	stats.JobID = id
	q := e.newQuery(query, qp, lbl)
	q.JobID = id
	job, err := q.Run(ctx)
	if err != nil {
		if ctx.Err() != nil {
			// The insert may have reached BigQuery before ctx ended.
			e.cancelByID(id)
			return stats, ctx.Err()
		}
		return stats, queryError(id, query, err)
	}
	st, err := job.Wait(ctx)
	if err != nil {
		if ctx.Err() != nil {
			e.cancel(job)
			return stats, ctx.Err()
		}
		return stats, queryError(id, query, err)
	}
	if err := st.Err(); err != nil {
		return stats, queryError(id, query, err)
	}
	if s := st.Statistics; s != nil {
		stats.BytesProcessed = s.TotalBytesProcessed
		billed := s.TotalBytesProcessed
		if qs, ok := s.Details.(*bq.QueryStatistics); ok && qs.TotalBytesBilled > 0 {
			billed = qs.TotalBytesBilled
		}
		stats.Cost = float64(billed) / (1 << 40) * e.cfg.PricePerTB
	}
	it, err := job.Read(ctx)
	if err != nil {
		if ctx.Err() != nil {
			e.cancel(job)
			return stats, ctx.Err()
		}
		return stats, queryError(id, query, err)
	}
	for {
		var row []bq.Value
		err := it.Next(&row)
		if err == iterator.Done {
			break
		}
		if ctx.Err() != nil {
			e.cancel(job)
			return stats, ctx.Err()
		}
		if err != nil {
			return stats, fmt.Errorf("bigquery: job %s: reading rows: %w", id, err)
		}
		m, err := rowMap(it.Schema, row)
		if err != nil {
			return stats, fmt.Errorf("bigquery: job %s: %w", id, err)
		}
		if err := fn(m); err != nil {
			if ctx.Err() != nil {
				e.cancel(job)
				return stats, ctx.Err()
			}
			return stats, err
		}
	}
	return stats, nil
}

// cancel asks BigQuery to stop a job, with a fresh short context (the
// query's own has ended). Cancelling is best effort: the query's outcome is
// already ctx.Err().
func (e *Engine) cancel(job *bq.Job) {
	ctx, stop := context.WithTimeout(context.Background(), cancelTimeout)
	defer stop()
	_ = job.Cancel(ctx)
}

// cancelByID cancels a job whose insert was interrupted: it may or may not
// exist.
func (e *Engine) cancelByID(id string) {
	ctx, stop := context.WithTimeout(context.Background(), cancelTimeout)
	defer stop()
	job, err := e.client.JobFromIDLocation(ctx, id, e.cfg.Location)
	if err != nil {
		return
	}
	_ = job.Cancel(ctx)
}

// newJobID makes a job id on the client side, so that a job whose insert
// was interrupted can still be cancelled by id.
func newJobID() (string, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("bigquery: job id: %w", err)
	}
	return "tokenhunt_" + hex.EncodeToString(b[:]), nil
}
