package store

import (
	"bytes"
	"errors"
	"fmt"

	"github.com/dgraph-io/badger/v4"
	"github.com/gdprdesk/gdprdesk/gdpr"
)

// ClearContacts pages through the contacts matching q like Contacts, but
// with only their clear fields (status, bases, consents, dates, hold): no
// personal data is unsealed, so a walk over every contact that decides
// from those fields (the retention schedule, gdpr.RetentionLapsed) costs
// a decode per record and no decryption.
func (s *Store) ClearContacts(q gdpr.Query, after Cursor, limit int) (Page, error) {
	var page Page
	if limit <= 0 {
		return page, errors.New("page size must be positive")
	}
	err := s.view(func(txn *badger.Txn) error {
		_, _, err := s.scanDir(txn, q, after, false, false, func(key []byte, rec *contactRec) (bool, error) {
			if len(page.Contacts) == limit {
				page.More = true
				return false, nil
			}
			page.Contacts = append(page.Contacts, rec.clear())
			page.Keys = append(page.Keys, Cursor(bytes.Clone(key)))
			return true, nil
		})
		return err
	})
	if page.More {
		page.Next = page.Keys[len(page.Keys)-1]
	}
	return page, err
}

// RecordRetentionSweep audits a finished retention sweep that erased
// contacts (SPEC §10): how many, never who (each erasure has its own
// entry). Unlike RecordSweep it leaves basis-sweep alone: the retention
// schedule is not the sweep of contacts without a basis.
func (s *Store) RecordRetentionSweep(operator string, anonymized int64) error {
	return s.write(operator, func(t *tx) error {
		t.audit(gdpr.ActionSweepRecord, "retention", fmt.Sprintf("retention sweep finished, %d contacts anonymized", anonymized), nil, 0)
		return nil
	})
}
