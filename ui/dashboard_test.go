package ui

import (
	"strconv"
	"strings"
	"testing"

	"github.com/gdprdesk/gdprdesk/gdpr"
)

// The dashboard's rows are selectable with up/down, and enter opens what a
// row refers to: a figure lists its contacts by the query it was counted
// by, a request due opens that request, an activity row that audit entry.
func TestFlowDashboardRowsOpen(t *testing.T) {
	s := openDemo(t, 2000)
	d := drive(t, newTestModel(s), 120, 40)
	dash := d.m.screens[tabDashboard].(*dashboard)

	// "in scope, no basis" is the fourth row: the Art. 6 gap.
	d.keys("down", "down", "down", "enter")
	if d.m.active != tabContacts {
		t.Fatalf("enter on a figure did not open the contacts: screen %d", d.m.active)
	}
	d.mustShow("/ "+dash.counts.WithoutBasisQuery.String(), strconv.FormatInt(dash.counts.EUWithoutBasis, 10)+" matches")

	// "total", the first row, opens the list of every contact: the
	// filter just set goes.
	d.keys("1", "home", "enter")
	if d.m.active != tabContacts {
		t.Fatalf("enter on total did not open the contacts: screen %d", d.m.active)
	}
	if q := d.m.screens[tabContacts].(*contacts).queryText; q != "" {
		t.Errorf("total opened the contacts filtered by %q", q)
	}
	d.mustShow(gdpr.Thousands(dash.counts.Contacts) + " ")

	// The first request due opens on the requests screen.
	d.keys("1", "home")
	for range 8 {
		d.keys("down")
	}
	first := dash.next[0]
	d.keys("enter")
	if d.m.active != tabRequests {
		t.Fatalf("enter on a request did not open the requests: screen %d", d.m.active)
	}
	d.mustShow(first.ID.String()+" ", "Steps", "History")
	d.keys("esc")

	// The newest activity row opens that audit entry.
	d.keys("1", "home")
	for range 8 + 5 {
		d.keys("down")
	}
	entry := dash.activity[0]
	d.keys("enter")
	if d.m.active != tabAudit {
		t.Fatalf("enter on an activity row did not open the audit: screen %d", d.m.active)
	}
	a := d.m.screens[tabAudit].(*auditScreen)
	if a.detail == nil || a.detail.e.Seq != entry.Seq {
		t.Fatalf("the audit screen does not show entry %d", entry.Seq)
	}
	if out := d.screen(); !strings.Contains(out, strconv.FormatUint(entry.Seq, 10)) || !strings.Contains(out, entry.Action) {
		t.Fatalf("the entry is not on the screen:\n%s", out)
	}

	// Down stops at the last row; up at the first.
	d.keys("esc", "1")
	for range 100 {
		d.keys("down")
	}
	if n := len(dash.rows(120, 36)); dash.sel != n-1 {
		t.Fatalf("selection %d, want the last row %d", dash.sel, n-1)
	}
	for range 100 {
		d.keys("up")
	}
	if dash.sel != 0 {
		t.Fatalf("selection %d, want 0", dash.sel)
	}
}
