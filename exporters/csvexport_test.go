package exporters

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"encoding/xml"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/gdprdesk/gdprdesk/gdpr"
)

func TestNeutralize(t *testing.T) {
	tests := []struct {
		in, want string
		back     string // what the importer makes of the written cell
	}{
		{"=SUM(A1:A9)", "'=SUM(A1:A9)", "=SUM(A1:A9)"},
		{"+49 30 1234", "'+49 30 1234", "+49 30 1234"},
		{"-5", "'-5", "-5"},
		{"@handle", "'@handle", "@handle"},
		{"\tindented", "'\tindented", "\tindented"},
		{"\rreturn", "'\rreturn", "\rreturn"},
		{"'=x", "''=x", "'=x"},
		{"''+x", "'''+x", "''+x"},
		{"'tis", "'tis", "'tis"},
		{"'", "'", "'"},
		{"plain", "plain", "plain"},
		{"a=b", "a=b", "a=b"},
		{" =x", " =x", "=x"}, // the importer trims surrounding space
		{"", "", ""},
	}
	for _, tt := range tests {
		got := Neutralize(tt.in)
		if got != tt.want {
			t.Errorf("Neutralize(%q) = %q, want %q", tt.in, got, tt.want)
		}
		if back := cellValue(got); back != tt.back {
			t.Errorf("cellValue(%q) = %q, want %q", got, back, tt.back)
		}
	}
}

// sampleContacts covers every column, the characters CSV must quote, and
// every value a spreadsheet would take for a formula.
func sampleContacts() []gdpr.Contact {
	at := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	return []gdpr.Contact{
		{Email: "anna.mueller@example.de", FirstName: "Anna", LastName: "Müller", Phone: "+49 30 1234567",
			Street: "Friedrichstraße 12, 3. OG", City: "Berlin", Region: "Berlin", PostalCode: "10117", Country: "DE",
			Company: "Müller & Söhne GmbH", Notes: "Met at the fair;\nsays \"hi\"", Source: "webform:newsletter",
			Tags: []string{"customer", "vip"}, Status: gdpr.ContactActive,
			Bases:     []gdpr.BasisAssignment{{Basis: gdpr.BasisConsent, Source: "import", At: at}, {Basis: gdpr.BasisContract, Source: "import", At: at}},
			CreatedAt: time.Date(2021, 3, 4, 9, 15, 22, 0, time.UTC), Balance: 1250, OpenContract: true,
			Custom: map[string]string{"Shoe size": "38", "Formula": "=1+1"}},
		{Email: "-dash+tag@example.com", FirstName: "@mention", LastName: "-", Notes: "\tindented note",
			Company: "=HYPERLINK(\"http://evil.example\")", Status: gdpr.ContactRestricted,
			Bases:     []gdpr.BasisAssignment{{Basis: gdpr.BasisLegitimateInterests, At: at}},
			CreatedAt: time.Date(2024, 12, 31, 23, 59, 59, 0, time.UTC), Custom: map[string]string{"Allergies": "+nuts", "Quoted": "'=already quoted"}},
		{Email: "plain@example.org", Status: gdpr.ContactActive},
		{Email: "lucia@example.es", FirstName: "Lucía", Country: "ES", City: "Madrid", Tags: []string{"lead"},
			Source: "trade fair", Status: gdpr.ContactActive, CreatedAt: time.Date(2022, 8, 19, 17, 20, 5, 999, time.UTC),
			Custom: map[string]string{"Shoe size": "40"}},
	}
}

func customUnion(cs []gdpr.Contact) []string {
	var names []string
	for i := range cs {
		names = append(names, CustomFieldNames(&cs[i])...)
	}
	return customNames(names)
}

// writeAll writes every contact through a new writer and closes it.
func writeAll(t *testing.T, w ContactWriter, err error, cs []gdpr.Contact) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
	for i := range cs {
		if err := w.Write(&cs[i]); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}

func writeCSV(t *testing.T, cs []gdpr.Contact) []byte {
	t.Helper()
	var buf bytes.Buffer
	w, err := NewCSVContactWriter(&buf, customUnion(cs))
	writeAll(t, w, err, cs)
	if err := w.Write(&cs[0]); err == nil {
		t.Error("Write after Close succeeded")
	}
	return buf.Bytes()
}

// Export, import, export again: byte-identical, and the contacts are the
// same.
func TestCanonicalRoundTrip(t *testing.T) {
	orig := sampleContacts()
	first := writeCSV(t, orig)

	wantHeader := strings.Join(ContactColumns([]string{"Allergies", "Formula", "Quoted", "Shoe size"}), ",") + "\n"
	if !bytes.HasPrefix(first, []byte(wantHeader)) {
		t.Fatalf("header:\n%s", first[:bytes.IndexByte(first, '\n')+1])
	}
	for _, want := range []string{`'+49 30 1234567`, `'-dash+tag@example.com`, `'@mention`, `,'-,`, ",'\tindented note,",
		`"'=HYPERLINK(""http://evil.example"")"`, `'=1+1`, `'+nuts`, `''=already quoted`, `consent;contract`, `customer;vip`,
		`2021-03-04T09:15:22Z`, `,1250,true,`, `restricted`} {
		if !bytes.Contains(first, []byte(want)) {
			t.Errorf("export lacks %q:\n%s", want, first)
		}
	}

	_, rows := readAll(t, first, ImportOptions{Now: importNow})
	if len(rows) != len(orig) {
		t.Fatalf("%d rows back, want %d", len(rows), len(orig))
	}
	back := make([]gdpr.Contact, len(rows))
	for i, r := range rows {
		if r.Err != nil || len(r.Warnings) > 0 {
			t.Fatalf("line %d: %v %q", r.Line, r.Err, r.Warnings)
		}
		back[i] = r.Contact
		o := orig[i]
		c := r.Contact
		if c.Email != o.Email || c.FirstName != o.FirstName || c.LastName != o.LastName || c.Phone != o.Phone ||
			c.Street != o.Street || c.City != o.City || c.Region != o.Region || c.PostalCode != o.PostalCode ||
			c.Country != o.Country || c.Company != o.Company || c.Notes != o.Notes || c.Source != o.Source ||
			!slices.Equal(c.Tags, o.Tags) || c.Status != o.Status || c.Balance != o.Balance ||
			c.OpenContract != o.OpenContract || !c.CreatedAt.Equal(o.CreatedAt.Truncate(time.Second)) ||
			len(c.Bases) != len(o.Bases) || len(c.Custom) != len(o.Custom) {
			t.Errorf("row %d:\n got %+v\nwant %+v", i, c, o)
		}
		for j := range c.Bases {
			if c.Bases[j].Basis != o.Bases[j].Basis {
				t.Errorf("row %d basis %d = %s, want %s", i, j, c.Bases[j].Basis, o.Bases[j].Basis)
			}
		}
		for k, v := range o.Custom {
			if c.Custom[k] != v {
				t.Errorf("row %d custom %q = %q, want %q", i, k, c.Custom[k], v)
			}
		}
	}
	second := writeCSV(t, back)
	if !bytes.Equal(first, second) {
		t.Errorf("second export differs:\n%s\n---\n%s", first, second)
	}
}

func TestXLSXWriter(t *testing.T) {
	cs := sampleContacts()
	var buf bytes.Buffer
	w, err := NewXLSXContactWriter(&buf, customUnion(cs))
	if err != nil {
		t.Fatal(err)
	}
	for i := range cs {
		if err := w.Write(&cs[i]); err != nil {
			t.Fatal(err)
		}
	}
	if buf.Len() != 0 {
		t.Errorf("%d bytes written before Close", buf.Len())
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}

	checkSheetXML(t, buf.Bytes())

	f, err := excelize.OpenReader(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatalf("open the workbook: %v", err)
	}
	defer f.Close()
	if got := f.GetSheetList(); !slices.Equal(got, []string{"Contacts"}) {
		t.Fatalf("sheets %q", got)
	}
	rows, err := f.GetRows("Contacts")
	if err != nil {
		t.Fatal(err)
	}
	header := ContactColumns(customUnion(cs))
	if len(rows) != len(cs)+1 || !slices.Equal(rows[0], header) {
		t.Fatalf("%d rows, header %q", len(rows), rows[0])
	}
	col := func(name string) int { return slices.Index(header, name) }
	cell := func(name string, row int) string {
		ref, _ := excelize.CoordinatesToCellName(col(name)+1, row)
		return ref
	}
	// Header: bold and shaded; frozen; widths set.
	styleID, err := f.GetCellStyle("Contacts", "A1")
	if err != nil {
		t.Fatal(err)
	}
	style, err := f.GetStyle(styleID)
	if err != nil || style.Font == nil || !style.Font.Bold || style.Fill.Pattern != 1 || len(style.Fill.Color) == 0 {
		t.Errorf("header style %+v (%v)", style, err)
	}
	panes, err := f.GetPanes("Contacts")
	if err != nil || !panes.Freeze || panes.YSplit != 1 || panes.TopLeftCell != "A2" {
		t.Errorf("panes %+v (%v)", panes, err)
	}
	if wdt, err := f.GetColWidth("Contacts", "A"); err != nil || wdt != 32 {
		t.Errorf("email column width %v (%v)", wdt, err)
	}
	// Values: text exactly as held, in string cells (no "'" in front).
	for _, tc := range []struct {
		name string
		row  int
		want string
	}{
		{ColEmail, 2, "anna.mueller@example.de"},
		{ColPhone, 2, "+49 30 1234567"},
		{ColNotes, 2, "Met at the fair;\nsays \"hi\""},
		{ColTags, 2, "customer;vip"},
		{ColBases, 2, "consent;contract"},
		{ColBalanceCents, 2, "1250"},
		{ColOpenContract, 2, "TRUE"},
		{ColCompany, 3, "=HYPERLINK(\"http://evil.example\")"},
		{ColEmail, 3, "-dash+tag@example.com"},
		{"custom:Formula", 2, "=1+1"},
		{ColStatus, 3, "restricted"},
		{ColCreatedAt, 2, "2021-03-04 09:15:22"},
		{ColCreatedAt, 4, ""},
	} {
		got, err := f.GetCellValue("Contacts", cell(tc.name, tc.row))
		if err != nil || got != tc.want {
			t.Errorf("%s row %d = %q (%v), want %q", tc.name, tc.row, got, err, tc.want)
		}
	}
	for _, c := range []string{cell(ColCompany, 3), cell(ColPhone, 2), cell("custom:Formula", 2)} {
		if formula, _ := f.GetCellFormula("Contacts", c); formula != "" {
			t.Errorf("%s became a formula: %q", c, formula)
		}
		if typ, _ := f.GetCellType("Contacts", c); typ != excelize.CellTypeInlineString && typ != excelize.CellTypeSharedString {
			t.Errorf("%s is not a string cell: type %v", c, typ)
		}
	}
	// created_at is a date: a serial number with a date format.
	raw, _ := f.GetCellValue("Contacts", cell(ColCreatedAt, 2), excelize.Options{RawCellValue: true})
	serial, err := strconv.ParseFloat(raw, 64)
	if err != nil {
		t.Fatalf("created_at raw value %q is not a number", raw)
	}
	if got, err := excelize.ExcelDateToTime(serial, false); err != nil || !got.Equal(cs[0].CreatedAt) {
		t.Errorf("created_at serial %v = %v (%v), want %v", serial, got, err, cs[0].CreatedAt)
	}
	dateStyleID, _ := f.GetCellStyle("Contacts", cell(ColCreatedAt, 2))
	if ds, err := f.GetStyle(dateStyleID); err != nil || ds.CustomNumFmt == nil || !strings.Contains(*ds.CustomNumFmt, "yyyy") {
		t.Errorf("created_at style %+v (%v)", ds, err)
	}
	if typ, _ := f.GetCellType("Contacts", cell(ColBalanceCents, 2)); typ == excelize.CellTypeInlineString || typ == excelize.CellTypeSharedString {
		t.Errorf("balance is text")
	}
}

// openpyxl is an independent reader of the format: what it sees is what
// Excel and LibreOffice users will see.
func TestXLSXWithOpenpyxl(t *testing.T) {
	if err := exec.Command("/usr/bin/python3", "-c", "import openpyxl").Run(); err != nil {
		t.Skip("python3-openpyxl is not installed (apt-get install -y python3-openpyxl): skipping the cross-check of the XLSX writer")
	}
	cs := sampleContacts()
	path := filepath.Join(t.TempDir(), "contacts.xlsx")
	out, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w, err := NewXLSXContactWriter(out, customUnion(cs))
	writeAll(t, w, err, cs)
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
	script := `
import json, sys, datetime, openpyxl
wb = openpyxl.load_workbook(sys.argv[1])
ws = wb["Contacts"]
rows = list(ws.iter_rows(values_only=True))
# Read-only mode streams the sheet (as pandas does) and trusts its
# dimension element, so it sees a wrong one.
ro = openpyxl.load_workbook(sys.argv[1], read_only=True)["Contacts"]
ro_rows = list(ro.iter_rows(values_only=True))
def j(v):
    if isinstance(v, datetime.datetime):
        return "datetime:" + v.isoformat()
    return v
print(json.dumps({
    "header": list(rows[0]),
    "row2": [j(v) for v in rows[1]],
    "rows": len(rows),
    "ro_rows": len(ro_rows),
    "ro_header": [v for v in ro_rows[0]],
    "bold": ws["A1"].font.bold,
    "freeze": ws.freeze_panes,
    "width": ws.column_dimensions["A"].width,
}))
`
	outb, err := exec.Command("/usr/bin/python3", "-c", script, path).CombinedOutput()
	if err != nil {
		t.Fatalf("openpyxl: %v\n%s", err, outb)
	}
	var got struct {
		Header   []string `json:"header"`
		Row2     []any    `json:"row2"`
		Rows     int      `json:"rows"`
		ROrows   int      `json:"ro_rows"`
		ROheader []string `json:"ro_header"`
		Bold     bool     `json:"bold"`
		Freeze   string   `json:"freeze"`
		Width    float64  `json:"width"`
	}
	if err := json.Unmarshal(outb, &got); err != nil {
		t.Fatalf("%v: %s", err, outb)
	}
	header := ContactColumns(customUnion(cs))
	if !slices.Equal(got.Header, header) || got.Rows != len(cs)+1 || !got.Bold || got.Freeze != "A2" || got.Width != 32 ||
		!slices.Equal(got.ROheader, header) || got.ROrows != len(cs)+1 {
		t.Errorf("openpyxl sees %+v", got)
	}
	want := map[string]any{
		ColEmail:         "anna.mueller@example.de",
		ColPhone:         "+49 30 1234567",
		ColCountry:       "DE",
		ColCreatedAt:     "datetime:2021-03-04T09:15:22",
		ColBalanceCents:  float64(1250),
		ColOpenContract:  true,
		"custom:Formula": "=1+1",
	}
	for name, v := range want {
		if i := slices.Index(header, name); i >= len(got.Row2) || got.Row2[i] != v {
			t.Errorf("%s = %#v, want %#v", name, got.Row2[i], v)
		}
	}
}

// checkSheetXML looks at what excelize's reader forgives: the column
// widths must come in ascending order (Excel offers to "repair" the file
// otherwise), and there must be no stale dimension.
func checkSheetXML(t *testing.T, xlsx []byte) {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(xlsx), int64(len(xlsx)))
	if err != nil {
		t.Fatal(err)
	}
	rc, err := zr.Open("xl/worksheets/sheet1.xml")
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	dec := xml.NewDecoder(rc)
	prev := 0
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		se, ok := tok.(xml.StartElement)
		if !ok {
			continue
		}
		switch se.Name.Local {
		case "dimension":
			t.Errorf("sheet has a dimension element %v", se.Attr)
		case "col":
			for _, a := range se.Attr {
				if a.Name.Local == "min" {
					n, _ := strconv.Atoi(a.Value)
					if n <= prev {
						t.Errorf("col min=%d after min=%d", n, prev)
					}
					prev = n
				}
			}
		}
	}
	if prev == 0 {
		t.Error("no column widths")
	}
}
