package ui

import (
	"encoding/json"
	"fmt"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/gdprdesk/gdprdesk/gdpr"
	demofill "github.com/gdprdesk/gdprdesk/internal/demo"
	"github.com/gdprdesk/gdprdesk/store"
)

// The checklist screen shows, for every automatic item, the value that
// `gdprdesk checklist --json` prints for the same store, and the same
// readiness.
func TestChecklistScreenMatchesCommandLine(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the command")
	}
	bin := filepath.Join(t.TempDir(), "gdprdesk")
	if out, err := exec.Command("go", "build", "-o", bin, "..").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	dir := t.TempDir()
	s, err := store.Open(dir, store.Options{Now: fixedNow})
	if err != nil {
		t.Fatal(err)
	}
	if err := demofill.FillDemo(t.Context(), s, demofill.DemoOptions{Contacts: 500, Seed: 3, Operator: "owner", Now: fixedNow}); err != nil {
		t.Fatal(err)
	}
	s.Close()
	out, err := exec.Command(bin, "checklist", "--json", "--data", dir).Output()
	if err != nil {
		t.Fatalf("checklist --json: %v", err)
	}
	var cli struct {
		Readiness  int `json:"readiness_percent"`
		Done       int `json:"done"`
		Applicable int `json:"applicable"`
		Items      []struct {
			ID    string         `json:"id"`
			Auto  bool           `json:"automatic"`
			State gdpr.ItemState `json:"state"`
			Value string         `json:"value"`
		} `json:"items"`
	}
	if err := json.Unmarshal(out, &cli); err != nil {
		t.Fatal(err)
	}
	s, err = store.Open(dir, store.Options{Now: fixedNow})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	d := drive(t, newTestModel(s), 200, 60)
	d.keys("4")
	d.mustShow(fmt.Sprintf("Readiness %d%%", cli.Readiness), fmt.Sprintf("%d of %d applicable items done", cli.Done, cli.Applicable))
	screen := d.m.screens[tabChecklist].(*checklist)
	if len(screen.items) != len(cli.Items) {
		t.Fatalf("screen has %d items, command %d", len(screen.items), len(cli.Items))
	}
	auto := 0
	for i, want := range cli.Items {
		got := screen.items[i]
		if got.ID != want.ID || got.State != want.State || got.Value != want.Value {
			t.Errorf("item %d: screen %s %s %q, command %s %s %q", i, got.ID, got.State, got.Value, want.ID, want.State, want.Value)
		}
		if want.Auto && want.Value != "" {
			auto++
			d.mustShow("measured: " + want.Value)
		}
		d.keys("down")
	}
	if auto < 5 {
		t.Errorf("only %d automatic items carry a value", auto)
	}
}

// Ticking a manual item, marking one n/a with a reason, and trying to tick
// an automatic one that the data says is not met.
func TestFlowChecklistActions(t *testing.T) {
	s := openDemo(t, 200)
	d := drive(t, newTestModel(s), 120, 40)
	d.keys("4")
	screen := d.m.screens[tabChecklist].(*checklist)
	find := func(keep func(gdpr.ItemStatus) bool) gdpr.ItemStatus {
		t.Helper()
		d.keys("home")
		for i, it := range screen.items {
			if keep(it) {
				for range i {
					d.keys("down")
				}
				return it
			}
		}
		t.Fatal("no such item")
		return gdpr.ItemStatus{}
	}
	manual := find(func(it gdpr.ItemStatus) bool { return !it.Auto && it.State == gdpr.StateTodo })
	d.keys("space")
	recs, _ := s.ChecklistRecords()
	if recs[manual.ID].State != gdpr.StateDone {
		t.Fatalf("%s is %s after space", manual.ID, recs[manual.ID].State)
	}
	other := find(func(it gdpr.ItemStatus) bool { return !it.Auto && it.State == gdpr.StateTodo })
	d.keys("n")
	d.typeText("we sell only in the EU")
	d.keys("enter")
	recs, _ = s.ChecklistRecords()
	if recs[other.ID].State != gdpr.StateNA || recs[other.ID].Reason != "we sell only in the EU" {
		t.Fatalf("%s after n/a: %+v", other.ID, recs[other.ID])
	}
	d.mustShow("n/a because: we sell only in the EU")
	unmet := find(func(it gdpr.ItemStatus) bool { return it.Auto && it.State == gdpr.StateTodo && it.Fix != "" })
	d.keys("space")
	d.mustShow("checked from your data")
	d.keys("f")
	if d.m.active == tabChecklist {
		t.Fatalf("f on %s stayed on the checklist", unmet.ID)
	}
}
