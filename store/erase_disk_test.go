package store

import (
	"bufio"
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"
	"unicode/utf16"

	"github.com/gdprdesk/gdprdesk/gdpr"
)

// erasureSecrets are the distinctive values of the person erased below.
var erasureSecrets = []string{
	"Ysolde", "Brackenridge", "ysolde.b@first.example", "ysolde.brackenridge@second.example",
	"+44 7700 900461", "Ferncombe Lane 19", "Little Snorington", "prefers calls after six",
	"loyalty number 88-4410-XQ", "signed up at the Snorington fair", "Ysolde asked by letter",
}

// diskForms are the ways a value could sit in a file: as written, upper and
// lower case, and UTF-16 (both byte orders).
func diskForms(v string) []string {
	out := []string{v, strings.ToLower(v), strings.ToUpper(v)}
	for _, s := range []string{v, strings.ToLower(v)} {
		u := utf16.Encode([]rune(s))
		le, be := make([]byte, 0, 2*len(u)), make([]byte, 0, 2*len(u))
		for _, r := range u {
			le = append(le, byte(r), byte(r>>8))
			be = append(be, byte(r>>8), byte(r))
		}
		out = append(out, string(le), string(be))
	}
	return out
}

// makeErasable creates the person with every kind of personal data, a
// rectification (second email), a request with notes, and closes and
// reopens the store between steps so the data reaches LSM tables and the
// value log, not only the memtable.
func makeErasable(t *testing.T, dir string) (gdpr.ContactID, Slot) {
	t.Helper()
	clk := newClock(t0)
	reopen := func(s *Store) *Store {
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		s, err := Open(dir, Options{Now: clk.Now})
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	s, err := Open(dir, Options{Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	id, err := s.CreateContact("anna", gdpr.Contact{FirstName: "Ysolde", LastName: "Brackenridge", Email: "ysolde.b@first.example",
		Phone: "+44 7700 900461", Street: "Ferncombe Lane 19", City: "Little Snorington", Country: "IE",
		Notes: "prefers calls after six", Custom: map[string]string{"Loyalty": "loyalty number 88-4410-XQ"},
		Bases:    []gdpr.BasisAssignment{{Basis: gdpr.BasisConsent, Evidence: "signed up at the Snorington fair"}},
		Consents: []gdpr.ConsentRecord{{Purpose: "newsletter", Granted: true, At: t0.AddDate(-1, 0, 0), Method: "webform", PolicyVersion: 1}}})
	if err != nil {
		t.Fatal(err)
	}
	s = reopen(s)
	if err := s.UpdateContact("anna", id, func(c *gdpr.Contact) error {
		c.Email = "ysolde.brackenridge@second.example"
		c.Consents = append(c.Consents, gdpr.ConsentRecord{Purpose: "newsletter", Granted: false, At: t0, Method: "letter"})
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.AddRequest("anna", gdpr.Request{Type: gdpr.RequestErasure, Channel: gdpr.ChannelLetter, Contact: id, Received: t0, Note: "Ysolde asked by letter"}); err != nil {
		t.Fatal(err)
	}
	s = reopen(s)
	if err := s.db.Flatten(1); err != nil {
		t.Fatal(err)
	}
	slot := storedContact(t, s, id).Slot
	if _, err := s.keys.key(slot); err != nil {
		t.Fatalf("data key of the new contact: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	return id, slot
}

// assertShredded checks that the data key is gone: the sealed copies that
// Badger keeps can never be opened again. (The grep alone cannot tell: it
// finds no cleartext even before erasure, since everything is sealed.)
func assertShredded(t *testing.T, s *Store, slot Slot) {
	t.Helper()
	if _, err := s.keys.key(slot); !errors.Is(err, errKeyDestroyed) {
		t.Errorf("the erased contact's data key still unwraps: %v", err)
	}
}

func assertErased(t *testing.T, dir string) {
	t.Helper()
	files := rawFiles(t, dir)
	for _, secret := range erasureSecrets {
		for _, form := range append(diskForms(secret), leakForms(secret)...) {
			if where := filesContaining(files, form); len(where) > 0 {
				t.Errorf("%q is still on disk (as %q) in %v", secret, form, where)
			}
		}
	}
}

// TestErasureLeavesNothingOnDisk: SPEC §8 "erasure is real".
func TestErasureLeavesNothingOnDisk(t *testing.T) {
	dir := t.TempDir()
	id, slot := makeErasable(t, dir)
	s := openAt(t, dir, newClock(t0))
	if _, err := s.Anonymize("anna", id, AnonymizeOptions{}); err != nil {
		t.Fatal(err)
	}
	assertShredded(t, s, slot)
	checkCounters(t, s, "after erasure")
	checkVerified(t, s)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	assertErased(t, dir)
}

// TestErasureSurvivesKill9: the process is killed with SIGKILL right after
// Anonymize returns, without closing the store; after reopening nothing of
// the person is readable or on disk.
func TestErasureSurvivesKill9(t *testing.T) {
	if dir := os.Getenv("GDPRDESK_ERASE_CHILD"); dir != "" {
		s, err := Open(dir, Options{Now: newClock(t0).Now})
		if err != nil {
			os.Exit(3)
		}
		id, _ := gdpr.ParseContactID(os.Getenv("GDPRDESK_ERASE_ID"))
		if _, err := s.Anonymize("anna", id, AnonymizeOptions{}); err != nil {
			os.Exit(4)
		}
		os.Stdout.WriteString("anonymized\n")
		select {} // wait to be killed, store open
	}
	dir := t.TempDir()
	id, slot := makeErasable(t, dir)
	cmd := exec.Command(os.Args[0], "-test.run=^TestErasureSurvivesKill9$")
	cmd.Env = append(os.Environ(), "GDPRDESK_ERASE_CHILD="+dir, "GDPRDESK_ERASE_ID="+id.String())
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line, _ := bufio.NewReader(out).ReadString('\n')
	_ = cmd.Process.Kill() // SIGKILL
	_ = cmd.Wait()
	if !strings.Contains(line, "anonymized") {
		t.Fatalf("child did not anonymize: %q", line)
	}
	s := openAt(t, dir, newClock(t0))
	c, err := s.Contact(id)
	if err != nil || c.Status != gdpr.ContactAnonymized || c.FirstName != "" {
		t.Fatalf("after kill -9 and reopen: %+v, %v", c, err)
	}
	assertShredded(t, s, slot)
	checkCounters(t, s, "after kill -9")
	checkVerified(t, s)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	assertErased(t, dir)
}
