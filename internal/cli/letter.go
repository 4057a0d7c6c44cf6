package cli

// Letters to the person (SPEC §11): written as drafts, sent through SMTP,
// and the outbox.

import (
	"fmt"
	"io"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/gdprdesk/gdprdesk/gdpr"
	"github.com/gdprdesk/gdprdesk/internal/desk"
	"github.com/gdprdesk/gdprdesk/store"
)

// letterFlags are the flags letter and send share.
type letterFlags struct {
	kind, lang, note, kept, attach string
}

func (f *letterFlags) add(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringVar(&f.kind, "kind", "", "ack, identity, extension, refusal or completion")
	fl.StringVar(&f.lang, "lang", "", "write in this language (en, de, fr, es, it, nl, pl, pt) instead of the person's")
	fl.StringVar(&f.note, "note", "", "identity letter: what proof you ask for (your words, put in as given)")
	fl.StringVar(&f.kept, "kept", "", "completion of an erasure: what the law obliges you to keep, and why")
	fl.StringVar(&f.attach, "attach", "", "completion letter: the package to attach (default: the one recorded on the request, where it was written)")
}

// request reads the flags into a letter request for the request id.
func (a *app) letterRequest(f *letterFlags, id string, s *store.Store) (desk.LetterRequest, error) {
	var in desk.LetterRequest
	rid, err := gdpr.ParseRequestID(id)
	if err != nil {
		return in, usageError{err}
	}
	kind, err := gdpr.ParseLetterKind(f.kind)
	if err != nil {
		return in, usageError{err}
	}
	if kind == gdpr.LetterBreach {
		return in, usagef("a breach notice is written from the breach register, not for a request")
	}
	if f.lang != "" {
		if _, err := gdpr.NormalizeLetterLanguage(f.lang); err != nil {
			return in, usageError{err}
		}
	}
	in = desk.LetterRequest{Kind: kind, Request: rid, Lang: f.lang, IdentityNote: f.note, Kept: f.kept,
		DataDir: s.Dir(), Now: a.now()}
	if f.attach != "" {
		open, err := a.inputFile(f.attach)
		if err != nil {
			return in, err
		}
		rc, err := open()
		if err != nil {
			return in, err
		}
		defer rc.Close()
		data, err := io.ReadAll(rc)
		if err != nil {
			return in, fmt.Errorf("read %s: %w", f.attach, err)
		}
		in.Attachment = &desk.Attachment{Name: filepath.Base(f.attach), Data: data}
	}
	return in, nil
}

func (a *app) letterCommand() *cobra.Command {
	var f letterFlags
	var out string
	cmd := &cobra.Command{
		Use:   "letter REQUEST_ID --kind ack|identity|extension|refusal|completion",
		Short: "Write a letter to the person about a request, as text and an email draft",
		Long: `letter writes the letter for a step of a request in the person's language
(their language field, else their country's, else the language setting;
--lang overrides): ack (received, answered by the due date), identity (what
confirms who they are, Art. 12(6); --note says what you ask for), extension
(the new date and your reasons, Art. 12(3)), refusal (the ground, your
reasons, and their right to complain and to go to court, Art. 12(4), 77, 79)
or completion (what was done; for access and portability with the package
recorded on the request attached, its SHA-256, and never its password).
Each kind only fits its step: a refusal needs a denied request, an extension
an extended one.

It writes letter-R12-KIND-DATE.txt and, when the person has an address, the
.eml draft next to it (--out names the text file). Both hold the person's
data: they are audited on the request and registered, so erasing the person
deletes them. A request logged by its address only (no contact) gets no
files, as nothing could erase them: send its letters with gdprdesk send.
Templates are embedded; a file of the same name in
DIR/templates/letters/ overrides one (assets/templates/README.md).`,
		Args: exactArgs(1, "a request id (e.g. R12)"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if f.kind == "" {
				return usagef("--kind is required: ack, identity, extension, refusal or completion")
			}
			return a.withStore(func(s *store.Store) error {
				in, err := a.letterRequest(&f, args[0], s)
				if err != nil {
					return err
				}
				path := ""
				if out != "" {
					if path, err = a.outputPath(out); err != nil {
						return err
					}
				}
				res, err := desk.WriteLetter(s, desk.LetterDraft{Operator: a.operatorName(), Letter: in, Dir: a.outputDir(), Out: path})
				if err != nil {
					return err
				}
				l := res.Letter
				fmt.Fprintf(a.stdout, "Wrote the %s letter for %s (%s) to %s.\n", l.Kind, l.Request.ID, l.Lang, res.TextPath)
				if res.EMLPath != "" {
					fmt.Fprintf(a.stdout, "Wrote the email draft to %s.\n", res.EMLPath)
				}
				for _, n := range l.Notes {
					fmt.Fprintf(a.stdout, "Note: %s.\n", n)
				}
				return nil
			})
		},
	}
	f.add(cmd)
	cmd.Flags().StringVar(&out, "out", "", "the text file to write (must not exist; default letter-R12-KIND-DATE.txt, numbered if taken)")
	return cmd
}

func (a *app) sendCommand() *cobra.Command {
	var f letterFlags
	var retry, resend bool
	cmd := &cobra.Command{
		Use:   "send (REQUEST_ID --kind KIND | --retry)",
		Short: "Send a letter to the person through the mail server, or retry the outbox",
		Long: `send writes the letter as the letter command does and sends it through the
SMTP server of the settings (smtp-host, smtp-port, smtp-tls starttls|tls|none,
smtp-user, smtp-from; the password is read from the file smtp-password-file
names, readable by you only, or from $GDPRDESK_SMTP_PASSWORD, and never
stored). The message goes into the outbox first (gdprdesk outbox), then is
marked sent; failed with the server's reason when the server refuses it for
good (a 5yz reply); or, when it may go through later (the server down, a
timeout, a 4yz reply, TLS trouble), left queued with the reason for
send --retry. Each step is audited on the request. A completion letter of an access or portability request goes with
its package attached (--attach, or the one recorded on the request); the
package's password never travels with it.

send --retry sends every queued or failed message once. A sent message is
never sent again. A message left "sending" (the program stopped between the
server taking it and recording that) may have arrived: --retry lists it for
you to check, and --resend-interrupted sends it again once it has been
sending for ten minutes.

Without SMTP settings, write a draft with gdprdesk letter.`,
		Args: func(cmd *cobra.Command, args []string) error {
			if retry {
				return exactArgs(0, "no request id with --retry")(cmd, args)
			}
			return exactArgs(1, "a request id (e.g. R12), or --retry")(cmd, args)
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if retry {
				if f.kind != "" || f.attach != "" || f.lang != "" {
					return usagef("--retry sends what the outbox holds: it takes no --kind, --lang or --attach")
				}
				return a.withStore(func(s *store.Store) error { return a.retryOutbox(cmd, s, resend) })
			}
			if f.kind == "" {
				return usagef("--kind is required: ack, identity, extension, refusal or completion")
			}
			if resend {
				return usagef("--resend-interrupted goes with --retry")
			}
			return a.withStore(func(s *store.Store) error {
				in, err := a.letterRequest(&f, args[0], s)
				if err != nil {
					return err
				}
				m, err := desk.Send(cmd.Context(), s, desk.SendLetter{Operator: a.operatorName(), Letter: in})
				if err != nil {
					return err
				}
				fmt.Fprintf(a.stdout, "Sent %s: the %s letter for %s (%s) to %s.\n", m.ID, m.Kind, m.Request, m.Lang, m.To)
				if m.AttachmentName != "" {
					fmt.Fprintf(a.stdout, "Attached %s (SHA-256 %s).\n", m.AttachmentName, m.AttachmentSHA256)
				}
				return nil
			})
		},
	}
	f.add(cmd)
	cmd.Flags().BoolVar(&retry, "retry", false, "send every queued or failed message of the outbox once")
	cmd.Flags().BoolVar(&resend, "resend-interrupted", false, "with --retry: also send again messages left sending for ten minutes (they may have arrived)")
	return cmd
}

func (a *app) retryOutbox(cmd *cobra.Command, s *store.Store, resend bool) error {
	res, err := desk.Retry(cmd.Context(), s, a.operatorName(), nil, resend, a.now())
	if err != nil {
		return err
	}
	for _, m := range res.Sent {
		fmt.Fprintf(a.stdout, "Sent %s: the %s letter for %s.\n", m.ID, m.Kind, m.Request)
	}
	for _, m := range res.Failed {
		fmt.Fprintf(a.stdout, "Failed %s: the %s letter for %s: %s\n", m.ID, m.Kind, m.Request, m.Summary)
	}
	for _, m := range res.Queued {
		fmt.Fprintf(a.stdout, "Queued %s: the %s letter for %s was not sent yet: %s\n", m.ID, m.Kind, m.Request, m.Summary)
	}
	for _, m := range res.Unsure {
		fmt.Fprintf(a.stdout, "Check %s: the %s letter for %s was being sent at %s when the program stopped; it may have arrived (Message-ID %s). --resend-interrupted sends it again.\n",
			m.ID, m.Kind, m.Request, m.LastTry.UTC().Format(time.RFC3339), m.HeaderID)
	}
	for _, m := range res.Skipped {
		fmt.Fprintf(a.stdout, "Skipped %s: the person of %s was erased.\n", m.ID, m.Request)
	}
	for _, m := range res.Refused {
		fmt.Fprintf(a.stdout, "Skipped %s: the %s letter for %s: %s.\n", m.ID, m.Kind, m.Request, m.Why)
	}
	fmt.Fprintf(a.stdout, "%d sent, %d failed, %d still queued, %d to check.\n", len(res.Sent), len(res.Failed), len(res.Queued), len(res.Unsure))
	switch {
	case len(res.Failed) > 0:
		return fmt.Errorf("%d message(s) failed, %d still queued; they stay in the outbox (the full reasons: gdprdesk outbox)", len(res.Failed), len(res.Queued))
	case len(res.Queued) > 0:
		return fmt.Errorf("%d message(s) could not be sent yet; they stay in the outbox, queued: gdprdesk send --retry sends them (the full reasons: gdprdesk outbox)", len(res.Queued))
	}
	return nil
}

// outboxJSON is one message as outbox --json prints it.
type outboxJSON struct {
	ID               string            `json:"id"`
	Request          string            `json:"request"`
	Contact          string            `json:"contact,omitempty"`
	Kind             gdpr.LetterKind   `json:"kind"`
	Lang             string            `json:"lang"`
	State            gdpr.MessageState `json:"state"`
	Attempts         int               `json:"attempts"`
	Created          time.Time         `json:"created"`
	LastTry          time.Time         `json:"last_try,omitzero"`
	Sent             time.Time         `json:"sent,omitzero"`
	To               string            `json:"to,omitempty"`
	Subject          string            `json:"subject,omitempty"`
	Attachment       string            `json:"attachment,omitempty"`
	AttachmentSHA256 string            `json:"attachment_sha256,omitempty"`
	MessageID        string            `json:"message_id"`
	Reason           string            `json:"reason,omitempty"`
	Erased           bool              `json:"erased,omitempty"`
}

func (a *app) outboxCommand() *cobra.Command {
	var request string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "outbox",
		Short: "List the letters sent or waiting to be sent, with their state and the server's reason",
		Long: `outbox lists the messages of the outbox, oldest first: queued (with the
reason when a try did not go through yet: send --retry sends it), sending,
sent, or failed with the mail server's reason (refused for good). --request shows one request's.
Once a person is erased, their messages' address and text are gone too.`,
		Args: exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			var rid gdpr.RequestID
			if request != "" {
				id, err := gdpr.ParseRequestID(request)
				if err != nil {
					return usageError{err}
				}
				rid = id
			}
			return a.withStore(func(s *store.Store) error {
				ms, err := s.Outbox(rid)
				if err != nil {
					return err
				}
				if asJSON {
					out := make([]outboxJSON, 0, len(ms))
					for _, m := range ms {
						j := outboxJSON{ID: m.ID.String(), Request: m.Request.String(), Kind: m.Kind, Lang: m.Lang, State: m.State,
							Attempts: m.Attempts, Created: m.Created, LastTry: m.LastTry, Sent: m.Sent, To: m.To, Subject: m.Subject,
							Attachment: m.AttachmentName, AttachmentSHA256: m.AttachmentSHA256, MessageID: m.HeaderID, Reason: m.Reason, Erased: m.Erased}
						if m.Contact != 0 {
							j.Contact = m.Contact.String()
						}
						out = append(out, j)
					}
					return a.writeJSON(out)
				}
				if len(ms) == 0 {
					fmt.Fprintln(a.stdout, "The outbox is empty.")
					return nil
				}
				tw := a.table()
				fmt.Fprintln(tw, "ID\tREQUEST\tKIND\tLANG\tSTATE\tTRIES\tCREATED (UTC)\tSENT (UTC)\tTO\tREASON")
				for _, m := range ms {
					sent := ""
					if !m.Sent.IsZero() {
						sent = m.Sent.UTC().Format(time.RFC3339)
					}
					to := m.To
					if m.Erased {
						to = "(erased)"
					}
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%d\t%s\t%s\t%s\t%s\n", m.ID, m.Request, m.Kind, m.Lang, m.State, m.Attempts,
						m.Created.UTC().Format(time.RFC3339), dash(sent), dash(to), dash(clip(m.Reason, 80)))
				}
				return tw.Flush()
			})
		},
	}
	cmd.Flags().StringVar(&request, "request", "", "only the messages of this request, e.g. R12")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print one JSON document")
	return cmd
}
