package store

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/dgraph-io/badger/v4"
	"github.com/gdprdesk/gdprdesk/gdpr"
	"github.com/gdprdesk/gdprdesk/internal/u64map"
)

// ImportItem is one contact read from an import file, normalized and valid.
type ImportItem struct {
	Line    int // where it starts in the file, for the report
	Contact gdpr.Contact
}

// ImportOutcome says what an import did with one item.
type ImportOutcome int

// The outcomes of an imported item.
const (
	ImportCreated    ImportOutcome = iota + 1 // a new contact
	ImportUpdated                             // merged into the contact with the same email
	ImportUnchanged                           // matched a contact and changed nothing
	ImportSuppressed                          // the address is on the suppression list: skipped
)

// MergeFunc merges an imported contact into an existing one (a non-empty
// value replaces, an empty one never clears) and names the changed fields.
type MergeFunc func(dst *gdpr.Contact, src gdpr.Contact) (changed []string)

// ImportContacts imports one chunk in one transaction: a suppressed address
// is skipped; an address that matches a contact (or an earlier item of the
// chunk) updates it through merge, audited as "contact.import-update" with
// the changed fields; any other item becomes a new contact ("contact.create"),
// with its source rule applied. With dryRun nothing is written (no keys, no
// records) and the outcomes are what a real run would report. A file of
// several chunks goes faster through BeginImport.
func (s *Store) ImportContacts(operator string, items []ImportItem, merge MergeFunc, dryRun bool) ([]ImportOutcome, error) {
	return s.importContacts(nil, operator, items, nil, merge, dryRun)
}

// Import is one import run, chunk after chunk, as BeginImport starts it.
// Each chunk is still one transaction with its audit entries; what the run
// adds is memory: when the store held no contact's address at the start,
// the run knows every address it has created since (by a 64-bit prefix of
// the HMAC, so 1,000,000 rows cost about 16 MB), and a row whose address is
// not among them needs no look-up in the store. As soon as any other write
// commits in between (the audit head moved), the run falls back to looking
// every address up. An Import is not safe for concurrent use, except that
// Prepare may run beside ImportPrepared (see Prepare).
type Import struct {
	s       *Store
	started bool
	// fresh: every email look-up key in the store was written by this run,
	// and addrs holds them all (a prefix can match another address, and
	// addrs holds addresses prepared but not yet written: either only
	// costs a look-up).
	fresh bool
	seq   uint64 // audit head after this run's last chunk

	// addrs holds every address (by 64-bit HMAC prefix) the run has
	// created or Prepare has been given, shared by both goroutines; nil
	// once the run is no longer fresh.
	addrsMu sync.Mutex
	addrs   *u64map.Map[struct{}]

	// Prepare's own state: it runs one chunk ahead on another goroutine
	// (see Prepare), so it shares nothing with the fields above but the
	// flag that tells it to stop.
	prep      prepState
	prepFails atomic.Bool
}

// prepState is what Prepare knows: whether the store held no address when
// the run began and the next contact id if every chunk so far was new.
type prepState struct {
	started bool
	ok      bool
	baseSeq uint64 // the audit head when the run's first chunk was prepared
	nextID  uint64
	rules   map[string]*gdpr.SourceRule
	book    *consentBook // the register and versions consents are settled against
}

// Prepared is a chunk of new contacts sealed, encoded and keyed ahead of
// its transaction (see Import.Prepare).
type Prepared struct {
	items   []ImportItem
	firstID uint64
	baseSeq uint64 // for the run's first chunk: the audit head it assumed
	hashes  [][]byte
	records [][]byte
	indexes [][][]byte
	search  []string // each contact's search text, for the search index
	deltas  map[string]int64
	// chunkSlots are keys for the search index chunks that begin in this
	// chunk (flushSearch uses them for chunks it creates).
	chunkSlots map[uint64]Slot
	// bulk, for a chunk of a bulk load (bulkload.go), is all it holds.
	bulk *bulkPrep
}

// Prepare does the work of a chunk that needs no transaction — validating,
// keying, sealing and encoding each contact and naming its index entries —
// so that a caller can run it for the next chunk while ImportPrepared
// writes this one, on the second core. It prepares only the common case of
// a large import: a run into a store that held no address, and a chunk
// whose addresses are all new and distinct; for anything else it returns
// nil and the chunk goes the ordinary way. What it assumed (no other
// writer, the next id) is checked inside the chunk's transaction; if that
// fails the preparation is dropped and the chunk imported normally, so a
// preparation can cost time but never change an outcome. Prepare calls
// must come one at a time, in the order of the chunks.
func (im *Import) Prepare(operator string, items []ImportItem) *Prepared {
	p := &im.prep
	if im.prepFails.Load() {
		return nil
	}
	if !p.started {
		p.started = true
		p.rules = map[string]*gdpr.SourceRule{}
		err := im.s.view(func(txn *badger.Txn) error {
			last, err := seqValue(txn, keyContactSeq)
			if err != nil {
				return err
			}
			p.nextID = last + 1
			if p.baseSeq, err = auditHeadSeq(txn); err != nil {
				return err
			}
			it := txn.NewIterator(badger.IteratorOptions{Prefix: prefixRule, PrefetchValues: true})
			defer it.Close()
			for it.Rewind(); it.Valid(); it.Next() {
				var r gdpr.SourceRule
				if err := it.Item().Value(func(v []byte) error { return json.Unmarshal(v, &r) }); err != nil {
					return fmt.Errorf("decode source rule: %w", err)
				}
				p.rules[string(it.Item().Key()[len(prefixRule):])] = &r
			}
			p.ok = noAddresses(txn)
			return nil
		})
		if err != nil {
			p.ok = false
		}
	}
	// Every address counts as seen, prepared or not, so that a later chunk
	// repeating one is never taken for new (and the chunk's own write
	// looks it up).
	hashes := make([][]byte, len(items))
	for i, it := range items {
		// Keyed as the store keys it: normalized (a caller need not have).
		email := it.Contact.Email
		if norm, err := gdpr.NormalizeEmail(email); err == nil {
			email = norm
		}
		hashes[i] = im.s.emailHash(email)
	}
	distinct := p.ok
	im.addrsMu.Lock()
	if im.addrs == nil {
		im.addrs = &u64map.Map[struct{}]{}
	}
	for _, h := range hashes {
		k := hashPrefix(h)
		if im.addrs.Has(k) {
			distinct = false
		}
		im.addrs.Put(k, struct{}{})
	}
	im.addrsMu.Unlock()
	if !distinct {
		p.ok = false // the ids that follow are no longer known
		return nil
	}
	now := im.s.now().UTC()
	rule := func(source string) (*gdpr.SourceRule, error) { return p.rules[source], nil }
	// Keys for the contacts, and for the search index chunks that begin
	// in this chunk, written and synced here, off the writer's path.
	bits := im.s.searchBits
	firstChunk := (p.nextID + 1<<bits - 1) >> bits
	lastChunk := (p.nextID + uint64(len(items)) - 1) >> bits
	nChunks := 0
	if lastChunk >= firstChunk {
		nChunks = int(lastChunk - firstChunk + 1)
	}
	slots, keys, err := im.s.keys.newKeysRaw(len(items) + nChunks)
	if err == nil {
		err = im.s.keys.sync()
	}
	if err != nil {
		p.ok = false
		return nil
	}
	pc := &Prepared{items: items, firstID: p.nextID, baseSeq: p.baseSeq, hashes: hashes,
		records: make([][]byte, len(items)), indexes: make([][][]byte, len(items)), search: make([]string, len(items)),
		deltas: map[string]int64{}, chunkSlots: map[uint64]Slot{}}
	for i := range nChunks {
		pc.chunkSlots[firstChunk+uint64(i)] = slots[len(items)+i]
	}
	for i, it := range items {
		c := cloneContact(it.Contact)
		if err := prepareContact(&c, now, operator, rule); err != nil {
			p.ok = false
			return nil
		}
		if len(c.Consents) > 0 {
			if p.book == nil || !p.book.knows(&c) {
				// Read again: an import adds its purpose before the
				// first chunk that names it.
				err := im.s.view(func(txn *badger.Txn) error {
					var err error
					p.book, err = readConsentBook(txn)
					return err
				})
				if err != nil || !p.book.knows(&c) {
					p.ok = false
					return nil
				}
			}
			gdpr.SettleImportedConsents(&c, p.book.purposes, p.book.versions, now)
		}
		c.ID = gdpr.ContactID(pc.firstID + uint64(i))
		rec, err := sealContact(&c, slots[i], keys[i])
		if err != nil {
			p.ok = false
			return nil
		}
		if pc.records[i], err = encodeContact(&rec); err != nil {
			p.ok = false
			return nil
		}
		pc.indexes[i] = indexEntries(&c)
		pc.search[i] = gdpr.SearchText(&c)
		for _, n := range contactContributions(&c) {
			pc.deltas[n]++
		}
	}
	p.nextID += uint64(len(items))
	return pc
}

// ImportPrepared imports one chunk of the run as ImportContacts does, with
// its preparation when that still holds.
func (im *Import) ImportPrepared(operator string, items []ImportItem, p *Prepared, merge MergeFunc) ([]ImportOutcome, error) {
	if p != nil && !sameItems(p.items, items) {
		p = nil
	}
	return im.s.importContacts(im, operator, items, p, merge, false)
}

func sameItems(a, b []ImportItem) bool {
	return len(a) == len(b) && (len(a) == 0 || &a[0] == &b[0])
}

// usePrepared writes a prepared chunk if what it assumed holds: the run is
// still the only writer since its start, the next id is the one it used,
// and no address has been suppressed meanwhile. It reports false (having
// written nothing) otherwise.
func (t *tx) usePrepared(im *Import, p *Prepared, out []ImportOutcome) (bool, error) {
	if !im.fresh || (im.seq == 0 && t.seq != p.baseSeq) {
		return false, nil
	}
	last, err := seqValue(t.txn, keyContactSeq)
	if err != nil {
		return false, err
	}
	if last+1 != p.firstID {
		return false, nil
	}
	for i, h := range p.hashes {
		if t.isSuppressedAddress(p.items[i].Contact.Email, h) {
			return false, nil
		}
	}
	for i := range p.items {
		id := gdpr.ContactID(p.firstID + uint64(i))
		if err := t.set(contactKey(id), p.records[i]); err != nil {
			return false, err
		}
		t.setSearch(id, p.search[i])
		if err := t.set(emailKey(p.hashes[i]), u64(uint64(id))); err != nil {
			return false, err
		}
		for _, k := range p.indexes[i] {
			if err := t.set(k, nil); err != nil {
				return false, err
			}
		}
		out[i] = ImportCreated
	}
	for n, d := range p.deltas {
		t.count(n, d)
	}
	t.chunkSlots = p.chunkSlots
	if err := t.set(keyContactSeq, u64(p.firstID+uint64(len(p.items))-1)); err != nil {
		return false, err
	}
	t.auditImported(gdpr.ContactID(p.firstID), gdpr.ContactID(p.firstID+uint64(len(p.items))-1), p.items[0].Line, p.items[len(p.items)-1].Line)
	return true, nil
}

// auditImported records one entry for a chunk's new contacts first to
// last (their ids follow one another), found in each one's audit trail by
// a single index key, instead of an entry and an index key apiece.
func (t *tx) auditImported(first, last gdpr.ContactID, firstLine, lastLine int) {
	t.auditContacts(gdpr.ActionContactImport, first, last, fmt.Sprintf("import created %d contact(s) %s–%s from file lines %d–%d",
		last-first+1, first, last, firstLine, lastLine))
}

// BeginImport starts an import run; feed it the file's chunks in order
// through Import.ImportContacts.
func (s *Store) BeginImport() *Import { return &Import{s: s} }

// ImportContacts imports one chunk of the run, exactly as
// Store.ImportContacts does.
func (im *Import) ImportContacts(operator string, items []ImportItem, merge MergeFunc, dryRun bool) ([]ImportOutcome, error) {
	return im.s.importContacts(im, operator, items, nil, merge, dryRun)
}

func hashPrefix(h []byte) uint64 { return binary.BigEndian.Uint64(h) }

// known reports whether an address (by HMAC) may exist in the store: always
// true unless the run is fresh.
func (im *Import) known(h []byte) bool {
	if im == nil || !im.fresh {
		return true
	}
	im.addrsMu.Lock()
	defer im.addrsMu.Unlock()
	return im.addrs == nil || im.addrs.Has(hashPrefix(h))
}

// begin checks, inside the chunk's transaction, whether the run may skip
// look-ups of addresses it has not created.
func (im *Import) begin(t *tx) {
	if im == nil {
		return
	}
	if !im.started {
		im.started = true
		im.fresh = noAddresses(t.txn)
		im.addrsMu.Lock()
		if im.addrs == nil {
			im.addrs = &u64map.Map[struct{}]{}
		}
		im.addrsMu.Unlock()
		return
	}
	if t.seq != im.seq {
		im.drop() // someone else wrote in between
	}
}

// noAddresses reports whether the store holds no email look-up key.
func noAddresses(txn *badger.Txn) bool {
	it := txn.NewIterator(badger.IteratorOptions{Prefix: prefixEmail})
	defer it.Close()
	it.Rewind()
	return !it.Valid()
}

func (im *Import) drop() {
	im.fresh = false
	im.addrsMu.Lock()
	im.addrs = nil
	im.addrsMu.Unlock()
}

func (s *Store) importContacts(im *Import, operator string, items []ImportItem, prep *Prepared, merge MergeFunc, dryRun bool) ([]ImportOutcome, error) {
	out := make([]ImportOutcome, len(items))
	if dryRun {
		err := s.view(func(txn *badger.Txn) error {
			seen := map[string]bool{}
			for i, it := range items {
				h := s.emailHash(it.Contact.Email)
				switch on, err := s.suppressedIn(txn, it.Contact.Email, h); {
				case err != nil:
					return err
				case on:
					out[i] = ImportSuppressed
					continue
				}
				_, err := txn.Get(emailKey(h))
				switch {
				case err == nil || seen[string(h)]:
					out[i] = ImportUpdated
				case errors.Is(err, badger.ErrKeyNotFound):
					out[i] = ImportCreated
					seen[string(h)] = true
				default:
					return err
				}
			}
			return nil
		})
		return out, err
	}
	var made [][]byte // the addresses the chunk created
	if im != nil {
		s.reclaimWhileImporting()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	err := s.writeLocked(operator, func(t *tx) error {
		im.begin(t)
		if prep != nil {
			ok, err := t.usePrepared(im, prep, out)
			if err != nil || ok {
				if ok {
					made = prep.hashes
				}
				return err
			}
			im.prepFails.Store(true)
		}
		hashes := make([][]byte, len(items))
		// first[h]: the first item of the chunk with address h; existing[i]:
		// the contact that item's address belongs to, 0 for a new address.
		existing := make([]gdpr.ContactID, len(items))
		first := map[string]int{}
		var fresh []int
		for i, it := range items {
			h := s.emailHash(it.Contact.Email)
			hashes[i] = h
			if t.isSuppressedAddress(it.Contact.Email, h) {
				out[i] = ImportSuppressed
				continue
			}
			if _, ok := first[string(h)]; ok {
				continue
			}
			if im.known(h) {
				v, err := getValue(t.txn, emailKey(h))
				if err == nil {
					existing[i] = gdpr.ContactID(idFromKey(v))
					first[string(h)] = i
					continue
				} else if !errors.Is(err, ErrNotFound) {
					return err
				}
			}
			first[string(h)] = i
			fresh = append(fresh, i)
		}
		// Keys for the new contacts in one append.
		slots, err := s.keys.newKeys(len(fresh))
		if err != nil {
			return err
		}
		t.newKeys = len(fresh) > 0
		slotOf := make(map[int]Slot, len(fresh))
		for j, i := range fresh {
			slotOf[i] = slots[j]
		}
		// Ids follow one another: the sequence is read and written once.
		lastID, err := seqValue(t.txn, keyContactSeq)
		if err != nil {
			return err
		}
		rules := map[string]*gdpr.SourceRule{}
		var created []gdpr.ContactID
		idOf := make(map[int]gdpr.ContactID, len(fresh))
		firstLine, lastLine := 0, 0
		for i, it := range items {
			if out[i] == ImportSuppressed {
				continue
			}
			c := cloneContact(it.Contact)
			j := first[string(hashes[i])]
			id := existing[j]
			if id == 0 && j != i {
				id = idOf[j] // repeats an item created earlier in the chunk
			}
			if id != 0 {
				changed, err := t.mergeImported(id, c, merge)
				if err != nil {
					return fmt.Errorf("line %d: %w", it.Line, err)
				}
				out[i] = ImportUnchanged
				if changed {
					out[i] = ImportUpdated
				}
				continue
			}
			if err := t.prepareNew(&c, rules); err != nil {
				return fmt.Errorf("line %d: %w", it.Line, err)
			}
			if err := t.settleImported(&c); err != nil {
				return fmt.Errorf("line %d: %w", it.Line, err)
			}
			lastID++
			c.ID = gdpr.ContactID(lastID)
			idOf[i] = c.ID
			if err := t.putNewContact(&c, slotOf[i], hashes[i], false); err != nil {
				return err
			}
			out[i] = ImportCreated
			made = append(made, hashes[i])
			created = append(created, c.ID)
			if firstLine == 0 {
				firstLine = it.Line
			}
			lastLine = it.Line
		}
		if len(created) > 0 {
			if err := t.set(keyContactSeq, u64(lastID)); err != nil {
				return err
			}
			t.auditImported(created[0], created[len(created)-1], firstLine, lastLine)
		}
		return nil
	})
	if im != nil {
		s.reclaimPages(false) // the tables the run wrote
		if err != nil {
			im.drop()
		} else {
			im.seq = s.auditSeq
			if im.fresh {
				im.addrsMu.Lock()
				for _, h := range made {
					if im.addrs != nil {
						im.addrs.Put(hashPrefix(h), struct{}{})
					}
				}
				im.addrsMu.Unlock()
			}
		}
	}
	if err != nil {
		return nil, err
	}
	return out, nil
}

// mergeImported merges an imported row into an existing contact and stores
// it when anything changed.
func (t *tx) mergeImported(id gdpr.ContactID, src gdpr.Contact, merge MergeFunc) (bool, error) {
	rec, err := t.getContactRec(id)
	if err != nil {
		return false, err
	}
	if rec.Status == gdpr.ContactAnonymized {
		return false, fmt.Errorf("contact %s is anonymized", id)
	}
	old, err := t.s.unseal(&rec)
	if err != nil {
		return false, err
	}
	// The row's own dates are checked before they can reach the record
	// (the record's older dates stay as they are).
	if err := src.CheckDates(); err != nil {
		return false, err
	}
	c := cloneContact(old)
	changed := merge(&c, src)
	if len(changed) == 0 {
		return false, nil
	}
	if err := t.settleImported(&c); err != nil {
		return false, err
	}
	c.ID, c.Email, c.CreatedAt, c.UpdatedAt = old.ID, old.Email, old.CreatedAt, t.now
	c.Source = gdpr.NormalizeSource(c.Source)
	c.Tags = uniqueTags(c.Tags)
	c.Bases = uniqueBases(c.Bases)
	t.stampBases(c.Bases)
	if err := validateContact(&c); err != nil {
		return false, err
	}
	_, sealedDiff, err := diffContacts(&old, &c)
	if err != nil {
		return false, err
	}
	err = t.replaceContact(&rec, &c, gdpr.ActionContactImportUpdate, "import changed "+strings.Join(changed, ", "), sealedDiff)
	return err == nil, err
}

// Store is the store the run imports into.
func (im *Import) Store() *Store { return im.s }
