package store

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/dgraph-io/badger/v4"
	"github.com/gdprdesk/gdprdesk/gdpr"
)

// The stores of these tests have search chunks of 8 contacts (openAt), so a
// few dozen contacts span several chunks.

var searchQueries = []string{
	"anna", "müller", "acme", "example.org", "qzx", "anna country:DE", "rossi tag:x",
	"anna müller", "léa status:restricted", "nosuchword", "eu:yes dubois",
}

// collectBackward pages from the end to the start with ContactsBefore.
func collectBackward(tb testing.TB, s *Store, query string, limit int) []gdpr.ContactID {
	tb.Helper()
	q := mustQuery(tb, query)
	var out []gdpr.ContactID
	var cur Cursor
	for pages := 0; ; pages++ {
		if pages > 100_000 {
			tb.Fatalf("%q: backward paging does not end", query)
		}
		p, err := s.ContactsBefore(q, cur, limit)
		if err != nil {
			tb.Fatalf("ContactsBefore(%q): %v", query, err)
		}
		for i := len(p.Contacts) - 1; i >= 0; i-- {
			out = append(out, p.Contacts[i].ID)
		}
		if !p.More || len(p.Keys) == 0 {
			slices.Reverse(out)
			return out
		}
		cur = p.Keys[0]
	}
}

// checkSearch compares every word query, paged forward and backward and
// counted, with the domain's matcher over every contact.
func checkSearch(t *testing.T, s *Store, ids []gdpr.ContactID, when string) {
	t.Helper()
	for _, text := range searchQueries {
		q := mustQuery(t, text)
		want := bruteForce(t, s, ids, q)
		if got := sortedIDs(collect(t, s, text, 3)); !slices.Equal(got, want) {
			t.Errorf("%s: %q pages forward to %v, want %v", when, text, got, want)
		}
		// (in index order, which is not id order for an indexed term)
		if got := collectBackward(t, s, text, 4); !slices.Equal(slices.Sorted(slices.Values(got)), want) {
			t.Errorf("%s: %q pages backward to %v, want %v", when, text, got, want)
		}
		if n, err := s.Count(q); err != nil || n != int64(len(want)) {
			t.Errorf("%s: Count(%q) = %d, %v; want %d", when, text, n, err, len(want))
		}
	}
}

// TestSearchIndexFollowsEveryChange: the search index answers as a scan of
// every contact would, through creates, imports (prepared and ordinary),
// edits of the searched fields and erasures.
func TestSearchIndexFollowsEveryChange(t *testing.T) {
	s, _ := newStore(t)
	r := rand.New(rand.NewPCG(3, 9))
	var ids []gdpr.ContactID
	// A prepared import chunk (prepared only into a store without
	// addresses), then created contacts, then an ordinary import.
	run := s.BeginImport()
	var items []ImportItem
	for i := range 13 {
		c := randomContact(r, 100+i)
		c.Bases = nil
		items = append(items, ImportItem{Line: i + 2, Contact: c})
	}
	p := run.Prepare("op", items)
	if p == nil {
		t.Fatal("the import chunk was not prepared")
	}
	out, err := run.ImportPrepared("op", items, p, exMerge)
	if err != nil {
		t.Fatal(err)
	}
	if run.prepFails.Load() {
		t.Fatal("the prepared chunk was not used")
	}
	for i := range out {
		c, err := s.ContactByEmail(items[i].Contact.Email)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, c.ID)
	}
	for _, id := range ids {
		c := mustContact(t, s, id)
		if _, entries := chunkOfContact(t, s, id); entries[id] != gdpr.SearchText(&c) {
			t.Fatalf("the prepared import left %s out of the index: %q", id, entries[id])
		}
	}
	checkSearch(t, s, ids, "after a prepared import")
	var batch []gdpr.Contact
	for i := range 30 {
		batch = append(batch, randomContact(r, i))
	}
	ids = append(ids, mustCreate(t, s, batch...)...)
	checkSearch(t, s, ids, "after creating")
	more := []ImportItem{{Line: 2, Contact: gdpr.Contact{FirstName: "Qzx", Email: "qzx@example.org"}}}
	if _, err := s.ImportContacts("op", more, exMerge, false); err != nil {
		t.Fatal(err)
	}
	q, err := s.ContactByEmail("qzx@example.org")
	if err != nil {
		t.Fatal(err)
	}
	ids = append(ids, q.ID)
	checkSearch(t, s, ids, "after importing")

	for step := range 40 {
		id := ids[r.IntN(len(ids))]
		c := mustContact(t, s, id)
		if c.Status == gdpr.ContactAnonymized {
			continue
		}
		var err error
		switch r.IntN(4) {
		case 0:
			if c.Status == gdpr.ContactRestricted { // lifted first, on the record (Art. 18)
				if err = s.LiftRestriction("op", id, t0); err != nil {
					break
				}
			}
			_, err = s.Anonymize("op", id, AnonymizeOptions{OverrideReason: "test"})
		case 1:
			err = s.UpdateContact("op", id, func(c *gdpr.Contact) error {
				c.Company = companies[r.IntN(len(companies))] + " Qzx"
				return nil
			})
		case 2:
			err = s.UpdateContact("op", id, func(c *gdpr.Contact) error {
				c.FirstName, c.LastName = firstNames[r.IntN(len(firstNames))], lastNames[r.IntN(len(lastNames))]
				return nil
			})
		default:
			err = s.SetContactStatus("op", id, gdpr.ContactRestricted, "")
		}
		if err != nil {
			t.Fatalf("step %d on %s: %v", step, id, err)
		}
		if step%10 == 9 {
			checkSearch(t, s, ids, fmt.Sprintf("after step %d", step+1))
		}
	}
	checkVerified(t, s)
}

// chunkOfContact reads the search chunk holding a contact: its slot and
// clear entries.
func chunkOfContact(t *testing.T, s *Store, id gdpr.ContactID) (Slot, map[gdpr.ContactID]string) {
	t.Helper()
	c := s.chunkOf(id)
	entries := map[gdpr.ContactID]string{}
	var slot Slot
	err := s.db.View(func(txn *badger.Txn) error {
		var clear []byte
		var ok bool
		var err error
		slot, clear, ok, err = s.readChunk(txn, s.keys.key, c)
		if err != nil {
			return err
		}
		if !ok {
			return fmt.Errorf("chunk %d is missing or unreadable", c)
		}
		return eachEntry(c<<s.searchBits, clear, func(id uint64, text []byte) {
			entries[gdpr.ContactID(id)] = string(text)
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	return slot, entries
}

// TestErasureChangesTheSearchChunkKey: erasing a contact reseals its chunk
// without it under a new key and destroys the old one, so the copies of
// the chunk that held the person's name are unreadable; an edit keeps the
// key.
func TestErasureChangesTheSearchChunkKey(t *testing.T) {
	s, _ := newStore(t)
	var cs []gdpr.Contact
	for i := range 12 {
		cs = append(cs, gdpr.Contact{FirstName: fmt.Sprintf("Person%d", i), Email: fmt.Sprintf("p%d@example.org", i)})
	}
	cs[9].FirstName = "Quorrin"
	ids := mustCreate(t, s, cs...)
	victim := ids[9]
	before, entries := chunkOfContact(t, s, victim)
	if !strings.Contains(entries[victim], "quorrin") {
		t.Fatalf("the chunk holds %q for the victim", entries[victim])
	}
	if _, err := s.Anonymize("op", victim, AnonymizeOptions{}); err != nil {
		t.Fatal(err)
	}
	after, entries := chunkOfContact(t, s, victim)
	if after == before {
		t.Error("the chunk kept its key through an erasure")
	}
	if _, err := s.keys.key(before); !errors.Is(err, errKeyDestroyed) {
		t.Errorf("the chunk's old key still unwraps: %v", err)
	}
	if _, ok := entries[victim]; ok {
		t.Error("the erased contact is still in its chunk")
	}
	for _, id := range ids {
		if id != victim && s.chunkOf(id) == s.chunkOf(victim) && entries[id] == "" {
			t.Errorf("contact %s left its chunk with the erasure", id)
		}
	}
	if n, err := s.Count(mustQuery(t, "quorrin")); err != nil || n != 0 {
		t.Errorf("the erased name is still found: %d, %v", n, err)
	}
	neighbour := ids[8]
	if err := s.UpdateContact("op", neighbour, func(c *gdpr.Contact) error { c.Company = "Wexford Ltd"; return nil }); err != nil {
		t.Fatal(err)
	}
	edited, entries := chunkOfContact(t, s, neighbour)
	if edited != after {
		t.Error("an edit changed the chunk's key")
	}
	if !strings.Contains(entries[neighbour], "wexford ltd") {
		t.Errorf("the edit is not in the chunk: %q", entries[neighbour])
	}
	checkSearch(t, s, ids, "after erasure and edit")
}

// TestSearchIndexBuiltForOlderStore: a store written before the index
// (schema 1, no sx/ keys) gets it when opened, answers as before, and says
// so in its audit log.
func TestSearchIndexBuiltForOlderStore(t *testing.T) {
	dir := t.TempDir()
	clk := newClock(t0)
	s := openAt(t, dir, clk)
	r := rand.New(rand.NewPCG(5, 5))
	var batch []gdpr.Contact
	for i := range 40 {
		batch = append(batch, randomContact(r, i))
	}
	ids := mustCreate(t, s, batch...)
	if _, err := s.Anonymize("op", ids[3], AnonymizeOptions{OverrideReason: "test"}); err != nil {
		t.Fatal(err)
	}
	// Make it what an older gdprdesk left: no index, schema 1.
	err := s.db.Update(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{Prefix: prefixSearch})
		var keys [][]byte
		for it.Rewind(); it.Valid(); it.Next() {
			keys = append(keys, it.Item().KeyCopy(nil))
		}
		it.Close()
		if len(keys) < 5 {
			return fmt.Errorf("only %d chunks for 40 contacts", len(keys))
		}
		for _, k := range keys {
			if err := txn.Delete(k); err != nil {
				return err
			}
		}
		if err := txn.Delete(keySearchGen); err != nil {
			return err
		}
		return txn.Set(keySchema, u64(1))
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	var told uint64
	s, err = Open(dir, Options{Now: clk.Now, Upgrading: func(n uint64) { told = n }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if told != uint64(ids[len(ids)-1]) {
		t.Errorf("Upgrading was told of %d contacts, want %d", told, ids[len(ids)-1])
	}
	var schema uint64
	err = s.db.View(func(txn *badger.Txn) error {
		var err error
		schema, err = seqValue(txn, keySchema)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	chunks := keyCount(t, s, prefixSearch)
	if schema != schemaVersion {
		t.Errorf("schema after opening = %d, want %d", schema, schemaVersion)
	}
	if want := int(uint64(ids[len(ids)-1])>>s.searchBits) + 1; chunks != want {
		t.Errorf("%d chunks after opening, want %d", chunks, want)
	}
	checkSearch(t, s, ids, "after the upgrade")
	es := allAudit(t, s)
	if last := es[len(es)-1]; last.Action != "store.upgrade" || last.Operator != "gdprdesk" {
		t.Errorf("last audit entry = %s by %s, want store.upgrade by gdprdesk", last.Action, last.Operator)
	}
	checkVerified(t, s)
}

// TestUnreadableSearchChunk: a chunk whose key is gone (as Reapply can
// leave it) is searched record by record, rebuilt by the next write into
// it, and by repairSearch.
func TestUnreadableSearchChunk(t *testing.T) {
	s, _ := newStore(t)
	r := rand.New(rand.NewPCG(8, 1))
	var batch []gdpr.Contact
	for i := range 30 {
		batch = append(batch, randomContact(r, i))
	}
	ids := mustCreate(t, s, batch...)
	breakChunk := func(id gdpr.ContactID) Slot {
		slot, _ := chunkOfContact(t, s, id)
		if err := s.keys.destroy(slot); err != nil {
			t.Fatal(err)
		}
		return slot
	}
	breakChunk(ids[5])
	breakChunk(ids[20])
	checkSearch(t, s, ids, "with two chunks unreadable")

	if err := s.UpdateContact("op", ids[5], func(c *gdpr.Contact) error { c.Company = "Acme"; return nil }); err != nil {
		t.Fatal(err)
	}
	_, entries := chunkOfContact(t, s, ids[5])
	for _, id := range ids {
		if s.chunkOf(id) == s.chunkOf(ids[5]) && entries[id] == "" {
			t.Errorf("contact %s is missing from its rebuilt chunk", id)
		}
	}
	checkSearch(t, s, ids, "after a write rebuilt one")

	if err := s.repairSearch(); err != nil {
		t.Fatal(err)
	}
	_, entries = chunkOfContact(t, s, ids[20])
	if c := mustContact(t, s, ids[20]); entries[ids[20]] != gdpr.SearchText(&c) {
		t.Errorf("repaired chunk holds %q, want %q", entries[ids[20]], gdpr.SearchText(&c))
	}
	checkSearch(t, s, ids, "after the repair")
	checkVerified(t, s)
}

// TestChunkEncoding: entries survive encoding, and damage is reported, not
// misread.
func TestChunkEncoding(t *testing.T) {
	es := []searchEntry{{8, "anna müller\x00a@example.org\x00"}, {9, ""}, {15, strings.Repeat("x", 300)}}
	b := encodeChunk(8, es)
	var got []searchEntry
	if err := eachEntry(8, b, func(id uint64, text []byte) {
		got = append(got, searchEntry{gdpr.ContactID(id), string(text)})
	}); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got, es) {
		t.Errorf("decoded %v, want %v", got, es)
	}
	for cut := 1; cut < len(b); cut++ {
		if bytes.Equal(b[:cut], encodeChunk(8, es[:1])) || bytes.Equal(b[:cut], encodeChunk(8, es[:2])) {
			continue // a cut between entries is a shorter valid chunk
		}
		if err := eachEntry(8, b[:cut], func(uint64, []byte) {}); err == nil {
			t.Errorf("a chunk cut at %d of %d bytes decodes without error", cut, len(b))
		}
	}
	huge := binary.AppendUvarint(binary.AppendUvarint(nil, 1), 1<<40)
	if err := eachEntry(0, huge, func(uint64, []byte) {}); err == nil {
		t.Error("an entry longer than the chunk decodes without error")
	}
}

// TestMatchSetWalk: next and prev agree with a brute-force walk.
func TestMatchSetWalk(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for round := range 50 {
		n := uint64(1 + r.IntN(300))
		set := make(matchSet, n/64+1)
		var in []uint64
		for id := range n {
			if r.IntN(7) == 0 {
				set.add(id)
				in = append(in, id)
			}
		}
		for from := uint64(0); from < n+70; from++ {
			want, wantOK := uint64(0), false
			for _, id := range in {
				if id >= from {
					want, wantOK = id, true
					break
				}
			}
			if got, ok := set.next(from); got != want || ok != wantOK {
				t.Fatalf("round %d: next(%d) = %d %v, want %d %v", round, from, got, ok, want, wantOK)
			}
			want, wantOK = 0, false
			for _, id := range in {
				if id <= from {
					want, wantOK = id, true
				}
			}
			if got, ok := set.prev(from); got != want || ok != wantOK {
				t.Fatalf("round %d: prev(%d) = %d %v, want %d %v", round, from, got, ok, want, wantOK)
			}
			if set.has(from) != slices.Contains(in, from) {
				t.Fatalf("round %d: has(%d) = %v", round, from, set.has(from))
			}
		}
	}
	if _, ok := set0().prev(5); ok {
		t.Error("prev on an empty set found something")
	}
}

func set0() matchSet { return nil }
