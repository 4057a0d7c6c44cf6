package cli

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gdprdesk/gdprdesk/gdpr"
)

func TestAnonymizeRefusesAnObligation(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "D")
	file := filepath.Join(t.TempDir(), "c.csv")
	if err := os.WriteFile(file, []byte("email,balance_cents\ndebtor@example.com,5000\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, r := importJSON(t, dir, file); r.code != 0 {
		t.Fatalf("import: %s", r.stderr)
	}
	r := gdprdesk(t, "anonymize", "debtor@example.com", "--data", dir)
	if r.code != exitFailure {
		t.Errorf("exit %d, want 1", r.code)
	}
	oneErrorLine(t, r, "50.00")
	if r := gdprdesk(t, "anonymize", "debtor@example.com", "--data", dir, "--override-reason", "written off"); r.code != 0 {
		t.Errorf("with override: exit %d: %s", r.code, r.stderr)
	}
}

func TestSweepErasesEUContactsWithoutBasisAndIsResumable(t *testing.T) {
	dir := demoDir(t)
	set := gdpr.WithoutBasisQuery(gdpr.Settings{}).String()
	before := int64(listJSON(t, dir, set).Count)
	erasedBefore := listJSON(t, dir, "status:anonymized").Count
	var list sweepJSON
	r := gdprdesk(t, "sweep", "--data", dir, "--json")
	if err := json.Unmarshal([]byte(r.stdout), &list); err != nil || list.Candidates != before || before == 0 {
		t.Fatalf("sweep listed %d (err %v), the query finds %d", list.Candidates, err, before)
	}
	if c := listJSON(t, dir, "status:anonymized").Count; c != erasedBefore {
		t.Fatalf("listing without --apply anonymized %d contacts", c-erasedBefore)
	}
	if int64(len(list.Contacts)) != before {
		t.Errorf("sweep listed %d contacts, counted %d", len(list.Contacts), before)
	}
	// The old flag still runs, and changes nothing: the set is one rule.
	if r := gdprdesk(t, "sweep", "--data", dir, "--json", "--include-unknown"); r.code != 0 || !strings.Contains(r.stdout, fmt.Sprintf(`"candidates":%d`, before)) {
		t.Errorf("sweep --include-unknown: exit %d, %.200s", r.code, r.stdout)
	}
	r = gdprdesk(t, "sweep", "--data", dir, "--apply", "--json")
	var done sweepJSON
	if err := json.Unmarshal([]byte(r.stdout), &done); err != nil || r.code != 0 {
		t.Fatalf("sweep --apply: exit %d, %v: %s", r.code, err, r.stderr)
	}
	if done.Anonymized+int64(len(done.Skipped)) != before {
		t.Errorf("sweep anonymized %d and skipped %d of %d", done.Anonymized, len(done.Skipped), before)
	}
	if left := listJSON(t, dir, set).Count; left != len(done.Skipped) {
		t.Errorf("%d EU contacts without basis left, want only the %d skipped", left, len(done.Skipped))
	}
	// Idempotent: a second run finds nothing new to do.
	r = gdprdesk(t, "sweep", "--data", dir, "--apply", "--json")
	var again sweepJSON
	_ = json.Unmarshal([]byte(r.stdout), &again)
	if again.Anonymized != 0 {
		t.Errorf("second sweep anonymized %d", again.Anonymized)
	}
	ck := gdprdesk(t, "checklist", "--data", dir, "--json")
	if !strings.Contains(ck.stdout, `"id": "basis-sweep"`) || !strings.Contains(ck.stdout, "last sweep") {
		t.Errorf("checklist does not show the sweep:\n%s", ck.stdout)
	}
	if v := gdprdesk(t, "audit", "verify", "--data", dir); v.code != 0 {
		t.Errorf("audit verify after sweep: %s", v.stdout)
	}
}

func TestReadmitLetsAnErasedAddressBack(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "D")
	file := filepath.Join(t.TempDir(), "c.csv")
	if err := os.WriteFile(file, []byte("email\nback@example.com\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	importJSON(t, dir, file)
	if r := gdprdesk(t, "anonymize", "back@example.com", "--data", dir); r.code != 0 {
		t.Fatal(r.stderr)
	}
	if r := gdprdesk(t, "readmit", "back@example.com", "--data", dir); r.code != exitUsage {
		t.Errorf("readmit without --reason: exit %d, want 2", r.code)
	}
	if r := gdprdesk(t, "readmit", "back@example.com", "--data", dir, "--reason", "asked to rejoin"); r.code != 0 {
		t.Fatalf("readmit: %s", r.stderr)
	}
	if rep, _ := importJSON(t, dir, file); rep.Created != 1 || rep.Suppressed != 0 {
		t.Errorf("import after readmit: %+v, want the address created again", rep)
	}
}
