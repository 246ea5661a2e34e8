// Package athena runs hunt queries on Amazon Athena: it starts a query in a
// workgroup, polls it with backoff until it ends, pages through its results
// with values typed by the result metadata, stops it when the caller's
// context ends, and reports the bytes it scanned and what they cost.
//
// Values are typed by the result metadata (ColumnInfo.Type):
// varchar/char/string -> string; bigint/integer/smallint/tinyint -> int64;
// double/float/real/decimal -> float64; boolean -> bool; timestamp,
// timestamp with time zone and date -> time.Time in UTC; json -> decoded
// with encoding/json (arrays are best cast to JSON in the query: Athena
// prints them as "[a, b]" text that cannot be split safely); any other
// type -> the text as Athena prints it; NULL -> nil.
//
// Credentials come from the standard AWS chain only (environment, shared
// config and credentials files, SSO, web identity, container and instance
// roles); nothing here reads keys from a hunt spec.
package athena

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/athena"
	"github.com/aws/aws-sdk-go-v2/service/athena/types"
)

// Defaults of Config.
const (
	DefaultPollInterval    = 250 * time.Millisecond
	DefaultMaxPollInterval = 5 * time.Second
	DefaultPricePerTB      = 5.0
	DefaultMaxAttempts     = 8
)

const (
	// minBilledBytes is Athena's minimum charge per query (10 MB); the
	// scanned bytes are rounded up to whole megabytes.
	minBilledBytes = 10 * megabyte
	megabyte       = 1_000_000
	terabyte       = 1e12
	pageSize       = 1000
	// stopTimeout bounds StopQueryExecution after the caller's context ended.
	stopTimeout = 10 * time.Second
)

// Config says where queries run.
type Config struct {
	Region, Workgroup, Catalog, Database string
	// OutputLocation is the S3 result location (s3://bucket/prefix/);
	// empty uses the workgroup's.
	OutputLocation string
	// Endpoint is a base URL that replaces AWS's (tests); empty = AWS.
	Endpoint string
	// PollInterval is the first wait between status checks, doubling up to
	// MaxPollInterval (defaults 250ms and 5s). The same backoff spaces the
	// retries of throttled requests.
	PollInterval, MaxPollInterval time.Duration
	// PricePerTB is the price of a terabyte (1e12 bytes) scanned, in USD
	// (default 5.0). Athena bills at least 10 MB per query.
	PricePerTB float64
	// MaxAttempts bounds the attempts of one API request that is throttled
	// or fails transiently (default 8).
	MaxAttempts int
}

// Engine runs queries on Athena. It is safe for concurrent use.
type Engine struct {
	client        *athena.Client
	cfg           Config
	poll, maxPoll time.Duration
}

// Stats describes one query execution.
type Stats struct {
	QueryID      string
	BytesScanned int64
	// Cost is the estimated price in USD of the bytes scanned (0 for a
	// failed query, which Athena does not bill, and for reused results).
	Cost float64
	// Elapsed is the wall-clock time of Query, results included.
	Elapsed time.Duration
	// State is Athena's final state: SUCCEEDED, FAILED or CANCELLED (empty
	// when the query never started or was abandoned).
	State string
}

// Open resolves credentials and region with the standard AWS chain
// (cfg.Region, when set, overrides the chain's region) and returns an
// engine. It fails when no region or no credentials can be found.
func Open(ctx context.Context, cfg Config) (*Engine, error) {
	if cfg.PollInterval <= 0 {
		cfg.PollInterval = DefaultPollInterval
	}
	if cfg.MaxPollInterval <= 0 {
		cfg.MaxPollInterval = DefaultMaxPollInterval
	}
	if cfg.MaxPollInterval < cfg.PollInterval {
		cfg.MaxPollInterval = cfg.PollInterval
	}
	if cfg.PricePerTB <= 0 {
		cfg.PricePerTB = DefaultPricePerTB
	}
	if cfg.MaxAttempts <= 0 {
		cfg.MaxAttempts = DefaultMaxAttempts
	}
	var opts []func(*config.LoadOptions) error
	if cfg.Region != "" {
		opts = append(opts, config.WithRegion(cfg.Region))
	}
	awsCfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("athena: loading the AWS configuration: %w", err)
	}
	if awsCfg.Region == "" {
		return nil, errors.New("athena: no AWS region: set region in the hunt spec, or AWS_REGION, or region in the AWS config file")
	}
	if awsCfg.Credentials == nil {
		return nil, errors.New("athena: no AWS credentials in the standard chain")
	}
	if _, err := awsCfg.Credentials.Retrieve(ctx); err != nil {
		return nil, fmt.Errorf("athena: no AWS credentials from the standard chain (environment, shared config and credentials files, SSO, web identity, container or instance role): %w", err)
	}
	e := &Engine{cfg: cfg, poll: cfg.PollInterval, maxPoll: cfg.MaxPollInterval}
	e.client = athena.NewFromConfig(awsCfg, func(o *athena.Options) {
		if cfg.Endpoint != "" {
			o.BaseEndpoint = aws.String(cfg.Endpoint)
		}
		o.Retryer = retry.NewStandard(func(so *retry.StandardOptions) {
			so.MaxAttempts = cfg.MaxAttempts
			so.Backoff = retry.BackoffDelayerFunc(func(attempt int, _ error) (time.Duration, error) {
				return jitter(e.backoff(attempt)), nil
			})
		})
	})
	return e, nil
}

// backoff is the n-th wait (n from 1): PollInterval doubled n-1 times, at
// most MaxPollInterval.
func (e *Engine) backoff(n int) time.Duration {
	d := e.poll
	for i := 1; i < n && d < e.maxPoll; i++ {
		d *= 2
	}
	return min(d, e.maxPoll)
}

// jitter spreads d over [d/2, d].
func jitter(d time.Duration) time.Duration {
	if d < 2 {
		return d
	}
	return d/2 + rand.N(d/2+1)
}

// Query runs one query and calls fn for each row (column name -> value,
// typed by the result metadata as the package says). params are
// the ExecutionParameters for the positional ? of the query, already SQL
// literals as Athena wants them.
//
// A query that Athena refuses or that ends FAILED or CANCELLED returns a
// *QueryError. When ctx ends while the query runs, the query is stopped
// (StopQueryExecution) and ctx.Err() is returned. An error from fn ends
// the paging and is returned as is. Stats hold what is known in every case.
func (e *Engine) Query(ctx context.Context, query string, params []string, fn func(map[string]any) error) (Stats, error) {
	start := time.Now()
	st, err := e.query(ctx, query, params, fn)
	st.Elapsed = time.Since(start)
	return st, err
}

func (e *Engine) query(ctx context.Context, query string, params []string, fn func(map[string]any) error) (Stats, error) {
	var st Stats
	in := &athena.StartQueryExecutionInput{QueryString: aws.String(query)}
	if len(params) > 0 {
		in.ExecutionParameters = params
	}
	if e.cfg.Workgroup != "" {
		in.WorkGroup = aws.String(e.cfg.Workgroup)
	}
	if e.cfg.Catalog != "" || e.cfg.Database != "" {
		in.QueryExecutionContext = &types.QueryExecutionContext{}
		if e.cfg.Catalog != "" {
			in.QueryExecutionContext.Catalog = aws.String(e.cfg.Catalog)
		}
		if e.cfg.Database != "" {
			in.QueryExecutionContext.Database = aws.String(e.cfg.Database)
		}
	}
	if e.cfg.OutputLocation != "" {
		in.ResultConfiguration = &types.ResultConfiguration{OutputLocation: aws.String(e.cfg.OutputLocation)}
	}
	out, err := e.client.StartQueryExecution(ctx, in)
	if err != nil {
		if ctx.Err() != nil {
			return st, ctx.Err()
		}
		return st, startError(err, query)
	}
	st.QueryID = aws.ToString(out.QueryExecutionId)
	if st.QueryID == "" {
		return st, errors.New("athena: StartQueryExecution returned no query execution id")
	}

	qe, err := e.wait(ctx, st.QueryID)
	if err != nil {
		return st, err
	}
	st.State = string(qe.Status.State)
	if s := qe.Statistics; s != nil {
		st.BytesScanned = aws.ToInt64(s.DataScannedInBytes)
		reused := s.ResultReuseInformation != nil && s.ResultReuseInformation.ReusedPreviousResult
		if qe.Status.State != types.QueryExecutionStateFailed && !reused {
			st.Cost = cost(st.BytesScanned, e.cfg.PricePerTB, qe.Status.State == types.QueryExecutionStateSucceeded)
		}
	}
	if qe.Status.State != types.QueryExecutionStateSucceeded {
		return st, failure(st.QueryID, query, qe.Status)
	}
	header := qe.StatementType == types.StatementTypeDml
	return st, e.results(ctx, st.QueryID, header, qe.StatementType == "", fn)
}

// cost prices bytes scanned: rounded up to whole megabytes, at least 10 MB
// when the query succeeded (a cancelled query pays for what it scanned).
func cost(bytes int64, pricePerTB float64, succeeded bool) float64 {
	if bytes <= 0 && !succeeded {
		return 0
	}
	billed := (bytes + megabyte - 1) / megabyte * megabyte
	billed = max(billed, minBilledBytes)
	return float64(billed) * pricePerTB / terabyte
}

// wait polls the query with backoff until it ends. When ctx ends first it
// stops the query and returns ctx.Err(); when polling fails it stops the
// query too (it would run on unseen and be billed) and returns the error.
func (e *Engine) wait(ctx context.Context, id string) (*types.QueryExecution, error) {
	for n := 1; ; n++ {
		out, err := e.client.GetQueryExecution(ctx, &athena.GetQueryExecutionInput{QueryExecutionId: aws.String(id)})
		if err != nil {
			if ctx.Err() != nil {
				return nil, e.stop(ctx, id, ctx.Err())
			}
			return nil, e.stop(ctx, id, fmt.Errorf("athena query %s: checking its status: %w", id, err))
		}
		qe := out.QueryExecution
		if qe == nil || qe.Status == nil {
			return nil, e.stop(ctx, id, fmt.Errorf("athena query %s: GetQueryExecution returned no status", id))
		}
		switch qe.Status.State {
		case types.QueryExecutionStateSucceeded, types.QueryExecutionStateFailed, types.QueryExecutionStateCancelled:
			return qe, nil
		}
		t := time.NewTimer(e.backoff(n))
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, e.stop(ctx, id, ctx.Err())
		case <-t.C:
		}
	}
}

// stop asks Athena to stop the query, with a fresh short context (ctx may
// have ended), and returns cause, noting a failure to stop.
func (e *Engine) stop(ctx context.Context, id string, cause error) error {
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), stopTimeout)
	defer cancel()
	if _, err := e.client.StopQueryExecution(sctx, &athena.StopQueryExecutionInput{QueryExecutionId: aws.String(id)}); err != nil {
		return fmt.Errorf("%w (stopping athena query %s failed too: %v)", cause, id, err)
	}
	return cause
}

// results pages through the results of a finished query. header: the first
// row of the first page holds the column names (a SELECT); maybeHeader:
// the statement type is unknown, skip that row only when it equals the
// column names.
func (e *Engine) results(ctx context.Context, id string, header, maybeHeader bool, fn func(map[string]any) error) error {
	var cols []column
	var token *string
	for page := 0; ; page++ {
		out, err := e.client.GetQueryResults(ctx, &athena.GetQueryResultsInput{
			QueryExecutionId: aws.String(id),
			MaxResults:       aws.Int32(pageSize),
			NextToken:        token,
		})
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return fmt.Errorf("athena query %s: reading results page %d: %w", id, page+1, err)
		}
		rs := out.ResultSet
		if rs == nil {
			return fmt.Errorf("athena query %s: results page %d has no result set", id, page+1)
		}
		rows := rs.Rows
		if page == 0 {
			if rs.ResultSetMetadata == nil {
				return fmt.Errorf("athena query %s: results have no column metadata", id)
			}
			cols = columns(rs.ResultSetMetadata.ColumnInfo)
			if len(rows) > 0 && (header || maybeHeader && isHeader(rows[0], cols)) {
				rows = rows[1:]
			}
		}
		for _, r := range rows {
			m, err := rowValues(r, cols)
			if err != nil {
				return fmt.Errorf("athena query %s: %w", id, err)
			}
			if err := fn(m); err != nil {
				return err
			}
		}
		token = out.NextToken
		if aws.ToString(token) == "" {
			return nil
		}
		if err := ctx.Err(); err != nil {
			return err
		}
	}
}
