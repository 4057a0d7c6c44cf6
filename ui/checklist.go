package ui

import (
	"fmt"
	"slices"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"charm.land/huh/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/gdprdesk/gdprdesk/gdpr"
)

// checklist is the readiness checklist: sections and items, the measured
// value beside each automatic item, and the readiness percentage on top.
type checklist struct {
	c      *common
	items  []gdpr.ItemStatus
	done   int
	total  int
	cur    cursor
	height int
	loaded bool
	dialog *dialog
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
	bs := []key.Binding{k.Tick, k.NA, k.Note, k.Fix}
	if it, ok := s.selected(); ok {
		if it.Auto {
			bs = []key.Binding{k.Fix, k.NA, k.Note}
		}
		if it.Fix == "" {
			bs = slices.DeleteFunc(bs, func(b key.Binding) bool { return b.Help().Key == k.Fix.Help().Key })
		}
	}
	return append(bs, k.Up, k.Down, k.PageUp, k.PageDown)
}

func (s *checklist) selected() (gdpr.ItemStatus, bool) {
	if s.cur.sel < len(s.items) {
		return s.items[s.cur.sel], true
	}
	return gdpr.ItemStatus{}, false
}

// checklistSetMsg ends a change to an item.
type checklistSetMsg struct {
	text string
	err  error
}

// set records a state, reason or note on the selected item; the store
// refuses to tick an automatic item the data says is not met.
func (s *checklist) set(it gdpr.ItemStatus, rec gdpr.ItemRecord, text string) tea.Cmd {
	op, st := s.c.operator, s.c.store
	return s.c.io(func() tea.Msg {
		if err := st.SetChecklistItem(op, it.ID, rec); err != nil {
			return checklistSetMsg{err: err}
		}
		return checklistSetMsg{text: text}
	})
}

func (s *checklist) key(msg tea.KeyPressMsg) tea.Cmd {
	if s.dialog != nil {
		return stepOverlay(&s.dialog, msg)
	}
	k := s.c.keys
	it, ok := s.selected()
	if s.cur.move(k, msg, len(s.items), s.height) || !ok {
		return nil
	}
	if key.Matches(msg, k.Fix) {
		switch it.Fix {
		case "":
			return status("this item is done outside the app: tick it when it is")
		case "settings":
			return func() tea.Msg { return switchMsg{to: tabSettings} }
		case "requests":
			return func() tea.Msg { return switchMsg{to: tabRequests} }
		case "registers:purposes", "registers:recipients", "registers:breaches", "registers:dpia":
			// A register of screen 7, opened on its section.
			return openRegister(strings.TrimPrefix(it.Fix, "registers:"), "")
		default:
			fix := it.Fix
			return func() tea.Msg { return switchMsg{to: tabContacts, filter: fix} }
		}
	}
	if !key.Matches(msg, k.Tick, k.NA, k.Note) {
		return nil
	}
	if ok, cmd := s.c.mayDo(gdpr.ActionChecklistSet); !ok {
		return cmd
	}
	rec := it.Record
	switch {
	case key.Matches(msg, k.Tick):
		if it.Auto {
			return status("this item is checked from your data (" + it.Value + "); f goes where it is fixed")
		}
		rec.State = gdpr.StateDone
		text := "Ticked: " + it.Title
		if it.State == gdpr.StateDone {
			rec.State, text = gdpr.StateTodo, "Unticked: "+it.Title
		}
		rec.Reason = ""
		return s.set(it, rec, text)
	case key.Matches(msg, k.NA):
		if it.State == gdpr.StateNA {
			rec.State, rec.Reason = gdpr.StateTodo, ""
			return s.set(it, rec, "Applies again: "+it.Title)
		}
		reason := ""
		d := newDialog("Not applicable: "+it.Title, func() tea.Cmd {
			r := rec
			r.State, r.Reason = gdpr.StateNA, strings.TrimSpace(reason)
			return s.set(it, r, "Marked n/a: "+it.Title)
		}, huh.NewInput().Title("Why it does not apply to you").Description("e.g. we are established in the EU, so no EU representative is needed").Value(&reason).Validate(nonEmpty("a reason")))
		return openDialog(s.c, &s.dialog, d)
	default:
		note := rec.Note
		d := newDialog("Note on: "+it.Title, func() tea.Cmd {
			r := rec
			r.Note = strings.TrimSpace(note)
			if r.State == "" {
				r.State = gdpr.StateTodo
			}
			return s.set(it, r, "Saved the note")
		}, huh.NewText().Title("Note").Description("what was done, where the document is, who to ask").Value(&note))
		return openDialog(s.c, &s.dialog, d)
	}
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
	case checklistSetMsg:
		return reported(msg.text, msg.err)
	case tea.WindowSizeMsg:
		s.height = max(msg.Height-4-10, 3) // a page: the body less the title, headings and the detail
	case tea.KeyPressMsg:
		return s.key(msg)
	default:
		if s.dialog != nil {
			return stepOverlay(&s.dialog, msg)
		}
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
	if s.dialog != nil {
		return s.dialog.view(w, h)
	}
	if !s.loaded {
		return st.Subtle.Render("evaluating…")
	}
	pct := gdpr.ReadinessPercent(s.done, s.total)
	lines := []string{st.Title.Render(fmt.Sprintf("Readiness %d%%", pct)) + " " + progressBar(pct, 20) +
		st.Subtle.Render(fmt.Sprintf("  %d of %d applicable items done", s.done, s.total))}
	detail := s.detailLines(w)
	budget := max(h-len(lines)-len(detail)-1, 2)
	// One line per item plus a heading where the section changes: scroll
	// so the cursor's item and its heading fit in the budget.
	s.cur.sel = min(max(s.cur.sel, 0), max(len(s.items)-1, 0))
	s.cur.top = min(s.cur.top, s.cur.sel)
	for s.cur.top < s.cur.sel && s.linesBetween(s.cur.top, s.cur.sel) > budget {
		s.cur.top++
	}
	used := 0
	for i := s.cur.top; i < len(s.items); i++ {
		it := s.items[i]
		if i == s.cur.top || it.Section != s.items[i-1].Section {
			if used+2 > budget {
				break
			}
			lines = append(lines, st.Header.Render(strings.ToUpper(string(it.Section)[:1])+string(it.Section)[1:]))
			used++
		}
		if used+1 > budget {
			break
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
			line = st.Selected.Render(cell(ansi.Strip(line), w))
		}
		lines = append(lines, line)
		used++
	}
	for used < budget {
		lines = append(lines, "")
		used++
	}
	return strings.Join(append(append(lines, st.Subtle.Render(rule(w))), detail...), "\n")
}

// linesBetween counts the lines items from..to take, headings included.
func (s *checklist) linesBetween(from, to int) int {
	n := 0
	for i := from; i <= to && i < len(s.items); i++ {
		if i == from || s.items[i].Section != s.items[i-1].Section {
			n++
		}
		n++
	}
	return n
}

// detailLines explains the selected item: what it asks, how it stands,
// what was recorded, and where it is fixed.
func (s *checklist) detailLines(w int) []string {
	st := s.c.styles
	it, ok := s.selected()
	if !ok {
		return nil
	}
	out := []string{st.Title.Render(it.Title) + " " + st.Subtle.Render("("+string(it.State)+")"), it.Explain}
	var rec []string
	switch {
	case it.Value != "" && it.Measured:
		rec = append(rec, "measured: "+it.Value)
	case it.Value != "":
		// A manual item shows what settings hold, which proves nothing.
		rec = append(rec, "in settings: "+it.Value)
	}
	if it.Record.Reason != "" {
		rec = append(rec, "n/a because: "+plain(it.Record.Reason))
	}
	if it.Record.Note != "" {
		rec = append(rec, "note: "+plain(strings.ReplaceAll(it.Record.Note, "\n", " ")))
	}
	if it.Record.By != "" {
		rec = append(rec, "by "+plain(it.Record.By)+" on "+it.Record.At.Format("2006-01-02"))
	}
	out = append(out, st.Subtle.Render(strings.Join(rec, " · ")))
	switch {
	case it.Fix == "settings":
		out = append(out, st.Key.Render("f")+" opens Settings, where it is fixed")
	case it.Fix == "requests":
		out = append(out, st.Key.Render("f")+" opens the request inbox")
	case it.Fix == "registers:dpia":
		out = append(out, st.Key.Render("f")+" opens the DPIA screening (screen 7), where it is recorded")
	case strings.HasPrefix(it.Fix, "registers:"):
		out = append(out, st.Key.Render("f")+" opens the "+strings.TrimPrefix(it.Fix, "registers:")+" register (screen 7), where it is fixed")
	case it.Fix != "":
		out = append(out, st.Key.Render("f")+" lists the contacts to fix ("+it.Fix+")")
	case it.Auto:
		out = append(out, "")
	default:
		out = append(out, st.Key.Render("space")+" ticks it when done · "+st.Key.Render("n")+" marks it n/a with a reason · "+st.Key.Render("o")+" adds a note")
	}
	for i, l := range out {
		out[i] = ansi.Truncate(l, w, "…")
	}
	return out
}
