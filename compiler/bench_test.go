package compiler_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	sigmago "github.com/bradleyjkemp/sigma-go"

	"github.com/tokenhunt/tokenhunt/backends"
	"github.com/tokenhunt/tokenhunt/backends/duckdb"
	"github.com/tokenhunt/tokenhunt/backends/sql"
	"github.com/tokenhunt/tokenhunt/compiler"
	"github.com/tokenhunt/tokenhunt/compiler/ir"
	"github.com/tokenhunt/tokenhunt/compiler/pipeline"
	"github.com/tokenhunt/tokenhunt/compiler/sigma"
	"github.com/tokenhunt/tokenhunt/internal/refeval"
)

// readCorpus reads every SigmaHQ rule file into memory, so that benchmarks
// measure parsing and compiling, not the disk.
func readCorpus(b *testing.B) map[string][]byte {
	b.Helper()
	files, err := sigma.ExpandPaths([]string{corpusDir})
	if err != nil || len(files) == 0 {
		b.Skipf("SigmaHQ corpus not found: %v", err)
	}
	out := make(map[string][]byte, len(files))
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			b.Fatal(err)
		}
		out[f] = data
	}
	return out
}

// BenchmarkCorpusSigmaGoParse is the baseline: sigma-go parsing every
// SigmaHQ rule (YAML and conditions only; no modifiers, no output).
func BenchmarkCorpusSigmaGoParse(b *testing.B) {
	corpus := readCorpus(b)
	b.ReportAllocs()
	for b.Loop() {
		for _, data := range corpus {
			_, _ = sigmago.ParseRule(data)
		}
	}
	b.ReportMetric(float64(len(corpus)), "rules/op")
}

// BenchmarkCorpusParse is tokenhunt's front end parsing every SigmaHQ rule
// with positions (the same work as the baseline).
func BenchmarkCorpusParse(b *testing.B) {
	corpus := readCorpus(b)
	b.ReportAllocs()
	for b.Loop() {
		for f, data := range corpus {
			if _, errs := sigma.ParseFile(f, data); errs != nil {
				b.Fatal(errs)
			}
		}
	}
	b.ReportMetric(float64(len(corpus)), "rules/op")
}

// BenchmarkCorpusCompile is the whole path for every SigmaHQ rule that
// compiles without a pipeline, once per target: parse, lower every
// modifier, resolve fields, print the query.
func BenchmarkCorpusCompile(b *testing.B) {
	corpus := readCorpus(b)
	for _, be := range backends.All() {
		b.Run(be.Name(), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				for f, data := range corpus {
					rules, _ := sigma.ParseFile(f, data)
					results, _ := compiler.Compile(rules, nil)
					for _, r := range results {
						_, _ = be.Compile(r.Rule) // a target may refuse a rule; that is timed too
					}
				}
			}
			b.ReportMetric(float64(len(corpus))*float64(b.N)/b.Elapsed().Seconds(), "rules/s")
		})
	}
}

// benchEvents writes n synthetic CloudTrail-shaped records as Parquet and
// returns the file and the records.
func benchEvents(b *testing.B, n int) (string, []map[string]any) {
	b.Helper()
	names := []string{"GetCallerIdentity", "AssumeRole", "GetSecretValue", "DescribeInstances", "GetObject", "CreateAccessKey", "ListBuckets", "GetFederationToken"}
	ips := []string{"203.0.113.7", "10.1.2.3", "2001:db8::5", "ec2.amazonaws.com", "AWS Internal", "198.51.100.23", "172.20.1.9"}
	var events []map[string]any
	dir := b.TempDir()
	jsonl := filepath.Join(dir, "events.jsonl")
	f, err := os.Create(jsonl)
	if err != nil {
		b.Fatal(err)
	}
	for i := range n {
		ev := map[string]any{
			"eventID":         fmt.Sprintf("ev-%08d", i),
			"eventName":       names[i%len(names)],
			"eventSource":     []string{"sts.amazonaws.com", "iam.amazonaws.com", "s3.amazonaws.com", "secretsmanager.amazonaws.com"}[i%4],
			"sourceIPAddress": ips[(i/3)%len(ips)],
			"userAgent":       []string{"aws-cli/2.15.0 Python/3.11", "Boto3/1.34.0", "console.amazonaws.com", "Terraform/1.7.0"}[(i/5)%4],
			"userIdentity":    map[string]any{"type": []string{"IAMUser", "AssumedRole"}[i%2], "arn": fmt.Sprintf("arn:aws:sts::111122223333:assumed-role/r%d/s", i%50), "accessKeyId": fmt.Sprintf("ASIAEXAMPLE%09d", i%1000)},
		}
		events = append(events, ev)
		fmt.Fprintf(f, `{"eventID":%q,"eventName":%q,"eventSource":%q,"sourceIPAddress":%q,"userAgent":%q,"userIdentity":{"type":%q,"arn":%q,"accessKeyId":%q}}`+"\n",
			ev["eventID"], ev["eventName"], ev["eventSource"], ev["sourceIPAddress"], ev["userAgent"],
			ev["userIdentity"].(map[string]any)["type"], ev["userIdentity"].(map[string]any)["arn"], ev["userIdentity"].(map[string]any)["accessKeyId"])
	}
	if err := f.Close(); err != nil {
		b.Fatal(err)
	}
	eng, err := duckdb.Open(context.Background())
	if err != nil {
		b.Fatal(err)
	}
	defer eng.Close()
	out := filepath.Join(dir, "events.parquet")
	if err := eng.Exec(context.Background(), fmt.Sprintf("COPY (SELECT * FROM read_json_auto('%s')) TO '%s' (FORMAT parquet)", jsonl, out)); err != nil {
		b.Fatal(err)
	}
	return out, events
}

const benchRule = `title: bench
id: 7f1c1b6e-5d55-4a53-9d0f-3f3f3f3f3f3f
logsource: {product: aws, service: cloudtrail}
detection:
  sel:
    eventSource|endswith: '.amazonaws.com'
    eventName: [GetSecretValue, CreateAccessKey, GetFederationToken]
    userIdentity.type: AssumedRole
  filter:
    - sourceIPAddress|cidr: [10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16]
    - sourceIPAddress|endswith: .amazonaws.com
    - sourceIPAddress: AWS Internal
  condition: sel and not filter
`

func benchCompiled(b *testing.B) (*ir.Rule, pipeline.Set) {
	b.Helper()
	ps, err := pipeline.ResolveAll([]string{"cloudtrail"})
	if err != nil {
		b.Fatal(err)
	}
	rules, errs := sigma.ParseFile("bench.yml", []byte(benchRule))
	results, cerrs := compiler.Compile(rules, ps)
	if errs != nil || cerrs != nil {
		b.Fatal(errs, cerrs)
	}
	return results[0].Rule, ps
}

const benchEventCount = 200_000

// BenchmarkRuleRefEval is the baseline of the query benchmarks: the
// reference evaluator in Go over events already in memory.
func BenchmarkRuleRefEval(b *testing.B) {
	r, _ := benchCompiled(b)
	_, events := benchEvents(b, benchEventCount)
	b.ResetTimer()
	for b.Loop() {
		n := 0
		for _, ev := range events {
			if refeval.Eval(r.Where, ev) {
				n++
			}
		}
		if n == 0 {
			b.Fatal("no match")
		}
	}
	b.ReportMetric(benchEventCount, "events/op")
}

// BenchmarkRuleDuckDBParquet runs the compiled query with embedded DuckDB
// over the same events in a Parquet file.
func BenchmarkRuleDuckDBParquet(b *testing.B) {
	r, ps := benchCompiled(b)
	file, _ := benchEvents(b, benchEventCount)
	ctx := context.Background()
	eng, err := duckdb.Open(ctx)
	if err != nil {
		b.Fatal(err)
	}
	defer eng.Close()
	src := ps.Source(r.Logsource)
	if err := eng.Register(ctx, r.Table, []string{file}, duckdb.Options{JSONText: src.JSONColumns, Columns: append(src.ColumnList(), sql.Columns(r.Where)...)}); err != nil {
		b.Fatal(err)
	}
	q, err := duckdb.New().Compile(r)
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		rows, err := eng.Query(ctx, q)
		if err != nil {
			b.Fatal(err)
		}
		if len(rows) == 0 {
			b.Fatal("no match")
		}
	}
	b.ReportMetric(benchEventCount, "events/op")
}

// BenchmarkLibraryCompile compiles the shipped rule library (detection
// rules and correlations, with the DuckDB pipelines of its log sources) for
// each target.
func BenchmarkLibraryCompile(b *testing.B) {
	files, err := sigma.ExpandPaths([]string{"../rules"})
	if err != nil {
		b.Fatal(err)
	}
	ps, err := pipeline.ResolveAll([]string{"cloudtrail", "entra-duckdb", "gcp-duckdb", "cicd-duckdb", "proxy-duckdb"})
	if err != nil {
		b.Fatal(err)
	}
	data := map[string][]byte{}
	for _, f := range files {
		if data[f], err = os.ReadFile(f); err != nil {
			b.Fatal(err)
		}
	}
	type correlationCompiler interface {
		CompileCorrelation(*ir.Correlation) (string, error)
	}
	for _, be := range backends.All() {
		b.Run(be.Name(), func(b *testing.B) {
			n := 0
			for b.Loop() {
				n = 0
				var rules []*sigma.Rule
				for f, d := range data {
					rs, _ := sigma.ParseFile(f, d)
					rules = append(rules, rs...)
				}
				set, _ := compiler.CompileSet(rules, ps)
				for _, r := range set.Rules {
					_, _ = be.Compile(r.Rule) // a target may lack the log source's table
					n++
				}
				if cc, ok := be.(correlationCompiler); ok {
					for _, c := range set.Correlations {
						_, _ = cc.CompileCorrelation(c.Correlation)
						n++
					}
				}
			}
			b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "rules/s")
		})
	}
}
