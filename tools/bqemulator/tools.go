//go:build tools

// Package bqemulator pins the BigQuery emulator used by the BigQuery backend's
// execution test. It lives in its own module so that the emulator's large
// dependency tree (go-zetasql, cgo) stays out of the product's go.mod.
//
// Build: cd tools/bqemulator && go build -o ../../bin/bigquery-emulator github.com/goccy/bigquery-emulator/cmd/bigquery-emulator
package bqemulator

import _ "github.com/goccy/bigquery-emulator/cmd/bigquery-emulator"
