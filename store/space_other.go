//go:build !linux && !darwin && !freebsd && !windows

package store

import (
	"errors"
	"syscall"
)

// freeSpace cannot tell on this system: writes are let through, and a full
// disk shows as the error of the write that met it.
func freeSpace(string) (uint64, bool) { return 0, false }

// isNoSpace reports an error of a write that found the disk full.
func isNoSpace(err error) bool { return errors.Is(err, syscall.ENOSPC) }
