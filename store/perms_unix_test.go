//go:build !windows

package store

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// checkPrivate fails for every directory under root that is not 0700 and
// every regular file that is not 0600, and returns the names of the files
// it saw; foreignDir is not gdprdesk's and not checked.
func checkPrivate(t *testing.T, root, foreignDir, when string) map[string]bool {
	t.Helper()
	seen := map[string]bool{}
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if path == foreignDir {
			return fs.SkipDir
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		switch {
		case d.IsDir() && info.Mode().Perm() != 0o700:
			t.Errorf("%s: directory %s is %o, want 700", when, path, info.Mode().Perm())
		case d.Type().IsRegular() && info.Mode().Perm() != 0o600:
			t.Errorf("%s: file %s is %o, want 600", when, path, info.Mode().Perm())
		}
		if d.Type().IsRegular() {
			seen[d.Name()] = true
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return seen
}

// TestDataDirectoryIsPrivateWhateverTheUmask (SPEC §8): under umask 000,
// in a directory made 0755 beforehand with a 0644 file in it, every file
// the store and Badger make is 0600 and every directory 0700 — while the
// store is open and after it closed — and the loosened directory is
// tightened at open, with one line saying so.
func TestDataDirectoryIsPrivateWhateverTheUmask(t *testing.T) {
	old := syscall.Umask(0)
	defer syscall.Umask(old)
	dir := filepath.Join(t.TempDir(), "D")
	if err := os.MkdirAll(filepath.Join(dir, "exports"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "exports", "old.csv"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	// A folder that is not gdprdesk's keeps its modes.
	foreign := filepath.Join(dir, "not-ours")
	if err := os.MkdirAll(foreign, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(foreign, "page.html"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	var log bytes.Buffer
	s, err := Open(dir, Options{Now: newClock(t0).Now, Log: &log, searchBits: 3})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(log.String(), "made them private") {
		t.Errorf("opening a loose directory said %q, want a line saying it was made private", log.String())
	}
	fillForBackup(t, s)
	open := checkPrivate(t, dir, foreign, "open")
	for _, name := range []string{"LOCK", "DISCARD", "KEYREGISTRY", "MANIFEST", "000001.vlog", "gdprdesk.lock", "master.key", "subjects.keys", "old.csv"} {
		if !open[name] {
			t.Errorf("the open store has no %s (the test checks its mode)", name)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	closed := checkPrivate(t, dir, foreign, "closed")
	sst := false
	for name := range closed {
		sst = sst || strings.HasSuffix(name, ".sst")
	}
	if !sst {
		t.Error("no table (.sst) was written: the test checks their mode")
	}
	for _, p := range []string{foreign, filepath.Join(foreign, "page.html")} {
		if st, err := os.Stat(p); err != nil || st.Mode().Perm()&0o044 == 0 {
			t.Errorf("%s, not gdprdesk's, was changed: %v %v", p, st.Mode(), err)
		}
	}
	// Reopening a private directory says nothing.
	log.Reset()
	s, err = Open(dir, Options{Now: newClock(t0).Now, Log: &log})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if log.Len() != 0 {
		t.Errorf("reopening a private directory logged %q", log.String())
	}
}
