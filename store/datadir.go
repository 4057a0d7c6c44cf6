package store

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// DirState is what a directory holds, seen as a data directory.
type DirState int

// The states of a data directory before it is opened.
const (
	DirMissing DirState = iota // no such directory
	DirEmpty                   // a directory holding nothing (or only the lock file of an open that failed)
	DirStore                   // a directory holding a store
	DirOther                   // something else: a file, or a directory of other files
)

// InspectDir says what dir holds, without creating or changing anything,
// so that a command can refuse a mistyped --data instead of making a new,
// empty store there (Open creates one wherever it is pointed). A
// directory with the store's database or key ring is a store, whole or
// damaged: Open then says what is wrong with it.
func InspectDir(dir string) (DirState, error) {
	fi, err := os.Stat(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return DirMissing, nil
	}
	if err != nil {
		return DirOther, fmt.Errorf("data directory %s: %w", dir, err)
	}
	if !fi.IsDir() {
		return DirOther, nil
	}
	for _, part := range []string{"db", "keys"} {
		if _, err := os.Lstat(filepath.Join(dir, part)); err == nil {
			return DirStore, nil
		}
	}
	es, err := os.ReadDir(dir)
	if err != nil {
		return DirOther, fmt.Errorf("data directory %s: %w", dir, err)
	}
	for _, e := range es {
		if e.Name() != "gdprdesk.lock" {
			return DirOther, nil
		}
	}
	return DirEmpty, nil
}
