package gdpr

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// ContactID identifies a contact; it is shown as "C" followed by the number.
type ContactID uint64

func (id ContactID) String() string { return "C" + strconv.FormatUint(uint64(id), 10) }

// ParseContactID reads "C123", "c123" or "123".
func ParseContactID(s string) (ContactID, error) {
	n, err := parseID(s, 'C')
	if err != nil {
		return 0, fmt.Errorf("contact id %q: %w", s, err)
	}
	return ContactID(n), nil
}

// RequestID identifies a data-subject request, shown as "R" and the number.
type RequestID uint64

func (id RequestID) String() string { return "R" + strconv.FormatUint(uint64(id), 10) }

// ParseRequestID reads "R12", "r12" or "12".
func ParseRequestID(s string) (RequestID, error) {
	n, err := parseID(s, 'R')
	if err != nil {
		return 0, fmt.Errorf("request id %q: %w", s, err)
	}
	return RequestID(n), nil
}

func parseID(s string, prefix byte) (uint64, error) {
	s = strings.TrimSpace(s)
	if len(s) > 0 && (s[0] == prefix || s[0] == prefix+'a'-'A') {
		s = s[1:]
	}
	n, err := strconv.ParseUint(s, 10, 64)
	if err != nil || n == 0 {
		return 0, fmt.Errorf("not an id: expected %c followed by a number, e.g. %c42", prefix, prefix)
	}
	return n, nil
}

// ContactStatus is where a contact stands for processing.
type ContactStatus string

// The contact statuses of SPEC §4.
const (
	ContactActive     ContactStatus = "active"
	ContactRestricted ContactStatus = "restricted" // processing restricted (Art. 18) or objected to (Art. 21): no marketing
	ContactAnonymized ContactStatus = "anonymized"
	// ContactHeld is a contact erased except the fields a legal hold keeps
	// (Art. 17(3)(b)): those stay until the hold ends, the rest is gone.
	ContactHeld ContactStatus = "held"
)

// ContactStatuses returns every contact status.
func ContactStatuses() []ContactStatus {
	return []ContactStatus{ContactActive, ContactRestricted, ContactAnonymized, ContactHeld}
}

// ParseContactStatus reads a contact status case-insensitively.
func ParseContactStatus(s string) (ContactStatus, error) {
	v := ContactStatus(strings.ToLower(strings.TrimSpace(s)))
	for _, st := range ContactStatuses() {
		if st == v {
			return st, nil
		}
	}
	return "", fmt.Errorf("unknown contact status %q: use active, restricted, anonymized or held", s)
}

// Contact is one person on the customer list. The fields under "personal
// data" identify the person; the store seals them under a key of this contact
// alone, and anonymization destroys them. The rest is not personal on its own
// and stays readable for statistics and indexes.
type Contact struct {
	ID ContactID `json:"id"`

	// Personal data.
	FirstName  string            `json:"first_name,omitempty"`
	LastName   string            `json:"last_name,omitempty"`
	Email      string            `json:"email,omitempty"`       // normalized
	PastEmails []string          `json:"past_emails,omitempty"` // earlier addresses, kept for suppression on erasure
	Phone      string            `json:"phone,omitempty"`
	Street     string            `json:"street,omitempty"`
	City       string            `json:"city,omitempty"`
	Region     string            `json:"region,omitempty"`
	PostalCode string            `json:"postal_code,omitempty"`
	Company    string            `json:"company,omitempty"`
	Notes      string            `json:"notes,omitempty"`
	Custom     map[string]string `json:"custom,omitempty"`
	// Language is the person's language for letters (a BCP 47 tag such as
	// "de" or "pt-BR"); "" falls back to their country, then the settings.
	Language string `json:"language,omitempty"`

	// Not personal on its own.
	Country      string            `json:"country,omitempty"` // ISO alpha-2, "" unknown
	Status       ContactStatus     `json:"status"`
	Source       string            `json:"source,omitempty"` // where the contact came from
	Tags         []string          `json:"tags,omitempty"`
	Bases        []BasisAssignment `json:"bases,omitempty"`
	Consents     []ConsentRecord   `json:"consents,omitempty"`
	Balance      int64             `json:"balance_cents,omitempty"` // unpaid balance in cents: an obligation that blocks erasure
	OpenContract bool              `json:"open_contract,omitempty"`
	CreatedAt    time.Time         `json:"created_at"`
	UpdatedAt    time.Time         `json:"updated_at"`
	AnonymizedAt time.Time         `json:"anonymized_at,omitzero"`

	// The rule book's state of the person (SPEC §9).
	//
	// MarketingObjection is when the person objected to direct marketing
	// (Art. 21(2)–(3)): absolute and permanent; only a new consent the
	// person gives for a marketing purpose lifts it.
	MarketingObjection time.Time `json:"marketing_objection,omitzero"`
	// RestrictedAt is when processing was restricted (Art. 18), and
	// RestrictionReason why (personal: sealed with the personal data).
	RestrictedAt      time.Time `json:"restricted_at,omitzero"`
	RestrictionReason string    `json:"restriction_reason,omitempty"`
	// Hold keeps named fields for a legal duty until a date (Art. 17(3)(b)).
	Hold *Hold `json:"hold,omitempty"`
}

// Field limits of SPEC §6, in characters.
const (
	MaxNameLen   = 200
	MaxEmailLen  = 254
	MaxPhoneLen  = 64
	MaxFieldLen  = 1000
	MaxCustomLen = 4000
	// MaxCustomFields is how many custom fields one contact holds: an
	// import turns unknown columns into custom fields, and a file of
	// thousands of columns must not become a record of thousands of fields.
	MaxCustomFields = 100
)

// Name is the display name: first and last name, or the email when both are
// empty.
func (c *Contact) Name() string {
	n := strings.TrimSpace(c.FirstName + " " + c.LastName)
	if n == "" {
		return c.Email
	}
	return n
}

// EU is the contact's EU/EEA status from its country.
func (c *Contact) EU() EUStatus { return EUStatusOf(c.Country) }

// HasBasis reports whether the contact holds the given basis.
func (c *Contact) HasBasis(b Basis) bool {
	for _, a := range c.Bases {
		if a.Basis == b {
			return true
		}
	}
	return false
}

// BasisChangeApplies reports whether adding (or, with remove, removing)
// the basis would change the contact: it does not hold it yet (or does),
// and it is not anonymized — an erased person is never given a basis
// again. A bulk change and its preview ask this one rule.
func (c *Contact) BasisChangeApplies(b Basis, remove bool) bool {
	return c.Status != ContactAnonymized && c.HasBasis(b) == remove
}

// HasTag reports whether the contact carries a tag (case-insensitively).
func (c *Contact) HasTag(tag string) bool {
	for _, t := range c.Tags {
		if strings.EqualFold(t, tag) {
			return true
		}
	}
	return false
}

// AddBasis records a basis assignment. A basis already held is not added
// twice, and the held assignment is kept as it is (an import merging a
// record is not a new ground: see RenewBasis); changed reports whether
// anything changed.
func (c *Contact) AddBasis(a BasisAssignment) (changed bool) {
	if c.HasBasis(a.Basis) {
		return false
	}
	c.Bases = append(c.Bases, a)
	return true
}

// RenewBasis records a basis again (a new order, a new enquiry: tag
// --basis on a contact that holds it): the held assignment for the same
// purpose takes the new time, source, evidence and operator, so the
// retention schedule's clock (RetentionLapsed, Art. 5(1)(e)) runs from
// the latest ground; a basis not held is added (AddBasis). The stored
// record keeps only that latest time; the first is in the audit trail. An
// older or undated assignment never moves the clock back. changed reports
// whether anything changed.
func (c *Contact) RenewBasis(a BasisAssignment) (changed bool) {
	i := c.renewable(a)
	if i < 0 {
		return c.AddBasis(a)
	}
	if c.Bases[i].At.IsZero() || !a.At.After(c.Bases[i].At) {
		return false
	}
	c.Bases = slices.Clone(c.Bases)
	c.Bases[i].At, c.Bases[i].By = a.At, a.By
	if a.Source != "" {
		c.Bases[i].Source, c.Bases[i].Evidence = a.Source, a.Evidence
	}
	return true
}

// renewable is the index of the held assignment that recording a again
// renews (RenewedBasis), or -1.
func (c *Contact) renewable(a BasisAssignment) int {
	return RenewedBasis(c.Bases, a.Basis, a.Purpose)
}

// RenewedBasis is the index, in bases, of the assignment that recording
// basis b again for purpose renews: the one held for that purpose, else
// (for a basis other than consent, recorded without a purpose) the first
// held at all; -1 when none is. Consent is per purpose (Art. 6(1)(a)): a
// consent to one purpose never renews another's.
func RenewedBasis(bases []BasisAssignment, b Basis, purpose string) int {
	first := -1
	for i, a := range bases {
		if a.Basis != b {
			continue
		}
		if a.Purpose == purpose {
			return i
		}
		if first < 0 {
			first = i
		}
	}
	if b == BasisConsent || purpose != "" {
		return -1
	}
	return first
}

// RemoveBasis drops a basis; changed reports whether the contact held it.
// It builds a new slice, so a copy of the contact taken before (e.g. to
// update indexes from the old and the new bases) keeps its own.
func (c *Contact) RemoveBasis(b Basis) (changed bool) {
	var out []BasisAssignment
	for _, a := range c.Bases {
		if a.Basis == b {
			changed = true
			continue
		}
		out = append(out, a)
	}
	if changed {
		c.Bases = out
	}
	return changed
}

// ConsentWithoutProof reports whether the contact holds a consent basis
// that is not proven (checklist item consent-proof, Art. 7(1)): a basis
// counts as proven only when a granted, not withdrawn record naming the
// consent wording in force exists for it — for its purpose, or, for a
// basis held without a purpose, for any purpose the consent stands for.
func (c *Contact) ConsentWithoutProof() bool {
	for _, b := range c.Bases {
		if b.Basis == BasisConsent && !c.consentProven(b.Purpose) {
			return true
		}
	}
	return false
}

// Validate checks a contact before it is stored: a valid email, a known
// country, fields within the limits of SPEC §6, valid UTF-8 everywhere.
func (c *Contact) Validate() error {
	if c.Status == ContactAnonymized {
		return nil // nothing personal is left to check
	}
	if email, err := NormalizeEmail(c.Email); err != nil {
		return err
	} else if email != c.Email {
		return fmt.Errorf("email %q is not normalized (want %q)", c.Email, email)
	}
	if c.Country != "" {
		if code, err := NormalizeCountry(c.Country); err != nil {
			return err
		} else if code != c.Country {
			return fmt.Errorf("country %q is not normalized (want %q)", c.Country, code)
		}
	}
	if _, err := ParseContactStatus(string(c.Status)); err != nil {
		return err
	}
	checks := []struct {
		name, value string
		max         int
		multiline   bool
	}{
		{"first name", c.FirstName, MaxNameLen, false},
		{"last name", c.LastName, MaxNameLen, false},
		{"phone", c.Phone, MaxPhoneLen, false},
		{"street", c.Street, MaxFieldLen, true},
		{"city", c.City, MaxFieldLen, false},
		{"region", c.Region, MaxFieldLen, false},
		{"postal code", c.PostalCode, MaxFieldLen, false},
		{"company", c.Company, MaxFieldLen, false},
		{"notes", c.Notes, MaxFieldLen, true},
		{"source", c.Source, MaxFieldLen, false},
	}
	for _, ch := range checks {
		if err := checkText(ch.name, ch.value, ch.max, ch.multiline); err != nil {
			return err
		}
	}
	if err := checkNote("restriction reason", c.RestrictionReason, MaxFieldLen); err != nil {
		return err
	}
	if len(c.Custom) > MaxCustomFields {
		return fmt.Errorf("%d custom fields: a contact holds at most %d", len(c.Custom), MaxCustomFields)
	}
	for k, v := range c.Custom {
		if err := checkField("custom field name", k, MaxFieldLen); err != nil {
			return err
		}
		// The value is named by its field's name only once the name passed.
		if err := checkNote("custom field "+strconv.Quote(k), v, MaxCustomLen); err != nil {
			return err
		}
	}
	for _, t := range c.Tags {
		if strings.TrimSpace(t) == "" || strings.ContainsAny(t, " \t\n") {
			return fmt.Errorf("tag %q: tags are single words (use - or _ instead of spaces)", t)
		}
		if err := checkField("tag", t, MaxNameLen); err != nil {
			return err
		}
	}
	if c.Balance < 0 {
		return errors.New("unpaid balance cannot be negative")
	}
	if !languageTag(c.Language) {
		return fmt.Errorf("language %q: use a language tag such as de, fr or pt-BR", c.Language)
	}
	return nil
}

// checkField checks a single-line text field: CheckText and its length.
func checkField(name, v string, max int) error {
	return checkText(name, v, max, false)
}

// checkNote checks a multi-line text field (tabs and line breaks allowed).
func checkNote(name, v string, max int) error {
	return checkText(name, v, max, true)
}

func checkText(name, v string, max int, multiline bool) error {
	if err := CheckText(name, v, multiline); err != nil {
		return err
	}
	if n := utf8.RuneCountInString(v); n > max {
		return fmt.Errorf("%s is too long: %d characters, at most %d", name, n, max)
	}
	return nil
}

// NormalizeTag trims a tag and lower-cases it.
func NormalizeTag(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

// MarshalText writes the id as shown to owners ("C42").
func (id ContactID) MarshalText() ([]byte, error) { return []byte(id.String()), nil }

// UnmarshalText reads "C42" or "42".
func (id *ContactID) UnmarshalText(b []byte) error {
	v, err := ParseContactID(string(b))
	if err != nil {
		return err
	}
	*id = v
	return nil
}

// MarshalText writes the id as shown to owners ("R7").
func (id RequestID) MarshalText() ([]byte, error) { return []byte(id.String()), nil }

// UnmarshalText reads "R7" or "7".
func (id *RequestID) UnmarshalText(b []byte) error {
	v, err := ParseRequestID(string(b))
	if err != nil {
		return err
	}
	*id = v
	return nil
}

// languageTag reports whether s is empty or shaped like a BCP 47 tag:
// letter or digit subtags of 1 to 8 characters joined by "-", the first
// of 2 to 3 letters. (The command line checks it against the registry.)
func languageTag(s string) bool {
	if s == "" {
		return true
	}
	if len(s) > 35 {
		return false
	}
	for i, sub := range strings.Split(s, "-") {
		if len(sub) < 1 || len(sub) > 8 || (i == 0 && (len(sub) < 2 || len(sub) > 3)) {
			return false
		}
		for _, r := range sub {
			letter := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z'
			if !letter && (i == 0 || r < '0' || r > '9') {
				return false
			}
		}
	}
	return true
}
