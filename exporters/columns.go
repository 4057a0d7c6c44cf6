package exporters

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/gdprdesk/gdprdesk/gdpr"
)

// The columns of the canonical contacts CSV, in the order the export writes
// them. After them comes one column per custom field, named CustomPrefix and
// the field's name ("custom:Shoe size"), sorted by name.
const (
	ColEmail        = "email"
	ColFirstName    = "first_name"
	ColLastName     = "last_name"
	ColPhone        = "phone"
	ColStreet       = "street"
	ColCity         = "city"
	ColRegion       = "region"
	ColPostalCode   = "postal_code"
	ColCountry      = "country"
	ColCompany      = "company"
	ColNotes        = "notes"
	ColSource       = "source"
	ColTags         = "tags"   // ";"-joined
	ColStatus       = "status" // active or restricted
	ColBases        = "bases"  // ";"-joined stored names, e.g. consent;legitimate_interests
	ColCreatedAt    = "created_at"
	ColBalanceCents = "balance_cents"
	ColOpenContract = "open_contract"
)

// CustomPrefix starts the header of a custom field's column.
const CustomPrefix = "custom:"

// Besides canonical columns and "custom:<Name>", a ColumnMap's Field is one
// of these.
const (
	// FieldConsent: the column becomes part of a consent record (opt-in,
	// confirmation and unsubscribe times, consent text).
	FieldConsent = "consent"
	// FieldIgnored: the column is left out on purpose (ids of the old
	// system, Mailchimp's IPs, geolocation and bookkeeping; see importRules
	// for the list and the reasons).
	FieldIgnored = "ignored"
)

// ContactColumns returns the header of the canonical contacts CSV: the
// canonical columns in order, then "custom:<Name>" for each custom field
// name, sorted, without duplicates or empty names.
func ContactColumns(custom []string) []string {
	names := customNames(custom)
	out := make([]string, 0, len(canonicalRules)+len(names))
	for _, r := range canonicalRules {
		out = append(out, r.name)
	}
	for _, n := range names {
		out = append(out, CustomPrefix+n)
	}
	return out
}

// CustomFieldNames returns the sorted names of the custom fields a contact
// holds, so that an export can gather the custom columns it needs.
func CustomFieldNames(c *gdpr.Contact) []string {
	names := make([]string, 0, len(c.Custom))
	for k := range c.Custom {
		names = append(names, k)
	}
	slices.Sort(names)
	return names
}

func customNames(custom []string) []string {
	names := make([]string, 0, len(custom))
	for _, n := range custom {
		if n != "" {
			names = append(names, n)
		}
	}
	slices.Sort(names)
	return slices.Compact(names)
}

// ColumnMap says what the importer does with one column of a file, for the
// import report.
type ColumnMap struct {
	Column int    `json:"column"` // 1-based position in the header
	Header string `json:"header"` // the header text as written
	// Field is a canonical column name, "custom:<Header>", FieldConsent or
	// FieldIgnored.
	Field string `json:"field"`
	Note  string `json:"note,omitempty"` // how the value is used, when it is not simply copied
}

// columnRule is one line of the column mapping. The rules with a get
// function are the canonical columns, in export order; the importer reads
// the canonical name and every alias as the same thing, so the export and
// the import cannot drift apart.
type columnRule struct {
	name    string   // canonical header, or a descriptive name for import-only rules
	field   string   // what ColumnMap.Field reports
	note    string   // what ColumnMap.Note reports
	aliases []string // other headers (matched by headerKey)
	// mailchimp rules apply only to files recognized as Mailchimp exports
	// (see isMailchimpHeader); elsewhere the header is an ordinary column.
	mailchimp bool
	get       func(c *gdpr.Contact) string        // the canonical export's cell; nil: import only
	set       func(b *rowBuilder, v string) error // reads a non-empty, trimmed cell
}

// canonicalRules are the canonical columns, in export order, each with the
// headers of Keap/Infusionsoft, HubSpot and Mailchimp exports and common
// generic spellings that mean the same.
var canonicalRules = []columnRule{
	{name: ColEmail,
		aliases: []string{"Email", "E-mail", "Email Address", "E-mail Address", "Mail", "Primary Email", "Email 1"},
		get:     func(c *gdpr.Contact) string { return c.Email },
		set:     func(b *rowBuilder, v string) error { return nil }}, // read first, by the reader itself
	{name: ColFirstName,
		aliases: []string{"First Name", "Firstname", "Given Name", "Forename", "First"},
		get:     func(c *gdpr.Contact) string { return c.FirstName },
		set:     func(b *rowBuilder, v string) error { b.c.FirstName = v; return nil }},
	{name: ColLastName,
		aliases: []string{"Last Name", "Lastname", "Surname", "Family Name", "Last"},
		get:     func(c *gdpr.Contact) string { return c.LastName },
		set:     func(b *rowBuilder, v string) error { b.c.LastName = v; return nil }},
	{name: ColPhone,
		aliases: []string{"Phone", "Phone 1", "Phone Number", "Telephone", "Telephone Number", "Tel", "Work Phone"},
		get:     func(c *gdpr.Contact) string { return c.Phone },
		set:     func(b *rowBuilder, v string) error { b.c.Phone = v; return nil }},
	{name: ColStreet,
		aliases: []string{"Street", "Street Address", "Street Address 1", "Address 1", "Address Line 1", "Address1", "Street 1"},
		get:     func(c *gdpr.Contact) string { return c.Street },
		set:     func(b *rowBuilder, v string) error { b.c.Street = v; return nil }},
	{name: ColCity,
		aliases: []string{"City", "Town", "Locality"},
		get:     func(c *gdpr.Contact) string { return c.City },
		set:     func(b *rowBuilder, v string) error { b.c.City = v; return nil }},
	{name: ColRegion,
		aliases: []string{"Region", "State", "State/Region", "State/Province", "Province"},
		get:     func(c *gdpr.Contact) string { return c.Region },
		set:     func(b *rowBuilder, v string) error { b.c.Region = v; return nil }},
	{name: ColPostalCode,
		aliases: []string{"Postal Code", "Zip", "Zip Code", "Postcode", "Post Code", "ZIP/Postal Code", "Postal"},
		get:     func(c *gdpr.Contact) string { return c.PostalCode },
		set:     func(b *rowBuilder, v string) error { b.c.PostalCode = v; return nil }},
	{name: ColCountry,
		note:    "ISO code or English name, normalized to the ISO alpha-2 code",
		aliases: []string{"Country", "Country/Region", "Country Code", "Country Name"},
		get:     func(c *gdpr.Contact) string { return c.Country },
		set:     func(b *rowBuilder, v string) error { b.country = v; return nil }},
	{name: ColCompany,
		aliases: []string{"Company", "Company Name", "Organization", "Organisation", "Organization Name", "Organisation Name"},
		get:     func(c *gdpr.Contact) string { return c.Company },
		set:     func(b *rowBuilder, v string) error { b.c.Company = v; return nil }},
	{name: ColNotes,
		aliases: []string{"Notes", "Note", "Person Notes", "Contact Notes", "Comments"},
		get:     func(c *gdpr.Contact) string { return c.Notes },
		set:     func(b *rowBuilder, v string) error { b.c.Notes = v; return nil }},
	{name: ColSource,
		note:    "lower-cased; when empty, the import's --source label",
		aliases: []string{"Source", "Lead Source", "Original Source", "Contact Source"},
		get:     func(c *gdpr.Contact) string { return c.Source },
		set:     func(b *rowBuilder, v string) error { b.c.Source = v; return nil }},
	{name: ColTags,
		note:    `split on ";" or ",", lower-cased, inner spaces turned into "-"`,
		aliases: []string{"Tags", "Tag"},
		get:     func(c *gdpr.Contact) string { return strings.Join(c.Tags, ";") },
		set:     setTags},
	{name: ColStatus,
		note: "active or restricted",
		get:  func(c *gdpr.Contact) string { return string(c.Status) },
		set:  setStatus},
	{name: ColBases,
		note:    `lawful bases split on ";" or ","; recorded with source "import"`,
		aliases: []string{"Basis", "Bases", "Lawful Basis", "Lawful Bases", "Legal Basis"},
		get:     getBases,
		set:     setBases},
	{name: ColCreatedAt,
		note:    "RFC 3339, YYYY-MM-DD HH:MM:SS or YYYY-MM-DD (UTC); unreadable: a warning",
		aliases: []string{"Created", "Date Created", "Create Date", "Created Date", "Created At", "Creation Date"},
		get: func(c *gdpr.Contact) string {
			if c.CreatedAt.IsZero() {
				return ""
			}
			return c.CreatedAt.UTC().Format(timeLayout)
		},
		set: func(b *rowBuilder, v string) error { b.created, b.createdHeader = v, b.header; return nil }},
	{name: ColBalanceCents,
		note: "unpaid balance in cents (whole number)",
		get:  func(c *gdpr.Contact) string { return strconv.FormatInt(c.Balance, 10) },
		set:  setBalance},
	{name: ColOpenContract,
		note: "true or false",
		get:  func(c *gdpr.Contact) string { return strconv.FormatBool(c.OpenContract) },
		set:  setOpenContract},
}

// timeLayout is how the canonical export writes created_at: RFC 3339 in
// UTC, to the second.
const timeLayout = "2006-01-02T15:04:05Z07:00"

// importRules are columns that the importer understands but the canonical
// export does not write.
//
// Ignored on purpose — they describe the old system, not the person, or are
// personal data the GDPR's data minimization (Art. 5(1)(c)) says not to
// collect without a purpose:
//   - record ids of the old system: Keap/Infusionsoft "Id", HubSpot
//     "Record ID" (older exports "Contact ID"), any "id" column;
//   - Mailchimp bookkeeping and tracking: MEMBER_RATING, LATITUDE,
//     LONGITUDE, GMTOFF, DSTOFF, TIMEZONE, REGION (the region geolocated
//     from the sign-up IP, not the postal address), LEID, EUID. The opt-in
//     and confirmation IPs are the proof of where an opt-in came from: they
//     go into the consent basis's sealed evidence (crmconsent.go), never
//     into the consent record, which is stored in clear.
//
// These Mailchimp names are only special in a file recognized as a
// Mailchimp export (it has MEMBER_RATING, OPTIN_TIME, CONFIRM_TIME,
// OPTIN_IP, CONFIRM_IP, LEID or EUID); in any other file "Region" is the
// region and "Latitude" an ordinary custom field.
//
// Any header matched by nothing becomes a custom field named by the header
// text as written (surrounding spaces trimmed).
var importRules = []columnRule{
	{name: "street 2", field: ColStreet, note: `second address line, appended to street after ", "`,
		aliases: []string{"Street Address 2", "Address 2", "Address Line 2", "Address2", "Street 2"},
		set:     func(b *rowBuilder, v string) error { b.street2 = v; return nil }},
	{name: "address", field: ColStreet,
		note:    "one-line address: its last part (after the last comma or run of two spaces) is the country when it is one; the rest goes to street if street is empty",
		aliases: []string{"Address", "Full Address"},
		set:     func(b *rowBuilder, v string) error { b.address = v; return nil }},
	{name: "mobile", field: ColPhone, note: "used when phone is empty",
		aliases: []string{"Mobile", "Mobile Phone", "Mobile Phone Number", "Mobile Number", "Cell", "Cell Phone"},
		set:     func(b *rowBuilder, v string) error { b.mobile = v; return nil }},
	{name: "cc", field: ColCountry, note: "country code, used when country and address give none",
		aliases: []string{"CC"},
		set:     func(b *rowBuilder, v string) error { b.cc = v; return nil }},
	{name: "optin", field: FieldConsent,
		note:    `opt-in time: a consent record for "email marketing", and created_at when there is no created column`,
		aliases: []string{"OPTIN_TIME", "Opt-In Time", "Opt-In Date", "Consent Date", "Consent Time", "Consented At"},
		set:     func(b *rowBuilder, v string) error { b.optin = v; return nil }},
	{name: "confirm", field: FieldConsent, note: "double opt-in confirmation time: the consent record's time (and created_at when nothing earlier is known)",
		aliases: []string{"CONFIRM_TIME", "Confirm Time", "Confirmed At"},
		set:     func(b *rowBuilder, v string) error { b.confirm = v; return nil }},
	{name: "unsub", field: FieldConsent, note: `unsubscribe time: a withdrawal of consent for "email marketing"`,
		aliases: []string{"UNSUB_TIME", "Unsubscribe Time", "Unsubscribed At"},
		set:     func(b *rowBuilder, v string) error { b.unsub = v; return nil }},
	{name: "consent text", field: FieldConsent, note: "the wording agreed to, recorded in the consent record's method",
		aliases: []string{"Consent Text", "Consent Wording"},
		set:     func(b *rowBuilder, v string) error { b.consentText = v; return nil }},
	{name: "id", field: FieldIgnored, note: "record id of the old system",
		aliases: []string{"Id", "Record ID", "Contact ID"}},
	{name: "mailchimp ignored", field: FieldIgnored, mailchimp: true,
		note: "Mailchimp bookkeeping, IP address or geolocation: not imported",
		aliases: []string{"MEMBER_RATING", "LATITUDE", "LONGITUDE",
			"GMTOFF", "DSTOFF", "TIMEZONE", "REGION", "LEID", "EUID"}},
}

// mailchimpMarkers are headers only a Mailchimp audience export has.
var mailchimpMarkers = []string{"MEMBER_RATING", "OPTIN_TIME", "CONFIRM_TIME", "OPTIN_IP", "CONFIRM_IP", "LEID", "EUID"}

// ruleIndex finds a rule by headerKey; mailchimpIndex holds the rules that
// take precedence in a Mailchimp export.
var ruleIndex, mailchimpIndex = buildRuleIndex()

func buildRuleIndex() (all, mailchimp map[string]*columnRule) {
	all, mailchimp = map[string]*columnRule{}, map[string]*columnRule{}
	add := func(r *columnRule, h string) {
		m := all
		if r.mailchimp {
			m = mailchimp
		}
		k := headerKey(h)
		if prev, dup := m[k]; dup && prev != r {
			panic(fmt.Sprintf("exporters: header %q is an alias of both %s and %s", h, prev.name, r.name))
		}
		m[k] = r
	}
	for i := range canonicalRules {
		r := &canonicalRules[i]
		r.field = r.name
		add(r, r.name)
		for _, a := range r.aliases {
			add(r, a)
		}
	}
	for _, rules := range [][]columnRule{importRules, consentRules} {
		for i := range rules {
			r := &rules[i]
			for _, a := range r.aliases {
				add(r, a)
			}
		}
	}
	return all, mailchimp
}

// headerKey folds a header for matching: lower case, surrounding space
// ignored, "_", "-" and runs of spaces all one space, no space around "/".
// So "First Name", "first_name", "FIRST-NAME" and " first  name " match.
func headerKey(h string) string {
	var b strings.Builder
	b.Grow(len(h))
	space := false
	for _, r := range strings.ToLower(strings.TrimSpace(h)) {
		switch r {
		case '_', '-', ' ', '\t':
			space = true
			continue
		case '/':
			space = false
			b.WriteRune(r)
			continue
		}
		if space && b.Len() > 0 && !strings.HasSuffix(b.String(), "/") {
			b.WriteByte(' ')
		}
		space = false
		b.WriteRune(r)
	}
	return b.String()
}

func isMailchimpHeader(header []string) bool {
	for _, h := range header {
		k := headerKey(h)
		for _, m := range mailchimpMarkers {
			if k == headerKey(m) {
				return true
			}
		}
	}
	return false
}

// mappedColumn is how the reader treats one column of a file.
type mappedColumn struct {
	header string
	rule   *columnRule // nil: custom field or ignored
	custom string      // custom field name, when rule is nil and not ignored
}

// mapHeader maps a file's header to rules. A column whose rule an earlier
// column already took is kept as a custom field instead, so nothing is
// silently dropped.
func mapHeader(header []string) ([]mappedColumn, []ColumnMap) {
	mailchimp := isMailchimpHeader(header)
	cols := make([]mappedColumn, len(header))
	report := make([]ColumnMap, len(header))
	taken := map[*columnRule]string{}
	for i, raw := range header {
		h := strings.TrimSpace(raw)
		cm := ColumnMap{Column: i + 1, Header: raw}
		mc := mappedColumn{header: h}
		var rule *columnRule
		k := headerKey(h)
		if mailchimp {
			rule = mailchimpIndex[k]
		}
		if rule == nil {
			rule = ruleIndex[k]
		}
		switch {
		case h == "":
			cm.Field, cm.Note = FieldIgnored, "column without a header: its values are not imported"
		case len(h) >= len(CustomPrefix) && strings.EqualFold(h[:len(CustomPrefix)], CustomPrefix):
			mc.custom = strings.TrimSpace(h[len(CustomPrefix):])
			cm.Field = CustomPrefix + mc.custom
			if mc.custom == "" {
				cm.Field, cm.Note, mc.custom = FieldIgnored, "custom field without a name", ""
			}
		case rule != nil && rule.set == nil:
			cm.Field, cm.Note = FieldIgnored, rule.note
		case rule != nil && taken[rule] != "":
			mc.custom = h
			cm.Field = CustomPrefix + h
			cm.Note = fmt.Sprintf("kept as a custom field: column %q already maps to %s", taken[rule], rule.field)
		case rule != nil:
			taken[rule] = h
			mc.rule = rule
			cm.Field, cm.Note = rule.field, rule.note
		default:
			mc.custom = h
			cm.Field = CustomPrefix + h
		}
		cols[i], report[i] = mc, cm
	}
	return cols, report
}
