// Package simparquet converts the JSON logs a simulation writes
// (internal/simulate) into the day-partitioned Parquet that hunts read, with
// hunts/ingest, so that the simulator itself stays free of DuckDB:
//
//	OUT/parquet/cloudtrail/year=YYYY/month=MM/day=DD/part-NNNN.parquet
//	OUT/parquet/entra-signin/SigninLogs/year=…/…
//	OUT/parquet/entra-signin/AADNonInteractiveUserSignInLogs/year=…/…
//	OUT/parquet/gcp-audit/year=…/…   (activity and data_access together)
//
// The two Entra sign-in tables get a folder each because the entra-duckdb
// pipeline reads them as two tables. Proxy lines and CI build logs have no
// ingest kind: hunts read their JSON lines as written.
package simparquet

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/tokenhunt/tokenhunt/hunts/ingest"
)

// Output is one conversion: the simulation's folder In (relative to the
// simulation's output folder) ingested as Kind into Out (relative too),
// which the pipeline reads as Table.
type Output struct {
	Kind     ingest.Kind
	In, Out  string
	Pipeline string
	Table    string
}

// Outputs lists the conversions Convert makes, in order.
func Outputs() []Output {
	return []Output{
		{Kind: ingest.CloudTrail, In: "AWSLogs", Out: "parquet/cloudtrail", Pipeline: "cloudtrail-duckdb", Table: "cloudtrail"},
		{Kind: ingest.EntraSignIn, In: "entra/SigninLogs", Out: "parquet/entra-signin/SigninLogs", Pipeline: "entra-duckdb", Table: "SigninLogs"},
		{Kind: ingest.EntraSignIn, In: "entra/AADNonInteractiveUserSignInLogs", Out: "parquet/entra-signin/AADNonInteractiveUserSignInLogs", Pipeline: "entra-duckdb", Table: "AADNonInteractiveUserSignInLogs"},
		{Kind: ingest.GCPAudit, In: "gcp", Out: "parquet/gcp-audit", Pipeline: "gcp-duckdb", Table: "gcp_audit"},
	}
}

// Result is what one conversion wrote.
type Result struct {
	Output
	// Records are the records written; Files the Parquet files.
	Records, Files int
}

// Convert ingests the logs of the simulation in dir into dir/parquet,
// replacing a previous conversion there. Logs the simulation did not write
// (a cloud left out) are skipped. A record ingest rejects is an error: the
// simulator writes none.
func Convert(ctx context.Context, dir string) ([]Result, error) {
	if err := os.RemoveAll(filepath.Join(dir, "parquet")); err != nil {
		return nil, fmt.Errorf("parquet: %w", err)
	}
	var out []Result
	for _, o := range Outputs() {
		in := filepath.Join(dir, filepath.FromSlash(o.In))
		if _, err := os.Stat(in); os.IsNotExist(err) {
			continue
		}
		rep, err := ingest.Run(ctx, ingest.Options{Kind: o.Kind, Out: filepath.Join(dir, filepath.FromSlash(o.Out))}, []string{in})
		if err != nil {
			return out, fmt.Errorf("parquet %s: %w", o.Out, err)
		}
		for _, f := range rep.Files {
			if f.Err != nil {
				return out, fmt.Errorf("parquet %s: %s: %w", o.Out, f.Path, f.Err)
			}
			if f.Rejected > 0 {
				reason := ""
				if len(f.Rejects) > 0 {
					reason = fmt.Sprintf(" (line %d: %s)", f.Rejects[0].Line, f.Rejects[0].Reason)
				}
				return out, fmt.Errorf("parquet %s: %s: %d records rejected%s", o.Out, f.Path, f.Rejected, reason)
			}
		}
		_, written, _ := rep.Totals()
		out = append(out, Result{Output: o, Records: written, Files: len(rep.Outputs)})
	}
	return out, nil
}
