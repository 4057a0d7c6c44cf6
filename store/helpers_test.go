package store

import (
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/dgraph-io/badger/v4"
	"github.com/gdprdesk/gdprdesk/gdpr"
)

// Shared helpers of the store's tests: a fixed, settable clock, a real store
// in a temporary directory, and checks used by several test files.

// t0 is the fixed "now" of the tests: a Tuesday.
var t0 = time.Date(2026, 3, 10, 9, 30, 0, 0, time.UTC)

// clock is a fixed clock the tests can move.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock(t time.Time) *clock { return &clock{t: t} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

// openAt opens the store in dir with the clock and closes it when the test
// ends (before t.TempDir removes the directory). A new store's search
// index has chunks of 8 contacts, so that tests cross chunks.
func openAt(tb testing.TB, dir string, clk *clock) *Store {
	tb.Helper()
	s, err := Open(dir, Options{Now: clk.Now, searchBits: 3})
	if err != nil {
		tb.Fatalf("Open(%s): %v", dir, err)
	}
	tb.Cleanup(func() {
		if s.db != nil {
			if err := s.Close(); err != nil {
				tb.Errorf("Close: %v", err)
			}
		}
	})
	return s
}

// newStore opens a fresh store with a fixed clock at t0.
func newStore(tb testing.TB) (*Store, *clock) {
	tb.Helper()
	clk := newClock(t0)
	return openAt(tb, tb.TempDir(), clk), clk
}

func mustQuery(tb testing.TB, text string) gdpr.Query {
	tb.Helper()
	q, err := gdpr.ParseQuery(text)
	if err != nil {
		tb.Fatalf("ParseQuery(%q): %v", text, err)
	}
	return q
}

func mustCreate(tb testing.TB, s *Store, cs ...gdpr.Contact) []gdpr.ContactID {
	tb.Helper()
	ids, err := s.CreateContacts("tester", cs)
	if err != nil {
		tb.Fatalf("CreateContacts: %v", err)
	}
	if len(ids) != len(cs) {
		tb.Fatalf("CreateContacts returned %d ids for %d contacts", len(ids), len(cs))
	}
	return ids
}

func mustContact(tb testing.TB, s *Store, id gdpr.ContactID) gdpr.Contact {
	tb.Helper()
	c, err := s.Contact(id)
	if err != nil {
		tb.Fatalf("Contact(%s): %v", id, err)
	}
	return c
}

func mustCount(tb testing.TB, s *Store, query string) int64 {
	tb.Helper()
	n, err := s.Count(mustQuery(tb, query))
	if err != nil {
		tb.Fatalf("Count(%q): %v", query, err)
	}
	return n
}

// allAudit returns every audit entry, oldest first.
func allAudit(tb testing.TB, s *Store) []AuditEntry {
	tb.Helper()
	var out []AuditEntry
	if err := s.EachAudit(func(e AuditEntry) error {
		out = append(out, e)
		return nil
	}); err != nil {
		tb.Fatalf("EachAudit: %v", err)
	}
	return out
}

// auditSince returns the entries after the first n.
func auditSince(tb testing.TB, s *Store, n int) []AuditEntry {
	tb.Helper()
	all := allAudit(tb, s)
	if len(all) < n {
		tb.Fatalf("audit log shrank from %d to %d entries", n, len(all))
	}
	return all[n:]
}

func actions(es []AuditEntry) []string {
	out := make([]string, 0, len(es))
	for _, e := range es {
		out = append(out, e.Action)
	}
	return out
}

// nonZero drops zero entries, which a maintained counter deletes and a
// recount never produces.
func nonZero(m map[string]int64) map[string]int64 {
	out := map[string]int64{}
	for k, v := range m {
		if v != 0 {
			out[k] = v
		}
	}
	return out
}

// checkCounters fails when a maintained counter differs from a recount.
func checkCounters(tb testing.TB, s *Store, when string) {
	tb.Helper()
	re, have, err := s.Recount()
	if err != nil {
		tb.Fatalf("%s: Recount: %v", when, err)
	}
	re, have = nonZero(re), nonZero(have)
	for _, n := range counterNames(re, have) {
		if re[n] != have[n] {
			tb.Errorf("%s: counter %s is %d, recount gives %d", when, n, have[n], re[n])
		}
	}
}

// checkVerified fails unless VerifyAudit passes.
func checkVerified(tb testing.TB, s *Store) VerifyReport {
	tb.Helper()
	rep, err := s.VerifyAudit()
	if err != nil {
		tb.Fatalf("VerifyAudit: %v", err)
	}
	if !rep.OK() {
		tb.Errorf("VerifyAudit found problems: %q", rep.Problems)
	}
	return rep
}

func isNotFound(err error) bool { return errors.Is(err, ErrNotFound) }

// collect pages through every contact matching query, limit at a time,
// following the cursor, and fails on a contact seen twice.
func collect(tb testing.TB, s *Store, query string, limit int) []gdpr.Contact {
	tb.Helper()
	q := mustQuery(tb, query)
	var out []gdpr.Contact
	seen := map[gdpr.ContactID]bool{}
	var cur Cursor
	for pages := 0; ; pages++ {
		if pages > 1_000_000 {
			tb.Fatalf("%q: paging does not end", query)
		}
		p, err := s.Contacts(q, cur, limit)
		if err != nil {
			tb.Fatalf("Contacts(%q) page %d: %v", query, pages+1, err)
		}
		if len(p.Contacts) > limit {
			tb.Fatalf("Contacts(%q) returned %d contacts for limit %d", query, len(p.Contacts), limit)
		}
		for _, c := range p.Contacts {
			if seen[c.ID] {
				tb.Errorf("Contacts(%q) returned %s twice", query, c.ID)
			}
			seen[c.ID] = true
			out = append(out, c)
		}
		if !p.More {
			return out
		}
		if len(p.Contacts) != limit || len(p.Next) == 0 {
			tb.Fatalf("Contacts(%q): More with %d contacts and cursor %x", query, len(p.Contacts), p.Next)
		}
		cur = p.Next
	}
}

// indexKeyCount counts the keys of one index field.
func indexKeyCount(tb testing.TB, s *Store, field string) int {
	tb.Helper()
	return keyCount(tb, s, fieldPrefix(field))
}

// keyCount counts the keys with a prefix.
func keyCount(tb testing.TB, s *Store, prefix []byte) int {
	tb.Helper()
	n := 0
	err := s.db.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{Prefix: prefix})
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			n++
		}
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
	return n
}

// contactsCovered is how many contacts the entries are about: a bulk
// chunk's entry names its count, any other entry one record.
func contactsCovered(es []AuditEntry) int64 {
	var n int64
	for _, e := range es {
		if e.Contacts > 0 {
			n += int64(e.Contacts)
		} else {
			n++
		}
	}
	return n
}
