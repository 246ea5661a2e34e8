// Package export turns a compiled rule set into deployable artefacts: the
// native scheduled detections of Microsoft Sentinel (analytics rule YAML in
// the shape of the Azure-Sentinel repository, ARM templates), Amazon Athena
// (named queries, CloudFormation), Google BigQuery (scheduled queries as
// `bq mk --transfer_config` parameters and Terraform) and DuckDB (SQL files
// and a hunt spec).
//
// Every artefact carries a stable id derived from the rule id (StableID), so
// exporting again and redeploying updates a rule in place; and the rule's
// id, title, level, tags and source file in its metadata or description.
package export

import (
	"crypto/sha1"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/tokenhunt/tokenhunt/compiler"
	"github.com/tokenhunt/tokenhunt/compiler/ir"
	"github.com/tokenhunt/tokenhunt/compiler/pipeline"
)

// Formats returns the formats of each target, the first one the default.
func Formats() map[string][]string {
	return map[string][]string{
		"sentinel": {"yaml", "arm"},
		"athena":   {"named-query", "cloudformation"},
		"bigquery": {"transfer-config", "terraform"},
		"duckdb":   {"sql"},
	}
}

// Targets returns the target names in the order the command line lists
// them.
func Targets() []string { return []string{"sentinel", "athena", "bigquery", "duckdb"} }

// Options say what to export and how.
type Options struct {
	// Target is sentinel, athena, bigquery or duckdb; Format one of its
	// Formats (empty: the first).
	Target, Format string
	// Pipelines are the pipelines the set was compiled with: Set resolves
	// entity fields and time columns, Names are recorded in the artefacts.
	Pipelines pipeline.Set
	Names     []string
	// Root, when set, is the folder that rule file paths are written
	// relative to (e.g. the repository root), with forward slashes.
	Root string
	// OutDir is where the files go; the DuckDB hunt spec names rule files
	// relative to it.
	OutDir string
	// Athena: the database and workgroup of the named queries (defaults
	// "default" and "primary"; CloudFormation takes them as parameters).
	Database, WorkGroup string
	// Dataset, for BigQuery, qualifies the tables that the pipelines name
	// without a dataset (scheduled queries have no default dataset).
	Dataset string
	// Interval is how often a scheduled rule runs and how far back it
	// reads (Sentinel queryFrequency, BigQuery schedule; default 1h). A
	// correlation runs every Interval over Interval plus its timespan.
	Interval time.Duration
}

// File is one artefact: a path relative to the output folder and its bytes.
type File struct {
	Path string
	Data []byte
}

// item is one exportable rule: a detection rule or a correlation, with its
// query for the target.
type item struct {
	ID, Title, Level, Status, Description string
	Tags                                  []string
	File                                  string
	Pos                                   ir.Pos
	// Rule is the detection rule; nil for a correlation.
	Rule *ir.Rule
	// Corr is the correlation; nil for a detection rule.
	Corr  *ir.Correlation
	Query string
}

// tables are the tables the item reads, sorted.
func (it *item) tables() []string {
	if it.Rule != nil {
		return []string{it.Rule.Table}
	}
	var out []string
	for _, b := range it.Corr.RuleBases() {
		if !slices.Contains(out, b.Rule.Table) {
			out = append(out, b.Rule.Table)
		}
	}
	sort.Strings(out)
	return out
}

// logsource is the log source of the rule or of the first base rule.
func (it *item) logsource() ir.Logsource {
	if it.Rule != nil {
		return it.Rule.Logsource
	}
	if bs := it.Corr.RuleBases(); len(bs) > 0 {
		return bs[0].Rule.Logsource
	}
	return ir.Logsource{}
}

// span is how far back a correlation looks beyond the run interval.
func (it *item) span() time.Duration {
	if it.Corr == nil {
		return 0
	}
	return it.Corr.Reach()
}

// StableID is the UUID version 5 of a rule id in tokenhunt's namespace: the
// same rule id always gives the same artefact id.
func StableID(ruleID string) string {
	// namespace is UUIDv5(URL namespace, "https://github.com/tokenhunt/tokenhunt/export").
	ns := [16]byte{0x6b, 0xa7, 0xb8, 0x11, 0x9d, 0xad, 0x11, 0xd1, 0x80, 0xb4, 0x00, 0xc0, 0x4f, 0xd4, 0x30, 0xc8}
	ns = uuid5(ns, "https://github.com/tokenhunt/tokenhunt/export")
	u := uuid5(ns, ruleID)
	return fmt.Sprintf("%x-%x-%x-%x-%x", u[0:4], u[4:6], u[6:8], u[8:10], u[10:16])
}

func uuid5(ns [16]byte, name string) [16]byte {
	h := sha1.New()
	h.Write(ns[:])
	h.Write([]byte(name))
	var u [16]byte
	copy(u[:], h.Sum(nil))
	u[6] = u[6]&0x0f | 0x50
	u[8] = u[8]&0x3f | 0x80
	return u
}

// Export compiles the set for the target and returns its artefacts, sorted
// by path. A rule the target cannot express is reported and left out; the
// others are still exported. Base rules of a correlation are exported only
// with the correlation's generate: true, as convert prints them.
func Export(set *compiler.Set, opt Options) ([]File, ir.Errors) {
	formats, ok := Formats()[opt.Target]
	if !ok {
		return nil, ir.Errors{{Msg: fmt.Sprintf("unknown export target %q", opt.Target), Hint: "choose one of " + strings.Join(Targets(), ", ")}}
	}
	if opt.Format == "" {
		opt.Format = formats[0]
	}
	if !slices.Contains(formats, opt.Format) {
		return nil, ir.Errors{{Msg: fmt.Sprintf("unknown %s export format %q", opt.Target, opt.Format), Hint: "choose one of " + strings.Join(formats, ", ")}}
	}
	if opt.Interval <= 0 {
		opt.Interval = time.Hour
	}
	if opt.Database == "" {
		opt.Database = "default"
	}
	if opt.WorkGroup == "" {
		opt.WorkGroup = "primary"
	}
	items, errs := compileItems(set, opt)
	var files []File
	var err ir.Errors
	switch opt.Target {
	case "sentinel":
		files, err = sentinel(items, opt)
	case "athena":
		files, err = athenaFiles(items, opt)
	case "bigquery":
		files, err = bigqueryFiles(items, opt)
	case "duckdb":
		files, err = duckdbFiles(items, opt)
	}
	errs = append(errs, err...)
	errs.Sort()
	sort.Slice(files, func(i, j int) bool { return files[i].Path < files[j].Path })
	return files, errs
}

// compiler is what every backend offers.
type backend interface {
	Compile(*ir.Rule) (string, error)
	CompileCorrelation(*ir.Correlation) (string, error)
}

func compileItems(set *compiler.Set, opt Options) ([]*item, ir.Errors) {
	be := backendFor(opt.Target)
	var errs ir.Errors
	// Base rules and chained inner correlations are exported inside the
	// correlation that names them, on their own only with generate: true.
	inside := map[*ir.Rule]bool{}
	insideCorr := map[*ir.Correlation]bool{}
	for _, c := range set.Correlations {
		if !c.Correlation.Generate {
			for _, b := range c.Correlation.Bases {
				if b.Correlation != nil {
					insideCorr[b.Correlation] = true
				} else {
					inside[b.Rule] = true
				}
			}
		}
	}
	qualify := func(r *ir.Rule) *ir.Rule {
		if opt.Target != "bigquery" || opt.Dataset == "" || strings.Contains(r.Table, ".") {
			return r
		}
		out := *r
		out.Table = opt.Dataset + "." + r.Table
		return &out
	}
	var items []*item
	for _, r := range set.Rules {
		if inside[r.Rule] {
			continue
		}
		q, err := be.Compile(qualify(r.Rule))
		if err != nil {
			errs = append(errs, asErrors(err, r.Rule.Pos, r.Rule.ID)...)
			continue
		}
		items = append(items, &item{ID: r.Rule.ID, Title: r.Rule.Title, Level: r.Rule.Level, Status: r.Rule.Status,
			Description: r.Rule.Description, Tags: r.Rule.Tags, File: relPath(opt.Root, r.Source.File), Pos: r.Rule.Pos, Rule: r.Rule, Query: q})
	}
	for _, cr := range set.Correlations {
		c := cr.Correlation
		if insideCorr[c] {
			continue
		}
		q, err := be.CompileCorrelation(c.WithRules(qualify))
		if err != nil {
			errs = append(errs, asErrors(err, c.Pos, c.ID)...)
			continue
		}
		items = append(items, &item{ID: c.ID, Title: c.Title, Level: c.Level, Status: c.Status,
			Description: c.Description, Tags: c.Tags, File: relPath(opt.Root, cr.Source.File), Pos: c.Pos, Corr: c, Query: q})
	}
	for _, it := range items {
		if it.ID == "" {
			errs = append(errs, &ir.Error{Pos: it.Pos, Msg: "rule has no id: an exported rule needs one for a stable artefact id", Hint: "add an id: (a UUID) to the rule"})
		}
	}
	items = slices.DeleteFunc(items, func(it *item) bool { return it.ID == "" })
	sort.SliceStable(items, func(i, j int) bool { return items[i].ID < items[j].ID })
	return items, errs
}

func asErrors(err error, pos ir.Pos, id string) ir.Errors {
	switch e := err.(type) {
	case ir.Errors:
		return e
	case *ir.Error:
		return ir.Errors{e}
	}
	return ir.Errors{{Pos: pos, RuleID: id, Msg: err.Error()}}
}

// relPath writes a rule file path relative to root, with forward slashes.
func relPath(root, file string) string {
	if root != "" {
		if abs, err := filepath.Abs(file); err == nil {
			if r, err := filepath.Abs(root); err == nil {
				if rel, err := filepath.Rel(r, abs); err == nil {
					file = rel
				}
			}
		}
	}
	return filepath.ToSlash(file)
}

var slugRE = regexp.MustCompile(`[^a-z0-9]+`)

// fileName is the base name of an item's files: a slug of its title and
// the first block of its stable id, stable and readable.
func fileName(it *item) string {
	slug := strings.Trim(slugRE.ReplaceAllString(strings.ToLower(it.Title), "_"), "_")
	if len(slug) > 60 {
		slug = strings.TrimRight(slug[:60], "_")
	}
	return slug + "_" + StableID(it.ID)[:8]
}

// metadataLines are the rule's metadata, one "key: value" per line.
func metadataLines(it *item, opt Options) []string {
	kind := "detection rule"
	if it.Corr != nil {
		kind = "correlation (" + it.Corr.Type.String() + ")"
	}
	lines := []string{
		"tokenhunt " + kind + " " + it.ID,
		"title: " + it.Title,
		"level: " + orNone(it.Level),
		"tags: " + orNone(strings.Join(it.Tags, ", ")),
		"source: " + it.File,
	}
	if len(opt.Names) > 0 {
		lines = append(lines, "pipelines: "+strings.Join(opt.Names, ", "))
	}
	return lines
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

// sqlHeader is the metadata as SQL line comments.
func sqlHeader(it *item, opt Options) string {
	var b strings.Builder
	for _, l := range metadataLines(it, opt) {
		b.WriteString("-- " + strings.ReplaceAll(l, "\n", " ") + "\n")
	}
	return b.String()
}

// timeColumn resolves the log source's time field of a detection rule to
// its column through the pipelines.
func timeColumn(r *ir.Rule, ps pipeline.Set) (*ir.Column, error) {
	src := ps.Source(r.Logsource)
	if src.Time == "" {
		return nil, &ir.Error{Pos: r.Pos, RuleID: r.ID, Msg: "the pipelines name no time field for the rule's log source, so the export cannot bound its time window",
			Hint: "add time: FIELD to the pipeline's logsources entry"}
	}
	c := resolve(r, ps, src.Time)
	if c == nil || len(c.JSON) > 0 {
		return nil, &ir.Error{Pos: r.Pos, RuleID: r.ID, Msg: fmt.Sprintf("time field %q is not a column", src.Time), Hint: "map the time field to a column in the pipeline"}
	}
	return c, nil
}

// resolve maps a field name through the pipelines, as they map the rule's
// fields.
func resolve(r *ir.Rule, ps pipeline.Set, name string) *ir.Column {
	probe := &ir.Rule{ID: r.ID, Logsource: r.Logsource, Pos: r.Pos, Where: ir.IsNull{Field: ir.Field{Name: name}}}
	out, err := ps.Apply(probe)
	if err != nil {
		return nil
	}
	if n, ok := out.Where.(ir.IsNull); ok {
		return n.Field.Column
	}
	return nil
}

// WriteFiles writes the artefacts under dir, creating folders.
func WriteFiles(dir string, files []File) error {
	for _, f := range files {
		p := filepath.Join(dir, filepath.FromSlash(f.Path))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(p, f.Data, 0o644); err != nil {
			return err
		}
	}
	return nil
}
