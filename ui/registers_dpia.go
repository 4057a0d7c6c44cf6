package ui

import (
	"fmt"
	"strings"

	tea "charm.land/bubbletea/v2"
	"charm.land/huh/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/gdprdesk/gdprdesk/gdpr"
)

// dpiaSection is the DPIA screening (Art. 35, SPEC §10): the business's
// processing screened against the nine criteria of the EDPB's guidelines
// (WP248 rev.01), with the outcome, why, and when and by whom. The desk
// keeps the latest screening (the audit log the earlier ones), so the
// section has one row or none; its record lists the nine criteria, ✓ met
// and · not, under the EDPB's rule: two or more met, a DPIA is likely
// needed. a records the first screening, c a new one over the last; only
// admins screen (gdpr.ActionDPIAScreen).
type dpiaSection struct {
	kit       regKit
	screening gdpr.DPIAScreening
	ok        bool // a screening is recorded
}

func newDPIASection(kit regKit) *dpiaSection { return &dpiaSection{kit: kit} }

func (s *dpiaSection) title() string { return "DPIA" }
func (s *dpiaSection) id(int) string { return "dpia" }

func (s *dpiaSection) len() int {
	if s.ok {
		return 1
	}
	return 0
}

// dpiaRule is the EDPB's rule of thumb, as the screen says it.
var dpiaRule = fmt.Sprintf("EDPB: %d or more of the 9 criteria met → a DPIA is likely needed (Art. 35(1))", gdpr.DPIALikelyThreshold)

func (s *dpiaSection) empty() string {
	return "No DPIA screening recorded: a screens your processing against the nine EDPB criteria (" + dpiaRule + ")"
}

func (s *dpiaSection) read(st Store) (func(), error) {
	d, ok, err := st.DPIAScreening()
	if err != nil {
		return nil, err
	}
	return func() { s.screening, s.ok = d, ok }, nil
}

// outcome says the outcome with its mark: a DPIA needed is work to do
// (!), not needed is in order (✓), or needs its reason when the criteria
// say otherwise (✗, which Validate refuses to store).
func (s *dpiaSection) outcome(d gdpr.DPIAScreening) string {
	st := s.kit.c.styles
	switch {
	case d.Outcome == gdpr.DPIANeeded:
		return st.Warn.Render("! DPIA needed")
	case gdpr.DPIALikelyNeeded(d) && strings.TrimSpace(d.Why) == "":
		return badMark(st, "not needed, no why")
	}
	return okMark(st, "not needed")
}

func (s *dpiaSection) summary() string {
	st := s.kit.c.styles
	if !s.ok {
		return badMark(st, "no screening recorded") + " · " + dpiaRule
	}
	d := s.screening
	parts := []string{fmt.Sprintf("%d of 9 criteria met", len(d.Met())), s.outcome(d)}
	if d.Outcome == gdpr.DPIANeeded {
		parts = append(parts, st.Warn.Render("carry it out before the processing (Art. 35(7))"))
	} else {
		parts = append(parts, st.Subtle.Render(dpiaRule))
	}
	return strings.Join(parts, " · ")
}

// dpiaCols are the column widths at w cells: when, by, met, outcome; why
// takes the rest.
func dpiaCols(w int) (at, by, met, out, rest int) {
	at, by, met, out = 20, 10, 7, 20
	if w >= 110 {
		by = 16
	}
	return at, by, met, out, max(w-at-by-met-out-4, 1)
}

func (s *dpiaSection) header(w int) string {
	at, by, met, out, rest := dpiaCols(w)
	return strings.Join([]string{cell("Screened ("+s.kit.c.zoneName()+")", at), cell("By", by), cell("Met", met), cell("Outcome", out), cell("Why", rest)}, " ")
}

func (s *dpiaSection) row(_, w int) string {
	d := s.screening
	at, by, met, out, rest := dpiaCols(w)
	when := ""
	if !d.At.IsZero() {
		when = s.kit.c.in(d.At).Format("2006-01-02 15:04")
	}
	return strings.Join([]string{cell(dash(when), at), cell(dash(d.By), by), cell(fmt.Sprintf("%d of 9", len(d.Met())), met),
		cell(s.outcome(d), out), cell(dash(d.Why), rest)}, " ")
}

// detail is the screening: the nine criteria first (✓ met, · not), under
// the rule, then the outcome, when and by whom, why and the notes.
func (s *dpiaSection) detail(_, w int) []string {
	st := s.kit.c.styles
	d := s.screening
	met := map[string]bool{}
	for _, c := range d.Met() {
		met[c.Name] = true
	}
	out := []string{st.Label.Render(fmt.Sprintf("Criteria met: %d of 9 · ", len(d.Met()))) + st.Subtle.Render(dpiaRule)}
	for i, c := range gdpr.DPIACriteria() {
		line := fmt.Sprintf("%d. %s", i+1, c.Label)
		if met[c.Name] {
			out = append(out, st.Good.Render("✓ "+line))
		} else {
			out = append(out, st.Subtle.Render("· "+line))
		}
	}
	f := func(label, v string) []string { return regField(st, label, v, w) }
	when := ""
	if !d.At.IsZero() {
		when = s.kit.c.in(d.At).Format("2006-01-02 15:04 MST") + " by " + d.By
	}
	words := "not needed"
	if d.Outcome == gdpr.DPIANeeded {
		words = "needed: carry out the DPIA before the processing (Art. 35(1), 35(7))"
	}
	for _, l := range [][]string{f("Outcome", words), f("Screened", when), f("Why", d.Why), f("Notes", d.Notes)} {
		out = append(out, l...)
	}
	return out
}

func (s *dpiaSection) actions(int) []regAction {
	k := s.kit.c.keys
	open := func() (func() *dialog, tea.Cmd) { return s.newForm().dialog, nil }
	if !s.ok {
		add := k.Add
		add.SetHelp("a", "screen for a DPIA")
		return []regAction{{key: add, needs: gdpr.ActionDPIAScreen, form: open}}
	}
	change := k.Change
	change.SetHelp("c", "screen again (change)")
	return []regAction{{key: change, needs: gdpr.ActionDPIAScreen, form: open}}
}

// dpiaForm holds what the screening form edits: the names of the criteria
// ticked, the outcome, why and the notes.
type dpiaForm struct {
	s                *dpiaSection
	criteria         []string
	outcome          gdpr.DPIAOutcome
	why, notes       string
	previouslyStored bool
}

// newForm starts from the recorded screening, or from nothing ticked and
// "not needed".
func (s *dpiaSection) newForm() *dpiaForm {
	f := &dpiaForm{s: s, outcome: gdpr.DPIANotNeeded}
	if s.ok {
		d := s.screening
		for _, c := range d.Met() {
			f.criteria = append(f.criteria, c.Name)
		}
		f.outcome, f.why, f.notes, f.previouslyStored = d.Outcome, d.Why, d.Notes, true
	}
	return f
}

func (f *dpiaForm) dialog() *dialog {
	var opts []huh.Option[string]
	for i, c := range gdpr.DPIACriteria() {
		// Cut to one line of the narrowest form (80 columns): a wrapped
		// option reads as two.
		opts = append(opts, huh.NewOption(ansi.Truncate(fmt.Sprintf("%d. %s", i+1, c.Label), 64, "…"), c.Name))
	}
	outcomes := []huh.Option[gdpr.DPIAOutcome]{
		huh.NewOption("not needed", gdpr.DPIANotNeeded),
		huh.NewOption("needed: carry out a DPIA before the processing", gdpr.DPIANeeded),
	}
	title := "Screen the processing for a DPIA (Art. 35)"
	if f.previouslyStored {
		title = "Screen again for a DPIA (Art. 35): replaces the last screening"
	}
	return newDialogGroups(title, f.submit,
		huh.NewGroup(huh.NewMultiSelect[string]().Title("Criteria met (EDPB WP248)").
			Description("x or space ticks; enter goes on. "+dpiaRule).
			Options(opts...).Height(len(opts)+3).Value(&f.criteria)),
		huh.NewGroup(
			huh.NewSelect[gdpr.DPIAOutcome]().Title("Outcome").Inline(true).Options(outcomes...).Value(&f.outcome),
			huh.NewInput().Title("Why    ").Inline(true).Value(&f.why).Validate(checkText("why", gdpr.MaxFieldLen, false)).
				Placeholder("the reason; required for not needed with 2 or more criteria"),
			huh.NewInput().Title("Notes  ").Inline(true).Value(&f.notes).Validate(checkText("notes", gdpr.MaxFieldLen, false)).
				Placeholder("optional: when to screen again"),
		))
}

// submit records the screening in one audited transaction; the rule book
// (gdpr.DPIAScreening.Validate) refuses "not needed" with two or more
// criteria met and no reason, and the form opens again with it.
func (f *dpiaForm) submit() tea.Cmd {
	c := f.s.kit.c
	st, op := c.store, c.operator
	d := gdpr.DPIAScreening{Outcome: f.outcome, Why: strings.TrimSpace(f.why), Notes: strings.TrimSpace(f.notes)}
	bad := d.SetCriteria(f.criteria)
	return f.s.kit.save("record the DPIA screening", func() (string, string, error) {
		if bad != nil {
			return "", "", bad
		}
		if err := st.SaveDPIAScreening(op, d); err != nil {
			return "", "", err
		}
		words := "not needed"
		if d.Outcome == gdpr.DPIANeeded {
			words = "needed"
		}
		return fmt.Sprintf("Recorded the screening: DPIA %s, %d of 9 criteria met", words, len(d.Met())), "dpia", nil
	})
}
