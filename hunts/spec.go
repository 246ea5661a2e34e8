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
	// Engine is the query engine; only "duckdb" runs today.
	Engine string
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
	// folders outside the hunt's reach are not read.
	Paths []string
	Pos   ir.Pos
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
	err := d.mapping(root, "hunt spec", []string{"name", "rules", "sources", "engine", "window", "lookback", "timeout", "outputs", "state", "schedule"}, func(key string, k, v *yaml.Node) error {
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
			if s.Engine, err = d.str(v, key); err == nil && s.Engine != "duckdb" {
				err = d.errorf(v, "use engine: duckdb (athena and bigquery hunts are not supported yet)", "unknown engine %q", s.Engine)
			}
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
		err := d.mapping(item, "source", []string{"name", "table", "logsource", "pipeline", "paths"}, func(key string, k, v *yaml.Node) error {
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
			}
			return err
		})
		if err != nil {
			return err
		}
		switch {
		case src.Pipeline == "":
			return d.errorf(item, "add pipeline: NAME or FILE (see tokenhunt pipelines)", "source has no pipeline")
		case len(src.Paths) == 0:
			return d.errorf(item, "add paths: [Parquet or JSON files or globs]", "source has no paths")
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
