package desk

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/gdprdesk/gdprdesk/gdpr"
	"github.com/gdprdesk/gdprdesk/internal/smtptest"
)

// TestEditedLetterIsWrittenAndSentAsEdited: a letter the operator edited
// (LetterRequest.Subject and Body, as the TUI's $EDITOR gives them back)
// is written and sent with their words, to the rendered letter's
// addressee; the draft's audit entry says it was edited.
func TestEditedLetterIsWrittenAndSentAsEdited(t *testing.T) {
	srv := smtptest.Start(t)
	s := sendFixture(t, srv.Port)
	id := create(t, s, gdpr.Contact{FirstName: "Anna", Email: "anna@example.de", Language: "de"})[0]
	req := addRequest(t, s, gdpr.RequestErasure, id)
	subject, body, err := EditedLetter("Subject: Ihre Anfrage, bearbeitet\n\nGuten Tag Anna,\n\nvon Hand geschrieben.\n")
	if err != nil {
		t.Fatal(err)
	}
	in := LetterRequest{Kind: gdpr.LetterAck, Request: req, Templates: testLetters(t), Now: testNow, Subject: subject, Body: body}
	w, err := WriteLetter(s, LetterDraft{Operator: "owner", Letter: in, Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	text, err := os.ReadFile(w.TextPath)
	if err != nil {
		t.Fatal(err)
	}
	if string(text) != "Subject: Ihre Anfrage, bearbeitet\n\nGuten Tag Anna,\n\nvon Hand geschrieben.\n" || !w.Letter.Edited {
		t.Errorf("written %q (edited %v)", text, w.Letter.Edited)
	}
	es, err := s.AuditOf(req.String())
	if err != nil {
		t.Fatal(err)
	}
	if last := es[len(es)-1]; last.Action != string(gdpr.ActionLetterWrite) || !strings.Contains(last.Detail, "edited") {
		t.Errorf("audit entry %+v", last)
	}
	if _, err := Send(context.Background(), s, SendLetter{Operator: "owner", Getenv: noEnv, Letter: in}); err != nil {
		t.Fatal(err)
	}
	got := srv.Received()
	if len(got) != 1 {
		t.Fatalf("the server received %d messages", len(got))
	}
	sent := readSent(t, got[0].Data)
	if sent.subject != "Ihre Anfrage, bearbeitet" || !strings.Contains(sent.body, "von Hand geschrieben.") || got[0].To[0] != "anna@example.de" {
		t.Errorf("sent %q to %v:\n%s", sent.subject, got[0].To, sent.body)
	}
	// A subject of two lines is refused, and text without one is not a letter.
	in.Subject = "Betreff\nBcc: x@example.org"
	if _, err := RenderLetter(s, in); err == nil {
		t.Error("a subject of two lines was taken")
	}
	if _, _, err := EditedLetter("Guten Tag,\n\nohne Betreff"); err == nil {
		t.Error("a letter without its Subject line was read")
	}
}

// TestRetryMessageSendsOneOnce: the TUI's retry of one queued message
// delivers it once the server is up; a second retry is refused (a sent
// message is never sent twice) and the server holds one copy.
func TestRetryMessageSendsOneOnce(t *testing.T) {
	s := sendFixture(t, freePort(t))
	id := create(t, s, gdpr.Contact{FirstName: "Jan", Email: "jan@example.pl", Country: "PL"})[0]
	req := addRequest(t, s, gdpr.RequestAccess, id)
	m, err := Send(context.Background(), s, SendLetter{Operator: "owner", Getenv: noEnv,
		Letter: LetterRequest{Kind: gdpr.LetterAck, Request: req, Templates: testLetters(t), Now: testNow}})
	var fe *SendFailedError
	if !errors.As(err, &fe) || m.State != gdpr.MessageQueued {
		t.Fatalf("server down: %+v %v", m, err)
	}
	srv := smtptest.Start(t)
	setPort(t, s, srv.Port)
	got, err := RetryMessage(context.Background(), s, "owner", noEnv, m.ID)
	if err != nil || got.State != gdpr.MessageSent {
		t.Fatalf("retry: %+v %v", got, err)
	}
	if _, err := RetryMessage(context.Background(), s, "owner", noEnv, m.ID); err == nil || !strings.Contains(err.Error(), "never sent twice") {
		t.Errorf("second retry: %v", err)
	}
	if n := len(srv.Received()); n != 1 {
		t.Errorf("the server has %d messages, want 1", n)
	}
}
