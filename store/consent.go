package store

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/dgraph-io/badger/v4"
	"github.com/gdprdesk/gdprdesk/gdpr"
)

// GrantConsent records that the person consented to a purpose of the
// register at a time, by a method (gdpr.GrantConsent: the wording and
// policy versions in force then, the consent basis for the purpose), in one
// transaction with its audit entry. The method is sealed in the entry: it
// may say how the person was met.
func (s *Store) GrantConsent(operator string, id gdpr.ContactID, purpose string, at time.Time, method string) error {
	return s.write(operator, func(t *tx) error {
		p, err := t.consentPurpose(purpose)
		if err != nil {
			return err
		}
		versions, err := t.policyVersions()
		if err != nil {
			return err
		}
		return t.changeConsentOf(id, gdpr.ActionConsentGrant, method, func(c *gdpr.Contact) (string, error) {
			if err := gdpr.GrantConsent(c, p, at, method, versions, t.now, t.operator); err != nil {
				return "", err
			}
			r := c.Consents[len(c.Consents)-1]
			return fmt.Sprintf("consent for %s granted at %s (wording v%d, policy v%d)", p.Name, r.At.Format(time.RFC3339), r.ConsentVersion, r.PolicyVersion), nil
		})
	})
}

// WithdrawConsent records that the person withdrew consent to a purpose
// (Art. 7(3), gdpr.WithdrawConsent) now: the history stays, the consent
// basis for the purpose ends.
func (s *Store) WithdrawConsent(operator string, id gdpr.ContactID, purpose string, method string) error {
	return s.write(operator, func(t *tx) error {
		p, err := t.consentPurpose(purpose)
		if err != nil {
			return err
		}
		return t.changeConsentOf(id, gdpr.ActionConsentWithdraw, method, func(c *gdpr.Contact) (string, error) {
			had := len(c.Bases)
			if err := gdpr.WithdrawConsent(c, p, t.now, method); err != nil {
				return "", err
			}
			detail := "consent for " + p.Name + " withdrawn"
			if len(c.Bases) < had {
				detail += ", consent basis ended"
			}
			return detail, nil
		})
	})
}

// changeConsentOf applies a consent rule to a contact's clear record and
// stores it with its audit entry (the method sealed under the contact's key).
func (t *tx) changeConsentOf(id gdpr.ContactID, action gdpr.Action, method string, fn func(c *gdpr.Contact) (string, error)) error {
	rec, err := t.getContactRec(id)
	if err != nil {
		return err
	}
	old := rec.clear()
	now := cloneContact(old)
	detail, err := fn(&now)
	if err != nil {
		return err
	}
	applyConsentState(&rec, &now, t.now)
	if err := t.putClear(&old, &rec); err != nil {
		return err
	}
	var sealed []byte
	if method != "" {
		sealed = []byte(method)
	}
	t.audit(action, id.String(), detail, sealed, rec.Slot)
	return nil
}

// applyConsentState copies what the consent rules change — the records,
// the bases, the marketing objection — from the clear contact to its
// stored record. A basis the rules kept keeps its sealed evidence; one
// they added has none.
func applyConsentState(rec *contactRec, c *gdpr.Contact, now time.Time) {
	used := make([]bool, len(rec.Bases))
	bases := make([]basisRec, 0, len(c.Bases))
	for _, b := range c.Bases {
		found := false
		for i, r := range rec.Bases {
			if !used[i] && r.Basis == b.Basis && r.Purpose == b.Purpose && r.At.Equal(b.At) && r.Source == b.Source {
				used[i], found = true, true
				bases = append(bases, r)
				break
			}
		}
		if !found {
			bases = append(bases, basisRec{Basis: b.Basis, Purpose: b.Purpose, Source: b.Source, At: b.At.UTC(), By: b.By})
		}
	}
	rec.Bases, rec.Consents = bases, c.Consents
	rec.MarketingObjection, rec.UpdatedAt = c.MarketingObjection, now
}

// consentPurpose reads a purpose of the register that consent is given to.
func (t *tx) consentPurpose(name string) (gdpr.Purpose, error) {
	name = gdpr.NormalizePurposeName(name)
	if name == "" {
		return gdpr.Purpose{}, errors.New("consent is given for a purpose: name one (gdprdesk purpose list)")
	}
	var p gdpr.Purpose
	err := t.getJSON(purposeKey(name), &p)
	if errors.Is(err, ErrNotFound) {
		return p, fmt.Errorf("no purpose %q in the register (gdprdesk purpose list): %w", name, ErrNotFound)
	}
	return p, err
}

// policyVersions reads every policy version inside the transaction.
func (t *tx) policyVersions() ([]gdpr.PolicyVersion, error) {
	it := t.txn.NewIterator(badger.IteratorOptions{Prefix: prefixPolicy})
	defer it.Close()
	var out []gdpr.PolicyVersion
	for it.Rewind(); it.Valid(); it.Next() {
		b, err := it.Item().ValueCopy(nil)
		if err != nil {
			return nil, err
		}
		var pv gdpr.PolicyVersion
		if err := json.Unmarshal(b, &pv); err != nil {
			return nil, fmt.Errorf("decode policy version: %w", err)
		}
		out = append(out, pv)
	}
	return out, nil
}
