package gdpr

import (
	"testing"
	"time"
)

// TestRestrictAndLift: Art. 18(1) restricts; Art. 18(3) — lifting needs
// the date the person was told, not in the future and not before the
// restriction; a marketing objection survives the lifting (Art. 21(3)).
func TestRestrictAndLift(t *testing.T) {
	restricted := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	now := time.Date(2026, 3, 10, 9, 0, 0, 0, time.UTC)
	cases := []struct {
		name string
		told time.Time
		want string
	}{
		{"told today", now, ""},
		{"told the day it was restricted", restricted.Add(-time.Hour), ""},
		{"no date", time.Time{}, "date the person was told"},
		{"told tomorrow", now.AddDate(0, 0, 1), "after today"},
		{"told before the restriction", restricted.AddDate(0, 0, -1), "before the restriction"},
	}
	for _, c := range cases {
		k := Contact{ID: 7, Status: ContactActive, MarketingObjection: restricted.AddDate(0, 0, -5)}
		if err := Restrict(&k, "accuracy contested", restricted); err != nil {
			t.Fatal(err)
		}
		if k.Status != ContactRestricted || !k.RestrictedAt.Equal(restricted) || k.MarketingClass() != MarketingNo {
			t.Fatalf("restricted contact: %+v", k)
		}
		err := LiftRestriction(&k, c.told, now)
		checkErr(t, c.name+": LiftRestriction", err, c.want)
		if err == nil && (k.Status != ContactActive || k.MarketingObjection.IsZero() || k.MarketingClass() != MarketingNo) {
			t.Errorf("%s: after lifting status %s, objection %v, class %s: the objection must stay", c.name, k.Status, k.MarketingObjection, k.MarketingClass())
		}
		if err != nil && k.Status != ContactRestricted {
			t.Errorf("%s: a refused lifting changed the status to %s", c.name, k.Status)
		}
	}
	for _, st := range []ContactStatus{ContactRestricted, ContactAnonymized, ContactHeld} {
		k := Contact{ID: 8, Status: st}
		if err := Restrict(&k, "x", now); err == nil {
			t.Errorf("restricting a %s contact was accepted", st)
		}
	}
	k := Contact{ID: 9, Status: ContactActive}
	checkErr(t, "lifting an active contact", LiftRestriction(&k, now, now), "not restricted")
}
