package ui

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"charm.land/huh/v2"
	"github.com/gdprdesk/gdprdesk/gdpr"
	"github.com/gdprdesk/gdprdesk/internal/desk"
	"github.com/gdprdesk/gdprdesk/store"
)

// markedSet is what a bulk change applies to: a query (every contact
// matching a filter) or ids marked one by one.
type markedSet struct {
	query *gdpr.Query
	text  string
	ids   []gdpr.ContactID
	n     int64
}

func (m markedSet) describe() string {
	n, noun := gdpr.Thousands(m.n), "contacts"
	if m.n == 1 {
		noun = "contact"
	}
	switch {
	case m.query != nil && m.text != "":
		return fmt.Sprintf("the %s %s matching %s", n, noun, m.text)
	case m.query != nil && m.n == 1:
		return "the one contact"
	case m.query != nil:
		return fmt.Sprintf("all %s contacts", n)
	}
	return fmt.Sprintf("the %s marked %s", n, noun)
}

// bulk is the bulk lawful-basis change: a small form, a confirmation that
// says how many contacts change, then a background run with a progress bar
// that can be cancelled (whole chunks are done, the rest untouched).
type bulk struct {
	c      *common
	set    markedSet
	form   *huh.Form
	op     string
	basis  gdpr.Basis
	source string
	evid   string
	// purpose is what consent is given to: a bulk consent is recorded per
	// purpose (SPEC §9), so the form asks for it when the basis is consent.
	purpose string

	confirming bool
	willChange int64 // -1 while counting
	leftNone   int64 // removing: how many are left with no basis at all
	leftUpTo   bool  // leftNone is an upper bound (consent for one purpose)
	running    bool
	cancelling bool // esc was pressed; the run ends after its chunk
	done       bool // ended: cancelled, failed or applied
	cancelFn   context.CancelFunc
	progress   store.BulkProgress
	updates    chan tea.Msg
}

func newBulk(c *common, set markedSet) *bulk {
	b := &bulk{c: c, set: set, op: "add", basis: gdpr.BasisConsent, source: "manual", willChange: -1}
	basisOpts := make([]huh.Option[gdpr.Basis], 0, 6)
	for _, x := range gdpr.Bases() {
		basisOpts = append(basisOpts, huh.NewOption(x.Label(), x))
	}
	b.form = huh.NewForm(huh.NewGroup(
		huh.NewSelect[string]().Title("Change").
			Options(huh.NewOption("Add a lawful basis", "add"), huh.NewOption("Remove a lawful basis", "remove")).
			Value(&b.op),
		huh.NewSelect[gdpr.Basis]().Title("Lawful basis (Art. 6(1))").Options(basisOpts...).Value(&b.basis),
	), huh.NewGroup(
		huh.NewInput().Title("Purpose consented to").
			Description("as the register names it (gdprdesk purpose list); each contact gets a consent record, or with remove a withdrawal").
			Value(&b.purpose).Validate(func(s string) error {
			if b.basis == gdpr.BasisConsent && strings.TrimSpace(s) == "" {
				return errors.New("consent is given per purpose: name it")
			}
			return nil
		}),
	).WithHideFunc(func() bool { return b.basis != gdpr.BasisConsent }), huh.NewGroup(
		// Removing asks for neither: nothing is recorded but the removal.
		huh.NewInput().Title("Source").Description("where the basis comes from, e.g. webinar, crm import").Value(&b.source),
		huh.NewInput().Title("Evidence").Description("what shows it holds, e.g. \"webinar signup 2024\" (needed to add)").
			Value(&b.evid).Validate(func(s string) error {
			if b.op == "add" && strings.TrimSpace(s) == "" {
				return errors.New("say what the evidence is: an auditor will ask")
			}
			return nil
		}),
	).WithHideFunc(func() bool { return b.op == "remove" })).WithShowHelp(true).WithTheme(huh.ThemeFunc(huh.ThemeBase))
	return b
}

func (b *bulk) init() tea.Cmd { return b.form.Init() }

func (b *bulk) capturing() bool { return !b.running && !b.done }

// closed reports whether the change has ended, so the contacts screen
// drops it.
func (b *bulk) closed() bool { return b.done }

func (b *bulk) help() []key.Binding {
	k := b.c.keys
	if b.confirming {
		return []key.Binding{k.Confirm, k.Cancel}
	}
	return []key.Binding{
		key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "next")),
		key.NewBinding(key.WithKeys("shift+tab"), key.WithHelp("shift+tab", "back")),
		key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "cancel")),
	}
}

func (b *bulk) change() store.BasisChange {
	ch := store.BasisChange{Basis: b.basis, Remove: b.op == "remove", Source: b.source, Evidence: strings.TrimSpace(b.evid)}
	if ch.Remove {
		ch.Source, ch.Evidence = "", ""
	}
	if b.basis == gdpr.BasisConsent {
		ch.Purpose = strings.TrimSpace(b.purpose)
	}
	return ch
}

// bulkCountMsg says how many marked contacts the change would change and,
// for a removal, how many it would leave with no basis.
type bulkCountMsg struct {
	n        int64
	leftNone int64
	upTo     bool
	err      error
}

// bulkMsg reports progress of a running change.
type bulkMsg struct{ p store.BulkProgress }

// bulkDoneMsg ends a run.
type bulkDoneMsg struct {
	res store.BulkResult
	err error
}

// countChanges works out how many contacts the change would touch
// (desk.PreviewBasisChange, the command line's preview too).
func (b *bulk) countChanges() tea.Msg {
	n, err := desk.PreviewBasisChange(b.c.store, b.set.contacts(), b.change())
	if err != nil {
		return bulkCountMsg{err: err}
	}
	left, upTo, err := desk.LeftWithoutBasis(b.c.store, b.set.contacts(), b.change())
	return bulkCountMsg{n: n, leftNone: left, upTo: upTo, err: err}
}

// contacts is the set as the bulk use case takes it.
func (m markedSet) contacts() desk.Contacts {
	return desk.Contacts{Query: m.query, IDs: m.ids}
}

// start runs the change in the background; progress arrives as messages
// read one at a time from a channel, so the UI stays responsive.
func (b *bulk) start() tea.Cmd {
	ctx, cancel := context.WithCancel(context.Background())
	b.cancelFn = cancel
	b.running = true
	b.progress = store.BulkProgress{Total: b.set.n}
	b.updates = make(chan tea.Msg, 16)
	st, op, ch, set, out := b.c.store, b.c.operator, b.change(), b.set, b.updates
	go func() {
		report := func(p store.BulkProgress) {
			select {
			case out <- bulkMsg{p: p}:
			default: // the UI is behind; the next report carries the figures
			}
		}
		res, err := desk.ApplyBasisChange(ctx, st, op, set.contacts(), ch, report)
		out <- bulkDoneMsg{res: res, err: err}
		close(out)
	}()
	return b.next()
}

func (b *bulk) next() tea.Cmd {
	ch := b.updates
	return b.c.io(func() tea.Msg {
		msg, ok := <-ch
		if !ok {
			return nil
		}
		return msg
	})
}

func (b *bulk) cancel() {
	if b.running {
		b.cancelling = true
	}
	if b.cancelFn != nil {
		b.cancelFn()
	}
}

func (b *bulk) update(msg tea.Msg) tea.Cmd {
	k := b.c.keys
	switch msg := msg.(type) {
	case bulkCountMsg:
		if msg.err != nil {
			b.done = true
			return failed("count the change", msg.err)
		}
		b.willChange, b.leftNone, b.leftUpTo = msg.n, msg.leftNone, msg.upTo
		return nil
	case bulkMsg:
		b.progress = msg.p
		return b.next()
	case bulkDoneMsg:
		b.running, b.done = false, true
		b.cancel()
		verb, prep := "Added", "to"
		if b.change().Remove {
			verb, prep = "Removed", "from"
		}
		// The result goes with doneMsg itself, so the root shows it (and
		// keeps it when the desk quits once the run ended) whatever order
		// the messages arrive in.
		if msg.err != nil {
			return tea.Batch(changed, finishedWith(doneMsg{what: "bulk", text: "bulk change stopped: " + msg.err.Error(), err: true}))
		}
		return tea.Batch(changed, finishedWith(doneMsg{what: "bulk", text: bulkResultText(verb, prep, b.basis, msg.res)}))
	case tea.KeyPressMsg:
		if b.confirming {
			switch {
			case key.Matches(msg, k.Confirm):
				if b.willChange < 0 {
					return status("still counting…")
				}
				b.confirming = false
				return b.start()
			case key.Matches(msg, k.Cancel):
				b.done = true
				return status("nothing changed")
			}
			return nil
		}
		if msg.String() == "esc" {
			b.done = true
			return status("nothing changed")
		}
	}
	if b.confirming || b.running {
		return nil
	}
	cmd := updateForm(b.form, msg)
	switch b.form.State {
	case huh.StateCompleted:
		b.confirming = true
		return b.c.io(b.countChanges)
	case huh.StateAborted:
		b.done = true
		return status("nothing changed")
	}
	return cmd
}

func (b *bulk) view(w, h int) string {
	st := b.c.styles
	title := st.Title.Render("Lawful basis for " + b.set.describe())
	if b.confirming {
		ch := b.change()
		n := "the marked contacts (counting…)"
		if b.willChange >= 0 {
			n = contactsWord(b.willChange)
		}
		what := "the lawful basis " + ch.Basis.Label()
		if ch.Basis == gdpr.BasisConsent {
			what = "consent for " + gdpr.NormalizePurposeName(ch.Purpose)
		}
		var lines []string
		if ch.Remove {
			lines = append(lines, fmt.Sprintf("Remove %s from %s?", what, st.Big.Render(n)))
			if b.willChange >= 0 && b.leftNone > 0 {
				up := ""
				if b.leftUpTo {
					up = "up to "
				}
				lines = append(lines, "", st.Warn.Render(fmt.Sprintf("! %s%s of them are left with no lawful basis at all:", up, gdpr.Thousands(b.leftNone))),
					"  their data may then not be processed (Art. 6(1)).")
			}
		} else {
			lines = append(lines, fmt.Sprintf("Add %s to %s?", what, st.Big.Render(n)), "",
				"Source:   "+dash(gdpr.NormalizeSource(ch.Source)), "Evidence: "+dash(ch.Evidence))
		}
		lines = append(lines, "",
			fmt.Sprintf("The audit log gets one entry per %d contacts changed,", store.BulkChunk),
			"found in each contact's trail. Contacts already as asked,",
			"and anonymized ones, are left alone.", "",
			st.Key.Render("y")+" go   "+st.Key.Render("n/esc")+" cancel")
		body := strings.Join(lines, "\n")
		return title + "\n\n" + st.Dialog.Render(body)
	}
	b.form.WithWidth(min(w-2, 72)).WithHeight(max(h-3, 8))
	return title + "\n\n" + b.form.View()
}

func finishedWith(m doneMsg) tea.Cmd { return func() tea.Msg { return m } }

// bulkResultText says what a run did: the contacts changed, those already
// as asked, and the anonymized ones it skipped, each counted apart.
func bulkResultText(verb, prep string, basis gdpr.Basis, res store.BulkResult) string {
	text := fmt.Sprintf("%s the lawful basis %s %s %s (%s already as asked", verb, basis.Label(), prep,
		contactsWord(res.Changed), gdpr.Thousands(res.Unchanged))
	if res.Skipped > 0 {
		text += fmt.Sprintf("; %s anonymized or gone, skipped", gdpr.Thousands(res.Skipped))
	}
	text += ")"
	if res.Cancelled {
		text = "Cancelled: " + text + "; the rest is untouched"
	}
	return text
}

// contactsWord is n contacts, in the singular for one.
func contactsWord(n int64) string {
	if n == 1 {
		return "1 contact"
	}
	return gdpr.Thousands(n) + " contacts"
}

func (b *bulk) progressLine(w int) string {
	st := b.c.styles
	p := b.progress
	pct := 0
	if p.Total > 0 {
		pct = int(min(p.Done*100/p.Total, 100))
	}
	tail := "esc cancels"
	if b.cancelling {
		// Said here, not on the status line: a status command could land
		// after the run's own "Cancelled" report and hide it.
		tail = "cancelling: the change stops after the current chunk"
	}
	return st.Title.Render("Applying ") + progressBar(pct, min(30, w/3)) +
		fmt.Sprintf(" %s of %s · %s changed · %s", gdpr.Thousands(p.Done), gdpr.Thousands(p.Total), gdpr.Thousands(p.Changed), tail)
}
