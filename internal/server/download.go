package server

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"time"

	"charm.land/ssh"
	"charm.land/wish/v2"
	"charm.land/wish/v2/scp"
	"github.com/gdprdesk/gdprdesk/gdpr"
	"github.com/gdprdesk/gdprdesk/store"
	"github.com/pkg/sftp"
)

// Remote staff fetch what their commands wrote to DIR/exports with the SSH
// tools they have: scp -P 2222 desk:exports/FILE . (OpenSSH's scp speaks
// SFTP since 9.0, and the old scp protocol with -O; both are served).
// Reading only, the exports directory only, one plain file at a time; the
// operator's role decides (gdpr.ActionExportDownload: who may write an
// access package may fetch one), every download is audited before it is
// sent, and every refusal is audited.

// errOutsideExports is what a remote operator is told for a path that is
// not a file of DIR/exports.
var errOutsideExports = errors.New("only the files of exports/ can be fetched, one by name (scp -P PORT HOST:exports/FILE DEST)")

// errReadOnly is what a remote operator is told for an upload or a change.
var errReadOnly = errors.New("the server's files are read-only over SSH: give a command its input on stdin (ssh HOST import - < FILE.csv)")

// exportName is the file of DIR/exports a client asked for ("exports/FILE",
// "/exports/FILE", "~/exports/FILE"), or errOutsideExports: no other
// directory, no "..", no hidden files.
func exportName(p string) (string, error) {
	p = strings.TrimPrefix(strings.TrimPrefix(p, "~"), "/")
	for _, el := range strings.Split(p, "/") {
		if el == ".." {
			return "", errOutsideExports
		}
	}
	dir, name := path.Split(path.Clean(p))
	if dir != "exports/" || name == "" || strings.HasPrefix(name, ".") || strings.ContainsRune(name, '\\') {
		return "", errOutsideExports
	}
	return name, nil
}

// productName matches the names the desk gives the files it writes
// (access-C42-2026-12-02.xlsx): an id and a date, no personal data. Names
// an operator chose (--out) might hold some, so the audit log does not
// repeat them.
var productName = regexp.MustCompile(`^(access|portability)-C[0-9]+-[0-9]{4}-[0-9]{2}-[0-9]{2}(-[0-9]+)?\.[a-z0-9.]+$`)

// auditName is how the audit log names a file of exports.
func auditName(name string) string {
	if productName.MatchString(name) {
		return "exports/" + name
	}
	return "a file of exports named by its operator"
}

// What a remote operator is refused, as the audit log names it.
const (
	refusedOutside  = "a path outside exports over SSH"
	refusedNotPlain = "a file of exports that is not a plain file over SSH"
)

// openExport opens the file of DIR/exports that p names for op, after
// auditing the download (which the store refuses for a role that may not
// download, and audits). A path outside exports, or to a symlink or a
// directory, is refused and audited through refuse.
func (sv *server) openExport(op store.Operator, p string, refuse func(what string)) (*os.File, fs.FileInfo, error) {
	name, err := exportName(p)
	if err != nil {
		refuse(refusedOutside)
		return nil, nil, err
	}
	if ok, why := op.Role.May(gdpr.ActionExportDownload); !ok {
		// Refused before the file is read: the store audits the refusal
		// as it would after (its role check on the download entry).
		if err := sv.o.Store.RecordDownload(op.Name, auditName(name)); err != nil && !errors.Is(err, store.ErrForbidden) {
			return nil, nil, err
		}
		return nil, nil, errors.New(why)
	}
	root, err := os.OpenRoot(sv.o.ExportDir) // no symlink leads out of it
	if err != nil {
		return nil, nil, fmt.Errorf("the exports directory cannot be read: %w", err)
	}
	defer root.Close()
	info, err := root.Lstat(name)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil, fmt.Errorf("exports/%s: %w (the command that wrote it printed its name; sftp -P PORT HOST lists exports/)", name, fs.ErrNotExist)
	}
	if err != nil || !info.Mode().IsRegular() {
		refuse(refusedNotPlain)
		return nil, nil, errOutsideExports
	}
	f, err := root.Open(name)
	if err != nil {
		return nil, nil, fmt.Errorf("open exports/%s: %w", name, err)
	}
	if fi, err := f.Stat(); err != nil || !os.SameFile(fi, info) {
		f.Close()
		return nil, nil, errOutsideExports
	}
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		f.Close()
		return nil, nil, fmt.Errorf("read exports/%s: %w", name, err)
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		f.Close()
		return nil, nil, fmt.Errorf("read exports/%s: %w", name, err)
	}
	what := fmt.Sprintf("%s, %s, sha256 %s", auditName(name), fmt.Sprintf("%d bytes", info.Size()), hex.EncodeToString(h.Sum(nil)))
	if err := sv.o.Store.RecordDownload(op.Name, what); err != nil {
		f.Close()
		if errors.Is(err, store.ErrForbidden) {
			_, why := op.Role.May(gdpr.ActionExportDownload)
			return nil, nil, errors.New(why)
		}
		return nil, nil, err
	}
	sv.logf("download of %s by %s", auditName(name), op.Name)
	return f, info, nil
}

// refusal audits a refusal of the server's (the store audits its own).
func (sv *server) refusal(operator, what string) {
	if err := sv.o.Store.RecordRefusal(operator, what); err != nil {
		sv.logf("cannot audit a refusal of %s: %v", operator, err)
	}
}

// download serves the old scp protocol (scp -O): scp -f, from exports
// only; scp -t (an upload) is refused. Other sessions go on.
func (sv *server) download(next ssh.Handler) ssh.Handler {
	return func(sess ssh.Session) {
		info := scp.GetInfo(sess.Command())
		if !info.Ok {
			next(sess)
			return
		}
		op, _ := sess.Context().Value(checkedKey{}).(store.Operator)
		switch {
		case info.Op != scp.OpCopyToClient:
			sv.refusal(op.Name, "an upload over SSH")
			wish.Fatalln(sess, "gdprdesk: "+errReadOnly.Error())
			return
		case info.Recursive:
			sv.refusal(op.Name, "a recursive copy over SSH")
			wish.Fatalln(sess, "gdprdesk: "+errOutsideExports.Error())
			return
		}
		scp.Middleware(exportsReader{sv: sv, op: op}, nil)(next)(sess)
		// The file is sent without waiting for the client's replies (one
		// zero byte on starting, and one after the time, the file line and
		// the file): wait for them before the session's exit status closes
		// the channel, or scp may find its last reply cut off ("lost
		// connection"). A session that failed is closed, and reads end.
		replies := make(chan struct{})
		go func() {
			io.CopyN(io.Discard, sess, 4)
			close(replies)
		}()
		select {
		case <-replies:
		case <-time.After(5 * time.Second):
		}
	}
}

// exportsReader hands the old scp protocol one file of exports.
type exportsReader struct {
	sv *server
	op store.Operator
}

// Glob does no globbing: the name is the file's.
func (r exportsReader) Glob(_ ssh.Session, p string) ([]string, error) { return []string{p}, nil }

// WalkDir is never called: recursive copies are refused before.
func (r exportsReader) WalkDir(ssh.Session, string, fs.WalkDirFunc) error { return errOutsideExports }

// NewDirEntry is never called: recursive copies are refused before.
func (r exportsReader) NewDirEntry(ssh.Session, string) (*scp.DirEntry, error) {
	return nil, errOutsideExports
}

// NewFileEntry opens the file, audited.
func (r exportsReader) NewFileEntry(_ ssh.Session, p string) (*scp.FileEntry, func() error, error) {
	f, info, err := r.sv.openExport(r.op, p, func(what string) { r.sv.refusal(r.op.Name, what) })
	if err != nil {
		return nil, nil, fmt.Errorf("gdprdesk: %w", err)
	}
	mtime := info.ModTime().Unix()
	return &scp.FileEntry{Name: info.Name(), Filepath: p, Mode: 0o600, Size: info.Size(), Reader: f,
		Mtime: mtime, Atime: mtime}, f.Close, nil
}

// sftpSubsystem serves SFTP, which OpenSSH's scp uses by default: read
// and list exports/, nothing else. It runs its own key check and session
// tracking, as subsystems do not pass through the middleware.
func (sv *server) sftpSubsystem() ssh.SubsystemHandler {
	h := sv.recoverer(sv.track(sv.recheck(func(sess ssh.Session) {
		op, _ := sess.Context().Value(checkedKey{}).(store.Operator)
		fsys := &exportsFS{sv: sv, op: op}
		srv := sftp.NewRequestServer(sess, sftp.Handlers{FileGet: fsys, FilePut: fsys, FileCmd: fsys, FileList: fsys})
		if err := srv.Serve(); err != nil && !errors.Is(err, io.EOF) {
			sv.logf("an SFTP session of %s ended: %v", op.Name, err)
		}
		sess.Exit(0) // before the close: scp counts a session without an exit status as failed
		srv.Close()
	})))
	return func(sess ssh.Session) { h(sess) }
}

// exportsFS is the read-only file system an SFTP client sees: / holds
// exports/, which holds the files of DIR/exports.
type exportsFS struct {
	sv *server
	op store.Operator

	mu      sync.Mutex
	refused map[string]bool // what this session was refused, audited once
}

// refusal audits what once per session: a client states a path, then
// opens it, and one attempt is one refusal.
func (e *exportsFS) refusal(what string) {
	e.mu.Lock()
	seen := e.refused[what]
	if e.refused == nil {
		e.refused = map[string]bool{}
	}
	e.refused[what] = true
	e.mu.Unlock()
	if !seen {
		e.sv.refusal(e.op.Name, what)
	}
}

// Fileread opens a file of exports, audited.
func (e *exportsFS) Fileread(r *sftp.Request) (io.ReaderAt, error) {
	f, _, err := e.sv.openExport(e.op, r.Filepath, e.refusal)
	if err != nil {
		return nil, sftpError(err)
	}
	return f, nil
}

// Filewrite refuses uploads.
func (e *exportsFS) Filewrite(*sftp.Request) (io.WriterAt, error) {
	e.refusal("an upload over SSH")
	return nil, sftp.ErrSSHFxPermissionDenied
}

// Filecmd refuses every change (rename, remove, mkdir, setstat…).
func (e *exportsFS) Filecmd(r *sftp.Request) error {
	e.refusal("a file change over SSH (" + strings.ToLower(r.Method) + ")")
	return sftp.ErrSSHFxPermissionDenied
}

// Filelist lists / (exports/) and exports/ (its plain files), and states
// their entries.
func (e *exportsFS) Filelist(r *sftp.Request) (sftp.ListerAt, error) {
	p := path.Clean("/" + r.Filepath)
	switch r.Method {
	case "List":
		switch p {
		case "/":
			return listerAt{dirInfo("exports")}, nil
		case "/exports":
			// The names may say whose package it is: only who may
			// download sees them.
			if ok, _ := e.op.Role.May(gdpr.ActionExportDownload); !ok {
				e.refusal("the list of exports over SSH")
				return nil, sftp.ErrSSHFxPermissionDenied
			}
			entries, err := os.ReadDir(e.sv.o.ExportDir)
			if err != nil {
				return nil, sftpError(err)
			}
			var out listerAt
			for _, d := range entries {
				if info, err := d.Info(); err == nil && info.Mode().IsRegular() && !strings.HasPrefix(d.Name(), ".") {
					out = append(out, fileInfo{name: d.Name(), size: info.Size(), mod: info.ModTime()})
				}
			}
			return out, nil
		}
		return nil, sftp.ErrSSHFxNoSuchFile
	case "Stat", "Lstat":
		switch p {
		case "/":
			return listerAt{dirInfo("/")}, nil
		case "/exports":
			return listerAt{dirInfo("exports")}, nil
		}
		name, err := exportName(p)
		if err != nil {
			e.refusal(refusedOutside)
			return nil, sftp.ErrSSHFxPermissionDenied
		}
		info, err := os.Lstat(filepath.Join(e.sv.o.ExportDir, name))
		if err != nil {
			return nil, sftp.ErrSSHFxNoSuchFile
		}
		if !info.Mode().IsRegular() {
			e.refusal(refusedNotPlain)
			return nil, sftp.ErrSSHFxPermissionDenied
		}
		return listerAt{fileInfo{name: name, size: info.Size(), mod: info.ModTime()}}, nil
	}
	return nil, sftp.ErrSSHFxOpUnsupported
}

// sftpError turns an error into what an SFTP client shows: no such file,
// or permission denied (the reason is in the audit log).
func sftpError(err error) error {
	if errors.Is(err, fs.ErrNotExist) {
		return sftp.ErrSSHFxNoSuchFile
	}
	return sftp.ErrSSHFxPermissionDenied
}

type listerAt []os.FileInfo

func (l listerAt) ListAt(out []os.FileInfo, off int64) (int, error) {
	if off >= int64(len(l)) {
		return 0, io.EOF
	}
	n := copy(out, l[off:])
	if n < len(out) {
		return n, io.EOF
	}
	return n, nil
}

// fileInfo is what an SFTP client learns of an entry: its name, size and
// time, read-only for its owner.
type fileInfo struct {
	name string
	size int64
	mod  time.Time
	dir  bool
}

func dirInfo(name string) fileInfo { return fileInfo{name: name, dir: true} }

func (f fileInfo) Name() string       { return f.name }
func (f fileInfo) Size() int64        { return f.size }
func (f fileInfo) ModTime() time.Time { return f.mod }
func (f fileInfo) IsDir() bool        { return f.dir }
func (f fileInfo) Sys() any           { return nil }
func (f fileInfo) Mode() fs.FileMode {
	if f.dir {
		return fs.ModeDir | 0o500
	}
	return 0o400
}
