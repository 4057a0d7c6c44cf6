package cli

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func importJSON(t *testing.T, dir, file string, extra ...string) (exportersReport, result) {
	t.Helper()
	args := append([]string{"import", file, "--data", dir, "--json"}, extra...)
	r := gdprdesk(t, args...)
	var rep exportersReport
	if r.code == 0 || r.code == exitFailure {
		if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil && r.code == 0 {
			t.Fatalf("import --json is not one JSON document: %v\n%s", err, r.stdout)
		}
	}
	return rep, r
}

// exportersReport mirrors the JSON of exporters.ImportReport, so the test
// reads what a script would read.
type exportersReport struct {
	Rows, Created, Updated, Unchanged, Merged, Suppressed, Rejected int
	Imported                                                        bool
	Errors                                                          []struct {
		Line   int
		Reason string
	}
}

func TestCRMExportsImportWithoutRejects(t *testing.T) {
	for _, f := range []string{"keap.csv", "hubspot.csv", "mailchimp.csv", "tabs.tsv"} {
		t.Run(f, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "D")
			rep, r := importJSON(t, dir, filepath.Join("..", "..", "exporters", "testdata", f))
			if r.code != 0 {
				t.Fatalf("exit %d: %s", r.code, r.stderr)
			}
			if rep.Rejected != 0 || rep.Created == 0 || rep.Created+rep.Merged != rep.Rows {
				t.Errorf("report %+v: want every row imported, none rejected", rep)
			}
			if v := gdprdesk(t, "audit", "verify", "--data", dir); v.code != 0 {
				t.Errorf("audit verify after import: %s", v.stdout)
			}
		})
	}
}

func TestBadRowsAreReportedByLineAndGoodRowsImported(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "D")
	file := filepath.Join("..", "..", "exporters", "testdata", "bad.csv")
	want := map[int]string{3: "email", 4: "email", 5: "Atlantis", 6: "too long", 7: "column", 8: "UTF-8", 12: "vibes", 14: "too long", 15: "quot", 18: "column"}
	// --strict imports nothing and says why.
	rep, r := importJSON(t, dir, file, "--strict")
	if r.code != exitFailure || rep.Imported || rep.Created != 0 {
		t.Errorf("--strict with bad rows: exit %d, report %+v; want exit 1 and nothing imported", r.code, rep)
	}
	if n := listJSON(t, dir, "").Count; n != 0 {
		t.Errorf("--strict imported %d contacts", n)
	}
	// --dry-run reports the same and writes nothing.
	dry, r := importJSON(t, dir, file, "--dry-run")
	if r.code != 0 || dry.Rejected != len(want) || dry.Created == 0 {
		t.Errorf("--dry-run: exit %d, report %+v", r.code, dry)
	}
	if n := listJSON(t, dir, "").Count; n != 0 {
		t.Errorf("--dry-run imported %d contacts", n)
	}
	rep, r = importJSON(t, dir, file)
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	if len(rep.Errors) != len(want) {
		t.Errorf("%d rejected rows, want %d: %+v", len(rep.Errors), len(want), rep.Errors)
	}
	for _, e := range rep.Errors {
		if sub, ok := want[e.Line]; !ok || !strings.Contains(e.Reason, sub) {
			t.Errorf("rejected line %d: %q; want one of the expected lines with %q", e.Line, e.Reason, sub)
		}
	}
	if got := listJSON(t, dir, "").Count; got != rep.Created || got != dry.Created || got == 0 {
		t.Errorf("%d contacts in the store; report says %d created (dry run %d)", got, rep.Created, dry.Created)
	}
}

func TestCanonicalExportRoundTripIsByteIdentical(t *testing.T) {
	src := demoDir(t)
	// An erased contact is left out of the export; the rest must survive.
	if r := gdprdesk(t, "anonymize", "C7", "--data", src); r.code != 0 {
		t.Fatalf("anonymize: %s", r.stderr)
	}
	tmp := t.TempDir()
	first, second := filepath.Join(tmp, "1.csv"), filepath.Join(tmp, "2.csv")
	if r := gdprdesk(t, "export", "contacts", "--data", src, "--out", first); r.code != 0 {
		t.Fatalf("export: %s", r.stderr)
	}
	live := listJSON(t, src, "status:active|restricted").Count
	dst := filepath.Join(tmp, "fresh")
	if rep, r := importJSON(t, dst, first); r.code != 0 || rep.Created != live || rep.Rejected != 0 {
		t.Fatalf("import of the export: exit %d, %+v, %s", r.code, rep, r.stderr)
	}
	if r := gdprdesk(t, "export", "contacts", "--data", dst, "--out", second); r.code != 0 {
		t.Fatalf("second export: %s", r.stderr)
	}
	a, _ := os.ReadFile(first)
	b, _ := os.ReadFile(second)
	if len(a) == 0 || !bytes.Equal(a, b) {
		t.Errorf("export → import → export is not byte-identical (%d vs %d bytes)", len(a), len(b))
	}
	// Importing it again over the same store changes nothing.
	if rep, _ := importJSON(t, dst, first); rep.Unchanged != live || rep.Created+rep.Updated != 0 {
		t.Errorf("re-import: %+v, want all %d unchanged", rep, live)
	}
}

func TestSuppressedAddressIsSkippedOnImport(t *testing.T) {
	dir := demoDir(t)
	c := listJSON(t, dir, "tag:vip").Contacts[0]
	if r := gdprdesk(t, "anonymize", c.ID.String(), "--data", dir, "--override-reason", "test"); r.code != 0 {
		t.Fatalf("anonymize: %s", r.stderr)
	}
	file := filepath.Join(t.TempDir(), "back.csv")
	body := "Email,First Name,Country\n" + strings.ToUpper(c.Email) + ",Again,DE\nnew.person@example.com,New,FR\n"
	if err := os.WriteFile(file, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	rep, r := importJSON(t, dir, file)
	if r.code != 0 || rep.Suppressed != 1 || rep.Created != 1 {
		t.Errorf("import with an erased address: exit %d, %+v; want 1 suppressed, 1 created", r.code, rep)
	}
	if got := listJSON(t, dir, `"again"`).Count; got != 0 {
		t.Errorf("the erased person came back: %d contacts named Again", got)
	}
}

func TestExportAccessPackageLinkedToItsRequest(t *testing.T) {
	dir := demoDir(t)
	r := gdprdesk(t, "request", "add", "--data", dir, "--type", "access", "--contact", "C3")
	if r.code != 0 {
		t.Fatal(r.stderr)
	}
	id := strings.TrimSpace(r.stdout)
	out := filepath.Join(t.TempDir(), "pkg.json")
	r = gdprdesk(t, "export", "access", "C3", "--data", dir, "--format", "json", "--out", out, "--eml", "--request", id)
	if r.code != 0 {
		t.Fatalf("export access: exit %d: %s", r.code, r.stderr)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	var pkg struct {
		Schema string `json:"schema"`
	}
	if err := json.Unmarshal(b, &pkg); err != nil || pkg.Schema != "gdprdesk.access/v2" {
		t.Errorf("package schema %q, %v", pkg.Schema, err)
	}
	if _, err := os.Stat(strings.TrimSuffix(out, ".json") + ".eml"); err != nil {
		t.Errorf("no email draft: %v", err)
	}
	list := gdprdesk(t, "request", "list", "--data", dir, "--json")
	var reqs struct {
		Requests []requestJSON `json:"requests"`
	}
	_ = json.Unmarshal([]byte(list.stdout), &reqs)
	sum := sha256.Sum256(b)
	found := false
	for _, rq := range reqs.Requests {
		if rq.ID.String() == id {
			found = true
			if rq.ExportSHA256 != hex.EncodeToString(sum[:]) || rq.ExportedAt.IsZero() {
				t.Errorf("request %s records export %q at %v, want the file's SHA-256 %x", id, rq.ExportSHA256, rq.ExportedAt, sum)
			}
		}
	}
	if !found {
		t.Errorf("%s not listed", id)
	}
	// A file that exists is never overwritten.
	if r := gdprdesk(t, "export", "access", "C3", "--data", dir, "--format", "json", "--out", out); r.code != exitFailure {
		t.Errorf("overwriting an existing file: exit %d", r.code)
	}
	// Once the request is completed, its package is the record of the
	// answer (Art. 15; Art. 5(2)): a new export cannot replace the link,
	// and leaves no file behind.
	if r := gdprdesk(t, "request", "close", id, "--data", dir, "--outcome", "completed", "--reason", "sent"); r.code != 0 {
		t.Fatalf("close %s: exit %d: %s", id, r.code, r.stderr)
	}
	again := filepath.Join(t.TempDir(), "again.json")
	r = gdprdesk(t, "export", "access", "C3", "--data", dir, "--format", "json", "--out", again, "--request", id)
	if r.code != exitFailure || !strings.Contains(r.stderr, "already completed") {
		t.Errorf("relinking a completed request: exit %d, %q; want a refusal", r.code, r.stderr)
	}
	if _, err := os.Stat(again); !os.IsNotExist(err) {
		t.Errorf("the refused export left %s: %v", again, err)
	}
	list = gdprdesk(t, "request", "list", "--data", dir, "--json", "--status", "completed")
	reqs.Requests = nil
	if err := json.Unmarshal([]byte(list.stdout), &reqs); err != nil {
		t.Fatalf("request list: %v: %s", err, list.stderr)
	}
	found = false
	for _, rq := range reqs.Requests {
		if rq.ID.String() == id {
			found = true
			if rq.ExportSHA256 != hex.EncodeToString(sum[:]) {
				t.Errorf("completed request %s now records %q, want %x", id, rq.ExportSHA256, sum)
			}
		}
	}
	if !found {
		t.Errorf("%s not listed as completed", id)
	}
}

// export portability writes the Art. 20 JSON alone: what the person gave
// and did, not the business's notes, evidence or staff names (SPEC §4, §9).
func TestExportPortability(t *testing.T) {
	dir := demoDir(t)
	// The customer whose invoices are held (the demo's other hold is a
	// lapsed webinar attendee's, for the retention sweep).
	held := listJSON(t, dir, "hold:yes basis:legal_obligation").Contacts
	if len(held) != 1 {
		t.Fatalf("the demo has %d customers under a legal hold on invoices, want 1", len(held))
	}
	c := held[0]
	tmp := t.TempDir()
	out, pkg := filepath.Join(tmp, "port.json"), filepath.Join(tmp, "access.json")
	if r := gdprdesk(t, "export", "portability", c.Email, "--data", dir, "--out", out); r.code != 0 || !strings.Contains(r.stdout, out) {
		t.Fatalf("export portability: exit %d: %s%s", r.code, r.stdout, r.stderr)
	}
	if r := gdprdesk(t, "export", "access", c.ID.String(), "--data", dir, "--format", "json", "--out", pkg); r.code != 0 {
		t.Fatalf("export access: exit %d: %s", r.code, r.stderr)
	}
	b, _ := os.ReadFile(out)
	full, _ := os.ReadFile(pkg)
	var doc struct {
		Schema string `json:"schema"`
		Data   struct {
			Contact string `json:"contact"`
			Email   string `json:"email"`
		} `json:"data"`
	}
	if err := json.Unmarshal(b, &doc); err != nil || doc.Schema != "gdprdesk.portability/v1" || doc.Data.Email != c.Email || doc.Data.Contact != c.ID.String() {
		t.Fatalf("portability file %v: %s", err, b)
	}
	var whole struct {
		Audit []struct {
			Operator string `json:"operator"`
		} `json:"audit"`
	}
	if err := json.Unmarshal(full, &whole); err != nil || len(whole.Audit) == 0 || whole.Audit[0].Operator == "" {
		t.Fatalf("access package audit: %v", err)
	}
	// The access package holds the notes, the evidence and who worked on
	// the record; the portability file does not.
	staff := `"` + whole.Audit[0].Operator + `"`
	for _, internal := range []string{"invoiced by post", "§147 AO", staff, "balance", "evidence"} {
		if !strings.Contains(string(full), internal) {
			t.Errorf("the access package lacks %q: the check below proves nothing", internal)
		}
		if strings.Contains(string(b), internal) {
			t.Errorf("the portability file holds %q", internal)
		}
	}
	// Never over an existing file.
	if r := gdprdesk(t, "export", "portability", c.ID.String(), "--data", dir, "--out", out); r.code != exitFailure {
		t.Errorf("overwriting an existing file: exit %d", r.code)
	}
	// Audited, without personal data.
	log := filepath.Join(tmp, "audit.csv")
	if r := gdprdesk(t, "audit", "export", "--data", dir, "--out", log); r.code != 0 {
		t.Fatalf("audit export: %s", r.stderr)
	}
	a, _ := os.ReadFile(log)
	if !strings.Contains(string(a), "Art. 20 portability only") {
		t.Errorf("the portability export is not in the audit log")
	}
}

// A Mailchimp audience export (one zip, a file per member status) imports
// in one command with a report per file; the subscribed are marketable,
// the unsubscribed carry their objection, the cleaned are not marketable.
func TestImportMailchimpAudienceZip(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "D")
	zipPath := filepath.Join(t.TempDir(), "audience_export_1a2b3c.zip")
	f, err := os.Create(zipPath)
	if err != nil {
		t.Fatal(err)
	}
	zw := zip.NewWriter(f)
	for name, fixture := range map[string]string{
		"subscribed_members_export_1a2b3c.csv":   "mailchimp_subscribed.csv",
		"unsubscribed_members_export_1a2b3c.csv": "mailchimp_unsubscribed.csv",
		"cleaned_members_export_1a2b3c.csv":      "mailchimp_cleaned.csv",
	} {
		b, err := os.ReadFile(filepath.Join("..", "..", "exporters", "testdata", "crm", fixture))
		if err != nil {
			t.Fatal(err)
		}
		w, _ := zw.Create(name)
		w.Write(b)
	}
	zw.Close()
	f.Close()
	dry := gdprdesk(t, "import", zipPath, "--data", dir, "--purpose", "newsletter", "--dry-run")
	if dry.code != 0 || strings.Count(dry.stdout, "Dry run (nothing written)") != 3 || !strings.Contains(dry.stdout, "2 withdrawal(s), 2 marketing objection(s)") {
		t.Fatalf("dry run: exit %d\n%s%s", dry.code, dry.stdout, dry.stderr)
	}
	r := gdprdesk(t, "import", zipPath, "--data", dir, "--purpose", "newsletter", "--json")
	var out struct {
		Files []struct {
			File, Member string
			Created      int
			Consents     int
			Withdrawals  int
			Objections   int
		} `json:"files"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &out); err != nil || r.code != 0 || len(out.Files) != 3 {
		t.Fatalf("import: exit %d, %v\n%s%s", r.code, err, r.stdout, r.stderr)
	}
	if out.Files[0].Member != "subscribed" || out.Files[1].Member != "unsubscribed" || out.Files[2].Member != "cleaned" ||
		out.Files[1].Objections != 2 || out.Files[0].Created != 2 {
		t.Errorf("reports %+v", out.Files)
	}
	if n := listJSON(t, dir, "marketing:yes").Count; n != 2 {
		t.Errorf("marketing:yes = %d after the import, want the 2 subscribed", n)
	}
	if n := listJSON(t, dir, "marketing:no").Count; n != 3 {
		t.Errorf("marketing:no = %d, want the 2 unsubscribed and the cleaned one", n)
	}
	// Every row rejected: exit 1 (nothing imported is a failure).
	bad := filepath.Join(t.TempDir(), "bad.csv")
	os.WriteFile(bad, []byte("email,country\nnot-an-address,DE\nalso bad,FR\n"), 0o600)
	if r := gdprdesk(t, "import", bad, "--data", dir); r.code != exitFailure || !strings.Contains(r.stderr, "every one of the 2 row(s) was rejected") {
		t.Errorf("all rows rejected: exit %d, %s", r.code, r.stderr)
	}
}
