// Package server serves the desk over SSH (Wish): public-key
// authentication against the registered operators, one terminal UI per
// session without a command, and the command line's commands for a session
// with one (ssh -p 2222 desk contacts --query country:DE).
//
// Before authentication, a gate caps the connections waiting to log in (per
// address and in all) and a handshake timeout closes silent ones
// (limits.go). The middleware chain, as soft-serve's: recover → track the
// session by operator → check the key again against the operator's current
// key → scp of DIR/exports (download.go; SFTP is a subsystem with the same
// checks) → a command, or the terminal UI (which needs a terminal). Who the
// operator is and their role are decided from the public key before
// anything runs; the store applies the role to every change and audits
// refusals.
//
// The server watches the store's changes: an operator removed (or whose key
// changed), by whichever way the change came (a session, a command over
// SSH, the control socket), has every open session closed at once, and
// their next login is refused because authentication reads the operators
// from the store each time.
package server

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"sync"
	"time"

	tea "charm.land/bubbletea/v2"
	"charm.land/ssh"
	"charm.land/wish/v2"
	bm "charm.land/wish/v2/bubbletea"
	"github.com/gdprdesk/gdprdesk/store"
	"github.com/gdprdesk/gdprdesk/ui"
	gossh "golang.org/x/crypto/ssh"
)

// ServeOptions configure the SSH server.
type ServeOptions struct {
	Store       *store.Store
	Listen      string        // host:port; default 127.0.0.1:2222
	HostKey     string        // private host key, generated (0600) when missing
	IdleTimeout time.Duration // a session idle this long is closed; 0: 30 minutes
	Now         func() time.Time
	ExportDir   string    // where sessions write access packages, and what scp serves
	Log         io.Writer // one line per connection and refusal; never personal data
	// HandshakeTimeout bounds the handshake and authentication of a new
	// connection; 0: 10 seconds.
	HandshakeTimeout time.Duration
	// MaxUnauthenticated and MaxUnauthenticatedPerHost cap the connections
	// that have not authenticated yet, in all and from one address; 0: 64
	// and 8 (limits.go).
	MaxUnauthenticated, MaxUnauthenticatedPerHost int
	// Ready, when set, is called with the listening address (tests listen
	// on port 0).
	Ready func(net.Addr)
	// Exec carries out the command line of a session that came with one,
	// for the session's operator, and returns its exit status. The server
	// cannot import the command line (it starts the server), so the command
	// line hands itself in here. Nil: such sessions are refused.
	Exec func(ctx context.Context, c Command) int
}

// Command is a command line an operator sent with their SSH session.
type Command struct {
	Args     []string // as the session's exec request split them
	Operator string   // the operator the session's key belongs to
	Stdin    io.Reader
	Stdout   io.Writer
	Stderr   io.Writer
	Terminal bool // the session has a terminal (ssh -t)
}

// operatorKey is the session context key of the authenticated operator.
type operatorKey struct{}

// Serve runs the desk over SSH until ctx ends: public-key authentication
// only, against the operators registered in the store (the key decides who
// the operator is); one Bubble Tea program per session, sized to the
// client's terminal. On ctx's end every session is told, running bulk
// changes stop after their chunk, and Serve returns when the sessions have
// ended (or after 15 seconds).
func Serve(ctx context.Context, o ServeOptions) error {
	if o.Listen == "" {
		o.Listen = "127.0.0.1:2222"
	}
	if o.IdleTimeout == 0 {
		o.IdleTimeout = 30 * time.Minute
	}
	if o.HandshakeTimeout == 0 {
		o.HandshakeTimeout = 10 * time.Second
	}
	if o.MaxUnauthenticated == 0 {
		o.MaxUnauthenticated = defaultMaxPreAuth
	}
	if o.MaxUnauthenticatedPerHost == 0 {
		o.MaxUnauthenticatedPerHost = defaultMaxPreAuthPerHost
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Log == nil {
		o.Log = io.Discard
	}
	logf := func(format string, a ...any) {
		fmt.Fprintf(o.Log, "%s "+format+"\n", append([]any{o.Now().UTC().Format(time.RFC3339)}, a...)...)
	}
	stopping, stop := context.WithCancel(context.Background())
	defer stop()
	sv := &server{o: o, logf: logf, failures: map[string]int{}, programs: map[*tea.Program]bool{},
		sessions: map[*live]bool{}, stopping: stopping}
	sv.gate = newGate(o.MaxUnauthenticated, o.MaxUnauthenticatedPerHost, logf)
	srv, err := wish.NewServer(
		wish.WithHostKeyPath(o.HostKey),
		wish.WithPublicKeyAuth(sv.auth),
		wish.WithIdleTimeout(o.IdleTimeout),
		ssh.WrapConn(sv.gate.admit),
		wish.WithSubsystem("sftp", sv.sftpSubsystem()), // scp and sftp: exports, read-only
		func(s *ssh.Server) error {
			s.HandshakeTimeout = o.HandshakeTimeout
			// A connection leaves the gate once a signed authentication
			// succeeded (a key merely offered does not count).
			s.ServerConfigCallback = func(ctx ssh.Context) *gossh.ServerConfig {
				return &gossh.ServerConfig{AuthLogCallback: func(_ gossh.ConnMetadata, _ string, err error) {
					if err == nil {
						authenticated(ctx)
					}
				}}
			}
			return nil
		},
		wish.WithMiddleware( // the last runs first
			sv.sessionEnded, // runs when the session's program has ended
			sv.teaMiddleware(sv.program),
			sv.command,  // a session with a command runs it; others get the terminal UI
			sv.download, // scp -O: a file of exports, read-only (download.go)
			sv.recheck,
			sv.track,
			sv.recoverer,
		),
	)
	if err != nil {
		return fmt.Errorf("start the SSH server: %w", err)
	}
	if err := os.Chmod(o.HostKey, 0o600); err != nil {
		return fmt.Errorf("host key %s: %w", o.HostKey, err)
	}
	l, err := net.Listen("tcp", o.Listen)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", o.Listen, err)
	}
	if o.Ready != nil {
		o.Ready(l.Addr())
	}
	logf("listening on %s", l.Addr())
	changes, unsubscribe := o.Store.Subscribe()
	defer unsubscribe()
	go sv.watchOperators(stopping, changes)
	done := make(chan error, 1)
	go func() { done <- srv.Serve(l) }()
	select {
	case err := <-done:
		if errors.Is(err, ssh.ErrServerClosed) {
			return nil
		}
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	logf("stopping: telling %d session(s)", sv.count())
	stop() // commands over SSH stop after their chunk
	sv.stopAll()
	sv.wait(15 * time.Second)
	shut, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := srv.Shutdown(shut); err != nil {
		srv.Close()
	}
	logf("stopped")
	return nil
}

// server is the state shared by the sessions.
type server struct {
	o    ServeOptions
	logf func(string, ...any)

	mu       sync.Mutex
	failures map[string]int // failed logins by remote host
	programs map[*tea.Program]bool
	sessions map[*live]bool // every open session, for ending a removed operator's
	ended    sync.WaitGroup // programs and commands still running
	stopping context.Context
	gate     *gate // connections not authenticated yet
}

// auth accepts a key registered to an operator. Repeated failures from one
// address are answered more and more slowly.
func (sv *server) auth(ctx ssh.Context, key ssh.PublicKey) bool {
	host, _, _ := net.SplitHostPort(ctx.RemoteAddr().String())
	ops, err := sv.o.Store.Operators()
	if err != nil {
		sv.logf("refused %s: cannot read operators", host)
		return false
	}
	// One key belongs to one operator (the store refuses a second); a key
	// found under two names, in a directory from before that check, lets
	// neither in rather than guess who is at the keyboard.
	var found []string
	for _, op := range ops {
		if keyMatches(op, key) {
			found = append(found, op.Name)
		}
	}
	switch len(found) {
	case 1:
		ctx.SetValue(operatorKey{}, found[0])
		sv.mu.Lock()
		delete(sv.failures, host)
		sv.mu.Unlock()
		return true
	case 0:
	default:
		sv.logf("refused a key from %s: it is registered to %d operators (%s); remove all but one", host, len(found), strings.Join(found, ", "))
		return false
	}
	sv.mu.Lock()
	sv.failures[host]++
	n := sv.failures[host]
	sv.mu.Unlock()
	sv.logf("refused a key from %s (%d failed so far)", host, n)
	time.Sleep(min(time.Duration(n)*200*time.Millisecond, 3*time.Second))
	return false
}

// program builds the session's UI for its operator, as checked by recheck.
func (sv *server) program(sess ssh.Session) *tea.Program {
	op, ok := sess.Context().Value(checkedKey{}).(store.Operator)
	if !ok {
		wish.Fatalln(sess, "gdprdesk: you are not an operator of this desk")
		return nil
	}
	changes, stop := sv.o.Store.Subscribe()
	m := ui.New(ui.Options{Store: sv.o.Store, Operator: op.Name, Role: op.Role, Now: sv.o.Now, ExportDir: sv.o.ExportDir, Changes: changes})
	// The server's process signals are the server's: on SIGTERM it stops
	// in order (every session told, then ended: Serve). A session's
	// program that also quit on the signal raced that, and its session
	// then ended without being told.
	p := tea.NewProgram(m, append(bm.MakeOptions(sess), tea.WithContext(sess.Context()), tea.WithoutSignalHandler())...)
	sv.mu.Lock()
	sv.programs[p] = true
	sv.ended.Add(1)
	sv.mu.Unlock()
	sess.Context().SetValue(programKey{}, p)
	host, _, _ := net.SplitHostPort(sess.RemoteAddr().String())
	sv.logf("session of %s (%s) from %s", op.Name, op.Role, host)
	go func() {
		<-sess.Context().Done() // the connection closed
		stop()
		sv.forget(p)
	}()
	return p
}

// programKey is the session context key of the session's program.
type programKey struct{}

// sessionEnded is the innermost handler: the Bubble Tea middleware calls it when
// the session's program has ended (quit, or its connection dropped).
func (sv *server) sessionEnded(next ssh.Handler) ssh.Handler {
	return func(sess ssh.Session) {
		if p, ok := sess.Context().Value(programKey{}).(*tea.Program); ok {
			sv.forget(p)
		}
		next(sess)
	}
}

// forget drops an ended program from the running ones, once.
func (sv *server) forget(p *tea.Program) {
	sv.mu.Lock()
	defer sv.mu.Unlock()
	if sv.programs[p] {
		delete(sv.programs, p)
		sv.ended.Done()
	}
}

func (sv *server) count() int {
	sv.mu.Lock()
	defer sv.mu.Unlock()
	return len(sv.programs)
}

// stopAll tells every session the server is stopping: a running bulk
// change stops after its chunk, and the program quits.
func (sv *server) stopAll() {
	sv.mu.Lock()
	defer sv.mu.Unlock()
	for p := range sv.programs {
		p.Send(ui.ShutdownMsg{})
	}
}

func (sv *server) wait(limit time.Duration) {
	done := make(chan struct{})
	go func() { sv.ended.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(limit):
		sv.logf("%d session(s) did not end in %s", sv.count(), limit)
	}
}

// recoverer keeps a panic in one session from taking the server down; the
// log line names the session's operator, never data.
func (sv *server) recoverer(next ssh.Handler) ssh.Handler {
	return func(sess ssh.Session) {
		defer func() {
			if r := recover(); r != nil {
				name, _ := sess.Context().Value(operatorKey{}).(string)
				sv.logf("a session of %s failed and was closed", strings.TrimSpace(name))
			}
		}()
		next(sess)
	}
}
