package runner_test

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tokenhunt/tokenhunt/backends/duckdb"
	"github.com/tokenhunt/tokenhunt/compiler"
	"github.com/tokenhunt/tokenhunt/compiler/ir"
	"github.com/tokenhunt/tokenhunt/compiler/pipeline"
	"github.com/tokenhunt/tokenhunt/hunts"
	"github.com/tokenhunt/tokenhunt/hunts/findings"
	"github.com/tokenhunt/tokenhunt/hunts/runner"
	"github.com/tokenhunt/tokenhunt/hunts/state"
	"github.com/tokenhunt/tokenhunt/internal/refeval"
	"github.com/tokenhunt/tokenhunt/internal/simulate"
)

// The data set every test hunts: three simulated days of CloudTrail with
// the default attack scenarios, as JSON (simulate's layout) and as Parquet
// in year=/month=/day= folders.
var (
	simStart = simulate.DefaultStart()
	dataDir  string
	events   []map[string]any
	// rulesDir is a copy of the shipped AWS rules taken at the start, so
	// that every run of a test hunts the same rules.
	rulesDir string
)

func copyTree(from, to string) error {
	return filepath.Walk(from, func(p string, info os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(from, p)
		if err != nil {
			return err
		}
		dst := filepath.Join(to, rel)
		if info.IsDir() {
			return os.MkdirAll(dst, 0o755)
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(dst, data, 0o644)
	})
}

const childEnv = "TOKENHUNT_RUNNER_TEST_CHILD"

func TestMain(m *testing.M) {
	if arg := os.Getenv(childEnv); arg != "" {
		os.Exit(child(arg))
	}
	dir, err := os.MkdirTemp("", "hunt-runner-test")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	dataDir = dir
	rulesDir = filepath.Join(dir, "rules")
	if err := copyTree("../../rules/aws", rulesDir); err != nil {
		fmt.Fprintln(os.Stderr, "copy rules:", err)
		os.RemoveAll(dir)
		os.Exit(2)
	}
	if err := makeData(dir); err != nil {
		fmt.Fprintln(os.Stderr, "make data:", err)
		os.RemoveAll(dir)
		os.Exit(2)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// childArgs is what a child process runs: a spec, a current time, and the
// phase at which it stops to be killed.
type childArgs struct {
	Spec  string
	Now   time.Time
	Pause string
}

func child(arg string) int {
	var a childArgs
	if err := json.Unmarshal([]byte(arg), &a); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	spec, err := hunts.Load(a.Spec)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	_, err = runner.Run(context.Background(), spec, runner.Options{Now: a.Now, Hook: func(p string) {
		if p == a.Pause {
			fmt.Fprintf(os.Stderr, "paused at %s\n", p)
			select {}
		}
	}})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	return 0
}

func makeData(dir string) error {
	ctx := context.Background()
	sim := filepath.Join(dir, "sim")
	if _, err := simulate.Run(ctx, simulate.Options{Seed: 11, Duration: 72 * time.Hour, Events: 3000, Clouds: []string{"aws"}, Out: sim, Workers: 1}); err != nil {
		return err
	}
	files, err := filepath.Glob(filepath.Join(sim, "AWSLogs", "*", "CloudTrail", "*", "*", "*", "*", "*.json*"))
	if err != nil || len(files) == 0 {
		return fmt.Errorf("no CloudTrail files simulated (%v)", err)
	}
	for _, f := range files {
		recs, err := readRecords(f)
		if err != nil {
			return err
		}
		events = append(events, recs...)
	}
	ps, err := pipeline.ResolveAll([]string{"cloudtrail"})
	if err != nil {
		return err
	}
	src := ps.Source(ir.Logsource{Product: "aws", Service: "cloudtrail"})
	eng, err := duckdb.Open(ctx)
	if err != nil {
		return err
	}
	defer eng.Close()
	if err := eng.Register(ctx, "ct", files, duckdb.Options{JSONText: src.JSONColumns, Columns: src.ColumnList()}); err != nil {
		return err
	}
	out := filepath.Join(dir, "parquet")
	return eng.Exec(ctx, `COPY (SELECT *, strftime("eventTime", '%Y') AS year, strftime("eventTime", '%m') AS month, strftime("eventTime", '%d') AS day FROM ct)
		TO '`+out+`' (FORMAT parquet, PARTITION_BY (year, month, day))`)
}

func readRecords(path string) ([]map[string]any, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var r io.Reader = f
	if strings.HasSuffix(path, ".gz") {
		gz, err := gzip.NewReader(f)
		if err != nil {
			return nil, err
		}
		r = gz
	}
	dec := json.NewDecoder(r)
	dec.UseNumber()
	var doc struct{ Records []map[string]any }
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return doc.Records, nil
}

// writeSpec writes a hunt spec with the shipped AWS rules over sources
// (name → paths glob).
func writeSpec(t *testing.T, dir string, sources map[string]string) string {
	t.Helper()
	rules := rulesDir
	var b strings.Builder
	fmt.Fprintf(&b, "name: test-hunt\nrules:\n  paths: [%s]\nsources:\n", rules)
	var names []string
	for n := range sources {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(&b, "  - name: %s\n    logsource: {product: aws, service: cloudtrail}\n    pipeline: cloudtrail\n    paths: [%q]\n", n, sources[n])
	}
	fmt.Fprintf(&b, "window:\n  settle: 15m\n  start: %s\noutputs:\n  dir: %s\n", simStart.Format(time.RFC3339), filepath.Join(dir, "out"))
	p := filepath.Join(dir, "hunt.yml")
	if err := os.WriteFile(p, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func load(t *testing.T, path string) *hunts.Spec {
	t.Helper()
	s, err := hunts.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func parquetGlob() string { return filepath.Join(dataDir, "parquet", "**", "*.parquet") }

// expected computes, with the reference evaluator, the ids and counts of
// the findings of the shipped AWS rules over [from, to).
func expected(t *testing.T, from, to time.Time) map[string]int64 {
	t.Helper()
	ps, err := pipeline.ResolveAll([]string{"cloudtrail"})
	if err != nil {
		t.Fatal(err)
	}
	rules, errs := compiler.Load([]string{rulesDir})
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	set, errs := compiler.CompileSet(rules, ps)
	for _, e := range errs {
		if !e.Warning {
			t.Fatal(e)
		}
	}
	inTime := func(ev map[string]any, from, to time.Time) (time.Time, bool) {
		tm, ok := refeval.ParseTime(ev["eventTime"])
		return tm, ok && !tm.Before(from) && tm.Before(to)
	}
	want := map[string]int64{}
	inside := map[*ir.Rule]bool{}
	var lookback time.Duration
	for _, cr := range set.Correlations {
		c := cr.Correlation
		lookback = max(lookback, c.Timespan, c.Lookback)
		if !c.Generate {
			for _, b := range c.Bases {
				inside[b.Rule] = true
			}
		}
	}
	for _, res := range set.Rules {
		if inside[res.Rule] {
			continue
		}
		for _, ev := range events {
			if _, ok := inTime(ev, from, to); ok && refeval.Eval(res.Rule.Where, ev) {
				want[findings.ID(res.Rule.ID, []string{fmt.Sprint(ev["eventID"])}, time.Time{})] = 1
			}
		}
	}
	var window []map[string]any
	for _, ev := range events {
		if _, ok := inTime(ev, from.Add(-lookback), to); ok {
			window = append(window, ev)
		}
	}
	for _, cr := range set.Correlations {
		fs, err := refeval.Correlate(cr.Correlation, map[string][]map[string]any{"cloudtrail": window})
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range fs {
			if f.Fired.Before(from) || !f.Fired.Before(to) {
				continue
			}
			var group []string
			for _, g := range f.Group {
				if g == nil {
					group = append(group, "\x00null")
				} else {
					group = append(group, *g)
				}
			}
			if cr.Correlation.Type == ir.NewTerms {
				group = append(group, f.Events[0])
			}
			want[findings.ID(cr.Correlation.ID, group, f.Fired)] = int64(len(f.Events))
		}
	}
	return want
}

func readFindings(t *testing.T, dir string) []findings.Finding {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, findings.JSONLFile))
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	var out []findings.Finding
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, 16<<20)
	for sc.Scan() {
		var f findings.Finding
		if err := json.Unmarshal(sc.Bytes(), &f); err != nil {
			t.Fatal(err)
		}
		out = append(out, f)
	}
	return out
}

func counts(fs []findings.Finding) map[string]int64 {
	m := map[string]int64{}
	for _, f := range fs {
		if _, dup := m[f.ID]; dup {
			m[f.ID+" (duplicate)"]++
		}
		m[f.ID] = f.Count
	}
	return m
}

func run(t *testing.T, spec *hunts.Spec, opts runner.Options) *runner.Report {
	t.Helper()
	rep, err := runner.Run(context.Background(), spec, opts)
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

// A hunt over an explicit window finds exactly what the reference
// evaluator finds there; running the window again adds nothing.
func TestHuntWindowExact(t *testing.T) {
	dir := t.TempDir()
	spec := load(t, writeSpec(t, dir, map[string]string{"cloudtrail": parquetGlob()}))
	from, to := simStart.Add(20*time.Hour), simStart.Add(60*time.Hour)
	rep := run(t, spec, runner.Options{From: from, To: to})
	if len(rep.Errors) > 0 {
		t.Fatalf("errors: %v", rep.Errors)
	}
	want := expected(t, from, to)
	if len(want) == 0 {
		t.Fatal("the reference finds nothing in the window: the test proves nothing")
	}
	got := readFindings(t, spec.OutDir)
	if diff := cmp.Diff(want, counts(got)); diff != "" {
		t.Errorf("findings (-want +got):\n%s", diff)
	}
	if rep.New != len(want) || rep.Found != len(want) {
		t.Errorf("report: found %d, new %d; want %d", rep.Found, rep.New, len(want))
	}
	var corr, single int
	for _, f := range got {
		if f.Kind == "correlation" {
			corr++
			if key, ok := f.Group["userIdentity.accessKeyId"]; ok && (key != f.Entity["access_key_id"] || !strings.Contains(key, "…#")) {
				t.Errorf("correlation finding %s: access key id %q (entity %q) not redacted", f.ID, key, f.Entity["access_key_id"])
			}
		} else {
			single++
			if f.Entity["principal"] == "" || len(f.EventIDs) != 1 {
				t.Errorf("single-event finding %s lacks its principal or event id: %+v", f.ID, f)
			}
		}
		if f.FiredAt.Before(from) || !f.FiredAt.Before(to) {
			t.Errorf("finding %s fired at %s, outside the window", f.ID, f.FiredAt)
		}
	}
	t.Logf("%d findings: %d correlation, %d single-event", len(got), corr, single)
	if corr == 0 || single == 0 {
		t.Errorf("want both kinds of findings, got %d correlation and %d single-event ones", corr, single)
	}
	// The OCSF and Parquet sinks hold the same findings.
	ocsf, err := os.ReadFile(filepath.Join(spec.OutDir, findings.OCSFFile))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(ocsf)), "\n")
	if len(lines) != len(got) {
		t.Errorf("%d OCSF lines, want %d", len(lines), len(got))
	}
	var first map[string]any
	if err := json.Unmarshal([]byte(lines[0]), &first); err != nil {
		t.Fatal(err)
	}
	if first["class_uid"] != float64(2004) || first["type_uid"] != float64(200401) {
		t.Errorf("OCSF class %v type %v, want 2004 and 200401", first["class_uid"], first["type_uid"])
	}
	if n := parquetRows(t, filepath.Join(spec.OutDir, findings.ParquetFile)); n != len(got) {
		t.Errorf("%d Parquet rows, want %d", n, len(got))
	}
	if testing.Verbose() {
		t.Logf("first finding: %s", lines[0])
		b, _ := json.Marshal(got[0])
		t.Logf("as JSON: %s", b)
	}
	before := snapshot(t, spec.OutDir)
	rep = run(t, spec, runner.Options{From: from, To: to})
	if rep.New != 0 || rep.Found != len(want) {
		t.Errorf("second run: found %d, new %d; want %d found, 0 new", rep.Found, rep.New, len(want))
	}
	if diff := cmp.Diff(before, snapshot(t, spec.OutDir)); diff != "" {
		t.Errorf("second run changed the findings (-before +after):\n%s", diff)
	}
}

func parquetRows(t *testing.T, path string) int {
	t.Helper()
	eng, err := duckdb.Open(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	rows, err := eng.Query(context.Background(), "SELECT count(*) AS n FROM read_parquet('"+path+"')")
	if err != nil {
		t.Fatal(err)
	}
	return int(rows[0]["n"].(int64))
}

// snapshot reads the findings files that must be the same after a re-run.
func snapshot(t *testing.T, dir string) map[string]string {
	t.Helper()
	m := map[string]string{}
	for _, f := range []string{findings.JSONLFile, findings.OCSFFile} {
		b, err := os.ReadFile(filepath.Join(dir, f))
		if err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
		m[f] = string(b)
	}
	return m
}

// Incremental runs from the watermark, killed at every phase and resumed,
// end with the findings of uninterrupted runs, which are the reference's.
func TestHuntKilledAndResumed(t *testing.T) {
	nows := []time.Time{simStart.Add(36*time.Hour + 15*time.Minute), simStart.Add(72*time.Hour + 15*time.Minute)}
	// Uninterrupted.
	refDir := t.TempDir()
	ref := load(t, writeSpec(t, refDir, map[string]string{"cloudtrail": parquetGlob()}))
	for _, now := range nows {
		if rep := run(t, ref, runner.Options{Now: now}); len(rep.Errors) > 0 {
			t.Fatal(rep.Errors)
		}
	}
	want := snapshot(t, ref.OutDir)
	wantIDs := expected(t, simStart, simStart.Add(36*time.Hour))
	for id, n := range expected(t, simStart.Add(36*time.Hour), simStart.Add(72*time.Hour)) {
		wantIDs[id] = n
	}
	if diff := cmp.Diff(wantIDs, counts(readFindings(t, ref.OutDir))); diff != "" {
		t.Fatalf("uninterrupted runs (-want +got):\n%s", diff)
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	phases := []string{"registered:cloudtrail", "queried:cloudtrail", "jsonl-written", "ocsf-written", "parquet-written", "saved:cloudtrail", "watermark:cloudtrail"}
	for _, phase := range phases {
		t.Run(phase, func(t *testing.T) {
			dir := t.TempDir()
			specPath := writeSpec(t, dir, map[string]string{"cloudtrail": parquetGlob()})
			for _, now := range nows {
				killAt(t, exe, childArgs{Spec: specPath, Now: now, Pause: phase})
				// A killed run leaves the lock free.
				spec := load(t, specPath)
				if rep := run(t, spec, runner.Options{Now: now}); len(rep.Errors) > 0 {
					t.Fatal(rep.Errors)
				}
			}
			if diff := cmp.Diff(want, snapshot(t, filepath.Join(dir, "out"))); diff != "" {
				t.Errorf("killed at %s and resumed (-uninterrupted +resumed):\n%s", phase, diff)
			}
		})
	}
}

// killAt runs a hunt in a child process, waits until it pauses at the
// phase and SIGKILLs it.
func killAt(t *testing.T, exe string, a childArgs) {
	t.Helper()
	arg, _ := json.Marshal(a)
	cmd := exec.Command(exe, "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"="+string(arg))
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var log strings.Builder
	sc := bufio.NewScanner(stderr)
	paused := false
	for sc.Scan() {
		log.WriteString(sc.Text() + "\n")
		if strings.HasPrefix(sc.Text(), "paused at ") {
			paused = true
			break
		}
	}
	cmd.Process.Kill()
	go io.Copy(io.Discard, stderr)
	cmd.Wait()
	if !paused {
		t.Fatalf("the child never reached %s:\n%s", a.Pause, log.String())
	}
}

// A corrupt Parquet file fails its source with an error naming the file;
// the other source is hunted and its watermark advances, the failed one's
// does not.
func TestHuntCorruptParquet(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad")
	good := filepath.Join(dataDir, "parquet")
	var files []string
	filepath.Walk(good, func(p string, info os.FileInfo, err error) error {
		if err == nil && !info.IsDir() {
			files = append(files, p)
		}
		return nil
	})
	if len(files) == 0 {
		t.Fatal("no Parquet files")
	}
	var corrupt string
	for i, f := range files {
		rel, _ := filepath.Rel(good, f)
		dst := filepath.Join(bad, rel)
		os.MkdirAll(filepath.Dir(dst), 0o755)
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if i == len(files)/2 {
			data = data[:len(data)/2] // truncated
			corrupt = dst
		}
		if err := os.WriteFile(dst, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	spec := load(t, writeSpec(t, dir, map[string]string{"good": parquetGlob(), "bad": filepath.Join(bad, "**", "*.parquet")}))
	now := simStart.Add(72*time.Hour + 15*time.Minute)
	rep := run(t, spec, runner.Options{Now: now})
	var msgs []string
	for _, e := range rep.Errors {
		msgs = append(msgs, e.Error())
	}
	t.Logf("errors: %q", msgs)
	if len(rep.Errors) != 1 || !strings.Contains(msgs[0], corrupt) || !strings.Contains(msgs[0], "source bad") {
		t.Errorf("errors %q: want one naming source bad and %s", msgs, corrupt)
	}
	st, err := state.Open(spec.StateDir, spec.Name)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := st.Watermark("bad"); ok {
		t.Error("the failed source's watermark was set")
	}
	if wm, ok, _ := st.Watermark("good"); !ok || !wm.Equal(now.Add(-15*time.Minute)) {
		t.Errorf("good source's watermark %v (set %v), want %v", wm, ok, now.Add(-15*time.Minute))
	}
	want := expected(t, simStart, simStart.Add(72*time.Hour))
	if diff := cmp.Diff(want, counts(readFindings(t, spec.OutDir))); diff != "" {
		t.Errorf("good source's findings (-want +got):\n%s", diff)
	}
}

// A second run of one hunt while the first holds the lock fails at once.
func TestHuntLocked(t *testing.T) {
	dir := t.TempDir()
	spec := load(t, writeSpec(t, dir, map[string]string{"cloudtrail": parquetGlob()}))
	st, err := state.Open(spec.StateDir, spec.Name)
	if err != nil {
		t.Fatal(err)
	}
	lock, err := st.Lock()
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Release()
	_, err = runner.Run(context.Background(), spec, runner.Options{Now: simStart.Add(time.Hour)})
	if !runner.IsLocked(err) {
		t.Errorf("error %v, want the hunt is locked", err)
	}
}

// A dry run plans one scan for the single-event rules, one query per
// correlation, prunes day folders outside the window and writes nothing.
func TestHuntDryRun(t *testing.T) {
	dir := t.TempDir()
	spec := load(t, writeSpec(t, dir, map[string]string{"cloudtrail": parquetGlob()}))
	// Two single-event rules and the session token replay correlation
	// (timespan 1h).
	spec.Rules.IDs = []string{"59b9a65c-dc27-45e1-a1bf-1223e7fd9d3e", "095090b5-7cd5-44c9-85f4-3a562a8b6cb8", "aabc9605-918e-4842-b010-775bdb58f708"}
	from, to := simStart.Add(26*time.Hour), simStart.Add(30*time.Hour)
	rep := run(t, spec, runner.Options{From: from, To: to, DryRun: true})
	if len(rep.Sources) != 1 {
		t.Fatalf("%d sources", len(rep.Sources))
	}
	s := rep.Sources[0]
	if s.Skipped == 0 {
		t.Errorf("no file pruned: %d files", len(s.Files))
	}
	for _, f := range s.Files {
		if !strings.Contains(f, "day=03") {
			t.Errorf("file %s outside the window's day is read", f)
		}
	}
	var single, corr int
	for _, q := range s.Queries {
		if len(q.Rules) > 1 {
			single++
			if !strings.Contains(q.SQL, "list_filter") {
				t.Errorf("single-event scan is not one query:\n%s", q.SQL)
			}
		} else {
			corr++
		}
	}
	if single != 1 || corr != 1 {
		t.Errorf("%d combined scans and %d other queries, want 1 and 1", single, corr)
	}
	if _, err := os.Stat(filepath.Join(dir, "out")); !os.IsNotExist(err) {
		t.Errorf("a dry run wrote %s", filepath.Join(dir, "out"))
	}
}

// A query that times out fails its source with the reason; the watermark
// stays.
func TestHuntTimeout(t *testing.T) {
	dir := t.TempDir()
	spec := load(t, writeSpec(t, dir, map[string]string{"cloudtrail": parquetGlob()}))
	spec.Timeout = time.Nanosecond
	rep := run(t, spec, runner.Options{Now: simStart.Add(24 * time.Hour)})
	if len(rep.Errors) == 0 || !strings.Contains(fmt.Sprint(rep.Errors), "query timed out after 1ns") {
		t.Errorf("errors %v, want a query timed out", rep.Errors)
	}
	t.Logf("errors: %v", rep.Errors)
	st, _ := state.Open(spec.StateDir, spec.Name)
	if _, ok, _ := st.Watermark("cloudtrail"); ok {
		t.Error("watermark set after a failed query")
	}
}

// Sources that cannot be read (a file where the glob expects a folder, a
// dangling symlink, a folder without permission) each fail with an error
// naming the path; the good source is hunted and its watermark advances,
// the failed ones' do not.
func TestHuntUnreadableSources(t *testing.T) {
	dir := t.TempDir()
	notDir := filepath.Join(dir, "export.parquet")
	if err := os.WriteFile(notDir, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	dangling := filepath.Join(dir, "dangling", "year=2026", "month=11", "day=02", "part-0.parquet")
	os.MkdirAll(filepath.Dir(dangling), 0o755)
	if err := os.Symlink(filepath.Join(dir, "gone.parquet"), dangling); err != nil {
		t.Fatal(err)
	}
	sources := map[string]string{
		"good":     parquetGlob(),
		"notdir":   filepath.Join(notDir, "**", "*.parquet"),
		"dangling": filepath.Join(dir, "dangling", "**", "*.parquet"),
	}
	want := map[string]string{
		"notdir":   "source notdir: " + notDir + " is not a folder",
		"dangling": "source dangling: cannot read " + dangling + ": no such file or directory",
	}
	if os.Geteuid() != 0 { // root reads a folder whatever its mode
		locked := filepath.Join(dir, "locked")
		os.MkdirAll(filepath.Join(locked, "inner"), 0o755)
		if err := os.Chmod(locked, 0); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { os.Chmod(locked, 0o755) })
		sources["locked"] = filepath.Join(locked, "**", "*.parquet")
		want["locked"] = "source locked: read " + locked + ": open " + locked + ": permission denied"
	}
	spec := load(t, writeSpec(t, dir, sources))
	now := simStart.Add(72*time.Hour + 15*time.Minute)
	rep := run(t, spec, runner.Options{Now: now})
	got := map[string]string{}
	for _, e := range rep.Errors {
		name, _, _ := strings.Cut(strings.TrimPrefix(e.Error(), "source "), ":")
		got[name] = e.Error()
	}
	for name, prefix := range want {
		if !strings.HasPrefix(got[name], prefix) {
			t.Errorf("source %s: error %q, want it to start %q", name, got[name], prefix)
		}
	}
	if len(rep.Errors) != len(want) {
		t.Errorf("errors %q, want one per failed source", rep.Errors)
	}
	st, err := state.Open(spec.StateDir, spec.Name)
	if err != nil {
		t.Fatal(err)
	}
	for name := range want {
		if _, ok, _ := st.Watermark(name); ok {
			t.Errorf("the failed source %s's watermark was set", name)
		}
	}
	if wm, ok, _ := st.Watermark("good"); !ok || !wm.Equal(now.Add(-15*time.Minute)) {
		t.Errorf("good source's watermark %v (set %v), want %v", wm, ok, now.Add(-15*time.Minute))
	}
	if diff := cmp.Diff(expected(t, simStart, simStart.Add(72*time.Hour)), counts(readFindings(t, spec.OutDir))); diff != "" {
		t.Errorf("good source's findings (-want +got):\n%s", diff)
	}
}

// Progress reports every file and query of a source, in order, ending at
// its total.
func TestHuntProgress(t *testing.T) {
	dir := t.TempDir()
	spec := load(t, writeSpec(t, dir, map[string]string{"cloudtrail": parquetGlob()}))
	var steps []runner.Progress
	rep := run(t, spec, runner.Options{Now: simStart.Add(72*time.Hour + 15*time.Minute), Progress: func(p runner.Progress) { steps = append(steps, p) }})
	s := rep.Sources[0]
	total := len(s.Files) + len(s.Queries)
	if len(steps) < 3 || len(s.Queries) < 2 {
		t.Fatalf("%d steps for %d files and %d queries: %+v", len(steps), len(s.Files), len(s.Queries), steps)
	}
	if first := steps[0]; first.Done != 0 || first.Total != total || first.Step != fmt.Sprintf("reading %d files", len(s.Files)) {
		t.Errorf("first step %+v, want reading %d files, 0 of %d", first, len(s.Files), total)
	}
	if last := steps[len(steps)-1]; last != (runner.Progress{Source: "cloudtrail", Step: "done", Done: total, Total: total}) {
		t.Errorf("last step %+v, want done %d of %d", last, total, total)
	}
	corrs := 0
	for i, p := range steps {
		if p.Source != "cloudtrail" || p.Total != total || (i > 0 && p.Done < steps[i-1].Done) {
			t.Errorf("step %d %+v: wrong source or total, or going back", i, p)
		}
		if strings.HasPrefix(p.Step, "correlation: ") {
			corrs++
		}
	}
	if corrs != len(s.Queries)-1 {
		t.Errorf("%d correlation steps, want %d", corrs, len(s.Queries)-1)
	}
}

// A hunt with sources of several pipelines runs each source's rules, and a
// correlation whose base rules read two sources' tables runs over both
// (the sources are hunted in one engine); its base rules raise no findings
// of their own, and nothing is an error.
func TestHuntSeveralPipelines(t *testing.T) {
	// An AWS call of the simulated data, and the other source's event by
	// the same principal a minute later.
	var arn, callID string
	var at time.Time
	for _, ev := range events {
		ui, _ := ev["userIdentity"].(map[string]any)
		name, _ := ev["eventName"].(string)
		a, _ := ui["arn"].(string)
		tm, ok := refeval.ParseTime(ev["eventTime"])
		if a != "" && strings.HasPrefix(name, "Get") && ok && tm.After(simStart.Add(time.Hour)) && tm.Before(simStart.Add(20*time.Hour)) {
			arn, at, callID = a, tm, fmt.Sprint(ev["eventID"])
			break
		}
	}
	if arn == "" {
		t.Fatal("no Get call with an ARN in the simulated data")
	}
	dir := t.TempDir()
	rules := filepath.Join(dir, "rules")
	if err := os.MkdirAll(rules, 0o755); err != nil {
		t.Fatal(err)
	}
	files := map[string]string{
		"aws.yml": `title: aws call
id: 6b0e8f52-31c4-4e55-8d5e-0d7a3b6c2a01
name: aws_call
logsource: {product: aws, service: cloudtrail}
detection:
  sel: {eventName|startswith: Get}
  condition: sel
level: informational
---
title: aws burst
id: 6b0e8f52-31c4-4e55-8d5e-0d7a3b6c2a02
correlation:
  type: event_count
  rules: [aws_call]
  group-by: [userIdentity.arn]
  timespan: 1h
  condition: {gte: 1000000}
level: high
`,
		"other.yml": `title: other event
id: 6b0e8f52-31c4-4e55-8d5e-0d7a3b6c2a03
name: other_event
logsource: {product: test, service: other}
detection:
  sel: {name: x}
  condition: sel
level: informational
---
title: across two sources
id: 6b0e8f52-31c4-4e55-8d5e-0d7a3b6c2a04
correlation:
  type: temporal
  rules: [aws_call, other_event]
  group-by: [user]
  aliases:
    user: {aws_call: userIdentity.arn, other_event: user}
  timespan: 1h
level: high
`,
		"other-pipeline.yml": "name: other\nlogsources:\n  - product: test\n    service: other\n    table: other\n    time: ts\n    id: id\n    fields:\n      ts: {type: timestamp}\n",
		"other.jsonl":        `{"id":"o1","ts":"` + at.Add(time.Minute).Format(time.RFC3339) + `","name":"x","user":"` + arn + `"}` + "\n",
	}
	for name, text := range files {
		path := filepath.Join(rules, name)
		if strings.HasSuffix(name, "pipeline.yml") || strings.HasSuffix(name, ".jsonl") {
			path = filepath.Join(dir, name)
		}
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	spec := fmt.Sprintf(`name: two-pipelines
rules:
  paths: [%s]
sources:
  - name: cloudtrail
    logsource: {product: aws, service: cloudtrail}
    pipeline: cloudtrail
    paths: [%q]
  - name: other
    logsource: {product: test, service: other}
    pipeline: %s
    paths: [%q]
window:
  start: %s
outputs:
  dir: %s
`, rules, parquetGlob(), filepath.Join(dir, "other-pipeline.yml"), filepath.Join(dir, "other.jsonl"), simStart.Format(time.RFC3339), filepath.Join(dir, "out"))
	specPath := filepath.Join(dir, "hunt.yml")
	if err := os.WriteFile(specPath, []byte(spec), 0o644); err != nil {
		t.Fatal(err)
	}
	rep := run(t, load(t, specPath), runner.Options{From: simStart, To: simStart.Add(24 * time.Hour)})
	if len(rep.Errors) > 0 {
		t.Fatalf("errors: %v", rep.Errors)
	}
	for _, w := range rep.Warnings {
		if strings.Contains(w.Error(), "across two sources") {
			t.Errorf("warning for the cross-source correlation: %v", w)
		}
	}
	var found bool
	for _, f := range readFindings(t, filepath.Join(dir, "out")) {
		if f.Rule.Title == "across two sources" && slices.Contains(f.EventIDs, "o1") && slices.Contains(f.EventIDs, callID) && f.Group["user"] == arn {
			found = true
		}
	}
	if !found {
		t.Errorf("no finding of the cross-source correlation with events o1 and %s of %s", callID, arn)
	}
	ran := map[string]bool{}
	for _, rr := range rep.Rules {
		ran[rr.Title] = true
	}
	if !ran["aws burst"] || !ran["across two sources"] {
		t.Errorf("a correlation did not run: %v", ran)
	}
	for _, base := range []string{"aws call", "other event"} {
		if ran[base] {
			t.Errorf("%q ran on its own", base)
		}
	}
}
