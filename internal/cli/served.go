package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/gdprdesk/gdprdesk/store"
)

// served is the store provider of a command that a running `gdprdesk serve`
// carries out for someone else, in its own process: a command line that
// came through the control socket (control.go) or over SSH. The command
// runs the same command tree as at the shell, against the server's open
// store; the store applies the caller's role to every change and audits
// every refusal.
type served struct {
	// store is the server's open store: over SSH the server's own handle
	// (opened RemoteOnly: only registered operators change anything), for
	// the control socket its LocalOwner handle (an unregistered name is the
	// owner at the machine, as without serve). Commands never close it.
	store *store.Store
	dir   string // the data directory the server holds
	// operator is who the command is carried out for: the SSH session's
	// operator (the key decides), or the name the socket's client sent
	// (its --operator, else its user name).
	operator string
	// cwd is the socket client's working directory: relative file names
	// are resolved against it (the server never changes directory).
	cwd string
	// remote is set over SSH, where a command may touch no file of the
	// server but these: outputs go into exportDir under their base name,
	// and the only input is the session's stdin, named "-".
	remote    bool
	exportDir string
}

// call is one command line and the caller's streams.
type call struct {
	args                []string
	stdin               io.Reader
	stdout, stderr      io.Writer
	stdinTTY, stderrTTY bool
}

// runServed carries out one command line in the server's process and
// returns its exit code. A panic in the command ends this command only;
// what reaches the server's log names no data.
func runServed(ctx context.Context, sv *served, c call, now func() time.Time, log io.Writer) (code int) {
	defer func() {
		if r := recover(); r != nil {
			fmt.Fprintln(c.stderr, "gdprdesk: the command stopped on an internal error of the server; run 'gdprdesk audit verify' and tell us")
			fmt.Fprintf(log, "gdprdesk: a command of %s stopped on an internal error\n", sv.operator)
			code = exitFailure
		}
	}()
	a := &app{stdin: c.stdin, stdout: c.stdout, stderr: c.stderr, stdinTTY: c.stdinTTY, stderrTTY: c.stderrTTY,
		now: now, served: sv}
	return a.run(ctx, c.args)
}

// runsAlone reports whether a command needs the data directory to itself
// (or a terminal of the server's), so a server cannot carry it out.
func runsAlone(cmd *cobra.Command) bool {
	switch cmd.CommandPath() {
	case "gdprdesk", "gdprdesk serve", "gdprdesk demo", "gdprdesk restore":
		return true
	}
	return false
}

// checkServed refuses, in one line, what a server does not do for its
// callers: the commands that need the directory to themselves (also when
// started at the shell while a server holds it) and, over SSH, another
// operator's name. A refusal in a server is audited.
func (a *app) checkServed(cmd *cobra.Command, _ []string) error {
	if a.served == nil {
		// demo is forwarded like any command and refused there; the
		// others would only say the directory is in use.
		if !runsAlone(cmd) || cmd.Name() == "demo" {
			return nil
		}
		if dir, err := a.dataDir(); err != nil || !errors.Is(serverAnswers(dir, store.ErrLocked), errServing) {
			return nil
		}
		return aloneError(cmd, false)
	}
	if runsAlone(cmd) {
		via := "through the control socket"
		if a.served.remote {
			via = "over SSH"
		}
		a.refusal(cmd.CommandPath() + " " + via)
		return aloneError(cmd, a.served.remote)
	}
	if f := cmd.Flag("operator"); a.served.remote && f != nil && f.Changed && f.Value.String() != a.served.operator {
		a.refusal("--operator over SSH")
		return fmt.Errorf("over SSH you work as %s (your key decides): --operator cannot change that", a.served.operator)
	}
	return nil
}

// aloneError says why a command that needs the data directory to itself
// does not run while a server holds it.
func aloneError(cmd *cobra.Command, remote bool) error {
	switch {
	case cmd.CommandPath() == "gdprdesk" && remote:
		return errors.New("the terminal UI opens when you connect without a command (ssh -p PORT HOST)")
	case cmd.CommandPath() == "gdprdesk":
		return errors.New("the terminal UI cannot open here while `gdprdesk serve` holds the data directory: connect to the server with ssh instead")
	case cmd.Name() == "serve" && !remote:
		return errors.New("`gdprdesk serve` already runs on this data directory")
	}
	return fmt.Errorf("`%s` cannot run while `gdprdesk serve` holds the data directory: it needs the directory to itself (stop the server first)", cmd.CommandPath())
}

// refusal audits a refusal of the server's (the store audits its own).
func (a *app) refusal(what string) {
	if err := a.served.store.RecordRefusal(a.operatorName(), what); err != nil {
		fmt.Fprintf(a.stderr, "gdprdesk: warning: %v\n", err)
	}
}

// resolve makes a caller's relative file name relative to the caller's
// working directory (in a server: the one the socket client sent).
func (a *app) resolve(path string) string {
	if a.served == nil || a.served.cwd == "" || filepath.IsAbs(path) {
		return path
	}
	return filepath.Join(a.served.cwd, path)
}

// outputDir is where a command writes a file whose name it chooses itself:
// the current directory at the shell (""), the caller's directory through
// the control socket, and the exports directory over SSH.
func (a *app) outputDir() string {
	switch {
	case a.served == nil:
		return ""
	case a.served.remote:
		return a.served.exportDir
	}
	return a.served.cwd
}

// outputPath is where a command writes the file its caller named: the name
// itself at the shell, resolved against the caller's directory through the
// control socket, and over SSH the name's last element in the server's
// exports directory (DIR/exports), so a remote operator never writes
// elsewhere on the server.
func (a *app) outputPath(path string) (string, error) {
	if a.served == nil || !a.served.remote {
		return a.resolve(path), nil
	}
	base := filepath.Base(path)
	if base == "." || base == ".." || base == string(filepath.Separator) || base == "-" {
		return "", usagef("name the file to write with a plain file name (over SSH it goes into the server's exports directory)")
	}
	return filepath.Join(a.served.exportDir, base), nil
}

// inputFile checks that the file a command reads exists and returns the
// function that opens it. "-" is the caller's stdin; over SSH it is the
// only input a command may read (ssh … import - < contacts.csv): the
// server's own files are out of reach, and asking for one is refused and
// audited.
func (a *app) inputFile(path string) (func() (io.ReadCloser, error), error) {
	if path == "-" {
		return func() (io.ReadCloser, error) { return io.NopCloser(a.stdin), nil }, nil
	}
	if a.served != nil && a.served.remote {
		a.refusal("reading a server file over SSH")
		return nil, usagef("over SSH a command reads its file from stdin: give - as the file name (ssh … import - < FILE.csv)")
	}
	path = a.resolve(path)
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("cannot read %s: %w", path, err)
	}
	return func() (io.ReadCloser, error) {
		f, err := os.Open(path)
		if err != nil {
			return nil, fmt.Errorf("open %s: %w", path, err)
		}
		return f, nil
	}, nil
}
