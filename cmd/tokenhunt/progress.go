package main

import (
	"fmt"
	"io"
	"os"
	"time"

	"github.com/schollz/progressbar/v3"

	"github.com/tokenhunt/tokenhunt/hunts/runner"
)

// progressDisplay draws a bar per source of a hunt on w (stderr) as the
// runner reports its steps.
type progressDisplay struct {
	w      io.Writer
	bar    *progressbar.ProgressBar
	source string
}

// newProgress returns the runner's Progress callback for --progress mode
// (auto: only when w is a terminal), and a func that ends the display;
// both are nil when nothing is drawn.
func newProgress(mode string, w io.Writer) (func(runner.Progress), func(), error) {
	switch mode {
	case "never":
		return nil, nil, nil
	case "auto":
		if !isTerminal(w) {
			return nil, nil, nil
		}
	case "always":
	default:
		return nil, nil, fmt.Errorf("--progress %q: want auto, always or never", mode)
	}
	d := &progressDisplay{w: w}
	return d.update, d.finish, nil
}

func (d *progressDisplay) update(p runner.Progress) {
	if d.bar == nil || p.Source != d.source {
		d.finish()
		d.source = p.Source
		d.bar = progressbar.NewOptions(p.Total,
			progressbar.OptionSetWriter(d.w),
			progressbar.OptionSetWidth(30),
			progressbar.OptionShowCount(),
			progressbar.OptionSetElapsedTime(true),
			progressbar.OptionThrottle(100*time.Millisecond),
			progressbar.OptionOnCompletion(func() { fmt.Fprintln(d.w) }),
		)
	}
	d.bar.Describe(p.Source + ": " + p.Step)
	d.bar.Set(p.Done)
}

func (d *progressDisplay) finish() {
	if d.bar != nil && !d.bar.IsFinished() {
		d.bar.Finish()
	}
	d.bar = nil
}

// isTerminal reports whether w is a character device (a terminal).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
