package store

import (
	"encoding/binary"
	"encoding/json"
	"errors"

	"time"

	"github.com/dgraph-io/badger/v4"
	"github.com/gdprdesk/gdprdesk/gdpr"
)

// What the checklist's measured items read beyond the counters (SPEC §9
// "Checklist honesty", "Deadlines").

// keyReadmits counts the addresses deliberately taken off the suppression
// list (Readmit). It is not a counter under n/: counters are recounted
// from the records, and a re-admission leaves no record but its audit
// entry. erasure-reentry needs it: an erased person whose address was
// re-admitted rightly has no entry.
var keyReadmits = []byte("m/readmits")

// noteReadmit adds one re-admission, in the transaction that made it.
func (t *tx) noteReadmit() error {
	n, err := readU64(t.txn, keyReadmits)
	if err != nil {
		return err
	}
	return t.set(keyReadmits, u64(n+1))
}

func readU64(txn *badger.Txn, key []byte) (uint64, error) {
	v, err := getValue(txn, key)
	if errors.Is(err, ErrNotFound) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	if len(v) != 8 {
		return 0, errors.New(string(key) + " is damaged")
	}
	return binary.BigEndian.Uint64(v), nil
}

// suppressionSize counts the entries of the suppression list as stored
// (keys only), not the in-memory mirror: the check is of the database.
func suppressionSize(txn *badger.Txn) int64 {
	it := txn.NewIterator(badger.IteratorOptions{Prefix: prefixSuppress})
	defer it.Close()
	var n int64
	for it.Rewind(); it.Valid(); it.Next() {
		n++
	}
	return n
}

// lateClosures counts the requests closed after their due date in the
// last 12 months (gdpr.Request.ClosedLate). Requests are few next to
// contacts (tens or hundreds a year), so they are walked; only their
// clear part is read.
func lateClosures(txn *badger.Txn, now time.Time) (int64, error) {
	it := txn.NewIterator(badger.IteratorOptions{Prefix: prefixRequest, PrefetchValues: true, PrefetchSize: 100})
	defer it.Close()
	var n int64
	for it.Rewind(); it.Valid(); it.Next() {
		var rec requestRec
		if err := it.Item().Value(func(v []byte) error { return json.Unmarshal(v, &rec) }); err != nil {
			return 0, err
		}
		if rec.Request.ClosedLate(now) {
			n++
		}
	}
	return n, nil
}

// checkFigures fills the snapshot's figures of requests-on-time,
// erasure-reentry and dpa-each-processor.
func (s *Store) checkFigures(txn *badger.Txn, m map[string]int64, snap *gdpr.Snapshot) error {
	var err error
	if snap.LateClosed, err = lateClosures(txn, s.now()); err != nil {
		return err
	}
	snap.Erased = m[cntPrefixStatus+string(gdpr.ContactAnonymized)] + m[cntPrefixStatus+string(gdpr.ContactHeld)]
	snap.Suppressed = suppressionSize(txn)
	r, err := readU64(txn, keyReadmits)
	snap.Readmitted = int64(r)
	return err
}
