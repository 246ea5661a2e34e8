package runner

import (
	"context"
	"fmt"

	"github.com/tokenhunt/tokenhunt/hunts"
	"github.com/tokenhunt/tokenhunt/hunts/athena"
	"github.com/tokenhunt/tokenhunt/hunts/bigquery"
)

// openEngine connects to a source's cloud engine.
func openEngine(ctx context.Context, spec *hunts.Spec, src *hunts.Source) (remoteEngine, error) {
	switch src.Engine {
	case "athena":
		c := spec.Athena
		eng, err := athena.Open(ctx, athena.Config{Region: c.Region, Workgroup: c.Workgroup, Catalog: c.Catalog, Database: c.Database,
			OutputLocation: c.Output, Endpoint: c.Endpoint, PricePerTB: c.PricePerTB})
		if err != nil {
			return nil, err // it names athena
		}
		return athenaEngine{eng}, nil
	case "bigquery":
		c := spec.BigQuery
		eng, err := bigquery.Open(ctx, bigquery.Config{Project: c.Project, Location: c.Location, MaxBytes: c.MaxBytes, Endpoint: c.Endpoint, PricePerTB: c.PricePerTB})
		if err != nil {
			return nil, err // it names bigquery
		}
		return bigqueryEngine{eng}, nil
	}
	return nil, fmt.Errorf("engine %q runs no remote queries", src.Engine)
}

// athenaEngine runs queries on Athena; its window bounds are literals.
type athenaEngine struct{ e *athena.Engine }

func (a athenaEngine) Query(ctx context.Context, q string, params []Param, labels map[string]string, fn func(map[string]any) error) (QueryStats, error) {
	if len(params) > 0 {
		return QueryStats{Estimate: -1}, fmt.Errorf("athena queries take no named parameters")
	}
	st, err := a.e.Query(ctx, q, nil, fn)
	return QueryStats{ID: st.QueryID, Bytes: st.BytesScanned, Estimate: -1, Cost: st.Cost, Elapsed: st.Elapsed}, err
}

func (a athenaEngine) Estimate(context.Context, string, []Param) (int64, error) { return -1, nil }

func (a athenaEngine) Close() error { return nil }

// bigqueryEngine runs queries on BigQuery with the window as parameters.
type bigqueryEngine struct{ e *bigquery.Engine }

func params(ps []Param) []bigquery.Param {
	var out []bigquery.Param
	for _, p := range ps {
		out = append(out, bigquery.Param{Name: p.Name, Value: p.Value})
	}
	return out
}

func (b bigqueryEngine) Query(ctx context.Context, q string, ps []Param, labels map[string]string, fn func(map[string]any) error) (QueryStats, error) {
	st, err := b.e.Query(ctx, q, params(ps), labels, fn)
	return QueryStats{ID: st.JobID, Bytes: st.BytesProcessed, Estimate: st.BytesEstimated, Cost: st.Cost, Elapsed: st.Elapsed}, err
}

func (b bigqueryEngine) Estimate(ctx context.Context, q string, ps []Param) (int64, error) {
	return b.e.DryRun(ctx, q, params(ps))
}

func (b bigqueryEngine) Close() error { return b.e.Close() }
