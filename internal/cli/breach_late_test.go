package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// breachesDocumented is the checklist item breaches-documented, by the
// command line.
func breachesDocumented(t *testing.T, run func(args ...string) result) (state, value string) {
	t.Helper()
	r := mustBreachRun(t, run, "checklist", "--json")
	var out struct {
		Items []checklistItemJSON `json:"items"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &out); err != nil {
		t.Fatal(err)
	}
	for _, it := range out.Items {
		if it.ID == "breaches-documented" {
			return string(it.State), it.Value
		}
	}
	t.Fatal("no breaches-documented item")
	return "", ""
}

// TestBreachEditCannotHideALateNotificationArt33 runs the DPO's finding:
// after a late notification, breach edit --aware with another time is
// refused (it would turn "notified late" into
// "notified", Art. 33(1)); re-assessing the risk as none keeps the breach
// notified late and documented (Art. 33(5)), not "reason pending".
func TestBreachEditCannotHideALateNotificationArt33(t *testing.T) {
	_, run := breachDir(t, "UTC")
	now := time.Now().UTC()
	id := breachAdd(t, run, "--aware", now.Add(-100*time.Hour).Format("2006-01-02T15:04"), "--what", "invoices mailed to the wrong customer", "--risk", "risk")
	mustBreachRun(t, run, "breach", "notify", id, "--ref", "DPA-9", "--late-reason", "found on day 4")
	r := run("breach", "edit", id, "--aware", now.Add(-30*time.Hour).Format("2006-01-02T15:04"))
	if r.code != exitUsage {
		t.Errorf("--aware after notifying: exit %d, want 2\n%s", r.code, r.stdout)
	}
	oneErrorLine(t, r, "cannot change")
	mustBreachRun(t, run, "breach", "edit", id, "--risk", "none")
	b := findBreach(t, breachList(t, run), id)
	if b.State != "notified late" || !b.Documented || !b.NotifiedLate {
		t.Errorf("after --risk none: state %q documented %v late %v", b.State, b.Documented, b.NotifiedLate)
	}
	if st, v := breachesDocumented(t, run); st != "done" {
		t.Errorf("breaches-documented = %s %q", st, v)
	}
	out := filepath.Join(t.TempDir(), "audit.out")
	mustBreachRun(t, run, "audit", "export", "--out", out)
	audit, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(audit), "risk risk → none") || strings.Contains(string(audit), "invoices mailed") {
		t.Errorf("audit of the edit:\n%s", audit)
	}
}

// TestBreachHighRiskPeopleUntoldMakesItemTodoArt34: a high-risk breach
// whose people are, 72 hours after awareness, neither told nor a reason
// of Art. 34(3) recorded keeps breaches-documented to-do, naming it,
// although the authority was told.
func TestBreachHighRiskPeopleUntoldMakesItemTodoArt34(t *testing.T) {
	_, run := breachDir(t, "UTC")
	id := breachAdd(t, run, "--aware", time.Now().UTC().Add(-80*time.Hour).Format("2006-01-02T15:04"), "--what", "passwords leaked", "--risk", "high")
	mustBreachRun(t, run, "breach", "notify", id, "--ref", "DPA-3", "--late-reason", "assessed late")
	if st, v := breachesDocumented(t, run); st != "todo" || !strings.Contains(v, "Art. 34(1)): "+id) {
		t.Errorf("people untold after 72 hours: %s %q", st, v)
	}
	mustBreachRun(t, run, "breach", "inform", id)
	if st, v := breachesDocumented(t, run); st != "done" {
		t.Errorf("people told: %s %q", st, v)
	}
}
