package cli

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/gdprdesk/gdprdesk/exporters"
	"github.com/gdprdesk/gdprdesk/gdpr"
	"github.com/gdprdesk/gdprdesk/store"
)

func (a *app) exportCommand() *cobra.Command {
	var format, query, out string
	var marketing bool
	contacts := &cobra.Command{
		Use:   "contacts",
		Short: "Write contacts as CSV or XLSX in the canonical layout (re-importable)",
		Long: `export contacts writes every contact matching --query (all by default) in
gdprdesk's canonical layout: the CSV imports back to the same contacts. In
the CSV, a text a spreadsheet would run as a formula (starting with =, +, -,
@) gets a leading ' (removed again on import); the XLSX holds every text
exactly, as a text cell no spreadsheet runs. Anonymized contacts, and those erased except what a legal hold
keeps, are left out unless --query names a status or hold:yes.
--for-marketing writes only the contacts who may receive electronic direct
marketing — the rows of contacts --query marketing:yes and the dashboard's
figure: a standing consent to a marketing purpose, or a contract under the
soft opt-in when it is switched on; never restricted, erased or objecting
ones (Art. 18, 21(3)). The file must not exist yet.`,
		Args: exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if format != exporters.FormatCSV && format != exporters.FormatXLSX {
				return usagef("--format must be csv or xlsx, got %q", format)
			}
			if out == "" {
				return usagef("--out PATH is required")
			}
			q, err := gdpr.ParseQuery(query)
			if err != nil {
				return err
			}
			if out, err = a.outputPath(out); err != nil {
				return err
			}
			return a.withStore(func(s *store.Store) error {
				f, err := os.OpenFile(out, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
				if err != nil {
					return fmt.Errorf("create %s: %w (choose a new file name)", out, err)
				}
				var forMarketing *gdpr.Settings
				if marketing {
					st, err := s.Settings()
					if err != nil {
						return err
					}
					forMarketing = &st
				}
				n, err := exporters.ExportContacts(cmd.Context(), s, q, format, f, forMarketing)
				if cerr := f.Close(); err == nil {
					err = cerr
				}
				if err != nil {
					os.Remove(out)
					return fmt.Errorf("export to %s: %w", out, err)
				}
				fmt.Fprintf(a.stdout, "Wrote %s contacts to %s.\n", gdpr.Thousands(int64(n)), out)
				return nil
			})
		},
	}
	contacts.Flags().StringVar(&format, "format", "csv", "csv or xlsx")
	contacts.Flags().StringVarP(&query, "query", "q", "", "which contacts (default: all)")
	contacts.Flags().StringVar(&out, "out", "", "file to write (required; must not exist)")
	contacts.Flags().BoolVar(&marketing, "for-marketing", false, "only contacts who may receive marketing (marketing:yes)")
	return parentCommand("export", "Write a person's access package or portability file, or contacts as CSV or XLSX", a.exportAccessCommand(), a.exportPortabilityCommand(), contacts, a.exportROPACommand())
}
