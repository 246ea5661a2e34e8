package runner

import (
	"context"

	"github.com/tokenhunt/tokenhunt/hunts"
)

// RemoteEngine is remoteEngine, for the tests of package runner_test.
type RemoteEngine = remoteEngine

// SetOpen makes a run connect to cloud engines through open.
func SetOpen(o *Options, open func(ctx context.Context, spec *hunts.Spec, src *hunts.Source) (RemoteEngine, error)) {
	o.open = open
}

// OpenEngine connects to a source's cloud engine as a run does.
var OpenEngine = openEngine
