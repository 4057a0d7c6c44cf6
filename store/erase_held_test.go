package store

import (
	"testing"

	"github.com/gdprdesk/gdprdesk/gdpr"
)

// heldSecrets are what a hold keeping the name and postal address lets go
// at once: the emails, phone, notes, custom fields, evidence and the
// request's words (erasureSecrets minus the kept fields).
var heldSecrets = []string{
	"ysolde.b@first.example", "ysolde.brackenridge@second.example",
	"+44 7700 900461", "prefers calls after six",
	"loyalty number 88-4410-XQ", "signed up at the Snorington fair", "Ysolde asked by letter",
}

// TestHeldErasureKeepsOnlyTheHeldFields: SPEC §9 "Legal holds" (Art.
// 17(3)(b)) — erasing a held contact erases every field not kept at once,
// suppresses its addresses, re-seals the kept fields under a new key and
// destroys the old one (nothing else readable on disk); the contact is
// "erased except held records until DATE"; once the hold has ended a
// later sweep (AnonymizeMany) erases the rest and destroys the new key.
func TestHeldErasureKeepsOnlyTheHeldFields(t *testing.T) {
	dir := t.TempDir()
	id, oldSlot := makeErasable(t, dir)
	clk := newClock(t0)
	s := openAt(t, dir, clk)
	h := gdpr.Hold{Reason: "invoices: 10 years, tax law", Until: t0.AddDate(10, 0, 0), Keep: []string{"first_name", "last_name", "street", "city"}}
	if err := s.SetHold("anna", id, h); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Anonymize("anna", id, AnonymizeOptions{}); err == nil {
		t.Fatal("a held contact was erased whole while the hold is in force")
	}
	res, err := s.Anonymize("anna", id, AnonymizeOptions{KeepHeld: true})
	if err != nil {
		t.Fatal(err)
	}
	if res.Suppressed != 2 {
		t.Errorf("%d addresses suppressed, want both", res.Suppressed)
	}
	assertShredded(t, s, oldSlot)
	c := mustContact(t, s, id)
	if c.Status != gdpr.ContactHeld || c.AnonymizedAt.IsZero() || c.HeldLabel() != "erased except held records until "+gdpr.Day(h.Until).Format("2006-01-02") {
		t.Errorf("held contact: status %s, erased %v, label %q", c.Status, c.AnonymizedAt, c.HeldLabel())
	}
	if c.FirstName != "Ysolde" || c.LastName != "Brackenridge" || c.Street != "Ferncombe Lane 19" || c.City != "Little Snorington" {
		t.Errorf("held fields not readable: %+v", c)
	}
	if c.Email != "" || len(c.PastEmails) != 0 || c.Phone != "" || c.Notes != "" || len(c.Custom) != 0 || len(c.Consents) != 0 || len(c.Bases) != 0 {
		t.Errorf("fields not held were kept: %+v", c)
	}
	for _, e := range []string{"ysolde.b@first.example", "ysolde.brackenridge@second.example"} {
		if ok, err := s.IsSuppressed(e); err != nil || !ok {
			t.Errorf("%s is not suppressed", e)
		}
	}
	if _, err := s.Anonymize("anna", id, AnonymizeOptions{}); err == nil {
		t.Error("a held contact was erased whole before its hold ended")
	}
	newSlot := storedContact(t, s, id).Slot
	checkCounters(t, s, "after the held erasure")
	checkVerified(t, s)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	assertNotOnDisk(t, dir, heldSecrets)

	// The hold ends; the sweep's unit of work finishes the erasure.
	clk.Set(h.Until.AddDate(0, 0, 1))
	s = openAt(t, dir, clk)
	done, skipped, err := s.AnonymizeMany("anna", []gdpr.ContactID{id}, nil)
	if err != nil || len(done) != 1 || len(skipped) != 0 {
		t.Fatalf("finishing the erasure: done %v skipped %v err %v", done, skipped, err)
	}
	assertShredded(t, s, newSlot)
	if c := mustContact(t, s, id); c.Status != gdpr.ContactAnonymized || c.FirstName != "" || c.Street != "" {
		t.Errorf("after the hold: %+v", c)
	}
	checkCounters(t, s, "after the hold ended")
	checkVerified(t, s)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	assertErased(t, dir)
}

// assertNotOnDisk is assertErased for a list of values.
func assertNotOnDisk(t *testing.T, dir string, secrets []string) {
	t.Helper()
	files := rawFiles(t, dir)
	for _, secret := range secrets {
		for _, form := range append(diskForms(secret), leakForms(secret)...) {
			if where := filesContaining(files, form); len(where) > 0 {
				t.Errorf("%q is still on disk (as %q) in %v", secret, form, where)
			}
		}
	}
}
