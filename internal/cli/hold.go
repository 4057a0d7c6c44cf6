package cli

import (
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/gdprdesk/gdprdesk/gdpr"
	"github.com/gdprdesk/gdprdesk/store"
)

func (a *app) holdCommand() *cobra.Command {
	var reason, until, keep string
	var release bool
	cmd := &cobra.Command{
		Use:   "hold ID --reason TEXT --until YYYY-MM-DD [--keep FIELD,…] | hold ID --release",
		Short: "Place a legal retention hold on a contact (Art. 17(3)(b)), or release it",
		Long: `hold keeps named fields of a contact that the law makes you keep — an
invoice's name and address for ten years of tax law — until a date. An
erasure of a held contact (anonymize --keep-held) erases every other field at
once, suppresses its addresses and leaves the contact "erased except held
records until DATE"; the sweep finishes the erasure when the hold ends.

--keep names the fields kept (default: ` + strings.Join(gdpr.DefaultHoldKeep(), ",") + `); any of
` + strings.Join(gdpr.HoldFields(), ", ") + `. The reason names the law, not the person.

--release ends a hold early (admins only: it lets the data go). A contact
already erased except its held records is then erased for good.`,
		Args: exactArgs(1, "one contact id, e.g. C42"),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := gdpr.ParseContactID(args[0])
			if err != nil {
				return usageError{err}
			}
			if release {
				if reason != "" || until != "" || keep != "" {
					return usagef("--release takes no other flags")
				}
				return a.withStore(func(s *store.Store) error {
					if err := s.ReleaseHold(a.operatorName(), id); err != nil {
						return err
					}
					fmt.Fprintf(a.stdout, "%s: legal hold released.\n", id)
					return nil
				})
			}
			if strings.TrimSpace(reason) == "" || until == "" {
				return usagef("a hold needs --reason TEXT and --until YYYY-MM-DD (e.g. --reason \"invoices: 10 years, tax law\")")
			}
			day, err := parseDay("until", until)
			if err != nil {
				return err
			}
			h := gdpr.Hold{Reason: strings.TrimSpace(reason), Until: day, Keep: gdpr.DefaultHoldKeep()}
			if keep != "" {
				h.Keep = nil
				for _, f := range strings.Split(keep, ",") {
					if f = strings.ToLower(strings.TrimSpace(f)); f != "" {
						h.Keep = append(h.Keep, f)
					}
				}
			}
			if err := h.Validate(a.now()); err != nil {
				return usageError{err}
			}
			return a.withStore(func(s *store.Store) error {
				if err := s.SetHold(a.operatorName(), id, h); err != nil {
					return err
				}
				fmt.Fprintf(a.stdout, "%s: legal hold until %s keeping %s.\n", id, day.Format(time.DateOnly), strings.Join(h.Keep, ", "))
				return nil
			})
		},
	}
	f := cmd.Flags()
	f.StringVar(&reason, "reason", "", "the legal duty, e.g. \"invoices: 10 years, tax law\"")
	f.StringVar(&until, "until", "", "the date the hold ends, YYYY-MM-DD")
	f.StringVar(&keep, "keep", "", "the fields kept, comma-separated (default: name, postal address, company)")
	f.BoolVar(&release, "release", false, "release the hold")
	return cmd
}
