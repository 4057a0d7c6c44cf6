// Package cli is the gdprdesk command line: one file per command group,
// each a thin caller of the packages that do the work.
package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"os/user"
	"path/filepath"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/gdprdesk/gdprdesk/gdpr"
	"github.com/gdprdesk/gdprdesk/internal/textsafe"
	"github.com/gdprdesk/gdprdesk/store"
)

// Exit codes of SPEC §4.
const (
	exitOK      = 0
	exitFailure = 1
	exitUsage   = 2
)

// usageError marks a mistake in how the command was called (exit 2).
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

func usagef(format string, a ...any) error { return usageError{fmt.Errorf(format, a...)} }

// app is what every command shares: global flags, the caller's streams,
// and where the store comes from.
//
// The store provider is served: nil when this process works on the data
// directory alone (it opens the store itself, see open); set when a running
// server carries the command out for someone else, through its control
// socket or over SSH (served.go), where every command works on the server's
// open store and resolves the caller's file names through one helper
// (outputPath, inputFile).
type app struct {
	dataFlag string
	operator string
	keyFile  string
	stdin    io.Reader
	// stdout and stderr are for people: from run on, everything written
	// through them passes textsafe (SPEC §8), so no stored name, note or
	// error that quotes one can drive the terminal. rawOut and rawErr are
	// the caller's streams as they are, for what must stay exact (JSON),
	// for progress lines that return to the line start with \r, and for
	// bytes already made safe by the server that a forwarded command ran in.
	stdout io.Writer
	stderr io.Writer
	rawOut io.Writer
	rawErr io.Writer
	// stdinTTY and stderrTTY say whether the caller's stdin and stderr are
	// terminals (confirmation prompts, progress lines): the process's own,
	// or as the forwarding client or the SSH session reports them.
	stdinTTY  bool
	stderrTTY bool
	now       func() time.Time
	served    *served
	// forwardWith, when a command set it, rewrites the command line and
	// gives the stdin with which run forwards it to a server (backup
	// hands its passphrase on this way: the server cannot read the
	// caller's environment or terminal).
	forwardWith func(args []string) ([]string, io.Reader)
	// create lets open start a new store in a missing or empty data
	// directory (the commands that start a desk, datadir.go), and
	// announce says so on stderr. Other commands refuse a directory
	// without a store.
	create, announce bool
}

// run executes one command line and returns the exit code. A command that
// finds the data directory held by a running server is forwarded to it
// through its control socket (control.go) and carried out there.
func (a *app) run(ctx context.Context, args []string) int {
	a.guardStreams()
	root := a.rootCommand()
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return exitOK
	}
	if errors.Is(err, errServing) {
		if a.forwardWith != nil {
			args, a.stdin = a.forwardWith(args)
		}
		return a.forward(ctx, args)
	}
	msg := strings.TrimSpace(err.Error())
	fmt.Fprintln(a.stderr, "gdprdesk: "+strings.ReplaceAll(msg, "\n", " "))
	var ue usageError
	var qe *gdpr.QueryError
	if errors.As(err, &ue) || errors.As(err, &qe) || strings.HasPrefix(msg, "unknown command") ||
		strings.HasPrefix(msg, "unknown flag") || strings.HasPrefix(msg, "required flag") {
		if a.served == nil || !a.served.remote { // over SSH: one line
			fmt.Fprintln(a.stderr, "Run 'gdprdesk --help' (or 'gdprdesk COMMAND --help') for usage.")
		}
		return exitUsage
	}
	return exitFailure
}

func (a *app) rootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:   "gdprdesk",
		Short: "Run GDPR compliance for a small business from the terminal",
		Long: `gdprdesk keeps your customer list GDPR-ready: lawful bases with evidence,
proof of consent, the request inbox with its deadlines, real erasure, a
readiness checklist and access packages. Run it without a command to open
the terminal UI on your data directory.`,
		SilenceErrors:     true,
		SilenceUsage:      true,
		Args:              noArgs,
		PersistentPreRunE: a.checkServed,
		RunE:              func(cmd *cobra.Command, _ []string) error { return a.runTUI(cmd.Context()) },
	}
	root.SetOut(a.stdout)
	root.SetErr(a.stderr)
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err} })
	pf := root.PersistentFlags()
	pf.StringVar(&a.dataFlag, "data", "", "data directory (default $GDPRDESK_DATA, else $XDG_DATA_HOME/gdprdesk, else ~/.local/share/gdprdesk)")
	pf.StringVar(&a.operator, "operator", "", "who is working, for the audit log (default: your user name)")
	pf.StringVar(&a.keyFile, "key-file", "", "encryption key of the data directory: 32 random bytes, or 64 hex digits, or base64 (default $GDPRDESK_KEY_FILE); a new directory is encrypted at rest")
	root.AddCommand(a.dpiaCommand())
	root.AddCommand(a.demoCommand(), a.importCommand(), a.exportCommand(), a.contactsCommand(), a.tagCommand(),
		a.requestCommand(), a.anonymizeCommand(), a.sweepCommand(), a.readmitCommand(), a.checklistCommand(), a.auditCommand(),
		a.serveCommand(), a.operatorCommand(), a.backupCommand(), a.restoreCommand(), a.consentCommand(), a.contactCommand(),
		a.restrictCommand(), a.holdCommand(), a.settingsCommand(), a.purposeCommand(), a.recipientCommand(),
		a.keyCommand())
	root.AddCommand(a.breachCommand())
	root.AddCommand(a.letterCommand(), a.sendCommand(), a.outboxCommand())
	return root
}

// parentCommand is a command that only groups its subcommands: called
// alone, it names them in a usage error (exit 2).
func parentCommand(use, short string, subs ...*cobra.Command) *cobra.Command {
	cmd := &cobra.Command{Use: use, Short: short, Args: noArgs}
	cmd.AddCommand(subs...)
	names := make([]string, len(subs))
	for i, sub := range subs {
		names[i] = sub.Name()
	}
	list := strings.Join(names, ", ")
	if n := len(names); n > 1 {
		list = strings.Join(names[:n-1], ", ") + " or " + names[n-1]
	}
	cmd.RunE = func(*cobra.Command, []string) error {
		return usagef("%s needs a subcommand: %s", use, list)
	}
	return cmd
}

func noArgs(_ *cobra.Command, args []string) error {
	if len(args) > 0 {
		return usagef("unknown command %q", args[0])
	}
	return nil
}

func exactArgs(n int, what string) cobra.PositionalArgs {
	return func(_ *cobra.Command, args []string) error {
		if len(args) != n {
			return usagef("expected %s, got %d argument(s)", what, len(args))
		}
		return nil
	}
}

// dataDir resolves the data directory per SPEC §4.
func (a *app) dataDir() (string, error) {
	if a.served != nil {
		return a.served.dir, nil // whatever --data the caller gave: the server's
	}
	if a.dataFlag != "" {
		return a.dataFlag, nil
	}
	if d := os.Getenv("GDPRDESK_DATA"); d != "" {
		return d, nil
	}
	if x := os.Getenv("XDG_DATA_HOME"); x != "" {
		return filepath.Join(x, "gdprdesk"), nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("no data directory: give --data DIR or set GDPRDESK_DATA (%w)", err)
	}
	return filepath.Join(home, ".local", "share", "gdprdesk"), nil
}

// operatorName is --operator, else the OS user name; in a server, the
// caller's name (over SSH always the session's: the key decides who).
func (a *app) operatorName() string {
	if a.served != nil && (a.served.remote || a.operator == "") {
		return a.served.operator
	}
	if a.operator != "" {
		return a.operator
	}
	if u, err := user.Current(); err == nil && u.Username != "" {
		return u.Username
	}
	if u := os.Getenv("USER"); u != "" {
		return u
	}
	return "unknown"
}

// storeUse is how a command uses the store it opens (openFor).
type storeUse int

const (
	useWrite storeUse = iota // reads and writes
	useRead                  // only reads: store.Options.ReadOnly
	useBulk                  // makes one bulk change: store.Options.Bulk
)

// openFor gives the command its store and the function that releases it: the
// server's open store when the command runs in a server (never closed by
// the command), else the data directory opened by this process. A directory
// held by a running server that answers on its control socket is
// errServing: run forwards the command line there.
//
// useRead opens the directory read-only (store.Options.ReadOnly) for a
// command that only reads: no compactions or value-log work at start.
// useBulk opens it for one bulk change (store.Options.Bulk).
func (a *app) openFor(use storeUse) (s *store.Store, release func() error, err error) {
	if a.served != nil {
		return a.served.store, func() error { return nil }, nil
	}
	dir, err := a.dataDir()
	if err != nil {
		return nil, nil, err
	}
	if err := a.storeDir(dir); err != nil {
		return nil, nil, err
	}
	opts, err := a.storeOptions(store.Options{Now: a.now, Log: a.stderr, ReadOnly: use == useRead, Bulk: use == useBulk})
	if err != nil {
		return nil, nil, err
	}
	s, err = store.Open(dir, opts)
	if errors.Is(err, store.ErrLocked) {
		return nil, nil, serverAnswers(dir, err)
	}
	if err != nil {
		return nil, nil, err
	}
	return s, s.Close, nil
}

// storeOptions adds the encryption key of --key-file, else of
// $GDPRDESK_KEY_FILE, to opts.
func (a *app) storeOptions(opts store.Options) (store.Options, error) {
	// An old store may take several upgrade steps (the search index, the
	// rule book, the index bitmaps); the person is told once.
	told := false
	opts.Upgrading = func(contacts uint64) {
		if !told {
			told = true
			fmt.Fprintf(a.stderr, "Upgrading this data directory for this gdprdesk: %d contacts (once; up to about 30 s a million)…\n", contacts)
		}
	}
	opts.Passphrase = a.masterPassphrase
	path, from := a.keyFile, "--key-file"
	if path == "" {
		path, from = os.Getenv("GDPRDESK_KEY_FILE"), "GDPRDESK_KEY_FILE"
	}
	if path == "" {
		return opts, nil
	}
	key, err := store.ReadKeyFile(path)
	if err != nil {
		return opts, fmt.Errorf("%s: %w", from, err)
	}
	opts.EncryptionKey = key
	return opts, nil
}

// withStore opens the store, runs fn and closes it, reporting a close error
// only when fn succeeded.
func (a *app) withStore(fn func(s *store.Store) error) (err error) {
	return a.withStoreFor(useWrite, fn)
}

// withReadingStore is withStore for a command that only reads (openFor).
func (a *app) withReadingStore(fn func(s *store.Store) error) error {
	return a.withStoreFor(useRead, fn)
}

// withBulkStore is withStore for a command that makes one bulk change
// (openFor).
func (a *app) withBulkStore(fn func(s *store.Store) error) error {
	return a.withStoreFor(useBulk, fn)
}

func (a *app) withStoreFor(use storeUse, fn func(s *store.Store) error) (err error) {
	s, release, err := a.openFor(use)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := release(); cerr != nil && err == nil {
			err = cerr
		}
	}()
	return fn(s)
}

// guardStreams keeps the caller's streams as rawOut and rawErr and puts
// the sanitizing writer in front of stdout and stderr (once).
func (a *app) guardStreams() {
	if a.rawOut != nil {
		return
	}
	a.rawOut, a.rawErr = a.stdout, a.stderr
	a.stdout, a.stderr = textsafe.NewWriter(a.stdout), textsafe.NewWriter(a.stderr)
}

// writeJSON writes v for a program to read: every string exact once
// decoded. It goes around the sanitizing writer; encoding/json already
// writes control characters as \u escapes, and textsafe.JSON does the same
// for the C1, bidi and invisible characters it leaves raw.
func (a *app) writeJSON(v any) error {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return err
	}
	_, err := a.rawOut.Write(textsafe.JSON(buf.Bytes()))
	return err
}

// jsonOut is rawOut for JSON written piece by piece, each Write a whole
// encoded value or plain JSON punctuation (see writeJSON).
func (a *app) jsonOut() io.Writer { return jsonWriter{a.rawOut} }

type jsonWriter struct{ w io.Writer }

func (j jsonWriter) Write(p []byte) (int, error) {
	if _, err := j.w.Write(textsafe.JSON(p)); err != nil {
		return 0, err
	}
	return len(p), nil
}

// table is a tabwriter for a listing. Its text is sanitized before the
// columns are measured, so a row with a tampered field lines up as well.
type table struct {
	*textsafe.Writer
	tw *tabwriter.Writer
}

func (a *app) table() table {
	tw := tabwriter.NewWriter(a.rawOut, 0, 0, 2, ' ', 0)
	return table{Writer: textsafe.NewWriter(tw), tw: tw}
}

// Flush writes the aligned rows.
func (t table) Flush() error { return t.tw.Flush() }

// progressf writes a progress line of the command's own, which starts with
// \r to overwrite the previous one on a terminal; it must hold no stored
// text (it is not sanitized).
func (a *app) progressf(format string, args ...any) {
	fmt.Fprintf(a.rawErr, format, args...)
}

// dash is a one-line cell of a listing: "-" when empty, and a stored line
// feed or tab shown so that it cannot break the row (textsafe.Line).
func dash(s string) string {
	if s == "" {
		return "-"
	}
	return textsafe.Line(s)
}

// clip is a one-line cell of at most n characters (see dash).
func clip(s string, n int) string {
	s = textsafe.Line(s)
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

func stderrIsTerminal() bool { return term.IsTerminal(int(os.Stderr.Fd())) }

func stdinIsTerminal() bool { return term.IsTerminal(int(os.Stdin.Fd())) }

// writeNew writes a file that must not exist yet, readable by the owner only.
func writeNew(path string, data []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("create %s: %w (choose a new file name)", path, err)
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		os.Remove(path)
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		os.Remove(path)
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// bulkProgress reports a bulk change on one line of a terminal (nothing
// when stderr is a file or a pipe, so scripts see only the result).
func (a *app) bulkProgress(what string) func(store.BulkProgress) {
	if !a.stderrTTY {
		return nil
	}
	return func(p store.BulkProgress) {
		a.progressf("\r%s: %s of at most %s contacts", what, gdpr.Thousands(p.Done), gdpr.Thousands(p.Total))
	}
}

// Run executes one command line with the process's standard streams and
// returns the exit code.
func Run(args []string) int {
	privateFiles()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	a := &app{stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr, now: time.Now,
		stdinTTY: stdinIsTerminal(), stderrTTY: stderrIsTerminal()}
	return a.run(ctx, args)
}
