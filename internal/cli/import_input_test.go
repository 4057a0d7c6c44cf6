package cli

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/text/unicode/norm"
)

func writeFile(t *testing.T, name, data string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// An import whose 5,000 rows are all rejected — here for dates out of the
// range the product stores (SPEC §8), which were stored wrapped before —
// prints its report and exits 1, in text and in JSON; each row is named
// by its line.
func TestImportOfOnlyRejectedRowsExitsOne(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "D")
	var b strings.Builder
	b.WriteString("email,created_at\n")
	dates := []string{"2300-01-01", "9999-12-31", "1600-01-01"}
	for i := range 5000 {
		fmt.Fprintf(&b, "p%d@example.com,%s\n", i, dates[i%3])
	}
	file := writeFile(t, "dates.csv", b.String())
	r := gdprdesk(t, "import", file, "--data", dir)
	if r.code != exitFailure {
		t.Errorf("every row rejected: exit %d, want %d", r.code, exitFailure)
	}
	for _, want := range []string{"rejected 5,000", "rejected line 2: created_at 2300-01-01 is out of range (1900-01-01 … 2199-12-31)",
		"rejected line 3: created_at 9999-12-31 is out of range", "rejected line 4: created_at 1600-01-01 is out of range"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("report lacks %q:\n%.600s", want, r.stdout)
		}
	}
	oneErrorLine(t, r, "every one of the 5,000 row(s) was rejected")
	r = gdprdesk(t, "import", file, "--data", dir, "--json")
	var rep struct{ Rows, Rejected, Created int }
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil || r.code != exitFailure || rep.Rows != 5000 || rep.Rejected != 5000 || rep.Created != 0 {
		t.Errorf("--json: exit %d, %+v, %v", r.code, rep, err)
	}
	// One good row among them is an import that did something: exit 0.
	good := writeFile(t, "mixed.csv", "email,created_at\nok@example.com,2199-12-31\nbad@example.com,2200-01-01\n")
	if r := gdprdesk(t, "import", good, "--data", dir); r.code != 0 || !strings.Contains(r.stdout, "created 1") {
		t.Errorf("one good row: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if c := listJSON(t, dir, "").Count; c != 1 {
		t.Errorf("%d contacts, want the one good row", c)
	}
}

// The limits of an import file end it with one clear line naming the
// limit (columns), or reject the row naming line and column (cell size).
func TestImportLimitsAtTheCommandLine(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "D")
	wide := writeFile(t, "wide.csv", "email"+strings.Repeat(",c", 20000)+"\na@example.com"+strings.Repeat(",x", 20000)+"\n")
	r := gdprdesk(t, "import", wide, "--data", dir)
	if r.code != exitFailure {
		t.Errorf("20,001 columns: exit %d", r.code)
	}
	oneErrorLine(t, r, "the header has 20,001 columns: an import reads at most 200")
	big := writeFile(t, "big.csv", "email,notes\nbig@example.com,"+strings.Repeat("x", 20000)+"\n")
	r = gdprdesk(t, "import", big, "--data", dir)
	if r.code != exitFailure || !strings.Contains(r.stdout, `rejected line 2: column "notes" (column 2) holds 20,000 bytes: a value is at most 16 KiB`) {
		t.Errorf("a 20,000-byte cell: exit %d\n%s", r.code, r.stdout)
	}
}

// After erasure (Art. 17) the address stays suppressed however a file
// spells it — decomposed, upper case, or with the punycode domain — and
// lookalike addresses are refused with the reason.
func TestImportRefusesEveryFormOfAnErasedAddress(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "D")
	const hanako = "hänako.yamadaqx@exämple.de"
	r := gdprdesk(t, "contact", "add", "--data", dir, "--email", hanako, "--first-name", "Hanako")
	if r.code != 0 {
		t.Fatalf("contact add: %s", r.stderr)
	}
	id := strings.SplitN(r.stdout, "\n", 2)[0]
	if r := gdprdesk(t, "anonymize", id, "--data", dir); r.code != 0 {
		t.Fatalf("anonymize: %s", r.stderr)
	}
	file := writeFile(t, "again.csv", "email,first_name\n"+
		norm.NFD.String(hanako)+",Hanako\n"+
		"HÄNAKO.YAMADAQX@EXÄMPLE.DE,Hanako\n"+
		"hänako.yamadaqx@xn--exmple-cua.de,Hanako\n"+
		"hanako\u200b.yamadaqx@example.de,Hanako\n"+
		"\u202ehanako.yamadaqx@example.de,Hanako\n"+
		"h\u0430nako.yamadaqx@example.de,Hanako\n")
	r = gdprdesk(t, "import", file, "--data", dir)
	if !strings.Contains(r.stdout, "created 0") || !strings.Contains(r.stdout, "suppressed 3") || !strings.Contains(r.stdout, "rejected 3") {
		t.Errorf("import of the erased address in other spellings:\n%s%s", r.stdout, r.stderr)
	}
	for _, want := range []string{"rejected line 5: email", "invisible character (U+200B", "rejected line 6: email", "bidirectional control character (U+202E",
		"rejected line 7: email", "mixes Latin and Cyrillic"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("report lacks %q:\n%s", want, r.stdout)
		}
	}
	if strings.ContainsAny(r.stdout, "\u200b\u202e") {
		t.Error("the report shows the invisible characters raw")
	}
	if c := listJSON(t, dir, "").Count; c != 1 {
		t.Errorf("%d contacts, want only the anonymized one", c)
	}
	add := gdprdesk(t, "contact", "add", "--data", dir, "--email", "HÄNAKO.yamadaqx@xn--exmple-cua.de")
	if add.code != exitFailure {
		t.Errorf("contact add of the punycode spelling: exit %d", add.code)
	}
	oneErrorLine(t, add, "asked to be erased")
}

// Date flags refuse a date out of range naming the flag, never wrap it.
func TestDateFlagsRefuseDatesOutOfRange(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "D")
	if r := gdprdesk(t, "contact", "add", "--data", dir, "--email", "a@example.com"); r.code != 0 {
		t.Fatal(r.stderr)
	}
	r := gdprdesk(t, "hold", "C1", "--data", dir, "--reason", "invoices", "--until", "2300-01-01")
	if r.code != exitUsage {
		t.Errorf("hold --until 2300-01-01: exit %d", r.code)
	}
	oneErrorLine(t, r, "--until 2300-01-01 is out of range (1900-01-01 … 2199-12-31)")
	r = gdprdesk(t, "request", "add", "--data", dir, "--type", "access", "--contact", "C1", "--received", "1600-01-01")
	if r.code != exitUsage {
		t.Errorf("request add --received 1600-01-01: exit %d", r.code)
	}
	oneErrorLine(t, r, "--received 1600-01-01 is out of range")
}
