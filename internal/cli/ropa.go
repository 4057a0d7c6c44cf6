package cli

import (
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/gdprdesk/gdprdesk/exporters"
	"github.com/gdprdesk/gdprdesk/internal/desk"
	"github.com/gdprdesk/gdprdesk/store"
)

// exportROPACommand writes the records of processing (Art. 30(1)).
func (a *app) exportROPACommand() *cobra.Command {
	var format, out string
	cmd := &cobra.Command{
		Use:   "ropa --format xlsx|csv|json --out PATH",
		Short: "Write the records of processing (Art. 30(1)) as XLSX, CSV or JSON",
		Long: `export ropa writes the records of processing activities of Art. 30(1):
on top the controller, the EU representative and the DPO (name, address,
email; (a)), then one row per purpose of the register: its description (b),
lawful basis, whether it is direct marketing, the categories of people and
of personal data (c), the recipients with role and country (d), the
transfers outside the EEA with each recipient's safeguard (e), the
retention in words and in days (f), the security measures (g), and for a
purpose on legitimate interests its balancing test.

The CSV has the same layout as the workbook: rows 1–5 the header block
(label, name, address, email), row 6 a line introducing the purposes, row 7
the column names, then one row per purpose; a cell a spreadsheet would run as a formula gets a leading
'. The JSON (schema gdprdesk.ropa/v1) holds the same values exactly. The
file must not exist yet.`,
		Args: exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			format = strings.ToLower(strings.TrimSpace(format))
			if !slices.Contains(exporters.ROPAFormats, format) {
				return usagef("--format must be xlsx, csv or json, got %q", format)
			}
			if out == "" {
				return usagef("--out PATH is required")
			}
			path, err := a.outputPath(out)
			if err != nil {
				return err
			}
			return a.withStore(func(s *store.Store) error {
				f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
				if err != nil {
					return fmt.Errorf("create %s: %w (choose a new file name)", path, err)
				}
				err = desk.ExportROPA(s, format, f, a.now())
				if cerr := f.Close(); err == nil {
					err = cerr
				}
				if err != nil {
					os.Remove(path)
					return fmt.Errorf("export to %s: %w", path, err)
				}
				fmt.Fprintf(a.stdout, "Wrote the records of processing to %s.\n", path)
				return nil
			})
		},
	}
	cmd.Flags().StringVar(&format, "format", "xlsx", "xlsx, csv or json")
	cmd.Flags().StringVar(&out, "out", "", "file to write (required; must not exist)")
	return cmd
}
