package ui

import (
	"fmt"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/gdprdesk/gdprdesk/gdpr"
	"github.com/gdprdesk/gdprdesk/internal/desk"
	"github.com/gdprdesk/gdprdesk/store"
)

// dashboard is the first screen: how ready the business is, how many
// contacts lack what, and what is due next. Everything on it comes from
// maintained counters and short lists, so it is instant at any size.
type dashboard struct {
	c        *common
	counts   store.Counts
	done     int
	total    int
	next     []gdpr.Request
	activity []store.AuditEntry
	// marketable is how many may receive electronic direct marketing:
	// the rows of marketing:yes (SPEC §9), counted by the same query.
	marketable int64
	loaded     bool
	// sel is the selected row (dashRows); enter opens what it refers to.
	sel int
	// w, h are the size the screen was last given, so the keys know
	// which rows show.
	w, h int
	// urgent is the open breach shown above everything else
	// (desk.UrgentBreach), nil when none is open.
	urgent *gdpr.Breach
}

// dashRow is one selectable row of the dashboard: a figure, a request due
// or an audit entry, and what enter on it opens.
type dashRow struct {
	text string
	open func() tea.Msg
}

func newDashboard(c *common) *dashboard { return &dashboard{c: c} }

func (d *dashboard) Title() string   { return "Dashboard" }
func (d *dashboard) Capturing() bool { return false }
func (d *dashboard) Busy() string    { return "" }
func (d *dashboard) Help() []key.Binding {
	k := d.c.keys
	return []key.Binding{k.ShowUnbased, k.Screen[1], k.Screen[2], k.Screen[3], k.ShowMarketable, k.Open, k.Up, k.Down}
}

type dashboardMsg struct {
	counts      store.Counts
	done, total int
	next        []gdpr.Request
	activity    []store.AuditEntry
	marketable  int64
	urgent      *gdpr.Breach
}

func (d *dashboard) Init() tea.Cmd { return d.load() }

// load reads what the screen shows, in the background.
func (d *dashboard) load() tea.Cmd { return d.c.io(d.read) }

func (d *dashboard) read() tea.Msg {
	var m dashboardMsg
	var err error
	if m.counts, err = d.c.store.Counts(); err != nil {
		return statusMsg{text: "dashboard: " + err.Error(), err: true}
	}
	if m.marketable, err = d.c.store.Count(marketingQuery()); err != nil {
		return statusMsg{text: "dashboard: " + err.Error(), err: true}
	}
	if _, m.done, m.total, err = d.c.store.Checklist(); err != nil {
		return statusMsg{text: "dashboard: " + err.Error(), err: true}
	}
	reqs, err := d.c.store.Requests(store.RequestFilter{})
	if err != nil {
		return statusMsg{text: "dashboard: " + err.Error(), err: true}
	}
	for _, r := range reqs {
		if r.Status.Open() && len(m.next) < dashMaxRows {
			m.next = append(m.next, r)
		}
	}
	if m.activity, err = d.c.store.Audit(store.AuditFilter{}, 0, dashMaxRows); err != nil {
		return statusMsg{text: "dashboard: " + err.Error(), err: true}
	}
	b, _, ok, err := desk.UrgentBreach(d.c.store, d.c.now())
	if err != nil {
		return statusMsg{text: "dashboard: " + err.Error(), err: true}
	}
	if ok {
		m.urgent = &b
	}
	return m
}

func (d *dashboard) Update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case dashboardMsg:
		d.counts, d.done, d.total, d.next, d.activity = msg.counts, msg.done, msg.total, msg.next, msg.activity
		d.marketable, d.urgent = msg.marketable, msg.urgent
		d.loaded = true
	case changedMsg:
		return d.load()
	case switchMsg:
		if msg.to == tabDashboard {
			return d.load()
		}
	case tea.WindowSizeMsg:
		d.w, d.h = msg.Width, msg.Height-4
	case tea.KeyPressMsg:
		k := d.c.keys
		rows := d.rows(d.w, d.h)
		switch {
		case key.Matches(msg, k.Up):
			d.sel = max(d.sel-1, 0)
			return nil
		case key.Matches(msg, k.Down):
			d.sel = min(d.sel+1, max(len(rows)-1, 0))
			return nil
		case key.Matches(msg, k.Home):
			d.sel = 0
			return nil
		case key.Matches(msg, k.End):
			d.sel = max(len(rows)-1, 0)
			return nil
		case key.Matches(msg, k.Open):
			if d.sel < len(rows) {
				return rows[d.sel].open
			}
			return nil
		}
		if key.Matches(msg, d.c.keys.ShowUnbased) {
			// The list of the figure above: the same rule, so the same rows.
			// The figure was read under the settings' establishment; the
			// list runs the query it was counted by.
			filter := d.counts.WithoutBasisQuery.String()
			return func() tea.Msg { return switchMsg{to: tabContacts, filter: filter} }
		}
		if key.Matches(msg, d.c.keys.ShowMarketable) {
			filter := marketingQuery().String()
			return func() tea.Msg { return switchMsg{to: tabContacts, filter: filter} }
		}
	}
	return nil
}

// dashMaxRows is how many requests due and audit entries the dashboard
// reads; a tall terminal shows them all, a small one the first few.
const dashMaxRows = 60

// dashLimits is how many requests due and audit entries show at w×h: 5
// and 8 as a rule; at 160 columns and more the three columns use the
// height.
func dashLimits(w, h int) (next, activity int) {
	if w >= 160 {
		return max(h-4, 5), max(h-2, 8)
	}
	return 5, 8
}

// wideDashboard reports whether the dashboard is laid out in three columns.
func wideDashboard(w int) bool { return w >= 160 }

// rows are the selectable rows in screen order (down the first column,
// then the next): the contact figures, the open requests, each request
// due, each recent audit entry. enter on a figure lists its contacts (the
// query it was counted by), on a request opens it, on an entry shows it.
func (d *dashboard) rows(w, h int) []dashRow {
	if !d.loaded {
		return nil
	}
	st := d.c.styles
	cs := d.counts
	line := func(label string, n int64, warn bool) string {
		v := fmt.Sprintf("%10s", gdpr.Thousands(n))
		if warn && n > 0 {
			v = st.Warn.Render(v)
		}
		return fmt.Sprintf("%-22s %s", label, v)
	}
	contacts := func(filter string) func() tea.Msg {
		return func() tea.Msg { return switchMsg{to: tabContacts, filter: filter} }
	}
	var out []dashRow
	add := func(text string, open func() tea.Msg) { out = append(out, dashRow{text: text, open: open}) }
	if d.urgent != nil {
		id := d.urgent.ID.String()
		add(d.urgentLine(*d.urgent, w), func() tea.Msg { return openRegister("breaches", id)() })
	}
	add(line("total", cs.Contacts, false), func() tea.Msg { return switchMsg{to: tabContacts, unfiltered: true} })
	add(line("in the EU/EEA", cs.EU, false), contacts("eu:yes"))
	add(line("without a basis", cs.WithoutBasis, true), contacts("basis:none"))
	// The figure was read under the settings' establishment; the list
	// runs the query it was counted by.
	add(line("  in scope, no basis", cs.EUWithoutBasis, true)+st.Subtle.Render(" (w)"), contacts(cs.WithoutBasisQuery.String()))
	add(line("restricted", cs.Restricted, false), contacts("status:restricted"))
	add(line("anonymized", cs.Anonymized, false), contacts("status:anonymized"))
	add(line("may receive marketing", d.marketable, false)+st.Subtle.Render(" (m)"), contacts(marketingQuery().String()))

	overdue := gdpr.Thousands(cs.Overdue)
	if cs.Overdue > 0 {
		overdue = st.Error.Render(overdue + " overdue")
	} else {
		overdue += " overdue"
	}
	add(fmt.Sprintf("%s open · %s", gdpr.Thousands(cs.OpenRequests), overdue),
		func() tea.Msg { return switchMsg{to: tabRequests} })
	nextN, actN := dashLimits(w, h)
	now := d.c.now()
	for _, r := range d.next[:min(nextN, len(d.next))] {
		id := r.ID
		add(requestLine(st, r, now), func() tea.Msg { return switchMsg{to: tabRequests, request: id} })
	}
	for _, e := range d.activity[:min(actN, len(d.activity))] {
		// The action in a cell of its own (17: contact.anonymize), so a long
		// one never runs into the record.
		at := st.Subtle.Render(d.c.in(e.At).Format("01-02 15:04"))
		if wideDashboard(w) {
			at = st.Subtle.Render(d.c.in(e.At).Format("2006-01-02 15:04"))
		}
		text := fmt.Sprintf("%s %s %-8s %s", at, cell(plain(e.Action), 17), plain(e.Record), st.Subtle.Render(plain(e.Operator)))
		add(text, func() tea.Msg { return switchMsg{to: tabAudit, entry: &e} })
	}
	return out
}

// marketingQuery is who may receive electronic direct marketing
// (marketing:yes): the figure and its list are one query.
func marketingQuery() gdpr.Query {
	return gdpr.Query{Terms: []gdpr.Term{{Field: gdpr.FieldMarketing, Values: []string{"yes"}}}}
}

func (d *dashboard) View(w, h int) string {
	st := d.c.styles
	if !d.loaded {
		return st.Subtle.Render("loading…")
	}
	d.w, d.h = w, h
	rows := d.rows(w, h)
	d.sel = min(d.sel, max(len(rows)-1, 0))
	show := func(i int) string {
		if i == d.sel {
			return st.Selected.Render(ansi.Strip(rows[i].text))
		}
		return rows[i].text
	}
	pct := gdpr.ReadinessPercent(d.done, d.total)
	bar := progressBar(pct, 20)
	readiness := st.Title.Render("Readiness") + "\n" +
		st.Big.Render(fmt.Sprintf("%d%%", pct)) + " " + bar + "\n" +
		st.Subtle.Render(fmt.Sprintf("%d of %d checklist items done", d.done, d.total))

	// An open breach comes first, over the whole width: its 72 hours run.
	top, i := "", 0
	if d.urgent != nil {
		top, i = clipLines(show(0), w)+"\n\n", 1
	}
	contacts := st.Title.Render("Contacts")
	for end := i + 7; i < end; i++ {
		contacts += "\n" + show(i)
	}
	requests := st.Title.Render("Requests") + "\n" + show(i) + "\n"
	i++
	if len(d.next) == 0 {
		requests += st.Subtle.Render("nothing due")
	}
	nextN, _ := dashLimits(w, h)
	for range min(nextN, len(d.next)) {
		requests += "\n" + show(i)
		i++
	}
	var act strings.Builder
	act.WriteString(st.Title.Render("Recent activity"))
	for ; i < len(rows); i++ {
		act.WriteString("\n" + show(i))
	}

	return top + d.layout(w, readiness, contacts, requests, act.String())
}

// layout puts the blocks side by side as the width allows.
func (d *dashboard) layout(w int, readiness, contacts, requests, act string) string {
	switch {
	case w < 70:
		return clipLines(strings.Join([]string{readiness, contacts, requests, act}, "\n\n"), w)
	case wideDashboard(w):
		// The room of a large terminal: three columns, the requests due and
		// the recent activity as long as the screen is tall.
		colW := 44
		midW := max((w-colW)*2/5, 40)
		left := lipgloss.NewStyle().Width(colW).Render(clipLines(readiness+"\n\n"+contacts, colW-1))
		mid := lipgloss.NewStyle().Width(midW).Render(clipLines(requests, midW-1))
		right := clipLines(act, w-colW-midW-1)
		return lipgloss.JoinHorizontal(lipgloss.Top, left, mid, " ", right)
	}
	colW := max(w/2-1, 30)
	left := lipgloss.NewStyle().Width(colW).Render(clipLines(readiness+"\n\n"+contacts, colW))
	right := clipLines(requests+"\n\n"+act, w-colW-1)
	return lipgloss.JoinHorizontal(lipgloss.Top, left, " ", right)
}

// urgentLine is the open breach's line: the hours left to tell the
// supervisory authority (! within them, ✗ past them), else the step it
// waits for. enter opens it on screen 7.
func (d *dashboard) urgentLine(b gdpr.Breach, w int) string {
	st := d.c.styles
	now := d.c.now()
	layout := "2006-01-02 15:04 MST"
	if w < 90 {
		layout = "01-02 15:04 MST"
	}
	due := d.c.in(b.Due()).Format(layout)
	h := b.HoursLeft(now)
	switch {
	case b.NotifyPending() && h < 0:
		return st.Error.Render(fmt.Sprintf("✗ Breach %s: authority not told, %d h past the 72 hours (due %s)", b.ID, -h, due))
	case b.NotifyPending():
		return st.Warn.Render(fmt.Sprintf("! Breach %s: tell the supervisory authority within %d h (due %s)", b.ID, h, due))
	case b.ReasonPending() && !b.Documented(now):
		return st.Error.Render(fmt.Sprintf("✗ Breach %s: no risk, but why it is not notified is not recorded (due %s)", b.ID, due))
	case b.ReasonPending():
		return st.Warn.Render(fmt.Sprintf("! Breach %s: no risk: record why it is not notified (by %s)", b.ID, due))
	}
	return st.Warn.Render(fmt.Sprintf("! Breach %s: high risk: tell the people (Art. 34), or record why not", b.ID))
}
