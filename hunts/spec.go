// Package hunts reads hunt specs: which rules to run over which log
// sources, with which engine, over which time window, and where the
// findings go. The runner (hunts/runner) executes them; hunts/state keeps
// watermarks and locks, hunts/findings the findings and their sinks.
package hunts

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/tokenhunt/tokenhunt/compiler/ir"
	"github.com/tokenhunt/tokenhunt/hunts/cron"
)

// Spec is a hunt spec as read from YAML. Relative paths are resolved
// against the spec file's folder.
type Spec struct {
	// Name names the hunt: its state (watermarks, lock) is kept under it.
	Name    string
	Rules   RuleSelection
	Sources []Source
	// Engine is the default query engine of the sources: "duckdb"
	// (embedded, over files), "athena" or "bigquery" (over tables there).
	Engine string
	// Athena and BigQuery configure those engines for the sources that
	// use them.
	Athena   AthenaConfig
	BigQuery BigQueryConfig
	// Settle is how long after an event it is considered delivered: a
	// window without --to ends at now minus Settle (default 15m).
	Settle time.Duration
	// Start is the first window's start when a source has no watermark
	// yet; zero means 24h before the window's end.
	Start time.Time
	// Lookback is how far before the window correlations read; zero
	// means the longest timespan or lookback of the selected correlations.
	Lookback time.Duration
	// Timeout bounds each query; zero means none.
	Timeout time.Duration
	// OutDir is the folder of the findings files.
	OutDir string
	// StateDir is the folder of watermarks and locks (default OutDir/state).
	StateDir string
	// Schedule is a cron expression (five fields, UTC; see hunts/cron)
	// for `tokenhunt schedule`; the runner does not read it.
	Schedule string
	// File is the spec's path.
	File string
}

// RuleSelection says which rules a hunt runs.
type RuleSelection struct {
	// Paths are rule files, folders or globs.
	Paths []string
	// IDs, when not empty, keep only these rule ids or names.
	IDs []string
	// Tags, when not empty, keep only rules carrying one of these tags
	// (compared without regard to case; "attack.credential_access" and
	// "attack.credential-access" are the same tag).
	Tags []string
	// Level, when set, keeps only rules of this level or above
	// (informational < low < medium < high < critical).
	Level string
}

// Source is one log source of a hunt.
type Source struct {
	// Name identifies the source in state and reports (default: the
	// table, or product_service).
	Name string
	// Table is the table its rules read; or Logsource names it through
	// the pipeline.
	Table     string
	Logsource ir.Logsource
	// Pipeline is a builtin pipeline name or a YAML file.
	Pipeline string
	// Paths are files or globs (** allowed) of Parquet or JSON files.
	// Files under .../year=YYYY/month=MM/day=DD/ (or .../YYYY/MM/DD/)
	// folders outside the hunt's reach are not read. DuckDB sources only.
	Paths []string
	// Engine is this source's engine (default: the spec's).
	Engine string
	// Partitions say how an Athena or BigQuery table is partitioned, so
	// that a hunt reads only the partitions of its window.
	Partitions Partitions
	Pos        ir.Pos
}

// Engines are the engines a source can use.
var Engines = []string{"duckdb", "athena", "bigquery"}

// AthenaConfig is where Athena runs a hunt's queries. Credentials come
// from the standard AWS chain (environment, shared config, SSO, instance
// or container role), never from the spec.
type AthenaConfig struct {
	Region, Workgroup, Catalog, Database string
	// Output is the query result location (s3://bucket/prefix/); empty
	// uses the workgroup's.
	Output string
	// Endpoint overrides the service endpoint (a VPC endpoint; tests).
	Endpoint string
	// PricePerTB is the price of a terabyte scanned, for the cost report
	// (default 5 USD).
	PricePerTB float64
	Pos        ir.Pos
}

// BigQueryConfig is where BigQuery runs a hunt's queries. Credentials are
// Application Default Credentials only.
type BigQueryConfig struct {
	Project, Location string
	// Dataset qualifies the table names that name none ("cloudtrail" is
	// read as DATASET.cloudtrail).
	Dataset string
	// MaxBytes refuses a query whose dry run estimates more bytes
	// processed (0: no ceiling).
	MaxBytes int64
	// Endpoint overrides the API endpoint (the emulator in tests); the
	// client then sends no credentials.
	Endpoint   string
	PricePerTB float64
	Pos        ir.Pos
}

// Partitions describe a cloud table's partition columns. Athena tables of
// CloudTrail are partitioned by day either as one text column (partition
// projection, e.g. timestamp = '2026/11/02') or as year, month and day
// columns (Glue crawler layout), and often by region; BigQuery tables by a
// TIMESTAMP or DATE column, or by ingestion time (_PARTITIONTIME).
type Partitions struct {
	// Date is a text column holding the day as Format lays it out
	// (yyyy, MM, dd; default yyyy/MM/dd).
	Date, Format string
	// Year, Month and Day are text columns of zero-padded numbers.
	Year, Month, Day string
	// Region and Regions: a region column and the regions to read.
	Region  string
	Regions []string
	// Column is a BigQuery TIMESTAMP or DATE partitioning column (or
	// _PARTITIONTIME, _PARTITIONDATE); Type says which (default
	// timestamp).
	Column, Type string
}

// Levels orders rule levels; unknown levels rank below informational.
var levels = map[string]int{"informational": 1, "low": 2, "medium": 3, "high": 4, "critical": 5}

// LevelRank returns the rank of a level (0 for none or unknown).
func LevelRank(level string) int { return levels[strings.ToLower(level)] }

// Load reads a spec file.
func Load(path string) (*Spec, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return Parse(path, data)
}

// Parse reads a spec; file names it in errors and anchors relative paths.
func Parse(file string, data []byte) (*Spec, error) {
	d := decoder{file: file}
	var doc yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&doc); err != nil {
		return nil, yamlError(file, err)
	}
	if len(doc.Content) == 0 {
		return nil, &ir.Error{Pos: ir.Pos{File: file, Line: 1, Col: 1}, Msg: "empty hunt spec", Hint: "give at least name, rules and sources"}
	}
	root := doc.Content[0]
	s := &Spec{File: file, Engine: "duckdb", Settle: 15 * time.Minute}
	base := filepath.Dir(file)
	abs := func(p string) string {
		if p == "" || filepath.IsAbs(p) {
			return p
		}
		return filepath.Join(base, p)
	}
	seen := map[string]bool{}
	err := d.mapping(root, "hunt spec", []string{"name", "rules", "sources", "engine", "athena", "bigquery", "window", "lookback", "timeout", "outputs", "state", "schedule"}, func(key string, k, v *yaml.Node) error {
		seen[key] = true
		var err error
		switch key {
		case "name":
			if s.Name, err = d.str(v, key); err == nil && !nameRE.MatchString(s.Name) {
				err = d.errorf(v, "use letters, digits, '.', '_' and '-'", "hunt name %q is not a valid name", s.Name)
			}
		case "rules":
			err = d.rules(v, &s.Rules, abs)
		case "sources":
			err = d.sources(v, s, abs)
		case "engine":
			s.Engine, err = d.engine(v)
		case "athena":
			err = d.athena(v, &s.Athena)
		case "bigquery":
			err = d.bigquery(v, &s.BigQuery)
		case "window":
			err = d.mapping(v, "window", []string{"settle", "start"}, func(key string, k, v *yaml.Node) error {
				switch key {
				case "settle":
					return d.duration(v, key, &s.Settle)
				default:
					str, err := d.str(v, key)
					if err != nil {
						return err
					}
					t, perr := time.Parse(time.RFC3339, str)
					if perr != nil {
						return d.errorf(v, "write an RFC 3339 time, e.g. 2026-11-02T00:00:00Z", "window start %q is not a time", str)
					}
					s.Start = t.UTC()
					return nil
				}
			})
		case "lookback":
			err = d.duration(v, key, &s.Lookback)
		case "timeout":
			err = d.duration(v, key, &s.Timeout)
		case "outputs":
			err = d.mapping(v, "outputs", []string{"dir"}, func(key string, k, v *yaml.Node) error {
				dir, err := d.str(v, key)
				s.OutDir = abs(dir)
				return err
			})
		case "state":
			var dir string
			dir, err = d.str(v, key)
			s.StateDir = abs(dir)
		case "schedule":
			if s.Schedule, err = d.str(v, key); err == nil {
				if _, cerr := cron.Parse(s.Schedule); cerr != nil {
					err = d.errorf(v, "e.g. \"30 2 * * *\" for 02:30 every day (times are UTC)", "%v", cerr)
				}
			}
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	for _, need := range []string{"name", "rules", "sources"} {
		if !seen[need] {
			return nil, d.errorf(root, "add a "+need+": key", "hunt spec has no %s", need)
		}
	}
	if s.StateDir == "" && s.OutDir != "" {
		s.StateDir = filepath.Join(s.OutDir, "state")
	}
	for i := range s.Sources {
		if err := d.checkSource(root, s, &s.Sources[i]); err != nil {
			return nil, err
		}
	}
	return s, nil
}

var nameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*$`)

func (d decoder) rules(v *yaml.Node, r *RuleSelection, abs func(string) string) error {
	err := d.mapping(v, "rules", []string{"paths", "ids", "tags", "level"}, func(key string, k, v *yaml.Node) error {
		var err error
		switch key {
		case "paths":
			r.Paths, err = d.strList(v, key)
			for i, p := range r.Paths {
				r.Paths[i] = abs(p)
			}
		case "ids":
			r.IDs, err = d.strList(v, key)
		case "tags":
			r.Tags, err = d.strList(v, key)
		case "level":
			if r.Level, err = d.str(v, key); err == nil && LevelRank(r.Level) == 0 {
				err = d.errorf(v, "use informational, low, medium, high or critical", "unknown level %q", r.Level)
			}
		}
		return err
	})
	if err == nil && len(r.Paths) == 0 {
		return d.errorf(v, "add paths: [rule files, folders or globs]", "rules has no paths")
	}
	return err
}

func (d decoder) sources(v *yaml.Node, s *Spec, abs func(string) string) error {
	if v.Kind != yaml.SequenceNode || len(v.Content) == 0 {
		return d.errorf(v, "write a list of sources, each with pipeline and paths", "sources must be a non-empty list")
	}
	names := map[string]bool{}
	for _, item := range v.Content {
		src := Source{Pos: d.pos(item)}
		err := d.mapping(item, "source", []string{"name", "table", "logsource", "pipeline", "paths", "engine", "partitions"}, func(key string, k, v *yaml.Node) error {
			var err error
			switch key {
			case "name":
				if src.Name, err = d.str(v, key); err == nil && !nameRE.MatchString(src.Name) {
					err = d.errorf(v, "use letters, digits, '.', '_' and '-'", "source name %q is not a valid name", src.Name)
				}
			case "table":
				src.Table, err = d.str(v, key)
			case "logsource":
				err = d.mapping(v, "logsource", []string{"product", "service", "category"}, func(key string, k, v *yaml.Node) error {
					val, err := d.str(v, key)
					switch key {
					case "product":
						src.Logsource.Product = val
					case "service":
						src.Logsource.Service = val
					default:
						src.Logsource.Category = val
					}
					return err
				})
			case "pipeline":
				src.Pipeline, err = d.str(v, key)
				if err == nil && (strings.ContainsAny(src.Pipeline, `/\`) || strings.HasSuffix(src.Pipeline, ".yml") || strings.HasSuffix(src.Pipeline, ".yaml")) {
					src.Pipeline = abs(src.Pipeline)
				}
			case "paths":
				src.Paths, err = d.strList(v, key)
				for i, p := range src.Paths {
					src.Paths[i] = abs(p)
				}
			case "engine":
				src.Engine, err = d.engine(v)
			case "partitions":
				err = d.partitions(v, &src.Partitions)
			}
			return err
		})
		if err != nil {
			return err
		}
		switch {
		case src.Pipeline == "":
			return d.errorf(item, "add pipeline: NAME or FILE (see tokenhunt pipelines)", "source has no pipeline")
		case src.Table == "" && src.Logsource == (ir.Logsource{}):
			return d.errorf(item, "add table: NAME or logsource: {product: ..., service: ...}", "source names no table or logsource")
		}
		if src.Name == "" {
			src.Name = src.Table
			if src.Name == "" {
				src.Name = strings.Trim(strings.Join([]string{src.Logsource.Product, src.Logsource.Category, src.Logsource.Service}, "_"), "_")
				src.Name = strings.ReplaceAll(src.Name, "__", "_")
			}
		}
		if names[src.Name] {
			return d.errorf(item, "give each source its own name:", "two sources are named %q", src.Name)
		}
		names[src.Name] = true
		s.Sources = append(s.Sources, src)
	}
	return nil
}

// decoder reads YAML nodes with positioned errors.
type decoder struct{ file string }

func (d decoder) pos(n *yaml.Node) ir.Pos { return ir.Pos{File: d.file, Line: n.Line, Col: n.Column} }

func (d decoder) errorf(n *yaml.Node, hint, format string, args ...any) error {
	return &ir.Error{Pos: d.pos(n), Msg: fmt.Sprintf(format, args...), Hint: hint}
}

func (d decoder) mapping(n *yaml.Node, what string, known []string, f func(key string, k, v *yaml.Node) error) error {
	if n.Kind != yaml.MappingNode {
		return d.errorf(n, "", "%s must be a mapping", what)
	}
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		ok := false
		for _, kn := range known {
			ok = ok || kn == k.Value
		}
		if !ok {
			return d.errorf(k, "known keys: "+strings.Join(known, ", "), "unknown key %q in %s", k.Value, what)
		}
		if seen[k.Value] {
			return d.errorf(k, "", "key %q given twice in %s", k.Value, what)
		}
		seen[k.Value] = true
		if err := f(k.Value, k, v); err != nil {
			return err
		}
	}
	return nil
}

func (d decoder) str(n *yaml.Node, what string) (string, error) {
	if n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
		return "", d.errorf(n, "", "%s must be a string", what)
	}
	return n.Value, nil
}

func (d decoder) strList(n *yaml.Node, what string) ([]string, error) {
	if n.Kind == yaml.ScalarNode {
		s, err := d.str(n, what)
		return []string{s}, err
	}
	if n.Kind != yaml.SequenceNode {
		return nil, d.errorf(n, "", "%s must be a string or a list of strings", what)
	}
	var out []string
	for _, it := range n.Content {
		s, err := d.str(it, what)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, nil
}

func (d decoder) duration(n *yaml.Node, what string, out *time.Duration) error {
	s, err := d.str(n, what)
	if err != nil {
		return err
	}
	dur, err := ParseDuration(s)
	if err != nil || dur < 0 {
		return d.errorf(n, "write a duration such as 15m, 2h or 30d", "%s %q is not a duration", what, s)
	}
	*out = dur
	return nil
}

// ParseDuration reads a Go duration, or a whole number of days ("30d").
func ParseDuration(s string) (time.Duration, error) {
	if n, ok := strings.CutSuffix(s, "d"); ok {
		var days int
		if _, err := fmt.Sscanf(n, "%d", &days); err == nil && fmt.Sprint(days) == n {
			return time.Duration(days) * 24 * time.Hour, nil
		}
	}
	return time.ParseDuration(s)
}

var yamlLineRE = regexp.MustCompile(`line (\d+)`)

func yamlError(file string, err error) error {
	pos := ir.Pos{File: file}
	if m := yamlLineRE.FindStringSubmatch(err.Error()); m != nil {
		fmt.Sscanf(m[1], "%d", &pos.Line)
	}
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	msg = regexp.MustCompile(`^line \d+: `).ReplaceAllString(msg, "")
	return &ir.Error{Pos: pos, Msg: "bad YAML: " + msg}
}

func (d decoder) engine(v *yaml.Node) (string, error) {
	e, err := d.str(v, "engine")
	if err == nil && !slices.Contains(Engines, e) {
		err = d.errorf(v, "use engine: duckdb, athena or bigquery", "unknown engine %q", e)
	}
	return e, err
}

func (d decoder) athena(v *yaml.Node, c *AthenaConfig) error {
	c.Pos = d.pos(v)
	return d.mapping(v, "athena", []string{"region", "workgroup", "catalog", "database", "output", "endpoint", "price_per_tb"}, func(key string, k, v *yaml.Node) error {
		var err error
		switch key {
		case "region":
			c.Region, err = d.str(v, key)
		case "workgroup":
			c.Workgroup, err = d.str(v, key)
		case "catalog":
			c.Catalog, err = d.str(v, key)
		case "database":
			c.Database, err = d.str(v, key)
		case "output":
			if c.Output, err = d.str(v, key); err == nil && !strings.HasPrefix(c.Output, "s3://") {
				err = d.errorf(v, "write the result location as s3://bucket/prefix/", "athena output %q is not an s3:// location", c.Output)
			}
		case "endpoint":
			c.Endpoint, err = d.str(v, key)
		case "price_per_tb":
			c.PricePerTB, err = d.float(v, key)
		}
		return err
	})
}

func (d decoder) bigquery(v *yaml.Node, c *BigQueryConfig) error {
	c.Pos = d.pos(v)
	return d.mapping(v, "bigquery", []string{"project", "location", "dataset", "max_bytes", "endpoint", "price_per_tb"}, func(key string, k, v *yaml.Node) error {
		var err error
		switch key {
		case "project":
			c.Project, err = d.str(v, key)
		case "location":
			c.Location, err = d.str(v, key)
		case "dataset":
			c.Dataset, err = d.str(v, key)
		case "max_bytes":
			var s string
			if s, err = d.str(v, key); err == nil {
				if c.MaxBytes, err = ParseBytes(s); err != nil {
					err = d.errorf(v, "write a size such as 500GB, 2TB or 1000000000", "max_bytes %q is not a size", s)
				}
			}
		case "endpoint":
			c.Endpoint, err = d.str(v, key)
		case "price_per_tb":
			c.PricePerTB, err = d.float(v, key)
		}
		return err
	})
}

var dayFormatRE = regexp.MustCompile(`^[^yMd]*yyyy[^yMd]*MM[^yMd]*dd[^yMd]*$`)

func (d decoder) partitions(v *yaml.Node, p *Partitions) error {
	err := d.mapping(v, "partitions", []string{"date", "format", "year", "month", "day", "region", "regions", "column", "type"}, func(key string, k, v *yaml.Node) error {
		var err error
		switch key {
		case "date":
			p.Date, err = d.str(v, key)
		case "format":
			if p.Format, err = d.str(v, key); err == nil && !dayFormatRE.MatchString(p.Format) {
				err = d.errorf(v, "lay the day out with yyyy, MM and dd in that order, e.g. yyyy/MM/dd or yyyy-MM-dd", "partition format %q has no yyyy, MM and dd in order", p.Format)
			}
		case "year":
			p.Year, err = d.str(v, key)
		case "month":
			p.Month, err = d.str(v, key)
		case "day":
			p.Day, err = d.str(v, key)
		case "region":
			p.Region, err = d.str(v, key)
		case "regions":
			p.Regions, err = d.strList(v, key)
		case "column":
			p.Column, err = d.str(v, key)
		case "type":
			if p.Type, err = d.str(v, key); err == nil && p.Type != "timestamp" && p.Type != "date" {
				err = d.errorf(v, "use type: timestamp or type: date", "partition type %q is neither timestamp nor date", p.Type)
			}
		}
		return err
	})
	if err != nil {
		return err
	}
	ymd := p.Year != "" || p.Month != "" || p.Day != ""
	switch {
	case ymd && (p.Year == "" || p.Month == "" || p.Day == ""):
		return d.errorf(v, "give year:, month: and day: together", "partitions name only some of year, month and day")
	case ymd && p.Date != "":
		return d.errorf(v, "give either date: or year:/month:/day:", "partitions name a date column and year/month/day columns")
	case p.Format != "" && p.Date == "":
		return d.errorf(v, "add date: COLUMN", "partition format without a date column")
	case len(p.Regions) > 0 && p.Region == "":
		return d.errorf(v, "add region: COLUMN", "partition regions without a region column")
	case p.Type != "" && p.Column == "":
		return d.errorf(v, "add column: COLUMN", "partition type without a column")
	}
	if p.Date != "" && p.Format == "" {
		p.Format = "yyyy/MM/dd"
	}
	if p.Column != "" && p.Type == "" {
		p.Type = "timestamp"
	}
	return nil
}

// checkSource checks what a source needs of its engine.
func (d decoder) checkSource(root *yaml.Node, s *Spec, src *Source) error {
	if src.Engine == "" {
		src.Engine = s.Engine
	}
	p := src.Partitions
	switch src.Engine {
	case "duckdb":
		if len(src.Paths) == 0 {
			return &ir.Error{Pos: src.Pos, Msg: fmt.Sprintf("source %s has no paths", src.Name), Hint: "add paths: [Parquet or JSON files or globs]"}
		}
		if p.Date != "" || p.Year != "" || p.Region != "" || p.Column != "" {
			return &ir.Error{Pos: src.Pos, Msg: fmt.Sprintf("source %s: partitions are for athena and bigquery tables", src.Name), Hint: "DuckDB prunes files by their year=/month=/day= folders; remove partitions:"}
		}
	case "athena":
		if len(src.Paths) > 0 {
			return &ir.Error{Pos: src.Pos, Msg: fmt.Sprintf("source %s reads paths, but Athena reads tables", src.Name), Hint: "remove paths: and name the table (table: or the pipeline's)"}
		}
		if p.Column != "" {
			return &ir.Error{Pos: src.Pos, Msg: fmt.Sprintf("source %s: partitions column: is for BigQuery tables", src.Name), Hint: "for Athena use date: (partition projection) or year:/month:/day:"}
		}
	case "bigquery":
		if len(src.Paths) > 0 {
			return &ir.Error{Pos: src.Pos, Msg: fmt.Sprintf("source %s reads paths, but BigQuery reads tables", src.Name), Hint: "remove paths: and name the table (table: project.dataset.table)"}
		}
		if p.Date != "" || p.Year != "" || p.Region != "" {
			return &ir.Error{Pos: src.Pos, Msg: fmt.Sprintf("source %s: partitions date:/year:/region: are for Athena tables", src.Name), Hint: "for BigQuery give column: (the partitioning column, or _PARTITIONTIME) and type:"}
		}
		if s.BigQuery.Project == "" {
			return d.errorf(root, "add bigquery: {project: PROJECT_ID, location: US}", "source %s runs on BigQuery, but the spec names no bigquery project", src.Name)
		}
	}
	return nil
}

func (d decoder) float(n *yaml.Node, what string) (float64, error) {
	s, err := d.str(n, what)
	if err != nil {
		return 0, err
	}
	f, perr := strconv.ParseFloat(s, 64)
	if perr != nil || f < 0 {
		return 0, d.errorf(n, "write a number such as 5 or 6.25", "%s %q is not a number", what, s)
	}
	return f, nil
}

// ParseBytes reads a byte count: a whole number, or one with a unit of
// KB, MB, GB, TB (powers of 1000) or KiB, MiB, GiB, TiB.
func ParseBytes(s string) (int64, error) {
	s = strings.TrimSpace(s)
	units := []struct {
		suffix string
		mul    float64
	}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"TiB", 1 << 40}, {"KB", 1e3}, {"MB", 1e6}, {"GB", 1e9}, {"TB", 1e12}, {"B", 1}}
	mul := 1.0
	for _, u := range units {
		if n, ok := strings.CutSuffix(s, u.suffix); ok {
			s, mul = strings.TrimSpace(n), u.mul
			break
		}
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f < 0 || f*mul > 1<<62 {
		return 0, fmt.Errorf("not a size: %q", s)
	}
	return int64(f * mul), nil
}
