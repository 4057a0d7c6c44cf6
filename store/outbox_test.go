package store

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/dgraph-io/badger/v4"
	"github.com/gdprdesk/gdprdesk/gdpr"
)

// TestOutboxStatesAuditedAndSealed walks a message through the outbox:
// queued → sending → failed → sending → sent, each change with its audit
// entry on the request that names no address; a sent message is never
// sent again; the address, letter and server's reason are stored sealed,
// and erasing the person destroys them (SPEC §11, §8).
func TestOutboxStatesAuditedAndSealed(t *testing.T) {
	s, _ := newStore(t)
	ids := mustCreate(t, s, gdpr.Contact{FirstName: "Quillon", Email: "quillon@example.org", Country: "DE"})
	req, err := s.AddRequest("tester", gdpr.Request{Type: gdpr.RequestAccess, Channel: gdpr.ChannelEmail, Contact: ids[0], Received: t0})
	if err != nil {
		t.Fatal(err)
	}
	before := len(allAudit(t, s))
	id, err := s.QueueMessage("tester", Message{Request: req, Kind: gdpr.LetterAck, Lang: "de", From: "desk@shop.example",
		To: "quillon@example.org", ToName: "Quillon", Subject: "Ihre Anfrage", Body: "Guten Tag Quillon",
		AttachmentName: "a.json", Attachment: []byte(`{"x":1}`), AttachmentSHA256: "abc", HeaderID: "<m1@shop.example>"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.MarkSending("tester", id, time.Time{}); err != nil {
		t.Fatal(err)
	}
	if err := s.MarkFailed("tester", id, "550 5.1.1 <quillon@example.org>: no such user", "the server refused the recipient (550)"); err != nil {
		t.Fatal(err)
	}
	m, err := s.OutboxMessage(id)
	if err != nil || m.State != gdpr.MessageFailed || !strings.Contains(m.Reason, "no such user") || m.Attempts != 1 || m.Contact != ids[0] {
		t.Fatalf("after failure: %+v %v", m, err)
	}
	if _, err := s.MarkSending("tester", id, time.Time{}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.MarkSending("tester", id, time.Time{}); err == nil {
		t.Error("a message being sent was handed out again without being marked interrupted")
	}
	if err := s.MarkSent("tester", id); err != nil {
		t.Fatal(err)
	}
	if _, err := s.MarkSending("tester", id, t0); err == nil || !strings.Contains(err.Error(), "never sent twice") {
		t.Errorf("a sent message could be sent again: %v", err)
	}
	m, err = s.OutboxMessage(id)
	if err != nil || m.State != gdpr.MessageSent || m.Attempts != 2 || m.Sent.IsZero() || m.Body != "Guten Tag Quillon" ||
		string(m.Attachment) != `{"x":1}` || m.HeaderID != "<m1@shop.example>" {
		t.Fatalf("after sending: %+v %v", m, err)
	}
	es := auditSince(t, s, before)
	want := []string{"message.queue", "message.send", "message.failed", "message.send", "message.sent"}
	if got := actions(es); strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("audit actions %v, want %v", got, want)
	}
	for _, e := range es {
		if e.Record != req.String() || !strings.Contains(e.Detail, id.String()) || strings.Contains(e.Detail, "quillon") || strings.Contains(e.Detail, "Quillon") {
			t.Errorf("audit entry %+v: want one on %s naming %s and no one", e, req, id)
		}
	}
	// Nothing personal in clear on disk.
	err = s.view(func(txn *badger.Txn) error {
		v, err := getValue(txn, outboxKey(id))
		if err != nil {
			return err
		}
		for _, secret := range []string{"quillon@example.org", "Guten Tag", "no such user", "Ihre Anfrage"} {
			if bytes.Contains(v, []byte(secret)) {
				t.Errorf("the stored message holds %q in clear", secret)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	list, err := s.Outbox(req)
	if err != nil || len(list) != 1 || list[0].ID != id {
		t.Errorf("outbox of %s: %+v %v", req, list, err)
	}
	if list, err := s.Outbox(req + 1); err != nil || len(list) != 0 {
		t.Errorf("outbox of another request: %+v %v", list, err)
	}

	// Erasing the person destroys the message's content with them.
	if err := s.CloseRequest("tester", req, gdpr.StatusCompleted, "sent"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Anonymize("tester", ids[0], AnonymizeOptions{}); err != nil {
		t.Fatal(err)
	}
	m, err = s.OutboxMessage(id)
	if err != nil || !m.Erased || m.To != "" || m.Body != "" || m.Attachment != nil || m.State != gdpr.MessageSent {
		t.Errorf("after erasure: %+v %v", m, err)
	}
	if _, err := s.QueueMessage("tester", Message{Request: req, Kind: gdpr.LetterCompletion, From: "a@b.example", To: "x@y.example"}); err == nil || !strings.Contains(err.Error(), "erased") {
		t.Errorf("a message to an erased person was queued: %v", err)
	}
}

// TestOutboxTransientFailureStaysQueued: a message the server could not
// take for a transient reason goes back to queued with its reason sealed
// and its attempt counted, audited with no address; a retry hands it out
// again, and it cannot go back to queued from anything but sending.
func TestOutboxTransientFailureStaysQueued(t *testing.T) {
	s, _ := newStore(t)
	ids := mustCreate(t, s, gdpr.Contact{FirstName: "Quillon", Email: "quillon@example.org"})
	req, err := s.AddRequest("tester", gdpr.Request{Type: gdpr.RequestAccess, Channel: gdpr.ChannelEmail, Contact: ids[0], Received: t0})
	if err != nil {
		t.Fatal(err)
	}
	id, err := s.QueueMessage("tester", Message{Request: req, Kind: gdpr.LetterAck, Lang: "en", From: "desk@shop.example",
		To: "quillon@example.org", Subject: "S", Body: "B", HeaderID: "<m1@shop.example>"})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.MarkQueued("tester", id, "x", "y"); err == nil {
		t.Error("a queued message that was never handed out was marked queued again")
	}
	before := len(allAudit(t, s))
	if _, err := s.MarkSending("tester", id, time.Time{}); err != nil {
		t.Fatal(err)
	}
	reason := "dial tcp 127.0.0.1:25: connect: connection refused (for quillon@example.org)"
	if err := s.MarkQueued("tester", id, reason, "could not reach the mail server"); err != nil {
		t.Fatal(err)
	}
	m, err := s.OutboxMessage(id)
	if err != nil || m.State != gdpr.MessageQueued || m.Reason != reason || m.Attempts != 1 {
		t.Fatalf("after a transient failure: %+v %v", m, err)
	}
	es := auditSince(t, s, before)
	if got := strings.Join(actions(es), " "); got != "message.send message.failed" {
		t.Errorf("audit actions %q", got)
	}
	if last := es[len(es)-1]; !strings.Contains(last.Detail, id.String()+" stays queued") || strings.Contains(last.Detail, "quillon") {
		t.Errorf("audit entry %+v: want %s stays queued, naming no one", last, id)
	}
	err = s.view(func(txn *badger.Txn) error {
		v, err := getValue(txn, outboxKey(id))
		if err != nil {
			return err
		}
		if bytes.Contains(v, []byte("connection refused")) || bytes.Contains(v, []byte("quillon")) {
			t.Error("the reason is stored in clear")
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if m, err = s.MarkSending("tester", id, time.Time{}); err != nil || m.Attempts != 2 {
		t.Fatalf("a retry of the queued message: %+v %v", m, err)
	}
	if err := s.MarkSent("tester", id); err != nil {
		t.Fatal(err)
	}
	if err := s.MarkQueued("tester", id, "x", "y"); err == nil {
		t.Error("a sent message went back to queued")
	}
}

// TestOutboxRoles: a viewer cannot queue a message (it hands personal
// data out); the refusal is audited.
func TestOutboxRoles(t *testing.T) {
	s, _ := newStore(t)
	ids := mustCreate(t, s, gdpr.Contact{Email: "a@example.org"})
	req, err := s.AddRequest("tester", gdpr.Request{Type: gdpr.RequestErasure, Channel: gdpr.ChannelEmail, Contact: ids[0], Received: t0})
	if err != nil {
		t.Fatal(err)
	}
	addOp(t, s, "vera", gdpr.RoleViewer)
	_, err = s.QueueMessage("vera", Message{Request: req, Kind: gdpr.LetterAck, From: "a@b.example", To: "a@example.org"})
	if !errors.Is(err, ErrForbidden) {
		t.Errorf("viewer queued a message: %v", err)
	}
}

// TestOutboxInBackup: a backup carries the outbox (ob/ and its sequence),
// readable after the restore with the key ring it carries.
func TestOutboxInBackup(t *testing.T) {
	s, _ := newStore(t)
	ids := mustCreate(t, s, gdpr.Contact{Email: "b@example.org"})
	req, err := s.AddRequest("tester", gdpr.Request{Type: gdpr.RequestAccess, Channel: gdpr.ChannelEmail, Contact: ids[0], Received: t0})
	if err != nil {
		t.Fatal(err)
	}
	id, err := s.QueueMessage("tester", Message{Request: req, Kind: gdpr.LetterAck, Lang: "en", From: "d@shop.example", To: "b@example.org", Subject: "S", Body: "B"})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if _, err := s.Backup(&buf, testPassphrase); err != nil {
		t.Fatal(err)
	}
	dir, _ := restoreInto(t, buf.Bytes(), RestoreOptions{})
	r := openAt(t, dir, newClock(t0))
	m, err := r.OutboxMessage(id)
	if err != nil || m.To != "b@example.org" || m.Body != "B" || m.State != gdpr.MessageQueued {
		t.Fatalf("restored message %+v %v", m, err)
	}
	next, err := r.QueueMessage("tester", Message{Request: req, Kind: gdpr.LetterAck, Lang: "en", From: "d@shop.example", To: "b@example.org", Subject: "S", Body: "B"})
	if err != nil || next != id+1 {
		t.Errorf("next message after restore %s %v, want %s", next, err, id+1)
	}
}

// TestMarkSendingInterruptedChecksAgeInTransaction: a message left
// "sending" is handed out again only if its last attempt began at or
// before the cutoff, checked as it is marked; so of two runs resending
// it with the same cutoff only the first takes it, and the refusal is a
// *NotSendableError naming nobody.
func TestMarkSendingInterruptedChecksAgeInTransaction(t *testing.T) {
	s, clk := newStore(t)
	ids := mustCreate(t, s, gdpr.Contact{FirstName: "Quillon", Email: "quillon@example.org"})
	req, err := s.AddRequest("tester", gdpr.Request{Type: gdpr.RequestAccess, Channel: gdpr.ChannelEmail, Contact: ids[0], Received: t0})
	if err != nil {
		t.Fatal(err)
	}
	id, err := s.QueueMessage("tester", Message{Request: req, Kind: gdpr.LetterAck, Lang: "en", From: "desk@shop.example",
		To: "quillon@example.org", Subject: "s", Body: "b", HeaderID: "<m1@shop.example>"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.MarkSending("tester", id, time.Time{}); err != nil {
		t.Fatal(err)
	}
	var ne *NotSendableError
	if _, err := s.MarkSending("tester", id, t0.Add(-time.Second)); !errors.As(err, &ne) || ne.ID != id || strings.Contains(err.Error(), "quillon") {
		t.Fatalf("resend of a message sending since after the cutoff: %v", err)
	}
	clk.Set(t0.Add(20 * time.Minute))
	cutoff := t0.Add(10 * time.Minute)
	m, err := s.MarkSending("tester", id, cutoff)
	if err != nil || m.Attempts != 2 || !m.LastTry.Equal(t0.Add(20*time.Minute)) {
		t.Fatalf("first resend: %+v %v", m, err)
	}
	if _, err := s.MarkSending("tester", id, cutoff); !errors.As(err, &ne) || !strings.Contains(err.Error(), "another run") {
		t.Errorf("a second run with the same cutoff took the message too: %v", err)
	}
	if got, _ := s.OutboxMessage(id); got.Attempts != 2 {
		t.Errorf("attempts %d, want 2", got.Attempts)
	}
}
