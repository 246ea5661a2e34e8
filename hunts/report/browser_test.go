package report

import (
	"bytes"
	"context"
	"fmt"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// chromiumHint says how to enable the browser tests.
const chromiumHint = "install Debian's chromium (apt-get install -y chromium) to run it"

// findChromium returns Chromium's path. Where it is missing, a test (not
// a benchmark, not -short) running as root tries apt-get once; otherwise,
// or if that fails, it skips with a message.
func findChromium(tb testing.TB, install bool) string {
	tb.Helper()
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if install && !testing.Short() && os.Geteuid() == 0 {
		if _, err := exec.LookPath("apt-get"); err == nil {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
			defer cancel()
			out, err := exec.CommandContext(ctx, "apt-get", "install", "-y", "chromium").CombinedOutput()
			if err == nil {
				if p, err := exec.LookPath("chromium"); err == nil {
					return p
				}
			}
			tb.Logf("apt-get install -y chromium failed: %v\n%s", err, tail(out, 800))
		}
	}
	tb.Skipf("chromium not found: %s", chromiumHint)
	return ""
}

func tail(b []byte, n int) []byte {
	if len(b) > n {
		return b[len(b)-n:]
	}
	return b
}

// runChromium runs headless Chromium with the flags known to work
// offline and a new empty profile, and returns its stdout.
func runChromium(tb testing.TB, bin string, args ...string) []byte {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	profile, err := os.MkdirTemp("", "report-chromium-*")
	if err != nil {
		tb.Fatal(err)
	}
	defer os.RemoveAll(profile)
	base := []string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync", "--user-data-dir=" + profile}
	cmd := exec.CommandContext(ctx, bin, append(base, args...)...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		tb.Fatalf("chromium %s: %v\n%s", strings.Join(args, " "), err, tail(stderr.Bytes(), 2000))
	}
	return stdout.Bytes()
}

func TestBrowserRendersReport(t *testing.T) {
	bin := findChromium(t, true)
	dir := t.TempDir()
	fs := synth(300, t0) // a month of findings with one replayed token
	file := filepath.Join(dir, "report.html")
	in := filepath.Join(dir, "findings.jsonl")
	writeJSONL(t, in, fs...)
	if _, err := Generate(Config{Inputs: []string{in}, RulePaths: []string{"../../rules"}, Output: file}); err != nil {
		t.Fatal(err)
	}
	url := "file://" + file
	dom := string(runChromium(t, bin, "--dump-dom", url))

	if !strings.Contains(dom, `data-ready="1"`) {
		t.Errorf("the report's script did not run (no data-ready on body)")
	}
	if !strings.Contains(dom, `id="total" data-count="300">300<`) {
		t.Errorf("overview total 300 not shown")
	}
	wantLevel := map[string]int{}
	for _, f := range fs {
		wantLevel[f.Rule.Level]++
	}
	for l, n := range wantLevel {
		if !strings.Contains(dom, fmt.Sprintf(`data-level="%s" data-count="%d"`, l, n)) {
			t.Errorf("overview: %d %s findings not shown", n, l)
		}
	}

	// The replayed key's timeline: 7 marks on 3 address lanes.
	start := strings.Index(dom, `<svg class="timeline" data-entity="access key:`+replayKey+`"`)
	if start < 0 {
		t.Fatalf("no timeline for the replayed key %s", replayKey)
	}
	svg := dom[start:]
	svg = svg[:strings.Index(svg, "</svg>")]
	marks := regexp.MustCompile(`<circle class="mark[^"]*" cx="[^"]*" cy="([^"]*)"`).FindAllStringSubmatch(svg, -1)
	rows := map[string]bool{}
	for _, m := range marks {
		rows[m[1]] = true
	}
	if len(marks) != 7 || len(rows) != 3 {
		t.Errorf("replayed key's timeline: %d marks on %d rows, want 7 on 3 (one per address)", len(marks), len(rows))
	}
	for _, a := range replayAddrs {
		if !strings.Contains(svg, a) {
			t.Errorf("timeline lane for %s missing", a)
		}
	}

	// Screenshots, light and dark (prefers-color-scheme), under the
	// test's output; TOKENHUNT_REPORT_SHOTS=DIR keeps a copy.
	for _, c := range []struct {
		name, url string
		flags     []string
		dark      bool
	}{
		{"report-light.png", url, nil, false},
		{"report-dark.png", url, []string{"--force-dark-mode", "--blink-settings=preferredColorScheme=0"}, true},
	} {
		shot := filepath.Join(dir, c.name)
		args := append([]string{"--window-size=1280,2600", "--hide-scrollbars", "--screenshot=" + shot}, c.flags...)
		runChromium(t, bin, append(args, c.url)...)
		b, err := os.ReadFile(shot)
		if err != nil {
			t.Fatalf("no screenshot: %v", err)
		}
		img, err := png.Decode(bytes.NewReader(b))
		if err != nil {
			t.Fatalf("screenshot %s: %v", c.name, err)
		}
		r, g, bl, _ := img.At(4, 4).RGBA()
		lum := (r + g + bl) / 3 >> 8
		if dark := lum < 128; dark != c.dark {
			t.Errorf("%s: background luminance %d, want dark=%v", c.name, lum, c.dark)
		}
		if keep := os.Getenv("TOKENHUNT_REPORT_SHOTS"); keep != "" {
			os.WriteFile(filepath.Join(keep, c.name), b, 0o644)
		}
		t.Logf("screenshot %s (%d bytes)", shot, len(b))
	}
}
