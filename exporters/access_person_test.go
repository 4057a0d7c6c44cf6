package exporters

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gdprdesk/gdprdesk/gdpr"
	"github.com/gdprdesk/gdprdesk/store"
)

// aboutCells opens the workbook with openpyxl, an independent reader, and
// returns the About sheet as topic → details.
func aboutCells(t *testing.T, p *AccessPackage) map[string]string {
	t.Helper()
	if err := exec.Command("/usr/bin/python3", "-c", "import openpyxl").Run(); err != nil {
		t.Skip("python3-openpyxl is not installed (apt-get install -y python3-openpyxl)")
	}
	var buf bytes.Buffer
	if err := WriteAccessXLSX(&buf, p, ""); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "access.xlsx")
	if err := os.WriteFile(path, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	script := `
import json, sys, openpyxl
ws = openpyxl.load_workbook(sys.argv[1])["About"]
print(json.dumps({r[0]: str(r[1]) for r in ws.iter_rows(min_row=2, values_only=True)}))
`
	out, err := exec.Command("/usr/bin/python3", "-c", script, path).CombinedOutput()
	if err != nil {
		t.Fatalf("openpyxl: %v\n%s", err, out)
	}
	var cells map[string]string
	if err := json.Unmarshal(out, &cells); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	return cells
}

func wantIn(t *testing.T, cells map[string]string, topic string, want, not []string) {
	t.Helper()
	v, ok := cells[topic]
	if !ok {
		t.Errorf("About has no row %q: %q", topic, cells)
		return
	}
	for _, w := range want {
		if !strings.Contains(v, w) {
			t.Errorf("About %q lacks %q:\n%s", topic, w, v)
		}
	}
	for _, n := range not {
		if strings.Contains(v, n) {
			t.Errorf("About %q names %q, which is not this person's:\n%s", topic, n, v)
		}
	}
}

// The access package is per person (SPEC §9, Art. 15(1)(a)–(h), 15(2)):
// the About sheet, as a spreadsheet shows it, names this person's purposes
// and bases, the categories of data held, only the recipients that
// received their data with country and safeguard, retention per purpose,
// the source with its date, automated decisions and the Art. 12(3)
// extension.
func TestAccessPackageIsAboutThePersonArt15(t *testing.T) {
	s, id := accessFixture(t)
	if err := s.UpdateContact("owner", id, func(c *gdpr.Contact) error { c.Balance = 4217; return nil }); err != nil {
		t.Fatal(err)
	}
	p, err := BuildAccessPackage(s, id, accessNow)
	if err != nil {
		t.Fatal(err)
	}
	cells := aboutCells(t, p)
	wantIn(t, cells, "Why we use your data, and on what legal ground",
		[]string{"email marketing: our newsletter about new products. Lawful basis: Consent (Art. 6(1)(a))", "direct marketing",
			"orders: delivering what you ordered. Lawful basis: Contract (Art. 6(1)(b))"},
		[]string{"partner offers", "support", "To deliver your orders"})
	wantIn(t, cells, "The data we hold on you",
		[]string{"Identity: first name, last name", "Contact details: email, phone", "Postal address: street, city, postal code, country",
			"Company: company", "Billing and contracts: unpaid balance", "Marketing preferences: consents given or withdrawn",
			"Notes: notes", "Other fields: Formula, Shoe size", "Tags: tags", "Requests and rights used: requests"},
		[]string{"open contract", "legal hold", "region", "objection"})
	wantIn(t, cells, "Who receives your data",
		[]string{"Mailversand AG (processes it on our behalf, email delivery), in Germany; dpa@mailversand.example",
			"Helpdesk Inc (processes it on our behalf, order tickets), in United States, outside the EEA, safeguarded by standard contractual clauses (Art. 46(2)(c)) of 2024-05-01"},
		[]string{"Partner Media", "Callcenter"})
	wantIn(t, cells, "How long we keep it",
		[]string{"email marketing: until you unsubscribe", "orders: 10 years after the order (tax law)"}, nil)
	wantIn(t, cells, "Where your data came from",
		[]string{`You filled in our web form "newsletter".`, "Added to our records on 3 February 2025."}, nil)
	wantIn(t, cells, "Automated decisions and profiling", []string{"no decisions about you by automated means alone"}, nil)
	wantIn(t, cells, "When we answer", []string{"within one month", "by two further months", "Art. 12(3)"}, nil)
	wantIn(t, cells, "How to use your rights", []string{"within one month, extendable by two further months"}, nil)
	wantIn(t, cells, "Right to complain (Art. 77 GDPR)", []string{"complain to a data protection authority"}, nil)

	// The same in the JSON, field by field.
	a := p.About
	if len(a.Purposes) != 2 || a.Purposes[0].Name != "email marketing" || a.Purposes[0].Basis != gdpr.BasisConsent ||
		a.Purposes[1].Name != "orders" || a.Purposes[1].Retention != "10 years after the order (tax law)" {
		t.Errorf("purposes %+v", a.Purposes)
	}
	if len(a.Recipients) != 2 || a.Recipients[0].Name != "Helpdesk Inc" || !a.Recipients[0].OutsideEEA ||
		a.Recipients[0].Safeguard != "scc" || a.Recipients[0].Country != "US" || strings.Join(a.Recipients[0].Purposes, ",") != "orders" ||
		a.Recipients[1].Name != "Mailversand AG" || a.Recipients[1].OutsideEEA || a.Recipients[1].Safeguard != "" {
		t.Errorf("recipients %+v", a.Recipients)
	}
	if a.AutomatedDecisions != "" || a.DataSourceImported || !a.DataSourceAt.Equal(time.Date(2025, 2, 3, 10, 0, 0, 0, time.UTC)) {
		t.Errorf("automated %q, source %v %v", a.AutomatedDecisions, a.DataSourceImported, a.DataSourceAt)
	}

	// A controller that uses automated decisions says so, in its words.
	st, err := s.Settings()
	if err != nil {
		t.Fatal(err)
	}
	st.AutomatedDecisions = "an automatic credit check decides whether you may pay by invoice."
	if err := s.SaveSettings("owner", st); err != nil {
		t.Fatal(err)
	}
	if p, err = BuildAccessPackage(s, id, accessNow); err != nil {
		t.Fatal(err)
	}
	wantIn(t, aboutCells(t, p), "Automated decisions and profiling",
		[]string{"We use automated decision-making: an automatic credit check", "Art. 22(3)"}, []string{"no decisions"})
}

// The source of an imported person names the import's label and date
// (Art. 15(1)(g)), not just "import"; the date is the import's, not the
// created time the file carried.
func TestAccessPackageSourceOfAnImportArt15_1g(t *testing.T) {
	imported := time.Date(2026, 2, 14, 11, 0, 0, 0, time.UTC)
	s, err := store.Open(t.TempDir(), store.Options{Now: func() time.Time { return imported }})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	csv := "Email,First Name,Date Created\nkarl@example.de,Karl,2019-05-01\n"
	open := func() (io.ReadCloser, error) { return io.NopCloser(strings.NewReader(csv)), nil }
	if _, err := ImportContacts(context.Background(), open, s, ImportOptions{Source: "crm-export-2024", Now: imported},
		ImportRun{Operator: "owner"}); err != nil {
		t.Fatal(err)
	}
	c, err := s.FindContact("karl@example.de")
	if err != nil {
		t.Fatal(err)
	}
	p, err := BuildAccessPackage(s, c.ID, accessNow)
	if err != nil {
		t.Fatal(err)
	}
	a := p.About
	if !a.DataSourceImported || !a.DataSourceAt.Equal(imported) || a.DataSource != "crm-export-2024" {
		t.Errorf("source %q imported %v at %v", a.DataSource, a.DataSourceImported, a.DataSourceAt)
	}
	want := `Your details came from a file we imported into our records, labelled "crm-export-2024". Imported on 14 February 2026. ` +
		`The file gave 1 May 2019 as the date you were first recorded.`
	if a.DataSourceText != want {
		t.Errorf("source text\n got %q\nwant %q", a.DataSourceText, want)
	}
	// Nothing in the registers: no purpose or recipient is claimed.
	if len(a.Purposes) != 0 || len(a.Recipients) != 0 {
		t.Errorf("purposes %+v recipients %+v", a.Purposes, a.Recipients)
	}
}

// The portability part (Art. 20) holds what the person provided or their
// use generated — never the business's notes, balance, basis evidence or
// staff names; in the package's JSON and in the standalone file alike.
func TestPortabilityOmitsTheBusinessOwnArt20(t *testing.T) {
	s, id := accessFixture(t)
	objected := time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC)
	if err := s.UpdateContact("owner", id, func(c *gdpr.Contact) error {
		c.Balance, c.MarketingObjection = 4217, objected
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	p, err := BuildAccessPackage(s, id, accessNow)
	if err != nil {
		t.Fatal(err)
	}
	var pkg, file bytes.Buffer
	if err := WriteAccessJSON(&pkg, p); err != nil {
		t.Fatal(err)
	}
	if err := WritePortabilityJSON(&file, p); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Portability json.RawMessage `json:"portability"`
	}
	if err := json.Unmarshal(pkg.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	var standalone struct {
		Schema     string          `json:"schema"`
		Controller string          `json:"controller"`
		Data       json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal(file.Bytes(), &standalone); err != nil {
		t.Fatal(err)
	}
	if standalone.Schema != PortabilitySchema || standalone.Controller != "Beispiel Laden GmbH" {
		t.Errorf("portability file head %q %q", standalone.Schema, standalone.Controller)
	}
	for name, raw := range map[string][]byte{"package": doc.Portability, "file": standalone.Data} {
		text := string(raw)
		var m map[string]any
		if err := json.Unmarshal(raw, &m); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		// What the person gave and did is there.
		if m["email"] != "anna.mueller@example.de" || m["first_name"] != accessFormulaName || m["phone"] != "+49 30 7654321" ||
			m["marketing_objection_at"] != "2026-03-02T08:00:00Z" || len(m["consents"].([]any)) != 3 || len(m["requests"].([]any)) != 2 {
			t.Errorf("%s: the person's own data is missing: %s", name, text)
		}
		// The business's own is not: notes, balance, evidence, staff.
		for _, leak := range []string{"Prefers email", "VIP", "4217", "balance", accessEvidence, "evidence", "order 1001",
			`"owner"`, `"anna"`, `"webform"`, `"by"`, "Shoe size", "=cmd()", "vip", "asked by reply", "phone number corrected",
			"replied from the address", "many years"} {
			if strings.Contains(text, leak) {
				t.Errorf("%s: portability holds %q: %s", name, leak, text)
			}
		}
	}
}

// Art. 15(1)(c): the recipients named are the register's (gdpr.RecipientsOf
// with the store's register), never a list left in the settings from
// before the register: a name only the settings hold is not claimed as a
// recipient of this person's data.
func TestAccessPackageRecipientsFromTheRegisterArt15_1c(t *testing.T) {
	s, id := accessFixture(t)
	st, err := s.Settings()
	if err != nil {
		t.Fatal(err)
	}
	st.Recipients = append(st.Recipients, gdpr.Recipient{Name: "Altversand GmbH", Role: "processor: old mailer", Country: "DE"})
	if err := s.SaveSettings("owner", st); err != nil {
		t.Fatal(err)
	}
	p, err := BuildAccessPackage(s, id, accessNow)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, r := range p.About.Recipients {
		names = append(names, r.Name)
	}
	if strings.Join(names, ",") != "Helpdesk Inc,Mailversand AG" {
		t.Errorf("recipients %v, want the register's Helpdesk Inc and Mailversand AG only", names)
	}
}
