package store

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/dgraph-io/badger/v4"
	"github.com/gdprdesk/gdprdesk/gdpr"
	"github.com/gdprdesk/gdprdesk/internal/u64map"
)

// The bulk-load path of a large import into a store that holds no contact
// yet (the first import of a business, SPEC §7: a million rows within 2× of
// the sqlite3 shell). Instead of a transaction per chunk, the run writes a
// new Badger database beside the store with Badger's StreamWriter, which
// builds sorted tables directly: the records and search chunks as they are
// sealed, and at the end, sorted in memory, everything else — the store's
// own keys copied over, the email look-ups, every index key, the counters
// and the audit entries of the run. The new database then replaces the old
// one.
//
// What is written is what the ordinary path writes (store/import.go), key
// for key: the same records sealed under a new key each, the same index
// keys, counters, search chunks (each under a key of its own) and one
// contact.import entry per chunk, chained from the store's audit head, with
// its ai/ and ar/ keys. A row repeating an address seen earlier in the file
// is not merged here: BulkLoad.Finish returns those rows, and the caller
// imports them the ordinary way once the new database is in place (the
// contact they merge into exists by then), so they get the same
// contact.import-update entries and the same final records.
//
// Crash safety. Everything is written under DIR/bulkload/ (db/: the new
// database). The swap is committed by one file, DIR/bulkload/COMMIT, written
// and synced only after the new database is closed and every file of it,
// and the key ring, is on disk. Then DIR/db is moved to DIR/bulkload/old,
// DIR/bulkload/db to DIR/db, and DIR/bulkload is removed. Open runs
// finishBulkLoad before anything else: without COMMIT it removes
// DIR/bulkload (the store is as before the import: its keys appended to
// the key ring are live and unused, as those of a transaction that failed);
// with COMMIT it completes the two moves, whichever of them was done. The
// rows repeating an address are imported after the swap in ordinary
// transactions: a kill among them leaves a store that an import of the
// same file again completes (every row then matches a contact).

const (
	bulkDir    = "bulkload"
	bulkCommit = "COMMIT"
)

// Stream ids of the new database: seven key ranges that do not overlap, as
// StreamWriter needs (it writes every table at the bottom level). Keys of
// different streams may be written in any interleaving, each stream's in
// order.
const (
	streamBeforeContacts = iota + 1 // a/, ai/, ar/ …
	streamContacts                  // c/
	streamMiddle                    // e/, g/, i/
	streamBitmaps                   // ib/
	streamMiddleAfter               // k/, m/, n/, o/, p/, pu/, q/, r/, rc/, sr/
	streamSearch                    // sx/
	streamAfter                     // x/ …
)

func bulkStream(k []byte) uint32 {
	switch {
	case bytes.Compare(k, prefixContact) < 0:
		return streamBeforeContacts
	case bytes.HasPrefix(k, prefixContact):
		return streamContacts
	case bytes.Compare(k, prefixBitmap) < 0:
		return streamMiddle
	case bytes.HasPrefix(k, prefixBitmap):
		return streamBitmaps
	case bytes.Compare(k, prefixSearch) < 0:
		return streamMiddleAfter
	case bytes.HasPrefix(k, prefixSearch):
		return streamSearch
	}
	return streamAfter
}

// BulkLoad is one bulk-load run (see above). Prepare is called for each
// chunk in the order of the file, on one goroutine; Write for each
// prepared chunk in the same order, possibly on another; then Finish, or
// Abort.
type BulkLoad struct {
	s        *Store
	operator string
	stage    string
	db       *badger.DB
	sw       *badger.StreamWriter

	// Prepare's state.
	nextID uint64
	rules  map[string]*gdpr.SourceRule
	book   *consentBook
	// addrs: the 64-bit prefix of each address's HMAC → the file line it
	// was first seen on. A row whose prefix is there repeats an address
	// (or another with the same prefix, one chance in 2^64 a pair: at
	// 10,000,000 rows about one in 370,000; the ordinary merge after the
	// swap compares whole HMACs and creates it, see Prepared.RepeatOf).
	addrs   u64map.Map[uint32]
	emails  *emailSpill            // the e/ look-ups, on disk until the end
	index   map[string]*idList     // index prefix (i/<field>/<value>\0) → ids, ascending
	deltas  map[contribution]int64 // counter changes, named only in Finish
	chunks  []bulkChunk
	search  []searchEntry // texts of the search chunk being filled
	chunk   uint64        // that chunk
	slot    Slot          // and its key
	key     []byte
	defered []ImportItem
	failed  error
	// stopAtCommit, for tests, ends Finish right after the COMMIT file, as
	// a crash there would.
	stopAtCommit bool
	// afterFlush, for tests, is called once every table is written (the
	// sorted keys last) and given back.
	afterFlush func()
	// committed: the COMMIT file is written; the staging directory is no
	// longer Abort's to remove (Open finishes the swap).
	committed bool
}

// errStoppedAtCommit is what Finish returns when stopAtCommit stops it.
var errStoppedAtCommit = errors.New("bulk load stopped after its commit (test)")

// bulkChunk is what the audit entry of one chunk's new contacts says.
type bulkChunk struct {
	first, last         gdpr.ContactID
	firstLine, lastLine int
	at                  time.Time
}

// bulkKV is a key and value for one of the streams, all at version 1.
type bulkKV struct {
	key, value []byte
	stream     uint32
}

// bulkPrep is a chunk prepared by BulkLoad.Prepare.
type bulkPrep struct {
	out  []ImportOutcome
	into []int // for a row repeating an address: the line it was first seen on
	kvs  []*bulkKV
	err  error
}

// BeginBulkLoad starts a bulk load for operator when the store can take
// one: it holds no contact (and never did), it is writable, and the
// operator may import. Otherwise it returns nil and the import takes the
// ordinary path.
func (s *Store) BeginBulkLoad(operator string) (*BulkLoad, error) {
	if s.readOnly || s.remoteOnly || s.db == nil {
		return nil, nil
	}
	b := &BulkLoad{s: s, operator: operator, rules: map[string]*gdpr.SourceRule{},
		index: map[string]*idList{}, deltas: map[contribution]int64{}}
	ok := true
	err := s.view(func(txn *badger.Txn) error {
		last, err := seqValue(txn, keyContactSeq)
		if err != nil {
			return err
		}
		for _, p := range [][]byte{prefixContact, prefixEmail, prefixIndex, prefixSearch} {
			if !noKeys(txn, p) {
				ok = false
			}
		}
		if last != 0 || !ok {
			ok = false
			return nil
		}
		b.nextID = 1
		// The operator must be allowed what the entries will say.
		t := &tx{s: s, txn: txn, operator: operator}
		t.auditContacts(gdpr.ActionContactImport, 1, 2, "")
		if action, _, _, err := t.refused(); err != nil || action != "" {
			ok = false
			return err
		}
		it := txn.NewIterator(badger.IteratorOptions{Prefix: prefixRule, PrefetchValues: true})
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			var r gdpr.SourceRule
			if err := it.Item().Value(func(v []byte) error { return json.Unmarshal(v, &r) }); err != nil {
				return fmt.Errorf("decode source rule: %w", err)
			}
			b.rules[string(it.Item().Key()[len(prefixRule):])] = &r
		}
		return nil
	})
	if err != nil || !ok {
		return nil, err
	}
	b.stage = filepath.Join(s.dir, bulkDir)
	if err := os.RemoveAll(b.stage); err != nil {
		return nil, fmt.Errorf("bulk load: %w", err)
	}
	if err := os.MkdirAll(filepath.Join(b.stage, "db"), 0o700); err != nil {
		return nil, fmt.Errorf("bulk load: %w", err)
	}
	if b.emails, err = newEmailSpill(filepath.Join(b.stage, "emails")); err != nil {
		os.RemoveAll(b.stage)
		return nil, err
	}
	opts := s.badgerOpts
	opts.Dir = filepath.Join(b.stage, "db")
	opts.ValueDir = opts.Dir
	if b.db, err = badger.Open(opts); err != nil {
		os.RemoveAll(b.stage)
		return nil, fmt.Errorf("bulk load: open the new database: %w", err)
	}
	b.sw = b.db.NewStreamWriter()
	if err := b.sw.Prepare(); err != nil {
		b.Abort()
		return nil, fmt.Errorf("bulk load: %w", err)
	}
	return b, nil
}

func noKeys(txn *badger.Txn, prefix []byte) bool {
	it := txn.NewIterator(badger.IteratorOptions{Prefix: prefix})
	defer it.Close()
	it.Rewind()
	return !it.Valid()
}

// Prepare validates, keys, seals and encodes a chunk's new contacts (as
// Import.Prepare does) and notes their index keys, email look-ups,
// counters and audit entry for Finish. It never fails: an error is kept in
// the result, for Write to return.
func (b *BulkLoad) Prepare(items []ImportItem) *Prepared {
	bp := &bulkPrep{out: make([]ImportOutcome, len(items)), into: make([]int, len(items))}
	p := &Prepared{items: items, bulk: bp}
	if b.failed == nil {
		b.failed = b.prepare(items, bp)
	}
	bp.err = b.failed
	return p
}

func (b *BulkLoad) prepare(items []ImportItem, bp *bulkPrep) error {
	s := b.s
	now := s.now().UTC()
	probe := &tx{s: s}
	// Hashed and checked against the suppression list on every core (the
	// probe only reads: its own list is empty).
	hashes := make([][]byte, len(items))
	suppressed := make([]bool, len(items))
	parallel(len(items), func(i int) {
		hashes[i] = s.emailHash(items[i].Contact.Email)
		suppressed[i] = probe.isSuppressedAddress(items[i].Contact.Email, hashes[i])
	})
	var fresh []int
	for i, it := range items {
		h := hashes[i]
		if suppressed[i] {
			bp.out[i] = ImportSuppressed
			continue
		}
		if line, ok := b.addrs.Get(hashPrefix(h)); ok {
			// Merged once the new database is in place (Finish).
			bp.out[i] = ImportUpdated
			bp.into[i] = int(line)
			b.defered = append(b.defered, it)
			continue
		}
		b.addrs.Put(hashPrefix(h), uint32(max(it.Line, 0)))
		b.emails.add(h, b.nextID+uint64(len(fresh)))
		bp.out[i] = ImportCreated
		fresh = append(fresh, i)
	}
	if len(fresh) == 0 {
		return nil
	}
	first := b.nextID
	last := first + uint64(len(fresh)) - 1
	if last > math.MaxUint32 {
		return errors.New("bulk load: more than 4,294,967,295 contacts: import the file in parts")
	}
	// Keys: one per contact, and one per search chunk that begins here.
	var newChunks []uint64
	for c := s.chunkOf(gdpr.ContactID(first)); c <= s.chunkOf(gdpr.ContactID(last)); c++ {
		if b.key == nil || c != b.chunk {
			newChunks = append(newChunks, c)
		}
	}
	slots, keys, err := s.keys.newKeysRaw(len(fresh) + len(newChunks))
	if err != nil {
		return err
	}
	chunkKey := map[uint64]int{}
	for j, c := range newChunks {
		chunkKey[c] = len(fresh) + j
	}
	// The consent register, read when first needed: the import adds its
	// purpose before the first chunk.
	if b.book == nil && slices.ContainsFunc(fresh, func(i int) bool { return len(items[i].Contact.Consents) > 0 }) {
		if err := s.view(func(txn *badger.Txn) error {
			var err error
			b.book, err = readConsentBook(txn)
			return err
		}); err != nil {
			return err
		}
	}
	// Each contact on its own: validated, settled, sealed and encoded, on
	// every core.
	type made struct {
		kv      *bulkKV
		index   [][]byte
		contrib []contribution
		text    string
		err     error
	}
	res := make([]made, len(fresh))
	rule := func(source string) (*gdpr.SourceRule, error) { return b.rules[source], nil }
	parallel(len(fresh), func(j int) {
		it := items[fresh[j]]
		r := &res[j]
		c := cloneContact(it.Contact)
		if err := prepareContact(&c, now, b.operator, rule); err != nil {
			r.err = fmt.Errorf("line %d: %w", it.Line, err)
			return
		}
		if len(c.Consents) > 0 {
			gdpr.SettleImportedConsents(&c, b.book.purposes, b.book.versions, now)
		}
		c.ID = gdpr.ContactID(first + uint64(j))
		rec, err := sealContact(&c, slots[j], keys[j])
		if err == nil {
			var v []byte
			if v, err = encodeContact(&rec); err == nil {
				r.kv = &bulkKV{key: contactKey(c.ID), value: v, stream: streamContacts}
			}
		}
		r.err = err
		r.index = indexEntries(&c)
		r.contrib = appendContributions(nil, &c)
		r.text = gdpr.SearchText(&c)
	})
	bp.kvs = make([]*bulkKV, 0, len(fresh)+len(fresh)>>s.searchBits+2)
	for j := range res {
		r := &res[j]
		if r.err != nil {
			return r.err
		}
		id := first + uint64(j)
		bp.kvs = append(bp.kvs, r.kv)
		for _, k := range r.index {
			// (A look-up by string(bytes) allocates nothing.)
			ids, ok := b.index[string(k[:len(k)-8])]
			if !ok {
				ids = &idList{}
				b.index[string(k[:len(k)-8])] = ids
			}
			ids.add(id)
		}
		for _, n := range r.contrib {
			b.deltas[n]++
		}
		// The search chunk: sealed when the next one begins.
		if ch := s.chunkOf(gdpr.ContactID(id)); b.key == nil || ch != b.chunk {
			if kv, err := b.sealChunk(); err != nil {
				return err
			} else if kv != nil {
				bp.kvs = append(bp.kvs, kv)
			}
			k := chunkKey[ch]
			b.chunk, b.slot, b.key, b.search = ch, slots[k], keys[k], b.search[:0]
		}
		b.search = append(b.search, searchEntry{gdpr.ContactID(id), r.text})
	}
	b.nextID = last + 1
	b.chunks = append(b.chunks, bulkChunk{first: gdpr.ContactID(first), last: gdpr.ContactID(last),
		firstLine: items[fresh[0]].Line, lastLine: items[fresh[len(fresh)-1]].Line, at: now})
	return nil
}

// parallel calls fn(0) … fn(n-1) on every core and returns when all are done.
func parallel(n int, fn func(i int)) {
	workers := min(runtime.GOMAXPROCS(0), n)
	if workers <= 1 {
		for i := range n {
			fn(i)
		}
		return
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(64)) - 64
				if i >= n {
					return
				}
				for j := i; j < min(i+64, n); j++ {
					fn(j)
				}
			}
		}()
	}
	wg.Wait()
}

// sealChunk seals the search chunk being filled, as flushSearch does.
func (b *BulkLoad) sealChunk() (*bulkKV, error) {
	if len(b.search) == 0 {
		return nil, nil
	}
	c := b.chunk
	sealed, err := seal(b.key, encodeChunk(c<<b.s.searchBits, b.search), join(searchChunkAAD, u64(c)))
	if err != nil {
		return nil, err
	}
	v := make([]byte, 4, 4+len(sealed))
	binary.BigEndian.PutUint32(v, uint32(b.slot))
	return &bulkKV{key: searchChunkKey(c), value: append(v, sealed...), stream: streamSearch}, nil
}

// RepeatOf reports, for row i of a chunk a bulk load prepared, whether it
// repeats an address seen earlier in the file, and the line where it was
// first seen: the load merges such a row after the swap (Finish), and
// Write reads it ImportUpdated. Two addresses share the 64-bit prefix the
// load compares one chance in 2^64 a pair; the merge after the swap then
// finds no contact to merge into and creates one (Finish's caller sees
// ImportCreated and corrects its report).
func (p *Prepared) RepeatOf(i int) (line int, ok bool) {
	if p == nil || p.bulk == nil || i < 0 || i >= len(p.bulk.out) || p.bulk.out[i] != ImportUpdated {
		return 0, false
	}
	return p.bulk.into[i], true
}

// Write writes a prepared chunk's records and finished search chunks and
// returns what became of each row: a row repeating an earlier address of
// the file reads ImportUpdated (it is merged after Finish).
func (b *BulkLoad) Write(items []ImportItem, p *Prepared) ([]ImportOutcome, error) {
	if p == nil || p.bulk == nil || !sameItems(p.items, items) {
		return nil, errors.New("bulk load: a chunk was not prepared")
	}
	if p.bulk.err != nil {
		return nil, p.bulk.err
	}
	if err := b.write(p.bulk.kvs); err != nil {
		return nil, err
	}
	if b.s.reclaimDue(false) {
		// The tables StreamWriter wrote stay mapped: give their pages back.
		reclaimTables(filepath.Join(b.stage, "db"))
	}
	return p.bulk.out, nil
}

func (b *BulkLoad) write(kvs []*bulkKV) error {
	if len(kvs) == 0 {
		return nil
	}
	var batch streamBatch
	for _, kv := range kvs {
		// The records and search chunks are the load's own: handed over.
		batch.add(kv.key, kv.value, kv.stream, true)
	}
	if err := batch.write(b.sw); err != nil {
		return fmt.Errorf("bulk load: %w", err)
	}
	return nil
}

// Abort drops the new database; the store stays as it was. After the
// commit it does nothing: the new database is the store's.
func (b *BulkLoad) Abort() {
	if b.emails != nil {
		b.emails.close()
	}
	if b.committed {
		return
	}
	if b.sw != nil {
		b.sw.Cancel()
		b.sw = nil
	}
	if b.db != nil {
		_ = b.db.Close()
		b.db = nil
	}
	_ = os.RemoveAll(b.stage)
}

// Finish writes the rest of the new database, makes it the store's and
// returns the rows that repeat an earlier address of the file, in file
// order, for the caller to import the ordinary way. On an error before
// the swap the store is as it was.
func (b *BulkLoad) Finish() ([]ImportItem, error) {
	if b.failed != nil {
		b.Abort()
		return nil, b.failed
	}
	deferred, err := b.finish()
	if errors.Is(err, errStoppedAtCommit) {
		return nil, err
	}
	if err != nil {
		b.Abort()
		return nil, err
	}
	return deferred, nil
}

func (b *BulkLoad) finish() ([]ImportItem, error) {
	s := b.s
	if len(b.chunks) == 0 {
		// Nothing new (every row rejected or suppressed): the store
		// stays as it is.
		b.Abort()
		return nil, nil
	}
	kv, err := b.sealChunk()
	if err != nil {
		return nil, err
	}
	if kv != nil {
		if err := b.write([]*bulkKV{kv}); err != nil {
			return nil, err
		}
	}
	b.search = nil
	// The table of addresses seen serves Prepare alone: at 10,000,000
	// rows it is 200 MB the sorted writes below would otherwise collect
	// around, the heap at its soft limit (a run spent half its CPU in the
	// collector and in giving pages back while writing them).
	b.addrs = u64map.Map[uint32]{}
	s.mu.Lock()
	defer s.mu.Unlock()
	// The store's own keys, as they are now (the import may have added
	// its purpose since Begin).
	rest := map[string][]byte{}
	err = s.view(func(txn *badger.Txn) error {
		if last, err := seqValue(txn, keyContactSeq); err != nil || last != 0 {
			if err == nil {
				err = errors.New("the store gained contacts during the bulk load: import the file again")
			}
			return err
		}
		it := txn.NewIterator(badger.IteratorOptions{PrefetchValues: true})
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			k := it.Item().KeyCopy(nil)
			switch bulkStream(k) {
			case streamContacts, streamSearch:
				return fmt.Errorf("the store gained %s keys during the bulk load: import the file again", k[:2])
			}
			if bytes.HasPrefix(k, prefixEmail) || bytes.HasPrefix(k, prefixIndex) {
				return fmt.Errorf("the store gained %s keys during the bulk load: import the file again", k[:2])
			}
			v, err := it.Item().ValueCopy(nil)
			if err != nil {
				return err
			}
			rest[string(k)] = v
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("bulk load: read the store: %w", err)
	}
	// The audit entries, chained from the store's head, and the other keys
	// a chunk's transaction would have set.
	var ops []op
	deltas := make(map[string]int64, len(b.deltas))
	for c, d := range b.deltas {
		deltas[c.name()] += d
	}
	t := &tx{s: s, operator: b.operator, log: &ops, seq: s.auditSeq, hash: s.auditHash, deltas: deltas}
	for _, c := range b.chunks {
		t.now = c.at
		t.auditImported(c.first, c.last, c.firstLine, c.lastLine)
	}
	if err := t.flushAudit(); err != nil {
		return nil, fmt.Errorf("bulk load: audit: %w", err)
	}
	for _, o := range ops {
		rest[string(o.key)] = o.value
	}
	for name, d := range deltas {
		k := string(counterKey(name))
		var cur int64
		if v, ok := rest[k]; ok && len(v) == 8 {
			cur = int64(binary.BigEndian.Uint64(v))
		}
		if cur += d; cur == 0 {
			delete(rest, k)
		} else {
			rest[k] = u64(uint64(cur))
		}
	}
	if b.nextID > 1 {
		rest[string(keyContactSeq)] = u64(b.nextID - 1)
		gen := uint64(0)
		if v, ok := rest[string(keySearchGen)]; ok {
			gen = idFromKey(v)
		}
		rest[string(keySearchGen)] = u64(gen + 1)
	}
	if err := b.writeRest(rest); err != nil {
		return nil, err
	}
	if err := b.sw.Flush(); err != nil {
		return nil, fmt.Errorf("bulk load: %w", err)
	}
	// Once more, now that every table is written (StreamWriter builds
	// them on goroutines of its own, after Write returns).
	if b.s.reclaimDue(true) {
		reclaimTables(filepath.Join(b.stage, "db"))
	}
	if b.afterFlush != nil {
		b.afterFlush()
	}
	b.sw = nil
	err = b.db.Close()
	b.db = nil
	if err != nil {
		return nil, fmt.Errorf("bulk load: close the new database: %w", err)
	}
	// What the load held (ids, buffers) is garbage now: give it back to
	// the system before the new database is opened, whose table indexes
	// Badger reads through its maps (at 10,000,000 contacts the two
	// together made a run's peak, 571 MB, at the swap).
	debug.FreeOSMemory()
	// Every byte on disk before the swap is committed: the new database's
	// files and the keys its records are sealed under.
	if err := syncTree(filepath.Join(b.stage, "db")); err != nil {
		return nil, fmt.Errorf("bulk load: %w", err)
	}
	if err := s.keys.sync(); err != nil {
		return nil, err
	}
	if err := writeFileSync(filepath.Join(b.stage, bulkCommit), []byte("bulk load complete\n")); err != nil {
		return nil, fmt.Errorf("bulk load: %w", err)
	}
	if err := syncDir(b.stage); err != nil {
		return nil, fmt.Errorf("bulk load: %w", err)
	}
	b.committed = true
	if b.stopAtCommit {
		return nil, errStoppedAtCommit
	}
	// Committed: from here on the new database is the store's, whatever
	// happens (finishBulkLoad in Open completes the swap after a crash).
	if err := s.swapDB(); err != nil {
		return nil, fmt.Errorf("%w (the import is committed: opening the store again finishes it)", err)
	}
	s.auditSeq, s.auditHash = t.seq, t.hash
	_ = s.writeHead()
	s.notify()
	deferred := b.defered
	b.defered = nil
	return deferred, nil
}

// writeRest writes the keys not streamed during the run, sorted, each in
// its range's stream: the store's own keys and the run's audit entries,
// counters and sequences (rest), the email look-ups and the index keys.
// One goroutine gathers them into batches while this one hands the full
// ones to the StreamWriter.
func (b *BulkLoad) writeRest(rest map[string][]byte) error {
	// A batch is handed over once it holds this much; up to two more are
	// filled meanwhile.
	const size = 1 << 20
	batches := make(chan *streamBatch, 2)
	stop := make(chan struct{})
	var emitErr error // read once batches is closed
	go func() {
		defer close(batches)
		batch := &streamBatch{}
		send := func() bool {
			select {
			case batches <- batch:
				batch = &streamBatch{}
				return true
			case <-stop:
				return false
			}
		}
		add := func(k, v []byte) bool {
			batch.add(k, v, bulkStream(k), false)
			return batch.size < size || send()
		}
		if emitErr = b.emitRest(rest, add); emitErr == nil {
			send()
		}
	}()
	var err error
	for batch := range batches {
		if err == nil {
			if err = batch.write(b.sw); err != nil {
				close(stop)
			}
		}
		// The tables written stay mapped, as in Write: give their pages
		// back (at 10,000,000 contacts the sorted keys are gigabytes of
		// tables, which otherwise all stayed resident until the swap);
		// finish does once more after the flush.
		if b.s.reclaimDue(false) {
			reclaimTables(filepath.Join(b.stage, "db"))
		}
	}
	if err != nil {
		return fmt.Errorf("bulk load: %w", err)
	}
	if emitErr != nil {
		// Reading the spilled look-ups failed: the keys are not all
		// written, and the load must not commit.
		return emitErr
	}
	return nil
}

// errStopped is what emitRest returns when add stopped it.
var errStopped = errors.New("bulk load: stopped")

// emitRest calls add with every key writeRest writes, in order. It returns
// nil once every key is added, errStopped when add returns false, or the
// error of reading what was spilled.
func (b *BulkLoad) emitRest(rest map[string][]byte, add func(k, v []byte) bool) error {
	keys := make([]string, 0, len(rest))
	for k := range rest {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	plain := func(below string) bool {
		for len(keys) > 0 && (below == "" || keys[0] < below) {
			if !add([]byte(keys[0]), rest[keys[0]]) {
				return false
			}
			keys = keys[1:]
		}
		return true
	}
	if !plain(string(prefixEmail)) {
		return errStopped
	}
	key := make([]byte, 0, 64)
	var id [8]byte
	if ok, err := b.emails.each(func(h []byte, n uint64) bool {
		key = append(append(key[:0], prefixEmail...), h...)
		binary.BigEndian.PutUint64(id[:], n)
		return add(key, id[:])
	}); err != nil {
		return err
	} else if !ok {
		return errStopped
	}
	if !plain(string(prefixIndex)) {
		return errStopped
	}
	prefixes := make([]string, 0, len(b.index))
	for p := range b.index {
		prefixes = append(prefixes, p)
	}
	slices.Sort(prefixes)
	// The index bitmaps (bitmap.go) are built as the keys go by and
	// written at once: their keys (ib/) sort after every index key, so
	// they go on a stream of their own (streamBitmaps), and nothing holds
	// them until the end.
	chunks := &chunkBuilder{emit: add}
	for _, p := range prefixes {
		pb := []byte(p)
		mapped := bitmappedPrefix(pb)
		if !b.index[p].each(func(n uint64) bool {
			binary.BigEndian.PutUint64(id[:], n)
			key = append(append(key[:0], p...), id[:]...)
			return add(key, nil) && (!mapped || chunks.add(pb, n))
		}) {
			return errStopped
		}
		delete(b.index, p)
	}
	if !chunks.flush() || !plain("") {
		return errStopped
	}
	return nil
}

// swapDB makes DIR/bulkload/db the store's database (the COMMIT file is
// written): the open one is closed, the directories moved, and the new
// one opened in its place.
func (s *Store) swapDB() error {
	s.life.Lock()
	defer s.life.Unlock()
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("bulk load: close the store to swap databases: %w", err)
	}
	s.db = nil
	if err := finishBulkLoad(s.dir); err != nil {
		return err
	}
	db, err := badger.Open(s.badgerOpts)
	if err != nil {
		return fmt.Errorf("bulk load: open the new database: %w", err)
	}
	s.db = db
	// Opening read every table's index through its map: give the pages
	// back, as the load did while writing them.
	reclaimTables(filepath.Join(s.dir, "db"))
	if _, err := tightenPerms(s.dir); err != nil {
		return err
	}
	s.matches.mu.Lock()
	s.matches.set = nil
	s.matches.mu.Unlock()
	return nil
}

// finishBulkLoad completes or undoes a bulk load that a crash interrupted
// (see the top of this file); Open runs it before it opens anything. It
// is a no-op when DIR/bulkload does not exist.
func finishBulkLoad(dir string) error {
	stage := filepath.Join(dir, bulkDir)
	if _, err := os.Stat(stage); errors.Is(err, os.ErrNotExist) {
		return nil
	}
	db, newDB, old := filepath.Join(dir, "db"), filepath.Join(stage, "db"), filepath.Join(stage, "old")
	exists := func(p string) bool { _, err := os.Stat(p); return err == nil }
	if !exists(filepath.Join(stage, bulkCommit)) {
		// Not committed: the store is the one in DIR/db.
		if !exists(db) && exists(old) {
			if err := os.Rename(old, db); err != nil {
				return fmt.Errorf("undo an interrupted bulk load: %w", err)
			}
		}
		if err := os.RemoveAll(stage); err != nil {
			return fmt.Errorf("remove an interrupted bulk load (%s): %w", stage, err)
		}
		return nil
	}
	if exists(newDB) {
		if exists(db) {
			if exists(old) {
				return fmt.Errorf("finish a bulk load: %s, %s and %s all exist: move the one that is not the store away", db, newDB, old)
			}
			if err := os.Rename(db, old); err != nil {
				return fmt.Errorf("finish a bulk load: %w", err)
			}
		}
		if err := os.Rename(newDB, db); err != nil {
			return fmt.Errorf("finish a bulk load: %w", err)
		}
		if err := syncDir(dir); err != nil {
			return fmt.Errorf("finish a bulk load: %w", err)
		}
	}
	if err := os.RemoveAll(stage); err != nil {
		return fmt.Errorf("finish a bulk load: remove %s: %w", stage, err)
	}
	return syncDir(dir)
}

// syncTree fsyncs every file under dir, and dir.
func syncTree(dir string) error {
	return filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := f.Sync(); err != nil && !strings.Contains(err.Error(), "invalid argument") {
			return fmt.Errorf("sync %s: %w", path, err)
		}
		return nil
	})
}
