package exporters

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"net/textproto"
	"path/filepath"
	"strings"
	"text/template"
	"time"
)

// AccessEmailData is what the email template (assets/templates/
// access-email.txt) can use.
type AccessEmailData struct {
	Name            string // the person's name, or their email when no name is held
	Email           string // the person's address
	Contact         string // the record id, e.g. "C12"
	ControllerName  string // may be empty
	ControllerEmail string
	DPOName         string // may be empty
	DPOEmail        string // may be empty
	FileName        string // the attachment's file name
	FormatName      string // e.g. "Excel workbook"
	Protected       bool   // the attachment is a password-protected workbook
	Date            string // the package's date, e.g. "10 March 2026"
}

// The content types of the attachment, by file extension.
var accessContentTypes = map[string]string{
	".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
	".zip":  "application/zip",
	".json": "application/json",
	".csv":  "text/csv",
}

var accessFormatNames = map[string]string{
	".xlsx": "Excel workbook",
	".zip":  "zip archive of CSV files",
	".json": "JSON file",
	".csv":  "CSV file",
}

// cfbMagic starts a Compound File: the container of an encrypted workbook.
var cfbMagic = []byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1}

// WriteAccessEML writes a ready-to-send email draft (RFC 5322, MIME):
// To: the person, From: the controller's email from the settings, the
// Subject and body from tmpl (a text/template whose output starts with a
// "Subject:" line, then a blank line, then the body; see AccessEmailData),
// and file attached under fileName as base64, with the content type of its
// extension. X-Unsent: 1 makes Outlook open it as a draft; other clients
// open it as a message to forward or "edit as new".
func WriteAccessEML(w io.Writer, p *AccessPackage, tmpl string, fileName string, file []byte, now time.Time) error {
	fail := func(err error) error { return fmt.Errorf("write email draft: %w", err) }
	to := p.Profile.Email
	if to == "" {
		if p.Anonymized {
			return fail(fmt.Errorf("%s is anonymized: no address is left to write to", p.Contact))
		}
		return fail(fmt.Errorf("%s has no email address: send the file another way", p.Contact))
	}
	from := p.About.Controller.Email
	if from == "" {
		return fail(errors.New("the settings have no email for the controller: fill it in under Settings (controller) so the draft has a sender"))
	}
	fromAddr, err := mail.ParseAddress(from)
	if err != nil {
		return fail(fmt.Errorf("the controller's email %q in the settings is not a valid address", from))
	}
	fromAddr.Name = p.About.Controller.Name
	name := strings.TrimSpace(p.Profile.FirstName + " " + p.Profile.LastName)
	toAddr := &mail.Address{Name: name, Address: to}

	ext := strings.ToLower(filepath.Ext(fileName))
	data := AccessEmailData{
		Name: name, Email: to, Contact: p.Contact.String(),
		ControllerName: p.About.Controller.Name, ControllerEmail: from,
		DPOName: p.About.DPO.Name, DPOEmail: p.About.DPO.Email,
		FileName: fileName, FormatName: accessFormatNames[ext],
		Protected: bytes.HasPrefix(file, cfbMagic),
		Date:      p.GeneratedAt.Format("2 January 2006"),
	}
	if data.Name == "" {
		data.Name = to
	}
	if data.FormatName == "" {
		data.FormatName = "file"
	}
	subject, body, err := renderAccessEmail(tmpl, data)
	if err != nil {
		return fail(err)
	}

	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	sum := sha256.Sum256(file)
	domain := from[strings.LastIndexByte(from, '@')+1:]
	header := [][2]string{
		{"Date", now.Format(time.RFC1123Z)},
		{"From", fromAddr.String()},
		{"To", toAddr.String()},
		{"Subject", mime.QEncoding.Encode("utf-8", subject)},
		{"Message-ID", fmt.Sprintf("<access.%s.%s.%s@%s>", p.Contact, now.UTC().Format("20060102T150405Z"), hex.EncodeToString(sum[:6]), domain)},
		{"MIME-Version", "1.0"},
		{"X-Unsent", "1"},
		{"Content-Type", mime.FormatMediaType("multipart/mixed", map[string]string{"boundary": mw.Boundary()})},
	}
	for _, h := range header {
		fmt.Fprintf(&buf, "%s: %s\r\n", h[0], h[1])
	}
	buf.WriteString("\r\n")

	text, err := mw.CreatePart(textproto.MIMEHeader{
		"Content-Type":              {"text/plain; charset=utf-8"},
		"Content-Transfer-Encoding": {"quoted-printable"},
	})
	if err != nil {
		return fail(err)
	}
	qp := quotedprintable.NewWriter(text)
	if _, err := io.WriteString(qp, body); err != nil {
		return fail(err)
	}
	if err := qp.Close(); err != nil {
		return fail(err)
	}

	ctype := accessContentTypes[ext]
	if ctype == "" {
		ctype = "application/octet-stream"
	}
	att, err := mw.CreatePart(textproto.MIMEHeader{
		"Content-Type":              {mime.FormatMediaType(ctype, map[string]string{"name": fileName})},
		"Content-Disposition":       {mime.FormatMediaType("attachment", map[string]string{"filename": fileName})},
		"Content-Transfer-Encoding": {"base64"},
	})
	if err != nil {
		return fail(err)
	}
	enc := base64.StdEncoding.EncodeToString(file)
	for len(enc) > 76 {
		if _, err := io.WriteString(att, enc[:76]+"\r\n"); err != nil {
			return fail(err)
		}
		enc = enc[76:]
	}
	if _, err := io.WriteString(att, enc+"\r\n"); err != nil {
		return fail(err)
	}
	if err := mw.Close(); err != nil {
		return fail(err)
	}
	if _, err := w.Write(buf.Bytes()); err != nil {
		return fail(err)
	}
	return nil
}

// renderAccessEmail runs the template and splits its output into the
// subject (the first line, "Subject: …") and the body (after the blank
// line that follows).
func renderAccessEmail(tmpl string, data AccessEmailData) (subject, body string, err error) {
	t, err := template.New("access-email").Option("missingkey=error").Parse(tmpl)
	if err != nil {
		return "", "", fmt.Errorf("email template: %w", err)
	}
	var out strings.Builder
	if err := t.Execute(&out, data); err != nil {
		return "", "", fmt.Errorf("email template: %w", err)
	}
	text := strings.ReplaceAll(strings.TrimLeft(out.String(), "\r\n"), "\r\n", "\n")
	first, rest, _ := strings.Cut(text, "\n")
	s, ok := strings.CutPrefix(first, "Subject:")
	if !ok {
		return "", "", errors.New(`email template: the first line must be "Subject: …"`)
	}
	subject = strings.TrimSpace(s)
	if subject == "" {
		return "", "", errors.New("email template: the subject is empty")
	}
	body = strings.TrimLeft(rest, "\n")
	return subject, strings.TrimRight(body, "\n") + "\n", nil
}
