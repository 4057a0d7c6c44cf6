package server

import (
	"context"
	"io"
	"net"

	"charm.land/ssh"
	"charm.land/wish/v2"
	"charm.land/wish/v2/activeterm"
	"github.com/gdprdesk/gdprdesk/store"
)

// live is an open session, known by its operator so that removing the
// operator can end it.
type live struct {
	operator string
	key      ssh.PublicKey
	end      func() // closes the session's connection

	seen store.Operator // the operator's entry as the session started
}

// checkedKey is the session context key of the operator as recheck found
// them (a store.Operator).
type checkedKey struct{}

// track registers the session under its operator for as long as it runs.
// It runs before recheck, so an operator removed between authentication
// and the check is caught by one or the other.
func (sv *server) track(next ssh.Handler) ssh.Handler {
	return func(sess ssh.Session) {
		name, _ := sess.Context().Value(operatorKey{}).(string)
		l := &live{operator: name, key: sess.PublicKey(), end: func() { sess.Close() }}
		l.seen, _ = sv.current(name)
		if conn, ok := sess.Context().Value(ssh.ContextKeyConn).(interface{ Close() error }); ok {
			l.end = func() { conn.Close() }
		}
		sv.mu.Lock()
		sv.sessions[l] = true
		sv.mu.Unlock()
		defer func() {
			sv.mu.Lock()
			delete(sv.sessions, l)
			sv.mu.Unlock()
		}()
		next(sess)
	}
}

// recheck checks the session's key again, after authentication, against
// the current key of the operator it authenticated as (as soft-serve does):
// an operator removed or given another key since is refused before any
// program or command starts.
func (sv *server) recheck(next ssh.Handler) ssh.Handler {
	return func(sess ssh.Session) {
		name, _ := sess.Context().Value(operatorKey{}).(string)
		op, ok := sv.current(name)
		if !ok || sess.PublicKey() == nil || !keyMatches(op, sess.PublicKey()) {
			sv.logf("refused a session of %s: no longer an operator with this key", name)
			wish.Fatalln(sess, "gdprdesk: you are not an operator of this desk")
			return
		}
		sess.Context().SetValue(checkedKey{}, op)
		next(sess)
	}
}

// current is the operator registered under name.
func (sv *server) current(name string) (store.Operator, bool) {
	ops, err := sv.o.Store.Operators()
	if err != nil {
		return store.Operator{}, false
	}
	for _, op := range ops {
		if op.Name == name {
			return op, true
		}
	}
	return store.Operator{}, false
}

// sameEntry reports whether two reads of an operator's entry are the same
// registration (a replacement gives a new one).
func sameEntry(a, b store.Operator) bool {
	return a.Name == b.Name && a.Role == b.Role && a.PublicKey == b.PublicKey && a.AddedBy == b.AddedBy && a.AddedAt.Equal(b.AddedAt)
}

func keyMatches(op store.Operator, key ssh.PublicKey) bool {
	pk, _, _, _, err := ssh.ParseAuthorizedKey([]byte(op.PublicKey))
	return err == nil && ssh.KeysEqual(pk, key)
}

// command carries out the command line a session came with (ssh desk
// contacts --json) through ServeOptions.Exec, as the session's operator, and
// ends the session with the command's exit status. A session without a
// command goes on to the terminal UI, which needs a terminal.
func (sv *server) command(next ssh.Handler) ssh.Handler {
	tui := activeterm.Middleware()(next) // a session without a terminal is told and closed
	return func(sess ssh.Session) {
		args := sess.Command()
		if len(args) == 0 {
			tui(sess)
			return
		}
		op, _ := sess.Context().Value(checkedKey{}).(store.Operator)
		if sv.o.Exec == nil {
			wish.Fatalln(sess, "gdprdesk: this server runs no commands; connect without one for the terminal UI")
			return
		}
		ctx, cancel := context.WithCancel(sess.Context())
		defer cancel()
		defer context.AfterFunc(sv.stopping, cancel)() // the server stops: so does the command
		sv.mu.Lock()
		sv.ended.Add(1)
		sv.mu.Unlock()
		defer sv.ended.Done()
		// The command reads the session through a pipe, so that one
		// waiting for input stops when the server stops.
		stdin, feed := io.Pipe()
		defer stdin.Close()
		go func() { _, err := io.Copy(feed, sess); feed.CloseWithError(err) }() // nil: EOF
		defer context.AfterFunc(ctx, func() { feed.CloseWithError(context.Canceled) })()
		_, _, pty := sess.Pty()
		host, _, _ := net.SplitHostPort(sess.RemoteAddr().String())
		sv.logf("command session of %s (%s) from %s", op.Name, op.Role, host)
		code := sv.o.Exec(ctx, Command{Args: args, Operator: op.Name, Stdin: stdin, Stdout: sess, Stderr: sess.Stderr(), Terminal: pty})
		sv.logf("command session of %s ended with status %d", op.Name, code)
		sess.Exit(code)
	}
}

// watchOperators ends, after every change to the store, the open sessions
// of operators no longer registered with the key they logged in with, until
// ctx ends.
func (sv *server) watchOperators(ctx context.Context, changes <-chan struct{}) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-changes:
			sv.endRemoved()
		}
	}
}

// endRemoved closes the sessions of operators removed, replaced (another
// key or role: operator add --replace) or given another key, since they
// logged in.
func (sv *server) endRemoved() {
	ops, err := sv.o.Store.Operators()
	if err != nil {
		sv.logf("cannot read the operators to check the open sessions")
		return
	}
	byName := make(map[string]store.Operator, len(ops))
	for _, op := range ops {
		byName[op.Name] = op
	}
	sv.mu.Lock()
	var gone []*live
	for l := range sv.sessions {
		if op, ok := byName[l.operator]; !ok || l.key == nil || !keyMatches(op, l.key) || !sameEntry(op, l.seen) {
			gone = append(gone, l)
		}
	}
	sv.mu.Unlock()
	for _, l := range gone {
		sv.logf("ended a session of %s: removed, replaced, or no longer an operator with this key", l.operator)
		l.end()
	}
}
