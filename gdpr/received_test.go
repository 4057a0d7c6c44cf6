package gdpr

import (
	"testing"
	"time"
)

// Art. 12(3): the deadline runs from the day received, which cannot be
// after today; empty means today.
func TestParseReceivedRefusesTheFutureAndBadDates(t *testing.T) {
	now := time.Date(2026, 12, 2, 15, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		in   string
		want string // "" = an error
	}{
		{"", "2026-12-02"},
		{" 2026-12-02 ", "2026-12-02"},
		{"2026-11-15", "2026-11-15"},
		{"2026-12-03", ""},
		{"2026-13-01", ""},
		{"yesterday", ""},
	} {
		got, err := ParseReceived(tc.in, now)
		switch {
		case tc.want == "" && err == nil:
			t.Errorf("ParseReceived(%q) = %s, want an error", tc.in, got.Format(time.DateOnly))
		case tc.want != "" && (err != nil || got.Format(time.DateOnly) != tc.want):
			t.Errorf("ParseReceived(%q) = %s, %v; want %s", tc.in, got.Format(time.DateOnly), err, tc.want)
		}
	}
}
