package cli

import (
	"encoding/json"
	"regexp"
	"strings"
	"testing"

	"github.com/gdprdesk/gdprdesk/gdpr"
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
	for _, args := range [][]string{
		{"purpose", "add", "orders", "--basis", "contract"},
		{"recipient", "edit", "PayWell", "--purposes", "orders"},
	} {
		if r := gdprdesk(t, append(args, "--data", dir)...); r.code != 0 {
			t.Fatalf("%v: %s", args, r.stderr)
		}
	}
	customers := listJSON(t, dir, "basis:contract status:active")
	var target gdpr.Contact
	for _, c := range customers.Contacts {
		if len(c.Obligations()) == 0 {
			target = c
			break
		}
	}
	if target.ID == 0 {
		t.Fatal("no contract customer without an obligation in the demo")
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
	if !rec.FromController() || rec.Status != gdpr.StatusCompleted || strings.Join(rec.Recipients, ",") != "PayWell" || !rec.Unnotified() {
		t.Fatalf("the controller record: %+v", rec)
	}
	if rec.ClosedLate(rec.ClosedAt) || rec.Overdue(rec.ClosedAt) {
		t.Error("the controller record counts toward deadlines")
	}
	if r := gdprdesk(t, "request", "notify", m[1], "--recipients", "MailDrop Ltd", "--data", dir); r.code == 0 {
		t.Error("a recipient that did not receive the data was accepted")
	} else {
		oneErrorLine(t, r, "not among the recipients to tell")
	}
	if r := gdprdesk(t, "request", "notify", m[1], "--recipients", "all", "--impossible", "the service closed down", "--data", dir); r.code != 0 {
		t.Fatalf("notify: exit %d %s", r.code, r.stderr)
	}
	rec = requestByID(t, dir, m[1])
	if len(rec.Notifications) != 1 || rec.Notifications[0].Impossible != "the service closed down" || rec.Unnotified() {
		t.Errorf("after notify: %+v", rec.Notifications)
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
