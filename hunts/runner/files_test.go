package runner

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestExpandAndPrune(t *testing.T) {
	dir := t.TempDir()
	files := []string{
		"a/year=2026/month=11/day=01/x.parquet",
		"a/year=2026/month=11/day=02/x.parquet",
		"a/year=2026/month=11/day=02/x.json",
		"a/year=2026/month=11/day=03/sub/y.parquet",
		"b/2026/11/03/z.parquet",
		"b/other.parquet",
		"b/_SUCCESS.parquet",            // metadata, not data
		"b/.part-0.parquet.crc.parquet", // hidden
		"b/_tokenhunt_ingested.jsonl",
	}
	for _, f := range files {
		p := filepath.Join(dir, f)
		os.MkdirAll(filepath.Dir(p), 0o755)
		os.WriteFile(p, nil, 0o644)
	}
	got, err := expand([]string{filepath.Join(dir, "**", "*.parquet")})
	if err != nil {
		t.Fatal(err)
	}
	rel := func(fs []string) []string {
		var out []string
		for _, f := range fs {
			r, _ := filepath.Rel(dir, f)
			out = append(out, filepath.ToSlash(r))
		}
		return out
	}
	want := []string{"a/year=2026/month=11/day=01/x.parquet", "a/year=2026/month=11/day=02/x.parquet", "a/year=2026/month=11/day=03/sub/y.parquet", "b/2026/11/03/z.parquet", "b/other.parquet"}
	if diff := cmp.Diff(want, rel(got)); diff != "" {
		t.Errorf("expand (-want +got):\n%s", diff)
	}
	// [Nov 2 12:00, Nov 2 23:30): day 01 is out; day 03 starts within the
	// slack of an hour, so it is read; files outside day folders are read.
	kept, skipped := prune(got, time.Date(2026, 11, 2, 12, 0, 0, 0, time.UTC), time.Date(2026, 11, 2, 23, 30, 0, 0, time.UTC))
	wantKept := []string{"a/year=2026/month=11/day=02/x.parquet", "a/year=2026/month=11/day=03/sub/y.parquet", "b/2026/11/03/z.parquet", "b/other.parquet"}
	if diff := cmp.Diff(wantKept, rel(kept)); diff != "" || skipped != 1 {
		t.Errorf("prune: %d skipped (-want +got):\n%s", skipped, diff)
	}
	kept, _ = prune(got, time.Date(2026, 11, 2, 12, 0, 0, 0, time.UTC), time.Date(2026, 11, 2, 22, 0, 0, 0, time.UTC))
	if diff := cmp.Diff([]string{"a/year=2026/month=11/day=02/x.parquet", "b/other.parquet"}, rel(kept)); diff != "" {
		t.Errorf("prune (-want +got):\n%s", diff)
	}
	if _, err := expand([]string{filepath.Join(dir, "c", "*.parquet")}); err == nil {
		t.Error("a glob under a missing folder is no error")
	}
	if _, err := expand([]string{filepath.Join(dir, "a", "**", "*.csv")}); err == nil {
		t.Error("a glob matching nothing is no error")
	}
}
