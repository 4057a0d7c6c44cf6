package cli

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	gossh "golang.org/x/crypto/ssh"

	"github.com/gdprdesk/gdprdesk/store"
)

// With serve holding the data directory, the commands of another process
// are carried out by the server in the caller's operator name: relative
// files against the caller's directory, output and exit code back, and
// each change audited under the name given with --operator.
func TestCommandsWhileServing(t *testing.T) {
	dir := demoDir(t)
	newOperator(t, dir, "olga", "admin")
	startServe(t, dir)
	if s, err := store.Open(dir, store.Options{}); !errors.Is(err, store.ErrLocked) {
		if err == nil {
			s.Close()
		}
		t.Fatalf("serve does not hold the directory: %v", err)
	}
	wd := t.TempDir()
	csv := "Email,First Name,Country\nserved.one@example.com,Served,DE\nserved.two@example.com,Served,AT\n"
	if err := os.WriteFile(filepath.Join(wd, "people.csv"), []byte(csv), 0o600); err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		who  string
		args []string
		want string // in stdout
	}{
		{"ivan", []string{"import", "people.csv", "--source", "fair"}, "2"},
		{"tom", []string{"tag", "--query", "source:fair", "--basis", "legitimate_interests", "--evidence", "met at the fair"}, "2"},
		{"rita", []string{"request", "add", "--type", "access", "--email", "served.one@example.com"}, "R"},
		{"olga", []string{"operator", "remove", "olga"}, "removed"},
	}
	for _, st := range steps {
		args := append(append([]string{}, st.args...), "--data", dir, "--operator", st.who)
		r := runIn(t, wd, strings.NewReader(""), args...)
		if r.code != 0 || !strings.Contains(r.stdout, st.want) {
			t.Fatalf("%s while serving: exit %d\nstdout: %s\nstderr: %s", strings.Join(st.args, " "), r.code, r.stdout, r.stderr)
		}
	}
	r := runIn(t, wd, nil, "contacts", "--query", "source:fair basis:legitimate_interests", "--json", "--data", dir)
	var got contactsJSON
	if r.code != 0 || json.Unmarshal([]byte(r.stdout), &got) != nil || got.Count != 2 {
		t.Fatalf("contacts --json while serving: exit %d, %d contacts\n%s%s", r.code, got.Count, r.stdout, r.stderr)
	}
	// A file the server cannot read is the caller's mistake, said in one line.
	r = runIn(t, wd, nil, "import", "missing.csv", "--data", dir)
	if r.code != exitFailure {
		t.Errorf("import of a missing file while serving: exit %d %s", r.code, r.stderr)
	}
	oneErrorLine(t, r, "cannot read")
	// What needs the directory to itself says so.
	for _, args := range [][]string{{"restore", "x.tar"}, {"serve"}, {}} {
		r = runIn(t, wd, nil, append(args, "--data", dir)...)
		if r.code != exitFailure {
			t.Errorf("%v while serving: exit %d %s", args, r.code, r.stderr)
		}
		oneErrorLine(t, r, "`gdprdesk serve`")
	}

	out := filepath.Join(wd, "audit.jsonl")
	if r := runIn(t, wd, nil, "audit", "export", "--out", "audit.jsonl", "--data", dir); r.code != 0 {
		t.Fatalf("audit export while serving: %s", r.stderr)
	}
	if _, err := os.Stat(out); err != nil {
		t.Fatalf("audit export did not write in the caller's directory: %v", err)
	}
	for _, c := range []struct{ who, action string }{
		{"ivan", "contact.import"}, {"tom", "basis.add"}, {"rita", "request.add"}, {"olga", "operator.remove"},
	} {
		if r := runIn(t, wd, nil, "audit", "export", "--out", c.who+".jsonl", "--data", dir); r.code != 0 {
			t.Fatal(r.stderr)
		}
		b, _ := os.ReadFile(filepath.Join(wd, c.who+".jsonl"))
		if !bytes.Contains(b, []byte(`"operator":"`+c.who+`","action":"`+c.action+`"`)) {
			t.Errorf("no %s entry by %s in the audit log", c.action, c.who)
		}
	}
}

// Over SSH a command runs under the key's operator and role: a viewer's
// change is refused (one line, non-zero status, audited), an admin's is
// made; files go only where a remote operator may put them.
func TestCommandsOverSSH(t *testing.T) {
	dir := demoDir(t)
	vera := newOperator(t, dir, "vera", "viewer")
	olga := newOperator(t, dir, "olga", "admin")
	addr, stop := startServe(t, dir)

	r := sshRun(t, addr, vera, nil, "contacts --query country:DE --json")
	var got contactsJSON
	if r.code != 0 || json.Unmarshal([]byte(r.stdout), &got) != nil || got.Count == 0 {
		t.Fatalf("a viewer's contacts --json over SSH: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	r = sshRun(t, addr, vera, nil, "tag --query country:DE --basis legitimate_interests --evidence x")
	if r.code == 0 || strings.Count(strings.TrimSpace(r.stderr), "\n") != 0 || !strings.HasPrefix(r.stderr, "gdprdesk: ") ||
		!strings.Contains(r.stderr, "not allowed") {
		t.Errorf("a viewer's tag over SSH: exit %d, stderr %q; want one refusal line", r.code, r.stderr)
	}
	r = sshRun(t, addr, vera, nil, "tag --query country:DE --basis legitimate_interests --evidence x --operator olga")
	if r.code == 0 || !strings.Contains(r.stderr, "your key decides") {
		t.Errorf("--operator over SSH: exit %d %q", r.code, r.stderr)
	}
	r = sshRun(t, addr, olga, nil, "tag --query country:DE --basis legitimate_interests --evidence x")
	if r.code != 0 {
		t.Errorf("an admin's tag over SSH: exit %d %s", r.code, r.stderr)
	}
	r = sshRun(t, addr, olga, nil, "frobnicate")
	if r.code == 0 || strings.Count(strings.TrimSpace(r.stderr), "\n") != 0 || !strings.Contains(r.stderr, "unknown command") {
		t.Errorf("an unknown command over SSH: exit %d %q", r.code, r.stderr)
	}
	r = sshRun(t, addr, olga, nil, "serve")
	if r.code != exitFailure || !strings.Contains(r.stderr, "cannot run") {
		t.Errorf("serve over SSH: exit %d %q", r.code, r.stderr)
	}
	// Files: an input only from stdin, an output only in DIR/exports.
	r = sshRun(t, addr, olga, nil, "import /etc/passwd")
	if r.code == 0 || !strings.Contains(r.stderr, "stdin") {
		t.Errorf("import of a server file over SSH: exit %d %q", r.code, r.stderr)
	}
	r = sshRun(t, addr, olga, strings.NewReader("Email,Country\nover.ssh@example.com,DE\n"), "import - --source ssh")
	if r.code != 0 {
		t.Errorf("import - over SSH: exit %d %s", r.code, r.stderr)
	}
	r = sshRun(t, addr, olga, nil, "export contacts --query source:ssh --out ../../escape.csv")
	if r.code != 0 {
		t.Errorf("export over SSH: exit %d %s", r.code, r.stderr)
	}
	if b, err := os.ReadFile(filepath.Join(dir, "exports", "escape.csv")); err != nil || !bytes.Contains(b, []byte("over.ssh@example.com")) {
		t.Errorf("the export over SSH is not in DIR/exports: %v", err)
	}
	stop()
	if _, err := os.Stat(filepath.Join(filepath.Dir(dir), "escape.csv")); err == nil {
		t.Error("an export over SSH left the exports directory")
	}
	vs := auditOf(t, dir, "vera")
	if !hasAction(vs, "access.refused", "basis.add refused: role viewer") || !hasAction(vs, "access.refused", "--operator over SSH") {
		t.Errorf("vera's refusals are not audited: %+v", vs)
	}
	olgas := auditOf(t, dir, "olga")
	if !hasAction(olgas, "basis.add", "") || !hasAction(olgas, "access.refused", "serve over SSH") || !hasAction(olgas, "access.refused", "server file") {
		t.Errorf("olga's tag and refusals are not audited: %+v", olgas)
	}
}

// Removing an operator while serve runs — here through the control socket —
// ends their open sessions, with a terminal or with a command, at once, and
// refuses their next login.
func TestRemovedOperatorIsCutOff(t *testing.T) {
	dir := demoDir(t)
	anna := newOperator(t, dir, "anna", "staff")
	olga := newOperator(t, dir, "olga", "admin")
	addr, _ := startServe(t, dir)

	tui, err := sshDial(addr, anna)
	if err != nil {
		t.Fatal(err)
	}
	defer tui.Close()
	tsess, err := tui.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	var screen syncBuffer
	tsess.Stdout = &screen
	if _, err := tsess.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	if err := tsess.RequestPty("xterm-256color", 40, 120, gossh.TerminalModes{}); err != nil {
		t.Fatal(err)
	}
	if err := tsess.Shell(); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, 15*time.Second, "anna's terminal UI draws", func() bool { return screen.Len() > 0 })
	tuiEnded := make(chan error, 1)
	go func() { tuiEnded <- tsess.Wait() }()

	cmdc, err := sshDial(addr, anna)
	if err != nil {
		t.Fatal(err)
	}
	defer cmdc.Close()
	csess, err := cmdc.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	stdin, err := csess.StdinPipe() // never closed: the import waits for its input
	if err != nil {
		t.Fatal(err)
	}
	defer stdin.Close()
	if err := csess.Start("import -"); err != nil {
		t.Fatal(err)
	}
	cmdEnded := make(chan error, 1)
	go func() { cmdEnded <- csess.Wait() }()
	stdin.Write([]byte("Email\n"))

	select {
	case err := <-tuiEnded:
		t.Fatalf("anna's terminal session ended before her removal: %v", err)
	case err := <-cmdEnded:
		t.Fatalf("anna's command session ended before her removal: %v", err)
	default:
	}
	if r := runIn(t, t.TempDir(), nil, "operator", "remove", "anna", "--data", dir, "--operator", "olga"); r.code != 0 {
		t.Fatalf("operator remove while serving: %s", r.stderr)
	}
	for what, ch := range map[string]chan error{"terminal": tuiEnded, "command": cmdEnded} {
		select {
		case <-ch:
		case <-time.After(10 * time.Second):
			t.Errorf("anna's %s session still runs after her removal", what)
		}
	}
	if c, err := sshDial(addr, anna); err == nil {
		c.Close()
		t.Error("anna logged in again after her removal")
	}
	if r := sshRun(t, addr, olga, nil, "operator list"); r.code != 0 || strings.Contains(r.stdout, "anna") {
		t.Errorf("operator list after the removal: exit %d\n%s", r.code, r.stdout)
	}
}
