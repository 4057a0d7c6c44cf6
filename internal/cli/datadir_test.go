package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A mistyped --data is refused by every command that reads or changes a
// desk, naming the directory, and nothing is created there: before, a new
// empty store was made and "0 contacts" answered (issue 19 item 11).
func TestCommandsRefuseADirectoryWithoutAStore(t *testing.T) {
	other := t.TempDir() // a directory of other files, e.g. ~/Documents
	if err := os.WriteFile(filepath.Join(other, "notes.txt"), []byte("mine"), 0o600); err != nil {
		t.Fatal(err)
	}
	commands := [][]string{
		{"contacts"}, {"checklist"}, {"audit", "verify"}, {"request", "list"}, {"settings", "show"},
		{"export", "access", "C1"}, {"anonymize", "C1"}, {"sweep"}, {"backup", "--out", filepath.Join(t.TempDir(), "b.tar")},
		{"serve", "--listen", "127.0.0.1:0"},
	}
	for _, dir := range []string{filepath.Join(t.TempDir(), "typo"), other} {
		for _, args := range commands {
			r := gdprdesk(t, append(args, "--data", dir)...)
			if r.code != exitFailure {
				t.Errorf("%s on %s: exit %d, want 1\n%s%s", strings.Join(args, " "), dir, r.code, r.stdout, r.stderr)
				continue
			}
			oneErrorLine(t, r, dir)
			if args[0] != "backup" && !strings.Contains(r.stderr, "--data") { // backup says "nothing to back up"
				t.Errorf("%s: the refusal does not say what to check: %q", args[0], r.stderr)
			}
		}
	}
	if _, err := os.Stat(filepath.Join(t.TempDir(), "typo")); err == nil {
		t.Error("a refused command created the mistyped directory")
	}
	if es, _ := os.ReadDir(other); len(es) != 1 {
		t.Errorf("a refused command wrote into a directory of other files: %d entries", len(es))
	}
}

// The missing directory's refusal says how to start one, and is not made.
func TestRefusalOfAMissingDirectoryCreatesNothing(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "typo")
	r := gdprdesk(t, "contacts", "--data", dir)
	oneErrorLine(t, r, "no gdprdesk data in "+dir)
	if !strings.Contains(r.stderr, "gdprdesk import FILE.csv") {
		t.Errorf("the refusal does not say how to start: %q", r.stderr)
	}
	if _, err := os.Stat(dir); err == nil {
		t.Error("contacts created the directory it refused")
	}
}

// Import is how an owner starts: it makes the store in a new directory and
// says so; a dry run there compares with an empty store and leaves
// nothing. contact add may start one too. Neither writes into a directory
// of other files.
func TestImportStartsADataDirectory(t *testing.T) {
	csv := filepath.Join(t.TempDir(), "people.csv")
	if err := os.WriteFile(csv, []byte("Email,Country\na@example.org,DE\nb@example.org,FR\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "desk")
	r := gdprdesk(t, "import", csv, "--dry-run", "--data", dir)
	if r.code != 0 || !strings.Contains(r.stdout, "2") {
		t.Fatalf("import --dry-run on a new directory: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if _, err := os.Stat(dir); err == nil {
		t.Error("a dry run created the data directory")
	}
	r = gdprdesk(t, "import", csv, "--data", dir)
	if r.code != 0 || !strings.Contains(r.stderr, "Starting a new data directory in "+dir) {
		t.Fatalf("import on a new directory: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if got := listJSON(t, dir, ""); got.Count != 2 {
		t.Errorf("the new store holds %d contacts, want 2", got.Count)
	}
	r = gdprdesk(t, "import", csv, "--data", dir)
	if r.code != 0 || strings.Contains(r.stderr, "Starting") {
		t.Errorf("a second import announced a new directory: %s", r.stderr)
	}
	fresh := filepath.Join(t.TempDir(), "by-hand")
	if r := gdprdesk(t, "contact", "add", "--email", "c@example.org", "--data", fresh); r.code != 0 || !strings.HasPrefix(r.stdout, "C1\n") {
		t.Errorf("contact add on a new directory: exit %d %q %s", r.code, r.stdout, r.stderr)
	}
	other := t.TempDir()
	if err := os.WriteFile(filepath.Join(other, "notes.txt"), []byte("mine"), 0o600); err != nil {
		t.Fatal(err)
	}
	r = gdprdesk(t, "import", csv, "--data", other)
	oneErrorLine(t, r, "not a gdprdesk data directory")
	if es, _ := os.ReadDir(other); len(es) != 1 {
		t.Errorf("import wrote into a directory of other files: %d entries", len(es))
	}
}

// A store that cannot be opened is one line on stderr: Badger's own log
// of the failure ("Received err: … Cleaning up...") does not come first
// (issue 19 item 11).
func TestFailedOpenIsOneLine(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "D")
	if r := gdprdesk(t, "contact", "add", "--email", "a@example.org", "--data", dir); r.code != 0 {
		t.Fatalf("contact add: %s", r.stderr)
	}
	if err := os.WriteFile(filepath.Join(dir, "db", "KEYREGISTRY"), []byte("damaged"), 0o600); err != nil {
		t.Fatal(err)
	}
	r := gdprdesk(t, "contacts", "--data", dir)
	if r.code != exitFailure || strings.Count(r.stderr, "\n") != 1 || !strings.HasPrefix(r.stderr, "gdprdesk: open store "+dir) {
		t.Errorf("a store that does not open: exit %d, stderr %q; want its one error line", r.code, r.stderr)
	}
}
