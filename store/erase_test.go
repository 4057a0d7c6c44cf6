package store

import (
	"errors"
	"strings"
	"testing"

	"github.com/dgraph-io/badger/v4"
	"github.com/gdprdesk/gdprdesk/gdpr"
)

func exMerge(dst *gdpr.Contact, src gdpr.Contact) []string {
	if src.Phone != "" && src.Phone != dst.Phone {
		dst.Phone = src.Phone
		return []string{"phone"}
	}
	return nil
}

// TestAnonymizeErasesForGood follows one person from creation through an
// edit, a request and an erasure (Art. 17), then checks the store from
// every side: reads, look-ups, suppression, counters, the audit chain, and
// the raw bytes on disk.
func TestAnonymizeErasesForGood(t *testing.T) {
	dir := t.TempDir()
	clk := newClock(t0)
	s, err := Open(dir, Options{Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	secrets := []string{"Quillon", "Vexbridge", "quillon.vexbridge@example.org", "q.vexbridge@old.example", "+31 6 5550 4421", "Lantaarnstraat 77", "met Quillon at the fair"}
	id, err := s.CreateContact("anna", gdpr.Contact{FirstName: "Quillon", LastName: "Vexbridge", Email: "q.vexbridge@old.example",
		Phone: "+31 6 5550 4421", Street: "Lantaarnstraat 77", Country: "NL", Source: "webinar", CreatedAt: t0.AddDate(-2, -3, 0),
		Bases: []gdpr.BasisAssignment{{Basis: gdpr.BasisConsent, Evidence: "met Quillon at the fair"}}})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.UpdateContact("anna", id, func(c *gdpr.Contact) error { c.Email = "quillon.vexbridge@example.org"; return nil }); err != nil {
		t.Fatal(err)
	}
	req, err := s.AddRequest("anna", gdpr.Request{Type: gdpr.RequestErasure, Channel: gdpr.ChannelEmail, Contact: id, Received: t0, Note: "Quillon wrote from quillon.vexbridge@example.org"})
	if err != nil {
		t.Fatal(err)
	}
	other, err := s.AddRequest("anna", gdpr.Request{Type: gdpr.RequestAccess, Channel: gdpr.ChannelEmail, Contact: id, Received: t0})
	if err != nil {
		t.Fatal(err)
	}
	// The access request is answered first (SPEC §9 erasure guards); its
	// key goes with the person's all the same.
	if err := s.CloseRequest("anna", other, gdpr.StatusCompleted, "sent"); err != nil {
		t.Fatal(err)
	}
	rec := storedContact(t, s, id)
	res, err := s.Anonymize("anna", id, AnonymizeOptions{Request: req})
	if err != nil {
		t.Fatal(err)
	}
	if res.Suppressed != 2 || res.KeysShred != 3 {
		t.Errorf("result %+v: want 2 addresses suppressed, 3 keys destroyed (contact and two requests)", res)
	}
	c, err := s.Contact(id)
	if err != nil {
		t.Fatal(err)
	}
	if c.Status != gdpr.ContactAnonymized || c.FirstName != "" || c.Email != "" || c.Phone != "" || len(c.Bases) != 0 || c.Country != "NL" ||
		c.CreatedAt.Year() != t0.AddDate(-2, -3, 0).Year() || c.CreatedAt.Month() != 1 || c.AnonymizedAt.IsZero() {
		t.Errorf("anonymized contact = %+v: want only country, created year and the date of erasure", c)
	}
	for _, e := range []string{"quillon.vexbridge@example.org", "Q.Vexbridge@old.example"} {
		if _, err := s.ContactByEmail(e); !errors.Is(err, ErrNotFound) {
			t.Errorf("ContactByEmail(%s) after erasure: %v, want not found", e, err)
		}
		if ok, err := s.IsSuppressed(e); err != nil || !ok {
			t.Errorf("IsSuppressed(%s) = %v, %v; want true", e, ok, err)
		}
		if _, err := s.CreateContact("anna", gdpr.Contact{Email: e}); !errors.Is(err, ErrSuppressed) {
			t.Errorf("re-creating %s: %v, want ErrSuppressed", e, err)
		}
	}
	outs, err := s.ImportContacts("anna", []ImportItem{{Line: 2, Contact: gdpr.Contact{Email: "quillon.vexbridge@example.org", Status: gdpr.ContactActive}}}, exMerge, false)
	if err != nil || outs[0] != ImportSuppressed {
		t.Errorf("import of an erased address: %v, %v; want suppressed", outs, err)
	}
	r, err := s.Request(req)
	if err != nil {
		t.Fatal(err)
	}
	if r.Status != gdpr.StatusCompleted || r.AnonymizeEvent != res.Event || r.Note != "" {
		t.Errorf("erasure request after erasure: status %s, event %d (want %d), note %q", r.Status, r.AnonymizeEvent, res.Event, r.Note)
	}
	if _, err := s.Request(other); err != nil {
		t.Errorf("the person's other request must stay readable (without its words): %v", err)
	}
	erased := 0
	for _, e := range allAudit(t, s) {
		if e.Record == id.String() && strings.Contains(e.Personal, "Quillon") {
			t.Errorf("audit entry %d still shows personal details: %q", e.Seq, e.Personal)
		}
		if e.Erased {
			erased++
		}
	}
	if erased == 0 {
		t.Error("no audit entry is marked erased, but the contact's edit held sealed details")
	}
	checkCounters(t, s, "after erasure")
	checkVerified(t, s)
	if _, err := s.keys.key(rec.Slot); !errors.Is(err, errKeyDestroyed) {
		t.Errorf("the contact's data key still unwraps: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	files := rawFiles(t, dir)
	for _, secret := range secrets {
		for _, form := range leakForms(secret) {
			if where := filesContaining(files, form); len(where) > 0 {
				t.Errorf("%q (as %q) is still on disk in %v", secret, form, where)
			}
		}
	}
}

func TestAnonymizeRefusesAnObligationUnlessOverridden(t *testing.T) {
	s, _ := newStore(t)
	ids := mustCreate(t, s, gdpr.Contact{Email: "debtor@example.com", Balance: 12050}, gdpr.Contact{Email: "tenant@example.com", OpenContract: true})
	for _, id := range ids {
		before := len(allAudit(t, s))
		_, err := s.Anonymize("anna", id, AnonymizeOptions{})
		if !errors.Is(err, ErrObligation) {
			t.Fatalf("Anonymize(%s) = %v, want ErrObligation", id, err)
		}
		if c := mustContact(t, s, id); c.Status == gdpr.ContactAnonymized || len(allAudit(t, s)) != before {
			t.Errorf("a refused erasure changed %s", id)
		}
	}
	if !strings.Contains(errString(s.Anonymize("anna", ids[0], AnonymizeOptions{})), "120.50") {
		t.Error("the refusal does not say the unpaid amount")
	}
	if _, err := s.Anonymize("anna", ids[0], AnonymizeOptions{OverrideReason: "invoice written off by the accountant"}); err != nil {
		t.Fatalf("override: %v", err)
	}
	es := allAudit(t, s)
	if last := es[len(es)-1]; last.Action != "contact.anonymize" || !strings.Contains(last.Detail, "written off") {
		t.Errorf("last audit entry %+v does not record the override reason", last)
	}
	if _, err := s.Anonymize("anna", ids[0], AnonymizeOptions{}); err == nil {
		t.Error("anonymizing twice succeeded")
	}
	checkCounters(t, s, "after override")
}

func errString(_ Anonymized, err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// TestOpenFinishesAnInterruptedErasure: a crash after the erasure's commit
// and before its keys were destroyed leaves shred markers; the next Open
// destroys the keys and clears the markers.
func TestOpenFinishesAnInterruptedErasure(t *testing.T) {
	dir := t.TempDir()
	clk := newClock(t0)
	s, err := Open(dir, Options{Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	id, err := s.CreateContact("anna", gdpr.Contact{Email: "half@example.com", FirstName: "Half"})
	if err != nil {
		t.Fatal(err)
	}
	slot := storedContact(t, s, id).Slot
	if err := s.db.Update(func(txn *badger.Txn) error { return txn.Set(shredKey(slot), nil) }); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = openAt(t, dir, clk)
	if _, err := s.keys.key(slot); !errors.Is(err, errKeyDestroyed) {
		t.Errorf("key of the interrupted erasure survived a reopen: %v", err)
	}
	err = s.db.View(func(txn *badger.Txn) error {
		_, err := txn.Get(shredKey(slot))
		return err
	})
	if !errors.Is(err, badger.ErrKeyNotFound) {
		t.Errorf("shred marker left after reopen: %v", err)
	}
}

func TestReadmitNeedsAReasonAndIsAudited(t *testing.T) {
	s, _ := newStore(t)
	id := mustCreate(t, s, gdpr.Contact{Email: "back@example.com"})[0]
	if _, err := s.Anonymize("anna", id, AnonymizeOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := s.Readmit("anna", "back@example.com", " "); err == nil {
		t.Error("re-admitted without a reason")
	}
	if err := s.Readmit("anna", "never@example.com", "asked"); !errors.Is(err, ErrNotFound) {
		t.Errorf("re-admitting an address never suppressed: %v, want ErrNotFound", err)
	}
	if err := s.Readmit("anna", "Back@Example.com", "asked to rejoin on 2026-12-01"); err != nil {
		t.Fatal(err)
	}
	es := allAudit(t, s)
	if last := es[len(es)-1]; last.Action != "suppression.readmit" || strings.Contains(last.Detail, "back@") {
		t.Errorf("readmit audit entry %+v: want the action, without the address", last)
	}
	if _, err := s.CreateContact("anna", gdpr.Contact{Email: "back@example.com"}); err != nil {
		t.Errorf("creating a re-admitted address: %v", err)
	}
}

// The suppression list survives a restart: it is read back on Open.
func TestSuppressionSurvivesReopen(t *testing.T) {
	dir := t.TempDir()
	clk := newClock(t0)
	s, err := Open(dir, Options{Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	id, err := s.CreateContact("anna", gdpr.Contact{Email: "gone@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Anonymize("anna", id, AnonymizeOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = openAt(t, dir, clk)
	if _, err := s.CreateContact("anna", gdpr.Contact{Email: "GONE@example.com"}); !errors.Is(err, ErrSuppressed) {
		t.Errorf("after reopen, an erased address was accepted: %v", err)
	}
	outs, err := s.ImportContacts("anna", []ImportItem{{Line: 2, Contact: gdpr.Contact{Email: "gone@example.com", Status: gdpr.ContactActive}}}, exMerge, false)
	if err != nil || outs[0] != ImportSuppressed {
		t.Errorf("after reopen, import of an erased address: %v, %v", outs, err)
	}
}
