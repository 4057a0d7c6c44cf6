package gdpr

import (
	"fmt"
	"strings"
	"time"
)

// Basis is one of the six lawful bases of processing of GDPR Art. 6(1).
type Basis string

// The six lawful bases of Art. 6(1)(a)–(f), in the order the article lists them.
const (
	BasisConsent             Basis = "consent"              // Art. 6(1)(a)
	BasisContract            Basis = "contract"             // Art. 6(1)(b)
	BasisLegalObligation     Basis = "legal_obligation"     // Art. 6(1)(c)
	BasisVitalInterests      Basis = "vital_interests"      // Art. 6(1)(d)
	BasisPublicTask          Basis = "public_task"          // Art. 6(1)(e)
	BasisLegitimateInterests Basis = "legitimate_interests" // Art. 6(1)(f)
)

// BasisNone is the query value for contacts holding no lawful basis. It is
// never stored on a contact.
const BasisNone Basis = "none"

// Bases returns the six lawful bases in the order of Art. 6(1).
func Bases() []Basis {
	return []Basis{BasisConsent, BasisContract, BasisLegalObligation,
		BasisVitalInterests, BasisPublicTask, BasisLegitimateInterests}
}

// ParseBasis reads a lawful basis case-insensitively; hyphens and spaces are
// accepted in place of underscores ("legitimate interests").
func ParseBasis(s string) (Basis, error) {
	norm := strings.NewReplacer("-", "_", " ", "_").Replace(strings.ToLower(strings.TrimSpace(s)))
	for _, b := range Bases() {
		if string(b) == norm {
			return b, nil
		}
	}
	return "", fmt.Errorf("unknown lawful basis %q: use one of %s", s, basisList())
}

func basisList() string {
	names := make([]string, 0, 6)
	for _, b := range Bases() {
		names = append(names, string(b))
	}
	return strings.Join(names, ", ")
}

// Label is the plain-words name of a basis for owners who are not lawyers.
func (b Basis) Label() string {
	switch b {
	case BasisConsent:
		return "Consent"
	case BasisContract:
		return "Contract"
	case BasisLegalObligation:
		return "Legal obligation"
	case BasisVitalInterests:
		return "Vital interests"
	case BasisPublicTask:
		return "Public task"
	case BasisLegitimateInterests:
		return "Legitimate interests"
	case BasisNone:
		return "No basis"
	}
	return string(b)
}

// Short is a basis's name in a narrow table column. None is a country
// code: the column sits next to the country's, where "LI" read as
// Liechtenstein.
func (b Basis) Short() string {
	switch b {
	case BasisLegalObligation:
		return "legal"
	case BasisVitalInterests:
		return "vital"
	case BasisPublicTask:
		return "public"
	case BasisLegitimateInterests:
		return "interest"
	}
	return string(b)
}

// BasisAssignment records that a contact holds a basis: where it came from,
// the evidence behind it, when and by whom (SPEC §2). Evidence may name the
// person, so the store seals it with the contact's personal data.
type BasisAssignment struct {
	Basis Basis `json:"basis"`
	// Purpose is the purpose the basis is held for: for consent, the
	// purpose consented to (Art. 6(1)(a)); "" for a basis held without one.
	Purpose  string    `json:"purpose,omitempty"`
	Source   string    `json:"source"`
	Evidence string    `json:"evidence,omitempty"`
	At       time.Time `json:"at"`
	By       string    `json:"by"`
}

// Common sources of a basis assignment. Any other label (e.g.
// "webform:newsletter") is allowed too.
const (
	SourceManual   = "manual"
	SourceImport   = "import"
	SourcePurchase = "purchase"
	SourceInPerson = "in_person"
)

// NormalizeSource trims a source label and lower-cases it, so that "Webinar"
// and "webinar " are the same source for rules and filters. Inner spaces are
// kept; an empty label stays empty.
func NormalizeSource(s string) string {
	return strings.ToLower(strings.TrimSpace(s))
}

// SourceRule applies a lawful basis automatically to contacts imported or
// created from a source (a web-form signup with the consent box ticked →
// consent; a purchase → contract).
type SourceRule struct {
	Source   string `json:"source"`
	Basis    Basis  `json:"basis"`
	Evidence string `json:"evidence,omitempty"` // recorded on each assignment the rule makes; never personal
}

// Validate checks a rule before it is stored.
func (r SourceRule) Validate() error {
	if NormalizeSource(r.Source) == "" {
		return fmt.Errorf("source rule needs a source label")
	}
	b, err := ParseBasis(string(r.Basis))
	if err != nil {
		return fmt.Errorf("source rule for %q: %w", r.Source, err)
	}
	if b != r.Basis {
		// The rule's basis is copied onto contacts as is; only the canonical
		// name matches HasBasis and the basis: filter.
		return fmt.Errorf("source rule for %q: basis %q is not normalized (want %q)", r.Source, r.Basis, b)
	}
	return nil
}
