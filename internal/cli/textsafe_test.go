package cli

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/gdprdesk/gdprdesk/gdpr"
	"github.com/gdprdesk/gdprdesk/store"
)

// hostileText is what an attacker puts in a name, a note or a register
// entry to drive the owner's terminal (SPEC §8).
var hostileText = []string{
	"\x1b]52;c;cHduZWQ=\x07X",                                // OSC 52: writes the clipboard
	"\x1b]8;;https://evil.example/\x1b\\click\x1b]8;;\x1b\\", // OSC 8 link
	"\x1b]0;owned\x07",                                       // OSC 0: window title
	"\x1bPq#0;2;0;0;0",                                       // DCS, unterminated: hides what follows
	"\x1b[2J\x1b[H",                                          // clears the screen
	"\x1b[38;5;199mpink",                                     // a colour that bleeds into later rows
	"\u009b31mc1",                                            // C1 CSI
	"Alice\rMallory",                                         // carriage return: overwrites the line
	"abc\u202Egnp.exe",                                       // bidi override
	"pay\u200bpal",                                           // zero-width space
	"bad\xff\xfeutf8",                                        // invalid UTF-8
	"nul\x00byte",                                            // NUL
	"tab\tand\nnewline",                                      // a row breaker
}

// assertTerminalSafe fails when out holds anything a terminal acts on: ESC,
// a C1 control, a bidi or invisible character, \r, another C0 control but
// line feed and tab, DEL, or invalid UTF-8.
func assertTerminalSafe(t *testing.T, what, out string) {
	t.Helper()
	if !utf8.ValidString(out) {
		t.Errorf("%s: output is not valid UTF-8:\n%q", what, out)
	}
	for i, r := range out {
		bad := (r < 0x20 && r != '\n' && r != '\t') || r == 0x7f || (r >= 0x80 && r <= 0x9f) ||
			(r >= 0x200b && r <= 0x200f) || (r >= 0x202a && r <= 0x202e) || (r >= 0x2066 && r <= 0x2069) ||
			r == 0x2060 || r == 0xfeff || r == 0x061c
		if bad {
			t.Errorf("%s: output holds %U at byte %d:\n%q", what, r, i, out[max(i-40, 0):min(i+40, len(out))])
			return
		}
	}
}

// jsonForm is what encoding/json makes of s: exact, but for invalid UTF-8,
// whose bytes it writes as U+FFFD each.
func jsonForm(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		b.WriteRune(r)
		i += size
	}
	return b.String()
}

// jsonStrings collects every string value of a JSON document.
func jsonStrings(t *testing.T, what, doc string) map[string]bool {
	t.Helper()
	var v any
	if err := json.Unmarshal([]byte(doc), &v); err != nil {
		t.Fatalf("%s: not one JSON document: %v\n%s", what, err, doc)
	}
	out := map[string]bool{}
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case string:
			out[x] = true
		case []any:
			for _, e := range x {
				walk(e)
			}
		case map[string]any:
			for _, e := range x {
				walk(e)
			}
		}
	}
	walk(v)
	return out
}

// stored is the hostile text a store took, by where it went.
type stored struct {
	contacts   []gdpr.ContactID
	names      []string // first names of those contacts
	notes      []string // their notes
	purposes   []string
	recipients []string
	operators  []string
	requests   []string // request notes
	reasons    []string // checklist n/a reasons
}

// storeHostile writes hostileText into every place of a new store that
// takes it. Input validation may refuse some of it (then it is not stored,
// which is as safe); what is stored is what the outputs must show safely.
func storeHostile(t *testing.T, dir string) stored {
	t.Helper()
	s, err := store.Open(dir, store.Options{Now: func() time.Time { return time.Date(2026, 11, 29, 10, 0, 0, 0, time.UTC) }})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var st stored
	for i, h := range hostileText {
		c := gdpr.Contact{FirstName: h, LastName: h, Company: h, City: h, Street: h, Notes: h, Country: "DE",
			Email: fmt.Sprintf("h%d@example.com", i), Tags: []string{"t" + strconv.Itoa(i)}}
		id, err := s.CreateContact("owner", c)
		if err != nil {
			c = gdpr.Contact{Notes: h, Country: "DE", Email: c.Email} // perhaps a note takes it
			if id, err = s.CreateContact("owner", c); err != nil {
				continue
			}
		} else {
			st.names = append(st.names, h)
		}
		st.contacts = append(st.contacts, id)
		st.notes = append(st.notes, h)
		if _, err := s.AddRequest("owner", gdpr.Request{Type: gdpr.RequestAccess, Contact: id, Note: h,
			Received: time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC), Channel: gdpr.ChannelEmail}); err == nil {
			st.requests = append(st.requests, h)
		}
		if s.SavePurpose("owner", gdpr.Purpose{Name: h, Basis: gdpr.BasisConsent, Description: h}) == nil {
			st.purposes = append(st.purposes, h)
		}
		if s.SaveRecipient("owner", gdpr.Recipient{Name: h, Role: gdpr.RecipientProcessor, Service: h, Country: "DE"}) == nil {
			st.recipients = append(st.recipients, h)
		}
		if s.AddOperator("owner", store.Operator{Name: h, Role: gdpr.RoleStaff, PublicKey: "ssh-ed25519 AAAA" + strconv.Itoa(i)}) == nil {
			st.operators = append(st.operators, h)
		}
		if s.SetChecklistItem("owner", gdpr.Checklist()[1].ID, gdpr.ItemRecord{State: gdpr.StateNA, Reason: h}) == nil {
			st.reasons = append(st.reasons, h)
		}
	}
	if len(st.contacts) == 0 {
		t.Fatal("the store took none of the hostile texts: this test would check nothing (change hostileText to what validation lets through)")
	}
	return st
}

// TestHostileTextNeverReachesTheTerminalRaw stores hostile text everywhere
// the store takes it and runs every human-readable listing: no output may
// carry a byte a terminal acts on (SPEC §8), while --json gives back the
// stored strings exactly.
func TestHostileTextNeverReachesTheTerminalRaw(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "D")
	st := storeHostile(t, dir)
	t.Logf("stored %d contacts (%d with hostile names), %d purposes, %d recipients, %d operators, %d requests, %d checklist reasons",
		len(st.contacts), len(st.names), len(st.purposes), len(st.recipients), len(st.operators), len(st.requests), len(st.reasons))

	// An import whose rows carry the same text: its report quotes values.
	csvPath := filepath.Join(t.TempDir(), "hostile.csv")
	f, err := os.Create(csvPath)
	if err != nil {
		t.Fatal(err)
	}
	w := csv.NewWriter(f)
	w.Write([]string{"email", "first_name", "last_name", "company", "country", "source"})
	for i, h := range hostileText {
		w.Write([]string{fmt.Sprintf("imp%d@example.com", i), h, h, h, "DE", "fair"})
		w.Write([]string{h + "@example.com", h, h, h, h, h}) // rejected: its reason may quote it
	}
	w.Flush()
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}

	human := [][]string{
		{"contacts", "--limit", "0"},
		{"contacts", "--query", "country:DE"},
		{"sweep"},
		{"checklist"},
		{"request", "list"},
		{"purpose", "list"},
		{"recipient", "list"},
		{"operator", "list"},
		{"settings", "show"},
		{"audit", "verify"},
		{"import", "--dry-run", csvPath},
		{"import", csvPath},
	}
	for _, id := range st.contacts {
		human = append(human, []string{"contact", "show", id.String()})
	}
	for _, args := range human {
		r := gdprdesk(t, append(args, "--data", dir)...)
		what := strings.Join(args, " ")
		if r.code != 0 && !strings.HasPrefix(what, "import") { // an import with rejected rows may exit 1
			t.Errorf("%s: exit %d\n%s", what, r.code, r.stderr)
		}
		assertTerminalSafe(t, what+" (stdout)", r.stdout)
		assertTerminalSafe(t, what+" (stderr)", r.stderr)
	}
	// The names are on the screen, visibly marked.
	if len(st.names) > 0 {
		r := gdprdesk(t, "contacts", "--limit", "0", "--data", dir)
		if !strings.Contains(r.stdout, "␛]52;c;cHduZWQ=␇X") && slices.Contains(st.names, hostileText[0]) {
			t.Errorf("the OSC 52 name is not shown escaped:\n%s", r.stdout)
		}
	}
	// Tampered rows line up: the columns are measured after sanitizing.
	lines := strings.Split(gdprdesk(t, "contacts", "--limit", "0", "--data", dir).stdout, "\n")
	col := strings.Index(lines[0], "COUNTRY")
	for _, l := range lines[1 : len(lines)-2] {
		if i := strings.Index(l, "  DE  "); i < 0 || utf8.RuneCountInString(l[:i+2]) != col {
			t.Errorf("row %q: COUNTRY not in column %d", l, col)
		}
	}
	// An error that quotes stored text is one safe line too.
	r := gdprdesk(t, "contact", "show", hostileText[0]+"@example.com", "--data", dir)
	assertTerminalSafe(t, "contact show of a hostile address (stderr)", r.stderr)

	exact := func(what string, args []string, want []string) {
		t.Helper()
		r := gdprdesk(t, append(args, "--json", "--data", dir)...)
		if r.code != 0 {
			t.Fatalf("%s --json: exit %d\n%s", what, r.code, r.stderr)
		}
		assertTerminalSafe(t, what+" --json", r.stdout)
		got := jsonStrings(t, what, r.stdout)
		for _, h := range want {
			if !got[jsonForm(h)] {
				t.Errorf("%s --json lost the stored %q", what, h)
			}
		}
	}
	exact("contacts", []string{"contacts", "--limit", "0"}, append(append([]string{}, st.names...), st.notes...))
	exact("purpose list", []string{"purpose", "list"}, st.purposes)
	exact("recipient list", []string{"recipient", "list"}, st.recipients)
	exact("request list", []string{"request", "list"}, st.requests)
	exact("checklist", []string{"checklist"}, st.reasons[len(st.reasons)-min(len(st.reasons), 1):])
	exact("sweep", []string{"sweep"}, st.names)
	for i, id := range st.contacts {
		exact("contact show "+id.String(), []string{"contact", "show", id.String()}, st.notes[i:i+1])
	}
}

// TestServedCommandOutputIsSanitized runs a listing the way the SSH server
// and the control socket do (runServed, ServeOptions.Exec): the session
// gets the same safe text, and --json the same exact strings.
func TestServedCommandOutputIsSanitized(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "D")
	st := storeHostile(t, dir)
	s, err := store.Open(dir, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	sv := &served{store: s, dir: dir, operator: "owner", remote: true, exportDir: t.TempDir()}
	run := func(args ...string) (string, string) {
		var out, errb strings.Builder
		if code := runServed(t.Context(), sv, call{args: args, stdin: strings.NewReader(""), stdout: &out, stderr: &errb},
			time.Now, io.Discard); code != 0 {
			t.Fatalf("%v: exit %d\n%s", args, code, errb.String())
		}
		return out.String(), errb.String()
	}
	for _, args := range [][]string{{"contacts"}, {"contact", "show", st.contacts[0].String()}, {"purpose", "list"}, {"request", "list"}} {
		out, errs := run(args...)
		assertTerminalSafe(t, "over SSH: "+strings.Join(args, " "), out+errs)
	}
	// Lines that echo stored text outside any table: a purpose saved, and an
	// error naming one that exists.
	for _, args := range [][]string{{"purpose", "add", "new\x1b]0;t\x07\u009b2J", "--basis", "consent"}, {"purpose", "add", st.purposes[0], "--basis", "consent"}} {
		var out, errb strings.Builder
		runServed(t.Context(), sv, call{args: args, stdin: strings.NewReader(""), stdout: &out, stderr: &errb}, time.Now, io.Discard)
		if out.Len()+errb.Len() == 0 {
			t.Errorf("%q printed nothing", args)
		}
		assertTerminalSafe(t, "over SSH: "+strings.Join(args, " "), out.String()+errb.String())
	}
	out, _ := run("contacts", "--json")
	assertTerminalSafe(t, "over SSH: contacts --json", out)
	got := jsonStrings(t, "contacts --json", out)
	for _, h := range st.notes {
		if !got[jsonForm(h)] {
			t.Errorf("over SSH: contacts --json lost the stored %q", h)
		}
	}
}
