package gdpr

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// RequestType is the right a data subject exercises (Art. 15–21).
type RequestType string

// The request types of SPEC §2.
const (
	RequestAccess        RequestType = "access"        // Art. 15
	RequestPortability   RequestType = "portability"   // Art. 20
	RequestErasure       RequestType = "erasure"       // Art. 17
	RequestRectification RequestType = "rectification" // Art. 16
	RequestRestriction   RequestType = "restriction"   // Art. 18
	RequestObjection     RequestType = "objection"     // Art. 21
)

// RequestTypes returns every request type.
func RequestTypes() []RequestType {
	return []RequestType{RequestAccess, RequestPortability, RequestErasure,
		RequestRectification, RequestRestriction, RequestObjection}
}

// ParseRequestType reads a request type case-insensitively.
// Label names a request type for the owner, with its article.
func (t RequestType) Label() string {
	switch t {
	case RequestAccess:
		return "Access (Art. 15)"
	case RequestPortability:
		return "Portability (Art. 20)"
	case RequestErasure:
		return "Erasure (Art. 17)"
	case RequestRectification:
		return "Rectification (Art. 16)"
	case RequestRestriction:
		return "Restriction (Art. 18)"
	case RequestObjection:
		return "Objection (Art. 21)"
	}
	return string(t)
}

func ParseRequestType(s string) (RequestType, error) {
	v := RequestType(strings.ToLower(strings.TrimSpace(s)))
	for _, t := range RequestTypes() {
		if t == v {
			return t, nil
		}
	}
	return "", fmt.Errorf("unknown request type %q: use access, portability, erasure, rectification, restriction or objection", s)
}

// PausesMarketing reports whether an open request of this type pauses
// marketing to the person until it is resolved (Art. 18, Art. 21(3)).
func (t RequestType) PausesMarketing() bool {
	return t == RequestRestriction || t == RequestObjection
}

// NotifiesRecipients reports whether completing a request of this type
// obliges the controller to tell each recipient of the data (Art. 19:
// rectification, erasure and restriction).
func (t RequestType) NotifiesRecipients() bool {
	return t == RequestRectification || t == RequestErasure || t == RequestRestriction
}

// Channel is how a request reached the business.
type Channel string

// The channels of SPEC §2.
const (
	ChannelEmail      Channel = "email"
	ChannelWebform    Channel = "webform"
	ChannelPhone      Channel = "phone"
	ChannelInPerson   Channel = "in_person"
	ChannelLetter     Channel = "letter"
	ChannelOptoutLink Channel = "optout_link"
)

// Channels returns every channel.
func Channels() []Channel {
	return []Channel{ChannelEmail, ChannelWebform, ChannelPhone, ChannelInPerson, ChannelLetter, ChannelOptoutLink}
}

// ParseChannel reads a channel case-insensitively ("in person" is accepted).
func ParseChannel(s string) (Channel, error) {
	v := Channel(strings.NewReplacer(" ", "_", "-", "_").Replace(strings.ToLower(strings.TrimSpace(s))))
	for _, c := range Channels() {
		if c == v {
			return c, nil
		}
	}
	return "", fmt.Errorf("unknown channel %q: use email, webform, phone, in_person, letter or optout_link", s)
}

// RequestStatus is where a request stands. A request only moves forward:
// new → verifying → in_progress → completed | denied, steps may be skipped
// (an opt-out link needs no identity check), and a closed request is final.
type RequestStatus string

// The request statuses of SPEC §2.
const (
	StatusNew        RequestStatus = "new"
	StatusVerifying  RequestStatus = "verifying"
	StatusInProgress RequestStatus = "in_progress"
	StatusCompleted  RequestStatus = "completed"
	StatusDenied     RequestStatus = "denied"
)

// RequestStatuses returns every status in workflow order.
func RequestStatuses() []RequestStatus {
	return []RequestStatus{StatusNew, StatusVerifying, StatusInProgress, StatusCompleted, StatusDenied}
}

// ParseRequestStatus reads a status case-insensitively.
func ParseRequestStatus(s string) (RequestStatus, error) {
	v := RequestStatus(strings.NewReplacer(" ", "_", "-", "_").Replace(strings.ToLower(strings.TrimSpace(s))))
	for _, st := range RequestStatuses() {
		if st == v {
			return st, nil
		}
	}
	return "", fmt.Errorf("unknown request status %q: use new, verifying, in_progress, completed or denied", s)
}

// Open reports whether the request still awaits an answer.
func (s RequestStatus) Open() bool { return s != StatusCompleted && s != StatusDenied }

func (s RequestStatus) rank() int {
	switch s {
	case StatusNew:
		return 0
	case StatusVerifying:
		return 1
	case StatusInProgress:
		return 2
	case StatusCompleted, StatusDenied:
		return 3
	}
	return -1
}

// CanMove reports whether a request may go from one status to another.
func CanMove(from, to RequestStatus) error {
	if from.rank() < 0 || to.rank() < 0 {
		return fmt.Errorf("unknown request status %q → %q", from, to)
	}
	if !from.Open() {
		return fmt.Errorf("request is already %s: a closed request cannot change", from)
	}
	if to.rank() <= from.rank() {
		return fmt.Errorf("request cannot go back from %s to %s", from, to)
	}
	return nil
}

// Verification records how the requester's identity was checked (Art. 12(6)).
type Verification struct {
	By  string    `json:"by"`
	How string    `json:"how"`
	At  time.Time `json:"at"`
}

// Extension is the one extension of Art. 12(3).
type Extension struct {
	Reason string    `json:"reason"`
	Due    time.Time `json:"due"`     // the new due date
	ToldAt time.Time `json:"told_at"` // when the subject was told, within the first month
	At     time.Time `json:"at"`
	By     string    `json:"by"`
}

// Notification records that a recipient of the data was told of a
// rectification or erasure (Art. 19).
type Notification struct {
	Recipient string    `json:"recipient"`
	At        time.Time `json:"at"`
	By        string    `json:"by"`
	// Impossible, when set, is why the recipient could not be told, or
	// only with disproportionate effort (Art. 19): recorded instead.
	Impossible string `json:"impossible,omitempty"`
}

// Request is a data-subject request. Subject is the contact it concerns, or
// SubjectEmail when no contact matched.
type Request struct {
	ID           RequestID     `json:"id"`
	Type         RequestType   `json:"type"`
	Contact      ContactID     `json:"contact,omitempty"`
	SubjectEmail string        `json:"subject_email,omitempty"`
	Received     time.Time     `json:"received"` // a date (UTC midnight)
	Channel      Channel       `json:"channel"`
	Status       RequestStatus `json:"status"`
	Due          time.Time     `json:"due"` // a date; the extension moves it
	Note         string        `json:"note,omitempty"`
	Verified     *Verification `json:"verified,omitempty"`
	Extension    *Extension    `json:"extension,omitempty"`
	Outcome      string        `json:"outcome,omitempty"` // outcome note, or the reason of a denial
	// Scope is what an objection objects to (Art. 21): marketing or
	// processing; empty for the other types (see objection.go).
	Scope ObjectionScope `json:"scope,omitempty"`
	// Ground is the named ground of a denial (see denial.go).
	Ground DenialGround `json:"ground,omitempty"`
	// Links to what was done: the exported package and the anonymization.
	ExportSHA256   string         `json:"export_sha256,omitempty"`
	ExportedAt     time.Time      `json:"exported_at,omitzero"`
	AnonymizedAt   time.Time      `json:"anonymized_at,omitzero"`
	AnonymizeEvent uint64         `json:"anonymize_event,omitempty"` // audit sequence number
	Notifications  []Notification `json:"notifications,omitempty"`
	// Recipients are the names of the recipients to tell (Art. 19),
	// recorded when known so the list outlives the person's erasure.
	Recipients []string `json:"recipients,omitempty"`
	// Origin is "" for a person's request, OriginController for the
	// record of an erasure the business made itself (see notify.go).
	Origin    string    `json:"origin,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	ClosedAt  time.Time `json:"closed_at,omitzero"`
}

// NewRequest builds a request received on a date, with its due date.
func NewRequest(t RequestType, ch Channel, received time.Time, holidays Holidays) Request {
	r := Day(received)
	return Request{Type: t, Channel: ch, Received: r, Status: StatusNew, Due: DueDate(r, holidays)}
}

// Validate checks a new request.
func (r Request) Validate() error {
	if _, err := ParseRequestType(string(r.Type)); err != nil {
		return err
	}
	if _, err := ParseChannel(string(r.Channel)); err != nil {
		return err
	}
	if r.Contact == 0 && strings.TrimSpace(r.SubjectEmail) == "" {
		return errors.New("request needs a subject: a contact or an email address")
	}
	if r.Received.IsZero() {
		return errors.New("request needs the date it was received")
	}
	if err := CheckStorableDate("date received", r.Received); err != nil {
		return err
	}
	if err := CheckText("request note", r.Note, true); err != nil {
		return err
	}
	return r.validateScope()
}

// ValidateAt checks a new request logged at now: Validate, and a request
// cannot have been received after today, since the one-month deadline
// (Art. 12(3)) runs from receipt.
func (r Request) ValidateAt(now time.Time) error {
	if err := r.Validate(); err != nil {
		return err
	}
	if Day(r.Received).After(Day(now)) {
		return fmt.Errorf("the request cannot have been received on %s, after today (%s)", r.Received.Format(time.DateOnly), Day(now).Format(time.DateOnly))
	}
	if r.Type == RequestObjection && r.Scope == "" {
		// The two objections have different effects (Art. 21(1) is
		// weighed, 21(3) takes effect at once): the desk must know which.
		return errors.New("an objection says what it objects to: scope marketing (direct marketing, takes effect at once) or processing (weighed against the business's grounds)")
	}
	return nil
}

// Overdue reports whether the open request has passed its due date at now.
func (r Request) Overdue(now time.Time) bool { return r.Status.Open() && Overdue(r.Due, now) }

// Extend applies the one extension of Art. 12(3): with a written reason, only
// once, only while the original due date has not passed, to at most three
// months after receipt, and the subject told within the first month — on
// a day not after today.
func (r *Request) Extend(reason string, until, toldAt, now time.Time, by string, holidays Holidays) error {
	if !r.Status.Open() {
		return fmt.Errorf("request is %s: only an open request can be extended", r.Status)
	}
	if r.Extension != nil {
		return errors.New("request was already extended once: Art. 12(3) allows a single extension")
	}
	if strings.TrimSpace(reason) == "" {
		return errors.New("an extension needs a written reason (Art. 12(3)): say why the request is complex or numerous")
	}
	if Overdue(r.Due, now) {
		return fmt.Errorf("the original due date %s has passed: an extension must be made before it", r.Due.Format(time.DateOnly))
	}
	limit := ExtendedDueDate(r.Received, holidays)
	if until.IsZero() {
		until = limit
	}
	until = Day(until)
	if until.After(limit) {
		return fmt.Errorf("extension to %s is too long: at most two further months, until %s", until.Format(time.DateOnly), limit.Format(time.DateOnly))
	}
	if !until.After(r.Due) {
		return fmt.Errorf("extension to %s does not move the due date %s", until.Format(time.DateOnly), r.Due.Format(time.DateOnly))
	}
	if toldAt.IsZero() {
		return errors.New("record when the person was told of the extension: they must be told within the first month")
	}
	if Overdue(r.Due, toldAt) {
		return fmt.Errorf("the person must be told of the extension by %s (within the first month)", r.Due.Format(time.DateOnly))
	}
	// When the person was told is a record of what happened: a day after
	// today (CheckPastDay, in now's zone) is a promise, not a record.
	if err := CheckPastDay("told of the extension on", toldAt, now); err != nil {
		return err
	}
	r.Extension = &Extension{Reason: reason, Due: until, ToldAt: toldAt.UTC(), At: now.UTC(), By: by}
	r.Due = until
	return nil
}

// Move changes the status, enforcing the forward-only workflow. Denial needs
// a written reason (Art. 12(4)), which becomes the outcome note.
func (r *Request) Move(to RequestStatus, note string, now time.Time) error {
	if err := CanMove(r.Status, to); err != nil {
		return err
	}
	if to == StatusDenied && strings.TrimSpace(note) == "" {
		return errors.New("a denial needs a written reason (e.g. an outstanding contract or unpaid invoice); the person must be told why (Art. 12(4))")
	}
	r.Status = to
	if strings.TrimSpace(note) != "" {
		r.Outcome = strings.TrimSpace(note)
	}
	if !to.Open() {
		r.ClosedAt = now.UTC()
	}
	return nil
}

// Unnotified reports whether a completed rectification or erasure records
// no notification of the recipients (Art. 19). Whether that matters depends
// on there being recipients: see NeedsNotifications.
func (r Request) Unnotified() bool {
	if r.Status != StatusCompleted || !r.Type.NotifiesRecipients() {
		return false
	}
	if len(r.Recipients) > 0 {
		return len(r.Untold()) > 0
	}
	return len(r.Notifications) == 0 && !r.FromController()
}

// NeedsNotifications reports whether a completed request still lacks the
// recipient notifications of Art. 19 (checklist item rectify-recipients).
// With no recipients configured there is nobody to tell.
func (r Request) NeedsNotifications(recipients int) bool {
	return recipients > 0 && r.Unnotified()
}

// CanLinkExport checks that an access package of the given contact may be
// recorded on the request as its answer: the request exercises the right
// of access (Art. 15) or portability (Art. 20), it is that contact's
// request, and it is still open (a closed request was answered already).
// The command line and the screens link a package only when it passes.
func (r Request) CanLinkExport(contact ContactID) error {
	if r.Type != RequestAccess && r.Type != RequestPortability {
		return fmt.Errorf("request %s is a %s request, not access or portability", r.ID, r.Type)
	}
	if r.Contact != contact {
		return fmt.Errorf("request %s is not about %s", r.ID, contact)
	}
	if !r.Status.Open() {
		return fmt.Errorf("request %s is already %s: its answer is on record and cannot be replaced; export without --request to give the person a new copy", r.ID, r.Status)
	}
	return nil
}

// CanChangeLink checks a change of the request r into next against the
// package recorded as its answer. While the request is open a package may
// be linked, or replaced by a newer one (CanLinkExport); once it is closed
// the link is final: the SHA-256 and time on a completed or denied request
// are the business's record of what it sent (Art. 15, accountability under
// Art. 5(2)), so neither may change nor be removed. The store checks every
// change of a request with it, whichever front end made it.
func (r Request) CanChangeLink(next Request) error {
	if next.ExportSHA256 == r.ExportSHA256 && next.ExportedAt.Equal(r.ExportedAt) {
		return nil
	}
	if next.ExportSHA256 == "" && r.ExportSHA256 != "" {
		return fmt.Errorf("request %s: the package recorded as its answer cannot be removed", r.ID)
	}
	if r.Contact == 0 {
		return fmt.Errorf("request %s names no contact: no access package can be linked to it", r.ID)
	}
	return r.CanLinkExport(r.Contact)
}
