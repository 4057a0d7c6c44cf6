package desk

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/gdprdesk/gdprdesk/exporters"
	"github.com/gdprdesk/gdprdesk/gdpr"
	"github.com/gdprdesk/gdprdesk/store"
)

// grepDir lists the files under dir whose bytes hold one of the needles.
func grepDir(t *testing.T, dir string, needles ...string) []string {
	t.Helper()
	var hits []string
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || d.Type()&fs.ModeSymlink != 0 {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, n := range needles {
			if bytes.Contains(b, []byte(n)) || bytes.Contains(bytes.ToLower(b), []byte(strings.ToLower(n))) {
				hits = append(hits, path+" ("+n+")")
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return hits
}

var ysolde = gdpr.Contact{FirstName: "Ysolde", LastName: "Brackenridge", Email: "ysolde.b@first.example",
	Phone: "+44 7700 900461", Country: "IE"}

// Erasing a person deletes the files written with their data that are
// still under the data directory — access packages written over SSH to
// DIR/exports, their email drafts, portability files — so that a grep of
// the directory finds none of their names, emails or phone numbers; a file
// written elsewhere is named for the owner to delete (SPEC §8, Art. 17).
func TestEraseDeletesTheFilesWrittenWithThePersonsData(t *testing.T) {
	s := openStore(t)
	if err := s.SaveSettings("owner", gdpr.Settings{Controller: gdpr.Person{Name: "Shop", Email: "privacy@shop.example"}}); err != nil {
		t.Fatal(err)
	}
	id := create(t, s, ysolde, gdpr.Contact{FirstName: "Other", Email: "other@example.org", Country: "DE"})[0]
	exports := filepath.Join(s.Dir(), "exports")
	if err := os.Mkdir(exports, 0o700); err != nil {
		t.Fatal(err)
	}
	inside, err := ExportAccess(s, AccessExport{Operator: "owner", Contact: id, Format: exporters.FormatJSON, EML: true, Dir: exports, Now: testNow})
	if err != nil {
		t.Fatal(err)
	}
	port, err := ExportPortability(s, PortabilityExport{Operator: "owner", Contact: id, Dir: exports, Now: testNow})
	if err != nil {
		t.Fatal(err)
	}
	// Named by the caller, and elsewhere: the name itself is personal.
	outside := filepath.Join(t.TempDir(), "ysolde-brackenridge.csv.zip")
	if _, err := ExportAccess(s, AccessExport{Operator: "owner", Contact: id, Format: exporters.FormatCSV, Out: outside, Now: testNow}); err != nil {
		t.Fatal(err)
	}
	// Another person's package stays.
	other, err := ExportAccess(s, AccessExport{Operator: "owner", Contact: id + 1, Format: exporters.FormatJSON, Dir: exports, Now: testNow})
	if err != nil {
		t.Fatal(err)
	}
	personal := []string{"Ysolde", "Brackenridge", "ysolde.b@first.example", "7700 900461"}
	if hits := grepDir(t, exports, personal...); len(hits) == 0 {
		t.Fatal("the packages under the data directory do not hold the person's data: the test proves nothing")
	}

	_, _, files, err := Erase(s, "owner", id, store.AnonymizeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{inside.Path, inside.EMLPath, port.Path}
	for i := range want {
		want[i], _ = filepath.Abs(want[i])
	}
	if !sameSet(files.Deleted, want) {
		t.Errorf("deleted %v, want %v", files.Deleted, want)
	}
	if len(files.Elsewhere) != 1 || files.Elsewhere[0] != outside || len(files.Changed) != 0 {
		t.Errorf("to delete by hand: elsewhere %v, changed %v; want %s", files.Elsewhere, files.Changed, outside)
	}
	if _, err := os.Stat(outside); err != nil {
		t.Errorf("the file written elsewhere was touched: %v", err)
	}
	if _, err := os.Stat(other.Path); err != nil {
		t.Errorf("another person's package was deleted: %v", err)
	}
	if !slices.ContainsFunc(files.Lines(), func(l string) bool { return strings.Contains(l, "delete it by hand: "+outside) }) {
		t.Errorf("the report does not name the file to delete by hand: %q", files.Lines())
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if hits := grepDir(t, filepath.Dir(exports), personal...); len(hits) > 0 {
		t.Errorf("the person's data is still in the data directory: %v", hits)
	}
}

// The erasure's audit entry counts the files and names none of them, and
// the register forgets them.
func TestEraseFilesAuditedWithoutPaths(t *testing.T) {
	s := openStore(t)
	id := create(t, s, ysolde)[0]
	out := filepath.Join(t.TempDir(), "Brackenridge.json")
	if _, err := ExportAccess(s, AccessExport{Operator: "owner", Contact: id, Format: exporters.FormatJSON, Out: out, Now: testNow}); err != nil {
		t.Fatal(err)
	}
	reg, err := s.WrittenFiles(id)
	if err != nil || len(reg) != 1 || reg[0].Path != out || reg[0].Kind != store.FileAccessPackage {
		t.Fatalf("register after the export: %+v, %v", reg, err)
	}
	if _, _, _, err := Erase(s, "owner", id, store.AnonymizeOptions{}); err != nil {
		t.Fatal(err)
	}
	es := auditOf(t, s, store.AuditFilter{Action: string(gdpr.ActionContactFilesErase)})
	if len(es) != 1 || es[0].Record != id.String() || !strings.Contains(es[0].Detail, "1 written elsewhere") {
		t.Fatalf("files erasure audited as %+v", es)
	}
	if strings.Contains(es[0].Detail, "Brackenridge") || strings.Contains(es[0].Detail, out) {
		t.Errorf("the audit entry names the file: %q", es[0].Detail)
	}
	if reg, err := s.WrittenFiles(id); err != nil || len(reg) != 0 {
		t.Errorf("the register still holds %+v (%v)", reg, err)
	}
}

// Deleting is safe: a file under the data directory that is no longer the
// one written (edited, or replaced by a link) is left and named, and a
// link never leads the deletion out of the data directory.
func TestEraseFilesNeverDeletesWhatItDidNotWrite(t *testing.T) {
	s := openStore(t)
	id := create(t, s, ysolde)[0]
	exports := filepath.Join(s.Dir(), "exports")
	away := t.TempDir()
	if err := os.Mkdir(exports, 0o700); err != nil {
		t.Fatal(err)
	}
	// exports/away leads out of the data directory.
	if err := os.Symlink(away, filepath.Join(exports, "away")); err != nil {
		t.Fatal(err)
	}
	export := func(out string) string {
		t.Helper()
		res, err := ExportAccess(s, AccessExport{Operator: "owner", Contact: id, Format: exporters.FormatJSON, Out: out, Now: testNow})
		if err != nil {
			t.Fatal(err)
		}
		return res.Path
	}
	edited := export(filepath.Join(exports, "edited.json"))
	linked := export(filepath.Join(exports, "linked.json"))
	through := export(filepath.Join(exports, "away", "through.json"))
	if err := os.WriteFile(edited, []byte("someone else's notes"), 0o600); err != nil {
		t.Fatal(err)
	}
	// linked.json becomes a link to a copy outside, with the same bytes.
	b, err := os.ReadFile(linked)
	if err != nil {
		t.Fatal(err)
	}
	target := filepath.Join(away, "target.json")
	if err := os.WriteFile(target, b, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(linked); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(target, linked); err != nil {
		t.Fatal(err)
	}

	_, _, files, err := Erase(s, "owner", id, store.AnonymizeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(files.Deleted) != 0 {
		t.Errorf("deleted %v", files.Deleted)
	}
	if !sameSet(files.Changed, []string{edited, linked}) {
		t.Errorf("changed %v, want the edited file and the link", files.Changed)
	}
	if !sameSet(files.Elsewhere, []string{through}) {
		t.Errorf("elsewhere %v, want the file written through the link", files.Elsewhere)
	}
	for _, p := range []string{edited, linked, target, filepath.Join(away, "through.json")} {
		if _, err := os.Lstat(p); err != nil {
			t.Errorf("%s was deleted: %v", p, err)
		}
	}
}

func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}

// The sweep erases people too: their files under the data directory go
// with them, and those written elsewhere are reported (SPEC §8).
func TestSweepDeletesTheErasedPeoplesFiles(t *testing.T) {
	s := openStore(t)
	ids := create(t, s, ysolde, gdpr.Contact{Email: "kept@example.org", Country: "DE",
		Bases: []gdpr.BasisAssignment{{Basis: gdpr.BasisContract, Source: "purchase"}}})
	exports := filepath.Join(s.Dir(), "exports")
	if err := os.Mkdir(exports, 0o700); err != nil {
		t.Fatal(err)
	}
	var paths []string
	for _, id := range ids {
		res, err := ExportAccess(s, AccessExport{Operator: "owner", Contact: id, Format: exporters.FormatJSON, Dir: exports, Now: testNow})
		if err != nil {
			t.Fatal(err)
		}
		paths = append(paths, res.Path)
	}
	elsewhere := filepath.Join(t.TempDir(), "ysolde.json")
	if _, err := ExportAccess(s, AccessExport{Operator: "owner", Contact: ids[0], Format: exporters.FormatJSON, Out: elsewhere, Now: testNow}); err != nil {
		t.Fatal(err)
	}
	rep, err := Sweep(t.Context(), s, SweepOptions{Operator: "owner", Apply: true, Now: testNow})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Erased != 1 || len(rep.Files.Deleted) != 1 || !sameSet(rep.Files.Elsewhere, []string{elsewhere}) {
		t.Fatalf("sweep erased %d, files %+v", rep.Erased, rep.Files)
	}
	if _, err := os.Stat(paths[0]); err == nil {
		t.Error("the swept person's package is still in DIR/exports")
	}
	if _, err := os.Stat(paths[1]); err != nil {
		t.Errorf("the kept person's package was deleted: %v", err)
	}
}

// What the front ends show: one line per file to delete by hand, and one
// short phrase for the TUI's status line; nothing when there were no files.
func TestErasedFilesReport(t *testing.T) {
	if l, s := (ErasedFiles{}).Lines(), (ErasedFiles{}).Summary(); len(l) != 0 || s != "" {
		t.Errorf("no files reported as %q / %q", l, s)
	}
	e := ErasedFiles{Deleted: []string{"/d/exports/a.json", "/d/exports/a.eml"}, Elsewhere: []string{"/home/x/pkg.xlsx"}, Changed: []string{"/d/exports/b.json"}}
	lines := e.Lines()
	want := []string{
		"Deleted 2 file(s) written with the person's data from the data directory.",
		"Written elsewhere, delete it by hand: /home/x/pkg.xlsx",
		"Changed since it was written, so left in place; delete it by hand if it holds the person's data: /d/exports/b.json",
	}
	if !slices.Equal(lines, want) {
		t.Errorf("lines %q, want %q", lines, want)
	}
	if got := e.Summary(); got != "2 exported file(s) deleted; delete by hand: /home/x/pkg.xlsx, /d/exports/b.json" {
		t.Errorf("summary %q", got)
	}
}

// An erasure cut short after its commit (the key destroyed, the files not
// yet dealt with) is finished by erasing again: the package under the data
// directory is found by its SHA-256 and deleted, though its name went with
// the key; the one elsewhere can no longer be named and is counted.
func TestEraseAgainFinishesAnInterruptedErasuresFiles(t *testing.T) {
	s := openStore(t)
	id := create(t, s, ysolde)[0]
	exports := filepath.Join(s.Dir(), "exports")
	if err := os.Mkdir(exports, 0o700); err != nil {
		t.Fatal(err)
	}
	inside, err := ExportAccess(s, AccessExport{Operator: "owner", Contact: id, Format: exporters.FormatJSON, Dir: exports, Now: testNow})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ExportAccess(s, AccessExport{Operator: "owner", Contact: id, Format: exporters.FormatCSV, Out: filepath.Join(t.TempDir(), "p.zip"), Now: testNow}); err != nil {
		t.Fatal(err)
	}
	// The store's erasure alone: what a crash right after it leaves.
	if _, err := s.Anonymize("owner", id, store.AnonymizeOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(inside.Path); err != nil {
		t.Fatalf("the package is gone before the files were dealt with: %v", err)
	}
	_, _, files, err := Erase(s, "owner", id, store.AnonymizeOptions{})
	if err == nil || !strings.Contains(err.Error(), "already anonymized") {
		t.Errorf("erasing again: %v", err)
	}
	abs, _ := filepath.Abs(inside.Path)
	if !sameSet(files.Deleted, []string{abs}) || files.Unnamed != 1 {
		t.Errorf("files %+v, want %s deleted and one unnamed", files, abs)
	}
	if _, err := os.Stat(inside.Path); err == nil {
		t.Error("the interrupted erasure's package is still there")
	}
	if reg, err := s.WrittenFiles(id); err != nil || len(reg) != 0 {
		t.Errorf("the register still holds %+v (%v)", reg, err)
	}
	// Nothing left: a third time is the plain refusal.
	if _, _, files, err := Erase(s, "owner", id, store.AnonymizeOptions{}); err == nil || len(files.Lines()) != 0 {
		t.Errorf("a third erasure: %v, %+v", err, files)
	}
}
