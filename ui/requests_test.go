package ui

import (
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/gdprdesk/gdprdesk/gdpr"
	"github.com/gdprdesk/gdprdesk/store"
)

// openRequest goes to the inbox (open and closed) and opens a request.
func openRequest(t *testing.T, d *driver, id gdpr.RequestID) {
	t.Helper()
	d.keys("3")
	rs := d.m.screens[tabRequests].(*requests)
	for rs.state != 1 {
		d.keys("s")
	}
	for rs.typ != 0 {
		d.keys("t")
	}
	d.keys("home")
	for i, r := range rs.shown {
		if r.ID == id {
			for range i {
				d.keys("down")
			}
			d.keys("enter")
			d.mustShow(id.String() + " ")
			return
		}
	}
	t.Fatalf("%s is not in the inbox", id)
}

// firstRequest finds a demo request of a type matching keep.
func firstRequest(t *testing.T, s *store.Store, keep func(r gdpr.Request) bool) gdpr.Request {
	t.Helper()
	rs, err := s.Requests(store.RequestFilter{})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rs {
		if keep(r) {
			return r
		}
	}
	t.Fatal("the demo has no such request")
	return gdpr.Request{}
}

func reqOf(t *testing.T, s *store.Store, id gdpr.RequestID) gdpr.Request {
	t.Helper()
	r, err := s.Request(id)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// An overdue erasure: verify, anonymize; the request is completed and
// linked to the erasure, and the dashboard's overdue count drops by one.
func TestFlowOverdueErasure(t *testing.T) {
	s := openDemo(t, 2000)
	d := drive(t, newTestModel(s), 120, 40)
	r := firstRequest(t, s, func(r gdpr.Request) bool {
		if r.Type != gdpr.RequestErasure || !r.Overdue(testNow) || r.Contact == 0 {
			return false
		}
		c, err := s.Contact(r.Contact)
		return err == nil && c.Balance == 0 && !c.OpenContract && c.Status != gdpr.ContactAnonymized
	})
	before := counts(t, s).Overdue
	openRequest(t, d, r.ID)
	if r.Verified == nil {
		d.keys("D")
		d.mustShow("verify the person's identity first")
		d.keys("v", "enter")
		if reqOf(t, s, r.ID).Verified == nil {
			t.Fatal("not verified")
		}
	}
	d.keys("D")
	d.mustShow("erasure request " + r.ID.String() + ".")
	d.keys("left", "enter")
	got := reqOf(t, s, r.ID)
	if got.Status != gdpr.StatusCompleted || got.AnonymizeEvent == 0 || got.AnonymizedAt.IsZero() {
		t.Fatalf("request after erasure: status %s, event %d", got.Status, got.AnonymizeEvent)
	}
	if c, _ := s.Contact(r.Contact); c.Status != gdpr.ContactAnonymized {
		t.Fatalf("contact %s is %s", r.Contact, c.Status)
	}
	if after := counts(t, s).Overdue; after != before-1 {
		t.Errorf("overdue %d → %d, want one fewer", before, after)
	}
	d.keys("esc", "1")
	d.mustShow(gdpr.Thousands(before-1) + " overdue")
	consistent(t, s)
}

// An access request: verify, export the package; the request shows the
// file's SHA-256.
func TestFlowAccessRequestExport(t *testing.T) {
	s := openDemo(t, 2000)
	out := t.TempDir()
	d := drive(t, newTestModel(s, func(o *Options) { o.ExportDir = out }), 120, 40)
	r := firstRequest(t, s, func(r gdpr.Request) bool {
		return r.Type == gdpr.RequestAccess && r.Status.Open() && r.Contact != 0
	})
	openRequest(t, d, r.ID)
	if reqOf(t, s, r.ID).Verified == nil {
		d.keys("v", "enter")
	}
	d.keys("p", "enter", "enter", "enter") // xlsx, no password, no draft
	got := reqOf(t, s, r.ID)
	if len(got.ExportSHA256) != 64 {
		t.Fatalf("no SHA-256 linked: %q", got.ExportSHA256)
	}
	d.mustShow("SHA-256 " + got.ExportSHA256)
	entries, _ := os.ReadDir(out)
	if len(entries) != 1 || !strings.HasSuffix(entries[0].Name(), ".xlsx") {
		t.Fatalf("written: %v", entries)
	}
	d.keys("c")
	d.typeText("package sent by email")
	d.keys("enter", "y")
	done := reqOf(t, s, r.ID)
	if done.Status != gdpr.StatusCompleted || done.Outcome != "package sent by email" {
		t.Fatalf("after complete: %s %q", done.Status, done.Outcome)
	}
	// A closed request's link is final (Art. 5(2)): no export step, and
	// pressing its key changes nothing.
	d.keys("p", "enter", "enter", "enter")
	if got := reqOf(t, s, r.ID); got.ExportSHA256 != done.ExportSHA256 || !got.ExportedAt.Equal(done.ExportedAt) {
		t.Errorf("the closed request's package link changed: %q → %q", done.ExportSHA256, got.ExportSHA256)
	}
	if entries, _ := os.ReadDir(out); len(entries) != 1 {
		t.Errorf("a package was written for a closed request: %v", entries)
	}
	consistent(t, s)
}

// A rectification: verify, edit the contact, record the recipients told,
// complete.
func TestFlowRectification(t *testing.T) {
	s := openDemo(t, 2000)
	d := drive(t, newTestModel(s), 120, 40)
	r := firstRequest(t, s, func(r gdpr.Request) bool {
		if r.Type != gdpr.RequestRectification || !r.Status.Open() || r.Contact == 0 {
			return false
		}
		c, err := s.Contact(r.Contact)
		return err == nil && c.Status != gdpr.ContactAnonymized
	})
	// The person's recipients: the register's recipients serving a
	// purpose that applies to them (Art. 19 with Art. 15(1)(c)).
	register, _ := s.Recipients()
	purposes, _ := s.Purposes()
	person, _ := s.Contact(r.Contact)
	var theirs, others []string
	for _, x := range register {
		if slices.ContainsFunc(gdpr.RecipientsOf(&person, purposes, register), func(y gdpr.Recipient) bool { return y.Name == x.Name }) {
			theirs = append(theirs, x.Name)
		} else {
			others = append(others, x.Name)
		}
	}
	if len(theirs) == 0 {
		t.Fatalf("the demo's %s has no recipients in the register", r.Contact)
	}
	openRequest(t, d, r.ID)
	if reqOf(t, s, r.ID).Verified == nil {
		d.keys("v", "enter")
	}
	d.keys("e")
	for range 4 { // first, last, email, phone
		d.keys("enter")
	}
	d.keys("ctrl+u")
	d.typeText("Corrected Street 1")
	for range 7 {
		d.keys("enter")
	}
	if c, _ := s.Contact(r.Contact); c.Street != "Corrected Street 1" {
		t.Fatalf("street is %q", c.Street)
	}
	// Art. 19: the recipients are listed by name, none chosen; an empty
	// choice records nothing.
	d.keys("t")
	d.mustShow(theirs...)
	for _, name := range others {
		if strings.Contains(d.screen(), name) {
			t.Errorf("the Art. 19 step offers %s, who never received the person's data:\n%s", name, d.screen())
		}
	}
	d.keys("enter", "enter", "enter")
	if got := reqOf(t, s, r.ID); len(got.Notifications) != 0 {
		t.Fatalf("nothing chosen, yet %d notifications recorded", len(got.Notifications))
	}
	d.mustShow("choose at least one recipient")
	d.keys("t")
	for range theirs {
		d.keys("x", "down") // every one, today
	}
	d.keys("enter", "enter", "enter")
	got := reqOf(t, s, r.ID)
	if len(got.Notifications) != len(theirs) {
		t.Fatalf("%d notifications for %d recipients", len(got.Notifications), len(theirs))
	}
	d.keys("c")
	d.typeText("address corrected, recipients told")
	d.keys("enter", "y")
	got = reqOf(t, s, r.ID)
	if got.Status != gdpr.StatusCompleted || got.Unnotified() {
		t.Fatalf("after complete: %s, unnotified %v", got.Status, got.Unnotified())
	}
	d.mustShow(append([]string{"Told"}, theirs...)...)
	consistent(t, s)
}

// An extension after the due date is refused, with the reason.
func TestFlowExtensionRefusedAfterDueDate(t *testing.T) {
	s := openDemo(t, 2000)
	d := drive(t, newTestModel(s), 120, 40)
	r := firstRequest(t, s, func(r gdpr.Request) bool { return r.Overdue(testNow) && r.Extension == nil })
	openRequest(t, d, r.ID)
	d.keys("x")
	d.mustShow("has passed: an extension must be made before it")
	if got := reqOf(t, s, r.ID); got.Extension != nil || !got.Due.Equal(r.Due) {
		t.Fatal("the overdue request was extended")
	}
	// One in time is extended once, and not twice.
	r2 := firstRequest(t, s, func(r gdpr.Request) bool {
		return r.Status.Open() && !r.Overdue(testNow) && r.Extension == nil
	})
	d.keys("esc")
	openRequest(t, d, r2.ID)
	d.keys("x")
	d.typeText("many records across three systems")
	d.keys("enter", "enter")
	got := reqOf(t, s, r2.ID)
	if got.Extension == nil || !got.Due.After(r2.Due) {
		t.Fatalf("not extended: %+v", got.Extension)
	}
	d.keys("x")
	d.mustShow("already extended once")
}

// A new request from the inbox, for an address no contact has.
func TestFlowNewRequestForUnknownAddress(t *testing.T) {
	s := openDemo(t, 100)
	d := drive(t, newTestModel(s), 120, 40)
	d.keys("3", "n", "enter") // access
	d.typeText("stranger@example.org")
	d.keys("enter", "enter", "enter")
	d.typeText("wants to know what we hold")
	d.keys("enter")
	d.mustShow("Logged R")
	rs, _ := s.Requests(store.RequestFilter{})
	var found bool
	for _, r := range rs {
		if r.SubjectEmail == "stranger@example.org" && r.Contact == 0 {
			found = true
		}
	}
	if !found {
		t.Fatal("no request for the unknown address")
	}
}

// Why a step is not possible wraps to the width instead of being cut: at
// 80 columns the whole reason for a refused extension (Art. 12(3)) shows.
func TestFlowBlockedStepReasonWraps(t *testing.T) {
	s := openDemo(t, 2000)
	d := drive(t, newTestModel(s), 80, 40)
	r := firstRequest(t, s, func(r gdpr.Request) bool { return r.Overdue(testNow) && r.Extension == nil })
	openRequest(t, d, r.ID)
	out := d.screen()
	var step []string
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(l, "  x  extend once") || (len(step) > 0 && len(step) < 3 && strings.HasPrefix(l, "     ") && strings.TrimSpace(l) != "") {
			step = append(step, strings.TrimSpace(l))
		}
	}
	joined := strings.Join(step, " ")
	want := "the due date " + r.Due.Format("2006-01-02") + " has passed: an extension must be made before it"
	if len(step) < 2 || !strings.Contains(joined, want) {
		t.Fatalf("the reason is not wrapped whole under the step (%q):\n%s", joined, out)
	}
}
