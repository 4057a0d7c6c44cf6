package exporters

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/gdprdesk/gdprdesk/gdpr"
)

// ROPASchema names the layout of the records of processing in JSON.
const ROPASchema = "gdprdesk.ropa/v1"

// ROPA is the record of processing activities of Art. 30(1): who the
// controller is, with its representative and DPO ((a)), then one row per
// purpose of the register with (b) the purpose, (c) the categories of
// people and of data, (d) the recipients, (e) the transfers outside the
// EEA with each one's safeguard, (f) the retention and (g) the security
// measures; with the lawful basis and, for legitimate interests, the
// balancing test. It holds no personal data of customers.
type ROPA struct {
	Schema        string      `json:"schema"`
	GeneratedAt   time.Time   `json:"generated_at"`
	Controller    gdpr.Person `json:"controller"`
	Establishment string      `json:"establishment,omitempty"` // ISO country of the controller's establishment
	// Representative is the EU representative (Art. 27); RepresentativeNote
	// says why none is named when one is not required.
	Representative     gdpr.Person `json:"representative"`
	RepresentativeNote string      `json:"representative_note,omitempty"`
	DPO                gdpr.Person `json:"dpo"`
	Purposes           []ROPARow   `json:"purposes"`
}

// ROPARecipient is a recipient of a purpose's data (Art. 30(1)(d)), with
// where the data goes and, outside the EEA, the transfer's safeguard
// (Art. 30(1)(e), Art. 46).
type ROPARecipient struct {
	Name           string    `json:"name"`
	Role           string    `json:"role"`
	Country        string    `json:"country"`
	CountryName    string    `json:"country_name"`
	OutsideEEA     bool      `json:"outside_eea"`
	Safeguard      string    `json:"safeguard,omitempty"`
	SafeguardLabel string    `json:"safeguard_label,omitempty"`
	SafeguardAt    time.Time `json:"safeguard_at,omitzero"`
	// InRegister is false for a name the purpose lists that the
	// recipients register does not hold.
	InRegister bool `json:"in_register"`
}

// ROPARow is one purpose of the records of processing.
type ROPARow struct {
	Name             string              `json:"name"`
	Description      string              `json:"description"`
	Basis            gdpr.Basis          `json:"basis"`
	BasisLabel       string              `json:"basis_label"`
	Marketing        bool                `json:"marketing"`
	PeopleCategories []string            `json:"people_categories"`
	DataCategories   []string            `json:"data_categories"`
	Recipients       []ROPARecipient     `json:"recipients"`
	TransfersNote    string              `json:"transfers_note,omitempty"` // the purpose's own words on transfers
	Retention        string              `json:"retention"`
	RetentionDays    int                 `json:"retention_days"`
	Security         string              `json:"security"`
	Balancing        *gdpr.BalancingTest `json:"balancing,omitempty"` // legitimate interests only
}

// BuildROPA assembles the record from the settings and the registers. A
// purpose's recipients are those of the register that serve it, and any
// other name the purpose itself lists.
func BuildROPA(st gdpr.Settings, purposes []gdpr.Purpose, recipients []gdpr.Recipient, now time.Time) ROPA {
	r := ROPA{Schema: ROPASchema, GeneratedAt: now.UTC().Truncate(time.Second), Controller: st.Controller,
		Establishment: st.Establishment, Representative: st.EURep, DPO: st.DPO, Purposes: []ROPARow{}}
	if st.EstablishedInEEA() && !st.EURep.Filled() {
		r.RepresentativeNote = "not required: established in " + st.Establishment + " (EU/EEA), Art. 27(1)"
	}
	for _, p := range purposes {
		row := ROPARow{Name: p.Name, Description: p.Description, Basis: p.Basis, BasisLabel: p.Basis.Label(), Marketing: p.Marketing,
			PeopleCategories: nonNil(p.PeopleCategories), DataCategories: nonNil(p.DataCategories), Recipients: []ROPARecipient{},
			TransfersNote: p.Transfers, Retention: p.Retention, RetentionDays: p.RetentionDays, Security: p.Security}
		if p.Basis == gdpr.BasisLegitimateInterests {
			row.Balancing = p.Balancing
		}
		seen := map[string]bool{}
		for _, rc := range recipients {
			if gdpr.Serves(rc, p) {
				seen[strings.ToLower(rc.Name)] = true
				row.Recipients = append(row.Recipients, ropaRecipient(rc))
			}
		}
		for _, name := range p.Recipients {
			if seen[strings.ToLower(strings.TrimSpace(name))] {
				continue
			}
			if rc, ok := gdpr.FindRecipient(recipients, name); ok {
				seen[strings.ToLower(rc.Name)] = true
				row.Recipients = append(row.Recipients, ropaRecipient(rc))
				continue
			}
			row.Recipients = append(row.Recipients, ROPARecipient{Name: strings.TrimSpace(name)})
		}
		r.Purposes = append(r.Purposes, row)
	}
	return r
}

func ropaRecipient(r gdpr.Recipient) ROPARecipient {
	out := ROPARecipient{Name: r.Name, Role: string(r.Role), Country: r.Country, CountryName: gdpr.CountryName(r.Country),
		OutsideEEA: r.ThirdCountry(), InRegister: true}
	if out.OutsideEEA && r.Safeguard != "" {
		out.Safeguard, out.SafeguardLabel, out.SafeguardAt = string(r.Safeguard), r.SafeguardLabel(), r.SafeguardAt.UTC()
	}
	return out
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// ropaColumns are the columns of a purpose row, named with the point of
// Art. 30(1) each answers.
var ropaColumns = []string{
	"Purpose", "Description (Art. 30(1)(b))", "Lawful basis (Art. 6(1))", "Direct marketing",
	"Categories of people (c)", "Categories of personal data (c)", "Recipients (d)",
	"Transfers to third countries and safeguards (e)", "Retention (f)", "Retention days (sweep)",
	"Security measures (g)", "Balancing test: interest (Art. 6(1)(f))", "Balancing test: necessity",
	"Balancing test: balance", "Balancing test: outcome (passed/failed)", "Balancing test: safeguards and notes",
	"Balancing test: date", "Balancing test: by",
}

// cells are a row's values as text, in ropaColumns' order.
func (row ROPARow) cells() []string {
	var recips, transfers []string
	for _, r := range row.Recipients {
		if !r.InRegister {
			recips = append(recips, r.Name+" (not in the recipients register)")
			continue
		}
		recips = append(recips, fmt.Sprintf("%s (%s, %s)", r.Name, r.Role, orDash(r.Country)))
		if r.OutsideEEA {
			t := r.Name + " (" + r.CountryName + "): "
			switch {
			case r.Safeguard == "":
				t += "no safeguard recorded"
			case r.SafeguardAt.IsZero():
				t += r.SafeguardLabel
			default:
				t += r.SafeguardLabel + " of " + r.SafeguardAt.Format(time.DateOnly)
			}
			transfers = append(transfers, t)
		}
	}
	tr := "none"
	if len(transfers) > 0 {
		tr = strings.Join(transfers, "; ")
	}
	if row.TransfersNote != "" {
		tr += " — " + row.TransfersNote
	}
	marketing := "no"
	if row.Marketing {
		marketing = "yes"
	}
	days := ""
	if row.RetentionDays > 0 {
		days = strconv.Itoa(row.RetentionDays)
	}
	out := []string{row.Name, row.Description, row.BasisLabel, marketing, strings.Join(row.PeopleCategories, ", "),
		strings.Join(row.DataCategories, ", "), strings.Join(recips, "; "), tr, row.Retention, days, row.Security}
	if b := row.Balancing; b != nil {
		at := ""
		if !b.At.IsZero() {
			at = b.At.UTC().Format(time.DateOnly)
		}
		outcome := string(b.Outcome)
		if outcome == "" {
			outcome = "needs review"
		}
		out = append(out, b.Interest, b.Necessity, b.Balance, outcome, b.Notes, at, b.By)
	} else {
		out = append(out, "", "", "", "", "", "", "")
	}
	return out
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// headerRows are the block above the purposes (Art. 30(1)(a)): a title,
// then a row each for the controller, the representative and the DPO —
// label, name, postal address, email — the time it was written, and a
// line that introduces the purposes.
func (r ROPA) headerRows() [][]string {
	person := func(label string, p gdpr.Person, note string) []string {
		if !p.Filled() && note != "" {
			return []string{label, note, "", ""}
		}
		return []string{label, p.Name, p.Address, p.Email}
	}
	return [][]string{
		{"Records of processing activities (Art. 30(1) GDPR)", "name", "address", "email"},
		person("Controller (Art. 30(1)(a))", r.Controller, ""),
		person("EU representative (Art. 27)", r.Representative, r.RepresentativeNote),
		person("Data Protection Officer (Art. 37)", r.DPO, ""),
		{"Written", r.GeneratedAt.Format(time.RFC3339), "", ""},
		// Not empty: CSV readers skip an empty line, and the rows must
		// stay where ROPAHeaderRow says in every format.
		{"Processing activities (Art. 30(1)(b)–(g)): one row per purpose below"},
	}
}

// WriteROPAJSON writes the record as one JSON document, values exactly as
// held.
func WriteROPAJSON(w io.Writer, r ROPA) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(r); err != nil {
		return fmt.Errorf("write the records of processing: %w", err)
	}
	return nil
}

// WriteROPACSV writes the record as one CSV table: the header block of
// headerRows (rows 1–5 of four cells: title, controller, representative,
// DPO, time written; row 6 a line introducing the purposes), the column
// row of ropaColumns (row ROPAHeaderRow), then one row per purpose. Every cell is neutralized (Neutralize), since people
// open it in a spreadsheet.
func WriteROPACSV(w io.Writer, r ROPA) error {
	cw := csv.NewWriter(w)
	rows := r.headerRows()
	rows = append(rows, ropaColumns)
	for _, p := range r.Purposes {
		rows = append(rows, p.cells())
	}
	for _, row := range rows {
		out := make([]string, len(row))
		for i, v := range row {
			out[i] = Neutralize(v)
		}
		if err := cw.Write(out); err != nil {
			return fmt.Errorf("write the records of processing: %w", err)
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("write the records of processing: %w", err)
	}
	return nil
}

// ropaSheet is the name of the workbook's one sheet.
const ropaSheet = "Records of processing"

// ROPAHeaderRow is the row of the workbook (and of the CSV) that names the
// columns of the purposes, below the header block.
const ROPAHeaderRow = 7

// WriteROPAXLSX writes the record as a workbook of one sheet in the CSV's
// layout: the header block in rows 1–6 (labels bold), the column row at
// ROPAHeaderRow (bold, shaded, frozen), one row per purpose below. Every
// text is a string cell holding the exact value.
func WriteROPAXLSX(w io.Writer, r ROPA) error {
	f := excelize.NewFile()
	defer f.Close()
	if err := writeROPASheet(f, r); err != nil {
		return fmt.Errorf("write the records of processing workbook: %w", err)
	}
	if err := f.Write(w); err != nil {
		return fmt.Errorf("write the records of processing workbook: %w", err)
	}
	return nil
}

func writeROPASheet(f *excelize.File, r ROPA) error {
	if err := f.SetSheetName("Sheet1", ropaSheet); err != nil {
		return err
	}
	bold, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}, Alignment: &excelize.Alignment{Vertical: "top"}})
	if err != nil {
		return err
	}
	header, err := f.NewStyle(&excelize.Style{
		Font:      &excelize.Font{Bold: true},
		Fill:      excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"DDEBF7"}},
		Border:    []excelize.Border{{Type: "bottom", Color: "8EA9DB", Style: 1}},
		Alignment: &excelize.Alignment{Vertical: "center", WrapText: true},
	})
	if err != nil {
		return err
	}
	wrap, err := f.NewStyle(&excelize.Style{Alignment: &excelize.Alignment{Vertical: "top", WrapText: true}})
	if err != nil {
		return err
	}
	put := func(row int, values []string) error {
		for i, v := range values {
			cell, err := excelize.CoordinatesToCellName(i+1, row)
			if err != nil {
				return err
			}
			if err := f.SetCellStr(ropaSheet, cell, v); err != nil {
				return err
			}
		}
		return nil
	}
	for i, row := range r.headerRows() {
		if err := put(i+1, row); err != nil {
			return err
		}
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		if err := f.SetCellStyle(ropaSheet, cell, cell, bold); err != nil {
			return err
		}
	}
	if err := put(ROPAHeaderRow, ropaColumns); err != nil {
		return err
	}
	last, _ := excelize.CoordinatesToCellName(len(ropaColumns), ROPAHeaderRow)
	if err := f.SetCellStyle(ropaSheet, "A"+strconv.Itoa(ROPAHeaderRow), last, header); err != nil {
		return err
	}
	for i, p := range r.Purposes {
		row := ROPAHeaderRow + 1 + i
		if err := put(row, p.cells()); err != nil {
			return err
		}
		end, _ := excelize.CoordinatesToCellName(len(ropaColumns), row)
		if err := f.SetCellStyle(ropaSheet, "A"+strconv.Itoa(row), end, wrap); err != nil {
			return err
		}
	}
	lastCol, _ := excelize.ColumnNumberToName(len(ropaColumns))
	if err := f.SetColWidth(ropaSheet, "A", "A", 34); err != nil {
		return err
	}
	if err := f.SetColWidth(ropaSheet, "B", lastCol, 30); err != nil {
		return err
	}
	top := "A" + strconv.Itoa(ROPAHeaderRow+1)
	return f.SetPanes(ropaSheet, &excelize.Panes{Freeze: true, YSplit: ROPAHeaderRow, TopLeftCell: top, ActivePane: "bottomLeft",
		Selection: []excelize.Selection{{SQRef: top, ActiveCell: top, Pane: "bottomLeft"}}})
}

// ROPAFormats are the formats of the records of processing.
var ROPAFormats = []string{FormatXLSX, FormatCSV, FormatJSON}

// WriteROPA writes the record in a format of ROPAFormats.
func WriteROPA(w io.Writer, r ROPA, format string) error {
	switch format {
	case FormatXLSX:
		return WriteROPAXLSX(w, r)
	case FormatCSV:
		return WriteROPACSV(w, r)
	case FormatJSON:
		return WriteROPAJSON(w, r)
	}
	return fmt.Errorf("unknown format %q for the records of processing: use xlsx, csv or json", format)
}
