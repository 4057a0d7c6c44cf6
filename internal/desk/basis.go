package desk

import (
	"context"
	"errors"
	"fmt"

	"github.com/gdprdesk/gdprdesk/gdpr"
	"github.com/gdprdesk/gdprdesk/store"
)

// BasisStore is what a bulk change of lawful basis reads and changes;
// *store.Store satisfies it.
type BasisStore interface {
	Contact(id gdpr.ContactID) (gdpr.Contact, error)
	Count(q gdpr.Query) (int64, error)
	ApplyBasis(ctx context.Context, operator string, q gdpr.Query, ch store.BasisChange, progress func(store.BulkProgress)) (store.BulkResult, error)
	ApplyBasisTo(ctx context.Context, operator string, ids []gdpr.ContactID, ch store.BasisChange, progress func(store.BulkProgress)) (store.BulkResult, error)
}

// Contacts is what a bulk change applies to: every contact matching Query,
// or, when Query is nil, the contacts IDs names.
type Contacts struct {
	Query *gdpr.Query
	IDs   []gdpr.ContactID
}

// PreviewBasisChange says how many of the contacts the change would
// change (gdpr.Contact.BasisChangeApplies), before it runs. For a query it
// is worked out from counts, without reading the contacts: adding, those
// that match less those already holding the basis and the anonymized;
// removing, those holding it. Marked contacts are read one by one.
func PreviewBasisChange(s BasisStore, set Contacts, ch store.BasisChange) (int64, error) {
	if set.Query == nil {
		var n int64
		for _, id := range set.IDs {
			c, err := s.Contact(id)
			if errors.Is(err, store.ErrNotFound) {
				continue
			}
			if err != nil {
				return 0, fmt.Errorf("read %s: %w", id, err)
			}
			if applies(&c, ch) {
				n++
			}
		}
		return n, nil
	}
	q := *set.Query
	with := func(f gdpr.Field, v string) gdpr.Query {
		w := q
		w.Terms = append(append([]gdpr.Term(nil), q.Terms...), gdpr.Term{Field: f, Values: []string{v}})
		return w
	}
	holding, err := s.Count(with(gdpr.FieldBasis, string(ch.Basis)))
	if err != nil {
		return 0, fmt.Errorf("count the contacts holding %s: %w", ch.Basis, err)
	}
	if ch.Remove {
		// For consent this is an upper bound: a contact whose consent
		// stands only for other purposes is counted, and left alone.
		return holding, nil
	}
	if ch.Basis == gdpr.BasisConsent {
		// Consent is recorded per purpose: those whose consent for it
		// stands, and the erased (anonymized or held), are left alone.
		if holding, err = s.Count(with(gdpr.FieldPurpose, gdpr.NormalizePurposeName(ch.Purpose))); err != nil {
			return 0, fmt.Errorf("count the contacts consenting to %s: %w", ch.Purpose, err)
		}
		held, err := s.Count(with(gdpr.FieldStatus, string(gdpr.ContactHeld)))
		if err != nil {
			return 0, fmt.Errorf("count the held contacts: %w", err)
		}
		holding += held
	}
	all, err := s.Count(q)
	if err != nil {
		return 0, fmt.Errorf("count the contacts: %w", err)
	}
	gone, err := s.Count(with(gdpr.FieldStatus, string(gdpr.ContactAnonymized)))
	if err != nil {
		return 0, fmt.Errorf("count the anonymized contacts: %w", err)
	}
	return all - holding - gone, nil
}

// applies is the rule a change follows on one contact: consent per
// purpose (gdpr.Contact.ConsentChangeApplies), any other basis as a whole
// (gdpr.Contact.BasisChangeApplies).
func applies(c *gdpr.Contact, ch store.BasisChange) bool {
	if ch.Basis == gdpr.BasisConsent {
		return c.ConsentChangeApplies(gdpr.NormalizePurposeName(ch.Purpose), ch.Remove)
	}
	return c.BasisChangeApplies(ch.Basis, ch.Remove)
}

// ApplyBasisChange adds or removes a lawful basis on the contacts, in
// chunks each committed with its audit entry; progress is told after every
// chunk, and a cancelled ctx stops between chunks (the result says so).
func ApplyBasisChange(ctx context.Context, s BasisStore, operator string, set Contacts, ch store.BasisChange, progress func(store.BulkProgress)) (store.BulkResult, error) {
	if set.Query != nil {
		return s.ApplyBasis(ctx, operator, *set.Query, ch, progress)
	}
	return s.ApplyBasisTo(ctx, operator, set.IDs, ch, progress)
}

// LeftWithoutBasis says how many of the contacts a removal would leave with
// no lawful basis at all (Art. 6(1): their data then may not be processed),
// so the owner is warned before it runs. Adding leaves no one without. For
// a query it is worked out from counts: those holding the basis less those
// also holding another. Removing consent for one purpose, a contact whose
// consent stands for another purpose keeps it, which counts cannot tell:
// the figure is then an upper bound (upTo). Marked contacts are read one by
// one, and the figure is exact.
func LeftWithoutBasis(s BasisStore, set Contacts, ch store.BasisChange) (n int64, upTo bool, err error) {
	if !ch.Remove {
		return 0, false, nil
	}
	purpose := gdpr.NormalizePurposeName(ch.Purpose)
	if set.Query == nil {
		for _, id := range set.IDs {
			c, err := s.Contact(id)
			if errors.Is(err, store.ErrNotFound) {
				continue
			}
			if err != nil {
				return 0, false, fmt.Errorf("read %s: %w", id, err)
			}
			if applies(&c, ch) && !c.KeepsABasisWithout(ch.Basis, purpose) {
				n++
			}
		}
		return n, false, nil
	}
	q := *set.Query
	with := func(terms ...gdpr.Term) gdpr.Query {
		w := q
		w.Terms = append(append([]gdpr.Term(nil), q.Terms...), terms...)
		return w
	}
	holding := gdpr.Term{Field: gdpr.FieldBasis, Values: []string{string(ch.Basis)}}
	if ch.Basis == gdpr.BasisConsent {
		holding = gdpr.Term{Field: gdpr.FieldPurpose, Values: []string{purpose}}
	}
	other := gdpr.Term{Field: gdpr.FieldBasis}
	for _, b := range gdpr.Bases() {
		if b != ch.Basis {
			other.Values = append(other.Values, string(b))
		}
	}
	all, err := s.Count(with(holding))
	if err != nil {
		return 0, false, fmt.Errorf("count the contacts holding %s: %w", ch.Basis, err)
	}
	kept, err := s.Count(with(holding, other))
	if err != nil {
		return 0, false, fmt.Errorf("count the contacts holding another basis: %w", err)
	}
	return all - kept, ch.Basis == gdpr.BasisConsent, nil
}
