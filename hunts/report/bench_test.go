package report

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// BenchmarkReport10k builds and renders the report of 10,000 synthetic
// findings and reports its size; with chromium installed it also times
// one headless render of the file (--dump-dom, so layout and the script
// run) as chromium-s.
func BenchmarkReport10k(b *testing.B) {
	fs := synth(10000, t0)
	rules, _, err := LoadRules([]string{"../../rules"})
	if err != nil {
		b.Fatal(err)
	}
	var page bytes.Buffer
	for b.Loop() {
		page.Reset()
		if err := Build(fs, Options{Rules: rules}).WriteHTML(&page); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(page.Len()), "html-bytes")
	b.StopTimer()
	file := filepath.Join(b.TempDir(), "report.html")
	if err := os.WriteFile(file, page.Bytes(), 0o644); err != nil {
		b.Fatal(err)
	}
	bin := findChromium(b, false)
	start := time.Now()
	dom := runChromium(b, bin, "--dump-dom", "file://"+file)
	b.ReportMetric(time.Since(start).Seconds(), "chromium-s")
	if !bytes.Contains(dom, []byte(`data-ready="1"`)) {
		b.Errorf("the report's script did not run in chromium")
	}
}
