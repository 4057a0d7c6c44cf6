package gdpr

import (
	"fmt"
	"time"
)

// The dates the product stores: from 1900-01-01 to 2199-12-31 (UTC). The
// record codec keeps a time as int64 nanoseconds since 1970, which reaches
// only from 1677-09-21 to 2262-04-11 and wraps beyond (2300-01-01 came back
// as 1715-06-13); the product's range lies well inside it and covers every
// real date of a customer list: birth years, old CRM exports, and holds and
// retention periods of a few decades. A date outside it is refused with this
// rule at every entry point (import row, command-line flag, store write),
// never wrapped or clamped.
const (
	MinStorableYear = 1900
	MaxStorableYear = 2199
)

// StorableDateRange returns the first and the last instant the product
// stores (SPEC §8).
func StorableDateRange() (first, last time.Time) {
	return time.Date(MinStorableYear, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(MaxStorableYear+1, 1, 1, 0, 0, 0, 0, time.UTC).Add(-time.Nanosecond)
}

// CheckStorableDate refuses a date outside StorableDateRange, naming what
// it is (e.g. "created_at") and the range. The zero time means "no date"
// and passes.
func CheckStorableDate(what string, t time.Time) error {
	if t.IsZero() {
		return nil
	}
	first, last := StorableDateRange()
	if t.Before(first) || t.After(last) {
		return fmt.Errorf("%s %s is out of range (%s … %s): give a date between them",
			what, t.UTC().Format(time.DateOnly), first.Format(time.DateOnly), last.Format(time.DateOnly))
	}
	return nil
}

// CheckDates checks every date a contact record carries against
// CheckStorableDate: when it was created and changed, and the times of its
// bases, consent records, objection, restriction and hold.
func (c *Contact) CheckDates() error {
	type dated struct {
		what string
		t    time.Time
	}
	checks := []dated{{"created_at", c.CreatedAt}, {"updated_at", c.UpdatedAt},
		{"marketing objection", c.MarketingObjection}, {"restriction", c.RestrictedAt}}
	for _, b := range c.Bases {
		checks = append(checks, dated{"time of basis " + string(b.Basis), b.At})
	}
	for _, r := range c.Consents {
		checks = append(checks, dated{"time of the consent record for " + r.Purpose, r.At})
	}
	if c.Hold != nil {
		checks = append(checks, dated{"legal hold end", c.Hold.Until}, dated{"legal hold time", c.Hold.At})
	}
	for _, ch := range checks {
		if err := CheckStorableDate(ch.what, ch.t); err != nil {
			return err
		}
	}
	return nil
}
