package cli

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

type breachListJSON struct {
	AsOf     time.Time    `json:"as_of"`
	Count    int          `json:"count"`
	Breaches []breachJSON `json:"breaches"`
}

// breachDir is a new data directory with one contact and the desk's time
// zone set to zone.
func breachDir(t *testing.T, zone string) (string, func(args ...string) result) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "D")
	run := func(args ...string) result {
		t.Helper()
		return gdprdesk(t, append(args, "--data", dir)...)
	}
	for _, args := range [][]string{{"contact", "add", "--email", "a@example.org", "--country", "DE"}, {"settings", "set", "timezone", zone}} {
		if r := run(args...); r.code != 0 {
			t.Fatalf("%v: exit %d %s", args, r.code, r.stderr)
		}
	}
	return dir, run
}

func mustBreachRun(t *testing.T, run func(args ...string) result, args ...string) result {
	t.Helper()
	r := run(args...)
	if r.code != 0 {
		t.Fatalf("%v: exit %d\n%s%s", args, r.code, r.stdout, r.stderr)
	}
	return r
}

func breachList(t *testing.T, run func(args ...string) result) breachListJSON {
	t.Helper()
	var out breachListJSON
	r := mustBreachRun(t, run, "breach", "list", "--json")
	if err := json.Unmarshal([]byte(r.stdout), &out); err != nil {
		t.Fatalf("breach list --json: %v\n%s", err, r.stdout)
	}
	return out
}

func breachAdd(t *testing.T, run func(args ...string) result, args ...string) string {
	t.Helper()
	r := mustBreachRun(t, run, append([]string{"breach", "add"}, args...)...)
	id := strings.TrimSpace(strings.SplitN(r.stdout, "\n", 2)[0])
	if !strings.HasPrefix(id, "B") {
		t.Fatalf("breach add printed %q first, want the id", r.stdout)
	}
	return id
}

func findBreach(t *testing.T, l breachListJSON, id string) breachJSON {
	t.Helper()
	for _, b := range l.Breaches {
		if b.ID.String() == id {
			return b
		}
	}
	t.Fatalf("breach %s not in the list: %+v", id, l)
	return breachJSON{}
}

// Art. 33(1), SPEC §10 acceptance: --aware without an offset is read in
// the desk's time zone and stored in UTC; the list shows the 72-hour
// deadline in UTC and the whole hours left at as_of.
func TestBreachAddShowsDueAndHoursLeftArt33(t *testing.T) {
	_, run := breachDir(t, "UTC")
	id := breachAdd(t, run, "--aware", "2026-12-01T09:00", "--what", "laptop stolen", "--people", "120", "--records", "300")
	l := breachList(t, run)
	b := findBreach(t, l, id)
	wantDue := time.Date(2026, 12, 4, 9, 0, 0, 0, time.UTC)
	if !b.Due.Equal(wantDue) || !b.AwareAt.Equal(wantDue.Add(-72*time.Hour)) {
		t.Errorf("aware %v due %v, want due %v", b.AwareAt, b.Due, wantDue)
	}
	if want := int(math.Floor(wantDue.Sub(l.AsOf).Hours())); b.HoursLeft != want {
		t.Errorf("hours_left = %d at %v, want %d", b.HoursLeft, l.AsOf, want)
	}
	if b.Risk != "risk" || !b.NotifyPending || b.People != 120 || b.Records != 300 {
		t.Errorf("breach as listed: %+v", b)
	}
	r := mustBreachRun(t, run, "breach", "list")
	if !strings.Contains(r.stdout, "due 2026-12-04T09:00:00Z") {
		t.Errorf("breach list does not show the due time:\n%s", r.stdout)
	}

	// In another zone the same wall-clock time is another instant.
	_, berlin := breachDir(t, "Europe/Berlin")
	id = breachAdd(t, berlin, "--aware", "2026-12-01T10:00", "--what", "laptop stolen")
	if b := findBreach(t, breachList(t, berlin), id); !b.Due.Equal(wantDue) {
		t.Errorf("Berlin 10:00: due %v, want %v", b.Due, wantDue)
	}
	r = berlin("breach", "add", "--aware", "2999-01-01T00:00", "--what", "x")
	if r.code != exitUsage {
		t.Errorf("a future --aware: exit %d, want 2", r.code)
	}
	oneErrorLine(t, r, "future")
}

// Art. 33(1), 33(5): a breach past its 72 hours without a notification or
// a reason makes breaches-documented to-do and names it; notify after the
// deadline needs --late-reason (exit 2 without), and then the item is done.
func TestBreachPastDeadlineNeedsNotifyWithReasonArt33(t *testing.T) {
	dir, run := breachDir(t, "UTC")
	aware := time.Now().UTC().Add(-100 * time.Hour).Format("2006-01-02T15:04")
	id := breachAdd(t, run, "--aware", aware, "--what", "customer list mailed to the wrong address", "--risk", "risk")
	quiet := breachAdd(t, run, "--aware", aware, "--what", "encrypted stick lost", "--risk", "none")

	item := func() (state, value string) {
		t.Helper()
		r := mustBreachRun(t, run, "checklist", "--json")
		var out struct {
			Items []checklistItemJSON `json:"items"`
		}
		if err := json.Unmarshal([]byte(r.stdout), &out); err != nil {
			t.Fatal(err)
		}
		for _, it := range out.Items {
			if it.ID == "breaches-documented" {
				return string(it.State), it.Value
			}
		}
		t.Fatalf("no breaches-documented item in %s", dir)
		return "", ""
	}
	if st, v := item(); st != "todo" || !strings.Contains(v, id) || !strings.Contains(v, quiet) {
		t.Errorf("breaches-documented = %s %q, want todo naming %s and %s", st, v, id, quiet)
	}

	r := run("breach", "notify", id, "--ref", "DPA-1")
	if r.code != exitUsage {
		t.Errorf("late notify without --late-reason: exit %d, want 2\n%s", r.code, r.stderr)
	}
	oneErrorLine(t, r, "--late-reason")
	if b := findBreach(t, breachList(t, run), id); !b.NotifiedAt.IsZero() {
		t.Error("a refused notification was recorded")
	}
	mustBreachRun(t, run, "breach", "notify", id, "--ref", "DPA-1", "--late-reason", "the mail was found on day 4")
	// A breach with risk cannot be waved through as "no risk".
	if r := run("breach", "notify", id, "--none", "--reason", "fine"); r.code != exitUsage {
		t.Errorf("notify --none on a risk breach: exit %d, want 2", r.code)
	}
	if r := run("breach", "notify", quiet, "--none"); r.code != exitUsage {
		t.Errorf("notify --none without --reason: exit %d, want 2", r.code)
	}
	mustBreachRun(t, run, "breach", "notify", quiet, "--none", "--reason", "encrypted, key kept apart")
	if st, v := item(); st != "done" || !strings.Contains(v, "2 breaches, all documented") {
		t.Errorf("after notify: breaches-documented = %s %q", st, v)
	}
	var show breachJSON
	if err := json.Unmarshal([]byte(mustBreachRun(t, run, "breach", "show", id, "--json").stdout), &show); err != nil {
		t.Fatal(err)
	}
	if show.NotifyRef != "DPA-1" || show.LateReason != "the mail was found on day 4" || !show.Documented || !strings.Contains(show.State, "notified late") {
		t.Errorf("breach show --json after late notify: %+v", show)
	}
}

// Art. 34: a high-risk breach shows inform pending until the people are
// told or the reason of Art. 34(3) is recorded; inform --none needs
// --reason.
func TestBreachHighRiskInformOrReasonArt34(t *testing.T) {
	_, run := breachDir(t, "UTC")
	aware := time.Now().UTC().Add(-5 * time.Hour).Format("2006-01-02T15:04")
	told := breachAdd(t, run, "--aware", aware, "--what", "passwords leaked", "--risk", "high")
	reasoned := breachAdd(t, run, "--aware", aware, "--what", "backup tape lost", "--risk", "high")
	l := breachList(t, run)
	for _, id := range []string{told, reasoned} {
		if b := findBreach(t, l, id); !b.InformPending || !strings.Contains(b.State, "inform pending") {
			t.Errorf("%s: inform_pending %v, state %q", id, b.InformPending, b.State)
		}
	}
	if r := mustBreachRun(t, run, "breach", "list"); !strings.Contains(r.stdout, "inform pending") {
		t.Errorf("breach list does not show inform pending:\n%s", r.stdout)
	}
	for _, bad := range [][]string{
		{"breach", "inform", reasoned, "--none"},
		{"breach", "inform", reasoned, "--reason", "encrypted"},
		{"breach", "inform", reasoned, "--none", "--at", aware, "--reason", "x"},
	} {
		r := run(bad...)
		if r.code != exitUsage {
			t.Errorf("%v: exit %d, want 2", bad, r.code)
		}
		oneErrorLine(t, r, "reason")
	}
	mustBreachRun(t, run, "breach", "inform", told)
	mustBreachRun(t, run, "breach", "inform", reasoned, "--none", "--reason", "the tape was encrypted (Art. 34(3)(a))")
	l = breachList(t, run)
	if b := findBreach(t, l, told); b.InformPending || b.InformedAt.IsZero() {
		t.Errorf("%s after inform: %+v", told, b)
	}
	if b := findBreach(t, l, reasoned); b.InformPending || b.NoInformReason == "" {
		t.Errorf("%s after inform --none: %+v", reasoned, b)
	}
	if r := run("breach", "inform", told); r.code != exitUsage || !strings.Contains(r.stderr, "already") {
		t.Errorf("second inform: exit %d %s", r.code, r.stderr)
	}
}

// Art. 33(3): breach draft writes the notice to the authority, owner-only,
// with the record's facts; it never overwrites a file.
func TestBreachDraftWritesTheNoticeArt33(t *testing.T) {
	dir, run := breachDir(t, "UTC")
	mustBreachRun(t, run, "settings", "set", "dpo-name", "Dana Officer")
	mustBreachRun(t, run, "settings", "set", "dpo-email", "dpo@shop.example")
	aware := time.Now().UTC().Add(-3 * time.Hour).Format("2006-01-02T15:04")
	id := breachAdd(t, run, "--aware", aware, "--what", "webshop database copied by an attacker", "--people", "900", "--records", "2500",
		"--categories", "identity,contact details", "--consequences", "phishing", "--measures", "passwords reset")
	out := filepath.Join(dir, "..", "notice.txt")
	mustBreachRun(t, run, "breach", "draft", id, "--out", out)
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Art. 33", "webshop database copied", "900", "2500", "identity, contact details", "phishing",
		"passwords reset", "Dana Officer, dpo@shop.example"} {
		if !strings.Contains(string(b), want) {
			t.Errorf("notice lacks %q:\n%s", want, b)
		}
	}
	if fi, err := os.Stat(out); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("notice mode = %v, %v; want 0600", fi.Mode().Perm(), err)
	}
	if r := run("breach", "draft", id, "--out", out); r.code == 0 {
		t.Error("breach draft overwrote a file")
	}
	if r := run("breach", "show", "B99"); r.code != exitFailure {
		t.Errorf("show of a missing breach: exit %d, want 1", r.code)
	}
}

// Art. 34(2): breach inform --letters writes one notice per person of the
// breach's query into --out, in the person's language; a breach without a
// query is a usage error that says why; the people are not recorded as
// told by writing letters.
func TestBreachInformLetters(t *testing.T) {
	_, run := breachDir(t, "Europe/Berlin")
	aware := time.Now().UTC().Add(-2 * time.Hour).Format(time.RFC3339)
	bare := breachAdd(t, run, "--aware", aware, "--what", "a laptop was stolen", "--risk", "high")
	r := run("breach", "inform", bare, "--letters")
	if r.code != 2 || !strings.Contains(r.stderr, "no query naming the contacts") {
		t.Fatalf("letters without a query: exit %d %s", r.code, r.stderr)
	}
	if r := run("breach", "inform", bare, "--letters", "--none"); r.code != 2 {
		t.Errorf("--letters with --none: exit %d", r.code)
	}
	id := breachAdd(t, run, "--aware", aware, "--what", "orders copied", "--risk", "high", "--query", "country:DE")
	out := filepath.Join(t.TempDir(), "letters")
	// Without a sender, the letters are written and the drafts are not.
	r = mustBreachRun(t, run, "breach", "inform", id, "--letters", "--out", out)
	if !strings.Contains(r.stdout, "no controller email") {
		t.Errorf("without a sender:\n%s", r.stdout)
	}
	if es, err := os.ReadDir(out); err != nil || len(es) != 1 {
		t.Fatalf("folder %v %v, want the letter only", es, err)
	}
	mustBreachRun(t, run, "settings", "set", "controller-email", "privacy@shop.example")
	out = filepath.Join(t.TempDir(), "letters")
	r = mustBreachRun(t, run, "breach", "inform", id, "--letters", "--out", out)
	if !strings.Contains(r.stdout, "to 1 people (de 1)") || !strings.Contains(r.stdout, "1 email drafts") {
		t.Errorf("stdout:\n%s", r.stdout)
	}
	es, err := os.ReadDir(out)
	if err != nil || len(es) != 2 {
		t.Fatalf("folder %v %v, want a letter and a draft", es, err)
	}
	b, err := os.ReadFile(filepath.Join(out, es[1].Name()))
	if err != nil || !strings.Contains(string(b), "Sicherheitsvorfall") || !strings.Contains(string(b), "orders copied") {
		t.Errorf("%s: %v\n%s", es[1].Name(), err, b)
	}
	if b := findBreach(t, breachList(t, run), id); !b.InformPending {
		t.Error("writing letters recorded the people as told")
	}
}
