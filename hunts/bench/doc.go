// Package bench holds the hunt benchmarks (issues 5 and 8): 50 single-event
// rules hunted by the runner over simulated CloudTrail in Parquet, against
// DuckDB decoding only the columns those rules read, against the same rules
// run one query each, and against sigma-go's in-memory evaluator over the
// same events as JSON Lines; and the correlations value_count,
// temporal_ordered and new_terms against a plain GROUP BY.
//
// The package has no code of its own: everything is in its _test files.
// Data is simulated once and cached under os.TempDir(), keyed by seed and
// size, so that repeated runs (-count) reuse it. Sizes come from
// TOKENHUNT_BENCH_EVENTS (comma-separated, default 1000000):
//
//	go test ./hunts/bench -run '^$' -bench . -benchtime 1x -count 3
//	TOKENHUNT_BENCH_EVENTS=1000000,3000000 go test ./hunts/bench -run '^$' -bench Hunt -benchtime 1x -count 3
package bench
