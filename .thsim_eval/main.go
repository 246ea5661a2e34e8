package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/tokenhunt/tokenhunt/backends/duckdb"
	"github.com/tokenhunt/tokenhunt/backends/sql"
	"github.com/tokenhunt/tokenhunt/compiler"
	"github.com/tokenhunt/tokenhunt/compiler/ir"
	"github.com/tokenhunt/tokenhunt/compiler/pipeline"
)

func main() {
	sim := os.Args[1]
	ctx := context.Background()
	type label struct {
		Scenario string `json:"scenario"`
		Benign   bool   `json:"benign"`
		Finding  struct{ Rule string } `json:"finding"`
		EventIDs []string `json:"event_ids"`
		MatchIDs []string `json:"match_ids"`
	}
	var labels []label
	f, _ := os.Open(filepath.Join(sim, "labels.jsonl"))
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		var l label
		json.Unmarshal(sc.Bytes(), &l)
		labels = append(labels, l)
	}
	inLabel := map[string][]int{}
	for i, l := range labels {
		for _, id := range l.EventIDs {
			inLabel[id] = append(inLabel[id], i)
		}
	}
	data := map[string][]string{
		"cloudtrail":                      {sim + "/AWSLogs/**/*.json"},
		"SigninLogs":                      {sim + "/entra/SigninLogs/**/*.jsonl"},
		"AADNonInteractiveUserSignInLogs": {sim + "/entra/AADNonInteractiveUserSignInLogs/**/*.jsonl"},
		"gcp_audit":                       {sim + "/gcp/**/*.json"},
		"buildlog":                        {sim + "/ci/buildlog/**/*.jsonl"},
		"proxy":                           {sim + "/proxy/**/*.jsonl"},
	}
	ps, err := pipeline.ResolveAll([]string{"cloudtrail", "entra-duckdb", "gcp-duckdb", "cicd-duckdb", "proxy-duckdb"})
	if err != nil {
		panic(err)
	}
	rules, errs := compiler.Load([]string{"rules"})
	if len(errs) > 0 {
		panic(errs)
	}
	set, errs := compiler.CompileSet(rules, ps)
	if len(errs) > 0 {
		panic(errs)
	}
	eng, err := duckdb.Open(ctx)
	if err != nil {
		panic(err)
	}
	columns := map[string][]ir.Column{}
	srcs := map[string]pipeline.Source{}
	add := func(r *ir.Rule, fs ...ir.Field) {
		if _, ok := srcs[r.Table]; !ok {
			srcs[r.Table] = ps.Source(r.Logsource)
			columns[r.Table] = srcs[r.Table].ColumnList()
		}
		columns[r.Table] = append(columns[r.Table], sql.Columns(r.Where)...)
		for _, f := range fs {
			if f.Column != nil {
				columns[r.Table] = append(columns[r.Table], *f.Column)
			}
		}
	}
	inside := map[*ir.Rule]bool{}
	for _, c := range set.Correlations {
		for _, b := range c.Correlation.Bases {
			inside[b.Rule] = true
			add(b.Rule, append(append([]ir.Field{b.Time, b.ID}, b.Group...), b.Terms...)...)
			if b.Value != nil {
				add(b.Rule, *b.Value)
			}
		}
	}
	for _, r := range set.Rules {
		add(r.Rule)
	}
	for t, src := range srcs {
		if data[t] == nil {
			continue
		}
		if err := eng.Register(ctx, t, data[t], duckdb.Options{JSONText: src.JSONColumns, Columns: columns[t], Materialize: true}); err != nil {
			panic(fmt.Sprint(t, err))
		}
	}
	be := duckdb.New()
	report := func(name string, ids [][]string) {
		hit := map[int]bool{}
		other := 0
		for _, group := range ids {
			found := false
			for _, id := range group {
				for _, li := range inLabel[id] {
					hit[li] = true
					found = true
				}
			}
			if !found {
				other++
			}
		}
		var hs []string
		for li := range hit {
			l := labels[li]
			tag := l.Scenario
			if l.Benign {
				tag = "BENIGN:" + tag
			}
			hs = append(hs, tag)
		}
		sort.Strings(hs)
		fmt.Printf("%-60s %3d results, %3d unlabelled; labels: %s\n", name, len(ids), other, strings.Join(hs, ", "))
	}
	for _, r := range set.Rules {
		if inside[r.Rule] {
			continue
		}
		if data[r.Rule.Table] == nil {
			continue
		}
		q, _ := be.Compile(r.Rule)
		rows, err := eng.Query(ctx, q)
		if err != nil {
			panic(err)
		}
		var ids [][]string
		for _, row := range rows {
			ids = append(ids, []string{fmt.Sprint(row[srcs[r.Rule.Table].ID])})
		}
		report(filepath.Base(r.Source.File), ids)
	}
	for _, c := range set.Correlations {
		if data[c.Correlation.Bases[0].Rule.Table] == nil {
			continue
		}
		q, err := be.CompileCorrelation(c.Correlation)
		if err != nil {
			panic(err)
		}
		rows, err := eng.Query(ctx, q)
		if err != nil {
			panic(err)
		}
		var ids [][]string
		for _, row := range rows {
			var g []string
			for _, x := range row["event_ids"].([]any) {
				g = append(g, fmt.Sprint(x))
			}
			ids = append(ids, g)
		}
		report(filepath.Base(c.Source.File), ids)
	}
	for _, l := range labels {
		fmt.Printf("label %-40s benign=%v rule=%s matches=%d\n", l.Scenario, l.Benign, l.Finding.Rule, len(l.MatchIDs))
	}
}
