package bench

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	sigmago "github.com/bradleyjkemp/sigma-go"

	"github.com/tokenhunt/tokenhunt/compiler"
	"github.com/tokenhunt/tokenhunt/compiler/pipeline"
	"github.com/tokenhunt/tokenhunt/hunts/ingest"
	"github.com/tokenhunt/tokenhunt/internal/simulate"
)

// seed is the simulator seed of every data set.
const seed = 7

// dataset is one simulated CloudTrail data set: the same records as
// Parquet (as tokenhunt ingest writes it) and as JSON Lines.
type dataset struct {
	Dir string
	// Events counts the records (background and scenario).
	Events int
	// Start and End bound the simulated time.
	Start, End time.Time
}

func (d *dataset) parquetGlob() string { return filepath.Join(d.Dir, "parquet", "**", "*.parquet") }
func (d *dataset) jsonl() string       { return filepath.Join(d.Dir, "events.jsonl") }

// sizes reads TOKENHUNT_BENCH_EVENTS: background CloudTrail record counts,
// comma-separated (default 1000000).
func sizes(tb testing.TB) []int {
	tb.Helper()
	env := os.Getenv("TOKENHUNT_BENCH_EVENTS")
	if env == "" {
		return []int{1000000}
	}
	var out []int
	for _, s := range strings.Split(env, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n <= 0 {
			tb.Fatalf("TOKENHUNT_BENCH_EVENTS=%q: want positive counts separated by commas", env)
		}
		out = append(out, n)
	}
	return out
}

// sizeName is 1M for 1000000, 10k for 10000.
func sizeName(n int) string {
	switch {
	case n%1000000 == 0:
		return strconv.Itoa(n/1000000) + "M"
	case n%1000 == 0:
		return strconv.Itoa(n/1000) + "k"
	}
	return strconv.Itoa(n)
}

// cached returns the data set of n background events, building it on first
// use under os.TempDir()/tokenhunt-bench/seed-S-events-N.
func cached(tb testing.TB, n int) *dataset {
	tb.Helper()
	dir := filepath.Join(os.TempDir(), "tokenhunt-bench", fmt.Sprintf("seed-%d-events-%d", seed, n))
	d, err := build(context.Background(), dir, n)
	if err != nil {
		tb.Fatalf("build data set of %d events: %v", n, err)
	}
	return d
}

// build makes the data set in dir unless a complete one is there: it
// simulates CloudTrail (aws only, 24h, every AWS scenario once), writes
// the records as JSON Lines and ingests those into Parquet. It builds in a
// temporary folder and renames it, so an interrupted build leaves nothing
// that looks complete.
func build(ctx context.Context, dir string, n int) (*dataset, error) {
	meta := filepath.Join(dir, "dataset.json")
	if data, err := os.ReadFile(meta); err == nil {
		d := &dataset{}
		if err := json.Unmarshal(data, d); err != nil {
			return nil, fmt.Errorf("%s: %w", meta, err)
		}
		d.Dir = dir
		return d, nil
	}
	if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
		return nil, err
	}
	tmp, err := os.MkdirTemp(filepath.Dir(dir), filepath.Base(dir)+".tmp-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	raw := filepath.Join(tmp, "raw")
	sum, err := simulate.Run(ctx, simulate.Options{Seed: seed, Events: n, Clouds: []string{"aws"}, Out: raw})
	if err != nil {
		return nil, fmt.Errorf("simulate: %w", err)
	}
	d := &dataset{Start: sum.Start, End: sum.End}
	if d.Events, err = toLines(raw, filepath.Join(tmp, "events.jsonl")); err != nil {
		return nil, err
	}
	if d.Events != sum.Records["cloudtrail"] {
		return nil, fmt.Errorf("wrote %d JSON lines, the simulator wrote %d CloudTrail records", d.Events, sum.Records["cloudtrail"])
	}
	rep, err := ingest.Run(ctx, ingest.Options{Kind: ingest.CloudTrail, Out: filepath.Join(tmp, "parquet")}, []string{filepath.Join(tmp, "events.jsonl")})
	if err != nil {
		return nil, fmt.Errorf("ingest: %w", err)
	}
	if read, written, rejected := rep.Totals(); written != d.Events || rejected != 0 || rep.Failed() {
		return nil, fmt.Errorf("ingest read %d, wrote %d and rejected %d of %d records", read, written, rejected, d.Events)
	}
	if err := os.RemoveAll(raw); err != nil {
		return nil, err
	}
	data, err := json.Marshal(d)
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(tmp, "dataset.json"), data, 0o644); err != nil {
		return nil, err
	}
	if err := os.Rename(tmp, dir); err != nil {
		if _, serr := os.Stat(meta); serr == nil {
			return build(ctx, dir, n) // another process finished first
		}
		return nil, err
	}
	d.Dir = dir
	return d, nil
}

// toLines writes every record of the CloudTrail files under raw
// ({"Records": [...]}, in path order) to out, one compact JSON object a
// line, and returns how many it wrote.
func toLines(raw, out string) (int, error) {
	var files []string
	err := filepath.WalkDir(raw, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !e.IsDir() && strings.Contains(p, "CloudTrail") && strings.HasSuffix(p, ".json") {
			files = append(files, p)
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	sort.Strings(files)
	f, err := os.Create(out)
	if err != nil {
		return 0, err
	}
	w := bufio.NewWriterSize(f, 1<<20)
	n := 0
	var buf bytes.Buffer
	for _, p := range files {
		data, err := os.ReadFile(p)
		if err != nil {
			f.Close()
			return 0, err
		}
		var doc struct{ Records []json.RawMessage }
		if err := json.Unmarshal(data, &doc); err != nil {
			f.Close()
			return 0, fmt.Errorf("%s: %w", p, err)
		}
		for _, r := range doc.Records {
			buf.Reset()
			if err := json.Compact(&buf, r); err != nil {
				f.Close()
				return 0, fmt.Errorf("%s: %w", p, err)
			}
			buf.WriteByte('\n')
			w.Write(buf.Bytes())
			n++
		}
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return 0, err
	}
	return n, f.Close()
}

// ruleSet is the 50 single-event rules of the hunt benchmarks.
type ruleSet struct {
	Files []string
	// Shipped and SigmaHQ count where they come from.
	Shipped, SigmaHQ int
}

// corpusAWS is the SigmaHQ AWS folder beside the repository.
const corpusAWS = "../../../shared/corpus/sigmahq/rules/cloud/aws"

// benchRules picks 50 rule files, each holding one single-event
// CloudTrail rule that compiles with the cloudtrail pipeline and that
// sigma-go parses: the shipped rules/aws ones first, then SigmaHQ's in
// path order.
func benchRules(tb testing.TB) ruleSet {
	tb.Helper()
	ps, err := pipeline.ResolveAll([]string{"cloudtrail"})
	if err != nil {
		tb.Fatal(err)
	}
	var rs ruleSet
	pick := func(root string) int {
		var files []string
		filepath.WalkDir(root, func(p string, e fs.DirEntry, err error) error {
			if err == nil && !e.IsDir() && strings.HasSuffix(p, ".yml") && !strings.HasSuffix(p, ".tests.yml") {
				files = append(files, p)
			}
			return nil
		})
		sort.Strings(files)
		n := 0
		for _, f := range files {
			if len(rs.Files) == 50 {
				break
			}
			if usable(f, ps) {
				rs.Files = append(rs.Files, f)
				n++
			}
		}
		return n
	}
	rs.Shipped = pick("../../rules/aws")
	if _, err := os.Stat(corpusAWS); err != nil {
		tb.Skipf("no SigmaHQ corpus at %s: %v", corpusAWS, err)
	}
	rs.SigmaHQ = pick(corpusAWS)
	if len(rs.Files) < 50 {
		tb.Fatalf("only %d usable single-event rules", len(rs.Files))
	}
	return rs
}

func usable(file string, ps pipeline.Set) bool {
	rules, errs := compiler.Load([]string{file})
	if len(errs) > 0 || len(rules) != 1 {
		return false
	}
	set, errs := compiler.CompileSet(rules, ps)
	for _, e := range errs {
		if !e.Warning {
			return false
		}
	}
	if len(set.Rules) != 1 || len(set.Correlations) != 0 || set.Rules[0].Rule.Table != "cloudtrail" {
		return false
	}
	data, err := os.ReadFile(file)
	if err != nil {
		return false
	}
	_, err = sigmago.ParseRule(data)
	return err == nil
}

// flatten turns nested objects into dotted keys (userIdentity.type), the
// shape sigma-go looks fields up in.
func flatten(prefix string, in map[string]any, out map[string]any) {
	for k, v := range in {
		if prefix != "" {
			k = prefix + "." + k
		}
		if m, ok := v.(map[string]any); ok {
			flatten(k, m, out)
			continue
		}
		out[k] = v
	}
}

// resetPeak sets the process's peak resident memory (VmHWM) to the
// current resident memory, so that a later peakMB sees only what follows.
func resetPeak() { _ = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) }

// peakMB is VmHWM of /proc/self/status in MB (0 where there is none).
func peakMB() float64 {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, _ := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 64)
			return kb * 1024 / 1e6
		}
	}
	return 0
}

// cpuTime is the process's user plus system CPU time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// TestDataset builds a small data set and checks that its Parquet and JSON
// Lines hold the same records, and that a second build reuses it.
func TestDataset(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "ds")
	ctx := context.Background()
	d, err := build(ctx, dir, 10000)
	if err != nil {
		t.Fatal(err)
	}
	if d.Events < 10000 {
		t.Errorf("data set has %d records, want at least the 10000 background ones", d.Events)
	}
	lines, err := os.ReadFile(d.jsonl())
	if err != nil {
		t.Fatal(err)
	}
	if got := bytes.Count(lines, []byte{'\n'}); got != d.Events {
		t.Errorf("events.jsonl has %d lines, want %d", got, d.Events)
	}
	rows := countParquet(t, d)
	if rows != d.Events {
		t.Errorf("Parquet holds %d rows, want %d", rows, d.Events)
	}
	stamp, err := os.Stat(d.jsonl())
	if err != nil {
		t.Fatal(err)
	}
	again, err := build(ctx, dir, 10000)
	if err != nil {
		t.Fatal(err)
	}
	if again.Events != d.Events || !again.Start.Equal(d.Start) || !again.End.Equal(d.End) {
		t.Errorf("second build = %+v, want the first %+v", again, d)
	}
	if st, err := os.Stat(again.jsonl()); err != nil || !st.ModTime().Equal(stamp.ModTime()) {
		t.Errorf("second build rewrote the data set (err %v)", err)
	}
}
