package ui

import (
	"strings"
	"testing"
	_ "time/tzdata" // Asia/Tokyo, whatever the machine has installed

	"github.com/gdprdesk/gdprdesk/store"
)

// setZone saves the timezone setting as `settings set timezone` does.
func setZone(t *testing.T, s *store.Store, zone string) {
	t.Helper()
	st, err := s.Settings()
	if err != nil {
		t.Fatal(err)
	}
	st.TimeZone = zone
	if err := s.SaveSettings("owner", st); err != nil {
		t.Fatal(err)
	}
}

// With the timezone setting at Asia/Tokyo, a contact's audit trail shows
// its times at +9 h: the demo's entries of 2026-11-29 10:00 UTC read
// 19:00, and the audit screen's time column says JST.
func TestSettingsTimeZoneShowsTimesInIt(t *testing.T) {
	s := openDemo(t, 50)
	setZone(t, s, "Asia/Tokyo")
	d := drive(t, newTestModel(s), 120, 40)
	d.keys("2", "down", "down", "enter")
	d.mustShow("Lawful bases", "2026-11-29 19:00")
	if strings.Contains(d.screen(), "2026-11-29 10:00") {
		t.Fatalf("the trail still shows UTC:\n%s", d.screen())
	}
	d.keys("esc", "6")
	d.mustShow("Time (JST)", "2026-11-29 19:00")
	d.keys("enter")
	d.mustShow("2026-11-29 19:00:00 JST")
	d.keys("esc")

	// Set back to the machine's zone (UTC in tests) in the settings screen:
	// the times follow at once.
	d.keys("5")
	d.selectRow("Time zone")
	d.mustShow("Asia/Tokyo")
	d.keys("enter", "ctrl+u", "enter")
	d.mustShow("Saved the time zone", "this machine's (UTC)")
	d.keys("6")
	d.mustShow("Time (UTC)", "2026-11-29 10:00")
}

// An unknown zone is refused in the form with a clear message, and
// nothing is saved.
func TestSettingsTimeZoneRefusesUnknown(t *testing.T) {
	s := openDemo(t, 50)
	d := openSettings(t, s)
	d.selectRow("Time zone")
	d.keys("enter")
	d.typeText("Mars/Olympus")
	d.keys("enter")
	d.mustShow(`timezone "Mars/Olympus" is not an IANA time zone name`)
	if got := readSettings(t, s).TimeZone; got != "" {
		t.Fatalf("saved %q", got)
	}
	d.keys("ctrl+u")
	d.typeText("Europe/Berlin")
	d.keys("enter")
	d.mustShow("Saved the time zone")
	if got := readSettings(t, s).TimeZone; got != "Europe/Berlin" {
		t.Fatalf("saved %q, want Europe/Berlin", got)
	}
}
