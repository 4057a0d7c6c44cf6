package store

import (
	"fmt"
	"syscall"
)

// minFree is the free space a store needs to open. Badger writes through
// memory maps: a write into a mapped file on a full disk is not an error it
// can return but a SIGBUS that kills the process. Refusing to open without
// room for the memtables' write-ahead files and a compaction turns the
// common case (a disk already full) into a clear message.
const minFree = 128 << 20

// checkFree returns a clear error when dir's file system has less than
// minFree bytes available to this user.
func checkFree(dir string) error {
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		return nil // cannot tell: let Badger try
	}
	return spaceError(dir, st.Bavail*uint64(st.Bsize))
}

// spaceError is the refusal for free bytes in dir, or nil when enough.
func spaceError(dir string, free uint64) error {
	if free < minFree {
		return fmt.Errorf("data directory %s has only %d MB free: gdprdesk needs at least %d MB to write safely; free some space and try again",
			dir, free>>20, minFree>>20)
	}
	return nil
}
