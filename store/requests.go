package store

import (
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/dgraph-io/badger/v4"
	"github.com/gdprdesk/gdprdesk/gdpr"
)

// requestRec is a request as stored. The free-text fields (the sender's
// address when no contact matched, notes, outcome, how identity was checked,
// the extension reason) may identify the person, so they are sealed under
// the request's own data key.
type requestRec struct {
	gdpr.Request
	Slot   Slot   `json:"slot"`
	Sealed []byte `json:"sealed,omitempty"`
}

type requestPersonal struct {
	SubjectEmail string `json:"em,omitempty"`
	Note         string `json:"no,omitempty"`
	Outcome      string `json:"ou,omitempty"`
	VerifyHow    string `json:"vh,omitempty"`
	ExtReason    string `json:"er,omitempty"`
}

func requestAAD(id gdpr.RequestID) []byte { return join([]byte("request"), u64(uint64(id))) }

func (s *Store) sealRequest(r gdpr.Request, slot Slot) (requestRec, error) {
	p := requestPersonal{SubjectEmail: r.SubjectEmail, Note: r.Note, Outcome: r.Outcome}
	if r.Verified != nil {
		v := *r.Verified
		p.VerifyHow, v.How = v.How, ""
		r.Verified = &v
	}
	if r.Extension != nil {
		e := *r.Extension
		p.ExtReason, e.Reason = e.Reason, ""
		r.Extension = &e
	}
	r.SubjectEmail, r.Note, r.Outcome = "", "", ""
	rec := requestRec{Request: r, Slot: slot}
	var err error
	rec.Sealed, err = s.sealJSON(slot, p, requestAAD(r.ID))
	return rec, err
}

func (s *Store) unsealRequest(rec requestRec) (gdpr.Request, error) {
	r := rec.Request
	if len(rec.Sealed) == 0 {
		return r, nil
	}
	key, err := s.keys.key(rec.Slot)
	if errors.Is(err, errKeyDestroyed) {
		return r, nil // the subject was erased; the request's facts remain
	}
	if err != nil {
		return r, err
	}
	pt, err := unseal(key, rec.Sealed, requestAAD(r.ID))
	if err != nil {
		return r, fmt.Errorf("request %s: %w", r.ID, err)
	}
	var p requestPersonal
	if err := json.Unmarshal(pt, &p); err != nil {
		return r, fmt.Errorf("decode request %s: %w", r.ID, err)
	}
	r.SubjectEmail, r.Note, r.Outcome = p.SubjectEmail, p.Note, p.Outcome
	if r.Verified != nil {
		v := *r.Verified
		v.How = p.VerifyHow
		r.Verified = &v
	}
	if r.Extension != nil {
		e := *r.Extension
		e.Reason = p.ExtReason
		r.Extension = &e
	}
	return r, nil
}

// AddRequest logs a data-subject request and returns its id. An email that
// matches a contact links the request to that contact.
func (s *Store) AddRequest(operator string, r gdpr.Request) (gdpr.RequestID, error) {
	if r.Contact == 0 && r.SubjectEmail != "" {
		email, err := gdpr.NormalizeEmail(r.SubjectEmail)
		if err != nil {
			return 0, err
		}
		r.SubjectEmail = email
		if c, err := s.ContactByEmail(email); err == nil {
			r.Contact, r.SubjectEmail = c.ID, ""
		} else if !errors.Is(err, ErrNotFound) {
			return 0, err
		}
	}
	if r.Received.IsZero() {
		r.Received = gdpr.Day(s.now())
	}
	if r.Status == "" {
		r.Status = gdpr.StatusNew
	}
	if r.Due.IsZero() {
		r.Due = gdpr.DueDate(r.Received, nil)
	}
	if err := r.ValidateAt(s.now()); err != nil {
		return 0, err
	}
	var id gdpr.RequestID
	err := s.write(operator, func(t *tx) error {
		if r.Contact != 0 {
			if _, err := t.getContactRec(r.Contact); err != nil {
				return err
			}
		}
		r.CreatedAt = t.now
		var err error
		if id, err = t.addRequest(r); err != nil {
			return err
		}
		subject := "unmatched sender"
		if r.Contact != 0 {
			subject = r.Contact.String()
		}
		kind := string(r.Type)
		if r.Scope != "" {
			kind += " (" + string(r.Scope) + ")"
		}
		t.audit(gdpr.ActionRequestAdd, id.String(), fmt.Sprintf("%s request via %s from %s, due %s", kind, r.Channel, subject, r.Due.Format(time.DateOnly)), nil, 0)
		if r.ObjectsToMarketing() && r.Contact != 0 {
			// Art. 21(3): the objection takes effect when it is received.
			return t.objectToMarketing(r.Contact, id)
		}
		return nil
	})
	return id, err
}

// addRequest stores a new request under the next id, with a data key of
// its own for its personal part.
func (t *tx) addRequest(r gdpr.Request) (gdpr.RequestID, error) {
	n, err := t.nextSeq(keyRequestSeq)
	if err != nil {
		return 0, err
	}
	r.ID = gdpr.RequestID(n)
	slots, err := t.s.keys.newKeys(1)
	if err != nil {
		return 0, err
	}
	t.newKeys = true
	return r.ID, t.putRequest(nil, r, slots[0])
}

// putRequest stores a request and moves its due-index entry and counters.
// A change may not replace or remove the package recorded as a closed
// request's answer (gdpr.Request.CanChangeLink), whatever asked for it.
func (t *tx) putRequest(old *gdpr.Request, r gdpr.Request, slot Slot) error {
	if old != nil {
		if err := old.CanChangeLink(r); err != nil {
			return err
		}
	}
	if _, err := t.s.keys.key(slot); errors.Is(err, errKeyDestroyed) {
		// The person was erased with the request's key; what is written
		// now (an outcome, a reason) is sealed under a key of its own.
		slots, err := t.s.keys.newKeys(1)
		if err != nil {
			return err
		}
		slot, t.newKeys = slots[0], true
	}
	rec, err := t.s.sealRequest(r, slot)
	if err != nil {
		return err
	}
	if old != nil && old.Status.Open() {
		if err := t.del(dueKey(old.Due, old.Type, old.ID)); err != nil {
			return err
		}
	}
	if r.Status.Open() {
		if err := t.set(dueKey(r.Due, r.Type, r.ID), nil); err != nil {
			return err
		}
	}
	var before []string
	if old != nil {
		before = requestContributions(old)
	}
	t.countAll(before, requestContributions(&r))
	return t.setJSON(requestKey(r.ID), rec)
}

func decodeRequest(b []byte) (requestRec, error) {
	var rec requestRec
	if err := json.Unmarshal(b, &rec); err != nil {
		return rec, fmt.Errorf("decode request: %w", err)
	}
	return rec, nil
}

func readRequestRec(txn *badger.Txn, id gdpr.RequestID) (requestRec, error) {
	var rec requestRec
	b, err := getValue(txn, requestKey(id))
	if errors.Is(err, ErrNotFound) {
		return rec, fmt.Errorf("request %s: %w", id, ErrNotFound)
	}
	if err != nil {
		return rec, err
	}
	if err := json.Unmarshal(b, &rec); err != nil {
		return rec, fmt.Errorf("decode request %s: %w", id, err)
	}
	return rec, nil
}

// Request returns one request.
func (s *Store) Request(id gdpr.RequestID) (gdpr.Request, error) {
	var r gdpr.Request
	err := s.view(func(txn *badger.Txn) error {
		rec, err := readRequestRec(txn, id)
		if err != nil {
			return err
		}
		r, err = s.unsealRequest(rec)
		return err
	})
	return r, err
}

// RequestFilter selects requests; zero fields select all.
type RequestFilter struct {
	Status  gdpr.RequestStatus
	Type    gdpr.RequestType
	Overdue bool
	Contact gdpr.ContactID
}

// Requests lists requests, soonest due first (open before closed at the
// same date). Requests are few next to contacts (a business sees tens or
// hundreds), so they are read whole and sorted.
func (s *Store) Requests(f RequestFilter) ([]gdpr.Request, error) {
	var out []gdpr.Request
	now := s.now()
	err := s.view(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{Prefix: prefixRequest, PrefetchValues: true, PrefetchSize: 100})
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			var rec requestRec
			if err := it.Item().Value(func(v []byte) error { return json.Unmarshal(v, &rec) }); err != nil {
				return fmt.Errorf("decode request: %w", err)
			}
			r := rec.Request
			if (f.Status != "" && r.Status != f.Status) || (f.Type != "" && r.Type != f.Type) ||
				(f.Overdue && !r.Overdue(now)) || (f.Contact != 0 && r.Contact != f.Contact) {
				continue
			}
			full, err := s.unsealRequest(rec)
			if err != nil {
				return err
			}
			out = append(out, full)
		}
		return nil
	})
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Status.Open() != b.Status.Open() {
			return a.Status.Open()
		}
		if !a.Due.Equal(b.Due) {
			return a.Due.Before(b.Due)
		}
		return a.ID < b.ID
	})
	return out, err
}

// UpdateRequest changes a request through fn (which should use the domain's
// Move and Extend so illegal transitions are refused) and audits it with
// the given action and non-personal detail.
func (s *Store) UpdateRequest(operator string, id gdpr.RequestID, action gdpr.Action, detail string, fn func(r *gdpr.Request) error) error {
	return s.write(operator, func(t *tx) error {
		rec, err := readRequestRec(t.txn, id)
		if err != nil {
			return err
		}
		return t.updateRequest(rec, action, detail, fn)
	})
}

// updateRequest is UpdateRequest inside a transaction. A request whose
// person was erased reads with its personal part empty, and is written
// under a key of its own (putRequest): it can still be answered.
func (t *tx) updateRequest(rec requestRec, action gdpr.Action, detail string, fn func(r *gdpr.Request) error) error {
	old, err := t.s.unsealRequest(rec)
	if err != nil {
		return err
	}
	r := old
	r.Notifications = append([]gdpr.Notification(nil), old.Notifications...)
	if err := fn(&r); err != nil {
		return err
	}
	r.ID, r.Type, r.Scope, r.CreatedAt = old.ID, old.Type, old.Scope, old.CreatedAt
	if err := t.putRequest(&old, r, rec.Slot); err != nil {
		return err
	}
	t.audit(action, r.ID.String(), detail, nil, 0)
	return nil
}

// CloseRequest completes a request. A denial needs a named ground
// (DenyRequest); CloseRequest refuses one without it, and refuses any
// denial of an objection to marketing (Art. 21(3)).
func (s *Store) CloseRequest(operator string, id gdpr.RequestID, outcome gdpr.RequestStatus, note string) error {
	if outcome != gdpr.StatusCompleted && outcome != gdpr.StatusDenied {
		return fmt.Errorf("outcome %q: use completed or denied", outcome)
	}
	if outcome == gdpr.StatusDenied {
		r, err := s.Request(id)
		if err != nil {
			return err
		}
		if err := gdpr.CheckDenial(r, "", note, nil); err != nil {
			return err
		}
	}
	if outcome == gdpr.StatusCompleted {
		// A completion says the request's effect was had: the contact is
		// read in the same transaction and gdpr.CompletionDone decides.
		return s.write(operator, func(t *tx) error {
			rec, err := readRequestRec(t.txn, id)
			if err != nil {
				return err
			}
			var c *gdpr.Contact
			if rec.Contact != 0 {
				cr, err := t.getContactRec(rec.Contact)
				if err != nil {
					return err
				}
				cl := cr.clear() // status, bases, objection and hold are clear fields
				c = &cl
			}
			if rec.Status.Open() {
				if err := gdpr.CompletionDone(rec.Request, c); err != nil {
					return err
				}
			}
			return t.updateRequest(rec, gdpr.ActionRequestClose, "closed as "+string(outcome), func(r *gdpr.Request) error {
				return r.Move(outcome, note, t.now)
			})
		})
	}
	return s.UpdateRequest(operator, id, gdpr.ActionRequestClose, "closed as "+string(outcome), func(r *gdpr.Request) error {
		return r.Move(outcome, note, s.now())
	})
}
