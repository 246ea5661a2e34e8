// Package sigma is tokenhunt's Sigma front end: it reads Sigma v2.1 rule
// files, keeps the 1-based position of every part, resolves conditions and
// lowers detections, modifier by modifier, into the IR of package ir.
//
// YAML is parsed with gopkg.in/yaml.v3 so that every node keeps its
// position and scalar type; sigma-go (which drops both) serves as the
// reference evaluator in differential tests.
package sigma

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/tokenhunt/tokenhunt/compiler/ir"
)

// Document is one YAML document of a rule file.
type Document struct {
	File  string
	Index int // 0-based document index in the file
	Node  *yaml.Node
}

// ExpandPaths turns files, folders (walked for *.yml and *.yaml) and glob
// patterns into a sorted, de-duplicated list of files. Rule tests files
// (IsTestsFile) found by a folder walk or a glob are left out.
func ExpandPaths(args []string) ([]string, error) {
	seen := map[string]bool{}
	var files []string
	add := func(f string) {
		if !seen[f] {
			seen[f] = true
			files = append(files, f)
		}
	}
	for _, arg := range args {
		matches := []string{arg}
		if strings.ContainsAny(arg, "*?[") {
			m, err := filepath.Glob(arg)
			if err != nil {
				return nil, fmt.Errorf("bad glob %q: %w", arg, err)
			}
			if len(m) == 0 {
				return nil, fmt.Errorf("%s: no file matches this pattern", arg)
			}
			matches = m
		}
		for _, m := range matches {
			info, err := os.Stat(m)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", m, errors.Unwrap(err))
			}
			if !info.IsDir() {
				if m != arg && IsTestsFile(m) {
					continue // a glob's match: rules only
				}
				add(m)
				continue
			}
			err = filepath.WalkDir(m, func(p string, d fs.DirEntry, err error) error {
				if err != nil {
					return err
				}
				if d.IsDir() && p != m && strings.HasPrefix(d.Name(), ".") {
					return filepath.SkipDir
				}
				if !d.IsDir() && (strings.HasSuffix(p, ".yml") || strings.HasSuffix(p, ".yaml")) && !IsTestsFile(p) {
					add(p)
				}
				return nil
			})
			if err != nil {
				return nil, err
			}
		}
	}
	sort.Strings(files)
	return files, nil
}

// ParseDocuments splits YAML text into documents. A syntax error is
// reported at its 1-based line.
func ParseDocuments(file string, data []byte) ([]Document, ir.Errors) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var docs []Document
	for i := 0; ; i++ {
		var n yaml.Node
		err := dec.Decode(&n)
		if err == io.EOF {
			break
		}
		if err != nil {
			return docs, ir.Errors{yamlError(file, data, err)}
		}
		if n.Kind == 0 || (n.Kind == yaml.DocumentNode && len(n.Content) == 0) {
			continue
		}
		root := &n
		if root.Kind == yaml.DocumentNode {
			root = root.Content[0]
		}
		docs = append(docs, Document{File: file, Index: i, Node: root})
	}
	return docs, nil
}

// yamlError turns a yaml.v3 error ("yaml: line 3: ...") into a positioned
// one. yaml.v3 gives no line for a few errors: an unexpected end of input is
// placed at the end, anything else at the start of the document.
func yamlError(file string, data []byte, err error) *ir.Error {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	pos := ir.Pos{File: file, Line: 1, Col: 1}
	line := 0
	if _, e := fmt.Sscanf(msg, "line %d:", &line); e == nil && line > 0 {
		pos.Line = line
		msg = strings.TrimSpace(msg[strings.Index(msg, ":")+1:])
	} else if strings.Contains(msg, "end of stream") {
		pos.Line = bytes.Count(data, []byte("\n")) + 1
		pos.Col = len([]rune(string(data[bytes.LastIndexByte(data, '\n')+1:]))) + 1
	}
	return &ir.Error{Pos: pos, Msg: "invalid YAML: " + msg, Hint: "fix the YAML syntax"}
}

// LoadFiles reads and parses every rule of the given files. Errors of one
// rule do not stop the others: every rule that parses is returned, with all
// errors sorted by position.
func LoadFiles(files []string) ([]*Rule, ir.Errors) {
	var rules []*Rule
	var errs ir.Errors
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			errs = append(errs, &ir.Error{Pos: ir.Pos{File: f}, Msg: err.Error()})
			continue
		}
		rs, es := ParseFile(f, data)
		rules = append(rules, rs...)
		errs = append(errs, es...)
	}
	errs.Sort()
	return rules, errs
}

// ParseFile parses every document of one file into rules.
func ParseFile(file string, data []byte) ([]*Rule, ir.Errors) {
	docs, errs := ParseDocuments(file, data)
	var rules []*Rule
	for _, d := range docs {
		r, es := ParseRule(d)
		errs = append(errs, es...)
		if r != nil {
			rules = append(rules, r)
		}
	}
	return rules, errs
}

// IsTestsFile tells whether a file holds a rule's tests (NAME.tests.yml
// beside NAME.yml) rather than rules: folder walks skip such files.
func IsTestsFile(path string) bool {
	base := filepath.Base(path)
	return strings.HasSuffix(base, ".tests.yml") || strings.HasSuffix(base, ".tests.yaml")
}
