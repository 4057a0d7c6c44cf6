package cli

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gdprdesk/gdprdesk/gdpr"
	"github.com/gdprdesk/gdprdesk/store"
)

// The command-line tests run the real program as a child process (this test
// binary re-executed with GDPRDESK_RUN_MAIN=1), so exit codes, stdout and
// stderr are what a user sees, and a second process really is a second
// process.
func TestMain(m *testing.M) {
	if os.Getenv("GDPRDESK_RUN_MAIN") == "1" {
		os.Exit(Run(os.Args[1:]))
		return
	}
	os.Exit(m.Run())
}

type result struct {
	code           int
	stdout, stderr string
}

func gdprdesk(t *testing.T, args ...string) result {
	t.Helper()
	return gdprdeskIn(t, t.TempDir(), args...)
}

// gdprdeskIn runs the command with XDG_DATA_HOME set to home, where the
// default demo directory lives.
func gdprdeskIn(t *testing.T, home string, args ...string) result {
	t.Helper()
	return runCLI(t, []string{"XDG_DATA_HOME=" + home}, args...)
}

// runCLI runs the real program (this test binary, re-executed) with a
// clean gdprdesk environment plus env.
func runCLI(t *testing.T, env []string, args ...string) result {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe, args...)
	cmd.Env = append(append(os.Environ(), "GDPRDESK_RUN_MAIN=1", "GDPRDESK_DATA=", "GDPRDESK_KEY_FILE="), env...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err = cmd.Run()
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("run %v: %v", args, err)
	}
	return result{code, out.String(), errb.String()}
}

// oneErrorLine checks the SPEC §4 error shape: one line starting gdprdesk:
// (a usage error adds one hint line), never a stack trace.
func oneErrorLine(t *testing.T, r result, want string) {
	t.Helper()
	lines := strings.Split(strings.TrimSpace(r.stderr), "\n")
	// A command that starts a data directory says so first; the error
	// is the line after it.
	if strings.HasPrefix(lines[0], "Starting a new data directory in ") && len(lines) > 1 {
		lines = lines[1:]
	}
	if !strings.HasPrefix(lines[0], "gdprdesk: ") || !strings.Contains(lines[0], want) {
		t.Errorf("stderr first line = %q, want gdprdesk: …%s…", lines[0], want)
	}
	if len(lines) > 2 || strings.Contains(r.stderr, "goroutine ") || strings.Contains(r.stderr, "panic") {
		t.Errorf("stderr is not one clear line:\n%s", r.stderr)
	}
}

func demoDir(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "D")
	if r := gdprdesk(t, "demo", "--no-tui", "--data", dir); r.code != 0 {
		t.Fatalf("demo: exit %d\n%s", r.code, r.stderr)
	}
	return dir
}

func listJSON(t *testing.T, dir, query string) contactsJSON {
	t.Helper()
	r := gdprdesk(t, "contacts", "--data", dir, "--query", query, "--json")
	if r.code != 0 {
		t.Fatalf("contacts %q: exit %d: %s", query, r.code, r.stderr)
	}
	var out contactsJSON
	if err := json.Unmarshal([]byte(r.stdout), &out); err != nil {
		t.Fatalf("contacts --json is not one JSON document: %v\n%s", err, r.stdout)
	}
	return out
}

func TestDemoFillsOnceAndRefusesAgain(t *testing.T) {
	dir := demoDir(t)
	all := listJSON(t, dir, "")
	if all.Count != 2000 {
		t.Errorf("demo made %d contacts, want 2000", all.Count)
	}
	r := gdprdesk(t, "demo", "--no-tui", "--data", dir)
	if r.code != exitFailure {
		t.Errorf("second demo: exit %d, want 1", r.code)
	}
	oneErrorLine(t, r, "not empty")
	if again := listJSON(t, dir, ""); again.Count != 2000 {
		t.Errorf("refused demo changed the store: %d contacts", again.Count)
	}
	rq := gdprdesk(t, "request", "list", "--data", dir, "--json")
	var reqs struct {
		Requests []requestJSON `json:"requests"`
	}
	if err := json.Unmarshal([]byte(rq.stdout), &reqs); err != nil {
		t.Fatal(err)
	}
	statuses, overdue := map[gdpr.RequestStatus]bool{}, 0
	for _, r := range reqs.Requests {
		statuses[r.Status] = true
		if r.Overdue {
			overdue++
		}
	}
	for _, st := range gdpr.RequestStatuses() {
		if !statuses[st] {
			t.Errorf("demo has no request in status %s", st)
		}
	}
	if overdue == 0 {
		t.Error("demo has no overdue request")
	}
	// The demo's objection to marketing is a request with its scope, and
	// it took effect as it was logged (Art. 21(3)).
	var objections []requestJSON
	for _, r := range reqs.Requests {
		if r.Type == gdpr.RequestObjection && r.Scope == gdpr.ScopeMarketing {
			objections = append(objections, r)
		}
	}
	if len(objections) != 1 || objections[0].Status != gdpr.StatusCompleted {
		t.Fatalf("demo objections to marketing: %+v, want one, completed", objections)
	}
	if c, ok := idsOf(t, dir, "marketing:no")[objections[0].Contact]; !ok || !c.Objected() {
		t.Errorf("%s objected to marketing by %s but is not marketing:no with the objection recorded", objections[0].Contact, objections[0].ID)
	}
}

// The README's first command works every time: the default demo directory,
// once filled, is opened again instead of refused.
func TestDemoDefaultDirectoryOpensAgain(t *testing.T) {
	home := t.TempDir()
	if r := gdprdeskIn(t, home, "demo", "--no-tui", "--contacts", "50"); r.code != 0 {
		t.Fatalf("first demo: exit %d\n%s", r.code, r.stderr)
	}
	r := gdprdeskIn(t, home, "demo", "--no-tui", "--contacts", "50")
	if r.code != 0 || !strings.Contains(r.stdout, "Opening the demo filled earlier") {
		t.Fatalf("second demo: exit %d\nstdout %s\nstderr %s", r.code, r.stdout, r.stderr)
	}
	if got := listJSON(t, filepath.Join(home, "gdprdesk-demo"), ""); got.Count != 50 {
		t.Errorf("the demo holds %d contacts after the second run, want 50", got.Count)
	}
}

// Without a terminal the UI says what to do instead, in one line.
func TestTUINeedsATerminal(t *testing.T) {
	r := gdprdesk(t, "--data", t.TempDir())
	if r.code != exitUsage {
		t.Errorf("exit %d, want %d", r.code, exitUsage)
	}
	oneErrorLine(t, r, "needs a terminal")
}

func TestDemoIsDeterministic(t *testing.T) {
	a, b := demoDir(t), demoDir(t)
	ja, jb := listJSON(t, a, "tag:vip"), listJSON(t, b, "tag:vip")
	if len(ja.Contacts) == 0 || len(ja.Contacts) != len(jb.Contacts) {
		t.Fatalf("same seed gave %d and %d vip contacts", len(ja.Contacts), len(jb.Contacts))
	}
	for i := range ja.Contacts {
		if ja.Contacts[i].Email != jb.Contacts[i].Email {
			t.Fatalf("contact %d differs: %s vs %s", i, ja.Contacts[i].Email, jb.Contacts[i].Email)
		}
	}
}

func TestBadUsageExitsTwoAndNamesTheProblem(t *testing.T) {
	dir := demoDir(t)
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"contacts", "--data", dir, "--query", "foo:bar"}, `"foo"`},
		{[]string{"contacts", "--data", dir, "--query", "basis:maybe"}, "basis:maybe"},
		{[]string{"contacts", "--data", dir, "--limit", "-3"}, "--limit"},
		{[]string{"tag", "--data", dir, "--query", "country:DE", "--basis", "hunch"}, "hunch"},
		{[]string{"tag", "--data", dir, "--basis", "consent"}, "--query"},
		{[]string{"tag", "--data", dir, "--query", "country:DE", "--basis", "consent"}, "--purpose"},
		{[]string{"consent", "grant", "C1", "--data", dir}, "--purpose"},
		{[]string{"consent", "grant", "C1", "--data", dir, "--purpose", "newsletter", "--at", "2999-01-01"}, "future"},
		{[]string{"request", "add", "--data", dir, "--type", "access"}, "--contact"},
		{[]string{"request", "add", "--data", dir, "--type", "forget", "--contact", "C1"}, "forget"},
		{[]string{"request", "close", "R1", "--data", dir, "--outcome", "denied"}, "reason"},
		{[]string{"nosuchcommand"}, "nosuchcommand"},
		{[]string{"contacts", "--nosuchflag"}, "nosuchflag"},
	}
	for _, c := range cases {
		r := gdprdesk(t, c.args...)
		if r.code != exitUsage {
			t.Errorf("%v: exit %d, want 2 (stderr %q)", c.args, r.code, r.stderr)
			continue
		}
		oneErrorLine(t, r, c.want)
	}
}

func TestSecondProcessGetsOneClearLine(t *testing.T) {
	dir := demoDir(t)
	s, err := store.Open(dir, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	r := gdprdesk(t, "contacts", "--data", dir)
	if r.code != exitFailure {
		t.Errorf("exit %d, want 1", r.code)
	}
	oneErrorLine(t, r, dir)
	if !strings.Contains(r.stderr, "in use") {
		t.Errorf("stderr does not say the directory is in use: %q", r.stderr)
	}
}
