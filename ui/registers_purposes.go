package ui

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	tea "charm.land/bubbletea/v2"
	"charm.land/huh/v2"
	"github.com/gdprdesk/gdprdesk/gdpr"
)

// purposesSection is the purposes register (records of processing, Art.
// 30(1)): one row per purpose with its basis, whether it is marketing,
// its balancing test when the basis is legitimate interests, its
// retention and its recipients. a adds a purpose, c changes one, b
// records the balancing test of a legitimate-interests purpose.
type purposesSection struct {
	kit        regKit
	purposes   []gdpr.Purpose
	recipients []gdpr.Recipient // to check the names a purpose lists
}

func newPurposesSection(kit regKit) *purposesSection { return &purposesSection{kit: kit} }

func (s *purposesSection) title() string   { return "Purposes" }
func (s *purposesSection) len() int        { return len(s.purposes) }
func (s *purposesSection) id(i int) string { return s.purposes[i].Name }
func (s *purposesSection) empty() string {
	return "No purposes yet: a adds the first (what you use personal data for, Art. 30(1)(b))"
}

func (s *purposesSection) read(st Store) (func(), error) {
	ps, err := st.Purposes()
	if err != nil {
		return nil, err
	}
	rs, err := st.Recipients()
	if err != nil {
		return nil, err
	}
	return func() { s.purposes, s.recipients = ps, rs }, nil
}

// needsBalancing is a legitimate-interests purpose: its balancing test
// is the record Art. 6(1)(f) asks for.
func needsBalancing(p gdpr.Purpose) bool { return p.Basis == gdpr.BasisLegitimateInterests }

func (s *purposesSection) summary() string {
	st := s.kit.c.styles
	noRetention, li, tested := 0, 0, 0
	for _, p := range s.purposes {
		if strings.TrimSpace(p.Retention) == "" {
			noRetention++
		}
		if needsBalancing(p) {
			li++
			if p.Balancing != nil {
				tested++
			}
		}
	}
	parts := []string{plural(len(s.purposes), "purpose", "purposes")}
	if noRetention > 0 {
		parts = append(parts, badMark(st, fmt.Sprintf("%d without a retention", noRetention)))
	}
	if li > 0 {
		mark := okMark
		if tested < li {
			mark = badMark
		}
		parts = append(parts, mark(st, fmt.Sprintf("balancing tests: %d of %d on legitimate interests", tested, li)))
	}
	return strings.Join(parts, " · ")
}

// purposeCols are the column widths at w cells: name, basis, marketing,
// balancing test, retention; the recipients take the rest.
func purposeCols(w int) (name, basis, mkt, bal, ret, rest int) {
	name, basis, mkt, bal = 18, 20, 4, 11
	if w < 100 {
		basis = 9 // the basis's short name
	}
	left := max(w-name-basis-mkt-bal-5, 10)
	ret = left * 3 / 5
	return name, basis, mkt, bal, ret, max(left-ret, 1)
}

func (s *purposesSection) header(w int) string {
	n, b, m, l, r, rest := purposeCols(w)
	return strings.Join([]string{cell("Name", n), cell("Basis", b), cell("Mkt", m), cell("Balancing", l), cell("Retention", r), cell("Recipients", rest)}, " ")
}

func (s *purposesSection) row(i, w int) string {
	st := s.kit.c.styles
	p := s.purposes[i]
	n, b, m, l, r, rest := purposeCols(w)
	mkt := ""
	if p.Marketing {
		mkt = "yes"
	}
	bal := noMark(st)
	if needsBalancing(p) {
		bal = badMark(st, "missing")
		switch {
		case p.Balancing == nil:
		case gdpr.BalancingWarning(p) != "":
			bal = badMark(st, "failed")
		case p.Balancing.Outcome == "":
			bal = badMark(st, "needs review")
		default:
			bal = okMark(st, string(p.Balancing.Outcome))
		}
	}
	ret := plain(p.Retention)
	if strings.TrimSpace(p.Retention) == "" {
		ret = badMark(st, "not set")
	}
	basis := p.Basis.Label()
	if b < 20 {
		basis = p.Basis.Short()
	}
	return strings.Join([]string{cell(plain(p.Name), n), cell(basis, b), cell(mkt, m), cell(bal, l), cell(ret, r),
		cell(dash(strings.Join(p.Recipients, ", ")), rest)}, " ")
}

func (s *purposesSection) detail(i, w int) []string {
	c := s.kit.c
	st := c.styles
	p := s.purposes[i]
	f := func(label, v string) []string { return regField(st, label, v, w) }
	yes := "no"
	if p.Marketing {
		yes = "yes (direct marketing: fixed once consents name it)"
	}
	days := ""
	if p.RetentionDays > 0 {
		days = fmt.Sprintf("%d days after the last ground (the sweep applies it)", p.RetentionDays)
	}
	var out []string
	for _, x := range [][]string{f("Name", p.Name), f("Description", p.Description), f("Lawful basis", p.Basis.Label()+" (Art. 6(1))"),
		f("Marketing", yes), f("People", strings.Join(p.PeopleCategories, ", ")), f("Data", strings.Join(p.DataCategories, ", ")),
		f("Recipients", strings.Join(p.Recipients, ", ")), f("Transfers", p.Transfers), f("Retention", p.Retention),
		f("Retention rule", days), f("Security (Art. 32)", p.Security)} {
		out = append(out, x...)
	}
	if !p.UpdatedAt.IsZero() {
		out = append(out, f("Last changed", c.in(p.UpdatedAt).Format("2006-01-02 15:04 MST")+" by "+plain(p.UpdatedBy))...)
	}
	if needsBalancing(p) {
		out = append(out, "", st.Header.Render("Balancing test (Art. 6(1)(f), recital 47)"))
		if b := p.Balancing; b != nil {
			for _, x := range [][]string{f("Interest", b.Interest), f("Necessity", b.Necessity), f("Balance", b.Balance), f("Outcome", string(b.Outcome)),
				f("Recorded", c.in(b.At).Format("2006-01-02 15:04 MST")+" by "+plain(b.By))} {
				out = append(out, x...)
			}
			if b.Notes != "" {
				out = append(out, f("Notes", b.Notes)...)
			}
		} else {
			out = append(out, badMark(st, "not recorded: b records it (interest, necessity, balance, outcome)"))
		}
	}
	return out
}

func (s *purposesSection) actions(i int) []regAction {
	k := s.kit.c.keys
	add, change, bal := k.Add, k.Change, k.Balancing
	add.SetHelp("a", "add a purpose")
	out := []regAction{{key: add, needs: gdpr.ActionPurposeSave, form: func() (func() *dialog, tea.Cmd) {
		return s.newForm(gdpr.Purpose{Basis: gdpr.BasisConsent}, true).dialog, nil
	}}}
	if i < 0 {
		return out
	}
	p := s.purposes[i]
	change.SetHelp("c", "change the purpose")
	out = append(out, regAction{key: change, needs: gdpr.ActionPurposeSave, form: func() (func() *dialog, tea.Cmd) {
		return s.newForm(p, false).dialog, nil
	}})
	if needsBalancing(p) {
		bal.SetHelp("b", "record the balancing test")
		out = append(out, regAction{key: bal, needs: gdpr.ActionPurposeSave, form: func() (func() *dialog, tea.Cmd) {
			return s.balancingForm(p), nil
		}})
	}
	return out
}

// purposeForm holds what the purpose form edits, as typed, so the form can
// open again over it when the store refuses the save.
type purposeForm struct {
	s                                                   *purposesSection
	orig                                                gdpr.Purpose
	isNew                                               bool
	name, description, people, data, recipients, transf string
	retention, days, security                           string
	basis                                               gdpr.Basis
	marketing                                           bool
}

func (s *purposesSection) newForm(p gdpr.Purpose, isNew bool) *purposeForm {
	f := &purposeForm{s: s, orig: p, isNew: isNew, name: p.Name, description: p.Description, people: strings.Join(p.PeopleCategories, ", "),
		data: strings.Join(p.DataCategories, ", "), recipients: strings.Join(p.Recipients, ", "), transf: p.Transfers,
		retention: p.Retention, security: p.Security, basis: p.Basis, marketing: p.Marketing}
	if p.RetentionDays > 0 {
		f.days = strconv.Itoa(p.RetentionDays)
	}
	return f
}

// recipientNames checks a list of recipients against the register and
// returns it spelled as the register spells it.
func (f *purposeForm) recipientNames(v string) ([]string, error) {
	var out []string
	for _, n := range splitList(v) {
		r, ok := gdpr.FindRecipient(f.s.recipients, n)
		if !ok {
			return nil, fmt.Errorf("no recipient %q in the register: add it under Recipients first", n)
		}
		out = append(out, r.Name)
	}
	return out, nil
}

func (f *purposeForm) dialog() *dialog {
	var bases []huh.Option[gdpr.Basis]
	for _, b := range gdpr.Bases() {
		bases = append(bases, huh.NewOption(b.Label(), b))
	}
	checkName := func(v string) error {
		n := gdpr.NormalizePurposeName(v)
		if err := (gdpr.Purpose{Name: n, Basis: gdpr.BasisConsent}).Validate(); err != nil {
			return err
		}
		if _, ok := gdpr.FindPurpose(f.s.purposes, n); ok && f.isNew {
			return fmt.Errorf("%s is in the register already: c changes it", n)
		}
		return nil
	}
	checkDays := func(v string) error {
		if strings.TrimSpace(v) == "" {
			return nil
		}
		if n, err := strconv.Atoi(strings.TrimSpace(v)); err != nil || n < 0 {
			return errors.New("a whole number of days, or empty for no rule")
		}
		return nil
	}
	checkRecipients := func(v string) error { _, err := f.recipientNames(v); return err }
	title := "Add a purpose (Art. 30(1)(b)–(g))"
	first := []huh.Field{}
	if f.isNew {
		first = append(first, huh.NewInput().Title("Name       ").Inline(true).Value(&f.name).Validate(checkName).
			Placeholder("short and lower-case, e.g. newsletter"))
	} else {
		title = "Change the purpose " + plain(f.orig.Name)
	}
	first = append(first,
		huh.NewSelect[gdpr.Basis]().Title("Basis      ").Inline(true).Options(bases...).Value(&f.basis),
		huh.NewConfirm().Title("Marketing? ").Inline(true).Affirmative("Yes").Negative("No").Value(&f.marketing),
		huh.NewInput().Title("Description").Inline(true).Value(&f.description).Validate(checkLine("description", gdpr.MaxFieldLen)),
		huh.NewInput().Title("People     ").Inline(true).Value(&f.people).Validate(checkLine("people", gdpr.MaxFieldLen)).Placeholder("categories, comma-separated: customers, prospects"),
		huh.NewInput().Title("Data       ").Inline(true).Value(&f.data).Validate(checkLine("data", gdpr.MaxFieldLen)).Placeholder("categories, comma-separated: identity, billing"),
	)
	second := []huh.Field{
		huh.NewInput().Title("Recipients ").Inline(true).Value(&f.recipients).Validate(checkRecipients).Placeholder("names from the recipients register, comma-separated"),
		huh.NewInput().Title("Transfers  ").Inline(true).Value(&f.transf).Validate(checkLine("transfers", gdpr.MaxFieldLen)).Placeholder("outside the EEA, in words"),
		huh.NewInput().Title("Retention  ").Inline(true).Value(&f.retention).Validate(checkLine("retention", gdpr.MaxFieldLen)).Placeholder("period and criteria, e.g. 2 years after the order"),
		huh.NewInput().Title("Days       ").Inline(true).Value(&f.days).Validate(checkDays).Placeholder("the same as a rule for the sweep; empty: none"),
		huh.NewInput().Title("Security   ").Inline(true).Value(&f.security).Validate(checkLine("security", gdpr.MaxFieldLen)).Placeholder("measures in general terms (Art. 32)"),
	}
	return newDialogGroups(title, f.submit, huh.NewGroup(first...), huh.NewGroup(second...))
}

// submit saves the purpose: the stored one read again and the form's
// fields put on it, so a balancing test recorded meanwhile stays.
func (f *purposeForm) submit() tea.Cmd {
	c := f.s.kit.c
	st, op := c.store, c.operator
	name := gdpr.NormalizePurposeName(f.name)
	recipients, rerr := f.recipientNames(f.recipients)
	days, _ := strconv.Atoi(strings.TrimSpace(f.days))
	edit := func(p *gdpr.Purpose) {
		p.Name, p.Basis, p.Marketing = name, f.basis, f.marketing
		p.Description, p.Transfers = strings.TrimSpace(f.description), strings.TrimSpace(f.transf)
		p.Retention, p.RetentionDays, p.Security = strings.TrimSpace(f.retention), days, strings.TrimSpace(f.security)
		p.PeopleCategories, p.DataCategories, p.Recipients = splitList(f.people), splitList(f.data), recipients
	}
	return f.s.kit.save("save the purpose "+name, func() (string, string, error) {
		if rerr != nil {
			return "", "", rerr
		}
		all, err := st.Purposes()
		if err != nil {
			return "", "", err
		}
		p, exists := gdpr.FindPurpose(all, name)
		switch {
		case f.isNew && exists:
			return "", "", fmt.Errorf("%s is in the register already: c changes it", name)
		case !f.isNew && !exists:
			return "", "", fmt.Errorf("%s is no longer in the register", name)
		}
		before := p
		edit(&p)
		if !f.isNew && purposeEqual(before, p) {
			return "No change to the purpose " + name + "; nothing saved", name, nil
		}
		if err := st.SavePurpose(op, p); err != nil {
			return "", "", err
		}
		if f.isNew {
			return "Added the purpose " + name, name, nil
		}
		return "Saved the purpose " + name, name, nil
	})
}

// purposeEqual compares what the form edits.
func purposeEqual(a, b gdpr.Purpose) bool {
	return a.Name == b.Name && a.Basis == b.Basis && a.Marketing == b.Marketing && a.Description == b.Description &&
		a.Transfers == b.Transfers && a.Retention == b.Retention && a.RetentionDays == b.RetentionDays && a.Security == b.Security &&
		slices.Equal(a.PeopleCategories, b.PeopleCategories) && slices.Equal(a.DataCategories, b.DataCategories) && slices.Equal(a.Recipients, b.Recipients)
}

// balancingForm records the balancing test of a legitimate-interests
// purpose (Art. 6(1)(f)): dated now, by the operator.
func (s *purposesSection) balancingForm(p gdpr.Purpose) func() *dialog {
	b := gdpr.BalancingTest{Outcome: gdpr.BalancingPassed}
	if p.Balancing != nil {
		b = *p.Balancing
	}
	if b.Outcome == "" { // an older store's outcome that needs review
		b.Outcome = gdpr.BalancingPassed
	}
	c := s.kit.c
	st, op, now := c.store, c.operator, c.now
	need := func(field string) func(string) error {
		check := checkLine(field, gdpr.MaxFieldLen)
		return func(v string) error {
			if strings.TrimSpace(v) == "" {
				return fmt.Errorf("the %s is needed", field)
			}
			return check(v)
		}
	}
	submit := func() tea.Cmd {
		rec := gdpr.BalancingTest{Interest: strings.TrimSpace(b.Interest), Necessity: strings.TrimSpace(b.Necessity),
			Balance: strings.TrimSpace(b.Balance), Outcome: b.Outcome, Notes: strings.TrimSpace(b.Notes), At: now().UTC(), By: op}
		return s.kit.save("record the balancing test of "+p.Name, func() (string, string, error) {
			all, err := st.Purposes()
			if err != nil {
				return "", "", err
			}
			cur, ok := gdpr.FindPurpose(all, p.Name)
			if !ok {
				return "", "", fmt.Errorf("%s is no longer in the register", p.Name)
			}
			if !needsBalancing(cur) {
				return "", "", fmt.Errorf("%s is no longer on legitimate interests: its basis is %s", p.Name, cur.Basis.Label())
			}
			cur.Balancing = &rec
			if err := st.SavePurpose(op, cur); err != nil {
				return "", "", err
			}
			if w := gdpr.BalancingWarning(cur); w != "" {
				return "Recorded; " + w, p.Name, nil
			}
			return "Recorded the balancing test of " + p.Name + ": " + string(rec.Outcome), p.Name, nil
		})
	}
	return func() *dialog {
		return newDialog("Balancing test: "+plain(p.Name)+" (Art. 6(1)(f))", submit,
			huh.NewInput().Title("Interest").Description("the legitimate interest pursued").Value(&b.Interest).Validate(need("interest")),
			huh.NewInput().Title("Necessity").Description("why the processing is needed for it, and nothing less would do").Value(&b.Necessity).Validate(need("necessity")),
			huh.NewInput().Title("Balance").Description("the person's interests and expectations, weighed against it").Value(&b.Balance).Validate(need("balance")),
			huh.NewSelect[gdpr.BalancingOutcome]().Title("Outcome").Description("failed: the people's interests override yours").
				Options(huh.NewOption("passed", gdpr.BalancingPassed), huh.NewOption("failed", gdpr.BalancingFailed)).Value(&b.Outcome),
			huh.NewInput().Title("Safeguards and notes").Description("e.g. an opt-out in every email (optional)").Value(&b.Notes).Validate(checkLine("notes", gdpr.MaxFieldLen)),
		)
	}
}
