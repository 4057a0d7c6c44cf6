//go:build linux || darwin || freebsd

package store

import (
	"errors"

	"golang.org/x/sys/unix"
)

// freeSpace reports the bytes available to this user on dir's file system.
func freeSpace(dir string) (uint64, bool) {
	var st unix.Statfs_t
	if err := unix.Statfs(dir, &st); err != nil {
		return 0, false
	}
	return uint64(st.Bavail) * uint64(st.Bsize), true
}

// isNoSpace reports an error of a write that found the disk full.
func isNoSpace(err error) bool {
	return errors.Is(err, unix.ENOSPC) || errors.Is(err, unix.EDQUOT)
}
