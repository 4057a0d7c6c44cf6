package store

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dgraph-io/badger/v4"
	"github.com/gdprdesk/gdprdesk/gdpr"
)

// The bulk load (bulkload.go) must leave the store the ordinary import
// leaves: these tests feed one list of rows to both paths, as the importer
// does (exporters.ImportContacts, whose own test compares the reports),
// and compare the stores key by key.

// bulkNow is the one clock of both stores, so that they stamp the same
// times.
var bulkNow = time.Date(2026, 5, 4, 12, 0, 0, 0, time.UTC)

// bulkPurpose is the purpose the rows' opt-ins are recorded for (the
// importer's default).
const bulkPurpose = "email marketing"

func bulkEmail(i int) string {
	return fmt.Sprintf("%s.%d@example.org", strings.ToLower(bulkFirst[i%len(bulkFirst)]), i)
}

var bulkFirst = []string{"Anna", "Lukas", "Marie", "Jonas", "Zofia", "Hugo"}

// bulkRows are n rows as the importer hands them to the store (the rows
// it rejects never get there), with what the store must get right: rows
// repeating an address within a chunk and across chunks (with a new phone
// and a tag), addresses on the suppression list (one of them repeated in
// another spelling), opt-ins (consent records for the import's purpose),
// and rows without a source of their own (the import's, whose rule gives
// a basis). It returns the rows and the suppressed addresses.
func bulkRows(n int) ([]ImportItem, []string) {
	last := []string{"Müller", "Nowak", "Dubois", "Rossi"}
	countries := []string{"DE", "FR", "PL", "US", "", "DE", "IT"}
	sources := []string{"webinar", "fair", "purchase", "referral"}
	suppressed := []string{bulkEmail(100), bulkEmail(1500), bulkEmail(n - 100)}
	items := make([]ImportItem, n)
	for i := range items {
		e := bulkEmail(i)
		switch {
		case i%250 == 3 && i > 3:
			e = bulkEmail(i - 2) // a repeat in the same chunk
		case i%600 == 10 && i > 550:
			e = bulkEmail(i - 550) // a repeat of a row of an earlier chunk
		case i == 1234:
			e = strings.ToUpper(suppressed[0]) // a suppressed address, spelled otherwise
		}
		c := gdpr.Contact{FirstName: bulkFirst[i%len(bulkFirst)], LastName: last[i%len(last)], Email: e,
			Phone: fmt.Sprintf("+49 30 %07d", i), Country: countries[i%len(countries)], Company: fmt.Sprintf("Firma %d", i%13),
			Source:    sources[i%len(sources)],
			CreatedAt: time.Date(2024, time.Month(1+i%12), 1+i%28, 9, 30, 0, 0, time.UTC)}
		if tag := []string{"", "vip", "newsletter"}[i%3]; tag != "" {
			c.Tags = []string{tag}
		}
		if i%7 == 0 {
			c.Consents = []gdpr.ConsentRecord{{Purpose: bulkPurpose, Granted: true, At: time.Date(2024, 3, 1, 10, 0, 0, 0, time.UTC), Method: "import: opt-in"}}
		}
		items[i] = ImportItem{Line: i + 2, Contact: c}
	}
	return items, suppressed
}

// bulkMerge is the merge of both paths: a new phone, company or country
// replaces, tags and consent records are added.
func bulkMerge(dst *gdpr.Contact, src gdpr.Contact) (changed []string) {
	for _, f := range []struct {
		name string
		dst  *string
		src  string
	}{{"phone", &dst.Phone, src.Phone}, {"company", &dst.Company, src.Company}, {"country", &dst.Country, src.Country}} {
		if f.src != "" && f.src != *f.dst {
			*f.dst = f.src
			changed = append(changed, f.name)
		}
	}
	tagged := false
	for _, t := range src.Tags {
		if !dst.HasTag(t) {
			dst.Tags = append(dst.Tags, t)
			tagged = true
		}
	}
	if tagged {
		changed = append(changed, "tags")
	}
	added := false
	for _, r := range src.Consents {
		if !slices.ContainsFunc(dst.Consents, func(d gdpr.ConsentRecord) bool {
			return d.Purpose == r.Purpose && d.Granted == r.Granted && d.At.Equal(r.At)
		}) {
			dst.Consents = append(dst.Consents, r)
			added = true
		}
	}
	if added {
		changed = append(changed, "consents")
	}
	return changed
}

// bulkTarget opens a new store in dir as the importer finds it: a source
// rule for the rows' "fair", the suppressed addresses on the list (as an
// erasure leaves them, without a contact), and the import's purpose in the
// register.
func bulkTarget(t *testing.T, dir string, suppressed []string) *Store {
	t.Helper()
	s, err := Open(dir, Options{Now: func() time.Time { return bulkNow }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if err := s.SetSourceRule("alice", gdpr.SourceRule{Source: "fair", Basis: gdpr.BasisLegitimateInterests, Evidence: "met at the fair"}); err != nil {
		t.Fatal(err)
	}
	err = s.write("test", func(t *tx) error {
		for _, e := range suppressed {
			if err := t.setSuppressed(s.emailHash(e), true); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.EnsureImportPurpose("alice", bulkPurpose); err != nil {
		t.Fatal(err)
	}
	return s
}

// chunksOf cuts items in chunks of BulkChunk rows, as the importer does.
func chunksOf(items []ImportItem) [][]ImportItem {
	var out [][]ImportItem
	for len(items) > 0 {
		n := min(BulkChunk, len(items))
		out = append(out, items[:n])
		items = items[n:]
	}
	return out
}

// loadBulk imports items through the bulk load, then the rows it defers
// (those repeating an address) the ordinary way, and returns what became
// of each line: the outcome of its merge for a deferred row. It fails
// when a repeat does not name the first line of its address.
func loadBulk(t *testing.T, s *Store, items []ImportItem) map[int]ImportOutcome {
	t.Helper()
	b, err := s.BeginBulkLoad("alice")
	if err != nil || b == nil {
		t.Fatalf("begin: %v (%v)", b, err)
	}
	firstLine := map[string]int{}
	out := map[int]ImportOutcome{}
	for _, chunk := range chunksOf(items) {
		p := b.Prepare(chunk)
		got, err := b.Write(chunk, p)
		if err != nil {
			t.Fatal(err)
		}
		for i, it := range chunk {
			e := gdpr.ComparableEmail(it.Contact.Email)
			first, seen := firstLine[e]
			if !seen && got[i] != ImportSuppressed {
				firstLine[e], first = it.Line, it.Line
			}
			line, repeat := p.RepeatOf(i)
			if repeat != (seen && got[i] != ImportSuppressed) || (repeat && line != first) {
				t.Fatalf("line %d: RepeatOf = %d, %v; want the first line of its address, %d (seen %v)", it.Line, line, repeat, first, seen)
			}
			out[it.Line] = got[i]
		}
	}
	deferred, err := b.Finish()
	if err != nil {
		t.Fatal(err)
	}
	if len(deferred) == 0 {
		t.Fatal("no row was deferred to the merge")
	}
	im := s.BeginImport()
	for _, chunk := range chunksOf(deferred) {
		got, err := im.ImportContacts("alice", chunk, bulkMerge, false)
		if err != nil {
			t.Fatal(err)
		}
		for i, it := range chunk {
			if out[it.Line] != ImportUpdated {
				t.Fatalf("line %d deferred, but Write said %v", it.Line, out[it.Line])
			}
			out[it.Line] = got[i]
		}
	}
	return out
}

// loadOrdinary imports items the ordinary way, each chunk prepared ahead
// (Import.Prepare, ImportPrepared), as the importer does.
func loadOrdinary(t *testing.T, s *Store, items []ImportItem) map[int]ImportOutcome {
	t.Helper()
	im := s.BeginImport()
	out := map[int]ImportOutcome{}
	for _, chunk := range chunksOf(items) {
		got, err := im.ImportPrepared("alice", chunk, im.Prepare("alice", chunk), bulkMerge)
		if err != nil {
			t.Fatal(err)
		}
		for i, it := range chunk {
			out[it.Line] = got[i]
		}
	}
	return out
}

// loadBoth imports rows into two new stores, through the bulk load and the
// ordinary way, and checks that every row had the same outcome.
func loadBoth(t *testing.T, rows int) (bulk, plain *Store, items []ImportItem, suppressed []string) {
	t.Helper()
	items, suppressed = bulkRows(rows)
	dir := t.TempDir()
	bulk, plain = bulkTarget(t, dir, suppressed), bulkTarget(t, t.TempDir(), suppressed)
	oa, ob := loadBulk(t, bulk, items), loadOrdinary(t, plain, items)
	tally := map[ImportOutcome]int{}
	for _, it := range items {
		if oa[it.Line] != ob[it.Line] {
			t.Fatalf("line %d: %v through the bulk load, %v the ordinary way", it.Line, oa[it.Line], ob[it.Line])
		}
		tally[oa[it.Line]]++
	}
	if tally[ImportSuppressed] != 4 || tally[ImportUpdated] == 0 || tally[ImportCreated] < rows-100 {
		t.Fatalf("the rows do not test what they should: %v", tally)
	}
	if _, err := os.Stat(filepath.Join(dir, bulkDir)); !os.IsNotExist(err) {
		t.Fatalf("the staging directory is left behind: %v", err)
	}
	return bulk, plain, items, suppressed
}

// keyValues returns every key under prefix with its value.
func keyValues(t *testing.T, s *Store, prefix string) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	err := s.view(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{Prefix: []byte(prefix), PrefetchValues: true})
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			v, err := it.Item().ValueCopy(nil)
			if err != nil {
				return err
			}
			out[string(it.Item().KeyCopy(nil))] = v
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// sameKeys fails unless both stores hold the same keys under prefix with
// the same values.
func sameKeys(t *testing.T, a, b *Store, prefix string) map[string][]byte {
	t.Helper()
	ka, kb := keyValues(t, a, prefix), keyValues(t, b, prefix)
	if len(ka) == 0 || len(ka) != len(kb) {
		t.Fatalf("%s: %d keys in the bulk store, %d in the other", prefix, len(ka), len(kb))
	}
	for k, v := range ka {
		if w, ok := kb[k]; !ok || !bytes.Equal(v, w) {
			t.Fatalf("%s key %q: bulk %x, ordinary %x (present %v)", prefix, k, v, w, ok)
		}
	}
	return ka
}

// TestBulkLoadMatchesOrdinaryImport imports one list of rows into two new
// stores, once through the bulk load and once the ordinary way, and
// compares everything: each row's outcome, every contact decoded, the
// index keys and bitmap chunks, the counters, search results, email
// look-ups, the suppression list, and the audit log (entry count and what
// each says; the order differs only in that the bulk path merges the
// repeated rows after the new contacts), which verifies in both.
func TestBulkLoadMatchesOrdinaryImport(t *testing.T) {
	const rows = 3000
	a, b, items, suppressed := loadBoth(t, rows)

	// Every contact, decoded.
	ca, cb := collect(t, a, "", 1000), collect(t, b, "", 1000)
	if len(ca) < rows-100 || len(cb) != len(ca) {
		t.Fatalf("%d and %d contacts from %d rows", len(ca), len(cb), rows)
	}
	for i := range ca {
		if x, y := mustJSON(t, ca[i]), mustJSON(t, cb[i]); x != y {
			t.Fatalf("contact %d differs:\nbulk     %s\nordinary %s", i, x, y)
		}
	}
	merged, consented := 0, 0
	for _, c := range ca {
		if len(c.Tags) > 1 {
			merged++ // a repeat added its tag
		}
		if len(c.Consents) > 0 && c.HasBasis(gdpr.BasisConsent) {
			consented++
		}
	}
	if merged == 0 || consented == 0 || mustCount(t, a, "basis:legitimate_interests") == 0 {
		t.Fatalf("the rows do not test what they should: %d merged with a new tag, %d with consent, %d under the fair's rule",
			merged, consented, mustCount(t, a, "basis:legitimate_interests"))
	}
	// Keys compared byte for byte: the index, its bitmap chunks, the
	// counters.
	for _, prefix := range []string{"i/", "ib/", "n/"} {
		sameKeys(t, a, b, prefix)
	}
	// Keys compared by number: their bytes hold each store's own HMACs,
	// search chunk keys and audit numbers.
	for _, prefix := range []string{"e/", "x/", "sx/", "ai/", "ar/", "c/"} {
		ka, kb := keyValues(t, a, prefix), keyValues(t, b, prefix)
		if len(ka) == 0 || len(ka) != len(kb) {
			t.Fatalf("%s: %d keys in the bulk store, %d in the other", prefix, len(ka), len(kb))
		}
	}
	for name, s := range map[string]*Store{"bulk": a, "ordinary": b} {
		checkCounters(t, s, name+" store")
		checkBitmapsAgree(t, s, name+" store", rows)
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
		e := bulkEmail(i)
		x, errA := a.ContactByEmail(e)
		y, errB := b.ContactByEmail(e)
		if (errA == nil) != (errB == nil) || x.ID != y.ID {
			t.Fatalf("%s: %s (%v) in the bulk store, %s (%v) in the other", e, x.ID, errA, y.ID, errB)
		}
	}
	for _, e := range append(suppressed, items[1234].Contact.Email) {
		for name, s := range map[string]*Store{"bulk": a, "ordinary": b} {
			if _, err := s.ContactByEmail(e); !isNotFound(err) {
				t.Fatalf("%s store: suppressed %s was imported (%v)", name, e, err)
			}
			if on, err := s.IsSuppressed(e); err != nil || !on {
				t.Fatalf("%s store: %s is no longer suppressed (%v)", name, e, err)
			}
		}
	}
	// The audit log: as many entries, saying the same things.
	ea, eb := auditShapes(t, a), auditShapes(t, b)
	if !slices.Equal(ea, eb) {
		t.Fatalf("audit logs differ: %d and %d entries\nbulk     %q\nordinary %q", len(ea), len(eb), ea, eb)
	}
	if !slices.ContainsFunc(ea, func(s string) bool { return strings.HasPrefix(s, string(gdpr.ActionContactImportUpdate)) }) {
		t.Fatal("no repeated row was merged")
	}
	for _, id := range []gdpr.ContactID{1, 200, gdpr.ContactID(len(ca))} {
		ta, _ := a.AuditOf(id.String())
		tb, _ := b.AuditOf(id.String())
		if len(ta) == 0 || len(ta) != len(tb) || ta[0].Action != tb[0].Action || ta[0].Detail != tb[0].Detail {
			t.Fatalf("audit trail of %s: %d entries in the bulk store, %d in the other", id, len(ta), len(tb))
		}
	}
	checkVerified(t, a)
	checkVerified(t, b)
}

// TestBulkLoadWritesTheBitmapsOfTheOrdinaryPath loads more rows than a
// bitmap chunk holds ids, through the bulk load and the ordinary path:
// both stores' chunks agree with their index keys and with each other,
// byte for byte.
func TestBulkLoadWritesTheBitmapsOfTheOrdinaryPath(t *testing.T) {
	const rows = 9000 // ids over three chunks
	a, b, _, _ := loadBoth(t, rows)
	for name, s := range map[string]*Store{"bulk": a, "ordinary": b} {
		checkBitmapsAgree(t, s, name+" store", rows)
	}
	ka := sameKeys(t, a, b, "ib/")
	high := 0
	for k := range ka {
		if k[len(k)-1] == 2 && k[len(k)-2] == 0 {
			high++ // a chunk number 2: the ids past 8,191
		}
	}
	if high == 0 {
		t.Fatalf("%d chunks in the bulk store, none of the third chunk", len(ka))
	}
}

// checkBitmapsAgree fails unless every bitmap chunk is what the index keys
// imply, and there are at least minKeys of them.
func checkBitmapsAgree(t *testing.T, s *Store, what string, minKeys int64) {
	t.Helper()
	var keys, bad int64
	var first []string
	if err := s.view(func(txn *badger.Txn) error {
		keys, bad, first = checkBitmaps(txn)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if keys < minKeys || bad != 0 {
		t.Errorf("%s: %d index keys, %d chunks that differ from them (%q)", what, keys, bad, first)
	}
}

func queryIDs(t *testing.T, s *Store, text string) []gdpr.ContactID {
	t.Helper()
	cs := collect(t, s, text, 500)
	if n := mustCount(t, s, text); n != int64(len(cs)) {
		t.Fatalf("%q: count %d, listed %d", text, n, len(cs))
	}
	ids := make([]gdpr.ContactID, len(cs))
	for i, c := range cs {
		ids[i] = c.ID
	}
	return ids
}

// auditShapes lists what each audit entry says, sorted: the bulk path
// writes the merges of repeated rows after the new contacts.
func auditShapes(t *testing.T, s *Store) []string {
	t.Helper()
	es := allAudit(t, s)
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
