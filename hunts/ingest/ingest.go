// Package ingest converts raw cloud audit-log exports (CloudTrail, Entra ID
// sign-in and audit logs, GCP Cloud Audit Logs) into Parquet files that the
// shipped DuckDB pipelines read, partitioned by event day:
//
//	OUT/year=YYYY/month=MM/day=DD/part-NNNN.parquet   (ZSTD)
//
// Files are read one at a time and split into records by a streaming
// scanner, so memory holds one record plus one batch of rows. A record that
// cannot be written (malformed JSON, not an object, no event time) is
// rejected and reported with its file, line and byte offset; no record is
// dropped without being counted.
package ingest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// Kind is the kind of log being ingested.
type Kind string

// The kinds of log ingest reads.
const (
	CloudTrail  Kind = "cloudtrail"
	EntraSignIn Kind = "entra-signin"
	EntraAudit  Kind = "entra-audit"
	GCPAudit    Kind = "gcp-audit"
)

// Kinds lists every kind, for help texts.
func Kinds() []Kind { return []Kind{CloudTrail, EntraSignIn, EntraAudit, GCPAudit} }

func schemaFor(k Kind) (*schema, error) {
	switch k {
	case CloudTrail:
		return cloudTrail(), nil
	case EntraSignIn:
		return entraSignIn(), nil
	case EntraAudit:
		return entraAudit(), nil
	case GCPAudit:
		return gcpAudit(), nil
	}
	names := make([]string, 0, 4)
	for _, k := range Kinds() {
		names = append(names, string(k))
	}
	return nil, fmt.Errorf("unknown kind %q: choose one of %s", k, strings.Join(names, ", "))
}

// Options configure a run.
type Options struct {
	Kind Kind
	// Out is the folder the partitions are written under; it is created
	// if needed. Files already there are kept: new files take the next
	// free part number.
	Out string
	// BatchRows is the number of rows held before they are written out
	// (default 100000); each batch writes one file per day it holds.
	BatchRows int
	// MaxRejects is the number of rejections kept with their position in
	// each FileReport (default 1000); all are counted.
	MaxRejects int
	// Force ingests inputs the folder's manifest lists as ingested
	// already (see ManifestFile); by default they are skipped.
	Force bool
}

// Reject is one record that was not written.
type Reject struct {
	Line   int    // 1-based line where the record starts
	Offset int64  // byte offset where it starts (in the decompressed data)
	Reason string // why it was rejected
}

// FileReport is what happened to one input file.
type FileReport struct {
	Path   string
	Layout string // cloudtrail records, json array, json lines, json objects, empty
	// Read counts the records found (written and rejected); Written those
	// in the Parquet output; Rejected those not written.
	Read, Written, Rejected int
	// Rejects are the first Options.MaxRejects rejections.
	Rejects []Reject
	// Err is set when the file could not be read (or read to its end):
	// records before the failure are still written and counted.
	Err error
	// Skipped is set when the same bytes were ingested into the output
	// folder before (or earlier in this run): nothing is read.
	Skipped bool
	sha     string
}

// Report is the result of a run.
type Report struct {
	Files []*FileReport
	// Outputs are the Parquet files written, relative to Options.Out.
	Outputs []string
}

// Totals adds up the files' counts.
func (r *Report) Totals() (read, written, rejected int) {
	for _, f := range r.Files {
		read += f.Read
		written += f.Written
		rejected += f.Rejected
	}
	return
}

// Failed tells whether some input file could not be read.
func (r *Report) Failed() bool {
	for _, f := range r.Files {
		if f.Err != nil {
			return true
		}
	}
	return false
}

// ExitCode is 2 when some input could not be read, 1 when some records
// were rejected, 0 otherwise.
func (r *Report) ExitCode() int {
	_, _, rejected := r.Totals()
	switch {
	case r.Failed():
		return 2
	case rejected > 0:
		return 1
	}
	return 0
}

// Expand lists the files of inputs: files as given, folders walked
// (files named *.json, *.jsonl, *.ndjson, *.log, optionally .gz, skipping
// hidden ones and, for CloudTrail, CloudTrail-Digest files), globs
// matched. An input that names nothing gets a FileReport with Err.
func Expand(kind Kind, inputs []string) []*FileReport {
	var out []*FileReport
	seen := map[string]bool{}
	add := func(p string) {
		if !seen[p] {
			seen[p] = true
			out = append(out, &FileReport{Path: p})
		}
	}
	for _, in := range inputs {
		matches := []string{in}
		if strings.ContainsAny(in, "*?[") {
			m, err := filepath.Glob(in)
			if err != nil || len(m) == 0 {
				if err == nil {
					err = errors.New("no file matches")
				}
				out = append(out, &FileReport{Path: in, Err: err})
				continue
			}
			matches = m
		}
		for _, p := range matches {
			info, err := os.Stat(p)
			if err != nil {
				out = append(out, &FileReport{Path: p, Err: err})
				continue
			}
			if !info.IsDir() {
				add(p)
				continue
			}
			var found []string
			err = filepath.WalkDir(p, func(path string, d os.DirEntry, err error) error {
				if err != nil {
					out = append(out, &FileReport{Path: path, Err: err})
					return nil
				}
				name := d.Name()
				if path != p && strings.HasPrefix(name, ".") {
					if d.IsDir() {
						return filepath.SkipDir
					}
					return nil
				}
				if d.IsDir() || !logFile(name) || (kind == CloudTrail && strings.Contains(path, "CloudTrail-Digest")) {
					return nil
				}
				found = append(found, path)
				return nil
			})
			if err != nil {
				out = append(out, &FileReport{Path: p, Err: err})
			}
			sort.Strings(found)
			for _, f := range found {
				add(f)
			}
		}
	}
	return out
}

func logFile(name string) bool {
	name = strings.TrimSuffix(strings.ToLower(name), ".gz")
	for _, ext := range []string{".json", ".jsonl", ".ndjson", ".log"} {
		if strings.HasSuffix(name, ext) {
			return true
		}
	}
	return false
}

// Run ingests inputs (files, folders, globs) into opts.Out. It returns an
// error only when the output cannot be written; problems with inputs are
// in the report.
func Run(ctx context.Context, opts Options, inputs []string) (*Report, error) {
	s, err := schemaFor(opts.Kind)
	if err != nil {
		return nil, err
	}
	if opts.Out == "" {
		return nil, errors.New("no output folder")
	}
	if len(inputs) == 0 {
		return nil, errors.New("no input files")
	}
	if opts.BatchRows <= 0 {
		opts.BatchRows = 100000
	}
	if opts.MaxRejects <= 0 {
		opts.MaxRejects = 1000
	}
	if err := os.MkdirAll(opts.Out, 0o755); err != nil {
		return nil, err
	}
	w, err := newWriter(ctx, s, opts.Out, opts.BatchRows)
	if err != nil {
		return nil, err
	}
	defer w.close()
	seen, err := readManifest(opts.Out)
	if err != nil {
		return nil, fmt.Errorf("read the list of ingested inputs: %w (remove the file to ingest everything again)", err)
	}
	rep := &Report{Files: Expand(opts.Kind, inputs)}
	for _, f := range rep.Files {
		if f.Err != nil {
			continue
		}
		if err := ctx.Err(); err != nil {
			return rep, err
		}
		if f.sha, f.Err = fileHash(f.Path); f.Err != nil {
			continue
		}
		if seen[f.sha] && !opts.Force {
			f.Skipped = true
			continue
		}
		seen[f.sha] = true
		if err := ingestFile(ctx, s, w, f, opts.MaxRejects); err != nil {
			return rep, err
		}
	}
	if err := w.flush(ctx); err != nil {
		return rep, err
	}
	rep.Outputs = w.outputs
	if err := appendManifest(opts.Out, rep.Files); err != nil {
		return rep, fmt.Errorf("record the ingested inputs: %w", err)
	}
	return rep, nil
}

// ingestFile reads one file into the writer. The returned error is the
// writer's; the file's own problems are in f.
func ingestFile(ctx context.Context, s *schema, w *writer, f *FileReport, maxRejects int) error {
	fh, err := os.Open(f.Path)
	if err != nil {
		f.Err = err
		return nil
	}
	defer fh.Close()
	sc, err := newScanner(fh)
	if err != nil {
		f.Err = err
		return nil
	}
	f.Layout = sc.layout
	reject := func(c candidate, reason string) {
		f.Rejected++
		if len(f.Rejects) < maxRejects {
			f.Rejects = append(f.Rejects, Reject{Line: c.line, Offset: c.offset, Reason: reason})
		}
	}
	for {
		c, ok := sc.next()
		if !ok {
			break
		}
		f.Read++
		if f.Read%10000 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		if c.problem != "" {
			reject(c, c.problem)
			continue
		}
		r, problem := s.convert(c.raw)
		if problem != "" {
			reject(c, problem)
			continue
		}
		if err := w.add(ctx, r, f); err != nil {
			return err
		}
	}
	if sc.lastErr != nil && !errors.Is(sc.lastErr, io.EOF) {
		f.Err = fmt.Errorf("read stopped at byte %d (line %d): %w", sc.off, sc.line, sc.lastErr)
	}
	return nil
}
