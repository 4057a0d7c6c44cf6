package server

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"net"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"
	"github.com/gdprdesk/gdprdesk/gdpr"
	"github.com/gdprdesk/gdprdesk/internal/demo"
	"github.com/gdprdesk/gdprdesk/store"
	gossh "golang.org/x/crypto/ssh"
)

func newKey(t testing.TB) (gossh.Signer, string) {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	signer, err := gossh.NewSignerFromKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	return signer, strings.TrimSpace(string(gossh.MarshalAuthorizedKey(signer.PublicKey())))
}

// testServer is a running server over a demo store, with anna, an admin
// registered before it started.
type testServer struct {
	*store.Store
	addr string
	anna gossh.Signer
	stop func() error // stops the server (as SIGTERM does) and returns Serve's error
}

func startServer(t *testing.T, n int) *testServer {
	t.Helper()
	return startServerWith(t, n, nil)
}

// startServerWith starts a server whose options tune sets.
func startServerWith(t *testing.T, n int, tune func(*ServeOptions)) *testServer {
	t.Helper()
	dir := t.TempDir()
	s, err := store.Open(dir, store.Options{Now: fixedNow})
	if err != nil {
		t.Fatal(err)
	}
	if err := demo.FillDemo(t.Context(), s, demo.DemoOptions{Contacts: n, Seed: 1, Operator: "owner", Now: fixedNow}); err != nil {
		t.Fatal(err)
	}
	anna, annaPub := newKey(t)
	if err := s.AddOperator("owner", store.Operator{Name: "anna", Role: gdpr.RoleAdmin, PublicKey: annaPub}); err != nil {
		t.Fatal(err)
	}
	s.Close()
	if s, err = store.Open(dir, store.Options{Now: fixedNow, RemoteOnly: true}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	addr := make(chan string, 1)
	done := make(chan error, 1)
	o := ServeOptions{Store: s, Listen: "127.0.0.1:0", HostKey: filepath.Join(dir, "host_key"),
		Now: fixedNow, ExportDir: t.TempDir(), Ready: func(a net.Addr) { addr <- a.String() }}
	if tune != nil {
		tune(&o)
	}
	go func() { done <- Serve(ctx, o) }()
	var once sync.Once
	var serveErr error
	stop := func() error {
		once.Do(func() {
			cancel()
			serveErr = <-done
		})
		return serveErr
	}
	t.Cleanup(func() {
		if err := stop(); err != nil {
			t.Errorf("serve: %v", err)
		}
		s.Close()
	})
	select {
	case a := <-addr:
		return &testServer{Store: s, addr: a, anna: anna, stop: stop}
	case err := <-done:
		t.Fatalf("serve: %v", err)
	case <-time.After(10 * time.Second):
		t.Fatal("the server did not start")
	}
	return nil
}

// terminal is an SSH session with a pseudo-terminal, whose output is
// collected as it comes.
type terminal struct {
	sess *gossh.Session
	in   interface{ Write([]byte) (int, error) }
	mu   sync.Mutex
	out  bytes.Buffer
}

func (tm *terminal) Write(p []byte) (int, error) {
	tm.mu.Lock()
	defer tm.mu.Unlock()
	return tm.out.Write(p)
}

func (tm *terminal) text() string {
	tm.mu.Lock()
	defer tm.mu.Unlock()
	return ansi.Strip(tm.out.String())
}

// waitFor waits until everything the session printed so far contains text.
func (tm *terminal) waitFor(t *testing.T, text string) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		if strings.Contains(tm.text(), text) {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("the session did not show %q; it showed:\n%s", text, tm.text())
}

// send types s and waits for its frame, as a person does: until the session
// printed something after it and then nothing for a moment (at most 5 s).
// Keys typed at a fixed pace outran a loaded machine: a form's next field
// got text meant for the one before.
func (tm *terminal) send(s string) {
	before := tm.size()
	tm.in.Write([]byte(s))
	deadline := time.Now().Add(5 * time.Second)
	for tm.size() == before && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	for last := tm.size(); time.Now().Before(deadline); {
		time.Sleep(60 * time.Millisecond)
		n := tm.size()
		if n == last {
			return
		}
		last = n
	}
}

func (tm *terminal) size() int {
	tm.mu.Lock()
	defer tm.mu.Unlock()
	return tm.out.Len()
}

func dial(addr, user string, auth gossh.AuthMethod) (*gossh.Client, error) {
	return gossh.Dial("tcp", addr, &gossh.ClientConfig{User: user, Auth: []gossh.AuthMethod{auth},
		HostKeyCallback: gossh.InsecureIgnoreHostKey(), Timeout: 10 * time.Second})
}

func openTerminal(t *testing.T, addr, user string, key gossh.Signer) *terminal {
	t.Helper()
	c, err := dial(addr, user, gossh.PublicKeys(key))
	if err != nil {
		t.Fatalf("%s: %v", user, err)
	}
	t.Cleanup(func() { c.Close() })
	sess, err := c.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	tm := &terminal{sess: sess}
	sess.Stdout = tm
	in, err := sess.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	tm.in = in
	if err := sess.RequestPty("xterm-256color", 40, 120, gossh.TerminalModes{}); err != nil {
		t.Fatal(err)
	}
	if err := sess.Shell(); err != nil {
		t.Fatal(err)
	}
	return tm
}

func TestServeAuthenticatesByKeyOnly(t *testing.T) {
	s := startServer(t, 100)
	addr, annaKey := s.addr, s.anna
	tm := openTerminal(t, addr, "anna", annaKey)
	tm.waitFor(t, "Recent activity")
	tm.waitFor(t, "anna (admin)")

	// The key decides the operator, whatever user name is given.
	tm2 := openTerminal(t, addr, "someone-else", annaKey)
	tm2.waitFor(t, "anna (admin)")

	stranger, _ := newKey(t)
	if _, err := dial(addr, "anna", gossh.PublicKeys(stranger)); err == nil {
		t.Error("an unregistered key got in")
	}
	if _, err := dial(addr, "anna", gossh.Password("hunter2")); err == nil {
		t.Error("a password got in")
	}
	vicKey, vicPub := newKey(t)
	if err := s.AddOperator("anna", store.Operator{Name: "vic", Role: gdpr.RoleViewer, PublicKey: vicPub}); err != nil {
		t.Fatal(err)
	}
	if c, err := dial(addr, "vic", gossh.PublicKeys(vicKey)); err != nil {
		t.Fatalf("vic before removal: %v", err)
	} else {
		c.Close()
	}
	if err := s.RemoveOperator("anna", "vic"); err != nil {
		t.Fatal(err)
	}
	if _, err := dial(addr, "vic", gossh.PublicKeys(vicKey)); err == nil {
		t.Error("a removed operator got in")
	}
}

// A viewer is stopped by the UI with a reason, and the store refuses and
// audits a change made in the viewer's name anyway.
func TestServeViewerCannotChange(t *testing.T) {
	s := startServer(t, 100)
	addr := s.addr
	vicKey, vicPub := newKey(t)
	if err := s.AddOperator("anna", store.Operator{Name: "vic", Role: gdpr.RoleViewer, PublicKey: vicPub}); err != nil {
		t.Fatal(err)
	}
	tm := openTerminal(t, addr, "vic", vicKey)
	tm.waitFor(t, "vic (viewer)")
	tm.send("2")
	tm.waitFor(t, "row 1")
	tm.send("A")
	tm.send("b")
	tm.waitFor(t, "viewers cannot change lawful bases")
	q, _ := gdpr.ParseQuery("country:DE")
	if _, err := s.ApplyBasis(context.Background(), "vic", q, store.BasisChange{Basis: gdpr.BasisLegitimateInterests, Evidence: "x"}, nil); err == nil {
		t.Fatal("the store let a viewer tag")
	}
	es, _ := s.Audit(store.AuditFilter{Operator: "vic"}, 0, 1)
	if len(es) != 1 || es[0].Action != "access.refused" {
		t.Fatalf("the refusal was not audited: %+v", es)
	}
}

// newsletter registers the consent purpose a bulk consent names.
func newsletter(t *testing.T, s *testServer) {
	t.Helper()
	if err := s.SavePurpose("anna", gdpr.Purpose{Name: "newsletter", Basis: gdpr.BasisConsent, Marketing: true}); err != nil {
		t.Fatal(err)
	}
}

// Two sessions on one store: a change made in one shows in the other.
func TestServeSessionsSeeEachOther(t *testing.T) {
	s := startServer(t, 300)
	addr := s.addr
	newsletter(t, s)
	benKey, benPub := newKey(t)
	if err := s.AddOperator("anna", store.Operator{Name: "ben", Role: gdpr.RoleStaff, PublicKey: benPub}); err != nil {
		t.Fatal(err)
	}
	anna := openTerminal(t, addr, "anna", s.anna)
	ben := openTerminal(t, addr, "ben", benKey)
	anna.waitFor(t, "Recent activity")
	ben.waitFor(t, "Recent activity")
	before, _ := s.Counts()
	// anna gives every EU contact without a basis consent, from her keyboard.
	anna.send("w")
	anna.waitFor(t, "matches · row 1")
	anna.send("A")
	anna.send("b")
	anna.waitFor(t, "Lawful basis for")
	anna.send("\r")
	anna.send("\r")
	anna.send("newsletter") // consent is given per purpose
	anna.send("\r")
	anna.send("\r")
	anna.send("signed forms")
	anna.send("\r")
	anna.waitFor(t, "Add consent")
	anna.send("y")
	anna.waitFor(t, "Added the lawful basis Consent to")
	after, _ := s.Counts()
	if after.EUWithoutBasis >= before.EUWithoutBasis {
		t.Fatalf("EU without basis %d → %d", before.EUWithoutBasis, after.EUWithoutBasis)
	}
	// ben, who did nothing, sees the new figure on his dashboard.
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(ben.text(), "consent.grant") && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if !strings.Contains(ben.text(), "consent.grant") {
		t.Fatal("ben's dashboard did not show anna's change")
	}
}

// A session that drops in the middle of a bulk change, and a server stopped
// with sessions open, leave the store consistent.
func TestServeDropAndStopLeaveTheStoreConsistent(t *testing.T) {
	s := startServer(t, 3000)
	newsletter(t, s)
	tm := openTerminal(t, s.addr, "anna", s.anna)
	tm.waitFor(t, "Recent activity")
	tm.send("2")
	tm.waitFor(t, "row 1")
	tm.send("A")
	tm.send("b")
	tm.waitFor(t, "Lawful basis for")
	tm.send("\r")
	tm.send("\r")
	tm.send("newsletter")
	tm.send("\r")
	tm.send("\r")
	tm.send("paper forms")
	tm.send("\r")
	tm.waitFor(t, "Add consent")
	tm.in.Write([]byte("y"))
	tm.sess.Close() // the connection drops at once
	other := openTerminal(t, s.addr, "anna", s.anna)
	other.waitFor(t, "Recent activity")
	start := time.Now()
	if err := s.stop(); err != nil {
		t.Fatalf("stop: %v", err)
	}
	t.Logf("stopped in %s", time.Since(start))
	if d := time.Since(start); d > 20*time.Second {
		t.Errorf("stopping took %s", d)
	}
	rep, err := s.VerifyAudit()
	if err != nil || !rep.OK() {
		t.Fatalf("after the drop and the stop: %v %+v", err, rep)
	}
}

var testNow = time.Date(2026, 11, 29, 10, 0, 0, 0, time.UTC)

func fixedNow() time.Time { return testNow }

// An operator given another key while logged in loses the session made with
// the old one at once, and the old key no longer gets in; the new one does.
func TestServeEndsTheSessionsOfAReplacedKey(t *testing.T) {
	s := startServer(t, 50)
	vicKey, vicPub := newKey(t)
	if err := s.AddOperator("anna", store.Operator{Name: "vic", Role: gdpr.RoleStaff, PublicKey: vicPub}); err != nil {
		t.Fatal(err)
	}
	tm := openTerminal(t, s.addr, "vic", vicKey)
	tm.waitFor(t, "vic (staff)")
	ended := make(chan error, 1)
	go func() { ended <- tm.sess.Wait() }()
	newVic, newPub := newKey(t)
	if err := s.RemoveOperator("anna", "vic"); err != nil {
		t.Fatal(err)
	}
	if err := s.AddOperator("anna", store.Operator{Name: "vic", Role: gdpr.RoleStaff, PublicKey: newPub}); err != nil {
		t.Fatal(err)
	}
	select {
	case <-ended:
	case <-time.After(10 * time.Second):
		t.Fatal("the session of vic's old key still runs")
	}
	if c, err := dial(s.addr, "vic", gossh.PublicKeys(vicKey)); err == nil {
		c.Close()
		t.Error("vic's old key got in")
	}
	openTerminal(t, s.addr, "vic", newVic).waitFor(t, "vic (staff)")
}

// A session with a command on a server that runs none (no
// ServeOptions.Exec) is refused in one line with a non-zero status (the
// command line's tests run commands through Exec).
func TestServeWithoutExecRefusesCommands(t *testing.T) {
	s := startServer(t, 10)
	c, err := dial(s.addr, "whoever", gossh.PublicKeys(s.anna))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	sess, err := c.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	var errb bytes.Buffer
	sess.Stderr = &errb
	err = sess.Run("contacts --json")
	var ee *gossh.ExitError
	if !errors.As(err, &ee) || ee.ExitStatus() == 0 || !strings.HasPrefix(errb.String(), "gdprdesk: ") || strings.Count(errb.String(), "\n") != 1 {
		t.Fatalf("a command without Exec: %v, stderr %q", err, errb.String())
	}
}

// A session with neither a command nor a terminal (ssh -T) is told it
// needs one, and leaves no program behind: stopping the server while its
// connection stays open does not wait on a program that never ran.
func TestServeShellWithoutTerminal(t *testing.T) {
	s := startServer(t, 10)
	c, err := dial(s.addr, "whoever", gossh.PublicKeys(s.anna))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	sess, err := c.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	var outb, errb bytes.Buffer // one buffer each: the session writes them from two goroutines
	sess.Stdout, sess.Stderr = &outb, &errb
	if err := sess.Shell(); err != nil {
		t.Fatal(err)
	}
	if err := sess.Wait(); err == nil {
		t.Error("a shell without a terminal ended without an error status")
	}
	if said := outb.String() + errb.String(); !strings.Contains(said, "PTY") && !strings.Contains(said, "needs a terminal") {
		t.Errorf("the session said %q, want that a terminal is needed", said)
	}
	stopped := make(chan error, 1)
	go func() { stopped <- s.stop() }()
	select { // the connection is still open
	case err := <-stopped:
		if err != nil {
			t.Errorf("stop: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the server did not stop: it waits on a program that never ran")
	}
}
