package cli

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	gossh "golang.org/x/crypto/ssh"

	"github.com/gdprdesk/gdprdesk/gdpr"
	"github.com/gdprdesk/gdprdesk/store"
)

// gdprdeskEnv runs the command like gdprdesk, with extra environment
// variables.
func gdprdeskEnv(t *testing.T, env []string, args ...string) result {
	t.Helper()
	return runCLI(t, append([]string{"XDG_DATA_HOME=" + t.TempDir()}, env...), args...)
}

// backupPass is the environment that gives the tests' backups their
// passphrase.
var backupPass = []string{envBackupPassphrase + "=correct horse battery staple"}

func writeKeyFile(t *testing.T, contents []byte) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "desk.key")
	if err := os.WriteFile(path, contents, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func randomKey(t *testing.T) []byte {
	t.Helper()
	k := make([]byte, 32)
	for i := range k {
		k[i] = byte(sha256.Sum256([]byte(t.Name() + string(rune(i))))[0])
	}
	return k
}

// An encrypted data directory opens with its key (flag or environment),
// and is refused with one line without it, with a wrong key, or with a
// key file that holds no key.
func TestKeyFileEncryptsAndIsRequired(t *testing.T) {
	key := writeKeyFile(t, []byte(hex.EncodeToString(randomKey(t))+"\n"))
	dir := filepath.Join(t.TempDir(), "D")
	if r := gdprdeskEnv(t, nil, "demo", "--no-tui", "--contacts", "40", "--data", dir, "--key-file", key); r.code != 0 {
		t.Fatalf("demo with --key-file: exit %d: %s", r.code, r.stderr)
	}
	if r := gdprdeskEnv(t, []string{"GDPRDESK_KEY_FILE=" + key}, "audit", "verify", "--data", dir); r.code != 0 {
		t.Errorf("audit verify with GDPRDESK_KEY_FILE: exit %d: %s", r.code, r.stderr)
	}
	r := gdprdeskEnv(t, nil, "contacts", "--data", dir)
	if r.code != exitFailure {
		t.Errorf("without a key: exit %d, want 1", r.code)
	}
	oneErrorLine(t, r, "data directory "+dir+" is encrypted: give its key with --key-file or GDPRDESK_KEY_FILE")
	wrong := writeKeyFile(t, bytes.Repeat([]byte{7}, 32))
	r = gdprdeskEnv(t, nil, "contacts", "--data", dir, "--key-file", wrong)
	oneErrorLine(t, r, "the key does not open it")
	bad := writeKeyFile(t, []byte("secret\n"))
	r = gdprdeskEnv(t, nil, "contacts", "--data", dir, "--key-file", bad)
	oneErrorLine(t, r, "--key-file: key file "+bad+" holds 7 bytes, not a key")
	plain := demoDir(t)
	r = gdprdeskEnv(t, []string{"GDPRDESK_KEY_FILE=" + key}, "contacts", "--data", plain)
	oneErrorLine(t, r, "is not encrypted, but a key was given")
}

// TestBackupRestoreCommandsRoundTrip: backup, restore into a new directory,
// and the restored desk verifies and lists, exports and audits the same.
func TestBackupRestoreCommandsRoundTrip(t *testing.T) {
	dir := demoDir(t)
	backup := filepath.Join(t.TempDir(), "desk.tar")
	r := gdprdeskEnv(t, backupPass, "backup", "--data", dir, "--out", backup)
	if r.code != 0 || !strings.Contains(r.stdout, ": 2,000 contacts, ") || !strings.Contains(r.stdout, "encrypted with your passphrase, checked") {
		t.Fatalf("backup: exit %d: %s%s", r.code, r.stdout, r.stderr)
	}
	r = gdprdeskEnv(t, backupPass, "backup", "--data", dir, "--out", backup)
	oneErrorLine(t, r, "choose a new file name")
	// Without a passphrase (and no terminal to ask on) nothing is written.
	none := filepath.Join(t.TempDir(), "none.tar")
	r = gdprdesk(t, "backup", "--data", dir, "--out", none)
	oneErrorLine(t, r, "no passphrase given: give it with --passphrase-file FILE (- for stdin) or GDPRDESK_BACKUP_PASSPHRASE")
	if _, err := os.Stat(none); !errors.Is(err, os.ErrNotExist) {
		t.Error("a backup without a passphrase left a file")
	}
	// The file holds nobody in clear.
	someone := listJSON(t, dir, "").Contacts[0]
	raw, err := os.ReadFile(backup)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(raw, []byte(someone.Email)) || bytes.Contains(raw, []byte(someone.LastName)) {
		t.Errorf("the backup holds %s's address or name in clear", someone.ID)
	}
	// A wrong passphrase is refused and writes nothing.
	wrong := filepath.Join(t.TempDir(), "W")
	r = gdprdeskEnv(t, []string{envBackupPassphrase + "=not the right one"}, "restore", backup, "--data", wrong)
	oneErrorLine(t, r, "the passphrase does not open this backup")
	if _, err := os.Stat(wrong); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a restore with the wrong passphrase made %s", wrong)
	}
	r = gdprdesk(t, "restore", backup, "--data", wrong)
	oneErrorLine(t, r, "the backup is encrypted: no passphrase given")
	// The passphrase from a file restores.
	passFile := filepath.Join(t.TempDir(), "pass")
	if err := os.WriteFile(passFile, []byte("correct horse battery staple\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	restored := filepath.Join(t.TempDir(), "R")
	r = gdprdesk(t, "restore", backup, "--data", restored, "--passphrase-file", passFile)
	if r.code != 0 || !strings.Contains(r.stdout, "2,000 contacts") {
		t.Fatalf("restore: exit %d: %s%s", r.code, r.stdout, r.stderr)
	}
	if r := gdprdesk(t, "audit", "verify", "--data", restored); r.code != 0 {
		t.Errorf("audit verify of the restored store: exit %d: %s", r.code, r.stderr)
	}
	for _, args := range [][]string{{"contacts", "--json"}, {"request", "list", "--json"}, {"checklist", "--json"}} {
		a := gdprdesk(t, append(args, "--data", dir)...)
		b := gdprdesk(t, append(args, "--data", restored)...)
		if a.code != 0 || a.stdout != b.stdout {
			t.Errorf("%v differs after restore (exit %d/%d)", args, a.code, b.code)
		}
	}
	exports := t.TempDir()
	for _, d := range []string{dir, restored} {
		if r := gdprdesk(t, "audit", "export", "--data", d, "--out", filepath.Join(exports, filepath.Base(d)+".jsonl")); r.code != 0 {
			t.Fatalf("audit export: %s", r.stderr)
		}
	}
	a, _ := os.ReadFile(filepath.Join(exports, "D.jsonl"))
	b, _ := os.ReadFile(filepath.Join(exports, "R.jsonl"))
	_, a, _ = bytes.Cut(a, []byte("\n")) // the header line carries the export time
	_, b, _ = bytes.Cut(b, []byte("\n"))
	if len(a) == 0 || !bytes.Equal(a, b) {
		t.Error("the audit log differs after restore")
	}
	r = gdprdeskEnv(t, backupPass, "restore", backup, "--data", dir)
	if r.code != exitFailure {
		t.Errorf("restore into a full directory: exit %d", r.code)
	}
	oneErrorLine(t, r, "is not empty")
	cut := filepath.Join(t.TempDir(), "cut.tar")
	whole, _ := os.ReadFile(backup)
	os.WriteFile(cut, whole[:len(whole)/3], 0o600)
	empty := filepath.Join(t.TempDir(), "E")
	r = gdprdeskEnv(t, backupPass, "restore", cut, "--data", empty)
	oneErrorLine(t, r, "backup is")
	if _, err := os.Stat(empty); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a failed restore left %s behind", empty)
	}
}

// TestRestoreOlderBackupReappliesErasuresCommand: back up, erase a person,
// move the directory aside, restore the older backup with the erasures of
// the current directory: nothing of the person is readable.
func TestRestoreOlderBackupReappliesErasuresCommand(t *testing.T) {
	dir := demoDir(t)
	var victim gdpr.Contact
	for _, c := range listJSON(t, dir, "status:active").Contacts {
		if c.Email != "" && c.FirstName != "" {
			victim = c
			break
		}
	}
	backup := filepath.Join(t.TempDir(), "old.tar")
	if r := gdprdeskEnv(t, backupPass, "backup", "--data", dir, "--out", backup); r.code != 0 {
		t.Fatalf("backup: %s", r.stderr)
	}
	if r := gdprdesk(t, "anonymize", victim.ID.String(), "--data", dir, "--override-reason", "test"); r.code != 0 {
		t.Fatalf("anonymize: %s", r.stderr)
	}
	old := dir + ".old"
	if err := os.Rename(dir, old); err != nil {
		t.Fatal(err)
	}
	r := gdprdeskEnv(t, backupPass, "restore", backup, "--data", dir, "--reapply-erasures-from", old)
	if r.code != 0 || !strings.Contains(r.stdout, "1 contact(s) erased again") {
		t.Fatalf("restore --reapply-erasures-from: exit %d: %s%s", r.code, r.stdout, r.stderr)
	}
	if r := gdprdesk(t, "audit", "verify", "--data", dir); r.code != 0 {
		t.Errorf("audit verify: %s", r.stderr)
	}
	if got := listJSON(t, dir, `"`+victim.Email+`"`); got.Count != 0 {
		t.Errorf("the erased person's address still finds %d contact(s)", got.Count)
	}
	before, after := listJSON(t, old, victim.FirstName+" "+victim.LastName), listJSON(t, dir, victim.FirstName+" "+victim.LastName)
	if before.Count != after.Count {
		t.Errorf("the erased person's name finds %d contact(s) in the restored store, %d in the current one", after.Count, before.Count)
	}
	s, err := store.Open(dir, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.ContactByEmail(victim.Email); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("ContactByEmail(erased) = %v, want not found", err)
	}
	c, err := s.Contact(victim.ID)
	if err != nil || c.Status != gdpr.ContactAnonymized || c.FirstName != "" || c.Email != "" {
		t.Errorf("restored contact %s = %+v, %v; want anonymized", victim.ID, c, err)
	}
	if ok, err := s.IsSuppressed(victim.Email); !ok || err != nil {
		t.Errorf("IsSuppressed(erased) = %v, %v", ok, err)
	}
}

// TestBackupWhileServing: with `serve` holding the directory, backup goes
// through the server (a forwarded command like any other) and restores to
// the same desk.
func TestBackupWhileServing(t *testing.T) {
	dir := demoDir(t)
	pub, _, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	sshPub, err := gossh.NewPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	if r := gdprdesk(t, "operator", "add", "anna", "--key", string(gossh.MarshalAuthorizedKey(sshPub)), "--role", "admin", "--data", dir); r.code != 0 {
		t.Fatalf("operator add: %s", r.stderr)
	}
	_, stop := startServe(t, dir)
	if s, err := store.Open(dir, store.Options{}); !errors.Is(err, store.ErrLocked) {
		if err == nil {
			s.Close()
		}
		t.Fatalf("the server does not hold the directory: %v", err)
	}
	backup := filepath.Join(t.TempDir(), "online.tar")
	if r := gdprdeskEnv(t, backupPass, "backup", "--data", dir, "--out", backup); r.code != 0 {
		t.Fatalf("backup while serving: exit %d: %s", r.code, r.stderr)
	}
	stop()
	restored := filepath.Join(t.TempDir(), "R")
	if r := gdprdeskEnv(t, backupPass, "restore", backup, "--data", restored); r.code != 0 {
		t.Fatalf("restore: %s", r.stderr)
	}
	a, b := listJSON(t, dir, ""), listJSON(t, restored, "")
	if a.Count != 2000 || !reflect.DeepEqual(a, b) {
		t.Errorf("restored online backup differs: %d vs %d contacts", a.Count, b.Count)
	}
}
