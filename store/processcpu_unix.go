//go:build unix

package store

import (
	"syscall"
	"time"
)

// processCPU is the CPU time this process has used so far, user and
// system, every goroutine's (Badger's flushes and compactions included).
// The store's benchmarks report it beside the wall time: on a shared
// machine it moves less than the wall time.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
