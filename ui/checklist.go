package ui

import (
	"fmt"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"github.com/gdprdesk/gdprdesk/gdpr"
)

// checklist is the readiness checklist: sections and items, the measured
// value beside each automatic item, and the readiness percentage on top.
type checklist struct {
	c       *common
	items   []gdpr.ItemStatus
	done    int
	total   int
	cur     cursor
	height  int
	loaded  bool
	dialog  *dialog
	records map[string]gdpr.ItemRecord
}

func newChecklist(c *common) *checklist { return &checklist{c: c, height: 10} }

func (s *checklist) Title() string   { return "Checklist" }
func (s *checklist) Capturing() bool { return s.dialog != nil }
func (s *checklist) Busy() string    { return "" }

func (s *checklist) Help() []key.Binding {
	if s.dialog != nil {
		return s.dialog.help()
	}
	k := s.c.keys
	return []key.Binding{k.Open, k.Up, k.Down, k.PageUp, k.PageDown}
}

type checklistMsg struct {
	items       []gdpr.ItemStatus
	done, total int
	err         error
}

func (s *checklist) Init() tea.Cmd { return s.load() }

// load reads what the screen shows, in the background.
func (s *checklist) load() tea.Cmd { return s.c.io(s.read) }

func (s *checklist) read() tea.Msg {
	items, done, total, err := s.c.store.Checklist()
	return checklistMsg{items: items, done: done, total: total, err: err}
}

func (s *checklist) Update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case checklistMsg:
		if msg.err != nil {
			return failed("evaluate the checklist", msg.err)
		}
		s.items, s.done, s.total, s.loaded = msg.items, msg.done, msg.total, true
	case changedMsg:
		return s.load()
	case switchMsg:
		if msg.to == tabChecklist {
			return s.load()
		}
	case tea.KeyPressMsg:
		s.cur.move(s.c.keys, msg, len(s.items), s.height)
	}
	return nil
}

// stateMark shows an item's state in words and a symbol, so it reads
// without colour.
func stateMark(st Styles, s gdpr.ItemState) string {
	switch s {
	case gdpr.StateDone:
		return st.Good.Render("[✓] done   ")
	case gdpr.StateNA:
		return st.Subtle.Render("[–] n/a    ")
	}
	return st.Warn.Render("[ ] to do  ")
}

func (s *checklist) View(w, h int) string {
	st := s.c.styles
	if !s.loaded {
		return st.Subtle.Render("evaluating…")
	}
	pct := gdpr.ReadinessPercent(s.done, s.total)
	lines := []string{st.Title.Render(fmt.Sprintf("Readiness %d%%", pct)) + " " + progressBar(pct, 20) +
		st.Subtle.Render(fmt.Sprintf("  %d of %d applicable items done", s.done, s.total))}
	// One line per item, with a section heading line when the section
	// changes; the cursor counts items only.
	rows := max(h-len(lines), 1)
	s.height = rows - 2
	from, to := s.cur.visible(len(s.items), max(rows-len(sectionsOf(s.items)), 3))
	prev := gdpr.Section("")
	if from > 0 {
		prev = s.items[from-1].Section
	}
	for i := from; i < to; i++ {
		it := s.items[i]
		if it.Section != prev {
			lines = append(lines, st.Header.Render(strings.ToUpper(string(it.Section)[:1])+string(it.Section)[1:]))
			prev = it.Section
		}
		kind := "manual"
		if it.Auto {
			kind = "auto  "
		}
		line := fmt.Sprintf("  %s %s %s", stateMark(st, it.State), st.Subtle.Render(kind), it.Title)
		if it.Value != "" {
			line += st.Subtle.Render(" — " + it.Value)
		}
		if i == s.cur.sel {
			line = st.Selected.Render(cell(line, w))
		}
		lines = append(lines, line)
	}
	return strings.Join(lines, "\n")
}

func sectionsOf(items []gdpr.ItemStatus) []gdpr.Section {
	var out []gdpr.Section
	for _, it := range items {
		if len(out) == 0 || out[len(out)-1] != it.Section {
			out = append(out, it.Section)
		}
	}
	return out
}
