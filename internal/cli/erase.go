package cli

import (
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/gdprdesk/gdprdesk/gdpr"
	"github.com/gdprdesk/gdprdesk/store"
)

func (a *app) anonymizeCommand() *cobra.Command {
	var request, override string
	cmd := &cobra.Command{
		Use:   "anonymize (ID|EMAIL)",
		Short: "Erase a contact's personal data for good (right to erasure, Art. 17)",
		Long: `anonymize destroys everything that identifies the contact — names, every
email it ever had, phone, address, company, notes, custom fields, evidence
notes and the personal details in its audit entries and requests — by
destroying the key they are sealed under. Country and created year remain, so
statistics still add up. Every address goes on the suppression list, so an
import or a new contact cannot bring the person back by accident.

A contact with an unpaid balance or an open contract is refused unless you
give --override-reason (kept in the audit log: do not put personal details
in it). With --request, the erasure request is completed and linked.

When run at a terminal, you are asked to type the contact's id to confirm.`,
		Args: exactArgs(1, "a contact id (e.g. C42) or email"),
		RunE: func(cmd *cobra.Command, args []string) error {
			var opts store.AnonymizeOptions
			if request != "" {
				id, err := gdpr.ParseRequestID(request)
				if err != nil {
					return usageError{err}
				}
				opts.Request = id
			}
			opts.OverrideReason = strings.TrimSpace(override)
			return a.withStore(func(s *store.Store) error {
				c, err := s.FindContact(args[0])
				if err != nil {
					return err
				}
				if a.stdinTTY {
					fmt.Fprintf(a.stdout, "Erase %s (%s) for good? This cannot be undone. Type %s to confirm: ", c.ID, c.Name(), c.ID)
					var answer string
					fmt.Fscanln(a.stdin, &answer)
					if !strings.EqualFold(strings.TrimSpace(answer), c.ID.String()) {
						return errors.New("not confirmed; nothing was changed")
					}
				}
				res, err := s.Anonymize(a.operatorName(), c.ID, opts)
				if err != nil {
					return err
				}
				fmt.Fprintf(a.stdout, "%s anonymized: personal data destroyed, %d address(es) on the suppression list (audit entry %d).\n",
					c.ID, res.Suppressed, res.Event)
				return nil
			})
		},
	}
	cmd.Flags().StringVar(&request, "request", "", "the erasure request this answers, e.g. R7")
	cmd.Flags().StringVar(&override, "override-reason", "", "erase despite an unpaid balance or open contract, and why")
	return cmd
}

// sweepQuery selects the contacts a sweep removes: EU (and, when asked,
// unknown-country) contacts that hold no lawful basis and are not erased.
func sweepQuery(includeUnknown bool) (gdpr.Query, error) {
	text := "eu:yes basis:none status:active|restricted"
	if includeUnknown {
		text = "eu:yes|unknown basis:none status:active|restricted"
	}
	return gdpr.ParseQuery(text)
}

type sweepJSON struct {
	Applied    bool           `json:"applied"`
	Candidates int            `json:"candidates"`
	Anonymized int            `json:"anonymized"`
	Skipped    []sweepSkip    `json:"skipped"`
	Contacts   []gdpr.Contact `json:"contacts,omitempty"`
}

type sweepSkip struct {
	Contact gdpr.ContactID `json:"contact"`
	Reason  string         `json:"reason"`
}

func (a *app) sweepCommand() *cobra.Command {
	var apply, asJSON, unknown bool
	cmd := &cobra.Command{
		Use:   "sweep",
		Short: "List, then with --apply erase, EU contacts that have no lawful basis",
		Long: `sweep lists the EU/EEA contacts that hold no lawful basis (with
--include-unknown, also those whose country is not recorded, which the
checklist counts as EU). With --apply they are anonymized, in
transactions of 200, so an interrupted sweep keeps what it did and running it
again finishes the rest. Contacts with an unpaid balance or an open contract
are skipped and listed. The time of a finished --apply is recorded for the
checklist item basis-sweep. At a terminal, --apply asks for confirmation.`,
		Args: exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			q, err := sweepQuery(unknown)
			if err != nil {
				return err
			}
			return a.withStore(func(s *store.Store) error {
				out := sweepJSON{Applied: apply, Skipped: []sweepSkip{}}
				var all []gdpr.Contact
				var cursor store.Cursor
				for {
					page, err := s.Contacts(q, cursor, 1000)
					if err != nil {
						return err
					}
					all = append(all, page.Contacts...)
					if !page.More {
						break
					}
					cursor = page.Next
				}
				out.Candidates = len(all)
				if !apply {
					out.Contacts = all
					if asJSON {
						return a.writeJSON(out)
					}
					for _, c := range all {
						fmt.Fprintf(a.stdout, "%s\t%s\t%s\t%s\n", c.ID, c.Name(), c.Email, dash(c.Country))
					}
					fmt.Fprintf(a.stdout, "%s EU contact(s) without a lawful basis. Run with --apply to anonymize them.\n", gdpr.Thousands(int64(len(all))))
					return nil
				}
				if a.stdinTTY && len(all) > 0 {
					fmt.Fprintf(a.stdout, "Erase %s contacts for good? This cannot be undone. Type yes to confirm: ", gdpr.Thousands(int64(len(all))))
					var answer string
					fmt.Fscanln(a.stdin, &answer)
					if answer != "yes" {
						return errors.New("not confirmed; nothing was changed")
					}
				}
				op := a.operatorName()
				const chunk = 200
				for i := 0; i < len(all); i += chunk {
					if err := cmd.Context().Err(); err != nil {
						return fmt.Errorf("sweep stopped after %d of %d; run it again to finish: %w", i, len(all), err)
					}
					ids := make([]gdpr.ContactID, 0, chunk)
					for _, c := range all[i:min(i+chunk, len(all))] {
						ids = append(ids, c.ID)
					}
					done, skipped, err := s.AnonymizeMany(op, ids)
					if err != nil {
						return fmt.Errorf("sweep: %w", err)
					}
					out.Anonymized += len(done)
					for _, id := range ids {
						if err, ok := skipped[id]; ok {
							out.Skipped = append(out.Skipped, sweepSkip{Contact: id, Reason: err.Error()})
						}
					}
					if a.stderrTTY && !asJSON {
						fmt.Fprintf(a.stderr, "\rsweep: %s of %s", gdpr.Thousands(int64(min(i+chunk, len(all)))), gdpr.Thousands(int64(len(all))))
					}
				}
				if a.stderrTTY && !asJSON && len(all) > 0 {
					fmt.Fprintln(a.stderr)
				}
				if err := s.RecordSweep(op, a.now(), int64(out.Anonymized)); err != nil {
					return err
				}
				if asJSON {
					return a.writeJSON(out)
				}
				fmt.Fprintf(a.stdout, "Sweep done: %s anonymized, %d skipped.\n", gdpr.Thousands(int64(out.Anonymized)), len(out.Skipped))
				for _, sk := range out.Skipped {
					fmt.Fprintf(a.stdout, "  skipped %s: %s\n", sk.Contact, sk.Reason)
				}
				return nil
			})
		},
	}
	cmd.Flags().BoolVar(&apply, "apply", false, "anonymize them (irreversible)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print one JSON document")
	cmd.Flags().BoolVar(&unknown, "include-unknown", false, "also contacts with no country recorded")
	return cmd
}

func (a *app) readmitCommand() *cobra.Command {
	var reason string
	cmd := &cobra.Command{
		Use:   "readmit EMAIL --reason TEXT",
		Short: "Take an erased person's address off the suppression list",
		Long: `readmit lets an address that was erased be imported or added again, for a
person who asked to come back. The reason goes into the audit log (without
the address): write why, not who.`,
		Args: exactArgs(1, "one email address"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if strings.TrimSpace(reason) == "" {
				return usagef("--reason is required (e.g. \"asked to rejoin on 2026-12-01\")")
			}
			return a.withStore(func(s *store.Store) error {
				if err := s.Readmit(a.operatorName(), args[0], reason); err != nil {
					return err
				}
				fmt.Fprintln(a.stdout, "Address re-admitted; it can be imported or added again.")
				return nil
			})
		},
	}
	cmd.Flags().StringVar(&reason, "reason", "", "why the address may come back (required)")
	return cmd
}
