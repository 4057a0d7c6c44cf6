package gdpr

import (
	"strings"
	"testing"
	"time"
)

func completePurpose(name string, b Basis) Purpose {
	return Purpose{Name: name, Description: "what it is", Basis: b, PeopleCategories: []string{"customers"},
		DataCategories: []string{"identity"}, Retention: "2 years after the order", Security: "two-factor login"}
}

// TestROPACompleteArt30: a row of the records of processing is complete
// with the purpose described, its basis, the categories of people and of
// data (Art. 30(1)(b)–(c)), the retention (f) and the security measures
// (g); ropa-complete names each incomplete purpose and what it lacks, and
// an empty register proves nothing.
func TestROPACompleteArt30(t *testing.T) {
	controllerSet := Settings{Controller: Person{Name: "Shop", Email: "shop@example.com"}, Establishment: "DE"}
	noRetention := completePurpose("webinar follow-up", BasisConsent)
	noRetention.Retention = ""
	noCategories := completePurpose("support", BasisLegitimateInterests)
	noCategories.DataCategories, noCategories.PeopleCategories = nil, nil
	noSecurity := completePurpose("orders", BasisContract)
	noSecurity.Security, noSecurity.Description = " ", ""
	for _, tt := range []struct {
		name     string
		list     []Purpose
		done     bool
		contains []string
	}{
		{"empty register", nil, false, []string{"register is empty"}},
		{"all complete", []Purpose{completePurpose("orders", BasisContract), completePurpose("newsletter", BasisConsent)}, true, []string{"2 purposes, each complete"}},
		{"retention missing", []Purpose{completePurpose("orders", BasisContract), noRetention}, false, []string{"1 of 2 incomplete", "webinar follow-up (retention)"}},
		{"categories missing", []Purpose{noCategories}, false, []string{"support (categories of people, categories of data)"}},
		{"description and security missing", []Purpose{noSecurity, noRetention}, false, []string{"orders (description, security measures)", "webinar follow-up (retention)"}},
	} {
		e, ok := Evaluate("ropa-complete", Snapshot{Purposes: tt.list, Settings: controllerSet}, date(2026, 3, 1))
		if !ok || e.Done != tt.done {
			t.Errorf("%s: %+v, want done %v", tt.name, e, tt.done)
		}
		for _, c := range tt.contains {
			if !strings.Contains(e.Value, c) {
				t.Errorf("%s: value %q, want it to name %q", tt.name, e.Value, c)
			}
		}
	}
	if gaps := ROPAGaps([]Purpose{noRetention}, nil); len(gaps) != 1 || gaps[0].Purpose != "webinar follow-up" || strings.Join(gaps[0].Missing, ",") != "retention" {
		t.Errorf("ROPAGaps = %+v, want the webinar's retention", gaps)
	}
}

// TestTransfersSafeguardedArt44to46: every recipient in a third country
// has its transfer ground (Art. 44–46, 49): none, or standard contractual
// clauses without their date, makes transfers-safeguarded to-do and names
// the recipient; a recipient in the EEA needs none; one of unknown
// country cannot be shown to stay in the EEA.
func TestTransfersSafeguardedArt44to46(t *testing.T) {
	sccDay := date(2023, 9, 1)
	ie := Recipient{Name: "MailDrop", Role: RecipientProcessor, Country: "IE"}
	us := Recipient{Name: "TicketDesk", Role: RecipientProcessor, Country: "US", Safeguard: SafeguardSCC, SafeguardAt: sccDay}
	ch := Recipient{Name: "Swiss Host", Role: RecipientProcessor, Country: "CH", Safeguard: SafeguardAdequacy}
	for _, tt := range []struct {
		name  string
		list  []Recipient
		done  bool
		value string
	}{
		{"empty register", nil, false, "register is empty"},
		{"EEA only", []Recipient{ie}, true, "no recipient outside the EEA"},
		{"all safeguarded", []Recipient{ie, us, ch}, true, "2 recipients outside the EEA, each with a safeguard"},
		{"no safeguard", []Recipient{ie, {Name: "CloudCo", Role: RecipientProcessor, Country: "US"}}, false, "CloudCo in US: no safeguard"},
		{"SCCs without date", []Recipient{{Name: "CloudCo", Role: RecipientProcessor, Country: "US", Safeguard: SafeguardSCC}}, false, "CloudCo in US: standard contractual clauses without their date"},
		{"unknown country", []Recipient{{Name: "Somewhere Ltd", Role: RecipientController}}, false, "Somewhere Ltd: country not recorded"},
	} {
		e, ok := Evaluate("transfers-safeguarded", Snapshot{Recipients: tt.list}, date(2026, 3, 1))
		if !ok || e.Done != tt.done || !strings.Contains(e.Value, tt.value) {
			t.Errorf("%s: %+v, want done %v and %q", tt.name, e, tt.done, tt.value)
		}
	}
}

// TestBalancingTestArt6_1f: a purpose on legitimate interests needs its
// balancing test (interest, necessity, balance, outcome; Art. 6(1)(f));
// lia-recorded names the purposes without one; a test is refused on a
// purpose on any other basis.
func TestBalancingTestArt6_1f(t *testing.T) {
	full := &BalancingTest{Interest: "answer enquiries", Necessity: "cannot answer without", Balance: "expected", Outcome: "passed"}
	li := completePurpose("support", BasisLegitimateInterests)
	li.Balancing = full
	bare := completePurpose("referrals", BasisLegitimateInterests)
	half := completePurpose("fairs", BasisLegitimateInterests)
	half.Balancing = &BalancingTest{Interest: "meet customers"}
	contract := completePurpose("orders", BasisContract)
	for _, tt := range []struct {
		name  string
		list  []Purpose
		done  bool
		value string
	}{
		{"empty register", nil, false, "register is empty"},
		{"none on legitimate interests", []Purpose{contract}, true, "no purpose on legitimate interests"},
		{"recorded", []Purpose{contract, li}, true, "1 purpose on legitimate interests, each with a balancing test"},
		{"missing and incomplete", []Purpose{li, bare, half}, false, "no complete balancing test: referrals, fairs"},
	} {
		e, ok := Evaluate("lia-recorded", Snapshot{Purposes: tt.list}, date(2026, 3, 1))
		if !ok || e.Done != tt.done || !strings.Contains(e.Value, tt.value) {
			t.Errorf("%s: %+v, want done %v and %q", tt.name, e, tt.done, tt.value)
		}
	}
	checkErr(t, "CheckBalancing(contract)", CheckBalancing(contract, full), "not legitimate interests")
	checkErr(t, "CheckBalancing(li)", CheckBalancing(li, full), "")
	checkErr(t, "CheckBalancing(half)", CheckBalancing(half, half.Balancing), "needs its necessity, balance, outcome")
}

// TestDPAEachProcessorNamesThemArt28_3: dpa-each-processor names every
// processor without a signed DPA date (Art. 28(3)), not only the first.
func TestDPAEachProcessorNamesThemArt28_3(t *testing.T) {
	e, _ := Evaluate("dpa-each-processor", Snapshot{Recipients: []Recipient{
		{Name: "ParcelGo", Role: RecipientProcessor}, {Name: "PayWell", Role: RecipientProcessor, DPASignedAt: date(2024, 1, 2)},
		{Name: "Cloud Host", Role: RecipientProcessor}, {Name: "Tax office", Role: RecipientController}}}, date(2026, 3, 1))
	if e.Done || e.Value != "no signed DPA: ParcelGo, Cloud Host" {
		t.Errorf("dpa-each-processor = %+v, want both unsigned processors named", e)
	}
}

// TestDPIAScreeningArt35: the screening marks which of the EDPB's nine
// criteria are met; two or more make a DPIA likely needed (WP248 rev.01),
// so concluding "not needed" then requires the reason; dpia-screened is
// done once a screening is recorded and shows its outcome.
func TestDPIAScreeningArt35(t *testing.T) {
	if n := len(DPIACriteria()); n != 9 {
		t.Fatalf("%d criteria, want the EDPB's nine", n)
	}
	var d DPIAScreening
	checkErr(t, "SetCriteria(bogus)", d.SetCriteria([]string{"large-scale", "bogus"}), `unknown DPIA criterion "bogus"`)
	checkErr(t, "SetCriteria", d.SetCriteria([]string{"large-scale", "Matching"}), "")
	if got := d.Met(); len(got) != 2 || got[0].Name != "large-scale" || got[1].Name != "matching" || !DPIALikelyNeeded(d) {
		t.Fatalf("Met = %+v, want large-scale and matching, likely needed", got)
	}
	d.Outcome = DPIANotNeeded
	checkErr(t, "Validate(not needed, 2 criteria, no reason)", d.Validate(), "requires the reason")
	d.Why = "the customer list is small and only matched with our own orders"
	checkErr(t, "Validate(with reason)", d.Validate(), "")
	one := DPIAScreening{LargeScale: true, Outcome: DPIANotNeeded}
	checkErr(t, "Validate(one criterion, no reason)", one.Validate(), "")
	if DPIALikelyNeeded(one) {
		t.Error("one criterion counted as likely needing a DPIA")
	}
	checkErr(t, "Validate(no outcome)", DPIAScreening{}.Validate(), "unknown DPIA outcome")
	if _, err := ParseDPIAOutcome("not needed"); err != nil {
		t.Errorf("ParseDPIAOutcome(not needed) = %v", err)
	}

	e, _ := Evaluate("dpia-screened", Snapshot{}, date(2026, 3, 1))
	if e.Done || e.Value != "no DPIA screening recorded" {
		t.Errorf("dpia-screened without a screening = %+v", e)
	}
	d.At = time.Date(2026, 2, 1, 10, 0, 0, 0, time.UTC)
	e, _ = Evaluate("dpia-screened", Snapshot{DPIA: &d}, date(2026, 3, 1))
	if !e.Done || e.Value != "DPIA not needed (2 of 9 criteria met: large-scale, matching), screened 2026-02-01" {
		t.Errorf("dpia-screened = %+v", e)
	}
	needed := DPIAScreening{Evaluation: true, Monitoring: true, Outcome: DPIANeeded, At: d.At}
	e, _ = Evaluate("dpia-screened", Snapshot{DPIA: &needed}, date(2026, 3, 1))
	if !e.Done || !strings.Contains(e.Value, "DPIA needed") || !strings.Contains(e.Value, "carry out the DPIA") {
		t.Errorf("dpia-screened (needed) = %+v", e)
	}
}
