package gdpr

import (
	"strings"
	"testing"
	"time"
	_ "time/tzdata" // the zones, whatever the machine has installed
)

// The time-zone setting takes IANA names; an empty one is the machine's
// zone; anything else is refused with an example of a good name.
func TestParseTimeZone(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"Europe/Berlin", "Europe/Berlin"},
		{" Asia/Tokyo ", "Asia/Tokyo"},
		{"UTC", "UTC"},
		{"", ""},
	} {
		got, err := ParseTimeZone(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("ParseTimeZone(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
	for _, bad := range []string{"Mars/Olympus", "Local", "CET+1", "../../etc/passwd"} {
		if _, err := ParseTimeZone(bad); err == nil || !strings.Contains(err.Error(), "IANA time zone name (e.g. Europe/Berlin") {
			t.Errorf("ParseTimeZone(%q) = %v, want a refusal naming an example", bad, err)
		}
	}
}

// Times show in the setting's zone, or the machine's when it is unset.
func TestSettingsLocation(t *testing.T) {
	local := time.FixedZone("HERE", 3600)
	if got := (Settings{}).Location(local); got != local {
		t.Errorf("unset zone = %v, want the machine's", got)
	}
	at := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	if got := at.In((Settings{TimeZone: "Asia/Tokyo"}).Location(local)).Format("2006-01-02 15:04"); got != "2026-12-01 09:00" {
		t.Errorf("Asia/Tokyo shows %s, want 2026-12-01 09:00", got)
	}
}
