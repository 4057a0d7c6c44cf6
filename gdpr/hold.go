package gdpr

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Hold is a legal retention hold (Art. 17(3)(b)): the law makes the
// business keep some of a person's data — an invoice's name and address for
// ten years of tax law — so an erasure takes everything else at once and
// these fields only when the hold ends.
type Hold struct {
	Reason string    `json:"reason"`       // e.g. "invoices: 10 years, tax law (§147 AO)"
	Until  time.Time `json:"until"`        // a date: the hold ends at its start
	Keep   []string  `json:"keep"`         // the fields kept (HoldFields)
	At     time.Time `json:"at,omitzero"`  // when it was placed
	By     string    `json:"by,omitempty"` // who placed it
}

// HoldFields are the contact fields a hold can keep, by the names the
// command line uses (hold --keep).
func HoldFields() []string {
	return []string{"first_name", "last_name", "company", "street", "city", "region", "postal_code", "email", "phone", "notes", "custom"}
}

// DefaultHoldKeep is what an invoice needs: the name, the postal address
// and the company (SPEC §9).
func DefaultHoldKeep() []string {
	return []string{"first_name", "last_name", "company", "street", "city", "region", "postal_code"}
}

// InForce reports whether the hold still holds at now.
func (h *Hold) InForce(now time.Time) bool { return h != nil && now.Before(h.Until) }

// Validate checks a hold before it is placed.
func (h Hold) Validate(now time.Time) error {
	if strings.TrimSpace(h.Reason) == "" {
		return errors.New("a hold needs a reason (e.g. \"invoices: 10 years, tax law\")")
	}
	if err := checkField("hold reason", h.Reason, MaxFieldLen); err != nil {
		return err
	}
	if err := CheckStorableDate("a hold's end", h.Until); err != nil {
		return err
	}
	if !h.Until.After(now) {
		return fmt.Errorf("a hold's end (%s) must be after today", h.Until.Format(time.DateOnly))
	}
	if len(h.Keep) == 0 {
		return errors.New("a hold keeps at least one field")
	}
	for _, f := range h.Keep {
		if !slices.Contains(HoldFields(), f) {
			return fmt.Errorf("a hold cannot keep %q: use %s", f, strings.Join(HoldFields(), ", "))
		}
	}
	return nil
}
