package desk

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/textproto"
	"os"
	"regexp"
	"strings"
	"time"

	gomail "github.com/wneessen/go-mail"

	"github.com/gdprdesk/gdprdesk/exporters"
	"github.com/gdprdesk/gdprdesk/gdpr"
	"github.com/gdprdesk/gdprdesk/store"
)

// Sending letters (SPEC §11). A letter is queued in the outbox (one
// transaction with its audit entry), marked "sending", handed to the SMTP
// server, then marked sent, failed, or queued again with the reason (each
// one transaction with its audit entry). Failed is for a permanent
// refusal, an SMTP reply 5yz (RFC 5321 §4.2.1): sending it again as it is
// would be refused again. Anything else — the server down, a timeout, a
// 4yz transient reply, TLS trouble — leaves the message queued, with the
// reason, for `send --retry` to send later.
//
// Delivery is at most once unless the operator says otherwise: a message
// is marked sending before it goes out, so a stop between the server
// taking it and the desk recording that (a crash, a cut connection after
// the final "250 OK") leaves it "sending", and `send --retry` does not
// send it again by itself. It lists it as needing a check (the sent
// folder, the server's log: the Message-ID is the same on every attempt);
// --resend-interrupted sends such messages again once they have been
// sending for InterruptedAfter. A sent message is never sent again.
//
// The SMTP password is never stored: it is read from the file the
// smtp-password-file setting names (owner-only) or from the environment
// (SMTPPasswordEnv). Nothing puts an access package's password in a
// message: it is not stored anywhere, and the letter only says it comes
// separately.

// SMTPPasswordEnv is the environment variable the SMTP password may come
// from when no password file is set.
const SMTPPasswordEnv = "GDPRDESK_SMTP_PASSWORD"

// InterruptedAfter is how long a message must have been "sending" before
// --resend-interrupted treats it as interrupted (no send takes that long:
// the timeout is a minute).
const InterruptedAfter = 10 * time.Minute

// sendTimeout bounds connecting and each SMTP command.
const sendTimeout = time.Minute

// ErrNoSMTP says that no mail server is set.
var ErrNoSMTP = errors.New("no mail server is set (smtp-host): write the letter as a draft with `gdprdesk letter`, or set one with `gdprdesk settings set smtp-host HOST`")

// SendStore is what sending letters reads and records; *store.Store
// satisfies it.
type SendStore interface {
	LetterStore
	QueueMessage(operator string, m store.Message) (store.MessageID, error)
	MarkSending(operator string, id store.MessageID, interruptedBefore time.Time) (store.Message, error)
	MarkSent(operator string, id store.MessageID) error
	MarkFailed(operator string, id store.MessageID, reason, summary string) error
	MarkQueued(operator string, id store.MessageID, reason, summary string) error
	Outbox(request gdpr.RequestID) ([]store.Message, error)
}

var _ SendStore = (*store.Store)(nil)

// SMTPConfig is the mail server, with its password read.
type SMTPConfig struct {
	gdpr.SMTPSettings
	Password string
}

// SMTPFrom reads the SMTP settings and the password: from the file
// smtp-password-file names, which must be readable by its owner only, else
// from getenv(SMTPPasswordEnv) (nil getenv: os.Getenv).
func SMTPFrom(st gdpr.Settings, getenv func(string) string) (SMTPConfig, error) {
	c := SMTPConfig{SMTPSettings: st.SMTP}
	if strings.TrimSpace(c.Host) == "" {
		return c, ErrNoSMTP
	}
	if c.TLS == "" {
		c.TLS = gdpr.SMTPStartTLS
	}
	if getenv == nil {
		getenv = os.Getenv
	}
	if c.PasswordFile != "" {
		fi, err := os.Stat(c.PasswordFile)
		if err != nil {
			return c, fmt.Errorf("read the SMTP password file (smtp-password-file): %w", err)
		}
		if fi.Mode().Perm()&0o077 != 0 {
			return c, fmt.Errorf("the SMTP password file %s can be read by others (mode %04o): chmod 600 it", c.PasswordFile, fi.Mode().Perm())
		}
		b, err := os.ReadFile(c.PasswordFile)
		if err != nil {
			return c, fmt.Errorf("read the SMTP password file (smtp-password-file): %w", err)
		}
		c.Password = strings.TrimRight(string(b), "\r\n")
	} else {
		c.Password = getenv(SMTPPasswordEnv)
	}
	if c.User != "" && c.TLS == gdpr.SMTPNoTLS && !loopback(c.Host) {
		return c, errors.New("smtp-tls none with smtp-user would send the password unencrypted: use starttls or tls (none is for a relay on this machine)")
	}
	if c.User != "" && c.Password == "" {
		return c, fmt.Errorf("smtp-user is set but no password: put it in a file readable by you only and set smtp-password-file, or set %s", SMTPPasswordEnv)
	}
	return c, nil
}

// loopback reports whether host is this machine.
func loopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// send hands one message to the server.
func (c SMTPConfig) send(ctx context.Context, m store.Message) error {
	opts := []gomail.Option{gomail.WithPort(c.SMTPPort()), gomail.WithTimeout(sendTimeout)}
	switch c.TLS {
	case gdpr.SMTPTLS:
		opts = append(opts, gomail.WithSSL())
	case gdpr.SMTPNoTLS:
		opts = append(opts, gomail.WithTLSPolicy(gomail.NoTLS))
	default:
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSMandatory))
	}
	if c.User != "" {
		auth := gomail.SMTPAuthAutoDiscover
		if c.TLS == gdpr.SMTPNoTLS {
			auth = gomail.SMTPAuthPlainNoEnc // a relay on this machine only (SMTPFrom)
		}
		opts = append(opts, gomail.WithSMTPAuth(auth), gomail.WithUsername(c.User), gomail.WithPassword(c.Password))
	}
	client, err := gomail.NewClient(c.Host, opts...)
	if err != nil {
		return badMessageError{fmt.Errorf("mail server %s: %w", c.Host, err)}
	}
	msg := gomail.NewMsg()
	if err := msg.FromFormat(m.FromName, m.From); err != nil {
		return badMessageError{fmt.Errorf("sender %q: %w", m.From, err)}
	}
	if err := msg.AddToFormat(m.ToName, m.To); err != nil {
		return badMessageError{fmt.Errorf("recipient: %w", err)}
	}
	msg.Subject(m.Subject)
	msg.SetDateWithValue(m.Created)
	msg.SetMessageIDWithValue(strings.Trim(m.HeaderID, "<>"))
	msg.SetBodyString(gomail.TypeTextPlain, m.Body)
	if m.Attachment != nil {
		if err := msg.AttachReader(m.AttachmentName, bytes.NewReader(m.Attachment),
			gomail.WithFileContentType(gomail.ContentType(exporters.ContentType(m.AttachmentName)))); err != nil {
			return badMessageError{fmt.Errorf("attach %s: %w", m.AttachmentName, err)}
		}
	}
	return client.DialAndSendWithContext(ctx, msg)
}

// badMessageError says that the message or the settings could not be made
// into an SMTP exchange at all (a malformed address, a bad port): trying
// again as it is cannot help, so it is permanent.
type badMessageError struct{ err error }

func (e badMessageError) Error() string { return e.err.Error() }
func (e badMessageError) Unwrap() error { return e.err }

// permanent reports whether a send error is a permanent refusal: the
// server answered 5yz, to the message or while connecting (RFC 5321 §4.2.1: "the command was not accepted
// and the requested action did not occur", not to be repeated as is), or
// the message could not be built. Everything else — no connection, a
// timeout, a 4yz transient reply, a TLS handshake that failed, a cut
// connection — may go through later.
func permanent(err error) bool {
	var bm badMessageError
	if errors.As(err, &bm) {
		return true
	}
	var se *gomail.SendError
	if errors.As(err, &se) {
		code := se.ErrorCode()
		return code >= 500 && code <= 599
	}
	var te *textproto.Error // a reply while connecting, e.g. 535 to AUTH
	if errors.As(err, &te) {
		return te.Code >= 500 && te.Code <= 599
	}
	return false
}

// failureSummary says why sending failed in words that name nobody (for
// the audit entry): the SMTP step and code, or that the server could not
// be reached. The full reason, which may quote the address, is sealed
// with the message.
func failureSummary(err error) string {
	var se *gomail.SendError
	if errors.As(err, &se) {
		s := "the server refused it while " + se.Reason.String()
		if code := se.ErrorCode(); code != 0 {
			s += fmt.Sprintf(" (%d", code)
			if esc := se.EnhancedStatusCode(); esc != "" {
				s += " " + esc
			}
			s += ")"
		}
		return s
	}
	var te *textproto.Error
	if errors.As(err, &te) {
		return fmt.Sprintf("the server refused it (%d)", te.Code)
	}
	if text := strings.ToLower(err.Error()); strings.Contains(text, "tls") || strings.Contains(text, "x509:") {
		return "the secure connection (TLS) to the mail server failed"
	}
	var ne net.Error
	if errors.As(err, &ne) || strings.Contains(err.Error(), "dial") {
		return "could not reach the mail server"
	}
	return "sending failed"
}

// addressLike matches what looks like an email address, bracketed or
// not.
var addressLike = regexp.MustCompile(`<[^<>\s]*@[^<>\s]*>|[^\s<>"'(),;:\[\]]+@[^\s<>"'(),;:\[\]]+`)

// safeReason says why sending m failed without naming anybody, for error
// lines and summaries (SPEC §8): the SMTP step and codes, and the
// server's words with the sender, the message's id and anything that
// looks like an address taken out (the recipient's name too, when the
// server quotes it). The full reason is sealed with the message: `gdprdesk
// outbox` shows it.
func safeReason(err error, m store.Message) string {
	text := err.Error()
	swap := func(what, with string) {
		if what = strings.TrimSpace(what); len(what) >= 4 {
			text = regexp.MustCompile(`(?i)<?`+regexp.QuoteMeta(what)+`>?`).ReplaceAllLiteralString(text, with)
		}
	}
	swap(strings.Trim(m.HeaderID, "<>"), "the message")
	swap(m.From, "the sender")
	swap(m.To, "the recipient")
	swap(m.ToName, "the recipient")
	text = addressLike.ReplaceAllLiteralString(text, "an address")
	const limit = 300
	if r := []rune(text); len(r) > limit {
		text = string(r[:limit]) + "…"
	}
	return failureSummary(err) + ": " + text
}

// SendLetter is what `send` asks for.
type SendLetter struct {
	Operator string
	Letter   LetterRequest
	Getenv   func(string) string // the environment (nil: os.Getenv)
}

// SendFailedError says that a message was queued but not delivered. It
// stays in the outbox with the reason: failed when the server refused it
// for good (5yz), else queued (Queued), for `send --retry` to send later.
type SendFailedError struct {
	ID store.MessageID
	// Queued says that the failure may pass (the server down, a timeout,
	// a 4yz reply): the message is queued again, not failed.
	Queued bool
	// Reason is the server's full answer, which may quote the address:
	// it is for the operator's eyes (the outbox), never for an error line.
	Reason string
	// Summary says why naming nobody (safeReason); Error uses it.
	Summary string
}

func (e *SendFailedError) Error() string {
	if e.Queued {
		return fmt.Sprintf("%s was not sent yet: it stays in the outbox, queued: %s; gdprdesk send --retry sends it (the full reason: `gdprdesk outbox`)", e.ID, e.Summary)
	}
	return fmt.Sprintf("%s was not sent: %s (the full reason: `gdprdesk outbox`; it stays in the outbox, failed; `gdprdesk send --retry` tries again)", e.ID, e.Summary)
}

// Send renders the letter, queues it in the outbox and sends it through
// the SMTP server of the settings. Without a server it fails with
// ErrNoSMTP before anything is queued. A completion letter of an access or
// portability request goes only with its package attached. A failed
// delivery returns the message (failed or queued, with the reason) and a
// *SendFailedError.
func Send(ctx context.Context, s SendStore, in SendLetter) (store.Message, error) {
	st, err := s.Settings()
	if err != nil {
		return store.Message{}, fmt.Errorf("read the settings: %w", err)
	}
	cfg, err := SMTPFrom(st, in.Getenv)
	if err != nil {
		return store.Message{}, err
	}
	l, err := RenderLetter(s, in.Letter)
	if err != nil {
		return store.Message{}, err
	}
	if l.Kind == gdpr.LetterCompletion && (l.Request.Type == gdpr.RequestAccess || l.Request.Type == gdpr.RequestPortability) && l.Attachment == nil {
		why := "no package"
		if len(l.Notes) > 0 {
			why = l.Notes[0]
		}
		return store.Message{}, fmt.Errorf("the completion letter of %s goes with its package: %s (--attach PACKAGE)", l.Request.ID, why)
	}
	if l.To.Address == "" {
		return store.Message{}, fmt.Errorf("%s: no email address is held for the person (erased, or none given): send the letter another way", l.Request.ID)
	}
	if l.From.Address == "" {
		return store.Message{}, errors.New("no sender: set smtp-from or the controller's email (gdprdesk settings set controller-email …)")
	}
	m := store.Message{Request: l.Request.ID, Kind: l.Kind, Lang: l.Lang, From: l.From.Address, FromName: l.From.Name, To: l.To.Address,
		ToName: l.To.Name, Subject: l.Subject, Body: l.Body, HeaderID: messageID(l, in.Letter.Now)}
	if l.Attachment != nil {
		m.AttachmentName, m.Attachment, m.AttachmentSHA256 = l.Attachment.Name, l.Attachment.Data, sha256Hex(l.Attachment.Data)
	}
	id, err := s.QueueMessage(in.Operator, m)
	if err != nil {
		return store.Message{}, fmt.Errorf("queue the letter: %w", err)
	}
	return deliver(ctx, s, cfg, in.Operator, id, time.Time{})
}

// deliver sends one queued or failed message and records the result:
// sent, failed on a permanent refusal, or queued again on anything that
// may pass (permanent).
// A non-zero interruptedBefore resends a message left "sending" since
// then at the latest (store.MarkSending).
func deliver(ctx context.Context, s SendStore, cfg SMTPConfig, operator string, id store.MessageID, interruptedBefore time.Time) (store.Message, error) {
	m, err := s.MarkSending(operator, id, interruptedBefore)
	if err != nil {
		return m, err
	}
	if err := cfg.send(ctx, m); err != nil {
		reason, summary := err.Error(), safeReason(err, m)
		mark, state := s.MarkQueued, gdpr.MessageQueued
		if permanent(err) {
			mark, state = s.MarkFailed, gdpr.MessageFailed
		}
		if ferr := mark(operator, id, reason, failureSummary(err)); ferr != nil {
			return m, fmt.Errorf("%s: sending failed (%s) and recording it failed too: %w", id, summary, ferr)
		}
		m.State, m.Reason = state, reason
		return m, &SendFailedError{ID: id, Queued: state == gdpr.MessageQueued, Reason: reason, Summary: summary}
	}
	if err := s.MarkSent(operator, id); err != nil {
		return m, fmt.Errorf("%s was sent, but recording it failed (it stays \"sending\"; do not send it again): %w", id, err)
	}
	m.State = gdpr.MessageSent
	return m, nil
}

// RetryMessage sends one queued or failed message of the outbox again
// (the TUI's retry on a request's outbox), with the SMTP settings as they
// are now. A sent message is refused (never sent twice), as is one still
// "sending" (see the top of this file) or whose person was erased. A
// failed delivery returns the message (failed or queued, with the reason)
// and a *SendFailedError.
func RetryMessage(ctx context.Context, s SendStore, operator string, getenv func(string) string, id store.MessageID) (store.Message, error) {
	st, err := s.Settings()
	if err != nil {
		return store.Message{}, fmt.Errorf("read the settings: %w", err)
	}
	cfg, err := SMTPFrom(st, getenv)
	if err != nil {
		return store.Message{}, err
	}
	return deliver(ctx, s, cfg, operator, id, time.Time{})
}

// Failure is a message a retry could not deliver.
type Failure struct {
	store.Message        // failed or queued, with the server's full Reason (sealed data)
	Summary       string // why, naming nobody (safeReason)
}

// Refusal is a message a retry left alone because the store refused to
// hand it out when its turn came (store.NotSendableError): sent or taken
// by another run meanwhile, or its person erased.
type Refusal struct {
	store.Message
	Why string // names nobody
}

// RetryResult says what a retry did.
type RetryResult struct {
	Sent []store.Message
	// Failed were refused for good by the server (5yz).
	Failed []Failure
	// Queued could not be delivered for a reason that may pass (the
	// server down, a 4yz reply): they stay queued for the next retry.
	Queued []Failure
	// Unsure were left "sending" by an earlier run that stopped before
	// recording the server's answer: they may have arrived. They are sent
	// again only with resendInterrupted.
	Unsure []store.Message
	// Skipped are messages whose person was erased meanwhile.
	Skipped []store.Message
	// Refused changed under the retry (another run, an erasure).
	Refused []Refusal
}

// Retry sends every queued or failed message of the outbox once, oldest
// first (a queued one never tried too); sent messages are never sent
// again. One that fails again for a reason that may pass stays queued
// (RetryResult.Queued). A message left "sending"
// (see the top of this file) is listed as unsure, unless
// resendInterrupted and it has been sending for InterruptedAfter.
func Retry(ctx context.Context, s SendStore, operator string, getenv func(string) string, resendInterrupted bool, now time.Time) (RetryResult, error) {
	var res RetryResult
	st, err := s.Settings()
	if err != nil {
		return res, fmt.Errorf("read the settings: %w", err)
	}
	cfg, err := SMTPFrom(st, getenv)
	if err != nil {
		return res, err
	}
	msgs, err := s.Outbox(0)
	if err != nil {
		return res, fmt.Errorf("read the outbox: %w", err)
	}
	cutoff := now.Add(-InterruptedAfter)
	for _, m := range msgs {
		var interruptedBefore time.Time
		switch {
		case m.State == gdpr.MessageSent:
			continue
		case m.Erased:
			res.Skipped = append(res.Skipped, m)
			continue
		case m.State == gdpr.MessageSending:
			if !resendInterrupted || m.LastTry.After(cutoff) {
				res.Unsure = append(res.Unsure, m)
				continue
			}
			interruptedBefore = cutoff // checked again as it is marked
		}
		if err := ctx.Err(); err != nil {
			return res, err
		}
		got, err := deliver(ctx, s, cfg, operator, m.ID, interruptedBefore)
		var fe *SendFailedError
		var ne *store.NotSendableError
		switch {
		case errors.As(err, &fe) && fe.Queued:
			res.Queued = append(res.Queued, Failure{Message: got, Summary: fe.Summary})
		case errors.As(err, &fe):
			res.Failed = append(res.Failed, Failure{Message: got, Summary: fe.Summary})
		case errors.As(err, &ne):
			res.Refused = append(res.Refused, Refusal{Message: m, Why: ne.Why})
		case err != nil:
			return res, err
		default:
			res.Sent = append(res.Sent, got)
		}
	}
	return res, nil
}
