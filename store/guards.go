package store

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/dgraph-io/badger/v4"
	"github.com/gdprdesk/gdprdesk/gdpr"
)

// The rule book's guards (SPEC §9): restriction, legal holds, denials by
// ground and the erasure guards. Each asks the one rule in package gdpr
// inside the transaction that makes the change.

// ErrErasureBlocked is wrapped by every ErasureBlockedError.
var ErrErasureBlocked = errors.New("erasure refused")

// ErasureBlockedError refuses an erasure that must wait, with the rule
// book's reasons (gdpr.ErasureBlockers).
type ErasureBlockedError struct {
	Contact  gdpr.ContactID
	Blockers []gdpr.ErasureBlocker
}

func (e *ErasureBlockedError) Error() string {
	return fmt.Sprintf("contact %s cannot be erased now: %s", e.Contact, gdpr.BlockersText(e.Blockers))
}

// Unwrap lets errors.Is find ErrErasureBlocked.
func (e *ErasureBlockedError) Unwrap() error { return ErrErasureBlocked }

// Restrict restricts processing of a contact (Art. 18(1)): it is stored
// only until lifted. The reason is sealed with the personal data and in the
// audit entry, since it often names the person's circumstances.
func (s *Store) Restrict(operator string, id gdpr.ContactID, reason string) error {
	return s.write(operator, func(t *tx) error {
		rec, c, err := t.contactForChange(id)
		if err != nil {
			return err
		}
		if err := gdpr.Restrict(&c, reason, t.now); err != nil {
			return err
		}
		c.UpdatedAt = t.now
		var sealed []byte
		if r := strings.TrimSpace(reason); r != "" {
			sealed = []byte(r)
		}
		return t.replaceContact(&rec, &c, gdpr.ActionContactRestrict, "status "+string(rec.Status)+" → restricted (Art. 18)", sealed)
	})
}

// LiftRestriction ends a restriction once the person was told (Art. 18(3)).
// A marketing objection on file stays: lifting never makes the person
// marketable again (Art. 21(3)).
func (s *Store) LiftRestriction(operator string, id gdpr.ContactID, told time.Time) error {
	return s.write(operator, func(t *tx) error {
		rec, c, err := t.contactForChange(id)
		if err != nil {
			return err
		}
		if err := gdpr.LiftRestriction(&c, told, t.now); err != nil {
			return err
		}
		c.UpdatedAt = t.now
		return t.replaceContact(&rec, &c, gdpr.ActionContactLift,
			"status restricted → active; the person was told on "+told.Format(time.DateOnly)+" (Art. 18(3))", nil)
	})
}

// SetContactStatus is kept for callers of the earlier interface:
// restricted restricts with the reason (Restrict); lifting needs the date
// the person was told, so active is refused with a pointer to
// LiftRestriction.
func (s *Store) SetContactStatus(operator string, id gdpr.ContactID, status gdpr.ContactStatus, reason string) error {
	if c, err := s.Contact(id); err != nil {
		return err
	} else if c.Status == status {
		return nil // nothing changes, as before
	}
	switch status {
	case gdpr.ContactRestricted:
		return s.Restrict(operator, id, reason)
	case gdpr.ContactActive:
		return errors.New("lifting a restriction needs the date the person was told (Art. 18(3)): use restrict --lift --told DATE")
	}
	return fmt.Errorf("status %q cannot be set directly: use restricted or active (anonymize erases)", status)
}

// contactForChange reads a contact that is not erased, with its personal data.
func (t *tx) contactForChange(id gdpr.ContactID) (contactRec, gdpr.Contact, error) {
	rec, err := t.getContactRec(id)
	if err != nil {
		return rec, gdpr.Contact{}, err
	}
	if rec.Status == gdpr.ContactAnonymized {
		return rec, gdpr.Contact{}, fmt.Errorf("contact %s is anonymized", id)
	}
	c, err := t.s.unseal(&rec)
	return rec, c, err
}

// SetHold places (or replaces) a legal hold on a contact (Art. 17(3)(b)).
// The hold's reason names a law, not the person, and stays readable; the
// audit entry names the date and the fields kept.
func (s *Store) SetHold(operator string, id gdpr.ContactID, h gdpr.Hold) error {
	return s.write(operator, func(t *tx) error {
		if err := h.Validate(t.now); err != nil {
			return err
		}
		rec, err := t.getContactRec(id)
		if err != nil {
			return err
		}
		if rec.Status == gdpr.ContactAnonymized || rec.Status == gdpr.ContactHeld {
			return fmt.Errorf("contact %s is %s: a hold is placed before erasure", id, rec.Status)
		}
		h.Until, h.At, h.By = gdpr.Day(h.Until), t.now, t.operator
		old := rec.clear()
		rec.Hold, rec.UpdatedAt = &h, t.now
		if err := t.putClear(&old, &rec); err != nil {
			return err
		}
		t.audit(gdpr.ActionContactHold, id.String(), fmt.Sprintf("legal hold until %s keeping %s (Art. 17(3)(b))",
			h.Until.Format(time.DateOnly), strings.Join(h.Keep, ", ")), nil, 0)
		return nil
	})
}

// ReleaseHold ends a legal hold early. A contact already erased except its
// held records is erased for good in the same transaction: nothing keeps
// those records any longer.
func (s *Store) ReleaseHold(operator string, id gdpr.ContactID) error {
	shred := false
	err := s.write(operator, func(t *tx) error {
		rec, err := t.getContactRec(id)
		if err != nil {
			return err
		}
		if rec.Hold == nil {
			return fmt.Errorf("contact %s has no legal hold", id)
		}
		old := rec.clear()
		rec.Hold, rec.UpdatedAt = nil, t.now
		if err := t.putClear(&old, &rec); err != nil {
			return err
		}
		t.audit(gdpr.ActionContactRelease, id.String(), "legal hold released", nil, 0)
		if rec.Status != gdpr.ContactHeld {
			return nil
		}
		reqs, err := t.requestsByContact()
		if err != nil {
			return err
		}
		shred = true
		_, err = t.anonymize(id, AnonymizeOptions{}, reqs)
		return err
	})
	if err != nil || !shred {
		return err
	}
	return s.shredNow(id)
}

// DenyRequest refuses a request on a named ground with a written reason
// (SPEC §9 "Denials, by type"; Art. 12(4)): never an objection to
// marketing, and only on a ground the law gives for the request's type.
func (s *Store) DenyRequest(operator string, id gdpr.RequestID, ground gdpr.DenialGround, reason string) error {
	return s.write(operator, func(t *tx) error {
		rec, err := readRequestRec(t.txn, id)
		if err != nil {
			return err
		}
		var c *gdpr.Contact
		if rec.Contact != 0 {
			if cr, err := t.getContactRec(rec.Contact); err == nil && cr.Status != gdpr.ContactAnonymized {
				cl := cr.clear() // the bases are clear fields: enough for Art. 20(1)
				c = &cl
			}
		}
		if err := gdpr.CheckDenial(rec.Request, ground, reason, c); err != nil {
			return err
		}
		return t.updateRequest(rec, gdpr.ActionRequestClose, "closed as denied, ground "+string(ground)+" ("+ground.Article()+")", func(r *gdpr.Request) error {
			if err := r.Move(gdpr.StatusDenied, reason, t.now); err != nil {
				return err
			}
			r.Ground = ground
			return nil
		})
	})
}

// objectToMarketing records an objection to marketing on the contact at
// once (Art. 21(3)), in the transaction that logs the request.
func (t *tx) objectToMarketing(id gdpr.ContactID, req gdpr.RequestID) error {
	rec, err := t.getContactRec(id)
	if err != nil {
		return err
	}
	c := rec.clear()
	if !gdpr.ApplyMarketingObjection(&c, t.now) {
		return nil
	}
	old := rec.clear()
	rec.MarketingObjection, rec.UpdatedAt = c.MarketingObjection, t.now
	if err := t.putClear(&old, &rec); err != nil {
		return err
	}
	t.audit(gdpr.ActionContactObject, id.String(), "objection to direct marketing recorded by "+req.String()+" (Art. 21(3)): no marketing from now on", nil, 0)
	return nil
}

// requestsByContact maps each contact to its requests as stored (the clear
// facts and key slot), read once per transaction: an erasure needs the
// person's open requests (the guards) and their key slots (to shred).
func (t *tx) requestsByContact() (map[gdpr.ContactID][]requestRec, error) {
	out := map[gdpr.ContactID][]requestRec{}
	err := t.eachRequest(func(rec requestRec) {
		if rec.Contact != 0 {
			out[rec.Contact] = append(out[rec.Contact], rec)
		}
	})
	return out, err
}

// erasureBlockers asks the rule book whether the contact may be erased
// now, against its open requests as this transaction sees them.
func erasureBlockers(c *gdpr.Contact, reqs []requestRec, opts AnonymizeOptions, now time.Time) []gdpr.ErasureBlocker {
	open := make([]gdpr.Request, 0, len(reqs))
	for _, r := range reqs {
		open = append(open, r.Request)
	}
	var out []gdpr.ErasureBlocker
	for _, b := range gdpr.ErasureBlockers(c, open, opts.Request, now) {
		if b.Kind == gdpr.BlockHold && opts.KeepHeld {
			continue // this erasure keeps the held fields
		}
		out = append(out, b)
	}
	return out
}

// ErasureBlockers says, without changing anything, why the contact could
// not be erased now with these options: the screens and the command line
// show it before asking for confirmation. The erasure itself asks again
// in its transaction.
func (s *Store) ErasureBlockers(id gdpr.ContactID, opts AnonymizeOptions) ([]gdpr.ErasureBlocker, error) {
	var out []gdpr.ErasureBlocker
	err := s.view(func(txn *badger.Txn) error {
		rec, err := readContactRec(txn, id)
		if err != nil {
			return err
		}
		c := rec.clear() // status, hold and id are clear fields
		var reqs []requestRec
		err = eachRequestIn(txn, func(r requestRec) {
			if r.Contact == id {
				reqs = append(reqs, r)
			}
		})
		if err != nil {
			return err
		}
		if rec.Status == gdpr.ContactHeld && c.Hold.InForce(s.now()) {
			out = append(out, gdpr.ErasureBlocker{Kind: gdpr.BlockHold, Reason: "it is " + c.HeldLabel() + " (Art. 17(3)(b))"})
			return nil
		}
		out = erasureBlockers(&c, reqs, opts, s.now())
		return nil
	})
	return out, err
}
