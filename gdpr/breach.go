package gdpr

import (
	"errors"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"
)

// The breach register (SPEC §10, Art. 33–34): every personal data breach
// is documented (Art. 33(5)); the supervisory authority is told within 72
// hours of awareness unless the breach is unlikely to result in a risk
// (the reason recorded); a later notification carries the reasons for the
// delay (Art. 33(1)); people are told without undue delay when the risk
// is high, unless one of the conditions of Art. 34(3) applies (recorded).

// BreachNotifyWithin is the time the authority must be told in, from
// awareness (Art. 33(1)).
const BreachNotifyWithin = 72 * time.Hour

// BreachID identifies a breach of the register, shown as "B" and the number.
type BreachID uint64

func (id BreachID) String() string { return "B" + strconv.FormatUint(uint64(id), 10) }

// ParseBreachID reads "B2", "b2" or "2".
func ParseBreachID(s string) (BreachID, error) {
	n, err := parseID(s, 'B')
	if err != nil {
		return 0, fmt.Errorf("breach id %q: %w", s, err)
	}
	return BreachID(n), nil
}

// MarshalText writes the id as shown to owners ("B2").
func (id BreachID) MarshalText() ([]byte, error) { return []byte(id.String()), nil }

// UnmarshalText reads "B2" or "2".
func (id *BreachID) UnmarshalText(b []byte) error {
	v, err := ParseBreachID(string(b))
	if err != nil {
		return err
	}
	*id = v
	return nil
}

// BreachRisk is the assessed risk of a breach to people's rights and
// freedoms: it decides whom to tell (Art. 33(1), Art. 34(1)).
type BreachRisk string

// The risk levels of the register.
const (
	RiskNone BreachRisk = "none" // unlikely to result in a risk: documented, not notified (reason recorded)
	RiskSome BreachRisk = "risk" // a risk: the authority is told within 72 hours
	RiskHigh BreachRisk = "high" // a high risk: the authority and the people are told
)

// ParseBreachRisk reads a risk level case-insensitively ("" is risk, the
// safe side until the breach is assessed).
func ParseBreachRisk(s string) (BreachRisk, error) {
	switch r := BreachRisk(strings.ToLower(strings.TrimSpace(s))); r {
	case "":
		return RiskSome, nil
	case RiskNone, RiskSome, RiskHigh:
		return r, nil
	case "high-risk", "high_risk":
		return RiskHigh, nil
	}
	return "", fmt.Errorf("unknown risk %q: use none, risk or high", s)
}

// Breach is one entry of the breach register: the facts, the effects and
// the remedial action taken (Art. 33(5)), and whom was told when.
type Breach struct {
	ID BreachID `json:"id"`
	// AwareAt is when the business became aware of the breach (UTC): the
	// 72 hours run from it.
	AwareAt          time.Time  `json:"aware_at"`
	What             string     `json:"what"` // the nature of the breach, in words
	PeopleCategories []string   `json:"people_categories,omitempty"`
	DataCategories   []string   `json:"data_categories,omitempty"`
	People           int        `json:"people"`          // approximate number of people concerned
	Records          int        `json:"records"`         // approximate number of records concerned
	Query            string     `json:"query,omitempty"` // the contacts concerned, as a query (optional)
	Consequences     string     `json:"consequences,omitempty"`
	Measures         string     `json:"measures,omitempty"` // taken or proposed
	Risk             BreachRisk `json:"risk"`
	// NotifiedAt is when the authority was told, NotifyRef its reference;
	// LateReason the reasons for a notification after 72 hours.
	NotifiedAt time.Time `json:"notified_at,omitzero"`
	NotifyRef  string    `json:"notify_ref,omitempty"`
	LateReason string    `json:"late_reason,omitempty"`
	// NotifiedLate is whether the notification came after the 72 hours,
	// fixed when it was recorded: a later edit cannot make it on time.
	NotifiedLate bool `json:"notified_late,omitempty"`
	// NoNotifyReason is why a breach without risk was not notified.
	NoNotifyReason string `json:"no_notify_reason,omitempty"`
	// InformedAt is when the people were told (Art. 34(1)); NoInformReason
	// why they were not (Art. 34(3)).
	InformedAt     time.Time `json:"informed_at,omitzero"`
	NoInformReason string    `json:"no_inform_reason,omitempty"`
	RecordedAt     time.Time `json:"recorded_at,omitzero"`
	RecordedBy     string    `json:"recorded_by,omitempty"`
	ClosedAt       time.Time `json:"closed_at,omitzero"`
}

// BreachDue is the end of the 72 hours from awareness in which the
// authority must be told (Art. 33(1)), in UTC.
func BreachDue(aware time.Time) time.Time { return aware.UTC().Add(BreachNotifyWithin) }

// Due is the breach's notification deadline (BreachDue).
func (b Breach) Due() time.Time { return BreachDue(b.AwareAt) }

// HoursLeft is the whole hours from now to the deadline, rounded down: 0
// in the last hour, negative once it has passed (-1 in the first hour
// after it).
func (b Breach) HoursLeft(now time.Time) int {
	return int(math.Floor(b.Due().Sub(now).Hours()))
}

// NeedsNotification reports whether the authority must be told: every
// breach unless it is unlikely to result in a risk (Art. 33(1)).
func (b Breach) NeedsNotification() bool { return b.Risk != RiskNone }

// NotifyPending reports that the authority must be told and has not been.
func (b Breach) NotifyPending() bool { return b.NeedsNotification() && b.NotifiedAt.IsZero() }

// ReasonPending reports a breach assessed as without risk whose reason for
// not notifying is not recorded yet (Art. 33(5)). A breach the authority
// was told of needs no such reason, whatever its risk now: a breach
// re-assessed as without risk after it was notified is documented by the
// notification (a voluntary one is allowed too).
func (b Breach) ReasonPending() bool {
	return !b.NeedsNotification() && b.NotifiedAt.IsZero() && strings.TrimSpace(b.NoNotifyReason) == ""
}

// Late reports a notification made after the 72 hours (Art. 33(1)): as
// fixed when it was recorded (NotifiedLate), or, for a record made before
// the flag existed, as its times say.
func (b Breach) Late() bool {
	return !b.NotifiedAt.IsZero() && (b.NotifiedLate || b.NotifiedAt.After(b.Due()))
}

// InformPending reports a high-risk breach whose people have not been
// told, with no reason recorded not to (Art. 34(1), 34(3)).
func (b Breach) InformPending() bool {
	return b.Risk == RiskHigh && b.InformedAt.IsZero() && strings.TrimSpace(b.NoInformReason) == ""
}

// Open reports a breach that still waits for a step: a notification, the
// reason not to notify, or telling the people. A closed breach is not open.
func (b Breach) Open() bool {
	return b.ClosedAt.IsZero() && (b.NotifyPending() || b.ReasonPending() || b.InformPending())
}

// Documented reports whether the breach meets Art. 33 at now: within the
// 72 hours it does; after them the authority was told (with the reasons
// for a late notification), whatever the risk is assessed as now, or, for
// a breach without risk that was not notified, the reason not to is
// recorded.
func (b Breach) Documented(now time.Time) bool {
	if !now.After(b.Due()) {
		return true
	}
	if !b.NotifiedAt.IsZero() {
		return !b.Late() || strings.TrimSpace(b.LateReason) != ""
	}
	if !b.NeedsNotification() {
		return strings.TrimSpace(b.NoNotifyReason) != ""
	}
	return false
}

// InformOverdue reports a high-risk breach whose people are neither told
// nor a reason recorded not to (InformPending) 72 hours after awareness.
// Art. 34(1) says "without undue delay" and sets no hours; the desk takes
// the 72 hours of Art. 33(1) as the point where a delay is undue: by then
// the authority must have been told with the likely consequences, so what
// to tell the people is known, and the business has had the time the law
// gives for the harder of the two steps.
func (b Breach) InformOverdue(now time.Time) bool {
	return b.InformPending() && now.After(b.Due())
}

// State says in a few words where the breach stands at now, for lists.
func (b Breach) State(now time.Time) string {
	var parts []string
	switch {
	case b.NotifyPending() && now.After(b.Due()):
		parts = append(parts, "overdue: authority not told")
	case b.NotifyPending():
		parts = append(parts, "notify pending")
	case b.ReasonPending():
		parts = append(parts, "reason pending (no risk: why not notified)")
	case !b.NotifiedAt.IsZero():
		s := "notified"
		if b.Late() {
			s += " late"
		}
		parts = append(parts, s)
	default:
		parts = append(parts, "documented, not notified")
	}
	switch {
	case b.InformPending():
		parts = append(parts, "inform pending")
	case !b.InformedAt.IsZero():
		parts = append(parts, "people told")
	case b.Risk == RiskHigh:
		parts = append(parts, "people not told (reason recorded)")
	}
	if !b.ClosedAt.IsZero() {
		parts = append(parts, "closed")
	}
	return strings.Join(parts, "; ")
}

// Validate checks a breach before it is stored: when the business became
// aware, what happened, counts that are not negative, a known risk, text
// that may be stored.
func (b Breach) Validate() error {
	if b.AwareAt.IsZero() {
		return errors.New("a breach needs the time you became aware of it (--aware)")
	}
	if err := CheckStorableDate("aware", b.AwareAt); err != nil {
		return err
	}
	if strings.TrimSpace(b.What) == "" {
		return errors.New("a breach needs what happened (--what)")
	}
	if b.People < 0 || b.Records < 0 {
		return errors.New("the numbers of people and records cannot be negative")
	}
	switch b.Risk {
	case RiskNone, RiskSome, RiskHigh:
	default:
		return fmt.Errorf("unknown risk %q: use none, risk or high", b.Risk)
	}
	for _, f := range []struct {
		name, v string
		multi   bool
	}{{"what", b.What, true}, {"query", b.Query, false}, {"consequences", b.Consequences, true}, {"measures", b.Measures, true},
		{"notification reference", b.NotifyRef, false}, {"late reason", b.LateReason, true}, {"reason not to notify", b.NoNotifyReason, true},
		{"reason not to inform", b.NoInformReason, true}, {"categories", strings.Join(b.DataCategories, ","), false},
		{"people categories", strings.Join(b.PeopleCategories, ","), false}} {
		if err := CheckText(f.name, f.v, f.multi); err != nil {
			return err
		}
	}
	if b.Query != "" {
		if _, err := ParseQuery(b.Query); err != nil {
			return err
		}
	}
	for _, t := range []time.Time{b.NotifiedAt, b.InformedAt} {
		if !t.IsZero() && t.Before(b.AwareAt) {
			return errors.New("a breach cannot be notified or told before you became aware of it")
		}
	}
	return nil
}

// ValidateNotify checks a notification to the authority recorded at at:
// not before awareness, not twice; after the 72 hours it must carry the
// reasons for the delay (Art. 33(1)). A breach assessed as without risk
// may be notified too: a voluntary notification is allowed, and it then
// documents the breach (Documented) as a reason not to notify would.
func ValidateNotify(b Breach, at time.Time, lateReason string) error {
	switch {
	case !b.NotifiedAt.IsZero():
		return fmt.Errorf("%s: the authority was told already, on %s", b.ID, b.NotifiedAt.UTC().Format(time.RFC3339))
	case at.Before(b.AwareAt):
		return fmt.Errorf("%s: the notification cannot be before you became aware of the breach (%s)", b.ID, b.AwareAt.UTC().Format(time.RFC3339))
	case at.After(b.Due()) && strings.TrimSpace(lateReason) == "":
		late := at.Sub(b.Due()).Hours()
		return fmt.Errorf("%s: notified %.0f h after the 72-hour deadline (%s): give the reasons for the delay (Art. 33(1))",
			b.ID, math.Ceil(late), b.Due().Format(time.RFC3339))
	}
	return CheckText("late reason", lateReason, true)
}

// CheckBreachEdit checks a change of a breach's facts, old into next. Once
// the authority was told, the time of awareness cannot change: the 72
// hours the notification was measured against run from it (Art. 33(1)),
// and moving it would rewrite whether the notification was late, which
// the register must show as it was (Art. 33(5)). A mistaken time is
// corrected in the facts' words, which the notification's record keeps.
func CheckBreachEdit(old, next Breach) error {
	if !old.NotifiedAt.IsZero() && !old.AwareAt.Equal(next.AwareAt) {
		return fmt.Errorf("%s: the authority was told on %s, measured against awareness at %s: that time cannot change now (Art. 33(1), 33(5)); note the correction in what happened",
			old.ID, old.NotifiedAt.UTC().Format(time.RFC3339), old.AwareAt.UTC().Format(time.RFC3339))
	}
	return nil
}

// BreachEditDetail is the audit detail of a change of a breach's facts:
// the time of awareness and the risk, old → new, when they changed —
// times and levels only, never the texts, which may name people.
func BreachEditDetail(old, next Breach) string {
	d := "facts changed"
	if !old.AwareAt.Equal(next.AwareAt) {
		d += "; aware " + old.AwareAt.UTC().Format(time.RFC3339) + " → " + next.AwareAt.UTC().Format(time.RFC3339)
	}
	if old.Risk != next.Risk {
		d += "; risk " + string(old.Risk) + " → " + string(next.Risk)
	}
	return d
}

// ValidateNoNotify checks the decision not to tell the authority: only for
// a breach assessed as unlikely to result in a risk, and with the reason
// (Art. 33(1), 33(5)).
func ValidateNoNotify(b Breach, reason string) error {
	switch {
	case b.NeedsNotification():
		return fmt.Errorf("%s is assessed as %q: the authority must be told (Art. 33(1)); only a breach without risk (risk none) is documented without notifying", b.ID, b.Risk)
	case strings.TrimSpace(reason) == "":
		return fmt.Errorf("%s: give the reason the breach is unlikely to result in a risk to people (Art. 33(1))", b.ID)
	}
	return CheckText("reason", reason, true)
}

// ValidateInform checks the record of telling the people of a breach
// (Art. 34): told at at (not before awareness), or — none — not told, which
// needs a reason of Art. 34(3) (the data unintelligible to others,
// measures that remove the high risk, or disproportionate effort and a
// public notice instead) and applies only to a high-risk breach, the one
// case the people must be told.
func ValidateInform(b Breach, at time.Time, none bool, reason string) error {
	if !b.InformedAt.IsZero() {
		return fmt.Errorf("%s: the people were told already, on %s", b.ID, b.InformedAt.UTC().Format(time.RFC3339))
	}
	if !none {
		if at.Before(b.AwareAt) {
			return fmt.Errorf("%s: people cannot be told before you became aware of the breach (%s)", b.ID, b.AwareAt.UTC().Format(time.RFC3339))
		}
		return nil
	}
	switch {
	case b.Risk != RiskHigh:
		return fmt.Errorf("%s is assessed as %q: people must be told only of a high-risk breach (Art. 34(1)), so there is no decision not to tell them to record", b.ID, b.Risk)
	case strings.TrimSpace(reason) == "":
		return fmt.Errorf("%s: not telling the people of a high-risk breach needs the reason of Art. 34(3) (data unintelligible to others, measures that remove the high risk, or disproportionate effort with a public notice)", b.ID)
	}
	return CheckText("reason", reason, true)
}

// ParseBreachTime reads a time given for a breach (when the business became
// aware, notified, told people): RFC 3339 with its own offset, or
// YYYY-MM-DDTHH:MM, YYYY-MM-DD HH:MM or YYYY-MM-DD in loc, the desk's time
// zone. It is returned in UTC; a time after now is refused, as these record
// what has happened. A local time that happens twice, in the hour the
// clocks go back (2026-10-25T02:30 in Europe/Berlin), is read as the
// earlier of the two instants: the 72 hours then end sooner, the safe side
// of Art. 33(1).
func ParseBreachTime(flag, v string, loc *time.Location, now time.Time) (time.Time, error) {
	v = strings.TrimSpace(v)
	if loc == nil {
		loc = time.UTC
	}
	var t time.Time
	var err error
	if t, err = time.Parse(time.RFC3339, v); err != nil {
		t, err = time.Parse("2006-01-02T15:04Z07:00", v)
	}
	if err != nil {
		for _, layout := range []string{"2006-01-02T15:04", "2006-01-02T15:04:05", "2006-01-02 15:04", "2006-01-02 15:04:05", time.DateOnly} {
			if t, err = time.ParseInLocation(layout, v, loc); err == nil {
				t = earliestSameWall(t, loc)
				break
			}
		}
	}
	if err != nil {
		return time.Time{}, fmt.Errorf("%s %q: use YYYY-MM-DDTHH:MM (in the desk's time zone, %s), YYYY-MM-DD or RFC 3339", flag, v, loc)
	}
	if t.After(now) {
		return time.Time{}, fmt.Errorf("%s %s is in the future: the register records what has happened", flag, v)
	}
	if err := CheckStorableDate(flag, t); err != nil {
		return time.Time{}, err
	}
	return t.UTC(), nil
}

// earliestSameWall is the earliest instant up to three hours before t that
// shows the same wall clock in loc as t: t itself unless the local time is
// one the clocks pass twice.
func earliestSameWall(t time.Time, loc *time.Location) time.Time {
	wall := t.In(loc).Format(time.DateTime)
	for d := 3 * time.Hour; d > 0; d -= 15 * time.Minute {
		if c := t.Add(-d); c.In(loc).Format(time.DateTime) == wall {
			return c
		}
	}
	return t
}

// OpenBreaches returns the breaches that still wait for a step (Open),
// the soonest deadline first: the most overdue leads.
func OpenBreaches(list []Breach) []Breach {
	var out []Breach
	for _, b := range list {
		if b.Open() {
			out = append(out, b)
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		if !out[i].AwareAt.Equal(out[j].AwareAt) {
			return out[i].AwareAt.Before(out[j].AwareAt)
		}
		return out[i].ID < out[j].ID
	})
	return out
}

// UrgentBreach is the breach the dashboard shows above everything else:
// the open breach whose authority notification is pending with the
// soonest deadline (overdue ones first); else the first open breach that
// waits for another step. ok is false when no breach is open.
func UrgentBreach(list []Breach) (b Breach, ok bool) {
	open := OpenBreaches(list)
	for _, x := range open {
		if x.NotifyPending() {
			return x, true
		}
	}
	if len(open) > 0 {
		return open[0], true
	}
	return Breach{}, false
}

// BreachesDocumented measures the checklist item breaches-documented: no
// breach past its 72 hours without a notification or a recorded reason
// (Art. 33(1), 33(5)), and no high-risk breach whose people are, 72 hours
// after awareness, neither told nor a reason recorded not to (Art. 34(1)
// "without undue delay", 34(3); InformOverdue says why 72 hours). Both
// kinds are named by id; a high-risk breach within its 72 hours whose
// people are not told yet is named without making the item to-do. An
// empty register is done: no breach is the usual state, and the register
// is there when one happens.
func BreachesDocumented(list []Breach, now time.Time) Evaluation {
	if len(list) == 0 {
		return Evaluation{Done: true, Value: "no breaches recorded"}
	}
	var bad, inform, untold []string
	for _, b := range list {
		if !b.Documented(now) {
			bad = append(bad, b.ID.String())
		}
		switch {
		case b.InformOverdue(now):
			untold = append(untold, b.ID.String())
		case b.InformPending():
			inform = append(inform, b.ID.String())
		}
	}
	n := plural(int64(len(list)), "breach")
	if len(list) != 1 {
		n = Thousands(int64(len(list))) + " breaches"
	}
	v := n + ", all documented"
	if len(bad) > 0 || len(untold) > 0 {
		v = n
	}
	if len(bad) > 0 {
		v = fmt.Sprintf("%s; past 72 hours without notification or a recorded reason: %s", n, strings.Join(bad, ", "))
	}
	if len(untold) > 0 {
		v += "; high risk, people neither told nor a reason recorded 72 hours after awareness (Art. 34(1)): " + strings.Join(untold, ", ")
	}
	if len(inform) > 0 {
		v += "; high risk, people not told yet: " + strings.Join(inform, ", ")
	}
	return Evaluation{Done: len(bad) == 0 && len(untold) == 0, Value: v}
}
