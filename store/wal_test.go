package store

import (
	"fmt"
	"testing"

	"github.com/gdprdesk/gdprdesk/gdpr"
)

// What a kill leaves of the last commits is Badger's write-ahead log (the
// memtable's .mem file): a store copied while it is open, nothing flushed
// or closed, must open with every committed contact. The project's copy of
// Badger takes each log entry's checksum its own way
// (internal/badger/README.gdprdesk.md); an entry whose checksum did not
// match would be taken for a torn write and cut off here, silently. With
// encryption at rest the log holds the encrypted bytes, and the checksum
// covers those.
func TestCommitsSurviveInTheWriteAheadLog(t *testing.T) {
	for _, tc := range []struct {
		name string
		key  []byte
	}{{"plain", nil}, {"encrypted at rest", testKey(t)}} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			s, err := Open(dir, Options{EncryptionKey: tc.key})
			if err != nil {
				t.Fatal(err)
			}
			for i := range 40 {
				mustCreate(t, s, gdpr.Contact{FirstName: "Ida", Email: fmt.Sprintf("ida%d@example.org", i), Country: "DE"})
			}
			crashed := t.TempDir()
			copyDir(t, dir, crashed)
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			s, err = Open(crashed, Options{EncryptionKey: tc.key})
			if err != nil {
				t.Fatalf("open the store as a kill left it: %v", err)
			}
			defer s.Close()
			if n := mustCount(t, s, ""); n != 40 {
				t.Fatalf("%d contacts after the crash, want the 40 committed", n)
			}
			checkVerified(t, s)
		})
	}
}
