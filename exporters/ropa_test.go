package exporters

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/gdprdesk/gdprdesk/gdpr"
)

// The records of processing (Art. 30(1)): the header block names the
// controller, the representative and the DPO ((a)); each purpose's row
// names its recipients with role and country ((d)) and, outside the EEA,
// each transfer's safeguard or its absence ((e)); the three formats carry
// the same cells, the CSV's neutralized.
func TestROPAArt30(t *testing.T) {
	now := time.Date(2026, 12, 1, 9, 30, 0, 0, time.UTC)
	st := gdpr.Settings{Establishment: "US", Controller: gdpr.Person{Name: "Shop Inc", Address: "1 Main St", Email: "hi@shop.example"},
		EURep: gdpr.Person{Name: "Rep GmbH", Email: "rep@rep.example"}, DPO: gdpr.Person{Name: "Dana", Email: "dpo@shop.example"}}
	purposes := []gdpr.Purpose{
		{Name: "orders", Description: "=SUM(A1)", Basis: gdpr.BasisContract, PeopleCategories: []string{"customers"},
			DataCategories: []string{"identity", "billing"}, Recipients: []string{"Printer Co"}, Retention: "2 years", RetentionDays: 730, Security: "2FA"},
		{Name: "support", Basis: gdpr.BasisLegitimateInterests, Balancing: &gdpr.BalancingTest{Interest: "i", Necessity: "n", Balance: "b", Outcome: "passed",
			Notes: "an opt-out in every answer", At: now, By: "owner"}},
	}
	recipients := []gdpr.Recipient{
		{Name: "CloudCo", Role: gdpr.RecipientProcessor, Country: "US", Purposes: []string{"orders"}},
		{Name: "Host AG", Role: gdpr.RecipientProcessor, Country: "CH", Purposes: []string{"orders", "support"}, Safeguard: gdpr.SafeguardAdequacy},
		{Name: "Mailer", Role: gdpr.RecipientProcessor, Country: "IE", Purposes: []string{"support"}},
	}
	r := BuildROPA(st, purposes, recipients, now)
	if r.RepresentativeNote != "" || r.Representative.Name != "Rep GmbH" || len(r.Purposes) != 2 {
		t.Fatalf("ROPA: %+v", r)
	}
	cells := r.Purposes[0].cells()
	if cells[6] != "CloudCo (processor, US); Host AG (processor, CH); Printer Co (not in the recipients register)" {
		t.Errorf("recipients (d) = %q", cells[6])
	}
	if cells[7] != "CloudCo (United States): no safeguard recorded; Host AG (Switzerland): adequacy decision (Art. 45)" {
		t.Errorf("transfers (e) = %q", cells[7])
	}
	if got := r.Purposes[1].cells(); got[7] != "Host AG (Switzerland): adequacy decision (Art. 45)" || got[14] != "passed" || got[15] != "an opt-out in every answer" || got[16] != "2026-12-01" || got[17] != "owner" {
		t.Errorf("support row = %q", got)
	}

	var x, c, j bytes.Buffer
	for _, w := range []struct {
		format string
		buf    *bytes.Buffer
	}{{FormatXLSX, &x}, {FormatCSV, &c}, {FormatJSON, &j}} {
		if err := WriteROPA(w.buf, r, w.format); err != nil {
			t.Fatalf("%s: %v", w.format, err)
		}
	}
	if err := WriteROPA(&bytes.Buffer{}, r, "pdf"); err == nil {
		t.Error("WriteROPA accepted pdf")
	}
	wb, err := excelize.OpenReader(&x)
	if err != nil {
		t.Fatal(err)
	}
	defer wb.Close()
	xrows, err := wb.GetRows(ropaSheet)
	if err != nil {
		t.Fatal(err)
	}
	cr := csv.NewReader(&c)
	cr.FieldsPerRecord = -1
	crows, err := cr.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(xrows) != ROPAHeaderRow+2 || len(crows) != len(xrows) {
		t.Fatalf("%d workbook rows, %d CSV rows; want %d", len(xrows), len(crows), ROPAHeaderRow+2)
	}
	if strings.Join(xrows[1], "|") != "Controller (Art. 30(1)(a))|Shop Inc|1 Main St|hi@shop.example" ||
		strings.Join(xrows[2][:2], "|") != "EU representative (Art. 27)|Rep GmbH" {
		t.Errorf("header block = %q / %q", xrows[1], xrows[2])
	}
	if strings.Join(xrows[ROPAHeaderRow-1], "|") != strings.Join(ropaColumns, "|") {
		t.Errorf("column row = %q", xrows[ROPAHeaderRow-1])
	}
	for i := range xrows {
		for k, v := range xrows[i] {
			if want := Neutralize(v); k >= len(crows[i]) || crows[i][k] != want {
				t.Errorf("row %d column %d: workbook %q, CSV %q", i+1, k+1, v, crows[i])
				break
			}
		}
	}
	if xrows[ROPAHeaderRow][1] != "=SUM(A1)" || crows[ROPAHeaderRow][1] != "'=SUM(A1)" {
		t.Errorf("description: workbook %q, CSV %q", xrows[ROPAHeaderRow][1], crows[ROPAHeaderRow][1])
	}
	var back ROPA
	if err := json.Unmarshal(j.Bytes(), &back); err != nil || back.Schema != ROPASchema || back.Purposes[0].Description != "=SUM(A1)" ||
		!back.Purposes[0].Recipients[0].OutsideEEA || back.Purposes[0].Recipients[0].Safeguard != "" || back.Purposes[1].Balancing.Outcome != "passed" {
		t.Errorf("JSON: %+v (%v)", back, err)
	}
}
