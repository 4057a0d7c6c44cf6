package store

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/dgraph-io/badger/v4"
	"github.com/gdprdesk/gdprdesk/gdpr"
)

// keyUpgradeRuleBook is the last contact id the schema 3 upgrade finished:
// each chunk commits its records, counters and this mark together, so an
// upgrade cut short resumes where it stopped.
var keyUpgradeRuleBook = []byte("m/upgrade/rulebook")

// schemaAndLastID reads the store's schema and its last contact id, where
// every upgrade step starts.
func (s *Store) schemaAndLastID() (schema, last uint64, err error) {
	err = s.view(func(txn *badger.Txn) error {
		var e error
		if schema, e = seqValue(txn, keySchema); e != nil {
			return e
		}
		last, e = seqValue(txn, keyContactSeq)
		return e
	})
	return schema, last, err
}

// migrateRuleBook upgrades a store of schema 2 to the rule book's records
// (schema 3, SPEC §9):
//
//   - every consent purpose the contacts name becomes an entry of the
//     purposes register (lower-cased name, basis consent); it counts as
//     direct marketing when its name says "marketing" or "newsletter" (the
//     safe reading: any other is not marketable until the owner adds a
//     marketing purpose), and the consent records are marked accordingly;
//   - a consent record names the wording and policy versions in force when
//     it was given (gdpr.InForce), never a later one;
//   - a consent basis held without a purpose gets the purpose of the
//     person's standing consent, when there is exactly one;
//   - the new indexes (marketing class, consent purposes, hold) and their
//     counters are built.
func (s *Store) migrateRuleBook(upgrading func(contacts uint64)) error {
	var schema, maxID, done uint64
	err := s.view(func(txn *badger.Txn) error {
		var err error
		if schema, err = seqValue(txn, keySchema); err != nil {
			return err
		}
		if maxID, err = seqValue(txn, keyContactSeq); err != nil {
			return err
		}
		done, err = seqValue(txn, keyUpgradeRuleBook)
		return err
	})
	if err != nil || schema >= 3 {
		return err
	}
	if upgrading != nil && maxID > done {
		upgrading(maxID - done)
	}
	versions, err := s.PolicyVersions()
	if err != nil {
		return err
	}
	const perTxn = 500
	for from := done + 1; from <= maxID || from == done+1; from += perTxn {
		to := min(from+perTxn-1, maxID)
		err := s.write("gdprdesk", func(t *tx) error {
			if from == 1 {
				// Counters of the new names start from nothing, whatever
				// a store copied from a newer one may hold.
				if err := t.dropCounters(newCounterName); err != nil {
					return err
				}
				if err := t.upgradeRegisters(); err != nil {
					return err
				}
			}
			for id := from; id <= to; id++ {
				if err := t.upgradeContact(gdpr.ContactID(id), versions); err != nil {
					return err
				}
			}
			if err := t.set(keyUpgradeRuleBook, u64(to)); err != nil {
				return err
			}
			if to < maxID {
				return nil
			}
			if maxID > 0 {
				t.audit(gdpr.ActionStoreUpgrade, "rulebook", fmt.Sprintf("consent purposes, marketing classes and holds indexed for %d contact id(s)", maxID), nil, 0)
			}
			return t.set(keySchema, u64(3))
		})
		if err != nil {
			return fmt.Errorf("upgrade to the rule book's records: %w", err)
		}
		if to >= maxID {
			break
		}
	}
	s.reclaimPages(true)
	return nil
}

// upgradeContact rewrites one contact's record for schema 3 (see
// migrateRuleBook); a missing id (never used) is skipped.
func (t *tx) upgradeContact(id gdpr.ContactID, versions []gdpr.PolicyVersion) error {
	rec, err := t.getContactRec(id)
	if errors.Is(err, ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	old := rec.clear()
	for i := range rec.Consents {
		c := &rec.Consents[i]
		c.Purpose = gdpr.NormalizePurposeName(c.Purpose)
		p, err := t.upgradePurpose(c.Purpose)
		if err != nil {
			return err
		}
		c.Purpose, c.Marketing = p.Name, p.Marketing
		if c.Granted {
			c.NameVersionsInForce(versions)
		}
	}
	now := rec.clear()
	if standing := now.ConsentPurposes(); len(standing) == 1 {
		for i := range rec.Bases {
			if rec.Bases[i].Basis == gdpr.BasisConsent && rec.Bases[i].Purpose == "" {
				rec.Bases[i].Purpose = standing[0]
			}
		}
		now = rec.clear()
	}
	// The counters of schema 2 had none of the new names: take the old
	// record's share of the names they had, add the new record's whole.
	var before []string
	for _, n := range contactContributions(&old) {
		if !newCounterName(n) {
			before = append(before, n)
		}
	}
	t.countAll(before, contactContributions(&now))
	for _, k := range indexEntries(&now) {
		if err := t.set(k, nil); err != nil {
			return err
		}
	}
	b, err := encodeContact(&rec)
	if err != nil {
		return err
	}
	return t.set(contactKey(id), b)
}

// dropCounters deletes the counters whose names the filter picks.
func (t *tx) dropCounters(pick func(name string) bool) error {
	it := t.txn.NewIterator(badger.IteratorOptions{Prefix: prefixCounter})
	var drop [][]byte
	for it.Rewind(); it.Valid(); it.Next() {
		if k := it.Item().Key(); pick(string(k[len(prefixCounter):])) {
			drop = append(drop, it.Item().KeyCopy(nil))
		}
	}
	it.Close()
	for _, k := range drop {
		if err := t.del(k); err != nil {
			return err
		}
	}
	return nil
}

// newCounterName reports whether a counter is one schema 3 introduced, or
// one whose rule it changed (consent:noproof: proof needs the consent
// wording now), so it is counted anew.
func newCounterName(n string) bool {
	return n == cntSubjects || n == cntConsentNoProof || n == cntSubjectsNone || strings.HasPrefix(n, cntPrefixMarketing) ||
		strings.HasPrefix(n, cntPrefixPurpose) || strings.HasPrefix(n, cntPrefixHold)
}

// upgradePurpose returns the register's purpose for a consent text,
// adding it when it is missing (see migrateRuleBook). A text that is no
// valid purpose name (a | or a quote in it) names the purpose with those
// characters as spaces.
func (t *tx) upgradePurpose(text string) (gdpr.Purpose, error) {
	name := strings.Join(strings.Fields(strings.NewReplacer("|", " ", ":", " ", "\"", " ").Replace(text)), " ")
	var p gdpr.Purpose
	err := t.getJSON(purposeKey(name), &p) // a write transaction reads its own writes
	if err == nil || !errors.Is(err, ErrNotFound) {
		return p, err
	}
	p = gdpr.Purpose{Name: name, Basis: gdpr.BasisConsent, UpdatedAt: t.now, UpdatedBy: "gdprdesk",
		Description: "Made from the consents recorded before purposes were kept; check it.",
		Marketing:   slices.ContainsFunc([]string{"marketing", "newsletter"}, func(w string) bool { return strings.Contains(name, w) })}
	if err := p.Validate(); err != nil {
		return p, fmt.Errorf("consent purpose %q: %w", text, err)
	}
	if err := t.setJSON(purposeKey(p.Name), p); err != nil {
		return p, err
	}
	t.audit(gdpr.ActionPurposeSave, "purpose "+p.Name, "added from recorded consents", nil, 0)
	return p, nil
}
