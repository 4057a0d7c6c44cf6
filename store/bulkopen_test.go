package store

import (
	"context"
	"fmt"
	"testing"

	"github.com/gdprdesk/gdprdesk/gdpr"
)

// Options.Bulk leaves Badger's block cache out, except where Badger needs
// one: a store encrypted at rest (Badger panics at open without a cache
// there). Either way the bulk change is made.
func TestBulkOpenLeavesTheBlockCacheOutWhereBadgerAllows(t *testing.T) {
	key := testKey(t)
	for _, tc := range []struct {
		name  string
		key   []byte
		cache bool
	}{{"plain", nil, false}, {"encrypted at rest", key, true}} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			s, err := Open(dir, Options{EncryptionKey: tc.key})
			if err != nil {
				t.Fatal(err)
			}
			mustCreate(t, s, gdpr.Contact{Email: "a@example.org", Country: "DE"}, gdpr.Contact{Email: "b@example.org", Country: "FR"})
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			s, err = Open(dir, Options{EncryptionKey: tc.key, Bulk: true})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			if got := s.badgerOpts.BlockCacheSize > 0; got != tc.cache {
				t.Fatalf("block cache %d bytes: want a cache %v", s.badgerOpts.BlockCacheSize, tc.cache)
			}
			q, err := gdpr.ParseQuery("country:DE")
			if err != nil {
				t.Fatal(err)
			}
			res, err := s.ApplyBasis(context.Background(), "owner", q, BasisChange{Basis: gdpr.BasisContract, Evidence: "order 1"}, nil)
			if err != nil {
				t.Fatal(err)
			}
			if res.Changed != 1 || mustCount(t, s, "basis:contract") != 1 {
				t.Fatalf("changed %d, %d hold the basis: want 1 and 1", res.Changed, mustCount(t, s, "basis:contract"))
			}
			checkVerified(t, s)
		})
	}
}

// Options.Bulk opens the store with memtables of bulkMemTableSize, smaller
// than the desk's, encrypted at rest or not; any other open keeps the
// desk's size.
func TestBulkOpenHasSmallerMemtables(t *testing.T) {
	for _, key := range [][]byte{nil, testKey(t)} {
		dir := t.TempDir()
		for i, bulk := range []bool{false, true, false} {
			s, err := Open(dir, Options{EncryptionKey: key, Bulk: bulk})
			if err != nil {
				t.Fatal(err)
			}
			want := int64(memTableSize)
			if bulk {
				want = bulkMemTableSize
			}
			if got := s.badgerOpts.MemTableSize; got != want || (bulk && got >= memTableSize) {
				t.Errorf("encrypted %v, bulk %v: memtables of %d bytes, want %d", key != nil, bulk, got, want)
			}
			mustCreate(t, s, gdpr.Contact{Email: fmt.Sprintf("a%d@example.org", i)})
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
		}
	}
}
