package gdpr

import (
	"strings"
	"testing"
	"time"
)

// TestChecklistItems checks that every readiness item of the SPEC §2 table
// exists in its section, with automatic evaluation exactly where the data
// can tell (Art. 5(2) accountability: the owner must be able to demonstrate
// compliance).
func TestChecklistItems(t *testing.T) {
	want := []struct {
		id      string
		section Section
		auto    bool
	}{
		{"privacy-link", SectionInformed, false},
		{"privacy-offline", SectionInformed, false},
		{"basis-recorded", SectionBasis, true},
		{"basis-automatic", SectionBasis, true},
		{"basis-offline", SectionBasis, false},
		{"basis-sweep", SectionBasis, true},
		{"consent-specific", SectionConsent, false},
		{"consent-proof", SectionConsent, true},
		{"consent-versions", SectionConsent, true},
		{"consent-reconfirm", SectionConsent, false},
		{"requests-on-time", SectionRequests, true},
		{"erasure-channel", SectionErasure, false},
		{"erasure-elsewhere", SectionErasure, false},
		{"erasure-reentry", SectionErasure, true},
		{"access-elsewhere", SectionAccess, false},
		{"rectify-recipients", SectionRectification, true},
		{"establishment", SectionAccountability, true},
		{"dpo", SectionAccountability, true},
		{"cdso", SectionAccountability, true},
		{"eu-rep", SectionAccountability, true},
		{"ropa-complete", SectionAccountability, true},
		{"transfers-safeguarded", SectionAccountability, true},
		{"lia-recorded", SectionAccountability, true},
		{"dpia-screened", SectionAccountability, true},
		{"dpa-each-processor", SectionAccountability, true},
		{"roles-in-policy", SectionAccountability, false},
	}
	for _, w := range want {
		it, ok := ChecklistItem(w.id)
		if !ok {
			t.Errorf("checklist item %q is missing", w.id)
			continue
		}
		if it.ID != w.id || it.Section != w.section || it.Auto != w.auto {
			t.Errorf("item %q: id %q, section %q, auto %v; want section %q, auto %v", w.id, it.ID, it.Section, it.Auto, w.section, w.auto)
		}
		if strings.TrimSpace(it.Title) == "" || strings.TrimSpace(it.Explain) == "" {
			t.Errorf("item %q needs a title and a one-line explanation: %+v", w.id, it)
		}
		if strings.Contains(it.Explain, "\n") {
			t.Errorf("item %q: explanation is more than one line", w.id)
		}
		if it.Auto && !it.InApp {
			t.Errorf("item %q is evaluated from the data but marked as done outside the app", w.id)
		}
		// Evaluate answers for exactly the automatic items.
		if _, ok := Evaluate(w.id, Snapshot{}, date(2026, 3, 1)); ok != w.auto {
			t.Errorf("Evaluate(%q) ok = %v, want %v", w.id, ok, w.auto)
		}
	}

	seen := map[string]bool{}
	for _, it := range Checklist() {
		if seen[it.ID] {
			t.Errorf("checklist id %q is used twice", it.ID)
		}
		seen[it.ID] = true
		if it.ID != strings.ToLower(strings.TrimSpace(it.ID)) || strings.ContainsAny(it.ID, " _") {
			t.Errorf("checklist id %q is not a stable lower-case kebab id", it.ID)
		}
	}
	// Items that were replaced are gone (SPEC §9 "Checklist honesty",
	// "Deadlines").
	for _, id := range []string{"erasure-on-time", "access-on-time", "rectify-on-time", "dpa-signed"} {
		if seen[id] {
			t.Errorf("checklist item %q should have been replaced", id)
		}
	}
	if len(seen) < len(want) {
		t.Errorf("checklist has %d items, want at least %d", len(seen), len(want))
	}
	if _, ok := ChecklistItem("no-such-item"); ok {
		t.Errorf("ChecklistItem found an item that does not exist")
	}
}

// TestEvaluate checks the measured state of each automatic item, done and
// not done, from a snapshot of maintained counts (SPEC §2 checklist table).
func TestEvaluate(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	full := Settings{
		DPO:              Person{Name: "Dana Officer", Email: "dpo@example.com"},
		CDSO:             Person{Email: "security@example.com"},
		EURep:            Person{Name: "Rep GmbH", Email: "rep@example.de"},
		DPASignedBy:      "Sam Owner",
		DPASignedAt:      date(2025, 5, 4),
		PrivacyPolicyURL: "https://example.com/privacy",
		LastSweepAt:      now.AddDate(0, 0, -10),
	}
	tests := []struct {
		name      string
		id        string
		snap      Snapshot
		wantDone  bool
		wantValue string // substring of the measured value
	}{
		// Art. 6(1): every contact in scope (Art. 3) has a lawful basis.
		{"all contacts in scope with a basis", "basis-recorded", Snapshot{EUContacts: 1800}, true, "contacts in scope with a basis: 1,800 / 1,800 (100.0%)"},
		{"some without a basis", "basis-recorded", Snapshot{EUContacts: 1800, EUWithoutBasis: 58}, false, "contacts in scope with a basis: 1,742 / 1,800 (96.8%)"},
		{"no EU contacts", "basis-recorded", Snapshot{}, true, "0 / 0 (100%)"},
		// Art. 6(1) applied at collection by source rules.
		{"every source ruled", "basis-automatic", Snapshot{Sources: []string{"purchase", "webform:newsletter"}, RuledSource: map[string]bool{"purchase": true, "webform:newsletter": true}}, true, "2 sources, all with a rule"},
		{"no sources", "basis-automatic", Snapshot{}, true, "0 sources"},
		{"one source unruled", "basis-automatic", Snapshot{Sources: []string{"purchase", "import"}, RuledSource: map[string]bool{"purchase": true}}, false, "1 source without a rule: import"},
		{"many unruled, sorted and cut", "basis-automatic", Snapshot{Sources: []string{"e", "d", "c", "b", "a"}}, false, "5 sources without a rule: a, b, c, …"},
		// Art. 5(1)(e) storage limitation: regular sweeps.
		{"sweep 89 days ago", "basis-sweep", Snapshot{Settings: Settings{LastSweepAt: now.Add(-89 * 24 * time.Hour)}}, true, "last sweep 2025-12-02"},
		{"sweep exactly 90 days ago", "basis-sweep", Snapshot{Settings: Settings{LastSweepAt: now.Add(-90 * 24 * time.Hour)}}, true, "last sweep"},
		{"sweep 91 days ago", "basis-sweep", Snapshot{Settings: Settings{LastSweepAt: now.Add(-91 * 24 * time.Hour)}}, false, "last sweep 2025-11-30"},
		{"never swept", "basis-sweep", Snapshot{}, false, "no sweep recorded"},
		// Art. 7(1): proof of consent.
		{"all consents proven", "consent-proof", Snapshot{ConsentContacts: 1200}, true, "consents with proof: 1,200 / 1,200"},
		{"consents without proof", "consent-proof", Snapshot{ConsentContacts: 1200, ConsentNoProof: 3}, false, "consents with proof: 1,197 / 1,200 (99.8%)"},
		// Art. 7(1): a consent can name its wording only while one is in force.
		{"consent wording in force", "consent-versions", Snapshot{PolicyVersions: 1, ConsentWordingInForce: true}, true, "1 version recorded"},
		{"only a privacy policy", "consent-versions", Snapshot{PolicyVersions: 1}, false, "1 version recorded, no consent wording in force"},
		{"no policy versions", "consent-versions", Snapshot{}, false, "0 versions recorded"},
		// Art. 12(3) deadlines, all six types, and late closures
		// (checked in detail by TestRequestsOnTime).
		{"nothing overdue or late", "requests-on-time", Snapshot{}, true, "none overdue, none closed late"},
		{"an overdue objection", "requests-on-time", Snapshot{Overdue: map[RequestType]int64{RequestObjection: 1}}, false, "1 request overdue"},
		// Art. 17 and the suppression list (TestErasureReentry).
		{"nothing erased", "erasure-reentry", Snapshot{}, true, "0 erased"},
		// Art. 19 notifications.
		{"notifications recorded", "rectify-recipients", Snapshot{}, true, "all notifications recorded"},
		{"notifications missing", "rectify-recipients", Snapshot{UnnotifiedClosures: 2}, false, "2 closed requests without recorded notifications"},
		// Art. 37, Art. 32, Art. 27, Art. 28(3).
		{"DPO named", "dpo", Snapshot{Settings: full}, true, "DPO: Dana Officer <dpo@example.com>"},
		{"DPO blank", "dpo", Snapshot{Settings: Settings{DPO: Person{Name: " ", Address: "Main St 1"}}}, false, "DPO not set"},
		{"security officer by email", "cdso", Snapshot{Settings: full}, true, "security@example.com"},
		{"security officer missing", "cdso", Snapshot{}, false, "not set"},
	}
	for _, tt := range tests {
		e, ok := Evaluate(tt.id, tt.snap, now)
		if !ok {
			t.Errorf("%s: Evaluate(%q) is not automatic", tt.name, tt.id)
			continue
		}
		if e.Done != tt.wantDone {
			t.Errorf("%s: Evaluate(%q).Done = %v, want %v (value %q)", tt.name, tt.id, e.Done, tt.wantDone, e.Value)
		}
		if !strings.Contains(e.Value, tt.wantValue) {
			t.Errorf("%s: Evaluate(%q).Value = %q, want it to contain %q", tt.name, tt.id, e.Value, tt.wantValue)
		}
	}

	// The exact wording of the example in the brief.
	e, _ := Evaluate("basis-recorded", Snapshot{EUContacts: 1800, EUWithoutBasis: 58}, now)
	if want := "contacts in scope with a basis: 1,742 / 1,800 (96.8%)"; e.Value != want {
		t.Errorf("basis-recorded value = %q, want %q", e.Value, want)
	}
}

// TestCheckTick checks what the owner may record on an item (SPEC §2): n/a
// needs a reason, and an automatic item cannot be ticked done while its data
// says otherwise.
func TestCheckTick(t *testing.T) {
	auto, _ := ChecklistItem("basis-recorded")
	manual, _ := ChecklistItem("privacy-offline")
	met := Evaluation{Done: true, Value: "EU contacts with a basis: 10 / 10 (100.0%)"}
	unmet := Evaluation{Value: "EU contacts with a basis: 9 / 10 (90.0%)"}
	tests := []struct {
		name    string
		item    Item
		rec     ItemRecord
		eval    Evaluation
		wantErr string
	}{
		{"manual done", manual, ItemRecord{State: StateDone}, Evaluation{}, ""},
		{"manual todo", manual, ItemRecord{State: StateTodo}, Evaluation{}, ""},
		{"manual n/a with reason", manual, ItemRecord{State: StateNA, Reason: "we never collect offline"}, Evaluation{}, ""},
		{"manual n/a without reason", manual, ItemRecord{State: StateNA}, Evaluation{}, "reason"},
		{"manual n/a blank reason", manual, ItemRecord{State: StateNA, Reason: "  "}, Evaluation{}, "reason"},
		{"unknown state", manual, ItemRecord{State: "maybe"}, Evaluation{}, "unknown state"},
		{"empty state", manual, ItemRecord{}, Evaluation{}, "unknown state"},
		{"auto done when met", auto, ItemRecord{State: StateDone}, met, ""},
		{"auto done when unmet", auto, ItemRecord{State: StateDone}, unmet, "9 / 10"},
		{"auto todo when unmet", auto, ItemRecord{State: StateTodo}, unmet, ""},
		{"auto n/a with reason", auto, ItemRecord{State: StateNA, Reason: "no EU customers"}, unmet, ""},
		{"auto n/a without reason", auto, ItemRecord{State: StateNA}, unmet, "reason"},
	}
	for _, tt := range tests {
		err := CheckTick(tt.item, tt.rec, tt.eval)
		checkErr(t, tt.name+": CheckTick", err, tt.wantErr)
		switch {
		case err != nil && !strings.Contains(err.Error(), tt.item.ID):
			t.Errorf("%s: CheckTick error %q does not name the item", tt.name, err)
		}
	}
}

// goodSnapshot meets every automatic item.
func goodSnapshot(now time.Time) Snapshot {
	return Snapshot{
		Settings: Settings{
			Controller: Person{Name: "Shop", Email: "shop@example.com"},
			DPO:        Person{Name: "D", Email: "d@example.com"}, CDSO: Person{Name: "C"}, EURep: Person{Name: "R", Email: "r@example.eu"},
			Establishment: "US", PrivacyPolicyURL: "https://example.com/privacy", LastSweepAt: now.AddDate(0, 0, -1),
		},
		PolicyVersions: 2,
		EUContacts:     10,

		ConsentWordingInForce: true,
		Recipients:            []Recipient{{Name: "Mailer", Role: RecipientProcessor, Country: "IE", DPASignedAt: date(2025, 1, 2)}},
		// The registers of SPEC §10, complete.
		Purposes: []Purpose{{Name: "orders", Description: "delivering orders", Basis: BasisContract, PeopleCategories: []string{"customers"},
			DataCategories: []string{"identity"}, Retention: "2 years", Security: "two-factor login"}},
		DPIA: &DPIAScreening{LargeScale: true, Outcome: DPIANotNeeded, At: now.AddDate(0, -1, 0)},
	}
}

// TestReadiness checks readiness = done ÷ applicable (SPEC §2): automatic
// items follow their data, manual items their record, n/a items leave the
// count.
func TestReadiness(t *testing.T) {
	now := date(2026, 3, 1)
	// Good-practice items (cdso) are in the list but never counted, and
	// cdso is met in goodSnapshot.
	all := len(Checklist())
	total := all - 1
	var manualIDs, autoIDs []string
	for _, it := range Checklist() {
		if it.GoodPractice {
			continue
		}
		if it.Auto {
			autoIDs = append(autoIDs, it.ID)
		} else {
			manualIDs = append(manualIDs, it.ID)
		}
	}
	allManual := func(st ItemState) map[string]ItemRecord {
		m := map[string]ItemRecord{}
		for _, id := range manualIDs {
			m[id] = ItemRecord{State: st, Reason: "r"}
		}
		return m
	}
	bad := goodSnapshot(now)
	bad.EUWithoutBasis = 3

	tests := []struct {
		name           string
		records        map[string]ItemRecord
		snap           Snapshot
		wantDone       int
		wantApplicable int
	}{
		{"nothing recorded, data all good", nil, goodSnapshot(now), len(autoIDs), total},
		{"everything done", allManual(StateDone), goodSnapshot(now), total, total},
		{"one automatic item unmet", allManual(StateDone), bad, total - 1, total},
		{"unmet item ticked done stays todo", merge(allManual(StateDone), "basis-recorded", ItemRecord{State: StateDone}), bad, total - 1, total},
		{"unmet item marked n/a leaves the count", merge(allManual(StateDone), "basis-recorded", ItemRecord{State: StateNA, Reason: "no EU customers"}), bad, total - 1, total - 1},
		{"manual n/a leaves the count", allManual(StateNA), goodSnapshot(now), len(autoIDs), len(autoIDs)},
		{"manual todo", allManual(StateTodo), goodSnapshot(now), len(autoIDs), total},
		// With no data these automatic items are met: basis-recorded (0 of
		// 0), basis-automatic (no sources), consent-proof (no consents),
		// requests-on-time, erasure-reentry, rectify-recipients and
		// breaches-documented (no breach recorded); not
		// establishment, eu-rep (the country is unknown) nor
		// dpa-each-processor (an empty register proves nothing).
		{"empty data", nil, Snapshot{}, 7, total},
	}
	for _, tt := range tests {
		items, done, applicable := Readiness(tt.records, tt.snap, now)
		if len(items) != all {
			t.Errorf("%s: %d items, want %d", tt.name, len(items), all)
		}
		if done != tt.wantDone || applicable != tt.wantApplicable {
			t.Errorf("%s: done %d of %d applicable, want %d of %d", tt.name, done, applicable, tt.wantDone, tt.wantApplicable)
		}
		// The counts agree with the item states.
		var d, a int
		for _, st := range items {
			if st.GoodPractice {
				continue
			}
			if st.State != StateNA {
				a++
			}
			if st.State == StateDone {
				d++
			}
			if st.Auto != st.Measured {
				t.Errorf("%s: item %s auto %v but measured %v", tt.name, st.ID, st.Auto, st.Measured)
			}
			if st.Measured && st.Value == "" {
				t.Errorf("%s: item %s measured without a value", tt.name, st.ID)
			}
		}
		if d != done || a != applicable {
			t.Errorf("%s: items show %d of %d, Readiness returned %d of %d", tt.name, d, a, done, applicable)
		}
	}

	items, _, _ := Readiness(merge(nil, "basis-recorded", ItemRecord{State: StateDone}), bad, now)
	for _, st := range items {
		if st.ID == "basis-recorded" && (st.State != StateTodo || !strings.Contains(st.Value, "7 / 10")) {
			t.Errorf("basis-recorded ticked done with 3 EU contacts lacking a basis: state %s, value %q", st.State, st.Value)
		}
	}
}

func merge(m map[string]ItemRecord, id string, rec ItemRecord) map[string]ItemRecord {
	out := map[string]ItemRecord{}
	for k, v := range m {
		out[k] = v
	}
	out[id] = rec
	return out
}

// TestReadinessPercent checks the whole percentage of readiness, rounded
// down so that an owner is never shown 100% with an item still open.
func TestReadinessPercent(t *testing.T) {
	tests := []struct{ done, applicable, want int }{
		{0, 0, 100},
		{0, 23, 0},
		{23, 23, 100},
		{22, 23, 95},
		{199, 200, 99},
		{1, 3, 33},
		{2, 3, 66},
	}
	for _, tt := range tests {
		if got := ReadinessPercent(tt.done, tt.applicable); got != tt.want {
			t.Errorf("ReadinessPercent(%d, %d) = %d, want %d", tt.done, tt.applicable, got, tt.want)
		}
	}
}

// TestThousands checks the number format of the measured values.
func TestThousands(t *testing.T) {
	tests := []struct {
		n    int64
		want string
	}{
		{0, "0"},
		{7, "7"},
		{999, "999"},
		{1000, "1,000"},
		{1742, "1,742"},
		{12345, "12,345"},
		{999999, "999,999"},
		{1000000, "1,000,000"},
		{-1742, "-1,742"},
		{-999, "-999"},
		{9223372036854775807, "9,223,372,036,854,775,807"},
	}
	for _, tt := range tests {
		if got := Thousands(tt.n); got != tt.want {
			t.Errorf("Thousands(%d) = %q, want %q", tt.n, got, tt.want)
		}
	}
}

// TestPercent checks the share format of the measured values.
func TestPercent(t *testing.T) {
	tests := []struct {
		part, whole int64
		want        string
	}{
		{1742, 1800, "96.8%"},
		{0, 0, "100%"},
		{0, 10, "0.0%"},
		{10, 10, "100.0%"},
		{1, 3, "33.3%"},
		{2, 3, "66.7%"},
		{1, 8, "12.5%"},
	}
	for _, tt := range tests {
		if got := Percent(tt.part, tt.whole); got != tt.want {
			t.Errorf("Percent(%d, %d) = %q, want %q", tt.part, tt.whole, got, tt.want)
		}
	}
}
