package store

import (
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// File permissions (SPEC §8): every file in the data directory is 0600 and
// every directory 0700, Badger's own files included, whatever the umask.
//
// Badger has no file-mode option: it creates its tables, value logs,
// memtables, DISCARD and LOCK with mode 0666 (ristretto's z.OpenMmapFile,
// its pid file), so their mode is whatever the umask leaves. The command
// line sets the process's umask to 077 when it starts (internal/cli), so
// files created while it runs are private from their first byte; and the
// store tightens what already exists when it opens and closes, which covers
// a directory made by hand, by another program or by an older gdprdesk, and
// a program that uses this package under a looser umask.

// Modes of what the store keeps in the data directory.
const (
	dirMode  fs.FileMode = 0o700
	fileMode fs.FileMode = 0o600
)

// ownedDir reports whether name is a directory gdprdesk keeps in the data
// directory. The walk of tightenPerms goes into these only, so that a data
// directory named by mistake (a home directory) does not see its other
// folders' modes changed; every file at the top is made private.
func ownedDir(name string) bool {
	switch name {
	case "db", "keys", "exports":
		return true
	}
	return false
}

// tightenPerms sets root and every directory gdprdesk keeps under it to
// 0700 and every regular file in them to 0600, and returns how many it
// changed. Symbolic links are not followed and sockets are left alone (the
// control socket is made 0600 by the server). Files that vanish meanwhile
// (Badger deletes tables after a compaction) are skipped.
func tightenPerms(root string) (int, error) {
	if !modesMatter {
		return 0, nil
	}
	changed := 0
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			if os.IsNotExist(err) {
				return nil
			}
			return err
		}
		var want fs.FileMode
		switch {
		case d.IsDir() && path != root && filepath.Dir(path) == root && !ownedDir(d.Name()):
			return fs.SkipDir
		case d.IsDir():
			want = dirMode
		case d.Type().IsRegular():
			want = fileMode
		default:
			return nil
		}
		info, err := d.Info()
		if os.IsNotExist(err) {
			return nil
		}
		if err != nil {
			return err
		}
		if info.Mode().Perm() == want {
			return nil
		}
		if err := os.Chmod(path, want); err != nil {
			if os.IsNotExist(err) {
				return nil
			}
			return err
		}
		changed++
		return nil
	})
	if err != nil {
		return changed, fmt.Errorf("make the data directory %s private (0700, files 0600): %w", root, err)
	}
	return changed, nil
}

// tightenAtOpen tightens what a data directory holds before the store
// opens it, and says once, on log, when something was looser than it
// should have been.
func tightenAtOpen(dir string, log io.Writer) error {
	n, err := tightenPerms(dir)
	if err != nil {
		return err
	}
	if n > 0 && log != nil {
		fmt.Fprintf(log, "gdprdesk: %s held %d file(s) or directories that others could read: made them private (files 0600, directories 0700)\n", dir, n)
	}
	return nil
}
