package gdpr

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

// DenialGround is the named ground on which a request is refused (SPEC §9
// "Denials, by type"). The words are what the command line takes
// (request close --ground).
type DenialGround string

// The grounds the GDPR gives for refusing a request.
const (
	// GroundUnfounded: manifestly unfounded or excessive, in particular
	// repetitive (Art. 12(5)(b)). The controller bears the burden of
	// showing it.
	GroundUnfounded DenialGround = "unfounded"
	// GroundRightsOfOthers: answering would adversely affect the rights
	// and freedoms of others (Art. 15(4)).
	GroundRightsOfOthers DenialGround = "rights-of-others"
	// GroundNationalLaw: a restriction by Union or Member State law
	// (Art. 23); the reason names the law.
	GroundNationalLaw DenialGround = "national-law"
	// GroundExpression: freedom of expression and information (Art. 17(3)(a)).
	GroundExpression DenialGround = "expression"
	// GroundLegalObligation: a legal obligation or public task needs the
	// data (Art. 17(3)(b)) — tax law's invoices, for instance.
	GroundLegalObligation DenialGround = "legal-obligation"
	// GroundPublicHealth: public interest in public health (Art. 17(3)(c)).
	GroundPublicHealth DenialGround = "public-health"
	// GroundArchiving: archiving, research or statistics in the public
	// interest (Art. 17(3)(d)).
	GroundArchiving DenialGround = "archiving"
	// GroundLegalClaims: establishing, exercising or defending legal
	// claims (Art. 17(3)(e)) — an unpaid invoice.
	GroundLegalClaims DenialGround = "legal-claims"
	// GroundStillNeeded: none of the cases of Art. 17(1) applies yet —
	// an open contract still needs the data (Art. 17(1)(a)).
	GroundStillNeeded DenialGround = "still-needed"
	// GroundNotPortable: the processing rests neither on consent nor on a
	// contract, so the right to portability does not apply (Art. 20(1)(a)).
	GroundNotPortable DenialGround = "not-portable"
	// GroundCompelling: compelling legitimate grounds that override the
	// person's interests, or legal claims (Art. 21(1)); the reason sets
	// them out.
	GroundCompelling DenialGround = "compelling-grounds"
	// GroundAccurate: the data contested is accurate (Art. 16).
	GroundAccurate DenialGround = "accurate"
	// GroundNoRestrictionCase: none of the cases of Art. 18(1) applies.
	GroundNoRestrictionCase DenialGround = "no-restriction-case"
	// GroundIdentity: the business could not identify the person, who gave
	// no further information that would have let it (Art. 12(2) second
	// sentence with Art. 11(2), and Art. 12(6): the information asked to
	// confirm the identity never came). Never for an objection to direct
	// marketing, which takes effect whoever asked (Art. 21(3)).
	GroundIdentity DenialGround = "identity-not-established"
)

// Article names where the law gives the ground.
func (g DenialGround) Article() string {
	switch g {
	case GroundUnfounded:
		return "Art. 12(5)"
	case GroundRightsOfOthers:
		return "Art. 15(4)"
	case GroundNationalLaw:
		return "Art. 23"
	case GroundExpression:
		return "Art. 17(3)(a)"
	case GroundLegalObligation:
		return "Art. 17(3)(b)"
	case GroundPublicHealth:
		return "Art. 17(3)(c)"
	case GroundArchiving:
		return "Art. 17(3)(d)"
	case GroundLegalClaims:
		return "Art. 17(3)(e)"
	case GroundStillNeeded:
		return "Art. 17(1)"
	case GroundNotPortable:
		return "Art. 20(1)"
	case GroundCompelling:
		return "Art. 21(1)"
	case GroundAccurate:
		return "Art. 16"
	case GroundNoRestrictionCase:
		return "Art. 18(1)"
	case GroundIdentity:
		return "Art. 12(2), 11(2), 12(6)"
	}
	return ""
}

// Label says the ground in words with its article, for screens and letters.
func (g DenialGround) Label() string {
	words := map[DenialGround]string{
		GroundUnfounded:         "manifestly unfounded or excessive",
		GroundRightsOfOthers:    "would affect the rights of others",
		GroundNationalLaw:       "restricted by national law",
		GroundExpression:        "freedom of expression and information",
		GroundLegalObligation:   "a legal obligation needs the data",
		GroundPublicHealth:      "public health",
		GroundArchiving:         "archiving, research or statistics",
		GroundLegalClaims:       "needed for legal claims",
		GroundStillNeeded:       "still needed for the contract",
		GroundNotPortable:       "processing rests on neither consent nor contract",
		GroundCompelling:        "compelling legitimate grounds",
		GroundAccurate:          "the data is accurate",
		GroundNoRestrictionCase: "no case for restriction applies",
		GroundIdentity:          "identity not established",
	}[g]
	if words == "" {
		return string(g)
	}
	return words + " (" + g.Article() + ")"
}

// DenialGrounds lists the grounds on which a request may be refused, by
// its type (and an objection's scope). An objection to direct marketing
// has none: it is absolute (Art. 21(3)). Art. 12(5) applies to every other
// request, national law may restrict every right (Art. 23), and every
// other request may be refused when the person could not be identified
// and gave nothing further to identify them (Art. 12(2), 11(2), 12(6)).
func DenialGrounds(r Request) []DenialGround {
	common := []DenialGround{GroundUnfounded, GroundNationalLaw, GroundIdentity}
	switch r.Type {
	case RequestAccess:
		return append(common, GroundRightsOfOthers)
	case RequestPortability:
		return append(common, GroundRightsOfOthers, GroundNotPortable)
	case RequestErasure:
		return append(common, GroundExpression, GroundLegalObligation, GroundPublicHealth, GroundArchiving, GroundLegalClaims, GroundStillNeeded)
	case RequestRectification:
		return append(common, GroundAccurate)
	case RequestRestriction:
		return append(common, GroundNoRestrictionCase)
	case RequestObjection:
		if r.ObjectsToMarketing() {
			return nil
		}
		return append(common, GroundCompelling)
	}
	return nil
}

// ParseDenialGround reads a ground by its word.
func ParseDenialGround(s string) (DenialGround, error) {
	v := DenialGround(strings.ReplaceAll(strings.ToLower(strings.TrimSpace(s)), "_", "-"))
	if v.Article() == "" {
		return "", fmt.Errorf("unknown denial ground %q: use one of %s", s, groundWords(allGrounds()))
	}
	return v, nil
}

func allGrounds() []DenialGround {
	return []DenialGround{GroundUnfounded, GroundRightsOfOthers, GroundNationalLaw, GroundExpression, GroundLegalObligation,
		GroundPublicHealth, GroundArchiving, GroundLegalClaims, GroundStillNeeded, GroundNotPortable, GroundCompelling,
		GroundAccurate, GroundNoRestrictionCase, GroundIdentity}
}

func groundWords(gs []DenialGround) string {
	w := make([]string, len(gs))
	for i, g := range gs {
		w[i] = string(g)
	}
	return strings.Join(w, ", ")
}

// ErrNeverDenied refuses a denial of an objection to direct marketing.
var ErrNeverDenied = errors.New("an objection to direct marketing can never be refused (Art. 21(3)): it took effect when it was logged; complete the request")

// CheckDenial says whether the request may be refused on the ground with
// the reason (SPEC §9 "Denials, by type"): never an objection to
// marketing; always with a written reason (Art. 12(4)); only on a ground
// the law gives for this type; portability's "not portable" only when the
// contact holds neither consent nor contract (Art. 20(1)(a)). c is the
// person, nil when unknown or erased.
func CheckDenial(r Request, g DenialGround, reason string, c *Contact) error {
	if r.ObjectsToMarketing() {
		return ErrNeverDenied
	}
	grounds := DenialGrounds(r)
	if g == "" {
		return fmt.Errorf("a denial needs a ground: for a %s request, one of %s", r.Type, groundWords(grounds))
	}
	if !slices.Contains(grounds, g) {
		return fmt.Errorf("%s is no ground to refuse a %s request: use one of %s", g.Label(), r.Type, groundWords(grounds))
	}
	if strings.TrimSpace(reason) == "" {
		what := "the reason"
		switch g {
		case GroundNationalLaw:
			what = "the law that restricts the right (Art. 23)"
		case GroundCompelling:
			what = "the compelling legitimate grounds (Art. 21(1))"
		}
		return fmt.Errorf("a denial needs a written reason naming %s: the person must be told why (Art. 12(4))", what)
	}
	if g == GroundNotPortable && c != nil && (c.HasBasis(BasisConsent) || c.HasBasis(BasisContract)) {
		return errors.New("the data is processed on consent or a contract, so the right to portability applies (Art. 20(1)(a))")
	}
	return nil
}
