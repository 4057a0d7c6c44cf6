package gdpr

import (
	"strings"
	"testing"
	"time"
)

// statusOf returns one item's status from Readiness.
func statusOf(t *testing.T, id string, recs map[string]ItemRecord, s Snapshot, now time.Time) ItemStatus {
	t.Helper()
	items, _, _ := Readiness(recs, s, now)
	for _, it := range items {
		if it.ID == id {
			return it
		}
	}
	t.Fatalf("no checklist item %s", id)
	return ItemStatus{}
}

// TestPrivacyLinkIsManualWithTheURL: a URL in settings does not prove that
// every form links it (Art. 13(1)); the item stays the owner's tick, with
// the URL shown beside it (SPEC §9 "Checklist honesty").
func TestPrivacyLinkIsManualWithTheURL(t *testing.T) {
	now := date(2026, 3, 1)
	s := Snapshot{Settings: Settings{PrivacyPolicyURL: "https://example.com/privacy"}}
	st := statusOf(t, "privacy-link", nil, s, now)
	if st.State != StateTodo || st.Measured || st.Value != "https://example.com/privacy" {
		t.Errorf("URL set, nothing ticked: state %s measured %v value %q; want todo, the URL shown", st.State, st.Measured, st.Value)
	}
	st = statusOf(t, "privacy-link", map[string]ItemRecord{"privacy-link": {State: StateDone}}, s, now)
	if st.State != StateDone {
		t.Errorf("ticked done: state %s", st.State)
	}
	if st := statusOf(t, "privacy-link", nil, Snapshot{}, now); !strings.Contains(st.Value, "no privacy-policy URL") {
		t.Errorf("no URL: value %q", st.Value)
	}
}

// TestRequestsOnTime: the deadline of Art. 12(3) applies to all six request
// types; the item is done only when none is overdue now and none was
// closed after its due date in the last 12 months, and it shows the count.
func TestRequestsOnTime(t *testing.T) {
	now := date(2026, 3, 1)
	for _, typ := range RequestTypes() {
		e, _ := Evaluate("requests-on-time", Snapshot{Overdue: map[RequestType]int64{typ: 1}}, now)
		if e.Done {
			t.Errorf("an overdue %s request leaves requests-on-time done", typ)
		}
	}
	e, _ := Evaluate("requests-on-time", Snapshot{LateClosed: 2}, now)
	if e.Done || !strings.Contains(e.Value, "2 closed late in the last 12 months") {
		t.Errorf("two late closures: %+v", e)
	}
	closed := func(due, at time.Time) Request {
		return Request{Type: RequestObjection, Status: StatusCompleted, Due: due, ClosedAt: at}
	}
	for _, tt := range []struct {
		name string
		r    Request
		want bool
	}{
		{"closed on the due date", closed(date(2026, 1, 10), date(2026, 1, 10).Add(20*time.Hour)), false},
		{"closed the day after", closed(date(2026, 1, 10), date(2026, 1, 11)), true},
		{"closed late 13 months ago", closed(date(2025, 1, 10), date(2025, 1, 20)), false},
		{"closed late 11 months ago", closed(date(2025, 3, 10), date(2025, 4, 2)), true},
		{"open and overdue is not a closure", Request{Status: StatusNew, Due: date(2026, 1, 1)}, false},
		{"denied late", Request{Status: StatusDenied, Due: date(2026, 2, 1), ClosedAt: date(2026, 2, 3)}, true},
	} {
		if got := tt.r.ClosedLate(now); got != tt.want {
			t.Errorf("%s: ClosedLate = %v, want %v", tt.name, got, tt.want)
		}
	}
}

// TestErasureReentry: measured, not assumed — each erased contact (every
// contact has an address) needs an entry on the suppression list, unless
// the address was deliberately re-admitted (Art. 17, SPEC §9).
func TestErasureReentry(t *testing.T) {
	for _, tt := range []struct {
		name                           string
		erased, suppressed, readmitted int64
		want                           bool
		value                          string
	}{
		{"every erased contact suppressed", 5, 5, 0, true, "5 erased, 5 on the suppression list"},
		{"past addresses too", 5, 8, 0, true, "8 on the suppression list"},
		{"one re-admitted", 5, 4, 1, true, "1 re-admitted"},
		{"entries missing", 5, 3, 0, false, "at least 2 missing"},
	} {
		e, _ := Evaluate("erasure-reentry", Snapshot{Erased: tt.erased, Suppressed: tt.suppressed, Readmitted: tt.readmitted}, date(2026, 3, 1))
		if e.Done != tt.want || !strings.Contains(e.Value, tt.value) {
			t.Errorf("%s: %+v, want done %v and %q", tt.name, e, tt.want, tt.value)
		}
	}
}

// TestDPAEachProcessor: every processor in the register has a signed DPA
// (Art. 28(3)); the missing one is named. Controllers need none.
func TestDPAEachProcessor(t *testing.T) {
	signed := date(2025, 5, 4)
	for _, tt := range []struct {
		name  string
		list  []Recipient
		want  bool
		value string
	}{
		{"empty register", nil, false, "register is empty"},
		{"all signed", []Recipient{{Name: "Mailer", Role: RecipientProcessor, DPASignedAt: signed}, {Name: "Tax office", Role: RecipientController}}, true, "1 processor, each with a signed DPA"},
		{"one missing", []Recipient{{Name: "Mailer", Role: RecipientProcessor, DPASignedAt: signed}, {Name: "Cloud Host", Role: RecipientProcessor}}, false, "no signed DPA: Cloud Host"},
		{"no processors", []Recipient{{Name: "Tax office", Role: RecipientController}}, true, "0 processors"},
	} {
		e, _ := Evaluate("dpa-each-processor", Snapshot{Recipients: tt.list}, date(2026, 3, 1))
		if e.Done != tt.want || !strings.Contains(e.Value, tt.value) {
			t.Errorf("%s: %+v, want done %v and %q", tt.name, e, tt.want, tt.value)
		}
	}
}

// TestDPONeedsNameAndAddress: a DPO is appointed with a name and contact
// details (Art. 37(7)); the item says when one is required (Art. 37(1)).
func TestDPONeedsNameAndAddress(t *testing.T) {
	for _, tt := range []struct {
		p     Person
		want  bool
		value string
	}{
		{Person{Name: "Dana", Email: "dpo@example.com"}, true, "Dana <dpo@example.com>"},
		{Person{Name: "Dana"}, false, "no contact address"},
		{Person{Email: "dpo@example.com"}, false, "no name"},
		{Person{}, false, "not set"},
	} {
		e, _ := Evaluate("dpo", Snapshot{Settings: Settings{DPO: tt.p}}, date(2026, 3, 1))
		if e.Done != tt.want || !strings.Contains(e.Value, tt.value) {
			t.Errorf("%+v: %+v, want done %v and %q", tt.p, e, tt.want, tt.value)
		}
	}
	if it, _ := ChecklistItem("dpo"); !strings.Contains(it.Explain, "Art. 37(1)") {
		t.Errorf("the dpo item does not say when a DPO is required: %q", it.Explain)
	}
}

// TestCDSOIsGoodPractice: no article requires a security officer; the
// item is shown but counts neither way toward readiness.
func TestCDSOIsGoodPractice(t *testing.T) {
	now := date(2026, 3, 1)
	it, _ := ChecklistItem("cdso")
	if !it.GoodPractice || !strings.Contains(it.Explain, "not a legal duty") {
		t.Errorf("cdso: %+v", it)
	}
	s := Snapshot{}
	_, d1, a1 := Readiness(nil, s, now)
	s.Settings.CDSO = Person{Name: "C"}
	_, d2, a2 := Readiness(nil, s, now)
	if d1 != d2 || a1 != a2 {
		t.Errorf("appointing a security officer moved readiness from %d/%d to %d/%d", d1, a1, d2, a2)
	}
}

// TestEURepOnlyOutsideTheEEA: Art. 27(1) binds only controllers
// established outside the EU/EEA; inside, the item is n/a by itself.
func TestEURepOnlyOutsideTheEEA(t *testing.T) {
	now := date(2026, 3, 1)
	rep := Person{Name: "Rep GmbH"}
	for _, tt := range []struct {
		name string
		s    Settings
		want ItemState
	}{
		{"established in DE", Settings{Establishment: "DE"}, StateNA},
		{"in NO (EEA)", Settings{Establishment: "NO"}, StateNA},
		{"in the US, none named", Settings{Establishment: "US"}, StateTodo},
		{"in the US, named", Settings{Establishment: "US", EURep: rep}, StateDone},
		{"not set", Settings{EURep: rep}, StateTodo},
	} {
		if st := statusOf(t, "eu-rep", nil, Snapshot{Settings: tt.s}, now); st.State != tt.want {
			t.Errorf("%s: state %s (%s), want %s", tt.name, st.State, st.Value, tt.want)
		}
	}
	_, _, aDE := Readiness(nil, Snapshot{Settings: Settings{Establishment: "DE"}}, now)
	_, _, aUS := Readiness(nil, Snapshot{Settings: Settings{Establishment: "US"}}, now)
	if aDE != aUS-1 {
		t.Errorf("eu-rep should leave the count for DE: applicable %d (DE) vs %d (US)", aDE, aUS)
	}
}

// TestConsentReconfirmIsReworded: emailing people without a basis to ask
// for consent is itself marketing (ePrivacy Art. 13), so the item says
// never to.
func TestConsentReconfirmIsReworded(t *testing.T) {
	it, _ := ChecklistItem("consent-reconfirm")
	if it.Auto || !strings.Contains(it.Explain, "Never email") || !strings.Contains(it.Explain, "marketing") {
		t.Errorf("consent-reconfirm: %+v", it)
	}
}

// TestEstablishmentItem: the country of establishment decides the scope
// (Art. 3); until it is set the checklist asks for it.
func TestEstablishmentItem(t *testing.T) {
	now := date(2026, 3, 1)
	if st := statusOf(t, "establishment", nil, Snapshot{}, now); st.State != StateTodo {
		t.Errorf("unset: %s", st.State)
	}
	if st := statusOf(t, "establishment", nil, Snapshot{Settings: Settings{Establishment: "DE"}}, now); st.State != StateDone || !strings.Contains(st.Value, "every contact") {
		t.Errorf("DE: %s %q", st.State, st.Value)
	}
	if st := statusOf(t, "establishment", nil, Snapshot{Settings: Settings{Establishment: "US"}}, now); st.State != StateDone || !strings.Contains(st.Value, "outside") {
		t.Errorf("US: %s %q", st.State, st.Value)
	}
}
