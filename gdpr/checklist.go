package gdpr

import (
	"fmt"
	"sort"
	"strings"
	"time"
)

// Section groups checklist items by the right or duty they serve.
type Section string

// The checklist sections of SPEC §2.
const (
	SectionInformed       Section = "informed"
	SectionBasis          Section = "lawful basis"
	SectionConsent        Section = "consent"
	SectionRequests       Section = "requests"
	SectionErasure        Section = "erasure"
	SectionAccess         Section = "access"
	SectionRectification  Section = "rectification"
	SectionAccountability Section = "accountability"
)

// ItemState is the state of a checklist item.
type ItemState string

// The item states: to do, done, or not applicable (with a reason).
const (
	StateTodo ItemState = "todo"
	StateDone ItemState = "done"
	StateNA   ItemState = "n/a"
)

// Item is one readiness item. Auto items are evaluated from the data.
type Item struct {
	ID      string
	Section Section
	Title   string
	Explain string // one line in plain words
	InApp   bool   // done inside the app (true) or outside it
	Auto    bool
	// Fix is a hint for where in the app the item is fixed: a contacts
	// filter, "settings", "requests" or "registers:SECTION" (screen 7);
	// empty for items fixed outside the app.
	Fix string
	// GoodPractice marks an item the law does not require: it is shown
	// and measured, but does not count toward readiness.
	GoodPractice bool
}

// Checklist returns every readiness item in display order.
func Checklist() []Item {
	// The "in scope without a basis" items fix the set of the safe reading
	// here; Readiness names the set of the settings' establishment.
	unbased := WithoutBasisQuery(Settings{}).String()
	return []Item{
		{ID: "privacy-link", Section: SectionInformed, Title: "Privacy policy linked where data is collected", Explain: "Every form and page that collects contact details links to your privacy policy (the URL in settings is shown; check the pages yourself).", InApp: false, Fix: "settings"},
		{ID: "privacy-offline", Section: SectionInformed, Title: "Privacy notice available offline", Explain: "Where you collect details in person or on paper, people can read the notice there.", InApp: false},
		{ID: "basis-recorded", Section: SectionBasis, Title: "Every contact in scope has a lawful basis", Explain: "You can say why you hold each contact the GDPR covers (Art. 6(1)): all of them if you are established in the EU/EEA, else those in the EU/EEA or of unknown country (Art. 3).", InApp: true, Auto: true, Fix: unbased},
		{ID: "basis-automatic", Section: SectionBasis, Title: "Every source applies a basis automatically", Explain: "Each place contacts come from has a rule that records their lawful basis.", InApp: true, Auto: true, Fix: "settings"},
		{ID: "basis-offline", Section: SectionBasis, Title: "Basis tracked for contacts gathered elsewhere", Explain: "Contacts from events, calls or paper forms get a basis recorded too.", InApp: false},
		{ID: "basis-sweep", Section: SectionBasis, Title: "Contacts in scope without a basis removed regularly", Explain: "A sweep of the contacts in scope with no basis ran in the last 90 days.", InApp: true, Auto: true, Fix: unbased},
		{ID: "consent-specific", Section: SectionConsent, Title: "Consent requests are specific and not pre-ticked", Explain: "Each purpose is asked separately, with an empty box the person ticks.", InApp: false},
		{ID: "consent-proof", Section: SectionConsent, Title: "Proof kept for every consent", Explain: "Each contact held on consent has a record of when, how and to which wording.", InApp: true, Auto: true, Fix: "basis:consent"},
		{ID: "consent-versions", Section: SectionConsent, Title: "Consent texts and privacy policy versioned", Explain: "Each wording is kept with the date it took effect.", InApp: true, Auto: true, Fix: "settings"},
		{ID: "consent-reconfirm", Section: SectionConsent, Title: "No consent emails to people without a basis", Explain: "Never email people you hold without a basis to ask for their consent: that email is itself marketing. Find their basis, or erase them.", InApp: false},
		{ID: "requests-on-time", Section: SectionRequests, Title: "Every request answered in time", Explain: "No request of any of the six types is past its due date, and none was closed late in the last 12 months (Art. 12(3)).", InApp: true, Auto: true, Fix: "requests"},
		{ID: "erasure-channel", Section: SectionErasure, Title: "An easy way to ask for erasure", Explain: "People can ask to be forgotten as easily as they signed up.", InApp: false},
		{ID: "erasure-elsewhere", Section: SectionErasure, Title: "Data kept outside the app erased too", Explain: "Spreadsheets, mailboxes and other tools are cleaned when someone is forgotten.", InApp: false},
		{ID: "erasure-reentry", Section: SectionErasure, Title: "Erased people cannot be re-added by accident", Explain: "Every erased person's address is on the suppression list, which blocks import and manual entry.", InApp: true, Auto: true},
		{ID: "access-elsewhere", Section: SectionAccess, Title: "Data held elsewhere included in access answers", Explain: "An access answer covers data in your other tools too.", InApp: false},
		{ID: "rectify-recipients", Section: SectionRectification, Title: "Recipients told of corrections, erasures and restrictions", Explain: "Each rectification, erasure (sweeps and erasures without a request too) and restriction records when each recipient was told, or why that was impossible (Art. 19).", InApp: true, Auto: true, Fix: "requests"},
		{ID: "establishment", Section: SectionAccountability, Title: "Country of establishment set", Explain: "Where your business is established decides whom the GDPR covers (Art. 3) and whether you need an EU representative (Art. 27).", InApp: true, Auto: true, Fix: "settings"},
		{ID: "dpo", Section: SectionAccountability, Title: "Data Protection Officer appointed", Explain: "Named with a contact address. Required (Art. 37(1)) for public bodies and where your core activities are large-scale regular monitoring of people or large-scale special-category or criminal data; otherwise mark n/a with that reason.", InApp: true, Auto: true, Fix: "settings"},
		{ID: "cdso", Section: SectionAccountability, Title: "Data security officer appointed", Explain: "Someone is responsible for keeping the data secure. Good practice, not a legal duty: it does not count toward readiness.", InApp: true, Auto: true, Fix: "settings", GoodPractice: true},
		{ID: "eu-rep", Section: SectionAccountability, Title: "EU representative appointed", Explain: "A business established outside the EU/EEA names a representative inside it (Art. 27); n/a for one established inside.", InApp: true, Auto: true, Fix: "settings"},
		// The registers of SPEC §10: records of processing, transfers,
		// balancing tests, DPIA screening (gdpr/ropa.go, gdpr/dpia.go).
		{ID: "ropa-complete", Section: SectionAccountability, Title: "Records of processing complete", Explain: "Every purpose in the register says what it is, on which basis, about whom, which data, how long it is kept and how it is secured (Art. 30(1)).", InApp: true, Auto: true, Fix: "registers:purposes"},
		{ID: "transfers-safeguarded", Section: SectionAccountability, Title: "Every transfer outside the EEA safeguarded", Explain: "Each recipient in a third country has its transfer ground recorded: adequacy, standard contractual clauses with their date, binding corporate rules or a derogation (Art. 44–46, 49).", InApp: true, Auto: true, Fix: "registers:recipients"},
		{ID: "lia-recorded", Section: SectionAccountability, Title: "Balancing test for each legitimate interest", Explain: "Every purpose on legitimate interests has its balancing test written down: the interest, why the processing is necessary, the balance, the outcome (Art. 6(1)(f)).", InApp: true, Auto: true, Fix: "registers:purposes"},
		{ID: "dpia-screened", Section: SectionAccountability, Title: "DPIA screening recorded", Explain: "Your processing was screened against the nine criteria of the EDPB guidelines, with the outcome: a DPIA needed or not, and why (Art. 35).", InApp: true, Auto: true, Fix: "registers:dpia"},
		{ID: "dpa-each-processor", Section: SectionAccountability, Title: "Data-processing agreement with each processor", Explain: "Every processor in the recipients register has a signed data-processing agreement, with its date (Art. 28(3)).", InApp: true, Auto: true, Fix: "registers:recipients"},
		{ID: "breaches-documented", Section: SectionAccountability, Title: "Every breach documented, and notified in time", Explain: "Each personal data breach is in the breach register; none is past its 72 hours without a notification to the authority or a recorded reason (Art. 33(1), 33(5)).", InApp: true, Auto: true, Fix: "registers:breaches"},
		{ID: "roles-in-policy", Section: SectionAccountability, Title: "Roles named in the privacy policy", Explain: "The policy names the controller, the DPO and how to reach them.", InApp: false},
	}
}

// ChecklistItem returns the item with the given id.
func ChecklistItem(id string) (Item, bool) {
	for _, it := range Checklist() {
		if it.ID == id {
			return it, true
		}
	}
	return Item{}, false
}

// SweepInterval is how recent a sweep must be for basis-sweep.
const SweepInterval = 90 * 24 * time.Hour

// Snapshot is what automatic items are evaluated from: maintained counts
// and the settings, never a scan of contacts.
type Snapshot struct {
	Settings       Settings
	PolicyVersions int
	// EU contacts, counting unknown country as EU (the safe side, SPEC §6).
	EUContacts      int64
	EUWithoutBasis  int64
	ConsentContacts int64 // contacts holding consent as a basis
	ConsentNoProof  int64 // of those, without proof (Contact.ConsentWithoutProof)
	// ConsentWordingInForce says a consent-wording version is in force now
	// (consent-versions: the wording a consent is given to is kept).
	ConsentWordingInForce bool
	// Sources seen on contacts, and the ones with a source rule.
	Sources     []string
	RuledSource map[string]bool
	// Overdue open requests per type.
	Overdue map[RequestType]int64
	// LateClosed counts the requests closed after their due date within
	// the last 12 months (requests-on-time, Art. 12(3)).
	LateClosed int64
	// Completed rectification/erasure requests that record no notification
	// although recipients are configured.
	UnnotifiedClosures int64
	// The registers of SPEC §10: the purposes (ropa-complete,
	// lia-recorded) and the DPIA screening, nil when none is recorded
	// (dpia-screened).
	Purposes []Purpose
	DPIA     *DPIAScreening
	// Recipients is the recipients register (dpa-each-processor).
	Recipients []Recipient
	// Erased counts the erased contacts (anonymized, or erased except
	// held fields); every one had an email address, since a contact
	// cannot be stored without one. Suppressed is the size of the
	// suppression list and Readmitted the addresses deliberately taken
	// off it (erasure-reentry).
	Erased, Suppressed, Readmitted int64

	// Breaches is the breach register (breaches-documented).
	Breaches []Breach
}

// Evaluation is the measured state of an automatic item.
type Evaluation struct {
	Done  bool
	Value string // what was measured, in words
	// NA says the item does not apply, from the data (eu-rep for a
	// controller established in the EU/EEA); Value says why.
	NA bool
}

// Evaluate measures an automatic item; ok is false for a manual item.
func Evaluate(id string, s Snapshot, now time.Time) (e Evaluation, ok bool) {
	filled := func(p Person, what string) Evaluation {
		if p.Filled() {
			return Evaluation{Done: true, Value: what + ": " + firstNonEmpty(p.Name, p.Email)}
		}
		return Evaluation{Value: what + " not set"}
	}
	switch id {
	case "basis-recorded":
		with := s.EUContacts - s.EUWithoutBasis
		return Evaluation{Done: s.EUWithoutBasis == 0,
			Value: fmt.Sprintf("contacts in scope with a basis: %s / %s (%s)", Thousands(with), Thousands(s.EUContacts), Percent(with, s.EUContacts))}, true
	case "basis-automatic":
		var missing []string
		for _, src := range s.Sources {
			if !s.RuledSource[src] {
				missing = append(missing, src)
			}
		}
		sort.Strings(missing)
		if len(missing) == 0 {
			return Evaluation{Done: true, Value: fmt.Sprintf("%s, all with a rule", plural(int64(len(s.Sources)), "source"))}, true
		}
		shown := missing
		if len(shown) > 3 {
			shown = append(shown[:3:3], "…")
		}
		return Evaluation{Value: fmt.Sprintf("%s without a rule: %s", plural(int64(len(missing)), "source"), strings.Join(shown, ", "))}, true
	case "basis-sweep":
		last := s.Settings.LastSweepAt
		if last.IsZero() {
			return Evaluation{Value: "no sweep recorded"}, true
		}
		v := "last sweep " + last.Format(time.DateOnly)
		return Evaluation{Done: now.Sub(last) <= SweepInterval, Value: v}, true
	case "consent-proof":
		with := s.ConsentContacts - s.ConsentNoProof
		return Evaluation{Done: s.ConsentNoProof == 0,
			Value: fmt.Sprintf("consents with proof: %s / %s (%s)", Thousands(with), Thousands(s.ConsentContacts), Percent(with, s.ConsentContacts))}, true
	case "consent-versions":
		// Only a consent wording in force lets a consent name what the
		// person agreed to (Art. 7(1)); a privacy policy alone does not.
		v := plural(int64(s.PolicyVersions), "version") + " recorded"
		if !s.ConsentWordingInForce {
			v += ", no consent wording in force"
		}
		return Evaluation{Done: s.ConsentWordingInForce, Value: v}, true
	case "requests-on-time":
		return requestsOnTime(s), true
	case "erasure-reentry":
		return erasureReentry(s), true
	case "establishment":
		return establishment(s.Settings), true
	case "rectify-recipients":
		if s.UnnotifiedClosures == 0 {
			return Evaluation{Done: true, Value: "all notifications recorded"}, true
		}
		return Evaluation{Value: fmt.Sprintf("%s without recorded notifications", plural(s.UnnotifiedClosures, "closed request"))}, true
	case "dpo":
		return dpo(s.Settings.DPO), true
	case "cdso":
		return filled(s.Settings.CDSO, "security officer"), true
	case "eu-rep":
		return euRep(s.Settings), true
	case "ropa-complete":
		return ropaComplete(s.Purposes, s.Recipients, s.Settings), true
	case "transfers-safeguarded":
		return transfersSafeguarded(s.Recipients), true
	case "lia-recorded":
		return liaRecorded(s.Purposes), true
	case "dpia-screened":
		return dpiaScreened(s.DPIA), true
	case "dpa-each-processor":
		return dpaEachProcessor(s.Recipients, now), true
	case "breaches-documented":
		return BreachesDocumented(s.Breaches, now), true
	}
	return Evaluation{}, false
}

// Shown is the value a manual item shows beside the owner's tick: what
// the desk knows but cannot prove (privacy-link: the URL is in settings,
// but whether every form links it is checked by a person).
func Shown(id string, s Snapshot) string {
	if id == "privacy-link" {
		if u := strings.TrimSpace(s.Settings.PrivacyPolicyURL); u != "" {
			return u
		}
		return "no privacy-policy URL in settings"
	}
	return ""
}

// ItemRecord is what the owner recorded on an item: a manual state, the
// reason for n/a, a note.
type ItemRecord struct {
	State  ItemState `json:"state"`
	Reason string    `json:"reason,omitempty"` // why n/a
	Note   string    `json:"note,omitempty"`
	By     string    `json:"by,omitempty"`
	At     time.Time `json:"at,omitzero"`
}

// CheckTick validates a state the owner sets on an item: n/a needs a
// reason, and an automatic item cannot be ticked done while its data says
// otherwise (SPEC §2).
func CheckTick(it Item, rec ItemRecord, eval Evaluation) error {
	switch rec.State {
	case StateTodo, StateDone:
	case StateNA:
		if strings.TrimSpace(rec.Reason) == "" {
			return fmt.Errorf("%s: marking an item n/a needs a reason", it.ID)
		}
	default:
		return fmt.Errorf("%s: unknown state %q (todo, done or n/a)", it.ID, rec.State)
	}
	if it.Auto && rec.State == StateDone && !eval.Done {
		return fmt.Errorf("%s is checked from your data and is not met yet: %s", it.ID, eval.Value)
	}
	return nil
}

// ItemStatus is an item's effective state with its measurement.
type ItemStatus struct {
	Item
	State    ItemState
	Value    string // measured value of an automatic item
	Record   ItemRecord
	Measured bool
}

// Readiness evaluates every item: an automatic item's state follows its data
// unless marked n/a (or its data says it does not apply); a manual item
// takes the recorded state. Good-practice items are shown but counted in
// neither done nor applicable. Percent is done ÷ applicable, rounded down.
func Readiness(records map[string]ItemRecord, s Snapshot, now time.Time) (items []ItemStatus, done, applicable int) {
	for _, it := range Checklist() {
		rec := records[it.ID]
		st := ItemStatus{Item: it, Record: rec, State: StateTodo}
		if rec.State == StateNA {
			st.State = StateNA
		} else if rec.State == StateDone {
			st.State = StateDone
		}
		if it.ID == "basis-recorded" || it.ID == "basis-sweep" {
			st.Fix = WithoutBasisQuery(s.Settings).String()
		}
		st.Value = Shown(it.ID, s)
		if e, ok := Evaluate(it.ID, s, now); ok {
			st.Value, st.Measured = e.Value, true
			switch {
			case e.NA:
				st.State = StateNA
			case st.State != StateNA:
				st.State = StateTodo
				if e.Done {
					st.State = StateDone
				}
			}
		}
		if st.State != StateNA && !it.GoodPractice {
			applicable++
			if st.State == StateDone {
				done++
			}
		}
		items = append(items, st)
	}
	return items, done, applicable
}

// ReadinessPercent is done ÷ applicable as a whole percentage (100 when
// nothing applies).
func ReadinessPercent(done, applicable int) int {
	if applicable == 0 {
		return 100
	}
	return done * 100 / applicable
}

func firstNonEmpty(v ...string) string {
	for _, s := range v {
		if strings.TrimSpace(s) != "" {
			return s
		}
	}
	return ""
}

func plural(n int64, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return Thousands(n) + " " + word + "s"
}

// Thousands formats n with comma thousands separators (1,742).
func Thousands(n int64) string {
	neg := n < 0
	if neg {
		n = -n
	}
	s := fmt.Sprint(n)
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// Percent formats part ÷ whole with one decimal ("96.8%"); 0 of 0 is 100%.
func Percent(part, whole int64) string {
	if whole == 0 {
		return "100%"
	}
	// Never show 100.0% for an unmet item (9,999 of 10,000), nor 0.0% for
	// a started one.
	pct := float64(part) * 100 / float64(whole)
	if part < whole && pct > 99.9 {
		pct = 99.9
	}
	if part > 0 && pct < 0.1 {
		pct = 0.1
	}
	return fmt.Sprintf("%.1f%%", pct)
}
