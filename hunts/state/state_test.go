package state_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tokenhunt/tokenhunt/hunts/state"
)

func TestWatermark(t *testing.T) {
	root := t.TempDir()
	d, err := state.Open(root, "h")
	if err != nil {
		t.Fatal(err)
	}
	if _, ok, err := d.Watermark("ct"); ok || err != nil {
		t.Fatalf("fresh state: ok %v, err %v", ok, err)
	}
	at := time.Date(2026, 11, 2, 10, 0, 0, 0, time.FixedZone("x", 3600))
	if err := d.SetWatermark("ct", at); err != nil {
		t.Fatal(err)
	}
	got, ok, err := d.Watermark("ct")
	if !ok || err != nil || !got.Equal(at) || got.Location() != time.UTC {
		t.Errorf("watermark %v (ok %v, err %v), want %v in UTC", got, ok, err, at)
	}
	// No temp file is left behind.
	entries, _ := os.ReadDir(d.Path())
	for _, e := range entries {
		if strings.Contains(e.Name(), ".tmp") {
			t.Errorf("temp file %s left", e.Name())
		}
	}
	file := filepath.Join(d.Path(), "watermark-ct.json")
	os.WriteFile(file, []byte("{"), 0o644)
	if _, _, err := d.Watermark("ct"); err == nil || !strings.Contains(err.Error(), file) {
		t.Errorf("corrupt watermark: error %v, want one naming %s", err, file)
	}
}

func TestLock(t *testing.T) {
	d, err := state.Open(t.TempDir(), "h")
	if err != nil {
		t.Fatal(err)
	}
	l, err := d.Lock()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.Lock(); !errors.Is(err, state.ErrLocked) {
		t.Errorf("second lock: %v, want ErrLocked", err)
	}
	if err := l.Release(); err != nil {
		t.Fatal(err)
	}
	l, err = d.Lock()
	if err != nil {
		t.Errorf("lock after release: %v", err)
	}
	l.Release()
}
