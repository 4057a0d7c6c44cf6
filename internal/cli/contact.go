package cli

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/gdprdesk/gdprdesk/gdpr"
	"github.com/gdprdesk/gdprdesk/internal/desk"
	"github.com/gdprdesk/gdprdesk/store"
)

// contactFields are the flags of `contact add` and `contact edit`: one per
// field a person can be told about and have corrected (Art. 16).
type contactFields struct {
	email, first, last, phone, company, street, city, region, postal, country, lang, source, notes string
}

// contactFlagNames are the flags of contactFields, in order.
func contactFlagNames() []string {
	return []string{"email", "first-name", "last-name", "phone", "company", "street", "city", "region",
		"postal-code", "country", "language", "source", "notes"}
}

func (f *contactFields) flags(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringVar(&f.email, "email", "", "email address")
	fl.StringVar(&f.first, "first-name", "", "first name")
	fl.StringVar(&f.last, "last-name", "", "last name")
	fl.StringVar(&f.phone, "phone", "", "phone number")
	fl.StringVar(&f.company, "company", "", "company")
	fl.StringVar(&f.street, "street", "", "street and number")
	fl.StringVar(&f.city, "city", "", "city")
	fl.StringVar(&f.region, "region", "", "region or state")
	fl.StringVar(&f.postal, "postal-code", "", "postal code")
	fl.StringVar(&f.country, "country", "", "country (ISO code or English name)")
	fl.StringVar(&f.lang, "language", "", "language for letters (a tag such as de, fr, pt-BR)")
	fl.StringVar(&f.source, "source", "", "where the contact came from (a source rule may give a lawful basis)")
	fl.StringVar(&f.notes, "notes", "", "notes (the person may ask to see them: keep them factual)")
}

// apply sets the fields whose flags were given on c, normalized; changed
// names them.
func (f *contactFields) apply(cmd *cobra.Command, c *gdpr.Contact) (changed []string, err error) {
	set := func(flag string, dst *string, v string) {
		if cmd.Flags().Changed(flag) {
			*dst = strings.TrimSpace(v)
			changed = append(changed, flag)
		}
	}
	if cmd.Flags().Changed("email") {
		e, err := gdpr.NormalizeEmail(f.email)
		if err != nil {
			return nil, usageError{err}
		}
		f.email = e
	}
	if cmd.Flags().Changed("country") && strings.TrimSpace(f.country) != "" {
		code, err := gdpr.NormalizeCountry(f.country)
		if err != nil {
			return nil, usageError{err}
		}
		f.country = code
	}
	if cmd.Flags().Changed("language") && strings.TrimSpace(f.lang) != "" {
		tag, err := desk.NormalizeLanguage(f.lang)
		if err != nil {
			return nil, usagef("--language: %v", err)
		}
		f.lang = tag
	}
	set("email", &c.Email, f.email)
	set("first-name", &c.FirstName, f.first)
	set("last-name", &c.LastName, f.last)
	set("phone", &c.Phone, f.phone)
	set("company", &c.Company, f.company)
	set("street", &c.Street, f.street)
	set("city", &c.City, f.city)
	set("region", &c.Region, f.region)
	set("postal-code", &c.PostalCode, f.postal)
	set("country", &c.Country, f.country)
	set("language", &c.Language, f.lang)
	set("source", &c.Source, f.source)
	set("notes", &c.Notes, f.notes)
	return changed, nil
}

func (a *app) contactCommand() *cobra.Command {
	var add, edit contactFields
	var asJSON bool
	var basis, evidence string
	addCmd := &cobra.Command{
		Use:   "add --email E [--first-name N --last-name N --phone P --company C --street S --city C --postal-code P --country C --language L --source S --basis B --evidence E]",
		Short: "Add one contact by hand; prints its id",
		Long: `contact add records one person by hand and prints the new id (e.g. C42) on
the first line. An address on the suppression list (a person who asked to be
erased) is refused: re-admit it first if they asked to be added again. A
source with a source rule gives its lawful basis; --basis with --evidence
records one more, in the same audited step.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if !cmd.Flags().Changed("email") {
				return usagef("contact add needs --email")
			}
			n := desk.NewContact{Email: add.email, FirstName: add.first, LastName: add.last, Phone: add.phone,
				Company: add.company, Street: add.street, City: add.city, Region: add.region, PostalCode: add.postal,
				Country: add.country, Language: add.lang, Source: add.source, Notes: add.notes, Evidence: evidence}
			if basis != "" {
				b, err := gdpr.ParseBasis(basis)
				if err != nil {
					return usageError{err}
				}
				n.Basis = b
			}
			if _, err := n.Contact(); err != nil {
				return usageError{err}
			}
			a.create, a.announce = true, true // the first contact may start the data directory
			return a.withStore(func(s *store.Store) error {
				id, err := desk.AddContact(s, a.operatorName(), n)
				if err != nil {
					return err
				}
				fmt.Fprintln(a.stdout, id)
				return nil
			})
		},
	}
	add.flags(addCmd)
	addCmd.Flags().StringVar(&basis, "basis", "", "a first lawful basis (contract, legal_obligation, vital_interests, public_task, legitimate_interests); consent is recorded with `consent grant`")
	addCmd.Flags().StringVar(&evidence, "evidence", "", "what shows the --basis, e.g. order 1042 (kept sealed)")
	showCmd := &cobra.Command{
		Use:   "show (ID|EMAIL) [--json]",
		Short: "Show one contact: profile, bases, consents, restriction, hold",
		Args:  exactArgs(1, "a contact id (e.g. C42) or email"),
		RunE: func(_ *cobra.Command, args []string) error {
			return a.withStore(func(s *store.Store) error {
				c, err := s.FindContact(args[0])
				if err != nil {
					return err
				}
				if asJSON {
					return a.writeJSON(c)
				}
				return a.printContact(c)
			})
		},
	}
	showCmd.Flags().BoolVar(&asJSON, "json", false, "print one JSON document")
	editCmd := &cobra.Command{
		Use:   "edit (ID|EMAIL) --FIELD VALUE…",
		Short: "Correct a contact's fields (rectification, Art. 16; audited, old values sealed)",
		Long: `contact edit changes the fields whose flags are given (an empty value clears
a field) and leaves the others as they are. The audit entry names the fields
and keeps the old and new values sealed with the person's data. A changed
email keeps the old one for suppression on erasure.`,
		Args: exactArgs(1, "a contact id (e.g. C42) or email"),
		RunE: func(cmd *cobra.Command, args []string) error {
			given := false
			for _, name := range contactFlagNames() {
				given = given || cmd.Flags().Changed(name)
			}
			if !given {
				return usagef("name the fields to change, e.g. --city Berlin")
			}
			return a.withStore(func(s *store.Store) error {
				c, err := s.FindContact(args[0])
				if err != nil {
					return err
				}
				var changed []string
				err = s.UpdateContact(a.operatorName(), c.ID, func(x *gdpr.Contact) error {
					changed, err = edit.apply(cmd, x)
					return err
				})
				if err != nil {
					return err
				}
				fmt.Fprintf(a.stdout, "Rectified %s: %s.\n", c.ID, strings.Join(changed, ", "))
				return nil
			})
		},
	}
	edit.flags(editCmd)
	return parentCommand("contact", "Add, show or correct one contact", addCmd, showCmd, editCmd)
}

// printContact writes one contact for a person to read.
func (a *app) printContact(c gdpr.Contact) error {
	tw := a.table()
	row := func(label, v string) { fmt.Fprintf(tw, "%s\t%s\n", label, dash(v)) }
	row("ID", c.ID.String())
	row("Name", strings.TrimSpace(c.FirstName+" "+c.LastName))
	row("Email", c.Email)
	row("Phone", c.Phone)
	row("Company", c.Company)
	row("Address", strings.Join(nonEmpty(c.Street, strings.TrimSpace(c.PostalCode+" "+c.City), c.Region, c.Country), ", "))
	row("Language", c.Language)
	row("Status", string(c.Status))
	row("Source", c.Source)
	row("Created", c.CreatedAt.Format("2006-01-02"))
	for _, b := range c.Bases {
		what := b.Basis.Label()
		if b.Purpose != "" {
			what += " for " + b.Purpose
		}
		row("Basis", what+" ("+b.Source+", "+b.At.Format("2006-01-02")+")")
	}
	for _, p := range c.ConsentPurposes() {
		r, _ := c.LatestConsent(p)
		row("Consent", fmt.Sprintf("%s since %s, wording v%d", p, r.At.Format("2006-01-02"), r.ConsentVersion))
	}
	if c.Objected() {
		row("Objection", "to direct marketing since "+c.MarketingObjection.Format("2006-01-02")+" (Art. 21(3))")
	}
	if !c.RestrictedAt.IsZero() {
		row("Restricted", c.RestrictedAt.Format("2006-01-02")+": "+c.RestrictionReason)
	}
	if c.Hold != nil {
		row("Legal hold", "until "+c.Hold.Until.Format("2006-01-02")+": "+c.Hold.Reason)
	}
	return tw.Flush()
}

func nonEmpty(v ...string) []string {
	var out []string
	for _, s := range v {
		if strings.TrimSpace(s) != "" {
			out = append(out, s)
		}
	}
	return out
}
