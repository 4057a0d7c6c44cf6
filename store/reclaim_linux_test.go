//go:build linux

package store

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/dgraph-io/badger/v4"
	"github.com/gdprdesk/gdprdesk/gdpr"
)

// tableRSS sums the resident kilobytes of this process's mappings of .sst
// files under dir.
func tableRSS(tb testing.TB, dir string) int {
	tb.Helper()
	f, err := os.Open("/proc/self/smaps")
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	total, inTable := 0, false
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) == 0 {
			continue
		}
		if strings.Contains(fields[0], "-") && len(fields) >= 5 {
			inTable = len(fields) == 6 && strings.HasPrefix(fields[5], dir) && strings.HasSuffix(fields[5], ".sst")
			continue
		}
		if inTable && fields[0] == "Rss:" {
			kb, _ := strconv.Atoi(fields[1])
			total += kb
		}
	}
	return total
}

// A long scan gives the pages of the tables it read back to the kernel, and
// the store reads the same afterwards.
func TestLongScanGivesTablePagesBack(t *testing.T) {
	dir := t.TempDir()
	clk := newClock(t0)
	s := openAt(t, dir, clk)
	const n = 3 * reclaimScanEvery
	for i := 0; i < n; i += BulkChunk {
		var cs []gdpr.Contact
		for j := i; j < min(i+BulkChunk, n); j++ {
			cs = append(cs, gdpr.Contact{Email: fmt.Sprintf("p%d@example.org", j), FirstName: "Pat", Country: "DE"})
		}
		mustCreate(t, s, cs...)
	}
	if err := s.Close(); err != nil { // the memtable becomes a table
		t.Fatal(err)
	}
	s = openAt(t, dir, clk)
	dbDir, err := absDir(dir + "/db")
	if err != nil {
		t.Fatal(err)
	}
	// Every table page, read by a scan that gives nothing back.
	// A query no index answers (two values of a field a contact can hold
	// several of): a walk of every record, as an export's is.
	q := mustQuery(t, "basis:none|consent")
	err = s.view(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.DefaultIteratorOptions)
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			if _, err := it.Item().ValueCopy(nil); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	before := tableRSS(t, dbDir)
	if before < 1024 {
		t.Fatalf("tables resident after a full scan: %d kB; the test reads too little", before)
	}
	if _, err := s.Count(q); err != nil {
		t.Fatal(err)
	}
	after := tableRSS(t, dbDir)
	t.Logf("tables resident: %d kB after a full scan, %d kB once given back", before, after)
	if after > before/2 {
		t.Errorf("tables resident: %d kB after the scan gave them back, %d kB before", after, before)
	}
	if got := mustCount(t, s, "basis:none|consent"); got != n {
		t.Errorf("count after pages were given back: %d, want %d", got, n)
	}
	checkVerified(t, s)
}

// A bulk load gives back the pages of the tables it writes at the end (the
// sorted email look-ups and index keys): Badger writes each table through
// a map of its own, so without this every page of them stayed resident
// until the swap — 1.3 GB of a 10,000,000-contact import's peak
// (docs/PERFORMANCE.md, "10,000,000 contacts").
func TestBulkLoadGivesBackTheSortedKeysTablePages(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	b, err := s.BeginBulkLoad("alice")
	if err != nil || b == nil {
		t.Fatalf("begin: %v (%v)", b, err)
	}
	const n = 40_000
	items := bulkItems(n)
	for len(items) > 0 {
		chunk := items[:min(BulkChunk, len(items))]
		items = items[len(chunk):]
		if _, err := b.Write(chunk, b.Prepare(chunk)); err != nil {
			t.Fatal(err)
		}
	}
	stage, err := absDir(filepath.Join(b.stage, "db"))
	if err != nil {
		t.Fatal(err)
	}
	onDisk, resident := 0, -1
	b.afterFlush = func() {
		resident = tableRSS(t, stage)
		files, _ := filepath.Glob(filepath.Join(stage, "*.sst"))
		for _, f := range files {
			if st, err := os.Stat(f); err == nil {
				onDisk += int(st.Size() / 1024)
			}
		}
	}
	if _, err := b.Finish(); err != nil {
		t.Fatal(err)
	}
	if resident < 0 {
		t.Fatal("the bulk load never wrote its sorted keys")
	}
	t.Logf("tables after the sorted keys: %d kB on disk, %d kB resident", onDisk, resident)
	if onDisk < 2048 {
		t.Fatalf("tables on disk: %d kB; the test writes too little", onDisk)
	}
	if resident > onDisk/4 {
		t.Errorf("tables resident after the sorted keys: %d kB of %d kB on disk", resident, onDisk)
	}
	if got := mustCount(t, s, "country:PL"); got != n {
		t.Errorf("count after the bulk load: %d, want %d", got, n)
	}
}

// audit verify and backup read every table (records, index keys,
// checksums) and give their pages back: at 10,000,000 contacts each held
// 5.6 GB of them (docs/PERFORMANCE.md, "10,000,000 contacts").
func TestVerifyAuditGivesTablePagesBack(t *testing.T) {
	s, dbDir, onDisk := storeOfTables(t)
	rep, err := s.VerifyAudit()
	if err != nil || len(rep.Problems) > 0 || rep.Contacts != 3*reclaimScanEvery {
		t.Fatalf("verify: %+v, %v", rep, err)
	}
	resident := tableRSS(t, dbDir)
	t.Logf("tables: %d kB on disk, %d kB resident after audit verify", onDisk, resident)
	if resident > onDisk/4 {
		t.Errorf("tables resident after audit verify: %d kB of %d kB on disk", resident, onDisk)
	}
}

func TestBackupGivesTablePagesBack(t *testing.T) {
	s, dbDir, onDisk := storeOfTables(t)
	m, err := s.Backup(io.Discard, []byte("correct horse battery"))
	if err != nil || m.Contacts != 3*reclaimScanEvery {
		t.Fatalf("backup: %+v, %v", m, err)
	}
	resident := tableRSS(t, dbDir)
	t.Logf("tables: %d kB on disk, %d kB resident after a backup", onDisk, resident)
	if resident > onDisk/4 {
		t.Errorf("tables resident after a backup: %d kB of %d kB on disk", resident, onDisk)
	}
}

// storeOfTables opens a store whose 49,152 contacts are in tables on disk
// (at least 2 MB of them), with its db directory and their size in kB.
func storeOfTables(t *testing.T) (*Store, string, int) {
	t.Helper()
	dir := t.TempDir()
	clk := newClock(t0)
	s := openAt(t, dir, clk)
	const n = 3 * reclaimScanEvery
	for i := 0; i < n; i += BulkChunk {
		var cs []gdpr.Contact
		for j := i; j < min(i+BulkChunk, n); j++ {
			cs = append(cs, gdpr.Contact{Email: fmt.Sprintf("p%d@example.org", j), FirstName: "Pat", Country: "DE"})
		}
		mustCreate(t, s, cs...)
	}
	if err := s.Close(); err != nil { // the memtable becomes a table
		t.Fatal(err)
	}
	s = openAt(t, dir, clk)
	dbDir, err := absDir(dir + "/db")
	if err != nil {
		t.Fatal(err)
	}
	onDisk := 0
	files, _ := filepath.Glob(filepath.Join(dbDir, "*.sst"))
	for _, f := range files {
		if st, err := os.Stat(f); err == nil {
			onDisk += int(st.Size() / 1024)
		}
	}
	if onDisk < 2048 {
		t.Fatalf("tables on disk: %d kB; the test writes too little", onDisk)
	}
	return s, dbDir, onDisk
}
