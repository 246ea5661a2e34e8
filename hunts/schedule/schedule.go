// Package schedule runs hunts on their cron schedules, for people without
// cron: it sleeps until a hunt's next scheduled time, runs it over its
// watermark window (hunts/runner), one run at a time, and logs one line
// per run.
//
// A hunt is due when its schedule has fired since its last run. The last
// run is kept in the hunt's state folder (last-run.json), so a hunt whose
// time passed while the scheduler was down, or that never ran, runs as
// soon as the scheduler starts; the watermark makes the window cover
// everything since the last complete run, so nothing is missed either way.
package schedule

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/tokenhunt/tokenhunt/hunts"
	"github.com/tokenhunt/tokenhunt/hunts/cron"
	"github.com/tokenhunt/tokenhunt/hunts/runner"
	"github.com/tokenhunt/tokenhunt/hunts/state"
	"github.com/tokenhunt/tokenhunt/internal/redact"
)

// Clock tells the time and sleeps; tests inject one that sleeps at once.
type Clock interface {
	Now() time.Time
	// Sleep waits for d, or returns ctx's error when ctx ends first.
	Sleep(ctx context.Context, d time.Duration) error
}

type realClock struct{}

func (realClock) Now() time.Time { return time.Now() }

func (realClock) Sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// RunFunc runs one hunt; runner.Run is the default.
type RunFunc func(ctx context.Context, spec *hunts.Spec, opts runner.Options) (*runner.Report, error)

// Options change how the scheduler runs.
type Options struct {
	// Clock defaults to the system clock.
	Clock Clock
	// Run defaults to runner.Run.
	Run RunFunc
	// Log receives one line per run (redacted); nil discards them.
	Log io.Writer
	// Once runs every due hunt once and returns instead of sleeping.
	Once bool
	// Runner is passed to each run (its From, To and Now are ignored:
	// a scheduled run hunts its watermark window up to the clock's now).
	Runner runner.Options
}

// Hunt is one scheduled hunt spec.
type Hunt struct {
	// File is the spec file, read again before each run so that edits
	// apply to the next run.
	File     string
	Name     string
	Schedule *cron.Schedule
	stateDir string
}

// Load reads the specs: each needs a schedule that fires and an output
// or state folder, and no two may share a name.
func Load(files []string, opts runner.Options) ([]*Hunt, error) {
	var out []*Hunt
	names := map[string]string{}
	for _, f := range files {
		spec, err := hunts.Load(f)
		if err != nil {
			return nil, err
		}
		if spec.Schedule == "" {
			return nil, fmt.Errorf("%s: hunt %s has no schedule: add e.g. schedule: \"30 2 * * *\" (UTC), or run it with tokenhunt hunt", f, spec.Name)
		}
		if prev, ok := names[spec.Name]; ok {
			return nil, fmt.Errorf("%s and %s both name hunt %s: give each its own name", prev, f, spec.Name)
		}
		names[spec.Name] = f
		sched, err := cron.Parse(spec.Schedule)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", f, err)
		}
		if _, ok := sched.Next(time.Now().UTC()); !ok {
			return nil, fmt.Errorf("%s: schedule %q never fires", f, spec.Schedule)
		}
		h := &Hunt{File: f, Name: spec.Name, Schedule: sched, stateDir: stateRoot(spec, opts)}
		if h.stateDir == "" {
			return nil, fmt.Errorf("%s: hunt %s has no output folder: set outputs: {dir: ...} or --out", f, spec.Name)
		}
		out = append(out, h)
	}
	return out, nil
}

// stateRoot is where the runner keeps the hunt's state.
func stateRoot(spec *hunts.Spec, opts runner.Options) string {
	switch {
	case opts.StateDir != "":
		return opts.StateDir
	case opts.OutDir != "":
		return filepath.Join(opts.OutDir, "state")
	case spec.StateDir != "":
		return spec.StateDir
	case spec.OutDir != "":
		return filepath.Join(spec.OutDir, "state")
	}
	return ""
}

const lastRunFile = "last-run.json"

type lastRun struct {
	Started time.Time `json:"started"`
}

func (h *Hunt) lastRunPath() string { return filepath.Join(h.stateDir, h.Name, lastRunFile) }

func (h *Hunt) readLastRun() (time.Time, error) {
	data, err := os.ReadFile(h.lastRunPath())
	if errors.Is(err, os.ErrNotExist) {
		return time.Time{}, nil
	}
	if err != nil {
		return time.Time{}, err
	}
	var lr lastRun
	if err := json.Unmarshal(data, &lr); err != nil {
		return time.Time{}, fmt.Errorf("%s: %w (remove it: the hunt then runs at once)", h.lastRunPath(), err)
	}
	return lr.Started.UTC(), nil
}

func (h *Hunt) writeLastRun(t time.Time) error {
	data, err := json.Marshal(lastRun{Started: t.UTC()})
	if err != nil {
		return err
	}
	return state.WriteFile(h.lastRunPath(), append(data, '\n'))
}

// Summary counts what the scheduler did.
type Summary struct {
	// Runs counts runs started, Failed those with errors (including a
	// hunt found locked by another run), New the new findings written.
	Runs, Failed, New int
}

// maxSleep bounds one sleep, so that a clock that jumps (a suspended
// laptop, a corrected clock) delays a run by at most this much.
const maxSleep = time.Minute

// Run schedules the hunts until ctx ends (then it returns nil), or, with
// Once, runs the due hunts and returns.
func Run(ctx context.Context, hs []*Hunt, opts Options) (Summary, error) {
	if opts.Clock == nil {
		opts.Clock = realClock{}
	}
	if opts.Run == nil {
		opts.Run = runner.Run
	}
	if opts.Log == nil {
		opts.Log = io.Discard
	}
	var sum Summary
	last := make([]time.Time, len(hs))
	for i, h := range hs {
		t, err := h.readLastRun()
		if err != nil {
			return sum, fmt.Errorf("hunt %s: %w", h.Name, err)
		}
		last[i] = t
	}
	for {
		for i, h := range hs {
			if ctx.Err() != nil {
				return sum, nil
			}
			now := opts.Clock.Now().UTC()
			if next, _ := h.Schedule.Next(last[i]); !last[i].IsZero() && next.After(now) {
				continue
			}
			last[i] = now // also when it fails: it is due again at its next time
			runOne(ctx, h, now, opts, &sum)
		}
		if opts.Once || ctx.Err() != nil {
			return sum, nil
		}
		var wake time.Time
		for i, h := range hs {
			if next, ok := h.Schedule.Next(last[i]); ok && (wake.IsZero() || next.Before(wake)) {
				wake = next
			}
		}
		if wake.IsZero() {
			return sum, fmt.Errorf("no schedule fires again")
		}
		d := min(wake.Sub(opts.Clock.Now()), maxSleep)
		if d > 0 {
			if err := opts.Clock.Sleep(ctx, d); err != nil {
				return sum, nil
			}
		}
	}
}

// runOne runs one hunt and logs its line.
func runOne(ctx context.Context, h *Hunt, now time.Time, opts Options, sum *Summary) {
	sum.Runs++
	logf := func(format string, args ...any) {
		fmt.Fprintln(opts.Log, redact.String(now.Format(time.RFC3339)+" hunt "+h.Name+": "+fmt.Sprintf(format, args...)))
	}
	spec, err := hunts.Load(h.File)
	if err != nil {
		sum.Failed++
		logf("failed: %v", err)
		return
	}
	if spec.Name != h.Name {
		sum.Failed++
		logf("failed: %s now names hunt %s: restart the scheduler to rename a hunt", h.File, spec.Name)
		return
	}
	ro := opts.Runner
	ro.From, ro.To, ro.Now, ro.DryRun = time.Time{}, time.Time{}, now, false
	rep, err := opts.Run(ctx, spec, ro)
	took := opts.Clock.Now().Sub(now).Round(time.Millisecond)
	msg := ""
	if err != nil {
		msg = strings.TrimPrefix(err.Error(), "hunt "+h.Name+": ") // the line names the hunt
	}
	switch {
	case err != nil && ctx.Err() != nil:
		sum.Failed++
		logf("stopped after %s: %v", took, ctx.Err())
		return
	case runner.IsLocked(err):
		sum.Failed++
		logf("skipped: %s", msg)
		return
	case err != nil:
		sum.Failed++
		logf("failed after %s: %s", took, msg)
		return
	}
	sum.New += rep.New
	line := fmt.Sprintf("%d sources, %d rules, %d findings, %d new, %d errors in %s", len(rep.Sources), len(rep.Rules), rep.Found, rep.New, len(rep.Errors), took)
	if rep.Failed() {
		sum.Failed++
		line += fmt.Sprintf(" (first: %v)", rep.Errors[0])
	}
	logf("%s", line)
	if err := h.writeLastRun(now); err != nil {
		sum.Failed++
		logf("cannot record the run: %v", err)
	}
}
