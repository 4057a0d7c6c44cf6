package cli

import (
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gdprdesk/gdprdesk/exporters"
	"github.com/gdprdesk/gdprdesk/gdpr"
)

// The findings of the data-protection review of the registers (issue
// #21), from the commands that showed them.

func reviewRun(t *testing.T, dir string, args ...string) result {
	t.Helper()
	r := gdprdesk(t, append(args, "--data", dir)...)
	if r.code != 0 {
		t.Fatalf("%v: exit %d %s", args, r.code, r.stderr)
	}
	return r
}

// TestPurposeBalancingFailedIsNotDoneArt6_1f: the outcome is passed or
// failed; free text is refused; a failed test is recorded with a warning,
// lia-recorded goes to-do naming the purpose, and the ROPA says failed.
func TestPurposeBalancingFailedIsNotDoneArt6_1f(t *testing.T) {
	dir := demoDir(t)
	r := gdprdesk(t, "purpose", "edit", "support enquiries", "--outcome", "failed: the people's interests override ours", "--data", dir)
	if r.code != 2 {
		t.Errorf("free-text outcome: exit %d, want 2", r.code)
	}
	oneErrorLine(t, r, "use passed or failed")
	r = reviewRun(t, dir, "purpose", "edit", "support enquiries", "--outcome", "failed", "--safeguards", "the people's interests override ours")
	if !strings.Contains(r.stderr, "warning: the balancing test of support enquiries failed") {
		t.Errorf("recording a failed test did not warn: %q", r.stderr)
	}
	it := checklistItems(t, dir)["lia-recorded"]
	if it.State == gdpr.StateDone || !strings.Contains(it.Value, "legitimate interests cannot be relied on: support enquiries") {
		t.Errorf("lia-recorded after a failed test: %+v", it)
	}
	path := filepath.Join(t.TempDir(), "ropa.csv")
	reviewRun(t, dir, "export", "ropa", "--format", "csv", "--out", path)
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	cr := csv.NewReader(f)
	cr.FieldsPerRecord = -1
	rows, err := cr.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	var header []string
	found := false
	for _, row := range rows {
		if i := slices.Index(row, "Balancing test: outcome (passed/failed)"); i >= 0 {
			header = row
		}
		if header != nil && len(row) == len(header) && row[0] == "support enquiries" {
			i := slices.Index(header, "Balancing test: outcome (passed/failed)")
			j := slices.Index(header, "Balancing test: safeguards and notes")
			found = row[i] == "failed" && j >= 0 && row[j] == "the people's interests override ours"
		}
	}
	if !found {
		t.Errorf("the ROPA's support enquiries row does not say failed with its notes:\n%v", rows)
	}
	reviewRun(t, dir, "purpose", "edit", "support enquiries", "--outcome", "passed")
	if it := checklistItems(t, dir)["lia-recorded"]; it.State != gdpr.StateDone {
		t.Errorf("lia-recorded after a passed test: %+v", it)
	}
}

// TestTagAgainRenewsTheBasisArt5_1e: tagging a basis a contact already
// holds (a new order) renews its date, so the retention clock restarts;
// the report says so.
func TestTagAgainRenewsTheBasisArt5_1e(t *testing.T) {
	dir := demoDir(t)
	before := listJSON(t, dir, "basis:contract status:active")
	if len(before.Contacts) == 0 {
		t.Fatal("no contract customer in the demo")
	}
	c := before.Contacts[0]
	var old time.Time
	for _, b := range c.Bases {
		if b.Basis == gdpr.BasisContract {
			old = b.At
		}
	}
	r := reviewRun(t, dir, "tag", "--query", "basis:contract status:active "+c.Email, "--basis", "contract", "--evidence", "order 2")
	if !strings.Contains(r.stdout, "on 0 contact(s); 1 already had it (its date renewed)") {
		t.Errorf("tag again said %q", r.stdout)
	}
	for _, x := range listJSON(t, dir, c.Email).Contacts {
		if x.ID != c.ID {
			continue
		}
		for _, b := range x.Bases {
			if b.Basis == gdpr.BasisContract && !b.At.After(old) {
				t.Errorf("contract basis of %s still dated %s (was %s), want renewed", x.ID, b.At, old)
			}
		}
	}
}

// TestSweepRetentionKeepsALiveBasisArt5_1e: a lapsed webinar attendee who
// now holds a basis no purpose covers (vital interests, recorded today)
// is no longer listed by the retention sweep.
func TestSweepRetentionKeepsALiveBasisArt5_1e(t *testing.T) {
	dir := demoDir(t)
	type report struct {
		Contacts []struct {
			Contact gdpr.Contact `json:"contact"`
		} `json:"contacts"`
	}
	sweep := func() report {
		t.Helper()
		var rep report
		if err := json.Unmarshal([]byte(reviewRun(t, dir, "sweep", "--retention", "--json").stdout), &rep); err != nil {
			t.Fatal(err)
		}
		return rep
	}
	list := sweep()
	if len(list.Contacts) == 0 {
		t.Fatal("no retention candidate in the demo")
	}
	c := list.Contacts[0].Contact
	reviewRun(t, dir, "tag", "--query", c.Email, "--basis", "vital_interests", "--evidence", "medical emergency at the shop")
	for _, x := range sweep().Contacts {
		if x.Contact.ID == c.ID {
			t.Errorf("%s holds vital interests recorded today but is still listed to erase", c.ID)
		}
	}
}

// TestRecipientTransfersArt45Art49: adequacy only for a country with a
// Commission decision; a processor on an Art. 49 derogation is a gap.
func TestRecipientTransfersArt45Art49(t *testing.T) {
	dir := demoDir(t)
	r := gdprdesk(t, "recipient", "add", "CloudCN", "--role", "processor", "--country", "CN", "--safeguard", "adequacy", "--data", dir)
	if r.code != 2 {
		t.Errorf("adequacy for CN: exit %d, want 2", r.code)
	}
	oneErrorLine(t, r, "no adequacy decision for CN")
	reviewRun(t, dir, "recipient", "add", "CloudUS", "--role", "processor", "--country", "US", "--safeguard", "adequacy")
	if it := checklistItems(t, dir)["transfers-safeguarded"]; it.State != gdpr.StateDone {
		t.Errorf("transfers-safeguarded with US adequacy: %+v", it)
	}
	reviewRun(t, dir, "recipient", "add", "AgencyIN", "--role", "processor", "--country", "IN", "--safeguard", "derogation")
	if it := checklistItems(t, dir)["transfers-safeguarded"]; it.State == gdpr.StateDone || !strings.Contains(it.Value, "AgencyIN in IN: a processor's routine transfers cannot rest on an Art. 49 derogation") {
		t.Errorf("transfers-safeguarded with a processor on a derogation: %+v", it)
	}
}

// TestPurposeRecipientsInTheAccessPackageArt15_1c: a purpose names only
// recipients of the register, and a recipient named by the purpose alone
// is in the person's access package.
func TestPurposeRecipientsInTheAccessPackageArt15_1c(t *testing.T) {
	dir := demoDir(t)
	r := gdprdesk(t, "purpose", "edit", "orders", "--recipients", "PayWell,Ghost Ltd", "--data", dir)
	if r.code != 2 {
		t.Errorf("a recipient not in the register: exit %d, want 2", r.code)
	}
	oneErrorLine(t, r, `no recipient "Ghost Ltd" in the register`)
	reviewRun(t, dir, "recipient", "add", "Kanzlei Recht", "--role", "controller", "--country", "DE")
	reviewRun(t, dir, "purpose", "edit", "orders", "--recipients", "PayWell,ParcelGo GmbH,TicketDesk Inc.,kanzlei recht")
	c := listJSON(t, dir, "basis:contract status:active")
	if len(c.Contacts) == 0 {
		t.Fatal("no contract customer in the demo")
	}
	path := filepath.Join(t.TempDir(), "access.json")
	reviewRun(t, dir, "export", "access", c.Contacts[0].ID.String(), "--format", "json", "--out", path)
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
	if !slices.ContainsFunc(p.About.Recipients, func(r exporters.AccessRecipient) bool { return r.Name == "Kanzlei Recht" }) {
		t.Errorf("the access package does not name Kanzlei Recht, which the orders purpose names: %+v", p.About.Recipients)
	}
}

// TestROPACompleteNeedsTheControllerArt30_1a: without the controller's
// name ropa-complete is to-do and says so.
func TestROPACompleteNeedsTheControllerArt30_1a(t *testing.T) {
	dir := demoDir(t)
	reviewRun(t, dir, "purpose", "edit", "webinar follow-up", "--security", "two-factor login")
	if it := checklistItems(t, dir)["ropa-complete"]; it.State != gdpr.StateDone {
		t.Fatalf("ropa-complete on the completed demo: %+v", it)
	}
	reviewRun(t, dir, "settings", "set", "controller-name", "")
	if it := checklistItems(t, dir)["ropa-complete"]; it.State == gdpr.StateDone || !strings.Contains(it.Value, "Art. 30(1)(a): controller name") {
		t.Errorf("ropa-complete without a controller name: %+v", it)
	}
}

// TestFutureDatesRefusedArt28_3: a DPA signed, a safeguard dated, a person
// told of an extension, after today, are refused.
func TestFutureDatesRefusedArt28_3(t *testing.T) {
	dir := demoDir(t)
	future := time.Now().AddDate(1, 0, 0).Format(time.DateOnly)
	for _, args := range [][]string{
		{"recipient", "edit", "ParcelGo GmbH", "--dpa-signed", future},
		{"recipient", "edit", "TicketDesk Inc.", "--safeguard-date", future},
	} {
		r := gdprdesk(t, append(args, "--data", dir)...)
		if r.code != 2 {
			t.Errorf("%v: exit %d, want 2", args, r.code)
		}
		oneErrorLine(t, r, "is in the future")
	}
	if it := checklistItems(t, dir)["dpa-each-processor"]; it.State == gdpr.StateDone {
		t.Errorf("dpa-each-processor after a refused future date: %+v", it)
	}
	r := reviewRun(t, dir, "request", "add", "--type", "access", "--contact", "C5", "--channel", "email")
	id := strings.Fields(r.stdout)[0]
	if !strings.HasPrefix(id, "R") {
		t.Fatalf("request add said %q", r.stdout)
	}
	r = gdprdesk(t, "request", "extend", id, "--reason", "many accounts", "--told", time.Now().AddDate(0, 0, 9).Format(time.DateOnly), "--data", dir)
	if r.code == 0 {
		t.Errorf("request extend told in 9 days: exit 0, want refused")
	}
	if !strings.Contains(r.stderr, "in the future") {
		t.Errorf("request extend told in the future: %q", r.stderr)
	}
}
