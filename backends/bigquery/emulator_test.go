package bigquery_test

import (
	"testing"

	"github.com/tokenhunt/tokenhunt/internal/bqemu"
)

// emulatorBin is where `make tools` puts the emulator, from this package's
// directory.
const emulatorBin = "../../bin/bigquery-emulator"

const project = bqemu.Project

// startEmulator starts the BigQuery emulator for a test (internal/bqemu).
func startEmulator(t *testing.T) *bqemu.Emulator { return bqemu.Start(t, emulatorBin) }
