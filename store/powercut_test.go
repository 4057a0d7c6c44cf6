package store

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gdprdesk/gdprdesk/gdpr"
)

// copyDir copies a closed data directory (files and directories, not the
// lock's state).
func copyDir(tb testing.TB, from, to string) {
	tb.Helper()
	err := filepath.WalkDir(from, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(from, p)
		dst := filepath.Join(to, rel)
		if d.IsDir() {
			return os.MkdirAll(dst, 0o700)
		}
		in, err := os.Open(p)
		if err != nil {
			return err
		}
		defer in.Close()
		out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
		if err != nil {
			return err
		}
		if _, err := io.Copy(out, in); err != nil {
			out.Close()
			return err
		}
		return out.Close()
	})
	if err != nil {
		tb.Fatalf("copy %s to %s: %v", from, to, err)
	}
}

// powerCutStores builds a store with two contacts, erases the first, and
// returns copies of the directory from before and from after the erasure.
func powerCutStores(t *testing.T) (before, after string, erased, kept gdpr.ContactID) {
	t.Helper()
	dir := t.TempDir()
	clk := newClock(t0)
	s, err := Open(dir, Options{Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	ids := mustCreate(t, s,
		gdpr.Contact{FirstName: "Ida", LastName: "Erased", Email: "ida@erased.example", Country: "DE"},
		gdpr.Contact{FirstName: "Karl", LastName: "Kept", Email: "karl@kept.example", Country: "DE"})
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	before = t.TempDir()
	copyDir(t, dir, before)
	if s, err = Open(dir, Options{Now: clk.Now}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Anonymize("owner", ids[0], AnonymizeOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	return before, dir, ids[0], ids[1]
}

// mix makes a directory with the database of db and the key ring of keys:
// what a power cut leaves when only one of the two reached the disk.
func mix(t *testing.T, db, keys string) string {
	t.Helper()
	out := t.TempDir()
	copyDir(t, db, out)
	if err := os.RemoveAll(filepath.Join(out, "keys")); err != nil {
		t.Fatal(err)
	}
	copyDir(t, filepath.Join(keys, "keys"), filepath.Join(out, "keys"))
	return out
}

// checkErasedWhole fails unless the contact is erased completely: record
// reduced, key destroyed, address suppressed, one erasure entry.
func checkErasedWhole(t *testing.T, s *Store, id gdpr.ContactID, email string) {
	t.Helper()
	c := mustContact(t, s, id)
	if c.Status != gdpr.ContactAnonymized || c.FirstName != "" || c.Email != "" {
		t.Errorf("contact %s is not erased: status %s, name %q, email %q", id, c.Status, c.FirstName, c.Email)
	}
	if sup, err := s.IsSuppressed(email); err != nil || !sup {
		t.Errorf("%s suppressed = %v, %v; want true", email, sup, err)
	}
	if _, err := s.ContactByEmail(email); !errors.Is(err, ErrNotFound) {
		t.Errorf("ContactByEmail(%s) = %v, want not found", email, err)
	}
	var erasures int
	for _, e := range allAudit(t, s) {
		if e.Action == string(gdpr.ActionContactAnonymize) && e.Record == id.String() {
			erasures++
		}
	}
	if erasures != 1 {
		t.Errorf("%d erasure entries for %s, want 1", erasures, id)
	}
	checkVerified(t, s)
}

// The erasure's record reached the disk, the destruction of its key did
// not (SPEC §8 "Integrity"): the store opens with the key destroyed.
func TestPowerCutAfterTheErasureBeforeTheKeyIsDestroyed(t *testing.T) {
	before, after, erased, kept := powerCutStores(t)
	dir := mix(t, after, before)
	k, err := openKeyring(filepath.Join(dir, "keys"), nil, false)
	if err != nil {
		t.Fatal(err)
	}
	var slot Slot
	for sl := Slot(1); sl < k.next; sl++ {
		if _, err := k.key(sl); err == nil {
			slot = sl
			break
		}
	}
	k.close()
	if slot == 0 {
		t.Fatal("the key ring from before the erasure holds no live key: the test is wrong")
	}
	s := openAt(t, dir, newClock(t0))
	checkErasedWhole(t, s, erased, "ida@erased.example")
	if _, err := s.keys.key(slot); !errors.Is(err, errKeyDestroyed) {
		t.Errorf("the erased contact's key %d after open: %v, want destroyed", slot, err)
	}
	if c := mustContact(t, s, kept); c.FirstName != "Karl" {
		t.Errorf("the other contact reads %q, want Karl", c.FirstName)
	}
}

// The key ring reached the disk, the store's record of the erasure did not
// (a disk that reordered the writes, or db/ copied back by hand): the
// store opens with the erasure finished, not a live contact without a key.
func TestPowerCutKeyDestroyedButTheErasureLost(t *testing.T) {
	before, after, erased, kept := powerCutStores(t)
	dir := mix(t, before, after)
	s := openAt(t, dir, newClock(t0))
	checkErasedWhole(t, s, erased, "ida@erased.example")
	if c := mustContact(t, s, kept); c.FirstName != "Karl" {
		t.Errorf("the other contact reads %q, want Karl", c.FirstName)
	}
	var detail string
	for _, e := range allAudit(t, s) {
		if e.Action == string(gdpr.ActionContactAnonymize) {
			detail = e.Detail
		}
	}
	if !strings.Contains(detail, "finished when the store was opened") {
		t.Errorf("erasure entry %q does not say it was finished on open", detail)
	}
	// Opening again changes nothing more.
	n := len(allAudit(t, s))
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = openAt(t, dir, newClock(t0))
	if m := len(allAudit(t, s)); m != n {
		t.Errorf("second open wrote %d audit entries", m-n)
	}
}
