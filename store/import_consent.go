package store

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/dgraph-io/badger/v4"
	"github.com/gdprdesk/gdprdesk/gdpr"
)

// consentBook is what an import needs to settle consents
// (gdpr.SettleImportedConsents): the purposes register and the policy
// versions, read once per transaction or preparation.
type consentBook struct {
	purposes []gdpr.Purpose
	versions []gdpr.PolicyVersion
}

// readConsentBook reads the register and the versions in a transaction.
func readConsentBook(txn *badger.Txn) (*consentBook, error) {
	b := &consentBook{}
	for _, part := range []struct {
		prefix []byte
		add    func([]byte) error
	}{
		{prefixPurpose, func(v []byte) error {
			var p gdpr.Purpose
			if err := json.Unmarshal(v, &p); err != nil {
				return fmt.Errorf("decode purpose: %w", err)
			}
			b.purposes = append(b.purposes, p)
			return nil
		}},
		{prefixPolicy, func(v []byte) error {
			var pv gdpr.PolicyVersion
			if err := json.Unmarshal(v, &pv); err != nil {
				return fmt.Errorf("decode policy version: %w", err)
			}
			b.versions = append(b.versions, pv)
			return nil
		}},
	} {
		it := txn.NewIterator(badger.IteratorOptions{Prefix: part.prefix, PrefetchValues: true})
		for it.Rewind(); it.Valid(); it.Next() {
			v, err := it.Item().ValueCopy(nil)
			if err == nil {
				err = part.add(v)
			}
			if err != nil {
				it.Close()
				return nil, err
			}
		}
		it.Close()
	}
	return b, nil
}

// knows reports whether every purpose the contact's consents name is in
// the book (a preparation read from an older snapshot may miss one an
// import added since, and must then not settle the contact).
func (b *consentBook) knows(c *gdpr.Contact) bool {
	for _, r := range c.Consents {
		if _, ok := gdpr.FindPurpose(b.purposes, r.Purpose); !ok {
			return false
		}
	}
	return true
}

// settleImported settles an imported contact's consents inside the
// transaction (gdpr.SettleImportedConsents), reading the register and the
// versions once per transaction.
func (t *tx) settleImported(c *gdpr.Contact) error {
	if len(c.Consents) == 0 {
		return nil
	}
	if t.consents == nil {
		b, err := readConsentBook(t.txn)
		if err != nil {
			return err
		}
		t.consents = b
	}
	gdpr.SettleImportedConsents(c, t.consents.purposes, t.consents.versions, t.now)
	return nil
}

// EnsureImportPurpose adds the purpose an import records consents for when
// the register does not have it yet: a consent purpose of direct marketing
// (the opt-ins of a mailing list), described as added by an import so the
// owner checks it. It reports whether it added one.
func (s *Store) EnsureImportPurpose(operator, name string) (bool, error) {
	name = gdpr.NormalizePurposeName(name)
	added := false
	err := s.write(operator, func(t *tx) error {
		err := t.getJSON(purposeKey(name), &gdpr.Purpose{})
		if err == nil || !errors.Is(err, ErrNotFound) {
			return err
		}
		p := gdpr.Purpose{Name: name, Basis: gdpr.BasisConsent, Marketing: true, UpdatedAt: t.now, UpdatedBy: t.operator,
			Description: "Added by an import: the opt-ins and opt-outs of a mailing list. Check it (gdprdesk purpose edit)."}
		if err := p.Validate(); err != nil {
			return err
		}
		if err := t.setJSON(purposeKey(name), p); err != nil {
			return err
		}
		t.audit(gdpr.ActionPurposeSave, "purpose "+name, "added by an import, basis consent, direct marketing", nil, 0)
		added = true
		return nil
	})
	return added, err
}
