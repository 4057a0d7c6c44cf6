package gdpr

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// TestParseRequestType checks the six rights of Art. 15–21 that a request
// may exercise.
func TestParseRequestType(t *testing.T) {
	tests := []struct {
		in      string
		want    RequestType
		wantErr bool
	}{
		{"access", RequestAccess, false},
		{"portability", RequestPortability, false},
		{"erasure", RequestErasure, false},
		{"rectification", RequestRectification, false},
		{"restriction", RequestRestriction, false},
		{"objection", RequestObjection, false},
		{" Erasure ", RequestErasure, false},
		{"ACCESS", RequestAccess, false},
		{"", "", true},
		{"delete", "", true},
		{"access|erasure", "", true},
	}
	for _, tt := range tests {
		got, err := ParseRequestType(tt.in)
		if tt.wantErr {
			if err == nil {
				t.Errorf("ParseRequestType(%q) = %q, want an error", tt.in, got)
			} else if !strings.Contains(err.Error(), "rectification") {
				t.Errorf("ParseRequestType(%q) error %q does not list the types", tt.in, err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("ParseRequestType(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
	if n := len(RequestTypes()); n != 6 {
		t.Errorf("RequestTypes() has %d types, want 6", n)
	}
}

// TestRequestTypeEffects checks which rights pause marketing while open
// (restriction, Art. 18; objection, Art. 21(3)) and which oblige the
// controller to tell the recipients of the data (Art. 19).
func TestRequestTypeEffects(t *testing.T) {
	tests := []struct {
		typ            RequestType
		pauses, notify bool
	}{
		{RequestAccess, false, false},
		{RequestPortability, false, false},
		{RequestErasure, false, true},
		{RequestRectification, false, true},
		{RequestRestriction, true, true}, // Art. 19 covers restriction too
		{RequestObjection, true, false},
	}
	for _, tt := range tests {
		if got := tt.typ.PausesMarketing(); got != tt.pauses {
			t.Errorf("%s.PausesMarketing() = %v, want %v", tt.typ, got, tt.pauses)
		}
		if got := tt.typ.NotifiesRecipients(); got != tt.notify {
			t.Errorf("%s.NotifiesRecipients() = %v, want %v", tt.typ, got, tt.notify)
		}
	}
}

// TestParseChannel checks the channels a request can arrive by (SPEC §2);
// Art. 12(2) asks the controller to facilitate every one of them.
func TestParseChannel(t *testing.T) {
	tests := []struct {
		in      string
		want    Channel
		wantErr bool
	}{
		{"email", ChannelEmail, false},
		{"webform", ChannelWebform, false},
		{"phone", ChannelPhone, false},
		{"in_person", ChannelInPerson, false},
		{"In Person", ChannelInPerson, false},
		{"in-person", ChannelInPerson, false},
		{"letter", ChannelLetter, false},
		{"optout_link", ChannelOptoutLink, false},
		{"Optout-Link", ChannelOptoutLink, false},
		{" EMAIL ", ChannelEmail, false},
		{"", "", true},
		{"fax", "", true},
		{"e mail", "", true},
	}
	for _, tt := range tests {
		got, err := ParseChannel(tt.in)
		if tt.wantErr {
			if err == nil {
				t.Errorf("ParseChannel(%q) = %q, want an error", tt.in, got)
			} else if !strings.Contains(err.Error(), "optout_link") {
				t.Errorf("ParseChannel(%q) error %q does not list the channels", tt.in, err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("ParseChannel(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
}

// TestParseRequestStatus checks the statuses of the request workflow.
func TestParseRequestStatus(t *testing.T) {
	tests := []struct {
		in      string
		want    RequestStatus
		wantErr bool
	}{
		{"new", StatusNew, false},
		{"verifying", StatusVerifying, false},
		{"in_progress", StatusInProgress, false},
		{"In Progress", StatusInProgress, false},
		{"in-progress", StatusInProgress, false},
		{"completed", StatusCompleted, false},
		{"DENIED", StatusDenied, false},
		{"", "", true},
		{"closed", "", true},
		{"done", "", true},
	}
	for _, tt := range tests {
		got, err := ParseRequestStatus(tt.in)
		if tt.wantErr {
			if err == nil {
				t.Errorf("ParseRequestStatus(%q) = %q, want an error", tt.in, got)
			} else if !strings.Contains(err.Error(), "in_progress") {
				t.Errorf("ParseRequestStatus(%q) error %q does not list the statuses", tt.in, err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("ParseRequestStatus(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
	for _, st := range RequestStatuses() {
		wantOpen := st != StatusCompleted && st != StatusDenied
		if st.Open() != wantOpen {
			t.Errorf("%s.Open() = %v, want %v", st, st.Open(), wantOpen)
		}
	}
}

// TestNewRequest checks that a new request is dated by its day of receipt
// and carries the Art. 12(3) deadline.
func TestNewRequest(t *testing.T) {
	r := NewRequest(RequestErasure, ChannelEmail, time.Date(2026, 1, 31, 16, 20, 0, 0, time.UTC), nil)
	if !r.Received.Equal(date(2026, 1, 31)) {
		t.Errorf("Received = %v, want 2026-01-31 (a date)", r.Received)
	}
	if !r.Due.Equal(date(2026, 3, 2)) {
		t.Errorf("Due = %s, want 2026-03-02", r.Due.Format(time.DateOnly))
	}
	if r.Status != StatusNew || r.Type != RequestErasure || r.Channel != ChannelEmail {
		t.Errorf("NewRequest = %+v, want a new erasure request by email", r)
	}
	if r.Extension != nil {
		t.Errorf("a new request is not extended: %+v", r.Extension)
	}
}

// TestRequestValidate checks what a request needs before it is logged: a
// known type and channel, a subject and the date of receipt (Art. 12(3)
// counts from it).
func TestRequestValidate(t *testing.T) {
	good := Request{Type: RequestAccess, Channel: ChannelEmail, Contact: 12, Received: date(2026, 3, 10), Status: StatusNew}
	tests := []struct {
		name    string
		edit    func(r *Request)
		wantErr string
	}{
		{"valid with a contact", func(r *Request) {}, ""},
		{"valid with an email only", func(r *Request) { r.Contact = 0; r.SubjectEmail = "ann@example.com" }, ""},
		{"unknown type", func(r *Request) { r.Type = "delete" }, "request type"},
		{"empty type", func(r *Request) { r.Type = "" }, "request type"},
		{"unknown channel", func(r *Request) { r.Channel = "fax" }, "channel"},
		{"no subject", func(r *Request) { r.Contact = 0 }, "subject"},
		{"blank email subject", func(r *Request) { r.Contact = 0; r.SubjectEmail = "  " }, "subject"},
		{"no received date", func(r *Request) { r.Received = time.Time{} }, "received"},
	}
	for _, tt := range tests {
		r := good
		tt.edit(&r)
		err := r.Validate()
		checkErr(t, tt.name+": Validate()", err, tt.wantErr)
	}
}

// TestRequestExtend checks the one extension of Art. 12(3): "by two further
// months where necessary", with the reasons given to the subject "within one
// month of receipt", counted from the original receipt (Regulation 1182/71).
// Received 2026-01-31: due 2026-03-02, extension limit 2026-04-30.
func TestRequestExtend(t *testing.T) {
	received := date(2026, 1, 31)
	origDue := date(2026, 3, 2)
	limit := date(2026, 4, 30)
	inTime := date(2026, 2, 10)
	tests := []struct {
		name    string
		status  RequestStatus
		reason  string
		until   time.Time
		toldAt  time.Time
		now     time.Time
		wantErr string    // substring; "" for success
		wantDue time.Time // after success
	}{
		{"to the limit by default", StatusInProgress, "many linked accounts", time.Time{}, inTime, inTime, "", limit},
		{"to the limit exactly", StatusVerifying, "complex", limit, inTime, inTime, "", limit},
		{"shorter than the limit", StatusNew, "complex", date(2026, 4, 15), inTime, inTime, "", date(2026, 4, 15)},
		{"time of day of until ignored", StatusNew, "complex", time.Date(2026, 4, 30, 18, 0, 0, 0, time.UTC), inTime, inTime, "", limit},
		{"one day past the limit", StatusNew, "complex", date(2026, 5, 1), inTime, inTime, "too long", time.Time{}},
		{"limit is not the due date plus two months", StatusNew, "complex", date(2026, 5, 2), inTime, inTime, "too long", time.Time{}},
		{"until the old due date", StatusNew, "complex", origDue, inTime, inTime, "does not move", time.Time{}},
		{"until before the old due date", StatusNew, "complex", date(2026, 2, 20), inTime, inTime, "does not move", time.Time{}},
		{"no reason", StatusNew, "", time.Time{}, inTime, inTime, "reason", time.Time{}},
		{"blank reason", StatusNew, "  \t", time.Time{}, inTime, inTime, "reason", time.Time{}},
		{"made on the due date itself", StatusInProgress, "complex", time.Time{}, origDue, time.Date(2026, 3, 2, 23, 0, 0, 0, time.UTC), "", limit},
		{"made after the due date", StatusInProgress, "complex", time.Time{}, inTime, date(2026, 3, 3), "has passed", time.Time{}},
		{"subject told on the due date", StatusNew, "complex", time.Time{}, time.Date(2026, 3, 2, 17, 0, 0, 0, time.UTC), time.Date(2026, 3, 2, 18, 0, 0, 0, time.UTC), "", limit},
		// Art. 12(3): when the person was told is a record; a day after today is refused.
		{"subject told tomorrow (Art. 12(3))", StatusNew, "complex", time.Time{}, date(2026, 2, 11), inTime, "in the future", time.Time{}},
		{"subject told after the first month", StatusNew, "complex", time.Time{}, date(2026, 3, 3), inTime, "told", time.Time{}},
		{"telling not recorded", StatusNew, "complex", time.Time{}, time.Time{}, inTime, "told", time.Time{}},
		{"closed request", StatusCompleted, "complex", time.Time{}, inTime, inTime, "open", time.Time{}},
		{"denied request", StatusDenied, "complex", time.Time{}, inTime, inTime, "open", time.Time{}},
	}
	for _, tt := range tests {
		r := NewRequest(RequestAccess, ChannelEmail, received, nil)
		r.Status = tt.status
		if !r.Due.Equal(origDue) {
			t.Fatalf("setup: due %s, want %s", r.Due.Format(time.DateOnly), origDue.Format(time.DateOnly))
		}
		err := r.Extend(tt.reason, tt.until, tt.toldAt, tt.now, "ops", nil)
		if tt.wantErr != "" {
			if err == nil {
				t.Errorf("%s: Extend = nil, want an error about %q", tt.name, tt.wantErr)
			} else if !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("%s: Extend = %q, want it to mention %q", tt.name, err, tt.wantErr)
			}
			if r.Extension != nil || !r.Due.Equal(origDue) {
				t.Errorf("%s: a refused extension changed the request: due %s, extension %+v", tt.name, r.Due.Format(time.DateOnly), r.Extension)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: Extend = %v, want nil", tt.name, err)
			continue
		}
		if !r.Due.Equal(tt.wantDue) {
			t.Errorf("%s: due after extension %s, want %s", tt.name, r.Due.Format(time.DateOnly), tt.wantDue.Format(time.DateOnly))
		}
		e := r.Extension
		if e == nil {
			t.Errorf("%s: no extension recorded", tt.name)
			continue
		}
		if e.Reason != tt.reason || !e.Due.Equal(tt.wantDue) || !e.ToldAt.Equal(tt.toldAt) || !e.At.Equal(tt.now) || e.By != "ops" {
			t.Errorf("%s: extension recorded as %+v", tt.name, *e)
		}
		// The new due day itself is in time; the day after is not.
		if r.Overdue(tt.wantDue) || !r.Overdue(tt.wantDue.AddDate(0, 0, 1)) {
			t.Errorf("%s: Overdue around the new due date %s is wrong", tt.name, tt.wantDue.Format(time.DateOnly))
		}
	}
}

// TestRequestExtendOnlyOnce checks that Art. 12(3) allows a single
// extension: a second one is refused even though the new due date has not
// passed and the limit is not reached.
func TestRequestExtendOnlyOnce(t *testing.T) {
	r := NewRequest(RequestErasure, ChannelWebform, date(2026, 1, 31), nil)
	now := date(2026, 2, 10)
	if err := r.Extend("complex", date(2026, 3, 20), now, now, "ops", nil); err != nil {
		t.Fatalf("first extension: %v", err)
	}
	first := *r.Extension
	err := r.Extend("still complex", date(2026, 4, 30), now, now, "ops", nil)
	if err == nil || !strings.Contains(err.Error(), "already extended") {
		t.Errorf("second extension = %v, want an error saying it was already extended", err)
	}
	if *r.Extension != first || !r.Due.Equal(date(2026, 3, 20)) {
		t.Errorf("second extension changed the request: due %s, extension %+v", r.Due.Format(time.DateOnly), *r.Extension)
	}
}

// TestRequestExtendHolidays checks that the extension limit is counted with
// the same holiday calendar as the deadline (Regulation 1182/71 Art. 3(4)).
func TestRequestExtendHolidays(t *testing.T) {
	hol := holidaySet(date(2026, 4, 30))
	r := NewRequest(RequestAccess, ChannelEmail, date(2026, 1, 31), hol)
	now := date(2026, 2, 10)
	if err := r.Extend("complex", time.Time{}, now, now, "ops", hol); err != nil {
		t.Fatalf("Extend: %v", err)
	}
	if want := date(2026, 5, 1); !r.Due.Equal(want) {
		t.Errorf("due with 30 April a holiday = %s, want %s", r.Due.Format(time.DateOnly), want.Format(time.DateOnly))
	}
}

// TestCanMove checks the forward-only workflow of SPEC §2: new → verifying →
// in_progress → completed | denied, steps may be skipped, nothing goes back,
// and a closed request is final.
func TestCanMove(t *testing.T) {
	allowed := map[[2]RequestStatus]bool{
		{StatusNew, StatusVerifying}:        true,
		{StatusNew, StatusInProgress}:       true,
		{StatusNew, StatusCompleted}:        true,
		{StatusNew, StatusDenied}:           true,
		{StatusVerifying, StatusInProgress}: true,
		{StatusVerifying, StatusCompleted}:  true,
		{StatusVerifying, StatusDenied}:     true,
		{StatusInProgress, StatusCompleted}: true,
		{StatusInProgress, StatusDenied}:    true,
	}
	all := []RequestStatus{StatusNew, StatusVerifying, StatusInProgress, StatusCompleted, StatusDenied}
	for _, from := range all {
		for _, to := range all {
			err := CanMove(from, to)
			if want := allowed[[2]RequestStatus{from, to}]; want != (err == nil) {
				t.Errorf("CanMove(%s, %s) = %v, want allowed=%v", from, to, err, want)
			}
		}
	}
	for _, pair := range [][2]RequestStatus{{"", StatusNew}, {StatusNew, "closed"}, {"open", StatusCompleted}} {
		if err := CanMove(pair[0], pair[1]); err == nil {
			t.Errorf("CanMove(%q, %q) = nil, want an error for an unknown status", pair[0], pair[1])
		}
	}
}

// TestRequestMove checks status changes on a request: the workflow is
// enforced, a denial needs a written reason the person is told (Art. 12(4)),
// and closing records when.
func TestRequestMove(t *testing.T) {
	now := time.Date(2026, 2, 20, 10, 0, 0, 0, time.UTC)
	tests := []struct {
		name        string
		from, to    RequestStatus
		note        string
		wantErr     string
		wantOutcome string
		wantClosed  bool
	}{
		{"start verifying", StatusNew, StatusVerifying, "", "", "", false},
		{"skip to work", StatusNew, StatusInProgress, "", "", "", false},
		{"complete", StatusInProgress, StatusCompleted, "package sent", "", "package sent", true},
		{"complete without note", StatusInProgress, StatusCompleted, "", "", "", true},
		{"opt-out completed at once", StatusNew, StatusCompleted, "", "", "", true},
		{"deny with a reason", StatusVerifying, StatusDenied, "  unpaid invoice 2026-014 ", "", "unpaid invoice 2026-014", true},
		{"deny without a reason", StatusInProgress, StatusDenied, "", "reason", "", false},
		{"deny with a blank reason", StatusNew, StatusDenied, " \n", "reason", "", false},
		{"go back", StatusInProgress, StatusVerifying, "", "back", "", false},
		{"stay", StatusVerifying, StatusVerifying, "", "back", "", false},
		{"reopen completed", StatusCompleted, StatusInProgress, "", "closed", "", false},
		{"completed to denied", StatusCompleted, StatusDenied, "changed my mind", "closed", "", false},
		{"denied to completed", StatusDenied, StatusCompleted, "", "closed", "", false},
	}
	for _, tt := range tests {
		r := NewRequest(RequestErasure, ChannelEmail, date(2026, 2, 1), nil)
		r.Status = tt.from
		err := r.Move(tt.to, tt.note, now)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("%s: Move(%s → %s) = %v, want an error mentioning %q", tt.name, tt.from, tt.to, err, tt.wantErr)
			}
			if r.Status != tt.from || r.Outcome != "" || !r.ClosedAt.IsZero() {
				t.Errorf("%s: refused move changed the request: %+v", tt.name, r)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: Move(%s → %s) = %v, want nil", tt.name, tt.from, tt.to, err)
			continue
		}
		if r.Status != tt.to {
			t.Errorf("%s: status %s, want %s", tt.name, r.Status, tt.to)
		}
		if r.Outcome != tt.wantOutcome {
			t.Errorf("%s: outcome %q, want %q", tt.name, r.Outcome, tt.wantOutcome)
		}
		if closed := !r.ClosedAt.IsZero(); closed != tt.wantClosed || (closed && !r.ClosedAt.Equal(now)) {
			t.Errorf("%s: ClosedAt = %v, want closed=%v at %v", tt.name, r.ClosedAt, tt.wantClosed, now)
		}
	}
}

// TestRequestOverdue checks that only an open request can be overdue: the
// Art. 12(3) deadline is met once the request is answered.
func TestRequestOverdue(t *testing.T) {
	r := NewRequest(RequestAccess, ChannelEmail, date(2026, 1, 31), nil) // due 2026-03-02
	tests := []struct {
		status RequestStatus
		now    time.Time
		want   bool
	}{
		{StatusNew, date(2026, 3, 2), false},
		{StatusNew, date(2026, 3, 3), true},
		{StatusInProgress, date(2026, 4, 1), true},
		{StatusCompleted, date(2026, 4, 1), false},
		{StatusDenied, date(2026, 4, 1), false},
	}
	for _, tt := range tests {
		r.Status = tt.status
		if got := r.Overdue(tt.now); got != tt.want {
			t.Errorf("%s request, now %s: Overdue = %v, want %v", tt.status, tt.now.Format(time.DateOnly), got, tt.want)
		}
	}
}

// TestNeedsNotifications checks the Art. 19 duty: a completed rectification
// or erasure must record that each recipient was told, when there are any.
func TestNeedsNotifications(t *testing.T) {
	told := []Notification{{Recipient: "Mailer Ltd", At: date(2026, 2, 20), By: "ops"}}
	tests := []struct {
		typ        RequestType
		status     RequestStatus
		notes      []Notification
		recipients int
		want       bool
	}{
		{RequestErasure, StatusCompleted, nil, 2, true},
		{RequestRectification, StatusCompleted, nil, 1, true},
		{RequestErasure, StatusCompleted, told, 2, false},
		{RequestErasure, StatusCompleted, nil, 0, false},
		{RequestErasure, StatusInProgress, nil, 2, false},
		{RequestErasure, StatusDenied, nil, 2, false},
		{RequestAccess, StatusCompleted, nil, 2, false},
		{RequestRestriction, StatusCompleted, nil, 2, true}, // Art. 19: restriction is told too
		{RequestObjection, StatusCompleted, nil, 2, false},
	}
	for _, tt := range tests {
		r := Request{Type: tt.typ, Status: tt.status, Notifications: tt.notes}
		if got := r.NeedsNotifications(tt.recipients); got != tt.want {
			t.Errorf("%s %s, %d notifications, %d recipients: NeedsNotifications = %v, want %v",
				tt.status, tt.typ, len(tt.notes), tt.recipients, got, tt.want)
		}
	}
}

// TestRequestIDs checks the request ids shown to owners ("R12").
func TestRequestIDs(t *testing.T) {
	for _, n := range []RequestID{1, 12, 1 << 40} {
		s := n.String()
		if s != fmt.Sprintf("R%d", uint64(n)) {
			t.Errorf("RequestID(%d).String() = %q", n, s)
		}
		if got, err := ParseRequestID(s); err != nil || got != n {
			t.Errorf("ParseRequestID(%q) = %d, %v; want %d", s, got, err, n)
		}
	}
}

// TestUntoldAndNotify: Art. 19 — each recipient that received the data is
// told, or the reason it was impossible or disproportionate is recorded;
// only rectification, erasure and restriction oblige it.
func TestUntoldAndNotify(t *testing.T) {
	at := date(2026, 2, 20)
	r := Request{Type: RequestErasure, Status: StatusCompleted}
	if err := r.Notify([]string{"Mailer"}, []string{"Mailer", "Host"}, "", "ops", at); err != nil {
		t.Fatal(err)
	}
	if got := r.Untold(); len(got) != 1 || got[0] != "Host" || !r.Unnotified() {
		t.Errorf("one of two told: untold %v, unnotified %v", got, r.Unnotified())
	}
	if err := r.Notify([]string{"Host"}, nil, "went out of business", "ops", at); err != nil {
		t.Fatal(err)
	}
	if len(r.Untold()) != 0 || r.Unnotified() || r.Notifications[1].Impossible == "" {
		t.Errorf("all covered: %+v", r)
	}
	acc := Request{Type: RequestAccess}
	if err := acc.Notify([]string{"Mailer"}, []string{"Mailer"}, "", "ops", at); err == nil {
		t.Error("an access request took a notification")
	}
	if _, err := ResolveRecipients("mailer, HOST", []string{"Mailer", "Host"}); err != nil {
		t.Error(err)
	}
	if _, err := ResolveRecipients("Other", []string{"Mailer"}); err == nil || !strings.Contains(err.Error(), "Other") {
		t.Errorf("an unknown recipient: %v", err)
	}
	// The controller's own erasure record counts until told, never late.
	c := ControllerErasure(0, []string{"Mailer"}, "sweep", at)
	if !c.FromController() || !c.Unnotified() || c.ClosedLate(at) || c.Overdue(at) {
		t.Errorf("controller record: %+v", c)
	}
}
