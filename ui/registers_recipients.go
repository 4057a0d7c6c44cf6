package ui

import (
	"errors"
	"fmt"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"
	"charm.land/huh/v2"
	"github.com/gdprdesk/gdprdesk/gdpr"
)

// recipientsSection is the recipients register (Art. 28, Chapter V): who
// receives personal data, as what, where, under which DPA and, outside
// the EEA, which safeguard. ✗ marks a processor without a signed DPA and a
// third country without a safeguard (what dpa-each-processor and
// transfers-safeguarded name). a adds, c changes, d removes an entry.
type recipientsSection struct {
	kit        regKit
	recipients []gdpr.Recipient
	purposes   []gdpr.Purpose // to check the names a recipient serves
}

func newRecipientsSection(kit regKit) *recipientsSection { return &recipientsSection{kit: kit} }

func (s *recipientsSection) title() string   { return "Recipients & processors" }
func (s *recipientsSection) len() int        { return len(s.recipients) }
func (s *recipientsSection) id(i int) string { return strings.ToLower(s.recipients[i].Name) }
func (s *recipientsSection) empty() string {
	return "No recipients yet: a adds one (a processor, another controller, a joint controller)"
}

func (s *recipientsSection) read(st Store) (func(), error) {
	rs, err := st.Recipients()
	if err != nil {
		return nil, err
	}
	ps, err := st.Purposes()
	if err != nil {
		return nil, err
	}
	for i := range rs {
		rs[i] = rs[i].LegacyRole()
	}
	return func() { s.recipients, s.purposes = rs, ps }, nil
}

// noDPA is a processor without a signed DPA (Art. 28(3)); unsafe a
// transfer outside the EEA without a safeguard (Chapter V).
func noDPA(r gdpr.Recipient) bool  { return r.Role == gdpr.RecipientProcessor && r.DPASignedAt.IsZero() }
func unsafe(r gdpr.Recipient) bool { return r.ThirdCountry() && r.Safeguard == "" }

func (s *recipientsSection) summary() string {
	st := s.kit.c.styles
	dpa, transfer := 0, 0
	for _, r := range s.recipients {
		if noDPA(r) {
			dpa++
		}
		if unsafe(r) {
			transfer++
		}
	}
	parts := []string{plural(len(s.recipients), "recipient", "recipients")}
	if dpa > 0 {
		parts = append(parts, badMark(st, plural(dpa, "processor", "processors")+" without a DPA"))
	}
	if transfer > 0 {
		parts = append(parts, badMark(st, plural(transfer, "transfer", "transfers")+" without a safeguard"))
	}
	if dpa+transfer == 0 && len(s.recipients) > 0 {
		parts = append(parts, okMark(st, "every DPA signed, every transfer safeguarded"))
	}
	return strings.Join(parts, " · ")
}

// recipientCols are the column widths at w cells: name, role, country,
// DPA, safeguard; the purposes take the rest.
func recipientCols(w int) (name, role, country, dpa, safe, rest int) {
	name, role, country, dpa, safe = min(22, max(w/5, 10)), 10, 7, 13, 16
	return name, role, country, dpa, safe, max(w-name-role-country-dpa-safe-5, 1)
}

func (s *recipientsSection) header(w int) string {
	n, r, c, d, g, rest := recipientCols(w)
	return strings.Join([]string{cell("Name", n), cell("Role", r), cell("Country", c), cell("DPA", d), cell("Safeguard", g), cell("Purposes", rest)}, " ")
}

func (s *recipientsSection) row(i, w int) string {
	st := s.kit.c.styles
	x := s.recipients[i]
	n, r, c, d, g, rest := recipientCols(w)
	country := dash(x.Country)
	if x.ThirdCountry() {
		country += " 3rd"
	}
	dpa := noMark(st)
	switch {
	case noDPA(x):
		dpa = badMark(st, "not signed")
	case !x.DPASignedAt.IsZero():
		dpa = okMark(st, x.DPASignedAt.Format(time.DateOnly))
	}
	safe := noMark(st)
	switch {
	case unsafe(x):
		safe = badMark(st, "none")
	case x.Safeguard != "":
		safe = okMark(st, string(x.Safeguard))
		if !x.SafeguardAt.IsZero() {
			safe = okMark(st, string(x.Safeguard)+" "+x.SafeguardAt.Format("2006-01"))
		}
	}
	return strings.Join([]string{cell(plain(x.Name), n), cell(string(x.Role), r), cell(country, c), cell(dpa, d), cell(safe, g),
		cell(dash(strings.Join(x.Purposes, ", ")), rest)}, " ")
}

func (s *recipientsSection) detail(i, w int) []string {
	st := s.kit.c.styles
	x := s.recipients[i]
	f := func(label, v string) []string { return regField(st, label, v, w) }
	country := ""
	if x.Country != "" {
		country = gdpr.CountryName(x.Country) + " (" + x.Country + ")"
		if x.ThirdCountry() {
			country += ", outside the EEA"
		}
	}
	role := map[gdpr.RecipientRole]string{gdpr.RecipientProcessor: "processor (Art. 28)", gdpr.RecipientController: "controller",
		gdpr.RecipientJoint: "joint controller (Art. 26)"}[x.Role]
	dpa := ""
	if !x.DPASignedAt.IsZero() {
		dpa = x.DPASignedAt.Format(time.DateOnly)
	}
	safe := ""
	if x.Safeguard != "" {
		safe = x.Safeguard.Label()
		if !x.SafeguardAt.IsZero() {
			safe += ", " + x.SafeguardAt.Format(time.DateOnly)
		}
	}
	var out []string
	for _, l := range [][]string{f("Name", x.Name), f("Role", role), f("Service", x.Service), f("Contact", x.Contact), f("Country", country),
		f("Purposes", strings.Join(x.Purposes, ", ")), f("DPA signed", dpa), f("DPA reference", x.DPARef), f("Transfer safeguard", safe)} {
		out = append(out, l...)
	}
	if noDPA(x) {
		out = append(out, "", badMark(st, "a processor needs a signed DPA (Art. 28(3)): c records its date"))
	}
	if unsafe(x) {
		out = append(out, "", badMark(st, "data goes outside the EEA without a safeguard (Chapter V): c records it"))
	}
	return out
}

func (s *recipientsSection) actions(i int) []regAction {
	k := s.kit.c.keys
	add, change, del := k.Add, k.Change, k.Delete
	add.SetHelp("a", "add a recipient")
	out := []regAction{{key: add, needs: gdpr.ActionRecipientSave, form: func() (func() *dialog, tea.Cmd) {
		return s.newForm(gdpr.Recipient{Role: gdpr.RecipientProcessor}, true).dialog, nil
	}}}
	if i < 0 {
		return out
	}
	x := s.recipients[i]
	change.SetHelp("c", "change the recipient")
	del.SetHelp("d", "remove the recipient")
	return append(out,
		regAction{key: change, needs: gdpr.ActionRecipientSave, form: func() (func() *dialog, tea.Cmd) { return s.newForm(x, false).dialog, nil }},
		regAction{key: del, needs: gdpr.ActionRecipientDelete, form: func() (func() *dialog, tea.Cmd) { return s.removeForm(x), nil }})
}

// recipientForm holds what the recipient form edits, as typed.
type recipientForm struct {
	s                                         *recipientsSection
	orig                                      gdpr.Recipient
	isNew                                     bool
	name, service, contact, country, purposes string
	dpa, dpaRef, safeAt                       string
	role                                      gdpr.RecipientRole
	safeguard                                 gdpr.Safeguard
}

func (s *recipientsSection) newForm(r gdpr.Recipient, isNew bool) *recipientForm {
	f := &recipientForm{s: s, orig: r, isNew: isNew, name: r.Name, service: r.Service, contact: r.Contact, country: r.Country,
		purposes: strings.Join(r.Purposes, ", "), dpaRef: r.DPARef, role: r.Role, safeguard: r.Safeguard}
	if !r.DPASignedAt.IsZero() {
		f.dpa = r.DPASignedAt.Format(time.DateOnly)
	}
	if !r.SafeguardAt.IsZero() {
		f.safeAt = r.SafeguardAt.Format(time.DateOnly)
	}
	return f
}

// optionalDay reads an empty date as none, else YYYY-MM-DD not after today.
func (f *recipientForm) optionalDay(v string) (time.Time, error) {
	if strings.TrimSpace(v) == "" {
		return time.Time{}, nil
	}
	t, err := parseDay(v)
	if err != nil {
		return t, err
	}
	if t.After(gdpr.Day(f.s.kit.c.now())) {
		return t, errors.New("that date is in the future")
	}
	return t, gdpr.CheckStorableDate("the date", t)
}

// purposeNames checks the purposes against the register.
func (f *recipientForm) purposeNames(v string) ([]string, error) {
	var out []string
	for _, n := range splitList(v) {
		p, ok := gdpr.FindPurpose(f.s.purposes, n)
		if !ok {
			return nil, fmt.Errorf("no purpose %q in the register: add it under Purposes first", gdpr.NormalizePurposeName(n))
		}
		out = append(out, p.Name)
	}
	return out, nil
}

func (f *recipientForm) dialog() *dialog {
	roles := []huh.Option[gdpr.RecipientRole]{huh.NewOption("processor: on our behalf (Art. 28)", gdpr.RecipientProcessor),
		huh.NewOption("controller: for its own purposes", gdpr.RecipientController), huh.NewOption("joint controller (Art. 26)", gdpr.RecipientJoint)}
	safeguards := []huh.Option[gdpr.Safeguard]{huh.NewOption("none (in the EEA)", gdpr.Safeguard(""))}
	for _, g := range []gdpr.Safeguard{gdpr.SafeguardAdequacy, gdpr.SafeguardSCC, gdpr.SafeguardBCR, gdpr.SafeguardDerogation} {
		safeguards = append(safeguards, huh.NewOption(g.Label(), g))
	}
	names := map[string]bool{}
	for _, x := range f.s.recipients {
		names[strings.ToLower(strings.TrimSpace(x.Name))] = true
	}
	checkName := func(v string) error {
		v = strings.TrimSpace(v)
		if err := (gdpr.Recipient{Name: v, Role: gdpr.RecipientProcessor}).Validate(); err != nil {
			return err
		}
		if names[strings.ToLower(v)] {
			return fmt.Errorf("%s is in the register already: c changes it", v)
		}
		return nil
	}
	checkCountry := func(v string) error {
		if strings.TrimSpace(v) == "" {
			return nil
		}
		_, err := gdpr.NormalizeCountry(v)
		return err
	}
	checkDay := func(v string) error { _, err := f.optionalDay(v); return err }
	checkPurposes := func(v string) error { _, err := f.purposeNames(v); return err }
	title := "Add a recipient (Art. 28, Chapter V)"
	var first []huh.Field
	if f.isNew {
		first = append(first, huh.NewInput().Title("Name     ").Inline(true).Value(&f.name).Validate(checkName))
	} else {
		title = "Change the recipient " + plain(f.orig.Name)
	}
	first = append(first,
		huh.NewSelect[gdpr.RecipientRole]().Title("Role     ").Inline(true).Options(roles...).Value(&f.role),
		huh.NewInput().Title("Service  ").Inline(true).Value(&f.service).Validate(checkLine("service", gdpr.MaxFieldLen)).Placeholder("what they do, e.g. parcel delivery"),
		huh.NewInput().Title("Contact  ").Inline(true).Value(&f.contact).Validate(checkLine("contact", gdpr.MaxFieldLen)).Placeholder("privacy contact: email, web form"),
		huh.NewInput().Title("Country  ").Inline(true).Value(&f.country).Validate(checkCountry).Placeholder("where the data goes: ISO code or name"),
		huh.NewInput().Title("Purposes ").Inline(true).Value(&f.purposes).Validate(checkPurposes).Placeholder("names from the purposes register, comma-separated"),
	)
	second := []huh.Field{
		huh.NewInput().Title("DPA signed   ").Inline(true).Value(&f.dpa).Validate(checkDay).Placeholder("YYYY-MM-DD, for a processor (Art. 28(3))"),
		huh.NewInput().Title("DPA reference").Inline(true).Value(&f.dpaRef).Validate(checkLine("DPA reference", gdpr.MaxFieldLen)).Placeholder("e.g. the contract's number"),
		huh.NewSelect[gdpr.Safeguard]().Title("Safeguard    ").Inline(true).Options(safeguards...).Value(&f.safeguard),
		huh.NewInput().Title("Safeguard on ").Inline(true).Value(&f.safeAt).Validate(checkDay).Placeholder("YYYY-MM-DD, e.g. when the SCCs were signed"),
	}
	return newDialogGroups(title, f.submit, huh.NewGroup(first...), huh.NewGroup(second...))
}

// submit saves the entry in one audited transaction. The name is the
// entry's key: it is fixed once added (a new name is a new entry).
func (f *recipientForm) submit() tea.Cmd {
	c := f.s.kit.c
	st, op := c.store, c.operator
	r := f.orig
	r.Name = strings.TrimSpace(f.name)
	r.Role, r.Safeguard = f.role, f.safeguard
	r.Service, r.Contact, r.DPARef = strings.TrimSpace(f.service), strings.TrimSpace(f.contact), strings.TrimSpace(f.dpaRef)
	r.Country = ""
	var errs []error
	if strings.TrimSpace(f.country) != "" {
		code, err := gdpr.NormalizeCountry(f.country)
		r.Country = code
		errs = append(errs, err)
	}
	var err error
	r.Purposes, err = f.purposeNames(f.purposes)
	errs = append(errs, err)
	r.DPASignedAt, err = f.optionalDay(f.dpa)
	errs = append(errs, err)
	r.SafeguardAt, err = f.optionalDay(f.safeAt)
	errs = append(errs, err)
	if r.Safeguard == "" {
		r.SafeguardAt = time.Time{}
	}
	bad := errors.Join(errs...)
	return f.s.kit.save("save the recipient "+r.Name, func() (string, string, error) {
		if bad != nil {
			return "", "", bad
		}
		all, err := st.Recipients()
		if err != nil {
			return "", "", err
		}
		_, exists := gdpr.FindRecipient(all, r.Name)
		switch {
		case f.isNew && exists:
			return "", "", fmt.Errorf("%s is in the register already: c changes it", r.Name)
		case !f.isNew && !exists:
			return "", "", fmt.Errorf("%s is no longer in the register", r.Name)
		}
		if err := st.SaveRecipient(op, r); err != nil {
			return "", "", err
		}
		verb := "Saved"
		if f.isNew {
			verb = "Added"
		}
		return verb + " the recipient " + r.Name, strings.ToLower(r.Name), nil
	})
}

// removeForm asks before an entry goes; Keep is the default.
func (s *recipientsSection) removeForm(x gdpr.Recipient) func() *dialog {
	sure := false
	st, op := s.kit.c.store, s.kit.c.operator
	submit := func() tea.Cmd {
		if !sure {
			return status("kept " + x.Name + "; nothing changed")
		}
		return s.kit.save("remove the recipient "+x.Name, func() (string, string, error) {
			if err := st.DeleteRecipient(op, x.Name); err != nil {
				return "", "", err
			}
			return "Removed the recipient " + x.Name, "", nil
		})
	}
	return func() *dialog {
		return newDialog("Remove the recipient "+plain(x.Name), submit,
			huh.NewConfirm().Title("Remove "+plain(x.Name)+" from the register?").
				Description("Requests already closed keep their record of who was told.").
				Affirmative("Remove").Negative("Keep").Value(&sure))
	}
}
