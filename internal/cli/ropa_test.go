package cli

import (
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/gdprdesk/gdprdesk/exporters"
	"github.com/gdprdesk/gdprdesk/gdpr"
)

// checklistItems reads checklist --json into the measured items by id.
func checklistItems(t *testing.T, dir string) map[string]checklistItemJSON {
	t.Helper()
	r := gdprdesk(t, "checklist", "--json", "--data", dir)
	var out struct {
		Items []checklistItemJSON `json:"items"`
	}
	if r.code != 0 || json.Unmarshal([]byte(r.stdout), &out) != nil {
		t.Fatalf("checklist --json: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	items := map[string]checklistItemJSON{}
	for _, it := range out.Items {
		items[it.ID] = it
	}
	return items
}

// export ropa writes the Art. 30(1) record in the three formats with the
// same values: the header block (controller, representative, DPO) and one
// row per purpose with every (b)–(g) column; the CSV neutralizes a
// formula-like text the workbook holds exactly.
func TestExportROPAArt30(t *testing.T) {
	dir := demoDir(t)
	run := func(args ...string) result {
		t.Helper()
		r := gdprdesk(t, append(args, "--data", dir)...)
		if r.code != 0 {
			t.Fatalf("%v: exit %d %s", args, r.code, r.stderr)
		}
		return r
	}
	run("purpose", "add", "events", "--basis", "legitimate_interests", "--description", "=HYPERLINK(\"http://x\")", "--people", "visitors",
		"--categories", "identity", "--retention", "1 year", "--security", "locked cupboard")
	out := t.TempDir()
	paths := map[string]string{}
	for _, f := range exporters.ROPAFormats {
		paths[f] = filepath.Join(out, "ropa."+f)
		run("export", "ropa", "--format", f, "--out", paths[f])
	}
	if r := gdprdesk(t, "export", "ropa", "--format", "pdf", "--out", filepath.Join(out, "x"), "--data", dir); r.code != 2 {
		t.Errorf("--format pdf: exit %d, want 2", r.code)
	}
	if r := gdprdesk(t, "export", "ropa", "--format", "csv", "--out", paths["csv"], "--data", dir); r.code == 0 {
		t.Error("export ropa over an existing file succeeded")
	}

	wb, err := excelize.OpenFile(paths["xlsx"])
	if err != nil {
		t.Fatal(err)
	}
	defer wb.Close()
	xrows, err := wb.GetRows(wb.GetSheetList()[0])
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(paths["csv"])
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	cr := csv.NewReader(f)
	cr.FieldsPerRecord = -1
	crows, err := cr.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	var js exporters.ROPA
	b, err := os.ReadFile(paths["json"])
	if err != nil || json.Unmarshal(b, &js) != nil {
		t.Fatalf("read the JSON: %v", err)
	}

	// The header block (Art. 30(1)(a)).
	for i, want := range [][]string{
		{"Controller", "Demo Shop GmbH", "Hauptstraße 1, 10115 Berlin, Germany", "hello@demo-shop.example"},
		{"EU representative", "not required: established in DE"},
		{"Data Protection Officer", "Data Protection Office", "", "dpo@demo-shop.example"},
	} {
		row := xrows[i+1]
		for k, w := range want {
			if k >= len(row) || !strings.HasPrefix(row[k], w) {
				t.Errorf("workbook row %d = %q, want %q", i+2, row, want)
				break
			}
		}
	}
	if js.Controller.Name != "Demo Shop GmbH" || js.DPO.Email != "dpo@demo-shop.example" || !strings.Contains(js.RepresentativeNote, "not required") {
		t.Errorf("JSON header: %+v %+v %q", js.Controller, js.DPO, js.RepresentativeNote)
	}
	// The column row, then one row per purpose of the register.
	head := xrows[exporters.ROPAHeaderRow-1]
	for _, col := range []string{"Purpose", "(b)", "Lawful basis", "people (c)", "personal data (c)", "Recipients (d)",
		"third countries and safeguards (e)", "Retention (f)", "Security measures (g)", "Balancing test: outcome"} {
		if !slices.ContainsFunc(head, func(h string) bool { return strings.Contains(h, col) }) {
			t.Errorf("no column %q in %q", col, head)
		}
	}
	var ps struct {
		Purposes []gdpr.Purpose `json:"purposes"`
	}
	if err := json.Unmarshal([]byte(run("purpose", "list", "--json").stdout), &ps); err != nil {
		t.Fatal(err)
	}
	rows := xrows[exporters.ROPAHeaderRow:]
	if len(rows) != len(ps.Purposes) || len(js.Purposes) != len(ps.Purposes) || len(ps.Purposes) != 6 {
		t.Fatalf("%d workbook rows, %d JSON rows, %d purposes; want one each (6)", len(rows), len(js.Purposes), len(ps.Purposes))
	}
	col := func(name string) int {
		return slices.IndexFunc(head, func(h string) bool { return strings.HasPrefix(h, name) })
	}
	for i, p := range ps.Purposes {
		row := rows[i]
		get := func(c string) string {
			if k := col(c); k >= 0 && k < len(row) {
				return row[k]
			}
			return ""
		}
		if get("Purpose") != p.Name || get("Description") != p.Description || get("Lawful basis") != p.Basis.Label() ||
			get("Retention (f)") != p.Retention || get("Security") != p.Security ||
			get("Categories of personal data") != strings.Join(p.DataCategories, ", ") {
			t.Errorf("workbook row of %s = %q", p.Name, row)
		}
		if js.Purposes[i].Name != p.Name || js.Purposes[i].Retention != p.Retention || js.Purposes[i].RetentionDays != p.RetentionDays {
			t.Errorf("JSON row of %s = %+v", p.Name, js.Purposes[i])
		}
		// The CSV carries the same cells; only a formula-like text has a
		// leading "'".
		crow := crows[exporters.ROPAHeaderRow+i]
		for k, v := range row {
			want := v
			if strings.HasPrefix(v, "=") {
				want = "'" + v
			}
			if k >= len(crow) || crow[k] != want {
				t.Errorf("CSV row of %s, column %d = %q, want %q", p.Name, k, crow, want)
				break
			}
		}
		switch p.Name {
		case "orders":
			// (d) with role and country; (e) the US helpdesk with its SCCs.
			if !strings.Contains(get("Recipients"), "TicketDesk Inc. (processor, US)") ||
				!strings.Contains(get("Transfers"), "TicketDesk Inc. (United States): standard contractual clauses (Art. 46(2)(c)) of 2023-09-01") {
				t.Errorf("orders: recipients %q, transfers %q", get("Recipients"), get("Transfers"))
			}
		case "support enquiries":
			if get("Balancing test: outcome") != "passed" || js.Purposes[i].Balancing == nil {
				t.Errorf("support enquiries: balancing test %q / %+v", get("Balancing test: outcome"), js.Purposes[i].Balancing)
			}
		case "events":
			if get("Description") != `=HYPERLINK("http://x")` {
				t.Errorf("the workbook changed the description: %q", get("Description"))
			}
		}
	}
}

// The register items of the checklist follow the data, each naming what
// is missing: ropa-complete (Art. 30(1)), dpa-each-processor (Art.
// 28(3)), transfers-safeguarded (Art. 44–46), lia-recorded (Art.
// 6(1)(f)), dpia-screened (Art. 35); and the access package of a person
// whose data reaches a third country names it and its safeguard (Art.
// 15(2)).
func TestRegisterChecklistItems(t *testing.T) {
	dir := demoDir(t)
	run := func(args ...string) result {
		t.Helper()
		r := gdprdesk(t, append(args, "--data", dir)...)
		if r.code != 0 {
			t.Fatalf("%v: exit %d %s", args, r.code, r.stderr)
		}
		return r
	}
	expect := func(id string, done bool, contains ...string) {
		t.Helper()
		it := checklistItems(t, dir)[id]
		if !it.Measured || (it.State == gdpr.StateDone) != done {
			t.Errorf("%s: %+v, want done %v", id, it, done)
		}
		for _, c := range contains {
			if !strings.Contains(it.Value, c) {
				t.Errorf("%s: value %q, want it to name %q", id, it.Value, c)
			}
		}
	}
	// The demo: the webinar's record lacks its security measures, the
	// parcel service its DPA; the helpdesk in the US has SCCs; the
	// legitimate interest is weighed; the screening is recorded.
	expect("ropa-complete", false, "webinar follow-up (security measures)")
	expect("dpa-each-processor", false, "ParcelGo GmbH")
	expect("transfers-safeguarded", true, "1 recipient outside the EEA")
	expect("lia-recorded", true)
	expect("dpia-screened", true, "DPIA not needed (1 of 9 criteria met: matching)")

	run("purpose", "edit", "webinar follow-up", "--security", "two-factor login")
	run("purpose", "add", "fairs", "--basis", "legitimate_interests", "--description", "meeting people at trade fairs")
	expect("ropa-complete", false, "1 of 6 incomplete: fairs (categories of people, categories of data, retention, security measures)")
	expect("lia-recorded", false, "no complete balancing test: fairs")
	run("purpose", "edit", "fairs", "--people", "visitors", "--categories", "identity,contact details", "--retention", "1 year", "--security", "locked")
	expect("ropa-complete", true, "6 purposes, each complete")

	// A balancing test is refused on a purpose not on legitimate interests.
	r := gdprdesk(t, "purpose", "edit", "orders", "--interest", "x", "--necessity", "y", "--balance", "z", "--outcome", "passed", "--data", dir)
	if r.code != 2 {
		t.Errorf("a balancing test on a contract purpose: exit %d", r.code)
	}
	oneErrorLine(t, r, "not legitimate interests")
	r = gdprdesk(t, "purpose", "edit", "fairs", "--interest", "meeting prospects", "--data", dir)
	if r.code != 2 {
		t.Errorf("half a balancing test: exit %d", r.code)
	}
	oneErrorLine(t, r, "needs its necessity, balance, outcome")
	run("purpose", "edit", "fairs", "--interest", "meeting prospects", "--necessity", "cannot follow up otherwise",
		"--balance", "they handed us their card", "--outcome", "passed", "--safeguards", "an opt-out in every email", "--operator", "owner")
	expect("lia-recorded", true, "2 purposes on legitimate interests")
	var ps struct {
		Purposes []gdpr.Purpose `json:"purposes"`
	}
	if err := json.Unmarshal([]byte(run("purpose", "list", "--json").stdout), &ps); err != nil {
		t.Fatal(err)
	}
	if p, _ := gdpr.FindPurpose(ps.Purposes, "fairs"); p.Balancing == nil || p.Balancing.By != "owner" || p.Balancing.At.IsZero() ||
		p.Balancing.Outcome != gdpr.BalancingPassed || p.Balancing.Notes != "an opt-out in every email" {
		t.Errorf("fairs' balancing test: %+v", p.Balancing)
	}

	// A processor in a third country without a safeguard.
	run("recipient", "add", "CloudCo", "--role", "processor", "--country", "US", "--purposes", "orders")
	expect("transfers-safeguarded", false, "CloudCo in US: no safeguard")
	expect("dpa-each-processor", false, "no signed DPA: CloudCo, ParcelGo GmbH")

	// A customer on contract: their data reaches CloudCo and TicketDesk.
	c := listJSON(t, dir, "basis:contract status:active")
	if len(c.Contacts) == 0 {
		t.Fatal("no contract customer in the demo")
	}
	id := c.Contacts[0].ID.String()
	pkg := func(name string) map[string]any {
		t.Helper()
		path := filepath.Join(t.TempDir(), name)
		run("export", "access", id, "--format", "json", "--out", path)
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		var p struct {
			About struct {
				Recipients []exporters.AccessRecipient `json:"recipients"`
			} `json:"about"`
		}
		if err := json.Unmarshal(b, &p); err != nil {
			t.Fatal(err)
		}
		out := map[string]any{}
		for _, r := range p.About.Recipients {
			out[r.Name] = r
		}
		return out
	}
	got := pkg("before.json")
	cc, ok1 := got["CloudCo"].(exporters.AccessRecipient)
	td, ok2 := got["TicketDesk Inc."].(exporters.AccessRecipient)
	if !ok1 || !ok2 || cc.Country != "US" || !cc.OutsideEEA || cc.Safeguard != "" ||
		td.Country != "US" || td.Safeguard != "scc" || td.SafeguardAt.Format("2006-01-02") != "2023-09-01" {
		t.Errorf("access package recipients: CloudCo %+v, TicketDesk %+v", cc, td)
	}
	run("recipient", "edit", "CloudCo", "--safeguard", "scc")
	expect("transfers-safeguarded", false, "CloudCo in US: standard contractual clauses without their date")
	run("recipient", "edit", "CloudCo", "--safeguard-date", "2025-04-01")
	expect("transfers-safeguarded", true, "2 recipients outside the EEA, each with a safeguard")
	if cc, _ := pkg("after.json")["CloudCo"].(exporters.AccessRecipient); cc.Safeguard != "scc" || cc.SafeguardLabel == "" || cc.CountryName != "United States" {
		t.Errorf("access package after the safeguard: %+v", cc)
	}
}

// dpia screen records the screening against the nine criteria; two or
// more met and "not needed" require the reason (Art. 35, EDPB WP248);
// dpia show --json gives it back; staff cannot record one.
func TestDPIAScreenArt35(t *testing.T) {
	dir := demoDir(t)
	show := func() dpiaJSON {
		t.Helper()
		r := gdprdesk(t, "dpia", "show", "--json", "--data", dir)
		var d dpiaJSON
		if r.code != 0 || json.Unmarshal([]byte(r.stdout), &d) != nil {
			t.Fatalf("dpia show --json: exit %d %s%s", r.code, r.stdout, r.stderr)
		}
		return d
	}
	if d := show(); !d.Recorded || d.Screening.Outcome != gdpr.DPIANotNeeded || strings.Join(d.Met, ",") != "matching" || d.Screening.Why == "" {
		t.Errorf("the demo's screening: %+v", d)
	}
	r := gdprdesk(t, "dpia", "screen", "--criteria", "large-scale,vulnerable", "--outcome", "not-needed", "--data", dir)
	if r.code != 2 {
		t.Errorf("not needed with two criteria and no reason: exit %d", r.code)
	}
	oneErrorLine(t, r, "requires the reason")
	r = gdprdesk(t, "dpia", "screen", "--criteria", "large-scale,telepathy", "--outcome", "needed", "--data", dir)
	if r.code != 2 {
		t.Errorf("an unknown criterion: exit %d", r.code)
	}
	oneErrorLine(t, r, "telepathy")
	newOperator(t, dir, "anna", "staff")
	r = gdprdesk(t, "dpia", "screen", "--criteria", "", "--outcome", "not-needed", "--data", dir, "--operator", "anna")
	if r.code == 0 {
		t.Error("staff recorded a DPIA screening")
	}
	oneErrorLine(t, r, "not allowed")
	r = gdprdesk(t, "dpia", "screen", "--criteria", "large-scale,vulnerable", "--outcome", "needed", "--why", "children's data at scale", "--data", dir, "--operator", "owner")
	if r.code != 0 || !strings.Contains(r.stdout, "DPIA needed (2 of 9 criteria met: large-scale, vulnerable)") {
		t.Fatalf("dpia screen: exit %d %s%s", r.code, r.stdout, r.stderr)
	}
	d := show()
	if !d.Recorded || !d.LikelyNeeded || strings.Join(d.Met, ",") != "large-scale,vulnerable" || d.Screening.By != "owner" || d.Screening.Why != "children's data at scale" {
		t.Errorf("after screening: %+v %+v", d, d.Screening)
	}
	if it := checklistItems(t, dir)["dpia-screened"]; it.State != gdpr.StateDone || !strings.Contains(it.Value, "carry out the DPIA") {
		t.Errorf("dpia-screened: %+v", it)
	}
}

// sweep --retention on the demo lists the contacts whose every purpose
// has lapsed, counted by purpose, and skips the held, restricted and
// open-request ones with the reason (SPEC §9 guards); --apply erases the
// rest, audited, and a second run finds only the skipped ones.
func TestSweepRetention(t *testing.T) {
	dir := demoDir(t)
	type report struct {
		Applied    bool              `json:"applied"`
		Retention  bool              `json:"retention"`
		Contacts   []json.RawMessage `json:"contacts"`
		Candidates int64             `json:"candidates"`
		ByPurpose  map[string]int64  `json:"by_purpose"`
		Anonymized int64             `json:"anonymized"`
		Skipped    []struct {
			Contact gdpr.ContactID `json:"contact"`
			Kind    string         `json:"kind"`
			Reason  string         `json:"reason"`
		} `json:"skipped"`
		SkippedBy map[string]int64 `json:"skipped_by"`
	}
	sweep := func(args ...string) report {
		t.Helper()
		r := gdprdesk(t, append([]string{"sweep", "--retention", "--json", "--data", dir}, args...)...)
		var rep report
		if r.code != 0 || json.Unmarshal([]byte(r.stdout), &rep) != nil {
			t.Fatalf("sweep --retention --json %v: exit %d\n%s%s", args, r.code, r.stdout, r.stderr)
		}
		return rep
	}
	list := sweep()
	if list.Applied || !list.Retention || list.Candidates == 0 || int64(len(list.Contacts)) != list.Candidates || list.ByPurpose["webinar follow-up"] == 0 {
		t.Fatalf("listing: %+v", list)
	}
	for _, kind := range []gdpr.BlockerKind{gdpr.BlockHold, gdpr.BlockRestricted, gdpr.BlockOpenRequest} {
		if list.SkippedBy[string(kind)] == 0 {
			t.Errorf("no lapsed contact skipped as %q: %v", kind, list.SkippedBy)
		}
	}
	// Each candidate names its lapsed purposes; the skipped ones their guard.
	var first struct {
		Contact gdpr.Contact `json:"contact"`
		Lapsed  []gdpr.Lapse `json:"lapsed"`
	}
	if err := json.Unmarshal(list.Contacts[0], &first); err != nil || first.Contact.Email == "" || len(first.Lapsed) == 0 || first.Lapsed[0].Since.IsZero() {
		t.Errorf("first candidate: %+v (%v)", first, err)
	}
	for _, sk := range list.Skipped {
		if sk.Reason == "" || sk.Contact == 0 {
			t.Errorf("a skip without its reason: %+v", sk)
		}
	}
	human := gdprdesk(t, "sweep", "--retention", "--data", dir)
	if human.code != 0 || !strings.Contains(human.stdout, "By lapsed purpose: ") || !strings.Contains(human.stdout, "lapsed: webinar follow-up (consent given ") ||
		!strings.Contains(human.stdout, "Skipped by reason: ") || !strings.Contains(human.stdout, "legal hold 1") {
		t.Errorf("human listing: exit %d\n%s", human.code, human.stdout)
	}

	applied := sweep("--apply")
	skipped := int64(len(list.Skipped))
	if !applied.Applied || applied.Candidates != list.Candidates || applied.Anonymized != list.Candidates-skipped ||
		int64(len(applied.Skipped)) != skipped {
		t.Errorf("apply: %+v; listing had %d candidates, %d skipped", applied, list.Candidates, skipped)
	}
	again := sweep()
	if again.Candidates != skipped || int64(len(again.Skipped)) != skipped {
		t.Errorf("after apply: %d candidates, %d skipped; want only the %d skipped", again.Candidates, len(again.Skipped), skipped)
	}
	// Audited: each erasure, the run, and whom to tell (Art. 19).
	out := filepath.Join(t.TempDir(), "audit.jsonl")
	if r := gdprdesk(t, "audit", "export", "--out", out, "--data", dir); r.code != 0 {
		t.Fatalf("audit export: exit %d %s", r.code, r.stderr)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	log := string(b)
	if n := int64(strings.Count(log, `"contact.anonymize"`)); n < applied.Anonymized {
		t.Errorf("%d erasures audited, want at least %d", n, applied.Anonymized)
	}
	if !strings.Contains(log, "retention sweep finished, "+strconv.FormatInt(applied.Anonymized, 10)+" contacts anonymized") ||
		!strings.Contains(log, "recipients to tell (Art. 19)") {
		t.Error("the retention sweep's run or its Art. 19 record is not in the audit log")
	}
	if r := gdprdesk(t, "audit", "verify", "--data", dir); r.code != 0 {
		t.Errorf("audit verify after the retention sweep: exit %d %s", r.code, r.stderr)
	}
}
