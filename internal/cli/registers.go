package cli

import (
	"fmt"
	"strings"
	"time"

	"github.com/gdprdesk/gdprdesk/gdpr"
	"github.com/gdprdesk/gdprdesk/store"
	"github.com/spf13/cobra"
)

// The registers of SPEC §10: purposes (records of processing, Art. 30)
// and recipients (Art. 28, Chapter V). Only admins change them; the store
// refuses (and audits) anyone else.

func (a *app) purposeCommand() *cobra.Command {
	return parentCommand("purpose", "Add, change and list the purposes of processing (Art. 30)",
		a.purposeSaveCommand(true), a.purposeSaveCommand(false), a.purposeListCommand())
}

func (a *app) recipientCommand() *cobra.Command {
	return parentCommand("recipient", "Add, change, list and remove the recipients of the data (Art. 28, Chapter V)",
		a.recipientSaveCommand(true), a.recipientSaveCommand(false), a.recipientListCommand(), a.recipientRemoveCommand())
}

// splitList reads "a,b" into trimmed, non-empty items.
func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func parseDate(flag, v string) (time.Time, error) {
	if strings.TrimSpace(v) == "" {
		return time.Time{}, nil
	}
	return parseDay(flag, v)
}

func (a *app) purposeSaveCommand(add bool) *cobra.Command {
	var basis, retention, categories, people, recipients, description, security, transfers string
	var interest, necessity, balance, outcome, notes string
	var marketing bool
	var days int
	use, short := "add NAME --basis BASIS", "Add a purpose"
	if !add {
		use, short = "edit NAME", "Change a purpose: only the flags given change"
	}
	cmd := &cobra.Command{
		Use:   use,
		Short: short,
		Args:  exactArgs(1, "the purpose's NAME"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if add && basis == "" {
				return usagef("a purpose needs --basis (consent, contract, legal_obligation, vital_interests, public_task or legitimate_interests)")
			}
			changed := cmd.Flags().Changed
			return a.withStore(func(s *store.Store) error {
				p := gdpr.Purpose{Name: gdpr.NormalizePurposeName(args[0])}
				if !add {
					old, err := s.Purpose(args[0])
					if err != nil {
						return err
					}
					p = old
				} else if _, err := s.Purpose(args[0]); err == nil {
					return usagef("purpose %s exists already: use purpose edit", p.Name)
				}
				if changed("basis") {
					b, err := gdpr.ParseBasis(basis)
					if err != nil {
						return usageError{err}
					}
					p.Basis = b
				}
				if changed("marketing") {
					p.Marketing = marketing
				}
				if changed("retention") {
					p.Retention = strings.TrimSpace(retention)
				}
				if changed("retention-days") {
					p.RetentionDays = days
				}
				if changed("categories") {
					p.DataCategories = splitList(categories)
				}
				if changed("people") {
					p.PeopleCategories = splitList(people)
				}
				if changed("recipients") {
					// Each name must be in the recipients register, as on
					// screen 7: there its role, country, DPA and safeguard
					// are recorded (a purpose stored earlier with a name
					// the register lacks is reported by ropa-complete).
					register, err := s.Recipients()
					if err != nil {
						return err
					}
					p.Recipients = nil
					for _, name := range splitList(recipients) {
						r, ok := gdpr.FindRecipient(register, name)
						if !ok {
							return usagef("no recipient %q in the register: add it first (gdprdesk recipient add %q --role ROLE --country CC)", name, name)
						}
						p.Recipients = append(p.Recipients, r.Name)
					}
				}
				if changed("description") {
					p.Description = strings.TrimSpace(description)
				}
				if changed("security") {
					p.Security = strings.TrimSpace(security)
				}
				if changed("transfers") {
					p.Transfers = strings.TrimSpace(transfers)
				}
				// The balancing test (Art. 6(1)(f)): the parts given change,
				// and the store dates and signs it anew.
				weighed := false
				var b gdpr.BalancingTest
				if p.Balancing != nil {
					b = *p.Balancing
				}
				for _, f := range []struct {
					flag string
					v    string
					to   *string
				}{{"interest", interest, &b.Interest}, {"necessity", necessity, &b.Necessity}, {"balance", balance, &b.Balance}, {"safeguards", notes, &b.Notes}} {
					if changed(f.flag) {
						*f.to, weighed = strings.TrimSpace(f.v), true
					}
				}
				if changed("outcome") {
					o, err := gdpr.ParseBalancingOutcome(outcome)
					if err != nil {
						return usageError{err}
					}
					b.Outcome, weighed = o, true
				}
				dropped := false
				switch {
				case weighed:
					b.At, b.By = time.Time{}, ""
					if err := gdpr.CheckBalancing(p, &b); err != nil {
						return usageError{err}
					}
					p.Balancing = &b
				case p.Balancing != nil && p.Basis != gdpr.BasisLegitimateInterests:
					// The basis changed away from legitimate interests:
					// the test no longer belongs to the purpose.
					p.Balancing, dropped = nil, true
				}
				if err := p.Validate(); err != nil {
					return usageError{err}
				}
				if err := s.SavePurpose(a.operatorName(), p); err != nil {
					return err
				}
				verb := "changed"
				if add {
					verb = "added"
				}
				fmt.Fprintf(a.stdout, "purpose %s %s\n", p.Name, verb)
				if weighed {
					fmt.Fprintf(a.stdout, "balancing test recorded (Art. 6(1)(f)): %s\n", b.Outcome)
					if w := gdpr.BalancingWarning(p); w != "" {
						fmt.Fprintln(a.stderr, "gdprdesk: warning: "+w)
					}
				}
				if dropped {
					fmt.Fprintln(a.stdout, "its balancing test was removed: the purpose is no longer on legitimate interests")
				}
				return nil
			})
		},
	}
	f := cmd.Flags()
	f.StringVar(&basis, "basis", "", "lawful basis (Art. 6(1)): consent, contract, legal_obligation, vital_interests, public_task, legitimate_interests")
	f.BoolVar(&marketing, "marketing", false, "the purpose is direct marketing (email, SMS)")
	f.StringVar(&retention, "retention", "", "how long the data is kept, in words")
	f.IntVar(&days, "retention-days", 0, "retention as a rule the sweep applies, in days (0: none)")
	f.StringVar(&categories, "categories", "", "data categories, comma-separated (e.g. identity,contact details)")
	f.StringVar(&people, "people", "", "categories of people, comma-separated (e.g. customers)")
	f.StringVar(&recipients, "recipients", "", "recipients' names from the recipients register, comma-separated")
	f.StringVar(&description, "description", "", "what the purpose is, in plain words")
	f.StringVar(&security, "security", "", "security measures, in general terms (Art. 30(1)(g))")
	f.StringVar(&transfers, "transfers", "", "transfers outside the EEA, in words (the recipients carry the safeguards)")
	f.StringVar(&interest, "interest", "", "balancing test (legitimate interests only): the interest pursued")
	f.StringVar(&necessity, "necessity", "", "balancing test: why the processing is necessary for it")
	f.StringVar(&balance, "balance", "", "balancing test: how it weighs against the people's interests and rights")
	f.StringVar(&outcome, "outcome", "", "balancing test: the outcome, passed|failed (failed: legitimate interests cannot be relied on)")
	f.StringVar(&notes, "safeguards", "", "balancing test: safeguards and notes (e.g. an opt-out in every email)")
	return cmd
}

func (a *app) purposeListCommand() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List the purposes",
		Args:  exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.withStore(func(s *store.Store) error {
				ps, err := s.Purposes()
				if err != nil {
					return err
				}
				if ps == nil {
					ps = []gdpr.Purpose{}
				}
				if asJSON {
					return a.writeJSON(struct {
						Count    int            `json:"count"`
						Purposes []gdpr.Purpose `json:"purposes"`
					}{len(ps), ps})
				}
				for _, p := range ps {
					m := ""
					if p.Marketing {
						m = " (marketing)"
					}
					fmt.Fprintf(a.stdout, "%-24s %-20s%s %s\n", dash(p.Name), p.Basis, m, dash(p.Retention))
				}
				return nil
			})
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print one JSON document")
	return cmd
}

func (a *app) recipientSaveCommand(add bool) *cobra.Command {
	var role, country, purposes, dpaSigned, dpaRef, safeguard, safeguardDate, contact, service string
	use, short := "add NAME --role ROLE --country CC", "Add a recipient"
	if !add {
		use, short = "edit NAME", "Change a recipient: only the flags given change"
	}
	cmd := &cobra.Command{
		Use:   use,
		Short: short,
		Args:  exactArgs(1, "the recipient's NAME"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if add && (role == "" || country == "") {
				return usagef("a recipient needs --role (processor, controller or joint) and --country")
			}
			changed := cmd.Flags().Changed
			return a.withStore(func(s *store.Store) error {
				list, err := s.Recipients()
				if err != nil {
					return err
				}
				r, found := gdpr.FindRecipient(list, args[0])
				switch {
				case add && found:
					return usagef("recipient %s exists already: use recipient edit", r.Name)
				case !add && !found:
					return fmt.Errorf("no recipient %q in the register (gdprdesk recipient list)", args[0])
				case add:
					r = gdpr.Recipient{Name: strings.TrimSpace(args[0])}
				}
				if changed("role") {
					if r.Role, err = gdpr.ParseRecipientRole(role); err != nil {
						return usageError{err}
					}
				}
				if changed("country") {
					if r.Country, err = gdpr.NormalizeCountry(country); err != nil {
						return usageError{err}
					}
				}
				if changed("purposes") {
					r.Purposes = splitList(purposes)
				}
				if changed("dpa-signed") {
					if r.DPASignedAt, err = parseDate("dpa-signed", dpaSigned); err != nil {
						return err
					}
				}
				if changed("dpa-ref") {
					r.DPARef = strings.TrimSpace(dpaRef)
				}
				if changed("safeguard") {
					r.Safeguard = ""
					if strings.TrimSpace(safeguard) != "" {
						if r.Safeguard, err = gdpr.ParseSafeguard(safeguard); err != nil {
							return usageError{err}
						}
					}
				}
				if changed("safeguard-date") {
					if r.SafeguardAt, err = parseDate("safeguard-date", safeguardDate); err != nil {
						return err
					}
				}
				// Dates are records of what happened: none after today
				// in the desk's zone (gdpr.Recipient.CheckDates).
				loc, err := breachLocation(s)
				if err != nil {
					return err
				}
				if err := r.CheckDates(a.now().In(loc)); err != nil {
					return usageError{err}
				}
				if changed("contact") {
					r.Contact = strings.TrimSpace(contact)
				}
				if changed("service") {
					r.Service = strings.TrimSpace(service)
				}
				if err := r.Validate(); err != nil {
					return usageError{err}
				}
				if err := s.SaveRecipient(a.operatorName(), r); err != nil {
					return err
				}
				verb := "changed"
				if add {
					verb = "added"
				}
				fmt.Fprintf(a.stdout, "recipient %s %s\n", r.Name, verb)
				return nil
			})
		},
	}
	f := cmd.Flags()
	f.StringVar(&role, "role", "", "processor, controller or joint")
	f.StringVar(&country, "country", "", "country the data goes to (ISO code)")
	f.StringVar(&purposes, "purposes", "", "the purposes it serves, comma-separated")
	f.StringVar(&dpaSigned, "dpa-signed", "", "date the data-processing agreement was signed (YYYY-MM-DD, Art. 28(3))")
	f.StringVar(&dpaRef, "dpa-ref", "", "reference of the data-processing agreement")
	f.StringVar(&safeguard, "safeguard", "", "transfer safeguard outside the EEA: adequacy (only for a country with an EU adequacy decision), scc, bcr or derogation (not for a processor's routine transfers)")
	f.StringVar(&safeguardDate, "safeguard-date", "", "date of the safeguard, e.g. when the SCCs were signed (YYYY-MM-DD)")
	f.StringVar(&contact, "contact", "", "the recipient's privacy contact (email)")
	f.StringVar(&service, "service", "", "what they do for you, e.g. newsletter delivery")
	return cmd
}

func (a *app) recipientListCommand() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List the recipients",
		Args:  exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.withStore(func(s *store.Store) error {
				rs, err := s.Recipients()
				if err != nil {
					return err
				}
				if rs == nil {
					rs = []gdpr.Recipient{}
				}
				if asJSON {
					return a.writeJSON(struct {
						Count      int              `json:"count"`
						Recipients []gdpr.Recipient `json:"recipients"`
					}{len(rs), rs})
				}
				for _, r := range rs {
					dpa := "-"
					if !r.DPASignedAt.IsZero() {
						dpa = "DPA " + r.DPASignedAt.Format(time.DateOnly)
					}
					fmt.Fprintf(a.stdout, "%-24s %-10s %-3s %-15s %s\n", dash(r.Name), r.Role, dash(r.Country), dpa, dash(strings.Join(r.Purposes, ",")))
				}
				return nil
			})
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print one JSON document")
	return cmd
}

func (a *app) recipientRemoveCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "remove NAME",
		Short: "Remove a recipient from the register",
		Args:  exactArgs(1, "the recipient's NAME"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.withStore(func(s *store.Store) error {
				if err := s.DeleteRecipient(a.operatorName(), args[0]); err != nil {
					return err
				}
				fmt.Fprintf(a.stdout, "recipient %s removed\n", strings.TrimSpace(args[0]))
				return nil
			})
		},
	}
}
