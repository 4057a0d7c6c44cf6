package gdpr

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

// Art. 15(1)(b): the categories of personal data concerned — those
// actually held on the person, from the fields that hold something.
func TestDataCategoriesArt15_1b(t *testing.T) {
	at := time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)
	cat := func(id string, fields ...string) string { return id + ":" + strings.Join(fields, ",") }
	for _, tt := range []struct {
		name     string
		c        Contact
		requests int
		want     []string
	}{
		{"email only", Contact{Status: ContactActive, Email: "a@b.example"}, 0, []string{cat(CategoryContact, "email")}},
		{"name, phone and country",
			Contact{Status: ContactActive, FirstName: "Ann", Email: "a@b.example", Phone: "1", Country: "DE"}, 0,
			[]string{cat(CategoryIdentity, "first name"), cat(CategoryContact, "email", "phone"), cat(CategoryAddress, "country")}},
		{"billing, consent, notes, custom fields, tags and requests",
			Contact{Status: ContactActive, Email: "a@b.example", Balance: 100, Hold: &Hold{Reason: "invoices"},
				Consents: []ConsentRecord{{Purpose: "newsletter", Granted: true, At: at}}, Notes: "n",
				Custom: map[string]string{"size": "39", "empty": "", "colour": "red"}, Tags: []string{"vip"}}, 2,
			[]string{cat(CategoryContact, "email"), cat(CategoryBilling, "unpaid balance", "records kept under a legal hold"),
				cat(CategoryMarketing, "consents given or withdrawn"), cat(CategoryNotes, "notes"),
				cat(CategoryCustom, "colour", "size"), cat(CategoryTags, "tags"), cat(CategoryRights, "requests")}},
		{"objection and restriction",
			Contact{Status: ContactRestricted, Email: "a@b.example", Company: "Acme", MarketingObjection: at, RestrictedAt: at}, 0,
			[]string{cat(CategoryContact, "email"), cat(CategoryCompany, "company"),
				cat(CategoryMarketing, "objection to marketing"), cat(CategoryRights, "restriction of processing")}},
		{"anonymized: nothing left", Contact{Status: ContactAnonymized, Country: "DE"}, 3, nil},
	} {
		var got []string
		for _, d := range tt.c.DataCategories(tt.requests) {
			if d.Label == "" {
				t.Errorf("%s: category %s has no label", tt.name, d.ID)
			}
			got = append(got, cat(d.ID, d.Fields...))
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s:\n got %q\nwant %q", tt.name, got, tt.want)
		}
	}
}
