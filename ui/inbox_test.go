package ui

import (
	"strings"
	"testing"
	"time"

	"github.com/gdprdesk/gdprdesk/gdpr"
	"github.com/gdprdesk/gdprdesk/internal/desk"
	"github.com/gdprdesk/gdprdesk/store"
)

// The inbox says who asked, as `request list` does (desk.RequestsWho), and
// / narrows it to the requests whose id, who, type or note hold every word,
// accents ignored.
func TestFlowInboxShowsWhoAndSearches(t *testing.T) {
	s := openDemo(t, 200)
	r := gdpr.NewRequest(gdpr.RequestAccess, gdpr.ChannelLetter, testNow, nil)
	r.SubjectEmail, r.Note = "zoe@example.org", "parcel lost in Zürich"
	id, err := s.AddRequest("owner", r)
	if err != nil {
		t.Fatal(err)
	}
	d := drive(t, newTestModel(s), 140, 50)
	d.keys("3")
	rs := d.m.screens[tabRequests].(*requests)
	all := len(rs.shown)
	if all < 2 {
		t.Fatalf("fixture: %d open requests", all)
	}
	who, err := desk.RequestsWho(s, rs.shown)
	if err != nil {
		t.Fatal(err)
	}
	d.mustShow(who...) // names and addresses, as the command line shows them
	d.keys("/")
	d.typeText("zurich parcel")
	if len(rs.shown) != 1 || rs.shown[0].ID != id {
		t.Fatalf("search for a note's words: %d shown, want only %s", len(rs.shown), id)
	}
	d.keys("enter")
	d.mustShow("/ zurich parcel", "zoe@example.org", "1 shown")
	d.keys("esc")
	if len(rs.shown) != all {
		t.Errorf("esc: %d shown, want all %d back", len(rs.shown), all)
	}
	// By who: a contact's name, folded, finds their requests only.
	var target gdpr.Request
	for _, x := range rs.shown {
		if x.Contact != 0 {
			target = x
			break
		}
	}
	c, err := s.Contact(target.Contact)
	if err != nil {
		t.Fatal(err)
	}
	d.keys("/")
	d.typeText(foldText(c.LastName) + " " + strings.ToUpper(target.ID.String()))
	d.keys("enter")
	if len(rs.shown) != 1 || rs.shown[0].ID != target.ID {
		t.Errorf("search %q: %d shown, want %s", rs.search.Value(), len(rs.shown), target.ID)
	}
	d.keys("esc", "/")
	d.typeText("no such words anywhere")
	d.mustShow("no request matches the search")
}

func TestFoldTextIgnoresAccentsAndCase(t *testing.T) {
	if got := foldText("Hugo Rodríguez, Zürich"); got != "hugo rodriguez, zurich" {
		t.Errorf("foldText = %q", got)
	}
	if !matchesSearch(searchWords("RODRIGUEZ r22"), "R22", "C1013 Hugo Rodríguez") {
		t.Error("accented name not found by its plain spelling")
	}
	if matchesSearch(searchWords("rodriguez r23"), "R22", "C1013 Hugo Rodríguez") {
		t.Error("every word must match")
	}
}

// n in the inbox logs a request and the cursor lands on it, even when the
// filters shown hid it.
func TestFlowNewRequestIsSelected(t *testing.T) {
	s := openDemo(t, 200)
	d := drive(t, newTestModel(s), 120, 40)
	d.keys("3", "s", "s") // closed only: the new request would be hidden
	d.keys("n", "enter")
	d.typeText("newcomer@example.org")
	d.keys("enter", "enter", "enter") // channel, received today
	d.typeText("wants a copy")
	d.keys("enter")
	rs := d.m.screens[tabRequests].(*requests)
	list, err := s.Requests(store.RequestFilter{})
	if err != nil {
		t.Fatal(err)
	}
	var id gdpr.RequestID
	for _, r := range list {
		if r.SubjectEmail == "newcomer@example.org" {
			id = r.ID
		}
	}
	if id == 0 {
		t.Fatalf("the request was not logged:\n%s", d.screen())
	}
	if rs.cur.sel >= len(rs.shown) || rs.shown[rs.cur.sel].ID != id {
		t.Fatalf("cursor on row %d of %d, want %s", rs.cur.sel, len(rs.shown), id)
	}
	d.mustShow("Logged "+id.String(), "newcomer@example.org")
}

// n on a contact asks the day received (Art. 12(3): the deadline runs from
// it): a bad or future date is said on the field; a past day sets the due
// date from that day.
func TestFlowContactRequestAsksTheDayReceived(t *testing.T) {
	s := openDemo(t, 200)
	d, sel := openActiveContact(t, s, t.TempDir())
	d.keys("n")
	d.mustShow("New request from "+sel.ID.String(), "Received", testNow.Format(time.DateOnly))
	d.keys("enter", "enter") // access, by email
	d.keys("ctrl+u")
	d.typeText("2026-13-40")
	d.keys("enter")
	d.mustShow("use YYYY-MM-DD")
	d.keys("ctrl+u")
	d.typeText("2026-12-24")
	d.keys("enter")
	d.mustShow("is in the future")
	d.keys("ctrl+u")
	d.typeText("2026-11-02")
	d.keys("enter", "enter")
	rs, err := s.Requests(store.RequestFilter{Contact: sel.ID})
	if err != nil {
		t.Fatal(err)
	}
	received := time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC)
	var got *gdpr.Request
	for i := range rs {
		if rs[i].Received.Equal(received) {
			got = &rs[i]
		}
	}
	if got == nil {
		t.Fatalf("no request received 2026-11-02 on %s: %+v", sel.ID, rs)
	}
	if want := gdpr.DueDate(received, nil); !got.Due.Equal(want) {
		t.Errorf("due %s, want %s (one month from the day received)", got.Due.Format(time.DateOnly), want.Format(time.DateOnly))
	}
}

// Completing and denying close a request for good: both ask y/n first, and
// n changes nothing.
func TestFlowCompleteAndDenyAskFirst(t *testing.T) {
	s := openDemo(t, 200)
	d := drive(t, newTestModel(s), 120, 40)
	r := firstRequest(t, s, func(r gdpr.Request) bool { return r.Type == gdpr.RequestAccess && r.Status.Open() })
	openRequest(t, d, r.ID)
	d.keys("c")
	d.typeText("nothing held")
	d.keys("enter")
	d.mustShow("Complete " + r.ID.String() + "? It closes the request.")
	d.keys("n")
	if got := reqOf(t, s, r.ID); !got.Status.Open() {
		t.Fatalf("n on the confirmation closed %s: %s", r.ID, got.Status)
	}
	d.mustShow(r.ID.String() + " stays open; nothing changed")
	d.keys("d", "enter")
	d.typeText("manifestly excessive")
	d.keys("enter")
	d.mustShow("Deny " + r.ID.String() + "? The person is told")
	d.keys("n")
	if got := reqOf(t, s, r.ID); !got.Status.Open() {
		t.Fatalf("n on the confirmation denied %s: %s", r.ID, got.Status)
	}
	d.keys("c")
	d.typeText("nothing held")
	d.keys("enter", "y")
	if got := reqOf(t, s, r.ID); got.Status != gdpr.StatusCompleted {
		t.Fatalf("y on the confirmation: %s is %s, want completed", r.ID, got.Status)
	}
}
