package store

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/dgraph-io/badger/v4"
	"github.com/dgraph-io/badger/v4/pb"
	"github.com/dgraph-io/ristretto/v2/z"
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

// TestAppendKVIsKVToBuffer: the hand-made encoding is byte for byte what
// badger.KVToBuffer writes, for keys and values of every length class.
func TestAppendKVIsKVToBuffer(t *testing.T) {
	for _, c := range []struct {
		key, value []byte
		stream     uint32
	}{
		{[]byte("c/12345678"), bytes.Repeat([]byte{9}, 450), streamContacts},
		{[]byte("i/co/y:DE\x00\x00\x00\x00\x00\x00\x00\x00\x01"), nil, streamMiddle},
		{bytes.Repeat([]byte("k"), 200), bytes.Repeat([]byte{1}, 20000), 300},
		{[]byte("a/x"), []byte{}, 0},
		{[]byte("m/seq/contact"), []byte{0, 0, 0, 0, 0, 0, 0, 1}, streamAfter},
	} {
		mine := z.NewBuffer(1<<10, "test")
		theirs := z.NewBuffer(1<<10, "test")
		appendKV(mine, c.key, c.value, c.stream)
		badger.KVToBuffer(&pb.KV{Key: c.key, Value: c.value, Version: 1, StreamId: c.stream}, theirs)
		if !bytes.Equal(mine.Bytes(), theirs.Bytes()) {
			t.Errorf("%q (%d bytes, stream %d):\nmine   %x\nbadger %x", c.key, len(c.value), c.stream, mine.Bytes(), theirs.Bytes())
		}
		mine.Release()
		theirs.Release()
	}
}
