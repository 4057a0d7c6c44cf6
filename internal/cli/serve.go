package cli

import (
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"charm.land/ssh"
	"github.com/gdprdesk/gdprdesk/gdpr"
	"github.com/gdprdesk/gdprdesk/internal/server"
	"github.com/gdprdesk/gdprdesk/store"
)

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
			return server.Serve(cmd.Context(), server.ServeOptions{Store: s, Listen: listen, HostKey: hostKey,
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
			r, err := gdpr.ParseRole(role)
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
