package ui

import (
	"testing"

	"github.com/gdprdesk/gdprdesk/gdpr"
	"github.com/gdprdesk/gdprdesk/store"
)

// Legal hold on the contact view (Art. 17(3)(b)): h places it with a
// reason, a date and the fields kept; the view shows it; anonymize then
// erases all but the held fields and the view says "erased except held
// records until DATE".
func TestFlowHoldAndHeldErasure(t *testing.T) {
	s := openDemo(t, 200)
	d, sel := openActiveContact(t, s, t.TempDir())
	id := sel.ID
	// Other open requests would block the erasure (SPEC §9): answered first.
	rs, _ := s.Requests(store.RequestFilter{Contact: id})
	for _, r := range rs {
		if r.Status.Open() {
			if err := s.CloseRequest("owner", r.ID, gdpr.StatusCompleted, "answered"); err != nil {
				t.Fatal(err)
			}
		}
	}
	d.keys("h")
	d.mustShow("Legal hold on "+id.String(), "Until", "Keep")
	d.typeText("invoices: 10 years, tax law")
	d.keys("enter", "enter", "enter")
	c, _ := s.Contact(id)
	if c.Hold == nil || c.Hold.Reason != "invoices: 10 years, tax law" {
		t.Fatalf("hold after h: %+v", c.Hold)
	}
	until := c.Hold.Until.Format("2006-01-02")
	d.mustShow("Legal hold until "+until, "invoices: 10 years, tax law")

	d.keys("D")
	d.mustShow("under a legal hold until "+until, "suppression list")
	if c.Balance > 0 || c.OpenContract {
		d.typeText("paid in full")
		d.keys("enter")
	}
	d.keys("left", "enter")
	got, _ := s.Contact(id)
	if got.Status != gdpr.ContactHeld || got.Email != "" || got.FirstName != c.FirstName {
		t.Fatalf("after the held erasure: status %s, email %q, first name %q", got.Status, got.Email, got.FirstName)
	}
	d.mustShow("erased except held records until " + until)
	d.keys("e")
	d.mustShow("only the hold can be released")
}

// The request view: an objection to marketing has no deny step, and says
// why (Art. 21(3)); a denial picks its ground (SPEC §9).
func TestRequestViewDenials(t *testing.T) {
	s := openDemo(t, 200)
	d := drive(t, newTestModel(s), 120, 40)
	cid := firstRequest(t, s, func(r gdpr.Request) bool { return r.Contact != 0 }).Contact
	obj, err := s.AddRequest("owner", gdpr.Request{Type: gdpr.RequestObjection, Scope: gdpr.ScopeMarketing, Channel: gdpr.ChannelEmail, Contact: cid, Received: testNow})
	if err != nil {
		t.Fatal(err)
	}
	openRequest(t, d, obj)
	d.keys("d")
	d.mustShow("never refused (Art. 21(3))")
	if reqOf(t, s, obj).Status != gdpr.StatusNew {
		t.Fatal("the objection changed")
	}
	d.keys("esc")

	acc, err := s.AddRequest("owner", gdpr.Request{Type: gdpr.RequestAccess, Channel: gdpr.ChannelEmail, Contact: cid, Received: testNow})
	if err != nil {
		t.Fatal(err)
	}
	openRequest(t, d, acc)
	d.keys("d")
	d.mustShow("Deny "+acc.String(), "Ground", "manifestly unfounded or excessive (Art. 12(5))", "rights of others (Art. 15(4))")
	d.keys("enter")
	d.typeText("the fourth identical request this month")
	d.keys("enter")
	d.mustShow("Deny " + acc.String() + "? The person is told")
	d.keys("y")
	r := reqOf(t, s, acc)
	if r.Status != gdpr.StatusDenied || r.Ground != gdpr.GroundUnfounded {
		t.Errorf("denied request: status %s, ground %q", r.Status, r.Ground)
	}
}

// An objection to marketing logged on the contact view takes effect at
// once (Art. 21(3)): the contact shows it and is never marketed.
func TestFlowMarketingObjectionFromTheContact(t *testing.T) {
	s := openDemo(t, 200)
	d, sel := openActiveContact(t, s, t.TempDir())
	d.keys("n")
	d.mustShow("objection (marketing)", "objection (processing)")
	for range 5 {
		d.keys("down")
	}
	d.keys("enter", "enter", "enter", "enter") // type, channel, received today, note
	c, _ := s.Contact(sel.ID)
	if c.MarketingObjection.IsZero() || c.MarketingClass() != gdpr.MarketingNo {
		t.Fatalf("after the objection: %v, class %s", c.MarketingObjection, c.MarketingClass())
	}
	rs, _ := s.Requests(store.RequestFilter{Contact: sel.ID})
	found := false
	for _, r := range rs {
		found = found || (r.Type == gdpr.RequestObjection && r.Scope == gdpr.ScopeMarketing)
	}
	if !found {
		t.Errorf("no objection to marketing logged: %+v", rs)
	}
	d.mustShow("Objected to marketing")
}
