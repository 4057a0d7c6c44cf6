package gdpr

// MarketingClass is what a contact's own record says about electronic
// direct marketing (email, SMS). Whether the soft opt-in class may be
// marketed to is the controller's setting (Settings.SoftOptIn), so the
// store indexes the class and Marketable adds the setting.
type MarketingClass string

// The marketing classes of SPEC §9.
const (
	// MarketingConsent: a granted, not withdrawn consent for a marketing
	// purpose, no objection, not restricted or erased.
	MarketingConsent MarketingClass = "consent"
	// MarketingSoftOptIn: no such consent, but a contract and no opt-out —
	// marketable only under the existing-customer exemption (ePrivacy
	// Art. 13(2)) when the controller switched it on.
	MarketingSoftOptIn MarketingClass = "soft"
	// MarketingNo: never marketable.
	MarketingNo MarketingClass = "no"
)

// MarketingClasses lists the classes in index order.
func MarketingClasses() []MarketingClass {
	return []MarketingClass{MarketingConsent, MarketingSoftOptIn, MarketingNo}
}

// MarketingClass classifies the contact for electronic direct marketing
// (SPEC §9; GDPR Art. 6(1)(a), 7(3), 18, 21(2)–(3); ePrivacy Art. 13):
// an erased, held or restricted contact, or one who objected to marketing,
// is never marketable; a granted, not withdrawn consent for a marketing
// purpose makes the contact marketable; a contract with no opt-out (no
// objection, no withdrawn marketing consent) makes it marketable under the
// soft opt-in only. Legitimate interests alone, or no basis, never do.
func (c *Contact) MarketingClass() MarketingClass {
	if c.Status != ContactActive || !c.MarketingObjection.IsZero() {
		return MarketingNo
	}
	optedOut := false
	for _, p := range c.ConsentPurposes() {
		if r, _ := c.LatestConsent(p); r.Marketing {
			return MarketingConsent
		}
	}
	for _, r := range c.Consents {
		if r.Marketing && !r.Granted {
			optedOut = true
		}
	}
	if c.HasBasis(BasisContract) && !optedOut {
		return MarketingSoftOptIn
	}
	return MarketingNo
}

// Marketable reports whether the contact may receive electronic direct
// marketing under the controller's settings: by consent, or by the soft
// opt-in when it is switched on (SPEC §9).
func (c *Contact) Marketable(s Settings) bool {
	switch c.MarketingClass() {
	case MarketingConsent:
		return true
	case MarketingSoftOptIn:
		return s.SoftOptIn
	}
	return false
}

// MarketableClasses are the classes that marketing:yes selects under the
// settings; the others are marketing:no.
func MarketableClasses(s Settings) []MarketingClass {
	if s.SoftOptIn {
		return []MarketingClass{MarketingConsent, MarketingSoftOptIn}
	}
	return []MarketingClass{MarketingConsent}
}

// LatestConsent returns the latest consent record for a purpose (the
// history in time order, a later record of the same time winning).
func (c *Contact) LatestConsent(purpose string) (ConsentRecord, bool) {
	var last ConsentRecord
	found := false
	for _, r := range c.Consents {
		if r.Purpose == purpose && (!found || !r.At.Before(last.At)) {
			last, found = r, true
		}
	}
	return last, found
}

// ConsentPurposes lists the purposes the person's consent stands for now:
// the latest record for each is a grant (Art. 7(3): a withdrawal ends it).
func (c *Contact) ConsentPurposes() []string {
	var out []string
	seen := map[string]bool{}
	for _, r := range c.Consents {
		if seen[r.Purpose] {
			continue
		}
		seen[r.Purpose] = true
		if last, _ := c.LatestConsent(r.Purpose); last.Granted {
			out = append(out, r.Purpose)
		}
	}
	return out
}

// Objected reports whether the person objected to direct marketing.
func (c *Contact) Objected() bool { return !c.MarketingObjection.IsZero() }
