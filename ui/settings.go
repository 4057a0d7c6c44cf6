package ui

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"charm.land/huh/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/gdprdesk/gdprdesk/gdpr"
)

// settings shows and edits the controller's compliance settings: the roles,
// the DPA, the privacy policy, purposes and retention, the recipients, the
// source rules and the versions of the privacy policy and consent wording.
// A cursor moves over rows; each row is edited in a small form, and every
// save is one audited store transaction.
type settings struct {
	c        *common
	s        gdpr.Settings
	rules    []gdpr.SourceRule
	policies []gdpr.PolicyVersion
	// recipients is the recipients register (SPEC §10): the one list the
	// access packages, Art. 19 and dpa-each-processor read.
	recipients []gdpr.Recipient
	loaded     bool

	cur    cursor
	top    int // first line shown
	width  int // columns of the terminal, for the forms
	height int // lines of the body, for paging
	focus  string

	dialog  *dialog
	reading *gdpr.PolicyVersion // the version whose full text is shown
	readTop int
	// editing is the text in the owner's editor ($EDITOR), if any: a new
	// version of kind, starting from from.
	editing *policyEdit
}

// policyEdit is a policy text out in the editor.
type policyEdit struct {
	kind gdpr.PolicyKind
	from gdpr.PolicyVersion
}

func newSettings(c *common) *settings { return &settings{c: c, width: 80, height: 20} }

func (s *settings) Title() string   { return "Settings" }
func (s *settings) Capturing() bool { return s.dialog != nil }
func (s *settings) Busy() string    { return "" }

// The sections of the screen, top to bottom.
const (
	secRoles = iota
	secProcessing
	secRecipients
	secRules
	secPolicies
)

// rowKind says what a row of the screen edits.
type rowKind int

const (
	rowRole rowKind = iota
	rowDPA
	rowURL
	rowPurposes
	rowRetention
	rowTimeZone
	rowRecipient
	rowAddRecipient
	rowRule
	rowAddRule
	rowPolicy
	rowAddPolicy
)

// setRow is one line the cursor can rest on: i indexes the roles,
// recipients, rules or policy versions; kind is the text an add-policy row
// makes a version of.
type setRow struct {
	what    rowKind
	section int
	i       int
	kind    gdpr.PolicyKind
}

// roleDef is one appointed role: its label, its name in messages, and the
// field of the settings that holds it.
type roleDef struct {
	label, title, name, id string
	field                  func(*gdpr.Settings) *gdpr.Person
}

// roleDefs lists the roles in the order the screen shows them. It is a
// function, not a variable, so no package state can be changed.
func roleDefs() []roleDef {
	return []roleDef{
		{"Controller", "The controller (the business)", "the controller", "controller", func(x *gdpr.Settings) *gdpr.Person { return &x.Controller }},
		{"DPO (Art. 37)", "Data Protection Officer (Art. 37)", "the DPO", "dpo", func(x *gdpr.Settings) *gdpr.Person { return &x.DPO }},
		{"Security officer", "Chief Data Security Officer", "the security officer", "cdso", func(x *gdpr.Settings) *gdpr.Person { return &x.CDSO }},
		{"EU rep. (Art. 27)", "EU representative (Art. 27)", "the EU representative", "eu-rep", func(x *gdpr.Settings) *gdpr.Person { return &x.EURep }},
	}
}

// rows lists the rows from what is loaded, in screen order.
func (s *settings) rows() []setRow {
	var out []setRow
	for i := range roleDefs() {
		out = append(out, setRow{what: rowRole, section: secRoles, i: i})
	}
	for _, k := range []rowKind{rowDPA, rowURL, rowPurposes, rowRetention, rowTimeZone} {
		out = append(out, setRow{what: k, section: secProcessing})
	}
	for i := range s.recipients {
		out = append(out, setRow{what: rowRecipient, section: secRecipients, i: i})
	}
	out = append(out, setRow{what: rowAddRecipient, section: secRecipients})
	for i := range s.rules {
		out = append(out, setRow{what: rowRule, section: secRules, i: i})
	}
	out = append(out, setRow{what: rowAddRule, section: secRules})
	for i := range s.policies {
		out = append(out, setRow{what: rowPolicy, section: secPolicies, i: i})
	}
	out = append(out, setRow{what: rowAddPolicy, section: secPolicies, kind: gdpr.PolicyPrivacy},
		setRow{what: rowAddPolicy, section: secPolicies, kind: gdpr.PolicyConsent})
	return out
}

// id names a row across reloads, so the cursor can land on what was just
// saved even when rows moved.
func (s *settings) id(r setRow) string {
	switch r.what {
	case rowRole:
		return "role:" + roleDefs()[r.i].id
	case rowDPA:
		return "dpa"
	case rowURL:
		return "url"
	case rowPurposes:
		return "purposes"
	case rowRetention:
		return "retention"
	case rowTimeZone:
		return "timezone"
	case rowRecipient:
		return "recipient:" + s.recipients[r.i].Name
	case rowAddRecipient:
		return "add:recipient"
	case rowRule:
		return "rule:" + s.rules[r.i].Source
	case rowAddRule:
		return "add:rule"
	case rowPolicy:
		p := s.policies[r.i]
		return fmt.Sprintf("policy:%s:%d", p.Kind, p.Version)
	}
	return "add:policy:" + string(r.kind)
}

// selected is the row under the cursor.
func (s *settings) selected() (setRow, bool) {
	rows := s.rows()
	if !s.loaded || len(rows) == 0 {
		return setRow{}, false
	}
	return rows[min(max(s.cur.sel, 0), len(rows)-1)], true
}

func (s *settings) Help() []key.Binding {
	k := s.c.keys
	if s.dialog != nil {
		return s.dialog.help()
	}
	if s.reading != nil {
		edit := k.Edit
		edit.SetHelp("e", "new version from this text")
		return []key.Binding{k.Back, k.Up, k.Down, k.PageUp, k.PageDown, edit, editorKey(s.c)}
	}
	r, ok := s.selected()
	// enter and e both edit most rows: one entry says so. On a version,
	// enter reads the text and e starts a new version from it.
	open, edit, add, del := k.Open, k.Edit, k.Add, k.Delete
	open.SetHelp("enter/e", "edit")
	edit.SetEnabled(false)
	add.SetEnabled(false)
	del.SetEnabled(false)
	if ok {
		switch r.section {
		case secRecipients:
			add.SetHelp("a", "add a recipient")
			add.SetEnabled(true)
		case secRules:
			add.SetHelp("a", "add a source rule")
			add.SetEnabled(true)
		case secPolicies:
			add.SetHelp("a", "new version")
			add.SetEnabled(true)
		}
		switch r.what {
		case rowRecipient:
			del.SetHelp("d", "delete the recipient")
			del.SetEnabled(true)
		case rowRule:
			del.SetHelp("d", "delete the rule")
			del.SetEnabled(true)
		case rowPolicy:
			open.SetHelp("enter", "read the text")
			edit.SetHelp("e", "new version from it")
			edit.SetEnabled(true)
		case rowAddRecipient, rowAddRule, rowAddPolicy:
			open.SetHelp("enter", "add")
		}
	}
	editor := editorKey(s.c)
	if !ok || (r.what != rowPolicy && r.what != rowAddPolicy) {
		editor.SetEnabled(false)
	}
	return []key.Binding{open, edit, add, editor, del, k.Up, k.Down, k.PageUp, k.PageDown, k.Home, k.End}
}

// settingsMsg carries what the screen shows.
type settingsMsg struct {
	s          gdpr.Settings
	rules      []gdpr.SourceRule
	policies   []gdpr.PolicyVersion
	recipients []gdpr.Recipient
	err        error
}

// settingsDoneMsg ends a change made on the settings screen: what names it
// for an error ("save the DPO"), focus is the row to put the cursor on.
type settingsDoneMsg struct {
	text, what, focus string
	err               error
}

func (s *settings) Init() tea.Cmd { return s.load() }

// load reads what the screen shows, in the background.
func (s *settings) load() tea.Cmd { return s.c.io(s.read) }

func (s *settings) read() tea.Msg {
	var m settingsMsg
	if m.s, m.err = s.c.store.Settings(); m.err != nil {
		return m
	}
	if m.rules, m.err = s.c.store.SourceRules(); m.err != nil {
		return m
	}
	if m.recipients, m.err = s.c.store.Recipients(); m.err != nil {
		return m
	}
	m.policies, m.err = s.c.store.PolicyVersions()
	return m
}

func (s *settings) Update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case settingsMsg:
		if msg.err != nil {
			return failed("read settings", msg.err)
		}
		s.s, s.rules, s.policies, s.recipients, s.loaded = msg.s, msg.rules, msg.policies, msg.recipients, true
		rows := s.rows()
		if s.focus != "" {
			for i, r := range rows {
				if s.id(r) == s.focus {
					s.cur.sel = i
					// A version recorded from the text being read is
					// the one shown now, not the one it started from.
					if r.what == rowPolicy && s.reading != nil {
						p := s.policies[r.i]
						s.reading, s.readTop = &p, 0
					}
				}
			}
			s.focus = ""
		}
		s.cur.sel = min(max(s.cur.sel, 0), len(rows)-1)
		return nil
	case settingsDoneMsg:
		if msg.err != nil {
			return failed(msg.what, msg.err)
		}
		s.focus = msg.focus
		return tea.Batch(done(msg.text), changed)
	case editedMsg:
		e := s.editing
		s.editing = nil
		if e == nil {
			return nil
		}
		if msg.err != nil {
			return failed("$EDITOR", msg.err)
		}
		text := strings.TrimRight(msg.text, " \t\r\n")
		return s.open(func() *dialog { return s.policyDialogText(e.kind, e.from, text, true) })
	case changedMsg:
		return s.load()
	case switchMsg:
		if msg.to == tabSettings {
			return s.load()
		}
		return nil
	case tea.WindowSizeMsg:
		// The root keeps four lines for the tabs, rule, footer and status.
		s.width, s.height = msg.Width, max(msg.Height-4, 1)
		return nil
	case tea.MouseWheelMsg:
		if s.dialog != nil {
			break
		}
		step := 1
		if msg.Button == tea.MouseWheelUp {
			step = -1
		}
		if s.reading != nil {
			s.readTop = max(s.readTop+3*step, 0)
		} else {
			s.cur.sel = min(max(s.cur.sel+step, 0), max(len(s.rows())-1, 0))
		}
		return nil
	case tea.KeyPressMsg:
		return s.key(msg)
	}
	return stepOverlay(&s.dialog, msg)
}

func (s *settings) key(msg tea.KeyPressMsg) tea.Cmd {
	if s.dialog != nil {
		return stepOverlay(&s.dialog, msg)
	}
	k := s.c.keys
	if s.reading != nil {
		page := max(s.height-4, 1)
		switch {
		case key.Matches(msg, k.Back):
			s.reading = nil
		case key.Matches(msg, k.Up):
			s.readTop = max(s.readTop-1, 0)
		case key.Matches(msg, k.Down):
			s.readTop++
		case key.Matches(msg, k.PageUp):
			s.readTop = max(s.readTop-page, 0)
		case key.Matches(msg, k.PageDown):
			s.readTop += page
		case key.Matches(msg, k.Home):
			s.readTop = 0
		case key.Matches(msg, k.End):
			s.readTop = 1 << 30 // View clamps it to the last page
		case key.Matches(msg, k.Edit):
			p := *s.reading
			return s.open(func() *dialog { return s.policyDialog(p.Kind, p) })
		case key.Matches(msg, editorKey(s.c)):
			return s.inEditor(s.reading.Kind, *s.reading)
		}
		return nil
	}
	if !s.loaded {
		return nil
	}
	rows := s.rows()
	if s.cur.move(k, msg, len(rows), s.height) {
		return nil
	}
	r, ok := s.selected()
	if !ok {
		return nil
	}
	switch {
	case key.Matches(msg, k.Open) && r.what == rowPolicy:
		p := s.policies[r.i]
		s.reading, s.readTop = &p, 0
		return nil
	case key.Matches(msg, editorKey(s.c)) && r.what == rowPolicy:
		return s.inEditor(s.policies[r.i].Kind, s.policies[r.i])
	case key.Matches(msg, editorKey(s.c)) && r.what == rowAddPolicy:
		return s.inEditor(r.kind, s.latest(r.kind))
	case key.Matches(msg, k.Open, k.Edit):
		if key.Matches(msg, k.Edit) && (r.what == rowAddRecipient || r.what == rowAddRule || r.what == rowAddPolicy) {
			return status("nothing to edit on this row: enter or a adds")
		}
		return s.open(func() *dialog { return s.editDialog(r) })
	case key.Matches(msg, k.Add):
		switch r.section {
		case secRecipients:
			return s.open(func() *dialog { return s.recipientDialog(-1) })
		case secRules:
			return s.open(func() *dialog { return s.ruleDialog(-1) })
		case secPolicies:
			kind := r.kind
			if r.what == rowPolicy {
				kind = s.policies[r.i].Kind
			}
			return s.open(func() *dialog { return s.policyDialog(kind, s.latest(kind)) })
		}
		return status("nothing to add here: enter edits the row")
	case key.Matches(msg, k.Delete):
		switch r.what {
		case rowRecipient:
			return s.open(func() *dialog { return s.deleteRecipientDialog(r.i) })
		case rowRule:
			return s.open(func() *dialog { return s.deleteRuleDialog(r.i) })
		case rowPolicy:
			return s.c.refuse("deleting a policy version (Art. 7(1))", "policy versions are kept for good, as proof of what people agreed to (Art. 7(1))")
		}
		return status("only recipients and source rules can be deleted; enter edits this row")
	}
	return nil
}

// open opens a form when the operator may change settings; otherwise the
// reason is shown instead of the form.
func (s *settings) open(build func() *dialog) tea.Cmd {
	if ok, cmd := s.c.mayDo(gdpr.ActionSettingsEdit); !ok {
		return cmd
	}
	d := build()
	// Sized before its first frame: a text field wraps its first lines at
	// the width it had when it was filled.
	d.form.WithWidth(min(s.width-4, 76)).WithHeight(max(s.height-2, 6))
	return openDialog(s.c, &s.dialog, d)
}

// inEditor opens a new version of a policy text, starting from from, in
// the owner's editor; the form to record it follows with the text written
// there (editedMsg).
func (s *settings) inEditor(kind gdpr.PolicyKind, from gdpr.PolicyVersion) tea.Cmd {
	if ok, cmd := s.c.mayDo(gdpr.ActionSettingsEdit); !ok {
		return cmd
	}
	if s.editing != nil {
		return status("the editor is open already")
	}
	s.editing = &policyEdit{kind: kind, from: from}
	return s.c.editText(from.Text)
}

// editDialog is the form of the row under the cursor.
func (s *settings) editDialog(r setRow) *dialog {
	switch r.what {
	case rowRole:
		return s.roleDialog(roleDefs()[r.i])
	case rowDPA:
		return s.dpaDialog()
	case rowURL:
		return s.urlDialog()
	case rowPurposes:
		return s.textDialog("purposes", "Purposes of processing (Art. 13(1)(c), Art. 15(1)(a))",
			"what the data is used for, in plain words; shown in every access package",
			func(x *gdpr.Settings) *string { return &x.Purposes })
	case rowRetention:
		return s.textDialog("retention", "Retention (Art. 13(2)(a), Art. 15(1)(d))",
			"how long each kind of data is kept; shown in every access package",
			func(x *gdpr.Settings) *string { return &x.Retention })
	case rowTimeZone:
		return s.zoneDialog()
	case rowRecipient:
		return s.recipientDialog(r.i)
	case rowAddRecipient:
		return s.recipientDialog(-1)
	case rowRule:
		return s.ruleDialog(r.i)
	case rowAddRule:
		return s.ruleDialog(-1)
	case rowPolicy:
		p := s.policies[r.i]
		return s.policyDialog(p.Kind, p)
	}
	return s.policyDialog(r.kind, s.latest(r.kind))
}

// act runs a store change in the background and reports it.
func (s *settings) act(what, focus string, fn func() (string, error)) tea.Cmd {
	return s.c.io(func() tea.Msg {
		text, err := fn()
		return settingsDoneMsg{text: text, what: what, focus: focus, err: err}
	})
}

// save re-reads the settings, applies one edit to them and saves them in
// one audited transaction, so a change made meanwhile in another session
// to other fields is kept. An edit that fails saves nothing.
func (s *settings) save(noun, focus string, edit func(x *gdpr.Settings) error) tea.Cmd {
	st, op := s.c.store, s.c.operator
	return s.act("save "+noun, focus, func() (string, error) {
		cur, err := st.Settings()
		if err != nil {
			return "", err
		}
		before, _ := json.Marshal(cur)
		if err := edit(&cur); err != nil {
			return "", err
		}
		// Compared as stored (JSON), so an empty list and no list are the same.
		if after, _ := json.Marshal(cur); string(before) == string(after) {
			return "No change to " + noun + "; nothing saved", nil
		}
		if err := st.SaveSettings(op, cur); err != nil {
			return "", err
		}
		return "Saved " + noun, nil
	})
}

// optionalEmail accepts an empty address or a valid one.
func optionalEmail(s string) error {
	if strings.TrimSpace(s) == "" {
		return nil
	}
	_, err := gdpr.NormalizeEmail(s)
	return err
}

func normalizeOptionalEmail(s string) (string, error) {
	if strings.TrimSpace(s) == "" {
		return "", nil
	}
	return gdpr.NormalizeEmail(s)
}

func (s *settings) roleDialog(r roleDef) *dialog {
	p := *r.field(&s.s)
	return newDialog("Edit "+r.title, func() tea.Cmd {
		return s.save(r.name, "role:"+r.id, func(x *gdpr.Settings) error {
			email, err := normalizeOptionalEmail(p.Email)
			if err != nil {
				return err
			}
			*r.field(x) = gdpr.Person{Name: strings.TrimSpace(p.Name), Email: email, Address: strings.TrimSpace(p.Address)}
			return nil
		})
	},
		huh.NewInput().Title("Name    ").Value(&p.Name).Inline(true),
		huh.NewInput().Title("Email   ").Value(&p.Email).Inline(true).Validate(optionalEmail),
		huh.NewInput().Title("Address ").Value(&p.Address).Inline(true),
		huh.NewNote().Description("Address: street, postcode and city, country.\nLeave every field empty to record that the role is not appointed."),
	)
}

// parseDay reads a date as YYYY-MM-DD, at midnight UTC.
func parseDay(s string) (time.Time, error) {
	t, err := time.Parse("2006-01-02", strings.TrimSpace(s))
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is not a date: write it as YYYY-MM-DD", strings.TrimSpace(s))
	}
	return t, nil
}

func (s *settings) dpaDialog() *dialog {
	by, date := s.s.DPASignedBy, ""
	if !s.s.DPASignedAt.IsZero() {
		date = s.s.DPASignedAt.Format("2006-01-02")
	}
	today := gdpr.Day(s.c.now())
	checkDate := func(d string) error {
		switch {
		case strings.TrimSpace(by) == "" && strings.TrimSpace(d) == "":
			return nil
		case strings.TrimSpace(by) == "":
			return errors.New("name who signed it, or clear the date")
		case strings.TrimSpace(d) == "":
			return errors.New("the date it was signed is needed (YYYY-MM-DD)")
		}
		t, err := parseDay(d)
		if err != nil {
			return err
		}
		if t.After(today) {
			return errors.New("that date is in the future")
		}
		return nil
	}
	return newDialog("Data processing agreement (Art. 28)", func() tea.Cmd {
		return s.save("the DPA", "dpa", func(x *gdpr.Settings) error {
			if err := checkDate(date); err != nil {
				return err
			}
			x.DPASignedBy, x.DPASignedAt = strings.TrimSpace(by), time.Time{}
			if x.DPASignedBy != "" {
				x.DPASignedAt, _ = parseDay(date)
			}
			return nil
		})
	},
		huh.NewInput().Title("Signed by").Description("who signed the agreement with your processors").Value(&by),
		huh.NewInput().Title("Signed on").Description("YYYY-MM-DD; leave both empty if not signed").Value(&date).Validate(checkDate),
	)
}

// checkURL accepts an empty address or an http(s) one.
func checkURL(s string) error {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return errors.New("write the full address, e.g. https://example.com/privacy")
	}
	return nil
}

func (s *settings) urlDialog() *dialog {
	u := s.s.PrivacyPolicyURL
	return newDialog("Privacy policy (Art. 13)", func() tea.Cmd {
		return s.save("the privacy-policy address", "url", func(x *gdpr.Settings) error {
			if err := checkURL(u); err != nil {
				return err
			}
			x.PrivacyPolicyURL = strings.TrimSpace(u)
			return nil
		})
	}, huh.NewInput().Title("Web address").Description("https://…, where the privacy policy is published; linked wherever data is collected").
		Value(&u).Validate(checkURL))
}

// zoneDialog sets the time zone the desk shows times in (an IANA name;
// empty is this machine's zone). Dates stay dates; exports keep UTC.
func (s *settings) zoneDialog() *dialog {
	v := s.s.TimeZone
	check := func(v string) error { _, err := gdpr.ParseTimeZone(v); return err }
	return newDialog("Time zone of the desk", func() tea.Cmd {
		return s.save("the time zone", "timezone", func(x *gdpr.Settings) error {
			tz, err := gdpr.ParseTimeZone(v)
			x.TimeZone = tz
			return err
		})
	}, huh.NewInput().Title("Time zone").Description("an IANA name such as Europe/Berlin; empty: this machine's ("+s.c.now().In(s.c.local).Format("MST")+")").
		Value(&v).Validate(check))
}

// textDialog edits a free text of the settings (purposes, retention).
func (s *settings) textDialog(noun, title, desc string, field func(*gdpr.Settings) *string) *dialog {
	v := *field(&s.s)
	return newDialog(title, func() tea.Cmd {
		return s.save("the "+noun, noun, func(x *gdpr.Settings) error {
			*field(x) = strings.TrimSpace(v)
			return nil
		})
	}, newText().Title(strings.ToUpper(noun[:1])+noun[1:]).Description(desc).Lines(5).CharLimit(4000).Value(&v))
}

// newText is a multi-line field without the external editor: over SSH the
// editor would start on the server, not at the operator's terminal.
func newText() *huh.Text { return huh.NewText().ExternalEditor(false) }

// recipientDialog adds or edits an entry of the recipients register: name,
// role, service, country, purposes, DPA date and transfer safeguard.
func (s *settings) recipientDialog(i int) *dialog {
	var orig gdpr.Recipient
	title := "Add a recipient (Art. 13(1)(e), Art. 19, Art. 28)"
	if i >= 0 {
		orig = s.recipients[i]
		title = "Edit the recipient " + plain(orig.Name)
	}
	r := orig
	role, country, purposes, dpa, safeguard := string(orig.Role), orig.Country, strings.Join(orig.Purposes, ", "), "", string(orig.Safeguard)
	if !orig.DPASignedAt.IsZero() {
		dpa = orig.DPASignedAt.Format(time.DateOnly)
	}
	names := make([]string, 0, len(s.recipients))
	for j, x := range s.recipients {
		if j != i {
			names = append(names, strings.ToLower(strings.TrimSpace(x.Name)))
		}
	}
	checkName := func(n string) error {
		if strings.TrimSpace(n) == "" {
			return errors.New("the recipient's name is needed")
		}
		if slices.Contains(names, strings.ToLower(strings.TrimSpace(n))) {
			return fmt.Errorf("%s is recorded already", strings.TrimSpace(n))
		}
		return nil
	}
	// The contact may be a web form or a phone number; only what looks
	// like an email address is checked as one.
	checkContact := func(c string) error {
		if strings.Contains(c, "@") && !strings.Contains(c, "://") {
			return optionalEmail(c)
		}
		return nil
	}
	checkRole := func(v string) error { _, err := gdpr.ParseRecipientRole(v); return err }
	checkCountry := func(v string) error {
		if strings.TrimSpace(v) == "" {
			return nil
		}
		_, err := gdpr.NormalizeCountry(v)
		return err
	}
	checkDate := func(v string) error {
		if strings.TrimSpace(v) == "" {
			return nil
		}
		_, err := time.Parse(time.DateOnly, strings.TrimSpace(v))
		return err
	}
	checkSafeguard := func(v string) error {
		if strings.TrimSpace(v) == "" {
			return nil
		}
		_, err := gdpr.ParseSafeguard(v)
		return err
	}
	st, op := s.c.store, s.c.operator
	return newDialog(title, func() tea.Cmd {
		r.Name, r.Contact, r.Service = strings.TrimSpace(r.Name), strings.TrimSpace(r.Contact), strings.TrimSpace(r.Service)
		if strings.Contains(r.Contact, "@") && !strings.Contains(r.Contact, "://") {
			r.Contact, _ = gdpr.NormalizeEmail(r.Contact)
		}
		r.Role, _ = gdpr.ParseRecipientRole(role)
		r.Country = ""
		if strings.TrimSpace(country) != "" {
			r.Country, _ = gdpr.NormalizeCountry(country)
		}
		r.Purposes = nil
		for _, p := range strings.Split(purposes, ",") {
			if p = strings.TrimSpace(p); p != "" {
				r.Purposes = append(r.Purposes, p)
			}
		}
		r.DPASignedAt = time.Time{}
		if strings.TrimSpace(dpa) != "" {
			r.DPASignedAt, _ = time.Parse(time.DateOnly, strings.TrimSpace(dpa))
		}
		r.Safeguard, _ = gdpr.ParseSafeguard(safeguard)
		if strings.TrimSpace(safeguard) == "" {
			r.Safeguard = ""
		}
		noun := "the recipient " + r.Name
		return s.act("save "+noun, "recipient:"+r.Name, func() (string, error) {
			if err := checkName(r.Name); err != nil {
				return "", err
			}
			if err := st.SaveRecipient(op, r); err != nil {
				return "", err
			}
			// A renamed entry is a new one; the old name goes.
			if i >= 0 && !strings.EqualFold(orig.Name, r.Name) {
				if err := st.DeleteRecipient(op, orig.Name); err != nil {
					return "", err
				}
			}
			return "Saved " + noun, nil
		})
	},
		huh.NewInput().Title("Name      ").Value(&r.Name).Inline(true).Validate(checkName),
		huh.NewInput().Title("Role      ").Value(&role).Inline(true).Validate(checkRole).Placeholder("processor, controller or joint"),
		huh.NewInput().Title("Service   ").Value(&r.Service).Inline(true).Placeholder("e.g. newsletter delivery"),
		huh.NewInput().Title("Country   ").Value(&country).Inline(true).Validate(checkCountry),
		huh.NewInput().Title("Purposes  ").Value(&purposes).Inline(true).Placeholder("names from the purposes register, comma-separated"),
		huh.NewInput().Title("DPA date  ").Value(&dpa).Inline(true).Validate(checkDate).Placeholder("YYYY-MM-DD, for a processor (Art. 28(3))"),
		huh.NewInput().Title("Safeguard ").Value(&safeguard).Inline(true).Validate(checkSafeguard).Placeholder("outside the EEA: adequacy, scc, bcr or derogation"),
		huh.NewInput().Title("Contact   ").Value(&r.Contact).Inline(true).Validate(checkContact),
		huh.NewNote().Description("Recipients are named in access packages (through their purposes) and told of rectifications, erasures and restrictions (Art. 19)."),
	)
}

func (s *settings) deleteRecipientDialog(i int) *dialog {
	orig := s.recipients[i]
	sure := false
	st, op := s.c.store, s.c.operator
	return newDialog("Delete the recipient "+orig.Name, func() tea.Cmd {
		if !sure {
			return status("kept " + orig.Name + "; nothing changed")
		}
		return s.act("delete the recipient "+orig.Name, "add:recipient", func() (string, error) {
			if err := st.DeleteRecipient(op, orig.Name); err != nil {
				return "", err
			}
			return "Deleted the recipient " + orig.Name, nil
		})
	}, huh.NewConfirm().Title("Delete "+orig.Name+" from the recipients?").
		Description("Requests already closed keep their record of who was told.").
		Affirmative("Delete").Negative("Keep").Value(&sure))
}

func (s *settings) ruleDialog(i int) *dialog {
	r := gdpr.SourceRule{Basis: gdpr.BasisConsent}
	title := "Add a source rule: contacts from this source get this basis"
	if i >= 0 {
		r = s.rules[i]
		title = "Edit the source rule for " + plain(r.Source)
	}
	var bases []huh.Option[gdpr.Basis]
	for _, b := range gdpr.Bases() {
		bases = append(bases, huh.NewOption(b.Label(), b))
	}
	op, st := s.c.operator, s.c.store
	submit := func() tea.Cmd {
		r.Source, r.Evidence = gdpr.NormalizeSource(r.Source), strings.TrimSpace(r.Evidence)
		return s.act("save the source rule", "rule:"+r.Source, func() (string, error) {
			if err := r.Validate(); err != nil {
				return "", err
			}
			if err := st.SetSourceRule(op, r); err != nil {
				return "", err
			}
			return fmt.Sprintf("Saved the rule %s → %s", r.Source, r.Basis.Label()), nil
		})
	}
	basis := huh.NewSelect[gdpr.Basis]().Title("Lawful basis (Art. 6(1))").Options(bases...).Value(&r.Basis)
	evidence := huh.NewInput().Title("Evidence").Description("recorded on each assignment the rule makes, e.g. signup form, consent box ticked; nothing personal").
		Value(&r.Evidence)
	if i >= 0 {
		// The source is the rule's key: renaming would be a delete and an
		// add in two transactions, so it is delete, then add, by hand.
		return newDialog(title, submit, basis, evidence)
	}
	existing := make([]string, 0, len(s.rules))
	for _, x := range s.rules {
		existing = append(existing, x.Source)
	}
	source := huh.NewInput().Title("Source").Description("a contact's source label, e.g. webform:newsletter, purchase, in_person").
		Value(&r.Source).Validate(func(v string) error {
		v = gdpr.NormalizeSource(v)
		if v == "" {
			return errors.New("the source label is needed")
		}
		if slices.Contains(existing, v) {
			return fmt.Errorf("%s has a rule already: edit it instead", v)
		}
		return nil
	})
	return newDialog(title, submit, source, basis, evidence)
}

func (s *settings) deleteRuleDialog(i int) *dialog {
	r := s.rules[i]
	sure := false
	op, st := s.c.operator, s.c.store
	return newDialog("Delete the source rule for "+plain(r.Source), func() tea.Cmd {
		if !sure {
			return status("kept the rule for " + r.Source + "; nothing changed")
		}
		return s.act("delete the source rule", "add:rule", func() (string, error) {
			if err := st.DeleteSourceRule(op, r.Source); err != nil {
				return "", err
			}
			return "Deleted the rule for " + r.Source, nil
		})
	}, huh.NewConfirm().Title("Delete the rule "+plain(r.Source)+" → "+r.Basis.Label()+"?").
		Description("Contacts keep the bases they were given; new ones from this source get none.").
		Affirmative("Delete").Negative("Keep").Value(&sure))
}

// latest is the newest version of a kind (zero when there is none).
func (s *settings) latest(kind gdpr.PolicyKind) gdpr.PolicyVersion {
	var out gdpr.PolicyVersion
	for _, p := range s.policies {
		if p.Kind == kind && p.Version > out.Version {
			out = p
		}
	}
	return out
}

// kindName is a policy kind in words.
func kindName(k gdpr.PolicyKind) string {
	if k == gdpr.PolicyConsent {
		return "consent text"
	}
	return "privacy policy"
}

// policyDialog records a new version of a text, starting from another
// version's text. Versions are never changed: the old wording stays the
// proof of what people agreed to.
func (s *settings) policyDialog(kind gdpr.PolicyKind, from gdpr.PolicyVersion) *dialog {
	return s.policyDialogText(kind, from, from.Text, false)
}

// policyDialogText is policyDialog with the text to start from: a
// version's, or what came back from the editor (edited).
func (s *settings) policyDialogText(kind gdpr.PolicyKind, from gdpr.PolicyVersion, text string, edited bool) *dialog {
	latest := s.latest(kind)
	next := latest.Version + 1
	date := s.c.now().Format("2006-01-02")
	now := s.c.now
	checkText := func(t string) error {
		switch strings.TrimSpace(t) {
		case "":
			return errors.New("the text is needed")
		case strings.TrimSpace(latest.Text):
			return fmt.Errorf("this is the text of v%d already", latest.Version)
		}
		return nil
	}
	// effective reads the date: today means now, so the version is in
	// force at once; another day starts at midnight UTC. It may not come
	// before the latest version, or the order of the wording would be lost.
	effective := func(d string) (time.Time, error) {
		t, err := parseDay(d)
		if err != nil {
			return t, err
		}
		if t.Equal(gdpr.Day(now())) {
			t = now().UTC()
		}
		if latest.Version > 0 && t.Before(latest.EffectiveAt) {
			return t, fmt.Errorf("v%d is effective from %s: a new version cannot start before it", latest.Version, latest.EffectiveAt.Format("2006-01-02"))
		}
		return t, nil
	}
	desc := "the full wording; alt+enter or ctrl+j starts a new line"
	switch {
	case edited:
		desc = "as written in your editor; alt+enter or ctrl+j starts a new line"
	case from.Version > 0:
		desc = fmt.Sprintf("starts from v%d; alt+enter or ctrl+j starts a new line", from.Version)
	}
	name := kindName(kind)
	op, st := s.c.operator, s.c.store
	return newDialog(fmt.Sprintf("New %s version (v%d): earlier versions stay readable", name, next), func() tea.Cmd {
		t := strings.TrimSpace(text)
		return s.act("record the "+name, fmt.Sprintf("policy:%s:%d", kind, next), func() (string, error) {
			if err := checkText(t); err != nil {
				return "", err
			}
			at, err := effective(date)
			if err != nil {
				return "", err
			}
			pv, err := st.AddPolicyVersion(op, kind, t, at)
			if err != nil {
				return "", err
			}
			return fmt.Sprintf("Recorded %s v%d, effective %s, SHA-256 %.12s…", name, pv.Version, pv.EffectiveAt.Format("2006-01-02"), pv.SHA256), nil
		})
	},
		newText().Title("Text").Description(desc).Lines(6).Value(&text).Validate(checkText),
		huh.NewInput().Title("Effective from").Description("YYYY-MM-DD; today takes effect at once").Value(&date).
			Validate(func(d string) error { _, err := effective(d); return err }),
	)
}

// View renders the settings, the open form, or a version's full text.
func (s *settings) View(w, h int) string {
	st := s.c.styles
	if s.dialog != nil {
		return s.dialog.view(w, h)
	}
	if s.reading != nil {
		return s.readView(w, h)
	}
	if !s.loaded {
		return st.Subtle.Render("loading…")
	}
	headers := []string{
		secRoles:      "Roles",
		secProcessing: "Agreement, policy and processing",
		secRecipients: "Recipients (third parties who receive data)",
		secRules:      "Source rules (source → lawful basis on import)",
		secPolicies:   "Policy and consent-text versions",
	}
	hints := []string{
		secRecipients: "a adds · d deletes",
		secRules:      "a adds · d deletes",
		secPolicies:   "enter reads · e or a makes a new version",
	}
	var lines []string
	rows := s.rows()
	sel := min(max(s.cur.sel, 0), len(rows)-1)
	selLine, anchor := 0, 0
	section := -1
	for i, r := range rows {
		if r.section != section {
			if section >= 0 {
				lines = append(lines, "")
			}
			section = r.section
			head := st.Header.Render(headers[section])
			if hints[section] != "" {
				head += "  " + st.Subtle.Render(hints[section])
			}
			lines = append(lines, head)
			if i == sel {
				anchor = len(lines) - 1 // the first row brings its header along
			}
		} else if i == sel {
			anchor = len(lines)
		}
		line := s.rowText(r, w-2)
		if i == sel {
			selLine = len(lines)
			// A marker as well as the reverse, so the cursor shows without colour.
			line = st.Selected.Render(cell("› "+ansi.Strip(line), w))
		} else {
			line = "  " + line
		}
		lines = append(lines, ansi.Truncate(line, w, "…"))
	}
	s.top = min(s.top, anchor)
	if selLine >= s.top+h {
		s.top = selLine - h + 1
	}
	s.top = max(min(s.top, len(lines)-h), 0)
	return strings.Join(lines[s.top:min(s.top+h, len(lines))], "\n")
}

// labelW is the width of the labels column.
const labelW = 19

// rowText renders one row in w cells, without the cursor.
func (s *settings) rowText(r setRow, w int) string {
	st := s.c.styles
	x := s.s
	label := func(l string) string { return st.Label.Render(cell(l, labelW)) }
	notSet := st.Warn.Render("not set")
	oneLine := func(v string) string { return plain(strings.Join(strings.Fields(v), " ")) }
	rest := max(w-labelW, 10)
	switch r.what {
	case rowRole:
		d := roleDefs()[r.i]
		p := *d.field(&x)
		if !p.Filled() && strings.TrimSpace(p.Address) == "" {
			return label(d.label) + notSet
		}
		return label(d.label) + cell(plain(strings.Join(nonBlank(p.Name, p.Email, p.Address), " · ")), rest)
	case rowDPA:
		if x.DPASignedBy == "" {
			return label("DPA (Art. 28)") + st.Warn.Render("not signed")
		}
		return label("DPA (Art. 28)") + cell("signed by "+plain(x.DPASignedBy)+" on "+x.DPASignedAt.Format("2006-01-02"), rest)
	case rowURL:
		if x.PrivacyPolicyURL == "" {
			return label("Privacy policy") + notSet
		}
		return label("Privacy policy") + cell(plain(x.PrivacyPolicyURL), rest)
	case rowTimeZone:
		if x.TimeZone == "" {
			return label("Time zone") + "this machine's (" + s.c.now().In(s.c.local).Format("MST") + ")"
		}
		return label("Time zone") + cell(plain(x.TimeZone), rest)
	case rowPurposes, rowRetention:
		l, v := "Purposes", x.Purposes
		if r.what == rowRetention {
			l, v = "Retention", x.Retention
		}
		if strings.TrimSpace(v) == "" {
			return label(l) + notSet + st.Subtle.Render(" (access packages need it)")
		}
		return label(l) + cell(oneLine(v), rest)
	case rowRecipient:
		rc := s.recipients[r.i]
		nameW := min(20, w/5)
		dpa := "no DPA"
		if !rc.DPASignedAt.IsZero() {
			dpa = "DPA " + rc.DPASignedAt.Format(time.DateOnly)
		} else if rc.Role != gdpr.RecipientProcessor {
			dpa = ""
		}
		rest := strings.Join(slices.DeleteFunc([]string{dash(rc.Service), dash(rc.Country), plain(strings.Join(rc.Purposes, ",")), dpa, string(rc.Safeguard)}, func(v string) bool { return v == "" }), " · ")
		return cell(plain(rc.Name), nameW) + " " + cell(string(rc.Role), 10) + " " + cell(rest, max(w-nameW-12, 1))
	case rowRule:
		rl := s.rules[r.i]
		srcW := min(24, w/4)
		return cell(plain(rl.Source), srcW) + " → " + cell(rl.Basis.Label(), 21) + st.Subtle.Render(cell(plain(rl.Evidence), max(w-srcW-24, 1)))
	case rowPolicy:
		p := s.policies[r.i]
		state := ""
		if in, ok := gdpr.InForce(s.policies, p.Kind, s.c.now()); ok && in.Version == p.Version {
			state = st.Good.Render("in force")
		} else if p.EffectiveAt.After(s.c.now()) {
			state = st.Warn.Render("upcoming")
		} else {
			state = st.Subtle.Render("earlier ")
		}
		head := fmt.Sprintf("%-15s v%-3d from %s  ", kindName(p.Kind), p.Version, p.EffectiveAt.Format("2006-01-02"))
		tail := "  sha256 " + p.SHA256[:min(12, len(p.SHA256))] + "…  " + oneLine(p.Text)
		return head + state + st.Subtle.Render(cell(tail, max(w-ansi.StringWidth(head)-8, 1)))
	case rowAddRecipient:
		return st.Subtle.Render("+ add a recipient")
	case rowAddRule:
		return st.Subtle.Render("+ add a source rule")
	}
	return st.Subtle.Render("+ new " + kindName(r.kind) + " version")
}

// readView shows a version's full text, wrapped to the width and scrolled.
func (s *settings) readView(w, h int) string {
	st := s.c.styles
	p := *s.reading
	state := "earlier version"
	if in, ok := gdpr.InForce(s.policies, p.Kind, s.c.now()); ok && in.Version == p.Version {
		state = "in force"
	} else if p.EffectiveAt.After(s.c.now()) {
		state = "upcoming"
	}
	head := []string{
		st.Title.Render(fmt.Sprintf("%s v%d", strings.ToUpper(kindName(p.Kind)[:1])+kindName(p.Kind)[1:], p.Version)) +
			"  " + st.Subtle.Render("effective "+s.c.in(p.EffectiveAt).Format("2006-01-02 15:04 MST")+" · "+state),
		st.Subtle.Render(ansi.Truncate("SHA-256 "+p.SHA256, w, "…")),
		"",
	}
	body := strings.Split(ansi.Wrap(paragraph(p.Text), max(w-1, 10), ""), "\n")
	rows := max(h-len(head)-1, 1)
	s.readTop = max(min(s.readTop, len(body)-rows), 0)
	end := min(s.readTop+rows, len(body))
	out := append(head, body[s.readTop:end]...)
	for len(out) < h-1 {
		out = append(out, "")
	}
	where := fmt.Sprintf("lines %d–%d of %d · esc goes back", s.readTop+1, end, len(body))
	if len(body) <= rows {
		where = "esc goes back"
	}
	return strings.Join(append(out, st.Subtle.Render(where)), "\n")
}
