package store

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// removeEmptyLogs deletes empty memtable (.mem) and value-log (.vlog) files
// from a Badger directory. A process killed right after Badger created such
// a file, before it wrote its header, leaves it empty, and Badger then
// refuses to open ("while opening memtables … Create a new file";
// dgraph-io/badger#2207). An empty log holds no data, so removing it loses
// nothing; Badger makes a new one.
func removeEmptyLogs(dbDir string) error {
	entries, err := os.ReadDir(dbDir)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("read %s: %w", dbDir, err)
	}
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || !(strings.HasSuffix(name, ".mem") || strings.HasSuffix(name, ".vlog")) {
			continue
		}
		info, err := e.Info()
		if err != nil || info.Size() != 0 {
			continue
		}
		if err := os.Remove(filepath.Join(dbDir, name)); err != nil {
			return fmt.Errorf("remove the empty log %s left by a crash: %w", name, err)
		}
	}
	return nil
}
