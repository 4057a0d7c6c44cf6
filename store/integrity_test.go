package store

import (
	"errors"
	"fmt"
	"github.com/dgraph-io/badger/v4"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gdprdesk/gdprdesk/gdpr"
)

// SPEC §8 "Integrity": each kind of damage makes audit verify fail with a
// line naming it, and what is not damaged stays readable.

// integrityStore makes a closed store of n contacts and returns its
// directory and their ids.
func integrityStore(t *testing.T, n int) (string, []gdpr.ContactID) {
	t.Helper()
	dir := t.TempDir()
	s, err := Open(dir, Options{Now: newClock(t0).Now})
	if err != nil {
		t.Fatal(err)
	}
	var cs []gdpr.Contact
	for i := range n {
		cs = append(cs, gdpr.Contact{FirstName: fmt.Sprintf("Name%d", i), Email: fmt.Sprintf("p%d@example.org", i), Country: "DE"})
	}
	ids := mustCreate(t, s, cs...)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	return dir, ids
}

// verifyProblems opens dir and returns audit verify's problems.
func verifyProblems(t *testing.T, dir string) (*Store, []string) {
	t.Helper()
	s := openAt(t, dir, newClock(t0))
	rep, err := s.VerifyAudit()
	if err != nil {
		t.Fatalf("VerifyAudit: %v", err)
	}
	return s, rep.Problems
}

func hasProblem(problems []string, words ...string) bool {
	for _, p := range problems {
		all := true
		for _, w := range words {
			all = all && strings.Contains(p, w)
		}
		if all {
			return true
		}
	}
	return false
}

func patchSlot(t *testing.T, dir string, slot Slot, at int, fn func(byte) byte) {
	t.Helper()
	f, err := os.OpenFile(filepath.Join(dir, "keys", slotsFile), os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	b := make([]byte, 1)
	off := slotOffset(slot) + int64(at)
	if _, err := f.ReadAt(b, off); err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteAt([]byte{fn(b[0])}, off); err != nil {
		t.Fatal(err)
	}
}

func slotOf(t *testing.T, dir string, id gdpr.ContactID) Slot {
	t.Helper()
	s := openAt(t, dir, newClock(t0))
	sl := storedContact(t, s, id).Slot
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	return sl
}

func TestMissingKeyRingIsRefusedNotReplaced(t *testing.T) {
	for _, name := range []string{slotsFile, masterKeyFile} {
		t.Run(name, func(t *testing.T) {
			dir, _ := integrityStore(t, 3)
			path := filepath.Join(dir, "keys", name)
			if err := os.Remove(path); err != nil {
				t.Fatal(err)
			}
			s, err := Open(dir, Options{})
			if err == nil {
				s.Close()
				t.Fatal("a store without its key ring opened")
			}
			if !errors.Is(err, ErrKeyringMissing) || !strings.Contains(err.Error(), path) {
				t.Errorf("Open: %v, want ErrKeyringMissing naming %s", err, path)
			}
			if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("Open made a new %s: %v", name, err)
			}
		})
	}
}

func TestDamagedKeySlotIsReportedAndOthersStayReadable(t *testing.T) {
	dir, ids := integrityStore(t, 20)
	bad := ids[7]
	patchSlot(t, dir, slotOf(t, dir, bad), 30, func(b byte) byte { return b ^ 0x10 })
	s, problems := verifyProblems(t, dir)
	if !hasProblem(problems, "contact "+bad.String()+" cannot be read", "data key") {
		t.Errorf("verify problems %q, want one naming %s's damaged key", problems, bad)
	}
	if _, err := s.Contact(bad); !errors.Is(err, ErrKeyDamaged) {
		t.Errorf("Contact(%s) = %v, want ErrKeyDamaged", bad, err)
	}
	for _, id := range ids {
		if id != bad {
			if c := mustContact(t, s, id); c.FirstName == "" {
				t.Errorf("contact %s lost its name", id)
			}
		}
	}
	// A page of the list holding the damaged contact still shows the rest.
	page := collect(t, s, "", 100)
	if len(page) != len(ids) {
		t.Fatalf("the list shows %d contacts, want %d", len(page), len(ids))
	}
	for _, c := range page {
		if c.ID == bad && !strings.Contains(c.FirstName, "unreadable") {
			t.Errorf("the damaged contact shows as %q", c.FirstName)
		}
	}
}

func TestClearedLiveFlagIsDamageNotErasure(t *testing.T) {
	dir, ids := integrityStore(t, 5)
	bad := ids[2]
	patchSlot(t, dir, slotOf(t, dir, bad), 0, func(byte) byte { return 0 })
	s, problems := verifyProblems(t, dir)
	if !hasProblem(problems, "contact "+bad.String()+" cannot be read", "state byte") {
		t.Errorf("verify problems %q, want one naming %s's altered slot", problems, bad)
	}
	if _, err := s.Contact(bad); errors.Is(err, errKeyDestroyed) || !errors.Is(err, ErrKeyDamaged) {
		t.Errorf("Contact(%s) = %v, want damage, not erasure", bad, err)
	}
	if rec := storedContact(t, s, bad); rec.Status == gdpr.ContactAnonymized {
		t.Errorf("a cleared flag erased the contact")
	}
}

// flipIn flips one byte of the first file in dir/db with the extension,
// at the fraction of its used length (trailing zeros not counted).
func flipIn(t *testing.T, dir, ext string, at float64) string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "db", "*"+ext))
	if err != nil || len(files) == 0 {
		t.Fatalf("no %s file in %s: %v", ext, dir, err)
	}
	b, err := os.ReadFile(files[0])
	if err != nil {
		t.Fatal(err)
	}
	used := len(b)
	for used > 0 && b[used-1] == 0 {
		used--
	}
	i := int(float64(used) * at)
	b[i] ^= 0x5a
	if err := os.WriteFile(files[0], b, 0o600); err != nil {
		t.Fatal(err)
	}
	return files[0]
}

// A flipped byte in a write-ahead file makes Badger drop every later
// transaction on open; the audit head kept outside Badger shows the loss.
func TestDamagedWriteAheadFileIsReported(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir, Options{Now: newClock(t0).Now})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for i := range 60 {
		mustCreate(t, s, gdpr.Contact{FirstName: fmt.Sprintf("Name%d", i), Email: fmt.Sprintf("p%d@example.org", i), Country: "DE"})
	}
	// What a crash leaves: the directory as it is while the store is open
	// (the write-ahead file is not yet a table).
	crash := t.TempDir()
	copyDir(t, dir, crash)
	flipIn(t, crash, ".mem", 0.5)
	first, problems := verifyProblems(t, crash)
	if !hasProblem(problems, "committed changes are missing", "audit entries") {
		t.Errorf("verify problems %q, want one saying committed changes are missing", problems)
	}
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}
	// The loss is recorded: a later open still reports it.
	_, problems = verifyProblems(t, crash)
	if !hasProblem(problems, "committed changes are missing") {
		t.Errorf("second open: verify problems %q", problems)
	}
}

// A changed byte in a table is found by verify, not read as a different
// record.
func TestDamagedTableIsReported(t *testing.T) {
	dir, _ := integrityStore(t, 200)
	flipIn(t, dir, ".sst", 0.3)
	_, problems := verifyProblems(t, dir)
	if !hasProblem(problems, "checksum") {
		t.Errorf("verify problems %q, want a checksum failure", problems)
	}
}

// TestDamagedBreachKeyIsReported: audit verify checks the key of each
// breach record as it does a contact's and a request's, and names the
// breach whose key is damaged (SPEC §8 "Integrity").
func TestDamagedBreachKeyIsReported(t *testing.T) {
	dir, _ := integrityStore(t, 3)
	s := openAt(t, dir, newClock(t0))
	id, err := s.AddBreach("tester", gdpr.Breach{AwareAt: t0, What: "a laptop was stolen", Risk: gdpr.RiskHigh})
	if err != nil {
		t.Fatal(err)
	}
	var slot Slot
	if err := s.view(func(txn *badger.Txn) error {
		rec, err := readBreachRec(txn, id)
		slot = rec.Slot
		return err
	}); err != nil || slot == 0 {
		t.Fatalf("breach slot %d: %v", slot, err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	patchSlot(t, dir, slot, 30, func(b byte) byte { return b ^ 0x10 })
	_, problems := verifyProblems(t, dir)
	if !hasProblem(problems, "breach "+id.String()+" cannot be read", "subjects.keys") {
		t.Errorf("verify problems %q, want one naming %s's damaged key", problems, id)
	}
}
