package store

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/dgraph-io/badger/v4"
	"github.com/gdprdesk/gdprdesk/gdpr"
)

// The registers of SPEC §10 the rule book needs: purposes (records of
// processing, Art. 30) and recipients (Art. 28, Chapter V). Each entry is
// one JSON value; saving it audits the change.

// Purposes returns the purposes register, by name.
func (s *Store) Purposes() ([]gdpr.Purpose, error) {
	var out []gdpr.Purpose
	err := s.eachJSON(prefixPurpose, func(b []byte) error {
		var p gdpr.Purpose
		if err := json.Unmarshal(b, &p); err != nil {
			return fmt.Errorf("decode purpose: %w", err)
		}
		out = append(out, p)
		return nil
	})
	return out, err
}

// Purpose returns one purpose by name (normalized).
func (s *Store) Purpose(name string) (gdpr.Purpose, error) {
	name = gdpr.NormalizePurposeName(name)
	var p gdpr.Purpose
	err := s.view(func(txn *badger.Txn) error {
		b, err := getValue(txn, purposeKey(name))
		if err != nil {
			return err
		}
		return json.Unmarshal(b, &p)
	})
	if errors.Is(err, ErrNotFound) {
		return p, fmt.Errorf("no purpose %q in the register (gdprdesk purpose list): %w", name, ErrNotFound)
	}
	return p, err
}

// SavePurpose adds a purpose or replaces the one of the same name. A
// purpose's marketing flag cannot change once consents name it: those
// people consented to the purpose as it was described (Art. 6(1)(a)).
func (s *Store) SavePurpose(operator string, p gdpr.Purpose) error {
	p.Name = gdpr.NormalizePurposeName(p.Name)
	if err := p.Validate(); err != nil {
		return err
	}
	return s.write(operator, func(t *tx) error {
		var old gdpr.Purpose
		err := t.getJSON(purposeKey(p.Name), &old)
		isNew := errors.Is(err, ErrNotFound)
		if err != nil && !isNew {
			return err
		}
		if !isNew && old.Marketing != p.Marketing {
			n, err := readCounter(t.txn, cntPrefixPurpose+p.Name)
			if err != nil {
				return err
			}
			if n > 0 {
				return fmt.Errorf("purpose %s: %s contact(s) hold consent to it as it was described, so whether it is marketing cannot change; add a new purpose instead", p.Name, gdpr.Thousands(n))
			}
		}
		p.UpdatedAt, p.UpdatedBy = t.now, t.operator
		weighed := balancingChanged(old.Balancing, p.Balancing)
		if weighed {
			if err := gdpr.BalancingAllowed(p); err != nil {
				return err
			}
			// A balancing test (Art. 6(1)(f)) is dated and signed by
			// whoever records it, unless it comes with its own date.
			b := *p.Balancing
			if b.At.IsZero() {
				b.At = t.now
			}
			if b.By == "" {
				b.By = t.operator
			}
			p.Balancing = &b
		}
		if err := t.setJSON(purposeKey(p.Name), p); err != nil {
			return err
		}
		detail := "changed"
		if isNew {
			detail = "added"
		}
		detail += ", basis " + string(p.Basis)
		if weighed {
			detail += "; balancing test recorded (Art. 6(1)(f))"
		}
		t.audit(gdpr.ActionPurposeSave, "purpose "+p.Name, detail, nil, 0)
		return nil
	})
}

// balancingChanged reports whether a purpose's balancing test is new or
// its words changed.
func balancingChanged(old, cur *gdpr.BalancingTest) bool {
	if cur == nil {
		return false
	}
	return old == nil || old.Interest != cur.Interest || old.Necessity != cur.Necessity ||
		old.Balance != cur.Balance || old.Outcome != cur.Outcome || old.Notes != cur.Notes
}

// Recipients returns the recipients register, by name.
func (s *Store) Recipients() ([]gdpr.Recipient, error) {
	var out []gdpr.Recipient
	err := s.eachJSON(prefixRecipient, func(b []byte) error {
		var r gdpr.Recipient
		if err := json.Unmarshal(b, &r); err != nil {
			return fmt.Errorf("decode recipient: %w", err)
		}
		out = append(out, r)
		return nil
	})
	return out, err
}

// SaveRecipient adds a recipient or replaces the one of the same name
// (case-insensitively). Every purpose it names must be in the register.
func (s *Store) SaveRecipient(operator string, r gdpr.Recipient) error {
	r.Name = strings.TrimSpace(r.Name)
	if err := r.Validate(); err != nil {
		return err
	}
	for i, p := range r.Purposes {
		r.Purposes[i] = gdpr.NormalizePurposeName(p)
	}
	slices.Sort(r.Purposes)
	r.Purposes = slices.Compact(r.Purposes)
	return s.write(operator, func(t *tx) error {
		// Its dates record what happened: none after today in the desk's
		// zone (gdpr.Recipient.CheckDates).
		var st gdpr.Settings
		if err := t.getJSON(keySettings, &st); err != nil && !errors.Is(err, ErrNotFound) {
			return err
		}
		if err := r.CheckDates(t.now.In(st.Location(time.Local))); err != nil {
			return err
		}
		for _, p := range r.Purposes {
			var x gdpr.Purpose
			if err := t.getJSON(purposeKey(p), &x); err != nil {
				if errors.Is(err, ErrNotFound) {
					return fmt.Errorf("recipient %s: no purpose %q in the register; add it first (gdprdesk purpose add)", r.Name, p)
				}
				return err
			}
		}
		err := t.getJSON(recipientKey(r.Name), &gdpr.Recipient{})
		isNew := errors.Is(err, ErrNotFound)
		if err != nil && !isNew {
			return err
		}
		if err := t.setJSON(recipientKey(r.Name), r); err != nil {
			return err
		}
		detail := "changed"
		if isNew {
			detail = "added"
		}
		t.audit(gdpr.ActionRecipientSave, "recipient "+r.Name, detail+", "+string(r.Role), nil, 0)
		return nil
	})
}

// DeleteRecipient removes a recipient from the register. Requests already
// closed keep their record of who was told.
func (s *Store) DeleteRecipient(operator, name string) error {
	return s.write(operator, func(t *tx) error {
		if err := t.getJSON(recipientKey(name), &gdpr.Recipient{}); err != nil {
			if errors.Is(err, ErrNotFound) {
				return fmt.Errorf("no recipient %q in the register: %w", name, ErrNotFound)
			}
			return err
		}
		if err := t.del(recipientKey(name)); err != nil {
			return err
		}
		t.audit(gdpr.ActionRecipientDelete, "recipient "+strings.TrimSpace(name), "", nil, 0)
		return nil
	})
}
