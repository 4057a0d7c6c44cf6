package ui

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"charm.land/huh/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/gdprdesk/gdprdesk/gdpr"
	"github.com/gdprdesk/gdprdesk/internal/desk"
	"github.com/gdprdesk/gdprdesk/store"
)

// The letters of a request (SPEC §11), opened with L from the request
// view: the kinds of letter, each marked as fitting where the request
// stands or with why not (gdpr.LetterFits); the language, the person's
// by the rule (gdpr.LetterLanguage) and changeable among the eight; the
// preview of a letter, which the local terminal may lend to $EDITOR; and
// sending it (desk.Send, through the outbox) or writing it as a draft
// (desk.WriteLetter: .txt and .eml in the exports folder). An edited
// letter is sent or written as edited. The request's outbox is listed
// under the kinds, and r tries its failed letters again
// (desk.RetryMessage). Rendering, sending and writing run in commands:
// sending can take seconds, and the screen says "sending…" meanwhile.

// lettersView is the letters overlay of one request view.
type lettersView struct {
	c    *common
	rv   *requestView // the request, its contact, the settings and the outbox
	sel  int          // the kind under the cursor
	lang string       // the letters' language
	why  string       // where the language came from
	// rule and ruleWhy are the language the rule chose and why, so going
	// back to it says so again.
	rule, ruleWhy string
	// preview is the letter being read, nil while the kinds are listed.
	preview *letterPreview
	// busy says what is under way (sending…, writing…); "" when idle.
	busy string
	done bool
	// note and kept are the operator's words the identity letter (what
	// proof is asked) and the completion of an erasure (what the law
	// obliges to keep, and why) put in as given; dialog asks for them.
	note, kept string
	dialog     *dialog
}

var _ overlay = (*lettersView)(nil)

// letterPreview is one rendered letter, as the templates wrote it or as
// the operator edited it.
type letterPreview struct {
	letter  desk.Letter
	edited  bool   // subject and body are the operator's
	scroll  int    // the first line of the preview shown
	written string // what the last draft wrote (paths), for the header
}

// letterKinds are the kinds of letter a request has: every kind but the
// breach notice, which is written from the breach register.
func letterKinds() []gdpr.LetterKind {
	var out []gdpr.LetterKind
	for _, k := range gdpr.LetterKinds() {
		if k != gdpr.LetterBreach {
			out = append(out, k)
		}
	}
	return out
}

// letterName names a kind of letter with the article it answers.
func letterName(k gdpr.LetterKind) string {
	switch k {
	case gdpr.LetterAck:
		return "Acknowledgement (Art. 12(3))"
	case gdpr.LetterIdentity:
		return "Identity request (Art. 12(6))"
	case gdpr.LetterExtension:
		return "Extension notice (Art. 12(3))"
	case gdpr.LetterRefusal:
		return "Refusal (Art. 12(4), 77, 79)"
	case gdpr.LetterCompletion:
		return "Completion"
	}
	return words(k)
}

func newLettersView(c *common, rv *requestView) *lettersView {
	v := &lettersView{c: c, rv: rv}
	var ct gdpr.Contact
	if rv.contact != nil {
		ct = *rv.contact
	}
	v.lang = gdpr.LetterLanguage(ct.Language, ct.Country, rv.settings.Language)
	switch {
	case isLetterLanguage(ct.Language):
		v.why = "the contact's language"
	case ct.Country != "" && gdpr.LetterLanguage("", ct.Country, "pl") == gdpr.LetterLanguage("", ct.Country, "pt"):
		// The default does not change the answer: the country decides.
		v.why = "the contact's country, " + plain(ct.Country)
	case isLetterLanguage(rv.settings.Language):
		v.why = "the settings' default"
	default:
		v.why = "no language is known: English"
	}
	v.rule, v.ruleWhy = v.lang, v.why
	for i, k := range letterKinds() { // the cursor starts on the first that fits
		if gdpr.LetterFits(k, rv.r, rv.contact, c.now()) == nil {
			v.sel = i
			break
		}
	}
	return v
}

func isLetterLanguage(s string) bool {
	_, err := gdpr.NormalizeLetterLanguage(s)
	return err == nil
}

// The messages of the letters overlay; the request view passes them on.
type letterMsg interface{ forLetters() }

type (
	letterRenderedMsg struct {
		letter desk.Letter
		err    error
	}
	letterSentMsg struct {
		m   store.Message
		err error
	}
	letterWrittenMsg struct {
		w   desk.WrittenLetter
		err error
	}
	letterRetriedMsg struct {
		sent   []store.MessageID
		failed []store.Message
		err    error
	}
)

func (letterRenderedMsg) forLetters() {}
func (letterSentMsg) forLetters()     {}
func (letterWrittenMsg) forLetters()  {}
func (letterRetriedMsg) forLetters()  {}

func (v *lettersView) init() tea.Cmd { return nil }

func (v *lettersView) capturing() bool { return v.dialog != nil }

func (v *lettersView) closed() bool { return v.done }

func (v *lettersView) help() []key.Binding {
	if v.dialog != nil {
		return v.dialog.help()
	}
	k := v.c.keys
	if v.preview != nil {
		out := []key.Binding{k.Back, k.Send, k.WriteDraft}
		if len(v.c.editor) > 0 {
			e := editorKey(v.c)
			e.SetHelp("E", "edit in $EDITOR")
			out = append(out, e)
		}
		return append(out, k.Language, k.Up, k.Down, k.PageUp, k.PageDown)
	}
	open := k.Open
	open.SetHelp("enter", "preview")
	out := []key.Binding{k.Back, open, k.Language}
	if len(v.failed()) > 0 {
		out = append(out, k.Retry)
	}
	return append(out, k.Up, k.Down)
}

// failed are the request's messages not sent yet that r sends (failed,
// or queued after a transient failure), oldest first.
func (v *lettersView) failed() []store.Message { return failedMessages(v.rv.outbox) }

// failedMessages are the messages that may be tried again: failed, or
// queued (the server was down or answered 4yz; desk.Send).
func failedMessages(msgs []store.Message) []store.Message {
	var out []store.Message
	for _, m := range msgs {
		if (m.State == gdpr.MessageFailed || m.State == gdpr.MessageQueued) && !m.Erased {
			out = append(out, m)
		}
	}
	return out
}

// letterRequest says which letter the overlay shows: the kind, the
// language and, once edited, the operator's subject and body.
func (v *lettersView) letterRequest(kind gdpr.LetterKind) desk.LetterRequest {
	in := desk.LetterRequest{Kind: kind, Request: v.rv.id, Lang: v.lang, IdentityNote: v.note, Kept: v.kept,
		DataDir: v.c.store.Dir(), Now: v.c.now()}
	if p := v.preview; p != nil && p.edited {
		in.Subject, in.Body = p.letter.Subject, p.letter.Body
	}
	return in
}

// render reads the letter of kind in the current language, in the
// background.
func (v *lettersView) render(kind gdpr.LetterKind) tea.Cmd {
	st, in := v.c.store, v.letterRequest(kind)
	in.Subject, in.Body = "", ""
	return v.c.io(func() tea.Msg {
		l, err := desk.RenderLetter(st, in)
		return letterRenderedMsg{letter: l, err: err}
	})
}

func (v *lettersView) update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case letterRenderedMsg:
		v.busy = ""
		if msg.err != nil {
			return failed("Letter", msg.err)
		}
		v.preview = &letterPreview{letter: msg.letter}
		return nil
	case editedMsg:
		return v.edited(msg)
	case letterSentMsg:
		v.busy = ""
		var fe *desk.SendFailedError
		if msg.err == nil || errors.As(msg.err, &fe) {
			v.preview = nil // queued: back to the kinds, where the outbox shows it
		}
		switch {
		case fe != nil && fe.Queued:
			return tea.Batch(func() tea.Msg {
				return statusMsg{text: fmt.Sprintf("%s was not sent yet, it stays queued (r tries again): %s", fe.ID, plain(fe.Reason)), err: true}
			}, changed)
		case fe != nil:
			return tea.Batch(func() tea.Msg {
				return statusMsg{text: fmt.Sprintf("%s was not sent: %s — it stays in the outbox, failed; r tries again", fe.ID, plain(fe.Reason)), err: true}
			}, changed)
		case errors.Is(msg.err, desk.ErrNoSMTP):
			return func() tea.Msg {
				return statusMsg{text: "not sent: no mail server (smtp-host) is set: w writes the draft, or set smtp-host", err: true}
			}
		case msg.err != nil: // it may have been queued before the error: reload the outbox
			return tea.Batch(reported("", msg.err), changed)
		}
		return reported(fmt.Sprintf("Sent %s to %s (%s letter, %s)", msg.m.ID, plain(msg.m.To), msg.m.Kind, msg.m.Lang), nil)
	case letterWrittenMsg:
		v.busy = ""
		if msg.err != nil {
			return reported("", msg.err)
		}
		paths := msg.w.TextPath
		if msg.w.EMLPath != "" {
			paths += " and " + filepath.Base(msg.w.EMLPath)
		}
		if v.preview != nil {
			v.preview.written = paths
		}
		text := "Wrote " + paths
		for _, n := range msg.w.Letter.Notes {
			text += "; " + n
		}
		return reported(text+" (audited)", nil)
	case letterRetriedMsg:
		v.busy = ""
		var cmds []tea.Cmd
		if len(msg.sent) > 0 {
			ids := make([]string, len(msg.sent))
			for i, id := range msg.sent {
				ids[i] = id.String()
			}
			cmds = append(cmds, done("Sent "+strings.Join(ids, ", ")+" on retry"))
		}
		for _, m := range msg.failed {
			cmds = append(cmds, func() tea.Msg {
				return statusMsg{text: fmt.Sprintf("%s was not sent: %s — it stays %s", m.ID, plain(m.Reason), m.State), err: true}
			})
		}
		if msg.err != nil {
			cmds = append(cmds, reported("", msg.err))
		}
		return tea.Sequence(append(cmds, changed)...)
	case tea.KeyPressMsg:
		return v.key(msg)
	}
	if v.dialog != nil {
		return stepOverlay(&v.dialog, msg)
	}
	return nil
}

func (v *lettersView) key(msg tea.KeyPressMsg) tea.Cmd {
	if v.dialog != nil {
		return stepOverlay(&v.dialog, msg)
	}
	k := v.c.keys
	if key.Matches(msg, k.Back) {
		if v.preview != nil {
			v.preview = nil
			return nil
		}
		v.done = true
		return nil
	}
	if key.Matches(msg, k.Language) {
		return v.changeLanguage(msg.String() == "left")
	}
	if v.preview != nil {
		return v.previewKey(msg)
	}
	kinds := letterKinds()
	switch {
	case key.Matches(msg, k.Up):
		v.sel = max(v.sel-1, 0)
	case key.Matches(msg, k.Down):
		v.sel = min(v.sel+1, len(kinds)-1)
	case key.Matches(msg, k.Open):
		kind := kinds[v.sel]
		if err := gdpr.LetterFits(kind, v.rv.r, v.rv.contact, v.c.now()); err != nil {
			return status("no " + strings.ToLower(letterName(kind)) + " for this request: " + err.Error())
		}
		if d := v.wordsDialog(kind); d != nil {
			return openDialog(v.c, &v.dialog, d)
		}
		v.busy = "rendering…"
		return v.render(kind)
	case key.Matches(msg, k.Retry):
		return v.retry()
	}
	return nil
}

// wordsDialog asks for the operator's words a letter carries, before it
// is shown: what proof of identity is asked (Art. 12(6)), or what an
// erasure keeps because the law obliges it (Art. 17(3)). Both may stay
// empty: the letter then says it in general terms. nil for the other
// kinds.
func (v *lettersView) wordsDialog(kind gdpr.LetterKind) *dialog {
	var title, desc string
	var at *string
	switch {
	case kind == gdpr.LetterIdentity:
		title, desc, at = "What proof of identity do you ask for? (Art. 12(6))",
			"optional; the person reads it as you write it, e.g. a reply from the address on file (ask no more than needed)", &v.note
	case kind == gdpr.LetterCompletion && v.rv.r.Type == gdpr.RequestErasure:
		title, desc, at = "What is kept, and why? (Art. 17(3))",
			"optional; e.g. invoices, kept ten years by tax law. Empty: everything was erased", &v.kept
	default:
		return nil
	}
	text := *at
	return newDialog(title, func() tea.Cmd {
		*at = strings.TrimSpace(text)
		v.busy = "rendering…"
		return v.render(kind)
	}, huh.NewInput().Title(letterName(kind)).Description(desc).CharLimit(500).Value(&text))
}

// changeLanguage moves to the previous or next letter language; an open
// preview is written again in it, unless the operator edited it.
func (v *lettersView) changeLanguage(back bool) tea.Cmd {
	if v.preview != nil && v.preview.edited {
		return status("this letter is edited: esc drops the edit, then change the language")
	}
	if v.busy != "" {
		return status(v.busy + " wait for it to finish")
	}
	langs := gdpr.LetterLanguages()
	i := 0
	for j, l := range langs {
		if l == v.lang {
			i = j
		}
	}
	if back {
		i = (i + len(langs) - 1) % len(langs)
	} else {
		i = (i + 1) % len(langs)
	}
	v.lang, v.why = langs[i], "chosen here"
	if v.lang == v.rule {
		v.why = v.ruleWhy
	}
	if v.preview != nil {
		v.busy = "rendering…"
		return v.render(v.preview.letter.Kind)
	}
	return nil
}

func (v *lettersView) previewKey(msg tea.KeyPressMsg) tea.Cmd {
	k := v.c.keys
	p := v.preview
	switch {
	case scrollKey(k, msg, &p.scroll):
		return nil
	case key.Matches(msg, k.Home):
		p.scroll = 0
		return nil
	case key.Matches(msg, k.End):
		p.scroll = 1 << 30 // the view clamps it to the last page
		return nil
	}
	if v.busy != "" && (key.Matches(msg, k.Send, k.WriteDraft) || msg.String() == "E") {
		return status(v.busy + " wait for it to finish")
	}
	switch {
	case key.Matches(msg, k.Send):
		if ok, cmd := v.c.mayDo(gdpr.ActionMessageQueue); !ok {
			return cmd
		}
		st, op, in := v.c.store, v.c.operator, v.letterRequest(p.letter.Kind)
		v.busy = "sending…"
		return v.c.io(func() tea.Msg {
			m, err := desk.Send(context.Background(), st, desk.SendLetter{Operator: op, Letter: in})
			return letterSentMsg{m: m, err: err}
		})
	case key.Matches(msg, k.WriteDraft):
		if ok, cmd := v.c.mayDo(gdpr.ActionLetterWrite); !ok {
			return cmd
		}
		st, op, in, dir := v.c.store, v.c.operator, v.letterRequest(p.letter.Kind), v.c.exportDir
		v.busy = "writing…"
		return v.c.io(func() tea.Msg {
			w, err := desk.WriteLetter(st, desk.LetterDraft{Operator: op, Letter: in, Dir: dir})
			return letterWrittenMsg{w: w, err: err}
		})
	case msg.String() == "E":
		if len(v.c.editor) == 0 {
			// Over SSH the editor would run on the server, not at the
			// operator's terminal (Options.AllowEditor).
			return status("no $EDITOR here: only a local gdprdesk started with $EDITOR set lends it")
		}
		v.busy = "in the editor…"
		return v.c.editText("Subject: " + p.letter.Subject + "\n\n" + p.letter.Body)
	}
	return nil
}

// edited takes the letter back from the editor: it is what s sends and w
// writes from now on.
func (v *lettersView) edited(msg editedMsg) tea.Cmd {
	v.busy = ""
	p := v.preview
	if p == nil {
		return nil
	}
	if msg.err != nil {
		return failed("Edit the letter", msg.err)
	}
	subject, body, err := desk.EditedLetter(msg.text)
	if err != nil {
		return failed("The letter was not changed", err)
	}
	if subject == p.letter.Subject && body == p.letter.Body {
		return status("the letter is unchanged")
	}
	p.letter.Subject, p.letter.Body, p.edited, p.scroll = subject, body, true, 0
	return done("Letter edited: s sends it and w writes it as edited; esc drops the edit")
}

// retry sends the request's failed letters again, oldest first.
func (v *lettersView) retry() tea.Cmd {
	if ok, cmd := v.c.mayDo(gdpr.ActionMessageSend); !ok {
		return cmd
	}
	if v.busy != "" {
		return status(v.busy + " wait for it to finish")
	}
	var ids []store.MessageID
	for _, m := range v.failed() {
		ids = append(ids, m.ID)
	}
	if len(ids) == 0 {
		return status("no failed or queued letter to retry for " + v.rv.id.String())
	}
	st, op := v.c.store, v.c.operator
	v.busy = "sending…"
	return v.c.io(func() tea.Msg {
		var out letterRetriedMsg
		for _, id := range ids {
			m, err := desk.RetryMessage(context.Background(), st, op, nil, id)
			var fe *desk.SendFailedError
			switch {
			case errors.As(err, &fe):
				out.failed = append(out.failed, m)
			case err != nil:
				out.err = err
				return out
			default:
				out.sent = append(out.sent, id)
			}
		}
		return out
	})
}

func (v *lettersView) view(w, h int) string {
	if v.dialog != nil {
		return v.dialog.view(w, h)
	}
	if v.preview != nil {
		return v.previewView(w, h)
	}
	st := v.c.styles
	r := v.rv.r
	var lines []string
	add := func(l ...string) { lines = append(lines, l...) }
	add(st.Title.Render("Letters for "+r.ID.String())+"  "+st.Subtle.Render("to "+plain(v.addressee())), "")
	add(st.Label.Render(fmt.Sprintf("%-10s", "Language")) + " " + v.langLine())
	if v.busy != "" {
		add(st.Warn.Render(fmt.Sprintf("%-10s %s", "Now", v.busy)))
	}
	add("", st.Header.Render("Letter"))
	nameW := 31
	for i, kind := range letterKinds() {
		err := gdpr.LetterFits(kind, r, v.rv.contact, v.c.now())
		mark, why := "  ", st.Good.Render("fits")
		if err != nil {
			why = st.Subtle.Render("does not fit: " + plain(whyNot(err, r.ID)))
		}
		if i == v.sel {
			mark = "> "
		}
		line := mark + cell(letterName(kind), nameW) + " " + why
		if i == v.sel {
			line = st.Selected.Render(cell(line, w))
		}
		add(line)
	}
	if err := gdpr.LetterFits(letterKinds()[v.sel], r, v.rv.contact, v.c.now()); err != nil {
		for _, l := range strings.Split(ansi.Wrap(plain(whyNot(err, r.ID)), max(w-4, 20), " "), "\n") {
			add(st.Subtle.Render("  " + l))
		}
	} else {
		add(st.Subtle.Render("  enter shows the letter: then send it, write the draft, or edit it"))
	}
	add("", st.Header.Render("Outbox of "+r.ID.String()))
	add(outboxLines(v.c, v.rv.outbox, w)...)
	return fit(strings.Join(lines, "\n"), w, h)
}

// whyNot is why a letter does not fit, without naming the request the
// screen is about, its status in words.
func whyNot(err error, id gdpr.RequestID) string {
	s := err.Error()
	s = strings.TrimPrefix(s, "request "+id.String()+": ")
	s = strings.TrimPrefix(s, "request "+id.String()+" ")
	return strings.ReplaceAll(s, string(gdpr.StatusInProgress), words(gdpr.StatusInProgress))
}

// addressee is who the letters go to, as the request view knows them.
func (v *lettersView) addressee() string {
	if c := v.rv.contact; c != nil {
		if c.Status == gdpr.ContactAnonymized {
			return c.ID.String() + " (anonymized: no address is left)"
		}
		if c.Email == "" {
			return c.Name() + " (no email address held)"
		}
		return strings.TrimSpace(c.Name() + " <" + c.Email + ">")
	}
	return v.rv.r.SubjectEmail
}

// langLine shows the language and the others it can change to.
func (v *lettersView) langLine() string {
	st := v.c.styles
	var all []string
	for _, l := range gdpr.LetterLanguages() {
		if l == v.lang {
			l = st.Key.Render("[" + l + "]")
		}
		all = append(all, l)
	}
	return strings.Join(all, " ") + st.Subtle.Render(" · "+v.why)
}

func (v *lettersView) previewView(w, h int) string {
	st := v.c.styles
	p := v.preview
	l := p.letter
	kv := func(label, value string) string {
		return st.Label.Render(fmt.Sprintf("%-9s", label)) + " " + value
	}
	edited := ""
	if p.edited {
		edited = st.Warn.Render("  edited")
	}
	var head []string
	head = append(head, st.Title.Render(letterName(l.Kind)+" · "+l.Request.ID.String()+" · "+l.Lang)+edited)
	to := "— no email address: w writes the text only"
	if l.To.Address != "" {
		to = plain(strings.TrimSpace(l.To.Name + " <" + l.To.Address + ">"))
	}
	head = append(head, kv("To", to))
	if l.From.Address == "" {
		head = append(head, kv("From", st.Warn.Render("— no sender: set the controller's email (5 Settings) or smtp-from")))
	}
	head = append(head, kv("Subject", plain(l.Subject)))
	if l.Attachment != nil {
		head = append(head, kv("Attached", plain(l.Attachment.Name)+fmt.Sprintf(" (%d bytes)", len(l.Attachment.Data))))
	}
	for _, n := range l.Notes {
		head = append(head, kv("Note", st.Warn.Render(plain(n))))
	}
	if strings.TrimSpace(v.rv.settings.SMTP.Host) == "" {
		head = append(head, kv("Sending", st.Warn.Render("no mail server is set (smtp-host): w writes the draft")))
	}
	if v.busy != "" {
		head = append(head, kv("Now", st.Warn.Render(v.busy)))
	}
	if p.written != "" {
		for i, line := range strings.Split(ansi.Wrap(plain(p.written), max(w-10, 20), " /"), "\n") {
			label := ""
			if i == 0 {
				label = "Written"
			}
			head = append(head, kv(label, line))
		}
	}
	head = append(head, st.Subtle.Render(rule(min(w, 72))))
	body := strings.Split(ansi.Wrap(paragraph(strings.TrimRight(l.Body, "\n")), max(w-2, 20), " "), "\n")
	rows := max(h-len(head)-1, 1)
	p.scroll = min(p.scroll, max(len(body)-rows, 0))
	end := min(p.scroll+rows, len(body))
	where := fmt.Sprintf("lines %d–%d of %d", p.scroll+1, end, len(body))
	if end == len(body) && p.scroll == 0 {
		where = "the whole letter"
	}
	out := append(head, body[p.scroll:end]...)
	out = append(out, st.Subtle.Render(where+" · ↑/↓ pgup/pgdn scroll"))
	return fit(strings.Join(out, "\n"), w, h)
}

// outboxLines lists a request's messages: id, kind, language, state with
// its time, attempts, and the reason (the server's words) of a failed
// message or of one queued again after a transient failure.
func outboxLines(c *common, msgs []store.Message, w int) []string {
	st := c.styles
	if len(msgs) == 0 {
		return []string{st.Subtle.Render("  no letter sent yet")}
	}
	var out []string
	for _, m := range msgs {
		at := m.Created
		switch m.State {
		case gdpr.MessageSent:
			at = m.Sent
		case gdpr.MessageFailed, gdpr.MessageSending:
			at = m.LastTry
		case gdpr.MessageQueued:
			if !m.LastTry.IsZero() {
				at = m.LastTry
			}
		}
		state := string(m.State)
		switch m.State {
		case gdpr.MessageSent:
			state = st.Good.Render(state)
		case gdpr.MessageFailed:
			state = st.Error.Render(state)
		case gdpr.MessageSending, gdpr.MessageQueued:
			state = st.Warn.Render(state)
		}
		attempts := ""
		if m.Attempts > 0 {
			attempts = fmt.Sprintf(" · attempt %d", m.Attempts)
		}
		out = append(out, fmt.Sprintf("  %-4s %-10s %s  %s %s%s", m.ID, m.Kind, m.Lang, state, c.in(at).Format("2006-01-02 15:04"), attempts))
		switch {
		case m.Erased:
			out = append(out, st.Subtle.Render("       its text and address were erased with the person"))
		case m.State == gdpr.MessageFailed && m.Reason != "":
			for _, l := range strings.Split(ansi.Wrap(plain(m.Reason), max(w-9, 20), " "), "\n") {
				out = append(out, "       "+st.Error.Render(l))
			}
		case m.State == gdpr.MessageQueued && m.Reason != "":
			for _, l := range strings.Split(ansi.Wrap(plain(m.Reason)+" (r sends it)", max(w-9, 20), " "), "\n") {
				out = append(out, "       "+st.Warn.Render(l))
			}
		case m.State == gdpr.MessageSending:
			out = append(out, st.Subtle.Render("       sending, or stopped before the server's answer was recorded: check the sent folder before a retry"))
		}
	}
	return out
}
