package gdpr

import (
	"strings"
	"testing"
	"time"
)

// TestCanLinkExport: an access package answers a request of access
// (Art. 15) or portability (Art. 20) of the same person while the request
// is open; any other request is refused, saying why.
func TestCanLinkExport(t *testing.T) {
	tests := []struct {
		name    string
		r       Request
		contact ContactID
		refused string
	}{
		{"access", Request{ID: 1, Type: RequestAccess, Contact: 7, Status: StatusInProgress}, 7, ""},
		{"portability", Request{ID: 1, Type: RequestPortability, Contact: 7, Status: StatusNew}, 7, ""},
		{"verifying", Request{ID: 1, Type: RequestAccess, Contact: 7, Status: StatusVerifying}, 7, ""},
		{"erasure", Request{ID: 1, Type: RequestErasure, Contact: 7, Status: StatusInProgress}, 7, "erasure request, not access or portability"},
		{"objection", Request{ID: 1, Type: RequestObjection, Contact: 7, Status: StatusNew}, 7, "not access or portability"},
		{"someone else's", Request{ID: 1, Type: RequestAccess, Contact: 8, Status: StatusInProgress}, 7, "is not about C7"},
		{"no contact", Request{ID: 1, Type: RequestAccess, Status: StatusNew}, 7, "is not about C7"},
		{"completed", Request{ID: 1, Type: RequestAccess, Contact: 7, Status: StatusCompleted}, 7, "already completed"},
		{"denied", Request{ID: 1, Type: RequestPortability, Contact: 7, Status: StatusDenied}, 7, "already denied"},
	}
	for _, tt := range tests {
		err := tt.r.CanLinkExport(tt.contact)
		switch {
		case tt.refused == "" && err != nil:
			t.Errorf("%s: refused: %v", tt.name, err)
		case tt.refused != "" && (err == nil || !strings.Contains(err.Error(), tt.refused)):
			t.Errorf("%s: %v, want a refusal saying %q", tt.name, err, tt.refused)
		}
	}
}

// TestClosedRequestLinkIsFinal: the package linked to a completed or
// denied access request is the record of what answered it (Art. 15), kept
// to show the request was answered (accountability, Art. 5(2)). While the
// request is open a newer package may replace the link; once it is closed
// the link can be neither replaced nor removed, and a closed request that
// has none cannot be given one afterwards.
func TestClosedRequestLinkIsFinal(t *testing.T) {
	at := time.Date(2026, 11, 2, 10, 0, 0, 0, time.UTC)
	sent := Request{ID: 33, Type: RequestAccess, Contact: 7, Status: StatusInProgress,
		ExportSHA256: strings.Repeat("ab", 32), ExportedAt: at}
	relinked := func(r Request) Request {
		r.ExportSHA256, r.ExportedAt = strings.Repeat("cd", 32), at.Add(time.Hour)
		return r
	}
	unlinked := func(r Request) Request {
		r.ExportSHA256, r.ExportedAt = "", time.Time{}
		return r
	}
	completed, denied := sent, sent
	completed.Status, denied.Status = StatusCompleted, StatusDenied
	unanswered := unlinked(completed)
	notes := completed
	notes.Outcome = "sent by post"
	tests := []struct {
		name    string
		r, next Request
		refused string
	}{
		{"open, first link", unlinked(sent), sent, ""},
		{"open, newer package", sent, relinked(sent), ""},
		{"completed, unchanged link", completed, notes, ""},
		{"completed, replaced", completed, relinked(completed), "already completed: its answer is on record"},
		{"denied, replaced", denied, relinked(denied), "already denied"},
		{"completed, removed", completed, unlinked(completed), "cannot be removed"},
		{"open, removed", sent, unlinked(sent), "cannot be removed"},
		{"completed without a link, linked later", unanswered, relinked(unanswered), "already completed"},
		{"no contact", Request{ID: 1, Type: RequestAccess, Status: StatusNew}, relinked(Request{ID: 1, Type: RequestAccess, Status: StatusNew}), "names no contact"},
	}
	for _, tt := range tests {
		err := tt.r.CanChangeLink(tt.next)
		switch {
		case tt.refused == "" && err != nil:
			t.Errorf("%s: refused: %v", tt.name, err)
		case tt.refused != "" && (err == nil || !strings.Contains(err.Error(), tt.refused)):
			t.Errorf("%s: %v, want a refusal saying %q", tt.name, err, tt.refused)
		}
	}
}

// TestValidateAt: the month of Art. 12(3) runs from receipt, so a request
// logged today cannot have been received tomorrow; today and earlier are
// fine, whatever the hour.
func TestValidateAt(t *testing.T) {
	now := time.Date(2026, 11, 29, 23, 30, 0, 0, time.UTC)
	for _, tt := range []struct {
		received time.Time
		ok       bool
	}{
		{time.Date(2026, 11, 29, 0, 0, 0, 0, time.UTC), true},
		{time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC), true},
		{time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC), false},
	} {
		r := NewRequest(RequestAccess, ChannelEmail, tt.received, nil)
		r.SubjectEmail = "a@example.org"
		if err := r.ValidateAt(now); (err == nil) != tt.ok {
			t.Errorf("received %s: %v, want ok %v", tt.received.Format(time.DateOnly), err, tt.ok)
		}
	}
}
