package store

import (
	"bytes"
	"errors"
	"fmt"

	"github.com/dgraph-io/badger/v4"
	"github.com/gdprdesk/gdprdesk/gdpr"
)

// keyUpgradeEmailKeys marks a store whose email look-up keys (e/) are all
// hashes of gdpr.CanonicalEmail. A new store has it from the start.
var keyUpgradeEmailKeys = []byte("m/upgrade/emailkeys")

// migrateEmailKeys moves the look-up key of every live contact whose
// address goes beyond ASCII to the hash of its canonical form (Unicode
// normal form C, case folding, the domain in punycode): before, the key
// was the hash of the address as stored, so the decomposed or punycode
// spelling of the same address was not found. ASCII addresses keep their
// key (their form did not change). It needs each contact's sealed address,
// so it reads every contact once; it is idempotent, and an interrupted run
// is simply run again at the next open.
//
// The suppression list cannot be moved this way: it holds only hashes, not
// the addresses. Its older entries are found through the spellings an
// earlier version stored (gdpr.LegacyEmailSpellings; see
// docs/RELIABILITY.md).
//
// Two live contacts whose addresses are one address under the new
// comparison keep the first one's key; the second is found by id only, and
// the audit entry names both, so the owner can merge them.
func (s *Store) migrateEmailKeys() error {
	if s.readOnly {
		// A full disk opens the store for reading (audit verify, backup,
		// export): the keys move at a later open. Until then a non-ASCII
		// address of an older store is found by id, not by address.
		return nil
	}
	done := false
	err := s.view(func(txn *badger.Txn) error {
		_, err := getValue(txn, keyUpgradeEmailKeys)
		if errors.Is(err, ErrNotFound) {
			return nil
		}
		done = err == nil
		return err
	})
	if err != nil || done {
		return err
	}
	type move struct {
		id       gdpr.ContactID
		old, now []byte
	}
	var moves []move
	err = s.view(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{Prefix: prefixContact, PrefetchValues: true})
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			b, err := it.Item().ValueCopy(nil)
			if err != nil {
				return err
			}
			rec, err := decodeContact(b)
			if err != nil || rec.Status == gdpr.ContactAnonymized || rec.Status == gdpr.ContactHeld {
				continue // a damaged record is audit verify's to report; an erased one has no look-up
			}
			c, err := s.unseal(&rec)
			if err != nil || c.Email == "" {
				continue
			}
			if old, now := s.hmacOf(c.Email), s.emailHash(c.Email); !bytes.Equal(old, now) {
				moves = append(moves, move{rec.ID, old, now})
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("upgrade the email look-ups: %w", err)
	}
	const perTxn = 500
	moved := 0
	var shared []string
	for from := 0; from < len(moves) || from == 0; from += perTxn {
		chunk := moves[from:min(from+perTxn, len(moves))]
		last := from+perTxn >= len(moves)
		err := s.write("gdprdesk", func(t *tx) error {
			for _, m := range chunk {
				if v, err := getValue(t.txn, emailKey(m.old)); err != nil || gdpr.ContactID(idFromKey(v)) != m.id {
					continue // moved already, or not this contact's
				}
				switch v, err := getValue(t.txn, emailKey(m.now)); {
				case err == nil && gdpr.ContactID(idFromKey(v)) != m.id:
					shared = append(shared, gdpr.ContactID(idFromKey(v)).String()+"="+m.id.String())
					continue
				case err != nil && !errors.Is(err, ErrNotFound):
					return err
				}
				if err := t.set(emailKey(m.now), u64(uint64(m.id))); err != nil {
					return err
				}
				if err := t.del(emailKey(m.old)); err != nil {
					return err
				}
				moved++
			}
			if !last {
				return nil
			}
			if moved+len(shared) > 0 {
				detail := fmt.Sprintf("email look-ups of %d contact(s) with addresses beyond ASCII now compare them after Unicode normalization, case folding and IDNA", moved)
				if len(shared) > 0 {
					detail += fmt.Sprintf("; %d contact(s) share an address with another under this comparison (kept=other: %s): merge them", len(shared), joinFirst(shared, 20))
				}
				t.audit(gdpr.ActionStoreUpgrade, "emailkeys", detail, nil, 0)
			}
			return t.set(keyUpgradeEmailKeys, []byte{1})
		})
		if err != nil {
			return fmt.Errorf("upgrade the email look-ups: %w", err)
		}
	}
	return nil
}

// joinFirst joins up to n items and says how many more there are.
func joinFirst(items []string, n int) string {
	if len(items) <= n {
		return fmt.Sprint(items)
	}
	return fmt.Sprint(items[:n]) + fmt.Sprintf(" and %d more", len(items)-n)
}
