package ui

import (
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/gdprdesk/gdprdesk/gdpr"
	"github.com/gdprdesk/gdprdesk/store"
)

// burst delivers msgs the way a fast typist's keys (or a paste) arrive:
// every one of them before any command they cause has run, then the
// commands. A form that moves its focus in a command would put the keys
// typed after enter into the field that was left.
func (d *driver) burst(msgs ...tea.Msg) {
	d.tb.Helper()
	var cmds []tea.Cmd
	for _, msg := range msgs {
		_, c := d.m.Update(msg)
		cmds = append(cmds, c)
	}
	d.run(tea.Batch(cmds...))
}

// typed is s as key presses, with "\n" as enter.
func typed(s string) []tea.Msg {
	var out []tea.Msg
	for _, r := range s {
		if r == '\n' {
			out = append(out, keyMsg("enter"))
			continue
		}
		out = append(out, tea.KeyPressMsg{Code: r, Text: string(r)})
	}
	return out
}

// Keys typed fast land in the field that was focused when each was typed,
// in order, and a paste lands whole in the field it was pasted into: the
// desk moves a form's focus before it takes the next key (issue 20.6).
func TestFormKeepsFastTypingInItsField(t *testing.T) {
	s := openDemo(t, 20)
	d := openSettings(t, s)
	d.selectRow("DPO (Art. 37)")
	d.keys("enter")
	d.mustShow("Edit Data Protection Officer")
	var msgs []tea.Msg
	msgs = append(msgs, keyMsg("ctrl+u"))
	msgs = append(msgs, typed("Sam Secure\n")...)
	msgs = append(msgs, keyMsg("ctrl+u"))
	msgs = append(msgs, typed("sam@secures.example\n")...)
	msgs = append(msgs, keyMsg("ctrl+u"), tea.PasteMsg{Content: "Main Street 1, 10115 Berlin, Germany"}, keyMsg("enter"))
	d.burst(msgs...)
	d.mustShow("Saved the DPO")
	got := readSettings(t, s).DPO
	want := gdpr.Person{Name: "Sam Secure", Email: "sam@secures.example", Address: "Main Street 1, 10115 Berlin, Germany"}
	if got != want {
		t.Errorf("DPO = %+v, want %+v", got, want)
	}
}

// refusals are the access.refused entries of the audit log, newest first,
// as "operator: detail".
func refusals(t *testing.T, s *store.Store) []string {
	t.Helper()
	es, err := s.Audit(store.AuditFilter{}, 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range es {
		if e.Action == string(gdpr.ActionAccessRefused) {
			out = append(out, e.Operator+": "+e.Detail)
		}
	}
	return out
}

// A viewer pressing an edit key is told why with the refusal's mark (!),
// never a success's (✓), and the refusal is audited once as
// access.refused, naming the action and the role, nothing personal.
func TestViewerRefusalIsMarkedAndAudited(t *testing.T) {
	s := openDemo(t, 50)
	if err := s.LocalOwner().AddOperator("owner", store.Operator{Name: "vera", Role: gdpr.RoleViewer, PublicKey: "ssh-ed25519 AAAA"}); err != nil {
		t.Fatal(err)
	}
	d := drive(t, newTestModel(s, func(o *Options) { o.Operator, o.Role = "vera", gdpr.RoleViewer }), 100, 30)
	d.keys("2", "enter")
	d.mustShow("Audit trail")
	before := len(refusals(t, s))
	d.keys("e")
	d.mustShow("! viewers cannot edit contacts")
	if strings.Contains(d.screen(), "✓ viewers") {
		t.Fatalf("the refusal is drawn as a success:\n%s", d.screen())
	}
	got := refusals(t, s)
	if len(got) != before+1 || got[0] != "vera: contact.edit refused: role viewer" {
		t.Fatalf("access.refused entries after e: %q (had %d), want one more: vera: contact.edit refused: role viewer", got, before)
	}
}

// A guard's refusal is marked and audited too: a step of a request that
// is not open yet (the identity first, Art. 12(6)).
func TestGuardRefusalIsMarkedAndAudited(t *testing.T) {
	s := openDemo(t, 50)
	cid := firstRequest(t, s, func(r gdpr.Request) bool { return r.Contact != 0 }).Contact
	id, err := s.AddRequest("owner", gdpr.Request{Type: gdpr.RequestErasure, Channel: gdpr.ChannelEmail, Contact: cid, Received: testNow})
	if err != nil {
		t.Fatal(err)
	}
	r := reqOf(t, s, id)
	d := drive(t, newTestModel(s), 120, 40)
	openRequest(t, d, r.ID)
	before := len(refusals(t, s))
	d.keys("D")
	d.mustShow("! verify the person's identity first")
	got := refusals(t, s)
	if len(got) != before+1 || got[0] != "owner: contact.anonymize before its step is open refused: role admin" {
		t.Fatalf("access.refused entries after D: %q (had %d)", got, before)
	}
}

// The filter line set from elsewhere holds the new filter with the cursor
// at its end: anna typed, then w on the dashboard, then / and more terms
// add them after the dashboard's filter (issue 20.2, the keys of the
// report, with anna applied). A bad query keeps the line as typed, with the error under it.
func TestFilterSetElsewhereEditsAtTheEnd(t *testing.T) {
	s := openDemo(t, 50)
	d := drive(t, newTestModel(s), 100, 30)
	d.keys("2", "/")
	d.typeText("anna")
	d.keys("enter", "1", "w", "/")
	d.typeText(" country:ES")
	d.keys("enter")
	cs := d.m.screens[tabContacts].(*contacts)
	want := d.m.screens[tabDashboard].(*dashboard).counts.WithoutBasisQuery.String() + " country:ES"
	if cs.queryText != want || cs.queryErr != "" {
		t.Fatalf("filter after w, / and more terms = %q (error %q), want %q", cs.queryText, cs.queryErr, want)
	}
	d.mustShow("/ " + want)

	d.keys("/")
	d.typeText(" country:XX")
	d.keys("enter")
	if cs.queryText != want {
		t.Fatalf("a bad query changed the filter in force to %q", cs.queryText)
	}
	if !cs.filtering || cs.filter.Value() != want+" country:XX" {
		t.Fatalf("after a bad query the line holds %q (editing %v), want what was typed", cs.filter.Value(), cs.filtering)
	}
	d.mustShow(want+" country:XX", cs.queryErr)
	d.keys("esc")
	if cs.filter.Value() != want || cs.queryErr != "" {
		t.Fatalf("esc left the line %q (error %q), want the filter in force", cs.filter.Value(), cs.queryErr)
	}
}

// A version recorded from the text being read (e on a version) is the one
// shown after saving, not the version it started from (issue 20.8).
func TestSettingsNewVersionFromReadingShowsIt(t *testing.T) {
	s := openDemo(t, 50)
	d := openSettings(t, s)
	d.selectRow("consent text    v")
	d.keys("enter")
	d.mustShow("Consent text v", "esc goes back")
	prev := *settingsOf(d).reading
	next := settingsOf(d).latest(gdpr.PolicyConsent).Version + 1
	d.keys("e")
	d.mustShow("starts from v" + itoa(prev.Version))
	d.keys("ctrl+u")
	d.typeText("Yes, send me the monthly newsletter.")
	d.keys("enter", "enter")
	d.mustShow("Recorded consent text v" + itoa(next))
	r := settingsOf(d).reading
	if r == nil || r.Version != next {
		t.Fatalf("after saving, the screen reads %+v, want v%d", r, next)
	}
	d.mustShow("Consent text v"+itoa(next), "in force", "monthly newsletter")
}

// A combined emoji in a cell takes the same width whether the terminal
// counts grapheme clusters or characters, so table columns stay put
// (issue 20.8); plain text and single emoji are left as they are.
func TestCellWidthIsTheSameEitherWay(t *testing.T) {
	for _, s := range []string{"👩\u200d💻 Dev", "👍🏽 ok", "1\ufe0f\u20e3 one", "🇩🇪 Anna", "Zoë Brontë", "e\u0301x", "日本語", "😀 smile", "plain"} {
		c := cell(s, 12)
		if g, wc := ansi.StringWidth(c), ansi.StringWidthWc(c); g != 12 || wc != 12 {
			t.Errorf("cell(%q, 12) = %q: %d cells by graphemes, %d by characters; want 12 both ways", s, c, g, wc)
		}
	}
	for _, s := range []string{"Zoë Brontë", "😀 smile", "日本語", "🇩🇪 Anna"} {
		if got := steadyWidth(s); got != s {
			t.Errorf("steadyWidth(%q) = %q, want it unchanged", s, got)
		}
	}
}

// The bulk form too: typed fast across its groups (the purpose's group is
// shown for consent only), every answer lands in its own field.
func TestBulkFormKeepsFastTyping(t *testing.T) {
	s := openDemo(t, 50)
	withNewsletter(t, s)
	d := drive(t, newTestModel(s), 100, 30)
	d.keys("2", "A", "b")
	d.mustShow("Lawful basis for")
	msgs := []tea.Msg{keyMsg("enter"), keyMsg("enter")} // add, consent
	msgs = append(msgs, typed("newsletter\n")...)
	msgs = append(msgs, keyMsg("ctrl+u"))
	msgs = append(msgs, typed("webinar\nsignup 2024\n")...)
	d.burst(msgs...)
	d.mustShow("Add consent for newsletter to", "Source:   webinar", "Evidence: signup 2024")
}
