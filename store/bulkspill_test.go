package store

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/gdprdesk/gdprdesk/gdpr"
)

func TestIDListKeepsAscendingIDs(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{0, 1, 7, 5000, 200_000} {
		var l idList
		var want []uint64
		id := uint64(0)
		for range n {
			id += 1 + uint64(rng.IntN(3000)) // gaps of one byte to two
			if rng.IntN(1000) == 0 {
				id += 1 << 40 // and now and then a far jump
			}
			l.add(id)
			want = append(want, id)
		}
		var got []uint64
		l.each(func(id uint64) bool { got = append(got, id); return true })
		if !slices.Equal(got, want) {
			t.Fatalf("%d ids: got %d back, first difference at %d", n, len(got), firstDiff(got, want))
		}
		for _, b := range l.blocks {
			if cap(b) > idListMaxBlock {
				t.Fatalf("a block of %d bytes", cap(b))
			}
		}
		if n > 0 {
			var some []uint64
			l.each(func(id uint64) bool { some = append(some, id); return len(some) < 3 })
			if len(some) != min(3, n) {
				t.Fatalf("each did not stop: %d ids", len(some))
			}
		}
	}
}

func firstDiff(a, b []uint64) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}

func TestEmailSpillGivesLookUpsBackInHashOrder(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "emails")
	e, err := newEmailSpill(dir)
	if err != nil {
		t.Fatal(err)
	}
	type rec struct {
		h  []byte
		id uint64
	}
	var want []rec
	for i := range 20_000 {
		h := sha256.Sum256([]byte(fmt.Sprint("anna.", i, "@example.org")))
		e.add(h[:], uint64(i+1))
		want = append(want, rec{h[:], uint64(i + 1)})
	}
	slices.SortFunc(want, func(x, y rec) int { return bytes.Compare(x.h, y.h) })
	var got []rec
	ok, err := e.each(func(h []byte, id uint64) bool {
		got = append(got, rec{bytes.Clone(h), id})
		return true
	})
	if err != nil || !ok {
		t.Fatalf("each: %v %v", ok, err)
	}
	if len(got) != len(want) {
		t.Fatalf("%d look-ups back, want %d", len(got), len(want))
	}
	for i := range want {
		if !bytes.Equal(got[i].h, want[i].h) || got[i].id != want[i].id {
			t.Fatalf("look-up %d: got id %d, want %d", i, got[i].id, want[i].id)
		}
	}
	if left, _ := os.ReadDir(dir); len(left) != 0 {
		t.Fatalf("%d spill files left after reading them", len(left))
	}
}

func TestEmailSpillReportsACutFile(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "emails")
	e, err := newEmailSpill(dir)
	if err != nil {
		t.Fatal(err)
	}
	h := sha256.Sum256([]byte("anna@example.org"))
	e.add(h[:], 1)
	if err := e.bufs[h[0]>>2].Flush(); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(e.path(int(h[0]>>2)), emailEntrySize-3); err != nil {
		t.Fatal(err)
	}
	// The buffered writer is empty: each flushes nothing and reads the
	// cut file.
	if _, err := e.each(func([]byte, uint64) bool { return true }); err == nil {
		t.Fatal("a cut spill file read without an error")
	}
}

// A row whose address only shares the 64-bit prefix the bulk load compares
// with an earlier one is held back as a repeat; the merge after the swap
// finds nobody with the whole address and creates the contact (the
// caller's report moves it to the created).
func TestBulkLoadPrefixTwinIsCreatedByTheMerge(t *testing.T) {
	s, err := Open(t.TempDir(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	b, err := s.BeginBulkLoad("alice")
	if err != nil || b == nil {
		t.Fatalf("begin: %v (%v)", b, err)
	}
	items := bulkItems(50)
	twin := items[30]
	b.addrs.Put(hashPrefix(s.emailHash(twin.Contact.Email)), 2) // as if line 2 had its prefix
	p := b.Prepare(items)
	out, err := b.Write(items, p)
	if err != nil {
		t.Fatal(err)
	}
	if out[30] != ImportUpdated {
		t.Fatalf("the prefix twin: %v, want held back as a repeat", out[30])
	}
	if line, ok := p.RepeatOf(30); !ok || line != 2 {
		t.Fatalf("RepeatOf(30) = %d, %v", line, ok)
	}
	if _, ok := p.RepeatOf(29); ok {
		t.Fatal("RepeatOf(29): a new row read as a repeat")
	}
	deferred, err := b.Finish()
	if err != nil {
		t.Fatal(err)
	}
	if len(deferred) != 1 || deferred[0].Line != twin.Line {
		t.Fatalf("deferred %v", deferred)
	}
	got, err := s.BeginImport().ImportContacts("alice", deferred, func(*gdpr.Contact, gdpr.Contact) []string { return nil }, false)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0] != ImportCreated {
		t.Fatalf("merge of the prefix twin: %v, want created", got)
	}
	if n, _ := s.Count(gdpr.Query{}); n != 50 {
		t.Fatalf("%d contacts, want 50", n)
	}
}
