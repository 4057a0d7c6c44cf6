package store

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dgraph-io/badger/v4"
)

// TestNewTablesAreMappedReadOnly checks the one change of the Badger in
// internal/badger (README.gdprdesk.md): a table Badger creates is written
// with write(2) and mapped read-only, never copied into a writable shared
// mapping and msynced, whose write-back costs a TLB shootdown per page.
// Upstream Badger maps the tables it creates "rw-s", so this fails if the
// replace line in go.mod is dropped.
func TestNewTablesAreMappedReadOnly(t *testing.T) {
	dir := t.TempDir()
	db, err := badger.Open(badgerOptions(dir, nil, nil))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	sw := db.NewStreamWriter()
	if err := sw.Prepare(); err != nil {
		t.Fatal(err)
	}
	var batch streamBatch
	for i := range 50_000 {
		batch.add(fmt.Appendf(nil, "c/%08d", i), make([]byte, 100), streamContacts, true)
	}
	if err := batch.write(sw); err != nil {
		t.Fatal(err)
	}
	if err := sw.Flush(); err != nil {
		t.Fatal(err)
	}
	tables, _ := filepath.Glob(filepath.Join(dir, "*.sst"))
	if len(tables) == 0 {
		t.Fatal("the stream wrote no table")
	}
	maps, err := os.Open("/proc/self/maps")
	if err != nil {
		t.Fatalf("read the mappings: %v", err)
	}
	defer maps.Close()
	mapped := 0
	sc := bufio.NewScanner(maps)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 6 || !strings.HasPrefix(f[5], dir) || !strings.HasSuffix(f[5], ".sst") {
			continue
		}
		mapped++
		if f[1] != "r--s" {
			t.Errorf("%s is mapped %s, want r--s (written through a writable mapping?)", filepath.Base(f[5]), f[1])
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if mapped == 0 {
		t.Fatalf("none of the %d tables is mapped", len(tables))
	}
}
