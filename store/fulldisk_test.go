package store

import (
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/gdprdesk/gdprdesk/gdpr"
)

// SPEC §8: a full disk ends a write with a clear error and no crash;
// reading commands still work.

// A disk that fills while the store is open: the next change is refused
// with one line, nothing is written, and once space is back the store
// writes again and verifies.
func TestWriteOnAFullDiskIsRefusedCleanly(t *testing.T) {
	dir := t.TempDir()
	var free atomic.Uint64
	free.Store(10 << 30)
	s, err := Open(dir, Options{Now: newClock(t0).Now, freeSpace: func(string) (uint64, bool) { return free.Load(), true }})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	mustCreate(t, s, gdpr.Contact{FirstName: "Before", Email: "before@example.org", Country: "DE"})
	entries := len(allAudit(t, s))

	free.Store(3 << 20)
	_, err = s.CreateContact("owner", gdpr.Contact{FirstName: "During", Email: "during@example.org", Country: "DE"})
	if !errors.Is(err, ErrDiskFull) {
		t.Fatalf("CreateContact on a full disk: %v, want ErrDiskFull", err)
	}
	msg := err.Error()
	for _, want := range []string{"the disk holding " + dir + " is full", "3 MB free", "free some space and retry", "nothing was changed"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error %q lacks %q", msg, want)
		}
	}
	if strings.Contains(msg, "\n") {
		t.Errorf("error spans lines: %q", msg)
	}
	if n := len(allAudit(t, s)); n != entries {
		t.Errorf("the refused write left %d audit entries", n-entries)
	}
	if _, err := s.ContactByEmail("during@example.org"); !errors.Is(err, ErrNotFound) {
		t.Errorf("the refused contact exists: %v", err)
	}

	free.Store(10 << 30)
	mustCreate(t, s, gdpr.Contact{FirstName: "After", Email: "after@example.org", Country: "DE"})
	checkVerified(t, s)
}

// fullDisk returns a directory on a disk with less than minFree bytes free
// and the probe that reads its space: an 8 MB tmpfs when this process may
// mount one (root, as in CI), else a temporary directory whose probe says
// it is full. Either way the store's real read-only path runs.
func fullDisk(t *testing.T) (dir string, probe freeFunc, real bool) {
	t.Helper()
	dir = t.TempDir()
	if os.Geteuid() == 0 {
		if err := exec.Command("mount", "-t", "tmpfs", "-o", "size=8m", "tmpfs", dir).Run(); err == nil {
			t.Cleanup(func() { _ = exec.Command("umount", dir).Run() })
			t.Log("on an 8 MB tmpfs")
			return dir, freeSpace, true
		}
	}
	t.Log("tmpfs not available: the free-space probe says the disk is full")
	return dir, func(string) (uint64, bool) { return 1 << 20, true }, false
}

// A store on a full disk opens for reading: verify, reads and a backup to
// another disk work, and every change is refused with the clear line.
func TestFullDiskStillReads(t *testing.T) {
	src, ids := integrityStore(t, 30)
	dir, probe, real := fullDisk(t)
	copyDir(t, src, dir)
	// Fill what is left of the tmpfs (never a disk the machine needs).
	if real {
		if f, err := os.Create(filepath.Join(dir, "filler")); err == nil {
			buf := make([]byte, 1<<20)
			for {
				if _, err := f.Write(buf); err != nil {
					break
				}
			}
			f.Close()
		}
	}
	s, err := Open(dir, Options{Now: newClock(t0).Now, freeSpace: probe})
	if err != nil {
		t.Fatalf("Open on a full disk: %v", err)
	}
	defer s.Close()
	checkVerified(t, s)
	if c := mustContact(t, s, ids[4]); c.FirstName != "Name4" {
		t.Errorf("contact reads %q", c.FirstName)
	}
	if got := collect(t, s, "", 100); len(got) != len(ids) {
		t.Errorf("the list shows %d contacts, want %d", len(got), len(ids))
	}
	if _, err := s.Backup(io.Discard, testPassphrase); err != nil {
		t.Errorf("backup to another disk: %v", err)
	}
	_, err = s.CreateContact("owner", gdpr.Contact{FirstName: "New", Email: "new@example.org", Country: "DE"})
	if !errors.Is(err, ErrDiskFull) || !strings.Contains(err.Error(), "nothing was changed") {
		t.Errorf("CreateContact on a full disk: %v, want the full-disk line", err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("Close on a full disk: %v", err)
	}
	// Space freed (the store moved to a disk with room): it writes again.
	roomy := t.TempDir()
	copyDir(t, dir, roomy)
	os.Remove(filepath.Join(roomy, "filler"))
	s2 := openAt(t, roomy, newClock(t0))
	checkVerified(t, s2)
	mustCreate(t, s2, gdpr.Contact{FirstName: "Later", Email: "later@example.org", Country: "DE"})
}
