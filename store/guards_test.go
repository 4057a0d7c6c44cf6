package store

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/gdprdesk/gdprdesk/gdpr"
)

// An objection to marketing takes effect when it is logged (Art. 21(3)):
// the request and the contact's objection commit together, with an audit
// entry each; the contact is marketing:no at once. The request can be
// completed, never denied.
func TestMarketingObjectionTakesEffectAtOnce(t *testing.T) {
	s, _ := newStore(t)
	id := mustCreate(t, s, gdpr.Contact{Email: "mo@example.org", Country: "DE", Bases: []gdpr.BasisAssignment{{Basis: gdpr.BasisConsent, Purpose: "newsletter"}},
		Consents: []gdpr.ConsentRecord{{Purpose: "newsletter", Granted: true, Marketing: true, At: t0.AddDate(0, -1, 0)}}})[0]
	if n := mustCount(t, s, "marketing:yes"); n != 1 {
		t.Fatalf("fixture: marketing:yes = %d", n)
	}
	n := len(allAudit(t, s))
	req, err := s.AddRequest("op", gdpr.Request{Type: gdpr.RequestObjection, Scope: gdpr.ScopeMarketing, Channel: gdpr.ChannelEmail, Contact: id, Received: t0})
	if err != nil {
		t.Fatal(err)
	}
	if got := actions(auditSince(t, s, n)); strings.Join(got, ",") != "request.add,contact.object" {
		t.Errorf("audit %v, want request.add and contact.object", got)
	}
	if c := mustContact(t, s, id); c.MarketingObjection.IsZero() || c.MarketingClass() != gdpr.MarketingNo {
		t.Errorf("after the objection: %v, class %s", c.MarketingObjection, c.MarketingClass())
	}
	if mustCount(t, s, "marketing:yes") != 0 || mustCount(t, s, "marketing:no") != 1 {
		t.Error("the objector is still counted marketable")
	}
	if err := s.CloseRequest("op", req, gdpr.StatusDenied, "we like sending it"); !errors.Is(err, gdpr.ErrNeverDenied) {
		t.Errorf("CloseRequest denied: %v, want ErrNeverDenied", err)
	}
	if err := s.DenyRequest("op", req, gdpr.GroundUnfounded, "we like sending it"); !errors.Is(err, gdpr.ErrNeverDenied) {
		t.Errorf("DenyRequest: %v, want ErrNeverDenied", err)
	}
	if err := s.CloseRequest("op", req, gdpr.StatusCompleted, "removed from the list"); err != nil {
		t.Errorf("completing the objection: %v", err)
	}
	checkCounters(t, s, "after the objection")
	checkVerified(t, s)
}

// A denial names a ground the law gives for the type (SPEC §9): without
// one, or with another type's, it is refused and nothing is written.
func TestDenialNeedsItsGround(t *testing.T) {
	s, _ := newStore(t)
	id := mustCreate(t, s, gdpr.Contact{Email: "d@example.org", Country: "DE", Balance: 1200})[0]
	req, err := s.AddRequest("op", gdpr.Request{Type: gdpr.RequestErasure, Channel: gdpr.ChannelEmail, Contact: id, Received: t0})
	if err != nil {
		t.Fatal(err)
	}
	n := len(allAudit(t, s))
	if err := s.CloseRequest("op", req, gdpr.StatusDenied, "unpaid invoice"); err == nil || !strings.Contains(err.Error(), "needs a ground") {
		t.Errorf("denial without a ground: %v", err)
	}
	if err := s.DenyRequest("op", req, gdpr.GroundRightsOfOthers, "unpaid invoice"); err == nil {
		t.Error("an access ground denied an erasure")
	}
	if len(auditSince(t, s, n)) != 0 {
		t.Error("a refused denial was audited")
	}
	if err := s.DenyRequest("op", req, gdpr.GroundLegalClaims, "unpaid invoice 2026-014"); err != nil {
		t.Fatal(err)
	}
	r, _ := s.Request(req)
	if r.Status != gdpr.StatusDenied || r.Ground != gdpr.GroundLegalClaims || r.Outcome != "unpaid invoice 2026-014" {
		t.Errorf("denied request %+v", r)
	}
	if es := auditSince(t, s, n); len(es) != 1 || !strings.Contains(es[0].Detail, "Art. 17(3)(e)") || strings.Contains(es[0].Detail, "2026-014") {
		t.Errorf("audit %+v: want one entry naming the article, not the reason", es)
	}
}

// Art. 18(3): lifting needs the date told; a marketing objection stays
// (Art. 21(3)); the reason is sealed.
func TestRestrictionLiftKeepsTheObjection(t *testing.T) {
	s, clk := newStore(t)
	id := mustCreate(t, s, gdpr.Contact{Email: "r@example.org", Country: "DE", Bases: []gdpr.BasisAssignment{{Basis: gdpr.BasisContract}}})[0]
	if _, err := s.AddRequest("op", gdpr.Request{Type: gdpr.RequestObjection, Scope: gdpr.ScopeMarketing, Channel: gdpr.ChannelEmail, Contact: id, Received: t0}); err != nil {
		t.Fatal(err)
	}
	if err := s.Restrict("op", id, "accuracy contested"); err != nil {
		t.Fatal(err)
	}
	c := mustContact(t, s, id)
	if c.Status != gdpr.ContactRestricted || c.RestrictionReason != "accuracy contested" || c.RestrictedAt.IsZero() {
		t.Fatalf("restricted: %+v", c)
	}
	if err := s.LiftRestriction("op", id, time.Time{}); err == nil {
		t.Error("lifted without the date told")
	}
	if err := s.LiftRestriction("op", id, t0.AddDate(0, 0, 3)); err == nil {
		t.Error("lifted with a date told in the future")
	}
	clk.Set(t0.AddDate(0, 0, 5))
	if err := s.LiftRestriction("op", id, t0.AddDate(0, 0, -1)); err == nil {
		t.Error("lifted with a date told before the restriction")
	}
	if err := s.LiftRestriction("op", id, t0.AddDate(0, 0, 4)); err != nil {
		t.Fatal(err)
	}
	c = mustContact(t, s, id)
	if c.Status != gdpr.ContactActive || c.MarketingObjection.IsZero() || c.RestrictionReason != "" {
		t.Errorf("lifted: status %s, objection %v, reason %q", c.Status, c.MarketingObjection, c.RestrictionReason)
	}
	if mustCount(t, s, "marketing:no") != 1 {
		t.Error("lifting made the objector marketable")
	}
	checkCounters(t, s, "after lifting")
	checkVerified(t, s)
}

// SPEC §9 "Erasure guards": Anonymize and AnonymizeMany refuse, with the
// reason, a restricted contact, one with another open request, one under a
// hold in force; the erasure request being answered does not block.
func TestErasureGuards(t *testing.T) {
	s, _ := newStore(t)
	ids := mustCreate(t, s,
		gdpr.Contact{Email: "g1@example.org", Country: "DE"},
		gdpr.Contact{Email: "g2@example.org", Country: "DE"},
		gdpr.Contact{Email: "g3@example.org", Country: "DE"},
		gdpr.Contact{Email: "g4@example.org", Country: "DE"})
	if err := s.Restrict("op", ids[0], "accuracy contested"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.AddRequest("op", gdpr.Request{Type: gdpr.RequestAccess, Channel: gdpr.ChannelEmail, Contact: ids[1], Received: t0}); err != nil {
		t.Fatal(err)
	}
	if err := s.SetHold("op", ids[2], gdpr.Hold{Reason: "invoices: 10 years, tax law", Until: t0.AddDate(10, 0, 0), Keep: gdpr.DefaultHoldKeep()}); err != nil {
		t.Fatal(err)
	}
	erasure, err := s.AddRequest("op", gdpr.Request{Type: gdpr.RequestErasure, Channel: gdpr.ChannelEmail, Contact: ids[3], Received: t0})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"Art. 18(1)", "still open", "Art. 17(3)(b)"}
	for i, id := range ids[:3] {
		n := len(allAudit(t, s))
		_, err := s.Anonymize("op", id, AnonymizeOptions{OverrideReason: "override does not lift a guard"})
		var be *ErasureBlockedError
		if !errors.As(err, &be) || !strings.Contains(err.Error(), want[i]) {
			t.Errorf("%s: %v, want refused naming %s", id, err, want[i])
		}
		if len(auditSince(t, s, n)) != 0 || mustContact(t, s, id).Status == gdpr.ContactAnonymized {
			t.Errorf("%s: a refused erasure changed something", id)
		}
	}
	done, skipped, err := s.AnonymizeMany("op", ids, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(done) != 1 || done[0].Contact != ids[3] || len(skipped) != 3 {
		t.Errorf("AnonymizeMany: done %v, skipped %v", done, skipped)
	}
	for _, id := range ids[:3] {
		if !errors.Is(skipped[id], ErrErasureBlocked) {
			t.Errorf("%s skipped with %v", id, skipped[id])
		}
	}
	if r, _ := s.Request(erasure); r.Status != gdpr.StatusNew {
		t.Errorf("the unlinked erasure request is %s", r.Status)
	}
	checkCounters(t, s, "after the guards")
	checkVerified(t, s)
}

// Requests outlive their subject (SPEC §9): after the person is erased, a
// request about them can still be notified, completed or denied and is
// listed; only its personal part is gone.
func TestRequestsOutliveTheirSubject(t *testing.T) {
	s, _ := newStore(t)
	id := mustCreate(t, s, gdpr.Contact{Email: "gone@example.org", Country: "DE"})[0]
	var reqs []gdpr.RequestID
	for _, typ := range []gdpr.RequestType{gdpr.RequestErasure, gdpr.RequestRectification, gdpr.RequestAccess} {
		r, err := s.AddRequest("op", gdpr.Request{Type: typ, Channel: gdpr.ChannelEmail, Contact: id, Received: t0, Note: "wrote from gone@example.org"})
		if err != nil {
			t.Fatal(err)
		}
		reqs = append(reqs, r)
	}
	// The access and rectification requests are answered first (they
	// would block the erasure); the erasure request stays open.
	if err := s.CloseRequest("op", reqs[2], gdpr.StatusCompleted, "sent"); err != nil {
		t.Fatal(err)
	}
	if err := s.CloseRequest("op", reqs[1], gdpr.StatusCompleted, "corrected"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Anonymize("op", id, AnonymizeOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := s.UpdateRequest("op", reqs[1], gdpr.ActionRequestNotify, "recipients told", func(r *gdpr.Request) error {
		r.Notifications = append(r.Notifications, gdpr.Notification{Recipient: "Mailer GmbH", At: t0})
		return nil
	}); err != nil {
		t.Fatalf("notify after erasure: %v", err)
	}
	if err := s.DenyRequest("op", reqs[0], gdpr.GroundUnfounded, "asked five times this week"); err != nil {
		t.Fatalf("deny after erasure: %v", err)
	}
	all, err := s.Requests(RequestFilter{Contact: id})
	if err != nil || len(all) != 3 {
		t.Fatalf("listed %d, %v", len(all), err)
	}
	for _, r := range all {
		if strings.Contains(r.Note, "gone@") {
			t.Errorf("%s keeps the erased person's words: %q", r.ID, r.Note)
		}
	}
	if r, _ := s.Request(reqs[0]); r.Status != gdpr.StatusDenied || r.Outcome != "asked five times this week" {
		t.Errorf("denied after erasure: %+v", r)
	}
	if r, _ := s.Request(reqs[1]); len(r.Notifications) != 1 {
		t.Errorf("notified after erasure: %+v", r)
	}
	checkVerified(t, s)
}

// Releasing the hold of a contact erased except its held records erases
// them for good at once: nothing keeps them any longer (Art. 17(3)(b)).
func TestReleaseHoldFinishesTheErasure(t *testing.T) {
	s, _ := newStore(t)
	id := mustCreate(t, s, gdpr.Contact{FirstName: "Ida", Email: "ida@example.org", Country: "DE"})[0]
	if err := s.SetHold("op", id, gdpr.Hold{Reason: "invoices", Until: t0.AddDate(1, 0, 0), Keep: []string{"first_name"}}); err != nil {
		t.Fatal(err)
	}
	if err := s.SetHold("op", id, gdpr.Hold{Reason: "invoices", Until: t0.AddDate(-1, 0, 0), Keep: []string{"first_name"}}); err == nil {
		t.Error("a hold ending in the past was placed")
	}
	if _, err := s.Anonymize("op", id, AnonymizeOptions{KeepHeld: true}); err != nil {
		t.Fatal(err)
	}
	slot := storedContact(t, s, id).Slot
	if c := mustContact(t, s, id); c.Status != gdpr.ContactHeld || c.FirstName != "Ida" {
		t.Fatalf("held: %+v", c)
	}
	if mustCount(t, s, "hold:yes") != 1 {
		t.Error("the held contact is not listed under hold:yes")
	}
	if err := s.ReleaseHold("op", id); err != nil {
		t.Fatal(err)
	}
	if c := mustContact(t, s, id); c.Status != gdpr.ContactAnonymized || c.FirstName != "" || c.Hold != nil {
		t.Errorf("after release: %+v", c)
	}
	assertShredded(t, s, slot)
	if err := s.ReleaseHold("op", id); err == nil {
		t.Error("released a hold twice")
	}
	checkCounters(t, s, "after release")
	checkVerified(t, s)
}
