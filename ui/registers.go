package ui

import (
	"errors"
	"fmt"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/gdprdesk/gdprdesk/gdpr"
	"github.com/gdprdesk/gdprdesk/store"
)

// registers is screen 7: the registers of SPEC §10, one section each
// (purposes, recipients and processors, breaches, the DPIA screening). A section bar on top moves with ← and →, the
// rows of the active section below it; enter opens a row's full record,
// each section's keys add and change its entries in forms, and e exports
// the records of processing from any of them (registers_ropa.go). Every
// change is one audited store transaction; the store refuses what the
// operator's role may not do, and the screen says so before a form opens.
type registers struct {
	c        *common
	sections []regSection
	active   int
	curs     []cursor // one per section
	loaded   bool
	width    int
	height   int    // lines of the body
	focus    string // the row to land on after the next reload (regSection.id)

	dialog *dialog
	// build rebuilds the open form over the same values, so a save the
	// store refused opens it again with the operator's text and, under
	// it, formErr.
	build   func() *dialog
	formErr string
	detail  *regDetail
}

// regSection is one register on the screen. It is a small unit of its
// own: a new register (breaches, DPIA screening) is a type with these
// methods, listed in newRegisters, and nothing else in the screen changes.
type regSection interface {
	// title names it in the section bar.
	title() string
	// read runs in a tea.Cmd (common.io): it reads what the section
	// shows and returns the function that puts it in place, which runs
	// in Update.
	read(st Store) (install func(), err error)
	// len is the number of rows.
	len() int
	// id names row i across reloads, so the cursor stays on it.
	id(i int) string
	// summary is one line over the rows: counts and what needs doing.
	summary() string
	// header is the column heads, and row row i, each in w cells.
	header(w int) string
	row(i, w int) string
	// detail is the full record of row i, as lines of at most w cells.
	detail(i, w int) []string
	// actions are the keys of the section on row i (-1: no row). Only
	// what applies is listed, so the help is what the keys do. The
	// screen's own keys are not free: enter, esc, ←/→ and h/l, ↑/↓ and
	// k/j, pgup/pgdn, home/end and g/G; e is kept for exporting the
	// records of processing (SPEC §5).
	actions(i int) []regAction
	// empty says what to do while the section has no rows.
	empty() string
}

// regAction is one key of a section: the role check it needs (the audit
// action the store will write) and what it opens.
type regAction struct {
	key key.Binding
	// needs is the action the store checks; the screen checks it first
	// (common.mayDo), so a refusal shows before any form. Empty: none.
	needs gdpr.Action
	// form builds the form the key opens. It is called again, over the
	// same values, when the store refuses the save (registers.build).
	// A nil form with a cmd is a hint instead ("nothing to change").
	form func() (build func() *dialog, cmd tea.Cmd)
}

// regKit is what a section is given: the shared common, and save, which
// runs a store change in the background and reports it.
type regKit struct {
	c *common
	// save runs fn (one store change) in a tea.Cmd: its text on the
	// status line, or its error under the form, opened again. fn returns
	// the id of the row to land on (known only once saved, for a record
	// the store numbers), or "" to stay.
	save func(what string, fn func() (text, focus string, err error)) tea.Cmd
}

func newRegisters(c *common) *registers {
	r := &registers{c: c, width: 80, height: 20}
	kit := regKit{c: c, save: r.save}
	r.sections = []regSection{newPurposesSection(kit), newRecipientsSection(kit), newBreachesSection(kit), newDPIASection(kit)}
	r.curs = make([]cursor, len(r.sections))
	return r
}

func (r *registers) Title() string   { return "Registers" }
func (r *registers) Capturing() bool { return r.dialog != nil }
func (r *registers) Busy() string    { return "" }

func (r *registers) section() regSection { return r.sections[r.active] }

// selected is the row under the cursor, or -1.
func (r *registers) selected() int {
	n := r.section().len()
	if !r.loaded || n == 0 {
		return -1
	}
	return min(max(r.curs[r.active].sel, 0), n-1)
}

// Help lists the keys in the screen's state: the form's, the open
// record's, or the list's.
func (r *registers) Help() []key.Binding {
	k := r.c.keys
	if r.dialog != nil {
		return r.dialog.help()
	}
	var out []key.Binding
	if r.detail != nil {
		out = append(out, k.Back)
		for _, a := range r.section().actions(r.detailRow()) {
			out = append(out, a.key)
		}
		return append(out, k.ExportROPA, k.Up, k.Down, k.PageUp, k.PageDown)
	}
	i := r.selected()
	open := k.Open
	open.SetEnabled(i >= 0)
	open.SetHelp("enter", "open the record")
	out = append(out, open)
	for _, a := range r.section().actions(i) {
		out = append(out, a.key)
	}
	return append(out, k.NextSection, k.PrevSection, k.ExportROPA, k.Up, k.Down, k.PageUp, k.PageDown, k.Home, k.End)
}

// regOpenMsg opens a section of screen 7 on a row (its regSection.id, ""
// none): the dashboard's urgent breach, a checklist item's fix. It follows
// a switchMsg to the screen (openRegister).
type regOpenMsg struct {
	section string // sectionName: purposes, recipients, breaches, dpia
	id      string
}

// openRegister moves to screen 7 and opens section there, on the row id.
func openRegister(section, id string) tea.Cmd {
	return tea.Sequence(func() tea.Msg { return switchMsg{to: tabRegisters} },
		func() tea.Msg { return regOpenMsg{section: section, id: id} })
}

// sectionName names a section for regOpenMsg.
func sectionName(s regSection) string {
	switch s.(type) {
	case *purposesSection:
		return "purposes"
	case *recipientsSection:
		return "recipients"
	case *breachesSection:
		return "breaches"
	case *dpiaSection:
		return "dpia"
	}
	return s.title()
}

// regReadMsg carries what the sections read; regDoneMsg ends a change.
type regReadMsg struct {
	install []func()
	err     error
}

type regDoneMsg struct {
	text, what, focus string
	err               error
	build             func() *dialog // the form that made the change
}

func (r *registers) Init() tea.Cmd { return r.load() }

// load reads every section in one background command.
func (r *registers) load() tea.Cmd {
	st, sections := r.c.store, r.sections
	return r.c.io(func() tea.Msg {
		var m regReadMsg
		for _, s := range sections {
			fn, err := s.read(st)
			if err != nil {
				m.err = fmt.Errorf("%s: %w", strings.ToLower(s.title()), err)
				return m
			}
			m.install = append(m.install, fn)
		}
		return m
	})
}

// save runs a store change of a section's form in the background. The
// form that is open as it runs is kept, to be opened again on an error.
func (r *registers) save(what string, fn func() (text, focus string, err error)) tea.Cmd {
	build := r.build
	return r.c.io(func() tea.Msg {
		text, focus, err := fn()
		return regDoneMsg{text: text, what: what, focus: focus, err: err, build: build}
	})
}

func (r *registers) Update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case regReadMsg:
		if msg.err != nil {
			return failed("read the registers", msg.err)
		}
		for _, fn := range msg.install {
			fn()
		}
		r.loaded = true
		if r.detail != nil && r.detailRow() < 0 {
			r.detail = nil // its record went (removed here or elsewhere)
		}
		if r.focus != "" {
			s := r.section()
			for i := range s.len() {
				if s.id(i) == r.focus {
					r.curs[r.active].sel = i
				}
			}
			r.focus = ""
		}
		return nil
	case regDoneMsg:
		if msg.err == nil {
			r.focus = msg.focus
			return tea.Batch(done(msg.text), changed)
		}
		if errors.Is(msg.err, store.ErrForbidden) || msg.build == nil {
			return failed(msg.what, msg.err)
		}
		// The operator's text stays: the same form, with the reason
		// under it.
		r.formErr = msg.what + ": " + msg.err.Error()
		return r.openForm(msg.build)
	case regOpenMsg:
		for i, s := range r.sections {
			if sectionName(s) == msg.section {
				r.active = i
			}
		}
		r.detail = nil
		if msg.id != "" {
			// Landed on now when it is listed already, and again once the
			// reload the switch asked for has read it.
			r.focus = msg.id
			s := r.section()
			for i := range s.len() {
				if s.id(i) == msg.id {
					r.curs[r.active].sel = i
				}
			}
		}
		return nil
	case changedMsg:
		return r.load()
	case switchMsg:
		if msg.to == tabRegisters {
			return r.load()
		}
		return nil
	case tea.WindowSizeMsg:
		// The root keeps four lines for the tabs, rule, footer and status.
		r.width, r.height = msg.Width, max(msg.Height-4, 1)
		return nil
	case tea.MouseWheelMsg:
		if r.dialog != nil {
			break
		}
		step := 1
		if msg.Button == tea.MouseWheelUp {
			step = -1
		}
		if r.detail != nil {
			r.detail.top = max(r.detail.top+3*step, 0)
			return nil
		}
		c := &r.curs[r.active]
		c.sel = min(max(c.sel+step, 0), max(r.section().len()-1, 0))
		return nil
	case tea.KeyPressMsg:
		return r.key(msg)
	}
	cmd := stepOverlay(&r.dialog, msg)
	r.formClosed()
	return cmd
}

// formClosed forgets the form once it has closed (saved or cancelled).
func (r *registers) formClosed() {
	if r.dialog == nil {
		r.formErr = ""
	}
}

func (r *registers) key(msg tea.KeyPressMsg) tea.Cmd {
	if r.dialog != nil {
		cmd := stepOverlay(&r.dialog, msg)
		r.formClosed()
		return cmd
	}
	if !r.loaded {
		return nil
	}
	k := r.c.keys
	row := r.selected()
	if r.detail != nil {
		row = r.detailRow()
		if row < 0 { // the record went (deleted elsewhere)
			r.detail = nil
			return nil
		}
	}
	// The section's keys, on the list and on an open record alike.
	for _, a := range r.section().actions(row) {
		if key.Matches(msg, a.key) {
			return r.run(a)
		}
	}
	if key.Matches(msg, k.ExportROPA) {
		r.formErr = ""
		return r.openForm(r.ropaForm())
	}
	if r.detail != nil {
		return stepOverlay(&r.detail, msg)
	}
	s := r.section()
	switch {
	case key.Matches(msg, k.NextSection):
		r.active = (r.active + 1) % len(r.sections)
		return nil
	case key.Matches(msg, k.PrevSection):
		r.active = (r.active + len(r.sections) - 1) % len(r.sections)
		return nil
	case key.Matches(msg, k.Open):
		if row < 0 {
			return status(s.empty())
		}
		return openOverlay(&r.detail, &regDetail{keys: k, styles: r.c.styles, id: s.id(row), title: s.title(), lines: r.recordLines})
	}
	r.curs[r.active].move(k, msg, s.len(), r.listHeight())
	return nil
}

// run does a section's key: the role check first, then the form.
func (r *registers) run(a regAction) tea.Cmd {
	if a.needs != "" {
		if ok, cmd := r.c.mayDo(a.needs); !ok {
			return cmd
		}
	}
	build, cmd := a.form()
	if build == nil {
		return cmd
	}
	r.formErr = ""
	return tea.Batch(r.openForm(build), cmd)
}

// openForm opens the form build makes, sized before its first frame (a
// text field wraps its first lines at the width it had when filled).
func (r *registers) openForm(build func() *dialog) tea.Cmd {
	r.build = build
	d := build()
	d.form.WithWidth(min(r.width-4, 76)).WithHeight(max(r.height-2-r.errLines(), 6))
	return openDialog(r.c, &r.dialog, d)
}

// recordLines is the record the open detail shows, read from its section
// as it is now (the rows are read again after every change).
func (r *registers) recordLines(w int) []string {
	if i := r.detailRow(); i >= 0 {
		return r.section().detail(i, w)
	}
	return []string{"this record is no longer in the register; esc goes back"}
}

// detailRow is the row the open record shows, found by its id (the rows
// are read again after every change), or -1 once it is gone.
func (r *registers) detailRow() int {
	s := r.section()
	for i := range s.len() {
		if s.id(i) == r.detail.id {
			return i
		}
	}
	return -1
}

// listHeight is the rows' lines: the body less the section bar, the
// summary and the column heads.
func (r *registers) listHeight() int { return max(r.height-3, 1) }

// errView is the store's reason under the form, wrapped to w cells, at
// most three lines.
func (r *registers) errView(w int) []string {
	if r.formErr == "" {
		return nil
	}
	lines := strings.Split(ansi.Wrap("✗ "+plain(r.formErr), max(w, 10), " "), "\n")
	if len(lines) > 3 {
		lines = lines[:3]
		lines[2] = ansi.Truncate(lines[2], max(w-1, 1), "") + "…"
	}
	for i, l := range lines {
		lines[i] = r.c.styles.Error.Render(l)
	}
	return lines
}

// errLines is the lines the form's error takes under it, with the blank
// line over it.
func (r *registers) errLines() int {
	if n := len(r.errView(r.width)); n > 0 {
		return n + 1
	}
	return 0
}

// View draws the open form (with the store's reason under it), the open
// record, or the section bar and the active section's rows.
func (r *registers) View(w, h int) string {
	st := r.c.styles
	if r.dialog != nil {
		errs := r.errView(w)
		if len(errs) == 0 {
			return r.dialog.view(w, h)
		}
		formH := max(h-len(errs)-1, 1)
		return fit(r.dialog.view(w, formH), w, formH) + "\n\n" + strings.Join(errs, "\n")
	}
	if !r.loaded {
		return st.Subtle.Render("loading…")
	}
	if r.detail != nil {
		return r.detail.view(w, h)
	}
	s := r.section()
	lines := []string{r.bar(w)}
	summary := s.summary()
	for _, a := range s.actions(-1) {
		if a.needs == "" {
			continue
		}
		if ok, why := r.c.role.May(a.needs); !ok {
			// Read only: said up front, with the refusal's mark,
			// before a key is pressed in vain.
			summary = st.Refused.Render("! "+why) + st.Subtle.Render(" · you can read it")
		}
		break
	}
	lines = append(lines, ansi.Truncate(summary, w, "…"))
	n := s.len()
	if n == 0 {
		lines = append(lines, "", st.Subtle.Render(s.empty()))
		return strings.Join(lines, "\n")
	}
	lines = append(lines, st.Subtle.Render(ansi.Truncate("  "+s.header(w-2), w, "…")))
	c := &r.curs[r.active]
	from, to := c.visible(n, r.listHeight())
	for i := from; i < to; i++ {
		line := s.row(i, w-2)
		if i == c.sel {
			// A marker as well as the reverse, so the cursor shows without colour.
			line = st.Selected.Render(cell("› "+ansi.Strip(line), w))
		} else {
			line = "  " + line
		}
		lines = append(lines, ansi.Truncate(line, w, "…"))
	}
	// The room left shows the selected record, as enter opens it.
	if room := h - len(lines) - 2; room >= 4 && c.sel >= 0 && c.sel < n {
		lines = append(lines, "", st.Subtle.Render(cell("── "+s.title()+": enter opens the record ", w)))
		detail := s.detail(c.sel, w-2)
		for _, l := range detail[:min(room, len(detail))] {
			lines = append(lines, ansi.Truncate(" "+l, w, "…"))
		}
	}
	return strings.Join(lines, "\n")
}

// bar is the section bar: every section with its count, the active one
// reversed (and bracketed, so it shows without colour).
func (r *registers) bar(w int) string {
	st := r.c.styles
	var parts []string
	for i, s := range r.sections {
		label := fmt.Sprintf("%s (%d)", s.title(), s.len())
		if i == r.active {
			parts = append(parts, st.TabActive.Render("["+label+"]"))
		} else {
			parts = append(parts, st.Tab.Render(label))
		}
	}
	bar := strings.Join(parts, " ")
	hint := st.Subtle.Render("  ←/→ section")
	if ansi.StringWidth(bar+hint) <= w {
		bar += hint
	}
	return ansi.Truncate(bar, w, "…")
}

// regDetail is the full record of one row, over the list; esc closes it.
// The section's keys work on it as on the list (the screen hands them to
// the section first).
type regDetail struct {
	keys   KeyMap
	styles Styles
	id     string // the row's id (regSection.id)
	title  string // the section's
	lines  func(w int) []string
	top    int
	shut   bool
}

var _ overlay = (*regDetail)(nil)

func (d *regDetail) init() tea.Cmd   { return nil }
func (d *regDetail) capturing() bool { return false }
func (d *regDetail) closed() bool    { return d.shut }

func (d *regDetail) help() []key.Binding {
	return []key.Binding{d.keys.Back, d.keys.Up, d.keys.Down}
}

func (d *regDetail) update(msg tea.Msg) tea.Cmd {
	k, ok := msg.(tea.KeyPressMsg)
	if !ok || d.shut {
		return nil
	}
	if key.Matches(k, d.keys.Back) {
		d.shut = true
		return nil
	}
	scrollKey(d.keys, k, &d.top)
	return nil
}

// view draws the record's lines under a title, scrolled to top.
func (d *regDetail) view(w, h int) string {
	st := d.styles
	lines := d.lines(w - 2)
	head := st.Title.Render(d.title) + st.Subtle.Render(" · the full record · esc goes back")
	rows := max(h-2, 1)
	d.top = max(min(d.top, len(lines)-rows), 0)
	out := []string{ansi.Truncate(head, w, "…"), ""}
	for _, l := range lines[d.top:min(d.top+rows, len(lines))] {
		out = append(out, ansi.Truncate(" "+l, w, "…"))
	}
	return strings.Join(out, "\n")
}

// The helpers the sections draw their records and forms with.

// regField is one "label  value" line of a record, the value wrapped to
// the width under its label; an empty value shows as a dash.
func regField(st Styles, label, value string, w int) []string {
	const lw = 20
	v := dash(value)
	wrapped := strings.Split(ansi.Wrap(v, max(w-lw, 10), " "), "\n")
	out := []string{st.Label.Render(cell(label, lw)) + wrapped[0]}
	for _, l := range wrapped[1:] {
		out = append(out, strings.Repeat(" ", lw)+l)
	}
	return out
}

// splitList reads a comma-separated list: trimmed, blanks dropped.
func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// checkLine is a form check for a one-line text of at most n bytes.
func checkLine(field string, n int) func(string) error {
	return func(v string) error {
		if len(v) > n {
			return fmt.Errorf("%s: at most %d characters", field, n)
		}
		return gdpr.CheckText(field, v, false)
	}
}

// okMark, badMark and noMark draw a register's state marks: ✓ in order,
// ✗ missing (what a checklist item will name), – not needed.
func okMark(st Styles, s string) string  { return st.Good.Render("✓ " + s) }
func badMark(st Styles, s string) string { return st.Error.Render("✗ " + s) }
func noMark(st Styles) string            { return st.Subtle.Render("–") }

// plural is a count with its noun: 1 purpose, 2 purposes.
func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}
