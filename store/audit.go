package store

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/dgraph-io/badger/v4"
	"github.com/gdprdesk/gdprdesk/gdpr"
)

// AuditEntry is one entry of the hash-chained audit log, as shown to an
// operator or an auditor. Personal holds the sealed part of the entry when
// the subject's key still exists; Erased is true when it was destroyed.
type AuditEntry struct {
	Seq      uint64    `json:"seq"`
	At       time.Time `json:"at"`
	Operator string    `json:"operator"`
	Action   string    `json:"action"`
	Record   string    `json:"record,omitempty"`
	Detail   string    `json:"detail,omitempty"`
	Contacts int       `json:"contacts,omitempty"` // a bulk chunk's entry: how many contacts it changed
	Personal string    `json:"personal,omitempty"`
	Erased   bool      `json:"erased,omitempty"`
	Prev     string    `json:"prev"`
	Hash     string    `json:"hash"`
}

func (s *Store) auditEntry(rec auditRec) AuditEntry {
	e := AuditEntry{Seq: rec.Seq, At: rec.At, Operator: rec.Operator, Action: rec.Action, Record: rec.Record,
		Detail: rec.Detail, Contacts: rec.Contacts, Prev: hex.EncodeToString(rec.Prev), Hash: hex.EncodeToString(rec.Hash)}
	if len(rec.Sealed) > 0 {
		key, err := s.keys.key(rec.Slot)
		if err == nil {
			if pt, err := unseal(key, rec.Sealed, auditAAD(rec.Seq)); err == nil {
				e.Personal = string(pt)
			}
		} else if errors.Is(err, errKeyDestroyed) {
			e.Erased = true
		}
	}
	return e
}

// AuditFilter selects audit entries; zero fields select all.
type AuditFilter struct {
	Operator string
	Action   string // exact action, or a prefix ending in "." (e.g. "contact.")
	Record   string
}

func (f AuditFilter) match(r *auditRec) bool {
	if f.Operator != "" && r.Operator != f.Operator {
		return false
	}
	if f.Record != "" && r.Record != f.Record {
		return false
	}
	if f.Action != "" {
		if f.Action[len(f.Action)-1] == '.' {
			return len(r.Action) >= len(f.Action) && r.Action[:len(f.Action)] == f.Action
		}
		return r.Action == f.Action
	}
	return true
}

// Audit returns up to limit entries matching f, newest first, older than
// before (0: from the newest).
//
// A filter by record reads the record's entries through the audit index, so
// it finds the entries about many contacts at once (an import chunk, a bulk
// change) that do not name the record.
func (s *Store) Audit(f AuditFilter, before uint64, limit int) ([]AuditEntry, error) {
	var out []AuditEntry
	if f.Record != "" {
		es, err := s.AuditOf(f.Record)
		if err != nil {
			return nil, err
		}
		rest := f
		rest.Record = ""
		for i := len(es) - 1; i >= 0 && len(out) < limit; i-- {
			e := es[i]
			if (before == 0 || e.Seq < before) && rest.match(&auditRec{Operator: e.Operator, Action: e.Action}) {
				out = append(out, e)
			}
		}
		return out, nil
	}
	err := s.view(func(txn *badger.Txn) error {
		opts := badger.DefaultIteratorOptions
		opts.Reverse = true
		opts.Prefix = prefixAudit
		it := txn.NewIterator(opts)
		defer it.Close()
		start := join(prefixAudit, u64(^uint64(0)))
		if before > 0 {
			start = auditKey(before - 1)
		}
		for it.Seek(start); it.Valid() && len(out) < limit; it.Next() {
			var rec auditRec
			if err := it.Item().Value(func(v []byte) error { return json.Unmarshal(v, &rec) }); err != nil {
				return fmt.Errorf("decode audit entry: %w", err)
			}
			if f.match(&rec) {
				out = append(out, s.auditEntry(rec))
			}
		}
		return nil
	})
	return out, err
}

// AuditOf returns every entry about one record (e.g. "C12"), oldest first,
// from the audit index by record: the contact's audit trail, and the
// access package's, without walking the whole log.
func (s *Store) AuditOf(record string) ([]AuditEntry, error) {
	var out []AuditEntry
	err := s.view(func(txn *badger.Txn) error {
		var seqs []uint64
		prefix := join(prefixAuditRec, []byte(record), []byte{0})
		it := txn.NewIterator(badger.IteratorOptions{Prefix: prefix})
		for it.Rewind(); it.Valid(); it.Next() {
			seqs = append(seqs, idFromKey(it.Item().Key()))
		}
		it.Close()
		// An entry about a run of contacts (an import chunk) is indexed
		// once, by the run's last id: the first key at or after this
		// contact's id names the only run that can hold it.
		if id, ok := contactRecord(record); ok {
			seq, err := auditRangeOf(txn, id)
			if err != nil {
				return err
			}
			if seq != 0 && !slices.Contains(seqs, seq) {
				seqs = append(seqs, seq)
			}
			// Entries about a bulk change's chunk: by the contact's id chunk.
			if seqs, err = auditBulkOf(txn, id, seqs); err != nil {
				return err
			}
			slices.Sort(seqs)
			seqs = slices.Compact(seqs)
		}
		for _, seq := range seqs {
			v, err := getValue(txn, auditKey(seq))
			if err != nil {
				return fmt.Errorf("audit index names a missing entry: %w", err)
			}
			var rec auditRec
			if err := json.Unmarshal(v, &rec); err != nil {
				return fmt.Errorf("decode audit entry: %w", err)
			}
			out = append(out, s.auditEntry(rec))
		}
		return nil
	})
	return out, err
}

// contactRecord reads a record name that names a contact ("C12").
func contactRecord(record string) (gdpr.ContactID, bool) {
	if !strings.HasPrefix(record, "C") {
		return 0, false
	}
	id, err := gdpr.ParseContactID(record)
	return id, err == nil && id > 0
}

// auditRangeOf returns the entry about a run of contacts that includes id,
// or 0.
func auditRangeOf(txn *badger.Txn, id gdpr.ContactID) (uint64, error) {
	it := txn.NewIterator(badger.IteratorOptions{Prefix: prefixAuditRange, PrefetchValues: true})
	defer it.Close()
	it.Seek(join(prefixAuditRange, u64(uint64(id))))
	if !it.Valid() {
		return 0, nil
	}
	k := it.Item().Key()
	if len(k) != len(prefixAuditRange)+16 {
		return 0, fmt.Errorf("audit range index: malformed key")
	}
	first, err := it.Item().ValueCopy(nil)
	if err != nil {
		return 0, err
	}
	if len(first) != 8 || gdpr.ContactID(idFromKey(first)) > id {
		return 0, nil
	}
	return idFromKey(k), nil
}

// auditBulkOf appends to seqs the entries about bulk changes' chunks that
// include id (ab/ keys; see tx.setAuditBulk).
func auditBulkOf(txn *badger.Txn, id gdpr.ContactID, seqs []uint64) ([]uint64, error) {
	chunk := uint64(id) >> chunkShift
	if chunk > math.MaxUint32 {
		return seqs, nil
	}
	prefix := binary.BigEndian.AppendUint32(bytes.Clone(prefixAuditBulk), uint32(chunk))
	it := txn.NewIterator(badger.IteratorOptions{Prefix: prefix, PrefetchValues: true})
	defer it.Close()
	var w chunkWordsT
	for it.Rewind(); it.Valid(); it.Next() {
		k := it.Item().Key()
		if len(k) != len(prefix)+8 {
			return seqs, errors.New("audit index of bulk changes: malformed key")
		}
		if err := it.Item().Value(func(v []byte) error { return decodeBits(v, &w) }); err != nil {
			return seqs, fmt.Errorf("audit index of bulk changes: %w", err)
		}
		if w.has(uint64(id)) {
			seqs = append(seqs, binary.BigEndian.Uint64(k[len(prefix):]))
		}
	}
	return seqs, nil
}

// EachAudit calls fn for every entry, oldest first (for export).
func (s *Store) EachAudit(fn func(AuditEntry) error) error {
	return s.eachJSON(prefixAudit, func(v []byte) error {
		var rec auditRec
		if err := json.Unmarshal(v, &rec); err != nil {
			return fmt.Errorf("decode audit entry: %w", err)
		}
		return fn(s.auditEntry(rec))
	})
}

// VerifyReport is the result of VerifyAudit.
type VerifyReport struct {
	Entries  uint64   // audit entries checked
	Contacts int64    // contacts recounted
	Requests int64    // requests recounted
	Problems []string // empty when everything holds

	// What the records imply, for the index check.
	wantIndex, wantEmail int64
}

// OK reports whether the log and the counters verified.
func (r VerifyReport) OK() bool { return len(r.Problems) == 0 }

// VerifyAudit walks the audit chain (sequence, previous hash, own hash, head)
// and recounts every counter from the records, in one consistent snapshot.
// Each problem names the entry or counter at fault.
func (s *Store) VerifyAudit() (VerifyReport, error) {
	var rep VerifyReport
	// It reads every record twice, every index key and every table's
	// checksums: at 10,000,000 contacts that left 5.6 GB of mapped tables
	// resident. Give their pages back as it goes.
	defer s.reclaimDuring()()
	err := s.view(func(txn *badger.Txn) error {
		if err := verifyChain(txn, &rep); err != nil {
			return err
		}
		if err := s.verifyCounters(txn, &rep); err != nil {
			return err
		}
		verifyIndexes(txn, &rep)
		s.verifyKeys(txn, &rep)
		rep.Problems = append(rep.Problems, s.lostProblems(txn)...)
		return nil
	})
	if err != nil {
		return rep, err
	}
	// Every table and value log entry against its checksum: a changed
	// byte in a table is otherwise met only by the read that needs it.
	if err := s.verifyChecksums(); err != nil {
		rep.Problems = append(rep.Problems, err.Error())
	}
	return rep, nil
}

func (s *Store) verifyChecksums() (err error) {
	s.life.RLock()
	defer s.life.RUnlock()
	if s.db == nil {
		return errClosed
	}
	defer func() {
		// Badger v4.9.6's Table.VerifyChecksum dereferences the block it
		// failed to read (checksum mismatch on a block read): the panic is
		// its way of saying a block is damaged. It holds no lock then.
		if r := recover(); r != nil {
			err = fmt.Errorf("a table in %s fails its checksum: some records were damaged on disk; restore the latest backup", filepath.Join(s.dir, "db"))
		}
	}()
	if err := s.db.VerifyChecksum(); err != nil {
		return fmt.Errorf("the database files in %s fail their checksums (%v): some records were damaged on disk; restore the latest backup", filepath.Join(s.dir, "db"), err)
	}
	return nil
}

// verifyKeys checks the key ring against the store: every contact that is
// not erased has a data key that is live and opens under the master key,
// and so has every request and every breach (SPEC §8 "Integrity"). Each problem names the
// record, so the owner knows whose data is at stake.
func (s *Store) verifyKeys(txn *badger.Txn, rep *VerifyReport) {
	const maxProblems = 50
	bad := 0
	problem := func(format string, a ...any) {
		if bad++; bad <= maxProblems {
			rep.Problems = append(rep.Problems, fmt.Sprintf(format, a...))
		}
	}
	it := txn.NewIterator(badger.IteratorOptions{Prefix: prefixContact, PrefetchValues: true, PrefetchSize: 100})
	for it.Rewind(); it.Valid(); it.Next() {
		v, err := it.Item().ValueCopy(nil)
		if err != nil {
			problem("contact record %x cannot be read: %v", it.Item().Key(), err)
			continue
		}
		rec, err := decodeContact(v)
		if err != nil || rec.Status == gdpr.ContactAnonymized || rec.Slot == 0 {
			continue // recount reports a record it cannot decode
		}
		switch _, err := s.keys.key(rec.Slot); {
		case errors.Is(err, errKeyDestroyed):
			problem("contact %s is %s but its data key %d was destroyed: its personal data is gone although it was not erased", rec.ID, rec.Status, rec.Slot)
		case err != nil:
			problem("contact %s cannot be read: %v; restore keys/subjects.keys from a backup (the other contacts are not affected)", rec.ID, err)
		}
	}
	it.Close()
	it = txn.NewIterator(badger.IteratorOptions{Prefix: prefixRequest, PrefetchValues: true, PrefetchSize: 100})
	for it.Rewind(); it.Valid(); it.Next() {
		var rec requestRec
		if err := it.Item().Value(func(v []byte) error { return json.Unmarshal(v, &rec) }); err != nil || rec.Slot == 0 {
			continue
		}
		// A request's key goes with its person's erasure; only damage is
		// a problem here.
		if _, err := s.keys.key(rec.Slot); err != nil && !errors.Is(err, errKeyDestroyed) {
			problem("request %s cannot be read: %v; restore keys/subjects.keys from a backup", rec.ID, err)
		}
	}
	it.Close()
	// A breach's texts (what happened, the query naming the people, the
	// reasons) are sealed under a key of its own, which no erasure
	// destroys: a destroyed or damaged one is a problem.
	it = txn.NewIterator(badger.IteratorOptions{Prefix: prefixBreach, PrefetchValues: true, PrefetchSize: 100})
	for it.Rewind(); it.Valid(); it.Next() {
		var rec breachRec
		if err := it.Item().Value(func(v []byte) error { return json.Unmarshal(v, &rec) }); err != nil {
			problem("breach record %x cannot be read: %v", it.Item().Key(), err)
			continue
		}
		if rec.Slot == 0 {
			continue
		}
		switch _, err := s.keys.key(rec.Slot); {
		case errors.Is(err, errKeyDestroyed):
			problem("breach %s: its data key %d was destroyed, so its texts are gone (the record of the breach, Art. 33(5), must be kept)", rec.ID, rec.Slot)
		case err != nil:
			problem("breach %s cannot be read: %v; restore keys/subjects.keys from a backup", rec.ID, err)
		}
	}
	it.Close()
	if bad > maxProblems {
		rep.Problems = append(rep.Problems, fmt.Sprintf("… and %d more records with key problems", bad-maxProblems))
	}
}

// verifyIndexes compares the number of index and email look-up entries
// with what the contact records imply: an entry left behind by a change, or
// one missing, shows up as a difference. (Counting keeps the check to one
// keys-only walk; it cannot tell which contact is at fault.) The same walk
// rebuilds the indexes' bitmap chunks and compares them with the stored
// ones (bitmap.go).
func verifyIndexes(txn *badger.Txn, rep *VerifyReport) {
	count := func(prefix []byte) int64 {
		it := txn.NewIterator(badger.IteratorOptions{Prefix: prefix})
		defer it.Close()
		var n int64
		for it.Rewind(); it.Valid(); it.Next() {
			n++
		}
		return n
	}
	n, bad, first := checkBitmaps(txn)
	if n != rep.wantIndex {
		rep.Problems = append(rep.Problems, fmt.Sprintf("contact indexes hold %d entries but the contacts imply %d: the indexes are out of step with the records", n, rep.wantIndex))
	}
	if bad > 0 {
		rep.Problems = append(rep.Problems, fmt.Sprintf("%d bitmap chunk(s) of the contact indexes do not hold the ids of their index entries (%s): filters of several indexed terms may show wrong contacts", bad, strings.Join(first, ", ")))
	}
	if n := count(prefixEmail); n != rep.wantEmail {
		rep.Problems = append(rep.Problems, fmt.Sprintf("the email look-up holds %d entries but there are %d contacts with an email", n, rep.wantEmail))
	}
}

func verifyChain(txn *badger.Txn, rep *VerifyReport) error {
	it := txn.NewIterator(badger.IteratorOptions{Prefix: prefixAudit, PrefetchValues: true, PrefetchSize: 100})
	defer it.Close()
	var prev []byte
	var seq uint64
	const maxProblems = 20
	problem := func(format string, a ...any) {
		if len(rep.Problems) < maxProblems {
			rep.Problems = append(rep.Problems, fmt.Sprintf(format, a...))
		}
	}
	for it.Rewind(); it.Valid(); it.Next() {
		seq++
		keySeq := idFromKey(it.Item().Key())
		var rec auditRec
		if err := it.Item().Value(func(v []byte) error { return json.Unmarshal(v, &rec) }); err != nil {
			problem("audit entry %d cannot be read: %v", keySeq, err)
			prev = nil
			continue
		}
		rep.Entries++
		if keySeq != seq || rec.Seq != keySeq {
			problem("audit entry %d is out of sequence (expected %d): entries were removed or inserted", keySeq, seq)
			seq = keySeq
		}
		if !bytes.Equal(rec.Prev, prev) {
			problem("audit entry %d does not follow entry %d: the chain is broken there", keySeq, keySeq-1)
		}
		h, err := chainHash(rec)
		if err != nil {
			return err
		}
		if !bytes.Equal(h, rec.Hash) {
			problem("audit entry %d (%s, %s) was altered: its content does not match its hash", keySeq, rec.At.Format(time.RFC3339), rec.Action)
		}
		prev = rec.Hash
	}
	head, err := getValue(txn, keyAuditHead)
	switch {
	case errors.Is(err, ErrNotFound):
		if seq != 0 {
			problem("audit head is missing although the log has %d entries", seq)
		}
	case err != nil:
		return err
	default:
		if len(head) < 8 || idFromKey(head[:8]) != seq || !bytes.Equal(head[8:], prev) {
			problem("audit head does not match the last entry %d: entries at the end were removed or altered", seq)
		}
	}
	return nil
}

// recount recomputes every counter from the contacts and requests.
func recount(txn *badger.Txn, rep *VerifyReport) (map[string]int64, error) {
	want := map[string]int64{}
	it := txn.NewIterator(badger.IteratorOptions{Prefix: prefixContact, PrefetchValues: true, PrefetchSize: 100})
	for it.Rewind(); it.Valid(); it.Next() {
		v, err := it.Item().ValueCopy(nil)
		if err != nil {
			it.Close()
			return nil, err
		}
		rec, err := decodeContact(v)
		if err != nil {
			rep.Problems = append(rep.Problems, fmt.Sprintf("contact record %x cannot be read: %v", it.Item().Key(), err))
			continue
		}
		rep.Contacts++
		c := rec.clear()
		for _, n := range contactContributions(&c) {
			want[n]++
		}
		rep.wantIndex += int64(len(indexEntries(&c)))
		// An erased contact has no email look-up, nor one erased except
		// its held records (the addresses are suppressed).
		if c.Status != gdpr.ContactAnonymized && c.Status != gdpr.ContactHeld {
			rep.wantEmail++
		}
	}
	it.Close()
	it = txn.NewIterator(badger.IteratorOptions{Prefix: prefixRequest, PrefetchValues: true, PrefetchSize: 100})
	for it.Rewind(); it.Valid(); it.Next() {
		var rec requestRec
		if err := it.Item().Value(func(v []byte) error { return json.Unmarshal(v, &rec) }); err != nil {
			rep.Problems = append(rep.Problems, fmt.Sprintf("request record %x cannot be read: %v", it.Item().Key(), err))
			continue
		}
		rep.Requests++
		for _, n := range requestContributions(&rec.Request) {
			want[n]++
		}
	}
	it.Close()
	return want, nil
}

// verifyCounters compares the maintained counters with a recount.
func (s *Store) verifyCounters(txn *badger.Txn, rep *VerifyReport) error {
	want, err := recount(txn, rep)
	if err != nil {
		return err
	}
	have, err := readCounters(txn)
	if err != nil {
		return err
	}
	for _, n := range counterNames(want, have) {
		if want[n] != have[n] {
			rep.Problems = append(rep.Problems, fmt.Sprintf("counter %s is %d but a recount gives %d", n, have[n], want[n]))
		}
	}
	return nil
}

// Recount returns every counter recomputed from the records and the
// maintained values, for tests and repair tools.
func (s *Store) Recount() (recounted, maintained map[string]int64, err error) {
	err = s.view(func(txn *badger.Txn) error {
		var rep VerifyReport
		if recounted, err = recount(txn, &rep); err != nil {
			return err
		}
		if len(rep.Problems) > 0 {
			return errors.New(rep.Problems[0])
		}
		maintained, err = readCounters(txn)
		return err
	})
	return recounted, maintained, err
}

// IsEmpty reports whether the store holds no contacts and no requests.
func (s *Store) IsEmpty() (bool, error) {
	empty := true
	err := s.view(func(txn *badger.Txn) error {
		for _, p := range [][]byte{prefixContact, prefixRequest} {
			it := txn.NewIterator(badger.IteratorOptions{Prefix: p})
			it.Rewind()
			if it.Valid() {
				empty = false
			}
			it.Close()
		}
		return nil
	})
	return empty, err
}

// counterNames lists the names in either map, sorted.
func counterNames(a, b map[string]int64) []string {
	names := make([]string, 0, len(a))
	for n := range a {
		names = append(names, n)
	}
	for n := range b {
		if _, ok := a[n]; !ok {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	return names
}
