package store

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/crypto/chacha20poly1305"
)

// A backup reveals nothing without its passphrase (SPEC §8): no name or
// address of a person, not the master key that opens the key ring, not the
// HMAC secret with which an address could be tested against the
// suppression list, not even the installation's fingerprint.
func TestBackupIsEncrypted(t *testing.T) {
	s, _ := newStore(t)
	fillForBackup(t, s)
	var buf bytes.Buffer
	m, err := s.Backup(&buf, testPassphrase)
	if err != nil {
		t.Fatal(err)
	}
	if m.Contacts != 120 || m.Records == 0 || m.Bytes != int64(buf.Len()) {
		t.Errorf("manifest = %d contacts, %d records, %d bytes; want 120, some, %d", m.Contacts, m.Records, m.Bytes, buf.Len())
	}
	master, err := os.ReadFile(filepath.Join(s.dir, "keys", masterKeyFile))
	if err != nil {
		t.Fatal(err)
	}
	for what, secret := range map[string][]byte{
		"a first name":     []byte("First7"),
		"an address":       []byte("person7@backup.example"),
		"the HMAC secret":  s.hmacSecret,
		"the master key":   master,
		"the fingerprint":  []byte(s.installation()),
		"the manifest":     []byte(manifestName),
		"the program name": []byte(`"gdprdesk"`),
	} {
		if bytes.Contains(buf.Bytes(), secret) {
			t.Errorf("the backup holds %s in clear", what)
		}
	}
	// With the passphrase it is all there.
	archive, encrypted, err := openBackup(bytes.NewReader(buf.Bytes()), testPassphrase)
	if err != nil || !encrypted {
		t.Fatalf("openBackup = %v, %v", encrypted, err)
	}
	plain, err := io.ReadAll(archive)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(plain, s.hmacSecret) || !bytes.Contains(plain, master) {
		t.Error("the decrypted backup lacks the HMAC secret or the master key")
	}
}

// A wrong passphrase is refused with a line that says so, and nothing is
// written: a new directory is not created, an empty one stays empty.
func TestRestoreRefusesAWrongPassphrase(t *testing.T) {
	s, _ := newStore(t)
	fillForBackup(t, s)
	var buf bytes.Buffer
	if _, err := s.Backup(&buf, testPassphrase); err != nil {
		t.Fatal(err)
	}
	newDir := filepath.Join(t.TempDir(), "new")
	emptyDir := t.TempDir()
	for _, dir := range []string{newDir, emptyDir} {
		_, err := Restore(dir, bytes.NewReader(buf.Bytes()), RestoreOptions{Passphrase: []byte("not the passphrase")})
		if !errors.Is(err, ErrBackupPassphrase) {
			t.Errorf("Restore with a wrong passphrase = %v, want ErrBackupPassphrase", err)
		}
	}
	if _, err := os.Stat(newDir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the refused restore created %s (%v)", newDir, err)
	}
	if entries, _ := os.ReadDir(emptyDir); len(entries) != 0 {
		t.Errorf("the refused restore wrote %d entries", len(entries))
	}
	if _, err := Restore(newDir, bytes.NewReader(buf.Bytes()), RestoreOptions{}); err == nil || errors.Is(err, ErrBackupPassphrase) {
		t.Errorf("Restore without a passphrase = %v, want one asking for it", err)
	}
	if _, err := VerifyBackup(bytes.NewReader(buf.Bytes()), []byte("not the passphrase")); !errors.Is(err, ErrBackupPassphrase) {
		t.Errorf("VerifyBackup with a wrong passphrase = %v", err)
	}
	if _, err := s.Backup(io.Discard, []byte("short")); !errors.Is(err, ErrShortPassphrase) {
		t.Errorf("Backup with a 5-character passphrase = %v, want ErrShortPassphrase", err)
	}
}

// Chunks cannot be dropped, reordered or cut off unnoticed.
func TestEncryptedBackupChunksAreBound(t *testing.T) {
	var buf bytes.Buffer
	w, err := newSealWriter(&buf, testPassphrase)
	if err != nil {
		t.Fatal(err)
	}
	data := bytes.Repeat([]byte("0123456789abcdef"), 3*backupChunk/16+100) // 3 full chunks and a bit
	if _, err := w.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	b := buf.Bytes()
	chunk := chunkHeaderSize + backupChunk + 16
	read := func(b []byte) ([]byte, error) {
		r, _, err := openBackup(bytes.NewReader(b), testPassphrase)
		if err != nil {
			return nil, err
		}
		return io.ReadAll(r)
	}
	if got, err := read(b); err != nil || !bytes.Equal(got, data) {
		t.Fatalf("round trip: %d bytes, %v", len(got), err)
	}
	swapped := bytes.Clone(b)
	first := swapped[backupHeaderSize : backupHeaderSize+chunk]
	second := swapped[backupHeaderSize+chunk : backupHeaderSize+2*chunk]
	tmp := bytes.Clone(first)
	copy(first, second)
	copy(second, tmp)
	for name, bad := range map[string][]byte{
		"last chunk dropped": b[:backupHeaderSize+3*chunk],
		"chunks swapped":     swapped,
		"a chunk dropped":    append(bytes.Clone(b[:backupHeaderSize+chunk]), b[backupHeaderSize+2*chunk:]...),
		"bytes appended":     append(bytes.Clone(b), 0),
	} {
		if _, err := read(bad); err == nil {
			t.Errorf("%s: read without an error", name)
		}
	}
}

// A plain archive of an earlier gdprdesk still restores, and says so.
func TestUnencryptedOldBackupRestores(t *testing.T) {
	s, _ := newStore(t)
	fillForBackup(t, s)
	var buf bytes.Buffer
	if _, err := s.Backup(&buf, testPassphrase); err != nil {
		t.Fatal(err)
	}
	archive, _, err := openBackup(bytes.NewReader(buf.Bytes()), testPassphrase)
	if err != nil {
		t.Fatal(err)
	}
	plain, err := io.ReadAll(archive)
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "R")
	rep, err := Restore(dir, bytes.NewReader(plain), RestoreOptions{Options: Options{Now: newClock(t0).Now}})
	if err != nil {
		t.Fatal(err)
	}
	if !rep.Manifest.Unencrypted || !rep.Verify.OK() || rep.Verify.Contacts != 120 {
		t.Errorf("restore of a plain archive = unencrypted %v, verify %+v", rep.Manifest.Unencrypted, rep.Verify)
	}
}

// FuzzBackupChunks: whatever follows a backup's header, reading it ends in
// the data that was sealed or in an error — never a panic, never data that
// was not sealed under the key.
func FuzzBackupChunks(f *testing.F) {
	key := bytes.Repeat([]byte{7}, 32)
	aead, err := chacha20poly1305.NewX(key)
	if err != nil {
		f.Fatal(err)
	}
	hdr := bytes.Repeat([]byte{1}, backupHeaderSize)
	prefix := hdr[:backupNoncePfx]
	seal := func(data []byte) []byte {
		var buf bytes.Buffer
		w := &sealWriter{w: &buf, aead: aead, hdr: hdr, prefix: prefix, buf: make([]byte, 0, backupChunk)}
		if _, err := w.Write(data); err != nil {
			f.Fatal(err)
		}
		if err := w.Close(); err != nil {
			f.Fatal(err)
		}
		return buf.Bytes()
	}
	f.Add(seal([]byte("a short archive")))
	f.Add(seal(bytes.Repeat([]byte("x"), backupChunk+10)))
	f.Add(seal(nil))
	f.Add([]byte{1, 0, 0, 0, 16})
	f.Add([]byte{0, 0xff, 0xff, 0xff, 0xff})
	f.Fuzz(func(t *testing.T, body []byte) {
		r := &openReader{r: bufio.NewReader(bytes.NewReader(body)), aead: aead, hdr: hdr, prefix: prefix}
		got, err := io.ReadAll(r)
		if err != nil {
			return
		}
		// Only a stream sealed under the key reads without an error, and
		// sealing what was read gives the same bytes back (nonces are
		// fixed by the chunk numbers).
		if !bytes.Equal(seal(got), body) {
			t.Errorf("read %d bytes from a stream that is not their sealing", len(got))
		}
	})
}
