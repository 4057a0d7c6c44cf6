//go:build !unix

package store

import "time"

// processCPU is not measured here: benchmarks leave out their CPU figure.
func processCPU() time.Duration { return 0 }
