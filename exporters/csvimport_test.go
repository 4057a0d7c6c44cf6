package exporters

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gdprdesk/gdprdesk/gdpr"
)

var importNow = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)

// readAll reads every row of a file, failing the test on a fatal error.
func readAll(t testing.TB, data []byte, opts ImportOptions) (*ContactReader, []ImportRow) {
	t.Helper()
	r, err := NewContactReader(bytes.NewReader(data), opts)
	if err != nil {
		t.Fatalf("NewContactReader: %v", err)
	}
	var rows []ImportRow
	for {
		row, err := r.Next()
		if errors.Is(err, io.EOF) {
			return r, rows
		}
		if err != nil {
			t.Fatalf("Next: %v", err)
		}
		rows = append(rows, row)
	}
}

func readFixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func rowByEmail(rows []ImportRow, email string) (ImportRow, bool) {
	for _, r := range rows {
		if r.Err == nil && r.Contact.Email == email {
			return r, true
		}
	}
	return ImportRow{}, false
}

func mustTime(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

// The three CRM fixtures import with no rejected row, and known rows come
// out as the owner would expect.
func TestCRMFixtures(t *testing.T) {
	type check struct {
		email string
		line  int
		want  func(c gdpr.Contact) string // "" when right, else what is wrong
	}
	tests := []struct {
		file   string
		delim  rune
		rows   int
		checks []check
	}{
		{"keap.csv", ';', 10, []check{
			{"anna.mueller@example.de", 2, func(c gdpr.Contact) string {
				if c.Street != "Friedrichstraße 12, 3. OG" || c.Country != "DE" || c.Source != "trade fair" ||
					!slices.Equal(c.Tags, []string{"customer", "newsletter-subscriber"}) ||
					!c.CreatedAt.Equal(mustTime("2021-03-04T09:15:22Z")) || c.Custom["Phone 1 Type"] != "Work" ||
					c.Notes != "Met at the spring fair; prefers email" || c.Status != gdpr.ContactActive {
					return fmt.Sprintf("%+v", c)
				}
				return ""
			}},
			{"jl.picard@example.fr", 3, func(c gdpr.Contact) string {
				if c.Company != "Château Picard; Vins" || c.Notes != `Asked about "Grand Cru" pricing` || c.Country != "FR" {
					return fmt.Sprintf("company %q notes %q country %q", c.Company, c.Notes, c.Country)
				}
				return ""
			}},
			// Spans lines 4-6; the next record starts on line 7.
			{"siobhan.obrien@example.ie", 4, func(c gdpr.Contact) string {
				if c.Notes != "Line one of the note\nLine two; with a semicolon\nLine three" {
					return fmt.Sprintf("notes %q", c.Notes)
				}
				return ""
			}},
			{"lukasz.kowalski@example.pl", 7, func(c gdpr.Contact) string {
				if c.Country != "PL" || c.Street != "ul. Marszałkowska 84/92, lok. 7" {
					return fmt.Sprintf("country %q street %q", c.Country, c.Street)
				}
				return ""
			}},
			{"sophie.gruber@example.at", 9, func(c gdpr.Contact) string {
				// Österreich; a formula-looking note from another CRM is kept as text.
				if c.Country != "AT" || !strings.HasPrefix(c.Notes, "=HYPERLINK") {
					return fmt.Sprintf("country %q notes %q", c.Country, c.Notes)
				}
				return ""
			}},
			{"oliver.bennett@example.co.uk", 10, func(c gdpr.Contact) string {
				if c.Country != "GB" || !c.CreatedAt.Equal(mustTime("2022-06-30T00:00:00Z")) {
					return fmt.Sprintf("country %q created %v", c.Country, c.CreatedAt)
				}
				return ""
			}},
		}},
		{"hubspot.csv", ',', 10, []check{
			{"marco.rossi@example.it", 3, func(c gdpr.Contact) string {
				// Phone Number empty: Mobile Phone Number is used.
				if c.Phone != "+39 333 123 4567" || c.Company != "Rossi, Bianchi & Figli S.p.A." ||
					c.Custom["Job Title"] != `Head of "Growth"` || c.Source != "paid social" ||
					!c.CreatedAt.Equal(mustTime("2023-03-15T14:30:00Z")) {
					return fmt.Sprintf("%+v", c)
				}
				return ""
			}},
			{"hannah.schmidt@example.de", 4, func(c gdpr.Contact) string {
				if c.Street != "Unit 5\nHarbour Industrial Estate" {
					return fmt.Sprintf("street %q", c.Street)
				}
				return ""
			}},
			{"james.oconnor@example.co.uk", 6, func(c gdpr.Contact) string {
				if c.Country != "GB" || c.Region != "" || c.Custom["Record ID"] != "" {
					return fmt.Sprintf("%+v", c)
				}
				return ""
			}},
			{"mads.jensen@example.dk", 9, func(c gdpr.Contact) string {
				// Both phones given: the phone wins.
				if c.Phone != "+45 33 55 01 02" {
					return fmt.Sprintf("phone %q", c.Phone)
				}
				return ""
			}},
			{"aoife.murphy@example.ie", 10, func(c gdpr.Contact) string {
				if c.Country != "" || c.EU() != gdpr.EUUnknown {
					return fmt.Sprintf("country %q", c.Country)
				}
				return ""
			}},
		}},
		{"mailchimp.csv", ',', 10, []check{
			{"maria.schneider@example.de", 2, func(c gdpr.Contact) string {
				want := gdpr.ConsentRecord{Purpose: "email marketing", Granted: true,
					At: mustTime("2019-05-02T14:23:40Z"), Method: "double opt-in (Mailchimp)"}
				// The IPs are evidence, sealed on the consent basis, never
				// in the consent record itself.
				if c.Country != "DE" || c.Street != "Hauptstraße 5, Apt 2, Hamburg, HH, 20095" ||
					len(c.Consents) != 1 || c.Consents[0] != want || len(c.Bases) != 1 ||
					c.Bases[0].Evidence != "double opt-in (Mailchimp); opt-in from IP 203.0.113.7 at 2019-05-02T14:21:07Z; confirmed from IP 203.0.113.7 at 2019-05-02T14:23:40Z" ||
					c.Bases[0].Purpose != "email marketing" ||
					!c.CreatedAt.Equal(mustTime("2019-05-02T14:21:07Z")) ||
					!slices.Equal(c.Tags, []string{"vip", "blog"}) || c.Region != "" || len(c.Custom) != 0 {
					return fmt.Sprintf("%+v", c)
				}
				return ""
			}},
			{"tom.walker@example.com", 3, func(c gdpr.Contact) string {
				// No CONFIRM_TIME: single opt-in at OPTIN_TIME.
				if c.Country != "US" || len(c.Consents) != 1 || c.Consents[0].Method != "single opt-in (Mailchimp)" ||
					!c.Consents[0].At.Equal(mustTime("2020-02-03T04:05:06Z")) {
					return fmt.Sprintf("%+v", c)
				}
				return ""
			}},
			{"ingrid.berg@example.no", 4, func(c gdpr.Contact) string {
				// Address with commas: "…, 0154 Oslo, Norway".
				// No OPTIN_TIME: created when confirmed.
				if c.Country != "NO" || c.Street != "Karl Johans gate 1, 0154 Oslo" || !c.CreatedAt.Equal(mustTime("2021-06-15T12:00:00Z")) {
					return fmt.Sprintf("country %q street %q created %v", c.Country, c.Street, c.CreatedAt)
				}
				return ""
			}},
			{"pierre.martin@example.fr", 5, func(c gdpr.Contact) string {
				// No address: CC gives the country.
				if c.Country != "FR" || c.Notes != "Note with a comma, and\na second line" {
					return fmt.Sprintf("country %q notes %q", c.Country, c.Notes)
				}
				return ""
			}},
			{"k.nowak@example.pl", 7, func(c gdpr.Contact) string {
				if c.Country != "PL" || !slices.Equal(c.Tags, []string{"vip", "newsletter-readers"}) {
					return fmt.Sprintf("country %q tags %q", c.Country, c.Tags)
				}
				return ""
			}},
			{"ewa.zielinska@example.pl", 12, func(c gdpr.Contact) string {
				if c.Country != "" || c.Source != "crm-import" {
					return fmt.Sprintf("country %q source %q", c.Country, c.Source)
				}
				return ""
			}},
		}},
		{"tabs.tsv", '\t', 3, []check{
			{"grace@example.org", 3, func(c gdpr.Contact) string {
				if c.Company != "Navy, US" || c.Country != "US" || c.PostalCode != "20350" || len(c.Bases) != 2 ||
					c.Bases[0].Basis != gdpr.BasisLegitimateInterests || c.Bases[1].Basis != gdpr.BasisConsent ||
					!c.CreatedAt.Equal(mustTime("2024-02-02T10:00:00Z")) {
					return fmt.Sprintf("%+v", c)
				}
				return ""
			}},
			// After a blank line.
			{"alan@example.org", 5, func(c gdpr.Contact) string {
				if c.Country != "GB" || c.FirstName != "Alan" || c.LastName != "Turing" {
					return fmt.Sprintf("%+v", c)
				}
				return ""
			}},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			r, rows := readAll(t, readFixture(t, tt.file), ImportOptions{Source: " CRM-Import ", Now: importNow})
			if r.Delimiter() != tt.delim {
				t.Errorf("delimiter %q, want %q", r.Delimiter(), tt.delim)
			}
			if len(rows) != tt.rows {
				t.Errorf("%d rows, want %d", len(rows), tt.rows)
			}
			prev := 1
			for _, row := range rows {
				if row.Err != nil {
					t.Errorf("rejected: %v", row.Err)
					continue
				}
				if len(row.Warnings) > 0 {
					t.Errorf("line %d: warnings %q", row.Line, row.Warnings)
				}
				if err := row.Contact.Validate(); err != nil {
					t.Errorf("line %d: contact does not validate: %v", row.Line, err)
				}
				if row.Line <= prev {
					t.Errorf("line %d after line %d", row.Line, prev)
				}
				prev = row.Line
			}
			for _, c := range tt.checks {
				row, ok := rowByEmail(rows, c.email)
				if !ok {
					t.Errorf("%s: not imported", c.email)
					continue
				}
				if row.Line != c.line {
					t.Errorf("%s: line %d, want %d", c.email, row.Line, c.line)
				}
				if msg := c.want(row.Contact); msg != "" {
					t.Errorf("%s: %s", c.email, msg)
				}
			}
		})
	}
}

// bad.csv holds one row per reason a row is rejected. Expected, by
// physical line:
//
//	 2  good
//	 3  email is missing
//	 4  invalid email ("not-an-email")
//	 5  unknown country ("Atlantis")
//	 6  first name over 200 characters
//	 7  wrong column count (3 values, header has 8)
//	 8  invalid UTF-8 (a Latin-1 "é" in first_name)
//	 9  blank line: skipped silently
//	10  good; its quoted note spans lines 10-11
//	12  unknown lawful basis ("vibes")
//	13  good, with a warning: created_at "31/12/2023" unreadable
//	14  phone over 64 characters
//	15  malformed quoting: a bare " in an unquoted value
//	16  good: "  UPPER.Case@Example.COM  " normalized, country "at"
//	17  ",,,,,,," : skipped silently
//	18  wrong column count (9 values)
//	19  good: Deutschland, two bases, a quoted note with "" and a comma
func TestBadRows(t *testing.T) {
	wantErrs := []struct {
		line   int
		reason string
	}{
		{3, "email is missing"},
		{4, `email "not-an-email" is not a valid address`},
		{5, `unknown country "Atlantis"`},
		{6, "first name is too long: 201 characters, at most 200"},
		{7, "wrong column count: 3 values, the header has 8"},
		{8, `invalid UTF-8 in column "first_name"`},
		{12, `unknown lawful basis "vibes"`},
		{14, "phone is too long: 65 characters, at most 64"},
		{15, "malformed quoting"},
		{18, "wrong column count: 9 values, the header has 8"},
	}
	wantGood := []struct {
		line     int
		email    string
		warnings int
	}{
		{2, "good.one@example.com", 0},
		{10, "multi.line@example.com", 0},
		{13, "bad.date@example.com", 1},
		{16, "upper.case@example.com", 0},
		{19, "last.good@example.com", 0},
	}
	_, rows := readAll(t, readFixture(t, "bad.csv"), ImportOptions{Now: importNow})
	var errs, good []ImportRow
	for _, r := range rows {
		if r.Err != nil {
			errs = append(errs, r)
		} else {
			good = append(good, r)
		}
	}
	if len(errs) != len(wantErrs) {
		for _, e := range errs {
			t.Logf("got %v", e.Err)
		}
		t.Fatalf("%d row errors, want %d", len(errs), len(wantErrs))
	}
	for i, w := range wantErrs {
		e := errs[i]
		if e.Line != w.line || e.Err.Line != w.line || !strings.Contains(e.Err.Reason, w.reason) {
			t.Errorf("error %d = line %d (%d) %q; want line %d containing %q", i, e.Line, e.Err.Line, e.Err.Reason, w.line, w.reason)
		}
		if want := fmt.Sprintf("line %d: ", w.line); !strings.HasPrefix(e.Err.Error(), want) {
			t.Errorf("Error() = %q, want prefix %q", e.Err.Error(), want)
		}
	}
	if len(good) != len(wantGood) {
		t.Fatalf("%d good rows, want %d", len(good), len(wantGood))
	}
	for i, w := range wantGood {
		g := good[i]
		if g.Line != w.line || g.Contact.Email != w.email || len(g.Warnings) != w.warnings {
			t.Errorf("good row %d = line %d %q warnings %q; want line %d %q with %d warning(s)",
				i, g.Line, g.Contact.Email, g.Warnings, w.line, w.email, w.warnings)
		}
	}
	if c := good[1].Contact; c.Notes != "first line\nsecond line" {
		t.Errorf("multi-line note = %q", c.Notes)
	}
	if c := good[3].Contact; c.Country != "AT" {
		t.Errorf("country = %q, want AT", c.Country)
	}
	if c := good[4].Contact; c.Country != "DE" || c.Notes != `says "hi", then leaves` ||
		len(c.Bases) != 2 || c.Bases[0].Basis != gdpr.BasisLegitimateInterests || c.Bases[1].Basis != gdpr.BasisContract ||
		c.Bases[0].Source != gdpr.SourceImport || c.Bases[0].Evidence != "import column" || !c.Bases[0].At.Equal(importNow) {
		t.Errorf("last row = %+v", c)
	}
	if w := good[2].Warnings[0]; !strings.Contains(w, `"31/12/2023"`) || !good[2].Contact.CreatedAt.IsZero() {
		t.Errorf("bad date: warning %q, created %v", w, good[2].Contact.CreatedAt)
	}
}

func TestDelimiterAndBOM(t *testing.T) {
	tests := []struct {
		name  string
		data  string
		delim rune
		line  int // line of the one row
		want  gdpr.Contact
	}{
		{"comma", "email,first_name\na@example.com,Ann\n", ',', 2, gdpr.Contact{Email: "a@example.com", FirstName: "Ann"}},
		{"semicolon", "Email;First Name\na@example.com;Ann, the first\n", ';', 2, gdpr.Contact{Email: "a@example.com", FirstName: "Ann, the first"}},
		{"tab", "E-mail\tGiven Name\na@example.com\tAnn; B\n", '\t', 2, gdpr.Contact{Email: "a@example.com", FirstName: "Ann; B"}},
		{"BOM and CRLF", "\ufeffemail,first_name\r\na@example.com,Ann\r\n", ',', 2, gdpr.Contact{Email: "a@example.com", FirstName: "Ann"}},
		{"BOM and semicolon", "\ufeff\"Email\";\"First Name\"\r\n\"a@example.com\";\"Ann\"\r\n", ';', 2, gdpr.Contact{Email: "a@example.com", FirstName: "Ann"}},
		// A comma inside a quoted header name does not outvote the semicolons.
		{"quoted delimiter in header", "\"Email, work\";\"Email\";Nickname\nx;a@example.com;Ann\n", ';', 2, gdpr.Contact{Email: "a@example.com", Custom: map[string]string{"Email, work": "x", "Nickname": "Ann"}}},
		{"Excel sep line", "sep=;\nemail;first_name\na@example.com;Ann\n", ';', 3, gdpr.Contact{Email: "a@example.com", FirstName: "Ann"}},
		{"blank lines first", "\n\nemail;first_name\n\na@example.com;Ann\n", ';', 5, gdpr.Contact{Email: "a@example.com", FirstName: "Ann"}},
		{"one column", "email\na@example.com\n", ',', 2, gdpr.Contact{Email: "a@example.com"}},
		{"no final newline", "email,first_name\na@example.com,Ann", ',', 2, gdpr.Contact{Email: "a@example.com", FirstName: "Ann"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, rows := readAll(t, []byte(tt.data), ImportOptions{Now: importNow})
			if r.Delimiter() != tt.delim {
				t.Errorf("delimiter %q, want %q", r.Delimiter(), tt.delim)
			}
			if len(rows) != 1 || rows[0].Err != nil {
				t.Fatalf("rows = %+v", rows)
			}
			got := rows[0].Contact
			if rows[0].Line != tt.line || got.Email != tt.want.Email || got.FirstName != tt.want.FirstName ||
				len(got.Custom) != len(tt.want.Custom) {
				t.Errorf("line %d %+v; want line %d %+v", rows[0].Line, got, tt.line, tt.want)
			}
			for k, v := range tt.want.Custom {
				if got.Custom[k] != v {
					t.Errorf("custom %q = %q, want %q", k, got.Custom[k], v)
				}
			}
		})
	}
}

func TestLineNumbers(t *testing.T) {
	data := "email,notes\n" + // 1
		"a@example.com,\"one\n" + // 2
		"two\n" + // 3
		"\n" + // 4: inside the quotes
		"four\"\n" + // 5
		"\n" + // 6: blank
		"b@example.com,plain\n" + // 7
		"c@example.com,\"x\r\ny\"\n" // 8-9
	_, rows := readAll(t, []byte(data), ImportOptions{})
	want := []struct {
		line  int
		notes string
	}{{2, "one\ntwo\n\nfour"}, {7, "plain"}, {8, "x\ny"}}
	if len(rows) != len(want) {
		t.Fatalf("%d rows, want %d", len(rows), len(want))
	}
	for i, w := range want {
		if rows[i].Err != nil || rows[i].Line != w.line || rows[i].Contact.Notes != w.notes {
			t.Errorf("row %d: line %d notes %q err %v; want line %d notes %q", i, rows[i].Line, rows[i].Contact.Notes, rows[i].Err, w.line, w.notes)
		}
	}
}

// A quote opened and never closed swallows the rest of the file: one error
// at the line where it opened.
func TestUnclosedQuote(t *testing.T) {
	data := "email,notes\na@example.com,ok\nb@example.com,\"never closed\nc@example.com,x\n"
	_, rows := readAll(t, []byte(data), ImportOptions{})
	if len(rows) != 2 || rows[0].Err != nil || rows[1].Err == nil || rows[1].Line != 3 ||
		!strings.Contains(rows[1].Err.Reason, "malformed quoting") {
		t.Fatalf("rows = %+v", rows)
	}
}

func TestHeaderErrors(t *testing.T) {
	tests := []struct {
		name, data string
		want       []string
	}{
		{"empty", "", []string{"the file is empty"}},
		{"BOM only", "\ufeff", []string{"the file is empty"}},
		{"no email column", "Name;Phone;Company\nAnn;1;X\n", []string{"no email column", `"Name", "Phone", "Company"`, "semicolons", "Email Address"}},
		{"not UTF-8", "email,Stra\xdfe\n", []string{"column 2 of the header is not UTF-8"}},
		{"bad quoting", "email,\"first\n", []string{"the header (line 1) cannot be read"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewContactReader(strings.NewReader(tt.data), ImportOptions{})
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

func TestRowFields(t *testing.T) {
	tests := []struct {
		name     string
		data     string
		opts     ImportOptions
		check    func(c gdpr.Contact) bool
		err      string // substring of the row error, or ""
		warnings int
	}{
		{"source column wins over --source",
			"email,Lead Source\na@example.com, Trade Fair \n", ImportOptions{Source: "import-2025"},
			func(c gdpr.Contact) bool { return c.Source == "trade fair" }, "", 0},
		{"--source when the cell is empty",
			"email,Lead Source\na@example.com,\n", ImportOptions{Source: " Import-2025 "},
			func(c gdpr.Contact) bool { return c.Source == "import-2025" }, "", 0},
		{"tags split on comma and semicolon, spaces to dashes, duplicates dropped",
			"email;tags\na@example.com;\"VIP, Newsletter  Readers;vip;;\"\n", ImportOptions{},
			func(c gdpr.Contact) bool { return slices.Equal(c.Tags, []string{"vip", "newsletter-readers"}) }, "", 0},
		{"street 2 alone",
			"email,Street Address 2\na@example.com,Flat 3\n", ImportOptions{},
			func(c gdpr.Contact) bool { return c.Street == "Flat 3" }, "", 0},
		{"status and obligations",
			"email,status,balance_cents,open_contract\na@example.com,Restricted,1250,TRUE\n", ImportOptions{},
			func(c gdpr.Contact) bool {
				return c.Status == gdpr.ContactRestricted && c.Balance == 1250 && c.OpenContract
			}, "", 0},
		{"anonymized status is refused",
			"email,status\na@example.com,anonymized\n", ImportOptions{}, nil, "status anonymized cannot be imported", 0},
		{"unknown status",
			"email,status\na@example.com,subscribed\n", ImportOptions{}, nil, `unknown contact status "subscribed"`, 0},
		{"balance not a number",
			"email,balance_cents\na@example.com,12.50\n", ImportOptions{}, nil, `balance_cents "12.50" is not a whole number of cents`, 0},
		{"negative balance",
			"email,balance_cents\na@example.com,-5\n", ImportOptions{}, nil, "negative", 0},
		{"open_contract not a boolean",
			"email,open_contract\na@example.com,maybe\n", ImportOptions{}, nil, `open_contract "maybe" is not true or false`, 0},
		{"custom field over 4000 characters",
			"email,Shoe size\na@example.com," + strings.Repeat("x", 4001) + "\n", ImportOptions{}, nil,
			`custom field "Shoe size" is too long: 4001 characters, at most 4000`, 0},
		{"custom field of 4000 characters",
			"email,Shoe size\na@example.com," + strings.Repeat("x", 4000) + "\n", ImportOptions{},
			func(c gdpr.Contact) bool { return len(c.Custom["Shoe size"]) == 4000 }, "", 0},
		{"email over 254 characters",
			"email\n" + strings.Repeat("a", 250) + "@example.com\n", ImportOptions{}, nil, "email is too long", 0},
		{"notes over 1000 characters",
			"email,notes\na@example.com," + strings.Repeat("é", 1001) + "\n", ImportOptions{}, nil, "notes is too long: 1001 characters, at most 1000", 0},
		{"email checked before anything else",
			"email,bases,country\n,vibes,Atlantis\n", ImportOptions{}, nil, "email is missing", 0},
		{"duplicate column kept as custom",
			"Email,E-mail\na@example.com,b@example.com\n", ImportOptions{},
			func(c gdpr.Contact) bool { return c.Email == "a@example.com" && c.Custom["E-mail"] == "b@example.com" }, "", 0},
		{"value under a column without header",
			"email,,notes\na@example.com,lost,kept\n", ImportOptions{},
			func(c gdpr.Contact) bool { return c.Notes == "kept" && len(c.Custom) == 0 }, "", 1},
		{"created_at forms",
			"email,created_at\na@example.com,2024-05-06 07:08:09\n", ImportOptions{},
			func(c gdpr.Contact) bool { return c.CreatedAt.Equal(mustTime("2024-05-06T07:08:09Z")) }, "", 0},
		{"created_at with offset is stored in UTC",
			"email,created_at\na@example.com,2024-05-06T09:08:09+02:00\n", ImportOptions{},
			func(c gdpr.Contact) bool {
				return c.CreatedAt.Equal(mustTime("2024-05-06T07:08:09Z")) && c.CreatedAt.Location() == time.UTC
			}, "", 0},
		{"Mailchimp consent text goes into the method",
			"Email Address,OPTIN_TIME,CONFIRM_TIME,Consent Text\na@example.com,2024-01-01 10:00:00,,Yes send me the newsletter\n", ImportOptions{},
			func(c gdpr.Contact) bool {
				return len(c.Consents) == 1 && c.Consents[0].Method == "single opt-in (Mailchimp); consent text: Yes send me the newsletter" &&
					c.Consents[0].At.Equal(mustTime("2024-01-01T10:00:00Z")) && c.Consents[0].Granted
			}, "", 0},
		{"consent text without a time",
			"email,consent_text,created_at\na@example.com,I agree,2023-02-03\n", ImportOptions{},
			func(c gdpr.Contact) bool {
				return len(c.Consents) == 1 && c.Consents[0].At.Equal(mustTime("2023-02-03T00:00:00Z")) &&
					c.Consents[0].Method == "single opt-in (imported); consent text: I agree"
			}, "", 1},
		{"Mailchimp unsubscribe is a withdrawal",
			"Email Address,OPTIN_TIME,CONFIRM_TIME,UNSUB_TIME\na@example.com,2020-01-01 00:00:00,2020-01-01 00:05:00,2022-02-02 02:02:02\n", ImportOptions{},
			func(c gdpr.Contact) bool {
				return len(c.Consents) == 2 && c.Consents[0].Granted && !c.Consents[1].Granted &&
					c.Consents[1].Method == "unsubscribed (Mailchimp)" && c.Consents[1].At.Equal(mustTime("2022-02-02T02:02:02Z")) &&
					!gdpr.ConsentGiven(c.Consents, "email marketing") && c.MarketingObjection.Equal(mustTime("2022-02-02T02:02:02Z")) &&
					len(c.Bases) == 0
			}, "", 0},
		{"unreadable opt-in time: warning, no consent",
			"Email Address,OPTIN_TIME\na@example.com,yesterday\n", ImportOptions{},
			func(c gdpr.Contact) bool { return len(c.Consents) == 0 && c.CreatedAt.IsZero() }, "", 1},
		{"address not ending in a country, CC used",
			"Email Address,Address,CC,MEMBER_RATING\na@example.com,12 Main St  Springfield,CA,2\n", ImportOptions{},
			func(c gdpr.Contact) bool { return c.Country == "CA" && c.Street == "12 Main St, Springfield" }, "", 0},
		{"address not ending in a country, no CC",
			"Email Address,Address\na@example.com,12 Main St  Springfield\n", ImportOptions{},
			func(c gdpr.Contact) bool { return c.Country == "" && c.Street == "12 Main St, Springfield" }, "", 1},
		{"country column beats the address",
			"email,country,address,street\na@example.com,AT,\"Ring 1, Wien, Germany\",Ring 1\n", ImportOptions{},
			func(c gdpr.Contact) bool { return c.Country == "AT" && c.Street == "Ring 1" }, "", 0},
		{"unknown CC is a warning",
			"Email Address,CC,LEID\na@example.com,XX,1\n", ImportOptions{},
			func(c gdpr.Contact) bool { return c.Country == "" }, "", 1},
		{"neutralizing quote removed",
			"email,phone,notes,custom:Formula\n'-dash@example.com,'+49 30 1,'=SUM(A1),'@x\n", ImportOptions{},
			func(c gdpr.Contact) bool {
				return c.Email == "-dash@example.com" && c.Phone == "+49 30 1" && c.Notes == "=SUM(A1)" && c.Custom["Formula"] == "@x"
			}, "", 0},
		{"other leading quotes kept",
			"email,notes,company\na@example.com,'tis the season,'\n", ImportOptions{},
			func(c gdpr.Contact) bool { return c.Notes == "'tis the season" && c.Company == "'" }, "", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.opts.Now.IsZero() {
				tt.opts.Now = importNow
			}
			_, rows := readAll(t, []byte(tt.data), tt.opts)
			if len(rows) != 1 {
				t.Fatalf("%d rows, want 1", len(rows))
			}
			row := rows[0]
			if tt.err != "" {
				if row.Err == nil || !strings.Contains(row.Err.Reason, tt.err) {
					t.Fatalf("row error %v, want one containing %q", row.Err, tt.err)
				}
				return
			}
			if row.Err != nil {
				t.Fatalf("rejected: %v", row.Err)
			}
			if !tt.check(row.Contact) {
				t.Errorf("contact %+v", row.Contact)
			}
			if len(row.Warnings) != tt.warnings {
				t.Errorf("warnings %q, want %d", row.Warnings, tt.warnings)
			}
		})
	}
}

func TestSplitAddress(t *testing.T) {
	tests := []struct{ in, rest, last string }{
		{"123 Main St  Apt 4  Atlanta  GA  30301  US", "123 Main St  Apt 4  Atlanta  GA  30301", "US"},
		{"Karl Johans gate 1, 0154 Oslo, Norway", "Karl Johans gate 1, 0154 Oslo", "Norway"},
		{"A street,  Paris   France", "A street,  Paris", "France"},
		{"12 High St,   UK ", "12 High St", "UK"},
		{"Germany", "", "Germany"},
		{"", "", ""},
	}
	for _, tt := range tests {
		rest, last := splitAddress(tt.in)
		if rest != tt.rest || last != tt.last {
			t.Errorf("splitAddress(%q) = %q, %q; want %q, %q", tt.in, rest, last, tt.rest, tt.last)
		}
	}
}

func TestMappingReport(t *testing.T) {
	r, err := NewContactReader(bytes.NewReader(readFixture(t, "mailchimp.csv")), ImportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	m := r.Mapping()
	if len(m) != 22 {
		t.Fatalf("%d columns", len(m))
	}
	byHeader := map[string]ColumnMap{}
	for _, c := range m {
		byHeader[c.Header] = c
	}
	for h, want := range map[string]string{"Email Address": ColEmail, "Address": ColStreet, "OPTIN_IP": FieldConsent,
		"CONFIRM_TIME": FieldConsent, "CC": ColCountry, "REGION": FieldIgnored, "TAGS": ColTags} {
		if byHeader[h].Field != want {
			t.Errorf("%s maps to %q, want %q", h, byHeader[h].Field, want)
		}
	}
	if !strings.Contains(byHeader["Address"].Note, "country") || byHeader["OPTIN_IP"].Note == "" {
		t.Errorf("notes missing: %+v", m)
	}
	m[0].Field = "changed"
	if r.Mapping()[0].Field == "changed" {
		t.Error("Mapping returns the reader's own slice")
	}
}

// An I/O error is fatal, not a row error.
func TestReadError(t *testing.T) {
	boom := errors.New("disk on fire")
	r, err := NewContactReader(io.MultiReader(strings.NewReader("email\na@example.com\n"), errReader{boom}), ImportOptions{})
	if err == nil {
		_, err = r.Next()
		if err == nil {
			_, err = r.Next()
		}
	}
	if !errors.Is(err, boom) {
		t.Fatalf("error %v, want %v", err, boom)
	}
}

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }

func FuzzContactReader(f *testing.F) {
	for _, name := range []string{"keap.csv", "hubspot.csv", "mailchimp.csv", "tabs.tsv", "bad.csv"} {
		f.Add(readFixture(f, name))
	}
	for _, s := range []string{
		"", "\ufeff", "email\n", "sep=;\nemail;notes\na@b.co;'=x\n", "email,notes\na@b.co,\"x\n",
		"Email Address,Address,CC,OPTIN_TIME,CONFIRM_TIME,UNSUB_TIME,Consent Text\na@b.co,x  y  DE,FR,2020-01-01,x,2021-01-01,ok\n",
		"email,custom:,custom:X,,status,bases,tags\na@b.co,1,2,3,restricted,consent;contract,\"a b,c\"\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := NewContactReader(bytes.NewReader(data), ImportOptions{Source: "fuzz", Now: importNow})
		if err != nil {
			return
		}
		prev, roundTrips := 0, 0
		for {
			row, err := r.Next()
			if errors.Is(err, io.EOF) {
				return
			}
			if err != nil {
				t.Fatalf("Next on an in-memory file: %v", err)
			}
			if row.Line <= prev {
				t.Fatalf("line %d after line %d", row.Line, prev)
			}
			prev = row.Line
			if row.Err != nil {
				if row.Err.Line != row.Line || row.Err.Reason == "" {
					t.Fatalf("row error %+v on line %d", row.Err, row.Line)
				}
				continue
			}
			c := row.Contact
			if err := c.Validate(); err != nil {
				t.Fatalf("line %d: contact %+v does not validate: %v", row.Line, c, err)
			}
			// What was imported exports and imports again to the same
			// contact (checked on the first rows only, to keep executions
			// fast).
			if roundTrips++; roundTrips > 2 {
				continue
			}
			var buf bytes.Buffer
			w, err := NewCSVContactWriter(&buf, CustomFieldNames(&c))
			if err != nil {
				t.Fatal(err)
			}
			if err := w.Write(&c); err != nil {
				t.Fatal(err)
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			_, again := readAll(t, buf.Bytes(), ImportOptions{Now: importNow})
			if len(again) != 1 || again[0].Err != nil {
				t.Fatalf("re-import of %q: %+v", buf.String(), again)
			}
			var buf2 bytes.Buffer
			w2, _ := NewCSVContactWriter(&buf2, CustomFieldNames(&again[0].Contact))
			_ = w2.Write(&again[0].Contact)
			_ = w2.Close()
			if !bytes.Equal(buf.Bytes(), buf2.Bytes()) {
				t.Fatalf("round trip changed the row:\n%q\n%q", buf.String(), buf2.String())
			}
		}
	})
}

// generateCSV writes a canonical-style file of n realistic rows.
func generateCSV(n int) []byte {
	rng := rand.New(rand.NewPCG(1, 2))
	first := []string{"Anna", "Jean-Luc", "Siobhán", "Łukasz", "Robert", "Sophie", "Lucía", "Erik", "Femke", "Marco"}
	last := []string{"Müller", "Picard", "O'Brien", "Kowalski", "Smith", "Gruber", "García", "Lindqvist", "de Vries", "Rossi"}
	countries := []string{"DE", "France", "IE", "Polska", "United States", "AT", "ES", "SE", "Netherlands", "IT", ""}
	tags := []string{"", "customer", "vip;newsletter", "lead", "customer;vip"}
	bases := []string{"", "consent", "contract", "legitimate_interests;consent"}
	var b bytes.Buffer
	b.WriteString("email,first_name,last_name,phone,street,city,postal_code,country,company,notes,source,tags,bases,created_at,custom:Shoe size\n")
	for i := range n {
		fmt.Fprintf(&b, "user%d@example.com,%s,%s,+49 30 %07d,\"Hauptstraße %d, Hinterhaus\",Berlin,%05d,%s,\"Firma %d GmbH\",\"Met at the fair, asked about \"\"pricing\"\"\",webform:newsletter,%s,%s,2023-%02d-%02dT10:00:00Z,%d\n",
			i, first[rng.IntN(len(first))], last[rng.IntN(len(last))], rng.IntN(10_000_000), i%300, rng.IntN(100000),
			countries[rng.IntN(len(countries))], i%1000, tags[rng.IntN(len(tags))], bases[rng.IntN(len(bases))],
			1+rng.IntN(12), 1+rng.IntN(28), 36+rng.IntN(10))
	}
	return b.Bytes()
}

// BenchmarkReadContacts reads a generated 100,000-row file and reports
// rows per second.
func BenchmarkReadContacts(b *testing.B) {
	const n = 100_000
	data := generateCSV(n)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	b.ResetTimer()
	rows := 0
	for b.Loop() {
		r, err := NewContactReader(bytes.NewReader(data), ImportOptions{Source: "bench", Now: importNow})
		if err != nil {
			b.Fatal(err)
		}
		for {
			row, err := r.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil || row.Err != nil {
				b.Fatalf("%v %v", err, row.Err)
			}
			rows++
		}
	}
	b.ReportMetric(float64(rows)/b.Elapsed().Seconds(), "rows/s")
}
