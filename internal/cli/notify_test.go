package cli

import (
	"encoding/json"
	"regexp"
	"slices"
	"testing"

	"github.com/gdprdesk/gdprdesk/gdpr"
	"github.com/gdprdesk/gdprdesk/store"
)

func requestByID(t *testing.T, dir, id string) gdpr.Request {
	t.Helper()
	r := gdprdesk(t, "request", "list", "--json", "--data", dir)
	var out struct {
		Requests []requestJSON `json:"requests"`
	}
	if r.code != 0 || json.Unmarshal([]byte(r.stdout), &out) != nil {
		t.Fatalf("request list --json: exit %d %s", r.code, r.stderr)
	}
	for _, q := range out.Requests {
		if q.ID.String() == id {
			return q.Request
		}
	}
	t.Fatalf("no request %s", id)
	return gdpr.Request{}
}

// Art. 19: an erasure without a request (anonymize) records the recipients
// that received the person's data, read before it was destroyed; request
// notify records each told, or why telling was impossible; an unknown name
// is refused; the record never counts toward deadlines.
func TestAnonymizeWithoutRequestRecordsRecipientsToTell(t *testing.T) {
	dir := demoDir(t)
	customers := listJSON(t, dir, "basis:contract status:active")
	// The demo's registers say who receives a customer's data: the
	// recipients serving a purpose that applies to them.
	s, err := store.Open(dir, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	purposes, err := s.Purposes()
	if err != nil {
		t.Fatal(err)
	}
	register, err := s.Recipients()
	if err != nil {
		t.Fatal(err)
	}
	var target gdpr.Contact
	var want []string
	var stranger string // in the register, but never received the target's data
	for _, c := range customers.Contacts {
		if len(c.Obligations()) > 0 {
			continue
		}
		if bs, err := s.ErasureBlockers(c.ID, store.AnonymizeOptions{}); err != nil || len(bs) > 0 {
			continue // held, or another request open: not this test's subject
		}
		to := map[string]bool{}
		for _, r := range gdpr.RecipientsOf(&c, purposes, register) {
			to[r.Name] = true
		}
		for _, r := range register {
			if !to[r.Name] {
				target, stranger = c, r.Name
				break
			}
		}
		if target.ID != 0 {
			for _, r := range gdpr.RecipientsOf(&c, purposes, register) {
				want = append(want, r.Name)
			}
			break
		}
	}
	s.Close()
	if target.ID == 0 || len(want) == 0 {
		t.Fatalf("no contract customer without an obligation and with recipients in the demo (target %s, recipients %v)", target.ID, want)
	}
	r := gdprdesk(t, "anonymize", target.ID.String(), "--data", dir)
	if r.code != 0 {
		t.Fatalf("anonymize: exit %d %s", r.code, r.stderr)
	}
	m := regexp.MustCompile(`recorded on (R\d+)`).FindStringSubmatch(r.stdout)
	if m == nil {
		t.Fatalf("anonymize did not record the recipients to tell:\n%s", r.stdout)
	}
	rec := requestByID(t, dir, m[1])
	if !rec.FromController() || rec.Status != gdpr.StatusCompleted || !slices.Equal(sorted(rec.Recipients), sorted(want)) || !slices.Contains(want, "PayWell") || !rec.Unnotified() {
		t.Fatalf("the controller record: %+v, want recipients %v", rec, want)
	}
	if rec.ClosedLate(rec.ClosedAt) || rec.Overdue(rec.ClosedAt) {
		t.Error("the controller record counts toward deadlines")
	}
	if r := gdprdesk(t, "request", "notify", m[1], "--recipients", stranger, "--data", dir); r.code == 0 {
		t.Error("a recipient that did not receive the data was accepted")
	} else {
		oneErrorLine(t, r, "not among the recipients to tell")
	}
	if r := gdprdesk(t, "request", "notify", m[1], "--recipients", "all", "--impossible", "the service closed down", "--data", dir); r.code != 0 {
		t.Fatalf("notify: exit %d %s", r.code, r.stderr)
	}
	rec = requestByID(t, dir, m[1])
	told := map[string]bool{}
	for _, n := range rec.Notifications {
		told[n.Recipient] = n.Impossible == "the service closed down"
	}
	if len(rec.Notifications) != len(want) || rec.Unnotified() {
		t.Errorf("after notify: %+v, want one entry each for %v", rec.Notifications, want)
	}
	for _, name := range want {
		if !told[name] {
			t.Errorf("after notify: %s not recorded as impossible to tell: %+v", name, rec.Notifications)
		}
	}
	// An access request does not oblige it.
	acc := requestByID(t, dir, "R1")
	if acc.Type != gdpr.RequestAccess {
		return
	}
	if r := gdprdesk(t, "request", "notify", "R1", "--recipients", "all", "--data", dir); r.code == 0 {
		t.Error("notify on an access request was accepted")
	}
}

func sorted(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return s
}
