package cli

import (
	"bytes"
	"crypto/ed25519"
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
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

// sftpList lists exports/ with the real sftp client, as the key's operator.
func sftpList(t *testing.T, addr, keyFile string) result {
	t.Helper()
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("sftp", "-F", "/dev/null", "-P", port, "-i", keyFile, "-o", "IdentitiesOnly=yes", "-o", "BatchMode=yes",
		"-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null", "-o", "LogLevel="+scpLogLevel, "-b", "-", "desk@"+host)
	cmd.Stdin = strings.NewReader("ls exports\n")
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err = cmd.Run()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return result{ee.ExitCode(), out.String(), errb.String()}
	} else if err != nil {
		t.Fatalf("sftp: %v", err)
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
		if r := scp(t, addr, veraKey, legacy, "HOST:exports/"+pkgName, filepath.Join(dest, "vera.json")); r.code == 0 || !strings.Contains(r.stderr, "ermission denied") && !strings.Contains(r.stderr, "viewers cannot download") {
			t.Errorf("%s download by a viewer: exit %d %q, want a refusal", mode, r.code, r.stderr)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "exports", "upload.csv")); err == nil {
		t.Error("an upload reached DIR/exports")
	}
	// The list of exports: file names may say whose package it is, so
	// only who may download sees it.
	if r := sftpList(t, addr, annaKey); r.code != 0 || !strings.Contains(r.stdout, pkgName) {
		t.Errorf("anna's list of exports: exit %d %q %q, want %s in it", r.code, r.stdout, r.stderr, pkgName)
	}
	if r := sftpList(t, addr, veraKey); strings.Contains(r.stdout, pkgName) {
		t.Errorf("a viewer's list of exports shows %s", pkgName)
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
		{vera, "access.refused", "the list of exports over SSH", 1},
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

// pubKey is a new SSH public key line.
func pubKey(t *testing.T) string {
	t.Helper()
	pub, _, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	pk, err := gossh.NewPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(gossh.MarshalAuthorizedKey(pk)))
}

// operator add never silently replaces an operator, and a key already
// registered is refused naming its operator; --replace replaces, audited
// (SPEC §8).
func TestOperatorAddRefusesToReplace(t *testing.T) {
	dir := demoDir(t)
	vic, eve := pubKey(t), pubKey(t)
	add := func(args ...string) result {
		return gdprdesk(t, append(append([]string{"operator", "add"}, args...), "--data", dir, "--operator", "olga")...)
	}
	if r := add("vic", "--key", vic, "--role", "viewer"); r.code != 0 {
		t.Fatal(r.stderr)
	}
	if r := add("eve", "--key", eve, "--role", "staff"); r.code != 0 {
		t.Fatal(r.stderr)
	}
	r := add("vic", "--key", eve, "--role", "admin")
	if r.code != exitFailure || !strings.Contains(r.stderr, "operator eve's") {
		t.Errorf("vic with eve's key: exit %d %q; want a refusal naming eve", r.code, r.stderr)
	}
	r = add("vic", "--key", pubKey(t), "--role", "admin")
	if r.code != exitFailure || !strings.Contains(r.stderr, "already exists") || !strings.Contains(r.stderr, "--replace") {
		t.Errorf("vic again: exit %d %q; want a refusal pointing to --replace", r.code, r.stderr)
	}
	oneErrorLine(t, r, "--replace")
	if r := gdprdesk(t, "operator", "list", "--data", dir); !regexp.MustCompile(`vic +viewer`).MatchString(r.stdout) {
		t.Errorf("after the refusals vic is no longer the viewer:\n%s", r.stdout)
	}
	newVic := pubKey(t)
	if r := add("vic", "--key", newVic, "--role", "admin", "--replace"); r.code != 0 || !strings.Contains(r.stdout, "replaced") {
		t.Errorf("--replace: exit %d %s%s", r.code, r.stdout, r.stderr)
	}
	if r := gdprdesk(t, "operator", "list", "--data", dir); !regexp.MustCompile(`vic +admin`).MatchString(r.stdout) {
		t.Errorf("after --replace vic is not the admin:\n%s", r.stdout)
	}
	entries := auditOf(t, dir, "olga")
	if !hasAction(entries, "operator.replace", "role viewer → admin, another key") {
		t.Errorf("the replacement is not audited: %+v", entries)
	}
}

// A replacement while serve runs ends the replaced operator's sessions at
// once; they log in again under their new role.
func TestReplaceWhileServingEndsTheSessions(t *testing.T) {
	dir := demoDir(t)
	vic := newOperator(t, dir, "vic", "viewer")
	newOperator(t, dir, "olga", "admin")
	addr, _ := startServe(t, dir)
	screen, ended := openTUI(t, addr, vic)
	if !strings.Contains(screen.String(), "vic (viewer)") {
		t.Fatalf("vic's session does not show vic (viewer): %q", tail(screen.String(), 300))
	}
	pub := strings.TrimSpace(string(gossh.MarshalAuthorizedKey(vic.PublicKey())))
	if r := runIn(t, t.TempDir(), nil, "operator", "add", "vic", "--key", pub, "--role", "staff", "--replace", "--data", dir, "--operator", "olga"); r.code != 0 {
		t.Fatalf("operator add --replace while serving: %s", r.stderr)
	}
	select {
	case <-ended:
	case <-time.After(10 * time.Second):
		t.Fatal("vic's session still runs after the replacement")
	}
	again, _ := openTUI(t, addr, vic)
	waitUntil(t, 10*time.Second, "vic is staff", func() bool { return strings.Contains(again.String(), "vic (staff)") })
}

// Every refusal of the command line is audited, once: through the control
// socket (a registered viewer's name) and over SSH (SPEC §8).
func TestRefusalsAreAuditedOnce(t *testing.T) {
	dir := demoDir(t)
	vera := newOperator(t, dir, "vera", "viewer")
	olga := newOperator(t, dir, "olga", "admin")
	addr, stop := startServe(t, dir)
	wd := t.TempDir()
	socket := []struct {
		args []string
		want string // in the refusal's audit entry
	}{
		{[]string{"tag", "--query", "country:DE", "--basis", "legitimate_interests", "--evidence", "x"}, "basis.add refused: role viewer"},
		{[]string{"settings", "set", "soft-opt-in", "on"}, "settings.edit refused: role viewer"},
		{[]string{"operator", "remove", "olga"}, "operator.remove refused: role viewer"},
	}
	for _, c := range socket {
		if r := runIn(t, wd, nil, append(c.args, "--data", dir, "--operator", "vera")...); r.code == 0 {
			t.Errorf("%v through the control socket as vera: exit 0", c.args)
		}
	}
	overSSH := []struct {
		key  gossh.Signer
		who  string
		cmd  string
		want string
	}{
		{vera, "vera", "contact add --email new.person@example.com", "contact.create refused: role viewer"},
		{vera, "vera", "contacts --operator olga", "--operator over SSH refused"},
		{olga, "olga", "import /etc/passwd", "reading a server file over SSH refused"},
		{olga, "olga", "restore backup.tar", "gdprdesk restore over SSH refused"},
	}
	for _, c := range overSSH {
		if r := sshRun(t, addr, c.key, nil, c.cmd); r.code == 0 {
			t.Errorf("%s over SSH as %s: exit 0", c.cmd, c.who)
		}
	}
	stop()
	count := func(who, want string) int {
		n := 0
		for _, e := range auditOf(t, dir, who) {
			if e.Action == "access.refused" && strings.Contains(e.Detail, want) {
				n++
			}
		}
		return n
	}
	for _, c := range socket {
		if n := count("vera", c.want); n != 1 {
			t.Errorf("%v through the control socket: %d entries %q, want 1", c.args, n, c.want)
		}
	}
	for _, c := range overSSH {
		if n := count(c.who, c.want); n != 1 {
			t.Errorf("%s over SSH: %d entries %q, want 1", c.cmd, n, c.want)
		}
	}
}
