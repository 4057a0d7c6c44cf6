package exporters

import (
	"fmt"
	"io"
	"strings"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"
)

// Column widths of the access workbook, in characters: fitted to the
// longest line in the column, within these bounds. Text longer than the cap
// wraps.
const (
	accessMinWidth = 8
	accessMaxWidth = 70
)

// xlsxCellLimit is how many UTF-16 units the writer puts in one cell: Excel
// holds at most 32,767 and would cut the rest (a long privacy policy can be
// longer). A longer text continues in the same column on the rows below.
const xlsxCellLimit = 32000

// WriteAccessXLSX writes the package as an Excel workbook: one sheet per
// section (About, Profile, Lawful bases, Consents, Requests, Audit), each
// with a bold, shaded, frozen header row, widths fitted to the content,
// dates as real date cells, and every text a string cell holding the exact
// value: a string cell is never evaluated, so a phone "+49 …" or a name
// "=x" needs no "'" in front, and none is added. A non-empty
// password encrypts the workbook (ECMA-376 agile encryption, which Excel,
// LibreOffice and Excelize open with the password).
func WriteAccessXLSX(w io.Writer, p *AccessPackage, password string) error {
	f := excelize.NewFile()
	defer f.Close()
	st, err := newAccessStyles(f)
	if err != nil {
		return fmt.Errorf("write access workbook: %w", err)
	}
	for i, t := range p.tables() {
		if i == 0 {
			err = f.SetSheetName("Sheet1", t.sheet)
		} else {
			_, err = f.NewSheet(t.sheet)
		}
		if err == nil {
			err = writeAccessSheet(f, st, t)
		}
		if err != nil {
			return fmt.Errorf("write access workbook: sheet %s: %w", t.sheet, err)
		}
	}
	f.SetActiveSheet(0)
	created := p.GeneratedAt.Format("2006-01-02T15:04:05Z")
	if err := f.SetDocProps(&excelize.DocProperties{
		Title:    "Access package " + p.Contact.String(),
		Subject:  "Personal data held on one person (Art. 15 GDPR)",
		Creator:  "gdprdesk",
		Created:  created,
		Modified: created,
	}); err != nil {
		return fmt.Errorf("write access workbook: %w", err)
	}
	var opts []excelize.Options
	if password != "" {
		opts = append(opts, excelize.Options{Password: password})
	}
	if err := f.Write(w, opts...); err != nil {
		return fmt.Errorf("write access workbook: %w", err)
	}
	return nil
}

type accessStyles struct {
	header, text, wrap, stamp, day, number int
}

func newAccessStyles(f *excelize.File) (accessStyles, error) {
	var s accessStyles
	top := &excelize.Alignment{Vertical: "top"}
	stampFmt, dayFmt := "yyyy-mm-dd hh:mm", "yyyy-mm-dd"
	for _, x := range []struct {
		id    *int
		style *excelize.Style
	}{
		{&s.header, &excelize.Style{
			Font:      &excelize.Font{Bold: true},
			Fill:      excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"DDEBF7"}},
			Border:    []excelize.Border{{Type: "bottom", Color: "8EA9DB", Style: 1}},
			Alignment: &excelize.Alignment{Vertical: "center"},
		}},
		{&s.text, &excelize.Style{Alignment: top}},
		{&s.wrap, &excelize.Style{Alignment: &excelize.Alignment{Vertical: "top", WrapText: true}}},
		{&s.stamp, &excelize.Style{Alignment: top, CustomNumFmt: &stampFmt}},
		{&s.day, &excelize.Style{Alignment: top, CustomNumFmt: &dayFmt}},
		{&s.number, &excelize.Style{Alignment: &excelize.Alignment{Vertical: "top", Horizontal: "left"}}},
	} {
		id, err := f.NewStyle(x.style)
		if err != nil {
			return s, err
		}
		*x.id = id
	}
	return s, nil
}

// cellWidth is how wide a cell's content is, in characters: its longest
// line.
func cellWidth(v any) int {
	switch v := v.(type) {
	case string:
		w := 0
		for line := range strings.SplitSeq(v, "\n") {
			w = max(w, utf8.RuneCountInString(line))
		}
		return w
	case accessTime:
		if v.day {
			return 10
		}
		return 16
	case int64:
		return len(fmt.Sprint(v))
	}
	return 0
}

func writeAccessSheet(f *excelize.File, st accessStyles, t accessTable) error {
	// Widths from the content; columns whose text is wider than the cap
	// (or has line breaks) wrap.
	widths := make([]int, len(t.header))
	wrap := make([]bool, len(t.header))
	for i, h := range t.header {
		widths[i] = cellWidth(h) + 2 // room for the header's bold face
	}
	for _, row := range t.rows {
		for i, v := range row {
			widths[i] = max(widths[i], cellWidth(v))
			if s, ok := v.(string); ok && strings.Contains(s, "\n") {
				wrap[i] = true
			}
		}
	}
	for i, w := range widths {
		w += 2
		if w > accessMaxWidth {
			w, wrap[i] = accessMaxWidth, true
		}
		w = max(w, accessMinWidth)
		col, err := excelize.ColumnNumberToName(i + 1)
		if err != nil {
			return err
		}
		if err := f.SetColWidth(t.sheet, col, col, float64(w)); err != nil {
			return err
		}
	}

	for i, h := range t.header {
		cell, _ := excelize.CoordinatesToCellName(i+1, 1)
		if err := f.SetCellStr(t.sheet, cell, h); err != nil {
			return err
		}
	}
	last, _ := excelize.CoordinatesToCellName(len(t.header), 1)
	if err := f.SetCellStyle(t.sheet, "A1", last, st.header); err != nil {
		return err
	}
	if err := f.SetRowHeight(t.sheet, 1, 20); err != nil {
		return err
	}
	if err := f.SetPanes(t.sheet, &excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft",
		Selection: []excelize.Selection{{SQRef: "A2", ActiveCell: "A2", Pane: "bottomLeft"}}}); err != nil {
		return err
	}

	row := 1
	for _, values := range t.rows {
		// A text over Excel's cell limit continues on the rows below.
		parts := make([][]string, len(values))
		extra := 0
		for i, v := range values {
			if s, ok := v.(string); ok {
				parts[i] = splitCellText(s)
				extra = max(extra, len(parts[i])-1)
			}
		}
		for k := 0; k <= extra; k++ {
			row++
			for i, v := range values {
				cell, err := excelize.CoordinatesToCellName(i+1, row)
				if err != nil {
					return err
				}
				if k > 0 {
					// Continuation row: only the continued texts, and a
					// marker in the first column.
					switch {
					case k < len(parts[i]):
						v = parts[i][k]
					case i == 0:
						v = "(continued)"
					default:
						continue
					}
				} else if parts[i] != nil {
					v = parts[i][0]
				}
				if err := setAccessCell(f, st, t.sheet, cell, v, wrap[i]); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

func setAccessCell(f *excelize.File, st accessStyles, sheet, cell string, v any, wrap bool) error {
	var style int
	var err error
	switch v := v.(type) {
	case nil:
		return nil
	case string:
		// SetCellStr types it as a string: the exact text, which no
		// spreadsheet evaluates whatever it starts with.
		err = f.SetCellStr(sheet, cell, v)
		style = st.text
		if wrap {
			style = st.wrap
		}
	case accessTime:
		err = f.SetCellValue(sheet, cell, v.t)
		style = st.stamp
		if v.day {
			style = st.day
		}
	case int64:
		err = f.SetCellInt(sheet, cell, v)
		style = st.number
	default:
		return fmt.Errorf("cell %s: unexpected value %T", cell, v)
	}
	if err != nil {
		return err
	}
	return f.SetCellStyle(sheet, cell, cell, style)
}

// splitCellText cuts s into parts of at most xlsxCellLimit UTF-16 units.
// No part after the first starts with a character that makes a spreadsheet
// read a formula (the cut moves back a little instead), so every part is
// the exact text and the parts joined give back s.
func splitCellText(s string) []string {
	var parts []string
	for {
		cut, units := 0, 0
		for i, r := range s {
			n := utf16.RuneLen(r)
			if n < 0 {
				n = 1
			}
			if units+n > xlsxCellLimit {
				cut = i
				break
			}
			units += n
		}
		if cut == 0 {
			return append(parts, s)
		}
		c := cut
		for c > 0 && strings.IndexByte(formulaStarts, s[c]) >= 0 {
			_, size := utf8.DecodeLastRuneInString(s[:c])
			c -= size
		}
		if c > 0 {
			cut = c
		}
		parts = append(parts, s[:cut])
		s = s[cut:]
	}
}
