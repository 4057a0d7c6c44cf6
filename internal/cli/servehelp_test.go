package cli

import (
	"bytes"
	"crypto/ed25519"
	"encoding/pem"
	"errors"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	gossh "golang.org/x/crypto/ssh"

	"github.com/gdprdesk/gdprdesk/store"
)

// Helpers of the tests of commands while serve runs (serve_test.go).

// waitUntil waits for cond, failing the test with what after limit.
func waitUntil(t *testing.T, limit time.Duration, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(limit); !cond(); {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting until %s", limit, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// runIn runs the real program in the working directory wd with stdin.
func runIn(t *testing.T, wd string, stdin io.Reader, args ...string) result {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe, args...)
	cmd.Dir, cmd.Stdin = wd, stdin
	cmd.Env = append(os.Environ(), "GDPRDESK_RUN_MAIN=1", "GDPRDESK_DATA=", "GDPRDESK_KEY_FILE=")
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err = cmd.Run()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return result{ee.ExitCode(), out.String(), errb.String()}
	} else if err != nil {
		t.Fatalf("run %v: %v", args, err)
	}
	return result{0, out.String(), errb.String()}
}

// newOperator registers an operator with a new key (before serve runs).
func newOperator(t *testing.T, dir, name, role string) gossh.Signer {
	t.Helper()
	signer, _ := newOperatorKeyFile(t, dir, name, role)
	return signer
}

// newOperatorKeyFile registers an operator with a new key and writes its
// private key to a file (0600) for the ssh and scp programs.
func newOperatorKeyFile(t *testing.T, dir, name, role string) (gossh.Signer, string) {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	signer, err := gossh.NewSignerFromKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	key := string(gossh.MarshalAuthorizedKey(signer.PublicKey()))
	if r := gdprdesk(t, "operator", "add", name, "--key", key, "--role", role, "--data", dir); r.code != 0 {
		t.Fatalf("operator add %s: %s", name, r.stderr)
	}
	block, err := gossh.MarshalPrivateKey(priv, "")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), name+".key")
	if err := os.WriteFile(path, pem.EncodeToMemory(block), 0o600); err != nil {
		t.Fatal(err)
	}
	return signer, path
}

// startServe runs `gdprdesk serve` on dir as its own process until the
// test ends (or the returned function stops it), and returns its address
// once its control socket and SSH port answer.
func startServe(t *testing.T, dir string) (addr string, stop func()) {
	t.Helper()
	addr, stop, _ = startServeLog(t, dir)
	return addr, stop
}

// startServeLog is startServe that also returns the server's log (its
// stderr), complete once stop has returned.
func startServeLog(t *testing.T, dir string) (addr string, stop func(), log *bytes.Buffer) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr = l.Addr().String()
	l.Close()
	exe, _ := os.Executable()
	serve := exec.Command(exe, "serve", "--data", dir, "--listen", addr)
	serve.Env = append(os.Environ(), "GDPRDESK_RUN_MAIN=1", "GDPRDESK_DATA=", "GDPRDESK_KEY_FILE=")
	// The server works in DIR/../wd/deep, so a file that escaped would
	// land in DIR/../escape.csv (see TestCommandsOverSSH).
	serve.Dir = filepath.Join(filepath.Dir(dir), "wd", "deep")
	if err := os.MkdirAll(serve.Dir, 0o700); err != nil {
		t.Fatal(err)
	}
	serr := new(bytes.Buffer)
	serve.Stderr = serr
	if err := serve.Start(); err != nil {
		t.Fatal(err)
	}
	stopped := false
	stop = func() {
		if !stopped {
			stopped = true
			serve.Process.Signal(syscall.SIGTERM)
			serve.Wait()
		}
	}
	t.Cleanup(stop)
	waitUntil(t, 10*time.Second, "serve answers", func() bool {
		c, err := net.Dial("unix", controlSocket(dir))
		if err != nil {
			return false
		}
		c.Close()
		c, err = net.Dial("tcp", addr)
		if err != nil {
			return false
		}
		c.Close()
		return true
	})
	return addr, stop, serr
}

// sshRun runs one command over SSH as the key's operator.
func sshRun(t *testing.T, addr string, key gossh.Signer, stdin io.Reader, command string) result {
	t.Helper()
	c, err := sshDial(addr, key)
	if err != nil {
		t.Fatalf("ssh %s: %v", command, err)
	}
	defer c.Close()
	sess, err := c.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	var out, errb bytes.Buffer
	sess.Stdout, sess.Stderr, sess.Stdin = &out, &errb, stdin
	err = sess.Run(command)
	var ee *gossh.ExitError
	code := 0
	if errors.As(err, &ee) {
		code = ee.ExitStatus()
	} else if err != nil {
		t.Fatalf("ssh %s: %v", command, err)
	}
	return result{code, out.String(), errb.String()}
}

func sshDial(addr string, key gossh.Signer) (*gossh.Client, error) {
	return gossh.Dial("tcp", addr, &gossh.ClientConfig{User: "desk", Auth: []gossh.AuthMethod{gossh.PublicKeys(key)},
		HostKeyCallback: gossh.InsecureIgnoreHostKey(), Timeout: 10 * time.Second})
}

// auditOf reads the operator's audit entries once serve has stopped.
func auditOf(t *testing.T, dir, operator string) []store.AuditEntry {
	t.Helper()
	s, err := store.Open(dir, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	entries, err := s.Audit(store.AuditFilter{Operator: operator}, 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	return entries
}

func hasAction(entries []store.AuditEntry, action, detail string) bool {
	for _, e := range entries {
		if e.Action == action && strings.Contains(e.Detail, detail) {
			return true
		}
	}
	return false
}

// syncBuffer collects a session's output as it comes.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) Len() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Len()
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// openTUI opens a terminal session as the key's operator, waits until its
// UI draws, and returns its screen and a channel that gets the session's
// end.
func openTUI(t *testing.T, addr string, key gossh.Signer) (*syncBuffer, <-chan error) {
	t.Helper()
	c, err := sshDial(addr, key)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	sess, err := c.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	screen := new(syncBuffer)
	sess.Stdout = screen
	if _, err := sess.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	if err := sess.RequestPty("xterm-256color", 40, 120, gossh.TerminalModes{}); err != nil {
		t.Fatal(err)
	}
	if err := sess.Shell(); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, 15*time.Second, "the terminal UI draws", func() bool { return strings.Contains(screen.String(), "Dashboard") })
	ended := make(chan error, 1)
	go func() { ended <- sess.Wait() }()
	return screen, ended
}
