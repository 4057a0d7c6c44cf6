package ui

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"
	"charm.land/huh/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/gdprdesk/gdprdesk/gdpr"
	"github.com/gdprdesk/gdprdesk/internal/desk"
	"github.com/gdprdesk/gdprdesk/store"
)

// requests is the request inbox: soonest due first, who asked, overdue in
// red and in words, days left, filters by type and status, and a search
// (/) over id, who, type, status and note. enter opens a request on the
// steps its type needs (requestView); n logs a new one and selects it.
type requests struct {
	c      *common
	all    []gdpr.Request
	who    map[gdpr.RequestID]string // desk.RequestsWho, as `request list` shows it
	shown  []gdpr.Request
	typ    int // index into the type filter cycle; 0 = all
	state  int // 0 open, 1 all, 2 closed
	cur    cursor
	height int
	loaded bool
	dialog *dialog
	detail *requestView

	search    textinput.Model
	searching bool           // the search line is being edited
	words     []string       // the search, folded (request_search.go)
	land      gdpr.RequestID // a request just logged: selected once the list has it
}

func newRequests(c *common) *requests {
	ti := textinput.New()
	ti.Prompt = "/ "
	ti.Placeholder = "search: id, name or address, type, note words"
	ti.CharLimit = 200
	return &requests{c: c, height: 10, search: ti}
}

func (s *requests) Title() string { return "Requests" }

func (s *requests) Capturing() bool {
	return s.searching || s.dialog != nil || (s.detail != nil && s.detail.capturing())
}

func (s *requests) Busy() string { return "" }

func (s *requests) Help() []key.Binding {
	if s.dialog != nil {
		return s.dialog.help()
	}
	if s.detail != nil {
		return s.detail.help()
	}
	if s.searching {
		return []key.Binding{key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "keep the search")), key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "clear the search"))}
	}
	k := s.c.keys
	newReq := k.NewRequest
	newReq.SetHelp("n", "new request")
	return []key.Binding{k.Open, newReq, k.Search, k.FilterType, k.FilterStatus, k.Up, k.Down, k.PageUp, k.PageDown, k.Home, k.End}
}

type requestsMsg struct {
	list []gdpr.Request
	who  []string // desk.RequestsWho of list
	err  error
}

func (s *requests) Init() tea.Cmd { return s.load() }

// load reads what the screen shows, in the background.
func (s *requests) load() tea.Cmd { return s.c.io(s.read) }

func (s *requests) read() tea.Msg {
	list, err := s.c.store.Requests(store.RequestFilter{})
	if err != nil {
		return requestsMsg{err: err}
	}
	who, err := desk.RequestsWho(s.c.store, list)
	return requestsMsg{list: list, who: who, err: err}
}

func (s *requests) typeFilter() gdpr.RequestType {
	if s.typ == 0 {
		return ""
	}
	return gdpr.RequestTypes()[s.typ-1]
}

func (s *requests) filter() {
	s.shown = s.shown[:0]
	t := s.typeFilter()
	for _, r := range s.all {
		if t != "" && r.Type != t {
			continue
		}
		open := r.Status.Open()
		if (s.state == 0 && !open) || (s.state == 2 && open) {
			continue
		}
		if len(s.words) > 0 && !matchesSearch(s.words, r.ID.String(), s.who[r.ID], string(r.Type), r.Type.Label(), string(r.Status), r.Note) {
			continue
		}
		s.shown = append(s.shown, r)
	}
	s.cur.clamp(len(s.shown), s.height)
}

// landOn selects the request just logged, widening the filters and
// clearing the search if they hide it.
func (s *requests) landOn(id gdpr.RequestID) {
	find := func() int {
		for i, r := range s.shown {
			if r.ID == id {
				return i
			}
		}
		return -1
	}
	i := find()
	if i < 0 {
		s.typ, s.state, s.words = 0, 1, nil
		s.search.SetValue("")
		s.filter()
		i = find()
	}
	if i >= 0 {
		s.cur.sel = i
		s.cur.clamp(len(s.shown), s.height)
	}
}

func (s *requests) Update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case requestsMsg:
		if msg.err != nil {
			return failed("read requests", msg.err)
		}
		s.all, s.loaded = msg.list, true
		s.who = make(map[gdpr.RequestID]string, len(msg.list))
		for i, r := range msg.list {
			s.who[r.ID] = msg.who[i]
		}
		s.filter()
		if s.land != 0 {
			s.landOn(s.land)
			s.land = 0
		}
		return nil
	case changedMsg:
		cmds := []tea.Cmd{s.load()}
		if s.detail != nil {
			cmds = append(cmds, s.detail.load())
		}
		return tea.Batch(cmds...)
	case switchMsg:
		if msg.to != tabRequests {
			return nil
		}
		if msg.request != 0 {
			// From the dashboard: open the request, and land on it in the
			// inbox once it is read.
			s.land, s.searching = msg.request, false
			return tea.Batch(s.load(), openOverlay(&s.detail, newRequestView(s.c, msg.request)))
		}
		return s.load()
	case tea.WindowSizeMsg:
		s.height = max(msg.Height-4-2, 1)
		return nil
	case letterMsg, editedMsg: // the letters of the open request (letters.go)
		return stepOverlay(&s.detail, msg)
	case requestMsg, requestActionMsg, contactActionMsg:
		if s.detail != nil {
			return stepOverlay(&s.detail, msg)
		}
		if am, ok := msg.(requestActionMsg); ok { // a request logged from the inbox
			if am.err == nil && am.id != 0 {
				s.land = am.id
			}
			return reported(am.text, am.err)
		}
		return nil
	case tea.KeyPressMsg:
		return s.key(msg)
	}
	if s.dialog != nil {
		return stepOverlay(&s.dialog, msg)
	}
	if s.searching {
		var cmd tea.Cmd
		s.search, cmd = s.search.Update(msg)
		return cmd
	}
	return stepOverlay(&s.detail, msg)
}

func (s *requests) key(msg tea.KeyPressMsg) tea.Cmd {
	if s.dialog != nil {
		return stepOverlay(&s.dialog, msg)
	}
	if s.detail != nil {
		return stepOverlay(&s.detail, msg)
	}
	if s.searching {
		return s.editSearch(msg)
	}
	k := s.c.keys
	switch {
	case key.Matches(msg, k.Search):
		s.searching = true
		return s.search.Focus()
	case key.Matches(msg, k.Back) && len(s.words) > 0:
		s.search.SetValue("")
		s.words = nil
		s.filter()
	case key.Matches(msg, k.FilterType):
		s.typ = (s.typ + 1) % (len(gdpr.RequestTypes()) + 1)
		s.filter()
	case key.Matches(msg, k.FilterStatus):
		s.state = (s.state + 1) % 3
		s.filter()
	case key.Matches(msg, k.NewRequest):
		if ok, cmd := s.c.mayDo(gdpr.ActionRequestAdd); !ok {
			return cmd
		}
		return openDialog(s.c, &s.dialog, s.newRequestDialog())
	case key.Matches(msg, k.Open):
		if s.cur.sel < len(s.shown) {
			return openOverlay(&s.detail, newRequestView(s.c, s.shown[s.cur.sel].ID))
		}
	default:
		s.cur.move(k, msg, len(s.shown), s.height)
	}
	return nil
}

// editSearch takes a key while the search line is edited: the list
// narrows as the owner types; enter keeps the search, esc clears it.
func (s *requests) editSearch(msg tea.KeyPressMsg) tea.Cmd {
	var cmd tea.Cmd
	switch msg.String() {
	case "enter":
		s.searching = false
		s.search.Blur()
	case "esc":
		s.searching = false
		s.search.Blur()
		s.search.SetValue("")
	default:
		s.search, cmd = s.search.Update(msg)
	}
	s.words = searchWords(s.search.Value())
	s.filter()
	return cmd
}

// newRequestDialog logs a request: type, who (a contact found by id or
// email, or a raw email when nobody matches), channel, received date, note.
func (s *requests) newRequestDialog() *dialog {
	kind, channel := requestKind{Type: gdpr.RequestAccess}, gdpr.ChannelEmail
	subject, received, note := "", s.c.now().Format(time.DateOnly), ""
	op, st := s.c.operator, s.c.store
	var channels []huh.Option[gdpr.Channel]
	for _, c := range gdpr.Channels() {
		channels = append(channels, huh.NewOption(words(c), c))
	}
	return newDialog("New request", func() tea.Cmd {
		return s.c.io(func() tea.Msg {
			day, err := gdpr.ParseReceived(received, s.c.now())
			if err != nil {
				return requestActionMsg{err: err}
			}
			r := gdpr.NewRequest(kind.Type, channel, day, nil)
			r.Note, r.Scope = strings.TrimSpace(note), kind.Scope
			who := strings.TrimSpace(subject)
			if c, err := st.FindContact(who); err == nil {
				r.Contact = c.ID
			} else if email, eerr := gdpr.NormalizeEmail(who); eerr == nil {
				r.SubjectEmail = email
			} else {
				return requestActionMsg{err: fmt.Errorf("%q is neither a contact id nor an email address", who)}
			}
			id, err := st.AddRequest(op, r)
			if err != nil {
				return requestActionMsg{err: fmt.Errorf("log the request: %w", err)}
			}
			return requestActionMsg{id: id, text: fmt.Sprintf("Logged %s (%s), due %s", id, kind.Type, r.Due.Format(time.DateOnly))}
		})
	},
		huh.NewSelect[requestKind]().Title("Type").Options(requestKindOptions(true)...).Value(&kind),
		huh.NewInput().Title("Who").Description("a contact id (C42) or the email address the request came from").Value(&subject).Validate(nonEmpty("who asked")),
		huh.NewSelect[gdpr.Channel]().Title("Channel").Options(channels...).Value(&channel),
		receivedField(&received, s.c.now),
		huh.NewInput().Title("Note").Description("what was asked (sealed)").Value(&note),
	)
}

func (s *requests) View(w, h int) string {
	st := s.c.styles
	if s.dialog != nil {
		return s.dialog.view(w, h)
	}
	if s.detail != nil {
		return s.detail.view(w, h)
	}
	if !s.loaded {
		return st.Subtle.Render("loading…")
	}
	t := "all types"
	if x := s.typeFilter(); x != "" {
		t = string(x)
	}
	which := []string{"open", "open and closed", "closed"}[s.state]
	info := fmt.Sprintf("%s requests, %s · %d shown · soonest due first", which, t, len(s.shown))
	var lines []string
	switch {
	case s.searching:
		s.search.SetWidth(w - 4)
		lines = append(lines, s.search.View())
	case len(s.words) > 0:
		info = st.Key.Render("/ ") + strings.TrimSpace(s.search.Value()) + " · " + info
	}
	// Who takes what the other columns leave, between 12 and 28 cells;
	// below 100 columns the received day (on the request's own screen)
	// gives its room to who asked.
	received := w >= 100
	whoW := min(max(w-68, 12), 28)
	if !received {
		whoW = max(w-57, 12)
	}
	row := func(id, typ, who, rec, due, status, days string) string {
		if !received {
			return fmt.Sprintf("%-6s %-13s %s %-10s %-11s %s", id, typ, cell(who, whoW), due, status, days)
		}
		return fmt.Sprintf("%-6s %-13s %s %-10s %-10s %-11s %s", id, typ, cell(who, whoW), rec, due, status, days)
	}
	lines = append(lines, info, st.Header.Render(row("ID", "Type", "Who", "Received", "Due", "Status", "Days")))
	rows := max(h-len(lines), 1)
	if len(s.shown) == 0 {
		hint := "  no requests here (t and s change the filter, n logs one)"
		if len(s.words) > 0 {
			hint = "  no request matches the search (esc clears it)"
		}
		lines = append(lines, st.Subtle.Render(hint))
	}
	now := s.c.now()
	c := s.cur
	from, to := c.visible(len(s.shown), rows)
	for i := from; i < to; i++ {
		r := s.shown[i]
		line := row(r.ID.String(), string(r.Type), plain(s.who[r.ID]), r.Received.Format(time.DateOnly), r.Due.Format(time.DateOnly), words(r.Status), daysWords(st, r, now))
		if i == c.sel {
			line = st.Selected.Render(cell(line, w))
		}
		lines = append(lines, line)
	}
	return strings.Join(lines, "\n")
}

// daysWords says how a request stands against its deadline, in words (so
// it reads without colour) and colour.
func daysWords(st Styles, r gdpr.Request, now time.Time) string {
	ext := ""
	if r.Extension != nil {
		ext = " (extended)"
	}
	switch left := gdpr.DaysLeft(r.Due, now); {
	case !r.Status.Open():
		return st.Subtle.Render("closed " + r.ClosedAt.Format(time.DateOnly))
	case left < 0:
		return st.Error.Render(fmt.Sprintf("%dd overdue", -left)) + ext
	case left == 0:
		return st.Warn.Render("due today") + ext
	default:
		return fmt.Sprintf("%dd left", left) + ext
	}
}

// requestView is one request and the steps its type needs. Only the steps
// the law and the request's state allow are offered; a step that is not
// possible says why instead of doing nothing.
type requestView struct {
	c        *common
	id       gdpr.RequestID
	loaded   bool
	err      error
	r        gdpr.Request
	contact  *gdpr.Contact
	settings gdpr.Settings
	toTell   []string // the recipients of the Art. 19 step (desk.ToTell)
	audit    []store.AuditEntry
	outbox   []store.Message // the request's letters (letters.go)
	dialog   *dialog
	letters  *lettersView // the letters overlay (L)
	done     bool         // left with esc
	scroll   int
}

func newRequestView(c *common, id gdpr.RequestID) *requestView {
	return &requestView{c: c, id: id}
}

type requestMsg struct {
	id       gdpr.RequestID
	r        gdpr.Request
	contact  *gdpr.Contact
	settings gdpr.Settings
	toTell   []string
	audit    []store.AuditEntry
	outbox   []store.Message
	err      error
}

// requestActionMsg ends a step on the open request, or the logging of a
// new one (id).
type requestActionMsg struct {
	id   gdpr.RequestID
	text string
	err  error
}

func (v *requestView) load() tea.Cmd {
	st, id := v.c.store, v.id
	return v.c.io(func() tea.Msg {
		m := requestMsg{id: id}
		if m.r, m.err = st.Request(id); m.err != nil {
			return m
		}
		if m.r.Contact != 0 {
			c, err := st.Contact(m.r.Contact)
			if err != nil && !errors.Is(err, store.ErrNotFound) {
				m.err = err
				return m
			}
			if err == nil {
				m.contact = &c
			}
		}
		if m.settings, m.err = st.Settings(); m.err != nil {
			return m
		}
		if m.r.Type.NotifiesRecipients() {
			if m.toTell, m.err = desk.ToTell(st, m.r); m.err != nil {
				return m
			}
		}
		if m.outbox, m.err = st.Outbox(id); m.err != nil {
			return m
		}
		m.audit, m.err = st.AuditOf(id.String())
		return m
	})
}

// init reads the request, its contact and its history.
func (v *requestView) init() tea.Cmd { return v.load() }

func (v *requestView) capturing() bool {
	return v.dialog != nil || (v.letters != nil && v.letters.capturing())
}

// closed reports whether the owner left the request, so the inbox drops it.
func (v *requestView) closed() bool { return v.done }

// step is one thing the owner can do on the request now, or the reason it
// cannot be done.
type step struct {
	b       key.Binding
	blocked string
	open    func() *dialog
	action  gdpr.Action // for the role check
}

func (v *requestView) steps() []step {
	k := v.c.keys
	r, now := v.r, v.c.now()
	var out []step
	add := func(b key.Binding, desc string, action gdpr.Action, blocked string, open func() *dialog) {
		b.SetHelp(b.Help().Key, desc)
		out = append(out, step{b: b, blocked: blocked, open: open, action: action})
	}
	told := r.Type.NotifiesRecipients() // rectification, erasure, restriction (Art. 19)
	if !r.Status.Open() {
		if told {
			add(k.Notify, "record recipients told (Art. 19)", gdpr.ActionRequestNotify, v.notifyBlocked(), v.notifyDialog)
		}
		return out
	}
	verifyBlocked := ""
	if r.Verified != nil {
		verifyBlocked = "identity already verified by " + plain(r.Verified.By)
	}
	add(k.VerifyID, "verify identity", gdpr.ActionRequestVerify, verifyBlocked, v.verifyDialog)
	extBlocked := ""
	switch {
	case r.Extension != nil:
		extBlocked = "already extended once: Art. 12(3) allows one extension"
	case gdpr.Overdue(r.Due, now):
		extBlocked = "the due date " + r.Due.Format(time.DateOnly) + " has passed: an extension must be made before it"
	}
	add(k.Extend, "extend once, with reason", gdpr.ActionRequestExtend, extBlocked, v.extendDialog)
	needContact := ""
	if v.contact == nil {
		needContact = "no contact matches this request: nothing is held on the person; complete or deny it with a note"
	} else if v.contact.Status == gdpr.ContactAnonymized && r.Type != gdpr.RequestErasure {
		needContact = "the contact is anonymized: nothing personal is left"
	}
	switch r.Type {
	case gdpr.RequestAccess, gdpr.RequestPortability:
		add(k.Export, "export the access package", gdpr.ActionRequestExport, v.needVerified(needContact), v.exportDialog)
	case gdpr.RequestErasure:
		add(k.Anonymize, "anonymize the contact", gdpr.ActionContactAnonymize, v.needVerified(needContact), v.anonymizeDialog)
	case gdpr.RequestRectification:
		add(k.Edit, "edit the contact (rectify)", gdpr.ActionContactEdit, v.needVerified(needContact), v.editDialog)
		add(k.Notify, "record recipients told (Art. 19)", gdpr.ActionRequestNotify, v.notifyBlocked(), v.notifyDialog)
	case gdpr.RequestRestriction, gdpr.RequestObjection:
		if v.contact != nil && v.contact.Status == gdpr.ContactRestricted {
			add(k.Restrict, "lift the restriction", gdpr.ActionContactLift, "", v.restrictDialog)
		} else {
			add(k.Restrict, "restrict the contact (no marketing)", gdpr.ActionContactRestrict, v.needVerified(needContact), v.restrictDialog)
		}
		if told {
			add(k.Notify, "record recipients told (Art. 19)", gdpr.ActionRequestNotify, v.notifyBlocked(), v.notifyDialog)
		}
	}
	add(k.Complete, "complete, with an outcome note", gdpr.ActionRequestClose, "", v.completeDialog)
	add(k.Deny, "deny on a ground (Art. 12(4))", gdpr.ActionRequestClose, denyBlocked(r), v.denyDialog)
	return out
}

// blockedStep is a step that is not possible, with why, wrapped to w
// cells: the lines after the first start under the step's words.
func blockedStep(st Styles, k, text string, w int) []string {
	const indent = 5 // "  " + a key of two cells + " "
	var out []string
	for i, l := range strings.Split(ansi.Wrap(text, max(w-indent, 20), " "), "\n") {
		lead := fmt.Sprintf("  %-2s ", k)
		if i > 0 {
			lead = strings.Repeat(" ", indent)
		}
		out = append(out, st.Subtle.Render(lead+l))
	}
	return out
}

func (v *requestView) needVerified(blocked string) string {
	if blocked != "" {
		return blocked
	}
	if v.r.NeedsIdentityCheck() {
		return "verify the person's identity first (v): Art. 12(6)"
	}
	return ""
}

func (v *requestView) notifyBlocked() string {
	if len(v.toTell) == 0 {
		return "the recipients register is empty: there is nobody to tell"
	}
	return ""
}

func (v *requestView) help() []key.Binding {
	if v.dialog != nil {
		return v.dialog.help()
	}
	if v.letters != nil {
		return v.letters.help()
	}
	k := v.c.keys
	out := []key.Binding{k.Back}
	for _, s := range v.steps() {
		if s.blocked == "" {
			out = append(out, s.b)
		}
	}
	return append(out, k.RequestLetters, k.Up, k.Down)
}

func (v *requestView) update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case requestMsg:
		if msg.id != v.id {
			return nil
		}
		v.loaded, v.err = true, msg.err
		if msg.err == nil {
			v.r, v.contact, v.settings, v.toTell, v.audit, v.outbox = msg.r, msg.contact, msg.settings, msg.toTell, msg.audit, msg.outbox
		}
		return nil
	case letterMsg, editedMsg:
		return stepOverlay(&v.letters, msg)
	case requestActionMsg:
		return reported(msg.text, msg.err)
	case contactActionMsg: // the rectification form reuses the contact view's
		return reported(msg.text, msg.err)
	case tea.KeyPressMsg:
		return v.key(msg)
	}
	if v.dialog != nil {
		return stepOverlay(&v.dialog, msg)
	}
	if v.letters != nil { // its dialog's own messages
		return stepOverlay(&v.letters, msg)
	}
	return nil
}

func (v *requestView) key(msg tea.KeyPressMsg) tea.Cmd {
	if v.dialog != nil {
		return stepOverlay(&v.dialog, msg)
	}
	if v.letters != nil {
		return stepOverlay(&v.letters, msg)
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
	if key.Matches(msg, k.RequestLetters) {
		return openOverlay(&v.letters, newLettersView(v.c, v))
	}
	for _, s := range v.steps() {
		if !key.Matches(msg, s.b) {
			continue
		}
		if s.blocked != "" {
			return v.c.refuse(string(s.action)+" before its step is open", s.blocked)
		}
		if ok, cmd := v.c.mayDo(s.action); !ok {
			return cmd
		}
		return openDialog(v.c, &v.dialog, s.open())
	}
	return nil
}

// act runs a step in the background and reports it.
func (v *requestView) act(fn func() (string, error)) tea.Cmd {
	return v.c.io(func() tea.Msg {
		text, err := fn()
		return requestActionMsg{text: text, err: err}
	})
}

// updateRequest changes the request through fn, audited as action.
func (v *requestView) updateRequest(action gdpr.Action, detail string, fn func(r *gdpr.Request) error) error {
	return v.c.store.UpdateRequest(v.c.operator, v.id, action, detail, fn)
}

func (v *requestView) verifyDialog() *dialog {
	how := "reply from the address on file"
	op, now := v.c.operator, v.c.now
	return newDialog("Verify the identity of who asked "+v.id.String()+" (Art. 12(6))", func() tea.Cmd {
		return v.act(func() (string, error) {
			err := v.updateRequest(gdpr.ActionRequestVerify, "identity verified", func(r *gdpr.Request) error {
				r.Verified = &gdpr.Verification{By: op, How: strings.TrimSpace(how), At: now().UTC()}
				if r.Status == gdpr.StatusNew || r.Status == gdpr.StatusVerifying {
					return r.Move(gdpr.StatusInProgress, "", now())
				}
				return nil
			})
			if err != nil {
				return "", fmt.Errorf("verify %s: %w", v.id, err)
			}
			return "Identity verified; " + v.id.String() + " is in progress", nil
		})
	}, huh.NewInput().Title("How").Description("e.g. reply from the address on file, ID shown at the shop (no ID numbers here)").Value(&how).Validate(nonEmpty("how the identity was checked")))
}

func (v *requestView) extendDialog() *dialog {
	reason, told := "", v.c.now().Format(time.DateOnly)
	op, now := v.c.operator, v.c.now
	return newDialog("Extend "+v.id.String()+" by up to two months (Art. 12(3), once)", func() tea.Cmd {
		return v.act(func() (string, error) {
			toldAt, err := time.Parse(time.DateOnly, strings.TrimSpace(told))
			if err != nil {
				return "", errors.New("told on: use YYYY-MM-DD")
			}
			var due time.Time
			err = v.updateRequest(gdpr.ActionRequestExtend, "extended", func(r *gdpr.Request) error {
				if err := r.Extend(strings.TrimSpace(reason), time.Time{}, toldAt, now(), op, nil); err != nil {
					return err
				}
				due = r.Due
				return nil
			})
			if err != nil {
				return "", fmt.Errorf("extend %s: %w", v.id, err)
			}
			return fmt.Sprintf("Extended %s: now due %s; L writes the notice to the person", v.id, due.Format(time.DateOnly)), nil
		})
	},
		huh.NewInput().Title("Reason").Description("why the request is complex or numerous (the person is told)").Value(&reason).Validate(nonEmpty("a reason")),
		huh.NewInput().Title("Person told on").Description("YYYY-MM-DD, within the first month").Value(&told),
	)
}

func (v *requestView) exportDialog() *dialog {
	x := newAccessForm()
	id, cid := v.id, v.r.Contact
	return newDialog("Export the access package for "+id.String(), func() tea.Cmd {
		return v.act(func() (string, error) { return x.export(v.c, cid, id) })
	}, x.fields()...)
}

// contactDialog borrows the contact view's dialogs, so a request step and
// the contacts screen edit a person the same way.
func (v *requestView) contactDialog(pick func(*contactView) *dialog) *dialog {
	cv := &contactView{c: v.c, id: v.contact.ID, contact: *v.contact, loaded: true}
	if v.r.Type == gdpr.RequestErasure {
		cv.requests = []gdpr.Request{v.r}
	}
	return pick(cv)
}

func (v *requestView) anonymizeDialog() *dialog {
	return v.contactDialog((*contactView).anonymizeDialog)
}

func (v *requestView) editDialog() *dialog {
	return v.contactDialog((*contactView).editDialog)
}

func (v *requestView) restrictDialog() *dialog {
	return v.contactDialog((*contactView).restrictDialog)
}

// notifyDialog records the Art. 19 step: the recipients to tell are
// listed by name and none is chosen for the operator — telling one is a
// fact to record, not a default. It works on a request whose person was
// erased (the names are kept on the request, or the register's).
func (v *requestView) notifyDialog() *dialog {
	names := append([]string(nil), v.toTell...)
	var chosen []string
	when := v.c.now().Format(time.DateOnly)
	impossible := ""
	st, op, id := v.c.store, v.c.operator, v.id
	return newDialog("Recipients told of the "+string(v.r.Type)+" (Art. 19)", func() tea.Cmd {
		return v.act(func() (string, error) {
			at, err := time.Parse(time.DateOnly, strings.TrimSpace(when))
			if err != nil {
				return "", errors.New("told on: use YYYY-MM-DD")
			}
			if len(chosen) == 0 {
				return "", errors.New("choose at least one recipient")
			}
			if _, err := desk.Notify(st, op, id, strings.Join(chosen, ","), impossible, at); err != nil {
				return "", err
			}
			if strings.TrimSpace(impossible) != "" {
				return fmt.Sprintf("Recorded why %d recipient(s) could not be told", len(chosen)), nil
			}
			return fmt.Sprintf("Recorded that %d recipient(s) were told", len(chosen)), nil
		})
	},
		huh.NewMultiSelect[string]().Title("Told").Description("x toggles; the recipients that received this person's data").Options(huh.NewOptions(names...)...).Height(len(names)+3).Value(&chosen),
		huh.NewInput().Title("On").Description("YYYY-MM-DD").Value(&when),
		huh.NewInput().Title("Not possible?").Description("leave empty, or why telling them was impossible or disproportionate").Value(&impossible),
	)
}

func (v *requestView) completeDialog() *dialog {
	note := ""
	desc := "what was done, e.g. package sent by email on 2026-11-29"
	if (v.r.Type == gdpr.RequestAccess || v.r.Type == gdpr.RequestPortability) && v.r.ExportSHA256 == "" {
		desc = "no package was exported for this request: say why (e.g. nothing held)"
	}
	if v.r.Type == gdpr.RequestErasure && v.contact != nil && v.contact.Status != gdpr.ContactAnonymized {
		desc = "the contact is not anonymized: say why the erasure is complete (or use D)"
	}
	sure := false
	return newDialog("Complete "+v.id.String(), func() tea.Cmd {
		if !sure {
			return status(v.id.String() + " stays open; nothing changed")
		}
		return v.act(func() (string, error) {
			if err := v.c.store.CloseRequest(v.c.operator, v.id, gdpr.StatusCompleted, strings.TrimSpace(note)); err != nil {
				return "", fmt.Errorf("complete %s: %w", v.id, err)
			}
			return "Completed " + v.id.String() + "; L writes the completion letter", nil
		})
	}, huh.NewInput().Title("Outcome").Description(desc).Value(&note).Validate(nonEmpty("an outcome note")),
		closeConfirm("Complete "+v.id.String()+"? It closes the request.", "Complete", &sure))
}

func (v *requestView) view(w, h int) string {
	st := v.c.styles
	if v.dialog != nil {
		return v.dialog.view(w, h)
	}
	if v.letters != nil {
		return v.letters.view(w, h)
	}
	if !v.loaded {
		return st.Subtle.Render("loading " + v.id.String() + "…")
	}
	if v.err != nil {
		return st.Error.Render(v.err.Error()) + "\n\n" + st.Subtle.Render("esc goes back")
	}
	r := v.r
	now := v.c.now()
	var lines []string
	add := func(l ...string) { lines = append(lines, l...) }
	kv := func(label, value string) string {
		return st.Label.Render(fmt.Sprintf("%-10s", label)) + " " + dash(value)
	}
	add(st.Title.Render(fmt.Sprintf("%s %s request", r.ID, r.Type.Label()))+"  "+words(r.Status)+"  "+daysWords(st, r, now), "")
	who := r.SubjectEmail + " (no contact matched)"
	if v.contact != nil {
		who = v.contact.ID.String() + " " + v.contact.Name()
		if v.contact.Status == gdpr.ContactAnonymized {
			who = v.contact.ID.String() + " (anonymized)"
		}
	}
	add(kv("Who", who),
		kv("Received", r.Received.Format(time.DateOnly)+" by "+words(r.Channel)),
		kv("Due", r.Due.Format(time.DateOnly)),
		kv("Note", r.Note))
	if r.Verified != nil {
		how := r.Verified.How
		if how == "" {
			how = "(how: erased with the person)"
		}
		add(kv("Verified", how+" · by "+r.Verified.By+" on "+r.Verified.At.Format(time.DateOnly)))
	} else {
		add(kv("Verified", st.Warn.Render("not yet")))
	}
	if r.Extension != nil {
		add(kv("Extended", r.Extension.Reason+" · told "+r.Extension.ToldAt.Format(time.DateOnly)+" · by "+r.Extension.By))
	}
	if r.ExportSHA256 != "" {
		add(kv("Exported", v.c.in(r.ExportedAt).Format("2006-01-02 15:04")+" · SHA-256 "+r.ExportSHA256))
	}
	if !r.AnonymizedAt.IsZero() {
		add(kv("Erased", fmt.Sprintf("%s · audit entry %d", r.AnonymizedAt.Format(time.DateOnly), r.AnonymizeEvent)))
	}
	for _, n := range r.Notifications {
		if n.Impossible != "" {
			add(kv("Not told", n.Recipient+": "+n.Impossible+" · "+n.At.Format(time.DateOnly)+" by "+n.By))
			continue
		}
		add(kv("Told", n.Recipient+" on "+n.At.Format(time.DateOnly)+" by "+n.By))
	}
	if untold := r.Untold(); len(untold) > 0 && r.Type.NotifiesRecipients() {
		add(kv("To tell", strings.Join(untold, ", ")))
	}
	if r.Outcome != "" {
		add(kv("Outcome", r.Outcome))
	}
	add("", st.Header.Render("Steps"))
	for _, s := range v.steps() {
		if s.blocked == "" {
			add(fmt.Sprintf("  %s %s", st.Key.Render(fmt.Sprintf("%-2s", s.b.Help().Key)), s.b.Help().Desc))
			continue
		}
		// Why a step is not possible is the point of the line: it wraps
		// under the step's words instead of being cut at the edge.
		add(blockedStep(st, s.b.Help().Key, s.b.Help().Desc+" — "+plain(s.blocked), w)...)
	}
	// Every step has its letter to the person; closed, the completion or
	// the refusal is still to be sent.
	fits := 0
	for _, kind := range letterKinds() {
		if gdpr.LetterFits(kind, r, v.contact, v.c.now()) == nil {
			fits++
		}
	}
	add(fmt.Sprintf("  %s letters to the person: preview, edit, send or write (%d of %d fit now)", st.Key.Render(fmt.Sprintf("%-2s", v.c.keys.RequestLetters.Help().Key)), fits, len(letterKinds())))
	if len(v.outbox) > 0 {
		head := st.Header.Render("Outbox")
		if n := len(failedMessages(v.outbox)); n > 0 {
			head += st.Subtle.Render(fmt.Sprintf("  %d not sent: L, then r, tries again", n))
		}
		add("", head)
		add(outboxLines(v.c, v.outbox, w)...)
	}
	add("", st.Header.Render("History"))
	for _, e := range v.audit {
		add(trailLine(v.c, e))
	}
	v.scroll = min(v.scroll, max(len(lines)-h, 0))
	return strings.Join(lines[v.scroll:], "\n")
}
