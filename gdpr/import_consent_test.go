package gdpr

import (
	"testing"
	"time"
)

// An imported consent history is recorded as the events would have been
// (Art. 7(1) the wording in force, Art. 7(3) a withdrawal ends the basis,
// Art. 21(3) only a later consent lifts an objection), once each.
func TestSettleImportedConsentsArt7Art21(t *testing.T) {
	day := func(d int) time.Time { return time.Date(2024, 1, d, 0, 0, 0, 0, time.UTC) }
	register := []Purpose{{Name: "newsletter", Basis: BasisConsent, Marketing: true}, {Name: "updates", Basis: BasisConsent}}
	versions := []PolicyVersion{NewPolicyVersion(PolicyConsent, 1, "v1", day(1)), NewPolicyVersion(PolicyConsent, 2, "v2", day(10)),
		NewPolicyVersion(PolicyPrivacy, 1, "p1", day(1))}
	c := Contact{Status: ContactActive,
		Bases: []BasisAssignment{{Basis: BasisConsent, Source: "webform"}, {Basis: BasisConsent, Purpose: "Newsletter", Evidence: "double opt-in"}},
		Consents: []ConsentRecord{
			{Purpose: "Newsletter", Granted: true, At: day(5)},
			{Purpose: "newsletter", Granted: true, At: day(5)}, // the same event, again
			{Purpose: "updates", Granted: true, At: day(12)},
			{Purpose: "newsletter", Granted: false, At: day(20)},
		},
		MarketingObjection: day(20)}
	SettleImportedConsents(&c, register, versions, day(30))
	if len(c.Consents) != 3 {
		t.Fatalf("consents %+v, want the repeated grant kept once", c.Consents)
	}
	if r := c.Consents[0]; r.ConsentVersion != 1 || r.PolicyVersion != 1 || !r.Marketing {
		t.Errorf("first grant %+v: want wording v1 (in force on the 5th), marketing", r)
	}
	if r := c.Consents[1]; r.ConsentVersion != 2 || r.Marketing {
		t.Errorf("updates grant %+v: want wording v2, not marketing", r)
	}
	if c.HasBasisFor(BasisConsent, "newsletter") || !c.HasBasisFor(BasisConsent, "updates") {
		t.Errorf("bases %+v: the withdrawn newsletter has no basis, updates has one", c.Bases)
	}
	if !c.HasBasisFor(BasisConsent, "") {
		t.Errorf("bases %+v: the source rule's consent stands while a consent (updates) stands", c.Bases)
	}
	if !c.Objected() {
		t.Error("the objection was lifted without a later consent")
	}
	// A later grant for the marketing purpose lifts it.
	c.Consents = append(c.Consents, ConsentRecord{Purpose: "newsletter", Granted: true, At: day(25)})
	SettleImportedConsents(&c, register, versions, day(30))
	if c.Objected() || !c.HasBasisFor(BasisConsent, "newsletter") || c.MarketingClass() != MarketingConsent {
		t.Errorf("after a new consent: objection %v, bases %+v, class %s", c.MarketingObjection, c.Bases, c.MarketingClass())
	}
	// Every consent withdrawn: the source rule's basis ends too.
	d := Contact{Status: ContactActive, Bases: []BasisAssignment{{Basis: BasisConsent, Source: "webform"}},
		Consents: []ConsentRecord{{Purpose: "newsletter", Granted: true, At: day(2)}, {Purpose: "newsletter", At: day(3)}}}
	SettleImportedConsents(&d, register, versions, day(30))
	if d.HasBasis(BasisConsent) {
		t.Errorf("bases %+v after the only consent was withdrawn", d.Bases)
	}
}
