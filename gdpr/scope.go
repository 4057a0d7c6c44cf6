package gdpr

// The "in scope without a basis" set (Art. 3, Art. 6(1)): the contacts the
// desk holds with no lawful basis while the GDPR applies to them. The
// dashboard's figure, the contacts list it opens, the checklist items
// basis-recorded and basis-sweep and the sweep's candidates are this one
// set: the same count and the same rows (SPEC §9 "Scope").
//
// Which contacts are in scope depends on where the controller is
// established (Settings.Establishment):
//   - in the EU/EEA (Art. 3(1)): every contact, wherever they live;
//   - outside (Art. 3(2)): the contacts in the EU/EEA and those whose
//     country is not recorded (without a country the desk cannot show the
//     GDPR does not apply, so it takes the safe side);
//   - not set yet: the safe reading, every contact (the checklist item
//     establishment asks for the country).
//
// Anonymized contacts hold nothing personal and are out of scope, and so
// are contacts erased except what a legal hold keeps (their erasure is
// only waiting for the hold's end); restricted ones are still held and
// count.

// EstablishedInEEA reports whether the controller's country of
// establishment is in the EU/EEA (Art. 3(1)).
func (s Settings) EstablishedInEEA() bool {
	return s.Establishment != "" && EUStatusOf(s.Establishment) == EUYes
}

// EstablishedOutsideEEA reports whether the controller is established
// outside the EU/EEA (Art. 3(2)): only then is an EU representative
// needed (Art. 27) and only then are contacts outside the EU/EEA out of
// scope. An unset establishment is neither inside nor outside.
func (s Settings) EstablishedOutsideEEA() bool {
	return s.Establishment != "" && EUStatusOf(s.Establishment) != EUYes
}

// Subject reports whether the desk still holds the contact's data: active
// or restricted (not anonymized, not erased except held fields).
func (c *Contact) Subject() bool {
	return c.Status == ContactActive || c.Status == ContactRestricted
}

// InScopeFromAbroad reports whether the contact is in scope for a
// controller established outside the EU/EEA (Art. 3(2)): held, and in the
// EU/EEA or of unknown country. The store keeps counters of this set and
// of all subjects, so the figure for either establishment is read, never
// recounted.
func InScopeFromAbroad(c *Contact) bool {
	return c.Subject() && c.EU() != EUNo
}

// InScope reports whether the GDPR's protection is taken to apply to the
// contact under the settings' establishment (Art. 3).
func InScope(c *Contact, s Settings) bool {
	if s.EstablishedOutsideEEA() {
		return InScopeFromAbroad(c)
	}
	return c.Subject()
}

// InScopeWithoutBasis reports whether the contact is in scope and holds no
// lawful basis (Art. 6(1)): the contacts the checklist asks to fix and the
// sweep erases. WithoutBasisQuery selects the same contacts.
func InScopeWithoutBasis(c *Contact, s Settings) bool {
	return InScope(c, s) && len(c.Bases) == 0
}

// WithoutBasisQuery is the query of the "in scope without a basis" set:
// "basis:none status:active|restricted", with "eu:yes|unknown" in front
// for a controller established outside the EU/EEA. Every list, count and
// sweep of that set runs this query, and it matches exactly the contacts
// for which InScopeWithoutBasis holds.
func WithoutBasisQuery(s Settings) Query {
	held := []string{string(ContactActive), string(ContactRestricted)}
	terms := []Term{
		{Field: FieldBasis, Values: []string{string(BasisNone)}},
		{Field: FieldStatus, Values: held},
	}
	if s.EstablishedOutsideEEA() {
		terms = append([]Term{{Field: FieldEU, Values: []string{string(EUYes), string(EUUnknown)}}}, terms...)
	}
	return Query{Terms: terms}
}
