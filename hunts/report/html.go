package report

import (
	"bufio"
	"context"
	_ "embed"
	"html/template"
	"io"
	"os"
	"path/filepath"
)

//go:embed report.html.tmpl
var pageText string

var page = template.Must(template.New("report").Funcs(template.FuncMap{
	"rows": func(n int) int { return n*18 + 4 },
	"row":  func(i, off int) int { return i*18 + off },
	"add":  func(a, b float64) float64 { return round1(a + b) },
}).Parse(pageText))

// WriteHTML renders the report as one self-contained HTML page.
func (r *Report) WriteHTML(w io.Writer) error {
	return page.Execute(w, r)
}

// Config is one `tokenhunt report` run.
type Config struct {
	// Inputs are findings.jsonl files, merged without duplicates.
	Inputs []string
	// MissingOK treats an input that does not exist as no findings (a
	// hunt that has not found anything yet).
	MissingOK bool
	// RulePaths are rule files or folders (for clouds, response steps
	// and queries); may be empty.
	RulePaths []string
	// Pipelines are the pipelines (builtin names or files) the rules are
	// compiled with for the queries shown, as the hunt used them.
	Pipelines []string
	// Events are CloudTrail logs (Parquet or JSON files, folders or
	// globs) the findings' events are looked up in; may be empty.
	Events []string
	// Output is the HTML file written (atomically: a temporary file
	// renamed).
	Output  string
	Options Options
}

// Summary tells what Generate wrote.
type Summary struct {
	Findings int
	Details  int
	Bytes    int64
	// Warnings are rule files that could not be read.
	Warnings []error
}

// Generate reads the findings and rules of c and writes the report.
func Generate(c Config) (Summary, error) {
	var sum Summary
	inputs := c.Inputs
	if c.MissingOK {
		inputs = nil
		for _, in := range c.Inputs {
			if _, err := os.Stat(in); err == nil {
				inputs = append(inputs, in)
			}
		}
	}
	fs, err := ReadFiles(inputs...)
	if err != nil {
		return sum, err
	}
	opts := c.Options
	if len(c.RulePaths) > 0 {
		rules, warns, err := LoadRules(c.RulePaths)
		if err != nil {
			return sum, err
		}
		sum.Warnings = warns
		opts.Rules = rules
		queries, warns, err := CompileQueries(c.RulePaths, c.Pipelines)
		if err != nil {
			return sum, err
		}
		sum.Warnings = append(sum.Warnings, warns...)
		opts.Queries = queries
	}
	if len(c.Events) > 0 {
		evs, err := LoadEvents(context.Background(), c.Events, fs)
		if err != nil {
			return sum, err
		}
		opts.Events = evs
	}
	if opts.Inputs == nil {
		opts.Inputs = c.Inputs
	}
	rep := Build(fs, opts)
	sum.Findings, sum.Details = rep.Total, len(rep.Findings)
	n, err := writeFile(c.Output, rep)
	sum.Bytes = n
	return sum, err
}

func writeFile(path string, rep *Report) (int64, error) {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return 0, err
	}
	tmp := f.Name()
	ok := false
	defer func() {
		if !ok {
			f.Close()
			os.Remove(tmp)
		}
	}()
	cw := &countWriter{w: f}
	bw := bufio.NewWriter(cw)
	if err := rep.WriteHTML(bw); err != nil {
		return 0, err
	}
	if err := bw.Flush(); err != nil {
		return 0, err
	}
	if err := f.Chmod(0o644); err != nil {
		return 0, err
	}
	if err := f.Close(); err != nil {
		return 0, err
	}
	if err := os.Rename(tmp, path); err != nil {
		return 0, err
	}
	ok = true
	return cw.n, nil
}

type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}
