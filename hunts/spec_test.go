package hunts_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tokenhunt/tokenhunt/compiler/ir"
	"github.com/tokenhunt/tokenhunt/hunts"
)

func TestParseExample(t *testing.T) {
	s, err := hunts.Load("examples/aws-nightly.yml")
	if err != nil {
		t.Fatal(err)
	}
	abs := func(p string) string { return filepath.Join("examples", p) }
	want := &hunts.Spec{
		Name:  "aws-nightly",
		Rules: hunts.RuleSelection{Paths: []string{abs("../../rules/aws")}, Level: "informational"},
		Sources: []hunts.Source{{
			Name: "cloudtrail", Logsource: ir.Logsource{Product: "aws", Service: "cloudtrail"}, Pipeline: "cloudtrail",
			Paths:  []string{abs("../../data/cloudtrail/**/*.parquet")},
			Engine: "duckdb",
			Pos:    ir.Pos{File: "examples/aws-nightly.yml", Line: 10, Col: 5},
		}},
		Engine:   "duckdb",
		Settle:   15 * time.Minute,
		Start:    time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC),
		Timeout:  10 * time.Minute,
		OutDir:   abs("../../out/aws-nightly"),
		StateDir: filepath.Join(abs("../../out/aws-nightly"), "state"),
		Schedule: "0 2 * * *",
		File:     "examples/aws-nightly.yml",
	}
	if diff := cmp.Diff(want, s); diff != "" {
		t.Errorf("spec (-want +got):\n%s", diff)
	}
}

func TestParseErrors(t *testing.T) {
	const head = "name: h\nrules: {paths: [r]}\n"
	const src = "sources:\n  - {pipeline: cloudtrail, table: cloudtrail, paths: [x]}\n"
	tests := []struct {
		name, yaml, want string
	}{
		{"unknown key", head + src + "windw: {}\n", `h.yml:5:1: unknown key "windw" in hunt spec (known keys: name, rules, sources, engine, athena, bigquery, window, lookback, timeout, outputs, state, schedule)`},
		{"bad duration", head + src + "lookback: soon\n", `h.yml:5:11: lookback "soon" is not a duration (write a duration such as 15m, 2h or 30d)`},
		{"bad start", head + src + "window: {start: yesterday}\n", `h.yml:5:17: window start "yesterday" is not a time (write an RFC 3339 time, e.g. 2026-11-02T00:00:00Z)`},
		{"no pipeline", head + "sources:\n  - {table: t, paths: [x]}\n", `h.yml:4:5: source has no pipeline (add pipeline: NAME or FILE (see tokenhunt pipelines))`},
		{"no table", head + "sources:\n  - {pipeline: p, paths: [x]}\n", `h.yml:4:5: source names no table or logsource (add table: NAME or logsource: {product: ..., service: ...})`},
		{"engine", head + src + "engine: trino\n", `h.yml:5:9: unknown engine "trino" (use engine: duckdb, athena or bigquery)`},
		{"athena paths", head + src + "engine: athena\n", `h.yml:4:5: source cloudtrail reads paths, but Athena reads tables (remove paths: and name the table (table: or the pipeline's))`},
		{"bigquery project", head + "sources:\n  - {pipeline: gcp-bigquery, table: t, engine: bigquery}\n", `h.yml:1:1: source t runs on BigQuery, but the spec names no bigquery project (add bigquery: {project: PROJECT_ID, location: US})`},
		{"duckdb paths", head + "sources:\n  - {pipeline: cloudtrail, table: t}\n", `h.yml:4:5: source t has no paths (add paths: [Parquet or JSON files or globs])`},
		{"partition format", head + "sources:\n  - {pipeline: p, table: t, engine: athena, partitions: {date: dt, format: dd-MM-yyyy}}\n", `h.yml:4:76: partition format "dd-MM-yyyy" has no yyyy, MM and dd in order (lay the day out with yyyy, MM and dd in that order, e.g. yyyy/MM/dd or yyyy-MM-dd)`},
		{"partition ymd", head + "sources:\n  - {pipeline: p, table: t, engine: athena, partitions: {year: y, day: d}}\n", `h.yml:4:57: partitions name only some of year, month and day (give year:, month: and day: together)`},
		{"bigquery partitions", head + "sources:\n  - {pipeline: p, table: t, engine: bigquery, partitions: {date: dt}}\nbigquery: {project: p}\n", `h.yml:4:5: source t: partitions date:/year:/region: are for Athena tables (for BigQuery give column: (the partitioning column, or _PARTITIONTIME) and type:)`},
		{"max bytes", head + src + "bigquery: {project: p, max_bytes: lots}\n", `h.yml:5:35: max_bytes "lots" is not a size (write a size such as 500GB, 2TB or 1000000000)`},
		{"athena output", head + src + "athena: {output: bucket/x}\n", `h.yml:5:18: athena output "bucket/x" is not an s3:// location (write the result location as s3://bucket/prefix/)`},
		{"level", "name: h\nrules: {paths: [r], level: severe}\n" + src, `h.yml:2:28: unknown level "severe" (use informational, low, medium, high or critical)`},
		{"no sources", head, `h.yml:1:1: hunt spec has no sources (add a sources: key)`},
		{"duplicate source", head + src + "  - {pipeline: cloudtrail, table: cloudtrail, paths: [y]}\n", `h.yml:5:5: two sources are named "cloudtrail" (give each source its own name:)`},
		{"schedule", head + src + "schedule: nightly\n", `h.yml:5:11: cron expression "nightly" has 1 fields, want 5 (minute hour day-of-month month day-of-week) (e.g. "30 2 * * *" for 02:30 every day (times are UTC))`},
		{"schedule field", head + src + "schedule: \"0 25 * * *\"\n", `h.yml:5:11: cron expression "0 25 * * *": hour field "25": 25 is outside 0-23 (e.g. "30 2 * * *" for 02:30 every day (times are UTC))`},
		{"bad yaml", head + src + "outputs: [\n", `h.yml:5: bad YAML: did not find expected node content`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := hunts.Parse("h.yml", []byte(tt.yaml))
			if err == nil {
				t.Fatal("no error")
			}
			if diff := cmp.Diff(tt.want, err.Error()); diff != "" {
				t.Errorf("error (-want +got):\n%s", diff)
			}
		})
	}
}

// Every example spec parses.
func TestExamplesParse(t *testing.T) {
	files, err := filepath.Glob("examples/*.yml")
	if err != nil || len(files) < 3 {
		t.Fatalf("examples: %v %v", files, err)
	}
	for _, f := range files {
		if _, err := hunts.Load(f); err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}
}

// FuzzParse: any bytes give a spec or an error, never a panic; an error
// from the spec's own checks names the file.
func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob("examples/*.yml")
	for _, p := range files {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte("name: h\nrules: {paths: [r]}\nsources:\n  - {pipeline: p, table: t, engine: athena, partitions: {year: y, month: m, day: d, region: r, regions: [a]}}\n"))
	f.Add([]byte("bigquery: {max_bytes: 1.5TiB}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := hunts.Parse("f.yml", data)
		if err == nil && (s.Name == "" || len(s.Sources) == 0) {
			t.Fatalf("a spec without name or sources parsed: %+v", s)
		}
		if err != nil && !strings.HasPrefix(err.Error(), "f.yml") {
			t.Fatalf("error without the file name: %v", err)
		}
	})
}
