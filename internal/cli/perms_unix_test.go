//go:build !windows

package cli

import (
	"crypto/ed25519"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	gossh "golang.org/x/crypto/ssh"
)

// Every file in the data directory is 0600 and every directory 0700,
// Badger's own files included, whatever the umask (SPEC §8): the commands
// run here under umask 000, in a directory made 0755 beforehand — demo,
// import, key rotate, backup, and serve, which makes the host key and the
// control socket.
func TestDataDirectoryIsPrivateUnderUmaskZero(t *testing.T) {
	old := syscall.Umask(0) // inherited by the children; this test is not parallel
	defer syscall.Umask(old)
	dir := filepath.Join(t.TempDir(), "D")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"demo", "--no-tui", "--contacts", "40"},
		{"import", writeCSV(t, "email,country\numask@example.org,DE\n")},
		{"key", "rotate"},
	} {
		if r := gdprdesk(t, append(args, "--data", dir)...); r.code != 0 {
			t.Fatalf("%v: exit %d: %s", args, r.code, r.stderr)
		}
	}
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
	backup := filepath.Join(t.TempDir(), "b.tar")
	if r := gdprdeskEnv(t, backupPass, "backup", "--data", dir, "--out", backup); r.code != 0 {
		t.Fatalf("backup: %s", r.stderr)
	}
	if st, err := os.Stat(backup); err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("the backup file is %v (%v), want 600", st.Mode().Perm(), err)
	}
	_, stop := startServe(t, dir) // answers on its socket and SSH port: the host key is made
	check := func(when string) map[string]bool {
		seen := map[string]bool{}
		filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				t.Errorf("%s: %v", when, err)
				return nil
			}
			info, err := d.Info()
			if err != nil {
				return nil // removed meanwhile (Badger's compactions)
			}
			want := fs.FileMode(0o600)
			if d.IsDir() {
				want = 0o700
			}
			if info.Mode().Perm() != want {
				t.Errorf("%s: %s is %o, want %o", when, path, info.Mode().Perm(), want)
			}
			seen[d.Name()] = true
			return nil
		})
		return seen
	}
	serving := check("while serving")
	stop()
	after := check("after serve")
	for _, name := range []string{"ssh_host_ed25519", "control.sock", "DISCARD", "KEYREGISTRY", "MANIFEST", "master.key", "subjects.keys", "gdprdesk.lock"} {
		if !serving[name] {
			t.Errorf("while serving there is no %s (the test checks its mode)", name)
		}
	}
	found := func(ext string) bool {
		for name := range after {
			if filepath.Ext(name) == ext {
				return true
			}
		}
		return false
	}
	if !found(".sst") || !found(".vlog") {
		t.Error("no Badger table or value log found: the test checks their modes")
	}
}
