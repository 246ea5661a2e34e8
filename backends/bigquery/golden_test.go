package bigquery_test

import (
	"context"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/tokenhunt/tokenhunt/backends/bigquery"
	"github.com/tokenhunt/tokenhunt/backends/sql"
	"github.com/tokenhunt/tokenhunt/compiler/ir"
	"github.com/tokenhunt/tokenhunt/internal/bqemu"
	"github.com/tokenhunt/tokenhunt/internal/goldentest"
)

const (
	goldenDir     = "../../testdata/golden"
	goldenDataset = "golden"
)

// deviation is a way the emulator (googlesqlite v0.3.1 under
// bigquery-emulator v0.8.1) evaluates GoogleSQL differently from BigQuery.
type deviation struct {
	// reason says what the emulator does and what BigQuery's
	// documentation says.
	reason string
	// workaround, when not nil, rewrites the query into one the emulator
	// evaluates as BigQuery evaluates the original; the test then requires
	// the expected ids from the rewritten query.
	workaround func(q string) string
}

// likeUnderscore: the emulator's LIKE translates only % (QuoteMeta, then
// % to .*), so _ matches only itself, a backslash escapes nothing, and %
// does not span a newline. BigQuery's LIKE (GoogleSQL's
// GetRePatternFromLikePattern): _ is any one character, \ escapes the next
// one, and the regex has dot_nl set.
var likeUnderscore = deviation{reason: "the emulator's LIKE has no _ wildcard (BigQuery: _ matches any single character)"}

// backref: the emulator's REGEXP_REPLACE rewrites \1 to ${1} and closes the
// brace only when another character follows, so a replacement that ends
// with \1 inserts the text "${1". BigQuery: "\1 to \9 within the
// replacement argument insert text matching the corresponding parenthesized
// group". The workaround writes the group as ${1}, which the emulator hands
// to Go's regexp as group 1.
var backref = deviation{
	reason:     `the emulator's REGEXP_REPLACE drops a replacement that ends with \1 (BigQuery: \1 inserts group 1); the CIDR normalisation uses r'\1'`,
	workaround: func(q string) string { return strings.ReplaceAll(q, `r'\1'`, `'${1}'`) },
}

// digitKey: the emulator's JSON_VALUE and JSON_QUERY read a subscript [0]
// on an array only. BigQuery (ZetaSQL's JSONPathExtractor, on JSON text)
// keeps path tokens as text and compares the token 0 with an object's keys
// too, so $."a"[0] reads {"a": {"0": …}} as a JSON Pointer does.
var digitKey = deviation{reason: `the emulator's [0] does not read an object's key "0" (BigQuery: a path token is an index on an array and a key on an object)`}

// emulatorDeviations are the golden cases whose BigQuery query is right by
// BigQuery's documentation but that the emulator evaluates differently.
// The test skips them (after checking the workaround, if any), and fails
// once the emulator agrees.
var emulatorDeviations = map[string]deviation{
	"wildcard_question":           likeUnderscore,
	"one_char_wildcard_multibyte": likeUnderscore,
	"cidr_all_v4":                 backref,
	"cidr_all_v6":                 backref,
	"cidr_list":                   backref,
	"cidr_single_address":         backref,
	"cidr_v4":                     backref,
	"cidr_v4_unaligned":           backref,
	"cidr_v6":                     backref,
	"cidr_v6_unaligned":           backref,
	"cidr_zero_padded":            backref,
	"not_cidr":                    backref,
	"json_digit_key":              digitKey,
}

// TestGoldenInEmulator runs the BigQuery query of every golden case that
// has events in the BigQuery emulator, over the case's events loaded with
// an explicit schema, and requires exactly the case's hand-written matches
// (which DuckDB and the reference semantics also return).
func TestGoldenInEmulator(t *testing.T) {
	cases, err := goldentest.Load(goldenDir)
	if err != nil {
		t.Fatal(err)
	}
	em := startEmulator(t)
	ctx := context.Background()
	if err := em.CreateDataset(ctx, goldenDataset); err != nil {
		t.Fatal(err)
	}
	ran := 0
	for _, c := range cases {
		name := c.Name
		want, ok := c.Matches()
		if !ok {
			continue
		}
		ran++
		t.Run(name, func(t *testing.T) {
			table, q := loadCase(t, ctx, em, c)
			got := matchedIDs(t, ctx, em, q)
			diff := cmp.Diff(want, got)
			dev, known := emulatorDeviations[name]
			switch {
			case known && diff == "":
				t.Errorf("listed in emulatorDeviations (%s) but the emulator now returns the expected ids: remove it", dev.reason)
			case known && dev.workaround != nil:
				w := dev.workaround(q)
				if d := cmp.Diff(want, matchedIDs(t, ctx, em, w)); d != "" {
					t.Errorf("emulator matches with the workaround for %s (-want +got):\n%s\nquery: %s", dev.reason, d, w)
					return
				}
				t.Skipf("emulator deviation on %s: %s; the query with the workaround returns the expected ids", table, dev.reason)
			case known:
				t.Skipf("emulator deviation on %s: %s\n(-want +got):\n%s", table, dev.reason, diff)
			case diff != "":
				t.Errorf("emulator matches (-want +got):\n%s\nquery: %s", diff, q)
			}
		})
	}
	if ran < 50 {
		t.Errorf("only %d golden cases with events", ran)
	}
}

var unsafeName = regexp.MustCompile(`[^A-Za-z0-9_]`)

// loadCase loads the case's events into a table of their own (dataset
// golden, table named after the case) and returns that table and the golden
// BigQuery query on it. The query reads the case's table
// qualified with the dataset: the emulator resolves an unqualified table
// name in the first dataset that has a table of that name, not in the
// request's default dataset as BigQuery does.
func loadCase(t *testing.T, ctx context.Context, em *bqemu.Emulator, c *goldentest.Case) (string, string) {
	t.Helper()
	r, ps, err := c.Rule()
	if err != nil || r == nil {
		t.Fatalf("the case has events but does not compile: %v", err)
	}
	golden, err := bigquery.New().Compile(r)
	if err != nil {
		t.Fatalf("the case has events but does not compile for bigquery: %v", err)
	}
	if golden+"\n" != c.Sections["bigquery"] {
		t.Fatalf("the golden bigquery section is out of date (run go test ./compiler -run TestGolden -update):\nfile: %sgot:  %s", c.Sections["bigquery"], golden)
	}
	table := "case_" + unsafeName.ReplaceAllString(c.Name, "_")
	qualified := *r
	qualified.Table = goldenDataset + "." + table
	q, err := bigquery.New().Compile(&qualified)
	if err != nil {
		t.Fatal(err)
	}
	from := "SELECT * FROM " + bigquery.Dialect().Table(r.Table) + " "
	if !strings.HasPrefix(golden, from) || q != "SELECT * FROM `"+goldenDataset+"`.`"+table+"` "+strings.TrimPrefix(golden, from) {
		t.Fatalf("the query on the qualified table differs from the golden query beyond its table:\n%s\n%s", golden, q)
	}
	events, err := goldentest.ReadEvents(c.EventsFile(goldenDir))
	if err != nil {
		t.Fatal(err)
	}

	var sb bqemu.Schema
	src := ps.Source(r.Logsource)
	for _, col := range append(sql.Columns(r.Where), src.ColumnList()...) {
		sb.Declare(col)
	}
	for _, j := range src.JSONColumns {
		sb.Declare(ir.Column{Path: strings.Split(j, "."), JSON: []string{""}})
	}
	sb.Infer(events)

	if err := em.CreateTable(ctx, goldenDataset, table, sb.Fields); err != nil {
		t.Fatalf("create table: %v", err)
	}
	rows := make([]map[string]any, len(events))
	for i, ev := range events {
		rows[i] = sb.Row(ev)
	}
	if err := em.Insert(ctx, goldenDataset, table, rows); err != nil {
		t.Fatalf("insert: %v", err)
	}
	return goldenDataset + "." + table, q
}

// matchedIDs runs a query and returns the ids of its rows, sorted.
func matchedIDs(t *testing.T, ctx context.Context, em *bqemu.Emulator, q string) []string {
	t.Helper()
	res, err := em.Query(ctx, "", q)
	if err != nil {
		t.Fatalf("query failed: %v\n%s", err, q)
	}
	ids := []string{}
	for _, row := range res {
		ids = append(ids, fmt.Sprint(row["id"]))
	}
	sort.Strings(ids)
	return ids
}
