package exporters

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gdprdesk/gdprdesk/gdpr"
	"github.com/gdprdesk/gdprdesk/store"
)

// The import of a file into a store without contacts takes the bulk load
// (store/bulkload.go) and must report what the ordinary path reports. The
// stores both paths leave are compared key by key in the store's own test
// (store/bulkload_match_test.go); these tests compare what the importer
// adds: the file read, the report, and when the bulk load is taken.

// bulkNow is the one clock of every store here, so that they stamp the
// same times.
var bulkNow = time.Date(2026, 5, 4, 12, 0, 0, 0, time.UTC)

// bulkCSV is a Keap-style file of n rows with what an import must get
// right: rows repeating an address within a chunk and across chunks (with
// a new phone and a tag), addresses on the suppression list (one of them
// repeated), opt-ins (consent records for the import's purpose), rows
// without a source (--source then names one, whose rule gives a basis),
// and bad rows (an address that is none, a date that does not exist). It
// returns the file and the suppressed addresses.
func bulkCSV(n int) (string, []string) {
	var b strings.Builder
	b.WriteString("First Name,Last Name,Email,Phone 1,Country,Company,Lead Source,Tags,Date Created,Opt-In Time\n")
	first := []string{"Anna", "Lukas", "Marie", "Jonas", "Zofia", "Hugo"}
	last := []string{"Müller", "Nowak", "Dubois", "Rossi"}
	countries := []string{"DE", "FR", "PL", "US", "", "Germany", "IT"}
	sources := []string{"webinar", "", "purchase", "referral"}
	email := func(i int) string { return fmt.Sprintf("%s.%d@example.org", strings.ToLower(first[i%len(first)]), i) }
	suppressed := []string{email(100), email(1500), email(n - 100)}
	for i := range n {
		e := email(i)
		date := fmt.Sprintf("2024-%02d-%02d 09:30:00", 1+i%12, 1+i%28)
		switch {
		case i%500 == 7:
			e = "not-an-address"
		case i%777 == 5:
			date = "2024-13-45 09:30:00"
		case i%250 == 3 && i > 3:
			e = email(i - 2) // a repeat in the same chunk
		case i%600 == 10 && i > 550:
			e = email(i - 550) // a repeat of a row of an earlier chunk
		case i == 1234:
			e = strings.ToUpper(suppressed[0]) // a suppressed address, spelled otherwise
		}
		optin := ""
		if i%7 == 0 {
			optin = "2024-03-01 10:00:00"
		}
		fmt.Fprintf(&b, "%s,%s,%s,+49 30 %07d,%s,Firma %d,%s,%s,%s,%s\n",
			first[i%len(first)], last[i%len(last)], e, i, countries[i%len(countries)], i%13,
			sources[i%len(sources)], []string{"", "vip", "newsletter"}[i%3], date, optin)
	}
	return b.String(), suppressed
}

// bulkSeed is a store without contacts as an import finds it: a backup of
// a store with a source rule for --source "fair", and the erasures of the
// suppressed addresses made after it (a store that erased people holds
// contacts, and would not take the bulk load; restored with its erasures,
// it holds none and suppresses their addresses).
type bulkSeed struct {
	backup   []byte
	erasures store.Erasures
}

var bulkPassphrase = []byte("correct horse battery staple")

func newBulkSeed(t *testing.T, suppressed []string) bulkSeed {
	t.Helper()
	s, err := store.Open(t.TempDir(), store.Options{Now: func() time.Time { return bulkNow }})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.SetSourceRule("alice", gdpr.SourceRule{Source: "fair", Basis: gdpr.BasisLegitimateInterests, Evidence: "met at the fair"}); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if _, err := s.Backup(&buf, bulkPassphrase); err != nil {
		t.Fatal(err)
	}
	for _, e := range suppressed {
		id, err := s.CreateContact("alice", gdpr.Contact{FirstName: "Gone", Email: e})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.Anonymize("alice", id, store.AnonymizeOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	er, err := s.Erasures()
	if err != nil {
		t.Fatal(err)
	}
	return bulkSeed{backup: buf.Bytes(), erasures: er}
}

// bulkImport restores the seed into a new store in dir and imports text
// into it, through the bulk-load path or not, with the one clock.
func bulkImport(t *testing.T, seed bulkSeed, dir, text string, bulk bool, run ImportRun) (*store.Store, ImportReport) {
	t.Helper()
	clock := store.Options{Now: func() time.Time { return bulkNow }}
	rr, err := store.Restore(dir, bytes.NewReader(seed.backup), store.RestoreOptions{Options: clock, Operator: "alice", Erasures: &seed.erasures, Passphrase: bulkPassphrase})
	if err != nil {
		t.Fatal(err)
	}
	if rr.Reapplied.Suppressed != len(seed.erasures.Suppressed) || len(rr.Reapplied.Contacts) != 0 {
		t.Fatalf("restore: %+v, want %d addresses suppressed and no contact", rr.Reapplied, len(seed.erasures.Suppressed))
	}
	s, err := store.Open(dir, clock)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	open := func() (io.ReadCloser, error) { return io.NopCloser(strings.NewReader(text)), nil }
	run.Operator, run.Bulk = "alice", bulk
	rep, err := ImportContacts(context.Background(), open, s, ImportOptions{Source: "fair", Now: bulkNow}, run)
	if err != nil {
		t.Fatalf("import (bulk %v): %v", bulk, err)
	}
	return s, rep
}

// TestBulkLoadReportsWhatTheOrdinaryImportReports imports one file into
// two new stores, once through the bulk-load path and once the ordinary
// way: the reports are the same, line for line, and so are the contacts.
func TestBulkLoadReportsWhatTheOrdinaryImportReports(t *testing.T) {
	const rows = 3000
	text, suppressed := bulkCSV(rows)
	seed := newBulkSeed(t, suppressed)
	bulkDir, plainDir := filepath.Join(t.TempDir(), "bulk"), filepath.Join(t.TempDir(), "plain")
	a, repA := bulkImport(t, seed, bulkDir, text, true, ImportRun{})
	b, repB := bulkImport(t, seed, plainDir, text, false, ImportRun{})

	if !repA.BulkLoad || repB.BulkLoad {
		t.Fatalf("bulk_load: %v and %v, want true for the first store only", repA.BulkLoad, repB.BulkLoad)
	}
	repA.BulkLoad = false
	ja, jb := mustJSON(t, repA), mustJSON(t, repB)
	if ja != jb {
		t.Fatalf("reports differ:\nbulk     %s\nordinary %s", ja, jb)
	}
	if repA.Merged == 0 || len(repA.Merges) != repA.Merged || repA.Suppressed != 4 || repA.Rejected == 0 || repA.Consents == 0 || repA.Created < rows-100 {
		t.Fatalf("the file does not test what it should: %+v", repA)
	}
	if _, err := os.Stat(filepath.Join(bulkDir, "bulkload")); !os.IsNotExist(err) {
		t.Fatalf("the staging directory is left behind: %v", err)
	}
	// Every contact, as the store gives it.
	ca, cb := storeContacts(t, a), storeContacts(t, b)
	if len(ca) != repA.Created || len(cb) != len(ca) {
		t.Fatalf("%d and %d contacts, report says %d created", len(ca), len(cb), repA.Created)
	}
	for i := range ca {
		if x, y := mustJSON(t, ca[i]), mustJSON(t, cb[i]); x != y {
			t.Fatalf("contact %d differs:\nbulk     %s\nordinary %s", i, x, y)
		}
	}
	for _, e := range suppressed {
		if _, err := a.ContactByEmail(e); err == nil {
			t.Fatalf("suppressed %s was imported", e)
		}
	}
	for _, s := range []*store.Store{a, b} {
		rep, err := s.VerifyAudit()
		if err != nil || !rep.OK() {
			t.Fatalf("verify: %v %+v", err, rep)
		}
	}
}

// TestBulkLoadOnlyIntoAStoreWithoutContacts: a store that holds contacts
// takes the ordinary path (merging into what it holds); strict with bad
// rows writes nothing either way; a dry run never bulk-loads.
func TestBulkLoadOnlyIntoAStoreWithoutContacts(t *testing.T) {
	text, suppressed := bulkCSV(600)
	seed := newBulkSeed(t, suppressed)
	dir := func() string { return filepath.Join(t.TempDir(), "store") }
	s, rep := bulkImport(t, seed, dir(), text, true, ImportRun{DryRun: true})
	if rep.BulkLoad || rep.Created == 0 {
		t.Fatalf("dry run: %+v", rep)
	}
	if n, _ := s.Count(gdpr.Query{}); n != 0 {
		t.Fatalf("a dry run wrote %d contacts", n)
	}
	s, rep = bulkImport(t, seed, dir(), text, true, ImportRun{Strict: true})
	if rep.BulkLoad || rep.Imported || rep.Rejected == 0 {
		t.Fatalf("strict with bad rows: %+v", rep)
	}
	if n, _ := s.Count(gdpr.Query{}); n != 0 {
		t.Fatalf("strict with bad rows wrote %d contacts", n)
	}
	s, rep = bulkImport(t, seed, dir(), text, true, ImportRun{})
	if !rep.BulkLoad {
		t.Fatalf("first import into an empty store: %+v", rep)
	}
	open := func() (io.ReadCloser, error) { return io.NopCloser(strings.NewReader(text)), nil }
	again, err := ImportContacts(context.Background(), open, s, ImportOptions{Source: "fair"}, ImportRun{Operator: "alice", Bulk: true})
	if err != nil {
		t.Fatal(err)
	}
	if again.BulkLoad || again.Created != 0 || again.Unchanged+again.Updated != rep.Created {
		t.Fatalf("second import of the same file: %+v", again)
	}
}

// storeContacts pages through every contact of the store.
func storeContacts(t *testing.T, s *store.Store) []gdpr.Contact {
	t.Helper()
	var out []gdpr.Contact
	var cur store.Cursor
	for {
		p, err := s.Contacts(gdpr.Query{}, cur, 1000)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, p.Contacts...)
		if !p.More {
			return out
		}
		cur = p.Next
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
