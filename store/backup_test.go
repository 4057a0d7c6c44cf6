package store

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/dgraph-io/badger/v4"
	"github.com/gdprdesk/gdprdesk/gdpr"
)

// storeState is everything a restore must bring back, read through the
// public API.
type storeState struct {
	Contacts   []gdpr.Contact
	Requests   []gdpr.Request
	Audit      []AuditEntry
	Counters   map[string]int64
	Operators  []Operator
	Settings   gdpr.Settings
	Suppressed map[string]bool
}

func readState(t *testing.T, s *Store, emails ...string) storeState {
	t.Helper()
	var st storeState
	var cur Cursor
	for {
		page, err := s.Contacts(gdpr.Query{}, cur, 500)
		if err != nil {
			t.Fatal(err)
		}
		st.Contacts = append(st.Contacts, page.Contacts...)
		if !page.More {
			break
		}
		cur = page.Next
	}
	var err error
	if st.Requests, err = s.Requests(RequestFilter{}); err != nil {
		t.Fatal(err)
	}
	if err := s.EachAudit(func(e AuditEntry) error { st.Audit = append(st.Audit, e); return nil }); err != nil {
		t.Fatal(err)
	}
	if _, st.Counters, err = s.Recount(); err != nil {
		t.Fatal(err)
	}
	if st.Operators, err = s.Operators(); err != nil {
		t.Fatal(err)
	}
	if st.Settings, err = s.Settings(); err != nil {
		t.Fatal(err)
	}
	st.Suppressed = map[string]bool{}
	for _, e := range emails {
		if st.Suppressed[e], err = s.IsSuppressed(e); err != nil {
			t.Fatal(err)
		}
	}
	return st
}

// fillForBackup makes a store with a bit of everything: contacts with
// tags and bases, a rectification, requests, an erasure, an operator.
func fillForBackup(t *testing.T, s *Store) []gdpr.ContactID {
	t.Helper()
	var cs []gdpr.Contact
	for i := range 120 {
		cs = append(cs, gdpr.Contact{FirstName: fmt.Sprintf("First%d", i), LastName: "Backup", Email: fmt.Sprintf("person%d@backup.example", i),
			Country: []string{"DE", "FR", "US", ""}[i%4], Source: "fair", Tags: []string{"t" + fmt.Sprint(i%3)},
			Bases: []gdpr.BasisAssignment{{Basis: gdpr.BasisConsent, Evidence: "form"}}})
	}
	ids := mustCreate(t, s, cs...)
	if err := s.UpdateContact("op", ids[1], func(c *gdpr.Contact) error { c.Email = "moved1@backup.example"; return nil }); err != nil {
		t.Fatal(err)
	}
	for i, id := range ids[:5] {
		r, err := s.AddRequest("op", gdpr.Request{Type: gdpr.RequestAccess, Channel: gdpr.ChannelEmail, Contact: id, Received: t0, Note: "asked"})
		if err != nil {
			t.Fatal(err)
		}
		if i == 2 { // answered before the person is erased (SPEC §9 erasure guards)
			if err := s.CloseRequest("op", r, gdpr.StatusCompleted, "sent"); err != nil {
				t.Fatal(err)
			}
		}
	}
	if _, err := s.Anonymize("op", ids[2], AnonymizeOptions{}); err != nil {
		t.Fatal(err)
	}
	return ids
}

// testPassphrase encrypts the tests' backups.
var testPassphrase = []byte("correct horse battery staple")

func restoreInto(t *testing.T, backup []byte, opts RestoreOptions) (string, RestoreReport) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "restored")
	if opts.Now == nil {
		opts.Now = newClock(t0).Now
	}
	if opts.Passphrase == nil {
		opts.Passphrase = testPassphrase
	}
	rep, err := Restore(dir, bytes.NewReader(backup), opts)
	if err != nil {
		t.Fatalf("Restore: %v", err)
	}
	return dir, rep
}

// TestBackupRestoreRoundTrip: the restored store verifies and equals the
// original: contacts, requests, audit log, counters, operators, settings,
// suppression list.
func TestBackupRestoreRoundTrip(t *testing.T) {
	s, _ := newStore(t)
	fillForBackup(t, s)
	emails := []string{"person2@backup.example", "person3@backup.example"}
	want := readState(t, s, emails...)
	var buf bytes.Buffer
	m, err := s.Backup(&buf, testPassphrase)
	if err != nil {
		t.Fatal(err)
	}
	if m.AuditEntries != uint64(len(want.Audit)) || m.Records == 0 {
		t.Errorf("manifest = %+v, want the audit head %d", m, len(want.Audit))
	}
	if _, err := VerifyBackup(bytes.NewReader(buf.Bytes()), testPassphrase); err != nil {
		t.Fatalf("VerifyBackup: %v", err)
	}
	dir, rep := restoreInto(t, buf.Bytes(), RestoreOptions{Passphrase: testPassphrase})
	if !rep.Verify.OK() || rep.Verify.Entries != uint64(len(want.Audit)) {
		t.Errorf("restore verify = %+v", rep.Verify)
	}
	r := openAt(t, dir, newClock(t0))
	got := readState(t, r, emails...)
	if !reflect.DeepEqual(got, want) {
		t.Errorf("restored store differs from the original:\n got %+v\nwant %+v", got, want)
	}
	if !want.Suppressed["person2@backup.example"] || want.Suppressed["person3@backup.example"] {
		t.Errorf("suppression list of the original = %v", want.Suppressed)
	}
	checkCounters(t, r, "restored")
	// The restored store works on: new ids follow the old ones.
	id, err := r.CreateContact("op", gdpr.Contact{FirstName: "After", Email: "after@backup.example"})
	if err != nil || id != gdpr.ContactID(121) {
		t.Errorf("new contact after restore = %s, %v; want C121", id, err)
	}
	checkVerified(t, r)
}

// TestBackupWhileWriting: backups taken while other goroutines write each
// restore to a store that verifies and whose every contact opens.
func TestBackupWhileWriting(t *testing.T) {
	s, _ := newStore(t)
	fillForBackup(t, s)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w := range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				id, err := s.CreateContact("op", gdpr.Contact{FirstName: "W", Email: fmt.Sprintf("w%d-%d@backup.example", w, i), Country: "AT"})
				if err != nil {
					t.Error(err)
					return
				}
				if i%5 == 4 {
					if _, err := s.Anonymize("op", id, AnonymizeOptions{}); err != nil {
						t.Error(err)
						return
					}
				}
			}
		}()
	}
	var backups [][]byte
	for range 4 {
		var buf bytes.Buffer
		if _, err := s.Backup(&buf, testPassphrase); err != nil {
			t.Fatal(err)
		}
		backups = append(backups, buf.Bytes())
	}
	close(stop)
	wg.Wait()
	for i, b := range backups {
		dir, rep := restoreInto(t, b, RestoreOptions{Passphrase: testPassphrase})
		r := openAt(t, dir, newClock(t0))
		st := readState(t, r)
		for _, c := range st.Contacts {
			if _, err := r.Contact(c.ID); err != nil {
				t.Errorf("backup %d: contact %s does not open: %v", i, c.ID, err)
			}
		}
		t.Logf("backup %d: %d contacts, %d audit entries", i, len(st.Contacts), rep.Verify.Entries)
		if err := r.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

func TestRestoreRefusesANonEmptyDirectory(t *testing.T) {
	s, _ := newStore(t)
	fillForBackup(t, s)
	var buf bytes.Buffer
	if _, err := s.Backup(&buf, testPassphrase); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("mine"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := Restore(dir, bytes.NewReader(buf.Bytes()), RestoreOptions{Passphrase: testPassphrase})
	if err == nil || !strings.Contains(err.Error(), "is not empty") {
		t.Errorf("Restore into a non-empty directory = %v", err)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "notes.txt")); string(b) != "mine" {
		t.Error("the refused restore touched the directory")
	}
}

// A damaged or cut backup is refused, and the directory is left empty.
func TestRestoreRefusesADamagedBackup(t *testing.T) {
	s, _ := newStore(t)
	fillForBackup(t, s)
	var buf bytes.Buffer
	if _, err := s.Backup(&buf, testPassphrase); err != nil {
		t.Fatal(err)
	}
	good := buf.Bytes()
	flipped := bytes.Clone(good)
	i := bytes.Index(flipped, []byte("Backup")) // inside a record, not a header
	if i < 0 {
		i = len(flipped) / 2
	}
	flipped[i+600] ^= 0xff
	for name, b := range map[string][]byte{
		"cut":       good[:len(good)/2],
		"flipped":   flipped,
		"not a tar": []byte("hello, this is not a backup at all" + strings.Repeat(".", 2000)),
	} {
		dir := t.TempDir()
		if _, err := Restore(dir, bytes.NewReader(b), RestoreOptions{Passphrase: testPassphrase}); err == nil {
			t.Errorf("%s: Restore succeeded", name)
		} else if strings.Contains(err.Error(), "\n") {
			t.Errorf("%s: error is not one line: %q", name, err)
		}
		if entries, _ := os.ReadDir(dir); len(entries) != 0 {
			t.Errorf("%s: the failed restore left %d entries in the directory", name, len(entries))
		}
		if _, err := VerifyBackup(bytes.NewReader(b), testPassphrase); err == nil {
			t.Errorf("%s: VerifyBackup passed", name)
		}
	}
}

// TestRestoreOlderBackupReappliesErasures: back up, erase a person (and
// create and erase another), restore the older backup with the erasures of
// the current store: nothing of either person is readable, both addresses
// are suppressed, and the keys are gone from the restored key ring.
func TestRestoreOlderBackupReappliesErasures(t *testing.T) {
	s, _ := newStore(t)
	ids := fillForBackup(t, s)
	victim := ids[7]
	if err := s.UpdateContact("op", victim, func(c *gdpr.Contact) error {
		c.FirstName, c.Balance = "Wilhelmina", 1200
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	vc, err := s.Contact(victim)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if _, err := s.Backup(&buf, testPassphrase); err != nil {
		t.Fatal(err)
	}
	// After the backup: the victim is erased (despite the balance), and a
	// newcomer is created and erased.
	if _, err := s.Anonymize("op", victim, AnonymizeOptions{OverrideReason: "court order"}); err != nil {
		t.Fatal(err)
	}
	late, err := s.CreateContact("op", gdpr.Contact{FirstName: "Late", Email: "late@backup.example"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Anonymize("op", late, AnonymizeOptions{}); err != nil {
		t.Fatal(err)
	}
	er, err := s.Erasures()
	if err != nil {
		t.Fatal(err)
	}

	// Control: the older backup alone brings the victim back.
	plainDir, _ := restoreInto(t, buf.Bytes(), RestoreOptions{Passphrase: testPassphrase})
	p := openAt(t, plainDir, newClock(t0))
	if c, err := p.ContactByEmail(vc.Email); err != nil || c.FirstName != vc.FirstName {
		t.Fatalf("control: the old backup does not hold the victim: %v", err)
	}
	p.Close()

	dir, rep := restoreInto(t, buf.Bytes(), RestoreOptions{Operator: "owner", Erasures: &er})
	if !reflect.DeepEqual(rep.Reapplied.Contacts, []gdpr.ContactID{victim}) || rep.Reapplied.Suppressed != 1 {
		t.Errorf("reapplied = %+v, want the victim and one more suppressed address", rep.Reapplied)
	}
	r := openAt(t, dir, newClock(t0))
	if _, err := r.ContactByEmail(vc.Email); !isNotFound(err) {
		t.Errorf("ContactByEmail(victim) after re-applied erasure = %v, want not found", err)
	}
	c, err := r.Contact(victim)
	if err != nil {
		t.Fatal(err)
	}
	if c.Status != gdpr.ContactAnonymized || c.FirstName != "" || c.LastName != "" || c.Email != "" {
		t.Errorf("victim after re-applied erasure = %+v", c)
	}
	for _, e := range []string{vc.Email, "late@backup.example", "person2@backup.example"} {
		if ok, err := r.IsSuppressed(e); !ok || err != nil {
			t.Errorf("IsSuppressed(%s) = %v, %v; want suppressed", e, ok, err)
		}
	}
	assertShredded(t, r, storedContact(t, r, victim).Slot)
	for _, sl := range er.Destroyed {
		if _, err := r.keys.key(sl); !errors.Is(err, errKeyDestroyed) && !strings.Contains(fmt.Sprint(err), "missing") {
			t.Errorf("slot %d destroyed in the current store still opens in the restored one: %v", sl, err)
		}
	}
	if n, err := r.Count(mustQuery(t, vc.FirstName)); err != nil || n != 0 {
		t.Errorf("a search for the victim's name finds %d, %v", n, err)
	}
	entries, err := r.AuditOf(victim.String())
	if err != nil {
		t.Fatal(err)
	}
	if last := entries[len(entries)-1]; last.Action != "contact.anonymize" || !strings.Contains(last.Detail, "re-applied") {
		t.Errorf("last audit entry of the victim = %+v, want a re-applied erasure", last)
	}
	checkCounters(t, r, "after re-applied erasures")
	checkVerified(t, r)
	// Again: nothing more to do.
	again, err := r.Reapply("owner", er)
	if err != nil || len(again.Contacts) != 0 || again.Suppressed != 0 || again.KeysShred != 0 {
		t.Errorf("second Reapply = %+v, %v; want nothing", again, err)
	}
}

func TestReapplyRefusesAnotherInstallation(t *testing.T) {
	a, _ := newStore(t)
	b, _ := newStore(t)
	fillForBackup(t, a)
	er, err := a.Erasures()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.Reapply("owner", er); err == nil || !strings.Contains(err.Error(), "another installation") {
		t.Errorf("Reapply from another installation = %v", err)
	}
}

// An encrypted store's backup restores into an encrypted store with the
// key given to the restore.
func TestBackupOfEncryptedStoreRestoresEncrypted(t *testing.T) {
	key := testKey(t)
	src := t.TempDir()
	s, err := Open(src, Options{Now: newClock(t0).Now, EncryptionKey: key})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	fillForBackup(t, s)
	want := readState(t, s)
	var buf bytes.Buffer
	m, err := s.Backup(&buf, testPassphrase)
	if err != nil || !m.Encrypted {
		t.Fatalf("Backup = %+v, %v", m, err)
	}
	dir, _ := restoreInto(t, buf.Bytes(), RestoreOptions{Options: Options{EncryptionKey: key}})
	if ok, _ := Encrypted(dir); !ok {
		t.Error("restored store is not encrypted")
	}
	if _, err := Open(dir, Options{}); !errors.Is(err, ErrEncrypted) {
		t.Errorf("restored store opens without the key: %v", err)
	}
	r, err := Open(dir, Options{EncryptionKey: key})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if got := readState(t, r); !reflect.DeepEqual(got, want) {
		t.Error("restored encrypted store differs from the original")
	}
}

// TestRestoreOfSchema2BackupUpgradesIt restores a backup of a store of
// schema 2: opening it runs the rule-book upgrade, which writes its own
// audit entry (store.upgrade), so the restored log is one entry past the
// backup's head. That is the upgrade, not damage: the restore goes
// through, verifies, and the entry is there (Art. 5(2): the change to the
// records is accounted for). An entry of any other kind past the head is
// still damage (TestOnlyUpgradesPastTheBackupsHead).
func TestRestoreOfSchema2BackupUpgradesIt(t *testing.T) {
	s, _ := newStore(t)
	fillForBackup(t, s)
	if err := s.db.Update(func(txn *badger.Txn) error { return txn.Set(keySchema, u64(2)) }); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	m, err := s.Backup(&buf, testPassphrase)
	if err != nil {
		t.Fatal(err)
	}
	dir, rep := restoreInto(t, buf.Bytes(), RestoreOptions{Passphrase: testPassphrase})
	if !rep.Verify.OK() {
		t.Errorf("restore verify = %+v", rep.Verify)
	}
	r := openAt(t, dir, newClock(t0))
	es, err := r.Audit(AuditFilter{Action: string(gdpr.ActionStoreUpgrade)}, 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(es) == 0 || es[0].Seq <= m.AuditEntries {
		t.Fatalf("no upgrade entry past the backup's head %d: %+v", m.AuditEntries, es)
	}
	mustBitmapsAgree(t, r, "after restoring a schema 2 backup")
}

func TestOnlyUpgradesPastTheBackupsHead(t *testing.T) {
	s, _ := newStore(t)
	fillForBackup(t, s)
	head := s.auditSeq
	check := func(h uint64, want bool, what string) {
		t.Helper()
		got, err := s.onlyUpgradesPast(h)
		if err != nil || got != want {
			t.Fatalf("%s: onlyUpgradesPast(%d) = %v, %v; want %v", what, h, got, err, want)
		}
	}
	check(head, true, "the head itself")
	check(head+1, false, "a log shorter than the backup's")
	if err := s.write("gdprdesk", func(t *tx) error {
		t.audit(gdpr.ActionStoreUpgrade, "test", "an upgrade at open", nil, 0)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	check(head, true, "an upgrade entry past the head")
	if err := s.SetSourceRule("gdprdesk", gdpr.SourceRule{Source: "fair", Basis: gdpr.BasisLegitimateInterests, Evidence: "met at the fair"}); err != nil {
		t.Fatal(err)
	}
	check(head, false, "a source rule past the head")
	check(s.auditSeq, true, "the new head")
}
