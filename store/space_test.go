package store

import (
	"strings"
	"testing"
)

// A nearly full disk is refused with a clear line instead of the SIGBUS
// Badger's memory-mapped writes would die of.
func TestNearlyFullDiskIsRefused(t *testing.T) {
	err := spaceError("/data", 3<<20)
	if err == nil || !strings.Contains(err.Error(), "only 3 MB free") || !strings.Contains(err.Error(), "/data") {
		t.Fatalf("3 MB free: %v", err)
	}
	if err := spaceError("/data", 10<<30); err != nil {
		t.Fatalf("10 GB free: %v", err)
	}
	if err := checkFree(t.TempDir()); err != nil {
		t.Fatalf("the test machine's temp dir: %v", err)
	}
}
