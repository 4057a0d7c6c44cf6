package ui

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"charm.land/huh/v2"
	"github.com/gdprdesk/gdprdesk/exporters"
	"github.com/gdprdesk/gdprdesk/gdpr"
	"github.com/gdprdesk/gdprdesk/internal/desk"
	"github.com/gdprdesk/gdprdesk/store"
)

// contactView is one contact on one screen: profile, lawful bases with
// their evidence, consent history with the wording versions, requests and
// the audit trail, and the actions an owner takes on a person.
type contactView struct {
	c      *common
	id     gdpr.ContactID
	loaded bool
	err    error

	contact  gdpr.Contact
	requests []gdpr.Request
	audit    []store.AuditEntry
	policies []gdpr.PolicyVersion
	purposes []gdpr.Purpose // the register: consent is recorded per purpose
	// none says why the key just pressed opened no dialog.
	none string

	scroll int
	dialog *dialog
	done   bool // left with esc
}

func newContactView(c *common, id gdpr.ContactID) *contactView {
	return &contactView{c: c, id: id}
}

// contactMsg carries a loaded contact.
type contactMsg struct {
	id       gdpr.ContactID
	contact  gdpr.Contact
	requests []gdpr.Request
	audit    []store.AuditEntry
	policies []gdpr.PolicyVersion
	purposes []gdpr.Purpose
	err      error
}

// contactActionMsg ends an action on the open contact.
type contactActionMsg struct {
	text string
	err  error
}

// init reads the contact, its requests, its audit trail and the policy
// versions its consents refer to.
func (v *contactView) init() tea.Cmd { return v.load() }

// load reads what the screen shows, in the background.
func (v *contactView) load() tea.Cmd { return v.c.io(v.read) }

func (v *contactView) read() tea.Msg {
	st, id := v.c.store, v.id
	m := contactMsg{id: id}
	if m.contact, m.err = st.Contact(id); m.err != nil {
		return m
	}
	if m.requests, m.err = st.Requests(store.RequestFilter{Contact: id}); m.err != nil {
		return m
	}
	if m.audit, m.err = st.AuditOf(id.String()); m.err != nil {
		return m
	}
	if m.policies, m.err = st.PolicyVersions(); m.err != nil {
		return m
	}
	m.purposes, m.err = st.Purposes()
	return m
}

func (v *contactView) capturing() bool { return v.dialog != nil }

// closed reports whether the owner left the contact, so the screen drops it.
func (v *contactView) closed() bool { return v.done }

func (v *contactView) help() []key.Binding {
	if v.dialog != nil {
		return v.dialog.help()
	}
	k := v.c.keys
	bs := []key.Binding{k.Back, k.Edit, k.Consent, k.Withdraw, k.Restrict, k.Export, k.NewRequest, k.Anonymize, k.Hold, k.Bulk, k.Up, k.Down}
	if v.contact.Status == gdpr.ContactAnonymized {
		return []key.Binding{k.Back, k.Up, k.Down}
	}
	return bs
}

// update takes a key, a mouse wheel, or the result of a read or an action
// of this view; anything else goes to the open dialog.
func (v *contactView) update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case contactMsg:
		if msg.id != v.id {
			return nil
		}
		v.loaded, v.err = true, msg.err
		if msg.err == nil {
			v.contact, v.requests, v.audit, v.policies = msg.contact, msg.requests, msg.audit, msg.policies
			v.purposes = msg.purposes
		}
		return nil
	case contactActionMsg:
		return reported(msg.text, msg.err)
	case changedMsg:
		return v.load()
	case tea.MouseWheelMsg:
		if msg.Button == tea.MouseWheelUp {
			v.scroll = max(v.scroll-3, 0)
		} else if msg.Button == tea.MouseWheelDown {
			v.scroll += 3
		}
		return nil
	case tea.KeyPressMsg:
		return v.key(msg)
	}
	if v.dialog != nil {
		return stepOverlay(&v.dialog, msg)
	}
	return nil
}

func (v *contactView) key(msg tea.KeyPressMsg) tea.Cmd {
	if v.dialog != nil {
		return stepOverlay(&v.dialog, msg)
	}
	k := v.c.keys
	switch {
	case key.Matches(msg, k.Back):
		v.done = true
		return nil
	case scrollKey(k, msg, &v.scroll):
		return nil
	}
	if !v.loaded || v.err != nil {
		return nil
	}
	if v.contact.Status == gdpr.ContactAnonymized {
		for _, b := range []key.Binding{k.Edit, k.Consent, k.Withdraw, k.Restrict, k.Anonymize, k.Export, k.NewRequest, k.Bulk} {
			if key.Matches(msg, b) {
				return v.c.refuse("a change to an anonymized contact", "this contact is anonymized: nothing personal is left to act on")
			}
		}
		return nil
	}
	if cmd, done := v.guardKey(msg); done {
		return cmd
	}
	var open func() *dialog
	var action gdpr.Action
	switch {
	case key.Matches(msg, k.Edit):
		open, action = v.editDialog, gdpr.ActionContactEdit
	case key.Matches(msg, k.Bulk):
		open, action = v.basisDialog, gdpr.ActionBasisAdd
	case key.Matches(msg, k.Consent):
		open, action = v.consentDialog, gdpr.ActionConsentGrant
	case key.Matches(msg, k.Withdraw):
		open, action = v.withdrawDialog, gdpr.ActionConsentWithdraw
	case key.Matches(msg, k.Restrict):
		open, action = v.restrictDialog, gdpr.ActionContactRestrict
	case key.Matches(msg, k.Anonymize):
		open, action = v.anonymizeDialog, gdpr.ActionContactAnonymize
	case key.Matches(msg, k.Export):
		open, action = v.exportDialog, gdpr.ActionContactExport
	case key.Matches(msg, k.NewRequest):
		open, action = v.requestDialog, gdpr.ActionRequestAdd
	default:
		return nil
	}
	if ok, cmd := v.c.mayDo(action); !ok {
		return cmd
	}
	v.none = ""
	d := open()
	if d == nil {
		return status(v.none)
	}
	return openDialog(v.c, &v.dialog, d)
}

// act runs a store change in the background and reports it.
func (v *contactView) act(fn func() (string, error)) tea.Cmd {
	return v.c.io(func() tea.Msg {
		text, err := fn()
		return contactActionMsg{text: text, err: err}
	})
}

func (v *contactView) editDialog() *dialog {
	c := v.contact
	// The form starts from the values on screen; only the fields the owner
	// changes are written, and a field someone else changed meanwhile (in
	// another session) is a conflict: nothing is saved and the owner
	// re-opens the contact to see the new values.
	type field struct {
		label string
		value string
		orig  string
		get   func(*gdpr.Contact) *string
	}
	fs := []*field{
		{label: "First name ", get: func(c *gdpr.Contact) *string { return &c.FirstName }},
		{label: "Last name  ", get: func(c *gdpr.Contact) *string { return &c.LastName }},
		{label: "Email      ", get: func(c *gdpr.Contact) *string { return &c.Email }},
		{label: "Phone      ", get: func(c *gdpr.Contact) *string { return &c.Phone }},
		{label: "Street     ", get: func(c *gdpr.Contact) *string { return &c.Street }},
		{label: "City       ", get: func(c *gdpr.Contact) *string { return &c.City }},
		{label: "Postal code", get: func(c *gdpr.Contact) *string { return &c.PostalCode }},
		{label: "Region     ", get: func(c *gdpr.Contact) *string { return &c.Region }},
		{label: "Company    ", get: func(c *gdpr.Contact) *string { return &c.Company }},
		{label: "Country    ", get: func(c *gdpr.Contact) *string { return &c.Country }},
		{label: "Notes      ", get: func(c *gdpr.Contact) *string { return &c.Notes }},
	}
	var inputs []huh.Field
	for _, f := range fs {
		f.orig = *f.get(&c)
		f.value = f.orig
		// A space after the longest label, so none runs into its field ("Postal code>").
		in := huh.NewInput().Title(f.label + " ").Value(&f.value).Inline(true)
		switch strings.TrimSpace(f.label) {
		case "Email":
			in = in.Validate(func(s string) error {
				_, err := gdpr.NormalizeEmail(s)
				return err
			})
		case "Country":
			in = in.Validate(func(s string) error {
				_, err := gdpr.NormalizeCountry(s)
				return err
			})
		}
		inputs = append(inputs, in)
	}
	op, id, st := v.c.operator, v.id, v.c.store
	return newDialog("Rectify "+id.String()+" (Art. 16): the old values are kept, sealed, in the audit log",
		func() tea.Cmd {
			return v.act(func() (string, error) {
				var changed []string
				err := st.UpdateContact(op, id, func(cur *gdpr.Contact) error {
					for _, f := range fs {
						val := strings.TrimSpace(f.value)
						if val == strings.TrimSpace(f.orig) {
							continue
						}
						name := strings.ToLower(strings.TrimSpace(f.label))
						if *f.get(cur) != f.orig {
							return fmt.Errorf("%s of %s was changed by someone else while you edited it: open the contact again and re-apply your change", name, id)
						}
						if name == "country" {
							norm, err := gdpr.NormalizeCountry(val)
							if err != nil {
								return err
							}
							val = norm
						}
						*f.get(cur) = val
						changed = append(changed, name)
					}
					return nil
				})
				if err != nil {
					return "", fmt.Errorf("rectify %s: %w", id, err)
				}
				if len(changed) == 0 {
					return "Nothing was changed on " + id.String(), nil
				}
				return "Saved the rectification of " + id.String() + " (" + strings.Join(changed, ", ") + "; audited)", nil
			})
		}, inputs...)
}

func nonEmpty(what string) func(string) error {
	return func(s string) error {
		if strings.TrimSpace(s) == "" {
			return fmt.Errorf("%s is needed", what)
		}
		return nil
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func (v *contactView) anonymizeDialog() *dialog {
	c := v.contact
	op, id, st := v.c.operator, v.id, v.c.store
	var linked gdpr.RequestID
	for _, r := range v.requests {
		if r.Type == gdpr.RequestErasure && r.Status.Open() {
			linked = r.ID
			break
		}
	}
	if d := v.erasureBlockedDialog(linked); d != nil {
		return d
	}
	keepHeld := c.Hold.InForce(v.c.now())
	obligations := c.Obligations()
	sure, reason := false, ""
	desc := fmt.Sprintf("%s %s <%s>: names, addresses, phone, notes, evidence and custom fields are destroyed for good; country and year stay for statistics; the address goes on the suppression list.", id, plain(c.Name()), plain(c.Email))
	if keepHeld {
		desc = heldErasureText(c)
	}
	if linked != 0 {
		desc += fmt.Sprintf(" Completes erasure request %s.", linked)
	}
	var fields []huh.Field
	if len(obligations) > 0 {
		fields = append(fields, huh.NewInput().Title("Obligation: "+gdpr.ObligationsText(obligations)).
			Description("Art. 17(3) may let you keep the data. To erase anyway, give the reason (kept in the audit log; no personal details)").
			Value(&reason).Validate(nonEmpty("a reason to erase despite the obligation")))
	}
	fields = append(fields, huh.NewConfirm().Title("Anonymize "+plain(c.Name())+"?").Affirmative("Anonymize").Negative("Keep").Value(&sure))
	d := newDialog("Anonymize "+id.String()+" (Art. 17) — this cannot be undone", func() tea.Cmd {
		if !sure {
			return status("kept " + id.String() + "; nothing changed")
		}
		return v.act(func() (string, error) {
			res, rec, files, err := desk.Erase(st, op, id, store.AnonymizeOptions{Request: linked, OverrideReason: strings.TrimSpace(reason), KeepHeld: keepHeld})
			if err != nil {
				return "", fmt.Errorf("anonymize %s: %w", id, err)
			}
			text := fmt.Sprintf("Anonymized %s: %d address(es) suppressed, keys destroyed", id, res.Suppressed)
			if keepHeld {
				text = fmt.Sprintf("Erased %s except held records until %s: %d address(es) suppressed", id, c.Hold.Until.Format("2006-01-02"), res.Suppressed)
			}
			if rec != 0 {
				text += "; recipients to tell on " + rec.String() + " (Art. 19)"
			}
			if linked != 0 {
				text += "; " + linked.String() + " completed"
			}
			// The files written with the person's data (SPEC §8): what was
			// deleted, and what the owner must delete by hand.
			if sum := files.Summary(); sum != "" {
				text += "; " + sum
			}
			return text, nil
		})
	}, fields...)
	d.body = desc
	return d
}

func (v *contactView) exportDialog() *dialog {
	x := newAccessForm()
	id := v.id
	return newDialog("Export the access package of "+id.String()+" (Art. 15 / Art. 20)", func() tea.Cmd {
		return v.act(func() (string, error) { return x.export(v.c, id, 0) })
	}, x.fields()...)
}

// accessForm is what the owner chooses for an access package, on the
// contact view and on an access or portability request alike.
type accessForm struct {
	format   string
	password string
	eml      bool
}

func newAccessForm() *accessForm { return &accessForm{format: exporters.FormatXLSX} }

func (x *accessForm) fields() []huh.Field {
	return []huh.Field{
		huh.NewSelect[string]().Title("Format").Options(
			huh.NewOption("XLSX — one sheet per section, opens in any spreadsheet", exporters.FormatXLSX),
			huh.NewOption("CSV — a zip of one CSV per section", exporters.FormatCSV),
			huh.NewOption("JSON — machine-readable (portability, Art. 20)", exporters.FormatJSON),
		).Value(&x.format),
		huh.NewInput().Title("Password").Description("XLSX only: encrypts the file; tell the person another way (empty: none)").
			EchoMode(huh.EchoModePassword).Value(&x.password).Validate(func(s string) error {
			if s != "" && x.format != exporters.FormatXLSX {
				return errors.New("a password works with the XLSX format only")
			}
			return nil
		}),
		huh.NewConfirm().Title("Also write an email draft (.eml) with the package attached?").Value(&x.eml),
	}
}

// export writes the package through the one access export (desk), audited
// like the command line's, and says what was written.
func (x *accessForm) export(c *common, id gdpr.ContactID, req gdpr.RequestID) (string, error) {
	res, err := desk.ExportAccess(c.store, desk.AccessExport{Operator: c.operator, Contact: id, Format: x.format,
		Password: x.password, EML: x.eml, Request: req, Dir: c.exportDir, Now: c.now()})
	if err != nil {
		return "", err
	}
	text := "Wrote " + res.Path
	if res.Linked != 0 {
		text += " and linked it to " + res.Linked.String()
	}
	text += fmt.Sprintf(" (SHA-256 %.12s…; audited)", res.SHA256)
	if res.EMLPath != "" {
		text += "; email draft " + filepath.Base(res.EMLPath)
	}
	if res.Linked != 0 {
		text += "; send it, then complete the request"
	}
	return text, nil
}

func (v *contactView) requestDialog() *dialog {
	kind, channel, note, received := requestKind{Type: gdpr.RequestAccess}, gdpr.ChannelEmail, "", ""
	op, id, st, now := v.c.operator, v.id, v.c.store, v.c.now
	var channels []huh.Option[gdpr.Channel]
	for _, c := range gdpr.Channels() {
		channels = append(channels, huh.NewOption(words(c), c))
	}
	day := receivedField(&received, now)
	return newDialog("New request from "+id.String(), func() tea.Cmd {
		return v.act(func() (string, error) {
			at, err := gdpr.ParseReceived(received, now())
			if err != nil {
				return "", err
			}
			r := gdpr.NewRequest(kind.Type, channel, at, nil)
			r.Contact, r.Note, r.Scope = id, strings.TrimSpace(note), kind.Scope
			rid, err := st.AddRequest(op, r)
			if err != nil {
				return "", fmt.Errorf("log the request: %w", err)
			}
			return fmt.Sprintf("Logged %s (%s), due %s", rid, kind.Type, r.Due.Format("2006-01-02")), nil
		})
	},
		huh.NewSelect[requestKind]().Title("Type").Options(requestKindOptions(false)...).Value(&kind),
		huh.NewSelect[gdpr.Channel]().Title("Channel").Options(channels...).Value(&channel),
		day,
		huh.NewInput().Title("Note").Description("what was asked (sealed with the request)").Value(&note),
	)
}

// view renders the contact, scrolled, or its open dialog.
func (v *contactView) view(w, h int) string {
	st := v.c.styles
	if v.dialog != nil {
		return v.dialog.view(w, h)
	}
	if !v.loaded {
		return st.Subtle.Render("loading " + v.id.String() + "…")
	}
	if v.err != nil {
		return st.Error.Render(v.err.Error()) + "\n\n" + st.Subtle.Render("esc goes back")
	}
	lines := v.lines(w)
	v.scroll = min(v.scroll, max(len(lines)-h, 0))
	return strings.Join(lines[v.scroll:], "\n")
}

func (v *contactView) lines(w int) []string {
	st := v.c.styles
	c := v.contact
	var out []string
	add := func(s ...string) { out = append(out, s...) }
	head := st.Title.Render(c.ID.String()+" "+plain(c.Name())) + "  " + st.Subtle.Render(string(c.Status))
	if c.Status == gdpr.ContactAnonymized {
		head = st.Title.Render(c.ID.String()+" (anonymized)") + "  " + st.Subtle.Render("erased "+c.AnonymizedAt.Format("2006-01-02"))
	}
	add(head, "")
	add(v.guardLines(w)...)
	kv := func(label, value string) string {
		return st.Label.Render(fmt.Sprintf("%-9s", label)) + " " + dash(value)
	}
	address := strings.TrimSpace(strings.Join(nonBlank(c.Street, strings.TrimSpace(c.PostalCode+" "+c.City), c.Region), ", "))
	country := c.Country
	if country != "" {
		country += " " + gdpr.CountryName(c.Country) + " (" + string(c.EU()) + " EU/EEA)"
	}
	left := []string{kv("Email", c.Email), kv("Phone", c.Phone), kv("Company", c.Company), kv("Address", address), kv("Country", country)}
	right := []string{kv("Source", c.Source), kv("Tags", strings.Join(c.Tags, ", ")), kv("Created", createdText(c)), kv("Updated", c.UpdatedAt.Format("2006-01-02")), kv("Notes", c.Notes)}
	if len(c.PastEmails) > 0 {
		left = append(left, kv("Earlier", strings.Join(c.PastEmails, ", ")))
	}
	if obs := c.Obligations(); len(obs) > 0 {
		right = append(right, kv("Owes", st.Warn.Render(gdpr.ObligationsText(obs))))
	}
	if w >= 100 {
		half := w / 2
		for i := range max(len(left), len(right)) {
			l, r := "", ""
			if i < len(left) {
				l = left[i]
			}
			if i < len(right) {
				r = right[i]
			}
			add(cell(l, half) + r)
		}
	} else {
		add(left...)
		add(right...)
	}

	add("", st.Header.Render("Lawful bases (Art. 6)"))
	if len(c.Bases) == 0 {
		add(st.Warn.Render("  none — without a basis this contact may not be processed; b adds one"))
	}
	for _, b := range c.Bases {
		ev := ""
		if b.Evidence != "" {
			ev = " · \"" + plain(b.Evidence) + "\""
		}
		add(fmt.Sprintf("  %-20s source %s%s · %s by %s", b.Basis.Label(), dash(b.Source), ev, b.At.Format("2006-01-02"), dash(b.By)))
	}

	add(v.standingConsents(st)...)

	add("", st.Header.Render("Consent history (Art. 7)"))
	if len(c.Consents) == 0 {
		add(st.Subtle.Render("  no consent recorded"))
	}
	for _, r := range c.Consents {
		what := st.Good.Render("granted  ")
		if !r.Granted {
			what = st.Warn.Render("withdrawn")
		}
		wording := st.Warn.Render("no wording recorded")
		if r.ConsentVersion > 0 || r.PolicyVersion > 0 {
			wording = fmt.Sprintf("consent text v%d, policy v%d", r.ConsentVersion, r.PolicyVersion)
		}
		add(fmt.Sprintf("  %s %s %-12s %s · %s", r.At.Format("2006-01-02"), what, plain(r.Purpose), wording, dash(r.Method)))
	}

	add("", st.Header.Render("Requests"))
	if len(v.requests) == 0 {
		add(st.Subtle.Render("  none"))
	}
	for _, r := range v.requests {
		add("  " + requestLine(st, r, v.c.now()))
	}

	add("", st.Header.Render("Audit trail"))
	for _, e := range v.audit {
		add(trailLine(v.c, e))
	}
	return out
}

// createdText is when a contact was created; an anonymized record keeps
// only the year (the rest of the date is erased), so only the year is said.
func createdText(c gdpr.Contact) string {
	if c.Status == gdpr.ContactAnonymized {
		return c.CreatedAt.Format("2006") + " (year only)"
	}
	return c.CreatedAt.Format("2006-01-02")
}
