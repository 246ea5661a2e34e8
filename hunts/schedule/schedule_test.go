package schedule

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tokenhunt/tokenhunt/hunts"
	"github.com/tokenhunt/tokenhunt/hunts/runner"
	"github.com/tokenhunt/tokenhunt/hunts/state"
)

// fakeClock sleeps at once, moving its time on.
type fakeClock struct {
	now   time.Time
	slept []time.Duration
}

func (c *fakeClock) Now() time.Time { return c.now }

func (c *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.slept = append(c.slept, d)
	c.now = c.now.Add(d)
	return nil
}

func at(t *testing.T, s string) time.Time {
	t.Helper()
	v, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// writeSpec writes a hunt spec with a schedule; the stub runners below
// read none of its rules or data.
func writeSpec(t *testing.T, dir, name, schedule string) string {
	t.Helper()
	p := filepath.Join(dir, name+".yml")
	body := fmt.Sprintf(`name: %s
rules: {paths: [rules]}
sources:
  - {table: cloudtrail, pipeline: cloudtrail, paths: [logs/*.parquet]}
outputs: {dir: out}
schedule: %q
`, name, schedule)
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

type call struct {
	Hunt string
	Now  string
}

// recorder is a stub runner that records each run and stops the
// scheduler after stopAfter runs.
type recorder struct {
	calls     []call
	stopAfter int
	cancel    context.CancelFunc
	took      time.Duration
	clock     *fakeClock
	result    func(name string) (*runner.Report, error)
}

func (r *recorder) run(ctx context.Context, spec *hunts.Spec, opts runner.Options) (*runner.Report, error) {
	if !opts.From.IsZero() || !opts.To.IsZero() {
		return nil, fmt.Errorf("a scheduled run was given an explicit window")
	}
	r.calls = append(r.calls, call{spec.Name, opts.Now.Format(time.RFC3339)})
	if r.clock != nil {
		r.clock.now = r.clock.now.Add(r.took)
	}
	if len(r.calls) == r.stopAfter {
		r.cancel()
	}
	if r.result != nil {
		return r.result(spec.Name)
	}
	return &runner.Report{Hunt: spec.Name, Found: 2, New: 1}, nil
}

// Hunts run at their cron times, each over the watermark window up to the
// time it runs; hunts that never ran run at once; the scheduler sleeps
// between runs (never more than a minute at a time) and stops when its
// context ends.
func TestScheduleRunsAtCronTimes(t *testing.T) {
	dir := t.TempDir()
	files := []string{writeSpec(t, dir, "quarter", "*/15 * * * *"), writeSpec(t, dir, "daily", "0 11 * * *")}
	hs, err := Load(files, runner.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	clock := &fakeClock{now: at(t, "2026-11-02T10:07:30Z")}
	rec := &recorder{stopAfter: 8, cancel: cancel}
	var log strings.Builder
	sum, err := Run(ctx, hs, Options{Clock: clock, Run: rec.run, Log: &log})
	if err != nil {
		t.Fatal(err)
	}
	want := []call{
		{"quarter", "2026-11-02T10:07:30Z"}, {"daily", "2026-11-02T10:07:30Z"},
		{"quarter", "2026-11-02T10:15:00Z"}, {"quarter", "2026-11-02T10:30:00Z"}, {"quarter", "2026-11-02T10:45:00Z"},
		{"quarter", "2026-11-02T11:00:00Z"}, {"daily", "2026-11-02T11:00:00Z"},
		{"quarter", "2026-11-02T11:15:00Z"},
	}
	if diff := cmp.Diff(want, rec.calls); diff != "" {
		t.Errorf("runs (-want +got):\n%s", diff)
	}
	for _, d := range clock.slept {
		if d <= 0 || d > time.Minute {
			t.Errorf("slept %s, want (0, 1m]", d)
		}
	}
	if diff := cmp.Diff(Summary{Runs: 8, New: 8}, sum); diff != "" {
		t.Errorf("summary (-want +got):\n%s", diff)
	}
	lines := strings.Split(strings.TrimSpace(log.String()), "\n")
	if len(lines) != 8 || lines[2] != "2026-11-02T10:15:00Z hunt quarter: 0 sources, 0 rules, 2 findings, 1 new, 0 errors in 0s" {
		t.Errorf("log, want one line per run:\n%s", log.String())
	}
}

// A run that outlasts the next scheduled time is followed by one run at
// once, not by one per missed time.
func TestScheduleOverrun(t *testing.T) {
	dir := t.TempDir()
	hs, err := Load([]string{writeSpec(t, dir, "quarter", "*/15 * * * *")}, runner.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	clock := &fakeClock{now: at(t, "2026-11-02T10:00:00Z")}
	rec := &recorder{stopAfter: 3, cancel: cancel, clock: clock, took: 40 * time.Minute}
	if _, err := Run(ctx, hs, Options{Clock: clock, Run: rec.run}); err != nil {
		t.Fatal(err)
	}
	want := []call{{"quarter", "2026-11-02T10:00:00Z"}, {"quarter", "2026-11-02T10:40:00Z"}, {"quarter", "2026-11-02T11:20:00Z"}}
	if diff := cmp.Diff(want, rec.calls); diff != "" {
		t.Errorf("runs (-want +got):\n%s", diff)
	}
}

// --once runs the due hunts and returns: all of them the first time, none
// when run again at once, and only the hunt whose time came later on. A
// run that finds the hunt locked is skipped, logged, and due again.
func TestScheduleOnce(t *testing.T) {
	dir := t.TempDir()
	files := []string{writeSpec(t, dir, "quarter", "*/15 * * * *"), writeSpec(t, dir, "daily", "0 2 * * *")}
	once := func(now string, result func(string) (*runner.Report, error)) ([]call, Summary, string) {
		t.Helper()
		rec := &recorder{result: result}
		var log strings.Builder
		// Load again: a new scheduler process reads the last runs.
		hs, err := Load(files, runner.Options{})
		if err != nil {
			t.Fatal(err)
		}
		sum, err := Run(context.Background(), hs, Options{Clock: &fakeClock{now: at(t, now)}, Run: rec.run, Log: &log, Once: true})
		if err != nil {
			t.Fatal(err)
		}
		return rec.calls, sum, log.String()
	}
	calls, _, _ := once("2026-11-02T10:07:00Z", nil)
	if diff := cmp.Diff([]call{{"quarter", "2026-11-02T10:07:00Z"}, {"daily", "2026-11-02T10:07:00Z"}}, calls); diff != "" {
		t.Errorf("first --once (-want +got):\n%s", diff)
	}
	if calls, _, _ := once("2026-11-02T10:14:00Z", nil); len(calls) != 0 {
		t.Errorf("nothing due, ran %v", calls)
	}
	locked := func(name string) (*runner.Report, error) {
		return nil, fmt.Errorf("hunt %s: %w (lock x)", name, state.ErrLocked)
	}
	calls, sum, log := once("2026-11-02T10:16:00Z", locked)
	if diff := cmp.Diff([]call{{"quarter", "2026-11-02T10:16:00Z"}}, calls); diff != "" {
		t.Errorf("--once at 10:16 (-want +got):\n%s", diff)
	}
	if sum.Failed != 1 || !strings.Contains(log, "hunt quarter: skipped: another run of this hunt is in progress") {
		t.Errorf("locked run: summary %+v, log:\n%s", sum, log)
	}
	calls, _, _ = once("2026-11-02T10:17:00Z", nil)
	if diff := cmp.Diff([]call{{"quarter", "2026-11-02T10:17:00Z"}}, calls); diff != "" {
		t.Errorf("after a skipped run (-want +got):\n%s", diff)
	}
	calls, _, _ = once("2026-11-03T02:00:00Z", nil)
	if diff := cmp.Diff([]call{{"quarter", "2026-11-03T02:00:00Z"}, {"daily", "2026-11-03T02:00:00Z"}}, calls); diff != "" {
		t.Errorf("next day (-want +got):\n%s", diff)
	}
}

// A run's errors are counted and the first is logged, redacted.
func TestScheduleLogRedacted(t *testing.T) {
	dir := t.TempDir()
	hs, err := Load([]string{writeSpec(t, dir, "h", "0 * * * *")}, runner.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var log strings.Builder
	bad := func(string) (*runner.Report, error) {
		return &runner.Report{Errors: []error{fmt.Errorf("source s: cannot read key AKIAIOSFODNN7EXAMPLE.parquet")}}, nil
	}
	rec := &recorder{result: bad}
	sum, err := Run(context.Background(), hs, Options{Clock: &fakeClock{now: at(t, "2026-11-02T10:00:00Z")}, Run: rec.run, Log: &log, Once: true})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Failed != 1 || !strings.Contains(log.String(), "1 errors in 0s (first: source s: cannot read key ") || strings.Contains(log.String(), "AKIAIOSFODNN7EXAMPLE") {
		t.Errorf("summary %+v, log:\n%s", sum, log.String())
	}
}

func TestLoadErrors(t *testing.T) {
	dir := t.TempDir()
	a := writeSpec(t, dir, "a", "0 2 * * *")
	b := filepath.Join(dir, "b.yml")
	data, _ := os.ReadFile(a)
	os.WriteFile(b, data, 0o644)
	none := filepath.Join(dir, "none.yml")
	os.WriteFile(none, []byte(strings.Replace(string(data), `schedule: "0 2 * * *"`, "", 1)), 0o644)
	never := filepath.Join(dir, "never.yml")
	os.WriteFile(never, []byte(strings.Replace(strings.Replace(string(data), `0 2 * * *`, `0 0 30 2 *`, 1), "name: a", "name: never", 1)), 0o644)
	tests := []struct {
		files []string
		want  string
	}{
		{[]string{a, b}, "both name hunt a"},
		{[]string{none}, "hunt a has no schedule"},
		{[]string{never}, `schedule "0 0 30 2 *" never fires`},
	}
	for _, tt := range tests {
		_, err := Load(tt.files, runner.Options{})
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Load(%v) = %v, want an error containing %q", tt.files, err, tt.want)
		}
	}
}
