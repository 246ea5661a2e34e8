package bench

import (
	"bufio"
	"context"
	"encoding/json"
	"os"
	"runtime/debug"
	"strconv"
	"strings"
	"testing"
	"time"

	sigmago "github.com/bradleyjkemp/sigma-go"
	"github.com/bradleyjkemp/sigma-go/evaluator"

	"github.com/tokenhunt/tokenhunt/backends/duckdb"
	"github.com/tokenhunt/tokenhunt/backends/sql"
	"github.com/tokenhunt/tokenhunt/compiler"
	"github.com/tokenhunt/tokenhunt/compiler/ir"
	"github.com/tokenhunt/tokenhunt/compiler/pipeline"
	"github.com/tokenhunt/tokenhunt/hunts"
	"github.com/tokenhunt/tokenhunt/hunts/runner"
)

var cloudtrail = ir.Logsource{Product: "aws", Service: "cloudtrail"}

// compiled is the benchmark rules compiled with the cloudtrail pipeline.
type compiled struct {
	src   pipeline.Source
	rules []*ir.Rule
	// cols are the columns the rules read (sql.Columns).
	cols []ir.Column
}

func compileRules(tb testing.TB, files []string) *compiled {
	tb.Helper()
	ps, err := pipeline.ResolveAll([]string{"cloudtrail"})
	if err != nil {
		tb.Fatal(err)
	}
	rules, errs := compiler.Load(files)
	if len(errs) > 0 {
		tb.Fatal(errs)
	}
	set, errs := compiler.CompileSet(rules, ps)
	for _, e := range errs {
		if !e.Warning {
			tb.Fatal(e)
		}
	}
	c := &compiled{src: ps.Source(cloudtrail)}
	for _, r := range set.Rules {
		c.rules = append(c.rules, r.Rule)
		c.cols = append(c.cols, sql.Columns(r.Rule.Where)...)
	}
	return c
}

// decodeColumns are the distinct stored columns (struct paths, JSON text
// columns as a whole) that the rules read, plus eventTime, which the hunt
// window reads.
func (c *compiled) decodeColumns() []string {
	seen := map[string]bool{}
	var out []string
	add := func(path []string) {
		var q []string
		for _, p := range path {
			q = append(q, `"`+strings.ReplaceAll(p, `"`, `""`)+`"`)
		}
		x := strings.Join(q, ".")
		if !seen[x] {
			seen[x] = true
			out = append(out, x)
		}
	}
	add([]string{"eventTime"})
	for _, col := range c.cols {
		add(col.Path)
	}
	return out
}

// measure runs f b.N times and reports events per wall-clock second, per
// CPU second (all threads: DuckDB's and Go's), the peak resident memory
// of the process during the runs, and what f returned (its matches).
func measure(b *testing.B, events int, f func() int) {
	b.Helper()
	debug.FreeOSMemory()
	resetPeak()
	cpu0 := cpuTime()
	start := time.Now()
	b.ResetTimer()
	matches := 0
	for i := 0; i < b.N; i++ {
		matches = f()
	}
	b.StopTimer()
	wall, cpu := time.Since(start), cpuTime()-cpu0
	b.ReportMetric(float64(events)*float64(b.N)/wall.Seconds(), "events/s")
	if cpu > 0 {
		b.ReportMetric(float64(events)*float64(b.N)/cpu.Seconds(), "events/cpu-s")
	}
	b.ReportMetric(peakMB(), "peak-RSS-MB")
	b.ReportMetric(float64(matches), "matches")
}

func open(b *testing.B) *duckdb.Engine {
	b.Helper()
	eng, err := duckdb.Open(context.Background())
	if err != nil {
		b.Fatal(err)
	}
	return eng
}

// count runs q, whose one row has a column n.
func count(b *testing.B, eng *duckdb.Engine, q string) int {
	b.Helper()
	rows, err := eng.Query(context.Background(), q)
	if err != nil {
		b.Fatalf("%v\n%s", err, q)
	}
	v, ok := rows[0]["n"].(int64)
	if !ok {
		b.Fatalf("no count n in %v", rows)
	}
	return int(v)
}

// BenchmarkHunt hunts 50 single-event rules over the data set:
//
//	decode:  baseline (a), DuckDB reading just the columns the rules read
//	         (count(*) and sum(length(col)) of each, forcing its decode);
//	runner:  the hunt runner, all rules in one scan, findings written;
//	perrule: baseline (b), the same rules one query each over the same
//	         registered view, each returning the columns a finding keeps.
func BenchmarkHunt(b *testing.B) {
	rs := benchRules(b)
	c := compileRules(b, rs.Files)
	b.Logf("%d rules: %d shipped, %d SigmaHQ; %d columns decoded", len(c.rules), rs.Shipped, rs.SigmaHQ, len(c.decodeColumns()))
	ctx := context.Background()
	for _, n := range sizes(b) {
		d := cached(b, n)
		from, to := d.Start.Add(-time.Hour), d.End.Add(time.Hour)
		b.Run("events="+sizeName(n), func(b *testing.B) {
			b.Run("decode", func(b *testing.B) {
				var sums []string
				for _, x := range c.decodeColumns() {
					sums = append(sums, "sum(length(CAST("+x+" AS VARCHAR)))")
				}
				q := "SELECT count(*) AS n, " + strings.Join(sums, ", ") + " FROM raw"
				// Registered as the runner registers it: a column that the
				// files lack (a SigmaHQ rule's field the simulator never
				// writes) is NULL, and costs nothing to decode.
				cols := append(c.src.ColumnList(), c.cols...)
				measure(b, d.Events, func() int {
					eng := open(b)
					defer eng.Close()
					if err := eng.Register(ctx, "raw", []string{d.parquetGlob()}, duckdb.Options{JSONText: c.src.JSONColumns, Columns: cols}); err != nil {
						b.Fatal(err)
					}
					if got := count(b, eng, q); got != d.Events {
						b.Fatalf("decoded %d rows, want %d", got, d.Events)
					}
					return 0
				})
			})
			b.Run("runner", func(b *testing.B) {
				measure(b, d.Events, func() int {
					spec := &hunts.Spec{
						Name:  "bench",
						Rules: hunts.RuleSelection{Paths: rs.Files},
						Sources: []hunts.Source{{Name: "cloudtrail", Logsource: cloudtrail, Pipeline: "cloudtrail",
							Paths: []string{d.parquetGlob()}}},
						Engine: "duckdb",
						OutDir: b.TempDir(),
					}
					rep, err := runner.Run(ctx, spec, runner.Options{From: from, To: to})
					if err != nil {
						b.Fatal(err)
					}
					if len(rep.Errors) > 0 {
						b.Fatal(rep.Errors)
					}
					return rep.Found
				})
			})
			b.Run("perrule", func(b *testing.B) {
				dia := duckdb.Dialect()
				var conds []string
				for _, r := range c.rules {
					w, err := sql.Where(dia, r)
					if err != nil {
						b.Fatal(err)
					}
					conds = append(conds, w)
				}
				cols := append(c.src.ColumnList(), c.cols...)
				// The columns a finding keeps (the runner's entity and
				// sample fields).
				keep := `CAST("eventID" AS VARCHAR) AS _id, CAST("eventTime" AS TIMESTAMP) AS _time, ` +
					`CAST("userIdentity"."arn" AS VARCHAR), CAST("userIdentity"."accessKeyId" AS VARCHAR), ` +
					`CAST("sourceIPAddress" AS VARCHAR), CAST("userAgent" AS VARCHAR), CAST("awsRegion" AS VARCHAR), ` +
					`CAST("recipientAccountId" AS VARCHAR), CAST("eventSource" AS VARCHAR), CAST("eventName" AS VARCHAR), ` +
					`CAST("errorCode" AS VARCHAR), CAST("userIdentity"."type" AS VARCHAR)`
				window := `CAST("eventTime" AS TIMESTAMP) >= make_timestamp(` + strconv.FormatInt(from.UnixMicro(), 10) +
					`) AND CAST("eventTime" AS TIMESTAMP) < make_timestamp(` + strconv.FormatInt(to.UnixMicro(), 10) + `)`
				measure(b, d.Events, func() int {
					eng := open(b)
					defer eng.Close()
					if err := eng.Register(ctx, "raw", []string{d.parquetGlob()}, duckdb.Options{JSONText: c.src.JSONColumns, Columns: cols}); err != nil {
						b.Fatal(err)
					}
					if err := eng.Exec(ctx, "CREATE VIEW cloudtrail AS SELECT * FROM raw WHERE "+window); err != nil {
						b.Fatal(err)
					}
					n := 0
					for _, cond := range conds {
						q := "SELECT " + keep + " FROM cloudtrail WHERE COALESCE((" + cond + "), FALSE)"
						if err := eng.Each(ctx, q, func(map[string]any) error { n++; return nil }); err != nil {
							b.Fatalf("%v\n%s", err, q)
						}
					}
					return n
				})
			})
		})
	}
}

// BenchmarkSigmaGo runs the same 50 rules through sigma-go's evaluator
// (a bundle of all rules, its fastest form) over the same events read
// from JSON Lines: each line decoded into a map, nested objects
// flattened to dotted keys, every rule evaluated. It runs at about 5,000
// events a second, so only the first TOKENHUNT_BENCH_SIGMAGO_EVENTS lines
// are read (default 100000, 0 for all); the figure is events per second.
func BenchmarkSigmaGo(b *testing.B) {
	rs := benchRules(b)
	var rules []sigmago.Rule
	var err error
	for _, f := range rs.Files {
		data, err := os.ReadFile(f)
		if err != nil {
			b.Fatal(err)
		}
		r, err := sigmago.ParseRule(data)
		if err != nil {
			b.Fatal(err)
		}
		rules = append(rules, r)
	}
	bundle := evaluator.ForRules(rules)
	limit := 100000
	if s := os.Getenv("TOKENHUNT_BENCH_SIGMAGO_EVENTS"); s != "" {
		if limit, err = strconv.Atoi(s); err != nil || limit < 0 {
			b.Fatalf("TOKENHUNT_BENCH_SIGMAGO_EVENTS=%q: want a count (0 for all)", s)
		}
	}
	ctx := context.Background()
	for _, n := range sizes(b) {
		d := cached(b, n)
		events := d.Events
		if limit > 0 && limit < events {
			events = limit
		}
		b.Run("events="+sizeName(n), func(b *testing.B) {
			measure(b, events, func() int {
				f, err := os.Open(d.jsonl())
				if err != nil {
					b.Fatal(err)
				}
				defer f.Close()
				sc := bufio.NewScanner(f)
				sc.Buffer(make([]byte, 1<<20), 64<<20)
				matches, read := 0, 0
				for read < events && sc.Scan() {
					read++
					var ev map[string]any
					if err := json.Unmarshal(sc.Bytes(), &ev); err != nil {
						b.Fatal(err)
					}
					flat := make(map[string]any, 2*len(ev))
					flatten("", ev, flat)
					res, err := bundle.Matches(ctx, flat)
					if err != nil {
						b.Fatal(err)
					}
					for _, r := range res {
						if r.Match {
							matches++
						}
					}
				}
				if err := sc.Err(); err != nil {
					b.Fatal(err)
				}
				return matches
			})
		})
	}
}

// BenchmarkCorrelation runs one shipped correlation of each type through
// the hunt runner (window, lookback, findings written), against a plain
// GROUP BY (count per group) of the same data by the correlation's
// group-by fields, read as each base rule reads them.
func BenchmarkCorrelation(b *testing.B) {
	ps, err := pipeline.ResolveAll([]string{"cloudtrail"})
	if err != nil {
		b.Fatal(err)
	}
	src := ps.Source(cloudtrail)
	cases := []struct {
		name, file string
		// late starts the window halfway through the data: the first
		// half is read as lookback (new_terms' baseline).
		late bool
	}{
		{"value_count", "../../rules/aws/cloudtrail/aws_session_token_replay.yml", false},
		{"temporal_ordered", "../../rules/aws/cloudtrail/aws_sts_token_issued_then_sensitive_read.yml", false},
		{"new_terms", "../../rules/aws/cloudtrail/aws_sts_role_assumed_from_new_source.yml", true},
	}
	ctx := context.Background()
	for _, n := range sizes(b) {
		d := cached(b, n)
		b.Run("events="+sizeName(n), func(b *testing.B) {
			for _, tc := range cases {
				rules, errs := compiler.Load([]string{tc.file})
				if len(errs) > 0 {
					b.Fatal(errs)
				}
				set, errs := compiler.CompileSet(rules, ps)
				if len(errs) > 0 || len(set.Correlations) != 1 {
					b.Fatalf("%s: %v (%d correlations)", tc.file, errs, len(set.Correlations))
				}
				corr := set.Correlations[0].Correlation
				if corr.Type.String() != tc.name {
					b.Fatalf("%s is a %s correlation, want %s", tc.file, corr.Type, tc.name)
				}
				// The baseline groups every event by the correlation's
				// group fields as each base rule reads them (one UNION ALL
				// branch per base), without the rules' conditions.
				var branches []string
				cols := src.ColumnList()
				for _, base := range corr.Bases {
					var groups []string
					for i, f := range base.Group {
						x, err := sql.Column(duckdb.Dialect(), base.Rule, f)
						if err != nil {
							b.Fatal(err)
						}
						groups = append(groups, x+" AS g"+strconv.Itoa(i))
						if f.Column != nil {
							cols = append(cols, *f.Column)
						}
					}
					branches = append(branches, "SELECT "+strings.Join(groups, ", ")+" FROM raw")
				}
				var keys []string
				for i := range corr.Bases[0].Group {
					keys = append(keys, "g"+strconv.Itoa(i))
				}
				b.Run(tc.name+"/groupby", func(b *testing.B) {
					q := "SELECT count(*) AS n FROM (SELECT " + strings.Join(keys, ", ") + ", count(*) FROM (" +
						strings.Join(branches, " UNION ALL ") + ") GROUP BY " + strings.Join(keys, ", ") + ")"
					measure(b, d.Events, func() int {
						eng := open(b)
						defer eng.Close()
						if err := eng.Register(ctx, "raw", []string{d.parquetGlob()}, duckdb.Options{JSONText: src.JSONColumns, Columns: cols}); err != nil {
							b.Fatal(err)
						}
						return count(b, eng, q)
					})
				})
				from, to := d.Start.Add(-time.Hour), d.End.Add(time.Hour)
				if tc.late {
					from = d.Start.Add(d.End.Sub(d.Start) / 2)
				}
				b.Run(tc.name+"/runner", func(b *testing.B) {
					measure(b, d.Events, func() int {
						spec := &hunts.Spec{
							Name:  "bench",
							Rules: hunts.RuleSelection{Paths: []string{tc.file}},
							Sources: []hunts.Source{{Name: "cloudtrail", Logsource: cloudtrail, Pipeline: "cloudtrail",
								Paths: []string{d.parquetGlob()}}},
							Engine: "duckdb",
							OutDir: b.TempDir(),
						}
						rep, err := runner.Run(ctx, spec, runner.Options{From: from, To: to})
						if err != nil {
							b.Fatal(err)
						}
						if len(rep.Errors) > 0 {
							b.Fatal(rep.Errors)
						}
						return rep.Found
					})
				})
			}
		})
	}
}

// countParquet counts the rows of the data set's Parquet files.
func countParquet(t *testing.T, d *dataset) int {
	t.Helper()
	ctx := context.Background()
	eng, err := duckdb.Open(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	if err := eng.Register(ctx, "raw", []string{d.parquetGlob()}, duckdb.Options{}); err != nil {
		t.Fatal(err)
	}
	rows, err := eng.Query(ctx, "SELECT count(*) AS n FROM raw")
	if err != nil {
		t.Fatal(err)
	}
	n, _ := rows[0]["n"].(int64)
	return int(n)
}
