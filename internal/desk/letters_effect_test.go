package desk

import (
	"strings"
	"testing"
	"time"

	"github.com/gdprdesk/gdprdesk/gdpr"
	"github.com/gdprdesk/gdprdesk/store"
)

// TestCompletionLetterSaysWhatAHoldKeptArt17 checks the completion letter
// of an erasure under a legal hold: it says what was kept, until when and
// why (Art. 17(3)(b)), not a bare "erased"; and a completion letter whose
// effect was never had (an erasure completed while the contact is still
// active, as an older store may hold) is refused (Art. 12(3), 17(1)).
func TestCompletionLetterSaysWhatAHoldKeptArt17(t *testing.T) {
	s := openStore(t)
	if err := s.SaveSettings("owner", gdpr.Settings{Controller: gdpr.Person{Name: "Shop", Email: "privacy@shop.example"}}); err != nil {
		t.Fatal(err)
	}
	ids := create(t, s, gdpr.Contact{FirstName: "Eva", LastName: "Berg", Email: "eva@example.org", Country: "GB", Street: "1 High St", City: "Leeds"},
		gdpr.Contact{FirstName: "Tom", Email: "tom@example.org", Country: "IE"})
	until := time.Date(2036, 12, 31, 0, 0, 0, 0, time.UTC)
	if err := s.SetHold("owner", ids[0], gdpr.Hold{Reason: "invoices: 10 years, tax law", Until: until, Keep: []string{"first_name", "last_name", "street"}}); err != nil {
		t.Fatal(err)
	}
	held := addRequest(t, s, gdpr.RequestErasure, ids[0])
	if _, err := s.Anonymize("owner", ids[0], store.AnonymizeOptions{Request: held, KeepHeld: true}); err != nil {
		t.Fatal(err)
	}
	l, err := RenderLetter(s, LetterRequest{Kind: gdpr.LetterCompletion, Request: held, Now: testNow})
	if err != nil {
		t.Fatal(err)
	}
	want := "first name, last name, street until 2036-12-31 (invoices: 10 years, tax law)."
	if l.Lang != "en" || l.Data.Kept != want || !strings.Contains(l.Body, want) {
		t.Errorf("held erasure: lang %s, kept %q\n%s", l.Lang, l.Data.Kept, l.Body)
	}
	// The operator's own words win.
	if l, err = RenderLetter(s, LetterRequest{Kind: gdpr.LetterCompletion, Request: held, Now: testNow, Kept: "«K»", Lang: "de"}); err != nil || l.Data.Kept != "«K»" {
		t.Errorf("operator's words: %q %v", l.Data.Kept, err)
	}
	if got := heldKept("de", gdpr.Hold{Reason: "§147 AO", Until: until, Keep: []string{"first_name", "postal_code"}}); got != "Vorname, Postleitzahl bis 2036-12-31 (§147 AO)." {
		t.Errorf("German: %q", got)
	}

	// An erasure marked completed without erasing (no longer possible
	// through CloseRequest, but an older store may hold one).
	open := addRequest(t, s, gdpr.RequestErasure, ids[1])
	if err := s.CloseRequest("owner", open, gdpr.StatusCompleted, "done"); err == nil || !strings.Contains(err.Error(), "Art. 17") {
		t.Fatalf("closing an erasure of an active contact: %v", err)
	}
	if err := s.UpdateRequest("owner", open, gdpr.ActionRequestClose, "closed as completed", func(r *gdpr.Request) error {
		return r.Move(gdpr.StatusCompleted, "done", testNow)
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := RenderLetter(s, LetterRequest{Kind: gdpr.LetterCompletion, Request: open, Now: testNow}); err == nil || !strings.Contains(err.Error(), "still active") {
		t.Errorf("completion letter of an erasure never done: %v", err)
	}
}
