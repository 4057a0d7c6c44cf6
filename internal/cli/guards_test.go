package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gdprdesk/gdprdesk/gdpr"
	"github.com/gdprdesk/gdprdesk/internal/desk"
	"github.com/gdprdesk/gdprdesk/store"
)

// The rule book's guards at the command line (SPEC §9): objection,
// restriction, erasure guards, legal holds, requests that outlive their
// subject.

// idsOf lists the ids a query selects.
func idsOf(t *testing.T, dir, query string) map[gdpr.ContactID]gdpr.Contact {
	t.Helper()
	r := gdprdesk(t, "contacts", "--data", dir, "--query", query, "--limit", "100000", "--json")
	if r.code != 0 {
		t.Fatalf("contacts %q: exit %d: %s", query, r.code, r.stderr)
	}
	var out contactsJSON
	if err := json.Unmarshal([]byte(r.stdout), &out); err != nil {
		t.Fatal(err)
	}
	m := map[gdpr.ContactID]gdpr.Contact{}
	for _, c := range out.Contacts {
		m[c.ID] = c
	}
	return m
}

// sweepCandidates lists the sweep's candidates, in order.
func sweepCandidates(t *testing.T, dir string) []gdpr.Contact {
	t.Helper()
	r := gdprdesk(t, "sweep", "--data", dir, "--json")
	var out sweepJSON
	if r.code != 0 || json.Unmarshal([]byte(r.stdout), &out) != nil {
		t.Fatalf("sweep --json: exit %d: %s", r.code, r.stderr)
	}
	var cs []gdpr.Contact
	for _, c := range out.Contacts {
		if c.Status == gdpr.ContactActive && c.Balance == 0 && !c.OpenContract && c.Email != "" {
			cs = append(cs, c)
		}
	}
	return cs
}

// unguardedCandidates lists the sweep's candidates no guard holds back
// yet: no open request of theirs and no hold, so a test that adds one
// guard to each knows which guard the sweep must name, whatever else the
// demo data holds.
func unguardedCandidates(t *testing.T, dir string) []gdpr.Contact {
	t.Helper()
	r := gdprdesk(t, "request", "list", "--data", dir, "--json")
	var reqs struct {
		Requests []requestJSON `json:"requests"`
	}
	if r.code != 0 || json.Unmarshal([]byte(r.stdout), &reqs) != nil {
		t.Fatalf("request list --json: exit %d: %s", r.code, r.stderr)
	}
	asked := map[gdpr.ContactID]bool{}
	for _, rq := range reqs.Requests {
		if rq.Status.Open() {
			asked[rq.Contact] = true
		}
	}
	var cs []gdpr.Contact
	for _, c := range sweepCandidates(t, dir) {
		if !asked[c.ID] && c.Hold == nil {
			cs = append(cs, c)
		}
	}
	return cs
}

func mustRun(t *testing.T, args ...string) string {
	t.Helper()
	r := gdprdesk(t, args...)
	if r.code != 0 {
		t.Fatalf("%s: exit %d: %s", strings.Join(args, " "), r.code, r.stderr)
	}
	return strings.TrimSpace(r.stdout)
}

// An objection to marketing takes effect at once (Art. 21(2)–(3)): the
// contact is marketing:no immediately, the request cannot be denied, and
// lifting a restriction leaves the contact not marketable.
func TestMarketingObjectionAtOnceAndNeverDenied(t *testing.T) {
	dir := demoDir(t)
	// A subscriber who consented to the newsletter, a marketing purpose.
	s, err := store.Open(dir, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	id, err := s.CreateContact("owner", gdpr.Contact{Email: "subscriber@example.org", Country: "DE",
		Bases:    []gdpr.BasisAssignment{{Basis: gdpr.BasisConsent, Purpose: "newsletter"}},
		Consents: []gdpr.ConsentRecord{{Purpose: "newsletter", Granted: true, Marketing: true, At: time.Now().AddDate(0, -1, 0).UTC(), Method: "webform"}}})
	s.Close()
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := idsOf(t, dir, "marketing:yes")[id]; !ok {
		t.Fatalf("fixture: %s is not marketable", id)
	}
	req := mustRun(t, "request", "add", "--data", dir, "--type", "objection", "--scope", "marketing", "--contact", id.String())
	if _, ok := idsOf(t, dir, "marketing:no")[id]; !ok {
		t.Fatalf("%s objected to marketing but is not marketing:no", id)
	}
	if _, ok := idsOf(t, dir, "marketing:yes")[id]; ok {
		t.Fatalf("%s objected to marketing but is still marketing:yes", id)
	}
	c := gdprdesk(t, "request", "close", req, "--data", dir, "--outcome", "denied", "--ground", "unfounded", "--reason", "we want to")
	if c.code != exitFailure {
		t.Fatalf("denying an objection to marketing: exit %d, want 1", c.code)
	}
	oneErrorLine(t, c, "Art. 21(3)")
	c = gdprdesk(t, "request", "close", req, "--data", dir, "--outcome", "denied", "--reason", "we want to")
	if c.code != exitFailure {
		t.Fatalf("denying without a ground: exit %d, want 1", c.code)
	}
	mustRun(t, "restrict", id.String(), "--data", dir, "--reason", "objection being weighed")
	if r := gdprdesk(t, "restrict", id.String(), "--data", dir, "--lift"); r.code != exitUsage {
		t.Errorf("lifting without --told: exit %d, want 2", r.code)
	}
	mustRun(t, "restrict", id.String(), "--data", dir, "--lift", "--told", time.Now().Format(time.DateOnly))
	if _, ok := idsOf(t, dir, "marketing:yes")[id]; ok {
		t.Errorf("lifting the restriction made %s marketable again", id)
	}
	mustRun(t, "request", "close", req, "--data", dir, "--outcome", "completed", "--reason", "removed from every list")
}

// SPEC §9 erasure guards: anonymize and the sweep refuse, with the reason,
// a restricted contact, one with another open request and one under a
// hold; the sweep counts its skips by reason.
func TestErasureGuardsRefuseWithTheReason(t *testing.T) {
	dir := demoDir(t)
	cs := unguardedCandidates(t, dir)
	if len(cs) < 3 {
		t.Fatalf("only %d unguarded sweep candidates", len(cs))
	}
	restricted, asked, held := cs[0].ID.String(), cs[1].ID.String(), cs[2].ID.String()
	mustRun(t, "restrict", restricted, "--data", dir, "--reason", "accuracy contested")
	mustRun(t, "request", "add", "--data", dir, "--type", "access", "--contact", asked)
	mustRun(t, "hold", held, "--data", dir, "--reason", "invoices: 10 years, tax law", "--until", "2045-12-31")
	for id, want := range map[string]string{restricted: "Art. 18(1)", asked: "answer it first", held: "Art. 17(3)(b)"} {
		r := gdprdesk(t, "anonymize", id, "--data", dir)
		if r.code != exitFailure {
			t.Errorf("anonymize %s: exit %d, want 1", id, r.code)
			continue
		}
		oneErrorLine(t, r, want)
	}
	r := gdprdesk(t, "sweep", "--apply", "--data", dir, "--json")
	if r.code != 0 {
		t.Fatalf("sweep --apply: exit %d: %s", r.code, r.stderr)
	}
	var rep sweepJSON
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatal(err)
	}
	kinds := map[string]string{}
	for _, sk := range rep.Skipped {
		kinds[sk.Contact.String()] = sk.Kind
	}
	for id, want := range map[string]gdpr.BlockerKind{restricted: gdpr.BlockRestricted, asked: gdpr.BlockOpenRequest, held: gdpr.BlockHold} {
		if kinds[id] != string(want) {
			t.Errorf("sweep skipped %s as %q, want %q", id, kinds[id], want)
		}
		if rep.SkippedBy[string(want)] < 1 {
			t.Errorf("sweep report counts %v, want %q counted", rep.SkippedBy, want)
		}
	}
	for _, id := range []string{restricted, asked, held} {
		if _, ok := idsOf(t, dir, "status:anonymized")[gdpr.ContactID(mustID(t, id))]; ok {
			t.Errorf("the sweep erased the guarded %s", id)
		}
	}
	// The text report says the counts by reason too.
	if out := mustRun(t, "sweep", "--apply", "--data", dir); !strings.Contains(out, "Skipped by reason:") ||
		!strings.Contains(out, fmt.Sprintf("legal hold %d", rep.SkippedBy[string(gdpr.BlockHold)])) {
		t.Errorf("sweep text report:\n%s", out)
	}
}

func mustID(t *testing.T, s string) gdpr.ContactID {
	t.Helper()
	id, err := gdpr.ParseContactID(s)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// rawContains reports the files under dir whose bytes hold v.
func rawContains(t *testing.T, dir, v string) []string {
	t.Helper()
	var where []string
	err := filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
		if err != nil || fi.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if bytes.Contains(b, []byte(v)) || bytes.Contains(bytes.ToLower(b), []byte(strings.ToLower(v))) {
			where = append(where, p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return where
}

// Art. 17(3)(b): erasing a held contact leaves only the held fields,
// suppresses its addresses; a later sweep after the hold's date erases
// the rest. Nothing erased is on disk in clear.
func TestHeldErasureThenSweepAfterTheHold(t *testing.T) {
	dir := demoDir(t)
	c := sweepCandidates(t, dir)[0]
	if c.FirstName == "" || c.Email == "" {
		t.Fatalf("fixture: %+v", c)
	}
	id := c.ID.String()
	mustRun(t, "hold", id, "--data", dir, "--reason", "invoices: 10 years, tax law", "--until", "2040-01-01", "--keep", "first_name,last_name")
	out := mustRun(t, "anonymize", id, "--data", dir, "--keep-held")
	if !strings.Contains(out, "erased except held records until 2040-01-01") {
		t.Errorf("anonymize --keep-held said %q", out)
	}
	held := idsOf(t, dir, "status:held")[c.ID]
	if held.FirstName != c.FirstName || held.LastName != c.LastName || held.Email != "" || held.Phone != "" || held.Street != "" || len(held.Consents) != 0 {
		t.Errorf("held contact %+v, want only the names", held)
	}
	if r := gdprdesk(t, "import", "--data", dir, writeCSV(t, "email,country\n"+c.Email+",DE\n")); !strings.Contains(r.stdout+r.stderr, "suppress") {
		t.Errorf("importing the erased address again was not refused as suppressed:\n%s%s", r.stdout, r.stderr)
	}
	for _, v := range []string{c.Email, c.Phone, c.Street} {
		if v != "" && len(rawContains(t, dir, v)) > 0 {
			t.Errorf("%q is on disk in clear", v)
		}
	}

	// After the hold's date, the sweep finishes the erasure.
	after := time.Date(2040, 1, 2, 9, 0, 0, 0, time.UTC)
	s, err := store.Open(dir, store.Options{Now: func() time.Time { return after }})
	if err != nil {
		t.Fatal(err)
	}
	rep, err := desk.Sweep(context.Background(), s, desk.SweepOptions{Operator: "owner", Apply: true, Now: after})
	if err != nil {
		t.Fatal(err)
	}
	got, _ := s.Contact(c.ID)
	s.Close()
	if rep.Held < 1 || got.Status != gdpr.ContactAnonymized || got.FirstName != "" {
		t.Errorf("after the hold: report held %d, contact %+v", rep.Held, got)
	}
}

// writeCSV writes a CSV file and returns its path.
func writeCSV(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "in.csv")
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// Requests outlive their subject (SPEC §9): a request whose person was
// erased can be completed, denied, notified and listed.
func TestRequestsOfAnErasedPersonCanBeAnswered(t *testing.T) {
	dir := demoDir(t)
	c := sweepCandidates(t, dir)[0]
	id := c.ID.String()
	answered := mustRun(t, "request", "add", "--data", dir, "--type", "erasure", "--contact", id)
	toDeny := mustRun(t, "request", "add", "--data", dir, "--type", "erasure", "--contact", id, "--note", "asked again")
	toComplete := mustRun(t, "request", "add", "--data", dir, "--type", "erasure", "--contact", id)
	mustRun(t, "anonymize", id, "--data", dir, "--request", answered)
	mustRun(t, "request", "close", toDeny, "--data", dir, "--outcome", "denied", "--ground", "unfounded", "--reason", "the same request twice")
	mustRun(t, "request", "close", toComplete, "--data", dir, "--outcome", "completed", "--reason", "erased with "+answered)

	s, err := store.Open(dir, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	rid, _ := gdpr.ParseRequestID(toComplete)
	err = s.UpdateRequest("owner", rid, gdpr.ActionRequestNotify, "recipients told", func(r *gdpr.Request) error {
		r.Notifications = append(r.Notifications, gdpr.Notification{Recipient: "Mailer", At: time.Now().UTC(), By: "owner"})
		return nil
	})
	s.Close()
	if err != nil {
		t.Fatalf("notify after erasure: %v", err)
	}
	r := gdprdesk(t, "request", "list", "--data", dir, "--json")
	var out struct {
		Requests []requestJSON `json:"requests"`
	}
	if r.code != 0 || json.Unmarshal([]byte(r.stdout), &out) != nil {
		t.Fatalf("request list: exit %d: %s", r.code, r.stderr)
	}
	status := map[string]gdpr.RequestStatus{}
	for _, rq := range out.Requests {
		status[rq.ID.String()] = rq.Status
		if rq.Contact == c.ID && strings.Contains(rq.Note, "asked again") {
			t.Errorf("%s keeps the erased person's note", rq.ID)
		}
	}
	if status[answered] != gdpr.StatusCompleted || status[toDeny] != gdpr.StatusDenied || status[toComplete] != gdpr.StatusCompleted {
		t.Errorf("statuses %s %s %s", status[answered], status[toDeny], status[toComplete])
	}
}
