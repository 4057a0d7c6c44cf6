package exporters

import (
	"archive/zip"
	"bytes"
	"context"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/gdprdesk/gdprdesk/gdpr"
	"github.com/gdprdesk/gdprdesk/store"
)

func importStore(t *testing.T) *store.Store {
	t.Helper()
	s, err := store.Open(t.TempDir(), store.Options{Now: func() time.Time { return importNow }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func importFile(t *testing.T, s *store.Store, data []byte, opts ImportOptions) ImportReport {
	t.Helper()
	if opts.Now.IsZero() {
		opts.Now = importNow
	}
	rep, err := ImportContacts(context.Background(), func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil },
		s, opts, ImportRun{Operator: "owner"})
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

func count(t *testing.T, s *store.Store, q string) int64 {
	t.Helper()
	query, err := gdpr.ParseQuery(q)
	if err != nil {
		t.Fatal(err)
	}
	n, err := s.Count(query)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// After importing a CRM export, marketing:yes holds exactly the people the
// source tool considered marketable (SPEC §9 marketing eligibility; Art.
// 7(3), 21(3)), the opt-outs carry their objection, and importing the
// same file again changes nothing.
func TestImportedCRMStateIsMarketableAsInTheToolArt7Art21(t *testing.T) {
	for _, tt := range []struct {
		file             string
		member           string
		rows, marketable int64
		objections       int64
	}{
		{"crm/mailchimp_subscribed.csv", MemberSubscribed, 2, 2, 0},
		{"crm/mailchimp_unsubscribed.csv", MemberUnsubscribed, 2, 0, 2},
		{"crm/mailchimp_cleaned.csv", MemberCleaned, 1, 0, 0},
		{"crm/keap_status.csv", "", 10, 4, 3},
		{"crm/hubspot_consent.csv", "", 4, 1, 1},
	} {
		t.Run(tt.file, func(t *testing.T) {
			s := importStore(t)
			data := readFixture(t, tt.file)
			rep := importFile(t, s, data, ImportOptions{Purpose: "newsletter", Member: tt.member})
			if rep.Created != int(tt.rows) || rep.Rejected != 0 || rep.Purpose != "newsletter" || !rep.PurposeAdded {
				t.Fatalf("report %+v", rep)
			}
			p, err := s.Purpose("newsletter")
			if err != nil || !p.Marketing || p.Basis != gdpr.BasisConsent {
				t.Fatalf("the import's purpose: %+v, %v", p, err)
			}
			if got := count(t, s, "marketing:yes"); got != tt.marketable {
				t.Errorf("marketing:yes = %d, want the %d the tool considered marketable", got, tt.marketable)
			}
			if got := count(t, s, "purpose:newsletter"); got != tt.marketable {
				t.Errorf("purpose:newsletter = %d, want %d", got, tt.marketable)
			}
			objected := int64(0)
			consents := 0
			page, err := s.Contacts(gdpr.Query{}, nil, 100)
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range page.Contacts {
				if c.Objected() {
					objected++
				}
				consents += len(c.Consents)
				for _, r := range c.Consents {
					if r.Purpose != "newsletter" || !r.Marketing {
						t.Errorf("%s: record %+v, want the newsletter's, marked marketing", c.ID, r)
					}
				}
				if c.HasBasisFor(gdpr.BasisConsent, "newsletter") != gdpr.ConsentGiven(c.Consents, "newsletter") {
					t.Errorf("%s: the consent basis does not follow the standing consent: %+v", c.ID, c.Bases)
				}
			}
			if objected != tt.objections {
				t.Errorf("%d marketing objections, want %d", objected, tt.objections)
			}
			// Again: nothing changes, no record twice.
			again := importFile(t, s, data, ImportOptions{Purpose: "newsletter", Member: tt.member})
			if again.Unchanged != int(tt.rows) || again.Created+again.Updated != 0 || again.PurposeAdded {
				t.Errorf("re-import: %+v, want every row unchanged", again)
			}
			page, _ = s.Contacts(gdpr.Query{}, nil, 100)
			n := 0
			for _, c := range page.Contacts {
				n += len(c.Consents)
			}
			if n != consents {
				t.Errorf("%d consent records after the re-import, %d before", n, consents)
			}
			if rep, err := s.VerifyAudit(); err != nil || !rep.OK() {
				t.Errorf("verify: %+v %v", rep, err)
			}
		})
	}
}

// A Mailchimp audience export is one zip with a file per member status:
// one import, a report per file, and the state of each file.
func TestMailchimpZipImportsEveryFile(t *testing.T) {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for name, fixture := range map[string]string{
		"subscribed_members_export_1a2b3c.csv":   "crm/mailchimp_subscribed.csv",
		"unsubscribed_members_export_1a2b3c.csv": "crm/mailchimp_unsubscribed.csv",
		"cleaned_members_export_1a2b3c.csv":      "crm/mailchimp_cleaned.csv",
		"readme.txt":                             "",
	} {
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		if fixture != "" {
			w.Write(readFixture(t, fixture))
		}
	}
	zw.Close()
	zr, err := zip.NewReader(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err != nil {
		t.Fatal(err)
	}
	s := importStore(t)
	reps, err := ImportMailchimpZip(context.Background(), zr, s, ImportOptions{Now: importNow}, ImportRun{Operator: "owner"})
	if err != nil {
		t.Fatal(err)
	}
	var members []string
	for _, r := range reps {
		members = append(members, r.Member)
	}
	if len(reps) != 3 || members[0] != MemberSubscribed || members[1] != MemberUnsubscribed || members[2] != MemberCleaned {
		t.Fatalf("reports for %v, want subscribed, unsubscribed, cleaned", members)
	}
	if reps[0].Consents != 2 || reps[1].Withdrawals != 2 || reps[1].Objections != 2 || reps[2].NotMarketable != 1 {
		t.Errorf("reports %+v", reps)
	}
	if got := count(t, s, "marketing:yes"); got != 2 {
		t.Errorf("marketing:yes = %d, want the 2 subscribed", got)
	}
	if got := count(t, s, ""); got != 5 {
		t.Errorf("%d contacts, want 5", got)
	}
	if _, err := ImportMailchimpZip(context.Background(), &zip.Reader{}, s, ImportOptions{}, ImportRun{}); err == nil {
		t.Error("a zip without member files was accepted")
	}
}

// A person who opted in, then shows up in a later export as unsubscribed,
// is no longer marketable and carries the objection; a later export in
// which they opted in again (a consent they gave after objecting) makes
// them marketable once more (Art. 7(3), 21(3)). Each file merges into the
// contact the address matches.
func TestLaterExportsSettleTheHistoryArt7_3Art21_3(t *testing.T) {
	s := importStore(t)
	head := "\"Email Address\",OPTIN_TIME,CONFIRM_TIME,UNSUB_TIME\n"
	importFile(t, s, []byte(head+"eva@example.org,2023-01-01 10:00:00,2023-01-01 10:05:00,\nbo@example.org,2023-01-02 10:00:00,,\n"), ImportOptions{})
	if got := count(t, s, "marketing:yes"); got != 2 {
		t.Fatalf("after the first export: marketing:yes = %d, want 2", got)
	}
	rep := importFile(t, s, []byte(head+"eva@example.org,2023-01-01 10:00:00,2023-01-01 10:05:00,2024-03-03 03:03:03\n"), ImportOptions{Member: MemberUnsubscribed})
	if rep.Updated != 1 {
		t.Fatalf("unsubscribe export: %+v", rep)
	}
	eva, err := s.ContactByEmail("eva@example.org")
	if err != nil {
		t.Fatal(err)
	}
	if eva.Marketable(gdpr.Settings{}) || !eva.Objected() || gdpr.ConsentGiven(eva.Consents, DefaultImportPurpose) || len(eva.Consents) != 2 ||
		eva.HasBasisFor(gdpr.BasisConsent, DefaultImportPurpose) {
		t.Fatalf("after unsubscribing: %+v", eva)
	}
	importFile(t, s, []byte(head+"eva@example.org,2025-01-01 09:00:00,2025-01-01 09:01:00,\n"), ImportOptions{Member: MemberSubscribed})
	eva, _ = s.ContactByEmail("eva@example.org")
	if !eva.Marketable(gdpr.Settings{}) || eva.Objected() || len(eva.Consents) != 3 {
		t.Errorf("after opting in again: %+v", eva)
	}
	if got := count(t, s, "marketing:yes"); got != 2 {
		t.Errorf("marketing:yes = %d, want 2", got)
	}
	if rep, err := s.VerifyAudit(); err != nil || !rep.OK() {
		t.Errorf("verify: %+v %v", rep, err)
	}
}

// A contact erased except what a legal hold keeps is out of every list but
// the hold's (SPEC §9, Art. 17(3)(b)): the contacts export leaves it out
// unless the query asks for holds.
func TestContactsExportLeavesOutHeldRecordsArt17_3b(t *testing.T) {
	s := importStore(t)
	importFile(t, s, []byte("email,first_name,last_name,street\nkept@example.org,Ada,Held,Invoice Road 1\nfree@example.org,Bo,Free,\n"), ImportOptions{})
	c, err := s.ContactByEmail("kept@example.org")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.SetHold("owner", c.ID, gdpr.Hold{Reason: "invoices: 10 years, tax law", Until: importNow.AddDate(10, 0, 0), Keep: gdpr.DefaultHoldKeep()}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Anonymize("owner", c.ID, store.AnonymizeOptions{KeepHeld: true}); err != nil {
		t.Fatal(err)
	}
	export := func(q string) string {
		query, err := gdpr.ParseQuery(q)
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		if _, err := ExportContacts(context.Background(), s, query, FormatCSV, &buf, nil); err != nil {
			t.Fatal(err)
		}
		return buf.String()
	}
	if all := export(""); strings.Contains(all, "Held") || !strings.Contains(all, "free@example.org") {
		t.Errorf("the export of every contact:\n%s", all)
	}
	if held := export("hold:yes"); !strings.Contains(held, "Invoice Road 1") {
		t.Errorf("the hold's own list:\n%s", held)
	}
}
