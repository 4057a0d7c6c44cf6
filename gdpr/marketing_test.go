package gdpr

import (
	"testing"
	"time"
)

// Electronic direct marketing (SPEC §9): consent for a marketing purpose
// (Art. 6(1)(a), Art. 7(3)), never after an objection (Art. 21(3)) or under
// restriction (Art. 18), the soft opt-in for customers only when switched on
// (ePrivacy Art. 13(2)); legitimate interests or no basis never.
func TestMarketingClassArt6Art21ePrivacy13(t *testing.T) {
	at := time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)
	grant := ConsentRecord{Purpose: "newsletter", Granted: true, At: at, Marketing: true}
	withdraw := ConsentRecord{Purpose: "newsletter", Granted: false, At: at.Add(time.Hour), Marketing: true}
	regrant := ConsentRecord{Purpose: "newsletter", Granted: true, At: at.Add(2 * time.Hour), Marketing: true}
	service := ConsentRecord{Purpose: "service emails", Granted: true, At: at}
	contract := []BasisAssignment{{Basis: BasisContract}}
	for _, tt := range []struct {
		name string
		c    Contact
		want MarketingClass
	}{
		{"no basis", Contact{Status: ContactActive}, MarketingNo},
		{"legitimate interests only", Contact{Status: ContactActive, Bases: []BasisAssignment{{Basis: BasisLegitimateInterests}}}, MarketingNo},
		{"contract only", Contact{Status: ContactActive, Bases: contract}, MarketingSoftOptIn},
		{"consent for marketing", Contact{Status: ContactActive, Consents: []ConsentRecord{grant}}, MarketingConsent},
		{"consent for a purpose that is not marketing", Contact{Status: ContactActive, Consents: []ConsentRecord{service}}, MarketingNo},
		{"consent withdrawn", Contact{Status: ContactActive, Consents: []ConsentRecord{grant, withdraw}}, MarketingNo},
		{"withdrawn, then given again", Contact{Status: ContactActive, Consents: []ConsentRecord{grant, withdraw, regrant}}, MarketingConsent},
		{"contract, marketing consent withdrawn (an opt-out)", Contact{Status: ContactActive, Bases: contract, Consents: []ConsentRecord{grant, withdraw}}, MarketingNo},
		{"restricted", Contact{Status: ContactRestricted, Consents: []ConsentRecord{grant}}, MarketingNo},
		{"anonymized", Contact{Status: ContactAnonymized, Consents: []ConsentRecord{grant}}, MarketingNo},
		{"held", Contact{Status: ContactHeld, Bases: contract}, MarketingNo},
		{"objected", Contact{Status: ContactActive, Consents: []ConsentRecord{grant}, MarketingObjection: at}, MarketingNo},
		{"objected customer", Contact{Status: ContactActive, Bases: contract, MarketingObjection: at}, MarketingNo},
	} {
		if got := tt.c.MarketingClass(); got != tt.want {
			t.Errorf("%s: class %s, want %s", tt.name, got, tt.want)
		}
		soft := tt.c.Marketable(Settings{SoftOptIn: true})
		if want := tt.want != MarketingNo; soft != want {
			t.Errorf("%s with the soft opt-in on: marketable %v, want %v", tt.name, soft, want)
		}
		if got, want := tt.c.Marketable(Settings{}), tt.want == MarketingConsent; got != want {
			t.Errorf("%s with the soft opt-in off: marketable %v, want %v", tt.name, got, want)
		}
	}
}

// marketing:yes|no resolves to the classes the settings make marketable.
func TestMarketingQueryResolves(t *testing.T) {
	q, err := ParseQuery("marketing:yes country:DE")
	if err != nil {
		t.Fatal(err)
	}
	if got := q.Resolve(Settings{}).String(); got != "marketing-class:consent country:DE" {
		t.Errorf("without the soft opt-in: %q", got)
	}
	if got := q.Resolve(Settings{SoftOptIn: true}).String(); got != "marketing-class:consent|soft country:DE" {
		t.Errorf("with the soft opt-in: %q", got)
	}
	no, _ := ParseQuery("marketing:no")
	if got := no.Resolve(Settings{}).String(); got != "marketing-class:soft|no" {
		t.Errorf("marketing:no without the soft opt-in: %q", got)
	}
	if _, err := ParseQuery("marketing:maybe"); err == nil {
		t.Error("marketing:maybe was accepted")
	}
	if q, _ := ParseQuery("marketing-class:no"); len(q.Terms) != 0 {
		t.Errorf("the internal field was taken from a person's query: %+v", q.Terms)
	}
}

// The purposes and recipients that concern one person (Art. 15(1)(a),
// 15(1)(c), Art. 19): consent purposes while consent stands, other
// purposes while the person holds their basis; the recipients of those.
func TestPurposesAndRecipientsOfAPersonArt15Art19(t *testing.T) {
	at := time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)
	purposes := []Purpose{
		{Name: "newsletter", Basis: BasisConsent, Marketing: true},
		{Name: "orders", Basis: BasisContract},
		{Name: "tax records", Basis: BasisLegalObligation},
	}
	recipients := []Recipient{
		{Name: "MailCo", Role: RecipientProcessor, Purposes: []string{"newsletter"}},
		{Name: "ShipCo", Role: RecipientProcessor, Purposes: []string{"orders"}},
		{Name: "Tax office", Role: RecipientController, Purposes: []string{"tax records"}},
	}
	c := Contact{Status: ContactActive, Bases: []BasisAssignment{{Basis: BasisContract}},
		Consents: []ConsentRecord{{Purpose: "newsletter", Granted: true, At: at}}}
	names := func(rs []Recipient) (out []string) {
		for _, r := range rs {
			out = append(out, r.Name)
		}
		return out
	}
	if got := names(RecipientsOf(&c, purposes, recipients)); len(got) != 2 || got[0] != "MailCo" || got[1] != "ShipCo" {
		t.Errorf("recipients of a customer on the newsletter: %v", got)
	}
	c.Consents = append(c.Consents, ConsentRecord{Purpose: "newsletter", Granted: false, At: at.Add(time.Hour)})
	if got := names(RecipientsOf(&c, purposes, recipients)); len(got) != 1 || got[0] != "ShipCo" {
		t.Errorf("after withdrawing: %v", got)
	}
	c.Status = ContactAnonymized
	if got := PurposesOf(&c, purposes); len(got) != 0 {
		t.Errorf("an erased person is processed for %v", got)
	}
}
