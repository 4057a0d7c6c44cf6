package server

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/gdprdesk/gdprdesk/gdpr"
	"github.com/gdprdesk/gdprdesk/store"
	gossh "golang.org/x/crypto/ssh"
)

// Each session is checked again against the operator's current key when
// it starts (SPEC §8): a connection that authenticated before its operator
// was removed, and opens a session only afterwards, gets nothing.
func TestServeChecksTheKeyAgainForEachSession(t *testing.T) {
	s := startServer(t, 20)
	vicKey, vicPub := newKey(t)
	if err := s.AddOperator("anna", store.Operator{Name: "vic", Role: gdpr.RoleStaff, PublicKey: vicPub}); err != nil {
		t.Fatal(err)
	}
	c, err := dial(s.addr, "vic", gossh.PublicKeys(vicKey))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	sess, err := c.NewSession() // a first session while vic is registered
	if err != nil {
		t.Fatal(err)
	}
	sess.Close()
	if err := s.RemoveOperator("anna", "vic"); err != nil {
		t.Fatal(err)
	}
	sess, err = c.NewSession() // no session was open, so the connection is still up
	if err != nil {
		t.Fatal(err)
	}
	var errb bytes.Buffer
	sess.Stderr = &errb
	err = sess.Run("contacts --json")
	var ee *gossh.ExitError
	if !errors.As(err, &ee) || ee.ExitStatus() == 0 || !strings.Contains(errb.String(), "not an operator") {
		t.Fatalf("a session of a removed operator's connection: %v, stderr %q; want a refusal", err, errb.String())
	}
}
