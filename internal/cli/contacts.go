package cli

import (
	"errors"
	"fmt"
	"os"
	"runtime/debug"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/gdprdesk/gdprdesk/gdpr"
	"github.com/gdprdesk/gdprdesk/internal/desk"
	"github.com/gdprdesk/gdprdesk/store"
)

func (a *app) contactsCommand() *cobra.Command {
	var query string
	var limit int
	var asJSON, count bool
	cmd := &cobra.Command{
		Use:   "contacts",
		Short: "List contacts matching a query",
		Long: `contacts lists the contacts matching --query, in the query language:
space-separated terms that must all hold, e.g.

  country:DE  eu:yes|no|unknown  basis:consent|contract|legal_obligation|
  vital_interests|public_task|legitimate_interests|none  status:active|
  restricted|anonymized|held  marketing:yes|no  purpose:NAME  hold:yes|no
  source:LABEL  tag:NAME  created:<2024-01-01  created:>2024-01-01, and
  bare words matched in name, email and company.

A value may list alternatives: country:DE|AT. The table shows the first 100
by default; --json lists every match unless --limit is given.`,
		Args: exactArgs(0, "no arguments (put the query in --query)"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			q, err := gdpr.ParseQuery(query)
			if err != nil {
				return err
			}
			if limit < 0 {
				return usagef("--limit must be 0 (no limit) or more, got %d", limit)
			}
			if !cmd.Flags().Changed("limit") && !asJSON {
				limit = 100
			}
			if count {
				// From a maintained counter when the query is one term
				// (instant at any size), else by walking the query.
				return a.withReadingStore(func(s *store.Store) error {
					n, err := s.Count(q)
					if err != nil {
						return err
					}
					if asJSON {
						return a.writeJSON(struct {
							Count int64 `json:"count"`
						}{n})
					}
					fmt.Fprintln(a.stdout, n)
					return nil
				})
			}
			return a.withReadingStore(func(s *store.Store) error { return a.listContacts(s, q, limit, asJSON) })
		},
	}
	cmd.Flags().StringVarP(&query, "query", "q", "", "filter, e.g. \"eu:yes basis:none\"")
	cmd.Flags().IntVar(&limit, "limit", 0, "at most this many contacts (0: no limit; the table defaults to 100)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print one JSON document")
	cmd.Flags().BoolVar(&count, "count", false, "print only how many contacts match")
	return cmd
}

type contactsJSON struct {
	Query     string         `json:"query"`
	Count     int            `json:"count"`
	Truncated bool           `json:"truncated"`
	Contacts  []gdpr.Contact `json:"contacts"`
}

func (a *app) listContacts(s *store.Store, q gdpr.Query, limit int, asJSON bool) error {
	out := contactsJSON{Query: q.String(), Contacts: []gdpr.Contact{}}
	var cursor store.Cursor
	for {
		size := 1000
		if limit > 0 {
			size = min(size, limit-len(out.Contacts))
		}
		page, err := s.Contacts(q, cursor, size)
		if err != nil {
			return err
		}
		out.Contacts = append(out.Contacts, page.Contacts...)
		if !page.More {
			break
		}
		if limit > 0 && len(out.Contacts) >= limit {
			out.Truncated = true
			break
		}
		cursor = page.Next
	}
	out.Count = len(out.Contacts)
	if asJSON {
		return a.writeJSON(out)
	}
	tw := a.table()
	fmt.Fprintln(tw, "ID\tNAME\tEMAIL\tCOUNTRY\tEU\tSTATUS\tBASES\tSOURCE")
	for _, c := range out.Contacts {
		var bases []string
		for _, b := range c.Bases {
			if !slices.Contains(bases, string(b.Basis)) { // consent may be held for several purposes
				bases = append(bases, string(b.Basis))
			}
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", c.ID, clip(c.Name(), 30), clip(c.Email, 40), dash(c.Country),
			c.EU(), c.Status, dash(strings.Join(bases, ",")), dash(c.Source))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if out.Truncated {
		fmt.Fprintf(a.stdout, "Showing the first %s; more match. Use --limit 0 for all.\n", gdpr.Thousands(int64(out.Count)))
	} else {
		fmt.Fprintf(a.stdout, "%s contact(s).\n", gdpr.Thousands(int64(out.Count)))
	}
	return nil
}

func (a *app) tagCommand() *cobra.Command {
	var query, basis, evidence, source, purpose string
	var remove, dryRun bool
	cmd := &cobra.Command{
		Use:   "tag",
		Short: "Add or remove a lawful basis on every contact matching a query",
		Long: `tag adds (or with --remove, removes) a lawful basis on every contact matching
--query. Contacts that already hold the basis (or, with --remove, do not) are
counted as already as asked, so running it again is safe; a basis other than
consent that they hold is recorded again, its date renewed (a new order
restarts the retention clock, sweep --retention). Work is committed in chunks of 500:
an interrupted run keeps what it did, and running it again finishes the rest.
Each chunk is audited in one entry that every contact it changed finds in its
audit trail; the evidence is kept, sealed, on each contact's basis (a run that
changes a single contact audits it alone, evidence included). --dry-run writes
nothing and says how many contacts would change.

Consent is given per purpose: --basis consent needs --purpose (a purpose of
the register, gdprdesk purpose list). Each contact then gets a consent record
for it (method "bulk: SOURCE", the evidence sealed on its basis), so proof
exists for each and each can withdraw; with --remove, each gets a withdrawal.`,
		Args: exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if strings.TrimSpace(query) == "" {
				return usagef("--query is required (to change every contact, say so with a term such as status:active)")
			}
			q, err := gdpr.ParseQuery(query)
			if err != nil {
				return err
			}
			b, err := gdpr.ParseBasis(basis)
			if err != nil {
				return usageError{err}
			}
			if remove && evidence != "" {
				return usagef("--evidence goes with adding a basis, not with --remove")
			}
			if b == gdpr.BasisConsent && strings.TrimSpace(purpose) == "" {
				return usagef("--basis consent needs --purpose: consent is given per purpose (gdprdesk purpose list)")
			}
			if b != gdpr.BasisConsent && purpose != "" {
				return usagef("--purpose goes with --basis consent")
			}
			ch := store.BasisChange{Basis: b, Remove: remove, Source: source, Evidence: evidence, Purpose: purpose}
			set := desk.Contacts{Query: &q}
			if dryRun {
				return a.withStore(func(s *store.Store) error {
					n, err := desk.PreviewBasisChange(s, set, ch)
					if err != nil {
						return err
					}
					fmt.Fprintf(a.stdout, "Would change %s contact(s); nothing was written.\n", gdpr.Thousands(n))
					return nil
				})
			}
			if a.served == nil { // not in a server: the setting is the whole process's
				leanTagHeap()
			}
			return a.withBulkStore(func(s *store.Store) error {
				res, err := desk.ApplyBasisChange(cmd.Context(), s, a.operatorName(), set, ch, a.bulkProgress("tag"))
				if a.stderrTTY {
					fmt.Fprintln(a.stderr)
				}
				if err != nil {
					return err
				}
				// Those already holding it had it recorded again: its date
				// is renewed, so the retention clock restarts (a new order).
				// A standing consent is left as it is.
				verb, already := "Added", "already had it (its date renewed)"
				if b == gdpr.BasisConsent {
					already = "already had it"
				}
				if remove {
					verb, already = "Removed", "did not have it"
				}
				fmt.Fprintf(a.stdout, "%s %s on %s contact(s); %s %s.\n", verb, b, gdpr.Thousands(res.Changed), gdpr.Thousands(res.Unchanged), already)
				if res.Cancelled {
					return errors.New("stopped before the end; run the same command again to finish")
				}
				return nil
			})
		},
	}
	cmd.Flags().StringVarP(&query, "query", "q", "", "which contacts, e.g. \"country:DE\" (required)")
	cmd.Flags().StringVar(&basis, "basis", "", "lawful basis: consent, contract, legal_obligation, vital_interests, public_task, legitimate_interests (required)")
	cmd.Flags().StringVar(&evidence, "evidence", "", "what shows the basis holds, e.g. \"webinar signup 2024\"")
	cmd.Flags().StringVar(&source, "source", gdpr.SourceManual, "where the basis comes from")
	cmd.Flags().BoolVar(&remove, "remove", false, "remove the basis instead of adding it")
	cmd.Flags().StringVar(&purpose, "purpose", "", "with --basis consent: the purpose consented to (required then)")
	cmd.Flags().BoolVar(&dryRun, "dry-run", false, "write nothing; say how many contacts would change")
	_ = cmd.MarkFlagRequired("basis")
	return cmd
}

// tagGCPercent is the collector's setting while the tag command runs (Go's
// default is 100): the heap may grow by half of what is live before a
// collection, not by all of it. A bulk tag's live heap is mostly Badger's
// memtable arenas, so at 100 the heap grew by some 150 MB of new pages,
// and each new page is costly on a virtual machine that hands free memory
// back to its host (store.bulkMemTableSize says more). It is set for this
// command alone (its own process), never for the desk or the server, and
// GOGC overrides it.
const tagGCPercent = 50

func leanTagHeap() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(tagGCPercent)
	}
}
