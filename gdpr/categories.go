package gdpr

import (
	"fmt"
	"sort"
)

// DataCategory is one kind of personal data held on a person, with the
// fields of it that are filled in (Art. 15(1)(b): "the categories of
// personal data concerned").
type DataCategory struct {
	ID     string   `json:"id"`     // stable: identity, contact_details, …
	Label  string   `json:"label"`  // in plain words, e.g. "Contact details"
	Fields []string `json:"fields"` // the fields held, in plain words
}

// The data categories, in the order they are listed.
const (
	CategoryIdentity  = "identity"              // first and last name
	CategoryContact   = "contact_details"       // email, earlier emails, phone
	CategoryAddress   = "postal_address"        // street, city, region, postal code, country
	CategoryCompany   = "company"               // the company the person works for
	CategoryBilling   = "billing"               // unpaid balance, open contract, records kept under a legal hold
	CategoryMarketing = "marketing_preferences" // consents given or withdrawn, a marketing objection
	CategoryNotes     = "notes"                 // the business's free-text notes
	CategoryCustom    = "custom_fields"         // fields of the business's own (from a CRM export)
	CategoryTags      = "tags"                  // the business's labels for the person
	CategoryRights    = "requests"              // requests made, restriction of processing
)

// DataCategories lists the categories of data actually held on the person
// (Art. 15(1)(b)): derived from the fields that hold something, never a
// generic list, so the access package says what is there and nothing
// else. requests is how many data-subject requests of the person are on
// file. An erased person has no category left.
func (c *Contact) DataCategories(requests int) []DataCategory {
	if c.Status == ContactAnonymized {
		return nil
	}
	var out []DataCategory
	add := func(id, label string, fields ...string) {
		var held []string
		for i := 0; i+1 < len(fields); i += 2 {
			if fields[i+1] != "" {
				held = append(held, fields[i])
			}
		}
		if len(held) > 0 {
			out = append(out, DataCategory{ID: id, Label: label, Fields: held})
		}
	}
	yes := func(b bool) string {
		if b {
			return "x"
		}
		return ""
	}
	add(CategoryIdentity, "Identity", "first name", c.FirstName, "last name", c.LastName)
	add(CategoryContact, "Contact details", "email", c.Email, "earlier emails", yes(len(c.PastEmails) > 0), "phone", c.Phone)
	add(CategoryAddress, "Postal address", "street", c.Street, "city", c.City, "region", c.Region,
		"postal code", c.PostalCode, "country", c.Country)
	add(CategoryCompany, "Company", "company", c.Company)
	add(CategoryBilling, "Billing and contracts", "unpaid balance", yes(c.Balance > 0), "open contract", yes(c.OpenContract),
		"records kept under a legal hold", yes(c.Hold != nil))
	add(CategoryMarketing, "Marketing preferences", "consents given or withdrawn", yes(len(c.Consents) > 0),
		"objection to marketing", yes(c.Objected()))
	add(CategoryNotes, "Notes", "notes", c.Notes)
	var custom []string
	for k, v := range c.Custom {
		if v != "" {
			custom = append(custom, k)
		}
	}
	if len(custom) > 0 {
		sort.Strings(custom) // by name, so a record always lists the same way
		out = append(out, DataCategory{ID: CategoryCustom, Label: "Other fields", Fields: custom})
	}
	add(CategoryTags, "Tags", "tags", yes(len(c.Tags) > 0))
	reqs := ""
	if requests > 0 {
		reqs = fmt.Sprint(requests)
	}
	add(CategoryRights, "Requests and rights used", "requests", reqs,
		"restriction of processing", yes(!c.RestrictedAt.IsZero() || c.Status == ContactRestricted))
	return out
}
