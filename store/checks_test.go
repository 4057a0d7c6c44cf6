package store

import (
	"testing"
	"time"

	"github.com/dgraph-io/badger/v4"
	"github.com/gdprdesk/gdprdesk/gdpr"
)

func item(t *testing.T, s *Store, id string) gdpr.ItemStatus {
	t.Helper()
	items, _, _, err := s.Checklist()
	if err != nil {
		t.Fatal(err)
	}
	for _, it := range items {
		if it.ID == id {
			return it
		}
	}
	t.Fatalf("no item %s", id)
	return gdpr.ItemStatus{}
}

// requests-on-time (Art. 12(3)): every type counts, and a request closed
// after its due date keeps the item open for 12 months, with the count.
func TestRequestsOnTimeCountsLateClosures(t *testing.T) {
	s, clk := newStore(t)
	ids := mustCreate(t, s, gdpr.Contact{Email: "a@example.org", Country: "DE"})
	add := func(typ gdpr.RequestType) gdpr.RequestID {
		t.Helper()
		r := gdpr.Request{Type: typ, Contact: ids[0], Channel: gdpr.ChannelEmail, Received: gdpr.Day(clk.Now())}
		if typ == gdpr.RequestObjection {
			r.Scope = gdpr.ScopeProcessing
		}
		id, err := s.AddRequest("tester", r)
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
	if it := item(t, s, "requests-on-time"); it.State != gdpr.StateDone {
		t.Fatalf("no requests: %s %q", it.State, it.Value)
	}
	obj := add(gdpr.RequestObjection)
	clk.Set(t0.AddDate(0, 2, 0))
	if it := item(t, s, "requests-on-time"); it.State != gdpr.StateTodo || it.Value != "1 request overdue; 0 closed late in the last 12 months" {
		t.Errorf("an overdue objection: %s %q", it.State, it.Value)
	}
	if err := s.CloseRequest("tester", obj, gdpr.StatusCompleted, "done"); err != nil {
		t.Fatal(err)
	}
	if it := item(t, s, "requests-on-time"); it.State != gdpr.StateTodo || it.Value != "0 requests overdue; 1 closed late in the last 12 months" {
		t.Errorf("closed late: %s %q", it.State, it.Value)
	}
	// One answered in time does not count.
	ok := add(gdpr.RequestRestriction)
	if err := s.Restrict("tester", ids[0], "accuracy contested"); err != nil { // what completing it says was done (Art. 18)
		t.Fatal(err)
	}
	if err := s.CloseRequest("tester", ok, gdpr.StatusCompleted, "done"); err != nil {
		t.Fatal(err)
	}
	if snap, _ := s.Snapshot(); snap.LateClosed != 1 {
		t.Errorf("LateClosed = %d, want 1", snap.LateClosed)
	}
	clk.Set(t0.AddDate(1, 3, 0))
	if it := item(t, s, "requests-on-time"); it.State != gdpr.StateDone {
		t.Errorf("13 months later: %s %q", it.State, it.Value)
	}
}

// erasure-reentry is measured: each erased contact has its address on the
// suppression list, or was deliberately re-admitted (Art. 17).
func TestErasureReentryIsMeasured(t *testing.T) {
	s, _ := newStore(t)
	ids := mustCreate(t, s, gdpr.Contact{Email: "a@example.org", Country: "DE"}, gdpr.Contact{Email: "b@example.org", Country: "FR"})
	for _, id := range ids {
		if _, err := s.Anonymize("tester", id, AnonymizeOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	if it := item(t, s, "erasure-reentry"); it.State != gdpr.StateDone || it.Value != "2 erased, 2 on the suppression list" {
		t.Errorf("two erased: %s %q", it.State, it.Value)
	}
	if err := s.Readmit("tester", "a@example.org", "asked to rejoin on 2026-01-02"); err != nil {
		t.Fatal(err)
	}
	if it := item(t, s, "erasure-reentry"); it.State != gdpr.StateDone {
		t.Errorf("one re-admitted: %s %q", it.State, it.Value)
	}
	// An entry lost (as a restore without the list would) is found.
	if err := s.db.Update(func(txn *badger.Txn) error { return txn.Delete(suppressKey(s.emailHash("b@example.org"))) }); err != nil {
		t.Fatal(err)
	}
	if it := item(t, s, "erasure-reentry"); it.State != gdpr.StateTodo {
		t.Errorf("an entry lost: %s %q", it.State, it.Value)
	}
}

// rectify-recipients counts the controller's own erasure records until
// every recipient is told (Art. 19); they never count toward deadlines.
func TestControllerErasureRecordIsCountedUntilTold(t *testing.T) {
	s, clk := newStore(t)
	if err := s.SaveRecipient("tester", gdpr.Recipient{Name: "Mailer", Role: gdpr.RecipientProcessor}); err != nil {
		t.Fatal(err)
	}
	id, err := s.RecordControllerErasure("tester", 0, []string{"Mailer"}, "sweep erased 3 contact(s)")
	if err != nil {
		t.Fatal(err)
	}
	if it := item(t, s, "rectify-recipients"); it.State != gdpr.StateTodo {
		t.Errorf("untold: %s %q", it.State, it.Value)
	}
	clk.Set(t0.Add(24 * time.Hour))
	err = s.UpdateRequest("tester", id, gdpr.ActionRequestNotify, "told", func(r *gdpr.Request) error {
		return r.Notify([]string{"Mailer"}, r.Recipients, "", "tester", clk.Now())
	})
	if err != nil {
		t.Fatal(err)
	}
	if it := item(t, s, "rectify-recipients"); it.State != gdpr.StateDone {
		t.Errorf("told: %s %q", it.State, it.Value)
	}
	if it := item(t, s, "requests-on-time"); it.State != gdpr.StateDone {
		t.Errorf("the record counted toward deadlines: %q", it.Value)
	}
	checkCounters(t, s, "controller record")
	checkVerified(t, s)
}
