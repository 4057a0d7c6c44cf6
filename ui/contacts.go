package ui

import (
	"fmt"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/gdprdesk/gdprdesk/gdpr"
	"github.com/gdprdesk/gdprdesk/store"
	"github.com/gdprdesk/gdprdesk/ui/components"
)

// contacts is the contacts screen: a filter bar over a windowed table that
// reads only what it shows from the store, marks, and the bulk lawful-basis
// change. The contact view (contact.go) opens over it.
type contacts struct {
	c *common

	filter    textinput.Model
	filtering bool
	query     gdpr.Query
	queryText string
	queryErr  string
	qgen      int
	endAsked  bool

	// The filter applies as it is typed: each change of the line starts a
	// wait of liveDelay numbered typeGen, and only the latest one, if the
	// line still holds its text, runs the query. editFrom is the filter in
	// force when editing began, which esc puts back.
	liveDelay time.Duration
	typeGen   int
	editFrom  string

	// Tab completes the filter line from the query language and the
	// store's known values (source labels, purposes); hints lists the
	// candidates under the line when there are several.
	known gdpr.KnownValues
	hints string

	win          *components.Window[gdpr.Contact]
	width, bodyH int // the screen's size, from the last resize

	// Marks are rows marked one by one, or a query: "every contact matching
	// this filter" is a mark of its own, never a million ids in memory.
	marks     map[gdpr.ContactID]bool
	markOrder []gdpr.ContactID
	markQuery *gdpr.Query
	markText  string
	markCount int64

	bulk   *bulk
	detail *contactView
	adding *dialog // the add-contact form (a), contact_add.go
}

func newContacts(c *common) *contacts {
	ti := textinput.New()
	ti.Prompt = "/ "
	ti.Placeholder = "filter: eu:yes basis:none, country:DE, tag:vip, or words"
	ti.CharLimit = 500
	return &contacts{c: c, filter: ti, liveDelay: liveDelay, win: components.NewWindow[gdpr.Contact](17), width: 80, bodyH: 20, marks: map[gdpr.ContactID]bool{}}
}

// liveDelay is how long the filter line waits after a change before it
// applies what is typed: long enough that a paste or fast typing runs one
// query, short enough to feel immediate.
const liveDelay = 150 * time.Millisecond

// filterTickMsg ends the wait after a change of the filter line.
type filterTickMsg struct {
	gen  int
	text string
}

func (s *contacts) Title() string { return "Contacts" }

func (s *contacts) Capturing() bool {
	return s.filtering || s.adding != nil || (s.bulk != nil && s.bulk.capturing()) || (s.detail != nil && s.detail.capturing())
}

func (s *contacts) Busy() string {
	if s.bulk != nil && s.bulk.running {
		return "A bulk lawful-basis change"
	}
	return ""
}

// Stop cancels a running bulk change; it ends after its current chunk.
func (s *contacts) Stop() tea.Cmd {
	if s.bulk != nil {
		s.bulk.cancel()
	}
	return nil
}

func (s *contacts) Help() []key.Binding {
	k := s.c.keys
	if s.detail != nil {
		return s.detail.help()
	}
	if s.adding != nil {
		return s.adding.help()
	}
	if s.bulk != nil && !s.bulk.running {
		return s.bulk.help()
	}
	if s.filtering {
		return []key.Binding{key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "apply filter")), key.NewBinding(key.WithKeys("tab"), key.WithHelp("tab", "complete")), key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "stop editing"))}
	}
	bulkKey := k.Bulk
	if !s.hasMarks() {
		bulkKey.SetHelp("b", "set basis (mark first)")
	}
	bs := []key.Binding{k.Filter, k.Open, k.AddContact, k.Mark, k.MarkAll, bulkKey, k.ClearMarks, k.Up, k.Down, k.PageUp, k.PageDown, k.Home, k.End}
	if s.bulk != nil && s.bulk.running {
		bs = append([]key.Binding{key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "cancel the bulk change"))}, bs...)
	}
	return bs
}

// helpNotes is the filter language for the help overlay, made from gdpr's
// list of fields: a line per field when rows allow, else the field names
// in a few lines. Lines are cut to w-1 columns.
func (s *contacts) helpNotes(w, rows int) []string {
	st := s.c.styles
	fields := gdpr.QueryFieldHelp()
	pad := func(k, v string) string { return st.Key.Render(fmt.Sprintf("%-19s", k)) + " " + v }
	tail := []string{
		pad("a|b", "either value, e.g. country:DE|AT"),
		pad("other words", "in name, email or company"),
		pad(`"two words"`, "a phrase with its space"),
		pad("tab", "completes fields and values"),
	}
	lines := []string{st.Header.Render("Filter (/): every term must hold")}
	if rows >= 1+len(fields)+len(tail) {
		for _, f := range fields {
			lines = append(lines, pad(f.Example, f.Values))
		}
		lines = append(lines, tail...)
	} else {
		line := ""
		for _, f := range fields {
			if line != "" && len(line)+1+len(f.Field) > w-1 {
				lines = append(lines, line)
				line = ""
			}
			line = strings.TrimPrefix(line+" "+string(f.Field), " ")
		}
		lines = append(lines, line,
			"as field:value; a|b is either value",
			"other words: in name, email, company",
			"e.g. "+st.Key.Render("eu:yes basis:none")+" · tab completes")
		lines = lines[:max(min(rows, len(lines)), 0)]
	}
	for i, l := range lines {
		lines[i] = ansi.Truncate(l, w-1, "…")
	}
	return lines
}

// pageMsg answers a window fetch.
type pageMsg struct {
	fetch components.Fetch
	page  store.Page
	err   error
}

// countMsg answers a count of the filter's matches.
type countMsg struct {
	gen int
	n   int64
	err error
}

func (s *contacts) Init() tea.Cmd { return tea.Batch(s.reload(), s.loadKnown()) }

// knownMsg answers loadKnown.
type knownMsg struct{ known gdpr.KnownValues }

// loadKnown reads the values tab completes that the store holds: the
// source labels of the source rules and the purposes of the register.
func (s *contacts) loadKnown() tea.Cmd {
	st := s.c.store
	return s.c.io(func() tea.Msg {
		rules, err := st.SourceRules()
		if err != nil {
			return statusMsg{text: "read source rules for completion: " + err.Error(), err: true}
		}
		ps, err := st.Purposes()
		if err != nil {
			return statusMsg{text: "read purposes for completion: " + err.Error(), err: true}
		}
		var k gdpr.KnownValues
		for _, r := range rules {
			k.Sources = append(k.Sources, r.Source)
		}
		for _, p := range ps {
			k.Purposes = append(k.Purposes, p.Name)
		}
		return knownMsg{known: k}
	})
}

// complete is tab on the filter line: the word before the cursor is
// completed (gdpr.QueryCompletions); several candidates complete to what
// they share and are listed under the line.
func (s *contacts) complete() tea.Cmd {
	value := []rune(s.filter.Value())
	pos := min(s.filter.Position(), len(value))
	head, tail := string(value[:pos]), string(value[pos:])
	c := gdpr.QueryCompletions(head, s.known)
	switch len(c.Options) {
	case 0:
		s.hints = "nothing to complete here"
	case 1:
		s.hints = ""
	default:
		s.hints = "tab: " + plain(strings.Join(c.Options, "  "))
	}
	text := c.Text()
	if text == head {
		return nil
	}
	s.filter.SetValue(text + tail)
	s.filter.SetCursor(len([]rune(text)))
	return s.typed()
}

// reload starts the list over for the current query.
func (s *contacts) reload() tea.Cmd {
	s.qgen++
	s.endAsked = false
	return tea.Batch(s.fetch(s.win.Reset()), s.count())
}

func (s *contacts) count() tea.Cmd {
	q, gen, st := s.query, s.qgen, s.c.store
	return s.c.io(func() tea.Msg {
		n, err := st.Count(q)
		return countMsg{gen: gen, n: n, err: err}
	})
}

func (s *contacts) fetch(fs ...components.Fetch) tea.Cmd {
	var cmds []tea.Cmd
	q, st := s.query, s.c.store
	for _, f := range fs {
		cmds = append(cmds, s.c.io(func() tea.Msg {
			var p store.Page
			var err error
			if f.Backward {
				p, err = st.ContactsBefore(q, f.From, f.Limit)
			} else {
				p, err = st.Contacts(q, f.From, f.Limit)
			}
			return pageMsg{fetch: f, page: p, err: err}
		}))
	}
	return tea.Batch(cmds...)
}

func (s *contacts) Update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case pageMsg:
		if msg.err != nil {
			return failed("read contacts", msg.err)
		}
		keys := make([][]byte, len(msg.page.Keys))
		for i, k := range msg.page.Keys {
			keys[i] = k
		}
		return s.fetch(s.win.Load(msg.fetch, msg.page.Contacts, keys, msg.page.More)...)
	case countMsg:
		if msg.gen != s.qgen {
			return nil
		}
		if msg.err != nil {
			return failed("count contacts", msg.err)
		}
		s.win.SetTotal(msg.n)
		if s.endAsked {
			s.endAsked = false
			return tea.Batch(s.fetch(s.win.End()...), statusOver(countingMatches))
		}
		return nil
	case changedMsg:
		s.qgen++
		cmds := []tea.Cmd{s.fetch(s.win.Refresh()), s.count()}
		if s.markQuery != nil {
			cmds = append(cmds, s.countMarks())
		}
		if s.detail != nil {
			cmds = append(cmds, stepOverlay(&s.detail, msg))
		}
		return tea.Batch(cmds...)
	case tea.WindowSizeMsg:
		s.width, s.bodyH = msg.Width, msg.Height-4
		return s.fetch(s.win.SetHeight(s.tableRows())...)
	case markCountMsg:
		if s.markQuery != nil && msg.text == s.markText {
			s.markCount = msg.n
		}
		return nil
	case switchMsg:
		if msg.to == tabContacts && (msg.filter != "" || msg.unfiltered) {
			return s.setFilter(msg.filter)
		}
		return nil
	case bulkMsg, bulkDoneMsg, bulkCountMsg:
		if s.bulk == nil {
			return nil
		}
		cmd := stepOverlay(&s.bulk, msg)
		return tea.Batch(cmd, s.fetch(s.win.SetHeight(s.tableRows())...))
	case contactMsg, contactActionMsg:
		return stepOverlay(&s.detail, msg)
	case contactAddedMsg:
		return s.added(msg)
	case tea.MouseWheelMsg:
		if s.detail != nil {
			return stepOverlay(&s.detail, msg)
		}
		switch msg.Button {
		case tea.MouseWheelUp:
			return s.fetch(s.win.Move(-3)...)
		case tea.MouseWheelDown:
			return s.fetch(s.win.Move(3)...)
		}
		return nil
	case filterTickMsg:
		return s.applyLive(msg)
	case knownMsg:
		s.known = msg.known
		return nil
	case tea.KeyPressMsg:
		return s.key(msg)
	}
	if s.detail != nil {
		return stepOverlay(&s.detail, msg)
	}
	if s.adding != nil {
		return stepOverlay(&s.adding, msg)
	}
	if s.bulk != nil {
		return stepOverlay(&s.bulk, msg)
	}
	if s.filtering {
		before := s.filter.Value()
		var cmd tea.Cmd
		s.filter, cmd = s.filter.Update(msg)
		if s.filter.Value() != before { // a paste
			return tea.Batch(cmd, s.typed())
		}
		return cmd
	}
	return nil
}

// typed starts the wait after a change of the filter line; a later change
// makes it stale.
func (s *contacts) typed() tea.Cmd {
	s.typeGen++
	msg := filterTickMsg{gen: s.typeGen, text: s.filter.Value()}
	if s.liveDelay <= 0 {
		return func() tea.Msg { return msg }
	}
	return tea.Tick(s.liveDelay, func(time.Time) tea.Msg { return msg })
}

// applyLive runs the query typed so far, if the line still holds it and is
// still edited. An incomplete or bad term shows what is wrong under the
// line and leaves the list as it was.
func (s *contacts) applyLive(msg filterTickMsg) tea.Cmd {
	if msg.gen != s.typeGen || !s.filtering || msg.text != s.filter.Value() {
		return nil
	}
	q, err := gdpr.ParseQuery(msg.text)
	if err != nil {
		s.queryErr = err.Error()
		return nil
	}
	s.queryErr = ""
	text := strings.TrimSpace(msg.text)
	if text == s.queryText {
		return nil
	}
	s.query, s.queryText = q, text
	return s.reload()
}

// setFilter applies a filter text, typed or set from elsewhere (w on the
// dashboard, a checklist fix). The line then holds it with the cursor at
// its end, so what is typed next is added after it. A bad term keeps the
// old list and the line as typed, still being edited, with what is wrong
// said under it.
func (s *contacts) setFilter(text string) tea.Cmd {
	q, err := gdpr.ParseQuery(text)
	if err != nil {
		s.queryErr = err.Error()
		s.filter.SetValue(text)
		s.filter.CursorEnd()
		if !s.filtering {
			s.editFrom = s.queryText
		}
		s.filtering = true
		return s.filter.Focus()
	}
	s.filter.SetValue(strings.TrimSpace(text))
	s.filter.CursorEnd()
	s.query, s.queryText, s.queryErr = q, strings.TrimSpace(text), ""
	return s.reload()
}

func (s *contacts) key(msg tea.KeyPressMsg) tea.Cmd {
	k := s.c.keys
	if s.detail != nil {
		return stepOverlay(&s.detail, msg)
	}
	if s.adding != nil {
		return stepOverlay(&s.adding, msg)
	}
	if s.bulk != nil && !s.bulk.running {
		cmd := stepOverlay(&s.bulk, msg)
		return tea.Batch(cmd, s.fetch(s.win.SetHeight(s.tableRows())...))
	}
	if s.filtering {
		if msg.String() == "tab" {
			return s.complete()
		}
		s.hints = ""
		before := s.filter.Value()
		apply, cmd := editFilter(&s.filter, &s.filtering, s.editFrom, msg)
		switch {
		case apply:
			return s.setFilter(s.filter.Value())
		case !s.filtering: // esc: the filter in force before editing
			s.queryErr = ""
			s.typeGen++
			if s.queryText != s.editFrom {
				return s.setFilter(s.editFrom)
			}
			return cmd
		case s.filter.Value() != before:
			return tea.Batch(cmd, s.typed())
		}
		return cmd
	}
	if s.bulk != nil && s.bulk.running && key.Matches(msg, k.Back) {
		s.bulk.cancel()
		return nil
	}
	page := int64(max(s.win.Height()-1, 1))
	switch {
	case key.Matches(msg, k.Filter):
		s.filtering, s.editFrom = true, s.queryText
		return tea.Batch(s.filter.Focus(), s.loadKnown())
	case key.Matches(msg, k.Back):
		if s.queryText != "" {
			return s.setFilter("")
		}
	case key.Matches(msg, k.Up):
		return s.fetch(s.win.Move(-1)...)
	case key.Matches(msg, k.Down):
		return s.fetch(s.win.Move(1)...)
	case key.Matches(msg, k.PageUp):
		return s.fetch(s.win.Move(-page)...)
	case key.Matches(msg, k.PageDown):
		return s.fetch(s.win.Move(page)...)
	case key.Matches(msg, k.Home):
		return s.fetch(s.win.Home()...)
	case key.Matches(msg, k.End):
		if s.win.Total() < 0 {
			s.endAsked = true
			return status(countingMatches)
		}
		return s.fetch(s.win.End()...)
	case key.Matches(msg, k.Mark):
		return s.toggleMark()
	case key.Matches(msg, k.MarkAll):
		return s.markAll()
	case key.Matches(msg, k.AddContact):
		return s.openAddContact()
	case key.Matches(msg, k.ClearMarks):
		if !s.hasMarks() {
			return status("no marks to clear")
		}
		s.clearMarks()
		return done("marks cleared")
	case key.Matches(msg, k.Bulk):
		if ok, cmd := s.c.mayDo(gdpr.ActionBasisAdd); !ok {
			return cmd
		}
		if s.bulk != nil && s.bulk.running {
			return status("a bulk change is already running")
		}
		if !s.hasMarks() {
			return status("mark contacts first: space marks a row, A marks every contact matching the filter")
		}
		return openOverlay(&s.bulk, newBulk(s.c, s.markedSet()))
	case key.Matches(msg, k.Open):
		c, ok := s.win.Selected()
		if !ok {
			return nil
		}
		return openOverlay(&s.detail, newContactView(s.c, c.ID))
	}
	return nil
}

// countingMatches is the hint while end waits for the count of matches.
const countingMatches = "counting the matches…"

// tableRows is how many rows the table shows: the body less the filter
// bar, the info line, the header and, while a bulk change runs, its
// progress line.
func (s *contacts) tableRows() int {
	n := s.bodyH - 3
	if s.bulk != nil && s.bulk.running {
		n--
	}
	return max(n, 1)
}

// editFilter handles a key while a filter line is edited: enter applies it
// (apply), esc stops editing and puts back the filter in force, anything
// else edits the line.
func editFilter(in *textinput.Model, editing *bool, applied string, msg tea.KeyPressMsg) (apply bool, cmd tea.Cmd) {
	switch msg.String() {
	case "enter":
		*editing = false
		in.Blur()
		return true, nil
	case "esc":
		*editing = false
		in.Blur()
		in.SetValue(applied)
		in.CursorEnd()
		return false, nil
	}
	*in, cmd = in.Update(msg)
	return false, cmd
}

func (s *contacts) hasMarks() bool { return s.markQuery != nil || len(s.marks) > 0 }

func (s *contacts) clearMarks() {
	s.marks, s.markOrder = map[gdpr.ContactID]bool{}, nil
	s.markQuery, s.markText, s.markCount = nil, "", 0
}

func (s *contacts) isMarked(c *gdpr.Contact) bool {
	if s.markQuery != nil {
		return c.Status != gdpr.ContactAnonymized && s.markQuery.Matches(c)
	}
	return s.marks[c.ID]
}

func (s *contacts) toggleMark() tea.Cmd {
	c, ok := s.win.Selected()
	if !ok {
		return nil
	}
	if s.markQuery != nil {
		return status("every contact matching the filter is marked; x clears the marks to mark rows one by one")
	}
	if s.marks[c.ID] {
		delete(s.marks, c.ID)
		for i, id := range s.markOrder {
			if id == c.ID {
				s.markOrder = append(s.markOrder[:i:i], s.markOrder[i+1:]...)
				break
			}
		}
	} else {
		s.marks[c.ID] = true
		s.markOrder = append(s.markOrder, c.ID)
	}
	return s.fetch(s.win.Move(1)...)
}

type markCountMsg struct {
	text string
	n    int64
}

func (s *contacts) markAll() tea.Cmd {
	q := s.query
	s.marks, s.markOrder = map[gdpr.ContactID]bool{}, nil
	s.markQuery, s.markText, s.markCount = &q, s.queryText, s.win.Total()
	what := "every contact"
	if s.queryText != "" {
		what = "every contact matching " + s.queryText
	}
	return tea.Batch(done("marked "+what+" (x clears)"), s.countMarks())
}

func (s *contacts) countMarks() tea.Cmd {
	q, text, st := *s.markQuery, s.markText, s.c.store
	return s.c.io(func() tea.Msg {
		n, err := st.Count(q)
		if err != nil {
			return statusMsg{text: "count marked: " + err.Error(), err: true}
		}
		return markCountMsg{text: text, n: n}
	})
}

func (s *contacts) markedSet() markedSet {
	if s.markQuery != nil {
		return markedSet{query: s.markQuery, text: s.markText, n: s.markCount}
	}
	return markedSet{ids: append([]gdpr.ContactID(nil), s.markOrder...), n: int64(len(s.markOrder))}
}

// columns lays the table out for a width.
type column struct {
	title string
	width int
	cell  func(c *gdpr.Contact) string
}

func (s *contacts) columns(w int) []column {
	basis := func(c *gdpr.Contact) string {
		if len(c.Bases) == 0 {
			return "—"
		}
		var names []string
		for _, b := range c.Bases {
			names = append(names, b.Basis.Short())
		}
		return strings.Join(names, ",")
	}
	fixed := []column{
		{"ID", 7, func(c *gdpr.Contact) string { return c.ID.String() }},
		{"Ctry", 4, func(c *gdpr.Contact) string { return dash(c.Country) }},
		{"Basis", 12, basis},
		{"Status", 10, func(c *gdpr.Contact) string { return string(c.Status) }},
	}
	wide := w >= 110
	if wide {
		fixed = append(fixed,
			column{"Source", 16, func(c *gdpr.Contact) string { return dash(c.Source) }},
			column{"Created", 10, func(c *gdpr.Contact) string {
				if c.Status == gdpr.ContactAnonymized {
					return c.CreatedAt.Format("2006") // only the year is kept
				}
				return c.CreatedAt.Format("2006-01-02")
			}})
	}
	used := 2
	for _, col := range fixed {
		used += col.width + 1
	}
	rest := max(w-used-2, 20)
	nameW := rest * 2 / 5
	cols := []column{fixed[0],
		{"Name", nameW, func(c *gdpr.Contact) string {
			if c.Status == gdpr.ContactAnonymized {
				return "(anonymized)"
			}
			return dash(c.Name())
		}},
		{"Email", rest - nameW, func(c *gdpr.Contact) string { return dash(c.Email) }},
	}
	return append(cols, fixed[1:]...)
}

func (s *contacts) View(w, h int) string {
	if s.detail != nil {
		return s.detail.view(w, h)
	}
	if s.adding != nil {
		return s.adding.view(w, h)
	}
	st := s.c.styles
	var lines []string
	if s.filtering {
		s.filter.SetWidth(w - 4)
		lines = append(lines, s.filter.View())
	} else if s.queryText != "" {
		lines = append(lines, st.Key.Render("/ ")+s.queryText)
	} else {
		lines = append(lines, st.Subtle.Render("/ filter: eu:yes basis:none, country:DE, tag:vip, source:webinar, or words"))
	}
	info := s.info()
	switch {
	case s.filtering && s.hints != "":
		info = st.Subtle.Render(cell(s.hints, w))
	case s.queryErr != "":
		info = st.Error.Render(s.queryErr)
	}
	lines = append(lines, info)
	if s.bulk != nil && s.bulk.running {
		lines = append(lines, s.bulk.progressLine(w))
	}
	if s.bulk != nil && !s.bulk.running {
		return strings.Join(lines, "\n") + "\n" + s.bulk.view(w, h-len(lines))
	}
	cols := s.columns(w)
	var head strings.Builder
	head.WriteString("  ")
	for _, col := range cols {
		head.WriteString(cell(col.title, col.width) + " ")
	}
	lines = append(lines, st.Header.Render(strings.TrimRight(head.String(), " ")))
	rows := s.win.Height()
	switch {
	case !s.win.Loaded():
		lines = append(lines, st.Subtle.Render("  loading…"))
	case s.win.Empty():
		if s.queryText != "" {
			lines = append(lines, st.Subtle.Render("  no contact matches "+s.queryText+" (esc clears the filter)"))
		} else {
			lines = append(lines, st.Subtle.Render("  no contacts yet: import a CSV with gdprdesk import FILE"))
		}
	}
	for i := s.win.Top(); i < s.win.Top()+int64(rows) && s.win.Loaded(); i++ {
		c, ok := s.win.Row(i)
		if !ok {
			if s.win.Total() < 0 || i < s.win.Total() {
				lines = append(lines, st.Subtle.Render("  …"))
			}
			continue
		}
		var b strings.Builder
		if s.isMarked(&c) {
			b.WriteString(st.Marked.Render("✓ "))
		} else {
			b.WriteString("  ")
		}
		for _, col := range cols {
			b.WriteString(cell(col.cell(&c), col.width) + " ")
		}
		line := strings.TrimRight(b.String(), " ")
		if i == s.win.Cursor() {
			line = st.Selected.Render(cell(line, w))
		}
		lines = append(lines, line)
	}
	return strings.Join(lines, "\n")
}

// info is the line under the filter: matches, position, marks.
func (s *contacts) info() string {
	st := s.c.styles
	total := "counting…"
	if n := s.win.Total(); n >= 0 {
		total = gdpr.Thousands(n)
		switch {
		case s.queryText != "" && n == 1:
			total += " match"
		case s.queryText != "":
			total += " matches"
		case n == 1:
			total += " contact"
		default:
			total += " contacts"
		}
		if n > 0 {
			total += fmt.Sprintf(" · row %s", gdpr.Thousands(s.win.Cursor()+1))
		}
	}
	marks := st.Subtle.Render("no marks")
	switch {
	case s.markQuery != nil:
		what := "all"
		if s.markText != "" {
			what = "all matching " + s.markText
		}
		marks = st.Marked.Render(fmt.Sprintf("✓ %s marked (%s)", gdpr.Thousands(s.markCount), what))
	case len(s.marks) > 0:
		marks = st.Marked.Render(fmt.Sprintf("✓ %s marked", gdpr.Thousands(int64(len(s.marks)))))
	}
	return total + " · " + marks
}
