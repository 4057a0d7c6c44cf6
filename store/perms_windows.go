//go:build windows

package store

// modesMatter: on Windows a file's access is decided by its ACL, which Go's
// Chmod does not touch (it only sets the read-only flag), so the store does
// not try; the data directory under the user's profile is private already.
const modesMatter = false
