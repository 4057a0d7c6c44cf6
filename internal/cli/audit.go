package cli

import (
	"fmt"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/gdprdesk/gdprdesk/exporters"
	"github.com/gdprdesk/gdprdesk/gdpr"
	"github.com/gdprdesk/gdprdesk/store"
)

func (a *app) auditCommand() *cobra.Command {
	verify := &cobra.Command{
		Use:   "verify",
		Short: "Check the audit log's hash chain and recount every counter",
		Args:  exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.withStore(func(s *store.Store) error {
				rep, err := s.VerifyAudit()
				if err != nil {
					return err
				}
				if !rep.OK() {
					for _, p := range rep.Problems {
						fmt.Fprintln(a.stdout, "PROBLEM: "+p)
					}
					return fmt.Errorf("audit verify failed: %d problem(s); the first: %s", len(rep.Problems), rep.Problems[0])
				}
				fmt.Fprintf(a.stdout, "Audit log OK: %s entries chained; counters match a recount of %s contacts and %s requests.\n",
					gdpr.Thousands(int64(rep.Entries)), gdpr.Thousands(rep.Contacts), gdpr.Thousands(rep.Requests))
				return nil
			})
		},
	}
	var out string
	var personal bool
	export := &cobra.Command{
		Use:   "export",
		Short: "Write the audit log for an auditor (JSON Lines)",
		Args:  exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if out == "" {
				return usagef("--out PATH is required")
			}
			out, err := a.outputPath(out)
			if err != nil {
				return err
			}
			return a.withStore(func(s *store.Store) error {
				f, err := os.OpenFile(out, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
				if err != nil {
					return fmt.Errorf("create %s: %w (choose a new file name)", out, err)
				}
				n, err := exporters.WriteAudit(f, s, a.now().UTC().Format(time.RFC3339), personal)
				if cerr := f.Close(); err == nil {
					err = cerr
				}
				if err != nil {
					os.Remove(out)
					return err
				}
				fmt.Fprintf(a.stdout, "Wrote %s audit entries to %s.\n", gdpr.Thousands(int64(n)), out)
				return nil
			})
		},
	}
	export.Flags().StringVar(&out, "out", "", "file to write (must not exist)")
	export.Flags().BoolVar(&personal, "include-personal", false, "include the personal details sealed in entries (left out by default)")
	return parentCommand("audit", "Verify or export the audit log", verify, export)
}
