package cli

import (
	"bytes"
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	gossh "golang.org/x/crypto/ssh"

	"github.com/gdprdesk/gdprdesk/store"
)

// Stopping the server tells each terminal session in a last line, and
// logs no error for the sessions it ends (issue 20, item 7).
func TestStopTellsTheSessions(t *testing.T) {
	dir := demoDir(t)
	anna := newOperator(t, dir, "anna", "staff")
	olga := newOperator(t, dir, "olga", "admin")
	addr, stop, log := startServeLog(t, dir)
	screens := map[string]*syncBuffer{}
	var ends []<-chan error
	for name, key := range map[string]gossh.Signer{"anna": anna, "olga": olga} {
		screen, ended := openTUI(t, addr, key)
		screens[name] = screen
		ends = append(ends, ended)
	}
	stop()
	for _, ended := range ends {
		select {
		case <-ended:
		case <-time.After(20 * time.Second):
			t.Fatal("a session still runs after the server stopped")
		}
	}
	for name, screen := range screens {
		if !strings.Contains(screen.String(), "the server is stopping; your work is saved") {
			t.Errorf("%s's session was not told the server stops; its last output: %q", name, tail(screen.String(), 200))
		}
	}
	for _, line := range strings.Split(log.String(), "\n") {
		if strings.Contains(line, "ERROR") || strings.Contains(strings.ToLower(line), "with error") {
			t.Errorf("the server logged an error at shutdown: %s", line)
		}
	}
	if !strings.Contains(log.String(), "stopped") {
		t.Errorf("the server's log does not say it stopped:\n%s", log.String())
	}
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[len(s)-n:]
}

var scpLogLevel = "ERROR"

// scp runs the real scp program with the key file (legacy: the old scp
// protocol, scp -O; else SFTP, OpenSSH's default since 9.0).
func scp(t *testing.T, addr, keyFile string, legacy bool, from, to string) result {
	t.Helper()
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatal(err)
	}
	args := []string{"-F", "/dev/null", "-P", port, "-i", keyFile, "-o", "IdentitiesOnly=yes", "-o", "BatchMode=yes",
		"-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null", "-o", "LogLevel=" + scpLogLevel}
	if legacy {
		args = append(args, "-O")
	}
	from, to = strings.ReplaceAll(from, "HOST", "desk@"+host), strings.ReplaceAll(to, "HOST", "desk@"+host)
	cmd := exec.Command("scp", append(args, from, to)...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err = cmd.Run()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return result{ee.ExitCode(), out.String(), errb.String()}
	} else if err != nil {
		t.Fatalf("scp %s %s: %v", from, to, err)
	}
	return result{0, out.String(), errb.String()}
}

// Remote staff fetch the files their commands wrote to DIR/exports with
// scp (SFTP and the old protocol): bytes as written, audited by name when
// the desk chose the name; uploads, paths outside exports and viewers are
// refused, each refusal audited once (issue 20, item 12; Art. 32).
func TestScpDownloadsExports(t *testing.T) {
	if _, err := exec.LookPath("scp"); err != nil {
		t.Fatal("this test needs OpenSSH's scp on PATH")
	}
	dir := demoDir(t)
	_, annaKey := newOperatorKeyFile(t, dir, "anna", "staff")
	_, veraKey := newOperatorKeyFile(t, dir, "vera", "viewer")
	addr, stop := startServe(t, dir)
	pkg := []byte(`{"package":"access","id":"C1"}` + strings.Repeat("x", 100_000))
	const pkgName = "access-C1-2026-12-02.json"
	if err := os.WriteFile(filepath.Join(dir, "exports", pkgName), pkg, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "exports", "dora.meyer.csv"), []byte("a,b\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(dir, "keys", "master.key"), filepath.Join(dir, "exports", "master.key")); err != nil {
		t.Fatal(err)
	}
	local := t.TempDir()
	upload := filepath.Join(local, "upload.csv")
	if err := os.WriteFile(upload, []byte("Email\nx@example.com\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, legacy := range []bool{false, true} {
		mode := map[bool]string{false: "sftp", true: "scp -O"}[legacy]
		dest := filepath.Join(local, mode)
		if err := os.MkdirAll(dest, 0o700); err != nil {
			t.Fatal(err)
		}
		r := scp(t, addr, annaKey, legacy, "HOST:exports/"+pkgName, dest)
		if got, err := os.ReadFile(filepath.Join(dest, pkgName)); r.code != 0 || err != nil || !bytes.Equal(got, pkg) {
			t.Errorf("%s download: exit %d %s; file %d bytes (%v), want %d", mode, r.code, r.stderr, len(got), err, len(pkg))
		}
		if r := scp(t, addr, annaKey, legacy, "HOST:exports/dora.meyer.csv", dest); r.code != 0 {
			t.Errorf("%s download of an operator-named file: exit %d %s", mode, r.code, r.stderr)
		}
		for _, p := range []string{"exports/../keys/master.key", "/etc/passwd", "keys/master.key", "exports/master.key"} {
			if r := scp(t, addr, annaKey, legacy, "HOST:"+p, dest); r.code == 0 {
				t.Errorf("%s of %s: exit 0, want a refusal", mode, p)
			}
		}
		if _, err := os.Stat(filepath.Join(dest, "master.key")); err == nil {
			t.Errorf("%s: the master key was fetched", mode)
		}
		if r := scp(t, addr, annaKey, legacy, upload, "HOST:exports/upload.csv"); r.code == 0 {
			t.Errorf("%s upload: exit 0, want a refusal", mode)
		}
		if r := scp(t, addr, veraKey, legacy, "HOST:exports/"+pkgName, filepath.Join(dest, "vera.json")); r.code == 0 {
			t.Errorf("%s download by a viewer: exit 0, want a refusal", mode)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "exports", "upload.csv")); err == nil {
		t.Error("an upload reached DIR/exports")
	}
	stop()
	count := func(entries []store.AuditEntry, action, detail string) int {
		n := 0
		for _, e := range entries {
			if e.Action == action && strings.Contains(e.Detail, detail) {
				n++
			}
		}
		return n
	}
	anna, vera := auditOf(t, dir, "anna"), auditOf(t, dir, "vera")
	for _, c := range []struct {
		entries        []store.AuditEntry
		action, detail string
		want           int
	}{
		{anna, "export.download", "exports/" + pkgName + ", 100030 bytes, sha256 ", 2},
		{anna, "export.download", "a file of exports named by its operator", 2},
		{anna, "export.download", "dora", 0},
		{anna, "access.refused", "a path outside exports over SSH", 6}, // three paths, two ways
		{anna, "access.refused", "not a plain file", 2},                // the symlink, two ways
		{anna, "access.refused", "an upload over SSH", 2},              // one per way
		{vera, "access.refused", "export.download refused: role viewer", 2},
		{vera, "export.download", "", 0},
	} {
		if n := count(c.entries, c.action, c.detail); n != c.want {
			t.Errorf("%d %s entries with %q, want %d", n, c.action, c.detail, c.want)
		}
	}
	if t.Failed() {
		for _, e := range append(anna, vera...) {
			t.Logf("%s %s %s", e.Operator, e.Action, e.Detail)
		}
	}
}
