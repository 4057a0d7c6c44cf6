package desk

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gdprdesk/gdprdesk/exporters"
	"github.com/gdprdesk/gdprdesk/gdpr"
	"github.com/gdprdesk/gdprdesk/store"
)

func files(t *testing.T, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range es {
		out = append(out, e.Name())
	}
	return out
}

// Every access package written is audited (SPEC §8), and the entry holds
// nothing personal; a second export the same day never overwrites the first.
func TestExportAccessAuditsEveryPackageAndNeverOverwrites(t *testing.T) {
	s := openStore(t)
	id := create(t, s, gdpr.Contact{FirstName: "Anna", LastName: "Schmidt", Email: "anna.schmidt@example.org", Country: "DE"})[0]
	dir := t.TempDir()
	var sums []string
	for range 2 {
		res, err := ExportAccess(s, AccessExport{Operator: "owner", Contact: id, Format: exporters.FormatJSON, Dir: dir, Now: testNow})
		if err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(res.Path)
		if err != nil || !strings.Contains(string(b), "anna.schmidt@example.org") {
			t.Fatalf("package %s: %v", res.Path, err)
		}
		sums = append(sums, res.SHA256)
	}
	if got := files(t, dir); len(got) != 2 || got[0] != "access-C1-2026-11-29-2.json" || got[1] != "access-C1-2026-11-29.json" {
		t.Errorf("written %v, want two packages under their own names", got)
	}
	es := auditOf(t, s, store.AuditFilter{Action: string(gdpr.ActionContactExport)})
	if len(es) != 2 {
		t.Fatalf("%d contact.export entries for 2 exports", len(es))
	}
	for i, e := range es {
		if e.Record != id.String() || e.Operator != "owner" || !strings.Contains(e.Detail, "json") {
			t.Errorf("entry %+v does not name the contact, the operator and the format", e)
		}
		if !strings.Contains(e.Detail, sums[len(sums)-1-i]) {
			t.Errorf("entry %q does not hold the package's SHA-256", e.Detail)
		}
		for _, personal := range []string{"Anna", "Schmidt", "anna.schmidt", "example.org"} {
			if strings.Contains(e.Detail+e.Record+e.Personal, personal) {
				t.Errorf("audit entry holds %q in clear: %+v", personal, e)
			}
		}
	}
	// The export is in the contact's own trail.
	trail, err := s.AuditOf(id.String())
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range trail {
		if e.Action == string(gdpr.ActionContactExport) {
			n++
		}
	}
	if n != 2 {
		t.Errorf("the contact's trail shows %d exports, want 2", n)
	}
}

// A package answers an open access or portability request of the same
// person (gdpr.Request.CanLinkExport); linked, it is audited once, with the
// link, and the request holds its SHA-256. A refused link writes nothing.
func TestExportAccessLinksOnlyToItsOpenRequest(t *testing.T) {
	s := openStore(t)
	ids := create(t, s, gdpr.Contact{Email: "a@example.org", Country: "DE"}, gdpr.Contact{Email: "b@example.org", Country: "FR"})
	access := addRequest(t, s, gdpr.RequestAccess, ids[0])
	erasure := addRequest(t, s, gdpr.RequestErasure, ids[0])
	other := addRequest(t, s, gdpr.RequestAccess, ids[1])
	closed := addRequest(t, s, gdpr.RequestPortability, ids[0])
	if err := s.DenyRequest("owner", closed, gdpr.GroundUnfounded, "the third request this month"); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	before := len(auditOf(t, s, store.AuditFilter{}))
	for _, tt := range []struct {
		req  gdpr.RequestID
		want string
	}{{erasure, "not access or portability"}, {other, "is not about C1"}, {closed, "already denied"}} {
		_, err := ExportAccess(s, AccessExport{Operator: "owner", Contact: ids[0], Format: exporters.FormatXLSX, Request: tt.req, Dir: dir, Now: testNow})
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("link to %s: %v, want %q", tt.req, err, tt.want)
		}
	}
	if got := files(t, dir); len(got) != 0 {
		t.Errorf("refused links left %v", got)
	}
	if n := len(auditOf(t, s, store.AuditFilter{})); n != before {
		t.Errorf("refused links wrote %d audit entries", n-before)
	}
	res, err := ExportAccess(s, AccessExport{Operator: "owner", Contact: ids[0], Format: exporters.FormatXLSX, Password: "s3cret", Request: access, Dir: dir, Now: testNow})
	if err != nil {
		t.Fatal(err)
	}
	r, _ := s.Request(access)
	if r.ExportSHA256 != res.SHA256 || !r.ExportedAt.Equal(testNow) || res.Linked != access {
		t.Errorf("request %s holds %q at %v, want %q", access, r.ExportSHA256, r.ExportedAt, res.SHA256)
	}
	after := auditOf(t, s, store.AuditFilter{})
	if len(after) != before+1 || after[0].Action != string(gdpr.ActionRequestExport) || after[0].Record != access.String() {
		t.Errorf("a linked export wrote %d entries, the last %+v; want one request.export", len(after)-before, after[0])
	}
}

// A password goes with XLSX only; a draft that cannot be written (no
// sender in the settings) leaves nothing behind, not even the package.
func TestExportAccessLeavesNoHalfResult(t *testing.T) {
	s := openStore(t)
	id := create(t, s, gdpr.Contact{Email: "a@example.org", Country: "DE"})[0]
	dir := t.TempDir()
	if _, err := ExportAccess(s, AccessExport{Operator: "owner", Contact: id, Format: exporters.FormatJSON, Password: "x", Dir: dir, Now: testNow}); err == nil {
		t.Error("a password on a JSON package was accepted")
	}
	_, err := ExportAccess(s, AccessExport{Operator: "owner", Contact: id, Format: exporters.FormatJSON, EML: true, Dir: dir, Now: testNow})
	if err == nil || !strings.Contains(err.Error(), "controller") {
		t.Fatalf("draft without a sender: %v", err)
	}
	if got := files(t, dir); len(got) != 0 {
		t.Errorf("a failed draft left %v", got)
	}
	if es := auditOf(t, s, store.AuditFilter{Action: string(gdpr.ActionContactExport)}); len(es) != 0 {
		t.Errorf("a failed export was audited: %+v", es)
	}
	if err := s.SaveSettings("owner", gdpr.Settings{Controller: gdpr.Person{Name: "Shop", Email: "privacy@shop.example"}}); err != nil {
		t.Fatal(err)
	}
	res, err := ExportAccess(s, AccessExport{Operator: "owner", Contact: id, Format: exporters.FormatJSON, EML: true, Dir: dir, Now: testNow})
	if err != nil {
		t.Fatal(err)
	}
	if res.EMLPath != filepath.Join(dir, "access-C1-2026-11-29.eml") {
		t.Errorf("draft at %q", res.EMLPath)
	}
	// A file named by the caller is never overwritten.
	if _, err := ExportAccess(s, AccessExport{Operator: "owner", Contact: id, Format: exporters.FormatJSON, Out: res.Path, Now: testNow}); err == nil {
		t.Error("an existing --out file was overwritten")
	}
}

// A viewer may not hand out a person's data: the export is refused, the
// refusal audited, and the file removed.
func TestExportAccessRefusedForViewers(t *testing.T) {
	s := openStore(t)
	id := create(t, s, gdpr.Contact{Email: "a@example.org", Country: "DE"})[0]
	if err := s.AddOperator("owner", store.Operator{Name: "vic", Role: gdpr.RoleViewer, PublicKey: "ssh-ed25519 AAAAvic"}); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	_, err := ExportAccess(s, AccessExport{Operator: "vic", Contact: id, Format: exporters.FormatCSV, Dir: dir, Now: testNow})
	if err == nil {
		t.Fatal("a viewer exported an access package")
	}
	if got := files(t, dir); len(got) != 0 {
		t.Errorf("a refused export left %v", got)
	}
	if es := auditOf(t, s, store.AuditFilter{Action: string(gdpr.ActionAccessRefused), Operator: "vic"}); len(es) != 1 {
		t.Errorf("%d refusals audited, want 1", len(es))
	}
}
