package store

import (
	"fmt"

	"github.com/dgraph-io/badger/v4"
	"github.com/gdprdesk/gdprdesk/gdpr"
)

// keyUpgradeSearchFold is how far the accent-folding upgrade of the search
// index got: the next chunk to fold, or searchFoldDone once every chunk
// holds folded texts (gdpr.FoldText). A new store has it done from the
// start.
var keyUpgradeSearchFold = []byte("m/upgrade/searchfold")

const searchFoldDone = ^uint64(0)

// migrateSearchFold folds the texts of a search index written before free
// text ignored accents, so that muller finds Müller there too. The
// chunks' texts are folded as they are (folding a lower-cased text gives
// the text folded from the record), so no record is unsealed; a chunk whose
// texts have nothing to fold is left as it is, and a chunk that is missing
// or unreadable is rebuilt from the records, already folded, by its next
// write. A few chunks commit per transaction with the mark of how far the
// upgrade got, so an interrupted one resumes at the next open. A store
// opened read-only (its disk full) is left for a later open: its search
// misses accented texts of old chunks until then.
func (s *Store) migrateSearchFold() error {
	if s.readOnly {
		return nil
	}
	var next, maxID uint64
	err := s.view(func(txn *badger.Txn) error {
		var err error
		if next, err = seqValue(txn, keyUpgradeSearchFold); err != nil {
			return err
		}
		maxID, err = seqValue(txn, keyContactSeq)
		return err
	})
	if err != nil || next == searchFoldDone {
		return err
	}
	const perTxn = 16
	chunks := maxID>>s.searchBits + 1
	folded := 0
	for c := next; c < chunks || c == next; c += perTxn {
		err := s.write("gdprdesk", func(t *tx) error {
			for d := c; d < min(c+perTxn, chunks); d++ {
				_, clear, ok, err := s.readChunk(t.txn, t.key, d)
				if err != nil {
					return err
				}
				if !ok {
					continue
				}
				err = eachEntry(d<<s.searchBits, clear, func(id uint64, text []byte) {
					if f := gdpr.FoldText(string(text)); f != string(text) {
						t.setSearch(gdpr.ContactID(id), f)
						folded++
					}
				})
				if err != nil {
					return fmt.Errorf("search chunk %d: %w", d, err)
				}
			}
			if c+perTxn < chunks {
				return t.set(keyUpgradeSearchFold, u64(c+perTxn))
			}
			if folded > 0 {
				t.audit(gdpr.ActionStoreUpgrade, "searchfold", fmt.Sprintf("free-text search now ignores accents: folded the search texts of %d contact(s)", folded), nil, 0)
			}
			return t.set(keyUpgradeSearchFold, u64(searchFoldDone))
		})
		if err != nil {
			return fmt.Errorf("upgrade the search index to ignore accents: %w", err)
		}
	}
	return nil
}
