// Command gdprdesk runs GDPR compliance for a small business from a
// terminal: contacts and their lawful bases, consent proof, the request
// inbox, erasure, the readiness checklist and access packages.
//
// This file parses the command line and wires the packages together; the
// rules live in gdpr/, storage in store/, file formats in exporters/ and the
// screens in ui/.
package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"os"
	"os/signal"
	"os/user"
	"path/filepath"
	"runtime/debug"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	tea "charm.land/bubbletea/v2"
	"charm.land/ssh"
	"github.com/gdprdesk/gdprdesk/assets"
	"github.com/gdprdesk/gdprdesk/exporters"
	"github.com/gdprdesk/gdprdesk/gdpr"
	"github.com/gdprdesk/gdprdesk/store"
	"github.com/gdprdesk/gdprdesk/ui"
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

// app is what every command shares: global flags and the output streams.
type app struct {
	dataFlag string
	operator string
	keyFile  string
	stdout   io.Writer
	stderr   io.Writer
	now      func() time.Time
}

func main() {
	a := &app{stdout: os.Stdout, stderr: os.Stderr, now: time.Now}
	os.Exit(a.run(os.Args[1:]))
}

// run executes one command line and returns the exit code.
func (a *app) run(args []string) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	root := a.rootCommand()
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return exitOK
	}
	msg := strings.TrimSpace(err.Error())
	fmt.Fprintln(a.stderr, "gdprdesk: "+strings.ReplaceAll(msg, "\n", " "))
	var ue usageError
	var qe *gdpr.QueryError
	if errors.As(err, &ue) || errors.As(err, &qe) || strings.HasPrefix(msg, "unknown command") ||
		strings.HasPrefix(msg, "unknown flag") || strings.HasPrefix(msg, "required flag") {
		fmt.Fprintln(a.stderr, "Run 'gdprdesk --help' (or 'gdprdesk COMMAND --help') for usage.")
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
		SilenceErrors: true,
		SilenceUsage:  true,
		Args:          noArgs,
		RunE:          func(cmd *cobra.Command, _ []string) error { return a.runTUI(cmd.Context()) },
	}
	root.SetOut(a.stdout)
	root.SetErr(a.stderr)
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err} })
	pf := root.PersistentFlags()
	pf.StringVar(&a.dataFlag, "data", "", "data directory (default $GDPRDESK_DATA, else $XDG_DATA_HOME/gdprdesk, else ~/.local/share/gdprdesk)")
	pf.StringVar(&a.operator, "operator", "", "who is working, for the audit log (default: your user name)")
	pf.StringVar(&a.keyFile, "key-file", "", "encryption key of the data directory: 32 random bytes, or 64 hex digits, or base64 (default $GDPRDESK_KEY_FILE); a new directory is encrypted at rest")
	root.AddCommand(a.demoCommand(), a.importCommand(), a.exportCommand(), a.contactsCommand(), a.tagCommand(),
		a.requestCommand(), a.anonymizeCommand(), a.sweepCommand(), a.readmitCommand(), a.checklistCommand(), a.auditCommand(),
		a.serveCommand(), a.operatorCommand(), a.backupCommand(), a.restoreCommand())
	return root
}

// runTUI opens the terminal UI on the data directory. Badger's own
// warnings are dropped while it runs, as they would draw over the screen.
func (a *app) runTUI(ctx context.Context) error {
	if !stdinIsTerminal() || !term.IsTerminal(int(os.Stdout.Fd())) {
		return usagef("the terminal UI needs a terminal; for scripts use the commands (gdprdesk --help lists them)")
	}
	dir, err := a.dataDir()
	if err != nil {
		return err
	}
	opts, err := a.storeOptions(store.Options{Now: a.now})
	if err != nil {
		return err
	}
	s, err := store.Open(dir, opts)
	if err != nil {
		return err
	}
	wd, _ := os.Getwd()
	m := ui.New(ui.Options{Store: s, Operator: a.operatorName(), Now: a.now, ExportDir: wd})
	_, runErr := tea.NewProgram(m, tea.WithContext(ctx)).Run()
	if err := s.Close(); err != nil && runErr == nil {
		runErr = err
	}
	if report := m.Crash(); report != "" {
		path := filepath.Join(dir, "crash-"+a.now().UTC().Format("20060102-150405")+".txt")
		if err := writeNew(path, []byte(report)); err != nil {
			return fmt.Errorf("the terminal UI stopped on an internal error, and its report could not be written: %w", err)
		}
		return fmt.Errorf("the terminal UI stopped on an internal error; nothing was lost. A report without personal data is in %s: please send it to us", path)
	}
	if runErr != nil && !errors.Is(runErr, tea.ErrProgramKilled) {
		return fmt.Errorf("terminal UI: %w", runErr)
	}
	return nil
}

// ---- serve and operators ----

func (a *app) serveCommand() *cobra.Command {
	var listen, hostKey string
	var idle time.Duration
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Serve the desk over SSH to the registered operators",
		Long: `serve runs the terminal UI over SSH: each operator connects with a plain
'ssh -p 2222 NAME@host' and gets the same screens, with what their role allows
(see 'gdprdesk operator'). Only public keys registered as operators get in;
passwords are refused. Sessions share one store and see each other's changes.
SIGINT or SIGTERM stops it cleanly: sessions are told, running bulk changes
stop after their chunk, and the store is closed.`,
		Args: exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if idle < time.Minute {
				return usagef("--idle-timeout must be at least 1m, got %s", idle)
			}
			dir, err := a.dataDir()
			if err != nil {
				return err
			}
			opts, err := a.storeOptions(store.Options{Now: a.now, RemoteOnly: true})
			if err != nil {
				return err
			}
			s, err := store.Open(dir, opts)
			if err != nil {
				return err
			}
			defer s.Close()
			ops, err := s.Operators()
			if err != nil {
				return err
			}
			if len(ops) == 0 {
				return fmt.Errorf("no operators yet: add one first, e.g. gdprdesk operator add anna --key ~/.ssh/id_ed25519.pub --role admin")
			}
			if hostKey == "" {
				hostKey = filepath.Join(dir, "ssh_host_ed25519")
			}
			exports := filepath.Join(dir, "exports")
			if err := os.MkdirAll(exports, 0o700); err != nil {
				return fmt.Errorf("create %s: %w", exports, err)
			}
			defer a.serveControl(s, dir)() // `gdprdesk backup` works while serving
			fmt.Fprintf(a.stdout, "Serving %s to %d operator(s) on %s (ctrl+c stops).\n", dir, len(ops), listen)
			return ui.Serve(cmd.Context(), ui.ServeOptions{Store: s, Listen: listen, HostKey: hostKey,
				IdleTimeout: idle, Now: a.now, ExportDir: exports, Log: a.stderr})
		},
	}
	f := cmd.Flags()
	f.StringVar(&listen, "listen", "127.0.0.1:2222", "address to listen on")
	f.StringVar(&hostKey, "host-key", "", "the server's private host key (default DIR/ssh_host_ed25519, made once, 0600)")
	f.DurationVar(&idle, "idle-timeout", 30*time.Minute, "close a session idle this long")
	return cmd
}

func (a *app) operatorCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "operator", Short: "Manage who may connect over SSH (gdprdesk serve)"}
	var keyArg, role string
	add := &cobra.Command{
		Use:   "add NAME --key PUBKEY|FILE --role admin|staff|viewer",
		Short: "Register an operator: their public key decides who they are",
		Args:  exactArgs(1, "the operator's name"),
		RunE: func(_ *cobra.Command, args []string) error {
			r, err := store.ParseRole(role)
			if err != nil {
				return usageError{err}
			}
			k := strings.TrimSpace(keyArg)
			if b, err := os.ReadFile(k); err == nil {
				k = strings.TrimSpace(string(b))
			}
			if _, _, _, _, err := ssh.ParseAuthorizedKey([]byte(k)); err != nil {
				return usagef("--key: not an SSH public key (give the key line, e.g. 'ssh-ed25519 AAAA…', or the .pub file)")
			}
			return a.withStore(func(s *store.Store) error {
				if err := s.AddOperator(a.operatorName(), store.Operator{Name: args[0], Role: r, PublicKey: k}); err != nil {
					return err
				}
				fmt.Fprintf(a.stdout, "Operator %s (%s) added.\n", args[0], r)
				return nil
			})
		},
	}
	add.Flags().StringVar(&keyArg, "key", "", "the operator's SSH public key, or a .pub file holding it")
	add.Flags().StringVar(&role, "role", "staff", "admin, staff or viewer")
	list := &cobra.Command{
		Use:   "list",
		Short: "List the operators",
		Args:  exactArgs(0, "no arguments"),
		RunE: func(*cobra.Command, []string) error {
			return a.withStore(func(s *store.Store) error {
				ops, err := s.Operators()
				if err != nil {
					return err
				}
				if len(ops) == 0 {
					fmt.Fprintln(a.stdout, "No operators yet.")
				}
				for _, op := range ops {
					kind, _, _ := strings.Cut(op.PublicKey, " ")
					fmt.Fprintf(a.stdout, "%-16s %-7s %-12s added %s by %s\n", op.Name, op.Role, kind, op.AddedAt.Format("2006-01-02"), op.AddedBy)
				}
				return nil
			})
		},
	}
	remove := &cobra.Command{
		Use:   "remove NAME",
		Short: "Remove an operator (their key no longer gets in)",
		Args:  exactArgs(1, "the operator's name"),
		RunE: func(_ *cobra.Command, args []string) error {
			return a.withStore(func(s *store.Store) error {
				if err := s.RemoveOperator(a.operatorName(), args[0]); err != nil {
					return err
				}
				fmt.Fprintf(a.stdout, "Operator %s removed.\n", args[0])
				return nil
			})
		},
	}
	cmd.AddCommand(add, list, remove)
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

// operatorName is --operator, else the OS user name.
func (a *app) operatorName() string {
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

func (a *app) open() (*store.Store, error) {
	dir, err := a.dataDir()
	if err != nil {
		return nil, err
	}
	opts, err := a.storeOptions(store.Options{Now: a.now, Log: a.stderr})
	if err != nil {
		return nil, err
	}
	return store.Open(dir, opts)
}

// storeOptions adds the encryption key of --key-file, else of
// $GDPRDESK_KEY_FILE, to opts.
func (a *app) storeOptions(opts store.Options) (store.Options, error) {
	opts.Upgrading = func(contacts uint64) {
		fmt.Fprintf(a.stderr, "Upgrading this data directory for this gdprdesk: building the search index of %d contacts (once; about 30 s a million)…\n", contacts)
	}
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
	s, err := a.open()
	if err != nil {
		return err
	}
	defer func() {
		if cerr := s.Close(); cerr != nil && err == nil {
			err = cerr
		}
	}()
	return fn(s)
}

func (a *app) writeJSON(v any) error {
	enc := json.NewEncoder(a.stdout)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// ---- demo ----

func (a *app) demoCommand() *cobra.Command {
	var n int
	var seed uint64
	var noTUI bool
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Fill a new data directory with realistic demo data, then open it",
		Long: `demo fills an empty data directory with realistic demo data: contacts across
the EU and beyond, lawful bases and consent records, requests in every state
(some overdue), policy versions, source rules and a partly done checklist.

Without --data (and without GDPRDESK_DATA) the demo goes to its own directory,
$XDG_DATA_HOME/gdprdesk-demo or ~/.local/share/gdprdesk-demo, so it never
mixes with your real data. A directory that is not empty is refused.`,
		Args: exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if n < 1 || n > 10_000_000 {
				return usagef("--contacts must be between 1 and 10,000,000, got %d", n)
			}
			dir, err := a.demoDir()
			if err != nil {
				return err
			}
			if entries, err := os.ReadDir(dir); err == nil && len(entries) > 0 {
				// The default demo directory, filled by an earlier run, is
				// opened again rather than refused: the README's first
				// command must keep working.
				_, statErr := os.Stat(filepath.Join(dir, "db"))
				if !a.explicitDir() && statErr == nil {
					fmt.Fprintf(a.stdout, "Opening the demo filled earlier in %s (remove the directory for a fresh one).\n", dir)
					a.dataFlag = dir
					if noTUI {
						return nil
					}
					return a.runTUI(cmd.Context())
				}
				return fmt.Errorf("data directory %s is not empty: demo only fills a new directory (choose another with --data, or remove this one)", dir)
			}
			a.dataFlag = dir
			if err := a.withStore(func(s *store.Store) error {
				return ui.FillDemo(cmd.Context(), s, ui.DemoOptions{Contacts: n, Seed: seed, Operator: a.operatorName(), Now: a.now, Progress: a.stderr})
			}); err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "Demo data directory %s: %s contacts. Open it with: gdprdesk --data %s\n", dir, gdpr.Thousands(int64(n)), dir)
			if !noTUI {
				return a.runTUI(cmd.Context())
			}
			return nil
		},
	}
	cmd.Flags().IntVar(&n, "contacts", 2000, "how many contacts to create")
	cmd.Flags().Uint64Var(&seed, "seed", 1, "random seed; the same seed gives the same data on the same day")
	cmd.Flags().BoolVar(&noTUI, "no-tui", false, "fill the directory and exit without opening the terminal UI")
	return cmd
}

// explicitDir reports whether the owner named a data directory.
func (a *app) explicitDir() bool { return a.dataFlag != "" || os.Getenv("GDPRDESK_DATA") != "" }

func (a *app) demoDir() (string, error) {
	if a.explicitDir() {
		return a.dataDir()
	}
	base := os.Getenv("XDG_DATA_HOME")
	if base == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return "", fmt.Errorf("no data directory: give --data DIR (%w)", err)
		}
		base = filepath.Join(home, ".local", "share")
	}
	return filepath.Join(base, "gdprdesk-demo"), nil
}

// ---- contacts ----

func (a *app) contactsCommand() *cobra.Command {
	var query string
	var limit int
	var asJSON, count bool
	cmd := &cobra.Command{
		Use:   "contacts",
		Short: "List contacts matching a query",
		Long: `contacts lists the contacts matching --query, in the query language:
space-separated terms that must all hold, e.g.

  country:DE  eu:yes|no|unknown  basis:consent|contract|legal_obligation|
  vital_interests|public_task|legitimate_interests|none  status:active|
  restricted|anonymized  source:LABEL  tag:NAME  created:<2024-01-01
  created:>2024-01-01, and bare words matched in name, email and company.

A value may list alternatives: country:DE|AT. The table shows the first 100
by default; --json lists every match unless --limit is given.`,
		Args: exactArgs(0, "no arguments (put the query in --query)"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			q, err := gdpr.ParseQuery(query)
			if err != nil {
				return err
			}
			if limit < 0 {
				return usagef("--limit must be 0 (no limit) or more, got %d", limit)
			}
			if !cmd.Flags().Changed("limit") && !asJSON {
				limit = 100
			}
			if count {
				// From a maintained counter when the query is one term
				// (instant at any size), else by walking the query.
				return a.withStore(func(s *store.Store) error {
					n, err := s.Count(q)
					if err != nil {
						return err
					}
					if asJSON {
						return a.writeJSON(struct {
							Count int64 `json:"count"`
						}{n})
					}
					fmt.Fprintln(a.stdout, n)
					return nil
				})
			}
			return a.withStore(func(s *store.Store) error { return a.listContacts(s, q, limit, asJSON) })
		},
	}
	cmd.Flags().StringVarP(&query, "query", "q", "", "filter, e.g. \"eu:yes basis:none\"")
	cmd.Flags().IntVar(&limit, "limit", 0, "at most this many contacts (0: no limit; the table defaults to 100)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print one JSON document")
	cmd.Flags().BoolVar(&count, "count", false, "print only how many contacts match")
	return cmd
}

type contactsJSON struct {
	Query     string         `json:"query"`
	Count     int            `json:"count"`
	Truncated bool           `json:"truncated"`
	Contacts  []gdpr.Contact `json:"contacts"`
}

func (a *app) listContacts(s *store.Store, q gdpr.Query, limit int, asJSON bool) error {
	out := contactsJSON{Query: q.String(), Contacts: []gdpr.Contact{}}
	var cursor store.Cursor
	for {
		size := 1000
		if limit > 0 {
			size = min(size, limit-len(out.Contacts))
		}
		page, err := s.Contacts(q, cursor, size)
		if err != nil {
			return err
		}
		out.Contacts = append(out.Contacts, page.Contacts...)
		if !page.More {
			break
		}
		if limit > 0 && len(out.Contacts) >= limit {
			out.Truncated = true
			break
		}
		cursor = page.Next
	}
	out.Count = len(out.Contacts)
	if asJSON {
		return a.writeJSON(out)
	}
	tw := tabwriter.NewWriter(a.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tNAME\tEMAIL\tCOUNTRY\tEU\tSTATUS\tBASES\tSOURCE")
	for _, c := range out.Contacts {
		var bases []string
		for _, b := range c.Bases {
			bases = append(bases, string(b.Basis))
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", c.ID, clip(c.Name(), 30), clip(c.Email, 40), dash(c.Country),
			c.EU(), c.Status, dash(strings.Join(bases, ",")), dash(c.Source))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if out.Truncated {
		fmt.Fprintf(a.stdout, "Showing the first %s; more match. Use --limit 0 for all.\n", gdpr.Thousands(int64(out.Count)))
	} else {
		fmt.Fprintf(a.stdout, "%s contact(s).\n", gdpr.Thousands(int64(out.Count)))
	}
	return nil
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func clip(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

// ---- tag ----

func (a *app) tagCommand() *cobra.Command {
	var query, basis, evidence, source string
	var remove bool
	cmd := &cobra.Command{
		Use:   "tag",
		Short: "Add or remove a lawful basis on every contact matching a query",
		Long: `tag adds (or with --remove, removes) a lawful basis on every contact matching
--query. Contacts that already hold the basis (or, with --remove, do not) are
left alone, so running it again is safe. Work is committed in chunks of 500:
an interrupted run keeps what it did, and running it again finishes the rest.
Each chunk is audited in one entry that every contact it changed finds in its
audit trail; the evidence is kept, sealed, on each contact's basis (a run that
changes a single contact audits it alone, evidence included).`,
		Args: exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if strings.TrimSpace(query) == "" {
				return usagef("--query is required (to change every contact, say so with a term such as status:active)")
			}
			q, err := gdpr.ParseQuery(query)
			if err != nil {
				return err
			}
			b, err := gdpr.ParseBasis(basis)
			if err != nil {
				return usageError{err}
			}
			if remove && evidence != "" {
				return usagef("--evidence goes with adding a basis, not with --remove")
			}
			return a.withStore(func(s *store.Store) error {
				res, err := s.ApplyBasis(cmd.Context(), a.operatorName(), q, store.BasisChange{Basis: b, Remove: remove, Source: source, Evidence: evidence},
					a.bulkProgress("tag"))
				if stderrIsTerminal() {
					fmt.Fprintln(a.stderr)
				}
				if err != nil {
					return err
				}
				verb, already := "Added", "already had it"
				if remove {
					verb, already = "Removed", "did not have it"
				}
				fmt.Fprintf(a.stdout, "%s %s on %s contact(s); %s %s.\n", verb, b, gdpr.Thousands(res.Changed), gdpr.Thousands(res.Unchanged), already)
				if res.Cancelled {
					return errors.New("stopped before the end; run the same command again to finish")
				}
				return nil
			})
		},
	}
	cmd.Flags().StringVarP(&query, "query", "q", "", "which contacts, e.g. \"country:DE\" (required)")
	cmd.Flags().StringVar(&basis, "basis", "", "lawful basis: consent, contract, legal_obligation, vital_interests, public_task, legitimate_interests (required)")
	cmd.Flags().StringVar(&evidence, "evidence", "", "what shows the basis holds, e.g. \"webinar signup 2024\"")
	cmd.Flags().StringVar(&source, "source", gdpr.SourceManual, "where the basis comes from")
	cmd.Flags().BoolVar(&remove, "remove", false, "remove the basis instead of adding it")
	_ = cmd.MarkFlagRequired("basis")
	return cmd
}

// ---- requests ----

func (a *app) requestCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "request",
		Short: "Log, list and close data-subject requests",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return usagef("request needs a subcommand: add, list or close")
		},
	}
	cmd.AddCommand(a.requestAddCommand(), a.requestListCommand(), a.requestCloseCommand())
	return cmd
}

func (a *app) requestAddCommand() *cobra.Command {
	var typ, contact, email, channel, received, note string
	cmd := &cobra.Command{
		Use:   "add",
		Short: "Log a request and print its id",
		Long: `add logs a data-subject request. The due date is one month after receipt
(Art. 12(3)), moved off weekends. Name the person with --contact ID or --email;
an email that matches a contact links the request to it.`,
		Args: exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			t, err := gdpr.ParseRequestType(typ)
			if err != nil {
				return usageError{err}
			}
			ch, err := gdpr.ParseChannel(channel)
			if err != nil {
				return usageError{err}
			}
			if (contact == "") == (email == "") {
				return usagef("give exactly one of --contact ID or --email ADDRESS")
			}
			day := gdpr.Day(a.now())
			if received != "" {
				if day, err = time.Parse(time.DateOnly, received); err != nil {
					return usagef("--received %q: use YYYY-MM-DD", received)
				}
				if day.After(gdpr.Day(a.now())) {
					return usagef("--received %s is in the future", received)
				}
			}
			r := gdpr.NewRequest(t, ch, day, nil)
			r.Note = note
			if contact != "" {
				id, err := gdpr.ParseContactID(contact)
				if err != nil {
					return usageError{err}
				}
				r.Contact = id
			} else {
				if r.SubjectEmail, err = gdpr.NormalizeEmail(email); err != nil {
					return usageError{err}
				}
			}
			return a.withStore(func(s *store.Store) error {
				id, err := s.AddRequest(a.operatorName(), r)
				if err != nil {
					return err
				}
				fmt.Fprintln(a.stdout, id)
				return nil
			})
		},
	}
	f := cmd.Flags()
	f.StringVar(&typ, "type", "", "access, portability, erasure, rectification, restriction or objection (required)")
	f.StringVar(&contact, "contact", "", "the contact's id, e.g. C42")
	f.StringVar(&email, "email", "", "the requester's email, when you have no contact id")
	f.StringVar(&channel, "channel", "email", "email, webform, phone, in_person, letter or optout_link")
	f.StringVar(&received, "received", "", "date received, YYYY-MM-DD (default today)")
	f.StringVar(&note, "note", "", "a note for the file")
	_ = cmd.MarkFlagRequired("type")
	return cmd
}

type requestJSON struct {
	gdpr.Request
	DaysLeft int  `json:"days_left"`
	Overdue  bool `json:"overdue"`
}

func (a *app) requestListCommand() *cobra.Command {
	var status, typ string
	var overdue, asJSON bool
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List requests, soonest due first",
		Args:  exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			var f store.RequestFilter
			var err error
			if status != "" {
				if f.Status, err = gdpr.ParseRequestStatus(status); err != nil {
					return usageError{err}
				}
			}
			if typ != "" {
				if f.Type, err = gdpr.ParseRequestType(typ); err != nil {
					return usageError{err}
				}
			}
			f.Overdue = overdue
			return a.withStore(func(s *store.Store) error {
				rs, err := s.Requests(f)
				if err != nil {
					return err
				}
				now := a.now()
				if asJSON {
					out := struct {
						Count    int           `json:"count"`
						Requests []requestJSON `json:"requests"`
					}{Count: len(rs), Requests: []requestJSON{}}
					for _, r := range rs {
						out.Requests = append(out.Requests, requestJSON{Request: r, DaysLeft: gdpr.DaysLeft(r.Due, now), Overdue: r.Overdue(now)})
					}
					return a.writeJSON(out)
				}
				tw := tabwriter.NewWriter(a.stdout, 0, 0, 2, ' ', 0)
				fmt.Fprintln(tw, "ID\tTYPE\tSTATUS\tRECEIVED\tDUE\tLEFT\tSUBJECT")
				for _, r := range rs {
					left := "-"
					if r.Status.Open() {
						left = fmt.Sprintf("%dd", gdpr.DaysLeft(r.Due, now))
						if r.Overdue(now) {
							left = fmt.Sprintf("OVERDUE %dd", -gdpr.DaysLeft(r.Due, now))
						}
					}
					subject := r.SubjectEmail
					if r.Contact != 0 {
						subject = r.Contact.String()
					}
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.ID, r.Type, r.Status, r.Received.Format(time.DateOnly),
						r.Due.Format(time.DateOnly), left, dash(subject))
				}
				if err := tw.Flush(); err != nil {
					return err
				}
				fmt.Fprintf(a.stdout, "%d request(s).\n", len(rs))
				return nil
			})
		},
	}
	f := cmd.Flags()
	f.StringVar(&status, "status", "", "only this status: new, verifying, in_progress, completed, denied")
	f.StringVar(&typ, "type", "", "only this type")
	f.BoolVar(&overdue, "overdue", false, "only open requests past their due date")
	f.BoolVar(&asJSON, "json", false, "print one JSON document")
	return cmd
}

func (a *app) requestCloseCommand() *cobra.Command {
	var outcome, reason string
	cmd := &cobra.Command{
		Use:   "close ID",
		Short: "Close a request as completed or denied",
		Long:  `close completes or denies a request. A denial needs --reason, which the person must be told (Art. 12(4)).`,
		Args:  exactArgs(1, "one request id, e.g. R12"),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := gdpr.ParseRequestID(args[0])
			if err != nil {
				return usageError{err}
			}
			st, err := gdpr.ParseRequestStatus(outcome)
			if err != nil || st.Open() {
				return usagef("--outcome must be completed or denied, got %q", outcome)
			}
			if st == gdpr.StatusDenied && strings.TrimSpace(reason) == "" {
				return usagef("a denial needs --reason (e.g. \"outstanding contract\"): the person must be told why")
			}
			return a.withStore(func(s *store.Store) error {
				if err := s.CloseRequest(a.operatorName(), id, st, reason); err != nil {
					return fmt.Errorf("close %s: %w", id, err)
				}
				fmt.Fprintf(a.stdout, "%s %s.\n", id, st)
				return nil
			})
		},
	}
	cmd.Flags().StringVar(&outcome, "outcome", "", "completed or denied (required)")
	cmd.Flags().StringVar(&reason, "reason", "", "outcome note; required for a denial")
	_ = cmd.MarkFlagRequired("outcome")
	return cmd
}

// ---- checklist ----

type checklistItemJSON struct {
	ID       string         `json:"id"`
	Section  gdpr.Section   `json:"section"`
	Title    string         `json:"title"`
	Explain  string         `json:"explain"`
	InApp    bool           `json:"in_app"`
	Auto     bool           `json:"automatic"`
	State    gdpr.ItemState `json:"state"`
	Value    string         `json:"value,omitempty"`
	Reason   string         `json:"reason,omitempty"`
	Note     string         `json:"note,omitempty"`
	Fix      string         `json:"fix,omitempty"`
	Measured bool           `json:"measured"`
}

func (a *app) checklistCommand() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "checklist",
		Short: "Show readiness with each item's state and measured value",
		Args:  exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.withStore(func(s *store.Store) error {
				items, done, applicable, err := s.Checklist()
				if err != nil {
					return err
				}
				pct := gdpr.ReadinessPercent(done, applicable)
				if asJSON {
					out := struct {
						Readiness  int                 `json:"readiness_percent"`
						Done       int                 `json:"done"`
						Applicable int                 `json:"applicable"`
						Items      []checklistItemJSON `json:"items"`
					}{Readiness: pct, Done: done, Applicable: applicable}
					for _, it := range items {
						out.Items = append(out.Items, checklistItemJSON{ID: it.ID, Section: it.Section, Title: it.Title, Explain: it.Explain,
							InApp: it.InApp, Auto: it.Auto, State: it.State, Value: it.Value, Reason: it.Record.Reason,
							Note: it.Record.Note, Fix: it.Fix, Measured: it.Measured})
					}
					return a.writeJSON(out)
				}
				fmt.Fprintf(a.stdout, "Readiness %d%%: %d of %d applicable items done.\n", pct, done, applicable)
				var section gdpr.Section
				for _, it := range items {
					if it.Section != section {
						section = it.Section
						fmt.Fprintf(a.stdout, "\n%s\n", strings.ToUpper(string(section)))
					}
					mark := map[gdpr.ItemState]string{gdpr.StateDone: "[x]", gdpr.StateTodo: "[ ]", gdpr.StateNA: "[-]"}[it.State]
					line := fmt.Sprintf("  %s %-20s %s", mark, it.ID, it.Title)
					switch {
					case it.State == gdpr.StateNA:
						line += " — n/a: " + it.Record.Reason
					case it.Value != "":
						line += " — " + it.Value
					case !it.Auto:
						line += " (manual)"
					}
					fmt.Fprintln(a.stdout, line)
				}
				return nil
			})
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print one JSON document")
	return cmd
}

// ---- audit ----

func (a *app) auditCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "audit",
		Short: "Verify or export the audit log",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return usagef("audit needs a subcommand: verify or export")
		},
	}
	verify := &cobra.Command{
		Use:   "verify",
		Short: "Check the audit log's hash chain and recount every counter",
		Args:  exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.withStore(func(s *store.Store) error {
				rep, err := s.VerifyAudit()
				if err != nil {
					return err
				}
				if !rep.OK() {
					for _, p := range rep.Problems {
						fmt.Fprintln(a.stdout, "PROBLEM: "+p)
					}
					return fmt.Errorf("audit verify failed: %d problem(s); the first: %s", len(rep.Problems), rep.Problems[0])
				}
				fmt.Fprintf(a.stdout, "Audit log OK: %s entries chained; counters match a recount of %s contacts and %s requests.\n",
					gdpr.Thousands(int64(rep.Entries)), gdpr.Thousands(rep.Contacts), gdpr.Thousands(rep.Requests))
				return nil
			})
		},
	}
	var out string
	var personal bool
	export := &cobra.Command{
		Use:   "export",
		Short: "Write the audit log for an auditor (JSON Lines)",
		Args:  exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if out == "" {
				return usagef("--out PATH is required")
			}
			return a.withStore(func(s *store.Store) error {
				f, err := os.OpenFile(out, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
				if err != nil {
					return fmt.Errorf("create %s: %w (choose a new file name)", out, err)
				}
				n, err := exporters.WriteAudit(f, s, a.now().UTC().Format(time.RFC3339), personal)
				if cerr := f.Close(); err == nil {
					err = cerr
				}
				if err != nil {
					os.Remove(out)
					return err
				}
				fmt.Fprintf(a.stdout, "Wrote %s audit entries to %s.\n", gdpr.Thousands(int64(n)), out)
				return nil
			})
		},
	}
	export.Flags().StringVar(&out, "out", "", "file to write (must not exist)")
	export.Flags().BoolVar(&personal, "include-personal", false, "include the personal details sealed in entries (left out by default)")
	cmd.AddCommand(verify, export)
	return cmd
}

// ---- import and export ----

// bulkProgress reports a bulk change on one line of a terminal (nothing
// when stderr is a file or a pipe, so scripts see only the result).
func (a *app) bulkProgress(what string) func(store.BulkProgress) {
	if !stderrIsTerminal() {
		return nil
	}
	return func(p store.BulkProgress) {
		fmt.Fprintf(a.stderr, "\r%s: %s of at most %s contacts", what, gdpr.Thousands(p.Done), gdpr.Thousands(p.Total))
	}
}

func stderrIsTerminal() bool { return term.IsTerminal(int(os.Stderr.Fd())) }

func (a *app) importCommand() *cobra.Command {
	var source string
	var dryRun, strict, asJSON bool
	cmd := &cobra.Command{
		Use:   "import FILE.csv",
		Short: "Import contacts from a CSV (gdprdesk, Keap, HubSpot, Mailchimp or similar)",
		Long: `import reads a contacts CSV: UTF-8 with or without BOM, comma, semicolon or
tab separated, with the headers of gdprdesk's own export or of a Keap/
Infusionsoft, HubSpot or Mailchimp export (and common aliases). Unknown columns
become custom fields. A row whose email matches a contact updates it (an
empty cell never clears anything); repeated emails in the file are merged.
Suppressed (erased) addresses are skipped and counted. Each bad row is
reported with its line number; the good rows are imported unless --strict.
--dry-run writes nothing and prints the same report.`,
		Args: exactArgs(1, "one CSV file"),
		RunE: func(cmd *cobra.Command, args []string) error {
			path := args[0]
			if _, err := os.Stat(path); err != nil {
				return fmt.Errorf("cannot read %s: %w", path, err)
			}
			limitImportHeap()
			return a.withStore(func(s *store.Store) error {
				open := func() (io.ReadCloser, error) {
					f, err := os.Open(path)
					if err != nil {
						return nil, fmt.Errorf("open %s: %w", path, err)
					}
					return f, nil
				}
				run := exporters.ImportRun{Operator: a.operatorName(), DryRun: dryRun, Strict: strict}
				if stderrIsTerminal() && !asJSON {
					run.Progress = func(rows int) {
						if rows%50_000 < store.BulkChunk {
							fmt.Fprintf(a.stderr, "\rimport: %s rows read", gdpr.Thousands(int64(rows)))
						}
					}
				}
				rep, err := exporters.ImportContacts(cmd.Context(), open, s, exporters.ImportOptions{Source: source, Now: a.now()}, run)
				if run.Progress != nil {
					fmt.Fprintln(a.stderr)
				}
				if err != nil {
					return fmt.Errorf("import %s: %w", path, err)
				}
				if asJSON {
					if err := a.writeJSON(rep); err != nil {
						return err
					}
				} else {
					a.printImportReport(path, rep)
				}
				if strict && rep.Rejected > 0 {
					return fmt.Errorf("--strict: %d bad row(s), nothing imported; fix them and import again", rep.Rejected)
				}
				return nil
			})
		},
	}
	f := cmd.Flags()
	f.StringVar(&source, "source", "", "source label for rows without one (source rules then apply a lawful basis)")
	f.BoolVar(&dryRun, "dry-run", false, "write nothing; print what would happen")
	f.BoolVar(&strict, "strict", false, "import nothing when any row is bad")
	f.BoolVar(&asJSON, "json", false, "print the report as one JSON document")
	return cmd
}

func (a *app) printImportReport(path string, rep exporters.ImportReport) {
	w := a.stdout
	verb := "Imported"
	switch {
	case rep.DryRun:
		verb = "Dry run (nothing written) of"
	case !rep.Imported:
		verb = "Checked (nothing written)"
	}
	fmt.Fprintf(w, "%s %s: %s rows.\n", verb, path, gdpr.Thousands(int64(rep.Rows)))
	fmt.Fprintf(w, "  created %s, updated %s, unchanged %s, merged %s, suppressed %s, rejected %s\n",
		gdpr.Thousands(int64(rep.Created)), gdpr.Thousands(int64(rep.Updated)), gdpr.Thousands(int64(rep.Unchanged)),
		gdpr.Thousands(int64(rep.Merged)), gdpr.Thousands(int64(rep.Suppressed)), gdpr.Thousands(int64(rep.Rejected)))
	for _, e := range rep.Errors {
		fmt.Fprintf(w, "  rejected line %d: %s\n", e.Line, e.Reason)
	}
	if rep.Rejected > len(rep.Errors) {
		fmt.Fprintf(w, "  … and %s more rejected rows (use --json for the first %d)\n", gdpr.Thousands(int64(rep.Rejected-len(rep.Errors))), exporters.MaxListed)
	}
	for _, m := range rep.Merges {
		fmt.Fprintf(w, "  merged line %d into line %d (same email)\n", m.Line, m.Into)
	}
	for _, n := range rep.Warnings {
		fmt.Fprintf(w, "  warning line %d: %s\n", n.Line, n.Note)
	}
}

func (a *app) exportCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "export",
		Short: "Export contacts (and, later, access packages)",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return usagef("export needs a subcommand: access or contacts")
		},
	}
	cmd.AddCommand(a.exportAccessCommand())
	var format, query, out string
	var marketing bool
	contacts := &cobra.Command{
		Use:   "contacts",
		Short: "Write contacts as CSV or XLSX in the canonical layout (re-importable)",
		Long: `export contacts writes every contact matching --query (all by default) in
gdprdesk's canonical layout: the CSV imports back to the same contacts. Text
cells a spreadsheet would run as a formula get a leading ' (removed again on
import). Anonymized contacts are left out unless --query names a status.
--for-marketing writes only active contacts: restricted ones (restriction or
objection, Art. 18 and 21) must not receive marketing. The file must not
exist yet.`,
		Args: exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if format != exporters.FormatCSV && format != exporters.FormatXLSX {
				return usagef("--format must be csv or xlsx, got %q", format)
			}
			if out == "" {
				return usagef("--out PATH is required")
			}
			q, err := gdpr.ParseQuery(query)
			if err != nil {
				return err
			}
			return a.withStore(func(s *store.Store) error {
				f, err := os.OpenFile(out, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
				if err != nil {
					return fmt.Errorf("create %s: %w (choose a new file name)", out, err)
				}
				n, err := exporters.ExportContacts(cmd.Context(), s, q, format, f, marketing)
				if cerr := f.Close(); err == nil {
					err = cerr
				}
				if err != nil {
					os.Remove(out)
					return fmt.Errorf("export to %s: %w", out, err)
				}
				fmt.Fprintf(a.stdout, "Wrote %s contacts to %s.\n", gdpr.Thousands(int64(n)), out)
				return nil
			})
		},
	}
	contacts.Flags().StringVar(&format, "format", "csv", "csv or xlsx")
	contacts.Flags().StringVarP(&query, "query", "q", "", "which contacts (default: all)")
	contacts.Flags().StringVar(&out, "out", "", "file to write (required; must not exist)")
	contacts.Flags().BoolVar(&marketing, "for-marketing", false, "only contacts who may receive marketing (not restricted or anonymized)")
	cmd.AddCommand(contacts)
	return cmd
}

// ---- erasure ----

func (a *app) anonymizeCommand() *cobra.Command {
	var request, override string
	cmd := &cobra.Command{
		Use:   "anonymize (ID|EMAIL)",
		Short: "Erase a contact's personal data for good (right to erasure, Art. 17)",
		Long: `anonymize destroys everything that identifies the contact — names, every
email it ever had, phone, address, company, notes, custom fields, evidence
notes and the personal details in its audit entries and requests — by
destroying the key they are sealed under. Country and created year remain, so
statistics still add up. Every address goes on the suppression list, so an
import or a new contact cannot bring the person back by accident.

A contact with an unpaid balance or an open contract is refused unless you
give --override-reason (kept in the audit log: do not put personal details
in it). With --request, the erasure request is completed and linked.

When run at a terminal, you are asked to type the contact's id to confirm.`,
		Args: exactArgs(1, "a contact id (e.g. C42) or email"),
		RunE: func(cmd *cobra.Command, args []string) error {
			var opts store.AnonymizeOptions
			if request != "" {
				id, err := gdpr.ParseRequestID(request)
				if err != nil {
					return usageError{err}
				}
				opts.Request = id
			}
			opts.OverrideReason = strings.TrimSpace(override)
			return a.withStore(func(s *store.Store) error {
				c, err := s.FindContact(args[0])
				if err != nil {
					return err
				}
				if stdinIsTerminal() {
					fmt.Fprintf(a.stdout, "Erase %s (%s) for good? This cannot be undone. Type %s to confirm: ", c.ID, c.Name(), c.ID)
					var answer string
					fmt.Fscanln(os.Stdin, &answer)
					if !strings.EqualFold(strings.TrimSpace(answer), c.ID.String()) {
						return errors.New("not confirmed; nothing was changed")
					}
				}
				res, err := s.Anonymize(a.operatorName(), c.ID, opts)
				if err != nil {
					return err
				}
				fmt.Fprintf(a.stdout, "%s anonymized: personal data destroyed, %d address(es) on the suppression list (audit entry %d).\n",
					c.ID, res.Suppressed, res.Event)
				return nil
			})
		},
	}
	cmd.Flags().StringVar(&request, "request", "", "the erasure request this answers, e.g. R7")
	cmd.Flags().StringVar(&override, "override-reason", "", "erase despite an unpaid balance or open contract, and why")
	return cmd
}

func stdinIsTerminal() bool { return term.IsTerminal(int(os.Stdin.Fd())) }

// sweepQuery selects the contacts a sweep removes: EU (and, when asked,
// unknown-country) contacts that hold no lawful basis and are not erased.
func sweepQuery(includeUnknown bool) (gdpr.Query, error) {
	text := "eu:yes basis:none status:active|restricted"
	if includeUnknown {
		text = "eu:yes|unknown basis:none status:active|restricted"
	}
	return gdpr.ParseQuery(text)
}

type sweepJSON struct {
	Applied    bool           `json:"applied"`
	Candidates int            `json:"candidates"`
	Anonymized int            `json:"anonymized"`
	Skipped    []sweepSkip    `json:"skipped"`
	Contacts   []gdpr.Contact `json:"contacts,omitempty"`
}

type sweepSkip struct {
	Contact gdpr.ContactID `json:"contact"`
	Reason  string         `json:"reason"`
}

func (a *app) sweepCommand() *cobra.Command {
	var apply, asJSON, unknown bool
	cmd := &cobra.Command{
		Use:   "sweep",
		Short: "List, then with --apply erase, EU contacts that have no lawful basis",
		Long: `sweep lists the EU/EEA contacts that hold no lawful basis (with
--include-unknown, also those whose country is not recorded, which the
checklist counts as EU). With --apply they are anonymized, in
transactions of 200, so an interrupted sweep keeps what it did and running it
again finishes the rest. Contacts with an unpaid balance or an open contract
are skipped and listed. The time of a finished --apply is recorded for the
checklist item basis-sweep. At a terminal, --apply asks for confirmation.`,
		Args: exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			q, err := sweepQuery(unknown)
			if err != nil {
				return err
			}
			return a.withStore(func(s *store.Store) error {
				out := sweepJSON{Applied: apply, Skipped: []sweepSkip{}}
				var all []gdpr.Contact
				var cursor store.Cursor
				for {
					page, err := s.Contacts(q, cursor, 1000)
					if err != nil {
						return err
					}
					all = append(all, page.Contacts...)
					if !page.More {
						break
					}
					cursor = page.Next
				}
				out.Candidates = len(all)
				if !apply {
					out.Contacts = all
					if asJSON {
						return a.writeJSON(out)
					}
					for _, c := range all {
						fmt.Fprintf(a.stdout, "%s\t%s\t%s\t%s\n", c.ID, c.Name(), c.Email, dash(c.Country))
					}
					fmt.Fprintf(a.stdout, "%s EU contact(s) without a lawful basis. Run with --apply to anonymize them.\n", gdpr.Thousands(int64(len(all))))
					return nil
				}
				if stdinIsTerminal() && len(all) > 0 {
					fmt.Fprintf(a.stdout, "Erase %s contacts for good? This cannot be undone. Type yes to confirm: ", gdpr.Thousands(int64(len(all))))
					var answer string
					fmt.Fscanln(os.Stdin, &answer)
					if answer != "yes" {
						return errors.New("not confirmed; nothing was changed")
					}
				}
				op := a.operatorName()
				const chunk = 200
				for i := 0; i < len(all); i += chunk {
					if err := cmd.Context().Err(); err != nil {
						return fmt.Errorf("sweep stopped after %d of %d; run it again to finish: %w", i, len(all), err)
					}
					ids := make([]gdpr.ContactID, 0, chunk)
					for _, c := range all[i:min(i+chunk, len(all))] {
						ids = append(ids, c.ID)
					}
					done, skipped, err := s.AnonymizeMany(op, ids)
					if err != nil {
						return fmt.Errorf("sweep: %w", err)
					}
					out.Anonymized += len(done)
					for _, id := range ids {
						if err, ok := skipped[id]; ok {
							out.Skipped = append(out.Skipped, sweepSkip{Contact: id, Reason: err.Error()})
						}
					}
					if stderrIsTerminal() && !asJSON {
						fmt.Fprintf(a.stderr, "\rsweep: %s of %s", gdpr.Thousands(int64(min(i+chunk, len(all)))), gdpr.Thousands(int64(len(all))))
					}
				}
				if stderrIsTerminal() && !asJSON && len(all) > 0 {
					fmt.Fprintln(a.stderr)
				}
				if err := s.RecordSweep(op, a.now(), int64(out.Anonymized)); err != nil {
					return err
				}
				if asJSON {
					return a.writeJSON(out)
				}
				fmt.Fprintf(a.stdout, "Sweep done: %s anonymized, %d skipped.\n", gdpr.Thousands(int64(out.Anonymized)), len(out.Skipped))
				for _, sk := range out.Skipped {
					fmt.Fprintf(a.stdout, "  skipped %s: %s\n", sk.Contact, sk.Reason)
				}
				return nil
			})
		},
	}
	cmd.Flags().BoolVar(&apply, "apply", false, "anonymize them (irreversible)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print one JSON document")
	cmd.Flags().BoolVar(&unknown, "include-unknown", false, "also contacts with no country recorded")
	return cmd
}

func (a *app) readmitCommand() *cobra.Command {
	var reason string
	cmd := &cobra.Command{
		Use:   "readmit EMAIL --reason TEXT",
		Short: "Take an erased person's address off the suppression list",
		Long: `readmit lets an address that was erased be imported or added again, for a
person who asked to come back. The reason goes into the audit log (without
the address): write why, not who.`,
		Args: exactArgs(1, "one email address"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if strings.TrimSpace(reason) == "" {
				return usagef("--reason is required (e.g. \"asked to rejoin on 2026-12-01\")")
			}
			return a.withStore(func(s *store.Store) error {
				if err := s.Readmit(a.operatorName(), args[0], reason); err != nil {
					return err
				}
				fmt.Fprintln(a.stdout, "Address re-admitted; it can be imported or added again.")
				return nil
			})
		},
	}
	cmd.Flags().StringVar(&reason, "reason", "", "why the address may come back (required)")
	return cmd
}

func (a *app) exportAccessCommand() *cobra.Command {
	var format, out, password, request string
	var eml bool
	cmd := &cobra.Command{
		Use:   "access (ID|EMAIL)",
		Short: "Write everything held on one person (right of access, Art. 15; portability, Art. 20)",
		Long: `export access writes an access package: the profile, lawful bases with their
evidence, consent history with the exact wording agreed to, requests, the audit
entries about the person, and a plain-language sheet of who you are, why you
hold the data, who receives it, how long you keep it and the person's rights.

Formats: xlsx (one sheet per section; --password encrypts it), csv (a zip of
one CSV per section) or json (documented in docs/access-package.md). --eml also
writes a ready-to-send email draft with the package attached. With --request,
the package's SHA-256 and time are recorded on the access or portability
request.`,
		Args: exactArgs(1, "a contact id (e.g. C42) or email"),
		RunE: func(cmd *cobra.Command, args []string) error {
			ext := exporters.AccessExt(format)
			if ext == "" {
				return usagef("--format must be xlsx, csv or json, got %q", format)
			}
			if password != "" && format != "xlsx" {
				return usagef("--password works with --format xlsx only")
			}
			var reqID gdpr.RequestID
			if request != "" {
				id, err := gdpr.ParseRequestID(request)
				if err != nil {
					return usageError{err}
				}
				reqID = id
			}
			return a.withStore(func(s *store.Store) error {
				c, err := s.FindContact(args[0])
				if err != nil {
					return err
				}
				if out == "" {
					out = "access-" + c.ID.String() + "-" + a.now().Format("2006-01-02") + ext
				}
				now := a.now()
				pkg, err := exporters.BuildAccessPackage(s, c.ID, now)
				if err != nil {
					return err
				}
				var buf bytes.Buffer
				if err := exporters.WriteAccess(&buf, pkg, format, password); err != nil {
					return err
				}
				if err := writeNew(out, buf.Bytes()); err != nil {
					return err
				}
				sum := sha256.Sum256(buf.Bytes())
				fmt.Fprintf(a.stdout, "Wrote the access package for %s to %s (SHA-256 %x).\n", c.ID, out, sum)
				if eml {
					tmpl, err := fs.ReadFile(assets.FS, "templates/access-email.txt")
					if err != nil {
						return fmt.Errorf("read email template: %w", err)
					}
					var mail bytes.Buffer
					if err := exporters.WriteAccessEML(&mail, pkg, string(tmpl), filepath.Base(out), buf.Bytes(), now); err != nil {
						return err
					}
					emlPath := strings.TrimSuffix(out, filepath.Ext(out)) + ".eml"
					if err := writeNew(emlPath, mail.Bytes()); err != nil {
						return err
					}
					fmt.Fprintf(a.stdout, "Wrote the email draft to %s.\n", emlPath)
				}
				if reqID != 0 {
					err := s.UpdateRequest(a.operatorName(), reqID, "request.export", fmt.Sprintf("access package %s, sha256 %x", format, sum), func(r *gdpr.Request) error {
						if r.Type != gdpr.RequestAccess && r.Type != gdpr.RequestPortability {
							return fmt.Errorf("request %s is a %s request, not access or portability", r.ID, r.Type)
						}
						if r.Contact != c.ID {
							return fmt.Errorf("request %s is not about %s", r.ID, c.ID)
						}
						r.ExportSHA256, r.ExportedAt = fmt.Sprintf("%x", sum), now.UTC()
						return nil
					})
					if err != nil {
						return fmt.Errorf("the package was written, but linking it to %s failed: %w", reqID, err)
					}
					fmt.Fprintf(a.stdout, "Linked to %s.\n", reqID)
				}
				return nil
			})
		},
	}
	f := cmd.Flags()
	f.StringVar(&format, "format", "xlsx", "xlsx, csv (zip) or json")
	f.StringVar(&out, "out", "", "file to write (default access-ID-DATE.EXT; must not exist)")
	f.StringVar(&password, "password", "", "encrypt the XLSX with this password (tell it to the person another way)")
	f.BoolVar(&eml, "eml", false, "also write an email draft (.eml) with the package attached")
	f.StringVar(&request, "request", "", "the access or portability request this answers, e.g. R7")
	return cmd
}

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

// ---- backup and restore ----

// controlSocket is where a running `serve` takes backups for other
// gdprdesk processes (it holds the data directory, so they cannot open it).
// It lives in the data directory (0700) and is itself 0600: whoever can
// connect can read the directory anyway.
func controlSocket(dir string) string { return filepath.Join(dir, "control.sock") }

// serveControl answers backup requests on the control socket while serve
// runs: a client writes "backup\n" and reads the archive until the server
// closes the connection. The returned function stops it. A socket that
// cannot be made costs only the online backup: serve goes on, with a warning.
func (a *app) serveControl(s *store.Store, dir string) (stop func()) {
	path := controlSocket(dir)
	os.Remove(path) // a stale socket: we hold the directory's lock
	l, err := net.Listen("unix", path)
	if err != nil {
		fmt.Fprintf(a.stderr, "gdprdesk: warning: no backups while serving (control socket %s: %v)\n", path, err)
		return func() {}
	}
	if err := os.Chmod(path, 0o600); err != nil {
		l.Close()
		fmt.Fprintf(a.stderr, "gdprdesk: warning: no backups while serving (control socket %s: %v)\n", path, err)
		return func() {}
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			conn, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				defer conn.Close()
				conn.SetReadDeadline(time.Now().Add(10 * time.Second))
				line := make([]byte, len("backup\n"))
				if _, err := io.ReadFull(conn, line); err != nil || string(line) != "backup\n" {
					return
				}
				conn.SetReadDeadline(time.Time{})
				if _, err := s.Backup(conn); err != nil {
					// The client sees a cut archive and says so; the
					// server's own log says why.
					fmt.Fprintf(a.stderr, "gdprdesk: backup over the control socket failed: %v\n", err)
				}
			}()
		}
	}()
	return func() {
		l.Close()
		<-done
		os.Remove(path)
	}
}

// backupTo writes a backup of the store in dir: directly, or through the
// control socket of a `serve` that holds the directory.
func (a *app) backupTo(dir string, w io.Writer) error {
	if _, err := os.Stat(filepath.Join(dir, "db")); err != nil {
		return fmt.Errorf("data directory %s holds no gdprdesk store: nothing to back up", dir)
	}
	opts, err := a.storeOptions(store.Options{Now: a.now, Log: a.stderr})
	if err != nil {
		return err
	}
	s, err := store.Open(dir, opts)
	if errors.Is(err, store.ErrLocked) {
		conn, derr := net.Dial("unix", controlSocket(dir))
		if derr != nil {
			return fmt.Errorf("%w (and it takes no backups: only `gdprdesk serve` does; close the other one and try again)", err)
		}
		defer conn.Close()
		if _, err := io.WriteString(conn, "backup\n"); err != nil {
			return fmt.Errorf("ask the running server for a backup: %w", err)
		}
		if _, err := io.Copy(w, conn); err != nil {
			return fmt.Errorf("receive the backup from the running server: %w", err)
		}
		return nil
	}
	if err != nil {
		return err
	}
	_, berr := s.Backup(w)
	if cerr := s.Close(); berr == nil {
		berr = cerr
	}
	return berr
}

func (a *app) backupCommand() *cobra.Command {
	var out string
	cmd := &cobra.Command{
		Use:   "backup --out FILE",
		Short: "Write a consistent backup of the data directory (also while serve runs)",
		Long: `backup writes one archive (tar) holding a consistent snapshot of the store
and its key ring: everything needed to restore it with 'gdprdesk restore'. It
works while 'gdprdesk serve' runs (the server takes it, through a socket in the
data directory), and the server's sessions carry on meanwhile.

The archive holds the keys that open every person's data in it: keep it as
safe as the data directory. It is checked after writing. See docs/BACKUP.md.`,
		Args: exactArgs(0, "no arguments (name the file with --out)"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if out == "" {
				return usagef("--out FILE is required")
			}
			dir, err := a.dataDir()
			if err != nil {
				return err
			}
			f, err := os.OpenFile(out, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
			if err != nil {
				return fmt.Errorf("create %s: %w (choose a new file name)", out, err)
			}
			err = a.backupTo(dir, f)
			if err == nil {
				err = f.Sync()
			}
			if cerr := f.Close(); err == nil {
				err = cerr
			}
			var m store.BackupManifest
			if err == nil {
				m, err = verifyBackupFile(out)
			}
			if err != nil {
				os.Remove(out)
				return fmt.Errorf("backup of %s: %w", dir, err)
			}
			fmt.Fprintf(a.stdout, "Backed up %s to %s: %s records, %s audit entries, checked.\n", dir, out,
				gdpr.Thousands(m.Records), gdpr.Thousands(int64(m.AuditEntries)))
			return nil
		},
	}
	cmd.Flags().StringVar(&out, "out", "", "file to write (required; must not exist)")
	return cmd
}

func verifyBackupFile(path string) (store.BackupManifest, error) {
	f, err := os.Open(path)
	if err != nil {
		return store.BackupManifest{}, err
	}
	defer f.Close()
	return store.VerifyBackup(f)
}

func (a *app) restoreCommand() *cobra.Command {
	var from string
	cmd := &cobra.Command{
		Use:   "restore FILE [--reapply-erasures-from DIR]",
		Short: "Restore a backup into an empty data directory",
		Long: `restore fills the data directory — which must be empty or not exist yet —
from a backup written by 'gdprdesk backup', then verifies it (checksums, the
audit chain and every counter). With --key-file (or GDPRDESK_KEY_FILE) the
restored store is encrypted at rest.

An older backup brings back the people erased since it was taken. Give the
current (or damaged) data directory with --reapply-erasures-from and their
erasures are applied again: every contact erased there is erased here, its
keys destroyed, every address suppressed there is suppressed here. Each is
audited. Move the current directory aside first, e.g.

  mv ~/.local/share/gdprdesk ~/.local/share/gdprdesk.old
  gdprdesk restore backup.tar --reapply-erasures-from ~/.local/share/gdprdesk.old

See docs/BACKUP.md.`,
		Args: exactArgs(1, "the backup file"),
		RunE: func(_ *cobra.Command, args []string) error {
			dir, err := a.dataDir()
			if err != nil {
				return err
			}
			opts, err := a.storeOptions(store.Options{Now: a.now, Log: a.stderr})
			if err != nil {
				return err
			}
			ropts := store.RestoreOptions{Options: opts, Operator: a.operatorName()}
			if from != "" {
				if filepath.Clean(from) == filepath.Clean(dir) {
					return usagef("--reapply-erasures-from must name another data directory than the one restored into")
				}
				er, err := a.erasuresOf(from, opts)
				if err != nil {
					return err
				}
				ropts.Erasures = &er
			}
			f, err := os.Open(args[0])
			if err != nil {
				return fmt.Errorf("open backup: %w", err)
			}
			defer f.Close()
			rep, err := store.Restore(dir, f, ropts)
			if err != nil {
				return fmt.Errorf("restore %s into %s: %w", args[0], dir, err)
			}
			fmt.Fprintf(a.stdout, "Restored %s into %s: %s contacts, %s requests, %s audit entries, verified.\n", args[0], dir,
				gdpr.Thousands(rep.Verify.Contacts), gdpr.Thousands(rep.Verify.Requests), gdpr.Thousands(int64(rep.Verify.Entries)))
			if from != "" {
				fmt.Fprintf(a.stdout, "Re-applied the erasures of %s: %d contact(s) erased again, %d more address(es) suppressed, %d more key(s) destroyed.\n",
					from, len(rep.Reapplied.Contacts), rep.Reapplied.Suppressed, rep.Reapplied.KeysShred)
			}
			if rep.Manifest.Encrypted && opts.EncryptionKey == nil {
				fmt.Fprintln(a.stdout, "Note: the backup came from an encrypted store, and this one is not encrypted (restore with --key-file to encrypt it).")
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&from, "reapply-erasures-from", "", "a newer data directory of the same desk whose erasures must win")
	return cmd
}

// erasuresOf lists what the store in dir has erased. It is opened with the
// key when it is encrypted, without it otherwise.
func (a *app) erasuresOf(dir string, opts store.Options) (store.Erasures, error) {
	if _, err := os.Stat(filepath.Join(dir, "db")); err != nil {
		return store.Erasures{}, fmt.Errorf("--reapply-erasures-from: %s holds no gdprdesk store", dir)
	}
	if enc, _ := store.Encrypted(dir); !enc {
		opts.EncryptionKey = nil
	}
	s, err := store.Open(dir, opts)
	if err != nil {
		return store.Erasures{}, fmt.Errorf("--reapply-erasures-from: %w", err)
	}
	defer s.Close()
	er, err := s.Erasures()
	if err != nil {
		return er, fmt.Errorf("--reapply-erasures-from %s: %w", dir, err)
	}
	return er, nil
}

// importHeapLimit is the soft limit of the Go heap while the import command
// runs. Without it the collector lets the heap grow to twice what is live,
// and Badger's table builders make a large import's live heap swing by a
// few hundred megabytes: a million rows peaked at 540 MB of heap instead of
// about 300 MB. (320 MiB let the whole process touch 505 MB in one run of
// four once the search index was added.) A soft limit only makes the
// collector run sooner; it never fails an allocation. It is set for this
// command alone (its own process), never for the desk or the server, and
// GOMEMLIMIT overrides it.
const importHeapLimit = 300 << 20

func limitImportHeap() {
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(importHeapLimit)
	}
}
