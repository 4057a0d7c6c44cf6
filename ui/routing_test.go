package ui

import (
	"strings"
	"testing"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"github.com/gdprdesk/gdprdesk/gdpr"
)

// recorder is a screen that keeps every message it is sent, so a test can
// see which screens a message reached.
type recorder struct{ got []tea.Msg }

func (r *recorder) Title() string                 { return "recorder" }
func (r *recorder) Init() tea.Cmd                 { return nil }
func (r *recorder) Update(msg tea.Msg) tea.Cmd    { r.got = append(r.got, msg); return nil }
func (r *recorder) View(width, height int) string { return "" }
func (r *recorder) Help() []key.Binding           { return nil }
func (r *recorder) Capturing() bool               { return false }
func (r *recorder) Busy() string                  { return "" }

// received counts the messages of msg's type the recorder was sent.
func (r *recorder) received(msg tea.Msg) int {
	n := 0
	for _, m := range r.got {
		if m == msg {
			n++
		}
	}
	return n
}

// pingMsg is a message no real screen knows.
type pingMsg struct{}

// recorders puts a recorder in place of every screen of m.
func recorders(m *Model) []*recorder {
	rs := make([]*recorder, len(m.screens))
	for i := range m.screens {
		rs[i] = &recorder{}
		m.screens[i] = rs[i]
	}
	return rs
}

// The result of a screen's store work goes to that screen alone; the
// root's own messages stay with the root even when a screen's command
// made them; messages for everyone still reach every screen.
func TestResultGoesToItsSender(t *testing.T) {
	m := New(Options{})
	rs := recorders(m)

	cmd := m.c.forScreen(tabRequests).io(func() tea.Msg { return pingMsg{} })
	m.Update(cmd())
	for i, r := range rs {
		want := 0
		if i == tabRequests {
			want = 1
		}
		if got := r.received(pingMsg{}); got != want {
			t.Errorf("screen %d received the requests screen's result %d times, want %d", i, got, want)
		}
	}
	if n := m.c.inflight.Load(); n != 0 {
		t.Errorf("%d commands still in flight after their result was taken", n)
	}

	cmd = m.c.forScreen(tabContacts).io(func() tea.Msg { return statusMsg{text: "read contacts: disk full", err: true} })
	m.Update(cmd())
	if m.message != "read contacts: disk full" || !m.messageErr {
		t.Errorf("status line %q (error %v) after a screen's read failed", m.message, m.messageErr)
	}
	for i, r := range rs {
		for _, got := range r.got {
			if _, ok := got.(statusMsg); ok {
				t.Errorf("screen %d was sent the status line's message", i)
			}
		}
	}

	m.Update(tea.WindowSizeMsg{Width: 100, Height: 30})
	for i, r := range rs {
		if got := r.received(tea.WindowSizeMsg{Width: 100, Height: 30}); got != 1 {
			t.Errorf("screen %d received a resize %d times, want 1", i, got)
		}
	}
}

// With a contact open on the contacts screen and a request open in the
// inbox, recording consent on the contact reports once: one status line
// message and one reload, not one per open view.
func TestFlowActionReportsOnceWithTwoViewsOpen(t *testing.T) {
	s := openDemo(t, 100)
	withNewsletter(t, s)
	d := drive(t, newTestModel(s), 120, 40)
	d.keys("3", "enter")
	d.mustShow("History")
	d.keys("2")
	filter(d, "status:active")
	sel, _ := d.m.screens[tabContacts].(*contacts).win.Selected()
	d.keys("enter")
	d.mustShow(sel.ID.String()+" ", "Lawful bases (Art. 6)")

	statuses, reloads := 0, 0
	d.hook = func(msg tea.Msg) []string {
		switch msg := msg.(type) {
		case statusMsg:
			if strings.HasPrefix(msg.text, "Recorded consent") {
				statuses++
			}
		case changedMsg:
			reloads++
		}
		return nil
	}
	d.keys("c")
	pickConsentPurpose(t, d, s, "newsletter")
	d.keys("enter", "enter", "enter")
	d.hook = nil
	if c, _ := s.Contact(sel.ID); !gdpr.ConsentGiven(c.Consents, "newsletter") {
		t.Fatal("no newsletter consent recorded")
	}
	if statuses != 1 || reloads != 1 {
		t.Errorf("recording consent reported %d times and reloaded the screens %d times; want once each", statuses, reloads)
	}
}
