package gdpr

import (
	"testing"
	"time"
)

// TestRetentionLapsedArt5_1e: the retention schedule (storage limitation,
// Art. 5(1)(e); erasure once the data is no longer needed or consent is
// withdrawn, Art. 17(1)(a)–(b)) lists a person only when every purpose
// that concerns them has lapsed, each from its own anchor; any purpose
// still running, or one without a retention rule, keeps the person.
func TestRetentionLapsedArt5_1e(t *testing.T) {
	now := date(2026, 12, 1)
	webinar := Purpose{Name: "webinar", Basis: BasisConsent, RetentionDays: 183}
	newsletter := Purpose{Name: "newsletter", Basis: BasisConsent, Marketing: true} // no rule: until unsubscribed
	orders := Purpose{Name: "orders", Basis: BasisContract, RetentionDays: 730}
	support := Purpose{Name: "support", Basis: BasisLegitimateInterests} // no rule
	register := []Purpose{webinar, newsletter, orders, support}

	grant := func(p string, at time.Time) ConsentRecord { return ConsentRecord{Purpose: p, Granted: true, At: at} }
	withdraw := func(p string, at time.Time) ConsentRecord { return ConsentRecord{Purpose: p, At: at} }
	basis := func(b Basis, p string, at time.Time) BasisAssignment {
		return BasisAssignment{Basis: b, Purpose: p, At: at}
	}
	for _, tt := range []struct {
		name  string
		c     Contact
		want  []string // lapsed purposes, nil: kept
		since time.Time
	}{
		{"webinar older than 6 months", Contact{Status: ContactActive, Consents: []ConsentRecord{grant("webinar", date(2026, 1, 10))},
			Bases: []BasisAssignment{basis(BasisConsent, "webinar", date(2026, 1, 10))}}, []string{"webinar"}, date(2026, 7, 12)},
		{"webinar within 6 months", Contact{Status: ContactActive, Consents: []ConsentRecord{grant("webinar", date(2026, 9, 1))}}, nil, time.Time{}},
		{"newsletter consent standing, no rule", Contact{Status: ContactActive, Consents: []ConsentRecord{grant("newsletter", date(2020, 1, 1))}}, nil, time.Time{}},
		{"newsletter withdrawn, no rule: lapses at withdrawal", Contact{Status: ContactActive,
			Consents: []ConsentRecord{grant("newsletter", date(2020, 1, 1)), withdraw("newsletter", date(2025, 5, 5))}}, []string{"newsletter"}, date(2025, 5, 5)},
		{"order older than 2 years", Contact{Status: ContactActive, Bases: []BasisAssignment{basis(BasisContract, "", date(2024, 1, 1))}}, []string{"orders"}, date(2025, 12, 31)}, // 730 days, 2024 a leap year
		{"a newer order restarts the clock", Contact{Status: ContactActive, Bases: []BasisAssignment{basis(BasisContract, "", date(2022, 1, 1)), basis(BasisContract, "orders", date(2025, 6, 1))}}, nil, time.Time{}},
		{"lapsed order but standing newsletter: kept", Contact{Status: ContactActive, Bases: []BasisAssignment{basis(BasisContract, "", date(2020, 1, 1))},
			Consents: []ConsentRecord{grant("newsletter", date(2020, 1, 1))}}, nil, time.Time{}},
		{"lapsed webinar and lapsed order: both listed", Contact{Status: ContactActive, Bases: []BasisAssignment{basis(BasisContract, "", date(2020, 1, 1))},
			Consents: []ConsentRecord{grant("webinar", date(2025, 1, 1))}}, []string{"webinar", "orders"}, date(2025, 7, 3)},
		{"legitimate interests without a rule: kept", Contact{Status: ContactActive, Bases: []BasisAssignment{basis(BasisLegitimateInterests, "", date(2019, 1, 1))}}, nil, time.Time{}},
		{"a basis no purpose covers: kept", Contact{Status: ContactActive, Bases: []BasisAssignment{basis(BasisVitalInterests, "", date(2019, 1, 1))}}, nil, time.Time{}},
		{"no basis at all: the other sweep's", Contact{Status: ContactActive, CreatedAt: date(2019, 1, 1)}, nil, time.Time{}},
		{"restricted is still listed (the sweep skips it)", Contact{Status: ContactRestricted, Consents: []ConsentRecord{grant("webinar", date(2025, 1, 1))}}, []string{"webinar"}, date(2025, 7, 3)},
		{"anonymized never", Contact{Status: ContactAnonymized, Consents: []ConsentRecord{grant("webinar", date(2025, 1, 1))}}, nil, time.Time{}},
		{"held records never", Contact{Status: ContactHeld, Consents: []ConsentRecord{grant("webinar", date(2025, 1, 1))}}, nil, time.Time{}},
	} {
		got := RetentionLapsed(&tt.c, register, now)
		var names []string
		for _, l := range got {
			names = append(names, l.Purpose)
		}
		if len(names) != len(tt.want) {
			t.Errorf("%s: lapsed %v, want %v", tt.name, names, tt.want)
			continue
		}
		for i := range names {
			if names[i] != tt.want[i] {
				t.Errorf("%s: lapsed %v, want %v", tt.name, names, tt.want)
			}
		}
		if len(got) > 0 && !got[0].Since.Equal(tt.since) {
			t.Errorf("%s: %s lapsed since %s, want %s", tt.name, got[0].Purpose, got[0].Since, tt.since)
		}
	}
	// On the day it lapses, it has lapsed.
	c := Contact{Status: ContactActive, Consents: []ConsentRecord{grant("webinar", date(2026, 1, 10))}}
	if got := RetentionLapsed(&c, register, date(2026, 7, 12)); len(got) != 1 {
		t.Errorf("on the day of lapse: %v, want lapsed", got)
	}
	if got := RetentionLapsed(&c, register, date(2026, 7, 11)); got != nil {
		t.Errorf("the day before: %v, want kept", got)
	}
}

// TestRetentionKeepsAnUncoveredGroundArt5_1e: storage limitation (Art.
// 5(1)(e)) erases only what is no longer needed; a basis or a standing
// consent that no purpose of the register covers has no rule, so a lapsed
// purpose elsewhere does not list the person (Art. 6(1)(d): a
// vital-interests basis recorded today still stands).
func TestRetentionKeepsAnUncoveredGroundArt5_1e(t *testing.T) {
	now := date(2026, 12, 1)
	webinar := Purpose{Name: "webinar", Basis: BasisConsent, RetentionDays: 183}
	orders := Purpose{Name: "orders", Basis: BasisContract, RetentionDays: 730}
	register := []Purpose{webinar, orders}
	lapsedWebinar := []ConsentRecord{{Purpose: "webinar", Granted: true, At: date(2025, 1, 1)}}
	for _, tt := range []struct {
		name string
		c    Contact
		kept bool
	}{
		{"vital interests recorded today", Contact{Status: ContactActive, Consents: lapsedWebinar,
			Bases: []BasisAssignment{{Basis: BasisVitalInterests, At: now}}}, true},
		{"contract for a purpose the register lacks", Contact{Status: ContactActive, Consents: lapsedWebinar,
			Bases: []BasisAssignment{{Basis: BasisContract, Purpose: "repairs", At: date(2019, 1, 1)}}}, true},
		{"standing consent to a purpose the register lacks", Contact{Status: ContactActive,
			Consents: append([]ConsentRecord{{Purpose: "raffle", Granted: true, At: date(2019, 1, 1)}}, lapsedWebinar...)}, true},
		{"every ground covered and lapsed", Contact{Status: ContactActive, Consents: lapsedWebinar,
			Bases: []BasisAssignment{{Basis: BasisContract, At: date(2020, 1, 1)}}}, false},
	} {
		got := RetentionLapsed(&tt.c, register, now)
		if kept := got == nil; kept != tt.kept {
			t.Errorf("%s: lapsed %v, kept %v, want kept %v", tt.name, got, kept, tt.kept)
		}
	}
}
