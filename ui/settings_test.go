package ui

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/gdprdesk/gdprdesk/gdpr"
	"github.com/gdprdesk/gdprdesk/store"
)

// openSettings starts the desk on a store and moves to the settings screen.
// At 80×24 the screen opens on its top sections (roles, processing, the
// recipients register); the sections below it come into view as the
// cursor moves down (selectRow), as they do for a person.
func openSettings(t *testing.T, s *store.Store, opts ...func(*Options)) *driver {
	t.Helper()
	d := drive(t, newTestModel(s, opts...), 80, 24)
	d.keys("5")
	d.mustShow("Roles", "Recipients (third parties")
	return d
}

// settingsOf is the settings screen of the driven model.
func settingsOf(d *driver) *settings { return d.m.screens[tabSettings].(*settings) }

// selectRow moves the cursor down from the top until the selected row (the
// line marked ›) shows text.
func (d *driver) selectRow(text string) {
	d.tb.Helper()
	d.keys("home")
	for range 60 {
		for _, l := range strings.Split(d.screen(), "\n") {
			if strings.HasPrefix(l, "› ") && strings.Contains(l, text) {
				return
			}
		}
		d.keys("down")
	}
	d.tb.Fatalf("no row shows %q:\n%s", text, d.screen())
}

func readSettings(t *testing.T, s *store.Store) gdpr.Settings {
	t.Helper()
	st, err := s.Settings()
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// lastAudit is the newest audit entry of an action.
func lastAudit(t *testing.T, s *store.Store, action string) store.AuditEntry {
	t.Helper()
	es, err := s.Audit(store.AuditFilter{Action: action}, 0, 1)
	if err != nil {
		t.Fatal(err)
	}
	if len(es) == 0 {
		t.Fatalf("no %s entry in the audit log", action)
	}
	return es[0]
}

// Editing the DPO saves only the DPO, normalizes the email, audits the
// change and tells the owner; q typed into the form is text, not quit.
func TestSettingsEditDPO(t *testing.T) {
	s := openDemo(t, 50)
	before := readSettings(t, s)
	d := openSettings(t, s)
	d.selectRow("DPO (Art. 37)")
	d.keys("enter")
	if !settingsOf(d).Capturing() {
		t.Fatal("the form is open but the screen does not capture keys")
	}
	d.mustShow("Edit Data Protection Officer")
	d.keys("ctrl+u")
	d.typeText("Ingrid Haq")
	d.keys("enter", "ctrl+u")
	d.typeText("Ingrid.Haq@Demo-Shop.example")
	d.keys("enter")
	d.typeText("Hauptstraße 1, 10115 Berlin, Germany")
	d.keys("enter")
	if d.quit {
		t.Fatal("q in the form quit the desk")
	}
	d.mustShow("Saved the DPO", "Ingrid Haq · ingrid.haq@demo-shop.example")
	if settingsOf(d).Capturing() {
		t.Fatal("the form stayed open after saving")
	}

	got := readSettings(t, s)
	want := gdpr.Person{Name: "Ingrid Haq", Email: "ingrid.haq@demo-shop.example", Address: "Hauptstraße 1, 10115 Berlin, Germany"}
	if got.DPO != want {
		t.Errorf("DPO = %+v, want %+v", got.DPO, want)
	}
	got.DPO = before.DPO
	if a, b := mustJSON(t, got), mustJSON(t, before); a != b {
		t.Errorf("other settings changed:\n%s\n%s", a, b)
	}
	e := lastAudit(t, s, "settings.edit")
	if e.Operator != "owner" || e.Detail != "changed dpo" {
		t.Errorf("audit entry = %s by %s %q, want changed dpo by owner", e.Action, e.Operator, e.Detail)
	}
}

// A bad email is refused by the form itself: it stays open, and esc
// leaves the settings as they were.
func TestSettingsBadEmailRefused(t *testing.T) {
	s := openDemo(t, 0)
	d := openSettings(t, s)
	d.selectRow("Security officer")
	d.keys("enter")
	d.typeText("Chris")
	d.keys("enter")
	d.typeText("chris at example")
	d.keys("enter")
	d.mustShow("not a valid address")
	if !settingsOf(d).Capturing() {
		t.Fatal("the form closed on a bad email")
	}
	d.keys("esc")
	d.mustShow("cancelled; nothing changed", "Security officer", "not set")
	if got := readSettings(t, s); got.CDSO.Filled() {
		t.Errorf("CDSO saved despite a bad email: %+v", got.CDSO)
	}
}

// Recipients are added to the register (one list: SPEC §10), shown and
// deleted (after a confirmation), each in one audited save.
func TestSettingsAddDeleteRecipient(t *testing.T) {
	s := openDemo(t, 0)
	d := openSettings(t, s)
	d.selectRow("+ add a recipient")
	d.keys("enter")
	d.typeText("MailDrop Ltd")
	d.keys("enter")
	d.typeText("processor")
	d.keys("enter")
	d.typeText("newsletter delivery")
	d.keys("enter")
	d.typeText("gb")
	d.keys("enter", "enter") // no purposes
	d.typeText("2024-03-01")
	d.keys("enter")
	d.typeText("adequacy")
	d.keys("enter")
	d.typeText("Privacy@MailDrop.example")
	d.keys("enter")
	d.mustShow("Saved the recipient MailDrop Ltd", "MailDrop Ltd", "newsletter delivery · GB", "DPA 2024-03-01")
	got, err := s.Recipients()
	if err != nil {
		t.Fatal(err)
	}
	want := gdpr.Recipient{Name: "MailDrop Ltd", Role: gdpr.RecipientProcessor, Service: "newsletter delivery", Country: "GB",
		DPASignedAt: time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC), Safeguard: gdpr.SafeguardAdequacy, Contact: "privacy@maildrop.example"}
	if len(got) != 1 || !reflect.DeepEqual(got[0], want) {
		t.Fatalf("register = %+v, want %+v", got, want)
	}
	if len(readSettings(t, s).Recipients) != 0 {
		t.Error("the recipient went into the settings too: two lists")
	}
	if e := lastAudit(t, s, "recipient.save"); e.Detail != "added" && !strings.Contains(e.Detail, "added") {
		t.Errorf("audit detail = %q", e.Detail)
	}

	// The cursor rests on the new recipient; a second one of the same name
	// is refused by the form.
	d.keys("a")
	d.typeText("maildrop ltd")
	d.keys("enter")
	d.mustShow("is recorded already")
	d.keys("esc")

	d.selectRow("MailDrop Ltd")
	d.keys("d")
	d.mustShow("Delete MailDrop Ltd from the recipients?")
	d.keys("enter") // Keep is the default
	d.mustShow("kept MailDrop Ltd; nothing changed")
	if got, _ := s.Recipients(); len(got) != 1 {
		t.Fatalf("recipient deleted without confirmation: %+v", got)
	}
	d.keys("d", "left", "enter")
	d.mustShow("Deleted the recipient MailDrop Ltd")
	if got, _ := s.Recipients(); len(got) != 0 {
		t.Fatalf("recipients after delete = %+v", got)
	}
}

// A source rule is added with a basis picked from the six of Art. 6(1); a
// source that has a rule already is refused.
func TestSettingsAddSourceRule(t *testing.T) {
	s := openDemo(t, 50)
	d := openSettings(t, s)
	d.selectRow("purchase")
	d.keys("a")
	d.mustShow("Add a source rule")
	d.typeText("purchase")
	d.keys("enter")
	d.mustShow("purchase has a rule already")
	d.keys("ctrl+u")
	d.typeText("Webinar")
	d.keys("enter")
	d.keys("end", "enter") // legitimate interests, the last of the six
	d.typeText("signed up for the webinar")
	d.keys("enter")
	d.mustShow("Saved the rule webinar → Legitimate interests")

	rules, err := s.SourceRules()
	if err != nil {
		t.Fatal(err)
	}
	want := gdpr.SourceRule{Source: "webinar", Basis: gdpr.BasisLegitimateInterests, Evidence: "signed up for the webinar"}
	found := false
	for _, r := range rules {
		found = found || r == want
	}
	if !found || len(rules) != 4 {
		t.Fatalf("rules = %+v, want 4 with %+v", rules, want)
	}
	if e := lastAudit(t, s, "rule.set"); e.Record != "source webinar" {
		t.Errorf("audit record = %q", e.Record)
	}

	d.selectRow("webinar")
	d.keys("d", "left", "enter")
	d.mustShow("Deleted the rule for webinar")
	if rules, _ := s.SourceRules(); len(rules) != 3 {
		t.Fatalf("rules after delete = %+v", rules)
	}
}

// A new consent wording is a new version, with its SHA-256 and effective
// time; the earlier versions stay readable in full.
func TestSettingsNewConsentVersion(t *testing.T) {
	s := openDemo(t, 50)
	old, err := s.PolicyVersions()
	if err != nil {
		t.Fatal(err)
	}
	var prev gdpr.PolicyVersion
	for _, p := range old {
		if p.Kind == gdpr.PolicyConsent && p.Version > prev.Version {
			prev = p
		}
	}
	if prev.Version == 0 {
		t.Fatal("the demo has no consent text")
	}
	d := openSettings(t, s)
	d.selectRow("+ new consent text version")
	d.keys("enter")
	d.mustShow("New consent text version (v" + itoa(prev.Version+1) + ")")
	d.keys("enter", "enter") // unchanged text
	d.mustShow("this is the text of v" + itoa(prev.Version) + " already")
	d.keys("shift+tab", "ctrl+u")
	text := "Yes, send me the monthly newsletter. I can unsubscribe at any time."
	d.typeText(text)
	d.keys("enter", "enter")
	d.mustShow("Recorded consent text v" + itoa(prev.Version+1))

	vs, err := s.PolicyVersions()
	if err != nil {
		t.Fatal(err)
	}
	if len(vs) != len(old)+1 {
		t.Fatalf("%d versions, want %d", len(vs), len(old)+1)
	}
	var got gdpr.PolicyVersion
	for _, p := range vs {
		if p.Kind == gdpr.PolicyConsent && p.Version == prev.Version+1 {
			got = p
		}
		if p.Kind == prev.Kind && p.Version == prev.Version && p.Text != prev.Text {
			t.Errorf("v%d changed", prev.Version)
		}
	}
	if got.Text != text || got.SHA256 != gdpr.TextSHA256(text) || !got.EffectiveAt.Equal(testNow) {
		t.Fatalf("new version = %+v, want the text, its SHA-256 and effective %s", got, testNow)
	}
	if e := lastAudit(t, s, "policy.add"); e.Record != "consent_text v"+itoa(got.Version) {
		t.Errorf("audit record = %q", e.Record)
	}

	// The earlier version is still there, in full.
	d.selectRow("consent text    v" + itoa(prev.Version) + " ")
	d.keys("enter")
	d.mustShow("Consent text v"+itoa(prev.Version), "SHA-256 "+prev.SHA256, "earlier version")
	first := strings.Fields(prev.Text)
	d.mustShow(strings.Join(first[:min(4, len(first))], " "))
	d.keys("esc", "down")
	d.mustShow("› consent text    v" + itoa(got.Version))
}

// Staff and viewers see settings but are told why they cannot change them;
// reading a version stays open to them.
func TestSettingsRefusedToStaff(t *testing.T) {
	for _, role := range []gdpr.Role{gdpr.RoleStaff, gdpr.RoleViewer} {
		t.Run(string(role), func(t *testing.T) {
			s := openDemo(t, 50)
			before := mustJSON(t, readSettings(t, s))
			d := openSettings(t, s, func(o *Options) { o.Role = role })
			d.selectRow("DPO (Art. 37)")
			d.keys("enter")
			want := "staff cannot change settings; ask an admin"
			if role == gdpr.RoleViewer {
				want = "viewers cannot change settings"
			}
			d.mustShow(want)
			if settingsOf(d).Capturing() {
				t.Fatal("a form opened for " + string(role))
			}
			d.selectRow("+ add a recipient")
			d.keys("a")
			d.mustShow(want)
			d.selectRow("purchase")
			d.keys("d")
			d.mustShow(want)
			d.selectRow("privacy policy  v1")
			d.keys("enter")
			d.mustShow("Privacy policy v1", "SHA-256")
			d.keys("e")
			d.mustShow(want)
			if after := mustJSON(t, readSettings(t, s)); after != before {
				t.Errorf("settings changed by %s", role)
			}
		})
	}
}

// The DPA needs who and when, as a real date not in the future.
func TestSettingsDPA(t *testing.T) {
	s := openDemo(t, 0)
	d := openSettings(t, s)
	d.selectRow("DPA (Art. 28)")
	d.keys("enter")
	d.typeText("Anna Schmidt")
	d.keys("enter", "enter")
	d.mustShow("the date it was signed is needed")
	d.typeText("2026-13-01")
	d.keys("enter")
	d.mustShow("write it as YYYY-MM-DD")
	d.keys("ctrl+u")
	d.typeText("2027-01-01")
	d.keys("enter")
	d.mustShow("that date is in the future")
	d.keys("ctrl+u")
	d.typeText("2026-03-15")
	d.keys("enter")
	d.mustShow("Saved the DPA", "signed by Anna Schmidt on 2026-03-15")
	got := readSettings(t, s)
	if got.DPASignedBy != "Anna Schmidt" || !got.DPASignedAt.Equal(time.Date(2026, 3, 15, 0, 0, 0, 0, time.UTC)) {
		t.Fatalf("DPA = %q %s", got.DPASignedBy, got.DPASignedAt)
	}
}

// The screen scrolls to keep the cursor in sight at 80×24.
func TestSettingsScrolls(t *testing.T) {
	s := openDemo(t, 50)
	d := openSettings(t, s)
	d.keys("end")
	d.mustShow("› + new consent text version", "Policy and consent-text versions")
	d.keys("home")
	d.mustShow("› Controller", "Roles")
}

func mustJSON(t *testing.T, v gdpr.Settings) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// The settings screen and its forms, at 80×24 and 120×40, on the demo
// store. Refresh with: go test ./ui -run TestGoldenSettings -update
func TestGoldenSettings(t *testing.T) {
	steps := []goldenStep{
		{"list", []string{"5"}, "Recipients (third parties"},
		{"list-end", []string{"5", "end"}, "› + new consent text version"},
		{"dialog-dpo", []string{"5", "down", "enter"}, "Edit Data Protection Officer"},
		{"dialog-rule", []string{"5", "end", "up", "up", "up", "up", "up", "up", "up", "a"}, "Add a source rule"},
		{"version", []string{"5", "end", "up", "up", "up", "enter"}, "esc goes back"},
	}
	runGoldenSteps(t, steps)
}

// Purposes and the privacy-policy address are edited in place; an address
// that is not a web address is refused by the form.
func TestSettingsPurposesAndURL(t *testing.T) {
	s := openDemo(t, 0)
	d := openSettings(t, s)
	d.selectRow("Privacy policy")
	d.keys("a")
	d.mustShow("nothing to add here")
	d.keys("e")
	d.typeText("demo-shop.example/privacy")
	d.keys("enter")
	d.mustShow("write the full address")
	d.keys("ctrl+u")
	d.typeText("https://demo-shop.example/privacy")
	d.keys("enter")
	d.mustShow("Saved the privacy-policy address")
	d.selectRow("Purposes")
	d.keys("enter")
	d.typeText("Delivering orders.")
	d.keys("enter")
	d.mustShow("Saved the purposes", "Delivering orders.")
	got := readSettings(t, s)
	if got.PrivacyPolicyURL != "https://demo-shop.example/privacy" || got.Purposes != "Delivering orders." {
		t.Fatalf("settings = %+v", got)
	}
}
