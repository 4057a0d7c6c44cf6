package cli

import (
	"context"
	"fmt"
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

Operators can also run any command over SSH under their own name and role,
e.g. 'ssh -p 2222 host contacts --query country:DE' or
'ssh -p 2222 host import - < contacts.csv': files a command writes go into
DIR/exports (by their base name only), and the only file it reads is the
session's stdin, named '-'. Staff and admins fetch those files with scp
('scp -P 2222 host:exports/FILE .'), read-only; every download is audited.

A connection has 10 seconds to log in; at most 8 from one address and 64
in all may be waiting to, so silent connections cannot lock the team out.

While serve runs, every other gdprdesk command on this machine works as
usual: it finds the data directory held and is carried out by the server,
through the socket DIR/control.sock (0600), in the caller's operator name
(a registered operator gets their role; any other name is the owner at the
machine, as without serve). Removing an operator ends their open sessions.
SIGINT or SIGTERM stops it cleanly: running bulk changes stop after their
chunk, each terminal session is told in a last line, and the store is closed.`,
		Args: exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if idle < time.Minute {
				return usagef("--idle-timeout must be at least 1m, got %s", idle)
			}
			dir, err := a.dataDir()
			if err != nil {
				return err
			}
			if err := a.storeDir(dir); err != nil {
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
			exports, err := exportsDir(dir)
			if err != nil {
				return err
			}
			// Every other command works while serving: through the control
			// socket, carried out here (control.go).
			defer a.serveControl(cmd.Context(), s, dir)()
			fmt.Fprintf(a.stdout, "Serving %s to %d operator(s) on %s (ctrl+c stops).\n", dir, len(ops), listen)
			return server.Serve(cmd.Context(), server.ServeOptions{Store: s, Listen: listen, HostKey: hostKey,
				IdleTimeout: idle, Now: a.now, ExportDir: exports, Log: a.stderr,
				Exec: func(ctx context.Context, c server.Command) int {
					// Over SSH: the session operator's name and role, the
					// server's RemoteOnly handle, no server file but the
					// exports directory (served.go).
					sv := &served{store: s, dir: dir, operator: c.Operator, remote: true, exportDir: exports}
					return runServed(ctx, sv, call{args: c.Args, stdin: c.Stdin, stdout: c.Stdout, stderr: c.Stderr,
						stdinTTY: c.Terminal, stderrTTY: c.Terminal}, a.now, a.stderr)
				}})
		},
	}
	f := cmd.Flags()
	f.StringVar(&listen, "listen", "127.0.0.1:2222", "address to listen on")
	f.StringVar(&hostKey, "host-key", "", "the server's private host key (default DIR/ssh_host_ed25519, made once, 0600)")
	f.DurationVar(&idle, "idle-timeout", 30*time.Minute, "close a session idle this long")
	return cmd
}

func (a *app) operatorCommand() *cobra.Command {
	var keyArg, role string
	var replace bool
	add := &cobra.Command{
		Use:   "add NAME --key PUBKEY|FILE --role admin|staff|viewer [--replace]",
		Short: "Register an operator: their public key decides who they are",
		Long: `add registers an operator: whoever logs in over SSH with this public key
works as NAME, with the role given. One key belongs to one operator: a key
already registered to someone else is refused. A NAME already registered is
refused too, unless --replace is given: the operator then gets the new key
and role, the change is audited as operator.replace, and a running server
ends their open sessions.`,
		Args: exactArgs(1, "the operator's name"),
		RunE: func(_ *cobra.Command, args []string) error {
			r, err := gdpr.ParseRole(role)
			if err != nil {
				return usageError{err}
			}
			k := strings.TrimSpace(keyArg)
			if a.served == nil || !a.served.remote { // over SSH: the key line only, no server file
				if b, err := os.ReadFile(a.resolve(k)); err == nil {
					k = strings.TrimSpace(string(b))
				}
			}
			if _, _, _, _, err := ssh.ParseAuthorizedKey([]byte(k)); err != nil {
				return usagef("--key: not an SSH public key (give the key line, e.g. 'ssh-ed25519 AAAA…', or the .pub file)")
			}
			a.create, a.announce = true, true // setting up the server may start the data directory
			return a.withStore(func(s *store.Store) error {
				op := store.Operator{Name: args[0], Role: r, PublicKey: k}
				if replace {
					if err := s.ReplaceOperator(a.operatorName(), op); err != nil {
						return err
					}
					fmt.Fprintf(a.stdout, "Operator %s (%s) registered; a previous %s was replaced and their sessions end.\n", args[0], r, args[0])
					return nil
				}
				if err := s.AddOperator(a.operatorName(), op); err != nil {
					return err
				}
				fmt.Fprintf(a.stdout, "Operator %s (%s) added.\n", args[0], r)
				return nil
			})
		},
	}
	add.Flags().StringVar(&keyArg, "key", "", "the operator's SSH public key, or a .pub file holding it")
	add.Flags().StringVar(&role, "role", "staff", "admin, staff or viewer")
	add.Flags().BoolVar(&replace, "replace", false, "replace the operator of this name (new key or role; their open sessions end)")
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
					fmt.Fprintf(a.stdout, "%-16s %-7s %-12s added %s by %s\n", dash(op.Name), op.Role, dash(kind), op.AddedAt.Format("2006-01-02"), op.AddedBy)
				}
				return nil
			})
		},
	}
	remove := &cobra.Command{
		Use:   "remove NAME",
		Short: "Remove an operator (their key no longer gets in; a running server ends their sessions)",
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
	return parentCommand("operator", "Manage who may connect over SSH (gdprdesk serve)", add, list, remove)
}
