package ui

import (
	"context"
	"errors"
	"sync/atomic"

	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/gdprdesk/gdprdesk/exporters"
	"github.com/gdprdesk/gdprdesk/gdpr"
	"github.com/gdprdesk/gdprdesk/store"
)

// Store is what the screens need from the store; *store.Store satisfies it,
// and tests use a real store in a temporary directory.
type Store interface {
	exporters.AccessSource

	Dir() string
	Counts() (store.Counts, error)
	IsEmpty() (bool, error)
	Contacts(q gdpr.Query, after store.Cursor, limit int) (store.Page, error)
	ContactsBefore(q gdpr.Query, before store.Cursor, limit int) (store.Page, error)
	Count(q gdpr.Query) (int64, error)
	UpdateContact(operator string, id gdpr.ContactID, fn func(c *gdpr.Contact) error) error
	SetContactStatus(operator string, id gdpr.ContactID, status gdpr.ContactStatus, reason string) error
	Anonymize(operator string, id gdpr.ContactID, opts store.AnonymizeOptions) (store.Anonymized, error)
	Restrict(operator string, id gdpr.ContactID, reason string) error
	LiftRestriction(operator string, id gdpr.ContactID, told time.Time) error
	SetHold(operator string, id gdpr.ContactID, h gdpr.Hold) error
	ReleaseHold(operator string, id gdpr.ContactID) error
	DenyRequest(operator string, id gdpr.RequestID, ground gdpr.DenialGround, reason string) error
	ApplyBasis(ctx context.Context, operator string, q gdpr.Query, ch store.BasisChange, progress func(store.BulkProgress)) (store.BulkResult, error)
	ApplyBasisTo(ctx context.Context, operator string, ids []gdpr.ContactID, ch store.BasisChange, progress func(store.BulkProgress)) (store.BulkResult, error)
	CreateContact(operator string, c gdpr.Contact) (gdpr.ContactID, error)
	AddRequest(operator string, r gdpr.Request) (gdpr.RequestID, error)
	UpdateRequest(operator string, id gdpr.RequestID, action gdpr.Action, detail string, fn func(r *gdpr.Request) error) error
	Requests(f store.RequestFilter) ([]gdpr.Request, error)
	Audit(f store.AuditFilter, before uint64, limit int) ([]store.AuditEntry, error)
	Checklist() (items []gdpr.ItemStatus, done, applicable int, err error)
	SourceRules() ([]gdpr.SourceRule, error)
	SetSourceRule(operator string, r gdpr.SourceRule) error
	DeleteSourceRule(operator, source string) error
	SaveSettings(operator string, st gdpr.Settings) error
	AddPolicyVersion(operator string, kind gdpr.PolicyKind, text string, effective time.Time) (gdpr.PolicyVersion, error)
	SetChecklistItem(operator, id string, rec gdpr.ItemRecord) error
	ChecklistRecords() (map[string]gdpr.ItemRecord, error)
	VerifyAudit() (store.VerifyReport, error)
	Request(id gdpr.RequestID) (gdpr.Request, error)
	CloseRequest(operator string, id gdpr.RequestID, outcome gdpr.RequestStatus, note string) error
	FindContact(ref string) (gdpr.Contact, error)
	RecordExport(operator string, id gdpr.ContactID, format, sha256 string) error
	RecordExportFiles(operator string, id gdpr.ContactID, format, sha256 string, files []store.WrittenFile) error
	UpdateRequestFiles(operator string, id gdpr.RequestID, action gdpr.Action, detail string, fn func(r *gdpr.Request) error, contact gdpr.ContactID, files []store.WrittenFile) error
	WrittenFiles(ids ...gdpr.ContactID) ([]store.WrittenFile, error)
	ForgetFiles(operator string, id gdpr.ContactID, detail string) error
	Purposes() ([]gdpr.Purpose, error)
	SavePurpose(operator string, p gdpr.Purpose) error
	GrantConsent(operator string, id gdpr.ContactID, purpose string, at time.Time, method string) error
	WithdrawConsent(operator string, id gdpr.ContactID, purpose string, method string) error
	Recipients() ([]gdpr.Recipient, error)
	SaveRecipient(operator string, r gdpr.Recipient) error
	DeleteRecipient(operator, name string) error
	Breaches() ([]gdpr.Breach, error)
	Breach(id gdpr.BreachID) (gdpr.Breach, error)
	AddBreach(operator string, b gdpr.Breach) (gdpr.BreachID, error)
	UpdateBreach(operator string, id gdpr.BreachID, action gdpr.Action, detail string, fn func(b *gdpr.Breach) error) error
	RecordBreachLetters(operator string, id gdpr.BreachID, letters []store.BreachLetter) (erased []gdpr.ContactID, err error)
	DPIAScreening() (gdpr.DPIAScreening, bool, error)
	SaveDPIAScreening(operator string, d gdpr.DPIAScreening) error
	RecordControllerErasure(operator string, contact gdpr.ContactID, recipients []string, note string) (gdpr.RequestID, error)
	// The outbox of letters (SPEC §11; ui/letters.go), so that the desk's
	// Send, RetryMessage and WriteLetter run on it (desk.SendStore).
	QueueMessage(operator string, m store.Message) (store.MessageID, error)
	MarkSending(operator string, id store.MessageID, interruptedBefore time.Time) (store.Message, error)
	MarkSent(operator string, id store.MessageID) error
	MarkFailed(operator string, id store.MessageID, reason, summary string) error
	MarkQueued(operator string, id store.MessageID, reason, summary string) error
	Outbox(request gdpr.RequestID) ([]store.Message, error)
	// RecordRefusal audits an action the desk refused (by role or by a
	// guard) that never reached a commit.
	RecordRefusal(operator, what string) error
}

var _ Store = (*store.Store)(nil)

// Options configure the UI.
type Options struct {
	Store    Store
	Operator string    // who is at the keyboard (audit entries name them)
	Role     gdpr.Role // what they may do; empty is admin (the local owner)
	// Now returns the current time; tests fix it so screens are golden.
	Now func() time.Time
	// ExportDir is where access packages are written (default: the
	// current directory).
	ExportDir string
	// Changes signals changes made elsewhere (other sessions on the same
	// store, Store.Subscribe); every screen then reloads. Nil: none.
	Changes <-chan struct{}
	// AllowEditor offers $VISUAL or $EDITOR for the policy texts. Only
	// the local terminal UI sets it: over SSH the editor would run on the
	// server, not in the session's terminal.
	AllowEditor bool
	// Zone is the machine's time zone, where times show while the
	// timezone setting is empty; nil is time.Local.
	Zone *time.Location

	// exec runs the editor; nil is tea.ExecProcess (tests run it plainly).
	exec execFunc
}

// common is what every screen shares: the store, who works, the clock,
// styles and keys. It is handed down, never global; each screen holds its
// own copy (forScreen), which differs only in whom its io results go to.
type common struct {
	store     Store
	operator  string
	role      gdpr.Role
	now       func() time.Time
	exportDir string
	styles    Styles
	keys      KeyMap
	// editor is the command of the text editor ($VISUAL, $EDITOR) when
	// one may be used (Options.AllowEditor), and exec how it runs.
	editor []string
	exec   execFunc
	// zone holds the time zone times are shown in (the timezone setting,
	// else the machine's); the root sets it when the settings are read.
	zone *atomic.Pointer[time.Location]
	// local is the machine's zone (Options.Zone), shown while the
	// setting is empty.
	local *time.Location

	// inflight counts commands that read or write the store and have not
	// finished: tests wait for it to reach zero (a blinking cursor's
	// timer is the only other kind of command, and never ends).
	inflight *atomic.Int64

	// screen is the screen this copy of common belongs to (its tab
	// number), or toAll for the root's: io addresses the results of the
	// commands it makes to that screen, so a result reaches its sender only.
	screen int
}

// in is t in the desk's time zone, for showing. Dates (received, due) are
// days and stay as they are; times of day go through here.
func (c *common) in(t time.Time) time.Time { return t.In(c.zone.Load()) }

// zoneName is the desk's time zone as a short name for a column header
// (UTC, CET, JST), at the present moment.
func (c *common) zoneName() string { return c.in(c.now()).Format("MST") }

// toAll addresses a message to every screen: the root's own commands (the
// status line's counters) and the messages every screen must see.
const toAll = -1

// forScreen is a copy of c for screen i: the same store, clock, styles
// and in-flight counter, with the results of its io commands sent to i.
func (c *common) forScreen(i int) *common {
	cc := *c
	cc.screen = i
	return &cc
}

// io wraps a command that does store or file work, so it is counted in
// flight from the moment it is made until the root model has taken its
// message, and its message is delivered to the screen that made it (see
// Model.update), not to every screen.
func (c *common) io(fn func() tea.Msg) tea.Cmd {
	c.inflight.Add(1)
	to := c.screen
	return func() (msg tea.Msg) {
		defer func() {
			if r := recover(); r != nil {
				msg = ioMsg{to: to, msg: crashMsg{report: crashReport(r)}}
			}
		}()
		return ioMsg{to: to, msg: fn()}
	}
}

// ioMsg carries the message of an io command and the screen it goes back
// to (toAll for the root's own commands).
type ioMsg struct {
	to  int
	msg tea.Msg
}

// statusMsg sets the status line's message. Each kind has its own mark,
// so it reads without colour: ✓ done, ! refused, ✗ failed, and none for a
// hint (what a key needs, "nothing changed").
type statusMsg struct {
	text    string
	err     bool // an error: ✗
	refused bool // a refusal by role or by a rule of the book: !
	done    bool // an action that succeeded: ✓
	// over, when set, clears the line if it still says over: a hint of
	// work under way ("counting the matches…") goes once the work is done
	// instead of lingering after it.
	over string
}

// statusOver clears the hint text once what it announced is done, unless
// another message has replaced it meanwhile.
func statusOver(text string) tea.Cmd {
	return func() tea.Msg { return statusMsg{over: text} }
}

// status shows a hint: nothing was done, nothing was refused.
func status(text string) tea.Cmd {
	return func() tea.Msg { return statusMsg{text: text} }
}

// done shows that an action succeeded.
func done(text string) tea.Cmd {
	return func() tea.Msg { return statusMsg{text: text, done: true} }
}

// failed shows what failed and why; a change the store refused by role
// is shown as a refusal (the store audited it).
func failed(what string, err error) tea.Cmd {
	forbidden := errors.Is(err, store.ErrForbidden)
	return func() tea.Msg { return statusMsg{text: what + ": " + err.Error(), err: !forbidden, refused: forbidden} }
}

// refuse says why an action is refused (by the operator's role, or by a
// guard of the rule book), marked as a refusal, and audits it once with
// Store.RecordRefusal as an access.refused entry. what names the action
// without personal data (an audit action such as contact.edit, with the
// rule that refused it).
func (c *common) refuse(what, why string) tea.Cmd {
	return tea.Batch(refused(why), c.recordRefusal(what))
}

// refused shows a refusal on the status line, without auditing it (its
// audit entry is written where it was decided, by recordRefusal).
func refused(why string) tea.Cmd {
	return func() tea.Msg { return statusMsg{text: why, refused: true} }
}

// recordRefusal audits a refusal (see refuse) without a status message.
func (c *common) recordRefusal(what string) tea.Cmd {
	st, op := c.store, c.operator
	return c.io(func() tea.Msg {
		if err := st.RecordRefusal(op, what); err != nil {
			return statusMsg{text: "audit the refusal: " + err.Error(), err: true}
		}
		return nil
	})
}

// mayDo reports whether the operator's role allows action; when it does
// not, cmd shows and audits the refusal (refuse).
func (c *common) mayDo(action gdpr.Action) (ok bool, cmd tea.Cmd) {
	if ok, why := c.role.May(action); !ok {
		return false, c.refuse(string(action), why)
	}
	return true, nil
}

// reported ends an action: its error on the status line, or its message
// there and every screen told that the data changed. A change the store
// refused (its role check) is shown as a refusal: the store has audited it.
func reported(text string, err error) tea.Cmd {
	if errors.Is(err, store.ErrForbidden) {
		return func() tea.Msg { return statusMsg{text: err.Error(), refused: true} }
	}
	if err != nil {
		return func() tea.Msg { return statusMsg{text: err.Error(), err: true} }
	}
	return tea.Batch(done(text), changed)
}

// scrollKey moves a scrolled view for the list keys; it reports whether
// the key was one of them.
func scrollKey(k KeyMap, msg tea.KeyPressMsg, scroll *int) bool {
	switch {
	case key.Matches(msg, k.Up):
		*scroll--
	case key.Matches(msg, k.Down):
		*scroll++
	case key.Matches(msg, k.PageUp):
		*scroll -= 10
	case key.Matches(msg, k.PageDown):
		*scroll += 10
	default:
		return false
	}
	*scroll = max(*scroll, 0)
	return true
}

// changedMsg says the data changed: every screen reloads what it shows.
type changedMsg struct{}

func changed() tea.Msg { return changedMsg{} }
