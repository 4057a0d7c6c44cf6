package exporters

import (
	"archive/zip"
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"time"
)

// utf8BOM starts each CSV of an access package: without it, Excel reads a
// UTF-8 file as the legacy code page and garbles every accented letter.
const utf8BOM = "\uFEFF"

// WriteAccessCSVZip writes the package as a zip of one UTF-8 CSV per
// section (about.csv, profile.csv, bases.csv, consents.csv, requests.csv,
// audit.csv) plus README.txt. Each CSV starts with a byte-order mark and a
// header row, uses commas, RFC 4180 quoting and CRLF line ends; times are
// "YYYY-MM-DD HH:MM:SS" in UTC, dates "YYYY-MM-DD". A CSV is opened in a
// spreadsheet, which runs a text starting with =, +, -, @, tab or carriage
// return as a formula: such a text is neutralized with a leading "'"
// (SPEC §6; the package holds operator-entered text and the audit log).
// README.txt says so; the XLSX (string cells) and the JSON (for other
// systems, Art. 20) hold every value exactly.
func WriteAccessCSVZip(w io.Writer, p *AccessPackage) error {
	zw := zip.NewWriter(w)
	create := func(name string) (io.Writer, error) {
		return zw.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Deflate, Modified: p.GeneratedAt})
	}
	fw, err := create("README.txt")
	if err == nil {
		_, err = io.WriteString(fw, accessReadme(p))
	}
	if err != nil {
		return fmt.Errorf("write access package zip: %w", err)
	}
	for _, t := range p.tables() {
		fw, err := create(t.file)
		if err == nil {
			err = writeAccessCSV(fw, t)
		}
		if err != nil {
			return fmt.Errorf("write access package zip: %s: %w", t.file, err)
		}
	}
	if err := zw.Close(); err != nil {
		return fmt.Errorf("write access package zip: %w", err)
	}
	return nil
}

func writeAccessCSV(w io.Writer, t accessTable) error {
	if _, err := io.WriteString(w, utf8BOM); err != nil {
		return err
	}
	cw := csv.NewWriter(w)
	cw.UseCRLF = true
	if err := cw.Write(t.header); err != nil {
		return err
	}
	rec := make([]string, len(t.header))
	for _, row := range t.rows {
		for i, v := range row {
			rec[i] = csvCell(v)
		}
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

func csvCell(v any) string {
	switch v := v.(type) {
	case string:
		return Neutralize(v)
	case accessTime:
		if v.day {
			return v.t.Format(time.DateOnly)
		}
		return v.t.Format(time.DateTime)
	case int64:
		return strconv.FormatInt(v, 10)
	}
	return ""
}

func accessReadme(p *AccessPackage) string {
	who := p.About.Controller.Name
	if who == "" {
		who = "us"
	}
	return fmt.Sprintf(`Everything held by %s about record %s, as of %s UTC.

about.csv explains in plain words who we are, why we use your data, who
receives it, how long we keep it, where it came from and what your rights
are: read it first. profile.csv lists every detail of your record, one per
line. bases.csv gives the legal grounds on which we use your data, with
where each came from and the evidence behind it. consents.csv lists every
consent you gave or withdrew, with the exact consent wording and privacy
policy in force at that moment. requests.csv lists the requests you made to
us and what came of them, and audit.csv our log of every change made to your
record.

The files are CSV (comma-separated values) in UTF-8, which any spreadsheet
program or text editor opens. The first line of each names the columns.
Times are in UTC, written YYYY-MM-DD HH:MM:SS. A spreadsheet would take a
value that starts with =, +, - or @ (a phone number +49 ..., say) for a
formula, so such a value starts with a ' here, which is not part of it:
'+49 30 1234567 is the number +49 30 1234567. The JSON format of this
package holds every value exactly, for other programs.
`, who, p.Contact, p.GeneratedAt.Format(time.DateTime))
}
