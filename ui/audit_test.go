package ui

import (
	"strconv"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/gdprdesk/gdprdesk/gdpr"
	"github.com/gdprdesk/gdprdesk/store"
)

// auditOf is the audit screen of a model.
func auditOf(d *driver) *auditScreen { return d.m.screens[tabAudit].(*auditScreen) }

// auditFilter types a filter into the audit screen's bar and applies it.
func auditFilter(d *driver, q string) {
	d.keys("/", "ctrl+u")
	d.typeText(q)
	d.keys("enter")
}

// storeAudit reads the log straight from the store, for comparison.
func storeAudit(t *testing.T, s *store.Store, f store.AuditFilter, before uint64, limit int) []store.AuditEntry {
	t.Helper()
	es, err := s.Audit(f, before, limit)
	if err != nil {
		t.Fatal(err)
	}
	return es
}

func seqs(es []store.AuditEntry) []uint64 {
	out := make([]uint64, len(es))
	for i, e := range es {
		out[i] = e.Seq
	}
	return out
}

// The log opens on its newest entry, in the first row, under the header.
func TestAuditFirstRowIsNewest(t *testing.T) {
	s := openDemo(t, 100)
	d := drive(t, newTestModel(s), 80, 24)
	d.keys("6")
	newest := storeAudit(t, s, store.AuditFilter{}, 0, 1)[0]
	a := auditOf(d)
	if len(a.entries) == 0 || a.entries[0].Seq != newest.Seq || a.cur.sel != 0 {
		t.Fatalf("first entry %v, selected %d; the store's newest is %d", seqs(a.entries[:1]), a.cur.sel, newest.Seq)
	}
	lines := strings.Split(d.screen(), "\n")
	// Tabs, rule, filter bar, info line, header: the sixth line is the first row.
	if !strings.HasPrefix(lines[5], strconv.FormatUint(newest.Seq, 10)+" ") || !strings.Contains(lines[5], newest.Action) {
		t.Fatalf("first row %q, want entry %d (%s):\n%s", lines[5], newest.Seq, newest.Action, d.screen())
	}
	d.mustShow(gdpr.Thousands(int64(newest.Seq))+" entries, newest first · row 1", "Seq", "Time (UTC)", "Operator", "Action", "Record", "Detail")
	d.keys("down")
	d.mustShow("row 2")
}

// A record filter shows that record's entries and nothing else; esc
// clears it.
func TestAuditFilterByRecord(t *testing.T) {
	s := openDemo(t, 100)
	want := storeAudit(t, s, store.AuditFilter{Record: "R10"}, 0, 1000)
	if len(want) < 2 {
		t.Fatalf("fixture: R10 has %d entries", len(want))
	}
	d := drive(t, newTestModel(s), 80, 24)
	d.keys("6")
	all := len(auditOf(d).entries)
	auditFilter(d, "record:r10") // typed in lower case: the log writes R10
	a := auditOf(d)
	if got := seqs(a.entries); !equalSeqs(got, seqs(want)) {
		t.Fatalf("filtered entries %v, want %v", got, seqs(want))
	}
	for _, e := range a.entries {
		if e.Record != "R10" {
			t.Fatalf("entry %d is about %s", e.Seq, e.Record)
		}
	}
	d.mustShow("/ record:r10", strconv.Itoa(len(want))+" matches, newest first")
	for _, line := range strings.Split(d.screen(), "\n")[5 : 5+len(want)] {
		if !strings.Contains(line, "R10") {
			t.Fatalf("row %q is not about R10:\n%s", line, d.screen())
		}
	}

	auditFilter(d, "op:owner action:request.")
	for _, e := range auditOf(d).entries {
		if e.Operator != "owner" || !strings.HasPrefix(e.Action, "request.") {
			t.Fatalf("entry %d (%s by %s) does not match op:owner action:request.", e.Seq, e.Action, e.Operator)
		}
	}
	auditFilter(d, "op:nobody")
	d.mustShow("no entry matches op:nobody (esc clears the filter)")

	d.keys("esc")
	if n := len(auditOf(d).entries); n != all {
		t.Fatalf("after esc %d entries, want all %d", n, all)
	}
	d.mustShow("/ filter: op:alice")
}

// A bad term says what is wrong, inline, and the list stays as it was.
func TestAuditBadFilterKeepsTheList(t *testing.T) {
	s := openDemo(t, 100)
	d := drive(t, newTestModel(s), 80, 24)
	d.keys("6")
	auditFilter(d, "record:R10")
	before := seqs(auditOf(d).entries)
	for _, c := range []struct{ q, says string }{
		{"alice", `"alice" is not a filter term`},
		{"who:alice", `unknown filter "who:"`},
		{"op:", "op: needs a value"},
		{"op:a op:b", "op: is given twice"},
		{`record:"source webinar`, "a quote is not closed"},
	} {
		auditFilter(d, c.q)
		// The line keeps what was typed, to be corrected; esc puts
		// back the filter in force.
		d.mustShow(c.says, "/ "+c.q)
		d.keys("esc")
		d.mustShow("/ record:R10")
		if got := seqs(auditOf(d).entries); !equalSeqs(got, before) {
			t.Fatalf("%q changed the list to %v, want %v", c.q, got, before)
		}
	}
	// The error goes with the next good filter.
	auditFilter(d, "record:R9")
	if strings.Contains(d.screen(), "given twice") || auditOf(d).filterErr != "" {
		t.Fatalf("the error stays:\n%s", d.screen())
	}
}

// While the filter is edited the screen captures the keys: q is typed,
// not a request to quit; esc stops editing and keeps the old filter.
func TestAuditCapturesWhileEditing(t *testing.T) {
	s := openDemo(t, 20)
	d := drive(t, newTestModel(s), 80, 24)
	d.keys("6", "/")
	if !auditOf(d).Capturing() {
		t.Fatal("not capturing while the filter is edited")
	}
	d.typeText("op:q")
	if d.quit {
		t.Fatal("q quit while typing a filter")
	}
	d.mustShow("op:q", "apply filter")
	d.keys("esc")
	if auditOf(d).Capturing() || auditOf(d).filterText != "" {
		t.Fatalf("esc: capturing %v, filter %q", auditOf(d).Capturing(), auditOf(d).filterText)
	}
	d.mustShow("/ filter: op:alice", "v verify the chain")
}

// A log longer than a page is read a page at a time, older pages as the
// cursor nears the end, until every entry is there exactly once, in order.
func TestAuditPagesOlderEntries(t *testing.T) {
	s := openDemo(t, 100)
	all := storeAudit(t, s, store.AuditFilter{}, 0, 100000)
	const page = 50
	if len(all) <= 2*page {
		t.Fatalf("fixture: %d entries, want more than two pages", len(all))
	}
	m := newTestModel(s)
	m.screens[tabAudit].(*auditScreen).pageSize = page
	d := drive(t, m, 80, 24)
	d.keys("6")
	a := auditOf(d)
	if len(a.entries) != page || !a.more {
		t.Fatalf("%d entries loaded (more %v), want the first page of %d", len(a.entries), a.more, page)
	}
	d.keys("pgdown", "pgdown")
	if len(a.entries) != 2*page {
		t.Fatalf("after two pages down %d entries loaded, want %d", len(a.entries), 2*page)
	}
	if got, want := a.entries[page].Seq, storeAudit(t, s, store.AuditFilter{}, a.entries[page-1].Seq, 1)[0].Seq; got != want {
		t.Fatalf("the second page starts at %d, want %d", got, want)
	}
	for range 20 {
		d.keys("end")
	}
	if !equalSeqs(seqs(a.entries), seqs(all)) || a.more {
		t.Fatalf("after paging to the end: %d entries (more %v), want all %d in order", len(a.entries), a.more, len(all))
	}
	d.mustShow("row " + strconv.Itoa(len(all)))
	oldest := all[len(all)-1]
	d.mustShow(oldest.Action)
	d.keys("home")
	d.mustShow("row 1")
}

// A filtered log pages the same way: each page continues after the last
// match, and the info line says more may follow.
func TestAuditPagesAFilteredLog(t *testing.T) {
	s := openDemo(t, 100)
	f := store.AuditFilter{Action: "contact.create"}
	all := storeAudit(t, s, f, 0, 100000)
	m := newTestModel(s)
	m.screens[tabAudit].(*auditScreen).pageSize = 40
	d := drive(t, m, 80, 24)
	d.keys("6")
	auditFilter(d, "action:contact.create")
	a := auditOf(d)
	if len(a.entries) != 40 || !a.more {
		t.Fatalf("%d entries, more %v; want one page of 40", len(a.entries), a.more)
	}
	d.mustShow("40 matches so far", "older ones load as you scroll")
	for range 10 {
		d.keys("end")
	}
	if !equalSeqs(seqs(a.entries), seqs(all)) {
		t.Fatalf("filtered paging gave %v, want %v", seqs(a.entries), seqs(all))
	}
	d.mustShow(strconv.Itoa(len(all)) + " matches, newest first")
}

// enter opens every field of an entry, the hashes included; esc goes back.
func TestAuditEntryDetails(t *testing.T) {
	s := openDemo(t, 100)
	es := storeAudit(t, s, store.AuditFilter{}, 0, 2)
	d := drive(t, newTestModel(s), 80, 24)
	d.keys("6", "down", "enter")
	e := es[1]
	d.mustShow("Audit entry "+strconv.FormatUint(e.Seq, 10), e.At.UTC().Format("2006-01-02 15:04:05")+" UTC",
		e.Operator, e.Action, e.Record, "Previous  "+e.Prev, "Hash      "+e.Hash, "back to the log")
	if es[0].Prev != e.Hash {
		t.Fatalf("fixture: entry %d does not follow %d", es[0].Seq, e.Seq)
	}
	d.keys("esc")
	d.mustShow("entries, newest first · row 2")
	// The first entry has no previous hash, and says so.
	d.keys("end", "enter")
	d.mustShow("Audit entry 1", "none: this is the first entry")
}

// The personal part of an entry shows in its view and never in the list;
// once the subject is erased the view says "erased" (the view reloads on a
// change).
func TestAuditPersonalPartOnlyInDetails(t *testing.T) {
	s := openDemo(t, 20)
	id := gdpr.ContactID(5)
	if err := s.UpdateContact("alice", id, func(c *gdpr.Contact) error { c.FirstName = "Zebediah"; return nil }); err != nil {
		t.Fatal(err)
	}
	e := storeAudit(t, s, store.AuditFilter{}, 0, 1)[0]
	if !strings.Contains(e.Personal, "Zebediah") {
		t.Fatalf("fixture: the edit's personal part is %q", e.Personal)
	}
	d := drive(t, newTestModel(s), 120, 40)
	d.keys("6")
	d.mustShow("alice", "contact.edit", "C5")
	if strings.Contains(d.screen(), "Zebediah") {
		t.Fatalf("the list shows the personal part:\n%s", d.screen())
	}
	for _, e := range auditOf(d).entries {
		if e.Personal != "" {
			t.Fatalf("the list holds entry %d's personal part", e.Seq)
		}
	}
	d.keys("enter")
	d.mustShow("Personal  ", "Zebediah")

	// The demo restricted C5: the restriction is lifted first, on the
	// record (SPEC §9 erasure guards).
	if c, _ := s.Contact(id); c.Status == gdpr.ContactRestricted {
		if err := s.LiftRestriction("owner", id, c.RestrictedAt.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.Anonymize("owner", id, store.AnonymizeOptions{}); err != nil {
		t.Fatal(err)
	}
	d.send(changedMsg{})
	d.mustShow("Audit entry "+strconv.FormatUint(e.Seq, 10), "erased: the subject's key was destroyed")
	if strings.Contains(d.screen(), "Zebediah") {
		t.Fatalf("the view still shows the erased part:\n%s", d.screen())
	}
	d.keys("esc")
	// The lifting's and the erasure's entries are new, on top; the
	// cursor stayed on the edit.
	d.mustShow("contact.anonymize", "row 3")
}

// v verifies in the background: "verifying…" shows meanwhile, the keys
// still work, and the result stays on the screen.
func TestAuditVerify(t *testing.T) {
	s := openDemo(t, 100)
	total := len(storeAudit(t, s, store.AuditFilter{}, 0, 100000))
	d := drive(t, newTestModel(s), 80, 24)
	d.keys("6")
	var during string
	var row int
	d.hook = func(msg tea.Msg) []string {
		if _, ok := msg.(auditVerifyMsg); ok {
			during, row = d.screen(), auditOf(d).cur.sel
		}
		return nil
	}
	// v starts the run; the down arrow lands while it runs and moves the
	// cursor; the hook sees the screen just before the result lands.
	_, cmd := d.m.Update(keyMsg("v"))
	if !strings.Contains(d.screen(), "verifying…") {
		t.Fatalf("no verifying… while it runs:\n%s", d.screen())
	}
	_, down := d.m.Update(keyMsg("down"))
	d.run(tea.Batch(cmd, down))
	if !strings.Contains(during, "verifying…") || row != 1 {
		t.Fatalf("while verifying: row %d, screen:\n%s", row, during)
	}
	d.hook = nil
	d.mustShow("✓ Chain verified: "+strconv.Itoa(total)+" entries, counters equal a recount", "row 2")
	d.keys("down")
	d.mustShow("Chain verified", "row 3")
	d.keys("esc") // no filter: esc puts the result away
	if strings.Contains(d.screen(), "Chain verified") {
		t.Fatalf("esc kept the result:\n%s", d.screen())
	}
}

// A report with problems lists each one, naming its entry, wrapped to the
// width, and says how many did not fit.
func TestAuditReportLines(t *testing.T) {
	st := DefaultStyles()
	rep := store.VerifyReport{Entries: 1234, Problems: []string{
		"audit entry 7 (2026-11-29T10:00:00Z, contact.edit) was altered: its content does not match its hash",
		"audit entry 9 does not follow entry 8: the chain is broken there",
		"counter contacts is 12 but a recount gives 11",
		"audit head does not match the last entry 1234: entries at the end were removed or altered",
	}}
	lines := auditReportLines(st, rep, 80, 20)
	text := ansi.Strip(strings.Join(lines, "\n"))
	for _, want := range []string{"✗ Verification found 4 problems in 1,234 entries:", "• audit entry 7", "contact.edit) was altered", "• audit entry 9 does not follow entry 8", "• counter contacts is 12", "• audit head"} {
		if !strings.Contains(text, want) {
			t.Errorf("the report does not say %q:\n%s", want, text)
		}
	}
	for _, l := range lines {
		if w := ansi.StringWidth(l); w > 80 {
			t.Errorf("line of %d cells: %q", w, l)
		}
	}
	short := ansi.Strip(strings.Join(auditReportLines(st, rep, 80, 4), "\n"))
	if !strings.Contains(short, "• audit entry 7") || !strings.Contains(short, "… and 3 more: gdprdesk audit verify lists them all") || strings.Count(short, "\n") > 3 {
		t.Errorf("in 4 lines:\n%s", short)
	}
	okRep := store.VerifyReport{Entries: 2097, Contacts: 2000, Requests: 32}
	if ok := ansi.Strip(strings.Join(auditReportLines(st, okRep, 120, 4), "\n")); ok != "✓ Chain verified: 2,097 entries, counters equal a recount (2,000 contacts, 32 requests)" {
		t.Errorf("ok report at 120: %q", ok)
	}
	// Narrow, the line keeps what matters and drops what was recounted.
	if ok := ansi.Strip(strings.Join(auditReportLines(st, okRep, 80, 4), "\n")); ok != "✓ Chain verified: 2,097 entries, counters equal a recount" {
		t.Errorf("ok report at 80: %q", ok)
	}
	one := ansi.Strip(strings.Join(auditReportLines(st, store.VerifyReport{Entries: 3, Problems: rep.Problems[:1]}, 60, 2), "\n"))
	if !strings.Contains(one, "1 problem in 3 entries") || !strings.Contains(one, "… and 1 more") {
		t.Errorf("one problem in 2 lines:\n%s", one)
	}
}

// The screen shows a verification with problems under the filter bar.
func TestAuditShowsProblems(t *testing.T) {
	s := openDemo(t, 20)
	d := drive(t, newTestModel(s), 80, 24)
	d.keys("6")
	d.send(auditVerifyMsg{rep: store.VerifyReport{Entries: 40, Problems: []string{"audit entry 7 (2026-11-29T10:00:00Z, contact.edit) was altered: its content does not match its hash"}}})
	d.mustShow("✗ Verification found 1 problem in 40 entries:", "• audit entry 7")
	// The table gives way to the report, and the cursor stays on screen.
	d.keys("end")
	lines := strings.Split(d.screen(), "\n")
	if !strings.Contains(strings.Join(lines[:22], "\n"), "settings.edit") {
		t.Fatalf("the oldest entry is not on screen:\n%s", d.screen())
	}
}

// The filter maps to the store's filter, field by field.
func TestParseAuditFilter(t *testing.T) {
	for _, c := range []struct {
		in   string
		want store.AuditFilter
		err  string
	}{
		{"", store.AuditFilter{}, ""},
		{"  op:alice  ", store.AuditFilter{Operator: "alice"}, ""},
		{"op:alice action:basis. record:C12", store.AuditFilter{Operator: "alice", Action: "basis.", Record: "C12"}, ""},
		{"operator:bob act:contact.edit rec:c7", store.AuditFilter{Operator: "bob", Action: "contact.edit", Record: "C7"}, ""},
		{"record:r3", store.AuditFilter{Record: "R3"}, ""},
		{`record:"source in_person"`, store.AuditFilter{Record: "source in_person"}, ""},
		{"record:settings", store.AuditFilter{Record: "settings"}, ""},
		{"OP:alice", store.AuditFilter{Operator: "alice"}, ""},
		{"alice", store.AuditFilter{}, `"alice" is not a filter term`},
		{"tag:vip", store.AuditFilter{}, `unknown filter "tag:"`},
		{"action:", store.AuditFilter{}, "action: needs a value, e.g. action:basis."},
		{"record:C1 rec:C2", store.AuditFilter{}, "record: is given twice"},
		{`op:"al`, store.AuditFilter{}, "a quote is not closed"},
	} {
		got, err := parseAuditFilter(c.in)
		switch {
		case c.err != "" && (err == nil || !strings.Contains(err.Error(), c.err)):
			t.Errorf("%q: error %v, want %q", c.in, err, c.err)
		case c.err == "" && err != nil:
			t.Errorf("%q: %v", c.in, err)
		case c.err == "" && got != c.want:
			t.Errorf("%q = %+v, want %+v", c.in, got, c.want)
		}
	}
}

// Coming back to the screen, and any change, reread the log.
func TestAuditReloads(t *testing.T) {
	s := openDemo(t, 20)
	d := drive(t, newTestModel(s), 80, 24)
	d.keys("6")
	d.keys("1")
	if err := s.SetChecklistItem("carol", "privacy-offline", gdpr.ItemRecord{State: gdpr.StateDone}); err != nil {
		t.Fatal(err)
	}
	d.keys("6")
	d.mustShow("carol", "checklist.set")
	if err := s.UpdateContact("dave", 3, func(c *gdpr.Contact) error { c.Notes = "called"; return nil }); err != nil {
		t.Fatal(err)
	}
	d.send(changedMsg{})
	if e := auditOf(d).entries[0]; e.Operator != "dave" {
		t.Fatalf("after a change the newest entry is %d by %s", e.Seq, e.Operator)
	}
}

// Help follows the state: the log's keys, the filter's, an entry's.
func TestAuditHelp(t *testing.T) {
	s := openDemo(t, 20)
	d := drive(t, newTestModel(s), 80, 24)
	d.keys("6")
	helpOf := func() string {
		var b strings.Builder
		for _, k := range auditOf(d).Help() {
			b.WriteString(k.Help().Key + " " + k.Help().Desc + "\n")
		}
		return b.String()
	}
	for _, want := range []string{"/ filter", "enter open", "v verify the chain", "pgdn page down", "end/G last"} {
		if !strings.Contains(helpOf(), want) {
			t.Errorf("list help lacks %q:\n%s", want, helpOf())
		}
	}
	auditFilter(d, "op:owner")
	if !strings.Contains(helpOf(), "esc clear the filter") {
		t.Errorf("filtered help lacks esc:\n%s", helpOf())
	}
	d.keys("/")
	if h := helpOf(); !strings.Contains(h, "enter apply filter") || strings.Contains(h, "verify") {
		t.Errorf("editing help:\n%s", h)
	}
	d.keys("esc", "enter")
	if h := helpOf(); !strings.Contains(h, "esc back to the log") || strings.Contains(h, "verify") {
		t.Errorf("entry help:\n%s", h)
	}
}

func equalSeqs(a, b []uint64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// The audit screen under teatest, at 80×24 and 120×40, on the shared demo
// store: the log, a filtered log, an entry, a verification.
// Refresh with: go test ./ui -run TestGoldenAudit -update
func TestGoldenAudit(t *testing.T) {
	steps := []goldenStep{
		{"list", []string{"6"}, "newest first · row 1"},
		{"filtered", append([]string{"6", "/"}, append(strings.Split("record:R30", ""), "enter")...), "matches, newest first"},
		{"entry", []string{"6", "down", "enter"}, "Hash"},
		{"verified", []string{"6", "v"}, "Chain verified"},
	}
	runGoldenSteps(t, steps)
}

// A reload that lands while an older page is being read drops that page
// when it no longer follows on, and paging goes on from the new list.
func TestAuditReloadDuringPaging(t *testing.T) {
	s := openDemo(t, 100)
	m := newTestModel(s)
	a := m.screens[tabAudit].(*auditScreen)
	a.pageSize = 50
	d := drive(t, m, 80, 24)
	d.keys("6")
	// A reload starts, then the cursor asks for an older page; meanwhile
	// the log moves on, so the reload's last entry is another one.
	reload := a.reload()
	a.cur.sel = len(a.entries) - 1
	older := a.fetchMore()
	if older == nil {
		t.Fatal("no older page asked for at the end of the list")
	}
	if err := s.UpdateContact("erin", 4, func(c *gdpr.Contact) error { c.Notes = "moved on"; return nil }); err != nil {
		t.Fatal(err)
	}
	d.send(reload(), older())
	if a.fetching || !equalSeqs(seqs(a.entries), seqs(storeAudit(t, s, store.AuditFilter{}, 0, len(a.entries)))) {
		t.Fatalf("after the race: %v (fetching %v)", seqs(a.entries), a.fetching)
	}
	for range 10 {
		d.keys("end")
	}
	if all := storeAudit(t, s, store.AuditFilter{}, 0, 100000); !equalSeqs(seqs(a.entries), seqs(all)) {
		t.Fatalf("paging after the race gave %d entries, want all %d in order", len(a.entries), len(all))
	}
}

// A bulk change's entry names how many contacts it changed, in the list and
// in its view, and a record filter on one of them finds it.
func TestAuditBulkEntry(t *testing.T) {
	s := openDemo(t, 100)
	q, err := gdpr.ParseQuery("status:active")
	if err != nil {
		t.Fatal(err)
	}
	res, err := s.ApplyBasis(t.Context(), "owner", q, store.BasisChange{Basis: gdpr.BasisVitalInterests}, nil)
	if err != nil || res.Changed < 2 {
		t.Fatalf("fixture: ApplyBasis changed %d (%v)", res.Changed, err)
	}
	e := storeAudit(t, s, store.AuditFilter{}, 0, 1)[0]
	if e.Contacts != int(res.Changed) {
		t.Fatalf("fixture: newest entry is about %d contacts, the run changed %d", e.Contacts, res.Changed)
	}
	d := drive(t, newTestModel(s), 80, 24)
	d.keys("6")
	cell := strconv.FormatInt(res.Changed, 10) + " contacts"
	if line := strings.Split(d.screen(), "\n")[5]; !strings.Contains(line, cell) || !strings.Contains(line, "basis.add") {
		t.Fatalf("first row %q, want basis.add about %s:\n%s", line, cell, d.screen())
	}
	d.keys("enter")
	d.mustShow("Audit entry "+strconv.FormatUint(e.Seq, 10), cell+", each finds this entry in its trail")
	d.keys("esc")
	trail, err := s.AuditOf("C1")
	if err != nil || len(trail) == 0 || trail[len(trail)-1].Seq != e.Seq {
		t.Fatalf("fixture: C1's trail does not end with the bulk entry (%v)", err)
	}
	auditFilter(d, "record:c1")
	if es := auditOf(d).entries; len(es) == 0 || es[0].Seq != e.Seq {
		t.Fatalf("record:c1 shows %v, want the bulk entry %d first", seqs(es), e.Seq)
	}
}
