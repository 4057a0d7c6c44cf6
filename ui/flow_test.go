package ui

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/gdprdesk/gdprdesk/gdpr"
	"github.com/gdprdesk/gdprdesk/store"
)

func counts(t *testing.T, s *store.Store) store.Counts {
	t.Helper()
	c, err := s.Counts()
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// consistent checks what a cancelled or finished run must leave: the audit
// chain verifies and every counter equals a recount.
func consistent(t *testing.T, s *store.Store) {
	t.Helper()
	rep, err := s.VerifyAudit()
	if err != nil {
		t.Fatal(err)
	}
	if !rep.OK() {
		t.Fatalf("audit verify failed: %+v", rep)
	}
	re, kept, err := s.Recount()
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range re {
		if kept[k] != v {
			t.Errorf("counter %s = %d, recount %d", k, kept[k], v)
		}
	}
}

func filter(d *driver, q string) {
	d.keys("/", "ctrl+u")
	d.typeText(q)
	d.keys("enter")
}

// The flow of the issue: filter the EU contacts without a basis, mark them
// all, add consent with evidence; the store and the dashboard agree.
func TestFlowGiveEUContactsWithoutBasisConsent(t *testing.T) {
	s := openDemo(t, 600)
	withNewsletter(t, s)
	d := drive(t, newTestModel(s), 100, 30)
	before := counts(t, s)
	q, _ := gdpr.ParseQuery("eu:yes basis:none")
	want, err := s.Count(q)
	if err != nil || want == 0 {
		t.Fatalf("fixture: %d EU contacts without basis (%v)", want, err)
	}
	d.keys("2")
	filter(d, "eu:yes basis:none")
	d.mustShow(gdpr.Thousands(want) + " match")
	d.keys("A")
	d.mustShow("marked (all matching eu:yes basis:none)")
	d.keys("b")
	d.mustShow("Lawful basis for the")
	d.keys("enter", "enter") // add, consent
	d.typeText("newsletter") // consent is given per purpose
	d.keys("enter")
	d.keys("ctrl+u")
	d.typeText("webinar")
	d.keys("enter")
	d.typeText("webinar signup 2024")
	d.keys("enter")
	d.mustShow("Add consent for newsletter to")
	d.keys("y")
	if n, _ := s.Count(q); n != 0 {
		// Anonymized contacts match basis:none and are never given a basis.
		anon, _ := gdpr.ParseQuery("eu:yes basis:none status:anonymized")
		if a, _ := s.Count(anon); a != n {
			t.Fatalf("%d EU contacts still lack a basis (%d of them anonymized)", n, a)
		}
	}
	after := counts(t, s)
	if after.EUWithoutBasis >= before.EUWithoutBasis {
		t.Errorf("EU without basis %d → %d: nothing changed", before.EUWithoutBasis, after.EUWithoutBasis)
	}
	d.mustShow("Added the lawful basis Consent to")
	d.keys("1")
	d.mustShow("in scope, no basis", gdpr.Thousands(after.EUWithoutBasis))
	line := ""
	for _, l := range strings.Split(d.screen(), "\n") {
		if strings.Contains(l, "in scope, no basis") {
			line = l
		}
	}
	if f := strings.Fields(line); len(f) < 5 || f[4] != gdpr.Thousands(after.EUWithoutBasis) {
		t.Errorf("dashboard line %q does not show %d", line, after.EUWithoutBasis)
	}
	// The evidence went with the basis.
	page, err := s.Contacts(mustParse(t, "basis:consent source:webinar"), nil, 1)
	if err != nil {
		t.Fatal(err)
	}
	consistent(t, s)
	_ = page
}

func mustParse(t *testing.T, q string) gdpr.Query {
	t.Helper()
	p, err := gdpr.ParseQuery(q)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// A bulk run cancelled after its first chunk leaves whole chunks done and
// the rest untouched, and the store verifies.
func TestFlowCancelBulkMidway(t *testing.T) {
	s := openDemo(t, 2000)
	// The run waits after its first chunk until it is cancelled, so the
	// esc below always lands between two chunks, however fast the run.
	d := drive(t, newTestModel(s, func(o *Options) { o.Store = gatedStore{namedStore{s}} }), 100, 30)
	d.keys("2", "A", "b", "down", "enter") // remove…
	d.keys("down", "enter")                // …contract: removing asks no source or evidence
	d.mustShow("Remove the lawful basis Contract from")
	// It warns how many are left with no basis at all (Art. 6(1)).
	only := mustCountQuery(t, s, "basis:contract") - mustCountQuery(t, s, "basis:contract basis:consent|legal_obligation|vital_interests|public_task|legitimate_interests")
	d.mustShow("! " + gdpr.Thousands(only) + " of them are left with no lawful basis at all")
	if strings.Contains(d.screen(), "Evidence:") {
		t.Errorf("the removal's confirmation shows source and evidence:\n%s", d.screen())
	}
	holding, _ := s.Count(mustParse(t, "basis:contract"))
	progressed := 0
	d.hook = func(msg tea.Msg) []string {
		if _, ok := msg.(bulkMsg); ok {
			progressed++
			if progressed == 1 {
				return []string{"esc"}
			}
		}
		return nil
	}
	d.keys("y")
	d.hook = nil
	if progressed == 0 {
		t.Fatal("no progress was reported")
	}
	d.mustShow("Cancelled:")
	left, _ := s.Count(mustParse(t, "basis:contract"))
	if left == 0 || left >= holding {
		t.Errorf("contract holders %d → %d: want some removed and some kept after a cancel", holding, left)
	}
	consistent(t, s)
	if d.m.busy() != "" {
		t.Error("the app still reports a running operation")
	}
}

// Rows marked one by one get the basis; nothing else changes.
func TestFlowMarkRowsOneByOne(t *testing.T) {
	s := openDemo(t, 300)
	held, _ := s.Count(mustParse(t, "basis:legal_obligation")) // the demo's contact under a legal hold
	d := drive(t, newTestModel(s), 100, 30)
	d.keys("2")
	filter(d, "basis:none")
	first, _ := d.m.screens[tabContacts].(*contacts).win.Selected()
	d.keys("space", "space") // marks two rows, moving down
	d.mustShow("✓ 2 marked")
	d.keys("b", "enter", "down", "down", "enter", "enter") // add, legal obligation, source
	d.typeText("tax records")
	d.keys("enter")
	d.mustShow("Add the lawful basis Legal obligation to 2 contacts?")
	d.keys("y")
	c, err := s.Contact(first.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !c.HasBasis(gdpr.BasisLegalObligation) {
		t.Errorf("%s did not get the basis", first.ID)
	}
	if n, _ := s.Count(mustParse(t, "basis:legal_obligation")); n != held+2 {
		t.Errorf("%d contacts hold legal obligation, want %d", n, held+2)
	}
	consistent(t, s)
}

// A bad filter term is reported inline, the line keeps what was typed to
// be corrected, and the list stays as it was; esc puts back the filter in
// force.
func TestFlowBadFilterIsExplainedInline(t *testing.T) {
	s := openDemo(t, 100)
	d := drive(t, newTestModel(s), 100, 30)
	d.keys("2")
	filter(d, "country:DE")
	filter(d, "colour:blue")
	d.mustShow(`unknown field "colour"`, "/ colour:blue")
	if cs := d.m.screens[tabContacts].(*contacts); cs.queryText != "country:DE" || !cs.filtering {
		t.Fatalf("after a bad term: filter %q, editing %v; want country:DE kept, the line still edited", cs.queryText, cs.filtering)
	}
	d.keys("esc")
	d.mustShow("/ country:DE")
	filter(d, "country:Atlantis")
	d.mustShow("Atlantis")
}

// The contact view: rectify, restrict, record consent, export the access
// package, log a request, then anonymize with a confirmation that names
// the person.
func TestFlowContactActions(t *testing.T) {
	s := openDemo(t, 200)
	withNewsletter(t, s)
	out := t.TempDir()
	d, sel := openActiveContact(t, s, out)
	id := sel.ID
	d.mustShow("Lawful bases (Art. 6)")

	// Rectify: change the city.
	d.keys("e")
	d.mustShow("Rectify " + id.String())
	for range 5 { // first, last, email, phone, street
		d.keys("enter")
	}
	d.keys("ctrl+u")
	d.typeText("Lübeck")
	for range 6 {
		d.keys("enter")
	}
	c, _ := s.Contact(id)
	if c.City != "Lübeck" {
		t.Fatalf("city is %q after the rectification", c.City)
	}
	d.mustShow("Saved the rectification", "Lübeck", "contact.edit")

	// Restrict with a reason, then consent.
	d.keys("r")
	d.typeText("contests accuracy")
	d.keys("enter")
	if c, _ := s.Contact(id); c.Status != gdpr.ContactRestricted {
		t.Fatalf("status %s after restrict", c.Status)
	}
	d.mustShow("Restricted (Art. 18) since", "contests accuracy")
	d.keys("c")
	pickConsentPurpose(t, d, s, "newsletter")
	d.keys("enter", "enter", "enter") // purpose, how, when
	if c, _ := s.Contact(id); !gdpr.ConsentGiven(c.Consents, "newsletter") {
		t.Fatal("no newsletter consent recorded")
	}
	d.mustShow("granted", "consent text v", "Consent per purpose", "newsletter")
	// And withdrawn (Art. 7(3)): the basis ends, the history stays.
	d.keys("w")
	pickWithdrawPurpose(t, d, s, id, "newsletter")
	d.keys("enter", "enter") // purpose, how
	if c, _ := s.Contact(id); gdpr.ConsentGiven(c.Consents, "newsletter") || c.HasBasisFor(gdpr.BasisConsent, "newsletter") {
		t.Fatal("the withdrawal did not end the newsletter consent")
	}
	d.mustShow("withdrawn", "Recorded the withdrawal")

	// Export the access package as JSON.
	d.keys("p", "down", "down", "enter", "enter", "enter") // JSON, no password, no draft
	d.mustShow("Wrote " + out)
	files, _ := filepath.Glob(filepath.Join(out, "access-"+id.String()+"-*.json"))
	if len(files) != 1 {
		t.Fatalf("access packages written: %v", files)
	}
	if b, _ := os.ReadFile(files[0]); !strings.Contains(string(b), "gdprdesk.access/v2") {
		t.Error("the package is not an access package")
	}

	// A new erasure request, then anonymize: the request is completed.
	d.keys("n", "down", "down", "enter", "enter", "enter") // received today
	d.typeText("asked on the phone")
	d.keys("enter")
	reqs, _ := s.Requests(store.RequestFilter{Contact: id})
	if len(reqs) == 0 || reqs[len(reqs)-1].Type != gdpr.RequestErasure {
		t.Fatalf("requests of %s: %+v", id, reqs)
	}
	// Restricted: the anonymize confirmation shows the guard instead
	// (Art. 18); the restriction is lifted first, with the date the
	// person was told (Art. 18(3)).
	d.keys("D")
	d.mustShow("not now", "processing is restricted (Art. 18(1))")
	d.keys("enter")
	d.keys("r")
	d.mustShow("Lift the restriction of "+id.String(), "Person told on")
	d.keys("enter")
	if c, _ := s.Contact(id); c.Status != gdpr.ContactActive {
		t.Fatalf("status %s after lifting", c.Status)
	}
	c, _ = s.Contact(id)
	d.keys("D")
	d.mustShow("Anonymize "+id.String(), c.Email, "cannot be undone")
	if c.Balance > 0 || c.OpenContract {
		d.typeText("paid in full on the phone")
		d.keys("enter")
	}
	d.keys("left", "enter")
	got, _ := s.Contact(id)
	if got.Status != gdpr.ContactAnonymized || got.Email != "" {
		t.Fatalf("after anonymize: status %s, email %q", got.Status, got.Email)
	}
	reqs, _ = s.Requests(store.RequestFilter{Contact: id})
	for _, r := range reqs {
		if r.Type == gdpr.RequestErasure && r.Status != gdpr.StatusCompleted {
			t.Errorf("erasure request %s is %s after the erasure", r.ID, r.Status)
		}
	}
	d.mustShow("(anonymized)")
	consistent(t, s)
}

// A viewer sees why an action is refused instead of nothing happening.
func TestFlowViewerIsToldWhy(t *testing.T) {
	s := openDemo(t, 50)
	d := drive(t, newTestModel(s, func(o *Options) { o.Role = gdpr.RoleViewer }), 100, 30)
	d.keys("2", "A", "b")
	d.mustShow("viewers cannot change lawful bases")
	d.keys("enter", "D")
	d.mustShow("viewers cannot anonymize")
}

// Quitting while a bulk change runs asks first, then stops it cleanly.
func TestFlowQuitDuringBulkAsks(t *testing.T) {
	s := openDemo(t, 2000)
	withNewsletter(t, s)
	d := drive(t, newTestModel(s), 100, 30)
	d.keys("2", "A", "b", "enter", "enter")
	d.typeText("newsletter")
	d.keys("enter", "enter")
	d.typeText("signed forms")
	d.keys("enter")
	asked := false
	d.hook = func(msg tea.Msg) []string {
		if _, ok := msg.(bulkMsg); ok && !asked {
			asked = true
			return []string{"q"}
		}
		return nil
	}
	d.keys("y")
	if !asked {
		t.Fatal("no progress was reported")
	}
	// The question was asked and the run went on, unanswered, to the end:
	// its end closes the question (nothing runs any more) and shows the
	// result, which is not lost.
	if d.quit {
		t.Fatal("q quit at once while a change was running")
	}
	if d.m.confirmQuit {
		t.Fatal("the quit question stayed after the run ended")
	}
	d.mustShow("✓ Added the lawful basis Consent to")
	if strings.Contains(d.screen(), " is running.") {
		t.Fatalf("the screen still says a run is running:\n%s", d.screen())
	}
	d.keys("q")
	if !d.quit {
		t.Error("q did not quit once the run had ended")
	}
	consistent(t, s)
}

// Quitting with y stops the run after its chunk; its result is kept for
// the command to print once the terminal is back (Model.Farewell).
func TestFlowQuitDuringBulkKeepsTheResult(t *testing.T) {
	s := openDemo(t, 2000)
	withNewsletter(t, s)
	d := drive(t, newTestModel(s, func(o *Options) { o.Store = gatedStore{namedStore{s}} }), 100, 30)
	d.keys("2", "A", "b", "enter", "enter")
	d.typeText("newsletter")
	d.keys("enter", "enter")
	d.typeText("signed forms")
	d.keys("enter")
	asked := false
	d.hook = func(msg tea.Msg) []string {
		if _, ok := msg.(bulkMsg); ok && !asked {
			asked = true
			return []string{"q", "y"}
		}
		return nil
	}
	d.keys("y")
	if !asked || !d.quit {
		t.Fatalf("asked %v, quit %v: want q, y during the run to quit after its chunk", asked, d.quit)
	}
	if f := d.m.Farewell(); !strings.HasPrefix(f, "Cancelled: Added the lawful basis Consent to 500 contacts") {
		t.Errorf("farewell %q, want the cancelled run's result", f)
	}
	consistent(t, s)
}

// From the dashboard one key lists the contacts in scope without a basis.
func TestFlowDashboardShowsContactsWithoutBasis(t *testing.T) {
	s := openDemo(t, 300)
	d := drive(t, newTestModel(s), 100, 30)
	d.keys("w")
	if d.m.active != tabContacts {
		t.Fatalf("w went to screen %d", d.m.active)
	}
	q := gdpr.WithoutBasisQuery(gdpr.Settings{})
	n, _ := s.Count(q)
	d.mustShow("/ "+q.String(), gdpr.Thousands(n)+" match")
}

// gatedStore holds a bulk run after its first chunk until the run is
// cancelled (at most 10 s), so a test can cancel between chunks.
type gatedStore struct{ namedStore }

func (g gatedStore) ApplyBasis(ctx context.Context, operator string, q gdpr.Query, ch store.BasisChange, progress func(store.BulkProgress)) (store.BulkResult, error) {
	first := true
	return g.namedStore.ApplyBasis(ctx, operator, q, ch, func(p store.BulkProgress) {
		if progress != nil {
			progress(p)
		}
		if first {
			first = false
			select {
			case <-ctx.Done():
			case <-time.After(10 * time.Second):
			}
		}
	})
}

// The filter applies as it is typed (issue 20.13): after a pause the list
// shows the matches of the line so far while it is still edited; only the
// latest wait runs the query; an incomplete term shows what is wrong under
// the line and leaves the list as it was; enter keeps the filter and
// closes the line; esc puts back the filter in force before editing.
func TestFlowFilterAppliesAsYouType(t *testing.T) {
	s := openDemo(t, 100)
	d := drive(t, newTestModel(s), 100, 30)
	d.keys("2")
	cs := d.m.screens[tabContacts].(*contacts)
	matches := func(text string) string {
		t.Helper()
		q, err := gdpr.ParseQuery(text)
		if err != nil {
			t.Fatal(err)
		}
		n, err := s.Count(q)
		if err != nil || n == 0 || n == 100 {
			t.Fatalf("fixture: %d contacts match %s (%v)", n, text, err)
		}
		return gdpr.Thousands(n) + " match"
	}

	// With the real pause, typing alone runs nothing (the test driver drops
	// waiting timers); the waits are delivered by hand, the stale one first.
	d.keys("/")
	d.typeText("country:DE")
	if cs.queryText != "" {
		t.Fatalf("the filter applied before its pause ended: %q", cs.queryText)
	}
	d.send(filterTickMsg{gen: cs.typeGen - 1, text: "country:D"}, filterTickMsg{gen: cs.typeGen - 1, text: cs.filter.Value()})
	if cs.queryText != "" || cs.queryErr != "" {
		t.Fatalf("a stale wait ran: filter %q, error %q", cs.queryText, cs.queryErr)
	}
	d.send(filterTickMsg{gen: cs.typeGen, text: cs.filter.Value()})
	if cs.queryText != "country:DE" || !cs.filtering {
		t.Fatalf("after the pause: filter %q, editing %v; want country:DE applied, the line still edited", cs.queryText, cs.filtering)
	}
	d.mustShow(matches("country:DE"), "/ country:DE")

	// With no pause, every change applies: an incomplete term is explained
	// and the list stays.
	cs.liveDelay = 0
	d.typeText(" a")
	if cs.queryText != "country:DE a" { // a bare word so far
		t.Fatalf("after a word: filter %q", cs.queryText)
	}
	before := d.screen()
	if !strings.Contains(before, "@") {
		t.Fatalf("fixture: no contact of country:DE has an a:\n%s", before)
	}
	d.typeText(":")
	if cs.queryText != "country:DE a" || cs.queryErr == "" || !cs.filtering {
		t.Fatalf("incomplete term: filter %q, error %q, editing %v", cs.queryText, cs.queryErr, cs.filtering)
	}
	d.mustShow(`unknown field "a"`, "/ country:DE a:")
	if strip := func(s string) string { return strings.Join(strings.Split(s, "\n")[4:], "\n") }; strip(d.screen()) != strip(before) {
		t.Fatalf("an incomplete term changed the list:\n%s\nwas\n%s", d.screen(), before)
	}
	d.keys("backspace", "backspace")
	d.typeText("eu:")
	d.mustShow("eu needs a value", "/ country:DE eu:")
	d.typeText("yes")
	d.mustShow(matches("country:DE eu:yes"))
	if cs.queryErr != "" || !cs.filtering {
		t.Fatalf("completed term: error %q, editing %v", cs.queryErr, cs.filtering)
	}
	d.keys("enter")
	if cs.filtering || cs.queryText != "country:DE eu:yes" {
		t.Fatalf("enter: filter %q, editing %v; want it kept and the line closed", cs.queryText, cs.filtering)
	}

	// esc while editing puts back the filter in force before editing.
	d.keys("/", "ctrl+u")
	d.typeText("status:restricted")
	if cs.queryText != "status:restricted" {
		t.Fatalf("after typing: filter %q", cs.queryText)
	}
	d.keys("esc")
	if cs.filtering || cs.queryText != "country:DE eu:yes" || cs.filter.Value() != "country:DE eu:yes" {
		t.Fatalf("esc: filter %q, line %q, editing %v; want country:DE eu:yes back", cs.queryText, cs.filter.Value(), cs.filtering)
	}
	d.mustShow(matches("country:DE eu:yes"))
}

// Tab on the filter line completes a field name, then a value of it, from
// the query language and the store's purposes; several candidates
// complete to what they share and are listed under the line (issue 20.13).
func TestFlowFilterTabCompletes(t *testing.T) {
	s := openDemo(t, 50)
	withNewsletter(t, s)
	d := drive(t, newTestModel(s), 100, 30)
	d.keys("2")
	cs := d.m.screens[tabContacts].(*contacts)
	cs.liveDelay = 0
	d.keys("/")
	d.typeText("cou")
	d.keys("tab")
	d.typeText("germ")
	d.keys("tab")
	if cs.filter.Value() != "country:DE " || cs.queryText != "country:DE" {
		t.Fatalf("after cou⇥germ⇥ the line holds %q (filter %q), want country:DE applied", cs.filter.Value(), cs.queryText)
	}
	d.typeText("basis:le")
	d.keys("tab")
	if cs.filter.Value() != "country:DE basis:leg" {
		t.Fatalf("basis:le⇥ gives %q, want the shared beginning basis:leg", cs.filter.Value())
	}
	d.mustShow("/ country:DE basis:leg", "legal_obligation  legitimate_interests")
	d.keys("ctrl+u")
	d.typeText("purpose:n")
	d.keys("tab")
	if cs.filter.Value() != "purpose:newsletter " {
		t.Fatalf("purpose:n⇥ gives %q, want the register's purpose", cs.filter.Value())
	}
	d.typeText("colour:b")
	d.keys("tab")
	d.mustShow("nothing to complete here")
	d.typeText("x")
	if strings.Contains(d.screen(), "nothing to complete here") {
		t.Fatal("the completion hint stayed after the next key")
	}
}
