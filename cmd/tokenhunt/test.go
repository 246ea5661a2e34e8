package main

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/tokenhunt/tokenhunt/internal/ruletest"
)

func newTest() *cobra.Command {
	var verbose bool
	cmd := &cobra.Command{
		Use:   "test [-v] RULES...",
		Short: "Run the tests beside rule files (NAME.tests.yml) on embedded DuckDB",
		Long: `Run each rule file's tests: NAME.tests.yml beside NAME.yml names the pipeline and
holds fire cases (events the rule must catch) and quiet cases (near misses it must
not). Each case's events are loaded into DuckDB as the rule's table and the rule's
query, or its correlation's, is run; the reference evaluator must agree.

Exit codes: 0 all pass, 1 a test failed or a rule has no tests, 2 errors.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			files, err := ruletest.RuleFiles(args)
			if err != nil {
				return &exitError{code: 2, err: err}
			}
			if len(files) == 0 {
				return &exitError{code: 2, err: fmt.Errorf("no rule files (*.yml, *.yaml) in %s", strings.Join(args, " "))}
			}
			r, err := ruletest.NewRunner(cmd.Context())
			if err != nil {
				return &exitError{code: 2, err: err}
			}
			defer r.Close()
			out := cmd.OutOrStdout()
			failed := 0
			for _, f := range files {
				res := r.RunFile(cmd.Context(), f)
				switch {
				case res.Err != nil:
					failed++
					fmt.Fprintf(out, "FAIL  %s\n      %s\n", f, strings.ReplaceAll(res.Err.Error(), "\n", "\n      "))
				case !res.Passed:
					failed++
					fmt.Fprintf(out, "FAIL  %s (%s)\n", f, res.Rule)
				default:
					fmt.Fprintf(out, "ok    %s (%s, %d cases)\n", f, res.Rule, len(res.Cases))
				}
				for _, c := range res.Cases {
					if c.Failure != "" {
						fmt.Fprintf(out, "      %s: %s\n", c.Case, c.Failure)
					} else if verbose {
						fmt.Fprintf(out, "      %s: ok %v\n", c.Case, c.Got)
					}
				}
			}
			fmt.Fprintf(out, "\n%d rule files, %d passed, %d failed\n", len(files), len(files)-failed, failed)
			if failed > 0 {
				return &exitError{code: 1}
			}
			return nil
		},
	}
	cmd.Flags().BoolVarP(&verbose, "verbose", "v", false, "print every case and the event ids it matched")
	return cmd
}
