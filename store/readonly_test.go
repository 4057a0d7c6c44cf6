package store

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/dgraph-io/badger/v4"
	"github.com/gdprdesk/gdprdesk/gdpr"
)

// TestReadOnlyOpenReadsAndRefusesChanges: a store opened for a command that
// only reads answers queries with personal data, refuses every change with
// ErrReadOnly, writes nothing to its directory, and the next ordinary open
// works as before.
func TestReadOnlyOpenReadsAndRefusesChanges(t *testing.T) {
	dir := t.TempDir()
	clk := newClock(t0)
	s, err := Open(dir, Options{Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	ids := mustCreate(t, s, gdpr.Contact{FirstName: "Anna", Email: "anna@example.org", Country: "DE"},
		gdpr.Contact{FirstName: "Ben", Email: "ben@example.org", Country: "FR"})
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	before := listDir(t, filepath.Join(dir, "db"))

	r, err := Open(dir, Options{Now: clk.Now, ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	if !r.reading || !r.db.Opts().ReadOnly {
		t.Fatalf("an existing store opened with ReadOnly: reading %v, Badger read-only %v", r.reading, r.db.Opts().ReadOnly)
	}
	p, err := r.Contacts(mustQuery(t, "country:DE"), nil, 10)
	if err != nil || len(p.Contacts) != 1 || p.Contacts[0].FirstName != "Anna" {
		t.Fatalf("read-only query: %v, %+v", err, p.Contacts)
	}
	if _, err := r.CreateContacts("op", []gdpr.Contact{{Email: "c@example.org"}}); !errors.Is(err, ErrReadOnly) {
		t.Errorf("CreateContacts on a read-only store: %v, want ErrReadOnly", err)
	}
	if err := r.SetContactStatus("op", ids[0], gdpr.ContactRestricted, ""); !errors.Is(err, ErrReadOnly) {
		t.Errorf("SetContactStatus on a read-only store: %v, want ErrReadOnly", err)
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	if after := listDir(t, filepath.Join(dir, "db")); after != before {
		t.Errorf("a read-only open changed the Badger directory:\nbefore %s\nafter  %s", before, after)
	}

	s = openAt(t, dir, clk)
	if c := mustContact(t, s, ids[1]); c.FirstName != "Ben" {
		t.Errorf("after the read-only open: %+v", c)
	}
}

// TestReadOnlyOpenOfANewDirectoryCreatesTheStore: nothing to read yet, so
// the store is made as by an ordinary open (and takes changes).
func TestReadOnlyOpenOfANewDirectoryCreatesTheStore(t *testing.T) {
	clk := newClock(t0)
	s, err := Open(t.TempDir(), Options{Now: clk.Now, ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if s.reading {
		t.Error("a new store was opened read-only")
	}
	mustCreate(t, s, gdpr.Contact{Email: "a@example.org"})
}

// TestReadOnlyOpenFinishesAnUpgrade: an upgrade left to do (here the
// folding of the search texts) is work Open does by writing, so a
// read-only open opens as usual and does it.
func TestReadOnlyOpenFinishesAnUpgrade(t *testing.T) {
	dir := t.TempDir()
	clk := newClock(t0)
	s, err := Open(dir, Options{Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	mustCreate(t, s, gdpr.Contact{Email: "a@example.org"})
	if err := s.db.Update(func(txn *badger.Txn) error { return txn.Set(keyUpgradeSearchFold, u64(0)) }); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	r, err := Open(dir, Options{Now: clk.Now, ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if r.reading {
		t.Error("a store with an upgrade to finish was opened read-only")
	}
	if err := r.view(func(txn *badger.Txn) error {
		v, err := seqValue(txn, keyUpgradeSearchFold)
		if err == nil && v != searchFoldDone {
			t.Errorf("the upgrade was left at %d", v)
		}
		return err
	}); err != nil {
		t.Fatal(err)
	}
}

func listDir(t *testing.T, dir string) string {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out string
	for _, e := range es {
		info, err := e.Info()
		if err != nil {
			t.Fatal(err)
		}
		out += e.Name() + ":" + info.ModTime().String() + " "
	}
	return out
}
