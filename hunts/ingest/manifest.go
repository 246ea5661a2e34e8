package ingest

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"
)

// ManifestFile lists, under Options.Out, the inputs already ingested there
// (by the SHA-256 of their bytes): a run skips them, so ingesting a
// growing export folder every night adds each file once.
const ManifestFile = "_tokenhunt_ingested.jsonl"

// manifestEntry is one ingested input.
type manifestEntry struct {
	SHA256  string    `json:"sha256"`
	Path    string    `json:"path"`
	Written int       `json:"written"`
	At      time.Time `json:"at"`
}

// readManifest returns the hashes of the inputs ingested into out.
func readManifest(out string) (map[string]bool, error) {
	f, err := os.Open(filepath.Join(out, ManifestFile))
	if os.IsNotExist(err) {
		return map[string]bool{}, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	seen := map[string]bool{}
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		var e manifestEntry
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			if len(sc.Bytes()) > 0 && !sc.Scan() {
				break // a last line cut short by a crash: that input is ingested again
			}
			return nil, fmt.Errorf("%s:%d: %v", filepath.Join(out, ManifestFile), n, err)
		}
		seen[e.SHA256] = true
	}
	return seen, sc.Err()
}

// appendManifest records the inputs of a run, once its Parquet files are
// written, and syncs the list to disk.
func appendManifest(out string, files []*FileReport) error {
	f, err := os.OpenFile(filepath.Join(out, ManifestFile), os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(f)
	now := time.Now().UTC()
	for _, fr := range files {
		if fr.sha == "" || fr.Skipped || fr.Err != nil {
			continue
		}
		b, err := json.Marshal(manifestEntry{SHA256: fr.sha, Path: fr.Path, Written: fr.Written, At: now})
		if err != nil {
			f.Close()
			return err
		}
		w.Write(append(b, '\n'))
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// fileHash is the SHA-256 of a file's bytes.
func fileHash(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
