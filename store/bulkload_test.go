package store_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gdprdesk/gdprdesk/exporters"
	"github.com/gdprdesk/gdprdesk/gdpr"
	"github.com/gdprdesk/gdprdesk/store"
)

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

// bulkImport imports text into a new store in dir, through the bulk-load
// path or not, with one fixed clock (so both stores stamp the same times).
func bulkImport(t *testing.T, dir, text string, suppressed []string, bulk bool, run exporters.ImportRun) (*store.Store, exporters.ImportReport) {
	t.Helper()
	now := time.Date(2026, 5, 4, 12, 0, 0, 0, time.UTC)
	s, err := store.Open(dir, store.Options{Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if err := s.SetSourceRule("alice", gdpr.SourceRule{Source: "fair", Basis: gdpr.BasisLegitimateInterests, Evidence: "met at the fair"}); err != nil {
		t.Fatal(err)
	}
	if err := store.SuppressForTest(s, suppressed...); err != nil {
		t.Fatal(err)
	}
	open := func() (io.ReadCloser, error) { return io.NopCloser(strings.NewReader(text)), nil }
	run.Operator, run.Bulk = "alice", bulk
	rep, err := exporters.ImportContacts(context.Background(), open, s, exporters.ImportOptions{Source: "fair", Now: now}, run)
	if err != nil {
		t.Fatalf("import (bulk %v): %v", bulk, err)
	}
	return s, rep
}

// TestBulkLoadMatchesOrdinaryImport imports one file into two new stores,
// once through the bulk-load path and once the ordinary way, and compares
// everything readable: the report, every contact decoded, the index keys,
// the counters, search results, email look-ups, the suppression, and the
// audit log (entry count and what each says; the order differs only in
// that the bulk path merges the repeated rows after the new contacts).
func TestBulkLoadMatchesOrdinaryImport(t *testing.T) {
	const rows = 3000
	text, suppressed := bulkCSV(rows)
	bulkDir, plainDir := t.TempDir(), t.TempDir()
	a, repA := bulkImport(t, bulkDir, text, suppressed, true, exporters.ImportRun{})
	b, repB := bulkImport(t, plainDir, text, suppressed, false, exporters.ImportRun{})

	if !repA.BulkLoad || repB.BulkLoad {
		t.Fatalf("bulk_load: %v and %v, want true for the first store only", repA.BulkLoad, repB.BulkLoad)
	}
	repA.BulkLoad = false
	ja, _ := json.Marshal(repA)
	jb, _ := json.Marshal(repB)
	if !bytes.Equal(ja, jb) {
		t.Fatalf("reports differ:\nbulk     %s\nordinary %s", ja, jb)
	}
	if repA.Merged == 0 || repA.Suppressed != 4 || repA.Rejected == 0 || repA.Consents == 0 || repA.Created < rows-100 {
		t.Fatalf("the file does not test what it should: %+v", repA)
	}
	if _, err := os.Stat(filepath.Join(bulkDir, "bulkload")); !os.IsNotExist(err) {
		t.Fatalf("the staging directory is left behind: %v", err)
	}

	// Every contact, decoded.
	ca, cb := allContacts(t, a), allContacts(t, b)
	if len(ca) != repA.Created || len(cb) != len(ca) {
		t.Fatalf("%d and %d contacts, report says %d created", len(ca), len(cb), repA.Created)
	}
	for i := range ca {
		x, y := mustJSON(t, ca[i]), mustJSON(t, cb[i])
		if x != y {
			t.Fatalf("contact %d differs:\nbulk     %s\nordinary %s", i, x, y)
		}
	}
	for _, prefix := range []string{"i/", "ib/", "n/"} {
		ka, err := store.KeysForTest(a, prefix)
		if err != nil {
			t.Fatal(err)
		}
		kb, err := store.KeysForTest(b, prefix)
		if err != nil {
			t.Fatal(err)
		}
		if len(ka) == 0 || len(ka) != len(kb) {
			t.Fatalf("%s: %d keys in the bulk store, %d in the other", prefix, len(ka), len(kb))
		}
		for k, v := range ka {
			if w, ok := kb[k]; !ok || !bytes.Equal(v, w) {
				t.Fatalf("%s key %q: bulk %x, ordinary %x (present %v)", prefix, k, v, w, ok)
			}
		}
	}
	// Keys compared by number: their bytes hold each store's own HMACs,
	// search chunk keys and audit numbers.
	for _, prefix := range []string{"e/", "x/", "sx/", "ai/", "ar/", "c/"} {
		ka, _ := store.KeysForTest(a, prefix)
		kb, _ := store.KeysForTest(b, prefix)
		if len(ka) != len(kb) || (prefix != "x/" && len(ka) == 0) {
			t.Fatalf("%s: %d keys in the bulk store, %d in the other", prefix, len(ka), len(kb))
		}
	}
	cnA, err := a.Counts()
	if err != nil {
		t.Fatal(err)
	}
	cnB, err := b.Counts()
	if err != nil {
		t.Fatal(err)
	}
	if mustJSON(t, cnA) != mustJSON(t, cnB) {
		t.Fatalf("counts differ: %+v and %+v", cnA, cnB)
	}
	for _, q := range []string{"anna", "müller", "firma 7", "example.org", "basis:consent", "basis:legitimate_interests", "country:DE tag:vip", "zzz-nobody"} {
		qa, qb := queryIDs(t, a, q), queryIDs(t, b, q)
		if !slices.Equal(qa, qb) {
			t.Fatalf("%q: %d matches in the bulk store, %d in the other", q, len(qa), len(qb))
		}
	}
	// Email look-ups and the suppression list.
	for i := 0; i < rows; i += 37 {
		e := fmt.Sprintf("%s.%d@example.org", []string{"anna", "lukas", "marie", "jonas", "zofia", "hugo"}[i%6], i)
		x, errA := a.ContactByEmail(e)
		y, errB := b.ContactByEmail(e)
		if (errA == nil) != (errB == nil) || x.ID != y.ID {
			t.Fatalf("%s: %s (%v) in the bulk store, %s (%v) in the other", e, x.ID, errA, y.ID, errB)
		}
	}
	for _, e := range suppressed {
		if _, err := a.ContactByEmail(e); err == nil {
			t.Fatalf("suppressed %s was imported", e)
		}
	}
	// The audit log: as many entries, saying the same things.
	ea, eb := auditShapes(t, a), auditShapes(t, b)
	if !slices.Equal(ea, eb) {
		t.Fatalf("audit logs differ: %d and %d entries\nbulk     %q\nordinary %q", len(ea), len(eb), ea, eb)
	}
	if !slices.ContainsFunc(ea, func(s string) bool { return strings.HasPrefix(s, "contact.import-update") }) {
		t.Fatal("no repeated row was merged")
	}
	for _, id := range []gdpr.ContactID{1, 200, gdpr.ContactID(len(ca))} {
		ta, _ := a.AuditOf(id.String())
		tb, _ := b.AuditOf(id.String())
		if len(ta) == 0 || len(ta) != len(tb) || ta[0].Action != tb[0].Action || ta[0].Detail != tb[0].Detail {
			t.Fatalf("audit trail of %s: %d entries in the bulk store, %d in the other", id, len(ta), len(tb))
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
	s, rep := bulkImport(t, t.TempDir(), text, suppressed, true, exporters.ImportRun{DryRun: true})
	if rep.BulkLoad || rep.Created == 0 {
		t.Fatalf("dry run: %+v", rep)
	}
	if n, _ := s.Count(gdpr.Query{}); n != 0 {
		t.Fatalf("a dry run wrote %d contacts", n)
	}
	s, rep = bulkImport(t, t.TempDir(), text, suppressed, true, exporters.ImportRun{Strict: true})
	if rep.BulkLoad || rep.Imported || rep.Rejected == 0 {
		t.Fatalf("strict with bad rows: %+v", rep)
	}
	if n, _ := s.Count(gdpr.Query{}); n != 0 {
		t.Fatalf("strict with bad rows wrote %d contacts", n)
	}
	s, rep = bulkImport(t, t.TempDir(), text, suppressed, true, exporters.ImportRun{})
	if !rep.BulkLoad {
		t.Fatalf("first import into an empty store: %+v", rep)
	}
	open := func() (io.ReadCloser, error) { return io.NopCloser(strings.NewReader(text)), nil }
	again, err := exporters.ImportContacts(context.Background(), open, s, exporters.ImportOptions{Source: "fair"}, exporters.ImportRun{Operator: "alice", Bulk: true})
	if err != nil {
		t.Fatal(err)
	}
	if again.BulkLoad || again.Created != 0 || again.Unchanged+again.Updated != rep.Created {
		t.Fatalf("second import of the same file: %+v", again)
	}
}

func allContacts(t *testing.T, s *store.Store) []gdpr.Contact {
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

func queryIDs(t *testing.T, s *store.Store, text string) []gdpr.ContactID {
	t.Helper()
	q, err := gdpr.ParseQuery(text)
	if err != nil {
		t.Fatal(err)
	}
	n, err := s.Count(q)
	if err != nil {
		t.Fatal(err)
	}
	var ids []gdpr.ContactID
	var cur store.Cursor
	for {
		p, err := s.Contacts(q, cur, 500)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range p.Contacts {
			ids = append(ids, c.ID)
		}
		if !p.More {
			break
		}
		cur = p.Next
	}
	if int64(len(ids)) != n {
		t.Fatalf("%q: count %d, listed %d", text, n, len(ids))
	}
	return ids
}

// auditShapes lists what each audit entry says, sorted: the bulk path
// writes the merges of repeated rows after the new contacts.
func auditShapes(t *testing.T, s *store.Store) []string {
	t.Helper()
	es, err := s.Audit(store.AuditFilter{}, 0, 1_000_000)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]string, len(es))
	for i, e := range es {
		out[i] = fmt.Sprintf("%s|%s|%s|%d|%s|%s|%s", e.Action, e.Record, e.Operator, e.Contacts, e.Detail, e.Personal, e.At.Format(time.RFC3339))
	}
	slices.Sort(out)
	return out
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
