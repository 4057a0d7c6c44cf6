package exporters

import (
	"slices"
	"testing"
	"time"

	"github.com/gdprdesk/gdprdesk/gdpr"
)

func TestMergeContact(t *testing.T) {
	t1 := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	t2 := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	base := func() gdpr.Contact {
		return gdpr.Contact{
			Email: "anna@example.com", FirstName: "Anna", LastName: "Müller", Phone: "+49 1", City: "Berlin",
			Country: "DE", Source: "webform:newsletter", Status: gdpr.ContactActive, Tags: []string{"customer"},
			Bases:     []gdpr.BasisAssignment{{Basis: gdpr.BasisConsent, Source: "webform:newsletter", At: t1}},
			Consents:  []gdpr.ConsentRecord{{Purpose: "email marketing", Granted: true, At: t1, Method: "webform"}},
			CreatedAt: t1, Balance: 500, OpenContract: true,
			Custom: map[string]string{"Shoe size": "38"},
		}
	}
	tests := []struct {
		name    string
		dst     func() gdpr.Contact
		src     gdpr.Contact
		changed []string
		check   func(c gdpr.Contact) bool
	}{
		{"empty cells never clear", base, gdpr.Contact{Email: "anna@example.com", Status: gdpr.ContactActive}, nil,
			func(c gdpr.Contact) bool {
				b := base()
				return c.FirstName == b.FirstName && c.Phone == b.Phone && c.Country == "DE" && c.Balance == 500 &&
					c.OpenContract && c.CreatedAt.Equal(t1) && len(c.Tags) == 1 && len(c.Bases) == 1 && c.Custom["Shoe size"] == "38"
			}},
		{"same values change nothing", base, base(), nil, nil},
		{"non-empty cells replace", base,
			gdpr.Contact{Email: "anna@example.com", FirstName: "Anne", City: "Hamburg", Notes: "moved", CreatedAt: t2, Balance: 700, Status: gdpr.ContactActive},
			[]string{ColFirstName, ColCity, ColNotes, ColCreatedAt, ColBalanceCents},
			func(c gdpr.Contact) bool {
				return c.FirstName == "Anne" && c.LastName == "Müller" && c.City == "Hamburg" && c.Notes == "moved" &&
					c.CreatedAt.Equal(t2) && c.Balance == 700
			}},
		{"tags are unioned, case-insensitively", base,
			gdpr.Contact{Tags: []string{"Customer", "vip", "vip"}},
			[]string{ColTags},
			func(c gdpr.Contact) bool { return slices.Equal(c.Tags, []string{"customer", "vip"}) }},
		{"bases are unioned by basis, the first assignment kept", base,
			gdpr.Contact{Bases: []gdpr.BasisAssignment{{Basis: gdpr.BasisConsent, Source: "import", At: t2}, {Basis: gdpr.BasisContract, Source: "import", At: t2}}},
			[]string{ColBases},
			func(c gdpr.Contact) bool {
				return len(c.Bases) == 2 && c.Bases[0].Source == "webform:newsletter" && c.Bases[1].Basis == gdpr.BasisContract
			}},
		{"consents appended unless already there", base,
			gdpr.Contact{Consents: []gdpr.ConsentRecord{
				{Purpose: "email marketing", Granted: true, At: t1.In(time.FixedZone("CET", 3600)), Method: "mailchimp opt-in"}, // same moment
				{Purpose: "email marketing", Granted: false, At: t2, Method: "mailchimp unsubscribe"},
			}},
			[]string{"consents"},
			func(c gdpr.Contact) bool {
				return len(c.Consents) == 2 && c.Consents[0].Method == "webform" && !c.Consents[1].Granted
			}},
		{"custom fields merged key by key", base,
			gdpr.Contact{Custom: map[string]string{"Shoe size": "39", "Allergies": "nuts", "Empty": ""}},
			[]string{"custom:Allergies", "custom:Shoe size"},
			func(c gdpr.Contact) bool {
				_, empty := c.Custom["Empty"]
				return c.Custom["Shoe size"] == "39" && c.Custom["Allergies"] == "nuts" && !empty
			}},
		{"custom fields into a contact without any", func() gdpr.Contact { return gdpr.Contact{Email: "a@example.com"} },
			gdpr.Contact{Custom: map[string]string{"Allergies": "nuts"}},
			[]string{"custom:Allergies"},
			func(c gdpr.Contact) bool { return c.Custom["Allergies"] == "nuts" }},
		{"an import can restrict", base, gdpr.Contact{Status: gdpr.ContactRestricted}, []string{ColStatus},
			func(c gdpr.Contact) bool { return c.Status == gdpr.ContactRestricted }},
		{"an import never lifts a restriction",
			func() gdpr.Contact { c := base(); c.Status = gdpr.ContactRestricted; return c },
			gdpr.Contact{Status: gdpr.ContactActive}, nil,
			func(c gdpr.Contact) bool { return c.Status == gdpr.ContactRestricted }},
		{"an import never anonymizes", base, gdpr.Contact{Status: gdpr.ContactAnonymized}, nil,
			func(c gdpr.Contact) bool { return c.Status == gdpr.ContactActive }},
		{"nothing merges into an anonymized contact",
			func() gdpr.Contact { return gdpr.Contact{Status: gdpr.ContactAnonymized, Country: "DE"} },
			gdpr.Contact{FirstName: "Anna", Tags: []string{"x"}}, nil,
			func(c gdpr.Contact) bool { return c.FirstName == "" && len(c.Tags) == 0 }},
		{"zero balance and no open contract do not clear obligations", base,
			gdpr.Contact{Balance: 0, OpenContract: false}, nil,
			func(c gdpr.Contact) bool { return c.Balance == 500 && c.OpenContract }},
		{"a new email keeps the old one for suppression", base,
			gdpr.Contact{Email: "anna.new@example.com"}, []string{ColEmail},
			func(c gdpr.Contact) bool {
				return c.Email == "anna.new@example.com" && slices.Equal(c.PastEmails, []string{"anna@example.com"})
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dst := tt.dst()
			changed := MergeContact(&dst, tt.src)
			if !slices.Equal(changed, tt.changed) {
				t.Errorf("changed %q, want %q", changed, tt.changed)
			}
			if tt.check != nil && !tt.check(dst) {
				t.Errorf("merged contact %+v", dst)
			}
			// Merging the same row again changes nothing.
			if again := MergeContact(&dst, tt.src); len(again) != 0 {
				t.Errorf("second merge changed %q", again)
			}
		})
	}
}
