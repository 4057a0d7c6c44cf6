package gdpr

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// SourceConsent is the source of a consent basis that stands on a consent
// record the desk holds (GrantConsent).
const SourceConsent = "consent"

// ErrNothingToWithdraw is returned when a withdrawal names a purpose the
// person holds neither a standing consent nor a consent basis for.
var ErrNothingToWithdraw = errors.New("nothing to withdraw")

// GrantConsent records that the person consented to a purpose (Art. 6(1)(a),
// Art. 7(1)): at what time, how (method), and to which consent wording and
// privacy policy — the versions in force at that time (InForce), never a
// later one, since the person agreed to the text they were shown. The
// contact gets the consent basis for that purpose unless it holds it
// already. A consent to a marketing purpose given after a marketing
// objection lifts the objection (Art. 21(3)): only a consent the person
// gives does, so this is the only place that lifts it — a restriction
// lifted or a bulk tag never does. Consent cannot be recorded as given
// after now, nor before the latest record for the purpose (the latest
// record decides, so an earlier grant would stand on nothing).
func GrantConsent(c *Contact, p Purpose, at time.Time, method string, versions []PolicyVersion, now time.Time, by string) error {
	if c.Status == ContactAnonymized || c.Status == ContactHeld {
		return fmt.Errorf("contact %s is erased: consent cannot be recorded", c.ID)
	}
	if p.Basis != BasisConsent {
		return fmt.Errorf("purpose %s rests on %s, not consent: record its basis instead", p.Name, p.Basis.Label())
	}
	if at.IsZero() {
		at = now
	}
	at = at.UTC()
	if at.After(now) {
		return fmt.Errorf("consent cannot be recorded as given after now (%s)", at.Format(time.RFC3339))
	}
	if last, ok := c.LatestConsent(p.Name); ok && at.Before(last.At) {
		return fmt.Errorf("consent for %s was last recorded at %s: a grant cannot be dated before it", p.Name, last.At.Format(time.RFC3339))
	}
	method = strings.TrimSpace(method)
	if method == "" {
		method = SourceManual
	}
	rec := ConsentRecord{Purpose: p.Name, Granted: true, At: at, Method: method, Marketing: p.Marketing}
	rec.NameVersionsInForce(versions)
	if err := rec.Validate(); err != nil {
		return err
	}
	if err := CheckStorableDate("consent time", rec.At); err != nil {
		return err
	}
	if err := checkField("consent method", method, MaxFieldLen); err != nil {
		return err
	}
	c.Consents = append(append([]ConsentRecord(nil), c.Consents...), rec)
	if !c.HasBasisFor(BasisConsent, p.Name) {
		c.Bases = append(append([]BasisAssignment(nil), c.Bases...),
			BasisAssignment{Basis: BasisConsent, Purpose: p.Name, Source: SourceConsent, At: at, By: by})
	}
	// A consent older than the objection does not lift it: the objection
	// came after, and stands.
	if p.Marketing && !c.MarketingObjection.IsZero() && !at.Before(c.MarketingObjection) {
		c.MarketingObjection = time.Time{}
	}
	return nil
}

// WithdrawConsent records that the person withdrew consent to a purpose
// (Art. 7(3)): a withdrawal record is added (the grants stay, as history)
// and the consent basis for that purpose ends from that moment. A consent
// basis held without a purpose (from a bulk tag or an import, with no
// record behind it) ends too when no other consent purpose stands after
// the withdrawal — the person withdrew, and nothing else holds it up. It is
// ErrNothingToWithdraw only when there is neither a standing consent for
// the purpose nor a consent basis to end. A withdrawal cannot be dated
// before the latest record for the purpose.
func WithdrawConsent(c *Contact, p Purpose, at time.Time, method string) error {
	if c.Status == ContactAnonymized || c.Status == ContactHeld {
		return fmt.Errorf("contact %s is erased: there is no consent left to withdraw", c.ID)
	}
	if at.IsZero() {
		return errors.New("a withdrawal needs its time")
	}
	at = at.UTC()
	last, recorded := c.LatestConsent(p.Name)
	standing := recorded && last.Granted
	if recorded && at.Before(last.At) {
		return fmt.Errorf("consent for %s was last recorded at %s: a withdrawal cannot be dated before it", p.Name, last.At.Format(time.RFC3339))
	}
	others := 0
	for _, name := range c.ConsentPurposes() {
		if name != p.Name {
			others++
		}
	}
	var kept []BasisAssignment
	ended := false
	for _, b := range c.Bases {
		if b.Basis == BasisConsent && (b.Purpose == p.Name || (b.Purpose == "" && others == 0)) {
			ended = true
			continue
		}
		kept = append(kept, b)
	}
	if !standing && !ended {
		return fmt.Errorf("%w: contact %s holds no consent for %s", ErrNothingToWithdraw, c.ID, p.Name)
	}
	method = strings.TrimSpace(method)
	if method == "" {
		method = SourceManual
	}
	if err := checkField("consent method", method, MaxFieldLen); err != nil {
		return err
	}
	// The withdrawal carries the purpose's marketing flag: withdrawing a
	// marketing consent is an opt-out the soft opt-in must respect.
	rec := ConsentRecord{Purpose: p.Name, Granted: false, At: at, Method: method, Marketing: p.Marketing || last.Marketing}
	if err := rec.Validate(); err != nil {
		return err
	}
	if err := CheckStorableDate("consent time", rec.At); err != nil {
		return err
	}
	c.Consents = append(append([]ConsentRecord(nil), c.Consents...), rec)
	if ended {
		c.Bases = kept
	}
	return nil
}

// HasBasisFor reports whether the contact holds the basis for the purpose
// ("" : held without a purpose).
func (c *Contact) HasBasisFor(b Basis, purpose string) bool {
	for _, a := range c.Bases {
		if a.Basis == b && a.Purpose == purpose {
			return true
		}
	}
	return false
}

// WithdrawablePurposes lists what the person can withdraw consent for: the
// purposes their consent stands for, and "" when a consent basis is held
// without a purpose (it ends when they withdraw and nothing else stands).
func (c *Contact) WithdrawablePurposes() []string {
	out := c.ConsentPurposes()
	for _, b := range c.Bases {
		if b.Basis == BasisConsent && b.Purpose != "" && !containsName(out, b.Purpose) {
			out = append(out, b.Purpose)
		}
	}
	if c.HasBasisFor(BasisConsent, "") {
		out = append(out, "")
	}
	return out
}

func containsName(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// consentProven reports whether a consent basis held for the purpose is
// proven (Art. 7(1)): the latest record for it is a grant naming the
// consent wording in force. A basis held without a purpose is proven by
// any standing grant that names its wording.
func (c *Contact) consentProven(purpose string) bool {
	if purpose != "" {
		r, ok := c.LatestConsent(purpose)
		return ok && r.HasProof()
	}
	for _, p := range c.ConsentPurposes() {
		if r, _ := c.LatestConsent(p); r.HasProof() {
			return true
		}
	}
	return false
}

// EffectiveSlack is how far before now a new version may say it takes
// effect and still take effect at once: the time between a screen reading
// the clock and the store writing.
const EffectiveSlack = time.Minute

// CheckEffective decides when a new version of the privacy policy or the
// consent wording takes effect (Art. 7(1)): consents name the version in
// force when they were given, so a version cannot take effect in the past —
// it would claim a text no one was shown. A date in the future is a
// scheduled change; zero (or a moment within EffectiveSlack of now) means
// now. While the desk holds no contacts yet (setup: no consent can have
// named a version), the texts already in force are recorded with their
// real dates.
func CheckEffective(effective, now time.Time, setup bool) (time.Time, error) {
	now = now.UTC()
	if effective.IsZero() {
		return now, nil
	}
	effective = effective.UTC()
	if err := CheckStorableDate("effective date", effective); err != nil {
		return effective, err
	}
	if setup || !effective.Before(now) {
		return effective, nil
	}
	if now.Sub(effective) <= EffectiveSlack {
		return now, nil
	}
	return effective, fmt.Errorf("a version cannot take effect in the past (%s): give today or a later date", effective.Format(time.DateOnly))
}

// ConsentChangeApplies reports whether a bulk consent change for the
// purpose would change the contact (as BasisChangeApplies for the other
// bases): adding, when the person is not erased and the consent for the
// purpose does not stand or its basis is not held; removing (a withdrawal
// per contact), when WithdrawConsent has something to withdraw.
func (c *Contact) ConsentChangeApplies(purpose string, remove bool) bool {
	if c.Status == ContactAnonymized || c.Status == ContactHeld {
		return false
	}
	standing := ConsentGiven(c.Consents, purpose)
	if !remove {
		return !standing || !c.HasBasisFor(BasisConsent, purpose)
	}
	if standing || c.HasBasisFor(BasisConsent, purpose) {
		return true
	}
	if !c.HasBasisFor(BasisConsent, "") {
		return false
	}
	for _, p := range c.ConsentPurposes() {
		if p != purpose {
			return false
		}
	}
	return true
}

// KeepsABasisWithout reports whether c still has a lawful basis (Art. 6(1))
// once b is removed — for consent, once its consent for purpose ends. A
// contact left with none may not be processed: the desk warns before such
// a removal (one contact or many).
func (c *Contact) KeepsABasisWithout(b Basis, purpose string) bool {
	for _, a := range c.Bases {
		if a.Basis != b && a.Basis != BasisConsent {
			return true
		}
	}
	if b != BasisConsent {
		return c.HasBasis(BasisConsent)
	}
	for _, p := range c.WithdrawablePurposes() {
		if p != purpose {
			return true
		}
	}
	return false
}
