package gdpr

import (
	"testing"
	"time"
)

// date is a calendar day as the deadline functions use it: UTC midnight.
func date(y int, m time.Month, d int) time.Time {
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// holidaySet is a public-holiday calendar of the given days.
func holidaySet(days ...time.Time) Holidays {
	set := make(map[time.Time]bool, len(days))
	for _, d := range days {
		set[d] = true
	}
	return func(day time.Time) bool { return set[day] }
}

// TestDay checks that deadlines work on calendar dates: the time of day is
// dropped and the date is the one of the clock that received the request.
func TestDay(t *testing.T) {
	plus2 := time.FixedZone("UTC+2", 2*60*60)
	tests := []struct {
		name string
		in   time.Time
		want time.Time
	}{
		{"midnight", date(2026, 3, 10), date(2026, 3, 10)},
		{"late evening UTC", time.Date(2026, 3, 10, 23, 59, 59, 999, time.UTC), date(2026, 3, 10)},
		{"local date kept", time.Date(2026, 3, 11, 0, 30, 0, 0, plus2), date(2026, 3, 11)},
	}
	for _, tt := range tests {
		got := Day(tt.in)
		if !got.Equal(tt.want) || got.Location() != time.UTC {
			t.Errorf("%s: Day(%v) = %v, want %v (UTC)", tt.name, tt.in, got, tt.want)
		}
	}
}

// TestDueDate checks the one-month deadline of Art. 12(3), counted as
// Regulation (EEC, Euratom) No 1182/71 Art. 3: same date of the next month,
// the month's last day when it has no such date, and the next Monday when
// the day falls on a Saturday or Sunday.
func TestDueDate(t *testing.T) {
	tests := []struct {
		name     string
		received time.Time
		want     time.Time
	}{
		{"ordinary weekday", date(2026, 3, 10), date(2026, 4, 10)},
		{"year wrap", date(2026, 12, 15), date(2027, 1, 15)},
		{"31st to a 31-day month", date(2026, 7, 31), date(2026, 8, 31)},
		{"31st to a 30-day month", date(2026, 8, 31), date(2026, 9, 30)},
		{"30th stays the 30th", date(2026, 9, 30), date(2026, 10, 30)},
		{"31 Jan to 28 Feb, a Saturday", date(2026, 1, 31), date(2026, 3, 2)},
		{"31 Jan to 29 Feb in a leap year", date(2028, 1, 31), date(2028, 2, 29)},
		{"29 Jan to 29 Feb in a leap year", date(2028, 1, 29), date(2028, 2, 29)},
		{"29 Jan to 28 Feb in a common year", date(2029, 1, 29), date(2029, 2, 28)},
		{"30 May 2026 is a Saturday", date(2026, 4, 30), date(2026, 6, 1)},
		{"15 Mar 2026 is a Sunday", date(2026, 2, 15), date(2026, 3, 16)},
		{"clamped 28 Feb 2027 is a Sunday", date(2027, 1, 31), date(2027, 3, 1)},
		{"received on a Saturday", date(2026, 2, 28), date(2026, 3, 30)},
		{"time of day ignored", time.Date(2026, 3, 10, 17, 45, 0, 0, time.UTC), date(2026, 4, 10)},
		{"local receipt date counts", time.Date(2026, 3, 10, 23, 30, 0, 0, time.FixedZone("UTC-5", -5*60*60)), date(2026, 4, 10)},
	}
	for _, tt := range tests {
		if got := DueDate(tt.received, nil); !got.Equal(tt.want) {
			t.Errorf("%s: DueDate(%s) = %s (%s), want %s (%s)", tt.name,
				tt.received.Format(time.DateOnly), got.Format(time.DateOnly), got.Weekday(),
				tt.want.Format(time.DateOnly), tt.want.Weekday())
		}
	}
}

// TestDueDateHolidays checks that a public holiday moves the deadline to the
// next working day, as Regulation 1182/71 Art. 3(4) does for public
// holidays, Saturdays and Sundays.
func TestDueDateHolidays(t *testing.T) {
	tests := []struct {
		name     string
		received time.Time
		holidays Holidays
		want     time.Time
	}{
		{"no calendar", date(2026, 12, 1), nil, date(2027, 1, 1)},
		{"holiday on a Friday, then a weekend", date(2026, 12, 1), holidaySet(date(2027, 1, 1)), date(2027, 1, 4)},
		{"holiday after a weekend too", date(2026, 11, 25), holidaySet(date(2026, 12, 25), date(2026, 12, 28)), date(2026, 12, 29)},
		{"holiday on the due weekday", date(2026, 3, 10), holidaySet(date(2026, 4, 10)), date(2026, 4, 13)},
		{"holiday elsewhere changes nothing", date(2026, 3, 10), holidaySet(date(2026, 4, 9), date(2026, 4, 14)), date(2026, 4, 10)},
	}
	for _, tt := range tests {
		if got := DueDate(tt.received, tt.holidays); !got.Equal(tt.want) {
			t.Errorf("%s: DueDate(%s) = %s, want %s", tt.name,
				tt.received.Format(time.DateOnly), got.Format(time.DateOnly), tt.want.Format(time.DateOnly))
		}
	}

	// The calendar is asked about days as UTC midnight, whatever the clock of
	// the receipt.
	asked := 0
	check := func(day time.Time) bool {
		asked++
		if day.Location() != time.UTC || !day.Equal(Day(day)) {
			t.Errorf("Holidays called with %v, want a UTC midnight", day)
		}
		return false
	}
	DueDate(time.Date(2026, 3, 10, 15, 0, 0, 0, time.FixedZone("UTC+1", 3600)), check)
	if asked == 0 {
		t.Errorf("DueDate never consulted the holiday calendar")
	}
}

// TestExtendedDueDate checks the limit of the one extension of Art. 12(3):
// "two further months", counted like the first from the original receipt.
func TestExtendedDueDate(t *testing.T) {
	tests := []struct {
		name     string
		received time.Time
		holidays Holidays
		want     time.Time
	}{
		{"31 Jan to 30 Apr", date(2026, 1, 31), nil, date(2026, 4, 30)},
		{"30 Nov to 28 Feb, a Saturday", date(2025, 11, 30), nil, date(2026, 3, 2)},
		{"31 Mar to 30 Jun", date(2026, 3, 31), nil, date(2026, 6, 30)},
		{"31 Jul to 31 Oct, a Saturday", date(2026, 7, 31), nil, date(2026, 11, 2)},
		{"holiday on the limit", date(2026, 1, 31), holidaySet(date(2026, 4, 30)), date(2026, 5, 1)},
	}
	for _, tt := range tests {
		if got := ExtendedDueDate(tt.received, tt.holidays); !got.Equal(tt.want) {
			t.Errorf("%s: ExtendedDueDate(%s) = %s, want %s", tt.name,
				tt.received.Format(time.DateOnly), got.Format(time.DateOnly), tt.want.Format(time.DateOnly))
		}
	}
}

// TestDaysLeftOverdue checks the boundary of the Art. 12(3) deadline: the
// period ends at the end of the due day (Regulation 1182/71 Art. 3(2)(c)), so
// the due day itself is still in time.
func TestDaysLeftOverdue(t *testing.T) {
	due := date(2026, 3, 2)
	tests := []struct {
		name        string
		now         time.Time
		wantLeft    int
		wantOverdue bool
	}{
		{"a month before", date(2026, 2, 1), 29, false},
		{"day before, last second", time.Date(2026, 3, 1, 23, 59, 59, 0, time.UTC), 1, false},
		{"due day, first second", date(2026, 3, 2), 0, false},
		{"due day, last second", time.Date(2026, 3, 2, 23, 59, 59, 999999999, time.UTC), 0, false},
		{"day after, first second", date(2026, 3, 3), -1, true},
		{"ten days late", time.Date(2026, 3, 12, 9, 0, 0, 0, time.UTC), -10, true},
		{"local clock already on the next day", time.Date(2026, 3, 3, 0, 30, 0, 0, time.FixedZone("UTC+1", 3600)), -1, true},
	}
	for _, tt := range tests {
		if got := DaysLeft(due, tt.now); got != tt.wantLeft {
			t.Errorf("%s: DaysLeft(%s, %v) = %d, want %d", tt.name, due.Format(time.DateOnly), tt.now, got, tt.wantLeft)
		}
		if got := Overdue(due, tt.now); got != tt.wantOverdue {
			t.Errorf("%s: Overdue(%s, %v) = %v, want %v", tt.name, due.Format(time.DateOnly), tt.now, got, tt.wantOverdue)
		}
	}
}
