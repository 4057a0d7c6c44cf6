package desk

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/gdprdesk/gdprdesk/gdpr"
	"github.com/gdprdesk/gdprdesk/store"
)

// Files written with a person's data (SPEC §8): each export registers its
// files in the store with its audit entry (registered); erasing the person
// deletes the ones under the data directory and names the others
// (eraseFiles).

// registered describes a file just written, for the store's register: its
// absolute path and the SHA-256 of what was written.
func registered(kind store.FileKind, format, path string, data []byte) (store.WrittenFile, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return store.WrittenFile{}, fmt.Errorf("register %s: %w", path, err)
	}
	sum := sha256.Sum256(data)
	return store.WrittenFile{Kind: kind, Format: format, Path: abs, SHA256: hex.EncodeToString(sum[:])}, nil
}

// FilesStore is what dealing with an erased person's files needs;
// *store.Store satisfies it.
type FilesStore interface {
	Dir() string
	WrittenFiles(ids ...gdpr.ContactID) ([]store.WrittenFile, error)
	ForgetFiles(operator string, id gdpr.ContactID, detail string) error
}

// ErasedFiles says what an erasure did with the files written with the
// person's data. Deleted and the others hold paths, to be shown to the
// operator and never logged or audited (a path may name the person).
type ErasedFiles struct {
	// Deleted were under the data directory, unchanged: they are gone.
	Deleted []string
	// Elsewhere were written outside the data directory (a --out path, the
	// terminal UI's working directory): the owner deletes them by hand.
	Elsewhere []string
	// Changed are under the data directory but are no longer the file
	// written (edited, replaced, a link): left alone, for the owner to
	// look at and delete by hand.
	Changed []string
	// Unnamed counts files whose name went with the person's key (an
	// erasure cut short before its files were dealt with); the audit
	// entries of their exports hold their SHA-256.
	Unnamed int
}

// ByHand lists the files the owner has to delete by hand.
func (e ErasedFiles) ByHand() []string {
	return append(append([]string(nil), e.Elsewhere...), e.Changed...)
}

// Lines says what became of the files, one line each, for the command
// line and the screens (nothing when there were none).
func (e ErasedFiles) Lines() []string {
	var out []string
	if n := len(e.Deleted); n > 0 {
		out = append(out, fmt.Sprintf("Deleted %d file(s) written with the person's data from the data directory.", n))
	}
	for _, p := range e.Elsewhere {
		out = append(out, "Written elsewhere, delete it by hand: "+p)
	}
	for _, p := range e.Changed {
		out = append(out, "Changed since it was written, so left in place; delete it by hand if it holds the person's data: "+p)
	}
	if e.Unnamed > 0 {
		out = append(out, fmt.Sprintf("%d file(s) written earlier can no longer be named; their SHA-256 is in the audit entries of their exports.", e.Unnamed))
	}
	return out
}

// Summary says the same in one short phrase (the TUI's status line).
func (e ErasedFiles) Summary() string {
	var parts []string
	if n := len(e.Deleted); n > 0 {
		parts = append(parts, fmt.Sprintf("%d exported file(s) deleted", n))
	}
	if by := e.ByHand(); len(by) > 0 {
		parts = append(parts, "delete by hand: "+strings.Join(by, ", "))
	}
	return strings.Join(parts, "; ")
}

func (e *ErasedFiles) add(o ErasedFiles) {
	e.Deleted = append(e.Deleted, o.Deleted...)
	e.Elsewhere = append(e.Elsewhere, o.Elsewhere...)
	e.Changed = append(e.Changed, o.Changed...)
	e.Unnamed += o.Unnamed
}

// eraseFiles deals with the files of one erased person, read from the
// register before the erasure (their paths are sealed under the person's
// key): it deletes those under the data directory that are still the
// files written, lists the others, and takes them off the register with
// an audit entry that counts them (no path).
func eraseFiles(s FilesStore, operator string, id gdpr.ContactID, files []store.WrittenFile) (ErasedFiles, error) {
	var out ErasedFiles
	var mine []store.WrittenFile
	for _, f := range files {
		if f.Contact == id {
			mine = append(mine, f)
		}
	}
	if len(mine) == 0 {
		return out, nil
	}
	unnamed := map[string]bool{}
	for _, f := range mine {
		if f.Path == "" {
			unnamed[f.SHA256] = true
		}
	}
	if len(unnamed) > 0 {
		// An erasure cut short before its files were dealt with: their
		// names went with the key, so those under the data directory are
		// found by their SHA-256.
		found, err := removeBySHA256(s.Dir(), unnamed)
		if err != nil {
			return out, fmt.Errorf("look for the files of erased %s in %s: %w", id, s.Dir(), err)
		}
		out.Deleted = append(out.Deleted, found...)
	}
	for _, f := range mine {
		switch deleted, err := removeWritten(s.Dir(), f); {
		case f.Path == "":
			if unnamed[f.SHA256] {
				out.Unnamed++
			}
		case errors.Is(err, errElsewhere):
			out.Elsewhere = append(out.Elsewhere, f.Path)
		case err != nil:
			out.Changed = append(out.Changed, f.Path)
		case deleted:
			out.Deleted = append(out.Deleted, f.Path)
		}
	}
	detail := fmt.Sprintf("files written with the person's data: %d deleted from the data directory, %d written elsewhere, %d changed since written, %d no longer named",
		len(out.Deleted), len(out.Elsewhere), len(out.Changed), out.Unnamed)
	if err := s.ForgetFiles(operator, id, detail); err != nil {
		return out, fmt.Errorf("%s is erased, but its exported files could not be taken off the register: %w", id, err)
	}
	return out, nil
}

// errElsewhere marks a file outside the data directory.
var errElsewhere = errors.New("outside the data directory")

// removeWritten deletes a registered file if it lies under the data
// directory dir and is still the file written: a regular file (not a
// link) with the SHA-256 registered. The path and dir are resolved
// through links first, so a link never leads the deletion out of dir. A
// file already gone is not an error (deleted is false).
func removeWritten(dir string, f store.WrittenFile) (deleted bool, err error) {
	if f.Path == "" {
		return false, nil
	}
	root, err := filepath.EvalSymlinks(dir)
	if err != nil {
		return false, err
	}
	if root, err = filepath.Abs(root); err != nil {
		return false, err
	}
	parent, err := filepath.EvalSymlinks(filepath.Dir(f.Path))
	if errors.Is(err, fs.ErrNotExist) {
		// Its directory is gone: under dir, so is the file; elsewhere,
		// the owner is told all the same.
		if within(root, filepath.Dir(f.Path)) {
			return false, nil
		}
		return false, errElsewhere
	}
	if err != nil {
		return false, err
	}
	if !within(root, parent) {
		return false, errElsewhere
	}
	path := filepath.Join(parent, filepath.Base(f.Path))
	fi, err := os.Lstat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if !fi.Mode().IsRegular() {
		return false, fmt.Errorf("%s is not a regular file", path)
	}
	sum, err := fileSHA256(path)
	if err != nil {
		return false, err
	}
	if sum != f.SHA256 {
		return false, fmt.Errorf("%s changed since it was written", path)
	}
	if err := os.Remove(path); err != nil {
		return false, err
	}
	return true, nil
}

// within reports whether path is root or lies under it.
func within(root, path string) bool {
	rel, err := filepath.Rel(root, path)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) && !filepath.IsAbs(rel)
}

func fileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// removeBySHA256 deletes the regular files under dir (not its database and
// key ring, and never through a link) whose SHA-256 is one of sums, and
// takes each found sum out of sums.
func removeBySHA256(dir string, sums map[string]bool) (deleted []string, err error) {
	err = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && path != dir && (d.Name() == "db" || d.Name() == "keys") && filepath.Dir(path) == dir {
			return filepath.SkipDir
		}
		if !d.Type().IsRegular() {
			return nil
		}
		sum, err := fileSHA256(path)
		if err != nil || !sums[sum] {
			return err
		}
		if err := os.Remove(path); err != nil {
			return err
		}
		delete(sums, sum)
		deleted = append(deleted, path)
		return nil
	})
	return deleted, err
}
