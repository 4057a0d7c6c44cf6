package cli

import (
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/gdprdesk/gdprdesk/gdpr"
	"github.com/gdprdesk/gdprdesk/internal/desk"
	"github.com/gdprdesk/gdprdesk/store"
)

func (a *app) requestCommand() *cobra.Command {
	return parentCommand("request", "Log, list and close data-subject requests",
		a.requestAddCommand(), a.requestListCommand(), a.requestCloseCommand(),
		a.requestVerifyCommand(), a.requestExtendCommand(), a.requestNotifyCommand())
}

func (a *app) requestAddCommand() *cobra.Command {
	var typ, contact, email, channel, received, note, scope string
	cmd := &cobra.Command{
		Use:   "add",
		Short: "Log a request and print its id",
		Long: `add logs a data-subject request. The due date is one month after receipt
(Art. 12(3)), moved off weekends. Name the person with --contact ID or --email;
an email that matches a contact links the request to it.`,
		Args: exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			t, err := gdpr.ParseRequestType(typ)
			if err != nil {
				return usageError{err}
			}
			ch, err := gdpr.ParseChannel(channel)
			if err != nil {
				return usageError{err}
			}
			if (contact == "") == (email == "") {
				return usagef("give exactly one of --contact ID or --email ADDRESS")
			}
			day, err := gdpr.ParseReceived(received, a.now())
			if err != nil {
				return usageError{fmt.Errorf("--%w", err)}
			}
			r := gdpr.NewRequest(t, ch, day, nil)
			r.Note = note
			if scope != "" {
				if r.Scope, err = gdpr.ParseObjectionScope(scope); err != nil {
					return usageError{err}
				}
			}
			if contact != "" {
				id, err := gdpr.ParseContactID(contact)
				if err != nil {
					return usageError{err}
				}
				r.Contact = id
			} else {
				if r.SubjectEmail, err = gdpr.NormalizeEmail(email); err != nil {
					return usageError{err}
				}
			}
			if err := r.ValidateAt(a.now()); err != nil {
				return usageError{err}
			}
			return a.withStore(func(s *store.Store) error {
				id, err := s.AddRequest(a.operatorName(), r)
				if err != nil {
					return err
				}
				fmt.Fprintln(a.stdout, id)
				return nil
			})
		},
	}
	f := cmd.Flags()
	f.StringVar(&typ, "type", "", "access, portability, erasure, rectification, restriction or objection (required)")
	f.StringVar(&contact, "contact", "", "the contact's id, e.g. C42")
	f.StringVar(&email, "email", "", "the requester's email, when you have no contact id")
	f.StringVar(&channel, "channel", "email", "email, webform, phone, in_person, letter or optout_link")
	f.StringVar(&received, "received", "", "date received, YYYY-MM-DD (default today)")
	f.StringVar(&note, "note", "", "a note for the file")
	f.StringVar(&scope, "scope", "", "objections: marketing (Art. 21(2), takes effect at once) or processing (Art. 21(1))")
	_ = cmd.MarkFlagRequired("type")
	return cmd
}

type requestJSON struct {
	gdpr.Request
	DaysLeft int  `json:"days_left"`
	Overdue  bool `json:"overdue"`
}

func (a *app) requestListCommand() *cobra.Command {
	var status, typ string
	var overdue, asJSON bool
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List requests, soonest due first",
		Args:  exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			var f store.RequestFilter
			var err error
			if status != "" {
				if f.Status, err = gdpr.ParseRequestStatus(status); err != nil {
					return usageError{err}
				}
			}
			if typ != "" {
				if f.Type, err = gdpr.ParseRequestType(typ); err != nil {
					return usageError{err}
				}
			}
			f.Overdue = overdue
			return a.withStore(func(s *store.Store) error {
				rs, err := s.Requests(f)
				if err != nil {
					return err
				}
				now := a.now()
				if asJSON {
					out := struct {
						Count    int           `json:"count"`
						Requests []requestJSON `json:"requests"`
					}{Count: len(rs), Requests: []requestJSON{}}
					for _, r := range rs {
						out.Requests = append(out.Requests, requestJSON{Request: r, DaysLeft: gdpr.DaysLeft(r.Due, now), Overdue: r.Overdue(now)})
					}
					return a.writeJSON(out)
				}
				who, err := desk.RequestsWho(s, rs)
				if err != nil {
					return err
				}
				tw := a.table()
				fmt.Fprintln(tw, "ID\tTYPE\tSTATUS\tRECEIVED\tDUE\tLEFT\tSUBJECT")
				for i, r := range rs {
					left := "-"
					if r.Status.Open() {
						left = fmt.Sprintf("%dd", gdpr.DaysLeft(r.Due, now))
						if r.Overdue(now) {
							left = fmt.Sprintf("OVERDUE %dd", -gdpr.DaysLeft(r.Due, now))
						}
					}
					subject := who[i]
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.ID, r.Type, r.Status, r.Received.Format(time.DateOnly),
						r.Due.Format(time.DateOnly), left, dash(subject))
				}
				if err := tw.Flush(); err != nil {
					return err
				}
				fmt.Fprintf(a.stdout, "%d request(s).\n", len(rs))
				return nil
			})
		},
	}
	f := cmd.Flags()
	f.StringVar(&status, "status", "", "only this status: new, verifying, in_progress, completed, denied")
	f.StringVar(&typ, "type", "", "only this type")
	f.BoolVar(&overdue, "overdue", false, "only open requests past their due date")
	f.BoolVar(&asJSON, "json", false, "print one JSON document")
	return cmd
}

func (a *app) requestCloseCommand() *cobra.Command {
	var outcome, reason, ground string
	cmd := &cobra.Command{
		Use:   "close ID",
		Short: "Close a request as completed or denied",
		Long: `close completes or denies a request. Completing says what was asked for was
done, and is refused until it is: an erasure needs the contact erased
(anonymize ID --request R), a restriction the contact restricted (restrict),
an objection to processing no legitimate_interests or public_task basis left.
A denial needs --ground and --reason, which the person must be told
(Art. 12(4)). The grounds, by type:
` + denialGroundHelp(),
		Args: exactArgs(1, "one request id, e.g. R12"),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := gdpr.ParseRequestID(args[0])
			if err != nil {
				return usageError{err}
			}
			st, err := gdpr.ParseRequestStatus(outcome)
			if err != nil || st.Open() {
				return usagef("--outcome must be completed or denied, got %q", outcome)
			}
			if st == gdpr.StatusDenied && strings.TrimSpace(reason) == "" {
				return usagef("a denial needs --reason (e.g. \"outstanding contract\"): the person must be told why")
			}
			return a.withStore(func(s *store.Store) error {
				if err := a.closeRequest(s, id, st, ground, reason); err != nil {
					return fmt.Errorf("close %s: %w", id, err)
				}
				fmt.Fprintf(a.stdout, "%s %s.\n", id, st)
				return nil
			})
		},
	}
	cmd.Flags().StringVar(&outcome, "outcome", "", "completed or denied (required)")
	cmd.Flags().StringVar(&reason, "reason", "", "outcome note; required for a denial")
	cmd.Flags().StringVar(&ground, "ground", "", "a denial's ground, e.g. unfounded, legal-claims (see above)")
	_ = cmd.MarkFlagRequired("outcome")
	return cmd
}
