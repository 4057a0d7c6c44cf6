package cli

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gdprdesk/gdprdesk/gdpr"
)

// One contact by hand: add prints the id, show gives it back (text and
// JSON), edit is a rectification (Art. 16) audited with the fields it
// changed, and an erased address is refused on add (suppression).
func TestContactAddShowEditArt16(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "D")
	r := gdprdesk(t, "contact", "add", "--data", dir, "--email", "Rick@Example.org", "--first-name", "Rick",
		"--last-name", "Hawkins", "--country", "germany", "--language", "de-at")
	id := strings.SplitN(r.stdout, "\n", 2)[0]
	if r.code != 0 || id != "C1" {
		t.Fatalf("contact add: exit %d, %q %s", r.code, r.stdout, r.stderr)
	}
	var c gdpr.Contact
	show := gdprdesk(t, "contact", "show", id, "--data", dir, "--json")
	if err := json.Unmarshal([]byte(show.stdout), &c); err != nil || c.Email != "rick@example.org" || c.Country != "DE" || c.Language != "de-AT" {
		t.Fatalf("contact show --json: %+v %v", c, err)
	}
	if r := gdprdesk(t, "contact", "edit", "rick@example.org", "--data", dir, "--city", "Wien", "--phone", "+43 1 234"); r.code != 0 {
		t.Fatalf("contact edit: exit %d %s", r.code, r.stderr)
	}
	text := gdprdesk(t, "contact", "show", id, "--data", dir)
	if !strings.Contains(text.stdout, "Wien") || !strings.Contains(text.stdout, "+43 1 234") {
		t.Errorf("after the edit:\n%s", text.stdout)
	}
	var edit *struct{ Detail string }
	for _, e := range auditEntries(t, dir) {
		if e.Action == "contact.edit" && e.Record == id {
			edit = &struct{ Detail string }{e.Detail}
		}
	}
	if edit == nil || !strings.Contains(edit.Detail, "city") || strings.Contains(edit.Detail, "Wien") {
		t.Errorf("audit of the edit: %+v (fields named, values sealed)", edit)
	}
	if r := gdprdesk(t, "contact", "edit", id, "--data", dir); r.code != exitUsage {
		t.Errorf("edit without fields: exit %d", r.code)
	}
	if r := gdprdesk(t, "contact", "add", "--data", dir, "--email", "x@example.org", "--language", "not a tag"); r.code != exitUsage {
		t.Errorf("a bad language: exit %d", r.code)
	}
	if r := gdprdesk(t, "anonymize", id, "--data", dir); r.code != 0 {
		t.Fatalf("anonymize: %s", r.stderr)
	}
	again := gdprdesk(t, "contact", "add", "--data", dir, "--email", "rick@example.org")
	if again.code != exitFailure {
		t.Errorf("adding an erased address: exit %d", again.code)
	}
	oneErrorLine(t, again, "asked to be erased")
}

// --basis with --evidence records the contact's first lawful basis (Art.
// 6(1)) in the same step; a basis without evidence, or consent (given per
// purpose), is a usage error and nothing is stored.
func TestContactAddWithFirstBasis(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "D")
	for _, args := range [][]string{
		{"--basis", "contract"},
		{"--basis", "consent", "--evidence", "web form"},
		{"--basis", "whim", "--evidence", "x"},
	} {
		r := gdprdesk(t, append([]string{"contact", "add", "--data", dir, "--email", "ana@example.org"}, args...)...)
		if r.code != exitUsage {
			t.Errorf("contact add %v: exit %d, want usage", args, r.code)
		}
	}
	r := gdprdesk(t, "contact", "add", "--data", dir, "--email", "ana@example.org", "--basis", "contract", "--evidence", "order 1042")
	if r.code != 0 {
		t.Fatalf("contact add --basis: exit %d %s", r.code, r.stderr)
	}
	var c gdpr.Contact
	show := gdprdesk(t, "contact", "show", "ana@example.org", "--data", dir, "--json")
	if err := json.Unmarshal([]byte(show.stdout), &c); err != nil || c.ID != 1 || !c.HasBasis(gdpr.BasisContract) {
		t.Fatalf("contact show: %+v %v (want C1 holding contract)", c, err)
	}
}
