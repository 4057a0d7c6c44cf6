package cli

import (
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/gdprdesk/gdprdesk/gdpr"
	"github.com/gdprdesk/gdprdesk/store"
)

// parseDay reads a YYYY-MM-DD flag value: every date flag reads through it,
// so a date outside the range the product stores is refused here, naming
// the flag (gdpr.CheckStorableDate), never wrapped.
func parseDay(flag, v string) (time.Time, error) {
	d, err := time.Parse(time.DateOnly, strings.TrimSpace(v))
	if err != nil {
		return time.Time{}, usagef("--%s %q: use YYYY-MM-DD", flag, v)
	}
	if err := gdpr.CheckStorableDate("--"+flag, d); err != nil {
		return time.Time{}, usagef("%v", err)
	}
	return d, nil
}

func (a *app) restrictCommand() *cobra.Command {
	var reason, told string
	var lift bool
	cmd := &cobra.Command{
		Use:   "restrict ID --reason TEXT | restrict ID --lift --told YYYY-MM-DD",
		Short: "Restrict processing of a contact (Art. 18), or lift the restriction",
		Long: `restrict marks a contact restricted (Art. 18(1)): its data is stored only —
never marketed, swept, anonymized or exported for use — until the restriction
is lifted. --reason says which case applies (e.g. "accuracy contested"); it is
sealed with the person's data.

--lift ends it. The person must be told before a restriction is lifted
(Art. 18(3)): --told is the date they were told, not in the future and not
before the restriction. A marketing objection on file stays: lifting never
makes a person who objected marketable again.`,
		Args: exactArgs(1, "one contact id, e.g. C42"),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := gdpr.ParseContactID(args[0])
			if err != nil {
				return usageError{err}
			}
			if lift {
				if reason != "" {
					return usagef("--reason is for restricting; --lift takes --told")
				}
				if told == "" {
					return usagef("--lift needs --told YYYY-MM-DD: the person must be told before the restriction is lifted (Art. 18(3))")
				}
				day, err := parseDay("told", told)
				if err != nil {
					return err
				}
				return a.withStore(func(s *store.Store) error {
					if err := s.LiftRestriction(a.operatorName(), id, day); err != nil {
						return err
					}
					fmt.Fprintf(a.stdout, "%s: restriction lifted (the person was told on %s).\n", id, day.Format(time.DateOnly))
					return nil
				})
			}
			if told != "" {
				return usagef("--told goes with --lift")
			}
			if strings.TrimSpace(reason) == "" {
				return usagef("--reason is required (e.g. \"accuracy contested, Art. 18(1)(a)\")")
			}
			return a.withStore(func(s *store.Store) error {
				if err := s.Restrict(a.operatorName(), id, reason); err != nil {
					return err
				}
				fmt.Fprintf(a.stdout, "%s: processing restricted (Art. 18): stored only until lifted.\n", id)
				return nil
			})
		},
	}
	f := cmd.Flags()
	f.StringVar(&reason, "reason", "", "why processing is restricted (required to restrict)")
	f.BoolVar(&lift, "lift", false, "lift the restriction")
	f.StringVar(&told, "told", "", "with --lift: the date the person was told, YYYY-MM-DD")
	return cmd
}
