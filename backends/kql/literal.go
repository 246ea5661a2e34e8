package kql

import (
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/tokenhunt/tokenhunt/compiler/ir"
)

// Quote quotes s as a KQL string literal. Text with a backslash and no
// control character is a verbatim literal, @"C:\Windows" (a quote doubled);
// anything else is a regular literal with backslash escapes for the quote,
// the backslash, tab, newline and carriage return. Other characters,
// non-ASCII included, stand as they are (KQL query text is Unicode).
// checkText must have accepted s: other control characters have no escape
// that the KQL documentation promises.
func Quote(s string) string {
	if strings.ContainsRune(s, '\\') && !strings.ContainsAny(s, "\t\n\r") {
		return `@"` + strings.ReplaceAll(s, `"`, `""`) + `"`
	}
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch r {
		case '"':
			b.WriteString(`\"`)
		case '\\':
			b.WriteString(`\\`)
		case '\t':
			b.WriteString(`\t`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// checkText rejects text that a KQL string literal cannot hold as written:
// invalid UTF-8, and control characters other than tab, newline and
// carriage return.
func checkText(s string) error {
	if !utf8.ValidString(s) {
		return fmt.Errorf("is not valid UTF-8 text")
	}
	for _, r := range s {
		if r < 0x20 && r != '\t' && r != '\n' && r != '\r' {
			return fmt.Errorf("contains the control character U+%04X, which a KQL string literal cannot spell", r)
		}
	}
	return nil
}

var plainIdent = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// Ident quotes a table or column name when KQL needs it: a name that is not
// letters, digits and underscores, or that is a keyword, is bracketed as
// ['name'].
func Ident(name string) string {
	if plainIdent.MatchString(name) && !keywords[name] {
		return name
	}
	if !strings.Contains(name, "'") {
		return "['" + escapeIn(name, '\'') + "']"
	}
	return `["` + escapeIn(name, '"') + `"]`
}

// escapeIn escapes text for a regular literal quoted with q.
func escapeIn(s string, q rune) string {
	var b strings.Builder
	for _, r := range s {
		switch r {
		case q, '\\':
			b.WriteRune('\\')
			b.WriteRune(r)
		case '\t':
			b.WriteString(`\t`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// member prints access to a property of a dynamic value: x.name, or
// x["name"] when the name is not a plain identifier; a name that
// ir.ArrayIndex reads as an index is an element of a dynamic array, x[0].
func member(x, name string) string {
	if i, ok := ir.ArrayIndex(name); ok {
		return x + "[" + strconv.Itoa(i) + "]"
	}
	if plainIdent.MatchString(name) && !keywords[name] {
		return x + "." + name
	}
	return x + "[" + Quote(name) + "]"
}

var numberText = regexp.MustCompile(`^-?[0-9]+(\.[0-9]*)?([eE][-+]?[0-9]+)?$`)

// number prints a numeric literal: as the rule spelled it when that is KQL
// number syntax (an integer within the range of long, or a real), else from
// its value.
func number(text string, v float64) (string, error) {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return "", fmt.Errorf("%q is not a finite number", text)
	}
	t := strings.TrimPrefix(text, "+")
	if numberText.MatchString(t) {
		if strings.ContainsAny(t, ".eE") {
			return t, nil
		}
		if _, err := strconv.ParseInt(t, 10, 64); err == nil {
			return t, nil
		}
	}
	s := strconv.FormatFloat(v, 'g', -1, 64)
	if !strings.ContainsAny(s, ".e") {
		s += ".0"
	}
	return s, nil
}

func quoteGo(s string) string { return strconv.Quote(s) }

// keywords are the words of Kusto.Language 12.4.1 (SyntaxFacts.IsKeyword)
// that are letters, digits and underscores: a column of such a name is
// bracketed, even where KQL would take it bare.
var keywords = func() map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(keywordList) {
		m[w] = true
	}
	return m
}()

const keywordList = `
__contextual_datatable __crossCluster __crossDB __executeAndCache __id __isFuzzy __noWithSource
__packedColumn __partitionby __projectAway __sourceColumnIndex access accumulate alias and
anomalychart areachart as asc bagexpansion barchart best_effort between bin bin_legacy bool
boolean by byte cachingpolicy callout cancel card char columnchart consume contains contains_cs
containscs count cycles database dataexport dataformat datascope datatable date datetime
datetime_pattern decimal declare decodeblocks default desc distinct double dynamic earliest
edges encodingpolicy endswith endswith_cs entity_group evaluate expandoutput extend
extent_tags_retention external_data externaldata facet filter find first flags float
force_remote fork from getschema graph guid harddelete hardretention has has_all has_any has_cs
hasprefix hasprefix_cs hassuffix hassuffix_cs hotcache id in inline_external_table int int16
int32 int64 int8 invoke isfuzzy join journal kind ladderchart last latest let like likecs limit
linechart long lookup materialize mdm missing mvapply mvexpand nodes nooptimization notcontains
notcontainscs notlike notlikecs null nulls of on optional or order others output pack parse
partition pathformat pattern piechart pivotchart plotly print project queries query_parameters
query_results range real reduce regex relaxed render restrict restricted_view_access
row_level_security rowstore rowstore_references rowstore_sealinfo rowstorepolicy rowstores
sample scan scatterchart seal seals search serialize set shards simple softdelete softretention
sort sql stackedareachart startswith startswith_cs statistics step storedqueryresultcontainers
string summarize tablepurge take time timechart timeline timepivot timespan title to top
toscalar totable treemap typeof uint uint16 uint32 uint64 uint8 ulong union uniqueid
unrestrictedviewers uuid verbose view viewers views where with with_itemindex with_match_id
with_node_id with_source with_step_name withsource writeaheadlog
not true false
`
