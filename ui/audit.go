package ui

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/gdprdesk/gdprdesk/gdpr"
	"github.com/gdprdesk/gdprdesk/store"
)

// auditPage is how many entries one read of the log returns: enough for a
// few screens, small enough that a log of millions is never read whole.
const auditPage = 200

// auditScreen is the audit log, newest first. It holds the entries read so
// far and reads the next older page when the cursor nears the end of them;
// a filter bar narrows the log by operator, action and record; enter opens
// an entry with every field (the personal part only there, SPEC §8); v
// verifies the chain and the counters in the background.
type auditScreen struct {
	c *common

	// pageSize is the entries per read; tests lower it to page sooner.
	pageSize int

	entries  []store.AuditEntry
	loaded   bool   // the first page of the current filter arrived
	more     bool   // older entries may exist beyond the last one loaded
	fetching bool   // an older page is being read
	gen      int    // bumped on every reload, so late pages are dropped
	cur      cursor // position in entries

	width, bodyH int // the body's size, from the last resize

	filter     textinput.Model
	filtering  bool
	af         store.AuditFilter
	filterText string
	filterErr  string

	detail *auditDetail

	verifying bool
	verified  *auditVerifyMsg // the last verification, shown until the next
}

// auditDetail is one entry opened with enter, scrolled by line. Its
// personal part is read when the entry opens, since the list keeps none.
type auditDetail struct {
	e      store.AuditEntry
	read   bool // the entry was read again, personal part included
	scroll int
}

func newAudit(c *common) *auditScreen {
	ti := textinput.New()
	ti.Prompt = "/ "
	ti.Placeholder = "filter: op:alice action:basis. record:C12"
	ti.CharLimit = 200
	return &auditScreen{c: c, pageSize: auditPage, filter: ti, width: 80, bodyH: 20}
}

func (s *auditScreen) Title() string   { return "Audit" }
func (s *auditScreen) Capturing() bool { return s.filtering }

// Busy is empty: verification only reads, so quitting midway loses nothing.
func (s *auditScreen) Busy() string { return "" }

func (s *auditScreen) Help() []key.Binding {
	k := s.c.keys
	switch {
	case s.filtering:
		return []key.Binding{
			key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "apply filter")),
			key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "stop editing")),
		}
	case s.detail != nil:
		back := k.Back
		back.SetHelp(k.Back.Help().Key, "back to the log")
		return []key.Binding{back, k.Up, k.Down}
	}
	verify := k.Verify
	if s.verifying {
		verify.SetHelp(k.Verify.Help().Key, "verifying…")
	}
	bs := []key.Binding{k.Filter, k.Open, verify}
	if s.filterText != "" {
		unfilter := k.Back
		unfilter.SetHelp(k.Back.Help().Key, "clear the filter")
		bs = append(bs, unfilter)
	}
	return append(bs, k.Up, k.Down, k.PageUp, k.PageDown, k.Home, k.End)
}

// auditPageMsg answers a read of the log. A reload (before == 0) replaces
// the entries; a later page (before = the oldest loaded seq) is appended.
type auditPageMsg struct {
	gen     int
	before  uint64
	limit   int
	entries []store.AuditEntry
	err     error
}

// auditEntryMsg answers the read of one entry, for its view.
type auditEntryMsg struct {
	e   store.AuditEntry
	err error
}

// auditVerifyMsg answers a chain verification.
type auditVerifyMsg struct {
	rep store.VerifyReport
	err error
}

func (s *auditScreen) Init() tea.Cmd { return s.reload() }

// reload reads the newest entries again, as many as are loaded now (at
// least a page), so a change or an erasure shows without losing the place.
func (s *auditScreen) reload() tea.Cmd {
	s.gen++
	s.fetching = false
	return s.read(0, max(s.pageSize, len(s.entries)))
}

// restart drops what is loaded and reads the first page of a new filter.
func (s *auditScreen) restart() tea.Cmd {
	s.entries, s.loaded, s.more, s.cur = nil, false, false, cursor{}
	return s.reload()
}

func (s *auditScreen) read(before uint64, limit int) tea.Cmd {
	st, f, gen := s.c.store, s.af, s.gen
	return s.c.io(func() tea.Msg {
		es, err := st.Audit(f, before, limit)
		return auditPageMsg{gen: gen, before: before, limit: limit, entries: es, err: err}
	})
}

// fetchMore reads the next older page when the cursor is within two screens of
// the end of what is loaded.
func (s *auditScreen) fetchMore() tea.Cmd {
	if !s.loaded || !s.more || s.fetching || len(s.entries) == 0 {
		return nil
	}
	if s.cur.sel < len(s.entries)-2*s.tableRows(s.bodyH) {
		return nil
	}
	s.fetching = true
	return s.read(s.entries[len(s.entries)-1].Seq, s.pageSize)
}

// readEntry reads one entry with its personal part: the entry just older
// than seq+1 is seq itself.
func (s *auditScreen) readEntry(seq uint64) tea.Cmd {
	st := s.c.store
	return s.c.io(func() tea.Msg {
		es, err := st.Audit(store.AuditFilter{}, seq+1, 1)
		if err == nil && (len(es) == 0 || es[0].Seq != seq) {
			err = fmt.Errorf("entry %d is missing from the log: run v to verify the chain", seq)
		}
		if err != nil {
			return auditEntryMsg{e: store.AuditEntry{Seq: seq}, err: err}
		}
		return auditEntryMsg{e: es[0]}
	})
}

func (s *auditScreen) verify() tea.Cmd {
	if s.verifying {
		return status("the verification is still running")
	}
	s.verifying = true
	st := s.c.store
	return s.c.io(func() tea.Msg {
		rep, err := st.VerifyAudit()
		return auditVerifyMsg{rep: rep, err: err}
	})
}

func (s *auditScreen) Update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case auditPageMsg:
		return s.page(msg)
	case auditEntryMsg:
		if s.detail == nil || s.detail.e.Seq != msg.e.Seq {
			return nil
		}
		if msg.err != nil {
			return failed("read audit entry", msg.err)
		}
		s.detail.e, s.detail.read = msg.e, true
		return nil
	case auditVerifyMsg:
		s.verifying = false
		s.verified = &msg
		s.cur.clamp(len(s.entries), s.tableRows(s.bodyH))
		return nil
	case changedMsg, switchMsg:
		sw, isSwitch := msg.(switchMsg)
		if isSwitch && sw.to != tabAudit {
			return nil
		}
		if isSwitch && sw.entry != nil {
			// From the dashboard: show that entry.
			s.filtering = false
			s.detail = &auditDetail{e: *sw.entry}
		}
		cmd := s.reload()
		if s.detail != nil {
			// After an erasure the personal part is gone: read it again.
			cmd = tea.Batch(cmd, s.readEntry(s.detail.e.Seq))
		}
		return cmd
	case tea.WindowSizeMsg:
		s.width, s.bodyH = msg.Width, msg.Height-4
		s.cur.clamp(len(s.entries), s.tableRows(s.bodyH))
		return s.fetchMore()
	case tea.MouseWheelMsg:
		if s.detail != nil || s.filtering {
			return nil
		}
		switch msg.Button {
		case tea.MouseWheelUp:
			s.cur.sel -= 3
		case tea.MouseWheelDown:
			s.cur.sel += 3
		}
		s.cur.clamp(len(s.entries), s.tableRows(s.bodyH))
		return s.fetchMore()
	case tea.KeyPressMsg:
		return s.key(msg)
	}
	if s.filtering {
		var cmd tea.Cmd
		s.filter, cmd = s.filter.Update(msg)
		return cmd
	}
	return nil
}

// page takes a read of the log, unless a reload made it stale.
func (s *auditScreen) page(msg auditPageMsg) tea.Cmd {
	if msg.gen != s.gen {
		return nil
	}
	if msg.err != nil {
		s.fetching = false
		return failed("read the audit log", msg.err)
	}
	more := len(msg.entries) == msg.limit
	// The list never shows the personal part (SPEC §8), so it keeps none in
	// memory either; an entry's view reads its own.
	for i := range msg.entries {
		msg.entries[i].Personal, msg.entries[i].Erased = "", false
	}
	if msg.before != 0 {
		if !s.fetching || len(s.entries) == 0 || s.entries[len(s.entries)-1].Seq != msg.before {
			return nil
		}
		s.fetching = false
		s.entries = append(s.entries, msg.entries...)
		s.more = more
		return s.fetchMore()
	}
	// A reload: keep the selected entry selected, unless it was the newest
	// and closed, so new entries come into view at the top as they are
	// written; an open entry stays the selected one.
	var keep uint64
	switch {
	case s.detail != nil:
		keep = s.detail.e.Seq
	case s.cur.sel > 0 && s.cur.sel < len(s.entries):
		keep = s.entries[s.cur.sel].Seq
	}
	// An older page asked for before this arrived may no longer follow on:
	// it is dropped (its before no longer matches) and asked for again.
	s.entries, s.more, s.loaded, s.fetching = msg.entries, more, true, false
	s.cur.sel = 0
	for i, e := range s.entries {
		if keep != 0 && e.Seq == keep {
			s.cur.sel = i
		}
	}
	s.cur.clamp(len(s.entries), s.tableRows(s.bodyH))
	return s.fetchMore()
}

func (s *auditScreen) key(msg tea.KeyPressMsg) tea.Cmd {
	k := s.c.keys
	if s.filtering {
		apply, cmd := editFilter(&s.filter, &s.filtering, s.filterText, msg)
		if apply {
			return s.setFilter(s.filter.Value())
		}
		if !s.filtering {
			s.filterErr = ""
		}
		return cmd
	}
	if s.detail != nil {
		switch {
		case key.Matches(msg, k.Back):
			s.detail = nil
		case key.Matches(msg, k.Up):
			s.detail.scroll = max(s.detail.scroll-1, 0)
		case key.Matches(msg, k.Down):
			last := max(len(s.detailLines(s.width))-s.bodyH, 0)
			s.detail.scroll = min(s.detail.scroll+1, last)
		}
		return nil
	}
	rows := s.tableRows(s.bodyH)
	switch {
	case key.Matches(msg, k.Filter):
		s.filtering = true
		return s.filter.Focus()
	case key.Matches(msg, k.Back):
		// esc backs out one thing at a time: the filter, then a filter
		// error, then the verification result.
		switch {
		case s.filterText != "":
			s.filter.SetValue("")
			return s.setFilter("")
		case s.filterErr != "":
			s.filterErr = ""
		default:
			s.verified = nil
		}
		return nil
	case key.Matches(msg, k.Open):
		if s.cur.sel >= len(s.entries) {
			return nil
		}
		s.detail = &auditDetail{e: s.entries[s.cur.sel]}
		return s.readEntry(s.detail.e.Seq)
	case key.Matches(msg, k.Verify):
		return s.verify()
	case s.cur.move(k, msg, len(s.entries), rows):
		return s.fetchMore()
	}
	return nil
}

// setFilter applies a filter text; a bad term keeps the old list and says
// what is wrong, inline.
func (s *auditScreen) setFilter(text string) tea.Cmd {
	f, err := parseAuditFilter(text)
	if err != nil {
		// The line keeps what was typed, still being edited, with the
		// error under it (as the contacts filter does).
		s.filterErr = err.Error()
		s.filtering = true
		return s.filter.Focus()
	}
	s.af, s.filterText, s.filterErr = f, strings.TrimSpace(text), ""
	return s.restart()
}

// parseAuditFilter reads `op:alice action:basis. record:C12`, any subset,
// into a store filter; a value with spaces is quoted (record:"source
// webinar"). Each key may appear once, since the store matches one value
// per field; bare words are refused because entries are matched by field,
// never by free text.
func parseAuditFilter(text string) (store.AuditFilter, error) {
	var f store.AuditFilter
	terms, err := auditTerms(text)
	if err != nil {
		return f, err
	}
	examples := map[string]string{"op": "op:alice", "action": "action:basis.", "record": "record:C12"}
	seen := map[string]bool{}
	for _, term := range terms {
		name, value, ok := strings.Cut(term, ":")
		if !ok {
			return f, fmt.Errorf("%q is not a filter term; try op:alice, action:basis. or record:C12", term)
		}
		var field *string
		switch strings.ToLower(name) {
		case "op", "operator":
			name, field = "op", &f.Operator
		case "action", "act":
			name, field = "action", &f.Action
		case "record", "rec":
			name, field = "record", &f.Record
			value = auditRecordID(value)
		default:
			return f, fmt.Errorf("unknown filter %q: use op:NAME, action:NAME or record:ID", name+":")
		}
		if value == "" {
			return f, fmt.Errorf("%s: needs a value, e.g. %s", name, examples[name])
		}
		if seen[name] {
			return f, fmt.Errorf("%s: is given twice: the log is filtered by one %s at a time", name, name)
		}
		seen[name] = true
		*field = value
	}
	return f, nil
}

// auditTerms splits a filter at spaces outside double quotes, and drops
// the quotes.
func auditTerms(text string) ([]string, error) {
	var terms []string
	var b strings.Builder
	quoted, started := false, false
	for _, r := range text {
		switch {
		case r == '"':
			quoted, started = !quoted, true
		case !quoted && (r == ' ' || r == '\t'):
			if started {
				terms = append(terms, b.String())
				b.Reset()
				started = false
			}
		default:
			b.WriteRune(r)
			started = true
		}
	}
	if quoted {
		return nil, errors.New(`a quote is not closed: write record:"source webinar"`)
	}
	if started {
		terms = append(terms, b.String())
	}
	return terms, nil
}

// auditRecordCell names an entry's record; a bulk chunk's entry names none
// but how many contacts it changed (each finds it in its own trail).
func auditRecordCell(e *store.AuditEntry) string {
	if e.Record == "" && e.Contacts > 0 {
		return gdpr.Thousands(int64(e.Contacts)) + " contacts"
	}
	return dash(e.Record)
}

// auditRecordID writes a contact or request id as the log does ("c12" is
// C12), so the filter finds what the owner typed; other records are kept.
func auditRecordID(v string) string {
	if len(v) > 1 && strings.ContainsRune("cCrR", rune(v[0])) {
		if _, err := strconv.ParseUint(v[1:], 10, 64); err == nil {
			return strings.ToUpper(v[:1]) + v[1:]
		}
	}
	return v
}

// tableRows is how many entries the list shows in a body of height h: the
// body less the filter bar, the info line, the verification lines and the
// header.
func (s *auditScreen) tableRows(h int) int {
	return max(h-3-len(s.verifyLines(s.width, h)), 1)
}

// verifyLines are the lines of the last verification, for a body of width
// w and height h: at most half of it, so the log stays in view.
func (s *auditScreen) verifyLines(w, h int) []string {
	st := s.c.styles
	switch {
	case s.verifying:
		return []string{st.Subtle.Render("verifying… (the chain of every entry, then a recount of every counter)")}
	case s.verified == nil:
		return nil
	case s.verified.err != nil:
		return []string{st.Error.Render("✗ the verification could not run: " + s.verified.err.Error())}
	}
	return auditReportLines(st, s.verified.rep, w, max(h/2-1, 3))
}

// auditReportLines renders a verification report in at most maxLines lines
// of width w: one line when it holds, else each problem (they name the
// entry or counter at fault), wrapped, and how many did not fit.
func auditReportLines(st Styles, rep store.VerifyReport, w, maxLines int) []string {
	if rep.OK() {
		line := fmt.Sprintf("✓ Chain verified: %s entries, counters equal a recount", gdpr.Thousands(int64(rep.Entries)))
		// What was recounted, when the width has room for it.
		if more := fmt.Sprintf(" (%s contacts, %s requests)", gdpr.Thousands(rep.Contacts), gdpr.Thousands(rep.Requests)); ansi.StringWidth(line+more) <= w {
			line += more
		}
		return []string{st.Good.Render(line)}
	}
	n := len(rep.Problems)
	word := "problems"
	if n == 1 {
		word = "problem"
	}
	lines := []string{st.Error.Render(fmt.Sprintf("✗ Verification found %d %s in %s entries:", n, word, gdpr.Thousands(int64(rep.Entries))))}
	for i, p := range rep.Problems {
		wrapped := strings.Split(ansi.Wrap(p, max(w-4, 10), " "), "\n")
		for j := range wrapped {
			lead := "    "
			if j == 0 {
				lead = "  • "
			}
			wrapped[j] = lead + wrapped[j]
		}
		// Keep a line for "and N more" unless this is the last problem.
		room := maxLines - len(lines)
		if i < n-1 {
			room--
		}
		if len(wrapped) > room {
			lines = append(lines, st.Subtle.Render(fmt.Sprintf("  … and %d more: gdprdesk audit verify lists them all", n-i)))
			break
		}
		lines = append(lines, wrapped...)
	}
	return lines
}

// auditColumn is one column of the log for a width.
type auditColumn struct {
	title string
	width int
	cell  func(e *store.AuditEntry) string
}

// columns lays the log out for a width; the detail takes what is left.
// The personal part is never a column: it shows only in an entry's view.
func (s *auditScreen) columns(w int) []auditColumn {
	seqW := 3
	if len(s.entries) > 0 {
		seqW = max(seqW, len(strconv.FormatUint(s.entries[0].Seq, 10)))
	}
	opW, actW, recW := 8, 15, 12
	if w >= 110 {
		opW, actW, recW = 12, 20, 26
	}
	cols := []auditColumn{
		{"Seq", seqW, func(e *store.AuditEntry) string { return strconv.FormatUint(e.Seq, 10) }},
		{"Time (" + s.c.zoneName() + ")", 16, func(e *store.AuditEntry) string { return s.c.in(e.At).Format("2006-01-02 15:04") }},
		{"Operator", opW, func(e *store.AuditEntry) string { return plain(e.Operator) }},
		{"Action", actW, func(e *store.AuditEntry) string { return plain(e.Action) }},
		{"Record", recW, auditRecordCell},
	}
	used := 0
	for _, c := range cols {
		used += c.width + 1
	}
	return append(cols, auditColumn{"Detail", max(w-used, 8), func(e *store.AuditEntry) string {
		return plain(strings.Join(strings.Fields(e.Detail), " "))
	}})
}

func (s *auditScreen) View(w, h int) string {
	if s.detail != nil {
		return s.detailView(w, h)
	}
	st := s.c.styles
	var lines []string
	switch {
	case s.filtering:
		s.filter.SetWidth(w - 4)
		lines = append(lines, s.filter.View())
	case s.filterText != "":
		lines = append(lines, st.Key.Render("/ ")+s.filterText)
	default:
		lines = append(lines, st.Subtle.Render("/ filter: op:alice action:basis. record:C12"))
	}
	info := s.info()
	if s.filterErr != "" {
		info = st.Error.Render(s.filterErr)
	}
	lines = append(lines, info)
	lines = append(lines, s.verifyLines(w, h)...)
	cols := s.columns(w)
	var head strings.Builder
	for _, col := range cols {
		head.WriteString(cell(col.title, col.width) + " ")
	}
	lines = append(lines, st.Header.Render(strings.TrimRight(head.String(), " ")))
	switch {
	case !s.loaded:
		return strings.Join(append(lines, st.Subtle.Render("loading…")), "\n")
	case len(s.entries) == 0 && s.filterText != "":
		return strings.Join(append(lines, st.Subtle.Render("no entry matches "+s.filterText+" (esc clears the filter)")), "\n")
	case len(s.entries) == 0:
		return strings.Join(append(lines, st.Subtle.Render("the log is empty: every change will be written here")), "\n")
	}
	rows := max(h-len(lines), 1)
	c := s.cur // View draws; it never moves the cursor
	from, to := c.visible(len(s.entries), rows)
	for i := from; i < to; i++ {
		e := &s.entries[i]
		var b strings.Builder
		for _, col := range cols {
			b.WriteString(cell(col.cell(e), col.width) + " ")
		}
		line := strings.TrimRight(b.String(), " ")
		if i == c.sel {
			line = st.Selected.Render(cell(line, w))
		}
		lines = append(lines, line)
	}
	if to == len(s.entries) && s.fetching && len(lines) < h {
		lines = append(lines, st.Subtle.Render("reading older entries…"))
	}
	return strings.Join(lines, "\n")
}

// info is the line under the filter: how many entries, and where the
// cursor is. Unfiltered, the newest seq is the size of the log (seqs run
// from 1 without gaps, which verification checks); filtered, only what has
// been read so far is known.
func (s *auditScreen) info() string {
	st := s.c.styles
	if !s.loaded {
		return st.Subtle.Render("reading the log…")
	}
	n := len(s.entries)
	if n == 0 {
		return "no entries · newest first"
	}
	row := fmt.Sprintf(" · row %s", gdpr.Thousands(int64(s.cur.sel+1)))
	if s.filterText == "" {
		return gdpr.Thousands(int64(s.entries[0].Seq)) + " entries, newest first" + row
	}
	if s.more {
		return gdpr.Thousands(int64(n)) + " matches so far, newest first" + row + st.Subtle.Render(" · older ones load as you scroll")
	}
	word := "matches"
	if n == 1 {
		word = "match"
	}
	return gdpr.Thousands(int64(n)) + " " + word + ", newest first" + row
}

// detailView is every field of one entry, scrolled when it is taller than
// the body.
func (s *auditScreen) detailView(w, h int) string {
	lines := s.detailLines(w)
	lines = lines[min(s.detail.scroll, max(len(lines)-h, 0)):]
	if len(lines) > h {
		lines = lines[:h]
	}
	return strings.Join(lines, "\n")
}

// detailLines are the lines of the open entry at width w: every field, the
// personal part included (it shows here and nowhere else), long values
// wrapped under their label.
func (s *auditScreen) detailLines(w int) []string {
	st := s.c.styles
	e := s.detail.e
	const labelW = 10
	valueW := max(w-labelW, 20)
	var lines []string
	field := func(label, value string) {
		for i, l := range strings.Split(ansi.Wrap(value, valueW, " "), "\n") {
			if i == 0 {
				lines = append(lines, st.Label.Render(cell(label, labelW))+l)
			} else {
				lines = append(lines, strings.Repeat(" ", labelW)+l)
			}
		}
	}
	none := func(v, why string) string {
		if v == "" {
			return st.Subtle.Render(why)
		}
		return plain(v)
	}
	personal := none(e.Personal, "none")
	switch {
	case !s.detail.read:
		personal = st.Subtle.Render("reading…")
	case e.Erased:
		personal = st.Warn.Render("erased: the subject's key was destroyed, the sealed part is unreadable")
	}
	lines = append(lines, st.Title.Render(fmt.Sprintf("Audit entry %d", e.Seq)), "")
	field("Seq", strconv.FormatUint(e.Seq, 10))
	field("Time", s.c.in(e.At).Format("2006-01-02 15:04:05 MST"))
	field("Operator", plain(e.Operator))
	field("Action", plain(e.Action))
	if e.Contacts > 0 {
		field("Record", auditRecordCell(&e)+", each finds this entry in its trail")
	} else {
		field("Record", none(e.Record, "none"))
	}
	field("Detail", none(e.Detail, "none"))
	field("Personal", personal)
	lines = append(lines, "")
	field("Previous", none(e.Prev, "none: this is the first entry"))
	field("Hash", e.Hash)
	lines = append(lines, "")
	for _, l := range strings.Split(ansi.Wrap("Each hash covers its entry and the previous hash; v on the log verifies the whole chain.", max(w, 20), " "), "\n") {
		lines = append(lines, st.Subtle.Render(l))
	}
	return lines
}
