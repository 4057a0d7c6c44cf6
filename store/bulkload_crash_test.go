package store

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/dgraph-io/badger/v4/y"
	"github.com/gdprdesk/gdprdesk/gdpr"
)

func bulkItems(n int) []ImportItem {
	items := make([]ImportItem, n)
	for i := range items {
		items[i] = ImportItem{Line: i + 2, Contact: gdpr.Contact{FirstName: "Anna", LastName: fmt.Sprint("Nowak ", i),
			Email: fmt.Sprintf("anna.%d@example.org", i), Country: "PL", Source: "webinar"}}
	}
	return items
}

// bulkLoadUpTo runs a bulk load of n contacts in dir up to the given step
// and leaves it there, as a crash would: "written" (chunks written to the
// new database, nothing committed) or "committed" (the COMMIT file
// written, the databases not swapped yet).
func bulkLoadUpTo(t *testing.T, dir string, n int, step string) {
	t.Helper()
	s, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	b, err := s.BeginBulkLoad("alice")
	if err != nil || b == nil {
		t.Fatalf("begin: %v (%v)", b, err)
	}
	items := bulkItems(n)
	for len(items) > 0 {
		chunk := items[:min(BulkChunk, len(items))]
		items = items[len(chunk):]
		if _, err := b.Write(chunk, b.Prepare(chunk)); err != nil {
			t.Fatal(err)
		}
	}
	switch step {
	case "written":
		b.sw.Cancel()
		if err := b.db.Close(); err != nil {
			t.Fatal(err)
		}
	case "committed":
		b.stopAtCommit = true
		if _, err := b.Finish(); !errors.Is(err, errStoppedAtCommit) {
			t.Fatalf("finish: %v", err)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, bulkDir)); err != nil {
		t.Fatalf("no staging directory after the simulated crash: %v", err)
	}
}

func checkBulkStore(t *testing.T, dir string, want int64) {
	t.Helper()
	s, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := os.Stat(filepath.Join(dir, bulkDir)); !os.IsNotExist(err) {
		t.Fatalf("the staging directory is still there after open: %v", err)
	}
	n, err := s.Count(gdpr.Query{})
	if err != nil || n != want {
		t.Fatalf("%d contacts (%v), want %d", n, err, want)
	}
	rep, err := s.VerifyAudit()
	if err != nil || !rep.OK() {
		t.Fatalf("verify: %v %v", err, rep.Problems)
	}
	if want > 0 {
		c, err := s.ContactByEmail("anna.7@example.org")
		if err != nil || c.ID != 8 || c.LastName != "Nowak 7" {
			t.Fatalf("anna.7: %+v %v", c, err)
		}
	}
}

// TestBulkLoadInterruptedBeforeCommitIsUndone: a bulk load killed before
// its COMMIT file leaves the store as it was; Open removes what it wrote.
func TestBulkLoadInterruptedBeforeCommitIsUndone(t *testing.T) {
	dir := t.TempDir()
	bulkLoadUpTo(t, dir, 1200, "written")
	checkBulkStore(t, dir, 0)
}

// TestBulkLoadInterruptedAfterCommitIsFinished: killed after the COMMIT
// file, before or between the two moves, the next Open completes the swap.
func TestBulkLoadInterruptedAfterCommitIsFinished(t *testing.T) {
	for _, moved := range []bool{false, true} {
		t.Run(fmt.Sprint("first move done ", moved), func(t *testing.T) {
			dir := t.TempDir()
			bulkLoadUpTo(t, dir, 1200, "committed")
			if moved {
				if err := os.Rename(filepath.Join(dir, "db"), filepath.Join(dir, bulkDir, "old")); err != nil {
					t.Fatal(err)
				}
			}
			checkBulkStore(t, dir, 1200)
		})
	}
}

// TestBulkLoadEncryptedAtRest: the new database is encrypted with the
// store's key like the one it replaces, and opens with it (and only it).
func TestBulkLoadEncryptedAtRest(t *testing.T) {
	dir := t.TempDir()
	key := bytes.Repeat([]byte{7}, 32)
	s, err := Open(dir, Options{EncryptionKey: key})
	if err != nil {
		t.Fatal(err)
	}
	b, err := s.BeginBulkLoad("alice")
	if err != nil || b == nil {
		t.Fatalf("begin: %v (%v)", b, err)
	}
	items := bulkItems(700)
	for len(items) > 0 {
		chunk := items[:min(BulkChunk, len(items))]
		items = items[len(chunk):]
		if _, err := b.Write(chunk, b.Prepare(chunk)); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := b.Finish(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(dir, Options{}); err == nil {
		t.Fatal("the bulk-loaded store opens without its key")
	}
	s, err = Open(dir, Options{EncryptionKey: key})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if n, err := s.Count(gdpr.Query{}); err != nil || n != 700 {
		t.Fatalf("%d contacts (%v), want 700", n, err)
	}
	if rep, err := s.VerifyAudit(); err != nil || !rep.OK() {
		t.Fatalf("verify: %v %v", err, rep.Problems)
	}
}

// TestStreamBatchKeysCarryTheBulkVersion: a batch's keys are the keys
// with version 1 appended as Badger does it (y.KeyWithTs), its values are
// copied unless handed over, and its entries are grouped by stream in the
// order they were added.
func TestStreamBatchKeysCarryTheBulkVersion(t *testing.T) {
	var b streamBatch
	value := bytes.Repeat([]byte{9}, 450)
	owned := []byte{1, 2, 3}
	b.add([]byte("c/12345678"), value, streamContacts, false)
	b.add([]byte("c/12345679"), owned, streamContacts, true)
	b.add([]byte("i/co/y:DE\x00\x00\x00\x00\x00\x00\x00\x00\x01"), nil, streamMiddle, false)
	b.add(bytes.Repeat([]byte("k"), 200), bytes.Repeat([]byte{1}, 2*batchArena), streamAfter, false)
	value[0] = 0 // the batch kept a copy
	got := b.streams[streamContacts]
	if len(got) != 2 || len(b.streams[streamMiddle]) != 1 || len(b.streams[streamAfter]) != 1 {
		t.Fatalf("entries by stream: %d %d %d, want 2 1 1", len(got), len(b.streams[streamMiddle]), len(b.streams[streamAfter]))
	}
	if want := y.KeyWithTs([]byte("c/12345678"), bulkVersion); !bytes.Equal(got[0].Key, want) {
		t.Errorf("key %x, want %x", got[0].Key, want)
	}
	if y.ParseTs(got[1].Key) != bulkVersion || !bytes.Equal(y.ParseKey(got[1].Key), []byte("c/12345679")) {
		t.Errorf("second key %x", got[1].Key)
	}
	if got[0].Value[0] != 9 || len(got[0].Value) != 450 {
		t.Error("the value was not copied")
	}
	if &got[1].Value[0] != &owned[0] {
		t.Error("a value handed over was copied")
	}
	if big := b.streams[streamAfter][0]; len(big.Value) != 2*batchArena || big.Value[len(big.Value)-1] != 1 {
		t.Errorf("a value larger than an arena block: %d bytes", len(big.Value))
	}
	if want := 2*(10+8) + 450 + 3 + 18 + 8 + 200 + 8 + 2*batchArena; b.size != want {
		t.Errorf("size %d, want %d", b.size, want)
	}
}
