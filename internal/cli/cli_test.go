package cli

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"syscall"
	"testing"
	"time"

	gossh "golang.org/x/crypto/ssh"

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

func TestContactsQueryListsExactlyEUWithoutBasis(t *testing.T) {
	dir := demoDir(t)
	all := listJSON(t, dir, "")
	want := map[gdpr.ContactID]bool{}
	for _, c := range all.Contacts {
		if gdpr.EUStatusOf(c.Country) == gdpr.EUYes && len(c.Bases) == 0 {
			want[c.ID] = true
		}
	}
	got := listJSON(t, dir, "eu:yes basis:none")
	if len(want) == 0 || got.Count != len(want) {
		t.Fatalf("eu:yes basis:none gave %d contacts, a brute-force filter %d", got.Count, len(want))
	}
	for _, c := range got.Contacts {
		if !want[c.ID] {
			t.Errorf("%s listed but is not an EU contact without basis", c.ID)
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

func TestTagThenNoGermanContactLacksABasis(t *testing.T) {
	dir := demoDir(t)
	before := listJSON(t, dir, "country:DE basis:none")
	if before.Count == 0 {
		t.Fatal("demo has no German contact without a basis; the test would prove nothing")
	}
	consentBefore := listJSON(t, dir, "country:DE basis:consent").Count
	entriesBefore := auditEntries(t, dir)
	dry := gdprdesk(t, "tag", "--data", dir, "--query", "country:DE", "--basis", "consent", "--evidence", "webinar signup 2024", "--dry-run")
	if n := len(auditEntries(t, dir)); dry.code != 0 || n != len(entriesBefore) {
		t.Fatalf("tag --dry-run: exit %d, %d audit entries written: %s", dry.code, n-len(entriesBefore), dry.stderr)
	}
	r := gdprdesk(t, "tag", "--data", dir, "--query", "country:DE", "--basis", "consent", "--evidence", "webinar signup 2024")
	if r.code != 0 {
		t.Fatalf("tag: exit %d: %s", r.code, r.stderr)
	}
	if after := listJSON(t, dir, "country:DE basis:none"); after.Count != 0 {
		t.Errorf("after tagging, %d German contacts still lack a basis", after.Count)
	}
	changed := listJSON(t, dir, "country:DE basis:consent").Count - consentBefore
	added := 0
	for _, e := range auditEntries(t, dir)[len(entriesBefore):] {
		if e.Action == "basis.add" {
			added += max(e.Contacts, 1) // a bulk chunk's entry names how many it changed
		}
	}
	if changed == 0 || added != changed {
		t.Errorf("audit's basis.add entries are about %d contacts, %d changed", added, changed)
	}
	if want := fmt.Sprintf("Would change %s contact(s)", gdpr.Thousands(int64(changed))); !strings.Contains(dry.stdout, want) {
		t.Errorf("tag --dry-run said %q, want %q", dry.stdout, want)
	}
	if v := gdprdesk(t, "audit", "verify", "--data", dir); v.code != 0 || !strings.Contains(v.stdout, "OK") {
		t.Errorf("audit verify: exit %d\n%s%s", v.code, v.stdout, v.stderr)
	}
	// Running it again changes nothing.
	r = gdprdesk(t, "tag", "--data", dir, "--query", "country:DE", "--basis", "consent")
	if !strings.Contains(r.stdout, "on 0 contact(s)") {
		t.Errorf("second tag run changed contacts: %s", r.stdout)
	}
}

func auditEntries(t *testing.T, dir string) []store.AuditEntry {
	t.Helper()
	out := filepath.Join(t.TempDir(), "audit.jsonl")
	if r := gdprdesk(t, "audit", "export", "--data", dir, "--out", out); r.code != 0 {
		t.Fatalf("audit export: exit %d: %s", r.code, r.stderr)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	var entries []store.AuditEntry
	for _, l := range lines[1:] { // the first line is the header
		var e store.AuditEntry
		if err := json.Unmarshal([]byte(l), &e); err != nil {
			t.Fatalf("audit export line %q: %v", l, err)
		}
		entries = append(entries, e)
	}
	return entries
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

func TestRequestLifecycle(t *testing.T) {
	dir := demoDir(t)
	r := gdprdesk(t, "request", "add", "--data", dir, "--type", "access", "--contact", "C5", "--received", "2026-01-31", "--channel", "letter")
	if r.code != 0 {
		t.Fatalf("request add: exit %d: %s", r.code, r.stderr)
	}
	id := strings.TrimSpace(r.stdout)
	if !strings.HasPrefix(id, "R") {
		t.Fatalf("request add printed %q, want an id like R33", id)
	}
	list := gdprdesk(t, "request", "list", "--data", dir, "--type", "access", "--json")
	var out struct {
		Requests []requestJSON `json:"requests"`
	}
	if err := json.Unmarshal([]byte(list.stdout), &out); err != nil {
		t.Fatal(err)
	}
	found := false
	for i, rq := range out.Requests {
		if rq.ID.String() == id {
			found = true
			if got := rq.Due.Format("2006-01-02"); got != "2026-03-02" {
				t.Errorf("due %s, want 2026-03-02 (Art. 12(3); 28 Feb 2026 is a Saturday)", got)
			}
			if i > 0 && out.Requests[i-1].Status.Open() && out.Requests[i-1].Due.After(rq.Due) {
				t.Errorf("list is not soonest due first")
			}
		}
	}
	if !found {
		t.Fatalf("%s not listed", id)
	}
	if c := gdprdesk(t, "request", "close", id, "--data", dir, "--outcome", "completed", "--reason", "package sent"); c.code != 0 {
		t.Fatalf("close: exit %d: %s", c.code, c.stderr)
	}
	c := gdprdesk(t, "request", "close", id, "--data", dir, "--outcome", "denied", "--reason", "again")
	if c.code != exitFailure {
		t.Errorf("closing a closed request: exit %d, want 1", c.code)
	}
	oneErrorLine(t, c, "closed")
}

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

func TestAnonymizeRefusesAnObligation(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "D")
	file := filepath.Join(t.TempDir(), "c.csv")
	if err := os.WriteFile(file, []byte("email,balance_cents\ndebtor@example.com,5000\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, r := importJSON(t, dir, file); r.code != 0 {
		t.Fatalf("import: %s", r.stderr)
	}
	r := gdprdesk(t, "anonymize", "debtor@example.com", "--data", dir)
	if r.code != exitFailure {
		t.Errorf("exit %d, want 1", r.code)
	}
	oneErrorLine(t, r, "50.00")
	if r := gdprdesk(t, "anonymize", "debtor@example.com", "--data", dir, "--override-reason", "written off"); r.code != 0 {
		t.Errorf("with override: exit %d: %s", r.code, r.stderr)
	}
}

func TestSweepErasesEUContactsWithoutBasisAndIsResumable(t *testing.T) {
	dir := demoDir(t)
	set := gdpr.WithoutBasisQuery().String()
	before := int64(listJSON(t, dir, set).Count)
	erasedBefore := listJSON(t, dir, "status:anonymized").Count
	var list sweepJSON
	r := gdprdesk(t, "sweep", "--data", dir, "--json")
	if err := json.Unmarshal([]byte(r.stdout), &list); err != nil || list.Candidates != before || before == 0 {
		t.Fatalf("sweep listed %d (err %v), the query finds %d", list.Candidates, err, before)
	}
	if c := listJSON(t, dir, "status:anonymized").Count; c != erasedBefore {
		t.Fatalf("listing without --apply anonymized %d contacts", c-erasedBefore)
	}
	if int64(len(list.Contacts)) != before {
		t.Errorf("sweep listed %d contacts, counted %d", len(list.Contacts), before)
	}
	// The old flag still runs, and changes nothing: the set is one rule.
	if r := gdprdesk(t, "sweep", "--data", dir, "--json", "--include-unknown"); r.code != 0 || !strings.Contains(r.stdout, fmt.Sprintf(`"candidates":%d`, before)) {
		t.Errorf("sweep --include-unknown: exit %d, %.200s", r.code, r.stdout)
	}
	r = gdprdesk(t, "sweep", "--data", dir, "--apply", "--json")
	var done sweepJSON
	if err := json.Unmarshal([]byte(r.stdout), &done); err != nil || r.code != 0 {
		t.Fatalf("sweep --apply: exit %d, %v: %s", r.code, err, r.stderr)
	}
	if done.Anonymized+int64(len(done.Skipped)) != before {
		t.Errorf("sweep anonymized %d and skipped %d of %d", done.Anonymized, len(done.Skipped), before)
	}
	if left := listJSON(t, dir, set).Count; left != len(done.Skipped) {
		t.Errorf("%d EU contacts without basis left, want only the %d skipped", left, len(done.Skipped))
	}
	// Idempotent: a second run finds nothing new to do.
	r = gdprdesk(t, "sweep", "--data", dir, "--apply", "--json")
	var again sweepJSON
	_ = json.Unmarshal([]byte(r.stdout), &again)
	if again.Anonymized != 0 {
		t.Errorf("second sweep anonymized %d", again.Anonymized)
	}
	ck := gdprdesk(t, "checklist", "--data", dir, "--json")
	if !strings.Contains(ck.stdout, `"id": "basis-sweep"`) || !strings.Contains(ck.stdout, "last sweep") {
		t.Errorf("checklist does not show the sweep:\n%s", ck.stdout)
	}
	if v := gdprdesk(t, "audit", "verify", "--data", dir); v.code != 0 {
		t.Errorf("audit verify after sweep: %s", v.stdout)
	}
}

func TestReadmitLetsAnErasedAddressBack(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "D")
	file := filepath.Join(t.TempDir(), "c.csv")
	if err := os.WriteFile(file, []byte("email\nback@example.com\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	importJSON(t, dir, file)
	if r := gdprdesk(t, "anonymize", "back@example.com", "--data", dir); r.code != 0 {
		t.Fatal(r.stderr)
	}
	if r := gdprdesk(t, "readmit", "back@example.com", "--data", dir); r.code != exitUsage {
		t.Errorf("readmit without --reason: exit %d, want 2", r.code)
	}
	if r := gdprdesk(t, "readmit", "back@example.com", "--data", dir, "--reason", "asked to rejoin"); r.code != 0 {
		t.Fatalf("readmit: %s", r.stderr)
	}
	if rep, _ := importJSON(t, dir, file); rep.Created != 1 || rep.Suppressed != 0 {
		t.Errorf("import after readmit: %+v, want the address created again", rep)
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
	if err := json.Unmarshal(b, &pkg); err != nil || pkg.Schema != "gdprdesk.access/v1" {
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
}

// gdprdeskEnv runs the command like gdprdesk, with extra environment
// variables.
func gdprdeskEnv(t *testing.T, env []string, args ...string) result {
	t.Helper()
	return runCLI(t, append([]string{"XDG_DATA_HOME=" + t.TempDir()}, env...), args...)
}

func writeKeyFile(t *testing.T, contents []byte) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "desk.key")
	if err := os.WriteFile(path, contents, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func randomKey(t *testing.T) []byte {
	t.Helper()
	k := make([]byte, 32)
	for i := range k {
		k[i] = byte(sha256.Sum256([]byte(t.Name() + string(rune(i))))[0])
	}
	return k
}

// An encrypted data directory opens with its key (flag or environment),
// and is refused with one line without it, with a wrong key, or with a
// key file that holds no key.
func TestKeyFileEncryptsAndIsRequired(t *testing.T) {
	key := writeKeyFile(t, []byte(hex.EncodeToString(randomKey(t))+"\n"))
	dir := filepath.Join(t.TempDir(), "D")
	if r := gdprdeskEnv(t, nil, "demo", "--no-tui", "--contacts", "40", "--data", dir, "--key-file", key); r.code != 0 {
		t.Fatalf("demo with --key-file: exit %d: %s", r.code, r.stderr)
	}
	if r := gdprdeskEnv(t, []string{"GDPRDESK_KEY_FILE=" + key}, "audit", "verify", "--data", dir); r.code != 0 {
		t.Errorf("audit verify with GDPRDESK_KEY_FILE: exit %d: %s", r.code, r.stderr)
	}
	r := gdprdeskEnv(t, nil, "contacts", "--data", dir)
	if r.code != exitFailure {
		t.Errorf("without a key: exit %d, want 1", r.code)
	}
	oneErrorLine(t, r, "data directory "+dir+" is encrypted: give its key with --key-file or GDPRDESK_KEY_FILE")
	wrong := writeKeyFile(t, bytes.Repeat([]byte{7}, 32))
	r = gdprdeskEnv(t, nil, "contacts", "--data", dir, "--key-file", wrong)
	oneErrorLine(t, r, "the key does not open it")
	bad := writeKeyFile(t, []byte("secret\n"))
	r = gdprdeskEnv(t, nil, "contacts", "--data", dir, "--key-file", bad)
	oneErrorLine(t, r, "--key-file: key file "+bad+" holds 7 bytes, not a key")
	plain := demoDir(t)
	r = gdprdeskEnv(t, []string{"GDPRDESK_KEY_FILE=" + key}, "contacts", "--data", plain)
	oneErrorLine(t, r, "is not encrypted, but a key was given")
}

// TestBackupRestoreCommandsRoundTrip: backup, restore into a new directory,
// and the restored desk verifies and lists, exports and audits the same.
func TestBackupRestoreCommandsRoundTrip(t *testing.T) {
	dir := demoDir(t)
	backup := filepath.Join(t.TempDir(), "desk.tar")
	r := gdprdesk(t, "backup", "--data", dir, "--out", backup)
	if r.code != 0 || !strings.Contains(r.stdout, "checked") {
		t.Fatalf("backup: exit %d: %s%s", r.code, r.stdout, r.stderr)
	}
	r = gdprdesk(t, "backup", "--data", dir, "--out", backup)
	oneErrorLine(t, r, "choose a new file name")
	restored := filepath.Join(t.TempDir(), "R")
	r = gdprdesk(t, "restore", backup, "--data", restored)
	if r.code != 0 || !strings.Contains(r.stdout, "2,000 contacts") {
		t.Fatalf("restore: exit %d: %s%s", r.code, r.stdout, r.stderr)
	}
	if r := gdprdesk(t, "audit", "verify", "--data", restored); r.code != 0 {
		t.Errorf("audit verify of the restored store: exit %d: %s", r.code, r.stderr)
	}
	for _, args := range [][]string{{"contacts", "--json"}, {"request", "list", "--json"}, {"checklist", "--json"}} {
		a := gdprdesk(t, append(args, "--data", dir)...)
		b := gdprdesk(t, append(args, "--data", restored)...)
		if a.code != 0 || a.stdout != b.stdout {
			t.Errorf("%v differs after restore (exit %d/%d)", args, a.code, b.code)
		}
	}
	exports := t.TempDir()
	for _, d := range []string{dir, restored} {
		if r := gdprdesk(t, "audit", "export", "--data", d, "--out", filepath.Join(exports, filepath.Base(d)+".jsonl")); r.code != 0 {
			t.Fatalf("audit export: %s", r.stderr)
		}
	}
	a, _ := os.ReadFile(filepath.Join(exports, "D.jsonl"))
	b, _ := os.ReadFile(filepath.Join(exports, "R.jsonl"))
	_, a, _ = bytes.Cut(a, []byte("\n")) // the header line carries the export time
	_, b, _ = bytes.Cut(b, []byte("\n"))
	if len(a) == 0 || !bytes.Equal(a, b) {
		t.Error("the audit log differs after restore")
	}
	r = gdprdesk(t, "restore", backup, "--data", dir)
	if r.code != exitFailure {
		t.Errorf("restore into a full directory: exit %d", r.code)
	}
	oneErrorLine(t, r, "is not empty")
	cut := filepath.Join(t.TempDir(), "cut.tar")
	whole, _ := os.ReadFile(backup)
	os.WriteFile(cut, whole[:len(whole)/3], 0o600)
	empty := filepath.Join(t.TempDir(), "E")
	r = gdprdesk(t, "restore", cut, "--data", empty)
	oneErrorLine(t, r, "backup is")
	if _, err := os.Stat(empty); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a failed restore left %s behind", empty)
	}
}

// TestRestoreOlderBackupReappliesErasuresCommand: back up, erase a person,
// move the directory aside, restore the older backup with the erasures of
// the current directory: nothing of the person is readable.
func TestRestoreOlderBackupReappliesErasuresCommand(t *testing.T) {
	dir := demoDir(t)
	var victim gdpr.Contact
	for _, c := range listJSON(t, dir, "status:active").Contacts {
		if c.Email != "" && c.FirstName != "" {
			victim = c
			break
		}
	}
	backup := filepath.Join(t.TempDir(), "old.tar")
	if r := gdprdesk(t, "backup", "--data", dir, "--out", backup); r.code != 0 {
		t.Fatalf("backup: %s", r.stderr)
	}
	if r := gdprdesk(t, "anonymize", victim.ID.String(), "--data", dir, "--override-reason", "test"); r.code != 0 {
		t.Fatalf("anonymize: %s", r.stderr)
	}
	old := dir + ".old"
	if err := os.Rename(dir, old); err != nil {
		t.Fatal(err)
	}
	r := gdprdesk(t, "restore", backup, "--data", dir, "--reapply-erasures-from", old)
	if r.code != 0 || !strings.Contains(r.stdout, "1 contact(s) erased again") {
		t.Fatalf("restore --reapply-erasures-from: exit %d: %s%s", r.code, r.stdout, r.stderr)
	}
	if r := gdprdesk(t, "audit", "verify", "--data", dir); r.code != 0 {
		t.Errorf("audit verify: %s", r.stderr)
	}
	if got := listJSON(t, dir, `"`+victim.Email+`"`); got.Count != 0 {
		t.Errorf("the erased person's address still finds %d contact(s)", got.Count)
	}
	before, after := listJSON(t, old, victim.FirstName+" "+victim.LastName), listJSON(t, dir, victim.FirstName+" "+victim.LastName)
	if before.Count != after.Count {
		t.Errorf("the erased person's name finds %d contact(s) in the restored store, %d in the current one", after.Count, before.Count)
	}
	s, err := store.Open(dir, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.ContactByEmail(victim.Email); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("ContactByEmail(erased) = %v, want not found", err)
	}
	c, err := s.Contact(victim.ID)
	if err != nil || c.Status != gdpr.ContactAnonymized || c.FirstName != "" || c.Email != "" {
		t.Errorf("restored contact %s = %+v, %v; want anonymized", victim.ID, c, err)
	}
	if ok, err := s.IsSuppressed(victim.Email); !ok || err != nil {
		t.Errorf("IsSuppressed(erased) = %v, %v", ok, err)
	}
}

// TestBackupWhileServing: with `serve` holding the directory, backup goes
// through the server and restores to the same desk.
func TestBackupWhileServing(t *testing.T) {
	dir := demoDir(t)
	pub, _, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	sshPub, err := gossh.NewPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	if r := gdprdesk(t, "operator", "add", "anna", "--key", string(gossh.MarshalAuthorizedKey(sshPub)), "--role", "admin", "--data", dir); r.code != 0 {
		t.Fatalf("operator add: %s", r.stderr)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	exe, _ := os.Executable()
	serve := exec.Command(exe, "serve", "--data", dir, "--listen", addr)
	serve.Env = append(os.Environ(), "GDPRDESK_RUN_MAIN=1", "GDPRDESK_DATA=", "GDPRDESK_KEY_FILE=")
	var serr bytes.Buffer
	serve.Stderr = &serr
	if err := serve.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		serve.Process.Signal(syscall.SIGTERM)
		serve.Wait()
	}()
	sock := filepath.Join(dir, "control.sock")
	for i := 0; ; i++ {
		if _, err := os.Stat(sock); err == nil {
			break
		}
		if i == 200 {
			t.Fatalf("serve did not open its control socket: %s", serr.String())
		}
		time.Sleep(25 * time.Millisecond)
	}
	if r := gdprdesk(t, "contacts", "--data", dir); r.code != exitFailure || !strings.Contains(r.stderr, "in use") {
		t.Fatalf("the server does not hold the directory: exit %d %s", r.code, r.stderr)
	}
	backup := filepath.Join(t.TempDir(), "online.tar")
	if r := gdprdesk(t, "backup", "--data", dir, "--out", backup); r.code != 0 {
		t.Fatalf("backup while serving: exit %d: %s", r.code, r.stderr)
	}
	serve.Process.Signal(syscall.SIGTERM)
	serve.Wait()
	restored := filepath.Join(t.TempDir(), "R")
	if r := gdprdesk(t, "restore", backup, "--data", restored); r.code != 0 {
		t.Fatalf("restore: %s", r.stderr)
	}
	a, b := listJSON(t, dir, ""), listJSON(t, restored, "")
	if a.Count != 2000 || !reflect.DeepEqual(a, b) {
		t.Errorf("restored online backup differs: %d vs %d contacts", a.Count, b.Count)
	}
}

// contacts --count answers from the counters for one term and by walking
// the query otherwise, and agrees with the listing.
func TestContactsCount(t *testing.T) {
	dir := demoDir(t)
	for _, q := range []string{"country:DE", "eu:yes basis:none", "anna"} {
		r := gdprdesk(t, "contacts", "--data", dir, "--query", q, "--count", "--json")
		if r.code != 0 {
			t.Fatalf("%s: exit %d %s", q, r.code, r.stderr)
		}
		var got struct {
			Count int `json:"count"`
		}
		if err := json.Unmarshal([]byte(r.stdout), &got); err != nil {
			t.Fatal(err)
		}
		if want := listJSON(t, dir, q).Count; got.Count != want || want == 0 {
			t.Errorf("%s: --count %d, listing %d", q, got.Count, want)
		}
	}
}
