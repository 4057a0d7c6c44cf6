//go:build !windows

package store

// modesMatter: Unix permission bits decide who may read the data directory.
const modesMatter = true
