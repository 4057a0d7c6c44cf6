package store

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/dgraph-io/badger/v4"
	"github.com/gdprdesk/gdprdesk/gdpr"
)

// Erasure (Art. 17) is crypto-shredding: the contact's record keeps only
// what identifies nobody, and the data keys of the contact and of its
// requests are destroyed in the keyring, which makes every sealed copy of
// their personal data in Badger (old versions, value log, audit details)
// undecryptable for good.
//
// Crash safety: the record change, the suppression entries, the linked
// request and the audit entry commit in one transaction together with a
// "shred pending" marker per key; the keys are destroyed after the commit
// and the markers then removed. A crash in between leaves markers that the
// next Open finishes. A crash before the commit changes nothing.

// prefixShred marks data keys that a committed erasure still has to
// destroy: m/shred/<slot>.
var prefixShred = []byte("m/shred/")

// keyShredCount counts the shred markers ever set, in the transactions
// that set them; the key ring counts the keys it destroyed. A key ring
// ahead of the store means the store lost an erasure (finishLostErasures).
var keyShredCount = []byte("m/shredcount")

// prefixShredded lists for good every key an erasure marked:
// m/shredded/<slot>. A key ring older than the store (its erasures'
// keys still live) is brought up to date from it (finishKeyErasures).
var prefixShredded = []byte("m/shredded/")

// reconcileKeyring compares the key ring's count of destroyed keys with
// the store's count of keys its erasures marked, on Open, and settles a
// difference: a key ring behind the store has keys destroyed again (the
// erasure's record survived, the destruction did not), a key ring ahead of
// it has its contacts erased (finishLostErasures). Equal counts, the normal
// case, cost two reads.
func (s *Store) reconcileKeyring() error {
	destroyed, err := s.keys.destroyedCount()
	if err != nil {
		return err
	}
	var marked uint64
	if err := s.view(func(txn *badger.Txn) error {
		marked, err = readU64(txn, keyShredCount)
		return err
	}); err != nil {
		return err
	}
	switch {
	case destroyed < marked:
		return s.finishKeyErasures(marked)
	case destroyed > marked:
		return s.finishLostErasures(destroyed)
	}
	return nil
}

// finishKeyErasures destroys every key an erasure of the store marked that
// the key ring still holds (a key ring copied back from before the
// erasure), then records that the key ring honours all marked erasures.
func (s *Store) finishKeyErasures(marked uint64) error {
	var live []Slot
	err := s.view(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{Prefix: prefixShredded})
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			sl := Slot(idFromKey(it.Item().Key()[len(prefixShredded):]))
			if _, err := s.keys.key(sl); !errors.Is(err, errKeyDestroyed) {
				live = append(live, sl)
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	if err := s.keys.destroy(live...); err != nil {
		return err
	}
	return s.keys.setDestroyedCount(marked)
}

func shredKey(s Slot) []byte { return join(prefixShred, u64(uint64(s))) }

// ErrObligation is returned when a contact still has an obligation (an
// unpaid balance or an open contract) that erasure would destroy the
// record of; an override reason lets the operator proceed.
var ErrObligation = errors.New("the contact has an outstanding obligation")

// AnonymizeOptions tune one erasure.
type AnonymizeOptions struct {
	// Request is the erasure request this answers; it is completed and
	// linked to the audit entry of the erasure.
	Request gdpr.RequestID
	// OverrideReason lets an operator erase despite an obligation. It is
	// kept in the audit log in clear, as the justification an auditor will
	// ask for: it must not contain the person's details.
	OverrideReason string
	// KeepHeld erases a contact under a legal hold in force except the
	// fields the hold keeps (Art. 17(3)(b)); without it such a contact is
	// refused with the hold as the reason.
	KeepHeld bool
	// reapply re-applies an erasure made before a backup was restored: it
	// happened already, so the guards are not asked again.
	reapply bool
}

// Anonymized says what an erasure did.
type Anonymized struct {
	Contact    gdpr.ContactID
	Event      uint64 // audit sequence number of the erasure
	Suppressed int    // addresses added to the suppression list
	KeysShred  int
}

// Anonymize erases a contact's personal data irreversibly (SPEC §2):
// names, emails (past ones too), phone, address, company, notes, custom
// fields, evidence notes, consent methods, tags and the personal details in
// its audit entries and requests. Kept: country, the created year, the
// fact and date of the erasure. Every address it had goes on the
// suppression list. It is refused, with the reasons, while the rule book's
// erasure guards say so (gdpr.ErasureBlockers: another open request of the
// person, a restriction, a legal hold in force); with KeepHeld, a held
// contact is erased except its held fields.
func (s *Store) Anonymize(operator string, id gdpr.ContactID, opts AnonymizeOptions) (Anonymized, error) {
	var res Anonymized
	err := s.write(operator, func(t *tx) error {
		reqs, err := t.requestsByContact()
		if err != nil {
			return err
		}
		res, err = t.anonymize(id, opts, reqs)
		return err
	})
	if err != nil {
		return res, err
	}
	return res, s.shredNow(id)
}

// StillDue says, inside the transaction of an erasure, whether a contact
// is still to be erased for the reason a sweep picked it: it is given the
// contact as it is now and the purposes register as it is now, and
// returns nil, or why not (a rule of package gdpr, e.g. the retention
// schedule no longer lapsed because a consent came in meanwhile).
type StillDue func(c *gdpr.Contact, purposes []gdpr.Purpose) error

// ErrNoLongerDue marks a contact a sweep picked that, checked again as it
// was to be erased, no longer was (StillDue).
var ErrNoLongerDue = errors.New("no longer due")

// AnonymizeMany erases several contacts in one transaction and destroys
// their keys with one sync of the keyring: the sweep's unit of work. A
// contact with an obligation, or one the erasure guards hold back
// (ErasureBlockedError), is not erased; its error is returned in skipped
// and the others go ahead. So is one that still (non-nil) says is no
// longer due, asked in the same transaction against the contact and the
// purposes register as they are then (an error wrapping ErrNoLongerDue).
// A held contact whose hold has ended is erased for good.
func (s *Store) AnonymizeMany(operator string, ids []gdpr.ContactID, still StillDue) (done []Anonymized, skipped map[gdpr.ContactID]error, err error) {
	skipped = map[gdpr.ContactID]error{}
	err = s.write(operator, func(t *tx) error {
		done, skipped = done[:0], map[gdpr.ContactID]error{}
		reqs, err := t.requestsByContact()
		if err != nil {
			return err
		}
		var purposes []gdpr.Purpose
		if still != nil {
			if purposes, err = purposesIn(t.txn); err != nil {
				return err
			}
		}
		for _, id := range ids {
			if still != nil {
				rec, err := t.getContactRec(id)
				if err != nil {
					return err
				}
				c, err := s.unseal(&rec)
				if err != nil {
					return err
				}
				if why := still(&c, purposes); why != nil {
					skipped[id] = fmt.Errorf("%w: contact %s: %w", ErrNoLongerDue, id, why)
					continue
				}
			}
			res, err := t.anonymize(id, AnonymizeOptions{}, reqs)
			if errors.Is(err, ErrObligation) || errors.Is(err, ErrErasureBlocked) {
				skipped[id] = err
				continue
			}
			if err != nil {
				return err
			}
			done = append(done, res)
		}
		return nil
	})
	if err != nil || len(done) == 0 {
		return nil, skipped, err
	}
	return done, skipped, s.shredNow(done[0].Contact)
}

// purposesIn reads the purposes register in a transaction.
func purposesIn(txn *badger.Txn) ([]gdpr.Purpose, error) {
	var out []gdpr.Purpose
	it := txn.NewIterator(badger.IteratorOptions{Prefix: prefixPurpose, PrefetchValues: true})
	defer it.Close()
	for it.Rewind(); it.Valid(); it.Next() {
		var p gdpr.Purpose
		if err := it.Item().Value(func(b []byte) error { return json.Unmarshal(b, &p) }); err != nil {
			return nil, fmt.Errorf("decode purpose: %w", err)
		}
		out = append(out, p)
	}
	return out, nil
}

// shredNow destroys the keys that committed erasures marked. A rotation of
// the master key must not copy a key being destroyed, hence the lock.
func (s *Store) shredNow(id gdpr.ContactID) error {
	s.mu.Lock()
	err := s.finishShred()
	s.mu.Unlock()
	if err != nil {
		return fmt.Errorf("contact %s is anonymized, but destroying its keys failed (it will be retried on the next start): %w", id, err)
	}
	return nil
}

// eachRequest calls fn with every stored request.
func (t *tx) eachRequest(fn func(rec requestRec)) error { return eachRequestIn(t.txn, fn) }

// eachRequestIn calls fn with every stored request of a transaction.
func eachRequestIn(txn *badger.Txn, fn func(rec requestRec)) error {
	it := txn.NewIterator(badger.IteratorOptions{Prefix: prefixRequest, PrefetchValues: true})
	defer it.Close()
	for it.Rewind(); it.Valid(); it.Next() {
		v, err := it.Item().ValueCopy(nil)
		if err != nil {
			return err
		}
		rec, err := decodeRequest(v)
		if err != nil {
			return err
		}
		fn(rec)
	}
	return nil
}

// anonymize is one erasure inside a transaction. It changes nothing when it
// fails, so a caller may skip the contact and go on.
func (t *tx) anonymize(id gdpr.ContactID, opts AnonymizeOptions, reqs map[gdpr.ContactID][]requestRec) (Anonymized, error) {
	s := t.s
	res := Anonymized{Contact: id}
	var shred []Slot
	err := func() error {
		rec, err := t.getContactRec(id)
		if err != nil {
			return err
		}
		if rec.Status == gdpr.ContactAnonymized {
			return fmt.Errorf("contact %s is already anonymized", id)
		}
		c, err := s.unseal(&rec)
		if err != nil {
			return err
		}
		if rec.Status == gdpr.ContactHeld && c.Hold.InForce(t.now) {
			return &ErasureBlockedError{Contact: id, Blockers: []gdpr.ErasureBlocker{{Kind: gdpr.BlockHold,
				Reason: "it is " + c.HeldLabel() + " (Art. 17(3)(b)): the rest goes when the hold ends"}}}
		}
		held := opts.KeepHeld && rec.Status != gdpr.ContactHeld
		if held && !c.Hold.InForce(t.now) {
			return fmt.Errorf("contact %s has no legal hold in force: nothing is kept, erase it whole", id)
		}
		if !opts.reapply {
			if bs := erasureBlockers(&c, reqs[id], opts, t.now); len(bs) > 0 {
				return &ErasureBlockedError{Contact: id, Blockers: bs}
			}
		}
		if obs := c.Obligations(); len(obs) > 0 && strings.TrimSpace(opts.OverrideReason) == "" {
			return fmt.Errorf("%w: contact %s has %s; settle it first, deny the erasure request with this reason, or give an override reason", ErrObligation, id, gdpr.ObligationsText(obs))
		}
		var req *gdpr.Request
		var reqRec requestRec
		if opts.Request != 0 {
			if reqRec, err = readRequestRec(t.txn, opts.Request); err != nil {
				return err
			}
			r, err := s.unsealRequest(reqRec)
			if err != nil {
				return err
			}
			if r.Type != gdpr.RequestErasure {
				return fmt.Errorf("request %s is a %s request, not erasure", r.ID, r.Type)
			}
			if r.Contact != id {
				return fmt.Errorf("request %s is not about contact %s", r.ID, id)
			}
			if !r.Status.Open() {
				return fmt.Errorf("request %s is already %s", r.ID, r.Status)
			}
			req = &r
		}
		// Suppress every address the person had.
		emails := append([]string{c.Email}, c.PastEmails...)
		for _, e := range emails {
			if e == "" {
				continue
			}
			h := s.emailHash(e)
			if err := t.setSuppressed(h, true); err != nil {
				return err
			}
			res.Suppressed++
		}
		if err := t.del(emailKey(s.emailHash(c.Email))); err != nil {
			return err
		}
		// What remains: country, created year, the fact and date — and,
		// under a hold, the held fields sealed under a new key.
		old := rec.clear()
		y := rec.CreatedAt.Year()
		anon := contactRec{ID: id, Country: rec.Country, Status: gdpr.ContactAnonymized,
			CreatedAt: time.Date(y, 1, 1, 0, 0, 0, 0, time.UTC), UpdatedAt: t.now, AnonymizedAt: t.now}
		if held {
			if anon, err = t.sealHeld(&c, anon.CreatedAt); err != nil {
				return err
			}
		}
		if err := t.putClear(&old, &anon); err != nil {
			return err
		}
		t.eraseSearch(id)
		shred = append(shred, rec.Slot)
		// The requests about the person hold their words too.
		for _, r := range reqs[id] {
			shred = append(shred, r.Slot)
		}
		for _, sl := range shred {
			if err := t.set(shredKey(sl), nil); err != nil {
				return err
			}
		}
		detail := "personal data destroyed; " + fmt.Sprintf("%d address(es) suppressed", res.Suppressed)
		if held {
			detail = fmt.Sprintf("personal data destroyed except %s, kept under a legal hold until %s (Art. 17(3)(b)); %d address(es) suppressed",
				strings.Join(c.Hold.Keep, ", "), c.Hold.Until.Format(time.DateOnly), res.Suppressed)
		}
		if opts.OverrideReason != "" {
			detail += "; obligation overridden: " + opts.OverrideReason
		}
		if req != nil {
			detail += "; answers " + req.ID.String()
		}
		t.audit(gdpr.ActionContactAnonymize, id.String(), detail, nil, 0)
		res.Event = t.seq + uint64(len(t.entries))
		if req != nil {
			r := *req
			if err := r.Move(gdpr.StatusCompleted, "erased", t.now); err != nil {
				return err
			}
			r.AnonymizedAt, r.AnonymizeEvent = t.now, res.Event
			if err := t.putRequest(req, r, reqRec.Slot); err != nil {
				return err
			}
			t.audit(gdpr.ActionRequestClose, r.ID.String(), "closed as completed by erasure of "+id.String(), nil, 0)
		}
		return nil
	}()
	res.KeysShred = len(shred)
	return res, err
}

// sealHeld is what a legal hold leaves of a contact: the held fields,
// sealed under a key of their own, so that destroying the old key erases
// everything else (emails, phone, notes, custom fields, consents,
// evidence) and every older copy of the held fields too. The sweep
// destroys the new key when the hold ends.
func (t *tx) sealHeld(c *gdpr.Contact, created time.Time) (contactRec, error) {
	kept := gdpr.KeepHeld(c, *c.Hold, t.now)
	kept.CreatedAt = created
	slots, keys, err := t.s.keys.newKeysRaw(1)
	if err != nil {
		return contactRec{}, err
	}
	t.newKeys = true
	if t.keys == nil {
		t.keys = map[Slot][]byte{}
	}
	t.keys[slots[0]] = keys[0]
	return sealContact(&kept, slots[0], keys[0])
}

// finishShred destroys the keys of committed erasures and clears their
// markers. Open calls it too, to finish an erasure a crash interrupted.
func (s *Store) finishShred() error {
	if s.db == nil {
		return errClosed
	}
	var slots []Slot
	err := s.view(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{Prefix: prefixShred})
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			slots = append(slots, Slot(idFromKey(it.Item().Key())))
		}
		return nil
	})
	if err != nil || len(slots) == 0 {
		return err
	}
	// The erasures' records must be on disk before their keys go. A write
	// syncs after each erasure; on Open the markers may come from the
	// write-ahead files of a process that was killed before its sync.
	if err := s.db.Sync(); err != nil {
		return fmt.Errorf("sync the store: %w", err)
	}
	if err := syncLogs(filepath.Join(s.dir, "db")); err != nil {
		return err
	}
	if err := s.keys.destroy(slots...); err != nil {
		return err
	}
	return s.db.Update(func(txn *badger.Txn) error {
		for _, sl := range slots {
			if err := txn.Delete(shredKey(sl)); err != nil {
				return err
			}
		}
		return nil
	})
}

// syncLogs flushes every write-ahead and value log file of the Badger
// directory db to disk (Badger's Sync flushes only the active memtable's).
func syncLogs(db string) error {
	entries, err := os.ReadDir(db)
	if err != nil {
		return fmt.Errorf("sync the store: %w", err)
	}
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), ".mem") && !strings.HasSuffix(e.Name(), ".vlog") {
			continue
		}
		f, err := os.OpenFile(filepath.Join(db, e.Name()), os.O_RDWR, 0)
		if errors.Is(err, os.ErrNotExist) {
			continue // flushed and removed meanwhile
		}
		if err != nil {
			return fmt.Errorf("sync the store: %w", err)
		}
		err = f.Sync()
		f.Close()
		if err != nil {
			return fmt.Errorf("sync the store: %s: %w", e.Name(), err)
		}
	}
	return nil
}

// finishLostErasures finishes, on Open, erasures whose keys the key ring
// destroyed but whose records the store no longer holds: a store directory
// older than its key ring (a power cut on a disk that reordered the
// writes, or db/ copied back over by hand). Erasure syncs the store before
// it destroys a key, so this is not meant to happen; if it does, a contact
// whose data can no longer be read is erased for good rather than left
// live with nothing behind its name. The key ring counts the keys it
// destroyed, the store the keys its erasures marked: only when the key
// ring is ahead are the contacts read.
//
// What can still be done without the key is done: the record is reduced
// as an erasure reduces it, the addresses found in the email look-up are
// suppressed, and an audit entry says what happened. Past addresses are
// sealed and gone with the key; the person's requests stay as they are.
func (s *Store) finishLostErasures(destroyed uint64) error {
	var lost []contactRec
	err := s.view(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{Prefix: prefixContact, PrefetchValues: true, PrefetchSize: 100})
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			v, err := it.Item().ValueCopy(nil)
			if err != nil {
				return err
			}
			rec, err := decodeContact(v)
			if err != nil || rec.Status == gdpr.ContactAnonymized || rec.Slot == 0 {
				continue // audit verify reports a record it cannot read
			}
			if _, err := s.keys.key(rec.Slot); errors.Is(err, errKeyDestroyed) {
				lost = append(lost, rec)
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	owner := &Store{state: s.state} // the store's own repair, whoever opened it
	return owner.write("gdprdesk", func(t *tx) error {
		byID := map[gdpr.ContactID][][]byte{}
		if len(lost) > 0 {
			it := t.txn.NewIterator(badger.IteratorOptions{Prefix: prefixEmail, PrefetchValues: true})
			for it.Rewind(); it.Valid(); it.Next() {
				v, err := it.Item().ValueCopy(nil)
				if err != nil {
					it.Close()
					return err
				}
				id := gdpr.ContactID(idFromKey(v))
				byID[id] = append(byID[id], bytes.Clone(it.Item().Key()[len(prefixEmail):]))
			}
			it.Close()
		}
		for _, rec := range lost {
			for _, h := range byID[rec.ID] {
				if err := t.setSuppressed(h, true); err != nil {
					return err
				}
				if err := t.del(emailKey(h)); err != nil {
					return err
				}
			}
			old := rec.clear()
			anon := contactRec{ID: rec.ID, Country: rec.Country, Status: gdpr.ContactAnonymized,
				CreatedAt: time.Date(rec.CreatedAt.Year(), 1, 1, 0, 0, 0, 0, time.UTC), UpdatedAt: t.now, AnonymizedAt: t.now}
			if err := t.putClear(&old, &anon); err != nil {
				return err
			}
			t.eraseSearch(rec.ID)
			t.audit(gdpr.ActionContactAnonymize, rec.ID.String(), fmt.Sprintf(
				"erasure finished when the store was opened: the contact's data key had been destroyed by an erasure whose record the store had lost; %d address(es) suppressed", len(byID[rec.ID])), nil, 0)
		}
		return t.txn.Set(keyShredCount, u64(destroyed))
	})
}

// Readmit takes an address off the suppression list, so that a person who
// asked to be erased and later asks to be added again can be (SPEC §2).
// The reason is kept in the audit log in clear, as the justification: it
// must not contain the person's details. The address itself is not logged.
func (s *Store) Readmit(operator, email, reason string) error {
	norm, err := gdpr.NormalizeEmail(email)
	if err != nil {
		return err
	}
	if strings.TrimSpace(reason) == "" {
		return errors.New("re-admitting an erased address needs a reason (e.g. \"asked to rejoin the newsletter on 2026-12-01\")")
	}
	return s.write(operator, func(t *tx) error {
		// Every entry of the address goes: its own, and any an earlier
		// version wrote under another spelling.
		var on [][]byte
		for _, h := range append([][]byte{s.emailHash(norm)}, s.legacyHashes(norm)...) {
			if t.isSuppressed(h) {
				on = append(on, h)
			}
		}
		if len(on) == 0 {
			return fmt.Errorf("this address is not on the suppression list: %w", ErrNotFound)
		}
		for _, h := range on {
			if err := t.setSuppressed(h, false); err != nil {
				return err
			}
		}
		if err := t.noteReadmit(); err != nil {
			return err
		}
		t.audit(gdpr.ActionSuppressionReadmit, "suppression", "an erased address was re-admitted: "+reason, nil, 0)
		return nil
	})
}
