package ui

import (
	"fmt"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"github.com/gdprdesk/gdprdesk/store"
)

// auditScreen is the audit log, newest first, read a page at a time.
type auditScreen struct {
	c       *common
	entries []store.AuditEntry
	cur     cursor
	height  int
	loaded  bool
	more    bool
	verify  string
}

const auditPage = 200

func newAudit(c *common) *auditScreen { return &auditScreen{c: c, height: 10} }

func (s *auditScreen) Title() string   { return "Audit" }
func (s *auditScreen) Capturing() bool { return false }
func (s *auditScreen) Busy() string    { return "" }
func (s *auditScreen) Help() []key.Binding {
	k := s.c.keys
	return []key.Binding{k.Verify, k.Up, k.Down, k.PageUp, k.PageDown, k.Home, k.End}
}

type auditMsg struct {
	entries []store.AuditEntry
	more    bool
	err     error
}

func (s *auditScreen) Init() tea.Cmd { return s.load() }

// load reads what the screen shows, in the background.
func (s *auditScreen) load() tea.Cmd { return s.c.io(s.read) }

func (s *auditScreen) read() tea.Msg {
	es, err := s.c.store.Audit(store.AuditFilter{}, 0, auditPage+1)
	more := len(es) > auditPage
	if more {
		es = es[:auditPage]
	}
	return auditMsg{entries: es, more: more, err: err}
}

func (s *auditScreen) Update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case auditMsg:
		if msg.err != nil {
			return failed("read the audit log", msg.err)
		}
		s.entries, s.more, s.loaded = msg.entries, msg.more, true
	case changedMsg:
		return s.load()
	case switchMsg:
		if msg.to == tabAudit {
			return s.load()
		}
	case tea.KeyPressMsg:
		s.cur.move(s.c.keys, msg, len(s.entries), s.height)
	}
	return nil
}

func (s *auditScreen) View(w, h int) string {
	st := s.c.styles
	if !s.loaded {
		return st.Subtle.Render("loading…")
	}
	more := ""
	if s.more {
		more = fmt.Sprintf(" (the newest %d)", auditPage)
	}
	lines := []string{fmt.Sprintf("Audit log, newest first%s", more),
		st.Header.Render(fmt.Sprintf("%-7s %-16s %-10s %-20s %-8s %s", "Seq", "Time (UTC)", "Operator", "Action", "Record", "Detail"))}
	rows := max(h-len(lines), 1)
	s.height = rows
	from, to := s.cur.visible(len(s.entries), rows)
	for i := from; i < to; i++ {
		e := s.entries[i]
		line := fmt.Sprintf("%-7d %-16s %-10s %-20s %-8s %s", e.Seq, e.At.UTC().Format("2006-01-02 15:04"), e.Operator, e.Action, e.Record, e.Detail)
		if i == s.cur.sel {
			line = st.Selected.Render(cell(line, w))
		}
		lines = append(lines, line)
	}
	return strings.Join(lines, "\n")
}
