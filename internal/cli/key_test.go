package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// smallDemo is a data directory with a few demo contacts; extra are more
// flags of demo.
func smallDemo(t *testing.T, extra ...string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "D")
	if r := gdprdesk(t, append([]string{"demo", "--no-tui", "--contacts", "40", "--data", dir}, extra...)...); r.code != 0 {
		t.Fatalf("demo: exit %d: %s", r.code, r.stderr)
	}
	return dir
}

func readMaster(t *testing.T, dir string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "keys", "master.key"))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// `key rotate` replaces the master key (SPEC §4, §8): the desk opens with
// the new one and lists the same contacts, the audit verifies and names the
// rotation, and the old master key no longer opens the key ring.
func TestKeyRotateCommand(t *testing.T) {
	dir := smallDemo(t)
	before := gdprdesk(t, "contacts", "--data", dir, "--json")
	old := readMaster(t, dir)
	r := gdprdesk(t, "key", "rotate", "--data", dir, "--operator", "owner")
	if r.code != 0 || !strings.Contains(r.stdout, "Rotated the master key of "+dir) || !strings.Contains(r.stdout, "protected by: none") {
		t.Fatalf("key rotate: exit %d: %s%s", r.code, r.stdout, r.stderr)
	}
	if bytes.Equal(readMaster(t, dir), old) {
		t.Fatal("master.key did not change")
	}
	if after := gdprdesk(t, "contacts", "--data", dir, "--json"); after.code != 0 || after.stdout != before.stdout {
		t.Errorf("contacts differ after the rotation (exit %d): %s", after.code, after.stderr)
	}
	if r := gdprdesk(t, "audit", "verify", "--data", dir); r.code != 0 {
		t.Errorf("audit verify after rotation: %s", r.stderr)
	}
	log := filepath.Join(t.TempDir(), "audit.jsonl")
	if r := gdprdesk(t, "audit", "export", "--data", dir, "--out", log); r.code != 0 {
		t.Fatal(r.stderr)
	}
	if b, _ := os.ReadFile(log); !bytes.Contains(b, []byte(`"keys.rotate"`)) || !bytes.Contains(b, []byte("master key rotated")) {
		t.Error("the audit log does not record the rotation")
	}
	if err := os.WriteFile(filepath.Join(dir, "keys", "master.key"), old, 0o600); err != nil {
		t.Fatal(err)
	}
	r = gdprdesk(t, "contacts", "--data", dir)
	oneErrorLine(t, r, "was wrapped by another master key")
}

// `key passphrase` wraps the master key with a passphrase (Argon2id): the
// directory then opens only with it — from GDPRDESK_PASSPHRASE or a file
// named by GDPRDESK_PASSPHRASE_FILE — and a wrong or missing one is refused
// in one line. Rotation keeps it; --remove drops it.
func TestKeyPassphraseCommand(t *testing.T) {
	dir := smallDemo(t)
	const pass = "a long and private passphrase"
	r := gdprdeskEnv(t, []string{envNewPassphrase + "=" + pass}, "key", "passphrase", "--data", dir)
	if r.code != 0 || !strings.Contains(r.stdout, "protected by your passphrase") {
		t.Fatalf("key passphrase: exit %d: %s%s", r.code, r.stdout, r.stderr)
	}
	if bytes.Contains(readMaster(t, dir), []byte("GDMASTR1")) == false {
		t.Error("master.key is not in the wrapped form")
	}
	r = gdprdesk(t, "contacts", "--data", dir)
	oneErrorLine(t, r, "the master key is protected by a passphrase: give it with GDPRDESK_PASSPHRASE")
	r = gdprdeskEnv(t, []string{envPassphrase + "=not the right passphrase"}, "contacts", "--data", dir)
	oneErrorLine(t, r, "the passphrase does not open the master key")
	if r := gdprdeskEnv(t, []string{envPassphrase + "=" + pass}, "contacts", "--data", dir); r.code != 0 || !strings.Contains(r.stdout, "C1") {
		t.Errorf("contacts with the passphrase: exit %d: %s", r.code, r.stderr)
	}
	file := filepath.Join(t.TempDir(), "pass")
	if err := os.WriteFile(file, []byte(pass+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	withFile := []string{envPassphraseFile + "=" + file}
	if r := gdprdeskEnv(t, withFile, "key", "rotate", "--data", dir); r.code != 0 || !strings.Contains(r.stdout, "protected by: passphrase") {
		t.Errorf("key rotate with the passphrase file: exit %d: %s%s", r.code, r.stdout, r.stderr)
	}
	r = gdprdesk(t, "audit", "verify", "--data", dir)
	oneErrorLine(t, r, "protected by a passphrase")
	if r := gdprdeskEnv(t, withFile, "audit", "verify", "--data", dir); r.code != 0 {
		t.Errorf("audit verify after rotation: %s", r.stderr)
	}
	r = gdprdeskEnv(t, append(withFile, envNewPassphrase+"=short"), "key", "passphrase", "--data", dir)
	oneErrorLine(t, r, "too short")
	if r := gdprdeskEnv(t, withFile, "key", "passphrase", "--remove", "--data", dir); r.code != 0 {
		t.Fatalf("key passphrase --remove: %s", r.stderr)
	}
	if r := gdprdesk(t, "audit", "verify", "--data", dir); r.code != 0 {
		t.Errorf("audit verify without a passphrase after --remove: %s", r.stderr)
	}
}

// With a key file the master key is wrapped by it: the key file, kept
// elsewhere, is the secret, and a passphrase is refused as pointless.
func TestKeyFileWrapsTheMasterKeyCommand(t *testing.T) {
	key := writeKeyFile(t, randomKey(t))
	dir := smallDemo(t, "--key-file", key)
	if m := readMaster(t, dir); len(m) == 32 || !bytes.HasPrefix(m, []byte("GDMASTR1")) {
		t.Errorf("master.key of an encrypted store is not wrapped (%d bytes)", len(m))
	}
	env := []string{"GDPRDESK_KEY_FILE=" + key}
	if r := gdprdeskEnv(t, env, "key", "rotate", "--data", dir); r.code != 0 || !strings.Contains(r.stdout, "protected by: key file") {
		t.Errorf("key rotate: exit %d: %s%s", r.code, r.stdout, r.stderr)
	}
	r := gdprdeskEnv(t, append(env, envNewPassphrase+"=a long and private passphrase"), "key", "passphrase", "--data", dir)
	oneErrorLine(t, r, "wrapped by its key file")
	if r := gdprdeskEnv(t, env, "audit", "verify", "--data", dir); r.code != 0 {
		t.Errorf("audit verify: %s", r.stderr)
	}
}
