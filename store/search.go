package store

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"errors"
	"fmt"
	"maps"
	"math/bits"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/dgraph-io/badger/v4"
	"github.com/gdprdesk/gdprdesk/gdpr"
)

// The search index answers free text (bare words, matched as substrings of
// gdpr.SearchText: names, email and company) without unsealing every
// contact: a free-text filter must show its first screen within a second at
// 1,000,000 contacts (SPEC §7), and unsealing a million records under a
// million keys takes ten.
//
// Contacts are grouped by id into chunks of 2^bits (1,024; the size is
// fixed per store in m/search-bits). Each chunk's search texts are one
// value, sx/<chunk> = slot (4 bytes) + AES-GCM(key of slot, entries), sealed
// under a data key of the chunk's own in the keyring; an entry is
// uvarint(id − first id of the chunk), uvarint(length), text, by id. A
// search unseals about a thousand values at a million contacts and marks
// the ids that match in a bit set (matchSet), which the query then walks in
// id order, or consults while it walks an index.
//
// Erasure stays crypto-shredding. A transaction that erases a contact
// seals its chunk again without it under a new key and marks the old key
// for destruction with the contact's own (the shred markers of erase.go),
// so every earlier copy of the chunk, which held the person's text, becomes
// unreadable with their record. An edit reseals under the same key: the
// earlier text stays readable in old versions, as the contact's own record
// does (its key lives until the erasure, which rotates the chunk too).
//
// The records hold what the texts are made of (names, email and company,
// in their sealed personal data): a chunk that is missing (a store written
// before the index, see migrateSearch) or unreadable (its key destroyed by
// Reapply, which copies another store's erasures) is rebuilt from them when
// a transaction next writes to it, and searched record by record until
// then. (Records written before the index also carry a sealed copy of
// their search text, contactRec.Search; nothing reads it any more.)

const defaultSearchBits = 6

var (
	prefixSearch   = []byte("sx/")
	keySearchBits  = []byte("m/search-bits")
	keySearchGen   = []byte("m/search-gen") // changes with every chunk write: see matchCache
	searchChunkAAD = []byte("search chunk")
)

func searchChunkKey(c uint64) []byte { return join(prefixSearch, u64(c)) }

func (s *Store) chunkOf(id gdpr.ContactID) uint64 { return uint64(id) >> s.searchBits }

// searchEdit is what one transaction changes in one chunk.
type searchEdit struct {
	texts  map[gdpr.ContactID]string // new or changed search texts
	erased map[gdpr.ContactID]bool   // contacts erased: the chunk changes key
}

func (t *tx) searchEdit(id gdpr.ContactID) *searchEdit {
	if t.search == nil {
		t.search = map[uint64]*searchEdit{}
	}
	c := t.s.chunkOf(id)
	e := t.search[c]
	if e == nil {
		e = &searchEdit{texts: map[gdpr.ContactID]string{}, erased: map[gdpr.ContactID]bool{}}
		t.search[c] = e
	}
	return e
}

// setSearch records a contact's new search text, written to its chunk when
// the transaction commits.
func (t *tx) setSearch(id gdpr.ContactID, text string) {
	e := t.searchEdit(id)
	e.texts[id] = text
	delete(e.erased, id)
}

// eraseSearch takes an erased contact out of its chunk, under a new key.
func (t *tx) eraseSearch(id gdpr.ContactID) {
	e := t.searchEdit(id)
	delete(e.texts, id)
	e.erased[id] = true
}

type searchEntry struct {
	id   gdpr.ContactID
	text string
}

func encodeChunk(base uint64, es []searchEntry) []byte {
	n := 0
	for _, e := range es {
		n += len(e.text) + 2*binary.MaxVarintLen16
	}
	b := make([]byte, 0, n)
	for _, e := range es {
		b = binary.AppendUvarint(b, uint64(e.id)-base)
		b = binary.AppendUvarint(b, uint64(len(e.text)))
		b = append(b, e.text...)
	}
	return b
}

// eachEntry calls fn with every entry of a chunk's clear entries; text is
// only valid during the call.
func eachEntry(base uint64, b []byte, fn func(id uint64, text []byte)) error {
	for len(b) > 0 {
		off, n := binary.Uvarint(b)
		if n <= 0 {
			return errors.New("search chunk is damaged")
		}
		b = b[n:]
		l, n := binary.Uvarint(b)
		if n <= 0 || uint64(len(b)-n) < l {
			return errors.New("search chunk is damaged")
		}
		fn(base+off, b[n:n+int(l)])
		b = b[n+int(l):]
	}
	return nil
}

// readChunk returns a chunk's slot and clear entries. ok is false when the
// chunk is missing or its key was destroyed: it must be rebuilt from the
// records.
func (s *Store) readChunk(txn *badger.Txn, key func(Slot) ([]byte, error), c uint64) (slot Slot, clear []byte, ok bool, err error) {
	v, err := getValue(txn, searchChunkKey(c))
	if errors.Is(err, ErrNotFound) {
		return 0, nil, false, nil
	}
	if err != nil {
		return 0, nil, false, err
	}
	return s.openChunk(key, c, v)
}

func (s *Store) openChunk(key func(Slot) ([]byte, error), c uint64, v []byte) (slot Slot, clear []byte, ok bool, err error) {
	if len(v) < 4 {
		return 0, nil, false, fmt.Errorf("search chunk %d is damaged", c)
	}
	slot = Slot(binary.BigEndian.Uint32(v))
	k, err := key(slot)
	if errors.Is(err, errKeyDestroyed) {
		return slot, nil, false, nil
	}
	if err != nil {
		return 0, nil, false, err
	}
	clear, err = unseal(k, v[4:], join(searchChunkAAD, u64(c)))
	if err != nil {
		return 0, nil, false, fmt.Errorf("search chunk %d: %w", c, err)
	}
	return slot, clear, true, nil
}

// chunkRange is the key range of the contacts of chunk c.
func (s *Store) chunkRange(c uint64) (first, end []byte) {
	return contactKey(gdpr.ContactID(c << s.searchBits)), contactKey(gdpr.ContactID((c + 1) << s.searchBits))
}

// rebuildChunk reads a chunk's texts from its contacts' records (as this
// transaction sees them); the texts the transaction set are taken as they
// are, without a look-up. Point reads, not an iterator: an iterator of a
// transaction sorts all its pending writes, and an import chunk has
// thousands.
func (t *tx) rebuildChunk(c uint64, e *searchEdit) (map[gdpr.ContactID]string, error) {
	out := map[gdpr.ContactID]string{}
	maxID, err := seqValue(t.txn, keyContactSeq)
	if err != nil {
		return nil, err
	}
	first := c << t.s.searchBits
	for n := first; n < first+1<<t.s.searchBits && n <= maxID; n++ {
		id := gdpr.ContactID(n)
		if text, ok := e.texts[id]; ok {
			out[id] = text
			continue
		}
		v, err := getValue(t.txn, contactKey(id))
		if errors.Is(err, ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		rec, err := decodeContact(v)
		if err != nil {
			return nil, fmt.Errorf("contact record %s cannot be read: %w", id, err)
		}
		text, ok, err := t.s.recordSearchText(&rec, t.key)
		if err != nil {
			return nil, err
		}
		if ok {
			out[id] = text
		}
	}
	return out, nil
}

// flushSearch writes the chunks this transaction changed. Runs inside the
// transaction, before its commit.
func (t *tx) flushSearch() error {
	if len(t.search) == 0 {
		return nil
	}
	for _, c := range slices.Sorted(maps.Keys(t.search)) {
		e := t.search[c]
		slot, clear, ok, err := t.s.readChunk(t.txn, t.key, c)
		if err != nil {
			return err
		}
		var texts map[gdpr.ContactID]string
		if ok {
			texts = map[gdpr.ContactID]string{}
			err = eachEntry(c<<t.s.searchBits, clear, func(id uint64, text []byte) {
				texts[gdpr.ContactID(id)] = string(text)
			})
			if err != nil {
				return fmt.Errorf("search chunk %d: %w", c, err)
			}
		} else if texts, err = t.rebuildChunk(c, e); err != nil {
			return err
		}
		for id, text := range e.texts {
			texts[id] = text
		}
		for id := range e.erased {
			delete(texts, id)
		}
		if !ok || len(e.erased) > 0 {
			if ok {
				if err := t.set(shredKey(slot), nil); err != nil {
					return err
				}
			}
			if sl, made := t.chunkSlots[c]; made && !ok && slot == 0 {
				slot = sl
			} else {
				slots, err := t.s.keys.newKeys(1)
				if err != nil {
					return err
				}
				slot, t.newKeys = slots[0], true
			}
		}
		k, err := t.key(slot)
		if err != nil {
			return err
		}
		es := make([]searchEntry, 0, len(texts))
		for id, text := range texts {
			es = append(es, searchEntry{id, text})
		}
		slices.SortFunc(es, func(a, b searchEntry) int { return cmp.Compare(a.id, b.id) })
		sealed, err := seal(k, encodeChunk(c<<t.s.searchBits, es), join(searchChunkAAD, u64(c)))
		if err != nil {
			return err
		}
		var head [4]byte
		binary.BigEndian.PutUint32(head[:], uint32(slot))
		if err := t.set(searchChunkKey(c), append(head[:], sealed...)); err != nil {
			return err
		}
	}
	t.search = nil
	gen, err := seqValue(t.txn, keySearchGen)
	if err != nil {
		return err
	}
	return t.set(keySearchGen, u64(gen+1))
}

// matchSet is the set of contact ids whose search text holds every word of
// a query, one bit per id.
type matchSet []uint64

// add puts id in the set; safe beside other adds (chunks of fewer than
// 64 contacts share words).
func (m matchSet) add(id uint64) { atomic.OrUint64(&m[id/64], 1<<(id%64)) }

func (m matchSet) has(id uint64) bool {
	return id/64 < uint64(len(m)) && m[id/64]&(1<<(id%64)) != 0
}

// next returns the smallest id ≥ from in the set.
func (m matchSet) next(from uint64) (uint64, bool) {
	for w := from / 64; w < uint64(len(m)); w++ {
		word := m[w]
		if w == from/64 {
			word &= ^uint64(0) << (from % 64)
		}
		if word != 0 {
			return w*64 + uint64(bits.TrailingZeros64(word)), true
		}
	}
	return 0, false
}

// prev returns the largest id ≤ to in the set.
func (m matchSet) prev(to uint64) (uint64, bool) {
	if len(m) == 0 {
		return 0, false
	}
	if last := uint64(len(m))*64 - 1; to > last {
		to = last
	}
	for w := int64(to / 64); w >= 0; w-- {
		word := m[w]
		if uint64(w) == to/64 {
			word &= ^uint64(0) >> (63 - to%64)
		}
		if word != 0 {
			return uint64(w)*64 + 63 - uint64(bits.LeadingZeros64(word)), true
		}
	}
	return 0, false
}

// matchCache keeps the last match set: paging through a free-text filter,
// and counting it, asks for the same words again and again. It is valid
// while m/search-gen is unchanged (no chunk written since).
type matchCache struct {
	mu    sync.Mutex
	gen   uint64
	words string
	set   matchSet
}

// wordMatches returns the ids whose search text holds every word of q, as
// txn sees the store.
func (s *Store) wordMatches(txn *badger.Txn, q gdpr.Query) (matchSet, error) {
	gen, err := seqValue(txn, keySearchGen)
	if err != nil {
		return nil, err
	}
	folded := q.FoldedWords()
	words := strings.Join(folded, "\x00")
	s.matches.mu.Lock()
	if s.matches.set != nil && s.matches.gen == gen && s.matches.words == words {
		set := s.matches.set
		s.matches.mu.Unlock()
		return set, nil
	}
	s.matches.mu.Unlock()

	maxID, err := seqValue(txn, keyContactSeq)
	if err != nil {
		return nil, err
	}
	set := make(matchSet, maxID/64+1)
	chunks := maxID>>s.searchBits + 1
	found := make([]bool, chunks)
	needles := make([][]byte, len(folded))
	for i, w := range folded {
		needles[i] = []byte(w)
	}
	if err := s.matchChunks(txn, chunks, needles, set, found); err != nil {
		return nil, err
	}
	// Chunks without a readable index entry: record by record.
	for c := range chunks {
		if found[c] {
			continue
		}
		first, end := s.chunkRange(c)
		err := eachContactIn(txn, first, end, func(rec *contactRec) error {
			text, ok, err := s.recordSearchText(rec, s.keys.key)
			if ok && q.MatchesWords(text) {
				set.add(uint64(rec.ID))
			}
			return err
		})
		if err != nil {
			return nil, err
		}
	}
	s.matches.mu.Lock()
	s.matches.gen, s.matches.words, s.matches.set = gen, words, set
	s.matches.mu.Unlock()
	return set, nil
}

// matchChunks reads every chunk of the search index below chunks and adds
// the ids whose text holds every needle to set, marking the chunks it could
// read in found. The iterator reads the values in this goroutine; keying,
// unsealing and matching, the larger part, run on every core.
func (s *Store) matchChunks(txn *badger.Txn, chunks uint64, needles [][]byte, set matchSet, found []bool) error {
	type job struct {
		c uint64
		v []byte
	}
	jobs := make(chan job, 64)
	var (
		wg       sync.WaitGroup
		errMu    sync.Mutex
		firstErr error
	)
	fail := func(err error) {
		errMu.Lock()
		if firstErr == nil {
			firstErr = err
		}
		errMu.Unlock()
	}
	for range runtime.GOMAXPROCS(0) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range jobs {
				_, clear, ok, err := s.openChunk(s.keys.key, j.c, j.v)
				if err != nil {
					fail(err)
					continue
				}
				if !ok {
					continue
				}
				found[j.c] = true
				err = eachEntry(j.c<<s.searchBits, clear, func(id uint64, text []byte) {
					for _, w := range needles {
						if !bytes.Contains(text, w) {
							return
						}
					}
					set.add(id)
				})
				if err != nil {
					fail(fmt.Errorf("search chunk %d: %w", j.c, err))
				}
			}
		}()
	}
	// No reclaimPages here: the index is a few tens of MB of tables at a
	// million contacts, and giving pages back costs ~70 ms a time.
	it := txn.NewIterator(badger.IteratorOptions{Prefix: prefixSearch, PrefetchValues: true, PrefetchSize: 16})
	var err error
	for it.Rewind(); it.Valid(); it.Next() {
		c := idFromKey(it.Item().Key())
		if c >= chunks {
			continue // a chunk written after the sequence this snapshot read
		}
		var v []byte
		if v, err = it.Item().ValueCopy(nil); err != nil {
			break
		}
		jobs <- job{c, v}
	}
	it.Close()
	close(jobs)
	wg.Wait()
	if err != nil {
		return err
	}
	return firstErr
}

// scanMatches is scanDir for a query without an indexed term but with
// words: it walks the match set in id order and reads only the contacts in
// it.
func (s *Store) scanMatches(txn *badger.Txn, q gdpr.Query, set matchSet, from Cursor, backward, idsOnly bool, fn func(key []byte, rec *contactRec) (bool, error)) (last []byte, exhausted bool, err error) {
	var id uint64
	var ok bool
	switch {
	case !backward && len(from) == 0:
		id, ok = set.next(0)
	case !backward:
		id, ok = set.next(idFromKey(from) + 1)
	case len(from) > 0:
		if at := idFromKey(from); at > 0 {
			id, ok = set.prev(at - 1)
		}
	default:
		id, ok = set.prev(^uint64(0))
	}
	for ; ok; id, ok = step(set, id, backward) {
		last = contactKey(gdpr.ContactID(id))
		rec := contactRec{ID: gdpr.ContactID(id)}
		if !idsOnly || len(q.Terms) > 0 {
			rec, err = readContactRec(txn, gdpr.ContactID(id))
			if errors.Is(err, ErrNotFound) {
				continue
			}
			if err != nil {
				return last, false, err
			}
			clear := rec.clear()
			if !q.MatchesTerms(&clear) || !s.searchable(&rec) {
				continue
			}
		}
		more, err := fn(last, &rec)
		if err != nil || !more {
			return last, false, err
		}
	}
	return last, true, nil
}

// searchable reports whether a contact found by its words still has them:
// its key may have been destroyed after the index was written (erasures
// re-applied from another store destroy keys by number).
func (s *Store) searchable(rec *contactRec) bool {
	if len(rec.Personal) == 0 || rec.Slot == 0 {
		return false
	}
	_, err := s.keys.key(rec.Slot)
	return !errors.Is(err, errKeyDestroyed)
}

// recordSearchText is a contact's search text read from its own record,
// where a chunk cannot be: from its sealed personal data. ok is false for
// a contact that has none left (anonymized, or its key destroyed).
func (s *Store) recordSearchText(rec *contactRec, key func(Slot) ([]byte, error)) (text string, ok bool, err error) {
	if len(rec.Personal) == 0 || rec.Slot == 0 {
		return "", false, nil
	}
	k, err := key(rec.Slot)
	if errors.Is(err, errKeyDestroyed) {
		return "", false, nil
	}
	if err != nil {
		return "", false, err
	}
	c, err := unsealContact(rec, k)
	if err != nil {
		return "", false, err
	}
	return gdpr.SearchText(&c), true, nil
}

func step(set matchSet, id uint64, backward bool) (uint64, bool) {
	if backward {
		if id == 0 {
			return 0, false
		}
		return set.prev(id - 1)
	}
	return set.next(id + 1)
}

// searchBitsOf reads (or, for a new store, writes) the chunk size of the
// search index.
func searchBitsOf(txn *badger.Txn, want uint) (uint, error) {
	v, err := getValue(txn, keySearchBits)
	if errors.Is(err, ErrNotFound) {
		return want, txn.Set(keySearchBits, u64(uint64(want)))
	}
	if err != nil {
		return 0, err
	}
	if b := idFromKey(v); b > 0 && b < 32 {
		return uint(b), nil
	}
	return 0, fmt.Errorf("search index chunk size %x is damaged", v)
}

// migrateSearch builds the search index of a store written before it
// (schema 1), a few chunks per transaction, and then marks the store as
// schema 2. Runs in Open.
func (s *Store) migrateSearch(upgrading func(contacts uint64)) error {
	schema, maxID, err := s.schemaAndLastID()
	if err != nil || schema >= 2 {
		return err
	}
	if upgrading != nil && maxID > 0 {
		upgrading(maxID)
	}
	const perTxn = 16
	chunks := maxID>>s.searchBits + 1
	for c := uint64(0); c < chunks; c += perTxn {
		err := s.write("gdprdesk", func(t *tx) error {
			for d := c; d < min(c+perTxn, chunks); d++ {
				t.searchEdit(gdpr.ContactID(d << s.searchBits)) // an edit of nothing: the chunk is rebuilt
			}
			if c+perTxn >= chunks {
				if maxID > 0 {
					t.audit(gdpr.ActionStoreUpgrade, "search", fmt.Sprintf("built the sealed search index of %d contact id(s)", maxID), nil, 0)
				}
				return t.set(keySchema, u64(2))
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("build the search index: %w", err)
		}
		s.reclaimPages(false) // a walk of every record: see scanDir
	}
	s.reclaimPages(true)
	return nil
}

// repairSearch rebuilds the chunks whose key was destroyed (Reapply
// destroys every key another store of the installation destroyed, a
// chunk's old keys among them).
func (s *Store) repairSearch() error {
	var broken []uint64
	err := s.view(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{Prefix: prefixSearch})
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			err := it.Item().Value(func(v []byte) error {
				if len(v) < 4 {
					return nil
				}
				if _, err := s.keys.key(Slot(binary.BigEndian.Uint32(v))); errors.Is(err, errKeyDestroyed) {
					broken = append(broken, idFromKey(it.Item().Key()))
				}
				return nil
			})
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil || len(broken) == 0 {
		return err
	}
	return s.write("gdprdesk", func(t *tx) error {
		for _, c := range broken {
			t.searchEdit(gdpr.ContactID(c << s.searchBits))
		}
		t.audit(gdpr.ActionStoreRepair, "search", fmt.Sprintf("rebuilt %d search index chunk(s) whose key was destroyed", len(broken)), nil, 0)
		return nil
	})
}
