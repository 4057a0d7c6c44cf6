package store

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/gdprdesk/gdprdesk/gdpr"
)

func masterBytes(t *testing.T, dir string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "keys", masterKeyFile))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func openWith(t *testing.T, dir string, opts Options) (*Store, error) {
	t.Helper()
	opts.Now = newClock(t0).Now
	s, err := Open(dir, opts)
	if err == nil {
		t.Cleanup(func() { s.Close() })
	}
	return s, err
}

// A store encrypted at rest keeps its master key wrapped by the key file
// (SPEC §8: the master key kept outside the data directory), and a plain
// master key of a store made before is wrapped when it next opens.
func TestKeyFileWrapsTheMasterKey(t *testing.T) {
	key := testKey(t)
	dir := t.TempDir()
	s, err := openWith(t, dir, Options{EncryptionKey: key})
	if err != nil {
		t.Fatal(err)
	}
	id := mustCreate(t, s, gdpr.Contact{FirstName: "Wrapped", Email: "wrapped@example.org"})[0]
	if got := s.MasterProtection(); got != "key file" {
		t.Errorf("MasterProtection = %q, want key file", got)
	}
	raw, _, err := s.keys.wrap.readMaster(filepath.Join(dir, "keys", masterKeyFile))
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	onDisk := masterBytes(t, dir)
	if len(onDisk) == dataKeySize || bytes.Contains(onDisk, raw) {
		t.Fatalf("master.key holds the master key in clear (%d bytes)", len(onDisk))
	}
	// An older store: the same key, plain.
	if err := os.WriteFile(filepath.Join(dir, "keys", masterKeyFile), raw, 0o600); err != nil {
		t.Fatal(err)
	}
	s, err = openWith(t, dir, Options{EncryptionKey: key})
	if err != nil {
		t.Fatal(err)
	}
	if c, err := s.Contact(id); err != nil || c.FirstName != "Wrapped" {
		t.Errorf("contact after wrapping = %+v, %v", c, err)
	}
	s.Close()
	if b := masterBytes(t, dir); len(b) == dataKeySize || bytes.Contains(b, raw) {
		t.Error("a plain master key of an encrypted store was not wrapped at open")
	}
	// The directory alone (marker gone) opens nothing.
	if err := os.Remove(filepath.Join(dir, encryptionFile)); err != nil {
		t.Fatal(err)
	}
	if _, err := openWith(t, dir, Options{}); !errors.Is(err, ErrEncrypted) {
		t.Errorf("Open without the key file = %v, want ErrEncrypted", err)
	}
}

// A master key wrapped by a passphrase opens with it, is refused with a
// clear error without it or with another, survives a rotation, and can be
// made plain again. Setting it is audited and an admin's alone.
func TestPassphraseWrapsTheMasterKey(t *testing.T) {
	dir := t.TempDir()
	s, err := openWith(t, dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	id := mustCreate(t, s, gdpr.Contact{FirstName: "Guarded", Email: "guarded@example.org"})[0]
	addOp(t, s, "sam", gdpr.RoleStaff)
	pass := []byte("a long and private passphrase")
	if err := s.SetMasterPassphrase("sam", pass); !errors.Is(err, ErrForbidden) {
		t.Errorf("staff set the passphrase: %v", err)
	}
	if len(masterBytes(t, dir)) != dataKeySize {
		t.Error("a refused passphrase changed master.key")
	}
	if err := s.SetMasterPassphrase("owner", []byte("short")); !errors.Is(err, ErrShortPassphrase) {
		t.Errorf("short passphrase: %v", err)
	}
	raw := masterBytes(t, dir)
	if err := s.SetMasterPassphrase("owner", pass); err != nil {
		t.Fatal(err)
	}
	if got := s.MasterProtection(); got != "passphrase" {
		t.Errorf("MasterProtection = %q", got)
	}
	entries, err := s.Audit(AuditFilter{}, 0, 1)
	if err != nil || len(entries) == 0 || entries[0].Action != string(gdpr.ActionKeysRotate) || entries[0].Operator != "owner" {
		t.Errorf("last audit entry = %+v, %v; want keys.rotate by owner", entries, err)
	}
	s.Close()
	if b := masterBytes(t, dir); bytes.Contains(b, raw) {
		t.Error("master.key still holds the key in clear")
	}

	if _, err := openWith(t, dir, Options{}); !errors.Is(err, ErrNeedPassphrase) {
		t.Errorf("Open without a passphrase = %v, want ErrNeedPassphrase", err)
	}
	wrong := func() ([]byte, error) { return []byte("not the passphrase at all"), nil }
	if _, err := openWith(t, dir, Options{Passphrase: wrong}); !errors.Is(err, ErrPassphrase) {
		t.Errorf("Open with a wrong passphrase = %v, want ErrPassphrase", err)
	}
	asked := 0
	right := func() ([]byte, error) { asked++; return pass, nil }
	s, err = openWith(t, dir, Options{Passphrase: right})
	if err != nil {
		t.Fatal(err)
	}
	if c, err := s.Contact(id); err != nil || c.FirstName != "Guarded" {
		t.Errorf("contact = %+v, %v", c, err)
	}
	if err := s.RotateMasterKey("owner"); err != nil {
		t.Fatal(err)
	}
	s.Close()
	if asked != 1 {
		t.Errorf("the passphrase was asked %d times, want once", asked)
	}
	if _, err := openWith(t, dir, Options{}); !errors.Is(err, ErrNeedPassphrase) {
		t.Errorf("after a rotation the master key is not wrapped by the passphrase: %v", err)
	}
	s, err = openWith(t, dir, Options{Passphrase: right})
	if err != nil {
		t.Fatalf("Open after rotation with the passphrase: %v", err)
	}
	if err := s.SetMasterPassphrase("owner", nil); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s, err = openWith(t, dir, Options{})
	if err != nil {
		t.Fatalf("Open after removing the passphrase: %v", err)
	}
	if c, err := s.Contact(id); err != nil || c.FirstName != "Guarded" {
		t.Errorf("contact = %+v, %v", c, err)
	}
}

// After a rotation the store opens with the new master key and every
// contact reads; the old master key no longer opens the key ring. Staff
// cannot rotate, and a refused rotation changes nothing.
func TestRotatedMasterKeyReplacesTheOld(t *testing.T) {
	dir := t.TempDir()
	s, err := openWith(t, dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	ids := mustCreate(t, s, gdpr.Contact{FirstName: "One", Email: "one@example.org"}, gdpr.Contact{FirstName: "Two", Email: "two@example.org"})
	addOp(t, s, "sam", gdpr.RoleStaff)
	old := masterBytes(t, dir)
	if err := s.RotateMasterKey("sam"); !errors.Is(err, ErrForbidden) {
		t.Errorf("staff rotated the master key: %v", err)
	}
	if !bytes.Equal(masterBytes(t, dir), old) {
		t.Fatal("a refused rotation changed the master key")
	}
	if err := s.RotateMasterKey("owner"); err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(masterBytes(t, dir), old) {
		t.Fatal("the master key did not change")
	}
	s.Close()
	s, err = openWith(t, dir, Options{})
	if err != nil {
		t.Fatalf("Open with the new master key: %v", err)
	}
	for i, id := range ids {
		if c, err := s.Contact(id); err != nil || c.FirstName != []string{"One", "Two"}[i] {
			t.Errorf("contact %s after rotation = %+v, %v", id, c, err)
		}
	}
	checkVerified(t, s)
	s.Close()
	if err := os.WriteFile(filepath.Join(dir, "keys", masterKeyFile), old, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := openWith(t, dir, Options{}); err == nil {
		t.Error("the old master key still opens the key ring")
	}
}
