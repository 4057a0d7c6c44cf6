package cli

import (
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/gdprdesk/gdprdesk/gdpr"
	"github.com/gdprdesk/gdprdesk/store"
)

// The DPIA screening (Art. 35, SPEC §10): the nine criteria of the EDPB's
// guidelines, the outcome and why.

func (a *app) dpiaCommand() *cobra.Command {
	return parentCommand("dpia", "Record and show the DPIA screening (Art. 35)", a.dpiaScreenCommand(), a.dpiaShowCommand())
}

func (a *app) dpiaScreenCommand() *cobra.Command {
	var criteria, outcome, why, notes string
	cmd := &cobra.Command{
		Use:   "screen --criteria A,B,… --outcome needed|not-needed [--why TEXT] [--notes TEXT]",
		Short: "Record a DPIA screening against the EDPB's nine criteria",
		Long: `dpia screen records which of the nine criteria of the EDPB's guidelines on
data protection impact assessments (WP248 rev.01) your processing meets, and
what you concluded (Art. 35(1)). The criteria, for --criteria (comma-separated;
give --criteria "" when none is met):

` + dpiaCriteriaHelp() + `

Two or more met make a DPIA likely needed; concluding not-needed then
requires --why. The screening replaces the previous one; the audit log
keeps each one recorded. Only admins record it.`,
		Args: exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if !cmd.Flags().Changed("criteria") || outcome == "" {
				return usagef("dpia screen needs --criteria (comma-separated; \"\" for none) and --outcome needed|not-needed")
			}
			var d gdpr.DPIAScreening
			if err := d.SetCriteria(splitList(criteria)); err != nil {
				return usageError{err}
			}
			o, err := gdpr.ParseDPIAOutcome(outcome)
			if err != nil {
				return usageError{err}
			}
			d.Outcome, d.Why, d.Notes = o, strings.TrimSpace(why), strings.TrimSpace(notes)
			if err := d.Validate(); err != nil {
				return usageError{err}
			}
			return a.withStore(func(s *store.Store) error {
				if err := s.SaveDPIAScreening(a.operatorName(), d); err != nil {
					return err
				}
				fmt.Fprintf(a.stdout, "DPIA screening recorded: %s.\n", d.Summary())
				if o == gdpr.DPIANotNeeded && gdpr.DPIALikelyNeeded(d) {
					fmt.Fprintln(a.stdout, "Two or more criteria are met: keep the reason under review (EDPB WP248).")
				}
				return nil
			})
		},
	}
	f := cmd.Flags()
	f.StringVar(&criteria, "criteria", "", "the criteria met, comma-separated: "+strings.Join(gdpr.DPIACriterionNames(), ", "))
	f.StringVar(&outcome, "outcome", "", "needed or not-needed")
	f.StringVar(&why, "why", "", "why (required for not-needed when two or more criteria are met)")
	f.StringVar(&notes, "notes", "", "notes on the screening")
	return cmd
}

func dpiaCriteriaHelp() string {
	var b strings.Builder
	for i, c := range gdpr.DPIACriteria() {
		if i > 0 {
			b.WriteString("\n")
		}
		fmt.Fprintf(&b, "  %-20s %s", c.Name, c.Label)
	}
	return b.String()
}

// dpiaJSON is dpia show --json: the screening with the criteria met by
// name.
type dpiaJSON struct {
	Recorded      bool                `json:"recorded"`
	Screening     *gdpr.DPIAScreening `json:"screening,omitempty"`
	Met           []string            `json:"met"`
	LikelyNeeded  bool                `json:"likely_needed"`
	Summary       string              `json:"summary,omitempty"`
	CriteriaNames []string            `json:"criteria"`
}

func (a *app) dpiaShowCommand() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "show",
		Short: "Show the DPIA screening",
		Args:  exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.withStore(func(s *store.Store) error {
				d, ok, err := s.DPIAScreening()
				if err != nil {
					return err
				}
				if asJSON {
					out := dpiaJSON{Recorded: ok, Met: []string{}, CriteriaNames: gdpr.DPIACriterionNames()}
					if ok {
						out.Screening, out.LikelyNeeded, out.Summary = &d, gdpr.DPIALikelyNeeded(d), d.Summary()
						for _, c := range d.Met() {
							out.Met = append(out.Met, c.Name)
						}
					}
					return a.writeJSON(out)
				}
				if !ok {
					fmt.Fprintln(a.stdout, "No DPIA screening recorded. Record one with gdprdesk dpia screen.")
					return nil
				}
				fmt.Fprintf(a.stdout, "%s\nscreened %s by %s\n", d.Summary(), d.At.UTC().Format(time.RFC3339), dash(d.By))
				if d.Why != "" {
					fmt.Fprintf(a.stdout, "why: %s\n", d.Why)
				}
				if d.Notes != "" {
					fmt.Fprintf(a.stdout, "notes: %s\n", d.Notes)
				}
				met := map[string]bool{}
				for _, c := range d.Met() {
					met[c.Name] = true
				}
				for _, c := range gdpr.DPIACriteria() {
					mark := "[ ]"
					if met[c.Name] {
						mark = "[x]"
					}
					fmt.Fprintf(a.stdout, "  %s %-20s %s\n", mark, c.Name, c.Label)
				}
				return nil
			})
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print one JSON document")
	return cmd
}
