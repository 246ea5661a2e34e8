// Package goldentest reads the golden cases of testdata/golden (txtar: a
// rule file, optionally a pipeline, an event set and the hand-written ids it
// must match, then the generated IR and per-target sections) and compiles
// them the one way every engine's tests do.
package goldentest

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"golang.org/x/tools/txtar"

	"github.com/tokenhunt/tokenhunt/compiler"
	"github.com/tokenhunt/tokenhunt/compiler/ir"
	"github.com/tokenhunt/tokenhunt/compiler/pipeline"
	"github.com/tokenhunt/tokenhunt/compiler/sigma"
)

// Case is one golden file.
type Case struct {
	Name     string // the file name without .txtar
	File     string
	Archive  *txtar.Archive
	Sections map[string]string
}

// Load reads every *.txtar of dir, sorted by name.
func Load(dir string) ([]*Case, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.txtar"))
	if err != nil {
		return nil, err
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("no golden files in %s", dir)
	}
	sort.Strings(files)
	var out []*Case
	for _, f := range files {
		c, err := Read(f)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}

// Read reads one golden file.
func Read(file string) (*Case, error) {
	ar, err := txtar.ParseFile(file)
	if err != nil {
		return nil, err
	}
	c := &Case{Name: strings.TrimSuffix(filepath.Base(file), ".txtar"), File: file, Archive: ar, Sections: map[string]string{}}
	for _, f := range ar.Files {
		c.Sections[f.Name] = string(f.Data)
	}
	return c, nil
}

// Pipelines parses the case's pipeline.yml section, if any.
func (c *Case) Pipelines() (pipeline.Set, error) {
	text, ok := c.Sections["pipeline.yml"]
	if !ok {
		return nil, nil
	}
	p, err := pipeline.Parse("pipeline.yml", []byte(text))
	if err != nil {
		return nil, fmt.Errorf("%s: pipeline: %w", c.Name, err)
	}
	return pipeline.Set{p}, nil
}

// Compile runs the case's rule file through the front end and its pipeline.
// Rule errors (the error cases) come back in errs; err is for a broken case.
func (c *Case) Compile() (set *compiler.Set, ps pipeline.Set, errs ir.Errors, err error) {
	ps, err = c.Pipelines()
	if err != nil {
		return nil, nil, nil, err
	}
	rules, errs := sigma.ParseFile("rule.yml", []byte(c.Sections["rule.yml"]))
	if len(errs) > 0 {
		return &compiler.Set{}, ps, errs, nil
	}
	set, errs = compiler.CompileSet(rules, ps)
	return set, ps, errs, nil
}

// Rule compiles a case holding one detection rule (with any filters); nil
// when the case is an error case or a correlation.
func (c *Case) Rule() (*ir.Rule, pipeline.Set, error) {
	set, ps, errs, err := c.Compile()
	if err != nil || len(errs) > 0 || len(set.Correlations) > 0 || len(set.Rules) != 1 {
		return nil, ps, err
	}
	return set.Rules[0].Rule, ps, nil
}

// Matches returns the hand-written ids the case's events must match; ok is
// false when the case has no events, or when it is a correlation case whose
// events raise findings instead (see Findings).
func (c *Case) Matches() (ids []string, ok bool) {
	if _, has := c.Sections["events"]; !has {
		return nil, false
	}
	if _, corr := c.Sections["findings"]; corr {
		return nil, false
	}
	ids = strings.Fields(c.Sections["matches"])
	if len(ids) == 1 && ids[0] == "(none)" {
		ids = []string{}
	}
	return ids, true
}

// Findings returns the hand-written findings of a correlation case's
// events, one refeval.Finding.String line each, sorted ("(none)" for
// none); ok is false when the case has no findings section.
func (c *Case) Findings() (lines []string, ok bool) {
	text, ok := c.Sections["findings"]
	if !ok {
		return nil, false
	}
	lines = []string{}
	for _, line := range strings.Split(text, "\n") {
		if line = strings.TrimSpace(line); line != "" && line != "(none)" {
			lines = append(lines, line)
		}
	}
	sort.Strings(lines)
	return lines, true
}

// EventsFile is the JSON lines file of the case's event set, below the
// golden folder dir.
func (c *Case) EventsFile(dir string) string {
	return filepath.Join(dir, "events", strings.TrimSpace(c.Sections["events"])+".jsonl")
}

// ReadEvents reads a JSON lines file as the reference evaluator reads
// events: numbers as json.Number.
func ReadEvents(path string) ([]map[string]any, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []map[string]any
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for line := 1; sc.Scan(); line++ {
		if strings.TrimSpace(sc.Text()) == "" {
			continue
		}
		dec := json.NewDecoder(strings.NewReader(sc.Text()))
		dec.UseNumber()
		var ev map[string]any
		if err := dec.Decode(&ev); err != nil {
			return nil, fmt.Errorf("%s:%d: %w", path, line, err)
		}
		out = append(out, ev)
	}
	return out, sc.Err()
}
