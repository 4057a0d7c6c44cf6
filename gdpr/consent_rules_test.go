package gdpr

import (
	"errors"
	"testing"
	"time"
)

// consentVersions: consent wording v1 from 2025-01-01, v2 from 2026-01-01;
// privacy policy v1 from 2025-06-01.
func consentVersions() []PolicyVersion {
	return []PolicyVersion{
		NewPolicyVersion(PolicyConsent, 1, "Send me the newsletter.", date(2025, 1, 1)),
		NewPolicyVersion(PolicyConsent, 2, "Send me the newsletter, monthly.", date(2026, 1, 1)),
		NewPolicyVersion(PolicyPrivacy, 1, "Privacy policy.", date(2025, 6, 1)),
	}
}

// TestGrantConsentArt6_1aArt7_1 checks that granting consent records the
// wording and policy versions in force at the time it was given, never a
// later one (Art. 7(1)), and gives the consent basis for that purpose
// (Art. 6(1)(a)); a grant in the future or before the latest record is
// refused; a consent to a marketing purpose lifts an earlier marketing
// objection (Art. 21(3), SPEC §9), an older one does not.
func TestGrantConsentArt6_1aArt7_1(t *testing.T) {
	now := date(2026, 3, 1)
	newsletter := Purpose{Name: "newsletter", Basis: BasisConsent, Marketing: true}
	support := Purpose{Name: "support", Basis: BasisConsent}
	orders := Purpose{Name: "orders", Basis: BasisContract}
	tests := []struct {
		name        string
		c           Contact
		p           Purpose
		at          time.Time
		wantErr     string
		wantVersion [2]int // consent wording, privacy policy
		wantBases   int
		objection   bool // the objection still stands after
	}{
		{"versions in force then", Contact{Status: ContactActive}, newsletter, date(2025, 7, 1), "", [2]int{1, 1}, 1, false},
		{"later wording", Contact{Status: ContactActive}, newsletter, date(2026, 2, 1), "", [2]int{2, 1}, 1, false},
		{"before any version", Contact{Status: ContactActive}, newsletter, date(2024, 7, 1), "", [2]int{0, 0}, 1, false},
		{"zero time is now", Contact{Status: ContactActive}, support, time.Time{}, "", [2]int{2, 1}, 1, false},
		{"in the future", Contact{Status: ContactActive}, newsletter, now.Add(time.Hour), "after now", [2]int{}, 0, false},
		{"not a consent purpose", Contact{Status: ContactActive}, orders, now, "not consent", [2]int{}, 0, false},
		{"anonymized", Contact{Status: ContactAnonymized}, newsletter, now, "erased", [2]int{}, 0, false},
		{"held", Contact{Status: ContactHeld}, newsletter, now, "erased", [2]int{}, 0, false},
		{"before the latest record", Contact{Status: ContactActive, Consents: []ConsentRecord{{Purpose: "newsletter", At: date(2026, 2, 1)}}},
			newsletter, date(2026, 1, 15), "dated before", [2]int{}, 0, false},
		{"basis for the purpose held already", Contact{Status: ContactActive, Bases: []BasisAssignment{{Basis: BasisConsent, Purpose: "newsletter"}}},
			newsletter, now, "", [2]int{2, 1}, 1, false},
		{"a second purpose, a basis of its own", Contact{Status: ContactActive, Bases: []BasisAssignment{{Basis: BasisConsent, Purpose: "support"}}},
			newsletter, now, "", [2]int{2, 1}, 2, false},
		{"new marketing consent lifts the objection", Contact{Status: ContactActive, MarketingObjection: date(2026, 1, 10)},
			newsletter, date(2026, 2, 1), "", [2]int{2, 1}, 1, false},
		{"consent older than the objection", Contact{Status: ContactActive, MarketingObjection: date(2026, 1, 10)},
			newsletter, date(2026, 1, 5), "", [2]int{2, 1}, 1, true},
		{"non-marketing consent keeps the objection", Contact{Status: ContactActive, MarketingObjection: date(2026, 1, 10)},
			support, date(2026, 2, 1), "", [2]int{2, 1}, 1, true},
	}
	for _, tt := range tests {
		c := tt.c
		err := GrantConsent(&c, tt.p, tt.at, "webform, double opt-in", consentVersions(), now, "ann")
		checkErr(t, tt.name+": GrantConsent", err, tt.wantErr)
		if err != nil {
			if len(c.Consents) != len(tt.c.Consents) || len(c.Bases) != len(tt.c.Bases) {
				t.Errorf("%s: a refused grant changed the contact", tt.name)
			}
			continue
		}
		r := c.Consents[len(c.Consents)-1]
		if !r.Granted || r.Purpose != tt.p.Name || r.Marketing != tt.p.Marketing || r.Method != "webform, double opt-in" {
			t.Errorf("%s: record %+v", tt.name, r)
		}
		if got := [2]int{r.ConsentVersion, r.PolicyVersion}; got != tt.wantVersion {
			t.Errorf("%s: versions %v, want %v (in force at the time)", tt.name, got, tt.wantVersion)
		}
		if len(c.Bases) != tt.wantBases || !c.HasBasisFor(BasisConsent, tt.p.Name) {
			t.Errorf("%s: bases %+v, want %d with consent for %s", tt.name, c.Bases, tt.wantBases, tt.p.Name)
		}
		if got := c.Objected(); got != tt.objection {
			t.Errorf("%s: objection stands = %v, want %v", tt.name, got, tt.objection)
		}
	}
}

// TestWithdrawConsentArt7_3 checks that withdrawing consent (Art. 7(3))
// keeps the history, ends the consent basis for that purpose, ends a
// purpose-less consent basis once no other consent stands, and is
// "nothing to withdraw" only when there is neither a standing consent nor
// a consent basis to end.
func TestWithdrawConsentArt7_3(t *testing.T) {
	at := date(2026, 3, 1)
	newsletter := Purpose{Name: "newsletter", Basis: BasisConsent, Marketing: true}
	grant := func(p string) ConsentRecord {
		return ConsentRecord{Purpose: p, Granted: true, At: date(2026, 1, 1), ConsentVersion: 1, Marketing: p == "newsletter"}
	}
	basis := func(p string) BasisAssignment { return BasisAssignment{Basis: BasisConsent, Purpose: p} }
	contract := BasisAssignment{Basis: BasisContract}
	tests := []struct {
		name      string
		c         Contact
		wantErr   string
		wantBases []BasisAssignment
	}{
		{"standing consent and its basis", Contact{Bases: []BasisAssignment{basis("newsletter"), contract}, Consents: []ConsentRecord{grant("newsletter")}},
			"", []BasisAssignment{contract}},
		{"the other purpose's basis stays", Contact{Bases: []BasisAssignment{basis("newsletter"), basis("offers")}, Consents: []ConsentRecord{grant("newsletter"), grant("offers")}},
			"", []BasisAssignment{basis("offers")}},
		{"a purpose-less basis ends with the last consent", Contact{Bases: []BasisAssignment{basis("")}, Consents: []ConsentRecord{grant("newsletter")}},
			"", nil},
		{"a purpose-less basis from a bulk tag, no record", Contact{Bases: []BasisAssignment{basis(""), contract}},
			"", []BasisAssignment{contract}},
		{"a purpose-less basis stays while another consent stands", Contact{Bases: []BasisAssignment{basis("")}, Consents: []ConsentRecord{grant("newsletter"), grant("offers")}},
			"", []BasisAssignment{basis("")}},
		{"a standing consent without a basis", Contact{Consents: []ConsentRecord{grant("newsletter")}}, "", nil},
		{"nothing to withdraw", Contact{Bases: []BasisAssignment{contract}}, "nothing to withdraw", nil},
		{"withdrawn already", Contact{Consents: []ConsentRecord{grant("newsletter"), {Purpose: "newsletter", At: date(2026, 2, 1)}}}, "nothing to withdraw", nil},
		{"a purpose-less basis held up by another consent", Contact{Bases: []BasisAssignment{basis("")}, Consents: []ConsentRecord{grant("offers")}}, "nothing to withdraw", nil},
		{"erased", Contact{Status: ContactAnonymized, Bases: []BasisAssignment{basis("newsletter")}}, "erased", nil},
	}
	for _, tt := range tests {
		c := tt.c
		if c.Status == "" {
			c.Status = ContactActive
		}
		err := WithdrawConsent(&c, newsletter, at, "unsubscribe link")
		checkErr(t, tt.name+": WithdrawConsent", err, tt.wantErr)
		if tt.wantErr == "nothing to withdraw" && !errors.Is(err, ErrNothingToWithdraw) {
			t.Errorf("%s: %v is not ErrNothingToWithdraw", tt.name, err)
		}
		if err != nil {
			continue
		}
		if len(c.Consents) != len(tt.c.Consents)+1 {
			t.Fatalf("%s: %d records, want the history and one withdrawal", tt.name, len(c.Consents))
		}
		w := c.Consents[len(c.Consents)-1]
		if w.Granted || !w.At.Equal(at) || !w.Marketing || w.Method != "unsubscribe link" {
			t.Errorf("%s: withdrawal record %+v", tt.name, w)
		}
		if ConsentGiven(c.Consents, "newsletter") {
			t.Errorf("%s: consent still stands after the withdrawal", tt.name)
		}
		if len(c.Bases) != len(tt.wantBases) {
			t.Errorf("%s: bases %+v, want %+v", tt.name, c.Bases, tt.wantBases)
			continue
		}
		for i := range c.Bases {
			if c.Bases[i] != tt.wantBases[i] {
				t.Errorf("%s: bases %+v, want %+v", tt.name, c.Bases, tt.wantBases)
			}
		}
		if c.MarketingClass() == MarketingConsent {
			t.Errorf("%s: still marketable by consent after withdrawing the marketing consent", tt.name)
		}
	}
	// A withdrawal cannot be dated before the grant it withdraws.
	c := Contact{Status: ContactActive, Consents: []ConsentRecord{grant("newsletter")}}
	checkErr(t, "withdrawal before the grant", WithdrawConsent(&c, newsletter, date(2025, 12, 1), ""), "dated before")
}

// TestCheckEffectiveArt7_1 checks that a version of the consent wording or
// privacy policy cannot take effect in the past (consents name the version
// in force when given, Art. 7(1)); a future date is a scheduled change;
// while the desk holds no contacts, the texts already in force keep their
// real dates.
func TestCheckEffectiveArt7_1(t *testing.T) {
	now := date(2026, 3, 1).Add(10 * time.Hour)
	tests := []struct {
		name      string
		effective time.Time
		setup     bool
		want      time.Time
		wantErr   string
	}{
		{"zero is now", time.Time{}, false, now, ""},
		{"now", now, false, now, ""},
		{"scheduled", now.AddDate(0, 1, 0), false, now.AddDate(0, 1, 0), ""},
		{"a moment ago is now", now.Add(-time.Second), false, now, ""},
		{"yesterday", now.AddDate(0, 0, -1), false, time.Time{}, "in the past"},
		{"earlier today", date(2026, 3, 1), false, time.Time{}, "in the past"},
		{"setup keeps the real date", date(2024, 1, 1), true, date(2024, 1, 1), ""},
	}
	for _, tt := range tests {
		got, err := CheckEffective(tt.effective, now, tt.setup)
		checkErr(t, tt.name+": CheckEffective", err, tt.wantErr)
		if err == nil && !got.Equal(tt.want) {
			t.Errorf("%s: CheckEffective = %v, want %v", tt.name, got, tt.want)
		}
	}
}

// TestConsentChangeAppliesArt7 checks the rule a bulk consent change and
// its preview share: adding gives a record where consent for the purpose
// does not stand (Art. 7(1)); removing is a withdrawal where there is
// something to withdraw (Art. 7(3)); erased people are never changed.
func TestConsentChangeAppliesArt7(t *testing.T) {
	grant := ConsentRecord{Purpose: "newsletter", Granted: true, At: date(2026, 1, 1)}
	other := ConsentRecord{Purpose: "offers", Granted: true, At: date(2026, 1, 1)}
	forIt := BasisAssignment{Basis: BasisConsent, Purpose: "newsletter"}
	bare := BasisAssignment{Basis: BasisConsent}
	tests := []struct {
		name        string
		c           Contact
		add, remove bool
	}{
		{"nothing yet", Contact{Status: ContactActive}, true, false},
		{"consent and basis", Contact{Status: ContactActive, Consents: []ConsentRecord{grant}, Bases: []BasisAssignment{forIt}}, false, true},
		{"record without basis", Contact{Status: ContactActive, Consents: []ConsentRecord{grant}}, true, true},
		{"purpose-less basis", Contact{Status: ContactActive, Bases: []BasisAssignment{bare}}, true, true},
		{"purpose-less basis, another consent stands", Contact{Status: ContactActive, Bases: []BasisAssignment{bare}, Consents: []ConsentRecord{other}}, true, false},
		{"anonymized", Contact{Status: ContactAnonymized}, false, false},
		{"held", Contact{Status: ContactHeld, Bases: []BasisAssignment{forIt}}, false, false},
	}
	for _, tt := range tests {
		if got := tt.c.ConsentChangeApplies("newsletter", false); got != tt.add {
			t.Errorf("%s: adding applies = %v, want %v", tt.name, got, tt.add)
		}
		if got := tt.c.ConsentChangeApplies("newsletter", true); got != tt.remove {
			t.Errorf("%s: removing applies = %v, want %v", tt.name, got, tt.remove)
		}
		// The rule agrees with what the change itself does.
		c := tt.c
		err := WithdrawConsent(&c, Purpose{Name: "newsletter", Basis: BasisConsent}, date(2026, 2, 1), "")
		if (err == nil) != tt.remove {
			t.Errorf("%s: WithdrawConsent = %v, but removing applies = %v", tt.name, err, tt.remove)
		}
	}
}

// A contact left with no lawful basis may not be processed (Art. 6(1)):
// KeepsABasisWithout says whether one stands after a removal — another
// basis, or for consent another purpose's consent.
func TestKeepsABasisWithoutArt6_1(t *testing.T) {
	grant := func(p string) ConsentRecord {
		return ConsentRecord{Purpose: p, Granted: true, At: date(2026, 1, 1), ConsentVersion: 1}
	}
	consent := func(p string) BasisAssignment { return BasisAssignment{Basis: BasisConsent, Purpose: p} }
	contract := BasisAssignment{Basis: BasisContract}
	interest := BasisAssignment{Basis: BasisLegitimateInterests}
	tests := []struct {
		name    string
		c       Contact
		b       Basis
		purpose string
		want    bool
	}{
		{"contract alone", Contact{Bases: []BasisAssignment{contract}}, BasisContract, "", false},
		{"contract and interests", Contact{Bases: []BasisAssignment{contract, interest}}, BasisContract, "", true},
		{"contract and a consent", Contact{Bases: []BasisAssignment{contract, consent("newsletter")}, Consents: []ConsentRecord{grant("newsletter")}}, BasisContract, "", true},
		{"the only consent", Contact{Bases: []BasisAssignment{consent("newsletter")}, Consents: []ConsentRecord{grant("newsletter")}}, BasisConsent, "newsletter", false},
		{"another purpose's consent", Contact{Bases: []BasisAssignment{consent("newsletter"), consent("offers")}, Consents: []ConsentRecord{grant("newsletter"), grant("offers")}}, BasisConsent, "newsletter", true},
		{"consent and contract", Contact{Bases: []BasisAssignment{consent("newsletter"), contract}, Consents: []ConsentRecord{grant("newsletter")}}, BasisConsent, "newsletter", true},
		{"nothing at all", Contact{}, BasisContract, "", false},
	}
	for _, tt := range tests {
		if got := tt.c.KeepsABasisWithout(tt.b, tt.purpose); got != tt.want {
			t.Errorf("%s: KeepsABasisWithout(%s, %q) = %v, want %v", tt.name, tt.b, tt.purpose, got, tt.want)
		}
	}
}
