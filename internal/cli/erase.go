package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/gdprdesk/gdprdesk/gdpr"
	"github.com/gdprdesk/gdprdesk/internal/desk"
	"github.com/gdprdesk/gdprdesk/store"
)

func (a *app) anonymizeCommand() *cobra.Command {
	var request, override string
	var keepHeld bool
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

It is refused, with the reasons (SPEC §9 "Erasure guards"), while another
request of the person is open (answer it first), the contact is restricted
(lift it first, Art. 18), or a legal hold is in force (Art. 17(3)(b)): then
--keep-held erases everything but the held fields at once, suppresses the
addresses, and the sweep finishes the erasure when the hold ends.

The files written with the person's data (access packages, email drafts,
portability files) are deleted when they are under the data directory and
still as written; those written elsewhere are listed for you to delete.

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
			opts.KeepHeld = keepHeld
			return a.withStore(func(s *store.Store) error {
				c, err := s.FindContact(args[0])
				if err != nil {
					return err
				}
				// The guards are asked before the confirmation, so nobody
				// confirms an erasure that would be refused.
				if bs, err := s.ErasureBlockers(c.ID, opts); err != nil {
					return err
				} else if len(bs) > 0 {
					return &store.ErasureBlockedError{Contact: c.ID, Blockers: bs}
				}
				if a.stdinTTY {
					fmt.Fprintf(a.stderr, "Erase %s (%s) for good? This cannot be undone. Type %s to confirm: ", c.ID, c.Name(), c.ID)
					var answer string
					fmt.Fscanln(a.stdin, &answer)
					if !strings.EqualFold(strings.TrimSpace(answer), c.ID.String()) {
						return errors.New("not confirmed; nothing was changed")
					}
				}
				res, rec, files, err := desk.Erase(s, a.operatorName(), c.ID, opts)
				if err != nil && res.Event == 0 {
					for _, line := range files.Lines() { // an interrupted erasure's files
						fmt.Fprintln(a.stdout, line)
					}
					return err
				}
				if opts.KeepHeld {
					fmt.Fprintf(a.stdout, "%s erased except held records until %s: %d address(es) on the suppression list (audit entry %d).\n",
						c.ID, c.Hold.Until.Format("2006-01-02"), res.Suppressed, res.Event)
				} else {
					fmt.Fprintf(a.stdout, "%s anonymized: personal data destroyed, %d address(es) on the suppression list (audit entry %d).\n",
						c.ID, res.Suppressed, res.Event)
				}
				// The files written with the person's data (SPEC §8).
				for _, line := range files.Lines() {
					fmt.Fprintln(a.stdout, line)
				}
				if rec != 0 && !opts.KeepHeld {
					fmt.Fprintf(a.stdout, "Recipients to tell (Art. 19) recorded on %s: gdprdesk request notify %s --recipients all\n", rec, rec)
				}
				return err
			})
		},
	}
	cmd.Flags().StringVar(&request, "request", "", "the erasure request this answers, e.g. R7")
	cmd.Flags().StringVar(&override, "override-reason", "", "erase despite an unpaid balance or open contract, and why")
	cmd.Flags().BoolVar(&keepHeld, "keep-held", false, "under a legal hold: erase everything but the held fields now")
	return cmd
}

// sweepJSON is the sweep's report with --json. The candidates are written
// as they are read (a listing of a million contacts is never held in
// memory), so "contacts" comes before the counts.
type sweepJSON struct {
	Applied    bool             `json:"applied"`
	Contacts   []gdpr.Contact   `json:"contacts,omitempty"`
	Candidates int64            `json:"candidates"`
	Anonymized int64            `json:"anonymized"`
	Held       int64            `json:"held_finished"`
	Skipped    []desk.SweepSkip `json:"skipped"`
	SkippedBy  map[string]int64 `json:"skipped_by"`
	// The files written with the erased people's data: deleted under the
	// data directory, or to delete by hand.
	FilesDeleted int      `json:"files_deleted,omitempty"`
	DeleteByHand []string `json:"delete_by_hand,omitempty"`
}

func (a *app) sweepCommand() *cobra.Command {
	var apply, asJSON, unknown, retention bool
	cmd := &cobra.Command{
		Use:   "sweep",
		Short: "List, then with --apply erase, the contacts in scope that have no lawful basis",
		Long: `sweep lists the contacts in scope that hold no lawful basis, not anonymized —
the contacts the dashboard counts and the checklist asks to fix. Which
contacts are in scope follows the settings' establishment (Art. 3): for a
business established in the EU/EEA, or whose country is not set yet, every
contact (` + gdpr.WithoutBasisQuery(gdpr.Settings{}).String() + `); for one
established outside, those in the EU/EEA and those whose country is not
recorded (` + gdpr.WithoutBasisQuery(gdpr.Settings{Establishment: "US"}).String() + `).
With --apply they are anonymized, in transactions of 200, so an interrupted
sweep keeps what it did and running it again finishes the rest. Contacts with
an unpaid balance or an open contract are skipped and listed. The time of a
finished --apply is recorded for the checklist item basis-sweep. At a
terminal, --apply asks for confirmation. (--include-unknown is no longer
needed: contacts of unknown country are always included.)

sweep --retention applies the retention schedule instead (SPEC §10): it
lists the contacts whose every purpose has lapsed under the purpose's
--retention-days, each with the purposes and the date each lapsed, and
counts them by purpose. A purpose's clock runs from a withdrawn consent's
withdrawal (at once when the purpose has no retention days), else from the
latest consent given or the latest date the purpose's basis was recorded
(tag --basis again, e.g. for a new order, renews that date). A contact with
any purpose still running, one without retention days, or a basis or
consent no purpose of the register covers, is kept. Contacts with an open request, a restriction, a legal hold in force
or an obligation are listed as skipped, with the reason; --apply erases the
rest (audited, with the recipients to tell, Art. 19). It does not count as
the sweep of contacts without a basis.`,
		Args: exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if retention {
				return a.withStore(func(s *store.Store) error { return a.sweepRetention(cmd, s, apply, asJSON) })
			}
			return a.withStore(func(s *store.Store) error { return a.sweep(cmd, s, apply, asJSON) })
		},
	}
	cmd.Flags().BoolVar(&retention, "retention", false, "apply the retention schedule: contacts whose every purpose has lapsed")
	cmd.Flags().BoolVar(&apply, "apply", false, "anonymize them (irreversible)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print one JSON document")
	// Kept so that scripts which pass it still run: the sweep's set is the
	// one rule (gdpr.WithoutBasisQuery), which always includes them.
	cmd.Flags().BoolVar(&unknown, "include-unknown", false, "no effect: contacts of unknown country are always included")
	_ = cmd.Flags().MarkDeprecated("include-unknown", "contacts of unknown country are always included")
	return cmd
}

func (a *app) sweep(cmd *cobra.Command, s *store.Store, apply, asJSON bool) error {
	o := desk.SweepOptions{Operator: a.operatorName(), Apply: apply, Now: a.now()}
	var enc *json.Encoder
	listed := 0
	switch {
	case asJSON && !apply:
		// {"applied":false,"contacts":[…],"candidates":…}: the contacts
		// are streamed, one encoded contact at a time.
		out := a.jsonOut()
		fmt.Fprint(out, `{"applied":false,"contacts":[`)
		enc = json.NewEncoder(out)
		o.Candidate = func(c gdpr.Contact) error {
			if listed > 0 {
				fmt.Fprint(out, ",")
			}
			listed++
			return enc.Encode(c)
		}
	case !apply:
		o.Candidate = func(c gdpr.Contact) error {
			_, err := fmt.Fprintf(a.stdout, "%s\t%s\t%s\t%s\n", c.ID, dash(c.Name()), dash(c.Email), dash(c.Country))
			return err
		}
	}
	if apply && a.stdinTTY {
		o.Confirm = a.confirmErase("contacts")
	}
	if apply && a.stderrTTY && !asJSON {
		o.Progress = func(p desk.SweepProgress) {
			a.progressf("\rsweep: %s of %s", gdpr.Thousands(p.Done), gdpr.Thousands(p.Total))
		}
	}
	rep, err := desk.Sweep(cmd.Context(), s, o)
	if o.Progress != nil && rep.Candidates > 0 {
		fmt.Fprintln(a.stderr)
	}
	if err != nil {
		return err
	}
	if asJSON {
		if enc != nil {
			fmt.Fprintf(a.rawOut, `],"candidates":%d,"anonymized":0,"held_finished":0,"skipped":[],"skipped_by":{}}`+"\n", rep.Candidates)
			return nil
		}
		return a.writeJSON(sweepJSON{Applied: rep.Applied, Candidates: rep.Candidates, Anonymized: rep.Erased, Held: rep.Held,
			Skipped: rep.Skipped, SkippedBy: rep.SkippedBy, FilesDeleted: len(rep.Files.Deleted), DeleteByHand: rep.Files.ByHand()})
	}
	if !apply {
		fmt.Fprintf(a.stdout, "%s contact(s) in scope without a lawful basis. Run with --apply to anonymize them.\n", gdpr.Thousands(rep.Candidates))
		return nil
	}
	fmt.Fprintf(a.stdout, "Sweep done: %s anonymized, %d skipped.\n", gdpr.Thousands(rep.Erased), len(rep.Skipped))
	for _, line := range rep.Files.Lines() {
		fmt.Fprintln(a.stdout, line)
	}
	if rep.Held > 0 {
		fmt.Fprintf(a.stdout, "%s of them were held records whose legal hold has ended (Art. 17(3)(b)).\n", gdpr.Thousands(rep.Held))
	}
	if len(rep.SkippedBy) > 0 {
		var by []string
		for _, k := range slices.Sorted(maps.Keys(rep.SkippedBy)) {
			by = append(by, fmt.Sprintf("%s %d", k, rep.SkippedBy[k]))
		}
		fmt.Fprintf(a.stdout, "Skipped by reason: %s.\n", strings.Join(by, ", "))
	}
	for _, sk := range rep.Skipped {
		fmt.Fprintf(a.stdout, "  skipped %s: %s\n", sk.Contact, sk.Reason)
	}
	return nil
}

// retentionJSON is the retention sweep's report with --json; listing, the
// candidates are streamed first, as sweepJSON's.
type retentionJSON struct {
	Applied      bool                      `json:"applied"`
	Retention    bool                      `json:"retention"`
	Contacts     []desk.RetentionCandidate `json:"contacts,omitempty"`
	Candidates   int64                     `json:"candidates"`
	ByPurpose    map[string]int64          `json:"by_purpose"`
	Anonymized   int64                     `json:"anonymized"`
	Skipped      []desk.SweepSkip          `json:"skipped"`
	SkippedBy    map[string]int64          `json:"skipped_by"`
	FilesDeleted int                       `json:"files_deleted,omitempty"`
	DeleteByHand []string                  `json:"delete_by_hand,omitempty"`
}

func (a *app) sweepRetention(cmd *cobra.Command, s *store.Store, apply, asJSON bool) error {
	o := desk.RetentionOptions{SweepOptions: desk.SweepOptions{Operator: a.operatorName(), Apply: apply, Now: a.now()}}
	listed := 0
	switch {
	case asJSON && !apply:
		out := a.jsonOut()
		fmt.Fprint(out, `{"applied":false,"retention":true,"contacts":[`)
		enc := json.NewEncoder(out)
		o.Lapsed = func(c desk.RetentionCandidate) error {
			if listed > 0 {
				fmt.Fprint(out, ",")
			}
			listed++
			return enc.Encode(c)
		}
	case !apply:
		o.Lapsed = func(c desk.RetentionCandidate) error {
			var ps []string
			for _, l := range c.Lapsed {
				ps = append(ps, l.Purpose+" ("+l.Ground+" "+l.Anchor.Format(time.DateOnly)+", lapsed "+l.Since.Format(time.DateOnly)+")")
			}
			line := fmt.Sprintf("%s\t%s\t%s\t%s\tlapsed: %s", c.Contact.ID, dash(c.Contact.Name()), dash(c.Contact.Email), dash(c.Contact.Country), strings.Join(ps, "; "))
			if len(c.Blockers) > 0 {
				line += "\tkept: " + string(c.Blockers[0].Kind)
			}
			_, err := fmt.Fprintln(a.stdout, line)
			return err
		}
	}
	if apply && a.stdinTTY {
		o.Confirm = a.confirmErase("contacts whose every purpose has lapsed,")
	}
	if apply && a.stderrTTY && !asJSON {
		o.Progress = func(p desk.SweepProgress) {
			a.progressf("\rretention sweep: %s erased", gdpr.Thousands(p.Erased))
		}
	}
	rep, err := desk.SweepRetention(cmd.Context(), s, o)
	if o.Progress != nil && rep.Erased > 0 {
		fmt.Fprintln(a.stderr)
	}
	if err != nil {
		return err
	}
	if asJSON {
		if !apply {
			tail, err := json.Marshal(struct {
				Candidates int64            `json:"candidates"`
				ByPurpose  map[string]int64 `json:"by_purpose"`
				Anonymized int64            `json:"anonymized"`
				Skipped    []desk.SweepSkip `json:"skipped"`
				SkippedBy  map[string]int64 `json:"skipped_by"`
			}{rep.Candidates, rep.ByPurpose, 0, rep.Skipped, rep.SkippedBy})
			if err != nil {
				return err
			}
			// The tail's fields follow the streamed contacts in the same
			// object; purpose names and reasons are escaped as writeJSON's.
			fmt.Fprintf(a.jsonOut(), "],%s\n", tail[1:])
			return nil
		}
		return a.writeJSON(retentionJSON{Applied: true, Retention: true, Candidates: rep.Candidates, ByPurpose: rep.ByPurpose,
			Anonymized: rep.Erased, Skipped: rep.Skipped, SkippedBy: rep.SkippedBy,
			FilesDeleted: len(rep.Files.Deleted), DeleteByHand: rep.Files.ByHand()})
	}
	if len(rep.ByPurpose) > 0 {
		var by []string
		for _, k := range slices.Sorted(maps.Keys(rep.ByPurpose)) {
			by = append(by, fmt.Sprintf("%s %s", k, gdpr.Thousands(rep.ByPurpose[k])))
		}
		fmt.Fprintf(a.stdout, "By lapsed purpose: %s.\n", strings.Join(by, ", "))
	}
	if len(rep.SkippedBy) > 0 {
		var by []string
		for _, k := range slices.Sorted(maps.Keys(rep.SkippedBy)) {
			by = append(by, fmt.Sprintf("%s %d", k, rep.SkippedBy[k]))
		}
		fmt.Fprintf(a.stdout, "Skipped by reason: %s.\n", strings.Join(by, ", "))
	}
	for _, sk := range rep.Skipped {
		fmt.Fprintf(a.stdout, "  skipped %s: %s\n", sk.Contact, sk.Reason)
	}
	if !apply {
		fmt.Fprintf(a.stdout, "%s contact(s) whose every purpose has lapsed; %s kept by a guard. Run with --apply to anonymize the rest.\n",
			gdpr.Thousands(rep.Candidates), gdpr.Thousands(int64(len(rep.Skipped))))
		return nil
	}
	fmt.Fprintf(a.stdout, "Retention sweep done: %s anonymized, %d skipped.\n", gdpr.Thousands(rep.Erased), len(rep.Skipped))
	for _, line := range rep.Files.Lines() {
		fmt.Fprintln(a.stdout, line)
	}
	return nil
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

// confirmErase asks on the terminal before a sweep erases n contacts (what
// names them). The question goes to stderr: stdout is the report (one JSON
// document with --json).
func (a *app) confirmErase(what string) func(n int64) error {
	return func(n int64) error {
		fmt.Fprintf(a.stderr, "Erase %s %s for good? This cannot be undone. Type yes to confirm: ", gdpr.Thousands(n), what)
		var answer string
		fmt.Fscanln(a.stdin, &answer)
		if answer != "yes" {
			return errors.New("not confirmed; nothing was changed")
		}
		return nil
	}
}
