package ui

import (
	"fmt"
	"os"
	"strings"
	"sync/atomic"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/gdprdesk/gdprdesk/gdpr"
	"github.com/gdprdesk/gdprdesk/internal/textsafe"
	"github.com/gdprdesk/gdprdesk/store"
)

// screen is one tab of the desk. Screens are pointers changed in place by
// Update; View renders exactly width×height cells' worth of lines.
type screen interface {
	Title() string
	Init() tea.Cmd
	Update(msg tea.Msg) tea.Cmd
	View(width, height int) string
	// Help is the screen's key bindings in its current state, most used
	// first: the footer shows the first few, ? shows them all.
	Help() []key.Binding
	// Capturing is true while the screen takes typed text (a filter, a
	// form): global keys such as q and the number keys go to it.
	Capturing() bool
	// Busy names an operation still running, so quitting asks first.
	Busy() string
}

// stopper is a screen whose running operation can be stopped cleanly.
type stopper interface{ Stop() tea.Cmd }

// Model is the root of the UI: the tab bar, the active screen, the status
// line, the help overlay and the quit confirmation.
type Model struct {
	c       *common
	screens []screen
	active  int

	width, height int
	counts        store.Counts
	message       string
	messageErr    bool // an error: ✗
	messageRefuse bool // a refusal: !
	messageDone   bool // a success: ✓; none of the three is a hint
	showHelp      bool
	confirmQuit   bool
	quitting      bool
	empty         bool
	changes       <-chan struct{}
	local         *time.Location // the machine's zone (Options.Zone)
	crash         string         // the report of a panic that stopped the UI
	farewell      string         // the result of work that ended as the desk quit
}

// elsewhereMsg says another session changed the store.
type elsewhereMsg struct{}

// watch waits for the next change made elsewhere.
func (m *Model) watch() tea.Msg {
	if _, ok := <-m.changes; !ok {
		return nil
	}
	return elsewhereMsg{}
}

// New builds the UI over a store.
func New(o Options) *Model {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Operator == "" {
		o.Operator = "owner"
	}
	if o.Role == "" {
		o.Role = gdpr.RoleAdmin
	}
	c := &common{store: o.Store, operator: o.Operator, role: o.Role, now: o.Now,
		exportDir: o.ExportDir, styles: DefaultStyles(), keys: DefaultKeyMap(), inflight: new(atomic.Int64),
		screen: toAll, zone: new(atomic.Pointer[time.Location])}
	if o.Zone == nil {
		o.Zone = time.Local
	}
	c.zone.Store(o.Zone)
	c.local = o.Zone
	if o.AllowEditor {
		c.editor = editorCommand(os.Getenv)
		c.exec = o.exec
		if c.exec == nil {
			c.exec = tea.ExecProcess
		}
	}
	m := &Model{c: c, width: 80, height: 24, changes: o.Changes, local: o.Zone}
	// Each screen gets its own copy of common, so the results of its
	// commands come back to it alone.
	m.screens = []screen{
		newDashboard(c.forScreen(tabDashboard)), newContacts(c.forScreen(tabContacts)), newRequests(c.forScreen(tabRequests)),
		newChecklist(c.forScreen(tabChecklist)), newSettings(c.forScreen(tabSettings)), newAudit(c.forScreen(tabAudit)),
		newRegisters(c.forScreen(tabRegisters)),
	}
	return m
}

// countsMsg carries the maintained counters for the status line.
type countsMsg struct {
	counts store.Counts
	empty  bool
	zone   *time.Location // the timezone setting's, else the machine's
}

func (m *Model) loadCounts() tea.Msg {
	cs, err := m.c.store.Counts()
	if err != nil {
		return statusMsg{text: "read counters: " + err.Error(), err: true}
	}
	empty := cs.Contacts == 0
	if empty {
		if e, err := m.c.store.IsEmpty(); err == nil {
			empty = e
		}
	}
	// The time zone is a setting: read with the counters, it follows a
	// change made in any session.
	set, err := m.c.store.Settings()
	if err != nil {
		return statusMsg{text: "read settings: " + err.Error(), err: true}
	}
	return countsMsg{counts: cs, empty: empty, zone: set.Location(m.local)}
}

// Init loads the counters and the first screen.
func (m *Model) Init() tea.Cmd {
	cmds := []tea.Cmd{m.c.io(m.loadCounts)}
	for _, s := range m.screens {
		cmds = append(cmds, s.Init())
	}
	if m.changes != nil {
		cmds = append(cmds, m.watch)
	}
	return tea.Batch(cmds...)
}

// Update routes a message: keys and the mouse wheel to the active screen
// (after the global keys), the result of a screen's store work to that
// screen, the root's own messages to the root, and the rest to every
// screen.
func (m *Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	if m.crash != "" {
		return m, tea.Quit
	}
	var next tea.Model = m
	cmd := m.guard(func() tea.Cmd {
		var c tea.Cmd
		next, c = m.update(toAll, msg)
		return c
	})
	return next, cmd
}

// update handles msg, addressed to screen to (or toAll). The root takes
// its own messages whoever they are addressed to (a screen's read can end
// in a status line error); any other message goes to its addressee only,
// so two open views never both act on one result.
func (m *Model) update(to int, msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case crashMsg:
		m.crash = msg.report
		return m, tea.Quit
	case ioMsg:
		m.c.inflight.Add(-1)
		if msg.msg == nil {
			return m, nil
		}
		return m.update(msg.to, msg.msg)
	case tea.WindowSizeMsg:
		m.width, m.height = msg.Width, msg.Height
		return m, m.broadcast(msg)
	case statusMsg:
		if msg.over != "" {
			if m.message == msg.over {
				m.message, m.messageErr, m.messageRefuse, m.messageDone = "", false, false, false
			}
			return m, nil
		}
		m.message, m.messageErr, m.messageRefuse, m.messageDone = msg.text, msg.err, msg.refused, msg.done
		return m, nil
	case countsMsg:
		m.counts, m.empty = msg.counts, msg.empty
		if msg.zone != nil {
			m.c.zone.Store(msg.zone)
		}
		return m, m.broadcast(msg)
	case changedMsg:
		return m, tea.Batch(m.c.io(m.loadCounts), m.broadcast(msg))
	case ShutdownMsg:
		// The server is stopping: stop running work after its chunk, then
		// quit once nothing runs.
		m.quitting = true
		m.message = "the server is stopping; your session ends now"
		var cmds []tea.Cmd
		for _, s := range m.screens {
			if st, ok := s.(stopper); ok && s.Busy() != "" {
				cmds = append(cmds, st.Stop())
			}
		}
		if m.busy() == "" {
			return m, tea.Quit
		}
		return m, tea.Batch(cmds...)
	case elsewhereMsg:
		return m, tea.Batch(m.c.io(m.loadCounts), m.broadcast(changedMsg{}), m.watch)
	case switchMsg:
		m.active = msg.to
		return m, m.screens[msg.to].Update(msg)
	case doneMsg:
		// No screen acts on it: the root shows the result, and quits once
		// the work ended if that was asked. A quit question asked while it
		// ran is answered by its end: it closes, and the result shows.
		if msg.text != "" {
			m.message, m.messageErr, m.messageRefuse, m.messageDone = msg.text, msg.err, false, !msg.err
		}
		if m.quitting && m.busy() == "" {
			m.farewell = msg.text
			return m, tea.Quit
		}
		if m.confirmQuit && m.busy() == "" {
			m.confirmQuit = false
		}
		return m, nil
	case tea.KeyPressMsg:
		// A message stays until the next key, then the footer shows the
		// keys again.
		m.message, m.messageErr, m.messageRefuse, m.messageDone = "", false, false, false
		return m, m.key(msg)
	case tea.MouseWheelMsg:
		return m, m.screens[m.active].Update(msg)
	}
	if to != toAll {
		return m, m.screens[to].Update(msg)
	}
	return m, m.broadcast(msg)
}

func (m *Model) broadcast(msg tea.Msg) tea.Cmd {
	var cmds []tea.Cmd
	for _, s := range m.screens {
		cmds = append(cmds, s.Update(msg))
	}
	return tea.Batch(cmds...)
}

func (m *Model) busy() string {
	for _, s := range m.screens {
		if b := s.Busy(); b != "" {
			return b
		}
	}
	return ""
}

func (m *Model) key(msg tea.KeyPressMsg) tea.Cmd {
	k := m.c.keys
	if m.quitting {
		return nil
	}
	if m.confirmQuit {
		switch {
		case key.Matches(msg, k.Confirm):
			m.quitting = true
			var cmds []tea.Cmd
			for _, s := range m.screens {
				if st, ok := s.(stopper); ok && s.Busy() != "" {
					cmds = append(cmds, st.Stop())
				}
			}
			if len(cmds) == 0 {
				return tea.Quit
			}
			m.message = "stopping after the current chunk…"
			return tea.Batch(cmds...)
		case key.Matches(msg, k.Cancel):
			m.confirmQuit = false
		}
		return nil
	}
	if m.showHelp {
		if key.Matches(msg, k.Help, k.Back) || msg.String() == "q" {
			m.showHelp = false
			return nil
		}
		if !key.Matches(msg, k.Force) {
			return nil
		}
	}
	cur := m.screens[m.active]
	if key.Matches(msg, k.Force) || (!cur.Capturing() && key.Matches(msg, k.Quit)) {
		if b := m.busy(); b != "" {
			m.confirmQuit = true
			return nil
		}
		return tea.Quit
	}
	if cur.Capturing() {
		return cur.Update(msg)
	}
	switch {
	case key.Matches(msg, k.Help):
		m.showHelp = true
		return nil
	case key.Matches(msg, k.Tab):
		return m.switchTo((m.active + 1) % len(m.screens))
	case key.Matches(msg, k.ShiftTab):
		return m.switchTo((m.active + len(m.screens) - 1) % len(m.screens))
	}
	for i, b := range k.Screen {
		if key.Matches(msg, b) {
			return m.switchTo(i)
		}
	}
	return cur.Update(msg)
}

// switchMsg moves to a screen, optionally with something for it to do
// (the checklist sends the contacts screen a filter).
type switchMsg struct {
	to     int
	filter string
	// unfiltered opens the contacts list with no filter at all (the
	// dashboard's total), where an empty filter leaves the list as it is.
	unfiltered bool
	// request opens that request on the requests screen; entry opens
	// that audit entry on the audit screen (from the dashboard's rows).
	request gdpr.RequestID
	entry   *store.AuditEntry
}

func (m *Model) switchTo(i int) tea.Cmd {
	m.active = i
	return m.screens[i].Update(switchMsg{to: i})
}

// Screen numbers, in tab order.
const (
	tabDashboard = iota
	tabContacts
	tabRequests
	tabChecklist
	tabSettings
	tabAudit
	tabRegisters
)

// View draws the tab bar, the screen, the footer and the status line.
func (m *Model) View() tea.View {
	var content string
	m.guard(func() tea.Cmd {
		content = m.render()
		return nil
	})
	if m.crash != "" {
		content = "gdprdesk stopped on an internal error; press any key."
	}
	// The last guard of SPEC §8: stored text is made plain where a screen
	// puts it (render.go); here nothing but the screen's own colours may
	// reach the terminal, whatever a screen forgot.
	v := tea.NewView(textsafe.Styled(content))
	v.AltScreen = true
	v.MouseMode = tea.MouseModeCellMotion
	v.WindowTitle = "gdprdesk"
	return v
}

func (m *Model) render() string {
	w, h := max(m.width, 20), max(m.height, 6)
	st := m.c.styles
	tabs := m.tabBar(w)
	footer := m.footer(w)
	statusLine := m.statusLine(w)
	bodyH := h - 4
	var body string
	switch {
	case m.showHelp:
		body = m.helpView(w, bodyH)
	case m.empty && m.active != tabSettings && m.active != tabChecklist && m.active != tabAudit && m.active != tabRegisters:
		body = m.welcome(w, bodyH)
	default:
		body = m.screens[m.active].View(w, bodyH)
	}
	if m.confirmQuit && m.busy() != "" {
		text := fmt.Sprintf("%s is running.\nQuit anyway? It stops after the current chunk;\nwhat is done stays done, the rest is untouched.\n\n%s quit   %s keep working",
			m.busy(), st.Key.Render("y"), st.Key.Render("n"))
		body = lipgloss.Place(w, bodyH, lipgloss.Center, lipgloss.Center, st.Dialog.Render(text))
	}
	return lipgloss.JoinVertical(lipgloss.Left, tabs, rule(w), fit(body, w, bodyH), footer, statusLine)
}

func (m *Model) tabBar(w int) string {
	st := m.c.styles
	var parts []string
	for i, s := range m.screens {
		label := fmt.Sprintf("%d %s", i+1, s.Title())
		if i == m.active {
			parts = append(parts, st.TabActive.Render(label))
		} else {
			parts = append(parts, st.Tab.Render(label))
		}
	}
	bar := strings.Join(parts, "")
	if lipgloss.Width(bar) > w {
		// A little narrower (80 columns): every title, one space apart.
		parts = parts[:0]
		for i, s := range m.screens {
			label := fmt.Sprintf("%d %s", i+1, s.Title())
			if i == m.active {
				parts = append(parts, st.TabActive.Render(label))
			} else {
				parts = append(parts, st.Tab.UnsetPadding().Render(label))
			}
		}
		bar = strings.Join(parts, " ")
	}
	if lipgloss.Width(bar) > w {
		// Narrow terminal: numbers and the active title only.
		parts = parts[:0]
		for i, s := range m.screens {
			if i == m.active {
				parts = append(parts, st.TabActive.Render(fmt.Sprintf("%d %s", i+1, s.Title())))
			} else {
				parts = append(parts, st.Tab.Render(fmt.Sprint(i+1)))
			}
		}
		bar = strings.Join(parts, "")
	}
	return ansi.Truncate(bar, w, "")
}

func (m *Model) footer(w int) string {
	st := m.c.styles
	var parts []string
	if m.confirmQuit && m.busy() != "" {
		return ""
	}
	if m.showHelp {
		return st.Subtle.Render("? or esc closes the help")
	}
	if m.message != "" {
		// The mark says what kind of message it is without colour.
		switch {
		case m.messageErr:
			return ansi.Truncate(st.Error.Render("✗ "+plain(m.message)), w, "…")
		case m.messageRefuse:
			return ansi.Truncate(st.Refused.Render("! "+plain(m.message)), w, "…")
		case m.messageDone:
			return ansi.Truncate(st.Message.Render("✓ "+plain(m.message)), w, "…")
		}
		return ansi.Truncate(st.Hint.Render("· "+plain(m.message)), w, "…")
	}
	for _, b := range m.screens[m.active].Help() {
		if !b.Enabled() {
			continue
		}
		part := st.Key.Render(b.Help().Key) + " " + st.Subtle.Render(b.Help().Desc)
		if lipgloss.Width(strings.Join(append(parts, part), "  "))+12 > w {
			break
		}
		parts = append(parts, part)
	}
	parts = append(parts, st.Key.Render("?")+" "+st.Subtle.Render("all keys"))
	return ansi.Truncate(strings.Join(parts, "  "), w, "…")
}

// statusLine is who is at the desk, the data directory, the contacts and
// the overdue requests. When it does not fit, the path gives way first:
// it is shortened from the left (its last folders tell most), then
// dropped; who, contacts and overdue stay.
func (m *Model) statusLine(w int) string {
	st := m.c.styles
	who := fmt.Sprintf("%s (%s)", plain(m.c.operator), m.c.role)
	tail := fmt.Sprintf("%s contacts", gdpr.Thousands(m.counts.Contacts))
	overdue := ""
	if m.counts.Overdue > 0 {
		overdue = fmt.Sprintf("%d overdue", m.counts.Overdue)
	}
	line := func(path string) string {
		parts := []string{who}
		if path != "" {
			parts = append(parts, path)
		}
		parts = append(parts, tail)
		if overdue != "" {
			parts = append(parts, overdue)
		}
		return strings.Join(parts, " · ")
	}
	path := plain(m.c.store.Dir())
	if over := lipgloss.Width(line(path)) - w; over > 0 {
		// Keep at least a few cells of the path's end, or drop it.
		if keep := lipgloss.Width(path) - over - 1; keep >= 8 {
			path = "…" + ansi.TruncateLeft(path, lipgloss.Width(path)-keep, "")
		} else {
			path = ""
		}
	}
	left := line(path)
	if overdue != "" {
		plainPart, _ := strings.CutSuffix(left, overdue)
		left = st.Status.Render(plainPart) + st.Error.Render(overdue)
	} else {
		left = st.Status.Render(left)
	}
	return ansi.Truncate(left, w, "…")
}

// helpNoter is a screen whose help shows more than its keys (the contacts
// screen: the filter language), in w columns and at most rows lines.
type helpNoter interface {
	helpNotes(w, rows int) []string
}

// helpView lists every key: the global ones, then the screen's, then what
// else the screen's help says (helpNoter).
func (m *Model) helpView(w, h int) string {
	st := m.c.styles
	k := m.c.keys
	global := []key.Binding{k.Screen[0], k.Screen[1], k.Screen[2], k.Screen[3], k.Screen[4], k.Screen[5], k.Screen[6], k.Tab, k.ShiftTab, k.Help, k.Quit}
	var b strings.Builder
	b.WriteString(st.Title.Render("Keys: "+m.screens[m.active].Title()) + "\n\n")
	col := func(title string, bs []key.Binding) []string {
		lines := []string{st.Header.Render(title)}
		for _, x := range bs {
			if !x.Enabled() {
				continue
			}
			lines = append(lines, fmt.Sprintf("%-10s %s", st.Key.Render(x.Help().Key), x.Help().Desc))
		}
		return lines
	}
	left := col("This screen", m.screens[m.active].Help())
	right := col("Everywhere", global)
	if n, ok := m.screens[m.active].(helpNoter); ok {
		colW, rows := w-w/2, h-2-len(right)-1
		if w < 70 {
			colW, rows = w, rows-len(left)-1
		}
		if notes := n.helpNotes(colW, rows); len(notes) > 0 {
			right = append(append(right, ""), notes...)
		}
	}
	if w >= 70 {
		b.WriteString(lipgloss.JoinHorizontal(lipgloss.Top,
			lipgloss.NewStyle().Width(w/2).Render(strings.Join(left, "\n")),
			strings.Join(right, "\n")))
	} else {
		b.WriteString(strings.Join(left, "\n") + "\n\n" + strings.Join(right, "\n"))
	}
	return b.String()
}

// welcome is the first screen of an empty store.
func (m *Model) welcome(w, h int) string {
	st := m.c.styles
	text := st.Title.Render("Welcome to gdprdesk") + "\n\n" +
		"This data directory is empty. To start:\n\n" +
		"  • import your customer list (a CSV exported from your CRM):\n" +
		"      " + st.Key.Render("gdprdesk import contacts.csv --source \"crm export\"") + "\n" +
		"  • or try the desk with demo data:\n" +
		"      " + st.Key.Render("gdprdesk demo") + "\n\n" +
		"Meanwhile, fill in your roles and policies under " + st.Key.Render("5 Settings") + "\n" +
		"and see what the law asks of you under " + st.Key.Render("4 Checklist") + ".\n\n" +
		st.Subtle.Render("q quits · ? shows every key")
	return lipgloss.Place(w, h, lipgloss.Center, lipgloss.Center, st.Box.Render(text))
}

// doneMsg ends a background operation with its result for the status
// line; the app quits after it when the owner asked to quit while it ran,
// and keeps the result to say once the terminal is back (Farewell).
type doneMsg struct {
	what string
	text string // the result
	err  bool   // the operation failed
}

// Farewell is the result of work that ended as the desk quit (a bulk
// change stopped after its chunk), for the command to print once the
// terminal is back; empty when there is none.
func (m *Model) Farewell() string { return m.farewell }

// ShutdownMsg tells a session the server is stopping: a running bulk
// change stops after its chunk, and the program quits.
type ShutdownMsg struct{}
