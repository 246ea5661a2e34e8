package bigquery_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/tokenhunt/tokenhunt/backends/bigquery"
	"github.com/tokenhunt/tokenhunt/backends/sql"
	"github.com/tokenhunt/tokenhunt/compiler/ir"
	"github.com/tokenhunt/tokenhunt/internal/bqemu"
	"github.com/tokenhunt/tokenhunt/internal/goldentest"
)

// TestCorpusAnalysesInEmulator converts every SigmaHQ rule under
// rules/cloud and rules/identity to BigQuery (with the CloudTrail pipeline
// where it applies and same-named columns otherwise) and runs each query in
// the emulator over an empty table that has the columns the rule reads,
// with their declared types (undeclared ones as STRING, struct paths as
// STRUCTs, JSON text as STRING): GoogleSQL's analyser must accept every
// query.
func TestCorpusAnalysesInEmulator(t *testing.T) {
	corpus, err := goldentest.LoadCloudCorpus("../..")
	if err != nil {
		t.Fatal(err)
	}
	if corpus == nil {
		t.Skip("SigmaHQ corpus not found beside the project")
	}
	for _, e := range corpus.Errs {
		t.Errorf("%v", e)
	}
	files, ps, results := corpus.Files, corpus.Pipelines, corpus.Results

	em := startEmulator(t)
	ctx := context.Background()
	const dataset = "corpus"
	if err := em.CreateDataset(ctx, dataset); err != nil {
		t.Fatal(err)
	}
	be := bigquery.New()
	ok := 0
	for i, r := range results {
		q, err := be.Compile(r.Rule)
		if err != nil {
			t.Errorf("%s: %v", r.Source.File, err)
			continue
		}
		// Each rule gets a table of its own with the columns it reads:
		// rules disagree on the shape of same-named columns (Azure's
		// TargetResources is text to one rule and a struct to another),
		// which one table cannot hold.
		var sb bqemu.Schema
		src := ps.Source(r.Rule.Logsource)
		for _, c := range src.ColumnList() {
			sb.Declare(c)
		}
		for _, j := range src.JSONColumns {
			sb.Declare(ir.Column{Path: strings.Split(j, "."), JSON: []string{""}})
		}
		for _, c := range sql.Columns(r.Rule.Where) {
			sb.Declare(c)
		}
		sb.Infer(nil)
		table := fmt.Sprintf("rule_%03d", i)
		if err := em.CreateTable(ctx, dataset, table, sb.Fields); err != nil {
			t.Errorf("%s: create table: %v", r.Source.File, err)
			continue
		}
		own := *r.Rule
		own.Table = dataset + "." + table
		oq, err := be.Compile(&own)
		if err != nil {
			t.Fatal(err)
		}
		from := "SELECT * FROM " + bigquery.Dialect().Table(r.Rule.Table) + " "
		if !strings.HasPrefix(q, from) || oq != "SELECT * FROM `"+dataset+"`.`"+table+"` "+strings.TrimPrefix(q, from) {
			t.Fatalf("%s: the query on the rule's own table differs beyond its table:\n%s\n%s", r.Source.File, q, oq)
		}
		if _, err := em.Query(ctx, "", oq); err != nil {
			t.Errorf("%s: the emulator rejects the query: %v\n%s", r.Source.File, err, q)
			continue
		}
		ok++
	}
	t.Logf("%d SigmaHQ cloud and identity rules: %d BigQuery queries analysed and run in the emulator", len(files), ok)
	if ok != len(files) {
		t.Errorf("%d of %d rules ran", ok, len(files))
	}
}
