package store

import (
	"encoding/binary"
	"errors"
	"fmt"
	"strings"

	"github.com/dgraph-io/badger/v4"
	"github.com/gdprdesk/gdprdesk/gdpr"
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
	return s.importContacts(nil, operator, items, merge, dryRun)
}

// Import is one import run, chunk after chunk, as BeginImport starts it.
// Each chunk is still one transaction with its audit entries; what the run
// adds is memory: when the store held no contact's address at the start,
// the run knows every address it has created since (by a 64-bit prefix of
// the HMAC, so 1,000,000 rows cost about 20 MB), and a row whose address is
// not among them needs no look-up in the store. As soon as any other write
// commits in between (the audit head moved), the run falls back to looking
// every address up. An Import is not safe for concurrent use.
type Import struct {
	s       *Store
	started bool
	// fresh: every email look-up key in the store was written by this run,
	// and created holds them all (a prefix can match another address: that
	// only costs a look-up).
	fresh   bool
	created map[uint64]struct{}
	seq     uint64 // audit head after this run's last chunk
}

// BeginImport starts an import run; feed it the file's chunks in order
// through Import.ImportContacts.
func (s *Store) BeginImport() *Import { return &Import{s: s} }

// ImportContacts imports one chunk of the run, exactly as
// Store.ImportContacts does.
func (im *Import) ImportContacts(operator string, items []ImportItem, merge MergeFunc, dryRun bool) ([]ImportOutcome, error) {
	return im.s.importContacts(im, operator, items, merge, dryRun)
}

func hashPrefix(h []byte) uint64 { return binary.BigEndian.Uint64(h) }

// known reports whether an address (by HMAC) may exist in the store: always
// true unless the run is fresh.
func (im *Import) known(h []byte) bool {
	if im == nil || !im.fresh {
		return true
	}
	_, ok := im.created[hashPrefix(h)]
	return ok
}

// begin checks, inside the chunk's transaction, whether the run may skip
// look-ups of addresses it has not created.
func (im *Import) begin(t *tx) {
	if im == nil {
		return
	}
	if !im.started {
		im.started = true
		it := t.txn.NewIterator(badger.IteratorOptions{Prefix: prefixEmail})
		it.Rewind()
		im.fresh = !it.Valid()
		it.Close()
		im.created = map[uint64]struct{}{}
		return
	}
	if t.seq != im.seq {
		im.drop() // someone else wrote in between
	}
}

func (im *Import) drop() { im.fresh, im.created = false, nil }

func (s *Store) importContacts(im *Import, operator string, items []ImportItem, merge MergeFunc, dryRun bool) ([]ImportOutcome, error) {
	out := make([]ImportOutcome, len(items))
	if dryRun {
		err := s.view(func(txn *badger.Txn) error {
			seen := map[string]bool{}
			for i, it := range items {
				h := s.emailHash(it.Contact.Email)
				switch _, err := txn.Get(suppressKey(h)); {
				case err == nil:
					out[i] = ImportSuppressed
					continue
				case !errors.Is(err, badger.ErrKeyNotFound):
					return err
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
	s.mu.Lock()
	defer s.mu.Unlock()
	err := s.writeLocked(operator, func(t *tx) error {
		im.begin(t)
		hashes := make([][]byte, len(items))
		// first[h]: the first item of the chunk with address h; existing[i]:
		// the contact that item's address belongs to, 0 for a new address.
		existing := make([]gdpr.ContactID, len(items))
		first := map[string]int{}
		var fresh []int
		for i, it := range items {
			h := s.emailHash(it.Contact.Email)
			hashes[i] = h
			if t.isSuppressed(h) {
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
		seq, err := getValue(t.txn, keyContactSeq)
		var lastID uint64
		if err == nil {
			lastID = idFromKey(seq)
		} else if !errors.Is(err, ErrNotFound) {
			return err
		}
		rules := map[string]*gdpr.SourceRule{}
		var created []string
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
			lastID++
			c.ID = gdpr.ContactID(lastID)
			idOf[i] = c.ID
			if err := t.putNewContact(&c, slotOf[i], hashes[i], false); err != nil {
				return err
			}
			out[i] = ImportCreated
			made = append(made, hashes[i])
			created = append(created, c.ID.String())
			if firstLine == 0 {
				firstLine = it.Line
			}
			lastLine = it.Line
		}
		if len(created) > 0 {
			if err := t.set(keyContactSeq, u64(lastID)); err != nil {
				return err
			}
			// One entry for the chunk's new contacts (their ids follow one
			// another), indexed under each, instead of one entry apiece: a
			// million-row import writes a tenth fewer keys.
			t.auditAbout("contact.import", created[0], fmt.Sprintf("import created %d contact(s) %s–%s from file lines %d–%d",
				len(created), created[0], created[len(created)-1], firstLine, lastLine), created[1:])
		}
		return nil
	})
	if im != nil {
		if err != nil {
			im.drop()
		} else {
			im.seq = s.auditSeq
			if im.fresh {
				for _, h := range made {
					im.created[hashPrefix(h)] = struct{}{}
				}
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
	c := cloneContact(old)
	changed := merge(&c, src)
	if len(changed) == 0 {
		return false, nil
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
	err = t.replaceContact(&rec, &c, "contact.import-update", "import changed "+strings.Join(changed, ", "), sealedDiff)
	return err == nil, err
}
