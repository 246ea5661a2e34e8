// Package state keeps a hunt's durable state: a watermark per hunt and
// source (the end of the last window whose findings are written), a lock
// so that two runs of one hunt cannot overlap, and the crash-safe file
// write (temp file, fsync, rename, fsync of the folder) both rely on.
package state

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"time"
)

// Dir is the state folder of one hunt.
type Dir struct {
	path string
}

// Open returns the state of hunt under root, creating its folder.
func Open(root, hunt string) (*Dir, error) {
	p := filepath.Join(root, hunt)
	if err := os.MkdirAll(p, 0o755); err != nil {
		return nil, fmt.Errorf("state: %w", err)
	}
	return &Dir{path: p}, nil
}

// Path is the folder.
func (d *Dir) Path() string { return d.path }

type watermark struct {
	Source    string    `json:"source"`
	Watermark time.Time `json:"watermark"`
}

func (d *Dir) file(source string) string {
	return filepath.Join(d.path, "watermark-"+source+".json")
}

// Watermark returns the source's watermark; ok is false when there is
// none yet.
func (d *Dir) Watermark(source string) (t time.Time, ok bool, err error) {
	data, err := os.ReadFile(d.file(source))
	if errors.Is(err, os.ErrNotExist) {
		return time.Time{}, false, nil
	}
	if err != nil {
		return time.Time{}, false, fmt.Errorf("state: %w", err)
	}
	var w watermark
	if err := json.Unmarshal(data, &w); err != nil {
		return time.Time{}, false, fmt.Errorf("state: %s: %w (remove the file to start again from the spec's window start)", d.file(source), err)
	}
	return w.Watermark.UTC(), true, nil
}

// SetWatermark durably records the source's watermark.
func (d *Dir) SetWatermark(source string, t time.Time) error {
	data, err := json.MarshalIndent(watermark{Source: source, Watermark: t.UTC()}, "", "  ")
	if err != nil {
		return err
	}
	return WriteFile(d.file(source), append(data, '\n'))
}

// Lock is a held lock; Release frees it.
type Lock struct{ f *os.File }

// ErrLocked says another run holds the lock.
var ErrLocked = errors.New("another run of this hunt is in progress")

// Lock takes the hunt's lock without waiting: ErrLocked (wrapped) when
// another process holds it. The lock dies with the process that holds it.
func (d *Dir) Lock() (*Lock, error) {
	p := filepath.Join(d.path, "lock")
	f, err := os.OpenFile(p, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, fmt.Errorf("state: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("%w (lock %s)", ErrLocked, p)
		}
		return nil, fmt.Errorf("state: lock %s: %w", p, err)
	}
	f.Truncate(0)
	fmt.Fprintf(f, "%d\n", os.Getpid())
	return &Lock{f: f}, nil
}

// Release frees the lock.
func (l *Lock) Release() error {
	if l == nil || l.f == nil {
		return nil
	}
	err := syscall.Flock(int(l.f.Fd()), syscall.LOCK_UN)
	if cerr := l.f.Close(); err == nil {
		err = cerr
	}
	l.f = nil
	return err
}

// WriteFile replaces path with data durably: a temp file in the same
// folder is written and synced, renamed over path, and the folder synced,
// so that after a crash path holds either the old or the new content.
func WriteFile(path string, data []byte) error {
	return WriteWith(path, func(f *os.File) error {
		_, err := f.Write(data)
		return err
	})
}

// WriteWith is WriteFile with the content written by fn.
func WriteWith(path string, fn func(*os.File) error) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	ok := false
	defer func() {
		if !ok {
			f.Close()
			os.Remove(tmp)
		}
	}()
	if err := fn(f); err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		return err
	}
	ok = true
	return SyncDir(dir)
}

// Commit durably moves a finished file (written and synced by the caller,
// in the same folder) over path.
func Commit(tmp, path string) error {
	if err := os.Rename(tmp, path); err != nil {
		return err
	}
	return SyncDir(filepath.Dir(path))
}

// SyncDir fsyncs a folder, so that renames in it survive a crash.
func SyncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
