package store

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/dgraph-io/badger/v4"
	"github.com/gdprdesk/gdprdesk/gdpr"
)

// The breach register (SPEC §10, Art. 33–34). Each breach is one JSON value
// under br/<id>. Its texts — what happened, the consequences and measures,
// the query naming the contacts, the reasons and the authority's reference
// — may name people, so they are sealed under a data key of the breach's
// own, as a request's free text is; the clear part holds only times,
// counts, the risk and who recorded it. Audit entries name the breach by
// id with times and counts, never its texts.
//
// Roles: staff record breaches and their steps as admins do (gdpr.Role.May
// on the breach.* actions): anyone who works the desk may discover one,
// and the 72 hours run from then. Viewers read only.

type breachRec struct {
	gdpr.Breach
	Slot   Slot   `json:"slot"`
	Sealed []byte `json:"sealed,omitempty"`
}

type breachTexts struct {
	What             string   `json:"wh,omitempty"`
	PeopleCategories []string `json:"pc,omitempty"`
	DataCategories   []string `json:"dc,omitempty"`
	Query            string   `json:"q,omitempty"`
	Consequences     string   `json:"co,omitempty"`
	Measures         string   `json:"me,omitempty"`
	NotifyRef        string   `json:"nr,omitempty"`
	LateReason       string   `json:"lr,omitempty"`
	NoNotifyReason   string   `json:"nn,omitempty"`
	NoInformReason   string   `json:"ni,omitempty"`
}

// Clear-part markers: whether a reason is recorded shows in the clear part
// as "-" (the text is sealed), so a record read without its key still
// tells a reason from none.
const sealedMark = "-"

func breachAAD(id gdpr.BreachID) []byte { return join([]byte("breach"), u64(uint64(id))) }

func (s *Store) sealBreach(b gdpr.Breach, slot Slot) (breachRec, error) {
	p := breachTexts{What: b.What, PeopleCategories: b.PeopleCategories, DataCategories: b.DataCategories, Query: b.Query,
		Consequences: b.Consequences, Measures: b.Measures, NotifyRef: b.NotifyRef, LateReason: b.LateReason,
		NoNotifyReason: b.NoNotifyReason, NoInformReason: b.NoInformReason}
	mark := func(v string) string {
		if v != "" {
			return sealedMark
		}
		return ""
	}
	c := b
	c.What, c.Query, c.Consequences, c.Measures, c.NotifyRef = "", "", "", "", ""
	c.PeopleCategories, c.DataCategories = nil, nil
	c.LateReason, c.NoNotifyReason, c.NoInformReason = mark(b.LateReason), mark(b.NoNotifyReason), mark(b.NoInformReason)
	rec := breachRec{Breach: c, Slot: slot}
	var err error
	rec.Sealed, err = s.sealJSON(slot, p, breachAAD(b.ID))
	return rec, err
}

func (s *Store) unsealBreach(rec breachRec) (gdpr.Breach, error) {
	b := rec.Breach
	if len(rec.Sealed) == 0 {
		return b, nil
	}
	key, err := s.keys.key(rec.Slot)
	if err != nil {
		return b, fmt.Errorf("breach %s: %w", b.ID, err)
	}
	pt, err := unseal(key, rec.Sealed, breachAAD(b.ID))
	if err != nil {
		return b, fmt.Errorf("breach %s: %w", b.ID, err)
	}
	var p breachTexts
	if err := json.Unmarshal(pt, &p); err != nil {
		return b, fmt.Errorf("decode breach %s: %w", b.ID, err)
	}
	b.What, b.PeopleCategories, b.DataCategories, b.Query = p.What, p.PeopleCategories, p.DataCategories, p.Query
	b.Consequences, b.Measures, b.NotifyRef = p.Consequences, p.Measures, p.NotifyRef
	b.LateReason, b.NoNotifyReason, b.NoInformReason = p.LateReason, p.NoNotifyReason, p.NoInformReason
	return b, nil
}

// Breaches returns the breach register, oldest first (by id).
func (s *Store) Breaches() ([]gdpr.Breach, error) {
	var out []gdpr.Breach
	err := s.eachJSON(prefixBreach, func(v []byte) error {
		var rec breachRec
		if err := json.Unmarshal(v, &rec); err != nil {
			return fmt.Errorf("decode breach: %w", err)
		}
		b, err := s.unsealBreach(rec)
		if err != nil {
			return err
		}
		out = append(out, b)
		return nil
	})
	return out, err
}

// Breach returns one breach of the register.
func (s *Store) Breach(id gdpr.BreachID) (gdpr.Breach, error) {
	var rec breachRec
	err := s.view(func(txn *badger.Txn) error {
		var err error
		rec, err = readBreachRec(txn, id)
		return err
	})
	if err != nil {
		return gdpr.Breach{}, err
	}
	return s.unsealBreach(rec)
}

func readBreachRec(txn *badger.Txn, id gdpr.BreachID) (breachRec, error) {
	var rec breachRec
	b, err := getValue(txn, breachKey(id))
	if errors.Is(err, ErrNotFound) {
		return rec, fmt.Errorf("no breach %s in the register (gdprdesk breach list): %w", id, ErrNotFound)
	}
	if err != nil {
		return rec, err
	}
	if err := json.Unmarshal(b, &rec); err != nil {
		return rec, fmt.Errorf("decode breach %s: %w", id, err)
	}
	return rec, nil
}

// AddBreach records a breach under the next id, with a data key of its own
// for its texts, and audits it (breach.add) in the same transaction.
func (s *Store) AddBreach(operator string, b gdpr.Breach) (gdpr.BreachID, error) {
	b.AwareAt = b.AwareAt.UTC()
	if err := b.Validate(); err != nil {
		return 0, err
	}
	var id gdpr.BreachID
	err := s.write(operator, func(t *tx) error {
		n, err := t.nextSeq(keyBreachSeq)
		if err != nil {
			return err
		}
		id = gdpr.BreachID(n)
		b.ID, b.RecordedAt, b.RecordedBy = id, t.now, t.operator
		slots, err := t.s.keys.newKeys(1)
		if err != nil {
			return err
		}
		t.newKeys = true
		if err := t.putBreach(b, slots[0]); err != nil {
			return err
		}
		t.audit(gdpr.ActionBreachAdd, id.String(), fmt.Sprintf("aware %s, due %s, risk %s, about %d people and %d records",
			b.AwareAt.Format(time.RFC3339), b.Due().Format(time.RFC3339), b.Risk, b.People, b.Records), nil, 0)
		return nil
	})
	return id, err
}

// UpdateBreach changes a breach through fn — which applies the rule book's
// checks (gdpr.ValidateNotify, ValidateInform, …) to the record as it is
// in this transaction — and audits it with the given breach action and
// non-personal detail, in one transaction.
func (s *Store) UpdateBreach(operator string, id gdpr.BreachID, action gdpr.Action, detail string, fn func(b *gdpr.Breach) error) error {
	switch action {
	case gdpr.ActionBreachEdit, gdpr.ActionBreachNotify, gdpr.ActionBreachInform:
	default:
		return fmt.Errorf("update breach %s: %q is not a breach action", id, action)
	}
	return s.write(operator, func(t *tx) error {
		rec, err := readBreachRec(t.txn, id)
		if err != nil {
			return err
		}
		old, err := t.s.unsealBreach(rec)
		if err != nil {
			return err
		}
		b := old
		b.PeopleCategories = append([]string(nil), old.PeopleCategories...)
		b.DataCategories = append([]string(nil), old.DataCategories...)
		if err := fn(&b); err != nil {
			return err
		}
		b.ID, b.RecordedAt, b.RecordedBy = old.ID, old.RecordedAt, old.RecordedBy
		b.AwareAt = b.AwareAt.UTC()
		if err := b.Validate(); err != nil {
			return fmt.Errorf("%s: %w", id, err)
		}
		if err := t.putBreach(b, rec.Slot); err != nil {
			return err
		}
		t.audit(action, id.String(), detail, nil, 0)
		return nil
	})
}

func (t *tx) putBreach(b gdpr.Breach, slot Slot) error {
	rec, err := t.s.sealBreach(b, slot)
	if err != nil {
		return err
	}
	return t.setJSON(breachKey(b.ID), rec)
}

// BreachLetter is the notice of a breach written to one person (Art.
// 34(2)): the contact, the letter's language, and the files written with
// the person's data.
type BreachLetter struct {
	Contact gdpr.ContactID
	Lang    string
	Files   []WrittenFile
}

// RecordBreachLetters audits notices of breach id to people, in one
// transaction: a letter.write entry on the breach that counts them, and one
// on each person's contact naming the breach and the language, with the
// person's files registered under it (so erasing the person deletes them).
// It is called before the files are written, so that no file is ever on
// disk unregistered. A contact erased meanwhile gets no entry and no
// file: it is returned in erased, for the caller not to write (or to
// delete) that person's files.
func (s *Store) RecordBreachLetters(operator string, id gdpr.BreachID, letters []BreachLetter) (erased []gdpr.ContactID, err error) {
	err = s.write(operator, func(t *tx) error {
		erased = nil
		if _, err := readBreachRec(t.txn, id); err != nil {
			return err
		}
		var live []BreachLetter
		for _, l := range letters {
			rec, err := t.getContactRec(l.Contact)
			if err != nil {
				return fmt.Errorf("record the breach notice of %s: %w", l.Contact, err)
			}
			if rec.Status == gdpr.ContactAnonymized {
				erased = append(erased, l.Contact)
				continue
			}
			live = append(live, l)
		}
		if len(live) == 0 {
			return nil
		}
		t.audit(gdpr.ActionLetterWrite, id.String(), fmt.Sprintf("breach notice to %d people written (Art. 34(2))", len(live)), nil, 0)
		for _, l := range live {
			t.audit(gdpr.ActionLetterWrite, l.Contact.String(), fmt.Sprintf("breach notice of %s written, %s", id, l.Lang), nil, 0)
			if err := t.registerFiles(l.Contact, l.Files); err != nil {
				return err
			}
		}
		return nil
	})
	return erased, err
}
