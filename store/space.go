package store

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// minFree is the free space a store needs to write. Badger writes its
// write-ahead files (db/*.mem) and value log through memory maps of sparse
// files: a write into such a map on a full disk is not an error Badger can
// return but a SIGBUS that kills the process with every goroutine's stack.
// A memtable's file is 64 MB (twice WithMemTableSize) and a flush writes a
// table of about the same size, so a write starts only with room for both
// and some to spare. Below it the store opens for reading only
// (docs/RELIABILITY.md, "Full disk").
const minFree = 128 << 20

// ErrDiskFull is returned (wrapped in a DiskFullError) by every change asked
// of a store whose disk has less than minFree bytes free.
var ErrDiskFull = errors.New("disk is full")

// DiskFullError says which disk is full and how much is free. Nothing was
// changed when it is returned.
type DiskFullError struct {
	Dir  string
	Free uint64 // bytes available to this user
}

func (e *DiskFullError) Error() string {
	return fmt.Sprintf("the disk holding %s is full (%d MB free, gdprdesk needs %d MB to write safely): free some space and retry; nothing was changed",
		e.Dir, e.Free>>20, minFree>>20)
}

// Is makes errors.Is(err, ErrDiskFull) hold.
func (e *DiskFullError) Is(target error) bool { return target == ErrDiskFull }

// freeFunc reports the bytes available to this user on dir's file system;
// ok is false when the system cannot tell. Options.freeSpace replaces
// freeSpace in tests.
type freeFunc func(dir string) (free uint64, ok bool)

// spaceError is the refusal for free bytes in dir, or nil when enough.
func spaceError(dir string, free uint64) error {
	if free < minFree {
		return &DiskFullError{Dir: dir, Free: free}
	}
	return nil
}

// checkSpace refuses a write into the store when its disk is nearly full.
func (s *Store) checkSpace() error {
	if s.reading {
		return ErrReadOnly
	}
	if s.readOnly {
		free, _ := s.free(s.dir)
		return &DiskFullError{Dir: s.dir, Free: free}
	}
	if free, ok := s.free(s.dir); ok {
		return spaceError(s.dir, free)
	}
	return nil
}

// diskFull turns a write that met a full disk anyway (another program
// filled it since the check) into the same clear error; other errors pass.
func (s *Store) diskFull(err error) error {
	if err == nil || !isNoSpace(err) {
		return err
	}
	free, _ := s.free(s.dir)
	return &DiskFullError{Dir: s.dir, Free: free}
}

// CheckFreeSpace returns a DiskFullError when dir's disk has less than need
// bytes free: a command about to write a file of about that size outside
// the store (a backup, an export) checks its destination with it.
func CheckFreeSpace(dir string, need uint64) error {
	free, ok := freeSpace(dir)
	if !ok || free >= need {
		return nil
	}
	return fmt.Errorf("the disk holding %s is full (%d MB free, about %d MB needed): free some space or write elsewhere; nothing was written",
		dir, free>>20, (need+(1<<20)-1)>>20)
}

// BackupSize estimates the bytes a backup of the data directory dir takes:
// its tables and key ring (values below Badger's threshold sit in the
// tables; the write-ahead files, sparse and mostly empty, are left out).
// It is a floor, for a destination check before a backup starts.
func BackupSize(dir string) uint64 {
	var n uint64
	for _, pattern := range []string{filepath.Join(dir, "db", "*.sst"), filepath.Join(dir, "keys", "*")} {
		files, _ := filepath.Glob(pattern)
		for _, f := range files {
			if st, err := os.Stat(f); err == nil {
				n += uint64(st.Size())
			}
		}
	}
	return n
}
