package gdpr

import (
	"strings"
	"testing"
	"time"
)

var breachAware = time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)

func riskBreach(risk BreachRisk) Breach {
	return Breach{ID: 1, AwareAt: breachAware, What: "laptop stolen", Risk: risk, People: 40, Records: 120}
}

// Art. 33(1): the authority is told within 72 hours of awareness; the
// hours left count down to that moment and go negative after it.
func TestBreachDeadlineIs72HoursArt33(t *testing.T) {
	berlin := time.FixedZone("CET", 3600)
	aware := time.Date(2026, 12, 1, 10, 0, 0, 0, berlin) // 09:00 UTC
	want := time.Date(2026, 12, 4, 9, 0, 0, 0, time.UTC)
	if got := BreachDue(aware); !got.Equal(want) || got.Location() != time.UTC {
		t.Errorf("BreachDue(%v) = %v, want %v in UTC", aware, got, want)
	}
	b := riskBreach(RiskSome)
	for _, c := range []struct {
		now  time.Time
		want int
	}{
		{breachAware, 72},
		{breachAware.Add(25*time.Hour + 30*time.Minute), 46},
		{want.Add(-time.Minute), 0},
		{want, 0},
		{want.Add(time.Minute), -1},
		{want.Add(5 * time.Hour), -5},
	} {
		if got := b.HoursLeft(c.now); got != c.want {
			t.Errorf("HoursLeft(%v) = %d, want %d", c.now, got, c.want)
		}
	}
}

// Art. 33(1): every breach is notified unless it is unlikely to result in
// a risk; a notification after the 72 hours needs the reasons for the delay.
func TestBreachNotifyAfterDeadlineNeedsReasonArt33(t *testing.T) {
	b := riskBreach(RiskSome)
	if !b.NeedsNotification() || riskBreach(RiskNone).NeedsNotification() {
		t.Error("NeedsNotification: risk must be notified, none not")
	}
	checkErr(t, "in time", ValidateNotify(b, b.Due(), ""), "")
	checkErr(t, "late without reason", ValidateNotify(b, b.Due().Add(time.Hour), ""), "reasons for the delay")
	checkErr(t, "late with reason", ValidateNotify(b, b.Due().Add(time.Hour), "the processor told us late"), "")
	checkErr(t, "before awareness", ValidateNotify(b, b.AwareAt.Add(-time.Hour), ""), "before you became aware")
	b.NotifiedAt = b.Due()
	checkErr(t, "twice", ValidateNotify(b, b.Due(), ""), "already")
}

// Art. 33(1), 33(5): a breach without risk is documented without notifying,
// with the reason; one with risk cannot take that way.
func TestBreachNoNotifyOnlyWithoutRiskArt33(t *testing.T) {
	checkErr(t, "none with reason", ValidateNoNotify(riskBreach(RiskNone), "disk encrypted, key not lost"), "")
	checkErr(t, "none without reason", ValidateNoNotify(riskBreach(RiskNone), " "), "reason")
	checkErr(t, "risk", ValidateNoNotify(riskBreach(RiskSome), "we think it is fine"), "must be told")
}

// Art. 34(1), 34(3): people are told of a high-risk breach, or the reason
// not to is recorded; a decision not to tell is only for high risk.
func TestBreachHighRiskInformOrReasonArt34(t *testing.T) {
	b := riskBreach(RiskHigh)
	if !b.InformPending() {
		t.Error("a high-risk breach with nobody told and no reason is not pending")
	}
	checkErr(t, "told", ValidateInform(b, b.AwareAt.Add(time.Hour), false, ""), "")
	checkErr(t, "told before aware", ValidateInform(b, b.AwareAt.Add(-time.Hour), false, ""), "before you became aware")
	checkErr(t, "none without reason", ValidateInform(b, time.Time{}, true, ""), "Art. 34(3)")
	checkErr(t, "none with reason", ValidateInform(b, time.Time{}, true, "data encrypted"), "")
	checkErr(t, "none for risk", ValidateInform(riskBreach(RiskSome), time.Time{}, true, "x"), "only of a high-risk")
	b.NoInformReason = "data encrypted"
	if b.InformPending() {
		t.Error("a recorded Art. 34(3) reason still leaves inform pending")
	}
	if riskBreach(RiskSome).InformPending() {
		t.Error("a breach below high risk waits for people to be told")
	}
}

// Art. 33(5) and SPEC §10: breaches-documented fails for a breach past 72
// hours with neither a notification nor a recorded reason, and names it.
func TestBreachesDocumentedArt33(t *testing.T) {
	in := riskBreach(RiskSome)
	in.ID = 1
	notified := riskBreach(RiskSome)
	notified.ID, notified.NotifiedAt = 2, breachAware.Add(10*time.Hour)
	late := riskBreach(RiskSome)
	late.ID, late.NotifiedAt = 3, breachAware.Add(80*time.Hour)
	none := riskBreach(RiskNone)
	none.ID = 4
	noneReason := none
	noneReason.ID, noneReason.NoNotifyReason = 5, "encrypted"

	before := breachAware.Add(71 * time.Hour)
	after := breachAware.Add(90 * time.Hour)
	for _, c := range []struct {
		b    Breach
		now  time.Time
		want bool
	}{
		{in, before, true}, {in, after, false},
		{notified, after, true},
		{late, after, false},
		{none, before, true}, {none, after, false}, {noneReason, after, true},
	} {
		if got := c.b.Documented(c.now); got != c.want {
			t.Errorf("%s (%s) Documented(%v) = %v, want %v", c.b.ID, c.b.State(c.now), c.now, got, c.want)
		}
	}
	late.LateReason = "found the scope only later"
	if !late.Documented(after) {
		t.Error("a late notification with its reasons is not documented")
	}

	e := BreachesDocumented([]Breach{notified, late, noneReason}, after)
	if !e.Done || !strings.Contains(e.Value, "3 breaches, all documented") {
		t.Errorf("all documented: %+v", e)
	}
	e = BreachesDocumented([]Breach{notified, in, none}, after)
	if e.Done || !strings.Contains(e.Value, "B1, B4") || strings.Contains(e.Value, "B2") {
		t.Errorf("undocumented B1 and B4: %+v", e)
	}
	if e := BreachesDocumented(nil, after); !e.Done {
		t.Errorf("empty register: %+v", e)
	}
	// The item is in the checklist and evaluated from the snapshot.
	ev, ok := Evaluate("breaches-documented", Snapshot{Breaches: []Breach{in}}, after)
	if !ok || ev.Done || !strings.Contains(ev.Value, "B1") {
		t.Errorf("Evaluate(breaches-documented) = %+v, %v", ev, ok)
	}
}

// The dashboard's breach: the open one whose notification is pending,
// soonest deadline first; done breaches are not open.
func TestUrgentBreachArt33(t *testing.T) {
	done := riskBreach(RiskSome)
	done.ID, done.NotifiedAt = 1, breachAware.Add(time.Hour)
	inform := riskBreach(RiskHigh)
	inform.ID, inform.AwareAt, inform.NotifiedAt = 2, breachAware.Add(-48*time.Hour), breachAware
	older := riskBreach(RiskSome)
	older.ID, older.AwareAt = 3, breachAware.Add(-time.Hour)
	newer := riskBreach(RiskSome)
	newer.ID = 4
	b, ok := UrgentBreach([]Breach{done, inform, newer, older})
	if !ok || b.ID != 3 {
		t.Errorf("UrgentBreach = %s, %v; want B3 (notification pending, soonest deadline)", b.ID, ok)
	}
	if got := OpenBreaches([]Breach{done, inform, newer, older}); len(got) != 3 || got[0].ID != 2 {
		t.Errorf("OpenBreaches = %v", got)
	}
	b, ok = UrgentBreach([]Breach{done, inform})
	if !ok || b.ID != 2 {
		t.Errorf("UrgentBreach with only inform pending = %s, %v; want B2", b.ID, ok)
	}
	if _, ok := UrgentBreach([]Breach{done}); ok {
		t.Error("a notified breach is urgent")
	}
}

// Times of a breach are read in the desk's time zone and stored in UTC;
// a future time is refused.
func TestParseBreachTime(t *testing.T) {
	now := time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)
	got, err := ParseBreachTime("--aware", "2026-12-01T09:00", time.UTC, now)
	if err != nil || !got.Equal(breachAware) {
		t.Errorf("UTC: %v, %v", got, err)
	}
	ny := time.FixedZone("EST", -5*3600)
	got, err = ParseBreachTime("--aware", "2026-12-01T04:00", ny, now)
	if err != nil || !got.Equal(breachAware) || got.Location() != time.UTC {
		t.Errorf("New York: %v, %v", got, err)
	}
	got, err = ParseBreachTime("--aware", "2026-12-01T10:00+01:00", time.UTC, now)
	if err != nil || !got.Equal(breachAware) {
		t.Errorf("RFC 3339: %v, %v", got, err)
	}
	_, err = ParseBreachTime("--aware", "2026-12-03T09:00", time.UTC, now)
	checkErr(t, "future", err, "future")
	_, err = ParseBreachTime("--aware", "yesterday", time.UTC, now)
	checkErr(t, "garbage", err, "YYYY-MM-DD")
}

func TestBreachValidate(t *testing.T) {
	b := riskBreach(RiskSome)
	checkErr(t, "ok", b.Validate(), "")
	c := b
	c.What = ""
	checkErr(t, "no what", c.Validate(), "--what")
	c = b
	c.AwareAt = time.Time{}
	checkErr(t, "no aware", c.Validate(), "--aware")
	c = b
	c.People = -1
	checkErr(t, "negative", c.Validate(), "negative")
	c = b
	c.Query = "nosuch:field"
	checkErr(t, "query", c.Validate(), "nosuch")
	c = b
	c.Consequences = "bad\x1b[2J"
	checkErr(t, "control", c.Validate(), "consequences")
	if id, err := ParseBreachID("b12"); err != nil || id != 12 || id.String() != "B12" {
		t.Errorf("ParseBreachID(b12) = %v, %v", id, err)
	}
	if r, err := ParseBreachRisk(""); err != nil || r != RiskSome {
		t.Errorf("ParseBreachRisk(\"\") = %v, %v; want risk (the safe side)", r, err)
	}
}

// TestParseBreachTimeTakesEarlierInstantAtFallBackArt33: 02:30 on the
// night the clocks go back in Berlin happens twice; the earlier instant
// (00:30 UTC, CEST) is taken, so the 72 hours of Art. 33(1) end sooner.
// An unambiguous time is read as before.
func TestParseBreachTimeTakesEarlierInstantAtFallBackArt33(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Skip("no time zone database:", err)
	}
	now := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	got, err := ParseBreachTime("--aware", "2026-10-25T02:30", berlin, now)
	if want := time.Date(2026, 10, 25, 0, 30, 0, 0, time.UTC); err != nil || !got.Equal(want) {
		t.Errorf("ambiguous 02:30 = %v, %v; want %v (the earlier, CEST)", got, err, want)
	}
	got, err = ParseBreachTime("--aware", "2026-10-25 03:30", berlin, now)
	if want := time.Date(2026, 10, 25, 2, 30, 0, 0, time.UTC); err != nil || !got.Equal(want) {
		t.Errorf("03:30 after the change = %v, %v; want %v", got, err, want)
	}
	got, err = ParseBreachTime("--aware", "2026-10-25T01:30", berlin, now)
	if want := time.Date(2026, 10, 24, 23, 30, 0, 0, time.UTC); err != nil || !got.Equal(want) {
		t.Errorf("01:30 before the change = %v, %v; want %v", got, err, want)
	}
}

// TestNotifiedBreachReassessedNoRiskIsDocumentedArt33: a breach the
// authority was told of is documented by the notification whatever its
// risk is re-assessed as later (Art. 33(5)): no reason not to notify is
// pending, and the register says it was notified.
func TestNotifiedBreachReassessedNoRiskIsDocumentedArt33(t *testing.T) {
	b := riskBreach(RiskNone)
	b.NotifiedAt = breachAware.Add(10 * time.Hour)
	after := breachAware.Add(100 * time.Hour)
	if b.ReasonPending() || !b.Documented(after) || b.Open() || b.State(after) != "notified" {
		t.Errorf("notified, then no risk: pending %v documented %v open %v state %q", b.ReasonPending(), b.Documented(after), b.Open(), b.State(after))
	}
	if e := BreachesDocumented([]Breach{b}, after); !e.Done {
		t.Errorf("checklist: %+v", e)
	}
	if err := ValidateNotify(riskBreach(RiskNone), breachAware.Add(time.Hour), ""); err != nil {
		t.Errorf("a voluntary notification refused: %v", err)
	}
}

// TestLateNotificationStaysLateArt33: once the authority was told, the
// time of awareness cannot move (it would turn a late notification into
// one on time), lateness is fixed at notification, and the audit detail
// of an edit names the old and new awareness and risk.
func TestLateNotificationStaysLateArt33(t *testing.T) {
	late := riskBreach(RiskSome)
	late.NotifiedAt, late.NotifiedLate, late.LateReason = breachAware.Add(80*time.Hour), true, "scope found later"
	moved := late
	moved.AwareAt = breachAware.Add(24 * time.Hour)
	if err := CheckBreachEdit(late, moved); err == nil || !strings.Contains(err.Error(), "Art. 33") {
		t.Errorf("awareness moved after notifying: %v", err)
	}
	if !moved.Late() || moved.State(breachAware.Add(200*time.Hour)) != "notified late" {
		t.Errorf("lateness not fixed: %q", moved.State(breachAware.Add(200*time.Hour)))
	}
	open := riskBreach(RiskSome)
	next := open
	next.AwareAt, next.Risk = breachAware.Add(-2*time.Hour), RiskHigh
	if err := CheckBreachEdit(open, next); err != nil {
		t.Errorf("awareness moved before notifying: %v", err)
	}
	d := BreachEditDetail(open, next)
	if !strings.Contains(d, "aware 2026-12-01T09:00:00Z → 2026-12-01T07:00:00Z") || !strings.Contains(d, "risk risk → high") || strings.Contains(d, open.What) {
		t.Errorf("detail %q", d)
	}
	riskOnly := late
	riskOnly.Risk = RiskHigh
	if err := CheckBreachEdit(late, riskOnly); err != nil {
		t.Errorf("risk re-assessed after notifying: %v", err)
	}
}

// TestHighRiskPeopleUntoldAfter72HoursIsTodoArt34: people of a high-risk
// breach are told without undue delay (Art. 34(1)); 72 hours after
// awareness with neither the telling nor a reason of Art. 34(3) recorded,
// the checklist item is to-do and names the breach.
func TestHighRiskPeopleUntoldAfter72HoursIsTodoArt34(t *testing.T) {
	b := riskBreach(RiskHigh)
	b.NotifiedAt = breachAware.Add(5 * time.Hour)
	if e := BreachesDocumented([]Breach{b}, breachAware.Add(48*time.Hour)); !e.Done || !strings.Contains(e.Value, "people not told yet: B1") {
		t.Errorf("within 72 hours: %+v", e)
	}
	e := BreachesDocumented([]Breach{b}, breachAware.Add(73*time.Hour))
	if e.Done || !strings.Contains(e.Value, "Art. 34(1)): B1") || strings.Contains(e.Value, "all documented") {
		t.Errorf("after 72 hours: %+v", e)
	}
	b.InformedAt = breachAware.Add(80 * time.Hour)
	if e := BreachesDocumented([]Breach{b}, breachAware.Add(90*time.Hour)); !e.Done {
		t.Errorf("people told: %+v", e)
	}
}
