package cli

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var ysoldeSecrets = []string{"Ysolde", "Brackenridge", "ysolde.b@first.example", "447700900461"}

// grepData lists the files under dir holding one of the secrets.
func grepData(t *testing.T, dir string) []string {
	t.Helper()
	var hits []string
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, s := range ysoldeSecrets {
			if bytes.Contains(bytes.ToLower(b), []byte(strings.ToLower(s))) {
				hits = append(hits, path+": "+s)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return hits
}

// An access package written over SSH lands in DIR/exports; erasing the
// person over SSH deletes it, so a grep of the data directory finds none
// of their name, email or phone (SPEC §8, issue 19 item 5).
func TestErasureOverSSHDeletesTheExportedPackage(t *testing.T) {
	dir := smallDemo(t)
	olga := newOperator(t, dir, "olga", "admin")
	addr, stop := startServe(t, dir)
	defer stop()
	r := sshRun(t, addr, olga, nil, "contact add --email ysolde.b@first.example --first-name Ysolde --last-name Brackenridge --phone +447700900461 --country IE")
	if r.code != 0 {
		t.Fatalf("contact add over SSH: exit %d %s", r.code, r.stderr)
	}
	id := strings.Fields(r.stdout)[0]
	if r := sshRun(t, addr, olga, nil, "export access "+id+" --format json"); r.code != 0 {
		t.Fatalf("export access over SSH: exit %d %s", r.code, r.stderr)
	}
	if hits := grepData(t, filepath.Join(dir, "exports")); len(hits) == 0 {
		t.Fatal("the package in DIR/exports does not hold the person's data: the test proves nothing")
	}
	r = sshRun(t, addr, olga, nil, "anonymize "+id)
	if r.code != 0 || !strings.Contains(r.stdout, "Deleted 1 file(s)") {
		t.Fatalf("anonymize over SSH: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	stop()
	if hits := grepData(t, dir); len(hits) > 0 {
		t.Errorf("after erasure the data directory still holds the person's data: %v", hits)
	}
}

// A package written outside the data directory is named by anonymize, for
// the owner to delete by hand, and left where it is.
func TestAnonymizeNamesThePackageWrittenElsewhere(t *testing.T) {
	dir := smallDemo(t)
	out := filepath.Join(t.TempDir(), "C1-package.json")
	if r := gdprdesk(t, "export", "access", "C1", "--format", "json", "--out", out, "--data", dir); r.code != 0 {
		t.Fatalf("export access: exit %d %s", r.code, r.stderr)
	}
	r := gdprdesk(t, "anonymize", "C1", "--data", dir)
	if r.code != 0 || !strings.Contains(r.stdout, "Written elsewhere, delete it by hand: "+out) {
		t.Fatalf("anonymize: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if _, err := os.Stat(out); err != nil {
		t.Errorf("the package elsewhere was touched: %v", err)
	}
}

// export access --eml that fails at the draft leaves nothing behind: not
// the package, not a draft (issue 19 item 11).
func TestExportAccessEMLFailureLeavesNothing(t *testing.T) {
	dir := smallDemo(t)
	wd := t.TempDir()
	// The draft's name is taken by a directory: the draft cannot be written.
	if err := os.Mkdir(filepath.Join(wd, "pkg.eml"), 0o700); err != nil {
		t.Fatal(err)
	}
	r := gdprdesk(t, "export", "access", "C1", "--eml", "--out", filepath.Join(wd, "pkg.xlsx"), "--data", dir)
	if r.code != exitFailure {
		t.Fatalf("export with an unwritable draft: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	oneErrorLine(t, r, "pkg.eml")
	es, err := os.ReadDir(wd)
	if err != nil {
		t.Fatal(err)
	}
	if len(es) != 1 {
		var names []string
		for _, e := range es {
			names = append(names, e.Name())
		}
		t.Errorf("a failed export left %v", names)
	}
}
