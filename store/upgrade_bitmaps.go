package store

import (
	"bytes"
	"fmt"

	"github.com/dgraph-io/badger/v4"
)

// migrateBitmaps upgrades a store of schema 3 to schema 4: the bitmap
// chunks of the contact indexes (bitmap.go), built from the index keys.
// Chunks an interrupted run left are removed first, so a run cut short is
// simply done again; the schema moves to 4 in the transaction that writes
// the last chunks. No audit entry: the chunks are the index keys again,
// in another form, and no record changes; an entry would also make the
// restore of an older backup fail its check that the restored audit head
// is the backup's (Restore).
func (s *Store) migrateBitmaps(upgrading func(contacts uint64)) error {
	schema, maxID, err := s.schemaAndLastID()
	if err != nil || schema >= 4 {
		return err
	}
	if upgrading != nil && maxID > 0 {
		upgrading(maxID)
	}
	fail := func(err error) error { return fmt.Errorf("upgrade to the index bitmaps: %w", err) }
	if err := s.dropBitmaps(); err != nil {
		return fail(err)
	}
	const perTxn = 4096 // chunks, at most 2 MB of values
	var keys, values [][]byte
	put := func(last bool) error {
		return s.write("gdprdesk", func(t *tx) error {
			for i, k := range keys {
				if err := t.txn.Set(k, values[i]); err != nil {
					return err
				}
			}
			if !last {
				return nil
			}
			return t.set(keySchema, u64(4))
		})
	}
	var putErr error
	err = s.view(func(txn *badger.Txn) error {
		eachExpectedChunk(txn, func(k, v []byte) bool {
			keys, values = append(keys, bytes.Clone(k)), append(values, bytes.Clone(v))
			if len(keys) < perTxn {
				return true
			}
			putErr = put(false)
			keys, values = keys[:0], values[:0]
			return putErr == nil
		})
		return putErr
	})
	if err == nil {
		err = put(true)
	}
	if err != nil {
		return fail(err)
	}
	s.reclaimPages(true)
	return nil
}

// dropBitmaps deletes every chunk key.
func (s *Store) dropBitmaps() error {
	for {
		var keys [][]byte
		err := s.view(func(txn *badger.Txn) error {
			it := txn.NewIterator(badger.IteratorOptions{Prefix: prefixBitmap})
			defer it.Close()
			for it.Rewind(); it.Valid() && len(keys) < 10_000; it.Next() {
				keys = append(keys, it.Item().KeyCopy(nil))
			}
			return nil
		})
		if err != nil || len(keys) == 0 {
			return err
		}
		err = s.write("gdprdesk", func(t *tx) error {
			for _, k := range keys {
				if err := t.txn.Delete(k); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
}
