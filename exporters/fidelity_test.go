package exporters

import (
	"archive/zip"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/gdprdesk/gdprdesk/gdpr"
)

// fidelityValues start like a formula; every one is a value a person may
// really have given (a phone in international form, a negative number, a
// handle), so a format that changes them hands back wrong data.
var fidelityValues = map[string]string{
	"Phone":      "+49 502 7657975",
	"Company":    "=cmd()",
	"Notes":      "-5 days notice",
	"First name": "@anna",
	"Last name":  "'=quoted",
}

func fidelityPackage() *AccessPackage {
	v := fidelityValues
	return &AccessPackage{Schema: AccessSchema, GeneratedAt: accessNow, Contact: 9,
		Profile: AccessProfile{ID: 9, Phone: v["Phone"], Company: v["Company"], Notes: v["Notes"],
			FirstName: v["First name"], LastName: v["Last name"], Custom: map[string]string{}}}
}

// TestAccessPackageValuesExact: the access package is the person's copy
// (Art. 15(3)) and, as CSV or JSON, their data for another system in a
// "structured, commonly used and machine-readable format" (Art. 20(1)).
// The workbook holds each value exactly as a string cell (which no
// spreadsheet evaluates, so no "'" is needed), the JSON as written; the CSV,
// opened in spreadsheets, neutralizes a formula-like text (SPEC §6) and
// nothing else. openpyxl, a reader that is not ours, reads the workbook.
func TestAccessPackageValuesExact(t *testing.T) {
	if err := exec.Command("/usr/bin/python3", "-c", "import openpyxl").Run(); err != nil {
		t.Skip("python3-openpyxl is not installed (apt-get install -y python3-openpyxl): skipping the cross-check of the access workbook")
	}
	p := fidelityPackage()
	var xlsx bytes.Buffer
	if err := WriteAccessXLSX(&xlsx, p, ""); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "access.xlsx")
	if err := os.WriteFile(path, xlsx.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	script := `
import json, sys, openpyxl
ws = openpyxl.load_workbook(sys.argv[1])["Profile"]
print(json.dumps({r[0].value: [r[1].value, r[1].data_type] for r in ws.iter_rows(min_row=2)}))
`
	out, err := exec.Command("/usr/bin/python3", "-c", script, path).CombinedOutput()
	if err != nil {
		t.Fatalf("openpyxl: %v\n%s", err, out)
	}
	var cells map[string][2]any
	if err := json.Unmarshal(out, &cells); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	for field, want := range fidelityValues {
		got, ok := cells[field]
		if !ok || got[0] != want || got[1] != "s" {
			t.Errorf("xlsx %s = %#v (type %v), want the string %q", field, got[0], got[1], want)
		}
	}

	var zipped bytes.Buffer
	if err := WriteAccessCSVZip(&zipped, p); err != nil {
		t.Fatal(err)
	}
	zr, err := zip.NewReader(bytes.NewReader(zipped.Bytes()), int64(zipped.Len()))
	if err != nil {
		t.Fatal(err)
	}
	rc, err := zr.Open("profile.csv")
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(rc)
	rc.Close()
	if err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(b, []byte(utf8BOM)))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	for field, want := range fidelityValues {
		if r := rowWith(rows, 0, field); r == nil || r[1] != Neutralize(want) {
			t.Errorf("csv %s = %q, want %q", field, r, Neutralize(want))
		}
	}

	var js bytes.Buffer
	if err := WriteAccess(&js, p, FormatJSON, ""); err != nil {
		t.Fatal(err)
	}
	var back struct {
		Profile struct {
			Phone, Company string
			LastName       string `json:"last_name"`
		}
	}
	if err := json.Unmarshal(js.Bytes(), &back); err != nil {
		t.Fatal(err)
	}
	if back.Profile.Phone != fidelityValues["Phone"] || back.Profile.Company != fidelityValues["Company"] || back.Profile.LastName != fidelityValues["Last name"] {
		t.Errorf("json profile %+v", back.Profile)
	}
}

// TestContactsXLSXPhoneExact: the contacts workbook holds a phone in
// international form as the exact string, as openpyxl reads it; the CSV
// keeps its documented guard, which the importer removes again.
func TestContactsXLSXPhoneExact(t *testing.T) {
	if err := exec.Command("/usr/bin/python3", "-c", "import openpyxl").Run(); err != nil {
		t.Skip("python3-openpyxl is not installed (apt-get install -y python3-openpyxl): skipping the cross-check of the XLSX writer")
	}
	cs := []gdpr.Contact{{Email: "anna@example.de", Phone: fidelityValues["Phone"], Company: fidelityValues["Company"], Status: gdpr.ContactActive}}
	path := filepath.Join(t.TempDir(), "contacts.xlsx")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w, err := NewXLSXContactWriter(f, nil)
	writeAll(t, w, err, cs)
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	script := `
import json, sys, openpyxl
ws = openpyxl.load_workbook(sys.argv[1])["Contacts"]
head = [c.value for c in ws[1]]
row = ws[2]
print(json.dumps({h: [row[i].value, row[i].data_type] for i, h in enumerate(head)}))
`
	out, err := exec.Command("/usr/bin/python3", "-c", script, path).CombinedOutput()
	if err != nil {
		t.Fatalf("openpyxl: %v\n%s", err, out)
	}
	var cells map[string][2]any
	if err := json.Unmarshal(out, &cells); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	for col, want := range map[string]string{ColPhone: fidelityValues["Phone"], ColCompany: fidelityValues["Company"]} {
		if got := cells[col]; got[0] != want || got[1] != "s" {
			t.Errorf("xlsx %s = %#v (type %v), want the string %q", col, got[0], got[1], want)
		}
	}

	var buf bytes.Buffer
	cw, err := NewCSVContactWriter(&buf, nil)
	writeAll(t, cw, err, cs)
	if !bytes.Contains(buf.Bytes(), []byte(",'+49 502 7657975,")) {
		t.Errorf("the contacts CSV lost its guard:\n%s", buf.Bytes())
	}
	_, rows := readAll(t, buf.Bytes(), ImportOptions{Now: importNow})
	if len(rows) != 1 || rows[0].Contact.Phone != fidelityValues["Phone"] {
		t.Errorf("the contacts CSV read back %+v, want the phone %q", rows, fidelityValues["Phone"])
	}
}
