package ui

import (
	"strings"
	"testing"

	"github.com/gdprdesk/gdprdesk/gdpr"
	"github.com/gdprdesk/gdprdesk/store"
)

// a on the contacts list adds one person by hand: wrong values are
// explained on their field before anything is saved, the contact is stored
// with its first lawful basis (Art. 6(1)) and the evidence for it, audited,
// and opened.
func TestFlowAddContactByHand(t *testing.T) {
	s := openDemo(t, 30)
	d := drive(t, newTestModel(s), 100, 40)
	d.keys("2", "a")
	d.mustShow("Add a contact", "First name")
	d.typeText("Zoé")
	d.keys("enter")
	d.typeText("Quintal")
	d.keys("enter")
	d.typeText("not an address")
	d.keys("enter")
	d.mustShow("Add a contact", "is not a valid address") // said on the field; the form stays
	if _, err := s.FindContact("zoe.quintal@example.pt"); err == nil {
		t.Fatal("a contact was stored before the form was complete")
	}
	d.keys("ctrl+u")
	d.typeText("Zoe.Quintal@Example.PT")
	d.keys("enter", "enter") // phone left empty
	d.typeText("Atlantis")
	d.keys("enter")
	d.mustShow(`unknown country "Atlantis"`)
	d.keys("ctrl+u")
	d.typeText("Portugal")
	d.keys("enter", "enter") // language: the country's
	d.typeText("fair-2026")
	d.keys("enter", "down", "enter") // contract
	d.keys("enter")                  // no evidence: refused inline
	d.mustShow("say what shows")
	d.typeText("order 77")
	d.keys("enter")
	c, err := s.FindContact("zoe.quintal@example.pt")
	if err != nil {
		t.Fatalf("the contact was not added: %v\n%s", err, d.screen())
	}
	if c.Country != "PT" || c.FirstName != "Zoé" || !c.HasBasis(gdpr.BasisContract) {
		t.Errorf("stored %+v, want Zoé from PT holding contract", c)
	}
	found := false
	for _, b := range c.Bases {
		found = found || (b.Basis == gdpr.BasisContract && b.Evidence == "order 77" && b.By == "owner")
	}
	if !found {
		t.Errorf("bases %+v: want contract with evidence order 77, by owner", c.Bases)
	}
	es, err := s.Audit(store.AuditFilter{Record: c.ID.String()}, 0, 10)
	if err != nil || len(es) != 1 || es[0].Action != string(gdpr.ActionContactCreate) {
		t.Errorf("audit of %s = %+v (%v), want its creation", c.ID, es, err)
	}
	d.mustShow("Added "+c.ID.String(), "Zoé Quintal", "Lawful bases")
}

// A viewer pressing a is told why, and no form opens (Art. 32: access by
// role).
func TestFlowAddContactRefusedForViewers(t *testing.T) {
	s := openDemo(t, 10)
	before := len(refusals(t, s))
	d := drive(t, newTestModel(s, func(o *Options) { o.Role = gdpr.RoleViewer }), 100, 30)
	d.keys("2", "a")
	d.mustShow("! viewers cannot add contacts") // marked as a refusal (Art. 5(2): and audited)
	if got := refusals(t, s); len(got) != before+1 || !strings.Contains(got[0], "contact.create refused") {
		t.Errorf("access.refused entries after a: %q (had %d), want one more naming contact.create", got, before)
	}
	if strings.Contains(d.screen(), "Add a contact") {
		t.Fatal("the form opened for a viewer")
	}
}
