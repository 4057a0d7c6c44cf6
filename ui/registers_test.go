package ui

import (
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/teatest/v2"
	"github.com/gdprdesk/gdprdesk/gdpr"
	"github.com/gdprdesk/gdprdesk/store"
)

// openRegisters starts the desk on a store and moves to screen 7.
func openRegisters(t *testing.T, s *store.Store, opts ...func(*Options)) *driver {
	t.Helper()
	d := drive(t, newTestModel(s, opts...), 80, 24)
	d.keys("7")
	d.mustShow("[Purposes (")
	return d
}

func registersOf(d *driver) *registers { return d.m.screens[tabRegisters].(*registers) }

func purposeNamed(t *testing.T, s *store.Store, name string) gdpr.Purpose {
	t.Helper()
	ps, err := s.Purposes()
	if err != nil {
		t.Fatal(err)
	}
	p, ok := gdpr.FindPurpose(ps, name)
	if !ok {
		t.Fatalf("no purpose %q in the register: %+v", name, ps)
	}
	return p
}

// A purpose on legitimate interests is added with every field of Art.
// 30(1), then its balancing test is recorded (dated, by the operator);
// both saves are audited and the list shows the test's outcome.
func TestRegistersAddPurposeAndBalancingTest(t *testing.T) {
	s := openDemo(t, 0)
	if err := s.SaveRecipient("owner", gdpr.Recipient{Name: "PayWell", Role: gdpr.RecipientProcessor, Country: "NL"}); err != nil {
		t.Fatal(err)
	}
	d := openRegisters(t, s)
	d.keys("a")
	d.mustShow("Add a purpose")
	d.typeText("Fraud Checks")
	d.keys("enter", "right", "right", "right", "right", "right", "enter") // legitimate interests
	d.keys("enter")                                                       // not marketing
	d.typeText("checking orders for fraud")
	d.keys("enter")
	d.typeText("customers")
	d.keys("enter")
	d.typeText("identity, billing")
	d.keys("enter")
	d.mustShow("Recipients")
	d.typeText("paywell")
	d.keys("enter", "enter")
	d.typeText("1 year after the order")
	d.keys("enter")
	d.typeText("365")
	d.keys("enter")
	d.typeText("access for two staff")
	d.keys("enter")
	d.mustShow("Added the purpose fraud checks", "fraud checks", "✗ missing")

	got := purposeNamed(t, s, "fraud checks")
	if got.Basis != gdpr.BasisLegitimateInterests || got.Marketing || got.Description != "checking orders for fraud" ||
		strings.Join(got.DataCategories, "|") != "identity|billing" || strings.Join(got.Recipients, "|") != "PayWell" ||
		got.Retention != "1 year after the order" || got.RetentionDays != 365 || got.Security != "access for two staff" {
		t.Fatalf("stored purpose = %+v", got)
	}
	if e := lastAudit(t, s, "purpose.save"); !strings.Contains(e.Detail, "added") {
		t.Errorf("audit detail = %q, want added", e.Detail)
	}

	// The cursor rests on the new purpose: b records its balancing test.
	d.keys("b")
	d.mustShow("Balancing test: fraud checks")
	d.keys("enter")
	d.mustShow("the interest is needed")
	d.typeText("preventing card fraud")
	d.keys("enter")
	d.typeText("only order data is checked")
	d.keys("enter")
	d.typeText("expected by buyers; no profiling")
	d.keys("enter")
	// The outcome is a choice, passed or failed (Art. 6(1)(f)); the
	// safeguards are notes.
	d.mustShow("> passed", "failed")
	d.keys("enter")
	d.typeText("checks only at checkout")
	d.keys("enter")
	d.mustShow("Recorded the balancing test of fraud checks: passed", "✓ passed")
	b := purposeNamed(t, s, "fraud checks").Balancing
	if b == nil || b.Interest != "preventing card fraud" || b.Outcome != gdpr.BalancingPassed || b.Notes != "checks only at checkout" || b.By != "owner" || !b.At.Equal(testNow) {
		t.Fatalf("balancing test = %+v", b)
	}

	// The record shows it all.
	d.keys("enter", "pgdown")
	d.mustShow("the full record", "preventing card fraud", "Recorded            2026-11-29 10:00 UTC by owner")
}

// A purpose that is not on legitimate interests has no balancing key.
func TestRegistersNoBalancingTestForOtherBases(t *testing.T) {
	s := openDemo(t, 0)
	withNewsletter(t, s)
	d := openRegisters(t, s)
	d.keys("b")
	if registersOf(d).Capturing() {
		t.Fatal("b opened a form on a consent purpose")
	}
	for _, b := range registersOf(d).Help() {
		if b.Help().Key == "b" {
			t.Fatal("the help offers b on a consent purpose")
		}
	}
}

// A field the form can check says what is wrong under it and keeps the
// text; a save the store refuses (a marketing purpose people consented to
// cannot stop being marketing) opens the form again with the typed text
// and the store's reason under it.
func TestRegistersErrorsKeepTheText(t *testing.T) {
	s := openDemo(t, 30) // the demo's contacts consent to the newsletter
	d := openRegisters(t, s)
	d.keys("a")
	d.typeText("Email Newsletter")
	d.keys("enter")
	d.mustShow("email newsletter is in the register already: c changes it", "Email Newsletter")
	d.keys("esc")
	d.mustShow("cancelled; nothing changed")

	d.keys("home", "c") // email newsletter, marketing
	d.mustShow("Change the purpose email newsletter")
	d.keys("enter", "right", "enter") // the basis as it is; marketing: no
	d.keys("ctrl+u")
	d.typeText("our own newsletter")
	d.keys("enter", "enter", "enter", "enter", "enter", "enter", "enter", "enter")
	d.mustShow("Change the purpose email newsletter", "✗ save the purpose email newsletter: purpose email newsletter:", "whether it is marketing cannot change")
	if !registersOf(d).Capturing() {
		t.Fatal("the form did not open again")
	}
	d.mustShow("our own newsletter")
	if p := purposeNamed(t, s, "email newsletter"); !p.Marketing || p.Description == "our own newsletter" {
		t.Fatalf("the refused change was saved: %+v", p)
	}
	d.keys("esc")
	if registersOf(d).formErr != "" {
		t.Error("the error outlived its form")
	}
}

// A recipient is added with its DPA and transfer safeguard, changed, and
// removed after a confirmation; the list marks what is missing.
func TestRegistersRecipientAddChangeRemove(t *testing.T) {
	s := openDemo(t, 0)
	withNewsletter(t, s)
	d := openRegisters(t, s)
	d.keys("right")
	d.mustShow("[Recipients & processors (0)]", "No recipients yet")
	d.keys("a")
	d.typeText("CloudMail Inc.")
	d.keys("enter", "enter") // processor
	d.typeText("newsletter delivery")
	d.keys("enter")
	d.typeText("privacy@cloudmail.example")
	d.keys("enter")
	d.typeText("united states")
	d.keys("enter")
	d.typeText("Newsletter, nope")
	d.keys("enter")
	d.mustShow(`no purpose "nope" in the register`)
	d.keys("ctrl+u")
	d.typeText("Newsletter")
	d.keys("enter")
	d.mustShow("DPA signed")
	d.typeText("2030-01-01")
	d.keys("enter")
	d.mustShow("that date is in the future")
	d.keys("ctrl+u")
	d.keys("enter", "enter", "enter", "enter") // no DPA, no reference, no safeguard, no date
	d.mustShow("Added the recipient CloudMail Inc.", "US 3rd", "✗ not signed", "✗ none",
		"✗ 1 processor without a DPA", "✗ 1 transfer without a safeguard")

	d.keys("c")
	d.mustShow("Change the recipient CloudMail Inc.")
	d.keys("enter", "enter", "enter", "enter", "enter") // role … purposes as they are
	d.typeText("2025-05-02")
	d.keys("enter")
	d.typeText("DPA-7")
	d.keys("enter", "right", "right", "enter") // standard contractual clauses
	d.typeText("2025-05-02")
	d.keys("enter")
	d.mustShow("Saved the recipient CloudMail Inc.", "✓ 2025-05-02", "✓ scc 2025-05", "every DPA signed, every transfer safeguarded")
	rs, err := s.Recipients()
	if err != nil {
		t.Fatal(err)
	}
	day := time.Date(2025, 5, 2, 0, 0, 0, 0, time.UTC)
	if len(rs) != 1 || rs[0].Country != "US" || rs[0].Contact != "privacy@cloudmail.example" || !rs[0].DPASignedAt.Equal(day) ||
		rs[0].DPARef != "DPA-7" || rs[0].Safeguard != gdpr.SafeguardSCC || !rs[0].SafeguardAt.Equal(day) ||
		strings.Join(rs[0].Purposes, ",") != "newsletter" {
		t.Fatalf("register = %+v", rs)
	}

	d.keys("d")
	d.mustShow("Remove CloudMail Inc. from the register?")
	d.keys("enter") // Keep is the default
	d.mustShow("kept CloudMail Inc.; nothing changed")
	// Removed from its open record, the record closes with it.
	d.keys("enter", "d", "left", "enter")
	d.mustShow("Removed the recipient CloudMail Inc.", "No recipients yet")
	if registersOf(d).detail != nil {
		t.Error("the record of a removed recipient stayed open")
	}
	if rs, _ := s.Recipients(); len(rs) != 0 {
		t.Fatalf("register after remove = %+v", rs)
	}
	if e := lastAudit(t, s, "recipient.delete"); e.Operator != "owner" {
		t.Errorf("delete audited for %q", e.Operator)
	}
}

// Staff and viewers read the registers and are told why they cannot
// change them; each refusal is audited, and nothing changes.
func TestRegistersRefusedByRole(t *testing.T) {
	for _, role := range []gdpr.Role{gdpr.RoleStaff, gdpr.RoleViewer} {
		t.Run(string(role), func(t *testing.T) {
			s := openDemo(t, 30)
			before, _ := s.Purposes()
			d := openRegisters(t, s, func(o *Options) { o.Role = role })
			want := "staff cannot change the registers; ask an admin"
			if role == gdpr.RoleViewer {
				want = "viewers cannot change the registers"
			}
			d.mustShow("! " + want)
			for _, keys := range [][]string{{"a"}, {"c"}, {"right", "d"}} {
				d.keys(keys...)
				if registersOf(d).Capturing() {
					t.Fatalf("%v opened a form for %s", keys, role)
				}
				d.mustShow("! " + want)
			}
			d.keys("enter")
			d.mustShow("the full record")
			if after, _ := s.Purposes(); len(after) != len(before) {
				t.Fatal("the register changed")
			}
			es, err := s.Audit(store.AuditFilter{Action: string(gdpr.ActionAccessRefused)}, 0, 10)
			if err != nil {
				t.Fatal(err)
			}
			if len(es) != 3 || !strings.Contains(es[0].Detail, "recipient.delete") {
				t.Fatalf("refusals audited: %+v", es)
			}
		})
	}
}

// The flow in a running program: a purpose and a recipient are added,
// each form typed in one burst as a paste arrives (no wait between the
// keys), and both are listed; the store holds what was typed, field by
// field.
func TestFlowRegistersAddPurposeAndRecipient(t *testing.T) {
	s := openDemo(t, 0)
	tm, p := startProgram(t, newTestModel(s), 80, 24)
	p.waitFor(t, tm, "gdprdesk demo")
	tm.Send(keyMsg("7"))
	p.waitFor(t, tm, "No purposes yet")
	burst := func(parts ...string) {
		for _, x := range parts {
			switch x {
			case "enter", "right", "left", "tab":
				tm.Send(keyMsg(x))
			default:
				tm.Type(x)
			}
		}
	}
	tm.Send(keyMsg("a"))
	p.waitFor(t, tm, "Add a purpose")
	burst("Gift Cards", "enter", "right", "enter", "enter", "selling gift cards", "enter", "buyers", "enter", "identity, billing", "enter",
		"enter", "enter", "3 years", "enter", "1096", "enter", "locked office", "enter")
	p.waitFor(t, tm, "Added the purpose gift cards")
	p.waitFor(t, tm, "gift cards         contract")

	tm.Send(keyMsg("right"))
	p.waitFor(t, tm, "[Recipients & processors (0)]")
	tm.Send(keyMsg("a"))
	p.waitFor(t, tm, "Add a recipient")
	burst("CardPrint GmbH", "enter", "enter", "printing cards", "enter", "info@cardprint.example", "enter", "de", "enter", "gift cards", "enter",
		"2026-01-15", "enter", "CP-1", "enter", "enter", "enter")
	p.waitFor(t, tm, "Added the recipient CardPrint GmbH")
	p.waitFor(t, tm, "CardPrint GmbH  processor  DE      ✓ 2026-01-15")
	if err := tm.Quit(); err != nil {
		t.Fatal(err)
	}
	tm.WaitFinished(t, teatest.WithFinalTimeout(10*time.Second))

	gift := purposeNamed(t, s, "gift cards")
	if gift.Basis != gdpr.BasisContract || gift.Description != "selling gift cards" || strings.Join(gift.PeopleCategories, ",") != "buyers" ||
		gift.Retention != "3 years" || gift.RetentionDays != 1096 || gift.Security != "locked office" {
		t.Errorf("purpose = %+v", gift)
	}
	rs, err := s.Recipients()
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) != 1 || rs[0].Name != "CardPrint GmbH" || rs[0].Service != "printing cards" || rs[0].Contact != "info@cardprint.example" ||
		rs[0].Country != "DE" || rs[0].DPARef != "CP-1" || strings.Join(rs[0].Purposes, ",") != "gift cards" {
		t.Errorf("recipients = %+v", rs)
	}
}

// In a running program, staff pressing a on the registers is refused with
// the reason, marked as a refusal, and no form opens; the refusal is in
// the audit log.
func TestFlowRegistersStaffRefused(t *testing.T) {
	s := openDemo(t, 30)
	tm, p := startProgram(t, newTestModel(s, func(o *Options) { o.Role = gdpr.RoleStaff }), 80, 24)
	p.waitFor(t, tm, "Recent activity")
	tm.Send(keyMsg("7"))
	p.waitFor(t, tm, "! staff cannot change the registers; ask an admin · you can read it")
	tm.Send(keyMsg("a"))
	// The footer (the line over the status line) says it, with the
	// refusal's mark; the summary line said it already.
	p.waitFor(t, tm, "ask an admin  ")
	p.mu.Lock()
	lines := strings.Split(p.screen, "\n")
	screen := p.screen
	p.mu.Unlock()
	if footer := strings.TrimSpace(lines[len(lines)-2]); footer != "! staff cannot change the registers; ask an admin" {
		t.Fatalf("footer = %q, want the refusal:\n%s", footer, screen)
	}
	if strings.Contains(screen, "Add a purpose") {
		t.Fatalf("a form opened for staff:\n%s", screen)
	}
	if err := tm.Quit(); err != nil {
		t.Fatal(err)
	}
	tm.WaitFinished(t, teatest.WithFinalTimeout(10*time.Second))
	e := lastAudit(t, s, string(gdpr.ActionAccessRefused))
	if !strings.Contains(e.Detail, "purpose.save") {
		t.Errorf("refusal audited as %q, want purpose.save", e.Detail)
	}
}

// The screen lays out again when the terminal is resized, a form open or
// not: no line is wider than the terminal, and what was shown stays.
func TestRegistersResize(t *testing.T) {
	s := openDemo(t, 30)
	d := drive(t, newTestModel(s), 120, 40)
	d.keys("7", "right")
	d.mustShow("TicketDesk Inc.  ", "newsletter delivery")
	fits := func(w int) {
		t.Helper()
		for _, l := range strings.Split(d.screen(), "\n") {
			if n := ansi.StringWidth(l); n > w {
				t.Fatalf("a line is %d cells wide at %d:\n%s", n, w, d.screen())
			}
		}
	}
	fits(120)
	d.send(tea.WindowSizeMsg{Width: 80, Height: 24})
	fits(80)
	d.mustShow("[Recipients & processors (5)]", "TicketDesk Inc.", "US 3rd")
	d.keys("c")
	d.send(tea.WindowSizeMsg{Width: 60, Height: 20})
	fits(60)
	d.mustShow("Change the recipient")
	d.send(tea.WindowSizeMsg{Width: 120, Height: 40})
	d.keys("esc")
	fits(120)
	d.mustShow("[Recipients & processors (5)]")
}

// A record shows its times in the desk's time zone, and stored text
// passes the sanitizer: a right-to-left override in a description shows
// as a visible sign, not as reversed text.
func TestRegistersRecordZoneAndPlainText(t *testing.T) {
	s := openDemo(t, 0)
	setZone(t, s, "Asia/Tokyo")
	p := gdpr.Purpose{Name: "support", Basis: gdpr.BasisLegitimateInterests, Description: "answers\u202etxt.exe",
		Balancing: &gdpr.BalancingTest{Interest: "i", Necessity: "n", Balance: "b", Outcome: "passed", At: testNow, By: "owner"}}
	if err := s.SavePurpose("owner", p); err != nil {
		t.Fatal(err)
	}
	d := openRegisters(t, s)
	d.keys("enter", "pgdown")
	d.mustShow("answers<U+202E>txt.exe", "Recorded            2026-11-29 19:00 JST by owner")
	if strings.Contains(d.screen(), "\u202e") {
		t.Fatal("the override reached the screen")
	}
}
