package exporters

import (
	"bytes"
	"encoding/base64"
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
	"time"
)

// EML is one email as the desk writes it: a letter to the person (SPEC
// §11), with an attachment or none.
type EML struct {
	From, To  mail.Address
	Subject   string
	Body      string // plain text
	Date      time.Time
	MessageID string // with its angle brackets, "<…@domain>"
	// AttachmentName and Attachment are the attached file; nil Attachment
	// is none.
	AttachmentName string
	Attachment     []byte
	// Draft adds X-Unsent: 1, which makes Outlook open the file as a
	// draft to send; other clients open it as a message to forward or
	// "edit as new".
	Draft bool
}

// The content types of the attachment, by file extension.
var accessContentTypes = map[string]string{
	".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
	".zip":  "application/zip",
	".json": "application/json",
	".csv":  "text/csv",
}

// ContentType is the MIME type of an attached file, by its extension.
func ContentType(fileName string) string {
	if ct := accessContentTypes[strings.ToLower(filepath.Ext(fileName))]; ct != "" {
		return ct
	}
	return "application/octet-stream"
}

// cfbMagic starts a Compound File: the container of an encrypted workbook.
var cfbMagic = []byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1}

// Protected reports whether a package is a password-protected workbook.
func Protected(file []byte) bool { return bytes.HasPrefix(file, cfbMagic) }

// WriteEML writes an email (RFC 5322, MIME): From, To, Subject (RFC 2047
// encoded), Date, Message-ID, the body as UTF-8 quoted-printable text and,
// when there is one, the attachment as base64 with the content type of its
// extension. Lines end in CRLF.
func WriteEML(w io.Writer, m EML) error {
	fail := func(err error) error { return fmt.Errorf("write email: %w", err) }
	if m.To.Address == "" {
		return fail(errors.New("no recipient address"))
	}
	if m.From.Address == "" {
		return fail(errors.New("the settings have no email for the controller: fill it in under Settings (controller) so the email has a sender"))
	}
	if _, err := mail.ParseAddress(m.From.Address); err != nil {
		return fail(fmt.Errorf("the sender %q is not a valid address", m.From.Address))
	}
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	header := [][2]string{
		{"Date", m.Date.Format(time.RFC1123Z)},
		{"From", m.From.String()},
		{"To", m.To.String()},
		{"Subject", mime.QEncoding.Encode("utf-8", m.Subject)},
		{"Message-ID", m.MessageID},
		{"MIME-Version", "1.0"},
	}
	if m.Draft {
		header = append(header, [2]string{"X-Unsent", "1"})
	}
	textHeader := textproto.MIMEHeader{
		"Content-Type":              {"text/plain; charset=utf-8"},
		"Content-Transfer-Encoding": {"quoted-printable"},
	}
	if m.Attachment == nil {
		header = append(header, [2]string{"Content-Type", textHeader.Get("Content-Type")},
			[2]string{"Content-Transfer-Encoding", "quoted-printable"})
	} else {
		header = append(header, [2]string{"Content-Type", mime.FormatMediaType("multipart/mixed", map[string]string{"boundary": mw.Boundary()})})
	}
	for _, h := range header {
		fmt.Fprintf(&buf, "%s: %s\r\n", h[0], h[1])
	}
	buf.WriteString("\r\n")
	body := strings.ReplaceAll(strings.ReplaceAll(m.Body, "\r\n", "\n"), "\n", "\r\n")
	if m.Attachment == nil {
		qp := quotedprintable.NewWriter(&buf)
		if _, err := io.WriteString(qp, body); err != nil {
			return fail(err)
		}
		if err := qp.Close(); err != nil {
			return fail(err)
		}
		_, err := w.Write(buf.Bytes())
		return err
	}
	text, err := mw.CreatePart(textHeader)
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
	att, err := mw.CreatePart(textproto.MIMEHeader{
		"Content-Type":              {mime.FormatMediaType(ContentType(m.AttachmentName), map[string]string{"name": m.AttachmentName})},
		"Content-Disposition":       {mime.FormatMediaType("attachment", map[string]string{"filename": m.AttachmentName})},
		"Content-Transfer-Encoding": {"base64"},
	})
	if err != nil {
		return fail(err)
	}
	enc := base64.StdEncoding.EncodeToString(m.Attachment)
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
