package exporters

import (
	"slices"
	"strings"
	"testing"
)

func TestHeaderKey(t *testing.T) {
	tests := []struct{ a, b string }{
		{"First Name", "first_name"},
		{"FIRST-NAME", " first  name "},
		{"E-mail", "e_mail"},
		{"E-mail", "E mail"},
		{"State/Region", "state / region"},
		{"OPTIN_TIME", "Optin Time"},
		{"Country/Region", "COUNTRY/REGION"},
	}
	for _, tt := range tests {
		if ka, kb := headerKey(tt.a), headerKey(tt.b); ka != kb {
			t.Errorf("headerKey(%q) = %q, headerKey(%q) = %q: want equal", tt.a, ka, tt.b, kb)
		}
	}
	if headerKey("Email") == headerKey("Email Address 2") {
		t.Error("distinct headers fold to the same key")
	}
}

func TestContactColumns(t *testing.T) {
	got := ContactColumns([]string{"Shoe size", "", "Allergies", "Shoe size"})
	want := []string{"email", "first_name", "last_name", "phone", "street", "city", "region",
		"postal_code", "country", "company", "notes", "source", "tags", "status", "bases",
		"created_at", "balance_cents", "open_contract", "custom:Allergies", "custom:Shoe size"}
	if !slices.Equal(got, want) {
		t.Errorf("ContactColumns =\n%q\nwant\n%q", got, want)
	}
}

// Each canonical column reads back as itself, whatever the case or
// separator, so the canonical export always re-imports.
func TestCanonicalHeadersMapToThemselves(t *testing.T) {
	for _, name := range ContactColumns(nil) {
		for _, h := range []string{name, strings.ToUpper(name), strings.ReplaceAll(name, "_", " ")} {
			_, report := mapHeader([]string{h})
			if report[0].Field != name {
				t.Errorf("header %q maps to %q, want %q", h, report[0].Field, name)
			}
		}
	}
}

func TestMapHeader(t *testing.T) {
	tests := []struct {
		name   string
		header []string
		want   []string // Field per column
	}{
		{"keap", []string{"Id", "First Name", "Last Name", "Email", "Phone 1", "Street Address 1", "Street Address 2", "City", "State", "Postal Code", "Country", "Company", "Lead Source", "Tags", "Date Created", "Person Notes"},
			[]string{"ignored", "first_name", "last_name", "email", "phone", "street", "street", "city", "region", "postal_code", "country", "company", "source", "tags", "created_at", "notes"}},
		{"hubspot", []string{"Record ID", "First Name", "Last Name", "Email", "Phone Number", "Mobile Phone Number", "Street Address", "City", "State/Region", "Postal Code", "Country/Region", "Company Name", "Create Date", "Original Source", "Lifecycle Stage"},
			[]string{"ignored", "first_name", "last_name", "email", "phone", "phone", "street", "city", "region", "postal_code", "country", "company", "created_at", "source", "custom:Lifecycle Stage"}},
		{"mailchimp", []string{"Email Address", "First Name", "Last Name", "Address", "Phone Number", "MEMBER_RATING", "OPTIN_TIME", "OPTIN_IP", "CONFIRM_TIME", "CONFIRM_IP", "LATITUDE", "LONGITUDE", "GMTOFF", "DSTOFF", "TIMEZONE", "CC", "REGION", "LAST_CHANGED", "LEID", "EUID", "NOTES", "TAGS", "Birthday"},
			[]string{"email", "first_name", "last_name", "street", "phone", "ignored", "consent", "consent", "consent", "consent", "ignored", "ignored", "ignored", "ignored", "ignored", "country", "ignored", "consent", "ignored", "ignored", "notes", "tags", "custom:Birthday"}},
		// Outside a Mailchimp export, Region is the region and Latitude an
		// ordinary column.
		{"generic", []string{"E-mail", "Given Name", "Surname", "Family Name", "Country Code", "Zip", "Postcode", "Organisation", "Created", "Mobile", "Telephone", "Lawful Basis", "Region", "Latitude", "consent_text"},
			[]string{"email", "first_name", "last_name", "custom:Family Name", "country", "postal_code", "custom:Postcode", "company", "created_at", "phone", "phone", "bases", "region", "custom:Latitude", "consent"}},
		{"custom and blanks", []string{"email", "custom:Shoe size", " Favourite  colour ", "", "custom:"},
			[]string{"email", "custom:Shoe size", "custom:Favourite  colour", "ignored", "ignored"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, report := mapHeader(tt.header)
			got := make([]string, len(report))
			for i, m := range report {
				got[i] = m.Field
				if m.Column != i+1 || m.Header != tt.header[i] {
					t.Errorf("column %d reported as %d %q", i+1, m.Column, m.Header)
				}
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("fields =\n%q\nwant\n%q", got, tt.want)
			}
		})
	}
}
