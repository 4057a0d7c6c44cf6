package gdpr

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// RecipientRole is what a recipient is to the controller (Art. 4(7)–(9),
// Art. 26, Art. 28).
type RecipientRole string

// The recipient roles of the register (SPEC §10).
const (
	RecipientProcessor  RecipientRole = "processor"  // processes on the controller's behalf (Art. 28)
	RecipientController RecipientRole = "controller" // an independent controller (e.g. the tax office)
	RecipientJoint      RecipientRole = "joint"      // a joint controller (Art. 26)
)

// ParseRecipientRole reads a role case-insensitively.
func ParseRecipientRole(s string) (RecipientRole, error) {
	switch r := RecipientRole(strings.ToLower(strings.TrimSpace(s))); r {
	case RecipientProcessor, RecipientController, RecipientJoint:
		return r, nil
	}
	return "", fmt.Errorf("unknown recipient role %q: use processor, controller or joint", s)
}

// Safeguard is the ground for a transfer outside the EEA (Chapter V).
type Safeguard string

// The transfer grounds of Art. 45–49.
const (
	SafeguardAdequacy   Safeguard = "adequacy"   // an adequacy decision (Art. 45)
	SafeguardSCC        Safeguard = "scc"        // standard contractual clauses (Art. 46(2)(c))
	SafeguardBCR        Safeguard = "bcr"        // binding corporate rules (Art. 47)
	SafeguardDerogation Safeguard = "derogation" // a derogation of Art. 49
)

// ParseSafeguard reads a transfer safeguard case-insensitively.
func ParseSafeguard(s string) (Safeguard, error) {
	switch g := Safeguard(strings.ToLower(strings.TrimSpace(s))); g {
	case SafeguardAdequacy, SafeguardSCC, SafeguardBCR, SafeguardDerogation:
		return g, nil
	}
	return "", fmt.Errorf("unknown transfer safeguard %q: use adequacy, scc, bcr or derogation", s)
}

// Label names a safeguard in plain words, with its article.
func (g Safeguard) Label() string {
	switch g {
	case SafeguardAdequacy:
		return "adequacy decision (Art. 45)"
	case SafeguardSCC:
		return "standard contractual clauses (Art. 46(2)(c))"
	case SafeguardBCR:
		return "binding corporate rules (Art. 47)"
	case SafeguardDerogation:
		return "derogation (Art. 49)"
	}
	return string(g)
}

// Recipient is a third party that receives personal data (Art. 13(1)(e),
// Art. 15(1)(c), Art. 19): a processor, another controller, a joint
// controller — one entry of the recipients register (SPEC §10).
type Recipient struct {
	Name string `json:"name"`
	// Role is processor, controller or joint. Stores written before the
	// register held free text here ("processor: email delivery"); it is
	// read as Service then (see LegacyRole).
	Role     RecipientRole `json:"role,omitempty"`
	Service  string        `json:"service,omitempty"` // what they do, e.g. "email delivery"
	Contact  string        `json:"contact,omitempty"`
	Country  string        `json:"country,omitempty"` // ISO alpha-2 of where the data goes
	Purposes []string      `json:"purposes,omitempty"`
	// DPASignedAt and DPARef record the data-processing agreement a
	// processor signed (Art. 28(3)).
	DPASignedAt time.Time `json:"dpa_signed_at,omitzero"`
	DPARef      string    `json:"dpa_ref,omitempty"`
	// Safeguard is the ground of a transfer outside the EEA, and
	// SafeguardAt its date (e.g. when the SCCs were signed).
	Safeguard   Safeguard `json:"safeguard,omitempty"`
	SafeguardAt time.Time `json:"safeguard_at,omitzero"`
}

// LegacyRole turns a recipient of an older store, whose Role was free
// text, into a register entry: a text starting "processor" becomes the
// processor role, anything else a controller, and the text is kept as the
// service.
func (r Recipient) LegacyRole() Recipient {
	if _, err := ParseRecipientRole(string(r.Role)); err == nil || r.Role == "" {
		return r
	}
	text := strings.TrimSpace(string(r.Role))
	r.Role = RecipientController
	if strings.HasPrefix(strings.ToLower(text), "processor") {
		r.Role = RecipientProcessor
		text = strings.TrimSpace(strings.TrimLeft(text[len("processor"):], ":- "))
	}
	if r.Service == "" {
		r.Service = text
	}
	return r
}

// ThirdCountry reports whether the recipient receives the data outside
// the EEA (Chapter V): a known country that is not in the EU/EEA.
func (r Recipient) ThirdCountry() bool { return r.Country != "" && EUStatusOf(r.Country) == EUNo }

// Validate checks a register entry before it is stored.
func (r Recipient) Validate() error {
	if strings.TrimSpace(r.Name) == "" {
		return errors.New("a recipient needs a name")
	}
	if err := checkField("recipient name", r.Name, MaxNameLen); err != nil {
		return err
	}
	if err := CheckStorableDate("DPA date", r.DPASignedAt); err != nil {
		return fmt.Errorf("recipient %s: %w", r.Name, err)
	}
	if err := CheckStorableDate("safeguard date", r.SafeguardAt); err != nil {
		return fmt.Errorf("recipient %s: %w", r.Name, err)
	}
	if _, err := ParseRecipientRole(string(r.Role)); err != nil {
		return fmt.Errorf("recipient %s: %w", r.Name, err)
	}
	if r.Country != "" {
		code, err := NormalizeCountry(r.Country)
		if err != nil {
			return fmt.Errorf("recipient %s: %w", r.Name, err)
		}
		if code != r.Country {
			return fmt.Errorf("recipient %s: country %q is not normalized (want %q)", r.Name, r.Country, code)
		}
	}
	if r.Safeguard != "" {
		if _, err := ParseSafeguard(string(r.Safeguard)); err != nil {
			return fmt.Errorf("recipient %s: %w", r.Name, err)
		}
	}
	if err := r.CheckAdequacy(); err != nil {
		return err
	}
	for _, f := range []struct{ name, v string }{{"service", r.Service}, {"contact", r.Contact}, {"DPA reference", r.DPARef}} {
		if err := checkField("recipient "+f.name, f.v, MaxFieldLen); err != nil {
			return err
		}
	}
	return nil
}

// CheckAdequacy refuses an adequacy decision (Art. 45) as the ground of a
// transfer to a third country the Commission has made no such decision
// for (HasAdequacyDecision): the person would be told of a protection
// that does not exist.
func (r Recipient) CheckAdequacy() error {
	if r.Safeguard == SafeguardAdequacy && r.ThirdCountry() && !HasAdequacyDecision(r.Country) {
		return fmt.Errorf("recipient %s: the European Commission has no adequacy decision for %s (Art. 45): record standard contractual clauses (scc), binding corporate rules (bcr) or a derogation", r.Name, r.Country)
	}
	return nil
}

// SafeguardLabel names the recipient's transfer ground in plain words:
// the safeguard's label, and for an adequacy decision its condition when
// it covers only some recipients ("EU-US Data Privacy Framework (certified
// organisations only)"), or that none exists for the country.
func (r Recipient) SafeguardLabel() string {
	l := r.Safeguard.Label()
	if r.Safeguard != SafeguardAdequacy || !r.ThirdCountry() {
		return l
	}
	if !HasAdequacyDecision(r.Country) {
		return l + ": none exists for " + r.Country
	}
	if cond := AdequacyCondition(r.Country); cond != "" {
		return l + ": " + cond
	}
	return l
}

// CheckPastDay refuses a day after today: a DPA signed, a safeguard
// agreed, a person told, are records of what has happened. now should be
// in the desk's time zone: the day is compared as written (Day).
func CheckPastDay(what string, day, now time.Time) error {
	if !day.IsZero() && Day(day).After(Day(now)) {
		return fmt.Errorf("%s %s is in the future: record the date it happened", what, day.Format(time.DateOnly))
	}
	return nil
}

// CheckDates refuses a DPA signing date (Art. 28(3)) or a safeguard date
// after today (CheckPastDay): a DPA to be signed next year does not cover
// processing now.
func (r Recipient) CheckDates(now time.Time) error {
	if err := CheckPastDay("DPA signed", r.DPASignedAt, now); err != nil {
		return fmt.Errorf("recipient %s: %w", r.Name, err)
	}
	if err := CheckPastDay("safeguard date", r.SafeguardAt, now); err != nil {
		return fmt.Errorf("recipient %s: %w", r.Name, err)
	}
	return nil
}

// FindRecipient returns the recipient of that name (case-insensitively).
func FindRecipient(list []Recipient, name string) (Recipient, bool) {
	for _, r := range list {
		if strings.EqualFold(r.Name, strings.TrimSpace(name)) {
			return r, true
		}
	}
	return Recipient{}, false
}
