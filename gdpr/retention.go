package gdpr

import (
	"time"
)

// Lapse is one purpose whose retention has run out for a person: the
// purpose, the ground its clock ran from, and the day it lapsed.
type Lapse struct {
	Purpose string    `json:"purpose"`
	Ground  string    `json:"ground"` // "consent given", "consent withdrawn", "contract recorded", …
	Anchor  time.Time `json:"anchor"` // when the ground was recorded
	Since   time.Time `json:"since"`  // Anchor plus the purpose's RetentionDays
}

// RetentionLapsed applies the retention schedule (Art. 5(1)(e) storage
// limitation, Art. 17(1)(a)–(b); SPEC §10) to one person: it returns the
// purposes that concern them when every one of those has lapsed at now,
// and nil when any has not — the person is then kept.
//
// The purposes that concern a person, and the anchor each one's clock
// runs from:
//
//   - a purpose on consent, when the person gave or withdrew consent to
//     it, or holds the consent basis for it: a withdrawn consent lapses
//     RetentionDays after the withdrawal (at the withdrawal itself when
//     the purpose has no retention rule: without consent there is nothing
//     left to process for, Art. 17(1)(b)); a standing consent lapses
//     RetentionDays after the latest grant (a webinar's follow-up runs
//     from the registration), and never when the purpose has no rule;
//   - a purpose on any other basis, when the person holds that basis for
//     it (or with no purpose named, Purpose.AppliesTo): it lapses
//     RetentionDays after the latest date that basis was recorded (the
//     order, the enquiry), and never when the purpose has no rule.
//
// Nothing else counts as activity: a bulk change or a rectification does
// not restart a clock, since neither is a new ground; recording the basis
// again (a new order) does.
//
// A person who holds any basis, or any standing consent, that no purpose
// of the register covers is kept whatever else lapsed: that ground has no
// retention rule, so the data is still needed for it (a vital-interests
// basis recorded today must not be erased because an old webinar
// lapsed). A ground covered by a purpose without a rule keeps the person
// likewise (lapseOf). One with no basis and no consent at all is not
// the retention schedule's, but the sweep of people without a basis
// (WithoutBasisQuery). An erased person (anonymized, or erased except
// held records) is never listed: the sweep finishes held records when
// their hold ends.
func RetentionLapsed(c *Contact, purposes []Purpose, now time.Time) []Lapse {
	if c.Status == ContactAnonymized || c.Status == ContactHeld {
		return nil
	}
	if uncoveredGround(c, purposes) {
		return nil
	}
	var out []Lapse
	for _, p := range purposes {
		l, concerns, lapsed := lapseOf(c, p, now)
		if !concerns {
			continue
		}
		if !lapsed {
			return nil
		}
		out = append(out, l)
	}
	return out
}

// lapseOf says whether the purpose concerns the person and, if so,
// whether it has lapsed at now.
func lapseOf(c *Contact, p Purpose, now time.Time) (l Lapse, concerns, lapsed bool) {
	l.Purpose = p.Name
	if p.Basis == BasisConsent {
		last, recorded := c.LatestConsent(p.Name)
		held := false
		var heldAt time.Time
		for _, b := range c.Bases {
			if b.Basis == BasisConsent && b.Purpose == p.Name {
				held = true
				heldAt = later(heldAt, b.At)
			}
		}
		switch {
		case recorded && !last.Granted:
			l.Ground, l.Anchor = "consent withdrawn", last.At
			l.Since = after(last.At, p.RetentionDays)
			return l, true, !now.Before(l.Since)
		case recorded:
			l.Ground, l.Anchor = "consent given", last.At
		case held:
			l.Ground, l.Anchor = "consent recorded", heldAt
		default:
			return l, false, false
		}
		if p.RetentionDays <= 0 {
			return l, true, false
		}
		l.Since = after(l.Anchor, p.RetentionDays)
		return l, true, !now.Before(l.Since)
	}
	if !p.AppliesTo(c) {
		return l, false, false
	}
	for _, b := range c.Bases {
		if b.Basis == p.Basis && (b.Purpose == "" || b.Purpose == p.Name) {
			l.Anchor = later(l.Anchor, b.At)
		}
	}
	if l.Anchor.IsZero() {
		l.Anchor = c.CreatedAt
	}
	l.Ground = string(p.Basis) + " recorded"
	if p.RetentionDays <= 0 {
		return l, true, false
	}
	l.Since = after(l.Anchor, p.RetentionDays)
	return l, true, !now.Before(l.Since)
}

// uncoveredGround reports whether the person holds a basis or a standing
// consent that no purpose of the register covers, the way lapseOf reads
// them: a consent basis or consent is covered by the consent purpose it
// names; any other basis by a purpose on that basis, for the purpose it
// names or, named none, for any purpose on it.
func uncoveredGround(c *Contact, purposes []Purpose) bool {
	covers := func(b Basis, purpose string) bool {
		for _, p := range purposes {
			if p.Basis != b {
				continue
			}
			if p.Name == purpose || (purpose == "" && b != BasisConsent) {
				return true
			}
		}
		return false
	}
	for _, b := range c.Bases {
		if !covers(b.Basis, b.Purpose) {
			return true
		}
	}
	for _, name := range c.ConsentPurposes() {
		if !covers(BasisConsent, name) {
			return true
		}
	}
	return false
}

func after(t time.Time, days int) time.Time { return t.UTC().AddDate(0, 0, max(days, 0)) }

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}
