package store

import (
	"strings"
	"testing"

	"github.com/gdprdesk/gdprdesk/gdpr"
)

// TestClosedRequestKeepsItsPackage: the store holds a closed access
// request's linked package as final (Art. 15; accountability, Art. 5(2)):
// a change that would replace it is refused, nothing is written and
// nothing audited, whichever front end asks; while the request was open a
// newer package could replace the first.
func TestClosedRequestKeepsItsPackage(t *testing.T) {
	s, clk := newStore(t)
	ids := mustCreate(t, s, gdpr.Contact{Email: "a@example.com", Country: "DE"})
	r := gdpr.NewRequest(gdpr.RequestAccess, gdpr.ChannelEmail, clk.Now(), nil)
	r.Contact = ids[0]
	id, err := s.AddRequest("op", r)
	if err != nil {
		t.Fatal(err)
	}
	link := func(sum string) error {
		return s.UpdateRequest("op", id, gdpr.ActionRequestExport, "access package xlsx, sha256 "+sum, func(r *gdpr.Request) error {
			if err := r.CanLinkExport(ids[0]); err != nil {
				return err
			}
			r.ExportSHA256, r.ExportedAt = sum, clk.Now()
			return nil
		})
	}
	first, second, third := strings.Repeat("ab", 32), strings.Repeat("cd", 32), strings.Repeat("ef", 32)
	if err := link(first); err != nil {
		t.Fatalf("link to the open request: %v", err)
	}
	if err := link(second); err != nil {
		t.Fatalf("a newer package on the open request: %v", err)
	}
	if err := s.CloseRequest("op", id, gdpr.StatusCompleted, "sent"); err != nil {
		t.Fatal(err)
	}
	before := len(allAudit(t, s))

	// A caller that skips the rule's check is stopped by the store.
	err = s.UpdateRequest("op", id, gdpr.ActionRequestExport, "sha256 "+third, func(r *gdpr.Request) error {
		r.ExportSHA256, r.ExportedAt = third, clk.Now()
		return nil
	})
	if err == nil || !strings.Contains(err.Error(), "already completed") {
		t.Fatalf("replacing the package of a completed request: %v, want a refusal", err)
	}
	err = s.UpdateRequest("op", id, gdpr.ActionRequestExport, "unlinked", func(r *gdpr.Request) error {
		r.ExportSHA256 = ""
		return nil
	})
	if err == nil || !strings.Contains(err.Error(), "cannot be removed") {
		t.Fatalf("removing the package of a completed request: %v, want a refusal", err)
	}
	got, err := s.Request(id)
	if err != nil {
		t.Fatal(err)
	}
	if got.ExportSHA256 != second {
		t.Errorf("the completed request holds %q, want the package it was answered with, %q", got.ExportSHA256, second)
	}
	if n := len(allAudit(t, s)); n != before {
		t.Errorf("a refused change wrote %d audit entries", n-before)
	}
	// Other changes of the closed request still go through.
	if err := s.UpdateRequest("op", id, gdpr.ActionRequestNotify, "noted", func(r *gdpr.Request) error { return nil }); err != nil {
		t.Errorf("a change that keeps the link: %v", err)
	}
	checkVerified(t, s)
}
