package gdpr

import "time"

// Deadlines of Art. 12(3): a request is answered "without undue delay and in
// any event within one month of receipt", extendable once "by two further
// months where necessary". Periods are counted as Regulation (EEC, Euratom)
// No 1182/71 (Art. 3) and the supervisory authorities count them: the period
// starts the day after receipt and ends at the end of the day in the last
// month that bears the same date as the day of receipt; when that month has
// no such date, on its last day; when that day is a Saturday or Sunday (or a
// public holiday, where a calendar is given), on the next working day.

// Holidays reports whether a day (UTC midnight) is a public holiday. A nil
// Holidays counts weekends only.
type Holidays func(day time.Time) bool

// Day returns t's calendar date as UTC midnight. Deadlines are dates, not
// instants; every deadline function works on days.
func Day(t time.Time) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// DueDate is the answer deadline for a request received on received: one
// month later, counted per Regulation 1182/71.
func DueDate(received time.Time, holidays Holidays) time.Time {
	return addMonthsCounted(received, 1, holidays)
}

// ExtendedDueDate is the latest deadline an extension may set: three months
// after receipt (the month plus "two further months"), counted the same way
// from the original receipt.
func ExtendedDueDate(received time.Time, holidays Holidays) time.Time {
	return addMonthsCounted(received, 3, holidays)
}

// addMonthsCounted adds n calendar months to the receipt date, clamping to
// the month's last day, then moves off weekends and holidays.
func addMonthsCounted(received time.Time, n int, holidays Holidays) time.Time {
	r := Day(received)
	y, m, d := r.Date()
	target := time.Date(y, m+time.Month(n), 1, 0, 0, 0, 0, time.UTC)
	last := target.AddDate(0, 1, -1).Day()
	if d > last {
		d = last
	}
	due := time.Date(target.Year(), target.Month(), d, 0, 0, 0, 0, time.UTC)
	for isNonWorking(due, holidays) {
		due = due.AddDate(0, 0, 1)
	}
	return due
}

func isNonWorking(day time.Time, holidays Holidays) bool {
	switch day.Weekday() {
	case time.Saturday, time.Sunday:
		return true
	}
	return holidays != nil && holidays(day)
}

// DaysLeft is the number of whole days from now's date to the due date:
// 0 on the due day, negative once overdue.
func DaysLeft(due, now time.Time) int {
	return int(Day(due).Sub(Day(now)).Hours() / 24)
}

// Overdue reports whether the due date has passed at now (the due day itself
// is still in time).
func Overdue(due, now time.Time) bool { return Day(now).After(Day(due)) }
