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

// readOnlyFallsBack opens dir with ReadOnly and checks that it opened for
// writing instead (Open's own work to do), then hands the store back.
func readOnlyFallsBack(t *testing.T, dir string, clk *clock) *Store {
	t.Helper()
	r, err := Open(dir, Options{Now: clk.Now, ReadOnly: true})
	if err != nil {
		t.Fatalf("read-only open: %v", err)
	}
	t.Cleanup(func() { r.Close() })
	if r.reading || r.readOnly {
		t.Fatalf("opened read-only (reading %v) although Open had work to write", r.reading)
	}
	return r
}

// TestReadOnlyOpenFinishesAPendingErasure: an erasure committed whose keys
// a crash left undestroyed (m/shred/ markers) is finished by Open, which
// writes, so a read-only open opens as usual and destroys the keys.
func TestReadOnlyOpenFinishesAPendingErasure(t *testing.T) {
	dir := t.TempDir()
	clk := newClock(t0)
	s, err := Open(dir, Options{Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	ids := mustCreate(t, s, gdpr.Contact{FirstName: "Anna", Email: "anna@example.org"}, gdpr.Contact{FirstName: "Ben", Email: "ben@example.org"})
	slot := storedContact(t, s, ids[0]).Slot
	// The erasure's transaction commits; the process stops before shredNow.
	if err := s.write("tester", func(t *tx) error {
		reqs, err := t.requestsByContact()
		if err != nil {
			return err
		}
		_, err = t.anonymize(ids[0], AnonymizeOptions{}, reqs)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.keys.key(slot); err != nil {
		t.Fatalf("the key went with the commit already: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	r := readOnlyFallsBack(t, dir, clk)
	if _, err := r.keys.key(slot); !errors.Is(err, errKeyDestroyed) {
		t.Errorf("the pending erasure's key: %v, want destroyed", err)
	}
	if err := r.view(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{Prefix: prefixShred})
		defer it.Close()
		if it.Rewind(); it.Valid() {
			t.Error("an erasure marker is left")
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if c := mustContact(t, r, ids[1]); c.FirstName != "Ben" {
		t.Errorf("the other contact: %+v", c)
	}
}

// TestReadOnlyOpenRecordsALostAuditTail: audit.head ahead of the store
// (a power cut dropped committed entries) is recorded by Open in the
// store, which writes, so a read-only open opens as usual and records it.
func TestReadOnlyOpenRecordsALostAuditTail(t *testing.T) {
	dir := t.TempDir()
	clk := newClock(t0)
	s, err := Open(dir, Options{Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	mustCreate(t, s, gdpr.Contact{Email: "a@example.org"})
	seq := s.auditSeq
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, headFile), encodeHead(headRec{seq: seq + 3, hash: make([]byte, 32)}), 0o600); err != nil {
		t.Fatal(err)
	}
	r := readOnlyFallsBack(t, dir, clk)
	if r.lostFrom != seq+1 || r.lostTo != seq+3 {
		t.Errorf("lost %d to %d, want %d to %d", r.lostFrom, r.lostTo, seq+1, seq+3)
	}
	if err := r.view(func(txn *badger.Txn) error {
		v, err := readU64(txn, join(prefixLost, u64(seq+1)))
		if err == nil && v != seq+3 {
			t.Errorf("recorded lost tail ends at %d", v)
		}
		return err
	}); err != nil {
		t.Fatalf("the lost tail was not recorded: %v", err)
	}
}

// TestReadOnlyOpenReconcilesTheKeyRing: a key ring copied back from
// before an erasure (its count of destroyed keys behind the store's) has
// that key destroyed again by Open, which writes, so a read-only open
// opens as usual and does it.
func TestReadOnlyOpenReconcilesTheKeyRing(t *testing.T) {
	dir := t.TempDir()
	clk := newClock(t0)
	s, err := Open(dir, Options{Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	ids := mustCreate(t, s, gdpr.Contact{FirstName: "Anna", Email: "anna@example.org"}, gdpr.Contact{FirstName: "Ben", Email: "ben@example.org"})
	slot := storedContact(t, s, ids[0]).Slot
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	ring := filepath.Join(dir, "keys", slotsFile)
	old, err := os.ReadFile(ring)
	if err != nil {
		t.Fatal(err)
	}
	s = openAt(t, dir, clk)
	if _, err := s.Anonymize("tester", ids[0], AnonymizeOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(ring, old, 0o600); err != nil {
		t.Fatal(err)
	}
	r := readOnlyFallsBack(t, dir, clk)
	if _, err := r.keys.key(slot); !errors.Is(err, errKeyDestroyed) {
		t.Errorf("the erased contact's key in the copied-back ring: %v, want destroyed again", err)
	}
	if c := mustContact(t, r, ids[1]); c.FirstName != "Ben" {
		t.Errorf("the other contact: %+v", c)
	}
}
