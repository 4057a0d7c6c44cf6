package ui

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/golden"
	"github.com/charmbracelet/x/exp/teatest/v2"
	"github.com/gdprdesk/gdprdesk/gdpr"
	"github.com/gdprdesk/gdprdesk/store"
)

// openBreaches starts the desk on a store and moves to the breaches
// section of screen 7.
func openBreaches(t *testing.T, s *store.Store, opts ...func(*Options)) *driver {
	t.Helper()
	d := openRegisters(t, s, opts...)
	d.keys("right", "right")
	d.mustShow("[Breaches (")
	return d
}

func addBreach(t *testing.T, s *store.Store, b gdpr.Breach) gdpr.BreachID {
	t.Helper()
	if b.Risk == "" {
		b.Risk = gdpr.RiskSome
	}
	id, err := s.AddBreach("owner", b)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func breachOf(t *testing.T, s *store.Store, id gdpr.BreachID) gdpr.Breach {
	t.Helper()
	b, err := s.Breach(id)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// A breach is recorded with the time typed in the desk's zone; notified
// after the 72 hours without the reasons for the delay, the rule refuses it
// (Art. 33(1)) and the form opens again with its reason under it and the
// typed reference kept; with the reasons, it is recorded and audited.
func TestBreachesAddThenNotifyLateArt33(t *testing.T) {
	s := openDemo(t, 0)
	setZone(t, s, "Europe/Berlin")
	d := openBreaches(t, s)
	d.mustShow("No breaches recorded")
	d.keys("a")
	d.mustShow("Record a breach", "(CET)")
	d.typeText("2026-11-25 07:00") // 06:00 UTC: the 72 hours ended 2026-11-28 06:00 UTC
	d.keys("enter")
	d.typeText("orders emailed to the wrong customer")
	d.keys("enter", "enter") // risk: the default
	d.typeText("12")
	d.keys("enter")
	d.typeText("40")
	d.keys("enter", "enter") // no query
	d.typeText("customers")
	d.keys("enter")
	d.typeText("identity, orders")
	d.keys("enter", "enter", "enter")
	d.mustShow("Recorded B1: notify the authority by 2026-11-28 07:00 CET (28 h overdue)",
		"B1   11-25 07:00 risk ✗ 28 h over  ✗ not told")
	b := breachOf(t, s, 1)
	if !b.AwareAt.Equal(time.Date(2026, 11, 25, 6, 0, 0, 0, time.UTC)) || b.People != 12 || b.Records != 40 ||
		strings.Join(b.DataCategories, "|") != "identity|orders" || b.Risk != gdpr.RiskSome {
		t.Fatalf("stored %+v", b)
	}
	if e := lastAudit(t, s, string(gdpr.ActionBreachAdd)); e.Record != "B1" || strings.Contains(e.Detail, "orders emailed") {
		t.Errorf("audit %+v", e)
	}

	d.keys("n")
	d.mustShow("The supervisory authority and B1")
	d.keys("enter", "enter") // the authority was told; now
	d.typeText("REF-9")
	d.keys("enter", "enter") // no late reason
	d.mustShow("✗ record the notification of B1:", "give the reasons for the delay")
	if !registersOf(d).Capturing() {
		t.Fatal("the form did not open again")
	}
	d.keys("enter", "enter")
	d.mustShow("REF-9")
	d.keys("enter")
	if got := breachOf(t, s, 1); !got.NotifiedAt.IsZero() {
		t.Fatal("the refused notification was recorded")
	}
	d.typeText("found on day 4")
	d.keys("enter")
	d.mustShow("B1: authority told at 2026-11-29 11:00 CET, after the 72 hours", "✓ told, late")
	got := breachOf(t, s, 1)
	if got.NotifyRef != "REF-9" || got.LateReason != "found on day 4" || !got.NotifiedAt.Equal(testNow) || !got.Documented(testNow) {
		t.Fatalf("after notify: %+v", got)
	}
	if e := lastAudit(t, s, string(gdpr.ActionBreachNotify)); e.Record != "B1" || e.Operator != "owner" {
		t.Errorf("audit %+v", e)
	}
	for _, h := range registersOf(d).Help() {
		if h.Help().Key == "n" {
			t.Error("n is offered on a notified breach")
		}
	}
}

// A breach without risk is documented through the notify form's other
// choice, with its reason; a high-risk breach records the people told or
// the reason of Art. 34(3).
func TestBreachesNoNotifyAndInform(t *testing.T) {
	s := openDemo(t, 0)
	addBreach(t, s, gdpr.Breach{AwareAt: testNow.Add(-2 * time.Hour), What: "encrypted laptop lost", Risk: gdpr.RiskNone})
	addBreach(t, s, gdpr.Breach{AwareAt: testNow.Add(-time.Hour), What: "database copied", Risk: gdpr.RiskHigh})
	d := openBreaches(t, s)
	d.mustShow("! 1 breach to notify within 72 h", "! 1 breach waits for a step")
	d.keys("n")
	d.keys("enter") // no risk is chosen already
	d.typeText("the disk was encrypted")
	d.keys("enter")
	d.mustShow("B1: documented without notifying the authority", "✓ not needed")
	if b := breachOf(t, s, 1); b.NoNotifyReason != "the disk was encrypted" {
		t.Fatalf("B1 = %+v", b)
	}
	d.keys("down", "i", "down", "enter") // not told: a reason
	d.typeText("all passwords were reset the same hour")
	d.keys("enter")
	d.mustShow("B2: the people are not told; the reason (Art. 34(3)) is recorded", "✓ not, 34(3)")
	if b := breachOf(t, s, 2); b.NoInformReason == "" || !b.InformedAt.IsZero() {
		t.Fatalf("B2 = %+v", b)
	}
}

// Staff record breaches as admins do (the store allows it); a viewer is
// told why not before any form, and the refusal is audited.
func TestBreachesStaffAddViewerRefused(t *testing.T) {
	s := openDemo(t, 0)
	for _, op := range []store.Operator{{Name: "sam", Role: gdpr.RoleStaff, PublicKey: "ssh-ed25519 AAAAsam"},
		{Name: "vic", Role: gdpr.RoleViewer, PublicKey: "ssh-ed25519 AAAAvic"}} {
		if err := s.AddOperator("owner", op); err != nil {
			t.Fatal(err)
		}
	}
	staff := openBreaches(t, s, func(o *Options) { o.Operator, o.Role = "sam", gdpr.RoleStaff })
	staff.keys("a")
	staff.typeText("2026-11-29 08:00")
	staff.keys("enter")
	staff.typeText("a parcel label went to the wrong address")
	staff.keys("enter", "enter", "enter", "enter", "enter", "enter", "enter", "enter", "enter")
	staff.mustShow("Recorded B1", "! 70 h left")
	if b := breachOf(t, s, 1); b.RecordedBy != "sam" {
		t.Fatalf("recorded by %q", b.RecordedBy)
	}

	viewer := openBreaches(t, s, func(o *Options) { o.Operator, o.Role = "vic", gdpr.RoleViewer })
	viewer.mustShow("! viewers cannot record breaches")
	for _, k := range []string{"a", "c", "n", "i", "L"} {
		viewer.keys(k)
		if registersOf(viewer).Capturing() {
			t.Fatalf("%s opened a form for a viewer", k)
		}
	}
	viewer.mustShow("B1")
	es, err := s.Audit(store.AuditFilter{Action: string(gdpr.ActionAccessRefused)}, 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(es) != 5 || es[0].Operator != "vic" || !strings.Contains(es[4].Detail, "breach.add") {
		t.Fatalf("refusals audited: %+v", es)
	}
}

// w writes the draft to the authority and L the letters to the people into
// the exports folder; without a query, L says the letters need one.
func TestBreachesDraftAndLetters(t *testing.T) {
	s := openDemo(t, 30)
	if id := addBreach(t, s, gdpr.Breach{AwareAt: testNow.Add(-time.Hour), What: "stolen laptop", Risk: gdpr.RiskHigh}); id != 3 {
		t.Fatalf("first breach %s, want B3 after the demo's two", id)
	}
	addBreach(t, s, gdpr.Breach{AwareAt: testNow.Add(-time.Hour), What: "orders copied", Risk: gdpr.RiskHigh, Query: "country:DE"})
	n, err := s.Count(gdpr.Query{Terms: []gdpr.Term{{Field: gdpr.FieldCountry, Values: []string{"DE"}}}})
	if err != nil || n == 0 {
		t.Fatalf("the demo has %d contacts in DE (%v)", n, err)
	}
	dir := t.TempDir()
	d := openBreaches(t, s, func(o *Options) { o.ExportDir = dir })
	d.keys("end", "up", "L") // the demo's B1 and B2 come first
	d.mustShow("B3 names no contacts (no query): no one to write to; c adds the query")
	d.keys("w")
	d.mustShow("Wrote the draft to the authority (Art. 33(3))")
	draft, err := os.ReadFile(filepath.Join(dir, "breach-B3-authority-2026-11-29.txt"))
	if err != nil || !strings.Contains(string(draft), "stolen laptop") {
		t.Fatalf("draft: %v\n%s", err, draft)
	}
	d.keys("down", "L")
	d.mustShow("Write the notice to each contact of country:DE?")
	d.keys("enter")
	d.mustShow("Wrote the notice of B4 to " + itoa(int(n)) + " people")
	letters, _ := filepath.Glob(filepath.Join(dir, "letter-B4-*.txt"))
	if len(letters) != int(n) {
		t.Errorf("%d letters written, want %d", len(letters), n)
	}
	if e := lastAudit(t, s, string(gdpr.ActionLetterWrite)); !strings.HasPrefix(e.Record, "C") || !strings.Contains(e.Detail, "B4") {
		t.Errorf("audit %+v", e)
	}
}

// The dashboard puts an open breach above everything else, with the hours
// left to tell the authority (✗ once past them); enter opens it on screen 7.
func TestDashboardUrgentBreach(t *testing.T) {
	s := openDemo(t, 5) // with the demo's two breaches, both documented
	d := drive(t, newTestModel(s), 80, 24)
	d.mustShow("Recent activity")
	if strings.Contains(d.screen(), "Breach") {
		t.Fatal("a breach line while every breach is documented")
	}
	addBreach(t, s, gdpr.Breach{AwareAt: testNow.Add(-100 * time.Hour), What: "old", Risk: gdpr.RiskNone, NoNotifyReason: "encrypted"})
	addBreach(t, s, gdpr.Breach{AwareAt: testNow.Add(-55 * time.Hour), What: "copied", Risk: gdpr.RiskSome})
	d.send(changedMsg{})
	d.mustShow("! Breach B4: tell the supervisory authority within 17 h (due 11-30 03:00 UTC)")
	d.keys("enter")
	d.mustShow("[Breaches (4)]", "› B4")

	s2 := openDemo(t, 5)
	addBreach(t, s2, gdpr.Breach{AwareAt: testNow.Add(-80 * time.Hour), What: "late", Risk: gdpr.RiskSome})
	d2 := drive(t, newTestModel(s2), 120, 40)
	d2.mustShow("✗ Breach B3: authority not told, 8 h past the 72 hours (due 2026-11-29 02:00 UTC)")
}

// The checklist's breaches-documented item is fixed in the breach
// register: f opens screen 7 on that section.
func TestChecklistBreachesFixOpensRegister(t *testing.T) {
	s := openDemo(t, 0)
	d := drive(t, newTestModel(s), 100, 30)
	d.keys("4")
	d.mustShow("applicable items done")
	cl := d.m.screens[tabChecklist].(*checklist)
	found := false
	for i, it := range cl.items {
		if it.ID == "breaches-documented" {
			cl.cur.sel, found = i, true
		}
	}
	if !found {
		t.Fatal("no breaches-documented item")
	}
	d.send(changedMsg{}) // draws the item's detail
	d.mustShow("f opens the breaches register (screen 7)")
	d.keys("f")
	d.mustShow("[Breaches (0)]", "No breaches recorded")
}

// Goldens of the dashboard with an urgent breach, at 80×24 and 120×40, on
// a small demo store with one open breach (the shared demo's two breaches
// are documented, so its dashboard golden has no such line).
func TestGoldenDashboardUrgentBreach(t *testing.T) {
	for _, size := range []goldenSize{{80, 24}, {120, 40}} {
		t.Run("dashboard-urgent-"+itoa(size.w)+"x"+itoa(size.h), func(t *testing.T) {
			s := openDemo(t, 30)
			addBreach(t, s, gdpr.Breach{AwareAt: testNow.Add(-55 * time.Hour), What: "order database copied", Risk: gdpr.RiskHigh})
			tm, p := startProgram(t, newTestModel(s), size.w, size.h)
			p.waitFor(t, tm, "Breach B3")
			if err := tm.Quit(); err != nil {
				t.Fatal(err)
			}
			m := tm.FinalModel(t, teatest.WithFinalTimeout(10*time.Second)).(*Model)
			golden.RequireEqual(t, []byte(ansi.Strip(m.render())))
		})
	}
}

// c changes a breach's facts over the stored ones (the form opens with
// them); who was told and when stay as they were.
func TestBreachesChangeFacts(t *testing.T) {
	s := openDemo(t, 0)
	id := addBreach(t, s, gdpr.Breach{AwareAt: testNow.Add(-2 * time.Hour), What: "laptop lost", People: 3, Risk: gdpr.RiskSome})
	if err := s.UpdateBreach("owner", id, gdpr.ActionBreachNotify, "told", func(b *gdpr.Breach) error {
		b.NotifiedAt, b.NotifyRef = testNow, "REF-1"
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	d := openBreaches(t, s)
	d.keys("c")
	d.mustShow("Change the facts of B1", "laptop lost")
	d.keys("enter") // aware as it is
	d.keys("ctrl+u")
	d.typeText("laptop stolen from a car")
	d.keys("enter", "right", "enter") // high
	d.keys("enter", "enter")
	d.typeText("country:DE")
	d.keys("enter", "enter", "enter", "enter", "enter")
	d.mustShow("Saved the facts of B1", "laptop stolen from a car", "high")
	b := breachOf(t, s, id)
	if b.What != "laptop stolen from a car" || b.Risk != gdpr.RiskHigh || b.Query != "country:DE" || b.People != 3 ||
		b.NotifyRef != "REF-1" || !b.NotifiedAt.Equal(testNow) || !b.AwareAt.Equal(testNow.Add(-2*time.Hour)) {
		t.Fatalf("after change: %+v", b)
	}
	if e := lastAudit(t, s, string(gdpr.ActionBreachEdit)); e.Record != "B1" {
		t.Errorf("audit %+v", e)
	}
}
