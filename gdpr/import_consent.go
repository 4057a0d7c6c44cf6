package gdpr

import (
	"slices"
	"time"
)

// SettleImportedConsents makes a contact's consent history, as an import
// brings it (a file's opt-ins, opt-outs and consent bases, merged into
// what the desk held), what the rule book would have recorded had each
// event been entered as it happened (Art. 6(1)(a), 7(1), 7(3), 21(3)):
//
//   - each record names the purpose as the register does and carries that
//     purpose's marketing flag; a grant that names no versions names the
//     consent wording and privacy policy in force at its time (InForce) —
//     none when nothing was in force, so consent-proof counts it unproven;
//   - a record the history already holds (same purpose, grant and time) is
//     kept once, so importing a file again adds nothing;
//   - a purpose whose latest record is a grant has the consent basis for
//     it (the file's evidence kept when it brought one); a purpose whose
//     latest record is a withdrawal has none; a consent basis without a
//     purpose (a source rule's) ends when the person withdrew and no
//     consent stands;
//   - a marketing objection is lifted only by a later grant of a marketing
//     purpose — a consent the person gave after objecting.
//
// at is when a consent basis it adds is recorded as assigned when the
// grant has no time (never: grants always have one) — the import's time.
func SettleImportedConsents(c *Contact, register []Purpose, versions []PolicyVersion, at time.Time) {
	if len(c.Consents) == 0 {
		return
	}
	var kept []ConsentRecord
	for _, r := range c.Consents {
		r.Purpose = NormalizePurposeName(r.Purpose)
		if p, ok := FindPurpose(register, r.Purpose); ok {
			r.Marketing = p.Marketing
		}
		if r.Granted && r.ConsentVersion == 0 && r.PolicyVersion == 0 {
			r.NameVersionsInForce(versions)
		}
		if !slices.ContainsFunc(kept, func(k ConsentRecord) bool {
			return k.Purpose == r.Purpose && k.Granted == r.Granted && k.At.Equal(r.At)
		}) {
			kept = append(kept, r)
		}
	}
	slices.SortStableFunc(kept, func(a, b ConsentRecord) int { return a.At.Compare(b.At) })
	c.Consents = kept

	standing := c.ConsentPurposes()
	withdrew := slices.ContainsFunc(kept, func(r ConsentRecord) bool { return !r.Granted })
	var bases []BasisAssignment
	for _, b := range c.Bases {
		if b.Basis == BasisConsent {
			b.Purpose = NormalizePurposeName(b.Purpose)
			if b.Purpose == "" && withdrew && len(standing) == 0 {
				continue // a source rule's consent basis, withdrawn
			}
			if b.Purpose != "" && !slices.Contains(standing, b.Purpose) {
				if _, known := c.LatestConsent(b.Purpose); known {
					continue // withdrawn
				}
			}
		}
		bases = append(bases, b)
	}
	for _, p := range standing {
		if !slices.ContainsFunc(bases, func(b BasisAssignment) bool { return b.Basis == BasisConsent && b.Purpose == p }) {
			last, _ := c.LatestConsent(p)
			when := last.At
			if when.IsZero() {
				when = at
			}
			bases = append(bases, BasisAssignment{Basis: BasisConsent, Purpose: p, Source: SourceImport, Evidence: last.Method, At: when})
		}
	}
	c.Bases = bases

	if c.Objected() {
		for _, r := range kept {
			if r.Granted && r.Marketing && r.At.After(c.MarketingObjection) && slices.Contains(standing, r.Purpose) {
				c.MarketingObjection = time.Time{}
			}
		}
	}
}
