package store

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"sort"
	"strings"
	"time"

	"github.com/dgraph-io/badger/v4"
	"github.com/gdprdesk/gdprdesk/gdpr"
)

// ErrSuppressed is returned when an address on the suppression list (an
// erased person) is added again without being re-admitted.
var ErrSuppressed = errors.New("this address belongs to a person who asked to be erased")

// ErrDuplicate is returned when a contact with the same email exists.
var ErrDuplicate = errors.New("a contact with this email already exists")

// prepareNew validates a new contact and fills what the store decides.
func (t *tx) prepareNew(c *gdpr.Contact, rules map[string]*gdpr.SourceRule) error {
	return prepareContact(c, t.now, t.operator, func(source string) (*gdpr.SourceRule, error) {
		rule, ok := rules[source]
		if !ok {
			var err error
			if rule, err = t.sourceRule(source); err != nil {
				return nil, err
			}
			rules[source] = rule
		}
		return rule, nil
	})
}

// prepareContact validates a new contact and fills what the store decides:
// normalized fields, its status, times, and the basis its source rule
// (looked up through rule) gives.
func prepareContact(c *gdpr.Contact, now time.Time, operator string, rule func(source string) (*gdpr.SourceRule, error)) error {
	email, err := gdpr.NormalizeEmail(c.Email)
	if err != nil {
		return err
	}
	c.Email = email
	if c.Status == "" {
		c.Status = gdpr.ContactActive
	}
	if c.Status == gdpr.ContactAnonymized {
		return errors.New("a new contact cannot be anonymized")
	}
	if c.CreatedAt.IsZero() {
		c.CreatedAt = now
	}
	// UTC, so the created-date index uses the same day as the stored record.
	c.CreatedAt = c.CreatedAt.UTC()
	c.UpdatedAt = now
	c.Source = gdpr.NormalizeSource(c.Source)
	c.Tags = uniqueTags(c.Tags)
	c.Bases = uniqueBases(c.Bases)
	if err := validateContact(c); err != nil {
		return err
	}
	if err := c.CheckDates(); err != nil {
		return err
	}
	if c.Source != "" {
		r, err := rule(c.Source)
		if err != nil {
			return err
		}
		if r != nil {
			ev := r.Evidence
			if ev == "" {
				ev = "source rule: " + c.Source
			}
			c.AddBasis(gdpr.BasisAssignment{Basis: r.Basis, Source: c.Source, Evidence: ev, At: now, By: operator})
		}
	}
	stampBases(c.Bases, now, operator)
	return nil
}

// stampBases records when and by whom on assignments that do not say.
func (t *tx) stampBases(bases []gdpr.BasisAssignment) { stampBases(bases, t.now, t.operator) }

func stampBases(bases []gdpr.BasisAssignment, now time.Time, operator string) {
	for i := range bases {
		if bases[i].At.IsZero() {
			bases[i].At = now
		}
		if bases[i].By == "" {
			bases[i].By = operator
		}
	}
}

func (t *tx) sourceRule(source string) (*gdpr.SourceRule, error) {
	var r gdpr.SourceRule
	err := t.getJSON(ruleKey(source), &r)
	if errors.Is(err, ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &r, nil
}

// CreateContacts adds new contacts in one transaction and returns their ids.
// Source rules add their basis; a suppressed, duplicate or invalid address
// fails the whole call with an error naming the position in cs. Callers that
// add many contacts pass chunks of a few hundred.
func (s *Store) CreateContacts(operator string, cs []gdpr.Contact) ([]gdpr.ContactID, error) {
	ids := make([]gdpr.ContactID, 0, len(cs))
	err := s.write(operator, func(t *tx) error {
		ids = ids[:0]
		slots, err := s.keys.newKeys(len(cs))
		if err != nil {
			return err
		}
		t.newKeys = true
		rules := map[string]*gdpr.SourceRule{}
		seen := map[string]int{}
		for i := range cs {
			c := cs[i] // a copy: the caller's slice is not changed
			c.Tags = append([]string(nil), c.Tags...)
			c.Bases = append([]gdpr.BasisAssignment(nil), c.Bases...)
			if err := t.prepareNew(&c, rules); err != nil {
				return fmt.Errorf("%s%w", position(i, len(cs)), err)
			}
			canon, err := gdpr.CanonicalEmail(c.Email)
			if err != nil {
				return fmt.Errorf("%s%w", position(i, len(cs)), err)
			}
			if j, dup := seen[canon]; dup {
				return fmt.Errorf("%s%w (same as contact %d)", position(i, len(cs)), ErrDuplicate, j+1)
			}
			seen[canon] = i
			h := s.emailHash(c.Email)
			if t.isSuppressedAddress(c.Email, h) {
				return fmt.Errorf("%s%w; re-admit the address first if they asked to be added again", position(i, len(cs)), ErrSuppressed)
			}
			if _, err := t.txn.Get(emailKey(h)); err == nil {
				return fmt.Errorf("%s%w", position(i, len(cs)), ErrDuplicate)
			}
			n, err := t.nextSeq(keyContactSeq)
			if err != nil {
				return err
			}
			c.ID = gdpr.ContactID(n)
			if err := t.putNewContact(&c, slots[i], h, true); err != nil {
				return err
			}
			ids = append(ids, c.ID)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return ids, nil
}

// CreateContact adds one contact and returns its id.
func (s *Store) CreateContact(operator string, c gdpr.Contact) (gdpr.ContactID, error) {
	ids, err := s.CreateContacts(operator, []gdpr.Contact{c})
	if err != nil {
		return 0, err
	}
	return ids[0], nil
}

// putNewContact stores a new contact with its indexes and counters, and,
// when audited, its own audit entry (an import audits a whole chunk in one).
func (t *tx) putNewContact(c *gdpr.Contact, slot Slot, emailHash []byte, audited bool) error {
	key, err := t.s.keys.key(slot)
	if err != nil {
		return err
	}
	rec, err := sealContact(c, slot, key)
	if err != nil {
		return err
	}
	b, err := encodeContact(&rec)
	if err != nil {
		return err
	}
	if err := t.set(contactKey(c.ID), b); err != nil {
		return err
	}
	t.setSearch(c.ID, gdpr.SearchText(c))
	if err := t.set(emailKey(emailHash), u64(uint64(c.ID))); err != nil {
		return err
	}
	for _, k := range indexEntries(c) {
		if err := t.set(k, nil); err != nil {
			return err
		}
	}
	t.countAll(nil, contactContributions(c))
	if !audited {
		return nil
	}
	var bases []string
	for _, b := range c.Bases {
		bases = append(bases, string(b.Basis))
	}
	detail := fmt.Sprintf("created (source %s, country %s, bases %s)", orDash(c.Source), orDash(c.Country), orDash(strings.Join(bases, ",")))
	t.audit(gdpr.ActionContactCreate, c.ID.String(), detail, nil, slot)
	return nil
}

// position names a contact within a batch in an error ("" for a batch of one).
func position(i, n int) string {
	if n == 1 {
		return ""
	}
	return fmt.Sprintf("contact %d of %d: ", i+1, n)
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// getContactRec reads a stored contact.
func (t *tx) getContactRec(id gdpr.ContactID) (contactRec, error) {
	return readContactRec(t.txn, id)
}

func readContactRec(txn *badger.Txn, id gdpr.ContactID) (contactRec, error) {
	b, err := getValue(txn, contactKey(id))
	if err != nil {
		if errors.Is(err, ErrNotFound) {
			return contactRec{}, fmt.Errorf("contact %s: %w", id, ErrNotFound)
		}
		return contactRec{}, err
	}
	return decodeContact(b)
}

// recordReader reads contact records for a bulk change. A record a few ids
// after the one read before (a chunk from an index walk over neighbouring
// contacts) is reached by stepping one iterator forward, far cheaper than a
// look-up through every level of the tree; any other is looked up, which
// finds the newest version at once where stepping would pass the older
// versions of every record on the way. The iterator sees the transaction as
// it was when it was made: read each record before writing it, and each at
// most once.
type recordReader struct {
	txn  *badger.Txn
	it   *badger.Iterator // made at the first near read
	prev gdpr.ContactID   // the id read before, 0 none
}

// recordSteps is how far after the previous read a record is stepped to
// rather than looked up. A step costs about a fiftieth of a seek or a
// look-up through every level (profile of a bulk tag at 1,000,000
// contacts: 1,000,000 steps 6.8% of the CPU, 15,000 seeks 5.8%, 15,000
// look-ups 4.4%), so stepping pays up to some 50 records ahead; German
// contacts are ~8.5 ids apart, and at 16 one read in seven was further.
const recordSteps = 64

func newRecordReader(txn *badger.Txn) *recordReader { return &recordReader{txn: txn} }

func (r *recordReader) close() {
	if r.it != nil {
		r.it.Close()
	}
}

// read is readContactRec, by steps when id is near the previous read.
func (r *recordReader) read(id gdpr.ContactID) (contactRec, error) {
	near := r.prev != 0 && id > r.prev && id-r.prev <= recordSteps
	r.prev = id
	if !near {
		return readContactRec(r.txn, id)
	}
	if r.it == nil {
		r.it = r.txn.NewIterator(badger.IteratorOptions{Prefix: prefixContact})
	}
	key := contactKey(id)
	it := r.it
	// A new iterator is not valid until its first seek; one left behind
	// by look-ups in between is sought at once, not stepped.
	seek := !it.Valid() || bytes.Compare(it.Item().Key(), key) > 0 ||
		idFromKey(it.Item().Key())+recordSteps < uint64(id)
	for n := 0; !seek && bytes.Compare(it.Item().Key(), key) < 0; n++ {
		if n == recordSteps {
			seek = true
			break
		}
		if it.Next(); !it.Valid() {
			seek = true
		}
	}
	if seek {
		it.Seek(key)
	}
	if !it.Valid() || !bytes.Equal(it.Item().Key(), key) {
		return contactRec{}, fmt.Errorf("contact %s: %w", id, ErrNotFound)
	}
	b, err := it.Item().ValueCopy(nil)
	if err != nil {
		return contactRec{}, err
	}
	return decodeContact(b)
}

// putClear stores a contact whose personal data is unchanged (rec keeps its
// sealed blob) and moves its index entries and counters from old to rec.
func (t *tx) putClear(old *gdpr.Contact, rec *contactRec) error {
	now := rec.clear()
	if err := t.moveIndexes(old, &now); err != nil {
		return err
	}
	t.countChange(old, &now)
	b, err := encodeContact(rec)
	if err != nil {
		return err
	}
	return t.set(contactKey(rec.ID), b)
}

// countChange moves a contact's counters from old to now: the two lists
// of contributions are built into the transaction's scratch and paired
// off, and only those that differ are counted (this runs per contact of a
// bulk change, where most stay).
func (t *tx) countChange(old, now *gdpr.Contact) {
	parts := appendContributions(t.cnBuf[:0], old)
	n := len(parts)
	parts = appendContributions(parts, now)
	t.cnBuf = parts
	pairOff(parts[:n], parts[n:], func(c contribution, d int64) { t.count(c.name(), d) })
}

func (t *tx) moveIndexes(old, now *gdpr.Contact) error {
	// A contact has a dozen index keys or so: both lists are built into
	// one scratch buffer of the transaction and compared pairwise, and only
	// the few keys that differ are copied out to be set or deleted (this
	// runs per contact of a bulk change).
	buf, ends := appendIndexEntries(t.ixBuf[:0], t.ixEnds[:0], old)
	n := len(ends)
	buf, ends = appendIndexEntries(buf, ends, now)
	t.ixBuf, t.ixEnds = buf, ends
	key := func(i int) []byte {
		start := 0
		if i > 0 {
			start = ends[i-1]
		}
		return buf[start:ends[i]]
	}
	in := func(k []byte, from, to int) bool {
		for i := from; i < to; i++ {
			if bytes.Equal(key(i), k) {
				return true
			}
		}
		return false
	}
	for i := n; i < len(ends); i++ {
		if k := key(i); !in(k, 0, n) {
			if err := t.set(bytes.Clone(k), nil); err != nil {
				return err
			}
		}
	}
	for i := range n {
		if k := key(i); !in(k, n, len(ends)) {
			if err := t.del(bytes.Clone(k)); err != nil {
				return err
			}
		}
	}
	return nil
}

// Contact returns a contact with its personal data.
func (s *Store) Contact(id gdpr.ContactID) (gdpr.Contact, error) {
	var c gdpr.Contact
	err := s.view(func(txn *badger.Txn) error {
		rec, err := readContactRec(txn, id)
		if err != nil {
			return err
		}
		c, err = s.unseal(&rec)
		return err
	})
	return c, err
}

func (s *Store) unseal(rec *contactRec) (gdpr.Contact, error) {
	if rec.Status == gdpr.ContactAnonymized || rec.Slot == 0 {
		return rec.clear(), nil
	}
	key, err := s.keys.key(rec.Slot)
	if err != nil {
		return gdpr.Contact{}, fmt.Errorf("contact %s: %w", rec.ID, err)
	}
	return unsealContact(rec, key)
}

// ContactByEmail finds the contact whose current address is email.
func (s *Store) ContactByEmail(email string) (gdpr.Contact, error) {
	norm, err := gdpr.NormalizeEmail(email)
	if err != nil {
		return gdpr.Contact{}, err
	}
	var id gdpr.ContactID
	err = s.view(func(txn *badger.Txn) error {
		v, err := getValue(txn, emailKey(s.emailHash(norm)))
		if err != nil {
			return err
		}
		id = gdpr.ContactID(idFromKey(v))
		return nil
	})
	if errors.Is(err, ErrNotFound) {
		return gdpr.Contact{}, fmt.Errorf("no contact has this email: %w", ErrNotFound)
	}
	if err != nil {
		return gdpr.Contact{}, err
	}
	return s.Contact(id)
}

// FindContact resolves what an owner types to name a contact: an id like
// C42, or an email address.
func (s *Store) FindContact(ref string) (gdpr.Contact, error) {
	if strings.Contains(ref, "@") {
		return s.ContactByEmail(ref)
	}
	id, err := gdpr.ParseContactID(ref)
	if err != nil {
		return gdpr.Contact{}, fmt.Errorf("%w (or give an email address)", err)
	}
	return s.Contact(id)
}

// UpdateContact edits a contact (rectification, Art. 16): fn changes a copy,
// which is validated and stored with an audit entry naming the changed
// fields; the old and new values are sealed in the entry. A changed email
// keeps the old one among PastEmails, so erasure can suppress it too.
func (s *Store) UpdateContact(operator string, id gdpr.ContactID, fn func(c *gdpr.Contact) error) error {
	return s.write(operator, func(t *tx) error {
		rec, err := t.getContactRec(id)
		if err != nil {
			return err
		}
		if rec.Status == gdpr.ContactAnonymized {
			return fmt.Errorf("contact %s is anonymized: nothing personal is left to edit", id)
		}
		old, err := s.unseal(&rec)
		if err != nil {
			return err
		}
		c := cloneContact(old)
		if err := fn(&c); err != nil {
			return err
		}
		c.ID, c.CreatedAt, c.UpdatedAt = old.ID, old.CreatedAt, t.now
		if c.Email, err = gdpr.NormalizeEmail(c.Email); err != nil {
			return err
		}
		c.Source = gdpr.NormalizeSource(c.Source)
		c.Tags = uniqueTags(c.Tags)
		c.Bases = uniqueBases(c.Bases)
		t.stampBases(c.Bases)
		if c.Status == gdpr.ContactAnonymized {
			return errors.New("use anonymize to erase a contact")
		}
		if err := validateContact(&c); err != nil {
			return err
		}
		if !gdpr.SameEmail(c.Email, old.Email) {
			h := s.emailHash(c.Email)
			if t.isSuppressedAddress(c.Email, h) {
				return fmt.Errorf("%w; re-admit the address first", ErrSuppressed)
			}
			if v, err := getValue(t.txn, emailKey(h)); err == nil && gdpr.ContactID(idFromKey(v)) != id {
				return fmt.Errorf("%w (%s)", ErrDuplicate, gdpr.ContactID(idFromKey(v)))
			}
			if err := t.del(emailKey(s.emailHash(old.Email))); err != nil {
				return err
			}
			if err := t.set(emailKey(h), u64(uint64(id))); err != nil {
				return err
			}
			if !containsString(c.PastEmails, old.Email) {
				c.PastEmails = append(c.PastEmails, old.Email)
			}
		}
		changed, sealedDiff, err := diffContacts(&old, &c)
		if err != nil || len(changed) == 0 {
			return err
		}
		return t.replaceContact(&rec, &c, gdpr.ActionContactEdit, "changed "+strings.Join(changed, ", "), sealedDiff)
	})
}

// replaceContact reseals an edited contact under its key, moves its index
// entries and counters, and audits the change with the old and new values
// sealed in the entry.
func (t *tx) replaceContact(rec *contactRec, c *gdpr.Contact, action gdpr.Action, detail string, sealedDiff []byte) error {
	key, err := t.key(rec.Slot)
	if err != nil {
		return err
	}
	newRec, err := sealContact(c, rec.Slot, key)
	if err != nil {
		return err
	}
	oldClear := rec.clear()
	if err := t.putClear(&oldClear, &newRec); err != nil {
		return err
	}
	t.setSearch(rec.ID, gdpr.SearchText(c))
	t.audit(action, rec.ID.String(), detail, sealedDiff, rec.Slot)
	return nil
}

// validateContact is the domain's Validate plus the bases and consent
// records, which become index entries and counters: an unknown basis would
// be stored and counted as if it were one of the six.
func validateContact(c *gdpr.Contact) error {
	if err := c.Validate(); err != nil {
		return err
	}
	for _, b := range c.Bases {
		if v, err := gdpr.ParseBasis(string(b.Basis)); err != nil {
			return err
		} else if v != b.Basis {
			return fmt.Errorf("lawful basis %q is not normalized (want %q)", b.Basis, v)
		}
	}
	for _, r := range c.Consents {
		if err := r.Validate(); err != nil {
			return err
		}
	}
	return nil
}

// uniqueTags normalizes tags and drops repeats ("VIP" and "vip" are one
// tag): a repeated tag would count its contact twice.
func uniqueTags(tags []string) []string {
	var out []string
	for _, tg := range tags {
		if tg = gdpr.NormalizeTag(tg); !containsString(out, tg) {
			out = append(out, tg)
		}
	}
	return out
}

// uniqueBases keeps the first assignment of each basis and purpose: a
// contact holds a basis once for a purpose (consent is given per purpose,
// Art. 6(1)(a)), and a repeat would say the same twice.
func uniqueBases(bases []gdpr.BasisAssignment) []gdpr.BasisAssignment {
	var out []gdpr.BasisAssignment
	for _, b := range bases {
		c := gdpr.Contact{Bases: out}
		if !c.HasBasisFor(b.Basis, b.Purpose) {
			out = append(out, b)
		}
	}
	return out
}

func containsString(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func cloneContact(c gdpr.Contact) gdpr.Contact {
	c.PastEmails = append([]string(nil), c.PastEmails...)
	c.Tags = append([]string(nil), c.Tags...)
	c.Bases = append([]gdpr.BasisAssignment(nil), c.Bases...)
	c.Consents = append([]gdpr.ConsentRecord(nil), c.Consents...)
	if c.Custom != nil {
		m := make(map[string]string, len(c.Custom))
		for k, v := range c.Custom {
			m[k] = v
		}
		c.Custom = m
	}
	return c
}

// diffContacts names the fields that differ and returns the old and new
// values as JSON, to be sealed in the audit entry.
func diffContacts(old, now *gdpr.Contact) ([]string, []byte, error) {
	a, err := json.Marshal(old)
	if err != nil {
		return nil, nil, err
	}
	b, err := json.Marshal(now)
	if err != nil {
		return nil, nil, err
	}
	var ma, mb map[string]any
	if err := json.Unmarshal(a, &ma); err != nil {
		return nil, nil, err
	}
	if err := json.Unmarshal(b, &mb); err != nil {
		return nil, nil, err
	}
	delete(ma, "updated_at")
	delete(mb, "updated_at")
	type change struct {
		Old any `json:"old,omitempty"`
		New any `json:"new,omitempty"`
	}
	diff := map[string]change{}
	for k, v := range ma {
		if !reflect.DeepEqual(v, mb[k]) {
			diff[k] = change{v, mb[k]}
		}
	}
	for k, v := range mb {
		if _, ok := ma[k]; !ok {
			diff[k] = change{nil, v}
		}
	}
	names := make([]string, 0, len(diff))
	for k := range diff {
		names = append(names, k)
	}
	sort.Strings(names)
	sealed, err := json.Marshal(diff)
	return names, sealed, err
}

// RecordExport audits an access package written for a contact that is not
// linked to a request (a linked package is audited with its link, by
// UpdateRequest). The entry names the contact by its id, the format and the
// file's SHA-256 — nothing personal — and is refused, and the refusal
// audited, for a role that may not export (gdpr.ActionContactExport).
func (s *Store) RecordExport(operator string, id gdpr.ContactID, format, sha256 string) error {
	return s.RecordExportFiles(operator, id, format, sha256, nil)
}
