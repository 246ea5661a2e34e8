package kql_test

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tokenhunt/tokenhunt/backends/kql"
	"github.com/tokenhunt/tokenhunt/compiler"
	"github.com/tokenhunt/tokenhunt/compiler/ir"
	"github.com/tokenhunt/tokenhunt/compiler/pipeline"
	"github.com/tokenhunt/tokenhunt/internal/goldentest"
	"github.com/tokenhunt/tokenhunt/internal/kustocheck"
)

// kustoDir holds the pinned Kusto.Language (npm @kusto/language-service-next)
// and check.js; `make tools` installs it with npm ci.
const kustoDir = "../../tools/kusto"

// describe prints a result's diagnostics with the query text they point at.
func describe(q kustocheck.Query, r kustocheck.Result) string {
	var b strings.Builder
	for _, d := range r.Errors {
		fmt.Fprintf(&b, "\n  %s %s at %d: %q", d.Code, d.Message, d.Start, d.Excerpt(q.Query))
	}
	return b.String()
}

// TestKustoRejectsBadQueries keeps the analyser honest: a syntax error, an
// unknown column, an unknown function and a type error are diagnostics,
// and a valid query has none.
func TestKustoRejectsBadQueries(t *testing.T) {
	tables := map[string]map[string]string{"T": {"s": "string", "d": "dynamic", "n": "real"}}
	tests := []struct {
		query string
		want  string // a diagnostic code; empty for a valid query
	}{
		{`T | where tolower(s) == "x" and tostring(d.a.b) startswith_cs "y" and not(coalesce(n > 5, false))`, ""},
		{`T | where tolower(s) == "x`, "KS001"},
		{`T | where s ==`, "KS006"},
		{`T | where nope == "x"`, "KS142"},
		{`T | where tolower(nope) == "x"`, "KS142"},
		{`T | where frobnicate(s)`, "KS211"},
		{`T | where s`, "KS141"},
		{`Nope | where s == "x"`, "KS204"},
	}
	var qs []kustocheck.Query
	for i, tc := range tests {
		qs = append(qs, kustocheck.Query{ID: fmt.Sprint(i), Query: tc.query, Tables: tables})
	}
	for i, r := range kustocheck.Check(t, kustoDir, qs) {
		tc := tests[i]
		if tc.want == "" {
			if len(r.Errors) > 0 {
				t.Errorf("valid query rejected: %s%s", tc.query, describe(qs[i], r))
			}
			continue
		}
		found := false
		for _, d := range r.Errors {
			found = found || d.Code == tc.want
		}
		if !found {
			t.Errorf("%s: want diagnostic %s, got %+v", tc.query, tc.want, r.Errors)
		}
	}
}

// TestKustoLiterals: Kusto.Language's own lexer reads every string literal
// the backend prints back to the text it stands for, and every name the
// backend quotes back to the column it names.
func TestKustoLiterals(t *testing.T) {
	texts := []string{
		"", "plain", `it's`, `say "hi"`, `C:\Windows\System32\`, `\\server\share`, `a\"b`, `"`, `\`,
		"tab\there", "two\nlines", "cr\r\nlf", "back\\slash\nand newline", "éÉ ß Σσς K İı € 😀", "\u00a0nbsp", "\u2028line sep",
		`(?s)^a\.b.*$`, `^\s*[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?\s*$`, `(^|\.)0+([0-9])`, `\1\2`, "@\"verbatim\"", "```",
	}
	names := []string{"EventName", "a b", "a.b", "where", "title", "true", "it's", `back\slash`, `quote"d`, "ça", "1st", "x-y"}
	var qs []kustocheck.Query
	for i, s := range texts {
		qs = append(qs, kustocheck.Query{ID: fmt.Sprint("text ", i), Query: "T | where s == " + kql.Quote(s),
			Tables: map[string]map[string]string{"T": {"s": "string"}}, Literals: true})
	}
	for _, n := range names {
		qs = append(qs, kustocheck.Query{ID: "name " + n, Query: kql.Ident(n) + " | where " + kql.Ident(n) + " == 1",
			Tables: map[string]map[string]string{n: {n: "real"}}})
	}
	for i, r := range kustocheck.Check(t, kustoDir, qs) {
		if len(r.Errors) > 0 {
			t.Errorf("%s: %s%s", r.ID, qs[i].Query, describe(qs[i], r))
			continue
		}
		if i < len(texts) {
			if len(r.Literals) != 1 || r.Literals[0] != texts[i] {
				t.Errorf("%s = %q reads back as %q", kql.Quote(texts[i]), texts[i], r.Literals)
			}
		}
	}
}

// TestKustoAnalyser parses and analyses, with Microsoft's Kusto.Language,
// the KQL of every IR node shape, of the model's random condition trees
// (semantics_test.go), of every golden case and of every
// SigmaHQ cloud and identity rule, each against its table's schema (the
// columns the rule reads, typed as the pipeline declares them).
func TestKustoAnalyser(t *testing.T) {
	var qs []kustocheck.Query
	add := func(id string, r *ir.Rule) {
		q, err := kql.New().Compile(r)
		if err != nil {
			var e *ir.Error
			if !errors.As(err, &e) || e.Pos.Line == 0 {
				t.Errorf("%s: error without a position: %v", id, err)
			}
			t.Logf("%s: %v", id, err)
			return
		}
		qs = append(qs, kustocheck.Query{ID: id, Query: q, Tables: map[string]map[string]string{r.Table: kql.Schema(r.Where)}})
	}
	for _, tc := range nodeCases() {
		q, err := kql.New().Compile(&ir.Rule{ID: "r", Table: "T", Where: tc.where})
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		qs = append(qs, kustocheck.Query{ID: "node " + tc.name, Query: q, Tables: map[string]map[string]string{"T": kql.Schema(tc.where)}})
	}
	for i, e := range modelExprs(100) {
		q, err := kql.New().Compile(&ir.Rule{ID: "r", Table: "T", Where: e})
		if err != nil {
			t.Fatalf("%s: %v", ir.Flat(e), err)
		}
		qs = append(qs, kustocheck.Query{ID: fmt.Sprint("model ", i), Query: q, Tables: map[string]map[string]string{"T": kql.Schema(e)}})
	}
	nodes := len(qs)

	cases, err := goldentest.Load(goldenDir)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cases {
		r, _, err := c.Rule()
		if err != nil {
			t.Fatal(err)
		}
		if r != nil {
			add("golden "+c.Name, r)
		}
	}
	golden := len(qs) - nodes

	converted, total := 0, 0
	for _, r := range corpusRules(t) {
		total++
		before := len(qs)
		add(r.Pos.File, r)
		if len(qs) > before {
			converted++
		}
	}
	if converted != total {
		t.Errorf("%d of %d SigmaHQ cloud and identity rules converted to KQL", converted, total)
	}

	failed := 0
	for i, r := range kustocheck.Check(t, kustoDir, qs) {
		if len(r.Errors) > 0 {
			failed++
			t.Errorf("%s: Kusto.Language rejects\n%s%s", r.ID, qs[i].Query, describe(qs[i], r))
		}
	}
	t.Logf("Kusto.Language analysed %d node shapes and trees, %d golden cases and %d SigmaHQ cloud/identity rules; %d rejected", nodes, golden, converted, failed)
}

const goldenDir = "../../testdata/golden"

// corpusRules compiles every SigmaHQ rule under rules/cloud and
// rules/identity with the pipelines the DuckDB corpus test uses; none when
// the corpus is not beside the project.
func corpusRules(t *testing.T) []*ir.Rule {
	t.Helper()
	corpus, err := goldentest.LoadCloudCorpus("../..")
	if err != nil {
		t.Fatal(err)
	}
	if corpus == nil {
		t.Logf("SigmaHQ corpus not found beside the project: its rules are not checked")
		return nil
	}
	for _, e := range corpus.Errs {
		t.Errorf("%v", e)
	}
	results := corpus.Results
	if len(results) < 200 {
		t.Errorf("only %d SigmaHQ cloud and identity rules compiled", len(results))
	}
	out := make([]*ir.Rule, len(results))
	for i, r := range results {
		out[i] = r.Rule
	}
	return out
}

// TestKustoSentinelPipelines compiles the SigmaHQ rules of the log sources
// that the shipped Sentinel pipelines map, and has Kusto.Language analyse
// them against the tables as the pipelines declare them (every declared
// column, dynamic and JSON text columns included), not just the columns a
// rule reads. A rule naming a field the table lacks is an unknown column
// (KS142), as the pipelines intend; any other diagnostic fails.
func TestKustoSentinelPipelines(t *testing.T) {
	var qs []kustocheck.Query
	for _, name := range []string{"sentinel-awscloudtrail", "sentinel-entra"} {
		ps, err := pipeline.ResolveAll([]string{name})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		rules, errs := compiler.Load([]string{"../../../shared/corpus/sigmahq/rules/cloud"})
		if len(errs) > 0 {
			t.Skipf("SigmaHQ corpus: %v", errs[0])
		}
		results, _ := compiler.Compile(rules, ps)
		for _, res := range results {
			r := res.Rule
			src := ps.Source(r.Logsource)
			if len(src.Columns) == 0 || src.Table != r.Table {
				continue // a log source the pipeline does not map
			}
			q, err := kql.New().Compile(r)
			if err != nil {
				t.Errorf("%s: %v", res.Source.File, err)
				continue
			}
			qs = append(qs, kustocheck.Query{ID: name + " " + filepath.Base(res.Source.File), Query: q,
				Tables: map[string]map[string]string{r.Table: declaredSchema(src)}})
		}
	}
	if len(qs) < 20 {
		t.Fatalf("only %d SigmaHQ rules fall on the Sentinel pipelines' tables", len(qs))
	}
	ok, unknown := 0, 0
	for i, r := range kustocheck.Check(t, kustoDir, qs) {
		other := false
		for _, d := range r.Errors {
			other = other || d.Code != "KS142"
		}
		switch {
		case other:
			t.Errorf("%s: Kusto.Language rejects\n%s%s", r.ID, qs[i].Query, describe(qs[i], r))
		case len(r.Errors) > 0:
			unknown++
			t.Logf("%s: a field the table lacks:%s", r.ID, describe(qs[i], r))
		default:
			ok++
		}
	}
	t.Logf("%d SigmaHQ rules on Sentinel tables: %d analyse cleanly, %d name a column the table lacks", len(qs), ok, unknown)
}

// declaredSchema is a table as a pipeline declares it, in KQL types.
func declaredSchema(src pipeline.Source) map[string]string {
	out := map[string]string{}
	types := map[ir.Type]string{ir.String: "string", ir.Any: "string", ir.Number: "real", ir.Bool: "bool", ir.Timestamp: "datetime"}
	for path, typ := range src.Columns {
		top, _, nested := strings.Cut(path, ".")
		if nested {
			out[top] = "dynamic"
			continue
		}
		out[top] = types[typ]
	}
	for _, c := range src.JSONColumns {
		out[c] = "string"
	}
	for _, c := range src.DynamicColumns {
		out[c] = "dynamic"
	}
	return out
}
