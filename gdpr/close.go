package gdpr

import (
	"fmt"
)

// CompletionDone says whether what a request asks for has been done, so
// that it may be closed as completed and the completion letter may say
// so (Art. 12(3): the person is told of the action taken; Art. 5(2): the
// business can show it). c is the person's contact as it stands now
// (anonymized or held after an erasure), nil when the request names no
// contact: then the desk holds no record of the person and there is
// nothing in it to check. By type:
//
//   - erasure (Art. 17(1)): the contact is anonymized, or erased except
//     what a legal hold keeps (Art. 17(3)(b));
//   - restriction (Art. 18(1)): the contact's processing is restricted;
//   - objection to processing (Art. 21(1)): no legitimate interests or
//     public task basis is left (the two bases Art. 21(1) is about);
//   - objection to direct marketing (Art. 21(3)): the objection is on
//     file (it is recorded when the request is logged);
//   - access, portability, rectification: nothing the desk records shows
//     the effect (the package is checked by LetterFits, and the desk keeps
//     no record of an edit's purpose), so nothing is checked.
func CompletionDone(r Request, c *Contact) error {
	if c == nil {
		return nil
	}
	switch r.Type {
	case RequestErasure:
		if c.Status != ContactAnonymized && c.Status != ContactHeld && r.AnonymizedAt.IsZero() {
			return fmt.Errorf("request %s asks for erasure (Art. 17) and %s is still %s: erase it first (anonymize %s --request %s)",
				r.ID, c.ID, c.Status, c.ID, r.ID)
		}
	case RequestRestriction:
		if c.Status != ContactRestricted {
			return fmt.Errorf("request %s asks for restriction (Art. 18) and %s is %s, not restricted: restrict it first (restrict %s --reason …)",
				r.ID, c.ID, c.Status, c.ID)
		}
	case RequestObjection:
		if r.ObjectsToMarketing() {
			if c.MarketingObjection.IsZero() && c.Status != ContactAnonymized {
				return fmt.Errorf("request %s objects to direct marketing (Art. 21(3)) and %s has no marketing objection on file", r.ID, c.ID)
			}
			return nil
		}
		if c.Status == ContactAnonymized || c.Status == ContactHeld {
			return nil
		}
		for _, b := range []Basis{BasisLegitimateInterests, BasisPublicTask} {
			if c.HasBasis(b) {
				return fmt.Errorf("request %s objects to processing (Art. 21(1)) and %s is still processed on %s: remove that basis (contacts basis --remove), or deny the request on compelling legitimate grounds",
					r.ID, c.ID, b)
			}
		}
	}
	return nil
}
