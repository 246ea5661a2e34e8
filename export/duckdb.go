package export

import (
	"fmt"
	"path/filepath"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/tokenhunt/tokenhunt/compiler/ir"
	"github.com/tokenhunt/tokenhunt/compiler/pipeline"
)

// HuntSpecFile is the hunt spec the DuckDB export writes beside the SQL
// files.
const HuntSpecFile = "duckdb/tokenhunt-export.hunt.yml"

func duckdbFiles(items []*item, opt Options) ([]File, ir.Errors) {
	var files []File
	type source struct {
		ls    ir.Logsource
		table string
	}
	sources := map[string]source{}
	var paths, ids []string
	for _, it := range items {
		var b strings.Builder
		b.WriteString(sqlHeader(it, opt))
		fmt.Fprintf(&b, "-- Run: duckdb -c \"CREATE VIEW %s AS SELECT * FROM read_json_auto('...')\" -f THIS_FILE, or tokenhunt hunt %s\n", strings.Join(it.tables(), ", "), filepath.Base(HuntSpecFile))
		b.WriteString(it.Query)
		b.WriteString(";\n")
		files = append(files, File{Path: "duckdb/" + fileName(it) + ".sql", Data: []byte(b.String())})
		ids = append(ids, it.ID)
		if !containsString(paths, it.File) {
			paths = append(paths, it.File)
		}
		if it.Rule != nil {
			sources[it.Rule.Table] = source{it.Rule.Logsource, it.Rule.Table}
		} else {
			for _, base := range it.Corr.RuleBases() {
				sources[base.Rule.Table] = source{base.Rule.Logsource, base.Rule.Table}
			}
		}
	}
	if len(items) == 0 {
		return files, nil
	}
	// The spec names rule files relative to its own folder.
	specDir := filepath.Join(opt.OutDir, filepath.Dir(HuntSpecFile))
	rel := func(p string) string {
		full := p
		if opt.Root != "" && !filepath.IsAbs(p) {
			full = filepath.Join(opt.Root, p)
		}
		a, err1 := filepath.Abs(full)
		d, err2 := filepath.Abs(specDir)
		if err1 == nil && err2 == nil {
			if r, err := filepath.Rel(d, a); err == nil {
				return filepath.ToSlash(r)
			}
		}
		return filepath.ToSlash(p)
	}
	var relPaths []string
	for _, p := range paths {
		relPaths = append(relPaths, rel(p))
	}
	sort.Strings(relPaths)
	var tables []string
	for t := range sources {
		tables = append(tables, t)
	}
	sort.Strings(tables)
	var srcs []map[string]any
	for _, t := range tables {
		s := sources[t]
		ls := map[string]string{}
		if s.ls.Product != "" {
			ls["product"] = s.ls.Product
		}
		if s.ls.Category != "" {
			ls["category"] = s.ls.Category
		}
		if s.ls.Service != "" {
			ls["service"] = s.ls.Service
		}
		srcs = append(srcs, map[string]any{
			"name": t, "logsource": ls, "pipeline": pipelineFor(s.ls, opt.Names),
			"paths": []string{"../data/" + t + "/**/*.json"},
		})
	}
	spec := map[string]any{
		"name":     "tokenhunt-export",
		"rules":    map[string]any{"paths": relPaths, "ids": ids},
		"sources":  srcs,
		"engine":   "duckdb",
		"outputs":  map[string]string{"dir": "../out"},
		"schedule": "0 * * * *",
	}
	data, err := yaml.Marshal(spec)
	if err != nil {
		return nil, ir.Errors{{Msg: err.Error()}}
	}
	head := "# tokenhunt export: runs the exported rules (the .sql files beside this spec)\n" +
		"# with the DuckDB engine. Point sources[].paths at your logs, then:\n" +
		"#   tokenhunt hunt " + filepath.Base(HuntSpecFile) + " --dry-run\n"
	files = append(files, File{Path: HuntSpecFile, Data: append([]byte(head), data...)})
	return files, nil
}

// pipelineFor is the first of the named pipelines that declares the log
// source (its time field), or the first one.
func pipelineFor(ls ir.Logsource, names []string) string {
	for _, n := range names {
		ps, err := pipeline.ResolveAll([]string{n})
		if err == nil && ps.Source(ls).Time != "" {
			return n
		}
	}
	if len(names) > 0 {
		return names[0]
	}
	return "cloudtrail"
}

func containsString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
