package store

import "github.com/dgraph-io/badger/v4"

// Helpers for the tests of package store_test (which may import exporters).

// SuppressForTest puts addresses on the suppression list, as an erasure
// does, without a contact.
func SuppressForTest(s *Store, emails ...string) error {
	return s.write("test", func(t *tx) error {
		for _, e := range emails {
			if err := t.setSuppressed(s.emailHash(e), true); err != nil {
				return err
			}
		}
		return nil
	})
}

// KeysForTest returns every key under prefix with its value.
func KeysForTest(s *Store, prefix string) (map[string][]byte, error) {
	out := map[string][]byte{}
	err := s.view(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{Prefix: []byte(prefix), PrefetchValues: true})
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			v, err := it.Item().ValueCopy(nil)
			if err != nil {
				return err
			}
			out[string(it.Item().KeyCopy(nil))] = v
		}
		return nil
	})
	return out, err
}

// BitmapsForTest reports how many bitmap chunks differ from what the
// index keys imply, and how many index keys there are.
func BitmapsForTest(s *Store) (bad, keys int64, err error) {
	err = s.view(func(txn *badger.Txn) error {
		keys, bad, _ = checkBitmaps(txn)
		return nil
	})
	return bad, keys, err
}
