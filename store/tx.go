package store

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/dgraph-io/badger/v4"
	"github.com/gdprdesk/gdprdesk/gdpr"
)

// tx is one write transaction: the records it changes, the counter deltas
// and the audit entries they cause all commit together or not at all.
type tx struct {
	s        *Store
	txn      *badger.Txn
	operator string
	now      time.Time
	deltas   map[string]int64
	entries  []auditRec
	newKeys  bool
	seq      uint64 // audit head as this transaction advances it
	hash     []byte
	keys     map[Slot][]byte // data keys unwrapped by this transaction
	// suppression changes, applied to Store.suppressed after the commit
	suppress map[string]bool
	// log, when set, records sets and deletes instead of making them: the
	// tx is a preparation read from a snapshot (see prepareBasis), to be
	// replayed in a write transaction.
	log *[]op
	// search holds the changes to the search index, written to its
	// chunks before the commit (flushSearch).
	search map[uint64]*searchEdit
	// consents is the register and the policy versions an import's
	// contacts are settled against (import_consent.go), read once.
	consents *consentBook
	// chunkSlots are keys made (and synced) ahead for search index chunks
	// this transaction creates (a prepared import chunk).
	chunkSlots map[uint64]Slot
	// shreds counts the shred markers this transaction sets (an
	// erasure's): it adds them to keyShredCount and syncs the store after
	// its commit, before any key is destroyed (erase.go).
	shreds uint64
	// ixBuf and ixEnds are moveIndexes' scratch: a contact's index keys
	// before and after a change, built and compared there.
	ixBuf  []byte
	ixEnds []int
	// cnBuf is countChange's scratch: a contact's contributions before
	// and after a change.
	cnBuf []contribution
	// bits holds the bitmap chunks of the index keys this transaction
	// sets or deletes, written before the commit (bitmap.go); bitKey is
	// noteIndex's scratch.
	bits   map[string]*bitEdit
	bitKey []byte
}

// op is a set or delete recorded by a preparing tx.
type op struct {
	key, value []byte
	del        bool
}

// replay makes the changes a preparing tx recorded: its sets and deletes,
// counter deltas, audit entries and the data keys it unwrapped.
func (t *tx) replay(p *tx) error {
	for _, o := range *p.log {
		var err error
		if o.del {
			err = t.txn.Delete(o.key)
		} else {
			err = t.txn.Set(o.key, o.value)
		}
		if err != nil {
			return err
		}
		if err := t.noteIndex(o.key, !o.del); err != nil {
			return err
		}
	}
	for n, d := range p.deltas {
		t.count(n, d)
	}
	t.entries = append(t.entries, p.entries...)
	if len(p.search) > 0 {
		// No preparation changes the search index (bulk basis changes
		// leave names, emails and companies alone); replaying one that
		// did would lose it.
		return errors.New("a prepared change touched the search index")
	}
	for slot, k := range p.keys {
		if t.keys == nil {
			t.keys = map[Slot][]byte{}
		}
		t.keys[slot] = k
	}
	return nil
}

// isSuppressed reports whether an email hash is on the suppression list,
// counting this transaction's own changes.
func (t *tx) isSuppressed(h []byte) bool {
	if v, ok := t.suppress[string(h)]; ok {
		return v
	}
	return t.s.suppressed[string(h)]
}

// isSuppressedAddress reports whether an address, whose emailHash is h, is
// on the suppression list (erased, Art. 17; or objected to direct
// marketing, Art. 21(3)): by h, or, for an address beyond ASCII, by the
// hash of a spelling that versions before gdpr.CanonicalEmail stored
// (gdpr.LegacyEmailSpellings).
//
// With nothing suppressed (the list is read whole at open: Store.suppressed)
// there is nothing to compare, and the legacy spellings are not worked out.
func (t *tx) isSuppressedAddress(email string, h []byte) bool {
	if len(t.suppress) == 0 && len(t.s.suppressed) == 0 {
		return false
	}
	if t.isSuppressed(h) {
		return true
	}
	for _, l := range gdpr.LegacyEmailSpellings(email) {
		if t.isSuppressed(t.s.hmacOf(l)) {
			return true
		}
	}
	return false
}

// setSuppressed puts an email hash on the suppression list (or takes it off).
func (t *tx) setSuppressed(h []byte, on bool) error {
	if t.suppress == nil {
		t.suppress = map[string]bool{}
	}
	t.suppress[string(h)] = on
	if on {
		return t.set(suppressKey(h), []byte(t.now.Format(time.RFC3339)))
	}
	return t.del(suppressKey(h))
}

// key unwraps a subject's data key once per transaction: a bulk change
// seals the evidence and the audit detail of each contact under it.
func (t *tx) key(s Slot) ([]byte, error) {
	if k, ok := t.keys[s]; ok {
		return k, nil
	}
	k, err := t.s.keys.key(s)
	if err != nil {
		return nil, err
	}
	if t.keys == nil {
		t.keys = map[Slot][]byte{}
	}
	t.keys[s] = k
	return k, nil
}

// write runs fn in one transaction and commits it with its audit entries
// and counter changes. Writers are serialized.
func (s *Store) write(operator string, fn func(*tx) error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.writeLocked(operator, fn)
}

func (s *Store) writeLocked(operator string, fn func(*tx) error) error {
	if s.db == nil {
		return errClosed
	}
	if err := s.checkSpace(); err != nil {
		return err
	}
	txn := s.db.NewTransaction(true)
	defer txn.Discard()
	t := &tx{s: s, txn: txn, operator: operator, now: s.now().UTC(),
		deltas: map[string]int64{}, seq: s.auditSeq, hash: s.auditHash}
	if err := fn(t); err != nil {
		return err
	}
	if action, record, role, err := t.refused(); err != nil {
		return err
	} else if action != "" {
		txn.Discard()
		return s.refuse(operator, action, record, role)
	}
	if err := t.flushBitmaps(); err != nil {
		return fmt.Errorf("update the index bitmaps: %w", err)
	}
	if err := t.flushSearch(); err != nil {
		return fmt.Errorf("update the search index: %w", err)
	}
	if err := t.flushCounters(); err != nil {
		return fmt.Errorf("update counters: %w", err)
	}
	if err := t.flushAudit(); err != nil {
		return fmt.Errorf("append audit entries: %w", err)
	}
	if t.shreds > 0 {
		n, err := readU64(t.txn, keyShredCount)
		if err != nil {
			return fmt.Errorf("count erasures: %w", err)
		}
		if err := t.txn.Set(keyShredCount, u64(n+t.shreds)); err != nil {
			return fmt.Errorf("count erasures: %w", err)
		}
	}
	if t.newKeys {
		// Keys must be on disk before any record that needs them.
		if err := s.keys.sync(); err != nil {
			return err
		}
	}
	if err := txn.Commit(); err != nil {
		if errors.Is(err, badger.ErrTxnTooBig) {
			return fmt.Errorf("change is too large for one transaction: %w", err)
		}
		return fmt.Errorf("commit: %w", s.diskFull(err))
	}
	// Committed: the memory follows the disk before anything else can
	// fail, so the next write continues the audit chain and the
	// suppression list holds what was just suppressed.
	s.auditSeq, s.auditHash = t.seq, t.hash
	for h, on := range t.suppress {
		if on {
			s.suppressed[h] = true
		} else {
			delete(s.suppressed, h)
		}
	}
	if t.shreds > 0 {
		// An erasure's record must be on disk before its keys are
		// destroyed: a power cut must not leave a live record whose key
		// is gone. Writers hold s.mu, so the erasure is still in the
		// active memtable, whose write-ahead file Sync flushes.
		if err := s.db.Sync(); err != nil {
			s.notify()
			return fmt.Errorf("sync the store after an erasure (its keys are not destroyed yet; the next start finishes it): %w", s.diskFull(err))
		}
	}
	// A failure to note the head only leaves the file behind, which is
	// never reported as a loss.
	_ = s.writeHead()
	s.notify()
	return nil
}

// refuse audits a refused change in a transaction of its own and returns
// ErrForbidden naming what was refused.
func (s *Store) refuse(operator, action, record string, role gdpr.Role) error {
	who := string(role)
	if who == "" {
		who = "unregistered"
	}
	err := s.writeLocked(operator, func(t *tx) error {
		t.entries = nil
		t.audit(gdpr.ActionAccessRefused, record, action+" refused: role "+who, nil, 0)
		return nil
	})
	if err != nil {
		return fmt.Errorf("audit a refused %s: %w", action, err)
	}
	return fmt.Errorf("%s: %w (%s)", action, ErrForbidden, who)
}

// RecordRefusal audits that operator was refused something the store did
// not see as a change, e.g. a command a server does not run for remote
// operators, or a file outside what a remote session may touch. what names
// it without personal data ("serve over SSH"). Like a refused change it is
// an access.refused entry naming the operator's role.
func (s *Store) RecordRefusal(operator, what string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	err := s.writeLocked(operator, func(t *tx) error {
		role, err := t.roleOf()
		if err != nil {
			return err
		}
		who := string(role)
		if who == "" {
			who = "unregistered"
		}
		t.audit("access.refused", "", what+" refused: role "+who, nil, 0)
		return nil
	})
	if err != nil {
		return fmt.Errorf("audit a refused %s: %w", what, err)
	}
	return nil
}

func (t *tx) set(key, value []byte) error {
	if t.log != nil {
		*t.log = append(*t.log, op{key: key, value: value})
		return nil
	}
	if bytes.HasPrefix(key, prefixShred) {
		// Kept for good (shred markers go once the key is destroyed), so
		// that Open can tell which keys a store's erasures destroyed.
		t.shreds++
		if err := t.txn.Set(join(prefixShredded, key[len(prefixShred):]), nil); err != nil {
			return err
		}
	}
	if err := t.noteIndex(key, true); err != nil {
		return err
	}
	return t.txn.Set(key, value)
}

func (t *tx) del(key []byte) error {
	if t.log != nil {
		*t.log = append(*t.log, op{key: key, del: true})
		return nil
	}
	if err := t.noteIndex(key, false); err != nil {
		return err
	}
	return t.txn.Delete(key)
}

func (t *tx) setJSON(key []byte, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode %s: %w", key[:2], err)
	}
	return t.txn.Set(key, b)
}

func (t *tx) getJSON(key []byte, v any) error {
	b, err := getValue(t.txn, key)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("decode record %q: %w", key[:2], err)
	}
	return nil
}

// seqValue reads the last number of a sequence (contact or request ids),
// 0 when none was given yet.
func seqValue(txn *badger.Txn, key []byte) (uint64, error) {
	v, err := getValue(txn, key)
	if errors.Is(err, ErrNotFound) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	return idFromKey(v), nil
}

// auditHeadSeq reads the number of the last audit entry, 0 for none.
func auditHeadSeq(txn *badger.Txn) (uint64, error) {
	head, err := getValue(txn, keyAuditHead)
	if errors.Is(err, ErrNotFound) || (err == nil && len(head) < 8) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	return idFromKey(head[:8]), nil
}

// nextSeq allocates the next number of a sequence (contact or request ids).
func (t *tx) nextSeq(key []byte) (uint64, error) {
	n, err := seqValue(t.txn, key)
	if err != nil {
		return 0, err
	}
	n++
	return n, t.txn.Set(key, u64(n))
}

// count adds delta to a counter when the transaction commits.
func (t *tx) count(name string, delta int64) {
	if delta != 0 {
		t.deltas[name] += delta
	}
}

// countAll applies the difference between two contributions. Names in
// both (most of them, for a change of one field) are paired off first, so
// only the names that differ touch the deltas.
func (t *tx) countAll(before, after []string) {
	pairOff(before, after, t.count)
}

// pairOff calls count(x, -1) for each item of before and count(x, +1) for
// each of after, except the items the two lists share (each pair once):
// a change's counters move only where the contact changed.
func pairOff[T comparable](before, after []T, count func(T, int64)) {
	var small [64]bool
	var paired []bool
	if len(after) <= len(small) {
		paired = small[:len(after)]
	} else {
		paired = make([]bool, len(after))
	}
next:
	for _, b := range before {
		for i, a := range after {
			if !paired[i] && a == b {
				paired[i] = true
				continue next
			}
		}
		count(b, -1)
	}
	for i, a := range after {
		if !paired[i] {
			count(a, +1)
		}
	}
}

func (t *tx) flushCounters() error {
	for name, d := range t.deltas {
		if d == 0 {
			continue
		}
		key := counterKey(name)
		v, err := getValue(t.txn, key)
		var cur int64
		if err == nil {
			cur = int64(binary.BigEndian.Uint64(v))
		} else if !errors.Is(err, ErrNotFound) {
			return err
		}
		cur += d
		if cur == 0 {
			err = t.txn.Delete(key)
		} else {
			err = t.txn.Set(key, u64(uint64(cur)))
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// auditRec is an audit entry as stored. Detail is never personal; what is
// personal goes into Sealed, under the data key of the subject's Slot, so it
// disappears with the subject while the chain still verifies.
type auditRec struct {
	Seq      uint64    `json:"seq"`
	At       time.Time `json:"at"`
	Operator string    `json:"operator"`
	Action   string    `json:"action"`
	Record   string    `json:"record,omitempty"`
	Detail   string    `json:"detail,omitempty"`
	Contacts int       `json:"contacts,omitempty"` // how many contacts a bulk chunk's entry is about
	Sealed   []byte    `json:"sealed,omitempty"`
	Slot     Slot      `json:"slot,omitempty"`
	Prev     []byte    `json:"prev"`
	Hash     []byte    `json:"hash,omitempty"` // must stay the last field: see flushAudit

	// contacts, when set, is a run of contacts with consecutive ids the
	// entry is about (an import chunk's new contacts): indexed once by
	// its last id (prefixAuditRange), not stored in the entry.
	contacts [2]gdpr.ContactID
	// records, when set, are the contacts a bulk chunk's entry is about:
	// each finds the entry in its audit trail (ab/), none is named in it.
	records []gdpr.ContactID
}

// chainHash is SHA-256 over the entry with its own hash left out; the entry
// holds the previous hash, which chains the log.
func chainHash(e auditRec) ([]byte, error) {
	e.Hash = nil
	b, err := json.Marshal(e)
	if err != nil {
		return nil, err
	}
	h := sha256.Sum256(b)
	return h[:], nil
}

// auditContacts records one entry about the contacts first to last (ids
// that follow one another), each of which finds it in its audit trail.
func (t *tx) auditContacts(action gdpr.Action, first, last gdpr.ContactID, detail string) {
	t.entries = append(t.entries, auditRec{At: t.now, Operator: t.operator, Action: string(action),
		Record: first.String(), Detail: detail, contacts: [2]gdpr.ContactID{first, last}})
}

// auditBulk records one entry about the contacts of a bulk chunk, each of
// which finds it in its audit trail.
func (t *tx) auditBulk(action gdpr.Action, detail string, ids []gdpr.ContactID) {
	t.entries = append(t.entries, auditRec{At: t.now, Operator: t.operator, Action: string(action),
		Detail: detail, Contacts: len(ids), records: ids})
}

// audit records an entry. personal, when given, is sealed under slot's key.
func (t *tx) audit(action gdpr.Action, record, detail string, personal []byte, slot Slot) {
	t.entries = append(t.entries, auditRec{At: t.now, Operator: t.operator, Action: string(action),
		Record: record, Detail: detail, Sealed: personal, Slot: slot})
}

func (t *tx) flushAudit() error {
	for _, e := range t.entries {
		t.seq++
		e.Seq = t.seq
		e.Prev = t.hash
		if e.Sealed != nil {
			k, err := t.key(e.Slot)
			if err != nil {
				return err
			}
			sealed, err := seal(k, e.Sealed, auditAAD(e.Seq))
			if err != nil {
				return err
			}
			e.Sealed = sealed
		}
		// One encoding serves both: the entry without its hash is what the
		// hash covers (chainHash), and Hash is its last field, so the stored
		// JSON is that body with the hash appended.
		body, err := json.Marshal(e)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(body)
		h := sum[:]
		tail, _ := json.Marshal(h)
		stored := append(append(append(body[:len(body)-1:len(body)-1], `,"hash":`...), tail...), '}')
		if err := t.set(auditKey(e.Seq), stored); err != nil {
			return err
		}
		// The entries about one record, for its audit trail and the access
		// package, without walking the whole log.
		if e.Record != "" {
			if err := t.set(auditRecordKey(e.Record, e.Seq), nil); err != nil {
				return err
			}
		}
		if err := t.setAuditBulk(e.records, e.Seq); err != nil {
			return err
		}
		if first, last := e.contacts[0], e.contacts[1]; last > first {
			if err := t.set(auditRangeKey(last, e.Seq), u64(uint64(first))); err != nil {
				return err
			}
		}
		t.hash = h
	}
	if len(t.entries) > 0 {
		if err := t.set(keyAuditHead, join(u64(t.seq), t.hash)); err != nil {
			return err
		}
	}
	t.entries = t.entries[:0]
	return nil
}

// setAuditBulk indexes entry seq under the contacts ids for their audit
// trails: one ab/ key per id chunk they fall in, holding their offsets in
// it as a bitmap chunk does (encodeBits). A bulk chunk of 500 contacts
// spread over a million ids writes a few keys, not 500.
func (t *tx) setAuditBulk(ids []gdpr.ContactID, seq uint64) error {
	if len(ids) == 0 {
		return nil
	}
	sorted := slices.Clone(ids)
	slices.Sort(sorted)
	var w chunkWordsT
	for i := 0; i < len(sorted); {
		chunk := uint64(sorted[i]) >> chunkShift
		w = chunkWordsT{}
		for ; i < len(sorted) && uint64(sorted[i])>>chunkShift == chunk; i++ {
			w.set(uint64(sorted[i]))
		}
		if chunk > math.MaxUint32 {
			return fmt.Errorf("audit index: contact id %d out of range", sorted[i-1])
		}
		if err := t.set(auditBulkKey(uint32(chunk), seq), encodeBits(nil, &w)); err != nil {
			return err
		}
	}
	return nil
}

func auditAAD(seq uint64) []byte { return join([]byte("audit"), u64(seq)) }
