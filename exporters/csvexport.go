package exporters

import (
	"archive/zip"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/xuri/excelize/v2"

	"github.com/gdprdesk/gdprdesk/gdpr"
)

// formulaStarts are the first characters that make a spreadsheet read a
// text cell as a formula (SPEC §6).
const formulaStarts = "=+-@\t\r"

// Neutralize puts a "'" before text a spreadsheet would take for a formula
// (a cell starting with =, +, -, @, tab or carriage return), so that opening
// an export never runs anything; the importer removes it again. Text that
// already starts with "'" before such a character gets one more quote, so
// that the importer's removal gives back exactly the original.
//
// The CSV files use it (the contacts export, the access package's CSV zip):
// people open them in a spreadsheet, and the importer gives back the exact
// values. Workbooks need no guard — their text cells are typed as strings,
// which no spreadsheet evaluates — and JSON is for other systems (Art. 20:
// "machine-readable"), so its values are written exactly as held.
func Neutralize(s string) string {
	if formulaAfterQuotes(s) {
		return "'" + s
	}
	return s
}

// formulaAfterQuotes reports whether s, after any leading "'", starts with
// a character that makes a spreadsheet read a formula.
func formulaAfterQuotes(s string) bool {
	i := 0
	for i < len(s) && s[i] == '\'' {
		i++
	}
	return i < len(s) && strings.IndexByte(formulaStarts, s[i]) >= 0
}

// ContactWriter writes contacts to a file in the canonical column layout.
// Close finishes the file; it does not close the underlying writer.
type ContactWriter interface {
	Write(c *gdpr.Contact) error
	Close() error
}

// NewCSVContactWriter writes the canonical contacts CSV to w: the header of
// ContactColumns(custom), then one row per contact, every cell neutralized.
// The import reads it back to the same contacts.
func NewCSVContactWriter(w io.Writer, custom []string) (ContactWriter, error) {
	cw := &csvContactWriter{w: csv.NewWriter(w), custom: customNames(custom)}
	cw.header = ContactColumns(cw.custom)
	cw.rec = make([]string, len(cw.header))
	if err := cw.w.Write(cw.header); err != nil {
		return nil, fmt.Errorf("write contacts CSV: %w", err)
	}
	return cw, nil
}

type csvContactWriter struct {
	w      *csv.Writer
	custom []string
	header []string
	rec    []string
	closed bool
}

func (cw *csvContactWriter) Write(c *gdpr.Contact) error {
	if cw.closed {
		return errors.New("write contacts CSV: writer is closed")
	}
	for i, r := range canonicalRules {
		cw.rec[i] = Neutralize(r.get(c))
	}
	for i, name := range cw.custom {
		cw.rec[len(canonicalRules)+i] = Neutralize(c.Custom[name])
	}
	if err := cw.w.Write(cw.rec); err != nil {
		return fmt.Errorf("write contacts CSV: %w", err)
	}
	return nil
}

func (cw *csvContactWriter) Close() error {
	if cw.closed {
		return nil
	}
	cw.closed = true
	cw.w.Flush()
	if err := cw.w.Error(); err != nil {
		return fmt.Errorf("write contacts CSV: %w", err)
	}
	return nil
}

// xlsxSheet is the name of the contacts worksheet.
const xlsxSheet = "Contacts"

// xlsxWidths are the column widths, in characters, set before the first
// row (a stream writer cannot measure what it has not seen yet).
var xlsxWidths = map[string]float64{
	ColEmail: 32, ColFirstName: 16, ColLastName: 18, ColPhone: 18, ColStreet: 30,
	ColCity: 16, ColRegion: 12, ColPostalCode: 12, ColCountry: 9, ColCompany: 24,
	ColNotes: 40, ColSource: 20, ColTags: 24, ColStatus: 11, ColBases: 24,
	ColCreatedAt: 20, ColBalanceCents: 14, ColOpenContract: 14,
}

// NewXLSXContactWriter writes the contacts as an Excel workbook with one
// sheet in the canonical column layout: a bold, shaded, frozen header row,
// set widths, created_at as a real date, balance as a number, and every
// text cell a string cell holding the exact value (a string cell is never
// evaluated, so "+49 …" or "=x" needs no "'" in front). Rows are streamed to a temporary file and the workbook
// is zipped straight into w by Close, so a million rows stay in bounded
// memory.
func NewXLSXContactWriter(w io.Writer, custom []string) (ContactWriter, error) {
	f := excelize.NewFile()
	xw := &xlsxContactWriter{f: f, custom: customNames(custom)}
	// excelize builds the zip in memory by default; handing it a zip writer
	// on w streams the (large) sheet straight out instead.
	f.SetZipWriter(func(io.Writer) excelize.ZipWriter { return zip.NewWriter(w) })
	if err := xw.start(); err != nil {
		_ = f.Close()
		return nil, fmt.Errorf("write contacts workbook: %w", err)
	}
	return xw, nil
}

type xlsxContactWriter struct {
	f         *excelize.File
	sw        *excelize.StreamWriter
	custom    []string
	row       int
	dateStyle int
	cells     []any
	closed    bool
}

func (xw *xlsxContactWriter) start() error {
	if err := xw.f.SetSheetName("Sheet1", xlsxSheet); err != nil {
		return err
	}
	header, err := xw.f.NewStyle(&excelize.Style{
		Font:      &excelize.Font{Bold: true},
		Fill:      excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"DDEBF7"}},
		Border:    []excelize.Border{{Type: "bottom", Color: "8EA9DB", Style: 1}},
		Alignment: &excelize.Alignment{Vertical: "center"},
	})
	if err != nil {
		return err
	}
	dateFmt := "yyyy-mm-dd hh:mm:ss"
	if xw.dateStyle, err = xw.f.NewStyle(&excelize.Style{CustomNumFmt: &dateFmt}); err != nil {
		return err
	}
	// The stream writer writes the sheet's dimension before the rows, when
	// it can only say "A1"; readers that trust it (openpyxl's read-only
	// mode) would then see one cell. Without one, they read what is there.
	if err := xw.f.SetSheetDimension(xlsxSheet, ""); err != nil {
		return err
	}
	if xw.sw, err = xw.f.NewStreamWriter(xlsxSheet); err != nil {
		return err
	}
	cols := ContactColumns(xw.custom)
	// Widths are set from the last column to the first: excelize puts each
	// new one in front, and Excel wants them in ascending order.
	for i := len(cols) - 1; i >= 0; i-- {
		width, ok := xlsxWidths[cols[i]]
		if !ok {
			width = 20 // custom fields
		}
		if err := xw.sw.SetColWidth(i+1, i+1, width); err != nil {
			return err
		}
	}
	if err := xw.sw.SetPanes(&excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
		return err
	}
	xw.cells = make([]any, len(cols))
	for i, name := range cols {
		xw.cells[i] = excelize.Cell{StyleID: header, Value: name}
	}
	xw.row = 1
	return xw.sw.SetRow("A1", xw.cells, excelize.RowOpts{Height: 20})
}

func (xw *xlsxContactWriter) Write(c *gdpr.Contact) error {
	if xw.closed {
		return errors.New("write contacts workbook: writer is closed")
	}
	for i, r := range canonicalRules {
		switch r.name {
		case ColCreatedAt:
			if c.CreatedAt.IsZero() {
				xw.cells[i] = nil
			} else {
				// Excel has no time zones: the cell holds the UTC time, as
				// the CSV's created_at does.
				xw.cells[i] = excelize.Cell{StyleID: xw.dateStyle, Value: c.CreatedAt.UTC()}
			}
		case ColBalanceCents:
			xw.cells[i] = c.Balance
		case ColOpenContract:
			xw.cells[i] = c.OpenContract
		default:
			xw.cells[i] = textCell(r.get(c))
		}
	}
	for i, name := range xw.custom {
		xw.cells[len(canonicalRules)+i] = textCell(c.Custom[name])
	}
	xw.row++
	cell, err := excelize.CoordinatesToCellName(1, xw.row)
	if err != nil {
		return fmt.Errorf("write contacts workbook: %w", err)
	}
	if err := xw.sw.SetRow(cell, xw.cells); err != nil {
		return fmt.Errorf("write contacts workbook: row %d: %w", xw.row, err)
	}
	return nil
}

// textCell is a string cell holding s exactly (the stream writer types a
// Go string as an inline string, never a formula), or nil (no cell at all)
// for "".
func textCell(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// Close finishes the sheet and writes the workbook to w.
func (xw *xlsxContactWriter) Close() error {
	if xw.closed {
		return nil
	}
	xw.closed = true
	defer xw.f.Close() // removes the temporary files
	if err := xw.sw.Flush(); err != nil {
		return fmt.Errorf("write contacts workbook: %w", err)
	}
	// The zip writer set in NewXLSXContactWriter writes to w; what
	// excelize would copy from its own buffer is empty.
	if err := xw.f.Write(io.Discard); err != nil {
		return fmt.Errorf("write contacts workbook: %w", err)
	}
	return nil
}
