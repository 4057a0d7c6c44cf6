// Package smtptest is a real SMTP server for tests (github.com/emersion/go-smtp)
// that keeps what it receives, so a test can read back what the desk sent.
package smtptest

import (
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// Received is one message the server took.
type Received struct {
	From string
	To   []string
	Data []byte // the message as sent (RFC 5322)
}

// Server listens on 127.0.0.1 until the test ends.
type Server struct {
	Host string
	Port int

	mu       sync.Mutex
	received []Received
	refuse   map[string]bool // lower-case recipient addresses refused at RCPT
	deferred map[string]bool // lower-case recipient addresses answered 451 (try later) at RCPT
	user, pw string          // when set, mail is taken only after AUTH PLAIN with them
	authed   []string        // the users who authenticated
	srv      *smtp.Server
}

// Start starts a server on a free port of 127.0.0.1, without TLS, and
// stops it when the test ends.
func Start(t testing.TB) *Server {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{refuse: map[string]bool{}, deferred: map[string]bool{}}
	s.srv = smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) { return &session{s: s}, nil }))
	s.srv.Domain = "localhost"
	s.srv.AllowInsecureAuth = true // tests run without TLS
	s.srv.ReadTimeout, s.srv.WriteTimeout = 30*time.Second, 30*time.Second
	s.srv.MaxMessageBytes = 32 << 20
	host, port, _ := net.SplitHostPort(l.Addr().String())
	s.Host = host
	s.Port, _ = strconv.Atoi(port)
	go func() { _ = s.srv.Serve(l) }()
	t.Cleanup(func() { _ = s.srv.Close() })
	return s
}

// Refuse makes the server refuse a recipient at RCPT TO with 550.
func (s *Server) Refuse(addr string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.refuse[strings.ToLower(addr)] = true
}

// Defer makes the server answer a recipient at RCPT TO with 451, a
// transient failure (try again later), until Accept.
func (s *Server) Defer(addr string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.deferred[strings.ToLower(addr)] = true
}

// Accept undoes Refuse and Defer for a recipient.
func (s *Server) Accept(addr string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.refuse, strings.ToLower(addr))
	delete(s.deferred, strings.ToLower(addr))
}

// RequireAuth makes the server take mail only after AUTH PLAIN with this
// user and password.
func (s *Server) RequireAuth(user, password string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.user, s.pw = user, password
}

// Authenticated returns the users who authenticated so far.
func (s *Server) Authenticated() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.authed...)
}

// Received returns the messages taken so far.
func (s *Server) Received() []Received {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Received(nil), s.received...)
}

type session struct {
	s      *Server
	from   string
	to     []string
	authed bool
}

func (x *session) AuthMechanisms() []string { return []string{sasl.Plain} }

func (x *session) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, user, password string) error {
		x.s.mu.Lock()
		defer x.s.mu.Unlock()
		if user != x.s.user || password != x.s.pw || x.s.user == "" {
			return smtp.ErrAuthFailed
		}
		x.authed = true
		x.s.authed = append(x.s.authed, user)
		return nil
	}), nil
}

func (x *session) Reset()        { x.from, x.to = "", nil }
func (x *session) Logout() error { return nil }

func (x *session) Mail(from string, _ *smtp.MailOptions) error {
	x.s.mu.Lock()
	need := x.s.user != ""
	x.s.mu.Unlock()
	if need && !x.authed {
		return smtp.ErrAuthRequired
	}
	x.from = from
	return nil
}

func (x *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	x.s.mu.Lock()
	refused, deferred := x.s.refuse[strings.ToLower(to)], x.s.deferred[strings.ToLower(to)]
	x.s.mu.Unlock()
	if deferred {
		return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: fmt.Sprintf("<%s>: try again later", to)}
	}
	if refused {
		return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: fmt.Sprintf("<%s>: mailbox unavailable", to)}
	}
	x.to = append(x.to, to)
	return nil
}

func (x *session) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	x.s.mu.Lock()
	x.s.received = append(x.s.received, Received{From: x.from, To: append([]string(nil), x.to...), Data: b})
	x.s.mu.Unlock()
	return nil
}
