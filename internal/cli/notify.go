package cli

import (
	"fmt"
	"strings"

	"github.com/gdprdesk/gdprdesk/gdpr"
	"github.com/gdprdesk/gdprdesk/internal/desk"
	"github.com/gdprdesk/gdprdesk/store"
	"github.com/spf13/cobra"
)

// requestNotifyCommand records the Art. 19 step of a rectification,
// erasure or restriction — a person's request, or the record of an
// erasure the business made itself (sweep, anonymize without a request).
func (a *app) requestNotifyCommand() *cobra.Command {
	var recipients, impossible, told string
	cmd := &cobra.Command{
		Use:   "notify ID --recipients NAME,…|all",
		Short: "Record that recipients were told of a rectification, erasure or restriction (Art. 19)",
		Long: `notify records on the request that the named recipients were told, on
--told (default today), or with --impossible why telling them was impossible
or would take disproportionate effort (Art. 19). The recipients are those
that received the person's data (through their purposes), as recorded on the
request; "all" names every one of them. It works on a closed request and on
one whose person was erased.`,
		Args: exactArgs(1, "the request ID"),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := gdpr.ParseRequestID(args[0])
			if err != nil {
				return usageError{err}
			}
			if strings.TrimSpace(recipients) == "" {
				return usagef("name the recipients told: --recipients NAME,… or all")
			}
			at := gdpr.Day(a.now())
			if told != "" {
				if at, err = parseDay("told", told); err != nil {
					return err
				}
			}
			return a.withStore(func(s *store.Store) error {
				names, err := desk.Notify(s, a.operatorName(), id, recipients, impossible, at)
				if err != nil {
					return err
				}
				what := "told"
				if strings.TrimSpace(impossible) != "" {
					what = "not told (recorded why)"
				}
				fmt.Fprintf(a.stdout, "%s: %s %s\n", id, strings.Join(names, ", "), what)
				return nil
			})
		},
	}
	cmd.Flags().StringVar(&recipients, "recipients", "", `the recipients told, comma-separated, or "all"`)
	cmd.Flags().StringVar(&impossible, "impossible", "", "why telling them was impossible or disproportionate (recorded instead)")
	cmd.Flags().StringVar(&told, "told", "", "when they were told (YYYY-MM-DD, default today)")
	return cmd
}
