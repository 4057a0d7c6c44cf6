package exporters

import (
	"strings"
	"testing"
	"time"

	"github.com/gdprdesk/gdprdesk/gdpr"
)

// What each row of a CRM export says about marketing, as the rule book
// records it (Art. 7(1) proof of consent, Art. 7(3) withdrawal, Art. 21(3)
// objection): opt-ins, opt-outs and non-marketable states of Mailchimp,
// HubSpot and Keap files laid out as those tools write them.
func TestCRMConsentStateRowByRowArt7Art21(t *testing.T) {
	type want struct {
		method    string // the grant's method ("" none)
		at        string // the grant's time
		withdrawn string // the withdrawal's method ("" none)
		objection string // the objection's time ("" none)
		notMarket bool
	}
	for _, tt := range []struct {
		file, member string
		rows         map[string]want
	}{
		{"crm/mailchimp_subscribed.csv", MemberSubscribed, map[string]want{
			"lena.vogt@example.de":  {method: "double opt-in (Mailchimp)", at: "2023-04-01T08:03:12Z"},
			"paul.meyer@example.de": {method: "single opt-in (Mailchimp)", at: "2024-02-10T19:30:00Z"},
		}},
		{"crm/mailchimp_unsubscribed.csv", MemberUnsubscribed, map[string]want{
			"jan.kowalski@example.pl": {method: "double opt-in (Mailchimp)", at: "2022-01-15T10:02:00Z",
				withdrawn: "unsubscribed (Mailchimp), reason: I no longer want to receive these emails, campaign: Summer sale 2024", objection: "2024-06-01T12:00:00Z"},
			"sofia.rossi@example.it": {withdrawn: "unsubscribed (Mailchimp), reason: N/A (Unsubscribed by an admin), campaign: July news", objection: "2024-07-02T09:15:00Z"},
		}},
		{"crm/mailchimp_cleaned.csv", MemberCleaned, map[string]want{
			"old.box@example.fr": {notMarket: true},
		}},
		{"crm/keap_status.csv", "", map[string]want{
			"greta.lind@example.se": {method: "double opt-in (Keap), status Confirmed", at: "2022-05-05T10:00:00Z"},
			"ole.dahl@example.dk":   {method: "single opt-in (Keap), status Unconfirmed", at: "2023-06-06T11:00:00Z"},
			"eva.novak@example.cz":  {method: "double opt-in (Keap), status Confirmed (Legacy)", at: "2018-07-07T12:00:00Z"},
			"tom.berg@example.no":   {method: "single opt-in (Keap), status Unengaged Marketable", at: "2021-08-08T13:00:00Z"},
			"ida.holm@example.fi":   {notMarket: true},
			"max.kern@example.at":   {notMarket: true},
			"lia.roth@example.ch":   {withdrawn: "opted out (Keap), status Opt-Out: Manual", objection: "2024-05-05T13:00:00Z"},
			"noah.graf@example.de":  {withdrawn: "opted out (Keap), status Opt-Out", objection: "2024-06-06T14:00:00Z"},
			"mia.wolf@example.de":   {withdrawn: "opted out (Keap), status List Unsubscribe", objection: "2024-07-07T15:00:00Z"},
			"ben.fuchs@example.de":  {notMarket: true},
		}},
		{"crm/hubspot_consent.csv", "", map[string]want{
			"claire.petit@example.fr": {method: "double opt-in (HubSpot), status confirmed", at: "2023-03-01T10:00:00Z"},
			"luis.garcia@example.es":  {notMarket: true},
			"anke.jansen@example.nl": {method: "double opt-in (HubSpot), status confirmed", at: "2022-05-03T12:00:00Z",
				withdrawn: "unsubscribed (HubSpot)", objection: "2024-08-20T16:30:00Z"},
			"rui.costa@example.pt": {},
		}},
	} {
		t.Run(tt.file, func(t *testing.T) {
			_, rows := readAll(t, readFixture(t, tt.file), ImportOptions{Now: importNow, Purpose: "Newsletter", Member: tt.member})
			if len(rows) != len(tt.rows) {
				t.Fatalf("%d rows, want %d", len(rows), len(tt.rows))
			}
			for _, row := range rows {
				if row.Err != nil {
					t.Fatalf("line %d rejected: %v", row.Line, row.Err)
				}
				c := row.Contact
				w, ok := tt.rows[c.Email]
				if !ok {
					t.Fatalf("unexpected row %s", c.Email)
				}
				var grant, withdrawal *gdpr.ConsentRecord
				for i := range c.Consents {
					r := &c.Consents[i]
					if r.Purpose != "newsletter" {
						t.Errorf("%s: consent for %q, want the import's purpose", c.Email, r.Purpose)
					}
					if r.Granted {
						grant = r
					} else {
						withdrawal = r
					}
				}
				if (grant != nil) != (w.method != "") || (grant != nil && (grant.Method != w.method || grant.At.Format(time.RFC3339) != w.at)) {
					t.Errorf("%s: grant %+v, want %q at %s", c.Email, grant, w.method, w.at)
				}
				if (withdrawal != nil) != (w.withdrawn != "") || (withdrawal != nil && withdrawal.Method != w.withdrawn) {
					t.Errorf("%s: withdrawal %+v, want %q", c.Email, withdrawal, w.withdrawn)
				}
				if got := ""; c.Objected() {
					if got = c.MarketingObjection.Format(time.RFC3339); got != w.objection {
						t.Errorf("%s: objection at %s, want %s", c.Email, got, w.objection)
					}
				} else if w.objection != "" {
					t.Errorf("%s: no objection, want one at %s", c.Email, w.objection)
				}
				if row.NotMarketable != w.notMarket {
					t.Errorf("%s: not marketable %v, want %v", c.Email, row.NotMarketable, w.notMarket)
				}
				// A standing consent is the consent basis for the purpose;
				// a withdrawn one is not.
				standing := grant != nil && withdrawal == nil
				if got := c.HasBasis(gdpr.BasisConsent); got != standing {
					t.Errorf("%s: consent basis %v, want %v", c.Email, got, standing)
				}
				for _, b := range c.Bases {
					if strings.Contains(b.Evidence, "moving away") {
						t.Errorf("%s: the person's own words were imported: %q", c.Email, b.Evidence)
					}
				}
				for _, r := range c.Consents {
					if strings.Contains(r.Method, "IP") || strings.Contains(r.Method, "moving away") {
						t.Errorf("%s: an IP or the person's words in a clear consent record: %q", c.Email, r.Method)
					}
				}
			}
		})
	}
}

// Mailchimp's sign-up and confirmation IPs are the evidence of a double
// opt-in: they go into the consent basis's evidence, which the store seals.
func TestMailchimpIPsAreSealedEvidence(t *testing.T) {
	_, rows := readAll(t, readFixture(t, "crm/mailchimp_subscribed.csv"), ImportOptions{Now: importNow})
	c := rows[0].Contact
	if len(c.Bases) != 1 || c.Bases[0].Basis != gdpr.BasisConsent || c.Bases[0].Purpose != DefaultImportPurpose ||
		!strings.Contains(c.Bases[0].Evidence, "opt-in from IP 198.51.100.4 at 2023-04-01T08:00:00Z") ||
		!strings.Contains(c.Bases[0].Evidence, "confirmed from IP 198.51.100.4 at 2023-04-01T08:03:12Z") {
		t.Errorf("bases %+v", c.Bases)
	}
}

// A one-column name is split into first and last name (and the split is
// said), or kept whole when a split would be a guess.
func TestSplitFullName(t *testing.T) {
	for _, tt := range []struct{ in, first, last string }{
		{"Rick Hawkins", "Rick", "Hawkins"},
		{"  Rick   Hawkins ", "Rick", "Hawkins"},
		{"Mary Ann Smith", "Mary Ann", "Smith"},
		{"Ludwig van Beethoven", "Ludwig", "van Beethoven"},
		{"Maria de la Cruz", "Maria", "de la Cruz"},
		{"Hawkins, Rick", "Rick", "Hawkins"},
		{"Cher", "Cher", ""},
		{"Smith, John, Jr", "Smith, John, Jr", ""},
	} {
		first, last, _ := SplitFullName(tt.in)
		if first != tt.first || last != tt.last {
			t.Errorf("SplitFullName(%q) = %q, %q; want %q, %q", tt.in, first, last, tt.first, tt.last)
		}
	}
	_, rows := readAll(t, []byte("Email,Name\nrick@example.com,Rick Hawkins\nfirst@example.com,Only\n"), ImportOptions{Now: importNow})
	if c := rows[0].Contact; c.FirstName != "Rick" || c.LastName != "Hawkins" || len(c.Custom) != 0 ||
		len(rows[0].Notes) != 1 || !strings.Contains(rows[0].Notes[0], `split into first name "Rick" and last name "Hawkins"`) {
		t.Errorf("row %+v", rows[0])
	}
	if c := rows[1].Contact; c.FirstName != "Only" || c.LastName != "" || len(rows[1].Notes) != 1 {
		t.Errorf("row %+v", rows[1])
	}
	// A file with first and last name columns keeps them.
	_, rows = readAll(t, []byte("Email,First Name,Last Name,Name\nr@example.com,Rick,Hawkins,R. Hawkins\n"), ImportOptions{Now: importNow})
	if c := rows[0].Contact; c.FirstName != "Rick" || c.LastName != "Hawkins" {
		t.Errorf("row %+v", rows[0])
	}
}
