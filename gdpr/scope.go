package gdpr

// The "in scope without a basis" set (Art. 3, Art. 6(1)): the contacts the
// desk holds with no lawful basis while the GDPR applies to them. The
// dashboard's figure, the contacts list it opens, the checklist items
// basis-recorded and basis-sweep and the sweep's candidates are this one
// set: the same count and the same rows.
//
// In scope are the contacts in the EU/EEA and those whose country is not
// recorded: without a country the desk cannot show the GDPR does not apply,
// so it takes the safe side (SPEC §9, Art. 3(2)). Anonymized contacts hold
// nothing personal and are out of scope, and so are contacts erased except
// what a legal hold keeps (their erasure is only waiting for the hold's
// end); restricted ones are still held and count. The settings do not record the controller's country of
// establishment yet; once they do, a controller established in the EU/EEA
// (Art. 3(1)) has every contact in scope, and this is where that changes.

// InScope reports whether the GDPR's protection is taken to apply to the
// contact: active or restricted, and in the EU/EEA or of unknown country.
func InScope(c *Contact) bool {
	return (c.Status == ContactActive || c.Status == ContactRestricted) && c.EU() != EUNo
}

// InScopeWithoutBasis reports whether the contact is in scope and holds no
// lawful basis (Art. 6(1)): the contacts the checklist asks to fix and the
// sweep erases. WithoutBasisQuery selects the same contacts.
func InScopeWithoutBasis(c *Contact) bool {
	return InScope(c) && len(c.Bases) == 0
}

// WithoutBasisQuery is the query of the "in scope without a basis" set,
// written out "eu:yes|unknown basis:none status:active|restricted": every
// list, count and sweep of that set runs this query, and it matches exactly
// the contacts for which InScopeWithoutBasis holds.
func WithoutBasisQuery() Query {
	held := []string{string(ContactActive), string(ContactRestricted)}
	return Query{Terms: []Term{
		{Field: FieldEU, Values: []string{string(EUYes), string(EUUnknown)}},
		{Field: FieldBasis, Values: []string{string(BasisNone)}},
		{Field: FieldStatus, Values: held},
	}}
}
