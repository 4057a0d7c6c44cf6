package store

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/dgraph-io/badger/v4"
	"github.com/gdprdesk/gdprdesk/gdpr"
)

// spreadStore is queryStore with its ids spread over many bitmap chunks:
// after each hundred contacts the id sequence jumps ahead by up to two
// chunks, so that chunks are full, sparse and missing.
func spreadStore(t *testing.T, n int) (*Store, []gdpr.ContactID) {
	return randomStore(t, n, rand.New(rand.NewPCG(17, 3)), func(r *rand.Rand) uint64 { return uint64(r.IntN(2 * chunkIDs)) })
}

// mustBitmapsAgree fails the test unless the stored chunks are exactly
// those the index keys imply.
func mustBitmapsAgree(t *testing.T, s *Store, when string) {
	t.Helper()
	err := s.view(func(txn *badger.Txn) error {
		keys, bad, first := checkBitmaps(txn)
		if keys == 0 {
			t.Errorf("%s: no index keys: the check proves nothing", when)
		}
		if bad != 0 {
			t.Errorf("%s: %d chunks differ from the index keys: %v", when, bad, first)
		}
		chunks := 0
		it := txn.NewIterator(badger.IteratorOptions{Prefix: prefixBitmap})
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			chunks++
		}
		if chunks == 0 {
			t.Errorf("%s: no chunk at all", when)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestChunkEncodingRoundTrips(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{1, 2, chunkSparse - 1, chunkSparse, chunkSparse + 1, 1000, chunkIDs} {
		var w chunkWordsT
		for range n * 4 {
			if bitsIn(&w) == n {
				break
			}
			off := r.IntN(chunkIDs)
			if n == chunkIDs {
				off = bitsIn(&w)
			}
			w[off/64] |= 1 << (off % 64)
		}
		for bitsIn(&w) < n { // fill up
			for off := range chunkIDs {
				if w[off/64]&(1<<(off%64)) == 0 {
					w[off/64] |= 1 << (off % 64)
					break
				}
			}
		}
		v := encodeBits(nil, &w)
		wantLen := 2 * n
		if n >= chunkSparse {
			wantLen = chunkBytes
		}
		if len(v) != wantLen {
			t.Errorf("%d ids: %d bytes, want %d", n, len(v), wantLen)
		}
		var back chunkWordsT
		if err := decodeBits(v, &back); err != nil || back != w {
			t.Errorf("%d ids: decoded %d ids (%v)", n, bitsIn(&back), err)
		}
	}
	if v := encodeBits(nil, &chunkWordsT{}); len(v) != 0 {
		t.Errorf("an empty chunk encodes to %d bytes, want none", len(v))
	}
	for _, bad := range [][]byte{{1}, make([]byte, chunkBytes+2), {0xff, 0xff}} {
		var w chunkWordsT
		if err := decodeBits(bad, &w); err == nil {
			t.Errorf("decodeBits(%x…) accepted a damaged chunk", bad[:1])
		}
	}
}

func bitsIn(w *chunkWordsT) int {
	n := 0
	for off := range chunkIDs {
		if w[off/64]&(1<<(off%64)) != 0 {
			n++
		}
	}
	return n
}

// TestBitCursorSeeksLikeBruteForce compares a cursor's seeks, forward and
// backward, with a sorted list of the index value's ids.
func TestBitCursorSeeksLikeBruteForce(t *testing.T) {
	s, ids := spreadStore(t, 1200)
	var de []uint64
	for _, id := range ids {
		if c := mustContact(t, s, id); c.Country == "DE" {
			de = append(de, uint64(id))
		}
	}
	if len(de) < 20 {
		t.Fatalf("%d German contacts: too few to test", len(de))
	}
	maxID := uint64(ids[len(ids)-1]) + 10
	r := rand.New(rand.NewPCG(5, 9))
	err := s.view(func(txn *badger.Txn) error {
		for _, backward := range []bool{false, true} {
			bp := bitmapPrefix(indexPrefix(ixCountry, countryValue("DE")))
			it := txn.NewIterator(badger.IteratorOptions{Prefix: bp, Reverse: backward})
			c := &bitCursor{it: it, prefix: bp, backward: backward}
			// Targets that only move on, as a walk asks, then at random.
			targets := []uint64{}
			for x := uint64(0); x < maxID; x += uint64(1 + r.IntN(3*chunkIDs/2)) {
				targets = append(targets, x)
			}
			if backward {
				slices.Reverse(targets)
			}
			for range 200 {
				targets = append(targets, uint64(r.IntN(int(maxID))))
			}
			for _, x := range targets {
				got, ok := c.seek(x)
				var want uint64
				found := false
				if backward {
					i, _ := slices.BinarySearch(de, x+1)
					if i > 0 {
						want, found = de[i-1], true
					}
				} else if i, _ := slices.BinarySearch(de, x); i < len(de) {
					want, found = de[i], true
				}
				if ok != found || got != want {
					t.Errorf("backward %v: seek(%d) = %d, %v; want %d, %v", backward, x, got, ok, want, found)
				}
			}
			it.Close()
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestBitmapsFollowIndexKeys makes every kind of change that moves index
// keys — creations, edits, tags and bases in bulk (added and removed),
// status changes, erasures, an ordinary import and a merge — and checks
// after each that the chunks hold exactly the ids of the index keys.
func TestBitmapsFollowIndexKeys(t *testing.T) {
	s, ids := spreadStore(t, 900)
	mustBitmapsAgree(t, s, "after creating")
	r := rand.New(rand.NewPCG(8, 8))
	for range 60 {
		id := ids[r.IntN(len(ids))]
		err := s.UpdateContact("op", id, func(c *gdpr.Contact) error {
			c.Country = countries[r.IntN(len(countries))]
			c.Source = sources[r.IntN(len(sources))]
			if r.IntN(2) == 0 {
				c.Tags = append(c.Tags, "moved")
			} else {
				c.Tags = nil
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	mustBitmapsAgree(t, s, "after edits")
	ctx := context.Background()
	for _, ch := range []struct {
		q  string
		ch BasisChange
	}{
		{"country:DE", BasisChange{Basis: gdpr.BasisContract}},
		{"tag:vip", BasisChange{Basis: gdpr.BasisLegitimateInterests, Evidence: "customer"}},
		{"country:DE tag:x", BasisChange{Basis: gdpr.BasisContract, Remove: true}},
	} {
		if _, err := s.ApplyBasis(ctx, "op", mustQuery(t, ch.q), ch.ch, nil); err != nil {
			t.Fatal(err)
		}
		mustBitmapsAgree(t, s, "after a bulk change of "+ch.q)
	}
	for _, id := range ids[:40] {
		if err := s.SetContactStatus("op", id, gdpr.ContactRestricted, ""); err != nil {
			t.Fatal(err)
		}
	}
	mustBitmapsAgree(t, s, "after status changes")
	erased := 0
	for _, id := range ids[100:130] {
		if _, err := s.Anonymize("op", id, AnonymizeOptions{}); err == nil {
			erased++
		}
	}
	if erased == 0 {
		t.Fatal("no contact could be erased: the test proves nothing for erasure")
	}
	mustBitmapsAgree(t, s, "after erasures")
	var items []ImportItem
	for i := range 300 {
		c := randomContact(r, 5000+i)
		if i%10 == 0 {
			c.Email = mustContact(t, s, ids[200+i]).Email // merges into a contact
			c.Tags = []string{"imported"}
		}
		items = append(items, ImportItem{Line: i + 2, Contact: c})
	}
	if _, err := s.ImportContacts("op", items, exMerge, false); err != nil {
		t.Fatal(err)
	}
	mustBitmapsAgree(t, s, "after an import")
	if n := mustCount(t, s, "tag:imported country:DE"); n != mustCountBrute(t, s, "tag:imported country:DE") {
		t.Errorf("tag:imported country:DE counts %d, brute force differs", n)
	}
}

// mustCountBrute counts the contacts matching query by reading them all.
func mustCountBrute(t *testing.T, s *Store, query string) int64 {
	t.Helper()
	var ids []gdpr.ContactID
	for _, c := range collect(t, s, "", 500) {
		ids = append(ids, c.ID)
	}
	return int64(len(bruteForce(t, s, ids, mustQuery(t, query))))
}

// TestPlannerMatchesBruteForceAcrossChunks is the planner's random test on
// a store whose ids span many bitmap chunks, some of them missing.
func TestPlannerMatchesBruteForceAcrossChunks(t *testing.T) {
	n, queries := 1500, 120
	if testing.Short() {
		n, queries = 600, 40
	}
	s, ids := spreadStore(t, n)
	if last := uint64(ids[len(ids)-1]); last>>chunkShift < 4 {
		t.Fatalf("ids end at %d: too few chunks to test", last)
	}
	if _, err := s.ApplyBasis(context.Background(), "op", mustQuery(t, "country:DE"), BasisChange{Basis: gdpr.BasisContract}, nil); err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(29, 31))
	empty, some := 0, 0
	for range queries {
		text := randomConjunction(r)
		if r.IntN(3) == 0 {
			text = "country:DE basis:none " + text
		}
		q := mustQuery(t, text)
		want := bruteForce(t, s, ids, q)
		if len(want) == 0 {
			empty++
		} else {
			some++
		}
		limit := 1 + r.IntN(60)
		if got := sortedIDs(collect(t, s, text, limit)); !slices.Equal(got, want) {
			t.Errorf("%q paged forward by %d: %d contacts, brute force %d", text, limit, len(got), len(want))
		}
		back := collectBackward(t, s, text, limit)
		slices.Sort(back)
		if !slices.Equal(back, want) {
			t.Errorf("%q paged backward by %d: %d contacts, brute force %d", text, limit, len(back), len(want))
		}
		if c := mustCount(t, s, text); c != int64(len(want)) {
			t.Errorf("Count(%q) = %d, brute force %d", text, c, len(want))
		}
	}
	if empty == 0 || some == 0 {
		t.Errorf("%d queries matched nobody and %d somebody: the draw is one-sided", empty, some)
	}
}

// TestVerifyAuditDetectsDamagedBitmaps damages the chunks in every way
// that matters (an id taken out, one put in, a chunk removed, a chunk
// invented, bytes that are no chunk) and expects audit verify to say so.
func TestVerifyAuditDetectsDamagedBitmaps(t *testing.T) {
	de := bitmapPrefix(indexPrefix(ixCountry, countryValue("DE")))
	chunk0 := appendChunkKey(nil, de, 0)
	flip := func(off int) func(txn *badger.Txn) error {
		return func(txn *badger.Txn) error {
			v, err := getValue(txn, chunk0)
			if err != nil {
				return err
			}
			var w chunkWordsT
			if err := decodeBits(v, &w); err != nil {
				return err
			}
			w[off/64] ^= 1 << (off % 64)
			return txn.Set(chunk0, encodeBits(nil, &w))
		}
	}
	tests := []struct {
		name   string
		tamper func(txn *badger.Txn) error
	}{
		{"an id taken out", func(txn *badger.Txn) error {
			v, err := getValue(txn, chunk0)
			if err != nil {
				return err
			}
			var w chunkWordsT
			if err := decodeBits(v, &w); err != nil {
				return err
			}
			for i := range w {
				if w[i] != 0 {
					w[i] &= w[i] - 1
					break
				}
			}
			return txn.Set(chunk0, encodeBits(nil, &w))
		}},
		{"an id put in", flip(4000)},
		{"a chunk removed", func(txn *badger.Txn) error { return txn.Delete(chunk0) }},
		{"a chunk invented", func(txn *badger.Txn) error { return txn.Set(appendChunkKey(nil, de, 7), []byte{0, 5}) }},
		{"bytes that are no chunk", func(txn *badger.Txn) error { return txn.Set(chunk0, []byte{1, 2, 3}) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := fillForAudit(t)
			rep, err := s.VerifyAudit()
			if err != nil {
				t.Fatal(err)
			}
			if !rep.OK() {
				t.Fatalf("before the damage: problems %q", rep.Problems)
			}
			if err := s.db.Update(tt.tamper); err != nil {
				t.Fatal(err)
			}
			if rep, err = s.VerifyAudit(); err != nil {
				t.Fatal(err)
			}
			text := strings.Join(rep.Problems, "\n")
			if rep.OK() || !strings.Contains(text, "1 bitmap chunk(s)") || !strings.Contains(text, "co/y:DE chunk") {
				t.Errorf("problems %q, want the damaged chunk named", rep.Problems)
			}
		})
	}
}

// TestUpgradeBuildsBitmaps takes a store back to schema 3 (no chunks, or
// the leftovers of an interrupted upgrade) and opens it again: Open builds
// the chunks from the index keys and moves the schema to 4.
func TestUpgradeBuildsBitmaps(t *testing.T) {
	for _, leftover := range []bool{false, true} {
		t.Run(fmt.Sprintf("leftover=%v", leftover), func(t *testing.T) {
			clk := newClock(t0)
			dir := t.TempDir()
			s := openAt(t, dir, clk)
			r := rand.New(rand.NewPCG(4, 4))
			var cs []gdpr.Contact
			for i := range 300 {
				cs = append(cs, randomContact(r, i))
			}
			mustCreate(t, s, cs...)
			want := keyValues(t, s, string(prefixBitmap))
			err := s.db.Update(func(txn *badger.Txn) error {
				for k := range want {
					if err := txn.Delete([]byte(k)); err != nil {
						return err
					}
				}
				if leftover {
					if err := txn.Set(appendChunkKey(nil, bitmapPrefix(indexPrefix(ixTag, "ghost")), 3), []byte{0, 1}); err != nil {
						return err
					}
				}
				return txn.Set(keySchema, u64(3))
			})
			if err != nil {
				t.Fatal(err)
			}
			entries := len(allAudit(t, s))
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			s = openAt(t, dir, clk)
			got := keyValues(t, s, string(prefixBitmap))
			if len(got) != len(want) || len(want) == 0 {
				t.Fatalf("%d chunks after the upgrade, %d before", len(got), len(want))
			}
			for k, v := range want {
				if string(got[k]) != string(v) {
					t.Errorf("chunk %q differs after the upgrade", k)
				}
			}
			mustBitmapsAgree(t, s, "after the upgrade")
			var schema uint64
			if err := s.view(func(txn *badger.Txn) error { schema, err = seqValue(txn, keySchema); return err }); err != nil || schema != schemaVersion {
				t.Errorf("schema %d after the upgrade (%v), want %d", schema, err, schemaVersion)
			}
			if after := len(allAudit(t, s)); after != entries {
				t.Errorf("%d audit entries after the upgrade, %d before: the upgrade changes no record (and a restored backup must keep its head)", after, entries)
			}
			if rep, err := s.VerifyAudit(); err != nil || !rep.OK() {
				t.Errorf("audit verify after the upgrade: %v %q", err, rep.Problems)
			}
		})
	}
}

// TestRestoreOfOlderBackupBuildsBitmaps restores a backup of a store of
// schema 3 (no chunks): the restored store is upgraded as it opens, still
// matches the backup's manifest, verifies, and has its chunks.
func TestRestoreOfOlderBackupBuildsBitmaps(t *testing.T) {
	s, _ := newStore(t)
	fillForBackup(t, s)
	err := s.db.Update(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{Prefix: prefixBitmap})
		var keys [][]byte
		for it.Rewind(); it.Valid(); it.Next() {
			keys = append(keys, it.Item().KeyCopy(nil))
		}
		it.Close()
		if len(keys) == 0 {
			return fmt.Errorf("no chunk to remove: the test proves nothing")
		}
		for _, k := range keys {
			if err := txn.Delete(k); err != nil {
				return err
			}
		}
		return txn.Set(keySchema, u64(3))
	})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if _, err := s.Backup(&buf, testPassphrase); err != nil {
		t.Fatal(err)
	}
	dir, rep := restoreInto(t, buf.Bytes(), RestoreOptions{Passphrase: testPassphrase})
	if !rep.Verify.OK() {
		t.Errorf("restore verify = %+v", rep.Verify)
	}
	r := openAt(t, dir, newClock(t0))
	mustBitmapsAgree(t, r, "after restoring a schema 3 backup")
}
