package cli

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gdprdesk/gdprdesk/gdpr"
	"github.com/gdprdesk/gdprdesk/store"
)

func TestContactsQueryListsExactlyEUWithoutBasis(t *testing.T) {
	dir := demoDir(t)
	all := listJSON(t, dir, "")
	want := map[gdpr.ContactID]bool{}
	for _, c := range all.Contacts {
		if gdpr.EUStatusOf(c.Country) == gdpr.EUYes && len(c.Bases) == 0 {
			want[c.ID] = true
		}
	}
	got := listJSON(t, dir, "eu:yes basis:none")
	if len(want) == 0 || got.Count != len(want) {
		t.Fatalf("eu:yes basis:none gave %d contacts, a brute-force filter %d", got.Count, len(want))
	}
	for _, c := range got.Contacts {
		if !want[c.ID] {
			t.Errorf("%s listed but is not an EU contact without basis", c.ID)
		}
	}
}

func TestTagThenNoGermanContactLacksABasis(t *testing.T) {
	dir := demoDir(t)
	before := listJSON(t, dir, "country:DE basis:none")
	if before.Count == 0 {
		t.Fatal("demo has no German contact without a basis; the test would prove nothing")
	}
	liBefore := listJSON(t, dir, "country:DE basis:legitimate_interests").Count
	entriesBefore := auditEntries(t, dir)
	dry := gdprdesk(t, "tag", "--data", dir, "--query", "country:DE", "--basis", "legitimate_interests", "--evidence", "customers' colleagues met at the fair 2024", "--dry-run")
	if n := len(auditEntries(t, dir)); dry.code != 0 || n != len(entriesBefore) {
		t.Fatalf("tag --dry-run: exit %d, %d audit entries written: %s", dry.code, n-len(entriesBefore), dry.stderr)
	}
	r := gdprdesk(t, "tag", "--data", dir, "--query", "country:DE", "--basis", "legitimate_interests", "--evidence", "customers' colleagues met at the fair 2024")
	if r.code != 0 {
		t.Fatalf("tag: exit %d: %s", r.code, r.stderr)
	}
	if after := listJSON(t, dir, "country:DE basis:none"); after.Count != 0 {
		t.Errorf("after tagging, %d German contacts still lack a basis", after.Count)
	}
	changed := listJSON(t, dir, "country:DE basis:legitimate_interests").Count - liBefore
	added := 0
	for _, e := range auditEntries(t, dir)[len(entriesBefore):] {
		// A bulk chunk's entry names how many it changed; contacts that
		// held the basis already had it renewed, audited apart.
		if e.Action == "basis.add" && !strings.Contains(e.Detail, "renewed") {
			added += max(e.Contacts, 1)
		}
	}
	if changed == 0 || added != changed {
		t.Errorf("audit's basis.add entries are about %d contacts, %d changed", added, changed)
	}
	if want := fmt.Sprintf("Would change %s contact(s)", gdpr.Thousands(int64(changed))); !strings.Contains(dry.stdout, want) {
		t.Errorf("tag --dry-run said %q, want %q", dry.stdout, want)
	}
	if v := gdprdesk(t, "audit", "verify", "--data", dir); v.code != 0 || !strings.Contains(v.stdout, "OK") {
		t.Errorf("audit verify: exit %d\n%s%s", v.code, v.stdout, v.stderr)
	}
	// Running it again changes nothing.
	r = gdprdesk(t, "tag", "--data", dir, "--query", "country:DE", "--basis", "legitimate_interests")
	if !strings.Contains(r.stdout, "on 0 contact(s)") {
		t.Errorf("second tag run changed contacts: %s", r.stdout)
	}
}

func auditEntries(t *testing.T, dir string) []store.AuditEntry {
	t.Helper()
	out := filepath.Join(t.TempDir(), "audit.jsonl")
	if r := gdprdesk(t, "audit", "export", "--data", dir, "--out", out); r.code != 0 {
		t.Fatalf("audit export: exit %d: %s", r.code, r.stderr)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	var entries []store.AuditEntry
	for _, l := range lines[1:] { // the first line is the header
		var e store.AuditEntry
		if err := json.Unmarshal([]byte(l), &e); err != nil {
			t.Fatalf("audit export line %q: %v", l, err)
		}
		entries = append(entries, e)
	}
	return entries
}

// contacts --count answers from the counters for one term and by walking
// the query otherwise, and agrees with the listing.
func TestContactsCount(t *testing.T) {
	dir := demoDir(t)
	for _, q := range []string{"country:DE", "eu:yes basis:none", "anna"} {
		r := gdprdesk(t, "contacts", "--data", dir, "--query", q, "--count", "--json")
		if r.code != 0 {
			t.Fatalf("%s: exit %d %s", q, r.code, r.stderr)
		}
		var got struct {
			Count int `json:"count"`
		}
		if err := json.Unmarshal([]byte(r.stdout), &got); err != nil {
			t.Fatal(err)
		}
		if want := listJSON(t, dir, q).Count; got.Count != want || want == 0 {
			t.Errorf("%s: --count %d, listing %d", q, got.Count, want)
		}
	}
}
