package pipeline

import (
	"embed"
	"fmt"
	"io/fs"
	"os"
	"path"
	"sort"
	"strings"
)

//go:embed builtin/*.yml
var builtinFS embed.FS

type builtinFile struct {
	file string // builtin/NAME.yml
	stem string // NAME
	p    *Pipeline
	err  error
}

func builtins() []builtinFile {
	entries, err := fs.ReadDir(builtinFS, "builtin")
	if err != nil {
		return nil
	}
	var out []builtinFile
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".yml") {
			continue
		}
		file := path.Join("builtin", e.Name())
		b := builtinFile{file: file, stem: strings.TrimSuffix(e.Name(), ".yml")}
		data, err := builtinFS.ReadFile(file)
		if err != nil {
			b.err = err
		} else {
			b.p, b.err = Parse(file, data)
		}
		out = append(out, b)
	}
	return out
}

// Builtin returns the names of the shipped pipelines, sorted. A shipped
// pipeline that does not parse is listed by its file name.
func Builtin() []string {
	var names []string
	for _, b := range builtins() {
		if b.p != nil {
			names = append(names, b.p.Name)
		} else {
			names = append(names, b.stem)
		}
	}
	sort.Strings(names)
	return names
}

// Resolve returns the shipped pipeline of that name (its name: field or its
// file name without .yml, case-insensitive), or reads the file at that path.
// A value that ends in .yml or .yaml, or holds a path separator, is a path.
func Resolve(nameOrPath string) (*Pipeline, error) {
	if looksLikePath(nameOrPath) {
		return Load(nameOrPath)
	}
	for _, b := range builtins() {
		if (b.p != nil && strings.EqualFold(b.p.Name, nameOrPath)) || strings.EqualFold(b.stem, nameOrPath) {
			if b.err != nil {
				return nil, fmt.Errorf("shipped pipeline %s: %w", b.file, b.err)
			}
			return b.p, nil
		}
	}
	if _, err := os.Stat(nameOrPath); err == nil {
		return Load(nameOrPath)
	}
	return nil, fmt.Errorf("unknown pipeline %q (shipped: %s; or give the path of a .yml file)", nameOrPath, strings.Join(Builtin(), ", "))
}

func looksLikePath(s string) bool {
	return strings.HasSuffix(s, ".yml") || strings.HasSuffix(s, ".yaml") || strings.ContainsRune(s, '/') || strings.ContainsRune(s, os.PathSeparator)
}

// ResolveAll resolves each name or path in order.
func ResolveAll(namesOrPaths []string) (Set, error) {
	set := make(Set, 0, len(namesOrPaths))
	for _, n := range namesOrPaths {
		p, err := Resolve(n)
		if err != nil {
			return nil, err
		}
		set = append(set, p)
	}
	return set, nil
}
