//go:build windows

package cli

// privateFiles does nothing on Windows: there is no umask, and a file's
// access is decided by its ACL (the data directory under the user's
// profile is private to them).
func privateFiles() {}
