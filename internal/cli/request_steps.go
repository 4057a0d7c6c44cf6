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

// The request steps the request screen offers, scriptable (SPEC §4):
// verify, extend, and the ground of a denial.

func (a *app) requestVerifyCommand() *cobra.Command {
	var how string
	cmd := &cobra.Command{
		Use:   "verify ID --how TEXT",
		Short: "Record how the requester's identity was checked (Art. 12(6))",
		Long: `verify records how you checked that the person asking is the person the data
is about (Art. 12(6)) — e.g. "reply from the address on file" — and moves a new
request into progress. Write how, not ID numbers. An objection to marketing
and an opt-out link need no check.`,
		Args: exactArgs(1, "one request id, e.g. R12"),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := gdpr.ParseRequestID(args[0])
			if err != nil {
				return usageError{err}
			}
			if strings.TrimSpace(how) == "" {
				return usagef("--how is required (e.g. \"reply from the address on file\")")
			}
			return a.withStore(func(s *store.Store) error {
				if err := desk.VerifyRequest(s, a.operatorName(), id, how, a.now()); err != nil {
					return fmt.Errorf("verify %s: %w", id, err)
				}
				fmt.Fprintf(a.stdout, "%s: identity verified; in progress.\n", id)
				return nil
			})
		},
	}
	cmd.Flags().StringVar(&how, "how", "", "how the identity was checked (required)")
	return cmd
}

func (a *app) requestExtendCommand() *cobra.Command {
	var reason, told string
	cmd := &cobra.Command{
		Use:   "extend ID --reason TEXT --told YYYY-MM-DD",
		Short: "Extend a request's deadline once, by up to two months (Art. 12(3))",
		Long: `extend moves the due date to three months after receipt, once, for a
request that is complex or one of many (Art. 12(3)). --reason says why; --told
is when the person was told, which must be within the first month.`,
		Args: exactArgs(1, "one request id, e.g. R12"),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := gdpr.ParseRequestID(args[0])
			if err != nil {
				return usageError{err}
			}
			if strings.TrimSpace(reason) == "" || told == "" {
				return usagef("an extension needs --reason TEXT and --told YYYY-MM-DD (Art. 12(3))")
			}
			day, err := parseDay("told", told)
			if err != nil {
				return err
			}
			return a.withStore(func(s *store.Store) error {
				due, err := desk.ExtendRequest(s, a.operatorName(), id, reason, day, a.now())
				if err != nil {
					return fmt.Errorf("extend %s: %w", id, err)
				}
				fmt.Fprintf(a.stdout, "%s: extended, now due %s.\n", id, due.Format(time.DateOnly))
				return nil
			})
		},
	}
	cmd.Flags().StringVar(&reason, "reason", "", "why the request is complex or numerous (required)")
	cmd.Flags().StringVar(&told, "told", "", "when the person was told, YYYY-MM-DD (required)")
	return cmd
}

// closeRequest completes a request, or denies it on its ground (SPEC §9
// "Denials, by type"): the store refuses a denial without a ground the
// law gives for the type, and any denial of an objection to marketing.
func (a *app) closeRequest(s *store.Store, id gdpr.RequestID, st gdpr.RequestStatus, ground, reason string) error {
	if st != gdpr.StatusDenied {
		if ground != "" {
			return usagef("--ground goes with --outcome denied")
		}
		return s.CloseRequest(a.operatorName(), id, st, reason)
	}
	if ground == "" {
		r, err := s.Request(id)
		if err != nil {
			return err
		}
		return gdpr.CheckDenial(r, "", reason, nil)
	}
	g, err := gdpr.ParseDenialGround(ground)
	if err != nil {
		return usageError{err}
	}
	return s.DenyRequest(a.operatorName(), id, g, reason)
}

// denialGroundHelp lists the grounds by type, for close's help.
func denialGroundHelp() string {
	var b strings.Builder
	for _, t := range gdpr.RequestTypes() {
		r := gdpr.Request{Type: t}
		var ws []string
		for _, g := range gdpr.DenialGrounds(r) {
			ws = append(ws, string(g)+" ("+g.Article()+")")
		}
		fmt.Fprintf(&b, "  %s: %s\n", t, strings.Join(ws, ", "))
	}
	b.WriteString("  objection --scope marketing: never (Art. 21(3))\n")
	return b.String()
}
