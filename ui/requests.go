package ui

import (
	"fmt"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"github.com/gdprdesk/gdprdesk/gdpr"
	"github.com/gdprdesk/gdprdesk/store"
)

// requests is the request inbox: soonest due first, overdue in red and in
// words, days left, filters by type and status.
type requests struct {
	c      *common
	all    []gdpr.Request
	shown  []gdpr.Request
	typ    int // index into the type filter cycle; 0 = all
	state  int // 0 open, 1 all, 2 closed
	cur    cursor
	height int
	loaded bool
}

func newRequests(c *common) *requests { return &requests{c: c, height: 10} }

func (s *requests) Title() string   { return "Requests" }
func (s *requests) Capturing() bool { return false }
func (s *requests) Busy() string    { return "" }

func (s *requests) Help() []key.Binding {
	k := s.c.keys
	return []key.Binding{k.FilterType, k.FilterStatus, k.Up, k.Down, k.PageUp, k.PageDown, k.Home, k.End}
}

type requestsMsg struct {
	list []gdpr.Request
	err  error
}

func (s *requests) Init() tea.Cmd { return s.load() }

// load reads what the screen shows, in the background.
func (s *requests) load() tea.Cmd { return s.c.io(s.read) }

func (s *requests) read() tea.Msg {
	list, err := s.c.store.Requests(store.RequestFilter{})
	return requestsMsg{list: list, err: err}
}

func (s *requests) typeFilter() gdpr.RequestType {
	if s.typ == 0 {
		return ""
	}
	return gdpr.RequestTypes()[s.typ-1]
}

func (s *requests) filter() {
	s.shown = s.shown[:0]
	t := s.typeFilter()
	for _, r := range s.all {
		if t != "" && r.Type != t {
			continue
		}
		open := r.Status.Open()
		if (s.state == 0 && !open) || (s.state == 2 && open) {
			continue
		}
		s.shown = append(s.shown, r)
	}
}

func (s *requests) Update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case requestsMsg:
		if msg.err != nil {
			return failed("read requests", msg.err)
		}
		s.all, s.loaded = msg.list, true
		s.filter()
	case changedMsg:
		return s.load()
	case switchMsg:
		if msg.to == tabRequests {
			return s.load()
		}
	case tea.WindowSizeMsg:
		s.height = max(msg.Height-4-3, 1)
	case tea.KeyPressMsg:
		k := s.c.keys
		switch {
		case key.Matches(msg, k.FilterType):
			s.typ = (s.typ + 1) % (len(gdpr.RequestTypes()) + 1)
			s.filter()
		case key.Matches(msg, k.FilterStatus):
			s.state = (s.state + 1) % 3
			s.filter()
		default:
			s.cur.move(s.c.keys, msg, len(s.shown), s.height)
		}
	}
	return nil
}

func (s *requests) View(w, h int) string {
	st := s.c.styles
	if !s.loaded {
		return st.Subtle.Render("loading…")
	}
	t := "all types"
	if x := s.typeFilter(); x != "" {
		t = string(x)
	}
	which := []string{"open", "open and closed", "closed"}[s.state]
	lines := []string{fmt.Sprintf("%s requests, %s · %d shown · soonest due first", which, t, len(s.shown)),
		st.Header.Render(fmt.Sprintf("%-6s %-13s %-10s %-11s %-12s %s", "ID", "Type", "Received", "Due", "Status", "Days"))}
	rows := max(h-len(lines), 1)
	s.height = rows
	if len(s.shown) == 0 {
		lines = append(lines, st.Subtle.Render("  no requests here (t and s change the filter)"))
	}
	now := s.c.now()
	from, to := s.cur.visible(len(s.shown), rows)
	for i := from; i < to; i++ {
		r := s.shown[i]
		days := ""
		switch left := gdpr.DaysLeft(r.Due, now); {
		case !r.Status.Open():
			days = st.Subtle.Render("closed " + r.ClosedAt.Format("2006-01-02"))
		case left < 0:
			days = st.Error.Render(fmt.Sprintf("overdue by %d days", -left))
		case left == 0:
			days = st.Warn.Render("due today")
		default:
			days = fmt.Sprintf("%d days left", left)
		}
		ext := ""
		if r.Extension != nil {
			ext = " (extended)"
		}
		line := fmt.Sprintf("%-6s %-13s %-10s %-11s %-12s %s%s", r.ID, r.Type, r.Received.Format("2006-01-02"), r.Due.Format("2006-01-02"), r.Status, days, ext)
		if i == s.cur.sel {
			line = st.Selected.Render(cell(line, w))
		}
		lines = append(lines, line)
	}
	return strings.Join(lines, "\n")
}
