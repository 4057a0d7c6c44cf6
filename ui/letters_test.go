package ui

import (
	"bytes"
	"mime"
	"net"
	"net/mail"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/exp/teatest/v2"

	"github.com/gdprdesk/gdprdesk/exporters"
	"github.com/gdprdesk/gdprdesk/gdpr"
	"github.com/gdprdesk/gdprdesk/internal/desk"
	"github.com/gdprdesk/gdprdesk/internal/smtptest"
	"github.com/gdprdesk/gdprdesk/store"
)

// The letters overlay of a request (R3, overdue: no acknowledgement fits
// any more) and the preview of the acknowledgement of one in time (R1,
// found by the search), at 80×24 and 120×40 on the demo store.
// Refresh with: go test ./ui -run TestGolden -update
func TestGoldenLetters(t *testing.T) {
	runGoldenSteps(t, []goldenStep{
		{"letters", []string{"3", "enter", "@wait:History", "L"}, "Outbox of"},
		{"letter-preview", []string{"3", "/", "a", "m", "e", "l", "i", "a", "enter", "@wait:/ amelia", "enter", "@wait:History", "L", "enter"}, "scroll"},
	})
}

// letterStore is a store with one German customer and their access
// request, verified, whose package is exported and recorded on it, and
// settings that send through the SMTP server on port (no TLS); exports
// is the folder the UI writes drafts to.
func letterStore(t *testing.T, port int) (s *store.Store, req gdpr.RequestID, pkgSHA, exports string) {
	t.Helper()
	s = openDemo(t, 0)
	st := gdpr.Settings{Controller: gdpr.Person{Name: "Laden GmbH", Email: "privacy@laden.example"}, Language: "en"}
	st.SMTP = gdpr.SMTPSettings{Host: "127.0.0.1", Port: port, TLS: gdpr.SMTPNoTLS}
	if err := s.SaveSettings("owner", st); err != nil {
		t.Fatal(err)
	}
	id, err := s.CreateContact("owner", gdpr.Contact{FirstName: "Anna", LastName: "Schmidt", Email: "anna@example.de", Country: "DE"})
	if err != nil {
		t.Fatal(err)
	}
	r := gdpr.NewRequest(gdpr.RequestAccess, gdpr.ChannelEmail, testNow.AddDate(0, 0, -3), nil)
	r.Contact = id
	if req, err = s.AddRequest("owner", r); err != nil {
		t.Fatal(err)
	}
	if err := s.UpdateRequest("owner", req, gdpr.ActionRequestVerify, "identity verified", func(r *gdpr.Request) error {
		r.Verified = &gdpr.Verification{By: "owner", How: "reply from the address on file", At: testNow}
		return r.Move(gdpr.StatusInProgress, "", testNow)
	}); err != nil {
		t.Fatal(err)
	}
	res, err := desk.ExportAccess(s, desk.AccessExport{Operator: "owner", Contact: id, Format: exporters.FormatXLSX, Request: req, Dir: t.TempDir(), Now: testNow})
	if err != nil {
		t.Fatal(err)
	}
	return s, req, res.SHA256, t.TempDir()
}

// freeLocalPort is a port of 127.0.0.1 nothing listens on: a mail server
// that is down.
func freeLocalPort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	return port
}

// finish quits a teatest program and waits for it.
func finish(t *testing.T, tm *teatest.TestModel) {
	t.Helper()
	if err := tm.Quit(); err != nil {
		t.Fatal(err)
	}
	tm.WaitFinished(t, teatest.WithFinalTimeout(10*time.Second))
}

// The flow of #22 at 80×24: open the request, list its letters (German,
// from the contact's country), preview the completion letter, write the
// draft (.txt and .eml in the exports folder, the .eml in German with the
// package), then send it to a real SMTP server and see the outbox row
// turn sent; the server has the one message, with the package.
func TestFlowLetterPreviewWriteAndSend(t *testing.T) {
	srv := smtptest.Start(t)
	s, req, sha, exports := letterStore(t, srv.Port)
	tm, p := startProgram(t, newTestModel(s, func(o *Options) { o.ExportDir = exports }), 80, 24)
	p.waitFor(t, tm, "Recent activity")
	tm.Send(keyMsg("3"))
	p.waitFor(t, tm, "C1 Anna Schmidt")
	tm.Send(keyMsg("enter"))
	p.waitFor(t, tm, "L  letters to the person")
	tm.Send(keyMsg("L"))
	p.waitFor(t, tm, "en [de] fr es it nl pl pt · the contact's country, DE")
	for range 4 { // ack, identity, extension, refusal, completion
		tm.Send(keyMsg("down"))
	}
	tm.Send(keyMsg("enter"))
	p.waitFor(t, tm, "Completion · "+req.String()+" · de")
	p.waitFor(t, tm, "Guten Tag Anna Schmidt")
	p.waitFor(t, tm, "Attached")

	tm.Send(keyMsg("w"))
	p.waitFor(t, tm, "Written")
	txt := filepath.Join(exports, "letter-"+req.String()+"-completion-2026-11-29.txt")
	text, err := os.ReadFile(txt)
	if err != nil {
		t.Fatalf("the draft's text: %v", err)
	}
	if !strings.HasPrefix(string(text), "Subject: ") || !strings.Contains(string(text), "Guten Tag Anna Schmidt") || !strings.Contains(string(text), sha) {
		t.Errorf("the draft's text:\n%s", text)
	}
	eml, err := os.ReadFile(strings.TrimSuffix(txt, ".txt") + ".eml")
	if err != nil {
		t.Fatalf("the email draft: %v", err)
	}
	msg, err := mail.ReadMessage(bytes.NewReader(eml))
	if err != nil {
		t.Fatal(err)
	}
	subject, err := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
	if err != nil || !strings.Contains(subject, "Ihr Antrag "+req.String()) || msg.Header.Get("X-Unsent") != "1" {
		t.Errorf("the .eml's subject %q (%v), X-Unsent %q", subject, err, msg.Header.Get("X-Unsent"))
	}
	if ct := msg.Header.Get("Content-Type"); !strings.HasPrefix(ct, "multipart/mixed") || !bytes.Contains(eml, []byte(".xlsx")) {
		t.Errorf("the .eml carries no package: %s", ct)
	}

	tm.Send(keyMsg("s"))
	p.waitFor(t, tm, "completion de  sent 2026-11-29 10:00 · attempt 1")
	p.waitFor(t, tm, "Sent M1 to anna@example.de")
	finish(t, tm)

	got := srv.Received()
	if len(got) != 1 || len(got[0].To) != 1 || got[0].To[0] != "anna@example.de" {
		t.Fatalf("the server received %+v", got)
	}
	box, err := s.Outbox(req)
	if err != nil || len(box) != 1 || box[0].State != gdpr.MessageSent || box[0].AttachmentSHA256 != sha || box[0].Lang != "de" {
		t.Fatalf("outbox %+v %v", box, err)
	}
}

// With the mail server down, sending leaves the letter queued in the
// outbox with the reason; once it is up, r in the letters overlay
// delivers it, the row turns sent, and the server holds one copy.
func TestFlowLetterServerDownThenRetry(t *testing.T) {
	s, _, _, exports := letterStore(t, freeLocalPort(t))
	tm, p := startProgram(t, newTestModel(s, func(o *Options) { o.ExportDir = exports }), 80, 24)
	p.waitFor(t, tm, "Recent activity")
	tm.Send(keyMsg("3"))
	p.waitFor(t, tm, "C1 Anna Schmidt")
	tm.Send(keyMsg("enter"))
	p.waitFor(t, tm, "L  letters to the person")
	tm.Send(keyMsg("L"))
	p.waitFor(t, tm, "> Acknowledgement")
	tm.Send(keyMsg("enter"))
	p.waitFor(t, tm, "Ihr Antrag R1")
	tm.Send(keyMsg("s"))
	p.waitFor(t, tm, "ack        de  queued 2026-11-29 10:00 · attempt 1")
	p.waitFor(t, tm, "connection refused")
	p.waitFor(t, tm, "M1 was not sent yet, it stays queued (r tries again): dial failed")
	// The request view shows its outbox too.
	tm.Send(keyMsg("esc"))
	p.waitFor(t, tm, "1 not sent: L, then r, tries again")
	p.waitFor(t, tm, "dial failed: dial tcp 127.0.0.1:")
	tm.Send(keyMsg("L"))
	p.waitFor(t, tm, "ack        de  queued")

	srv := smtptest.Start(t)
	st, err := s.Settings()
	if err != nil {
		t.Fatal(err)
	}
	st.SMTP.Port = srv.Port
	if err := s.SaveSettings("owner", st); err != nil {
		t.Fatal(err)
	}
	tm.Send(keyMsg("r"))
	p.waitFor(t, tm, "ack        de  sent 2026-11-29 10:00 · attempt 2")
	p.waitFor(t, tm, "Sent M1 on retry")
	finish(t, tm)
	if n := len(srv.Received()); n != 1 {
		t.Errorf("the server received %d messages, want 1", n)
	}
}

// openLetter opens the letters of the only request and previews the
// first kind that fits (the acknowledgement).
func openLetter(d *driver) {
	d.keys("3", "enter", "L")
	d.mustShow("> Acknowledgement")
	d.keys("enter")
	d.mustShow("Acknowledgement (Art. 12(3)) · R1 · de")
}

// A letter changed in $EDITOR (local terminal only) is shown as edited,
// written as edited and sent as edited; the temporary file is gone.
func TestLetterEditedInEditorIsWrittenAndSentAsEdited(t *testing.T) {
	dir := t.TempDir()
	script := filepath.Join(dir, "editor.sh")
	// The editor sees the letter, subject first, and rewrites it.
	body := "#!/bin/sh\nhead -1 \"$1\" | grep -q '^Subject: Ihr Antrag R1' || exit 3\n" +
		"printf 'Subject: Ihr Antrag R1, von Hand\\n\\nGuten Tag Anna,\\n\\nvon Hand geschrieben.\\n' > \"$1\"\n"
	if err := os.WriteFile(script, []byte(body), 0o700); err != nil {
		t.Fatal(err)
	}
	t.Setenv("VISUAL", "")
	t.Setenv("EDITOR", script)
	srv := smtptest.Start(t)
	s, req, _, exports := letterStore(t, srv.Port)
	var seen string
	d := drive(t, newTestModel(s, func(o *Options) { o.ExportDir, o.AllowEditor, o.exec = exports, true, runPlainly(t, &seen) }), 120, 30)
	openLetter(d)
	d.keys("E")
	d.mustShow("edited", "Ihr Antrag R1, von Hand", "von Hand geschrieben.", "Letter edited")
	d.keys("w")
	text, err := os.ReadFile(filepath.Join(exports, "letter-"+req.String()+"-ack-2026-11-29.txt"))
	if err != nil || string(text) != "Subject: Ihr Antrag R1, von Hand\n\nGuten Tag Anna,\n\nvon Hand geschrieben.\n" {
		t.Fatalf("written %q %v", text, err)
	}
	d.keys("s")
	d.mustShow("Sent M1 to anna@example.de")
	got := srv.Received()
	if len(got) != 1 || !bytes.Contains(got[0].Data, []byte("von Hand geschrieben.")) || bytes.Contains(got[0].Data, []byte("Vorgangsnummer")) {
		t.Fatalf("the server received %d messages: %s", len(got), got)
	}
	if _, err := os.Stat(filepath.Dir(seen)); seen == "" || !os.IsNotExist(err) {
		t.Fatalf("the editor's folder %q is left behind (%v)", seen, err)
	}
}

// What stops a letter says why, and nothing is queued or written: no mail
// server (✗, with the way out), a viewer (refused, audited), and E where
// no editor may be lent (over SSH).
func TestLetterRefusals(t *testing.T) {
	s, req, _, exports := letterStore(t, 25)
	st, err := s.Settings()
	if err != nil {
		t.Fatal(err)
	}
	st.SMTP = gdpr.SMTPSettings{}
	if err := s.SaveSettings("owner", st); err != nil {
		t.Fatal(err)
	}
	d := drive(t, newTestModel(s, func(o *Options) { o.ExportDir = exports }), 160, 30)
	openLetter(d)
	d.mustShow("no mail server is set (smtp-host): w writes the draft")
	d.keys("s")
	d.mustShow("✗ not sent: no mail server (smtp-host) is set: w writes the draft")
	for _, b := range d.m.screens[tabRequests].Help() {
		if b.Help().Key == "E" {
			t.Error("E is offered without AllowEditor")
		}
	}
	d.keys("E")
	d.mustShow("no $EDITOR here")

	v := drive(t, newTestModel(s, func(o *Options) { o.ExportDir, o.Role = exports, gdpr.RoleViewer }), 160, 30)
	openLetter(v)
	v.keys("s")
	v.mustShow("! viewers cannot send letters")
	v.keys("w")
	v.mustShow("! viewers cannot write letters")

	if box, err := s.Outbox(req); err != nil || len(box) != 0 {
		t.Errorf("outbox %+v %v", box, err)
	}
	if files, err := os.ReadDir(exports); err != nil || len(files) != 0 {
		t.Errorf("exports hold %v %v", files, err)
	}
}

// shows waits until the screen shows text, whether or not store work is
// in flight (a letter being sent is).
func (p *probe) shows(t *testing.T, tm *teatest.TestModel, text string) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		tm.Send(probeMsg{})
		time.Sleep(15 * time.Millisecond)
		p.mu.Lock()
		ok := strings.Contains(p.screen, text)
		p.mu.Unlock()
		if ok {
			return
		}
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	t.Fatalf("the screen did not show %q within 15 s:\n%s", text, p.screen)
}

// While the mail server keeps the desk waiting, the letter shows
// "sending…" and the screen still answers keys (a second s is told to
// wait); when the server hangs up, the letter stays queued with the
// reason (a cut connection may pass).
func TestLetterSendingDoesNotBlock(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	conns := make(chan net.Conn, 1)
	go func() { // a server that answers nothing until the test says so
		if c, err := l.Accept(); err == nil {
			conns <- c
		}
	}()
	s, _, _, exports := letterStore(t, l.Addr().(*net.TCPAddr).Port)
	tm, p := startProgram(t, newTestModel(s, func(o *Options) { o.ExportDir = exports }), 80, 24)
	p.waitFor(t, tm, "Recent activity")
	tm.Send(keyMsg("3"))
	p.waitFor(t, tm, "C1 Anna Schmidt")
	tm.Send(keyMsg("enter"))
	p.waitFor(t, tm, "L  letters to the person")
	tm.Send(keyMsg("L"))
	p.waitFor(t, tm, "> Acknowledgement")
	tm.Send(keyMsg("enter"))
	p.waitFor(t, tm, "Ihr Antrag R1")
	tm.Send(keyMsg("s"))
	p.shows(t, tm, "Now       sending…")
	tm.Send(keyMsg("s"))
	p.shows(t, tm, "sending… wait for it to finish")
	select {
	case c := <-conns:
		c.Close()
	case <-time.After(15 * time.Second):
		t.Fatal("the desk did not connect to the mail server")
	}
	p.waitFor(t, tm, "ack        de  queued")
	finish(t, tm)
}

// The identity letter asks for the operator's words on what proof is
// wanted (Art. 12(6)), and puts them in the letter as written.
func TestLetterIdentityCarriesTheOperatorsWords(t *testing.T) {
	s := openDemo(t, 0)
	if err := s.SaveSettings("owner", gdpr.Settings{Controller: gdpr.Person{Name: "Sklep", Email: "rodo@sklep.example"}}); err != nil {
		t.Fatal(err)
	}
	id, err := s.CreateContact("owner", gdpr.Contact{FirstName: "Jan", LastName: "Kowalski", Email: "jan@example.pl", Country: "PL"})
	if err != nil {
		t.Fatal(err)
	}
	r := gdpr.NewRequest(gdpr.RequestErasure, gdpr.ChannelEmail, testNow, nil)
	r.Contact = id
	req, err := s.AddRequest("owner", r)
	if err != nil {
		t.Fatal(err)
	}
	exports := t.TempDir()
	d := drive(t, newTestModel(s, func(o *Options) { o.ExportDir = exports }), 120, 30)
	d.keys("3", "enter", "L")
	d.mustShow("en de fr es it nl [pl] pt · the contact's country, PL", "> Acknowledgement")
	d.keys("down", "enter")
	d.mustShow("What proof of identity do you ask for?")
	const proof = "odpowiedź z adresu e-mail, który znamy"
	d.typeText(proof)
	d.keys("enter")
	d.mustShow("Identity request (Art. 12(6)) · "+req.String()+" · pl", proof)
	d.keys("w")
	text, err := os.ReadFile(filepath.Join(exports, "letter-"+req.String()+"-identity-2026-11-29.txt"))
	if err != nil || !strings.Contains(string(text), proof) {
		t.Fatalf("written %q %v", text, err)
	}
}
