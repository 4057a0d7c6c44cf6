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
	// Fix is a hint for where in the app the item is fixed, e.g. a contacts
	// filter; empty for items fixed outside the app.
	Fix string
}

// Checklist returns every readiness item in display order.
func Checklist() []Item {
	return []Item{
		{ID: "privacy-link", Section: SectionInformed, Title: "Privacy policy linked where data is collected", Explain: "Every form and page that collects contact details links to your privacy policy.", InApp: true, Auto: true, Fix: "settings"},
		{ID: "privacy-offline", Section: SectionInformed, Title: "Privacy notice available offline", Explain: "Where you collect details in person or on paper, people can read the notice there.", InApp: false},
		{ID: "basis-recorded", Section: SectionBasis, Title: "Every EU contact has a lawful basis", Explain: "You can say why you hold each EU/EEA contact (or one of unknown country).", InApp: true, Auto: true, Fix: WithoutBasisQuery().String()},
		{ID: "basis-automatic", Section: SectionBasis, Title: "Every source applies a basis automatically", Explain: "Each place contacts come from has a rule that records their lawful basis.", InApp: true, Auto: true, Fix: "settings"},
		{ID: "basis-offline", Section: SectionBasis, Title: "Basis tracked for contacts gathered elsewhere", Explain: "Contacts from events, calls or paper forms get a basis recorded too.", InApp: false},
		{ID: "basis-sweep", Section: SectionBasis, Title: "EU contacts without a basis removed regularly", Explain: "A sweep of EU contacts with no basis ran in the last 90 days.", InApp: true, Auto: true, Fix: WithoutBasisQuery().String()},
		{ID: "consent-specific", Section: SectionConsent, Title: "Consent requests are specific and not pre-ticked", Explain: "Each purpose is asked separately, with an empty box the person ticks.", InApp: false},
		{ID: "consent-proof", Section: SectionConsent, Title: "Proof kept for every consent", Explain: "Each contact held on consent has a record of when, how and to which wording.", InApp: true, Auto: true, Fix: "basis:consent"},
		{ID: "consent-versions", Section: SectionConsent, Title: "Consent texts and privacy policy versioned", Explain: "Each wording is kept with the date it took effect.", InApp: true, Auto: true, Fix: "settings"},
		{ID: "consent-reconfirm", Section: SectionConsent, Title: "Consent asked again where the basis is missing", Explain: "EU contacts with no basis were asked to confirm before being swept.", InApp: false},
		{ID: "erasure-channel", Section: SectionErasure, Title: "An easy way to ask for erasure", Explain: "People can ask to be forgotten as easily as they signed up.", InApp: false},
		{ID: "erasure-on-time", Section: SectionErasure, Title: "Erasure requests answered in time", Explain: "No erasure request is past its due date.", InApp: true, Auto: true, Fix: "requests"},
		{ID: "erasure-elsewhere", Section: SectionErasure, Title: "Data kept outside the app erased too", Explain: "Spreadsheets, mailboxes and other tools are cleaned when someone is forgotten.", InApp: false},
		{ID: "erasure-reentry", Section: SectionErasure, Title: "Erased people cannot be re-added by accident", Explain: "Addresses of forgotten people are blocked from import and manual entry.", InApp: true, Auto: true},
		{ID: "access-on-time", Section: SectionAccess, Title: "Access and portability requests answered in time", Explain: "No access or portability request is past its due date.", InApp: true, Auto: true, Fix: "requests"},
		{ID: "access-elsewhere", Section: SectionAccess, Title: "Data held elsewhere included in access answers", Explain: "An access answer covers data in your other tools too.", InApp: false},
		{ID: "rectify-on-time", Section: SectionRectification, Title: "Rectification requests answered in time", Explain: "No rectification request is past its due date.", InApp: true, Auto: true, Fix: "requests"},
		{ID: "rectify-recipients", Section: SectionRectification, Title: "Recipients told of corrections and erasures", Explain: "Each completed rectification or erasure records which recipients were told.", InApp: true, Auto: true, Fix: "requests"},
		{ID: "dpo", Section: SectionAccountability, Title: "Data Protection Officer appointed", Explain: "Someone is named to oversee data protection, with a contact address.", InApp: true, Auto: true, Fix: "settings"},
		{ID: "cdso", Section: SectionAccountability, Title: "Data security officer appointed", Explain: "Someone is responsible for keeping the data secure.", InApp: true, Auto: true, Fix: "settings"},
		{ID: "eu-rep", Section: SectionAccountability, Title: "EU representative appointed", Explain: "A business outside the EU names a representative inside it.", InApp: true, Auto: true, Fix: "settings"},
		{ID: "dpa-signed", Section: SectionAccountability, Title: "Data-processing agreement signed", Explain: "The agreement with your processors is signed, and you know by whom and when.", InApp: true, Auto: true, Fix: "settings"},
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
	// Completed rectification/erasure requests that record no notification
	// although recipients are configured.
	UnnotifiedClosures int64
}

// Evaluation is the measured state of an automatic item.
type Evaluation struct {
	Done  bool
	Value string // what was measured, in words
}

// Evaluate measures an automatic item; ok is false for a manual item.
func Evaluate(id string, s Snapshot, now time.Time) (e Evaluation, ok bool) {
	filled := func(p Person, what string) Evaluation {
		if p.Filled() {
			return Evaluation{Done: true, Value: what + ": " + firstNonEmpty(p.Name, p.Email)}
		}
		return Evaluation{Value: what + " not set"}
	}
	overdue := func(types ...RequestType) Evaluation {
		var n int64
		for _, t := range types {
			n += s.Overdue[t]
		}
		if n == 0 {
			return Evaluation{Done: true, Value: "none overdue"}
		}
		return Evaluation{Value: fmt.Sprintf("%s overdue", plural(n, "request"))}
	}
	switch id {
	case "privacy-link":
		if strings.TrimSpace(s.Settings.PrivacyPolicyURL) != "" {
			return Evaluation{Done: true, Value: s.Settings.PrivacyPolicyURL}, true
		}
		return Evaluation{Value: "no privacy-policy URL in settings"}, true
	case "basis-recorded":
		with := s.EUContacts - s.EUWithoutBasis
		return Evaluation{Done: s.EUWithoutBasis == 0,
			Value: fmt.Sprintf("EU contacts with a basis: %s / %s (%s)", Thousands(with), Thousands(s.EUContacts), Percent(with, s.EUContacts))}, true
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
	case "erasure-on-time":
		return overdue(RequestErasure), true
	case "erasure-reentry":
		return Evaluation{Done: true, Value: "suppression list always on"}, true
	case "access-on-time":
		return overdue(RequestAccess, RequestPortability), true
	case "rectify-on-time":
		return overdue(RequestRectification), true
	case "rectify-recipients":
		if s.UnnotifiedClosures == 0 {
			return Evaluation{Done: true, Value: "all notifications recorded"}, true
		}
		return Evaluation{Value: fmt.Sprintf("%s without recorded notifications", plural(s.UnnotifiedClosures, "closed request"))}, true
	case "dpo":
		return filled(s.Settings.DPO, "DPO"), true
	case "cdso":
		return filled(s.Settings.CDSO, "security officer"), true
	case "eu-rep":
		return filled(s.Settings.EURep, "EU representative"), true
	case "dpa-signed":
		if strings.TrimSpace(s.Settings.DPASignedBy) != "" && !s.Settings.DPASignedAt.IsZero() {
			return Evaluation{Done: true, Value: "signed by " + s.Settings.DPASignedBy + " on " + s.Settings.DPASignedAt.Format(time.DateOnly)}, true
		}
		return Evaluation{Value: "signer and date not recorded"}, true
	}
	return Evaluation{}, false
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
// unless marked n/a; a manual item takes the recorded state. Percent is done
// ÷ applicable, rounded down.
func Readiness(records map[string]ItemRecord, s Snapshot, now time.Time) (items []ItemStatus, done, applicable int) {
	for _, it := range Checklist() {
		rec := records[it.ID]
		st := ItemStatus{Item: it, Record: rec, State: StateTodo}
		if rec.State == StateNA {
			st.State = StateNA
		} else if rec.State == StateDone {
			st.State = StateDone
		}
		if e, ok := Evaluate(it.ID, s, now); ok {
			st.Value, st.Measured = e.Value, true
			if st.State != StateNA {
				st.State = StateTodo
				if e.Done {
					st.State = StateDone
				}
			}
		}
		if st.State != StateNA {
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
