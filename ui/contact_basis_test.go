package ui

import (
	"testing"

	"github.com/gdprdesk/gdprdesk/gdpr"
)

// A lawful basis is set and removed from the contact screen itself (Art.
// 6(1)), audited like the bulk change, on this contact alone.
func TestFlowBasisFromTheContactScreenArt6(t *testing.T) {
	s := openDemo(t, 200)
	d, sel := openActiveContact(t, s, t.TempDir())
	before, _ := s.Contact(sel.ID)
	if before.HasBasis(gdpr.BasisLegalObligation) {
		t.Fatalf("the demo's first active contact %s holds a legal obligation already: pick another", sel.ID)
	}
	held := mustCountQuery(t, s, "basis:legal_obligation")
	d.keys("b")
	d.mustShow("Lawful basis of " + sel.ID.String())
	d.keys("enter")         // add
	d.keys("down", "enter") // contract → legal obligation
	d.keys("enter")         // source: manual
	d.typeText("invoice 2024-117: kept 10 years")
	d.keys("enter")
	d.mustShow("Added Legal obligation to " + sel.ID.String())
	c, _ := s.Contact(sel.ID)
	if !c.HasBasis(gdpr.BasisLegalObligation) {
		t.Fatalf("bases %+v after adding", c.Bases)
	}
	if got := mustCountQuery(t, s, "basis:legal_obligation"); got != held+1 {
		t.Errorf("basis:legal_obligation %d, want %d: one contact changed", got, held+1)
	}
	if e := lastAudit(t, s, "basis.add"); e.Record != sel.ID.String() {
		t.Errorf("audit %+v, want basis.add on %s", e, sel.ID)
	}
	// And removed again.
	d.keys("b")
	d.keys("down", "enter") // remove
	d.keys("down", "enter") // legal obligation: removing asks no source or evidence
	d.mustShow("Removed Legal obligation from " + sel.ID.String())
	if c, _ := s.Contact(sel.ID); c.HasBasis(gdpr.BasisLegalObligation) {
		t.Errorf("bases %+v after removing", c.Bases)
	}
}

func mustCountQuery(t *testing.T, s interface {
	Count(gdpr.Query) (int64, error)
}, text string) int64 {
	t.Helper()
	q, err := gdpr.ParseQuery(text)
	if err != nil {
		t.Fatal(err)
	}
	n, err := s.Count(q)
	if err != nil {
		t.Fatal(err)
	}
	return n
}
