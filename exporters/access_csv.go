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
// "YYYY-MM-DD HH:MM:SS" in UTC, dates "YYYY-MM-DD". Every value is written
// exactly as held, with no "'" before a leading =, +, - or @: this is the
// person's data for other systems (Art. 20 asks for a machine-readable
// format), and a changed value — a phone "'+49 …" — would be wrong data.
// README.txt tells a person who opens the files in a spreadsheet how to keep
// such values text; the XLSX format is safe to open as it is.
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
		return v
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
Times are in UTC, written YYYY-MM-DD HH:MM:SS. Every value is exactly as we
hold it, so other programs can read it as it is. A spreadsheet may take a
value that starts with =, +, - or @ (a phone number +49 ..., say) for a
formula: to keep such values as text, open the file with the spreadsheet's
import (Data, From Text/CSV) and set those columns to Text.
`, who, p.Contact, p.GeneratedAt.Format(time.DateTime))
}
