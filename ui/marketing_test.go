package ui

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/gdprdesk/gdprdesk/exporters"
	"github.com/gdprdesk/gdprdesk/gdpr"
	"github.com/gdprdesk/gdprdesk/store"
)

// Marketing eligibility is one rule (SPEC §9; Art. 6(1)(a), 7(3), 18,
// 21(2)–(3); ePrivacy Art. 13(2)): on one store holding every case, the
// marketing export's rows, the rows of marketing:yes and the dashboard's
// "may receive marketing" figure (and the list m opens) are the same, with
// the soft opt-in off and on.
func TestMarketingExportQueryAndDashboardAgree(t *testing.T) {
	s, err := store.Open(t.TempDir(), store.Options{Now: fixedNow})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	for _, p := range []gdpr.Purpose{
		{Name: "newsletter", Basis: gdpr.BasisConsent, Marketing: true},
		{Name: "support", Basis: gdpr.BasisConsent},
	} {
		if err := s.SavePurpose("owner", p); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.AddPolicyVersion("owner", gdpr.PolicyConsent, "Send me the newsletter.", testNow.AddDate(-1, 0, 0)); err != nil {
		t.Fatal(err)
	}
	contract := []gdpr.BasisAssignment{{Basis: gdpr.BasisContract, Source: "purchase"}}
	li := []gdpr.BasisAssignment{{Basis: gdpr.BasisLegitimateInterests, Source: "fair"}}
	objected := testNow.Add(-48 * time.Hour)
	cases := []struct {
		name     string
		c        gdpr.Contact
		consent  string // granted before the rest
		withdraw bool
		then     func(id gdpr.ContactID) error
		soft     bool // marketable with the soft opt-in on
		consentY bool // marketable by consent
	}{
		{name: "no basis", c: gdpr.Contact{}},
		{name: "contract only", c: gdpr.Contact{Bases: contract}, soft: true},
		{name: "legitimate interests only", c: gdpr.Contact{Bases: li}},
		{name: "consent withdrawn", c: gdpr.Contact{}, consent: "newsletter", withdraw: true},
		{name: "contract, marketing consent withdrawn", c: gdpr.Contact{Bases: contract}, consent: "newsletter", withdraw: true},
		{name: "consent to a purpose that is not marketing", c: gdpr.Contact{}, consent: "support"},
		{name: "consent", c: gdpr.Contact{}, consent: "newsletter", consentY: true},
		{name: "restricted", c: gdpr.Contact{Bases: contract}, consent: "newsletter",
			then: func(id gdpr.ContactID) error {
				return s.SetContactStatus("owner", id, gdpr.ContactRestricted, "contests accuracy")
			}},
		{name: "anonymized", c: gdpr.Contact{}, consent: "newsletter",
			then: func(id gdpr.ContactID) error {
				_, err := s.Anonymize("owner", id, store.AnonymizeOptions{})
				return err
			}},
		{name: "marketing objection", c: gdpr.Contact{Bases: contract, MarketingObjection: objected}},
		{name: "objection, then a new consent", c: gdpr.Contact{MarketingObjection: objected}, consent: "newsletter", consentY: true},
	}
	wantSoft, wantConsent := 0, 0
	for i, tc := range cases {
		c := tc.c
		c.Email = strings.ReplaceAll(tc.name, " ", ".") + "@example.org"
		c.Email = strings.NewReplacer(",", "", "'", "").Replace(c.Email)
		c.Country = "DE"
		id, err := s.CreateContact("owner", c)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if tc.consent != "" {
			if err := s.GrantConsent("owner", id, tc.consent, testNow.Add(-time.Hour), "webform"); err != nil {
				t.Fatalf("%s: %v", tc.name, err)
			}
		}
		if tc.withdraw {
			if err := s.WithdrawConsent("owner", id, tc.consent, "unsubscribe link"); err != nil {
				t.Fatalf("%s: %v", tc.name, err)
			}
		}
		if tc.then != nil {
			if err := tc.then(id); err != nil {
				t.Fatalf("%s: %v", tc.name, err)
			}
		}
		if tc.consentY {
			wantConsent++
			wantSoft++
		} else if tc.soft {
			wantSoft++
		}
		_ = i
	}
	for _, soft := range []bool{false, true} {
		st, err := s.Settings()
		if err != nil {
			t.Fatal(err)
		}
		st.SoftOptIn = soft
		if err := s.SaveSettings("owner", st); err != nil {
			t.Fatal(err)
		}
		want := wantConsent
		if soft {
			want = wantSoft
		}
		var buf bytes.Buffer
		rows, err := exporters.ExportContacts(context.Background(), s, gdpr.Query{}, exporters.FormatCSV, &buf, &st)
		if err != nil {
			t.Fatal(err)
		}
		q, _ := gdpr.ParseQuery("marketing:yes")
		n, err := s.Count(q)
		if err != nil {
			t.Fatal(err)
		}
		page, err := s.Contacts(q, nil, 100)
		if err != nil {
			t.Fatal(err)
		}
		d := drive(t, newTestModel(s), 120, 40)
		d.keys("1")
		figure := ""
		for _, l := range strings.Split(d.screen(), "\n") {
			if i := strings.Index(l, "may receive marketing"); i >= 0 && figure == "" {
				if f := strings.Fields(l[i+len("may receive marketing"):]); len(f) > 0 {
					figure = f[0]
				}
			}
		}
		if rows != want || int(n) != want || len(page.Contacts) != want || figure != gdpr.Thousands(int64(want)) {
			t.Errorf("soft opt-in %v: export %d rows, marketing:yes counts %d and lists %d, dashboard says %q; want %d each",
				soft, rows, n, len(page.Contacts), figure, want)
		}
		d.keys("m")
		d.mustShow(gdpr.Thousands(int64(want))+" match", "marketing:yes")
	}
}
