package main

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/tokenhunt/tokenhunt/backends"
	"github.com/tokenhunt/tokenhunt/compiler/pipeline"
	"github.com/tokenhunt/tokenhunt/compiler/sigma"
)

func newList() *cobra.Command {
	return &cobra.Command{
		Use:   "list targets|pipelines|modifiers",
		Short: "List the compile targets, the shipped pipelines or the Sigma modifiers",
		Long: `List what tokenhunt knows, one item a line:

  targets     the backends convert -t accepts
  pipelines   the shipped pipelines (-p NAME) with what each maps
  modifiers   the Sigma field modifiers rules may use`,
		Args:      cobra.MatchAll(cobra.ExactArgs(1), cobra.OnlyValidArgs),
		ValidArgs: []string{"targets", "pipelines", "modifiers"},
		RunE: func(cmd *cobra.Command, args []string) error {
			out := cmd.OutOrStdout()
			switch args[0] {
			case "targets":
				for _, b := range backends.All() {
					fmt.Fprintln(out, b.Name())
				}
			case "pipelines":
				return listPipelines(out)
			case "modifiers":
				for _, m := range sigma.Modifiers() {
					fmt.Fprintln(out, m)
				}
			}
			return nil
		},
	}
}

// listPipelines prints each shipped pipeline's name and description; a
// shipped pipeline that does not load is an error (exit code 2).
func listPipelines(w io.Writer) error {
	for _, name := range pipeline.Builtin() {
		p, err := pipeline.Resolve(name)
		if err != nil {
			return &exitError{code: 2, err: err}
		}
		fmt.Fprintf(w, "%-26s %s\n", name, oneLine(p.Description))
	}
	return nil
}
