//go:build !windows

package cli

import "syscall"

// privateFiles sets the process's umask to 077, so every file and directory
// gdprdesk creates — Badger's tables and logs among them, which Badger
// creates 0666 with no option to do otherwise — is private to the owner
// from its first byte (SPEC §8). The umask belongs to the whole process,
// which is why this is done here, once, when the command line starts,
// and not in the store: a program that uses the store package keeps its
// own umask, and the store tightens modes when it opens and closes.
// Files the user asks for outside the data directory (exports, backups) are
// created 0600 anyway.
func privateFiles() { syscall.Umask(0o077) }
