package cli

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"io"
	"mime"
	"mime/multipart"
	"net"
	"net/mail"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/gdprdesk/gdprdesk/internal/smtptest"
)

// withTestLetters puts the small letter templates of internal/desk's
// testdata into DIR/templates/letters, where they override the embedded
// ones (SPEC §11), so these tests know the words to look for.
func withTestLetters(t *testing.T, dir string) {
	t.Helper()
	src := filepath.Join("..", "desk", "testdata", "letters")
	dst := filepath.Join(dir, "templates", "letters")
	if err := os.MkdirAll(dst, 0o700); err != nil {
		t.Fatal(err)
	}
	es, err := os.ReadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range es {
		b, err := os.ReadFile(filepath.Join(src, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dst, e.Name()), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
}

type outboxRow struct {
	ID, Request, State, To, Reason, Lang string
	Attempts                             int
	Erased                               bool
	AttachmentSHA256                     string `json:"attachment_sha256"`
}

func outboxOf(t *testing.T, dir string) []outboxRow {
	t.Helper()
	r := gdprdesk(t, "outbox", "--json", "--data", dir)
	if r.code != 0 {
		t.Fatalf("outbox: exit %d: %s", r.code, r.stderr)
	}
	var rows []outboxRow
	if err := json.Unmarshal([]byte(r.stdout), &rows); err != nil {
		t.Fatalf("outbox --json: %v\n%s", err, r.stdout)
	}
	return rows
}

// attachmentOf returns the attached file of a received message.
func attachmentOf(t *testing.T, data []byte) (body string, att []byte) {
	t.Helper()
	msg, err := mail.ReadMessage(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	_, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil {
		t.Fatal(err)
	}
	mr := multipart.NewReader(msg.Body, params["boundary"])
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			return body, att
		}
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(p)
		if err != nil {
			t.Fatal(err)
		}
		if p.FileName() == "" {
			body = string(b)
			continue
		}
		if att, err = base64.StdEncoding.DecodeString(strings.NewReplacer("\r", "", "\n", "").Replace(string(b))); err != nil {
			t.Fatal(err)
		}
	}
}

// TestLetterSendRetryAndOutbox runs the letters from the command line
// (SPEC §11): a draft in the person's language without a mail server; send
// refused with a pointer to drafts without SMTP settings; a send to a
// server that is down stays in the outbox, queued, with the reason (a
// retry while it is still down leaves it queued); the retry once it is up
// delivers it exactly once, with the package whose
// SHA-256 is the one recorded and without its password; the drafts are
// registered, so the erasure names them, and the outbox forgets the
// person's address with them.
func TestLetterSendRetryAndOutbox(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "D")
	wd := t.TempDir()
	run := func(args ...string) result {
		t.Helper()
		r := gdprdesk(t, append(args, "--data", dir)...)
		if r.code != 0 {
			t.Fatalf("%v: exit %d\n%s%s", args, r.code, r.stdout, r.stderr)
		}
		return r
	}
	run("contact", "add", "--email", "anna@example.de", "--first-name", "Anna", "--last-name", "Schmidt", "--country", "DE")
	withTestLetters(t, dir)
	run("settings", "set", "controller-name", "Laden GmbH")
	run("settings", "set", "controller-email", "privacy@laden.example")
	req := strings.TrimSpace(run("request", "add", "--type", "access", "--contact", "C1").stdout)
	const password = "Sesam-42-geheim"
	r := run("export", "access", "C1", "--request", req, "--password", password, "--out", filepath.Join(wd, "pkg.xlsx"))
	sha := regexp.MustCompile(`SHA-256 ([0-9a-f]{64})`).FindStringSubmatch(r.stdout)
	if sha == nil {
		t.Fatalf("export printed no SHA-256: %s", r.stdout)
	}

	r = run("letter", req, "--kind", "ack", "--out", filepath.Join(wd, "ack.txt"))
	text, err := os.ReadFile(filepath.Join(wd, "ack.txt"))
	if err != nil || !strings.HasPrefix(string(text), "Subject: Ihre Anfrage "+req+": eingegangen\n\nGuten Tag Anna Schmidt,") || !strings.Contains(r.stdout, "(de)") {
		t.Errorf("ack draft %q %v\n%s", text, err, r.stdout)
	}
	if _, err := os.Stat(filepath.Join(wd, "ack.eml")); err != nil {
		t.Errorf("no email draft: %v", err)
	}
	r = run("letter", req, "--kind", "ack", "--lang", "pl", "--out", filepath.Join(wd, "ack-pl.txt"))
	if text, err := os.ReadFile(filepath.Join(wd, "ack-pl.txt")); err != nil || !strings.Contains(string(text), "Dzień dobry Anna Schmidt,") {
		t.Errorf("--lang pl: %q %v", text, err)
	}
	r = gdprdesk(t, "letter", req, "--kind", "refusal", "--data", dir)
	if r.code != exitFailure {
		t.Errorf("refusal of an open request: exit %d", r.code)
	}
	oneErrorLine(t, r, "not denied")
	r = gdprdesk(t, "letter", req, "--data", dir)
	if r.code != exitUsage {
		t.Errorf("letter without --kind: exit %d", r.code)
	}

	r = gdprdesk(t, "send", req, "--kind", "completion", "--data", dir)
	if r.code != exitFailure {
		t.Errorf("send without SMTP: exit %d", r.code)
	}
	oneErrorLine(t, r, "gdprdesk letter")
	if rows := outboxOf(t, dir); len(rows) != 0 {
		t.Errorf("a send without SMTP queued %+v", rows)
	}

	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	down := strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
	l.Close()
	run("settings", "set", "smtp-host", "127.0.0.1")
	run("settings", "set", "smtp-port", down)
	run("settings", "set", "smtp-tls", "none")
	show := run("settings", "show")
	if !strings.Contains(show.stdout, "smtp-host") || !strings.Contains(show.stdout, "smtp-password-file") {
		t.Errorf("settings show lacks the SMTP keys:\n%s", show.stdout)
	}
	r = gdprdesk(t, "send", req, "--kind", "completion", "--data", dir)
	if r.code != exitFailure {
		t.Fatalf("send to a server that is down: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	oneErrorLine(t, r, "stays in the outbox, queued: could not reach the mail server")
	if !strings.Contains(r.stderr, "gdprdesk send --retry sends it") || strings.Contains(r.stderr, "anna@") {
		t.Errorf("send with the server down: %s", r.stderr)
	}
	t.Logf("send with the server down: exit %d: %s", r.code, r.stderr)
	rows := outboxOf(t, dir)
	if len(rows) != 1 || rows[0].State != "queued" || !strings.Contains(rows[0].Reason, "connection refused") || rows[0].Lang != "de" || rows[0].Attempts != 1 {
		t.Fatalf("outbox after a send with the server down: %+v", rows)
	}
	if human := run("outbox").stdout; !strings.Contains(human, "queued") || !strings.Contains(human, "connection refused") {
		t.Errorf("outbox:\n%s", human)
	} else {
		t.Logf("outbox:\n%s", human)
	}
	r = gdprdesk(t, "send", "--retry", "--data", dir)
	if r.code != exitFailure || !strings.Contains(r.stdout, "0 sent, 0 failed, 1 still queued") || !strings.Contains(r.stdout, "Queued M1") {
		t.Errorf("retry with the server still down: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	oneErrorLine(t, r, "queued: gdprdesk send --retry sends them")
	if rows := outboxOf(t, dir); len(rows) != 1 || rows[0].State != "queued" || rows[0].Attempts != 2 {
		t.Fatalf("outbox after a retry with the server down: %+v", rows)
	}

	srv := smtptest.Start(t)
	run("settings", "set", "smtp-port", strconv.Itoa(srv.Port))
	r = run("send", "--retry")
	if !strings.Contains(r.stdout, "1 sent, 0 failed") {
		t.Errorf("retry: %s", r.stdout)
	}
	t.Logf("send --retry:\n%s", r.stdout)
	r = run("send", "--retry")
	if !strings.Contains(r.stdout, "0 sent, 0 failed") {
		t.Errorf("second retry: %s", r.stdout)
	}
	t.Logf("send --retry again:\n%s", r.stdout)
	got := srv.Received()
	t.Logf("the server received %d message(s)", len(got))
	if len(got) != 1 {
		t.Fatalf("the server received %d messages, want exactly 1", len(got))
	}
	body, att := attachmentOf(t, got[0].Data)
	sum := sha256.Sum256(att)
	if hex.EncodeToString(sum[:]) != sha[1] {
		t.Errorf("attachment SHA-256 %x, recorded %s", sum, sha[1])
	}
	if !strings.Contains(body, "Guten Tag Anna Schmidt,") || !strings.Contains(body, "Das Passwort erhalten Sie getrennt.") {
		t.Errorf("body %q", body)
	}
	if bytes.Contains(got[0].Data, []byte(password)) {
		t.Error("the package's password travelled with it")
	}
	rows = outboxOf(t, dir)
	if len(rows) != 1 || rows[0].State != "sent" || rows[0].Attempts != 3 || rows[0].AttachmentSHA256 != sha[1] {
		t.Errorf("outbox after retry: %+v", rows)
	}

	// Erasing the person names the drafts written elsewhere and takes the
	// address out of the outbox.
	run("request", "close", req, "--outcome", "completed")
	r = run("anonymize", "C1")
	for _, name := range []string{"ack.txt", "ack.eml", "ack-pl.txt"} {
		if !strings.Contains(r.stdout+r.stderr, filepath.Join(wd, name)) {
			t.Errorf("the erasure does not name %s:\n%s%s", name, r.stdout, r.stderr)
		}
	}
	rows = outboxOf(t, dir)
	if len(rows) != 1 || !rows[0].Erased || rows[0].To != "" || rows[0].State != "sent" {
		t.Errorf("outbox after erasure: %+v", rows)
	}
}

// TestSendRefusedRecipientNamesNobody: when the server refuses the
// recipient, neither the error line of send nor the lines of send
// --retry quote the address the server names (SPEC §8); they give the
// codes and point to gdprdesk outbox, which shows the full reason.
func TestSendRefusedRecipientNamesNobody(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "D")
	run := func(args ...string) result {
		t.Helper()
		r := gdprdesk(t, append(args, "--data", dir)...)
		if r.code != 0 {
			t.Fatalf("%v: exit %d\n%s%s", args, r.code, r.stdout, r.stderr)
		}
		return r
	}
	srv := smtptest.Start(t)
	srv.Refuse("gone@example.pl")
	run("contact", "add", "--email", "gone@example.pl", "--first-name", "Jan", "--last-name", "Kowalski", "--country", "PL")
	withTestLetters(t, dir)
	run("settings", "set", "controller-email", "privacy@laden.example")
	run("settings", "set", "smtp-host", "127.0.0.1")
	run("settings", "set", "smtp-port", strconv.Itoa(srv.Port))
	run("settings", "set", "smtp-tls", "none")
	req := strings.TrimSpace(run("request", "add", "--type", "erasure", "--contact", "C1").stdout)
	for _, args := range [][]string{{"send", req, "--kind", "ack"}, {"send", "--retry"}} {
		r := gdprdesk(t, append(args, "--data", dir)...)
		if r.code != exitFailure {
			t.Fatalf("%v: exit %d\n%s%s", args, r.code, r.stdout, r.stderr)
		}
		out := r.stdout + r.stderr
		if strings.Contains(out, "gone@") || strings.Contains(out, "example.pl") || !strings.Contains(out, "550") || !strings.Contains(out, "gdprdesk outbox") {
			t.Errorf("%v printed:\n%s", args, out)
		}
	}
	if rows := outboxOf(t, dir); len(rows) != 1 || rows[0].State != "failed" || !strings.Contains(rows[0].Reason, "gone@example.pl") {
		t.Errorf("outbox: %+v", rows)
	}
}
