package ui

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/exp/teatest/v2"
	"github.com/gdprdesk/gdprdesk/exporters"
	"github.com/gdprdesk/gdprdesk/gdpr"
	"github.com/gdprdesk/gdprdesk/store"
	"github.com/xuri/excelize/v2"
)

// openDPIA starts the desk on a store and moves to the DPIA section of
// screen 7.
func openDPIA(t *testing.T, s *store.Store, opts ...func(*Options)) *driver {
	t.Helper()
	d := openRegisters(t, s, opts...)
	d.keys("right", "right", "right")
	d.mustShow("[DPIA (")
	return d
}

func dpiaOf(t *testing.T, s *store.Store) (gdpr.DPIAScreening, bool) {
	t.Helper()
	d, ok, err := s.DPIAScreening()
	if err != nil {
		t.Fatal(err)
	}
	return d, ok
}

// The flow in a running program (Art. 35, EDPB WP248): a screening with
// two criteria ticked and "not needed" without a reason is refused by the
// rule book, the form opens again with the reason under it and the ticks
// kept; with the reason it is recorded, shown with its nine criteria, and
// audited as dpia.screen by the operator.
func TestFlowDPIAScreeningNeedsWhyWithTwoCriteriaArt35(t *testing.T) {
	s := openDemo(t, 0)
	setZone(t, s, "Europe/Berlin")
	tm, p := startProgram(t, newTestModel(s), 80, 24)
	p.waitFor(t, tm, "gdprdesk demo")
	for _, k := range []string{"7", "right", "right", "right"} {
		tm.Send(keyMsg(k))
	}
	p.waitFor(t, tm, "No DPIA screening recorded")
	tm.Send(keyMsg("a"))
	p.waitFor(t, tm, "Screen the processing for a DPIA")
	// Ticks 1 and 3 (evaluation, monitoring), then the outcome as it
	// stands (not needed), no why, no notes: in one burst.
	for _, k := range []string{"x", "down", "down", "x", "enter", "enter", "enter", "enter"} {
		tm.Send(keyMsg(k))
	}
	p.waitFor(t, tm, "✗ record the DPIA screening: 2 of the nine criteria are met, so a DPIA is likely")
	p.mu.Lock()
	screen := p.screen
	p.mu.Unlock()
	if !strings.Contains(screen, "Screen the processing for a DPIA") {
		t.Fatalf("the form did not open again:\n%s", screen)
	}
	if _, ok := dpiaOf(t, s); ok {
		t.Fatal("the refused screening was recorded")
	}
	// The ticks are kept: enter goes on to the outcome, then the why.
	for _, k := range []string{"enter", "enter"} {
		tm.Send(keyMsg(k))
	}
	tm.Type("a one-off survey of 40 regulars, no decisions taken on it")
	for _, k := range []string{"enter", "enter"} {
		tm.Send(keyMsg(k))
	}
	p.waitFor(t, tm, "Recorded the screening: DPIA not needed, 2 of 9 criteria met")
	p.waitFor(t, tm, "[DPIA (1)]")
	p.waitFor(t, tm, "✓ 1. evaluation or scoring")
	p.waitFor(t, tm, "2026-11-29 11:00")
	if err := tm.Quit(); err != nil {
		t.Fatal(err)
	}
	tm.WaitFinished(t, teatest.WithFinalTimeout(10*time.Second))

	got, ok := dpiaOf(t, s)
	if !ok || !got.Evaluation || !got.Monitoring || len(got.Met()) != 2 || got.Outcome != gdpr.DPIANotNeeded ||
		got.Why != "a one-off survey of 40 regulars, no decisions taken on it" || got.By != "owner" || !got.At.Equal(testNow) {
		t.Fatalf("stored %+v", got)
	}
	e := lastAudit(t, s, string(gdpr.ActionDPIAScreen))
	if e.Operator != "owner" || !strings.Contains(e.Detail, "2 of 9 criteria met") {
		t.Errorf("audit %+v", e)
	}
	if es, err := s.Audit(store.AuditFilter{Action: string(gdpr.ActionDPIAScreen)}, 0, 10); err != nil || len(es) != 1 {
		t.Errorf("dpia.screen entries: %d, %v (want 1: the refused one is not written)", len(es), err)
	}
}

// c on the recorded screening opens the form over it: its ticks, outcome
// and why; a screening concluding a DPIA is needed is recorded and the
// section says to carry it out.
func TestRegistersDPIAChangeKeepsTheScreening(t *testing.T) {
	s := openDemo(t, 30) // the demo's screening: matching, not needed, with its why
	d := openDPIA(t, s)
	d.mustShow("1 of 9 criteria met", "✓ 6. matching or combining datasets", "· 1. evaluation or scoring")
	d.keys("c")
	d.mustShow("Screen again for a DPIA")
	d.keys("x", "enter") // ticks evaluation as well
	d.keys("right")      // the outcome: needed
	d.keys("enter", "enter", "enter")
	d.mustShow("Recorded the screening: DPIA needed, 2 of 9 criteria met", "! DPIA needed")
	got, _ := dpiaOf(t, s)
	if got.Outcome != gdpr.DPIANeeded || !got.Evaluation || !got.Matching || !strings.HasPrefix(got.Why, "one criterion of nine") {
		t.Fatalf("stored %+v", got)
	}
}

// Staff and viewers read the screening and are told why they cannot
// record one; the refusal is audited and no form opens (SPEC §8: the DPIA
// screening is an admin's).
func TestRegistersDPIARefusedByRole(t *testing.T) {
	for _, role := range []gdpr.Role{gdpr.RoleStaff, gdpr.RoleViewer} {
		t.Run(string(role), func(t *testing.T) {
			s := openDemo(t, 30)
			before, _ := dpiaOf(t, s)
			d := openDPIA(t, s, func(o *Options) { o.Role = role })
			want := "staff cannot record the DPIA screening; ask an admin"
			if role == gdpr.RoleViewer {
				want = "viewers cannot record the DPIA screening"
			}
			d.mustShow("! "+want, "✓ 6. matching")
			d.keys("c")
			if registersOf(d).Capturing() {
				t.Fatalf("c opened a form for %s", role)
			}
			d.mustShow("! " + want)
			if after, _ := dpiaOf(t, s); !after.At.Equal(before.At) || after.Outcome != before.Outcome {
				t.Fatal("the screening changed")
			}
			e := lastAudit(t, s, string(gdpr.ActionAccessRefused))
			if !strings.Contains(e.Detail, string(gdpr.ActionDPIAScreen)) {
				t.Errorf("refusal audited as %q, want %s", e.Detail, gdpr.ActionDPIAScreen)
			}
		})
	}
}

// e writes the records of processing (Art. 30(1)) from any section into
// the exports folder: xlsx by default, one row per purpose under the
// column row; a second export never overwrites the first; csv is one
// choice down. Every role may, as the records hold no customer's data.
func TestRegistersExportROPA(t *testing.T) {
	s := openDemo(t, 30)
	dir := t.TempDir()
	d := openDPIA(t, s, func(o *Options) { o.ExportDir = dir; o.Role = gdpr.RoleViewer })
	d.keys("e")
	d.mustShow("Export the records of processing", "xlsx", "csv", "json")
	d.keys("enter")
	first := filepath.Join(dir, "ropa-2026-11-29.xlsx")
	d.mustShow("✓ Wrote " + first)
	f, err := excelize.OpenFile(first)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := f.GetRows(f.GetSheetName(0))
	if err != nil {
		t.Fatal(err)
	}
	ps, err := s.Purposes()
	if err != nil {
		t.Fatal(err)
	}
	if len(ps) == 0 || len(rows) != exporters.ROPAHeaderRow+len(ps) {
		t.Fatalf("%d rows, want %d header rows and one per purpose (%d)", len(rows), exporters.ROPAHeaderRow, len(ps))
	}
	for i, p := range ps {
		if got := rows[exporters.ROPAHeaderRow+i][0]; got != p.Name {
			t.Errorf("row %d names %q, want the purpose %q", exporters.ROPAHeaderRow+i+1, got, p.Name)
		}
	}
	before, err := os.ReadFile(first)
	if err != nil {
		t.Fatal(err)
	}

	d.keys("left", "e", "enter") // from the breaches section, again
	d.mustShow("✓ Wrote " + filepath.Join(dir, "ropa-2026-11-29-2.xlsx"))
	if after, err := os.ReadFile(first); err != nil || string(after) != string(before) {
		t.Fatal("the first export was overwritten")
	}
	d.keys("e", "down", "enter")
	d.mustShow("✓ Wrote " + filepath.Join(dir, "ropa-2026-11-29.csv"))
	csv, err := os.ReadFile(filepath.Join(dir, "ropa-2026-11-29.csv"))
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(strings.TrimSpace(string(csv)), "\n") + 1; n != exporters.ROPAHeaderRow+len(ps) {
		t.Errorf("the CSV has %d lines, want %d", n, exporters.ROPAHeaderRow+len(ps))
	}
	var help []string
	for _, h := range registersOf(d).Help() {
		help = append(help, h.Help().Key+" "+h.Help().Desc)
	}
	if !strings.Contains(strings.Join(help, "|"), "e export records of processing") {
		t.Errorf("help lacks e: %v", help)
	}
}

// The checklist's dpia-screened item is fixed on screen 7: f opens the
// DPIA section there.
func TestChecklistDPIAFixOpensRegister(t *testing.T) {
	s := openDemo(t, 0)
	d := drive(t, newTestModel(s), 100, 30)
	d.keys("4")
	d.mustShow("applicable items done")
	cl := d.m.screens[tabChecklist].(*checklist)
	found := false
	for i, it := range cl.items {
		if it.ID == "dpia-screened" {
			cl.cur.sel, found = i, true
		}
	}
	if !found {
		t.Fatal("no dpia-screened item")
	}
	d.send(changedMsg{})
	d.mustShow("f opens the DPIA screening (screen 7)")
	d.keys("f")
	d.mustShow("[DPIA (0)]", "No DPIA screening recorded")
}
