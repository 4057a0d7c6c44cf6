package store

import (
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
// records) and the outcomes are what a real run would report.
func (s *Store) ImportContacts(operator string, items []ImportItem, merge MergeFunc, dryRun bool) ([]ImportOutcome, error) {
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
	err := s.write(operator, func(t *tx) error {
		var fresh []int
		hashes := make([][]byte, len(items))
		for i, it := range items {
			hashes[i] = s.emailHash(it.Contact.Email)
			if t.isSuppressed(hashes[i]) {
				out[i] = ImportSuppressed
				continue
			}
			if _, err := t.txn.Get(emailKey(hashes[i])); errors.Is(err, badger.ErrKeyNotFound) {
				fresh = append(fresh, i)
			}
		}
		// Keys for the new contacts in one append; an item that turns out to
		// repeat an earlier one of the chunk leaves its slot unused.
		slots, err := s.keys.newKeys(len(fresh))
		if err != nil {
			return err
		}
		t.newKeys = len(fresh) > 0
		slotOf := map[int]Slot{}
		for j, i := range fresh {
			slotOf[i] = slots[j]
		}
		rules := map[string]*gdpr.SourceRule{}
		var created []string
		firstLine, lastLine := 0, 0
		for i, it := range items {
			if out[i] == ImportSuppressed {
				continue
			}
			c := cloneContact(it.Contact)
			v, err := getValue(t.txn, emailKey(hashes[i]))
			if err == nil {
				changed, err := t.mergeImported(gdpr.ContactID(idFromKey(v)), c, merge)
				if err != nil {
					return fmt.Errorf("line %d: %w", it.Line, err)
				}
				out[i] = ImportUnchanged
				if changed {
					out[i] = ImportUpdated
				}
				continue
			} else if !errors.Is(err, ErrNotFound) {
				return err
			}
			if err := t.prepareNew(&c, rules); err != nil {
				return fmt.Errorf("line %d: %w", it.Line, err)
			}
			n, err := t.nextSeq(keyContactSeq)
			if err != nil {
				return err
			}
			c.ID = gdpr.ContactID(n)
			if err := t.putNewContact(&c, slotOf[i], hashes[i], false); err != nil {
				return err
			}
			out[i] = ImportCreated
			created = append(created, c.ID.String())
			if firstLine == 0 {
				firstLine = it.Line
			}
			lastLine = it.Line
		}
		if len(created) > 0 {
			// One entry for the chunk's new contacts (their ids follow one
			// another), indexed under each, instead of one entry apiece: a
			// million-row import writes a tenth fewer keys.
			t.auditAbout("contact.import", created[0], fmt.Sprintf("import created %d contact(s) %s–%s from file lines %d–%d",
				len(created), created[0], created[len(created)-1], firstLine, lastLine), created[1:])
		}
		return nil
	})
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
