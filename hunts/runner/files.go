package runner

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
)

// expand lists the files a source's paths name: plain files, or globs
// with *, ?, [...] and ** (any number of folders). Each path must name at
// least one file.
func expand(paths []string) ([]string, error) {
	seen := map[string]bool{}
	var out []string
	for _, p := range paths {
		files, err := glob(p)
		if err != nil {
			return nil, err
		}
		if len(files) == 0 {
			return nil, fmt.Errorf("no file matches %s", p)
		}
		for _, f := range files {
			if !seen[f] {
				seen[f] = true
				out = append(out, f)
			}
		}
	}
	sort.Strings(out)
	return out, nil
}

func glob(pattern string) ([]string, error) {
	pattern = filepath.Clean(pattern)
	if !strings.ContainsAny(pattern, "*?[") {
		st, err := os.Stat(pattern)
		if err != nil {
			return nil, err
		}
		if st.IsDir() {
			return nil, fmt.Errorf("%s is a folder: name its files with a glob, e.g. %s", pattern, filepath.Join(pattern, "**", "*.parquet"))
		}
		return []string{pattern}, nil
	}
	// The fixed folder before the first wildcard is walked.
	parts := strings.Split(pattern, string(filepath.Separator))
	i := 0
	for i < len(parts) && !strings.ContainsAny(parts[i], "*?[") {
		i++
	}
	root := strings.Join(parts[:i], string(filepath.Separator))
	if root == "" {
		root = "."
		if filepath.IsAbs(pattern) {
			root = string(filepath.Separator)
		}
	}
	re, err := globRegexp(strings.Join(parts[i:], "/"))
	if err != nil {
		return nil, fmt.Errorf("bad glob %s: %w", pattern, err)
	}
	if st, err := os.Stat(root); err != nil {
		return nil, err
	} else if !st.IsDir() {
		return nil, fmt.Errorf("%s is not a folder, but the glob %s reads it as one", root, pattern)
	}
	var out []string
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return fmt.Errorf("read %s: %w", path, err)
		}
		if d.IsDir() {
			return nil
		}
		rel, err := filepath.Rel(root, path)
		if err != nil {
			return err
		}
		// Names starting with _ or . are a folder's metadata, as Hive and
		// Spark readers take them (_SUCCESS, ingest's list of inputs).
		if n := d.Name(); strings.HasPrefix(n, "_") || strings.HasPrefix(n, ".") {
			return nil
		}
		if re.MatchString(filepath.ToSlash(rel)) {
			out = append(out, path)
		}
		return nil
	})
	return out, err
}

// globRegexp turns a slash-separated glob into an anchored regexp.
func globRegexp(g string) (*regexp.Regexp, error) {
	var b strings.Builder
	b.WriteString("^")
	for i := 0; i < len(g); i++ {
		c := g[i]
		switch {
		case strings.HasPrefix(g[i:], "**/"):
			b.WriteString("(?:.*/)?")
			i += 2
		case strings.HasPrefix(g[i:], "**"):
			b.WriteString(".*")
			i++
		case c == '*':
			b.WriteString("[^/]*")
		case c == '?':
			b.WriteString("[^/]")
		case c == '[':
			j := strings.IndexByte(g[i:], ']')
			if j < 0 {
				return nil, fmt.Errorf("unclosed [")
			}
			class := g[i+1 : i+j]
			if strings.HasPrefix(class, "!") {
				class = "^" + class[1:]
			}
			b.WriteString("[" + class + "]")
			i += j
		default:
			b.WriteString(regexp.QuoteMeta(string(c)))
		}
	}
	b.WriteString("$")
	return regexp.Compile(b.String())
}

// readable checks that each file opens for reading: a dangling symlink
// or a file without read permission fails here, named, before DuckDB
// reads any.
func readable(files []string) error {
	for _, f := range files {
		fh, err := os.Open(f)
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err // the path is named once
		}
		if err != nil {
			return fmt.Errorf("cannot read %s: %w", f, err)
		}
		st, err := fh.Stat()
		fh.Close()
		if err == nil && st.IsDir() {
			err = fmt.Errorf("it is a folder")
		}
		if err != nil {
			return fmt.Errorf("cannot read %s: %w", f, err)
		}
	}
	return nil
}

var (
	hiveDay  = regexp.MustCompile(`(?:^|/)year=(\d{4})/month=(\d{1,2})/day=(\d{1,2})(?:/|$)`)
	plainDay = regexp.MustCompile(`(?:^|/)(\d{4})/(\d{2})/(\d{2})(?:/|$)`)
)

// pruneSlack widens a day folder: exporters file a record by its delivery
// time, which can trail the event by some minutes.
const pruneSlack = time.Hour

// fileDay returns the day a file's folders name, if they name one.
func fileDay(path string) (time.Time, bool) {
	p := filepath.ToSlash(path)
	m := hiveDay.FindAllStringSubmatch(p, -1)
	if m == nil {
		m = plainDay.FindAllStringSubmatch(p, -1)
	}
	if m == nil {
		return time.Time{}, false
	}
	last := m[len(m)-1]
	y, _ := strconv.Atoi(last[1])
	mo, _ := strconv.Atoi(last[2])
	d, _ := strconv.Atoi(last[3])
	if mo < 1 || mo > 12 || d < 1 || d > 31 {
		return time.Time{}, false
	}
	return time.Date(y, time.Month(mo), d, 0, 0, 0, 0, time.UTC), true
}

// prune keeps the files that may hold events in [from, to): those outside
// a day folder, and those whose day (widened by pruneSlack) meets it.
func prune(files []string, from, to time.Time) (kept []string, skipped int) {
	for _, f := range files {
		day, ok := fileDay(f)
		if ok && (!day.Add(24*time.Hour+pruneSlack).After(from) || !day.Add(-pruneSlack).Before(to)) {
			skipped++
			continue
		}
		kept = append(kept, f)
	}
	return kept, skipped
}
