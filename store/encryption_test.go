package store

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gdprdesk/gdprdesk/gdpr"
)

func testKey(t *testing.T) []byte {
	t.Helper()
	k := make([]byte, EncryptionKeySize)
	if _, err := rand.Read(k); err != nil {
		t.Fatal(err)
	}
	return k
}

// plainValues are non-personal values stored in clear inside Badger (index
// keys and clear record fields): what encryption at rest must hide.
var plainValues = []string{"i/co/", "trade-fair-ljubljana", "vip-newsletter-2026", "y:SI"}

// fillPlain writes contacts carrying the plain values and closes the store,
// so they reach the tables and the value log, not only the memtable.
func fillPlain(t *testing.T, dir string, key []byte) {
	t.Helper()
	s, err := Open(dir, Options{Now: newClock(t0).Now, EncryptionKey: key})
	if err != nil {
		t.Fatal(err)
	}
	var cs []gdpr.Contact
	for i := range 50 {
		cs = append(cs, gdpr.Contact{FirstName: "P", LastName: "Q", Email: "p" + string(rune('a'+i%26)) + strings.Repeat("x", i) + "@example.org",
			Country: "SI", Source: "trade-fair-ljubljana", Tags: []string{"vip-newsletter-2026"}})
	}
	mustCreate(t, s, cs...)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	// Reopen once more, so that a flushed table is written and read back.
	s, err = Open(dir, Options{Now: newClock(t0).Now, EncryptionKey: key})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.db.Flatten(1); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
}

func dbFiles(t *testing.T, dir string) map[string][]byte {
	files := rawFiles(t, dir)
	delete(files, encryptionFile)
	return files
}

// TestEncryptedStoreHidesPlainValues greps the raw files of an encrypted
// store for values stored in clear in Badger, and finds none; the same data
// unencrypted (positive control) shows every one of them.
func TestEncryptedStoreHidesPlainValues(t *testing.T) {
	plain, enc := t.TempDir(), t.TempDir()
	fillPlain(t, plain, nil)
	fillPlain(t, enc, testKey(t))
	pf, ef := dbFiles(t, plain), dbFiles(t, enc)
	for _, v := range plainValues {
		if where := filesContaining(pf, v); len(where) == 0 {
			t.Errorf("control: %q not found in the unencrypted store; the grep proves nothing", v)
		}
		if where := filesContaining(ef, v); len(where) > 0 {
			t.Errorf("%q is readable in the encrypted store, in %v", v, where)
		}
	}
	if ok, err := Encrypted(enc); !ok || err != nil {
		t.Errorf("Encrypted(encrypted store) = %v, %v", ok, err)
	}
	if ok, err := Encrypted(plain); ok || err != nil {
		t.Errorf("Encrypted(plain store) = %v, %v", ok, err)
	}
}

// dirState fingerprints every file of a directory (name, mode, content).
func dirState(t *testing.T, dir string) string {
	t.Helper()
	h := sha256.New()
	files := rawFiles(t, dir)
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	for _, n := range sortedStrings(names) {
		h.Write([]byte(n + "\x00"))
		h.Write(files[n])
	}
	return hex.EncodeToString(h.Sum(nil))
}

func sortedStrings(s []string) []string {
	out := append([]string(nil), s...)
	for i := range out {
		for j := i + 1; j < len(out); j++ {
			if out[j] < out[i] {
				out[i], out[j] = out[j], out[i]
			}
		}
	}
	return out
}

// TestEncryptionMismatchIsRefusedAndChangesNothing: no key, a wrong key,
// and a key for an unencrypted store each get their own error, and the
// directory stays byte for byte as it was.
func TestEncryptionMismatchIsRefusedAndChangesNothing(t *testing.T) {
	key := testKey(t)
	enc, plain := t.TempDir(), t.TempDir()
	fillPlain(t, enc, key)
	fillPlain(t, plain, nil)
	cases := []struct {
		name string
		dir  string
		key  []byte
		want error
		line string
	}{
		{"no key", enc, nil, ErrEncrypted, "is encrypted: give its key with --key-file or GDPRDESK_KEY_FILE"},
		{"wrong key", enc, testKey(t), ErrWrongKey, "the key does not open it"},
		{"key for a plain store", plain, key, ErrNotEncrypted, "is not encrypted"},
	}
	for _, c := range cases {
		before := dirState(t, c.dir)
		_, err := Open(c.dir, Options{EncryptionKey: c.key})
		if !errors.Is(err, c.want) || !strings.Contains(err.Error(), c.line) || !strings.Contains(err.Error(), c.dir) {
			t.Errorf("%s: Open = %v, want %v naming %s", c.name, err, c.want, c.dir)
		}
		if after := dirState(t, c.dir); after != before {
			t.Errorf("%s: the refused Open changed the directory", c.name)
		}
	}
	// The right key opens it, and the data is there.
	s, err := Open(enc, Options{EncryptionKey: key})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if n, err := s.Count(mustQuery(t, "source:trade-fair-ljubljana")); err != nil || n != 50 {
		t.Errorf("encrypted store reopened: %d contacts, %v; want 50", n, err)
	}
	checkVerified(t, s)
}

// Without its marker, Badger's own check still refuses to open an
// encrypted store without the key.
func TestEncryptedStoreWithoutMarkerIsStillRefused(t *testing.T) {
	dir := t.TempDir()
	fillPlain(t, dir, testKey(t))
	if err := os.Remove(filepath.Join(dir, encryptionFile)); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(dir, Options{}); !errors.Is(err, ErrEncrypted) {
		t.Errorf("Open without key or marker = %v, want ErrEncrypted", err)
	}
}

func TestParseKey(t *testing.T) {
	k := testKey(t)
	for name, in := range map[string][]byte{
		"raw":        k,
		"hex":        []byte(hex.EncodeToString(k) + "\n"),
		"base64":     []byte(base64.StdEncoding.EncodeToString(k) + "\n"),
		"base64 url": []byte(base64.RawURLEncoding.EncodeToString(k)),
	} {
		got, err := ParseKey(in)
		if err != nil || !bytes.Equal(got, k) {
			t.Errorf("%s: ParseKey = %x, %v; want %x", name, got, err, k)
		}
	}
	for name, in := range map[string][]byte{
		"empty":       nil,
		"short":       k[:16],
		"long":        append(k, 1),
		"hex of 16":   []byte(hex.EncodeToString(k[:16])),
		"not hex":     []byte(strings.Repeat("zz", 32)),
		"passphrase":  []byte("correct horse battery staple\n"),
		"base64 of 8": []byte(base64.StdEncoding.EncodeToString(k[:8])),
	} {
		if _, err := ParseKey(in); err == nil || !strings.Contains(err.Error(), "32 random bytes") {
			t.Errorf("%s: ParseKey = %v, want an error saying what a key file holds", name, err)
		}
	}
}
