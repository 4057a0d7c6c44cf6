package store

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/gdprdesk/gdprdesk/gdpr"
)

// A kill right after Badger created a log file leaves it empty; the store
// must still open at once, with everything committed before (the crash
// harness found the first open failing: dgraph-io/badger#2207).
func TestOpenAfterACrashLeftEmptyLogs(t *testing.T) {
	for _, name := range []string{"00001.mem", "000002.vlog", "00007.mem"} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			s, err := Open(dir, Options{})
			if err != nil {
				t.Fatal(err)
			}
			mustCreate(t, s, gdpr.Contact{Email: "a@example.org", Country: "DE"})
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, "db", name), nil, 0o600); err != nil {
				t.Fatal(err)
			}
			s, err = Open(dir, Options{})
			if err != nil {
				t.Fatalf("open with an empty %s: %v", name, err)
			}
			defer s.Close()
			if n := mustCount(t, s, ""); n != 1 {
				t.Fatalf("%d contacts after reopening, want 1", n)
			}
			checkVerified(t, s)
		})
	}
}
