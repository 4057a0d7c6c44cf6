package gdpr

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// ParseReceived reads the day a request was received (YYYY-MM-DD; empty
// is today). The one-month deadline runs from that day (Art. 12(3)), so a
// day after today is refused: it would push the deadline past what the
// law allows.
func ParseReceived(v string, now time.Time) (time.Time, error) {
	v = strings.TrimSpace(v)
	today := Day(now)
	if v == "" {
		return today, nil
	}
	day, err := time.Parse(time.DateOnly, v)
	if err != nil {
		return time.Time{}, fmt.Errorf("received %q: use YYYY-MM-DD, e.g. %s", v, today.Format(time.DateOnly))
	}
	day = Day(day)
	if day.After(today) {
		return time.Time{}, errors.New("received " + v + " is in the future: the deadline runs from the day the request arrived (Art. 12(3))")
	}
	if err := CheckStorableDate("received", day); err != nil {
		return time.Time{}, err
	}
	return day, nil
}
