package demo

import (
	"fmt"
	"time"

	"github.com/gdprdesk/gdprdesk/gdpr"
	"github.com/gdprdesk/gdprdesk/store"
)

// fillBreaches records the demo's breach register (SPEC §10, Art. 33–34),
// relative to now: one breach with a risk, notified to the authority well
// within its 72 hours, and one without risk, documented with the reason it
// was not notified. Both are documented, so breaches-documented is done
// and the dashboard shows no urgent breach.
func fillBreaches(s *store.Store, op string, now time.Time) error {
	day := func(d int) time.Time { return now.UTC().Truncate(time.Hour).AddDate(0, 0, -d) }
	misdirected := gdpr.Breach{
		AwareAt:          day(41).Add(-15 * time.Hour),
		What:             "A newsletter was sent with every recipient's address visible (CC instead of BCC).",
		PeopleCategories: []string{"newsletter subscribers"}, DataCategories: []string{"contact details"},
		People: 214, Records: 214,
		Consequences: "Subscribers' email addresses disclosed to each other; possible unwanted contact or spam.",
		Measures:     "Recall requested, apology sent, newsletter tool set to send one message per recipient; staff briefed.",
		Risk:         gdpr.RiskSome,
	}
	laptop := gdpr.Breach{
		AwareAt:          day(17).Add(-10 * time.Hour),
		What:             "A sales laptop was stolen from a parked car; it held the customer spreadsheet.",
		PeopleCategories: []string{"customers"}, DataCategories: []string{"identity", "contact details", "postal address"},
		People: 60, Records: 60,
		Consequences: "None expected: the disk is fully encrypted and the key was not with the laptop.",
		Measures:     "Remote wipe requested, account passwords changed, theft reported to the police.",
		Risk:         gdpr.RiskNone,
	}
	id, err := s.AddBreach(op, misdirected)
	if err != nil {
		return fmt.Errorf("demo breaches: %w", err)
	}
	told := misdirected.AwareAt.Add(26 * time.Hour)
	err = s.UpdateBreach(op, id, gdpr.ActionBreachNotify, "authority told at "+told.Format(time.RFC3339), func(b *gdpr.Breach) error {
		if err := gdpr.ValidateNotify(*b, told, ""); err != nil {
			return err
		}
		b.NotifiedAt, b.NotifyRef = told, "DSB-2026-0412"
		return nil
	})
	if err != nil {
		return fmt.Errorf("demo breaches: %w", err)
	}
	if id, err = s.AddBreach(op, laptop); err != nil {
		return fmt.Errorf("demo breaches: %w", err)
	}
	reason := "Full-disk encryption (AES-256) with the key kept apart: the data is unintelligible to anyone without it."
	err = s.UpdateBreach(op, id, gdpr.ActionBreachNotify, "not notified: no risk (reason recorded)", func(b *gdpr.Breach) error {
		if err := gdpr.ValidateNoNotify(*b, reason); err != nil {
			return err
		}
		b.NoNotifyReason = reason
		return nil
	})
	if err != nil {
		return fmt.Errorf("demo breaches: %w", err)
	}
	return nil
}
