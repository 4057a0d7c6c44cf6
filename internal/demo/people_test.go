package demo

import (
	"strings"
	"testing"
	"time"

	"github.com/gdprdesk/gdprdesk/assets"
	"github.com/gdprdesk/gdprdesk/gdpr"
)

// The demo shows the rule book (SPEC §9): registers whose purposes its
// consents and bases name, a processor without a DPA, a transfer under
// SCCs, one contact under a legal hold, one who objects to marketing by
// an objection request with scope marketing (Art. 21(2)–(3)), and
// restricted contacts with a reason and a date.
func TestDemoHasTheRuleBookCases(t *testing.T) {
	now := time.Date(2026, 11, 29, 10, 0, 0, 0, time.UTC)
	d, err := NewDemo(assets.FS, 2000, 1, now)
	if err != nil {
		t.Fatal(err)
	}
	if st := d.Settings(); st.Establishment != "DE" || st.AutomatedDecisions != "" || st.SoftOptIn {
		t.Errorf("settings: establishment %q, automated decisions %q, soft opt-in %v", st.Establishment, st.AutomatedDecisions, st.SoftOptIn)
	}
	purposes := d.Purposes()
	for _, p := range purposes {
		if err := p.Validate(); err != nil {
			t.Error(err)
		}
	}
	noDPA, scc := 0, 0
	for _, r := range d.Recipients() {
		if err := r.Validate(); err != nil {
			t.Error(err)
		}
		for _, name := range r.Purposes {
			if _, ok := gdpr.FindPurpose(purposes, name); !ok {
				t.Errorf("recipient %s serves %q, not in the register", r.Name, name)
			}
		}
		if r.Role == gdpr.RecipientProcessor && r.DPASignedAt.IsZero() {
			noDPA++
		}
		if r.ThirdCountry() && r.Safeguard == gdpr.SafeguardSCC && !r.SafeguardAt.IsZero() {
			scc++
		}
	}
	if noDPA != 1 || scc != 1 {
		t.Errorf("%d processors without a DPA, %d transfers under dated SCCs; want 1 and 1", noDPA, scc)
	}
	held, objected, restricted := 0, 0, 0
	newsletter := map[int]bool{} // active newsletter subscribers, by number
	for no := 1; d.Remaining() > 0; {
		for _, c := range d.NextContacts(500) {
			if c.Source == "webform:newsletter" && c.Status == gdpr.ContactActive && len(c.Consents) == 1 {
				newsletter[no] = true
			}
			no++
			for _, r := range c.Consents {
				p, ok := gdpr.FindPurpose(purposes, r.Purpose)
				if !ok || p.Marketing != r.Marketing {
					t.Fatalf("%s: consent to %q (marketing %v) does not match the register", c.Email, r.Purpose, r.Marketing)
				}
			}
			for _, b := range c.Bases {
				if b.Basis == gdpr.BasisConsent && b.Purpose == "" {
					t.Fatalf("%s: a consent basis without its purpose", c.Email)
				}
			}
			if c.Hold != nil {
				held++
				// The invoices' hold (a legal obligation), and the
				// lapsed webinar attendee's (a legal claim).
				if c.Hold.Validate(now) != nil || (!c.HasBasis(gdpr.BasisLegalObligation) && !strings.Contains(c.Hold.Reason, "17(3)(e)")) {
					t.Errorf("%s: hold %+v", c.Email, c.Hold)
				}
				if c.Source == "webinar" && gdpr.RetentionLapsed(&c, purposes, now) == nil {
					t.Errorf("%s: the held webinar attendee's purposes have not all lapsed", c.Email)
				}
			}
			if c.Objected() {
				t.Errorf("%s objected without a request", c.Email)
			}
			if c.Status == gdpr.ContactRestricted {
				restricted++
				if c.RestrictedAt.IsZero() || c.RestrictionReason == "" || c.RestrictedAt.After(now) {
					t.Errorf("%s: restricted without reason or date", c.Email)
				}
			}
		}
	}
	for _, r := range d.Requests(2000) {
		if r.Request.Type == gdpr.RequestObjection && r.Request.Scope == gdpr.ScopeMarketing {
			objected++
			q := r.Request
			q.Contact = gdpr.ContactID(r.ContactNo)
			if !newsletter[r.ContactNo] || q.Validate() != nil {
				t.Errorf("the objection to marketing: contact %d (a subscriber: %v), %+v", r.ContactNo, newsletter[r.ContactNo], r.Request)
			}
		}
	}
	asked := 0
	for _, r := range d.Requests(2000) {
		if r.Request.Type == gdpr.RequestAccess && r.ContactNo == d.lapsedAsker && d.lapsedAsker != 0 && len(r.Steps) == 0 {
			asked++
		}
	}
	if held != 2 || objected != 1 || restricted == 0 || asked != 1 {
		t.Errorf("%d held, %d objected, %d restricted, %d lapsed with an open request; want 2, 1, some and 1", held, objected, restricted, asked)
	}
}
