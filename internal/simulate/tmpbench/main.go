package main

import (
	"context"
	"flag"
	"fmt"
	"runtime/debug"
	"time"

	"github.com/tokenhunt/tokenhunt/internal/simulate"
)

func main() {
	events := flag.Int("events", 1000000, "")
	out := flag.String("out", "/tmp/simbench", "")
	gz := flag.Bool("gzip", false, "")
	dur := flag.Duration("dur", 24*time.Hour, "")
	clouds := flag.String("clouds", "aws", "")
	flag.Parse()
	debug.SetGCPercent(400)
	start := time.Now()
	opts := simulate.Options{Seed: 7, Events: *events, Duration: *dur, Out: *out, Force: true, Gzip: *gz}
	if *clouds != "all" {
		opts.Clouds = []string{*clouds}
	}
	sum, err := simulate.Run(context.Background(), opts)
	if err != nil {
		panic(err)
	}
	el := time.Since(start)
	fmt.Printf("%v files=%d bytes=%.1fMB in %s: %.0f ct events/s\n", sum.Records, sum.Files, float64(sum.Bytes)/1e6, el, float64(sum.Records["cloudtrail"])/el.Seconds())
}
