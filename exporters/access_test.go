package exporters

import (
	"archive/zip"
	"bytes"
	"encoding/base64"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"
	"unicode/utf16"

	"github.com/xuri/excelize/v2"

	"github.com/gdprdesk/gdprdesk/gdpr"
	"github.com/gdprdesk/gdprdesk/store"
)

// accessNow is the fixed clock of the access package tests.
var accessNow = time.Date(2026, 3, 10, 9, 30, 0, 0, time.UTC)

const (
	accessFormulaName = `=HYPERLINK("http://example.invalid","x")`
	accessCompany     = "+1-555"
	accessConsentText = "Yes, send me the newsletter about new products, at most once a week. I can unsubscribe at any time."
	accessPolicyV2    = "Privacy policy, version 2.\n\nWe keep your name and email to send you what you asked for."
	accessPassword    = "correct horse battery staple"
	accessBalance     = 4217
	accessEvidence    = "double opt-in confirmed"
)

// registerFixture fills the registers of SPEC §10: four purposes and four
// recipients, of which the fixture's contact (consent to email marketing,
// a contract) has two purposes and two recipients — one in Germany, one in
// the United States under standard contractual clauses.
func registerFixture(tb testing.TB, s *store.Store) {
	tb.Helper()
	for _, p := range []gdpr.Purpose{
		{Name: "email marketing", Basis: gdpr.BasisConsent, Marketing: true, Description: "our newsletter about new products",
			Retention: "until you unsubscribe"},
		{Name: "orders", Basis: gdpr.BasisContract, Description: "delivering what you ordered",
			Retention: "10 years after the order (tax law)"},
		{Name: "partner offers", Basis: gdpr.BasisConsent, Marketing: true, Description: "offers of our partners"},
		{Name: "support", Basis: gdpr.BasisLegitimateInterests, Description: "answering questions",
			Balancing: &gdpr.BalancingTest{Interest: "helping customers who write to us", Outcome: "passed"}},
	} {
		if err := s.SavePurpose("owner", p); err != nil {
			tb.Fatal(err)
		}
	}
	for _, r := range []gdpr.Recipient{
		{Name: "Mailversand AG", Role: gdpr.RecipientProcessor, Service: "email delivery", Country: "DE",
			Contact: "dpa@mailversand.example", Purposes: []string{"email marketing"}, DPASignedAt: time.Date(2024, 2, 1, 0, 0, 0, 0, time.UTC)},
		{Name: "Helpdesk Inc", Role: gdpr.RecipientProcessor, Service: "order tickets", Country: "US", Purposes: []string{"orders", "support"},
			Safeguard: gdpr.SafeguardSCC, SafeguardAt: time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC)},
		{Name: "Partner Media Ltd", Role: gdpr.RecipientController, Country: "GB", Purposes: []string{"partner offers"},
			Safeguard: gdpr.SafeguardAdequacy},
		{Name: "Callcenter SRL", Role: gdpr.RecipientProcessor, Country: "RO", Purposes: []string{"support"}},
	} {
		if err := s.SaveRecipient("owner", r); err != nil {
			tb.Fatal(err)
		}
	}
}

// accessFixture is a real store with one contact that has everything an
// access package shows: custom fields (one a formula), two bases with
// evidence, consent records naming policy versions (one not recorded, one
// naming a version that does not exist), an edit, two requests (one
// verified, extended and exported; one completed with a notification), and
// settings.
func accessFixture(tb testing.TB) (*store.Store, gdpr.ContactID) {
	tb.Helper()
	s, err := store.Open(tb.TempDir(), store.Options{Now: func() time.Time { return accessNow }})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		if err := s.Close(); err != nil {
			tb.Error(err)
		}
	})
	must := func(err error) {
		tb.Helper()
		if err != nil {
			tb.Fatal(err)
		}
	}
	must(s.SaveSettings("owner", gdpr.Settings{
		Controller:       gdpr.Person{Name: "Beispiel Laden GmbH", Email: "privacy@laden.example", Address: "Hauptstraße 1, 10115 Berlin"},
		DPO:              gdpr.Person{Name: "Dora Schutz", Email: "dpo@laden.example"},
		PrivacyPolicyURL: "https://laden.example/privacy",
		Purposes:         "To deliver your orders and, if you agreed, to send our newsletter.",
		Retention:        "Orders: 10 years (tax law). Newsletter: until you unsubscribe.",
		Recipients:       []gdpr.Recipient{{Name: "Mailversand AG", Role: "processor: email delivery", Contact: "dpa@mailversand.example"}},
	}))
	registerFixture(tb, s)
	y24, y25 := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	_, err = s.AddPolicyVersion("owner", gdpr.PolicyPrivacy, "Privacy policy, version 1.", y24)
	must(err)
	_, err = s.AddPolicyVersion("owner", gdpr.PolicyPrivacy, accessPolicyV2, y25)
	must(err)
	_, err = s.AddPolicyVersion("owner", gdpr.PolicyConsent, accessConsentText, y24)
	must(err)
	signup := time.Date(2025, 2, 3, 10, 0, 0, 0, time.UTC)
	id, err := s.CreateContact("owner", gdpr.Contact{
		FirstName: accessFormulaName, LastName: "Müller", Email: "anna.mueller@example.de",
		Phone: "+49 30 1234567", Street: "Friedrichstraße 12", City: "Berlin", PostalCode: "10117", Country: "DE",
		Company: accessCompany, Notes: "Prefers email.\nVIP since 2025.", Source: "webform:newsletter", Tags: []string{"vip"},
		Custom: map[string]string{"Shoe size": "39", "Formula": "=cmd()"},
		Bases: []gdpr.BasisAssignment{
			{Basis: gdpr.BasisConsent, Source: "webform:newsletter", Evidence: accessEvidence, At: signup, By: "webform"},
			{Basis: gdpr.BasisContract, Source: gdpr.SourcePurchase, Evidence: "order 1001"},
		},
		Consents: []gdpr.ConsentRecord{
			{Purpose: "partner offers", Granted: false, At: time.Date(2025, 6, 1, 8, 0, 0, 0, time.UTC), Method: "unsubscribe link", ConsentVersion: 1, PolicyVersion: 7},
			{Purpose: "email marketing", Granted: true, At: signup, Method: "webform:newsletter, double opt-in", ConsentVersion: 1, PolicyVersion: 2},
			{Purpose: "partner offers", Granted: true, At: signup.Add(24 * time.Hour), Method: "phone"},
		},
		CreatedAt: signup,
	})
	must(err)
	must(s.UpdateContact("anna", id, func(c *gdpr.Contact) error { c.Phone = "+49 30 7654321"; return nil }))

	r1, err := s.AddRequest("owner", gdpr.Request{Type: gdpr.RequestAccess, Contact: id, Channel: gdpr.ChannelEmail,
		Received: time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC), Note: "asked by reply to the newsletter"})
	must(err)
	must(s.UpdateRequest("owner", r1, "request.verify", "identity checked", func(r *gdpr.Request) error {
		r.Verified = &gdpr.Verification{By: "owner", How: "replied from the address on file", At: accessNow}
		return r.Move(gdpr.StatusVerifying, "", accessNow)
	}))
	must(s.UpdateRequest("owner", r1, "request.extend", "extended", func(r *gdpr.Request) error {
		return r.Extend("many years of order history to gather", time.Time{}, accessNow, accessNow, "owner", nil)
	}))
	must(s.UpdateRequest("owner", r1, "request.export", "access package", func(r *gdpr.Request) error {
		r.ExportSHA256, r.ExportedAt = strings.Repeat("ab", 32), accessNow
		return nil
	}))
	r2, err := s.AddRequest("owner", gdpr.Request{Type: gdpr.RequestRectification, Contact: id, Channel: gdpr.ChannelPhone,
		Received: time.Date(2026, 2, 2, 0, 0, 0, 0, time.UTC)})
	must(err)
	must(s.UpdateRequest("owner", r2, "request.notify", "recipients told", func(r *gdpr.Request) error {
		r.Notifications = append(r.Notifications, gdpr.Notification{Recipient: "Mailversand AG", At: accessNow, By: "owner"})
		return nil
	}))
	must(s.CloseRequest("owner", r2, gdpr.StatusCompleted, "phone number corrected"))
	return s, id
}

func buildFixturePackage(t *testing.T) (*store.Store, *AccessPackage) {
	t.Helper()
	s, id := accessFixture(t)
	p, err := BuildAccessPackage(s, id, accessNow)
	if err != nil {
		t.Fatal(err)
	}
	return s, p
}

func TestBuildAccessPackage(t *testing.T) {
	_, p := buildFixturePackage(t)
	if p.Schema != AccessSchema || !p.GeneratedAt.Equal(accessNow) || p.Anonymized {
		t.Errorf("package head: %q %v %v", p.Schema, p.GeneratedAt, p.Anonymized)
	}
	pr := p.Profile
	if pr.FirstName != accessFormulaName || pr.Company != accessCompany || pr.Phone != "+49 30 7654321" ||
		pr.Custom["Formula"] != "=cmd()" || pr.Custom["Shoe size"] != "39" || pr.CountryName != "Germany" {
		t.Errorf("profile %+v", pr)
	}
	if len(p.Bases) != 2 || p.Bases[0].Evidence != "double opt-in confirmed" || p.Bases[1].Source != "purchase" ||
		p.Bases[1].At.IsZero() || p.Bases[1].By != "owner" || p.Bases[0].Meaning == "" {
		t.Errorf("bases %+v", p.Bases)
	}
	// Oldest first; the exact wording of the versions named.
	if len(p.Consents) != 3 {
		t.Fatalf("consents %+v", p.Consents)
	}
	c0, c1, c2 := p.Consents[0], p.Consents[1], p.Consents[2]
	if c0.Purpose != "email marketing" || !c0.Granted || c0.ConsentText.State != TextFound || c0.ConsentText.Text != accessConsentText ||
		c0.PrivacyPolicy.Version != 2 || c0.PrivacyPolicy.Text != accessPolicyV2 || !c0.PrivacyPolicy.Verified ||
		c0.PrivacyPolicy.SHA256 != gdpr.TextSHA256(accessPolicyV2) || !c0.PrivacyPolicy.EffectiveAt.Equal(time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("consent 0 %+v", c0)
	}
	if c1.ConsentText.State != TextNotRecorded || c1.PrivacyPolicy.State != TextNotRecorded || c1.PrivacyPolicy.Text != "" {
		t.Errorf("consent 1 %+v", c1)
	}
	if c2.Granted || c2.PrivacyPolicy.State != TextNotFound || c2.PrivacyPolicy.Version != 7 || c2.ConsentText.State != TextFound {
		t.Errorf("consent 2 %+v", c2)
	}
	if len(p.Requests) != 2 || p.Requests[0].Type != gdpr.RequestAccess || p.Requests[0].Verified == nil ||
		p.Requests[0].Extension == nil || p.Requests[0].Note == "" || p.Requests[1].Outcome != "phone number corrected" ||
		len(p.Requests[1].Notifications) != 1 || p.Requests[1].ClosedAt.IsZero() {
		t.Errorf("requests %+v", p.Requests)
	}
	var actions []string
	edit := false
	for i, e := range p.Audit {
		actions = append(actions, e.Action+" "+e.Record)
		if i > 0 && e.Seq <= p.Audit[i-1].Seq {
			t.Errorf("audit out of order at %d", i)
		}
		if e.Action == "contact.edit" {
			edit = strings.Contains(e.Personal, "7654321") && strings.Contains(e.Personal, "1234567") && e.Operator == "anna"
		}
	}
	for _, want := range []string{"contact.create C1", "contact.edit C1", "request.add R1", "request.extend R1", "request.close R2"} {
		if !slices.Contains(actions, want) {
			t.Errorf("audit lacks %q: %v", want, actions)
		}
	}
	if !edit {
		t.Errorf("the edit's personal part (old and new phone) is missing: %+v", p.Audit)
	}
	a := p.About
	if a.Controller.Name != "Beispiel Laden GmbH" || a.DPO.Email != "dpo@laden.example" || len(a.Recipients) != 2 ||
		a.Retention == "" || len(a.Purposes) != 2 || a.PurposesText == "" || a.DataSource != "webform:newsletter" || !strings.Contains(a.DataSourceText, `"newsletter"`) ||
		!strings.Contains(a.Notice, "C1") || !strings.Contains(a.HowToAsk, "privacy@laden.example") {
		t.Errorf("about %+v", a)
	}
	var rights []string
	for _, r := range a.Rights {
		rights = append(rights, r.Right)
	}
	for _, want := range []string{"access", "rectification", "erasure", "restriction", "objection", "portability", "complaint"} {
		if !slices.Contains(rights, want) {
			t.Errorf("right %s missing: %v", want, rights)
		}
	}
}

// accessHeaders are the header rows every sheet and CSV must have.
var accessHeaders = map[string][]string{
	"About":        {"Topic", "Details"},
	"Profile":      {"Field", "Value"},
	"Lawful bases": {"Lawful basis", "What it means", "Source", "Evidence", "Recorded on (UTC)", "Recorded by"},
	"Consents": {"Purpose", "Given or withdrawn", "When (UTC)", "How",
		"Consent wording version", "Consent wording in force from (UTC)", "Consent wording", "Consent wording SHA-256",
		"Privacy policy version", "Privacy policy in force from (UTC)", "Privacy policy", "Privacy policy SHA-256"},
	"Requests": {"Request", "Type", "Received", "Channel", "Status", "Due", "Closed on (UTC)", "Outcome",
		"Identity checked", "Extension", "Recipients told (UTC)", "Package sent (SHA-256)", "Note"},
	"Audit": {"Entry", "When (UTC)", "By", "Action", "Record", "What happened", "Personal details"},
}

var accessSheetOrder = []string{"About", "Profile", "Lawful bases", "Consents", "Requests", "Audit"}

// rowWith finds the first row whose column col is v.
func rowWith(rows [][]string, col int, v string) []string {
	for _, r := range rows {
		if col < len(r) && r[col] == v {
			return r
		}
	}
	return nil
}

// checkAccessRows checks the known rows of every section, as read from a
// sheet (every value exactly, as string cells) or a CSV (a text that starts
// like a formula gets a "'" in front, SPEC §6).
func checkAccessRows(t *testing.T, where string, sheets map[string][][]string) {
	t.Helper()
	for _, name := range accessSheetOrder {
		rows := sheets[name]
		if len(rows) == 0 || !slices.Equal(rows[0], accessHeaders[name]) {
			t.Errorf("%s %s: header %q", where, name, rows)
		}
	}
	profile := sheets["Profile"]
	want := map[string]string{
		"Record":            "C1",
		"First name":        accessFormulaName,
		"Last name":         "Müller",
		"Company":           accessCompany,
		"Phone":             "+49 30 7654321",
		"Country":           "DE (Germany)",
		"Notes":             "Prefers email.\nVIP since 2025.",
		"Custom: Formula":   "=cmd()",
		"Custom: Shoe size": "39",
		"Status":            "active",
	}
	for field, v := range want {
		if where == "csv" { // opened in spreadsheets: formula-like text neutralized (SPEC §6)
			v = Neutralize(v)
		}
		if r := rowWith(profile, 0, field); r == nil || r[1] != v {
			t.Errorf("%s profile %s = %q, want %q", where, field, r, v)
		}
	}
	if r := rowWith(sheets["About"], 0, "Who is responsible for your data (the controller)"); r == nil || !strings.Contains(r[1], "Beispiel Laden GmbH\nprivacy@laden.example") {
		t.Errorf("%s about controller %q", where, r)
	}
	if r := rowWith(sheets["About"], 0, "Right to complain (Art. 77 GDPR)"); r == nil || !strings.Contains(r[1], "data protection authority") {
		t.Errorf("%s about complaint %q", where, r)
	}
	if r := rowWith(sheets["Lawful bases"], 0, "Consent"); r == nil || r[2] != "webform:newsletter" || r[3] != "double opt-in confirmed" || r[5] != "webform" {
		t.Errorf("%s bases %q", where, r)
	}
	c := sheets["Consents"]
	if len(c) != 4 || c[1][0] != "email marketing" || c[1][1] != "given" || c[1][4] != "1" || c[1][6] != accessConsentText ||
		c[1][8] != "2" || c[1][10] != accessPolicyV2 || c[1][11] != gdpr.TextSHA256(accessPolicyV2) {
		t.Errorf("%s consents %q", where, c)
	}
	if len(c) == 4 && (c[2][4] != "not recorded" || c[2][8] != "not recorded" || c[3][1] != "withdrawn" || !strings.Contains(c[3][8], "version 7")) {
		t.Errorf("%s consents without versions %q", where, c[2:])
	}
	if r := rowWith(sheets["Requests"], 0, "R2"); r == nil || r[1] != "rectification" || r[4] != "completed" || r[7] != "phone number corrected" ||
		!strings.HasPrefix(r[10], "Mailversand AG on 2026-03-10") {
		t.Errorf("%s requests %q", where, r)
	}
	if r := rowWith(sheets["Requests"], 0, "R1"); r == nil || !strings.Contains(r[9], "many years") || !strings.Contains(r[8], "replied from the address") {
		t.Errorf("%s request R1 %q", where, r)
	}
	if r := rowWith(sheets["Audit"], 3, "contact.edit"); r == nil || r[2] != "anna" || r[4] != "C1" || !strings.Contains(r[6], "7654321") {
		t.Errorf("%s audit %q", where, r)
	}
}

func TestAccessXLSX(t *testing.T) {
	_, p := buildFixturePackage(t)
	var buf bytes.Buffer
	if err := WriteAccessXLSX(&buf, p, ""); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if got := f.GetSheetList(); !slices.Equal(got, accessSheetOrder) {
		t.Fatalf("sheets %q", got)
	}
	sheets := map[string][][]string{}
	for _, name := range accessSheetOrder {
		rows, err := f.GetRows(name)
		if err != nil {
			t.Fatal(err)
		}
		// GetRows drops trailing empty cells; pad to the header.
		for i := range rows {
			for len(rows[i]) < len(accessHeaders[name]) {
				rows[i] = append(rows[i], "")
			}
		}
		sheets[name] = rows

		// Styled, frozen header; widths fitted within bounds.
		sid, _ := f.GetCellStyle(name, "A1")
		st, err := f.GetStyle(sid)
		if err != nil || st.Font == nil || !st.Font.Bold || len(st.Fill.Color) == 0 {
			t.Errorf("%s header style %+v %v", name, st, err)
		}
		panes, err := f.GetPanes(name)
		if err != nil || !panes.Freeze || panes.YSplit != 1 || panes.TopLeftCell != "A2" {
			t.Errorf("%s panes %+v %v", name, panes, err)
		}
		for i := range accessHeaders[name] {
			col, _ := excelize.ColumnNumberToName(i + 1)
			w, err := f.GetColWidth(name, col)
			if err != nil || w < accessMinWidth || w > accessMaxWidth {
				t.Errorf("%s column %s width %v %v", name, col, w, err)
			}
		}
	}
	checkAccessRows(t, "xlsx", sheets)
	// Fitted, not fixed: the Field column of Profile is narrow, the Value
	// column as wide as its longest line (the formula name), the About
	// details capped.
	if w, _ := f.GetColWidth("Profile", "A"); w > 25 {
		t.Errorf("Profile field column width %v", w)
	}
	if w, _ := f.GetColWidth("About", "B"); w != accessMaxWidth {
		t.Errorf("About details width %v, want the cap %d", w, accessMaxWidth)
	}

	// Dates are numbers with a date format; the consent time is exact.
	for _, c := range []struct{ sheet, cell string }{{"Consents", "C2"}, {"Requests", "C2"}, {"Audit", "B2"}, {"About", "B3"}} {
		raw, err := f.GetCellValue(c.sheet, c.cell, excelize.Options{RawCellValue: true})
		if err != nil {
			t.Fatal(err)
		}
		var serial float64
		if _, err := fmt.Sscan(raw, &serial); err != nil || serial < 40000 {
			t.Errorf("%s!%s = %q: not a date serial", c.sheet, c.cell, raw)
		}
		sid, _ := f.GetCellStyle(c.sheet, c.cell)
		st, _ := f.GetStyle(sid)
		if st == nil || st.CustomNumFmt == nil || !strings.Contains(*st.CustomNumFmt, "yyyy-mm-dd") {
			t.Errorf("%s!%s style %+v", c.sheet, c.cell, st)
		}
	}
	raw, _ := f.GetCellValue("Consents", "C2", excelize.Options{RawCellValue: true})
	var serial float64
	fmt.Sscan(raw, &serial)
	if got, err := excelize.ExcelDateToTime(serial, false); err != nil || !got.Round(time.Second).Equal(time.Date(2025, 2, 3, 10, 0, 0, 0, time.UTC)) {
		t.Errorf("consent time %v %v", got, err)
	}
	// Texts that start like a formula are string cells, never formulas.
	for _, name := range accessSheetOrder {
		rows, _ := f.GetRows(name)
		for r, row := range rows {
			for c, v := range row {
				cell, _ := excelize.CoordinatesToCellName(c+1, r+1)
				if fm, _ := f.GetCellFormula(name, cell); fm != "" {
					t.Errorf("%s!%s has a formula %q", name, cell, fm)
				}
				if v != "" && strings.IndexByte(formulaStarts, v[0]) >= 0 {
					if typ, _ := f.GetCellType(name, cell); typ != excelize.CellTypeSharedString && typ != excelize.CellTypeInlineString {
						t.Errorf("%s!%s = %q is not a string cell (type %v)", name, cell, v, typ)
					}
				}
			}
		}
	}
}

func TestAccessXLSXPassword(t *testing.T) {
	_, p := buildFixturePackage(t)
	var buf bytes.Buffer
	if err := WriteAccessXLSX(&buf, p, accessPassword); err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(buf.Bytes(), cfbMagic) {
		t.Errorf("encrypted workbook is not a compound file: % x", buf.Bytes()[:8])
	}
	if bytes.Contains(buf.Bytes(), []byte("Müller")) || bytes.Contains(buf.Bytes(), []byte("anna.mueller")) {
		t.Error("personal data readable in the encrypted file")
	}
	if f, err := excelize.OpenReader(bytes.NewReader(buf.Bytes())); err == nil {
		f.Close()
		t.Error("opened without the password")
	}
	if f, err := excelize.OpenReader(bytes.NewReader(buf.Bytes()), excelize.Options{Password: "wrong"}); err == nil {
		f.Close()
		t.Error("opened with a wrong password")
	}
	f, err := excelize.OpenReader(bytes.NewReader(buf.Bytes()), excelize.Options{Password: accessPassword})
	if err != nil {
		t.Fatalf("open with the password: %v", err)
	}
	defer f.Close()
	if got := f.GetSheetList(); !slices.Equal(got, accessSheetOrder) {
		t.Errorf("sheets %q", got)
	}
	if v, _ := f.GetCellValue("Profile", "B3"); v != accessFormulaName {
		t.Errorf("Profile!B3 = %q", v)
	}
}

// A text longer than Excel's cell limit continues on the rows below, cut
// so that no part starts like a formula, and nothing is lost.
func TestAccessXLSXLongText(t *testing.T) {
	long := strings.Repeat("Ä policy clause. ", 1900) + strings.Repeat("=", 10) + strings.Repeat("x", 40000)
	p := &AccessPackage{Schema: AccessSchema, GeneratedAt: accessNow, Contact: 9,
		Profile: AccessProfile{ID: 9, Custom: map[string]string{}},
		Consents: []AccessConsent{{Purpose: "email marketing", Granted: true, At: accessNow,
			PrivacyPolicy: AccessText{Version: 3, State: TextFound, Text: long, SHA256: gdpr.TextSHA256(long), Verified: true}}}}
	var buf bytes.Buffer
	if err := WriteAccessXLSX(&buf, p, ""); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := f.GetRows("Consents")
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 4 || rows[1][0] != "email marketing" || rows[2][0] != "(continued)" || rows[3][0] != "(continued)" {
		t.Fatalf("rows: %d, first column %q", len(rows), func() (c []string) {
			for _, r := range rows {
				c = append(c, r[0])
			}
			return
		}())
	}
	var joined strings.Builder
	for _, r := range rows[1:] {
		part := r[10]
		if n := len(utf16.Encode([]rune(part))); n > xlsxCellLimit {
			t.Errorf("part of %d UTF-16 units", n)
		}
		if strings.IndexByte(formulaStarts, part[0]) >= 0 {
			t.Errorf("part starts with %q", part[:1])
		}
		joined.WriteString(part)
	}
	if joined.String() != long {
		t.Error("the parts do not join to the text")
	}
}

func TestSplitCellText(t *testing.T) {
	for _, s := range []string{"", "short", strings.Repeat("€", 40000), strings.Repeat("a", xlsxCellLimit-1) + "=" + strings.Repeat("-", 5) + "tail",
		strings.Repeat("😀", 20000)} {
		parts := splitCellText(s)
		if strings.Join(parts, "") != s {
			t.Errorf("parts of %d bytes do not join back", len(s))
		}
		for i, p := range parts {
			if n := len(utf16.Encode([]rune(p))); n > xlsxCellLimit {
				t.Errorf("part %d has %d UTF-16 units", i, n)
			}
			if i > 0 && strings.IndexByte(formulaStarts, p[0]) >= 0 {
				t.Errorf("part %d starts with %q", i, p[:1])
			}
		}
	}
}

// openpyxl is an independent reader: what it sees, Excel and LibreOffice
// users see.
func TestAccessXLSXWithOpenpyxl(t *testing.T) {
	if err := exec.Command("/usr/bin/python3", "-c", "import openpyxl").Run(); err != nil {
		t.Skip("python3-openpyxl is not installed (apt-get install -y python3-openpyxl): skipping the cross-check of the access workbook")
	}
	_, p := buildFixturePackage(t)
	path := filepath.Join(t.TempDir(), "access.xlsx")
	var buf bytes.Buffer
	if err := WriteAccessXLSX(&buf, p, ""); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	script := `
import json, sys, datetime, openpyxl
wb = openpyxl.load_workbook(sys.argv[1])
out = {"sheets": wb.sheetnames}
for ws in wb.worksheets:
    rows = list(ws.iter_rows(values_only=True))
    out[ws.title] = {
        "header": list(rows[0]),
        "rows": len(rows),
        "bold": ws["A1"].font.bold,
        "freeze": ws.freeze_panes,
    }
c = wb["Consents"]["C2"]
out["consent_time"] = c.value.isoformat() if isinstance(c.value, datetime.datetime) else repr(c.value)
out["consent_fmt"] = c.number_format
prof = {r[0]: r[1] for r in wb["Profile"].iter_rows(min_row=2, values_only=True)}
out["first_name"] = prof["First name"]
out["formula"] = prof["Custom: Formula"]
cells = {r[0].value: r[1] for r in wb["Profile"].iter_rows(min_row=2)}
out["phone"] = cells["Phone"].value
out["phone_type"] = cells["Phone"].data_type
print(json.dumps(out))
`
	outb, err := exec.Command("/usr/bin/python3", "-c", script, path).CombinedOutput()
	if err != nil {
		t.Fatalf("openpyxl: %v\n%s", err, outb)
	}
	var got map[string]any
	if err := json.Unmarshal(outb, &got); err != nil {
		t.Fatalf("%v: %s", err, outb)
	}
	if fmt.Sprint(got["sheets"]) != fmt.Sprint(accessSheetOrder) {
		t.Errorf("openpyxl sheets %v", got["sheets"])
	}
	for _, name := range accessSheetOrder {
		s, _ := got[name].(map[string]any)
		if s == nil || fmt.Sprint(s["header"]) != fmt.Sprint(accessHeaders[name]) || s["bold"] != true || s["freeze"] != "A2" {
			t.Errorf("openpyxl %s: %v", name, s)
		}
	}
	if got["consent_time"] != "2025-02-03T10:00:00" || got["consent_fmt"] != "yyyy-mm-dd hh:mm" {
		t.Errorf("openpyxl consent time %v (%v)", got["consent_time"], got["consent_fmt"])
	}
	if got["first_name"] != accessFormulaName || got["formula"] != "=cmd()" {
		t.Errorf("openpyxl profile %v %v", got["first_name"], got["formula"])
	}
	// The phone is the exact text, in a string cell: no "'" in front.
	if got["phone"] != "+49 30 7654321" || got["phone_type"] != "s" {
		t.Errorf("openpyxl phone %#v (type %v), want the string \"+49 30 7654321\"", got["phone"], got["phone_type"])
	}
}

func TestAccessCSVZip(t *testing.T) {
	_, p := buildFixturePackage(t)
	var buf bytes.Buffer
	if err := WriteAccessCSVZip(&buf, p); err != nil {
		t.Fatal(err)
	}
	zr, err := zip.NewReader(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err != nil {
		t.Fatal(err)
	}
	fileSheet := map[string]string{"about.csv": "About", "profile.csv": "Profile", "bases.csv": "Lawful bases",
		"consents.csv": "Consents", "requests.csv": "Requests", "audit.csv": "Audit"}
	var names []string
	sheets := map[string][][]string{}
	for _, zf := range zr.File {
		names = append(names, zf.Name)
		rc, err := zf.Open()
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		if zf.Name == "README.txt" {
			paras := strings.Split(strings.TrimSpace(string(b)), "\n\n")
			if len(paras) != 3 || !strings.Contains(paras[1], "consents.csv") || !strings.Contains(paras[2], "UTF-8") {
				t.Errorf("README.txt: %q", b)
			}
			continue
		}
		body, ok := bytes.CutPrefix(b, []byte(utf8BOM))
		if !ok {
			t.Errorf("%s has no byte-order mark", zf.Name)
		}
		rows, err := csv.NewReader(bytes.NewReader(body)).ReadAll()
		if err != nil {
			t.Fatalf("%s: %v", zf.Name, err)
		}
		sheets[fileSheet[zf.Name]] = rows
	}
	sort.Strings(names)
	if want := []string{"README.txt", "about.csv", "audit.csv", "bases.csv", "consents.csv", "profile.csv", "requests.csv"}; !slices.Equal(names, want) {
		t.Errorf("zip holds %q", names)
	}
	checkAccessRows(t, "csv", sheets)
	if r := rowWith(sheets["Consents"], 0, "email marketing"); r == nil || r[2] != "2025-02-03 10:00:00" || r[5] != "2024-01-01 00:00:00" {
		t.Errorf("csv consent times %q", r)
	}
	if r := rowWith(sheets["Requests"], 0, "R1"); r == nil || r[2] != "2026-03-01" {
		t.Errorf("csv request dates %q", r)
	}
}

// docFields reads the documented JSON fields from docs/access-package.md:
// rows "| `path` | type | meaning |" of the tables headed "| field | type |
// meaning |"; a field whose meaning says
// "Absent when" is optional.
func docFields(t *testing.T) (all, required map[string]bool) {
	t.Helper()
	b, err := os.ReadFile("../docs/access-package.md")
	if err != nil {
		t.Fatal(err)
	}
	all, required = map[string]bool{}, map[string]bool{}
	re := regexp.MustCompile("^\\| `([a-z0-9_.\\[\\]]+)` \\|")
	inTable := false
	for line := range strings.SplitSeq(string(b), "\n") {
		if line == "| field | type | meaning |" {
			inTable = true
		} else if !strings.HasPrefix(line, "|") {
			inTable = false
		}
		m := re.FindStringSubmatch(line)
		if m == nil || !inTable {
			continue
		}
		all[m[1]] = true
		if !strings.Contains(line, "Absent when") {
			required[m[1]] = true
		}
	}
	return all, required
}

// jsonPaths lists every key path of a decoded JSON value; arrays add "[]";
// the custom-field map is a leaf (its keys are the owner's field names).
func jsonPaths(prefix string, v any, out map[string]bool) {
	switch v := v.(type) {
	case map[string]any:
		if prefix == "profile.custom" {
			return
		}
		for k, x := range v {
			p := k
			if prefix != "" {
				p = prefix + "." + k
			}
			out[p] = true
			jsonPaths(p, x, out)
		}
	case []any:
		for _, x := range v {
			jsonPaths(prefix+"[]", x, out)
		}
	}
}

func TestAccessJSON(t *testing.T) {
	_, p := buildFixturePackage(t)
	var buf bytes.Buffer
	if err := WriteAccessJSON(&buf, p); err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if doc["schema"] != "gdprdesk.access/v2" {
		t.Errorf("schema %v", doc["schema"])
	}
	// Data, not a spreadsheet: values exactly as held.
	prof := doc["profile"].(map[string]any)
	if prof["first_name"] != accessFormulaName || prof["company"] != accessCompany || prof["custom"].(map[string]any)["Formula"] != "=cmd()" {
		t.Errorf("profile %v", prof)
	}
	if strings.Contains(buf.String(), `\u003c`) || strings.Contains(buf.String(), `\u0026`) {
		t.Error("HTML escaping in the JSON")
	}
	// Every field is documented, and every documented field is there.
	all, required := docFields(t)
	if len(required) < 50 {
		t.Fatalf("only %d documented fields found in docs/access-package.md", len(required))
	}
	got := map[string]bool{}
	jsonPaths("", doc, got)
	for k := range got {
		if !all[k] {
			t.Errorf("JSON field %s is not documented in docs/access-package.md", k)
		}
	}
	for k := range required {
		if !got[k] {
			t.Errorf("documented field %s is missing from the JSON", k)
		}
	}
	// The document reads back to the same package.
	var back AccessPackage
	if err := json.Unmarshal(buf.Bytes(), &back); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(&back, p) {
		t.Errorf("round trip differs:\n%+v\n%+v", back, *p)
	}
}

// parseEML returns the message, the text body and the attachment.
func parseEML(t *testing.T, eml []byte) (*mail.Message, string, *multipart.Part, []byte) {
	t.Helper()
	if !bytes.Contains(eml, []byte("\r\n\r\n")) || bytes.Contains(bytes.ReplaceAll(eml, []byte("\r\n"), nil), []byte("\n")) {
		t.Error("lines are not all CRLF")
	}
	msg, err := mail.ReadMessage(bytes.NewReader(eml))
	if err != nil {
		t.Fatal(err)
	}
	mt, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/mixed" {
		t.Fatalf("content type %q %v", mt, err)
	}
	mr := multipart.NewReader(msg.Body, params["boundary"])
	text, err := mr.NextPart()
	if err != nil {
		t.Fatal(err)
	}
	if ct := text.Header.Get("Content-Type"); ct != "text/plain; charset=utf-8" {
		t.Errorf("body content type %q", ct)
	}
	body, err := io.ReadAll(text) // quoted-printable, decoded by the reader
	if err != nil {
		t.Fatal(err)
	}
	att, err := mr.NextPart()
	if err != nil {
		t.Fatal(err)
	}
	if enc := att.Header.Get("Content-Transfer-Encoding"); enc != "base64" {
		t.Errorf("attachment encoding %q", enc)
	}
	raw, err := io.ReadAll(att)
	if err != nil {
		t.Fatal(err)
	}
	data, err := base64.StdEncoding.DecodeString(strings.NewReplacer("\r", "", "\n", "").Replace(string(raw)))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := mr.NextPart(); err != io.EOF {
		t.Errorf("more than two parts: %v", err)
	}
	return msg, string(body), att, data
}

// TestAccessEML writes a letter with each package attached: the headers,
// the body and the attachment read back, byte for byte.
func TestAccessEML(t *testing.T) {
	_, p := buildFixturePackage(t)
	for _, tc := range []struct {
		format, file, ctype, password string
	}{
		{"xlsx", "access-C1-2026-03-10.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", ""},
		{"xlsx", "access-C1-2026-03-10.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", accessPassword},
		{"csv", "access-C1-2026-03-10.zip", "application/zip", ""},
		{"json", "access-C1-2026-03-10.json", "application/json", ""},
	} {
		t.Run(tc.format+map[bool]string{true: "-password"}[tc.password != ""], func(t *testing.T) {
			var file bytes.Buffer
			var err error
			switch tc.format {
			case "xlsx":
				err = WriteAccessXLSX(&file, p, tc.password)
			case "csv":
				err = WriteAccessCSVZip(&file, p)
			default:
				err = WriteAccessJSON(&file, p)
			}
			if err != nil {
				t.Fatal(err)
			}
			if Protected(file.Bytes()) != (tc.password != "") {
				t.Errorf("Protected = %v", Protected(file.Bytes()))
			}
			var eml bytes.Buffer
			name := accessFormulaName + " Müller"
			if err := WriteEML(&eml, EML{From: mail.Address{Name: "Beispiel Laden GmbH", Address: "privacy@laden.example"},
				To: mail.Address{Name: name, Address: "anna.mueller@example.de"}, Subject: "Ihre Daten: die Kopie, um die Sie gebeten haben",
				Body: "Guten Tag " + name + ",\n\nanbei " + tc.file + ".\n", Date: accessNow, MessageID: "<x@laden.example>",
				AttachmentName: tc.file, Attachment: file.Bytes(), Draft: true}); err != nil {
				t.Fatal(err)
			}
			msg, body, att, data := parseEML(t, eml.Bytes())
			to, err := msg.Header.AddressList("To")
			if err != nil || len(to) != 1 || to[0].Address != "anna.mueller@example.de" || to[0].Name != name {
				t.Errorf("To %v %v (raw %q)", to, err, msg.Header.Get("To"))
			}
			from, err := msg.Header.AddressList("From")
			if err != nil || len(from) != 1 || from[0].Address != "privacy@laden.example" || from[0].Name != "Beispiel Laden GmbH" {
				t.Errorf("From %v %v", from, err)
			}
			subject, err := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
			if err != nil || subject != "Ihre Daten: die Kopie, um die Sie gebeten haben" {
				t.Errorf("Subject %q %v", subject, err)
			}
			if d, err := msg.Header.Date(); err != nil || !d.Equal(accessNow) {
				t.Errorf("Date %v %v", d, err)
			}
			if msg.Header.Get("Message-Id") != "<x@laden.example>" || msg.Header.Get("MIME-Version") != "1.0" || msg.Header.Get("X-Unsent") != "1" {
				t.Errorf("headers %v", msg.Header)
			}
			if body != "Guten Tag "+name+",\r\n\r\nanbei "+tc.file+".\r\n" {
				t.Errorf("body %q", body)
			}
			mt, params, err := mime.ParseMediaType(att.Header.Get("Content-Type"))
			if err != nil || mt != tc.ctype || params["name"] != tc.file {
				t.Errorf("attachment type %q %v %v", mt, params, err)
			}
			if att.FileName() != tc.file {
				t.Errorf("attachment file name %q", att.FileName())
			}
			if !bytes.Equal(data, file.Bytes()) {
				t.Errorf("attachment (%d bytes) differs from the file (%d bytes)", len(data), file.Len())
			}
		})
	}
}

// TestEMLWithoutAttachment writes a letter alone: one text part.
func TestEMLWithoutAttachment(t *testing.T) {
	var eml bytes.Buffer
	if err := WriteEML(&eml, EML{From: mail.Address{Address: "desk@shop.example"}, To: mail.Address{Address: "a@example.org"},
		Subject: "Bestätigung", Body: "Zeile eins\nZeile zwei\n", Date: accessNow, MessageID: "<y@shop.example>"}); err != nil {
		t.Fatal(err)
	}
	msg, err := mail.ReadMessage(bytes.NewReader(eml.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(quotedprintable.NewReader(msg.Body))
	if err != nil || string(body) != "Zeile eins\r\nZeile zwei\r\n" || !strings.HasPrefix(msg.Header.Get("Content-Type"), "text/plain") || msg.Header.Get("X-Unsent") != "" {
		t.Errorf("body %q %v, headers %v", body, err, msg.Header)
	}
}

func TestAccessEMLRefusals(t *testing.T) {
	to := mail.Address{Address: "a@example.org"}
	if err := WriteEML(io.Discard, EML{To: to, Subject: "x"}); err == nil || !strings.Contains(err.Error(), "Settings") {
		t.Errorf("no sender: %v", err)
	}
	if err := WriteEML(io.Discard, EML{From: mail.Address{Address: "not an address"}, To: to}); err == nil {
		t.Error("invalid sender accepted")
	}
	if err := WriteEML(io.Discard, EML{From: mail.Address{Address: "d@shop.example"}}); err == nil {
		t.Error("no recipient accepted")
	}
}

func TestAccessPackageAnonymized(t *testing.T) {
	s, id := accessFixture(t)
	// The open access request is answered before the erasure (SPEC §9).
	if err := s.CloseRequest("owner", 1, gdpr.StatusCompleted, "package sent"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Anonymize("owner", id, store.AnonymizeOptions{}); err != nil {
		t.Fatal(err)
	}
	p, err := BuildAccessPackage(s, id, accessNow)
	if err != nil {
		t.Fatal(err)
	}
	if !p.Anonymized || p.Profile.Email != "" || p.Profile.FirstName != "" || len(p.Profile.Custom) != 0 ||
		!strings.Contains(p.About.Notice, "anonymized") || p.Profile.Country != "DE" {
		t.Errorf("anonymized package %+v", p)
	}
	erased := false
	for _, e := range p.Audit {
		if e.Action == "contact.edit" {
			erased = e.PersonalErased && e.Personal == ""
		}
	}
	if !erased {
		t.Errorf("the edit's personal part is not marked erased: %+v", p.Audit)
	}
	for _, write := range []func(io.Writer, *AccessPackage) error{
		func(w io.Writer, p *AccessPackage) error { return WriteAccessXLSX(w, p, "") },
		WriteAccessCSVZip, WriteAccessJSON,
	} {
		var buf bytes.Buffer
		if err := write(&buf, p); err != nil {
			t.Fatal(err)
		}
	}
	var out [][]string
	for _, r := range p.profileTable().rows {
		out = append(out, []string{r[0].(string), csvCell(r[1])})
	}
	if rowWith(out, 0, "Email") != nil || rowWith(out, 0, "Custom: Formula") != nil ||
		fmt.Sprint(rowWith(out, 0, "Added in (year)")) != "[Added in (year) 2025]" || rowWith(out, 0, "Anonymized on (UTC)") == nil {
		t.Errorf("anonymized profile rows %q", out)
	}
}

// BenchmarkAccessPackage builds and writes the XLSX package of one contact
// (the fixture's, with bases, consents, requests and an edit) in a store of
// 10,000 contacts; SPEC §7's target is under 50 ms. The 1,000,000-contact
// case runs only with GDPRDESK_BENCH_LARGE=1 (building the store takes
// minutes):
//
//	go test ./exporters/ -run '^$' -bench BenchmarkAccessPackage
func BenchmarkAccessPackage(b *testing.B) {
	for _, n := range []int{10_000, 1_000_000} {
		b.Run(fmt.Sprintf("contacts=%d", n), func(b *testing.B) {
			if n >= 1_000_000 && os.Getenv("GDPRDESK_BENCH_LARGE") != "1" {
				b.Skipf("%d contacts: set GDPRDESK_BENCH_LARGE=1 to run (building the store takes minutes)", n)
			}
			benchAccessPackage(b, n)
		})
	}
}

func benchAccessPackage(b *testing.B, n int) {
	s, id := accessFixture(b)
	const chunk = 500
	for i := 1; i < n; i += chunk {
		cs := make([]gdpr.Contact, 0, chunk)
		for j := i; j < i+chunk && j < n; j++ {
			cs = append(cs, gdpr.Contact{FirstName: "Bench", LastName: fmt.Sprint(j), Email: fmt.Sprintf("bench%07d@example.com", j),
				Country: "FR", Source: "import", Custom: map[string]string{"Segment": "b"},
				Bases: []gdpr.BasisAssignment{{Basis: gdpr.BasisContract, Source: "import"}}})
		}
		if _, err := s.CreateContacts("bench", cs); err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	start := time.Now()
	ops := 0
	for b.Loop() {
		p, err := BuildAccessPackage(s, id, accessNow)
		if err != nil {
			b.Fatal(err)
		}
		if err := WriteAccessXLSX(io.Discard, p, ""); err != nil {
			b.Fatal(err)
		}
		ops++
	}
	b.ReportMetric(float64(time.Since(start).Microseconds())/1000/float64(ops), "ms/op")
}

// A bulk change's audit entry names no contact; in the package of one it
// changed, it is about that one.
func TestAccessPackageBulkEntryIsAboutThePerson(t *testing.T) {
	s, id := accessFixture(t)
	if _, err := s.CreateContacts("owner", []gdpr.Contact{{Email: "b@example.de", Country: "DE"}, {Email: "c@example.de", Country: "DE"}}); err != nil {
		t.Fatal(err)
	}
	q, err := gdpr.ParseQuery("country:DE")
	if err != nil {
		t.Fatal(err)
	}
	res, err := s.ApplyBasis(t.Context(), "owner", q, store.BasisChange{Basis: gdpr.BasisLegitimateInterests, Evidence: "customer list"}, nil)
	if err != nil || res.Changed != 3 {
		t.Fatalf("ApplyBasis changed %d (%v), want 3", res.Changed, err)
	}
	p, err := BuildAccessPackage(s, id, accessNow)
	if err != nil {
		t.Fatal(err)
	}
	last := p.Audit[len(p.Audit)-1]
	if last.Action != "basis.add" || last.Record != id.String() || !strings.Contains(last.Detail, "3 contacts") {
		t.Errorf("last audit entry of the package %+v, want the bulk basis.add, about %s", last, id)
	}
}
