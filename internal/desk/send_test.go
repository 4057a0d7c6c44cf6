package desk

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net"
	"net/mail"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/gdprdesk/gdprdesk/exporters"
	"github.com/gdprdesk/gdprdesk/gdpr"
	"github.com/gdprdesk/gdprdesk/internal/smtptest"
	"github.com/gdprdesk/gdprdesk/store"
)

// sentMail is a message read back from the test server.
type sentMail struct {
	header     mail.Header
	subject    string
	body       string
	attachName string
	attachment []byte
}

// readSent parses what the server received: headers, the text body and
// the attachment's bytes.
func readSent(t *testing.T, data []byte) sentMail {
	t.Helper()
	msg, err := mail.ReadMessage(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	out := sentMail{header: msg.Header}
	if out.subject, err = new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject")); err != nil {
		t.Fatal(err)
	}
	mt, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(mt, "multipart/") {
		b, _ := io.ReadAll(msg.Body)
		out.body = decodePart(t, msg.Header.Get("Content-Transfer-Encoding"), b)
		return out
	}
	mr := multipart.NewReader(msg.Body, params["boundary"])
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(p)
		if err != nil {
			t.Fatal(err)
		}
		if p.FileName() != "" {
			out.attachName = p.FileName()
			out.attachment = []byte(decodePart(t, p.Header.Get("Content-Transfer-Encoding"), b))
			continue
		}
		out.body = decodePart(t, p.Header.Get("Content-Transfer-Encoding"), b)
	}
	return out
}

func decodePart(t *testing.T, enc string, b []byte) string {
	t.Helper()
	if strings.EqualFold(enc, "base64") {
		d, err := base64.StdEncoding.DecodeString(strings.NewReplacer("\r", "", "\n", "").Replace(string(b)))
		if err != nil {
			t.Fatal(err)
		}
		return string(d)
	}
	return string(b) // quoted-printable parts are decoded by the reader
}

// sendFixture is a store whose settings send through srv (no TLS).
func sendFixture(t *testing.T, port int) *store.Store {
	t.Helper()
	s := openStore(t)
	st := gdpr.Settings{Controller: gdpr.Person{Name: "Laden GmbH", Email: "privacy@laden.example"},
		DPO: gdpr.Person{Email: "dpo@laden.example"}}
	st.SMTP = gdpr.SMTPSettings{Host: "127.0.0.1", Port: port, TLS: gdpr.SMTPNoTLS}
	if err := s.SaveSettings("owner", st); err != nil {
		t.Fatal(err)
	}
	return s
}

func setPort(t *testing.T, s *store.Store, port int) {
	t.Helper()
	st, err := s.Settings()
	if err != nil {
		t.Fatal(err)
	}
	st.SMTP.Port = port
	if err := s.SaveSettings("owner", st); err != nil {
		t.Fatal(err)
	}
}

func noEnv(string) string { return "" }

// TestSendCompletionLetterWithPackage sends the completion letter of an
// access request to a real SMTP server (SPEC §11): the server gets one
// message from the controller to the person, in German for a German
// contact, with the package attached byte for byte (its SHA-256 is the
// one recorded on the request) and not the package's password; the outbox
// says sent, and each step is audited on the request.
func TestSendCompletionLetterWithPackage(t *testing.T) {
	srv := smtptest.Start(t)
	s := sendFixture(t, srv.Port)
	id := create(t, s, gdpr.Contact{FirstName: "Anna", LastName: "Schmidt", Email: "anna@example.de", Country: "DE"})[0]
	req := addRequest(t, s, gdpr.RequestAccess, id)
	const password = "Sesam-öffne-dich-42"
	res, err := ExportAccess(s, AccessExport{Operator: "owner", Contact: id, Format: exporters.FormatXLSX, Password: password, Request: req, Dir: t.TempDir(), Now: testNow})
	if err != nil {
		t.Fatal(err)
	}
	m, err := Send(context.Background(), s, SendLetter{Operator: "owner", Getenv: noEnv,
		Letter: LetterRequest{Kind: gdpr.LetterCompletion, Request: req, Templates: testLetters(t), Now: testNow}})
	if err != nil {
		t.Fatal(err)
	}
	if m.State != gdpr.MessageSent {
		t.Errorf("state %s", m.State)
	}
	got := srv.Received()
	if len(got) != 1 {
		t.Fatalf("the server received %d messages, want 1", len(got))
	}
	if got[0].From != "privacy@laden.example" || len(got[0].To) != 1 || got[0].To[0] != "anna@example.de" {
		t.Errorf("envelope %s → %v", got[0].From, got[0].To)
	}
	sent := readSent(t, got[0].Data)
	r, err := s.Request(req)
	if err != nil {
		t.Fatal(err)
	}
	if sha256Hex(sent.attachment) != r.ExportSHA256 || r.ExportSHA256 != res.SHA256 {
		t.Errorf("attachment SHA-256 %s, recorded %s", sha256Hex(sent.attachment), r.ExportSHA256)
	}
	if !strings.Contains(sent.subject, "Ihre Anfrage "+req.String()) || !strings.Contains(sent.body, "Guten Tag Anna Schmidt,") ||
		!strings.Contains(sent.body, "Das Passwort erhalten Sie getrennt.") || !strings.Contains(sent.body, res.SHA256) {
		t.Errorf("letter %q\n%s", sent.subject, sent.body)
	}
	if from, err := sent.header.AddressList("From"); err != nil || len(from) != 1 || from[0].Name != "Laden GmbH" || from[0].Address != "privacy@laden.example" {
		t.Errorf("From %v %v", from, err)
	}
	if to, err := sent.header.AddressList("To"); err != nil || len(to) != 1 || to[0].Address != "anna@example.de" {
		t.Errorf("To %v %v", to, err)
	}
	if sent.header.Get("Message-Id") != m.HeaderID || sent.header.Get("Date") == "" {
		t.Errorf("Message-ID %q (stored %q), Date %q", sent.header.Get("Message-Id"), m.HeaderID, sent.header.Get("Date"))
	}
	if bytes.Contains(got[0].Data, []byte(password)) || strings.Contains(sent.body, password) ||
		bytes.Contains(got[0].Data, []byte(base64.StdEncoding.EncodeToString([]byte(password)))) {
		t.Error("the package's password travelled with it")
	}
	es, err := s.AuditOf(req.String())
	if err != nil {
		t.Fatal(err)
	}
	var acts []string
	for _, e := range es {
		acts = append(acts, e.Action)
		if strings.Contains(e.Detail, "anna") || strings.Contains(e.Detail, "Anna") {
			t.Errorf("audit entry names the person: %+v", e)
		}
	}
	if j := strings.Join(acts, " "); !strings.HasSuffix(j, "message.queue message.send message.sent") {
		t.Errorf("audit of %s: %s", req, j)
	}
	// Another file than the recorded package is refused.
	if _, err := Send(context.Background(), s, SendLetter{Operator: "owner", Getenv: noEnv,
		Letter: LetterRequest{Kind: gdpr.LetterCompletion, Request: req, Templates: testLetters(t), Now: testNow,
			Attachment: &Attachment{Name: "x.xlsx", Data: []byte("not it")}}}); err == nil || !strings.Contains(err.Error(), "not the package") {
		t.Errorf("foreign attachment: %v", err)
	}
	if n := len(srv.Received()); n != 1 {
		t.Errorf("the server has %d messages", n)
	}
}

// TestSendRefusedRecipientFails: the server refuses the recipient at RCPT;
// the message is failed with the server's reason (sealed), and the audit
// entry says why without the address.
func TestSendRefusedRecipientFails(t *testing.T) {
	srv := smtptest.Start(t)
	srv.Refuse("gone@example.pl")
	s := sendFixture(t, srv.Port)
	id := create(t, s, gdpr.Contact{FirstName: "Jan", Email: "gone@example.pl", Country: "PL"})[0]
	req := addRequest(t, s, gdpr.RequestErasure, id)
	m, err := Send(context.Background(), s, SendLetter{Operator: "owner", Getenv: noEnv,
		Letter: LetterRequest{Kind: gdpr.LetterAck, Request: req, Templates: testLetters(t), Now: testNow}})
	var fe *SendFailedError
	if !errors.As(err, &fe) || m.State != gdpr.MessageFailed || !strings.Contains(m.Reason, "550") || !strings.Contains(err.Error(), "mailbox unavailable") {
		t.Fatalf("refused recipient: %+v %v", m, err)
	}
	// The error line names nobody (SPEC §8) and points to the outbox; the
	// full reason, quoting the address, is sealed with the message.
	if strings.Contains(err.Error(), "gone@") || strings.Contains(err.Error(), "example.pl") || !strings.Contains(err.Error(), "gdprdesk outbox") ||
		!strings.Contains(err.Error(), "550") || !strings.Contains(m.Reason, "gone@example.pl") {
		t.Errorf("error line %q (reason %q)", err, m.Reason)
	}
	res, err := Retry(context.Background(), s, "owner", noEnv, false, testNow)
	if err != nil || len(res.Failed) != 1 || strings.Contains(res.Failed[0].Summary, "gone@") || !strings.Contains(res.Failed[0].Summary, "550") ||
		!strings.Contains(res.Failed[0].Reason, "gone@example.pl") {
		t.Errorf("retry: %+v %v", res, err)
	}
	stored, err := s.OutboxMessage(m.ID)
	if err != nil || stored.State != gdpr.MessageFailed || !strings.Contains(stored.Reason, "mailbox unavailable") || stored.Lang != "pl" {
		t.Errorf("stored %+v %v", stored, err)
	}
	if n := len(srv.Received()); n != 0 {
		t.Errorf("the server took %d messages", n)
	}
	es, err := s.AuditOf(req.String())
	if err != nil {
		t.Fatal(err)
	}
	last := es[len(es)-1]
	if last.Action != "message.failed" || !strings.Contains(last.Detail, "550") || strings.Contains(last.Detail, "gone@") {
		t.Errorf("audit entry %+v", last)
	}
}

// freePort is a port nothing listens on.
func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	return port
}

// TestSendServerDownThenRetryOnce: with the server down the message stays
// in the outbox, queued, with the reason; once it is up, a retry delivers
// it, and a second retry sends nothing again (no duplicate). A message
// left "sending" by a stop is not sent again unasked.
func TestSendServerDownThenRetryOnce(t *testing.T) {
	s := sendFixture(t, freePort(t))
	id := create(t, s, gdpr.Contact{FirstName: "Anna", Email: "anna@example.de", Language: "de"})[0]
	req := addRequest(t, s, gdpr.RequestAccess, id)
	in := SendLetter{Operator: "owner", Getenv: noEnv, Letter: LetterRequest{Kind: gdpr.LetterAck, Request: req, Templates: testLetters(t), Now: testNow}}
	m, err := Send(context.Background(), s, in)
	var fe *SendFailedError
	if !errors.As(err, &fe) || !fe.Queued || m.State != gdpr.MessageQueued || !strings.Contains(m.Reason, "connection refused") {
		t.Fatalf("server down: %+v %v", m, err)
	}
	srv := smtptest.Start(t)
	setPort(t, s, srv.Port)
	ctx := context.Background()
	res, err := Retry(ctx, s, "owner", noEnv, false, testNow)
	if err != nil || len(res.Sent) != 1 || res.Sent[0].ID != m.ID || len(res.Failed)+len(res.Queued) != 0 {
		t.Fatalf("retry: %+v %v", res, err)
	}
	res, err = Retry(ctx, s, "owner", noEnv, false, testNow)
	if err != nil || len(res.Sent)+len(res.Failed)+len(res.Queued)+len(res.Unsure) != 0 {
		t.Fatalf("second retry: %+v %v", res, err)
	}
	got := srv.Received()
	if len(got) != 1 {
		t.Fatalf("the server received %d messages, want exactly 1", len(got))
	}
	if sent := readSent(t, got[0].Data); !strings.Contains(sent.body, "Guten Tag Anna,") {
		t.Errorf("retried letter %q", sent.body)
	}
	stored, err := s.OutboxMessage(m.ID)
	if err != nil || stored.State != gdpr.MessageSent || stored.Attempts != 2 {
		t.Errorf("after retry: %+v %v", stored, err)
	}

	// A message marked sending whose result was never recorded.
	id2, err := s.QueueMessage("owner", store.Message{Request: req, Kind: gdpr.LetterAck, Lang: "de", From: "privacy@laden.example",
		To: "anna@example.de", Subject: "s", Body: "b", HeaderID: "<x@laden.example>"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.MarkSending("owner", id2, time.Time{}); err != nil {
		t.Fatal(err)
	}
	res, err = Retry(ctx, s, "owner", noEnv, false, testNow.Add(time.Hour))
	if err != nil || len(res.Unsure) != 1 || len(res.Sent) != 0 {
		t.Fatalf("retry with an interrupted message: %+v %v", res, err)
	}
	res, err = Retry(ctx, s, "owner", noEnv, true, testNow.Add(time.Minute))
	if err != nil || len(res.Unsure) != 1 || len(res.Sent) != 0 {
		t.Fatalf("resend of a message sending for a minute: %+v %v", res, err)
	}
	res, err = Retry(ctx, s, "owner", noEnv, true, testNow.Add(InterruptedAfter))
	if err != nil || len(res.Sent) != 1 || res.Sent[0].ID != id2 {
		t.Fatalf("resend interrupted: %+v %v", res, err)
	}
	if n := len(srv.Received()); n != 2 {
		t.Errorf("the server has %d messages, want 2", n)
	}
}

// TestSendPermanentFailsTransientQueuedRFC5321 classifies what stops a
// delivery (RFC 5321 §4.2.1): a 550 refusal is failed with the server's
// reason; a server that is down, or a 451 "try again later", leaves the
// message queued with the reason and its attempt counted. Once the server
// is up, send --retry delivers each queued message exactly once — one
// that was queued and never tried too — and a second retry sends nothing.
func TestSendPermanentFailsTransientQueuedRFC5321(t *testing.T) {
	ctx := context.Background()
	s := sendFixture(t, freePort(t))
	tmpl := testLetters(t)
	send := func(req gdpr.RequestID) (store.Message, *SendFailedError) {
		t.Helper()
		m, err := Send(ctx, s, SendLetter{Operator: "owner", Getenv: noEnv, Letter: LetterRequest{Kind: gdpr.LetterAck, Request: req, Templates: tmpl, Now: testNow}})
		var fe *SendFailedError
		if !errors.As(err, &fe) {
			t.Fatalf("send of %s: %+v %v, want a *SendFailedError", req, m, err)
		}
		return m, fe
	}
	down := addRequest(t, s, gdpr.RequestAccess, create(t, s, gdpr.Contact{FirstName: "Anna", Email: "anna@example.de", Language: "de"})[0])
	gone := addRequest(t, s, gdpr.RequestAccess, create(t, s, gdpr.Contact{FirstName: "Jan", Email: "gone@example.pl", Country: "PL"})[0])
	later := addRequest(t, s, gdpr.RequestAccess, create(t, s, gdpr.Contact{FirstName: "Eva", Email: "later@example.org"})[0])

	// The server is down: queued, with the reason, naming nobody in the error.
	m1, fe := send(down)
	if !fe.Queued || m1.State != gdpr.MessageQueued || !strings.Contains(m1.Reason, "connection refused") ||
		!strings.Contains(fe.Error(), "stays in the outbox, queued: could not reach the mail server") ||
		!strings.Contains(fe.Error(), "gdprdesk send --retry sends it") || strings.Contains(fe.Error(), "anna@") {
		t.Fatalf("server down: %+v %q", m1, fe.Error())
	}
	if got, err := s.OutboxMessage(m1.ID); err != nil || got.State != gdpr.MessageQueued || got.Attempts != 1 || !strings.Contains(got.Reason, "connection refused") {
		t.Fatalf("stored after the server was down: %+v %v", got, err)
	}

	srv := smtptest.Start(t)
	setPort(t, s, srv.Port)
	srv.Refuse("gone@example.pl")
	srv.Defer("later@example.org")
	// 550: refused for good.
	m2, fe := send(gone)
	if fe.Queued || m2.State != gdpr.MessageFailed || !strings.Contains(m2.Reason, "550") || !strings.Contains(fe.Error(), "failed") {
		t.Fatalf("550: %+v %q", m2, fe.Error())
	}
	// 451: try again later.
	m3, fe := send(later)
	if !fe.Queued || m3.State != gdpr.MessageQueued || !strings.Contains(m3.Reason, "451") || strings.Contains(fe.Error(), "later@") {
		t.Fatalf("451: %+v %q", m3, fe.Error())
	}
	// A message queued and never tried (the program stopped before sending).
	m4, err := s.QueueMessage("owner", store.Message{Request: down, Kind: gdpr.LetterAck, Lang: "de", From: "privacy@laden.example",
		To: "anna@example.de", Subject: "s", Body: "b", HeaderID: "<never@laden.example>"})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(srv.Received()); n != 0 {
		t.Fatalf("the server took %d messages before the retry", n)
	}

	srv.Accept("later@example.org")
	res, err := Retry(ctx, s, "owner", noEnv, false, testNow)
	if err != nil {
		t.Fatal(err)
	}
	var sent []store.MessageID
	for _, m := range res.Sent {
		sent = append(sent, m.ID)
	}
	if want := []store.MessageID{m1.ID, m3.ID, m4}; fmt.Sprint(sent) != fmt.Sprint(want) || len(res.Failed) != 1 || res.Failed[0].ID != m2.ID || len(res.Queued) != 0 {
		t.Fatalf("retry: sent %v, want %v; failed %+v; queued %+v", sent, want, res.Failed, res.Queued)
	}
	if n := len(srv.Received()); n != 3 {
		t.Errorf("the server received %d messages, want 3", n)
	}
	res, err = Retry(ctx, s, "owner", noEnv, false, testNow)
	if err != nil || len(res.Sent)+len(res.Queued) != 0 || len(res.Failed) != 1 {
		t.Fatalf("second retry: %+v %v", res, err)
	}
	if n := len(srv.Received()); n != 3 {
		t.Errorf("after a second retry the server has %d messages, want 3 (no duplicate)", n)
	}
	for id, want := range map[store.MessageID]int{m1.ID: 2, m3.ID: 2, m4: 1} {
		if got, err := s.OutboxMessage(id); err != nil || got.State != gdpr.MessageSent || got.Attempts != want {
			t.Errorf("%s after the retries: %+v %v, want sent on attempt %d", id, got, err, want)
		}
	}
	es, err := s.AuditOf(later.String())
	if err != nil {
		t.Fatal(err)
	}
	var stays bool
	for _, e := range es {
		if strings.Contains(e.Detail, m3.ID.String()+" stays queued") {
			stays = true
			if strings.Contains(e.Detail, "later@") {
				t.Errorf("audit entry names the address: %+v", e)
			}
		}
	}
	if !stays {
		t.Errorf("no audit entry says %s stays queued: %+v", m3.ID, es)
	}
}

// TestSendNeedsSMTPSettings: without a server nothing is queued and the
// error points to drafts; a password file others can read is refused; the
// password comes from the file, else the environment.
func TestSendNeedsSMTPSettings(t *testing.T) {
	s := openStore(t)
	id := create(t, s, gdpr.Contact{Email: "a@example.org"})[0]
	req := addRequest(t, s, gdpr.RequestAccess, id)
	_, err := Send(context.Background(), s, SendLetter{Operator: "owner", Getenv: noEnv, Letter: LetterRequest{Kind: gdpr.LetterAck, Request: req, Templates: testLetters(t), Now: testNow}})
	if !errors.Is(err, ErrNoSMTP) || !strings.Contains(err.Error(), "gdprdesk letter") {
		t.Errorf("no SMTP: %v", err)
	}
	if ms, err := s.Outbox(0); err != nil || len(ms) != 0 {
		t.Errorf("outbox %+v %v", ms, err)
	}
	dir := t.TempDir()
	pw := dir + "/smtp.pw"
	if err := writeFileMode(pw, "s3cret\n", 0o644); err != nil {
		t.Fatal(err)
	}
	st := gdpr.Settings{SMTP: gdpr.SMTPSettings{Host: "mail.example", User: "desk", PasswordFile: pw}}
	if _, err := SMTPFrom(st, noEnv); err == nil || !strings.Contains(err.Error(), "chmod 600") {
		t.Errorf("readable password file: %v", err)
	}
	if err := chmod(pw, 0o600); err != nil {
		t.Fatal(err)
	}
	if c, err := SMTPFrom(st, noEnv); err != nil || c.Password != "s3cret" || c.TLS != gdpr.SMTPStartTLS || c.SMTPPort() != 587 {
		t.Errorf("from the file: %+v %v", c, err)
	}
	st.SMTP.TLS = gdpr.SMTPNoTLS
	if _, err := SMTPFrom(st, noEnv); err == nil || !strings.Contains(err.Error(), "unencrypted") {
		t.Errorf("a password over a plain connection to another machine: %v", err)
	}
	st.SMTP.TLS = ""
	st.SMTP.PasswordFile = ""
	if _, err := SMTPFrom(st, noEnv); err == nil || !strings.Contains(err.Error(), SMTPPasswordEnv) {
		t.Errorf("no password: %v", err)
	}
	if c, err := SMTPFrom(st, func(k string) string { return map[string]string{SMTPPasswordEnv: "env-pw"}[k] }); err != nil || c.Password != "env-pw" {
		t.Errorf("from the environment: %+v %v", c, err)
	}
}

func writeFileMode(path, data string, mode os.FileMode) error {
	if err := os.WriteFile(path, []byte(data), mode); err != nil {
		return err
	}
	return os.Chmod(path, mode)
}

func chmod(path string, mode os.FileMode) error { return os.Chmod(path, mode) }

// TestSendAuthenticatesWithThePasswordFile: with smtp-user set, the desk
// logs in with the password read from the owner-only file; the password
// is in no stored message.
func TestSendAuthenticatesWithThePasswordFile(t *testing.T) {
	srv := smtptest.Start(t)
	srv.RequireAuth("desk@laden.example", "app-pw-Zz9")
	s := sendFixture(t, srv.Port)
	pw := t.TempDir() + "/smtp.pw"
	if err := writeFileMode(pw, "app-pw-Zz9\n", 0o600); err != nil {
		t.Fatal(err)
	}
	st, err := s.Settings()
	if err != nil {
		t.Fatal(err)
	}
	st.SMTP.User = "desk@laden.example"
	st.SMTP.PasswordFile = pw
	if err := s.SaveSettings("owner", st); err != nil {
		t.Fatal(err)
	}
	id := create(t, s, gdpr.Contact{Email: "a@example.org"})[0]
	req := addRequest(t, s, gdpr.RequestAccess, id)
	in := SendLetter{Operator: "owner", Getenv: noEnv, Letter: LetterRequest{Kind: gdpr.LetterAck, Request: req, Templates: testLetters(t), Now: testNow}}
	m, err := Send(context.Background(), s, in)
	if err != nil || m.State != gdpr.MessageSent {
		t.Fatalf("send with auth: %+v %v", m, err)
	}
	if a := srv.Authenticated(); len(a) != 1 || a[0] != "desk@laden.example" || len(srv.Received()) != 1 {
		t.Errorf("authenticated %v, received %d", a, len(srv.Received()))
	}
	if bytes.Contains(srv.Received()[0].Data, []byte("app-pw-Zz9")) || strings.Contains(m.Body+m.Subject, "app-pw-Zz9") {
		t.Error("the SMTP password is in the message")
	}
	// A wrong password: failed with the server's reason.
	if err := writeFileMode(pw, "wrong", 0o600); err != nil {
		t.Fatal(err)
	}
	m, err = Send(context.Background(), s, in)
	var fe *SendFailedError
	if !errors.As(err, &fe) || m.State != gdpr.MessageFailed || !strings.Contains(m.Reason, "535") {
		t.Errorf("wrong password: %+v %v", m, err)
	}
}

// takenMeanwhile is a store on which another run sends the first message
// of the outbox right after a retry has listed it.
type takenMeanwhile struct {
	*store.Store
}

func (s takenMeanwhile) Outbox(request gdpr.RequestID) ([]store.Message, error) {
	ms, err := s.Store.Outbox(request)
	if err != nil || len(ms) == 0 {
		return ms, err
	}
	if _, err := s.MarkSending("other", ms[0].ID, time.Time{}); err != nil {
		return nil, err
	}
	return ms, s.MarkSent("other", ms[0].ID)
}

// TestRetrySkipsAMessageTakenMeanwhile: a message the store refuses to
// hand out when its turn comes (another run sent it) is skipped with the
// reason; the retry goes on with the others instead of stopping.
func TestRetrySkipsAMessageTakenMeanwhile(t *testing.T) {
	srv := smtptest.Start(t)
	s := sendFixture(t, srv.Port)
	id := create(t, s, gdpr.Contact{FirstName: "Anna", Email: "anna@example.de", Language: "de"})[0]
	req := addRequest(t, s, gdpr.RequestAccess, id)
	var ids []store.MessageID
	for range 2 {
		mid, err := s.QueueMessage("owner", store.Message{Request: req, Kind: gdpr.LetterAck, Lang: "de", From: "privacy@laden.example",
			To: "anna@example.de", Subject: "s", Body: "b", HeaderID: "<x@laden.example>"})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, mid)
	}
	res, err := Retry(context.Background(), takenMeanwhile{s}, "owner", noEnv, false, testNow)
	if err != nil {
		t.Fatalf("one refused message stopped the retry: %v", err)
	}
	if len(res.Refused) != 1 || res.Refused[0].ID != ids[0] || !strings.Contains(res.Refused[0].Why, "sent already") ||
		len(res.Sent) != 1 || res.Sent[0].ID != ids[1] {
		t.Errorf("retry: %+v", res)
	}
	if n := len(srv.Received()); n != 1 {
		t.Errorf("the server has %d messages, want 1", n)
	}
}

// TestSafeReasonNamesNobody: the summary of a failure keeps the codes and
// words of the server but not the recipient's address or name, any other
// address, nor the message's id.
func TestSafeReasonNamesNobody(t *testing.T) {
	m := store.Message{To: "Jan.Kowalski@Example.PL", ToName: "Jan Kowalski", From: "desk@shop.example", HeaderID: "<R1.ack.ab12@shop.example>"}
	err := errors.New(`failed to send (RCPT TO): 550 "5.1.1 <jan.kowalski@example.pl> (Jan Kowalski): mailbox unavailable; also ewa@x.pl", ` +
		`affected recipient(s): <jan.kowalski@example.pl>, affected message ID: <R1.ack.ab12@shop.example>`)
	got := safeReason(err, m)
	for _, leak := range []string{"jan", "Jan", "Kowalski", "example.pl", "ewa@", "@"} {
		if strings.Contains(got, leak) {
			t.Errorf("safeReason %q contains %q", got, leak)
		}
	}
	for _, keep := range []string{"550", "5.1.1", "mailbox unavailable", "the recipient", "the message"} {
		if !strings.Contains(got, keep) {
			t.Errorf("safeReason %q lacks %q", got, keep)
		}
	}
}
