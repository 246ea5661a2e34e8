package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/tokenhunt/tokenhunt/hunts/runner"
	"github.com/tokenhunt/tokenhunt/hunts/schedule"
)

func newSchedule() *cobra.Command {
	var stateDir, outDir, progress string
	var once bool
	cmd := &cobra.Command{
		Use:   "schedule SPEC...",
		Short: "Run hunt specs on their cron schedules (for machines without cron)",
		Long: `Run hunt specs on their schedule: a five-field cron expression in UTC
(minute hour day-of-month month day-of-week, e.g. "30 2 * * *").

The scheduler sleeps until a hunt's next time and runs it like
tokenhunt hunt SPEC without --from/--to: from its watermark up to now minus
the settle delay. Runs go one at a time; a hunt already running elsewhere
(the lock in its state folder) is skipped and logged. The spec is read
again before each run. A hunt that never ran, or whose time passed while
the scheduler was down, runs at once (its last run is kept in its state
folder, last-run.json). Each run logs one line to stdout (redacted).
SIGINT or SIGTERM stops the scheduler, cancelling a run in progress; its
watermarks do not move, so the next run hunts that window again.

--once runs the due hunts once and exits: 0 when no run found anything new,
1 when one wrote new findings, 2 when one failed or was skipped.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ropts := runner.Options{StateDir: stateDir, OutDir: outDir}
			show, finish, err := newProgress(progress, cmd.ErrOrStderr())
			if err != nil {
				return &exitError{code: 2, err: err}
			}
			ropts.Progress = show
			hs, err := schedule.Load(args, ropts)
			if err != nil {
				return &exitError{code: 2, err: err}
			}
			out := cmd.OutOrStdout()
			if !once {
				for _, h := range hs {
					fmt.Fprintf(out, "hunt %s: schedule %q (UTC), %s\n", h.Name, h.Schedule, h.File)
				}
			}
			sum, err := schedule.Run(cmd.Context(), hs, schedule.Options{Log: out, Once: once, Runner: ropts})
			if finish != nil {
				finish()
			}
			if err != nil {
				return &exitError{code: 2, err: err}
			}
			if !once {
				return nil
			}
			switch {
			case sum.Failed > 0:
				return &exitError{code: 2}
			case sum.New > 0:
				return &exitError{code: 1}
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&once, "once", false, "run every due hunt once and exit")
	cmd.Flags().StringVar(&progress, "progress", "auto", "progress bars on stderr: auto (when stderr is a terminal), always or never")
	cmd.Flags().StringVar(&stateDir, "state", "", "state folder (watermarks, lock, last run); default each spec's, or OUT/state")
	cmd.Flags().StringVar(&outDir, "out", "", "output folder of the findings; default each spec's outputs.dir")
	return cmd
}
