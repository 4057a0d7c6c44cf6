//go:build linux

package store

import (
	"bufio"
	"fmt"
	"os"
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
