package ui

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"
	"charm.land/huh/v2"
	"github.com/gdprdesk/gdprdesk/gdpr"
	"github.com/gdprdesk/gdprdesk/internal/desk"
)

// breachesSection is the breach register (Art. 33–34, SPEC §10): each
// breach with when the business became aware (in the desk's time zone),
// its risk, the hours left to the 72-hour mark while the authority is not
// told (✗ once past), and where the notification and the people stand. a
// records a breach, c changes its facts, n records the notification (or,
// for a breach without risk, why none), i that the people were told (or
// the reason of Art. 34(3) not to), w writes the draft to the authority
// (Art. 33(3)) and L the letters to the people (Art. 34(2)), both into
// the exports folder. Staff record breaches as admins do; viewers read.
type breachesSection struct {
	kit      regKit
	breaches []gdpr.Breach
}

func newBreachesSection(kit regKit) *breachesSection { return &breachesSection{kit: kit} }

func (s *breachesSection) title() string   { return "Breaches" }
func (s *breachesSection) len() int        { return len(s.breaches) }
func (s *breachesSection) id(i int) string { return s.breaches[i].ID.String() }
func (s *breachesSection) empty() string {
	return "No breaches recorded: a records one as soon as you learn of it (the 72 hours run from then)"
}

func (s *breachesSection) read(st Store) (func(), error) {
	bs, err := st.Breaches()
	if err != nil {
		return nil, err
	}
	return func() { s.breaches = bs }, nil
}

// at is a time of the register in the desk's zone, with the zone's name.
func (s *breachesSection) at(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return s.kit.c.in(t).Format("2006-01-02 15:04 MST")
}

// hoursText says the hours to the 72-hour mark: "17 h left", "5 h overdue".
func hoursText(h int) string {
	if h < 0 {
		return fmt.Sprintf("%d h overdue", -h)
	}
	return fmt.Sprintf("%d h left", h)
}

func (s *breachesSection) summary() string {
	st := s.kit.c.styles
	now := s.kit.c.now()
	overdue, pending, steps := 0, 0, 0
	for _, b := range s.breaches {
		switch {
		case !b.Documented(now):
			overdue++
		case b.NotifyPending():
			pending++
		case b.Open():
			steps++
		}
	}
	parts := []string{plural(len(s.breaches), "breach", "breaches")}
	if overdue > 0 {
		parts = append(parts, badMark(st, plural(overdue, "breach", "breaches")+" past 72 h undocumented"))
	}
	if pending > 0 {
		parts = append(parts, st.Warn.Render("! "+plural(pending, "breach", "breaches")+" to notify within 72 h"))
	}
	if steps > 0 {
		parts = append(parts, st.Warn.Render("! "+plural(steps, "breach waits", "breaches wait")+" for a step"))
	}
	if overdue+pending+steps == 0 && len(s.breaches) > 0 {
		parts = append(parts, okMark(st, "every breach documented"))
	}
	return strings.Join(parts, " · ")
}

// breachCols are the column widths at w cells: id, aware, risk, clock,
// authority, people; what happened takes the rest.
func breachCols(w int) (id, aware, risk, clock, auth, people, rest int) {
	id, aware, risk, clock, auth, people = 4, 11, 4, 12, 13, 12
	if w >= 110 {
		aware, auth, people = 16, 16, 14
	}
	return id, aware, risk, clock, auth, people, max(w-id-aware-risk-clock-auth-people-6, 1)
}

func (s *breachesSection) header(w int) string {
	id, aw, r, cl, au, pe, rest := breachCols(w)
	return strings.Join([]string{cell("ID", id), cell("Aware ("+s.kit.c.zoneName()+")", aw), cell("Risk", r), cell("72 h", cl),
		cell("Authority", au), cell("People", pe), cell("What", rest)}, " ")
}

// clock is the hours left to the 72-hour mark while the authority is not
// told: ! before it, ✗ past it; – once no notification is pending.
func (s *breachesSection) clock(b gdpr.Breach) string {
	st := s.kit.c.styles
	if !b.NotifyPending() {
		return noMark(st)
	}
	h := b.HoursLeft(s.kit.c.now())
	if h < 0 {
		return badMark(st, fmt.Sprintf("%d h over", -h))
	}
	return st.Warn.Render(fmt.Sprintf("! %d h left", h))
}

// authority is where the notification stands: told (late), not needed
// (no risk, reason recorded), or still to do (✗ once undocumented).
func (s *breachesSection) authority(b gdpr.Breach) string {
	st := s.kit.c.styles
	now := s.kit.c.now()
	switch {
	case !b.NotifiedAt.IsZero() && b.NotifiedAt.After(b.Due()):
		return okMark(st, "told, late")
	case !b.NotifiedAt.IsZero():
		return okMark(st, "told "+s.kit.c.in(b.NotifiedAt).Format("01-02"))
	case !b.NeedsNotification() && !b.ReasonPending():
		return okMark(st, "not needed")
	case !b.Documented(now) && b.ReasonPending():
		return badMark(st, "reason?")
	case !b.Documented(now):
		return badMark(st, "not told")
	case b.ReasonPending():
		return st.Warn.Render("! reason?")
	}
	return st.Warn.Render("! to tell")
}

// people is where telling the people stands (Art. 34).
func (s *breachesSection) people(b gdpr.Breach) string {
	st := s.kit.c.styles
	switch {
	case !b.InformedAt.IsZero():
		return okMark(st, "told")
	case b.NoInformReason != "":
		return okMark(st, "not, 34(3)")
	case b.InformPending():
		return st.Warn.Render("! to tell")
	}
	return noMark(st)
}

func (s *breachesSection) row(i, w int) string {
	b := s.breaches[i]
	id, aw, r, cl, au, pe, rest := breachCols(w)
	layout := "01-02 15:04"
	if aw >= 16 {
		layout = "2006-01-02 15:04"
	}
	return strings.Join([]string{cell(b.ID.String(), id), cell(s.kit.c.in(b.AwareAt).Format(layout), aw), cell(string(b.Risk), r),
		cell(s.clock(b), cl), cell(s.authority(b), au), cell(s.people(b), pe), cell(dash(b.What), rest)}, " ")
}

// riskLabel says what a risk level means for whom to tell.
func riskLabel(r gdpr.BreachRisk) string {
	switch r {
	case gdpr.RiskNone:
		return "none: unlikely to result in a risk (documented, not notified)"
	case gdpr.RiskHigh:
		return "high: tell the authority and the people (Art. 34)"
	}
	return "risk: tell the authority within 72 hours (Art. 33)"
}

func (s *breachesSection) detail(i, w int) []string {
	st := s.kit.c.styles
	b := s.breaches[i]
	now := s.kit.c.now()
	f := func(label, v string) []string { return regField(st, label, v, w) }
	about := func(n int, cats []string) string {
		if len(cats) == 0 {
			return fmt.Sprintf("about %d", n)
		}
		return fmt.Sprintf("about %d (%s)", n, strings.Join(cats, ", "))
	}
	due := s.at(b.Due())
	if b.NotifyPending() {
		due += " (" + hoursText(b.HoursLeft(now)) + ")"
	}
	notified := s.at(b.NotifiedAt)
	if b.NotifyRef != "" {
		notified += ", reference " + b.NotifyRef
	}
	var out []string
	for _, l := range [][]string{f("Breach", b.ID.String()), f("State", b.State(now)), f("Aware", s.at(b.AwareAt)), f("Due (72 h)", due),
		f("Risk", riskLabel(b.Risk)), f("What happened", b.What), f("People", about(b.People, b.PeopleCategories)),
		f("Records", about(b.Records, b.DataCategories)), f("Contacts (query)", b.Query), f("Consequences", b.Consequences),
		f("Measures", b.Measures), f("Authority told", notified), f("Late reason", b.LateReason), f("Not notified", b.NoNotifyReason),
		f("People told", s.at(b.InformedAt)), f("People not told", b.NoInformReason),
		f("Recorded", strings.TrimSpace(s.at(b.RecordedAt)+" by "+b.RecordedBy))} {
		out = append(out, l...)
	}
	switch {
	case !b.Documented(now):
		out = append(out, "", badMark(st, "past the 72 hours: n records the notification with the reasons for the delay (Art. 33(1))"))
	case b.NotifyPending():
		out = append(out, "", st.Warn.Render("! tell the supervisory authority by "+s.at(b.Due())+": w writes the draft, n records it"))
	case b.ReasonPending():
		out = append(out, "", st.Warn.Render("! no risk: n records why the breach is not notified (Art. 33(5))"))
	}
	if b.InformPending() {
		hint := "! high risk: tell the people (i records it; L writes their letters) or record why not (Art. 34(3))"
		if strings.TrimSpace(b.Query) == "" {
			hint = "! high risk: tell the people (i records it) or record why not (Art. 34(3)); for letters, c adds the query naming them"
		}
		out = append(out, "", st.Warn.Render(hint))
	}
	return out
}

func (s *breachesSection) actions(i int) []regAction {
	k := s.kit.c.keys
	add := k.Add
	add.SetHelp("a", "record a breach")
	out := []regAction{{key: add, needs: gdpr.ActionBreachAdd, form: func() (func() *dialog, tea.Cmd) {
		return s.newForm(gdpr.Breach{Risk: gdpr.RiskSome}, true).dialog, nil
	}}}
	if i < 0 {
		return out
	}
	b := s.breaches[i]
	change := k.Change
	change.SetHelp("c", "change the facts")
	out = append(out, regAction{key: change, needs: gdpr.ActionBreachEdit, form: func() (func() *dialog, tea.Cmd) {
		return s.newForm(b, false).dialog, nil
	}})
	if b.NotifiedAt.IsZero() && b.NoNotifyReason == "" {
		out = append(out, regAction{key: k.NotifyAuthority, needs: gdpr.ActionBreachNotify, form: func() (func() *dialog, tea.Cmd) {
			return s.notifyForm(b), nil
		}})
	}
	if b.InformedAt.IsZero() && b.NoInformReason == "" {
		out = append(out, regAction{key: k.Inform, needs: gdpr.ActionBreachInform, form: func() (func() *dialog, tea.Cmd) {
			return s.informForm(b), nil
		}})
	}
	out = append(out, regAction{key: k.Draft, form: func() (func() *dialog, tea.Cmd) { return nil, s.writeDraft(b) }},
		regAction{key: k.Letters, needs: gdpr.ActionLetterWrite, form: func() (func() *dialog, tea.Cmd) {
			if strings.TrimSpace(b.Query) == "" {
				return nil, status(b.ID.String() + " names no contacts (no query): no one to write to; c adds the query")
			}
			return s.lettersForm(b), nil
		}})
	return out
}

// done runs a store or file step without a form: its text on the status
// line, or its error there.
func (s *breachesSection) done(what string, fn func() (string, error)) tea.Cmd {
	return s.kit.c.io(func() tea.Msg {
		text, err := fn()
		return regDoneMsg{text: text, what: what, err: err}
	})
}

// writeDraft writes the draft to the authority (Art. 33(3)) into the
// exports folder.
func (s *breachesSection) writeDraft(b gdpr.Breach) tea.Cmd {
	c := s.kit.c
	st, dir, now := c.store, c.exportDir, c.now()
	return s.done("write the draft of "+b.ID.String(), func() (string, error) {
		path, err := desk.WriteBreachNotice(st, b.ID, dir, now)
		if err != nil {
			return "", err
		}
		return "Wrote the draft to the authority (Art. 33(3)) to " + path + ": fill in what is missing and send it through the authority's form", nil
	})
}

// breachForm holds what the breach form edits, as typed.
type breachForm struct {
	s                                            *breachesSection
	orig                                         gdpr.Breach
	isNew                                        bool
	aware, what, people, records, query          string
	peopleCats, dataCats, consequences, measures string
	risk                                         gdpr.BreachRisk
}

func (s *breachesSection) newForm(b gdpr.Breach, isNew bool) *breachForm {
	f := &breachForm{s: s, orig: b, isNew: isNew, what: b.What, query: b.Query, risk: b.Risk,
		peopleCats: strings.Join(b.PeopleCategories, ", "), dataCats: strings.Join(b.DataCategories, ", "),
		consequences: b.Consequences, measures: b.Measures}
	if !b.AwareAt.IsZero() {
		f.aware = s.kit.c.in(b.AwareAt).Format("2006-01-02 15:04")
	}
	if b.People > 0 {
		f.people = strconv.Itoa(b.People)
	}
	if b.Records > 0 {
		f.records = strconv.Itoa(b.Records)
	}
	return f
}

// breachTime reads a time typed in the desk's zone (gdpr.ParseBreachTime);
// empty is now when optional.
func (s *breachesSection) breachTime(label, v string, optional bool) (time.Time, error) {
	c := s.kit.c
	if strings.TrimSpace(v) == "" {
		if optional {
			return c.now().UTC(), nil
		}
		return time.Time{}, fmt.Errorf("%s: when, as YYYY-MM-DD HH:MM in the desk's time zone (%s)", label, c.zoneName())
	}
	return gdpr.ParseBreachTime(label, v, c.zone.Load(), c.now())
}

// count reads an approximate count: empty is 0.
func count(label, v string) (int, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(strings.ReplaceAll(v, ",", ""))
	if err != nil || n < 0 {
		return 0, fmt.Errorf("%s: a whole number, 0 or more (about how many)", label)
	}
	return n, nil
}

// checkText is a form check for a text of at most n bytes, on one line or
// several.
func checkText(field string, n int, required bool) func(string) error {
	return func(v string) error {
		if required && strings.TrimSpace(v) == "" {
			return fmt.Errorf("%s: needed", field)
		}
		if len(v) > n {
			return fmt.Errorf("%s: at most %d characters", field, n)
		}
		return gdpr.CheckText(field, v, true)
	}
}

const breachTextLen = 2000

func (f *breachForm) dialog() *dialog {
	s := f.s
	zone := s.kit.c.zoneName()
	risks := []huh.Option[gdpr.BreachRisk]{huh.NewOption(riskLabel(gdpr.RiskSome), gdpr.RiskSome),
		huh.NewOption(riskLabel(gdpr.RiskHigh), gdpr.RiskHigh), huh.NewOption(riskLabel(gdpr.RiskNone), gdpr.RiskNone)}
	checkAware := func(v string) error { _, err := s.breachTime("aware", v, false); return err }
	checkCount := func(label string) func(string) error {
		return func(v string) error { _, err := count(label, v); return err }
	}
	checkQuery := func(v string) error {
		if strings.TrimSpace(v) == "" {
			return nil
		}
		_, err := gdpr.ParseQuery(v)
		return err
	}
	title := "Record a breach (Art. 33(5))"
	if !f.isNew {
		title = "Change the facts of " + f.orig.ID.String()
	}
	first := []huh.Field{
		huh.NewInput().Title("Aware      ").Inline(true).Value(&f.aware).Validate(checkAware).
			Placeholder("YYYY-MM-DD HH:MM (" + zone + "): when you learned of it"),
		huh.NewInput().Title("What       ").Inline(true).Value(&f.what).Validate(checkText("what", breachTextLen, true)).
			Placeholder("what happened, in plain words"),
		huh.NewSelect[gdpr.BreachRisk]().Title("Risk       ").Inline(true).Options(risks...).Value(&f.risk),
		huh.NewInput().Title("People     ").Inline(true).Value(&f.people).Validate(checkCount("people")).
			Placeholder("about how many; empty: counted from the query"),
		huh.NewInput().Title("Records    ").Inline(true).Value(&f.records).Validate(checkCount("records")).
			Placeholder("about how many records"),
		huh.NewInput().Title("Query      ").Inline(true).Value(&f.query).Validate(checkQuery).
			Placeholder("optional: the contacts concerned, e.g. source:webshop"),
	}
	second := []huh.Field{
		huh.NewInput().Title("Who        ").Inline(true).Value(&f.peopleCats).Validate(checkLine("people categories", gdpr.MaxFieldLen)).
			Placeholder("categories of people, comma-separated: customers"),
		huh.NewInput().Title("Data       ").Inline(true).Value(&f.dataCats).Validate(checkLine("categories", gdpr.MaxFieldLen)).
			Placeholder("categories of data, comma-separated: identity, contact"),
		huh.NewInput().Title("Consequence").Inline(true).Value(&f.consequences).Validate(checkText("consequences", breachTextLen, false)).
			Placeholder("the likely consequences for the people"),
		huh.NewInput().Title("Measures   ").Inline(true).Value(&f.measures).Validate(checkText("measures", breachTextLen, false)).
			Placeholder("taken or proposed"),
	}
	return newDialogGroups(title, f.submit, huh.NewGroup(first...), huh.NewGroup(second...))
}

// submit records the breach, or changes its facts, in one audited
// transaction (desk.AddBreach, desk.EditBreach).
func (f *breachForm) submit() tea.Cmd {
	s := f.s
	c := s.kit.c
	st, op := c.store, c.operator
	b := f.orig
	var errs []error
	var err error
	b.AwareAt, err = s.breachTime("aware", f.aware, false)
	errs = append(errs, err)
	b.People, err = count("people", f.people)
	errs = append(errs, err)
	b.Records, err = count("records", f.records)
	errs = append(errs, err)
	b.What, b.Query = strings.TrimSpace(f.what), strings.TrimSpace(f.query)
	b.Consequences, b.Measures, b.Risk = strings.TrimSpace(f.consequences), strings.TrimSpace(f.measures), f.risk
	b.PeopleCategories, b.DataCategories = splitList(f.peopleCats), splitList(f.dataCats)
	bad := errors.Join(errs...)
	what := "record the breach"
	if !f.isNew {
		what = "change " + b.ID.String()
	}
	return s.kit.save(what, func() (string, string, error) {
		if bad != nil {
			return "", "", bad
		}
		if err := b.Validate(); err != nil {
			return "", "", err
		}
		if !f.isNew {
			err := desk.EditBreach(st, op, b.ID, func(x *gdpr.Breach) {
				x.AwareAt, x.What, x.Query, x.Consequences, x.Measures, x.Risk = b.AwareAt, b.What, b.Query, b.Consequences, b.Measures, b.Risk
				x.People, x.Records, x.PeopleCategories, x.DataCategories = b.People, b.Records, b.PeopleCategories, b.DataCategories
			})
			if err != nil {
				return "", "", err
			}
			return "Saved the facts of " + b.ID.String(), b.ID.String(), nil
		}
		id, err := desk.AddBreach(st, op, b)
		if err != nil {
			return "", "", err
		}
		b.AwareAt = b.AwareAt.UTC()
		text := fmt.Sprintf("Recorded %s: notify the authority by %s (%s)", id, s.at(b.Due()), hoursText(b.HoursLeft(c.now())))
		if b.Risk == gdpr.RiskNone {
			text = fmt.Sprintf("Recorded %s: no risk, so n records why it is not notified", id)
		}
		return text, id.String(), nil
	})
}

// The choices of the notify and inform forms.
const (
	choiceTold = "told"
	choiceNone = "none"
)

// notifyForm records that the authority was told (when, its reference,
// and after the 72 hours the reasons for the delay, Art. 33(1)) or, for a
// breach without risk, why it is not notified.
func (s *breachesSection) notifyForm(b gdpr.Breach) func() *dialog {
	c := s.kit.c
	st, op, now := c.store, c.operator, c.now
	choice, at, ref, late, reason := choiceTold, "", "", "", ""
	if b.Risk == gdpr.RiskNone {
		choice = choiceNone
	}
	checkAt := func(v string) error { _, err := s.breachTime("told at", v, true); return err }
	submit := func() tea.Cmd {
		if choice == choiceNone {
			return s.kit.save("record why "+b.ID.String()+" is not notified", func() (string, string, error) {
				if err := desk.NoNotifyBreach(st, op, b.ID, reason); err != nil {
					return "", "", err
				}
				return b.ID.String() + ": documented without notifying the authority (no risk; reason recorded)", b.ID.String(), nil
			})
		}
		when, perr := s.breachTime("told at", at, true)
		return s.kit.save("record the notification of "+b.ID.String(), func() (string, string, error) {
			if perr != nil {
				return "", "", perr
			}
			if err := desk.NotifyBreach(st, op, b.ID, when, ref, late, now()); err != nil {
				return "", "", err
			}
			text := b.ID.String() + ": authority told at " + s.at(when)
			if when.After(b.Due()) {
				text += ", after the 72 hours, with the reasons for the delay"
			}
			return text, b.ID.String(), nil
		})
	}
	return func() *dialog {
		return newDialogGroups("The supervisory authority and "+b.ID.String()+" (Art. 33)", submit,
			huh.NewGroup(huh.NewSelect[string]().Title("Record").Options(
				huh.NewOption("the authority was told", choiceTold),
				huh.NewOption("no notification: unlikely to result in a risk (risk none), with the reason", choiceNone)).Value(&choice)),
			huh.NewGroup(
				huh.NewInput().Title("Told at    ").Inline(true).Value(&at).Validate(checkAt).
					Placeholder("YYYY-MM-DD HH:MM ("+c.zoneName()+"); empty: now"),
				huh.NewInput().Title("Reference  ").Inline(true).Value(&ref).Validate(checkLine("reference", gdpr.MaxFieldLen)).
					Placeholder("the authority's reference"),
				huh.NewInput().Title("Late reason").Inline(true).Value(&late).Validate(checkText("late reason", breachTextLen, false)).
					Placeholder("after "+s.at(b.Due())+": the reasons for the delay"),
			).WithHideFunc(func() bool { return choice != choiceTold }),
			huh.NewGroup(
				huh.NewInput().Title("Reason     ").Inline(true).Value(&reason).Validate(checkText("reason", breachTextLen, false)).
					Placeholder("why it is unlikely to result in a risk to people"),
			).WithHideFunc(func() bool { return choice != choiceNone }),
		)
	}
}

// informForm records that the people were told (Art. 34(1)) or the reason
// of Art. 34(3) not to.
func (s *breachesSection) informForm(b gdpr.Breach) func() *dialog {
	c := s.kit.c
	st, op, now := c.store, c.operator, c.now
	choice, at, reason := choiceTold, "", ""
	checkAt := func(v string) error { _, err := s.breachTime("told at", v, true); return err }
	submit := func() tea.Cmd {
		when, perr := s.breachTime("told at", at, true)
		none := choice == choiceNone
		return s.kit.save("record telling the people of "+b.ID.String(), func() (string, string, error) {
			if perr != nil && !none {
				return "", "", perr
			}
			if err := desk.InformBreach(st, op, b.ID, when, none, reason, now()); err != nil {
				return "", "", err
			}
			if none {
				return b.ID.String() + ": the people are not told; the reason (Art. 34(3)) is recorded", b.ID.String(), nil
			}
			return b.ID.String() + ": people told at " + s.at(when), b.ID.String(), nil
		})
	}
	return func() *dialog {
		return newDialogGroups("The people and "+b.ID.String()+" (Art. 34)", submit,
			huh.NewGroup(huh.NewSelect[string]().Title("Record").Options(
				huh.NewOption("the people were told", choiceTold),
				huh.NewOption("they are not told: a reason of Art. 34(3)", choiceNone)).Value(&choice)),
			huh.NewGroup(
				huh.NewInput().Title("Told at").Inline(true).Value(&at).Validate(checkAt).
					Placeholder("YYYY-MM-DD HH:MM ("+c.zoneName()+"); empty: now"),
			).WithHideFunc(func() bool { return choice != choiceTold }),
			huh.NewGroup(
				huh.NewInput().Title("Reason ").Inline(true).Value(&reason).Validate(checkText("reason", breachTextLen, false)).
					Placeholder("encrypted data, measures taken, or a public notice"),
			).WithHideFunc(func() bool { return choice != choiceNone }),
		)
	}
}

// lettersForm asks before the notices to the people are written (Art.
// 34(2)): one letter per contact of the breach's query, in their language,
// into the exports folder.
func (s *breachesSection) lettersForm(b gdpr.Breach) func() *dialog {
	c := s.kit.c
	st, op, dir, now := c.store, c.operator, c.exportDir, c.now
	sure := true
	submit := func() tea.Cmd {
		if !sure {
			return status("no letters written")
		}
		return s.kit.save("write the letters of "+b.ID.String(), func() (string, string, error) {
			res, err := desk.BreachLetters(st, desk.BreachLettersRequest{Operator: op, Breach: b.ID, Dir: dir, DataDir: st.Dir(), Now: now()})
			if err != nil {
				return "", "", err
			}
			return res.Summary() + "; once sent, i records it", b.ID.String(), nil
		})
	}
	where := dir
	if where == "" {
		where = "the current folder"
	}
	return func() *dialog {
		return newDialog("Letters to the people of "+b.ID.String()+" (Art. 34(2))", submit,
			huh.NewConfirm().Title("Write the notice to each contact of "+plain(b.Query)+"?").
				Description(fmt.Sprintf("About %d people, each in their language, as a letter and an email draft, into %s.", b.People, plain(where))).
				Affirmative("Write").Negative("Cancel").Value(&sure))
	}
}
