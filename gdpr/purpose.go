package gdpr

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Purpose is one entry of the records of processing (Art. 30(1)(b)–(g),
// SPEC §10): why the business processes personal data, on which lawful
// basis, about whom, shared with whom, and for how long. Consent is given
// for a purpose (Art. 6(1)(a): "for one or more specific purposes"), and a
// purpose that is direct marketing decides who may be marketed to (§9).
type Purpose struct {
	Name        string `json:"name"` // short and stable: consents and queries (purpose:NAME) name it
	Description string `json:"description,omitempty"`
	Basis       Basis  `json:"basis"`
	// Marketing says the purpose is direct marketing (email, SMS). It is
	// fixed once consents name the purpose: consent was given to the purpose
	// as described, so a different one needs a purpose of its own.
	Marketing        bool     `json:"marketing,omitempty"`
	PeopleCategories []string `json:"people_categories,omitempty"` // e.g. customers, newsletter subscribers
	DataCategories   []string `json:"data_categories,omitempty"`   // e.g. identity, contact details, billing
	Recipients       []string `json:"recipients,omitempty"`        // names in the recipients register
	Transfers        string   `json:"transfers,omitempty"`         // outside the EEA, in words (the recipients carry the safeguards)
	Retention        string   `json:"retention,omitempty"`         // period and criteria, in words
	// RetentionDays, when above 0, is the retention as a rule the sweep
	// applies (SPEC §10): the purpose lapses for a contact this many days
	// after its last ground (the consent, the contract, the enquiry).
	RetentionDays int            `json:"retention_days,omitempty"`
	Security      string         `json:"security,omitempty"` // measures in general terms (Art. 32)
	Balancing     *BalancingTest `json:"balancing,omitempty"`
	UpdatedAt     time.Time      `json:"updated_at,omitzero"`
	UpdatedBy     string         `json:"updated_by,omitempty"`
}

// BalancingTest is the record of a legitimate-interests assessment
// (Art. 6(1)(f), recital 47): the interest, why the processing is
// necessary for it, how it weighs against the person's rights, the outcome
// (passed or failed: a fixed choice, so a failed test can never read as
// done) and, in Notes, the safeguards or conditions it rests on.
type BalancingTest struct {
	Interest  string           `json:"interest"`
	Necessity string           `json:"necessity"`
	Balance   string           `json:"balance"`
	Outcome   BalancingOutcome `json:"outcome"`
	Notes     string           `json:"notes,omitempty"` // safeguards, conditions: "an opt-out in every email"
	At        time.Time        `json:"at,omitzero"`
	By        string           `json:"by,omitempty"`
}

// BalancingOutcome is what a balancing test concluded.
type BalancingOutcome string

// The two outcomes of a balancing test. "" is none recorded, or an older
// store's free text that did not read as passed (see UnmarshalJSON): the
// test needs review.
const (
	BalancingPassed BalancingOutcome = "passed" // the interest is not overridden: the basis may be relied on
	BalancingFailed BalancingOutcome = "failed" // the person's interests override it: the basis cannot be relied on
)

// ParseBalancingOutcome reads passed or failed, case-insensitively.
func ParseBalancingOutcome(s string) (BalancingOutcome, error) {
	switch o := BalancingOutcome(strings.ToLower(strings.TrimSpace(s))); o {
	case BalancingPassed, BalancingFailed:
		return o, nil
	}
	return "", fmt.Errorf("balancing test outcome %q: use passed or failed (safeguards and conditions go in the notes)", s)
}

// UnmarshalJSON reads a balancing test, including one of an older store
// whose outcome was free text ("passed, with an easy opt-out"): the text
// moves to Notes, ahead of any notes, and the outcome becomes passed when
// the text starts with "pass" (case-insensitively), else none — the test
// then needs review (Validate, BalancingGaps) rather than reading as
// passed or failed from words.
func (b *BalancingTest) UnmarshalJSON(data []byte) error {
	type plainTest BalancingTest
	var x plainTest
	if err := json.Unmarshal(data, &x); err != nil {
		return err
	}
	if text := strings.TrimSpace(string(x.Outcome)); text != "" {
		if o, err := ParseBalancingOutcome(text); err == nil {
			x.Outcome = o
		} else {
			x.Outcome = ""
			if strings.HasPrefix(strings.ToLower(text), "pass") {
				x.Outcome = BalancingPassed
			}
			if notes := strings.TrimSpace(x.Notes); notes != "" {
				text += "; " + notes
			}
			x.Notes = text
		}
	}
	*b = BalancingTest(x)
	return nil
}

// NormalizePurposeName trims a purpose name and lower-cases it, so
// "Newsletter" and "newsletter " name one purpose.
func NormalizePurposeName(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

// Validate checks a purpose before it is stored.
func (p Purpose) Validate() error {
	if p.Name == "" {
		return errors.New("a purpose needs a name (e.g. newsletter)")
	}
	if p.Name != NormalizePurposeName(p.Name) || strings.ContainsAny(p.Name, "\t\n|:\"") {
		return fmt.Errorf("purpose name %q: use lower-case words without | : or quotes", p.Name)
	}
	if err := checkField("purpose name", p.Name, MaxNameLen); err != nil {
		return err
	}
	if _, err := ParseBasis(string(p.Basis)); err != nil {
		return fmt.Errorf("purpose %s: %w", p.Name, err)
	}
	for _, f := range []struct{ name, v string }{{"description", p.Description}, {"transfers", p.Transfers},
		{"retention", p.Retention}, {"security", p.Security}} {
		if err := checkNote("purpose "+f.name, f.v, MaxFieldLen); err != nil {
			return err
		}
	}
	if p.RetentionDays < 0 {
		return fmt.Errorf("purpose %s: retention days cannot be negative", p.Name)
	}
	if p.Balancing != nil {
		// Whether a test may be recorded is asked when it is recorded
		// (BalancingAllowed, CheckBalancing); here only its words.
		b := p.Balancing
		for _, f := range []struct{ name, v string }{{"interest", b.Interest}, {"necessity", b.Necessity}, {"balance", b.Balance}, {"notes", b.Notes}} {
			if err := checkNote("purpose "+p.Name+" balancing test "+f.name, f.v, MaxFieldLen); err != nil {
				return err
			}
		}
		if b.Outcome != "" {
			if _, err := ParseBalancingOutcome(string(b.Outcome)); err != nil {
				return fmt.Errorf("purpose %s: %w", p.Name, err)
			}
		}
	}
	return nil
}

// FindPurpose returns the purpose of that name (normalized) from a list.
func FindPurpose(list []Purpose, name string) (Purpose, bool) {
	name = NormalizePurposeName(name)
	for _, p := range list {
		if p.Name == name {
			return p, true
		}
	}
	return Purpose{}, false
}

// AppliesTo reports whether the purpose is one the business processes this
// person's data for (Art. 15(1)(a)): a consent purpose while the person's
// consent to it stands; any other purpose while the person holds its basis
// (for that purpose, or with no purpose named). An erased person is
// processed for none.
func (p Purpose) AppliesTo(c *Contact) bool {
	if c.Status == ContactAnonymized {
		return false
	}
	if p.Basis == BasisConsent {
		for _, name := range c.ConsentPurposes() {
			if name == p.Name {
				return true
			}
		}
		return false
	}
	for _, b := range c.Bases {
		if b.Basis == p.Basis && (b.Purpose == "" || b.Purpose == p.Name) {
			return true
		}
	}
	return false
}

// PurposesOf lists the purposes of the register that apply to the person.
func PurposesOf(c *Contact, register []Purpose) []Purpose {
	var out []Purpose
	for _, p := range register {
		if p.AppliesTo(c) {
			out = append(out, p)
		}
	}
	return out
}

// RecipientsOf lists the recipients that receive the person's data: those
// serving a purpose that applies to the person (Art. 15(1)(c), Art. 19).
// A recipient serves a purpose when either side says so (Serves): the
// recipient lists the purpose, or the purpose names the recipient — the
// records of processing and the access package read the same link.
func RecipientsOf(c *Contact, purposes []Purpose, recipients []Recipient) []Recipient {
	applies := PurposesOf(c, purposes)
	var out []Recipient
	for _, r := range recipients {
		for _, p := range applies {
			if Serves(r, p) {
				out = append(out, r)
				break
			}
		}
	}
	return out
}

// Serves reports whether the recipient receives data for the purpose:
// the recipient lists the purpose, or the purpose lists the recipient by
// name (case-insensitively).
func Serves(r Recipient, p Purpose) bool {
	for _, name := range r.Purposes {
		if NormalizePurposeName(name) == p.Name {
			return true
		}
	}
	for _, name := range p.Recipients {
		if strings.EqualFold(strings.TrimSpace(name), strings.TrimSpace(r.Name)) {
			return true
		}
	}
	return false
}

// UnknownRecipients lists the names a purpose gives as its recipients that
// the recipients register does not hold: their role, country, DPA and
// transfer safeguard are unrecorded, and the person's access package
// (RecipientsOf) cannot name them.
func UnknownRecipients(p Purpose, register []Recipient) []string {
	var out []string
	for _, name := range p.Recipients {
		if _, ok := FindRecipient(register, name); !ok && strings.TrimSpace(name) != "" {
			out = append(out, strings.TrimSpace(name))
		}
	}
	return out
}
