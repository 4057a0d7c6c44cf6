package ui

import (
	"time"

	"charm.land/huh/v2"
	"github.com/gdprdesk/gdprdesk/gdpr"
)

// receivedField asks the day a request was received (today unless the
// owner says otherwise): the deadline counts from it (Art. 12(3)), so a
// bad or future date is said on the field (gdpr.ParseReceived).
func receivedField(received *string, now func() time.Time) huh.Field {
	*received = gdpr.Day(now()).Format(time.DateOnly)
	return huh.NewInput().Title("Received").Description("YYYY-MM-DD; the one-month deadline runs from this day").
		Value(received).Validate(func(v string) error {
		_, err := gdpr.ParseReceived(v, now())
		return err
	})
}

// closeConfirm is the last question before a request is completed or
// denied: closing is final, so y acts and n (or enter on the default)
// keeps the request open.
func closeConfirm(title, verb string, sure *bool) huh.Field {
	return huh.NewConfirm().Title(title).Description("y: " + verb + ", n: keep it open").
		Affirmative(verb).Negative("Keep open").Value(sure)
}
