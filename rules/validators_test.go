package rules_test

import (
	"fmt"
	"sort"
	"testing"

	"github.com/tokenhunt/tokenhunt/backends/athena"
	"github.com/tokenhunt/tokenhunt/internal/kustocheck"
	"github.com/tokenhunt/tokenhunt/internal/trinocheck"
)

// The validators `make tools` installs: the Trino grammar of dt-sql-parser
// (Athena) and Microsoft's Kusto.Language (KQL).
const (
	trinoDir = "../tools/trino"
	kustoDir = "../tools/kusto"
)

// TestLibraryPassesTrinoGrammar parses every Athena query of the library
// (detection rules, base rules and correlations, with every Athena
// pipeline) with the Trino grammar and with athena.Check.
func TestLibraryPassesTrinoGrammar(t *testing.T) {
	queries, _ := compileLibrary(t)
	qs := queries["athena"]
	if len(qs) == 0 {
		t.Fatal("the library compiled to no Athena query")
	}
	in := map[string]string{}
	for i, q := range qs {
		id := q.id
		if _, dup := in[id]; dup {
			id = fmt.Sprintf("%s #%d", id, i)
		}
		in[id] = q.query
		if err := athena.Check(q.query); err != nil {
			t.Errorf("%s: Check: %v\n%s", q.id, err, q.query)
		}
	}
	errs := trinocheck.Errors(t, trinoDir, in)
	ids := make([]string, 0, len(errs))
	for id := range errs {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		t.Errorf("%s: the Trino grammar rejects %s\n%s", id, errs[id], in[id])
	}
	t.Logf("%d Athena queries parse with the Trino grammar and pass Check", len(in))
}

// TestLibraryPassesKustoAnalyser has Kusto.Language parse and analyse every
// KQL query of the library against the tables it reads (the columns its
// rules read, typed as the pipeline declares them): no error diagnostic.
func TestLibraryPassesKustoAnalyser(t *testing.T) {
	queries, _ := compileLibrary(t)
	qs := queries["kql"]
	if len(qs) == 0 {
		t.Fatal("the library compiled to no KQL query")
	}
	var in []kustocheck.Query
	for _, q := range qs {
		in = append(in, kustocheck.Query{ID: q.id, Query: q.query, Tables: q.tables})
	}
	for i, r := range kustocheck.Check(t, kustoDir, in) {
		for _, e := range r.Errors {
			t.Errorf("%s: Kusto.Language: %s %s at %q\n%s", r.ID, e.Code, e.Message, e.Excerpt(in[i].Query), in[i].Query)
		}
	}
	t.Logf("Kusto.Language analysed %d KQL queries", len(in))
}
