package desk

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gdprdesk/gdprdesk/exporters"
	"github.com/gdprdesk/gdprdesk/gdpr"
	"github.com/gdprdesk/gdprdesk/store"
)

// The Art. 20 file is written like an access package: under a new name
// each time, never over a file, every one audited without personal data;
// a viewer's is refused and leaves nothing.
func TestExportPortabilityAuditedUniqueNeverOverwrites(t *testing.T) {
	s := openStore(t)
	id := create(t, s, gdpr.Contact{FirstName: "Anna", Email: "anna@example.org", Country: "DE", Notes: "pays late"})[0]
	dir := t.TempDir()
	for range 2 {
		res, err := ExportPortability(s, PortabilityExport{Operator: "owner", Contact: id, Dir: dir, Now: testNow})
		if err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(res.Path)
		if err != nil {
			t.Fatal(err)
		}
		var doc exporters.PortabilityFile
		if err := json.Unmarshal(b, &doc); err != nil || doc.Schema != exporters.PortabilitySchema || doc.Data.Email != "anna@example.org" {
			t.Errorf("file %s: %v %+v", res.Path, err, doc)
		}
		if strings.Contains(string(b), "pays late") {
			t.Errorf("the portability file holds the business's notes: %s", b)
		}
	}
	if got := files(t, dir); len(got) != 2 || got[0] != "portability-C1-2026-11-29-2.json" || got[1] != "portability-C1-2026-11-29.json" {
		t.Errorf("written %v, want two files under their own names", got)
	}
	es := auditOf(t, s, store.AuditFilter{Action: string(gdpr.ActionContactExport)})
	if len(es) != 2 {
		t.Fatalf("%d contact.export entries for 2 exports", len(es))
	}
	for _, e := range es {
		if e.Record != id.String() || !strings.Contains(e.Detail, "Art. 20") || strings.Contains(e.Detail+e.Personal, "anna") {
			t.Errorf("entry %+v", e)
		}
	}
	out := filepath.Join(dir, "portability-C1-2026-11-29.json")
	if _, err := ExportPortability(s, PortabilityExport{Operator: "owner", Contact: id, Out: out, Now: testNow}); err == nil {
		t.Error("an existing file was overwritten")
	}

	if err := s.AddOperator("owner", store.Operator{Name: "vic", Role: gdpr.RoleViewer, PublicKey: "ssh-ed25519 AAAAvic"}); err != nil {
		t.Fatal(err)
	}
	empty := t.TempDir()
	if _, err := ExportPortability(s, PortabilityExport{Operator: "vic", Contact: id, Dir: empty, Now: testNow}); err == nil {
		t.Error("a viewer exported the portability file")
	}
	if got := files(t, empty); len(got) != 0 {
		t.Errorf("a refused export left %v", got)
	}
}
