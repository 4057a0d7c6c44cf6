package ui

import (
	"fmt"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
	"github.com/gdprdesk/gdprdesk/gdpr"
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
}

func newDashboard(c *common) *dashboard { return &dashboard{c: c} }

func (d *dashboard) Title() string   { return "Dashboard" }
func (d *dashboard) Capturing() bool { return false }
func (d *dashboard) Busy() string    { return "" }
func (d *dashboard) Help() []key.Binding {
	k := d.c.keys
	return []key.Binding{k.ShowUnbased, k.Screen[1], k.Screen[2], k.Screen[3], k.ShowMarketable}
}

type dashboardMsg struct {
	counts      store.Counts
	done, total int
	next        []gdpr.Request
	activity    []store.AuditEntry
	marketable  int64
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
		if r.Status.Open() && len(m.next) < 5 {
			m.next = append(m.next, r)
		}
	}
	if m.activity, err = d.c.store.Audit(store.AuditFilter{}, 0, 8); err != nil {
		return statusMsg{text: "dashboard: " + err.Error(), err: true}
	}
	return m
}

func (d *dashboard) Update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case dashboardMsg:
		d.counts, d.done, d.total, d.next, d.activity = msg.counts, msg.done, msg.total, msg.next, msg.activity
		d.marketable = msg.marketable
		d.loaded = true
	case changedMsg:
		return d.load()
	case switchMsg:
		if msg.to == tabDashboard {
			return d.load()
		}
	case tea.KeyPressMsg:
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
	cs := d.counts
	pct := gdpr.ReadinessPercent(d.done, d.total)
	bar := progressBar(pct, 20)
	readiness := st.Title.Render("Readiness") + "\n" +
		st.Big.Render(fmt.Sprintf("%d%%", pct)) + " " + bar + "\n" +
		st.Subtle.Render(fmt.Sprintf("%d of %d checklist items done", d.done, d.total))

	line := func(label string, n int64, warn bool) string {
		v := fmt.Sprintf("%10s", gdpr.Thousands(n))
		if warn && n > 0 {
			v = st.Warn.Render(v)
		}
		return fmt.Sprintf("%-22s %s", label, v)
	}
	contacts := st.Title.Render("Contacts") + "\n" + strings.Join([]string{
		line("total", cs.Contacts, false),
		line("in the EU/EEA", cs.EU, false),
		line("without a basis", cs.WithoutBasis, true),
		line("  in scope, no basis", cs.EUWithoutBasis, true) + st.Subtle.Render(" (w)"),
		line("restricted", cs.Restricted, false),
		line("anonymized", cs.Anonymized, false),
		line("may receive marketing", d.marketable, false) + st.Subtle.Render(" (m)"),
	}, "\n")

	overdue := gdpr.Thousands(cs.Overdue)
	if cs.Overdue > 0 {
		overdue = st.Error.Render(overdue + " overdue")
	} else {
		overdue += " overdue"
	}
	requests := st.Title.Render("Requests") + "\n" +
		fmt.Sprintf("%s open · %s", gdpr.Thousands(cs.OpenRequests), overdue) + "\n"
	if len(d.next) == 0 {
		requests += st.Subtle.Render("nothing due")
	}
	now := d.c.now()
	for _, r := range d.next {
		requests += "\n" + requestLine(st, r, now)
	}

	var act strings.Builder
	act.WriteString(st.Title.Render("Recent activity"))
	for _, e := range d.activity {
		// The action in a cell of its own (17: contact.anonymize), so a long
		// one never runs into the record.
		fmt.Fprintf(&act, "\n%s %s %-8s %s", st.Subtle.Render(e.At.UTC().Format("01-02 15:04")), cell(plain(e.Action), 17), plain(e.Record), st.Subtle.Render(plain(e.Operator)))
	}

	colW := max(w/2-1, 30)
	if w < 70 {
		return clipLines(strings.Join([]string{readiness, contacts, requests, act.String()}, "\n\n"), w)
	}
	left := lipgloss.NewStyle().Width(colW).Render(clipLines(readiness+"\n\n"+contacts, colW))
	right := clipLines(requests+"\n\n"+act.String(), w-colW-1)
	return lipgloss.JoinHorizontal(lipgloss.Top, left, " ", right)
}
