package gdpr

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// Restrict marks processing of the contact as restricted (Art. 18(1)): the
// data is stored only — never marketed, swept, anonymized or exported for
// use — until the restriction is lifted. The reason (the owner's words,
// sealed with the personal data) says which case of Art. 18(1) applies;
// the command line and the screens ask for it, and a restriction the
// person asked for is recorded even when nobody wrote one.
func Restrict(c *Contact, reason string, at time.Time) error {
	reason = strings.TrimSpace(reason)
	if err := checkField("restriction reason", reason, MaxFieldLen); err != nil {
		return err
	}
	switch c.Status {
	case ContactRestricted:
		return fmt.Errorf("contact %s is already restricted", c.ID)
	case ContactAnonymized, ContactHeld:
		return fmt.Errorf("contact %s is %s: nothing is processed to restrict", c.ID, c.Status)
	}
	c.Status, c.RestrictedAt, c.RestrictionReason = ContactRestricted, at.UTC(), reason
	return nil
}

// LiftRestriction ends a restriction. The person must be told before it is
// lifted (Art. 18(3)), so it needs the date they were told: not in the
// future, and not before the restriction began. A marketing objection on
// file stays (Art. 21(3)): lifting a restriction never makes a person who
// objected marketable again.
func LiftRestriction(c *Contact, told, now time.Time) error {
	if c.Status != ContactRestricted {
		return fmt.Errorf("contact %s is %s, not restricted", c.ID, c.Status)
	}
	if told.IsZero() {
		return errors.New("lifting a restriction needs the date the person was told (Art. 18(3)): they must be told before it is lifted")
	}
	if Day(told).After(Day(now)) {
		return fmt.Errorf("the person cannot have been told on %s, after today (Art. 18(3))", told.Format(time.DateOnly))
	}
	if !c.RestrictedAt.IsZero() && Day(told).Before(Day(c.RestrictedAt)) {
		return fmt.Errorf("the person was told on %s, before the restriction of %s: tell them of the lifting (Art. 18(3))",
			told.Format(time.DateOnly), c.RestrictedAt.Format(time.DateOnly))
	}
	c.Status, c.RestrictedAt, c.RestrictionReason = ContactActive, time.Time{}, ""
	return nil
}
