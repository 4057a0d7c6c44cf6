package cli

import (
	"fmt"
	"strings"
	"time"

	"github.com/gdprdesk/gdprdesk/gdpr"
	"github.com/gdprdesk/gdprdesk/store"
	"github.com/spf13/cobra"
)

// consentCommand groups consent per purpose (SPEC §9, Art. 7).
func (a *app) consentCommand() *cobra.Command {
	return parentCommand("consent", "Record a person's consent to a purpose, or its withdrawal (Art. 7)",
		a.consentGrantCommand(), a.consentWithdrawCommand())
}

func (a *app) consentGrantCommand() *cobra.Command {
	var purpose, method, at string
	cmd := &cobra.Command{
		Use:   "grant (ID|EMAIL) --purpose P",
		Short: "Record that the person consented to a purpose",
		Long: `consent grant records that the person consented to a purpose of the register
(gdprdesk purpose list): when (--at, default now; never in the future), how
(--method, e.g. "webform, double opt-in"), and the consent wording and privacy
policy versions in force at that time. The contact gets the consent basis for
that purpose. A consent to a marketing purpose lifts an earlier marketing
objection: only the person's own consent does. The method is kept on the
record and sealed in the audit entry.`,
		Args: exactArgs(1, "a contact id (e.g. C42) or email"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if strings.TrimSpace(purpose) == "" {
				return usagef("--purpose is required (gdprdesk purpose list)")
			}
			when, err := a.parseConsentTime(at)
			if err != nil {
				return err
			}
			return a.withStore(func(s *store.Store) error {
				c, err := s.FindContact(args[0])
				if err != nil {
					return err
				}
				if err := s.GrantConsent(a.operatorName(), c.ID, purpose, when, method); err != nil {
					return err
				}
				fmt.Fprintf(a.stdout, "Recorded %s's consent to %s.\n", c.ID, gdpr.NormalizePurposeName(purpose))
				return nil
			})
		},
	}
	cmd.Flags().StringVar(&purpose, "purpose", "", "the purpose consented to, as the register names it (required)")
	cmd.Flags().StringVar(&method, "method", "", "how the consent was given, e.g. \"webform, double opt-in\" (never the person's details)")
	cmd.Flags().StringVar(&at, "at", "", "when it was given: YYYY-MM-DD, YYYY-MM-DD HH:MM (UTC) or RFC 3339 (default now)")
	return cmd
}

func (a *app) consentWithdrawCommand() *cobra.Command {
	var purpose, method string
	cmd := &cobra.Command{
		Use:   "withdraw (ID|EMAIL) --purpose P",
		Short: "Record that the person withdrew consent to a purpose (Art. 7(3))",
		Long: `consent withdraw records, now, that the person withdrew consent to a purpose:
the consent basis for it ends, the earlier grants stay as history. A consent
basis held without a purpose (from a bulk tag or an import) ends too when no
other consent of the person stands.`,
		Args: exactArgs(1, "a contact id (e.g. C42) or email"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if strings.TrimSpace(purpose) == "" {
				return usagef("--purpose is required (gdprdesk purpose list)")
			}
			return a.withStore(func(s *store.Store) error {
				c, err := s.FindContact(args[0])
				if err != nil {
					return err
				}
				if err := s.WithdrawConsent(a.operatorName(), c.ID, purpose, method); err != nil {
					return err
				}
				fmt.Fprintf(a.stdout, "Recorded that %s withdrew consent to %s.\n", c.ID, gdpr.NormalizePurposeName(purpose))
				return nil
			})
		},
	}
	cmd.Flags().StringVar(&purpose, "purpose", "", "the purpose withdrawn, as the register names it (required)")
	cmd.Flags().StringVar(&method, "method", "", "how the withdrawal came, e.g. \"unsubscribe link\"")
	return cmd
}

// parseConsentTime reads --at: empty is now (zero); a time after now is a
// usage error, since consent cannot be recorded before it is given.
func (a *app) parseConsentTime(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, nil
	}
	for _, layout := range []string{time.RFC3339, "2006-01-02 15:04", time.DateOnly} {
		if t, err := time.Parse(layout, s); err == nil {
			if t.After(a.now()) {
				return t, usagef("--at %s is in the future: consent is recorded once given", s)
			}
			if err := gdpr.CheckStorableDate("--at", t); err != nil {
				return t, usagef("%v", err)
			}
			return t, nil
		}
	}
	return time.Time{}, usagef("--at %q: use YYYY-MM-DD, YYYY-MM-DD HH:MM or RFC 3339", s)
}
