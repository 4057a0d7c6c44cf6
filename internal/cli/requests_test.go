package cli

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestRequestLifecycle(t *testing.T) {
	dir := demoDir(t)
	r := gdprdesk(t, "request", "add", "--data", dir, "--type", "access", "--contact", "C5", "--received", "2026-01-31", "--channel", "letter")
	if r.code != 0 {
		t.Fatalf("request add: exit %d: %s", r.code, r.stderr)
	}
	id := strings.TrimSpace(r.stdout)
	if !strings.HasPrefix(id, "R") {
		t.Fatalf("request add printed %q, want an id like R33", id)
	}
	list := gdprdesk(t, "request", "list", "--data", dir, "--type", "access", "--json")
	var out struct {
		Requests []requestJSON `json:"requests"`
	}
	if err := json.Unmarshal([]byte(list.stdout), &out); err != nil {
		t.Fatal(err)
	}
	found := false
	for i, rq := range out.Requests {
		if rq.ID.String() == id {
			found = true
			if got := rq.Due.Format("2006-01-02"); got != "2026-03-02" {
				t.Errorf("due %s, want 2026-03-02 (Art. 12(3); 28 Feb 2026 is a Saturday)", got)
			}
			if i > 0 && out.Requests[i-1].Status.Open() && out.Requests[i-1].Due.After(rq.Due) {
				t.Errorf("list is not soonest due first")
			}
		}
	}
	if !found {
		t.Fatalf("%s not listed", id)
	}
	if c := gdprdesk(t, "request", "close", id, "--data", dir, "--outcome", "completed", "--reason", "package sent"); c.code != 0 {
		t.Fatalf("close: exit %d: %s", c.code, c.stderr)
	}
	c := gdprdesk(t, "request", "close", id, "--data", dir, "--outcome", "denied", "--ground", "unfounded", "--reason", "again")
	if c.code != exitFailure {
		t.Errorf("closing a closed request: exit %d, want 1", c.code)
	}
	oneErrorLine(t, c, "closed")
}
