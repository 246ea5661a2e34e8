package export

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/tokenhunt/tokenhunt/backends/athena"
	"github.com/tokenhunt/tokenhunt/backends/bigquery"
	"github.com/tokenhunt/tokenhunt/compiler/ir"
)

// AthenaWindow documents the time window of the exported Athena queries.
const AthenaWindow = "Time window: two execution parameters, ? = start (inclusive) and ? = end (exclusive), ISO-8601 text literals, e.g. aws athena start-query-execution --execution-parameters \"'2026-11-29T00:00:00Z'\" \"'2026-11-29T01:00:00Z'\"."

// marshalJSON indents JSON without escaping <, > and &.
func marshalJSON(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// columnRef prints q.<path> with the dialect's quoting.
func columnRef(c *ir.Column, quote func(string) string) string {
	parts := []string{"q"}
	for _, p := range c.Path {
		parts = append(parts, quote(p))
	}
	return strings.Join(parts, ".")
}

// AthenaQuery is the query of a named query: the rule's query restricted
// to the events (or, for a correlation, the findings fired) in the window
// [?, ?), with the rule id as its first column.
func athenaQuery(it *item, opt Options) (string, error) {
	d := athena.Dialect()
	var t string
	if it.Rule != nil {
		c, err := timeColumn(it.Rule, opt.Pipelines)
		if err != nil {
			return "", err
		}
		t = columnRef(c, d.QuoteIdent)
		if c.Type != ir.Timestamp {
			t = "try(from_iso8601_timestamp(" + t + "))"
		}
	} else {
		t = "q.fired_at"
	}
	return sqlHeader(it, opt) + "-- Time window: two execution parameters, the window's start (inclusive) then its end (exclusive), as ISO-8601 text.\n" +
		"SELECT " + d.QuoteString(it.ID) + " AS tokenhunt_rule_id, q.*\nFROM (\n" + it.Query + "\n) AS q\n" +
		"WHERE " + t + " >= from_iso8601_timestamp(?) AND " + t + " < from_iso8601_timestamp(?)", nil
}

// truncate cuts s to n bytes at a rune boundary.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && (s[n]&0xc0) == 0x80 {
		n--
	}
	return s[:n]
}

func athenaDescription(it *item, opt Options) string {
	return truncate(strings.Join(metadataLines(it, opt), "\n")+"\n"+AthenaWindow, 1024)
}

func athenaFiles(items []*item, opt Options) ([]File, ir.Errors) {
	var errs ir.Errors
	var files []File
	resources := map[string]any{}
	for _, it := range items {
		q, err := athenaQuery(it, opt)
		if err != nil {
			errs = append(errs, asErrors(err, it.Pos, it.ID)...)
			continue
		}
		name := truncate("tokenhunt "+it.Title, 128)
		if opt.Format == "named-query" {
			data, err := marshalJSON(map[string]any{
				"Name":               name,
				"Description":        athenaDescription(it, opt),
				"Database":           opt.Database,
				"QueryString":        q,
				"WorkGroup":          opt.WorkGroup,
				"ClientRequestToken": StableID(it.ID),
			})
			if err != nil {
				return nil, ir.Errors{{Pos: it.Pos, RuleID: it.ID, Msg: err.Error()}}
			}
			files = append(files, File{Path: "athena/" + fileName(it) + ".json", Data: data})
			continue
		}
		resources[logicalID(it)] = map[string]any{
			"Type": "AWS::Athena::NamedQuery",
			"Properties": map[string]any{
				"Name":        name,
				"Description": athenaDescription(it, opt),
				"Database":    map[string]string{"Ref": "Database"},
				"WorkGroup":   map[string]string{"Ref": "WorkGroup"},
				"QueryString": q,
			},
		}
	}
	if opt.Format == "cloudformation" && len(resources) > 0 {
		data, err := marshalJSON(map[string]any{
			"AWSTemplateFormatVersion": "2010-09-09",
			"Description":              "tokenhunt detection rules as Athena named queries. " + AthenaWindow,
			"Parameters": map[string]any{
				"Database":  map[string]string{"Type": "String", "Default": opt.Database, "Description": "The Glue database of the tables the rules read"},
				"WorkGroup": map[string]string{"Type": "String", "Default": opt.WorkGroup, "Description": "The Athena workgroup of the named queries"},
			},
			"Resources": resources,
		})
		if err != nil {
			return nil, ir.Errors{{Msg: err.Error()}}
		}
		files = append(files, File{Path: "athena/tokenhunt-named-queries.template.json", Data: data})
	}
	return files, errs
}

// logicalID is a CloudFormation (or Terraform) name for an item, stable
// from its rule id: letters and digits only.
func logicalID(it *item) string {
	return "TokenhuntRule" + strings.ReplaceAll(StableID(it.ID), "-", "")
}

// BigQueryTable is the destination table of a rule's findings.
func bigqueryTable(it *item) string {
	return "tokenhunt_" + strings.ReplaceAll(StableID(it.ID), "-", "_")
}

// bigqueryQuery is the scheduled query: the rule's query restricted to the
// events (for a correlation, the findings fired) in (@run_time - interval,
// @run_time], with the rule id and run time as its first columns.
func bigqueryQuery(it *item, opt Options) (string, error) {
	d := bigquery.Dialect()
	var t string
	if it.Rule != nil {
		c, err := timeColumn(it.Rule, opt.Pipelines)
		if err != nil {
			return "", err
		}
		t = columnRef(c, d.QuoteIdent)
		if c.Type != ir.Timestamp {
			t = "SAFE_CAST(" + t + " AS TIMESTAMP)"
		}
	} else {
		t = "q.fired_at"
	}
	secs := int64(opt.Interval.Seconds())
	return sqlHeader(it, opt) + fmt.Sprintf("-- Time window: (@run_time - %s, @run_time], @run_time being the scheduled run's time.\n", shortDuration(opt.Interval)) +
		"SELECT " + d.QuoteString(it.ID) + " AS tokenhunt_rule_id, @run_time AS tokenhunt_run_time, q.*\nFROM (\n" + it.Query + "\n) AS q\n" +
		fmt.Sprintf("WHERE %s > TIMESTAMP_SUB(@run_time, INTERVAL %d SECOND) AND %s <= @run_time", t, secs, t), nil
}
