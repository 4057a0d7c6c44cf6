package store

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/gdprdesk/gdprdesk/gdpr"
)

// consentStore is a store with a marketing purpose (newsletter), a purpose
// that is not marketing (support), one on contract (orders), and the
// consent wording and privacy policy in force since 30 days before t0.
func consentStore(t *testing.T) (*Store, *clock) {
	t.Helper()
	s, clk := newStore(t)
	for _, p := range []gdpr.Purpose{
		{Name: "newsletter", Basis: gdpr.BasisConsent, Marketing: true},
		{Name: "support", Basis: gdpr.BasisConsent},
		{Name: "orders", Basis: gdpr.BasisContract},
	} {
		if err := s.SavePurpose("admin", p); err != nil {
			t.Fatal(err)
		}
	}
	for _, k := range []gdpr.PolicyKind{gdpr.PolicyConsent, gdpr.PolicyPrivacy} {
		// Before the first contact the texts already in force keep their dates.
		if _, err := s.AddPolicyVersion("admin", k, "version one of "+string(k), t0.AddDate(0, 0, -30)); err != nil {
			t.Fatal(err)
		}
	}
	return s, clk
}

// Consent per purpose (SPEC §9): a grant records the versions in force at
// its time and gives basis:consent for the purpose, marketing:yes for a
// marketing purpose, with proof (Art. 6(1)(a), 7(1)); a withdrawal ends
// that purpose's basis only, keeps the history (Art. 7(3)) and leaves
// consent-proof not counting it; each change is one audited transaction
// whose entry names the purpose and seals the method.
func TestConsentPerPurposeArt6_1aArt7(t *testing.T) {
	s, clk := consentStore(t)
	id := mustCreate(t, s, gdpr.Contact{Email: "anna@example.org", Country: "DE"})[0]
	// A scheduled wording: allowed, and not named by consents before it.
	if _, err := s.AddPolicyVersion("admin", gdpr.PolicyConsent, "version two", t0.AddDate(0, 0, 10)); err != nil {
		t.Fatalf("a scheduled version was refused: %v", err)
	}
	n := len(allAudit(t, s))
	if err := s.GrantConsent("staff1", id, "Newsletter", t0.Add(-time.Hour), "webform, double opt-in"); err != nil {
		t.Fatal(err)
	}
	c := mustContact(t, s, id)
	if len(c.Consents) != 1 || c.Consents[0].ConsentVersion != 1 || c.Consents[0].PolicyVersion != 1 || !c.Consents[0].Marketing {
		t.Errorf("record %+v, want wording v1 and policy v1 (in force then), marketing", c.Consents)
	}
	if !c.HasBasisFor(gdpr.BasisConsent, "newsletter") || c.ConsentWithoutProof() {
		t.Errorf("bases %+v: want consent for newsletter, proven", c.Bases)
	}
	for q, want := range map[string]int64{"basis:consent": 1, "marketing:yes": 1, "purpose:newsletter": 1} {
		if got := mustCount(t, s, q); got != want {
			t.Errorf("after the grant %s = %d, want %d", q, got, want)
		}
	}
	es := auditSince(t, s, n)
	if len(es) != 1 || es[0].Action != string(gdpr.ActionConsentGrant) || !strings.Contains(es[0].Detail, "newsletter") ||
		strings.Contains(es[0].Detail, "webform") || es[0].Personal != "webform, double opt-in" {
		t.Errorf("audit %+v: want one consent.grant naming the purpose, the method sealed", es)
	}

	// Eleven days on, wording v2 is in force: a new consent names it.
	clk.Set(t0.AddDate(0, 0, 11))
	if err := s.GrantConsent("staff1", id, "support", time.Time{}, "phone"); err != nil {
		t.Fatal(err)
	}
	c = mustContact(t, s, id)
	if r, _ := c.LatestConsent("support"); r.ConsentVersion != 2 || r.Marketing {
		t.Errorf("support record %+v, want wording v2, not marketing", r)
	}
	// Consent for two purposes is one contact holding consent.
	if got := mustCount(t, s, "basis:consent"); got != 1 {
		t.Errorf("basis:consent = %d with two purposes, want 1 contact", got)
	}
	snap, err := s.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	if snap.ConsentContacts != 1 || snap.ConsentNoProof != 0 {
		t.Errorf("snapshot consent %d, no proof %d; want 1, 0", snap.ConsentContacts, snap.ConsentNoProof)
	}

	n = len(allAudit(t, s))
	if err := s.WithdrawConsent("staff1", id, "newsletter", "unsubscribe link"); err != nil {
		t.Fatal(err)
	}
	c = mustContact(t, s, id)
	if len(c.Consents) != 3 || c.HasBasisFor(gdpr.BasisConsent, "newsletter") || !c.HasBasisFor(gdpr.BasisConsent, "support") {
		t.Errorf("after withdrawing newsletter: consents %+v, bases %+v", c.Consents, c.Bases)
	}
	for q, want := range map[string]int64{"basis:consent": 1, "marketing:yes": 0, "purpose:newsletter": 0, "purpose:support": 1} {
		if got := mustCount(t, s, q); got != want {
			t.Errorf("after the withdrawal %s = %d, want %d", q, got, want)
		}
	}
	if es := auditSince(t, s, n); len(es) != 1 || es[0].Action != string(gdpr.ActionConsentWithdraw) || !strings.Contains(es[0].Detail, "newsletter") {
		t.Errorf("audit %+v: want one consent.withdraw naming the purpose", es)
	}
	if err := s.WithdrawConsent("staff1", id, "support", ""); err != nil {
		t.Fatal(err)
	}
	for q, want := range map[string]int64{"basis:consent": 0, "basis:none": 1} {
		if got := mustCount(t, s, q); got != want {
			t.Errorf("after both withdrawals %s = %d, want %d", q, got, want)
		}
	}
	if snap, _ := s.Snapshot(); snap.ConsentContacts != 0 || snap.ConsentNoProof != 0 {
		t.Errorf("consent-proof still counts a withdrawn consent: %d / %d", snap.ConsentContacts, snap.ConsentNoProof)
	}
	checkVerified(t, s)

	// Refusals: an unknown purpose names the register's list, a purpose on
	// another basis, a time in the future, nothing to withdraw, an erased
	// person; none writes anything.
	n = len(allAudit(t, s))
	for name, err := range map[string]error{
		"gdprdesk purpose list": s.GrantConsent("staff1", id, "raffle", time.Time{}, ""),
		"not consent":           s.GrantConsent("staff1", id, "orders", time.Time{}, ""),
		"after now":             s.GrantConsent("staff1", id, "newsletter", clk.Now().Add(time.Hour), ""),
		"nothing to withdraw":   s.WithdrawConsent("staff1", id, "newsletter", ""),
	} {
		if err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("want an error about %q, got %v", name, err)
		}
	}
	if len(allAudit(t, s)) != n {
		t.Error("a refused consent change wrote to the audit log")
	}
	if _, err := s.Anonymize("admin", id, AnonymizeOptions{}); err != nil {
		t.Fatal(err)
	}
	n = len(allAudit(t, s))
	if err := s.GrantConsent("staff1", id, "newsletter", time.Time{}, ""); err == nil {
		t.Error("consent recorded for an anonymized contact")
	}
	if len(allAudit(t, s)) != n {
		t.Error("a refused consent wrote to the audit log")
	}
}

// A version of the consent wording or privacy policy cannot take effect in
// the past once contacts exist (their consents name the version in force
// when given, Art. 7(1)); a future date is a scheduled change.
func TestPolicyVersionCannotBeBackdatedArt7_1(t *testing.T) {
	s, _ := consentStore(t)
	mustCreate(t, s, gdpr.Contact{Email: "a@example.org"})
	if _, err := s.AddPolicyVersion("admin", gdpr.PolicyConsent, "backdated", t0.AddDate(0, 0, -1)); err == nil || !strings.Contains(err.Error(), "past") {
		t.Errorf("a backdated version: %v, want a refusal", err)
	}
	if pv, err := s.AddPolicyVersion("admin", gdpr.PolicyConsent, "scheduled", t0.AddDate(0, 1, 0)); err != nil || !pv.EffectiveAt.Equal(t0.AddDate(0, 1, 0)) {
		t.Errorf("a scheduled version: %+v, %v", pv, err)
	}
}

// A bulk consent names its purpose and records, per contact, a consent
// whose basis carries the evidence (sealed), so proof exists for each and
// each can withdraw; a bulk removal is a withdrawal per contact; a bulk
// grant never lifts a marketing objection (SPEC §9, Art. 7, Art. 21(3)).
func TestBulkConsentRecordsConsentPerContactArt7(t *testing.T) {
	s, _ := consentStore(t)
	ids := mustCreate(t, s,
		gdpr.Contact{Email: "a@example.org", Country: "DE"},
		gdpr.Contact{Email: "b@example.org", Country: "DE", Bases: []gdpr.BasisAssignment{{Basis: gdpr.BasisConsent, Source: "import"}}},
		gdpr.Contact{Email: "c@example.org", Country: "DE", MarketingObjection: t0.Add(-time.Hour)},
		gdpr.Contact{Email: "d@example.org", Country: "FR"},
	)
	q := mustQuery(t, "country:DE")
	if _, err := s.ApplyBasis(context.Background(), "staff1", q, BasisChange{Basis: gdpr.BasisConsent}, nil); err == nil {
		t.Error("a bulk consent without a purpose was accepted")
	}
	res, err := s.ApplyBasis(context.Background(), "staff1", q, BasisChange{Basis: gdpr.BasisConsent, Purpose: "newsletter", Source: "fair", Evidence: "signed list, Anna's stand"}, nil)
	if err != nil || res.Changed != 3 {
		t.Fatalf("bulk consent: %+v, %v; want 3 changed", res, err)
	}
	for _, id := range ids[:3] {
		c := mustContact(t, s, id)
		r, ok := c.LatestConsent("newsletter")
		if !ok || !r.Granted || r.Method != "bulk: fair" || r.ConsentVersion != 1 || c.ConsentWithoutProof() {
			t.Errorf("%s: record %+v, want a proven bulk consent", id, r)
		}
		found := false
		for _, b := range c.Bases {
			if b.Basis == gdpr.BasisConsent && b.Purpose == "newsletter" && b.Evidence == "signed list, Anna's stand" && b.Source == "fair" {
				found = true
			}
		}
		if !found {
			t.Errorf("%s: bases %+v, want consent for newsletter with the evidence", id, c.Bases)
		}
	}
	if c := mustContact(t, s, ids[2]); !c.Objected() || c.Marketable(gdpr.Settings{}) {
		t.Error("a bulk consent lifted a marketing objection")
	}
	for _, e := range allAudit(t, s) {
		if strings.Contains(e.Detail, "Anna") {
			t.Errorf("the evidence is in clear in the audit log: %q", e.Detail)
		}
	}
	if got := mustCount(t, s, "marketing:yes"); got != 2 {
		t.Errorf("marketing:yes = %d, want 2 (the objector is not)", got)
	}
	// Each can withdraw, and the bulk removal withdraws the rest.
	if err := s.WithdrawConsent("staff1", ids[0], "newsletter", "reply"); err != nil {
		t.Errorf("withdrawing a bulk consent: %v", err)
	}
	res, err = s.ApplyBasis(context.Background(), "staff1", q, BasisChange{Basis: gdpr.BasisConsent, Purpose: "newsletter", Remove: true}, nil)
	if err != nil || res.Changed != 2 {
		t.Fatalf("bulk withdrawal: %+v, %v; want 2 changed", res, err)
	}
	for _, id := range ids[:3] {
		c := mustContact(t, s, id)
		if c.HasBasis(gdpr.BasisConsent) || gdpr.ConsentGiven(c.Consents, "newsletter") || len(c.Consents) < 2 {
			t.Errorf("%s after the bulk withdrawal: bases %+v, consents %+v", id, c.Bases, c.Consents)
		}
	}
	// Marked contacts take the same path.
	res, err = s.ApplyBasisTo(context.Background(), "staff1", ids, BasisChange{Basis: gdpr.BasisConsent, Purpose: "support", Evidence: "form"}, nil)
	if err != nil || res.Changed != 4 {
		t.Fatalf("marked bulk consent: %+v, %v; want 4 changed", res, err)
	}
	checkVerified(t, s)
}
