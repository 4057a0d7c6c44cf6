package store_test

import (
	"bytes"
	"testing"

	"github.com/gdprdesk/gdprdesk/exporters"
	"github.com/gdprdesk/gdprdesk/store"
)

// TestBulkLoadWritesTheBitmapsOfTheOrdinaryPath imports a file of more
// rows than a bitmap chunk holds ids, through the bulk load and the
// ordinary path: both stores' chunks agree with their index keys and with
// each other, byte for byte.
func TestBulkLoadWritesTheBitmapsOfTheOrdinaryPath(t *testing.T) {
	const rows = 9000 // ids over three chunks
	text, suppressed := bulkCSV(rows)
	a, repA := bulkImport(t, t.TempDir(), text, suppressed, true, exporters.ImportRun{})
	b, _ := bulkImport(t, t.TempDir(), text, suppressed, false, exporters.ImportRun{})
	if !repA.BulkLoad {
		t.Fatal("the first import did not take the bulk load")
	}
	for name, s := range map[string]*store.Store{"bulk": a, "ordinary": b} {
		bad, keys, err := store.BitmapsForTest(s)
		if err != nil {
			t.Fatal(err)
		}
		if keys < rows || bad != 0 {
			t.Errorf("%s store: %d index keys, %d chunks that differ from them", name, keys, bad)
		}
	}
	ka, err := store.KeysForTest(a, "ib/")
	if err != nil {
		t.Fatal(err)
	}
	kb, err := store.KeysForTest(b, "ib/")
	if err != nil {
		t.Fatal(err)
	}
	high := 0
	for k := range ka {
		if k[len(k)-1] == 2 && k[len(k)-2] == 0 {
			high++ // a chunk number 2: the ids past 8,191
		}
	}
	if len(ka) != len(kb) || high == 0 {
		t.Fatalf("%d chunks in the bulk store, %d in the other, %d of the third chunk", len(ka), len(kb), high)
	}
	for k, v := range ka {
		if w, ok := kb[k]; !ok || !bytes.Equal(v, w) {
			t.Errorf("chunk %q: bulk %d bytes, ordinary %d bytes (present %v)", k, len(v), len(w), ok)
		}
	}
}
