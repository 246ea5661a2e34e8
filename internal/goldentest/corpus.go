package goldentest

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/tokenhunt/tokenhunt/compiler"
	"github.com/tokenhunt/tokenhunt/compiler/ir"
	"github.com/tokenhunt/tokenhunt/compiler/pipeline"
)

// CloudCorpus is the SigmaHQ cloud and identity rules compiled the way the
// corpus tests of every target compile them.
type CloudCorpus struct {
	Files     []string
	Pipelines pipeline.Set
	Results   []*compiler.Result
	// Errs are the load and compile errors (none are expected).
	Errs ir.Errors
}

// LoadCloudCorpus compiles every SigmaHQ rule under rules/cloud and
// rules/identity, with the cloudtrail pipeline where it applies, the
// keyword columns of testdata/pipelines/corpus-keywords.yml and same-named
// columns otherwise. repo is the project's root relative to the caller; the
// corpus is ../shared/corpus/sigmahq beside it. It returns nil, nil when the
// corpus is not there.
func LoadCloudCorpus(repo string) (*CloudCorpus, error) {
	root := filepath.Join(repo, "..", "shared", "corpus", "sigmahq", "rules")
	c := &CloudCorpus{}
	for _, sub := range []string{"cloud", "identity"} {
		dir := filepath.Join(root, sub)
		if _, err := os.Stat(dir); err != nil {
			return nil, nil
		}
		err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() && strings.HasSuffix(p, ".yml") {
				c.Files = append(c.Files, p)
			}
			return err
		})
		if err != nil {
			return nil, err
		}
	}
	ps, err := pipeline.ResolveAll([]string{"cloudtrail", filepath.Join(repo, "testdata", "pipelines", "corpus-keywords.yml")})
	if err != nil {
		return nil, fmt.Errorf("corpus pipelines: %w", err)
	}
	rules, errs := compiler.Load(c.Files)
	results, cerrs := compiler.Compile(rules, ps)
	c.Pipelines, c.Results, c.Errs = ps, results, append(errs, cerrs...)
	return c, nil
}
