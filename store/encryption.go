package store

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// Encryption at rest. With Options.EncryptionKey a new store turns on
// Badger's own encryption (AES-256 of every table block, index, value log
// and write-ahead file; Badger keeps its data keys in db/KEYREGISTRY,
// wrapped by ours). The key ring under keys/ stays where it is: each
// subject's data key still lives there, so crypto-shredding works as
// before, and the sealed personal data is now encrypted twice. Its master
// key is wrapped by a key derived from the key file (keyfile.go), so the
// directory without the key file opens nothing.
//
// Whether a store is encrypted is recorded in DIR/encryption.json, written
// before Badger creates anything. It holds no secret: the cipher, and a key
// check (HMAC-SHA-256 of a fixed text under the key), so that a store opened
// without its key, with another key, or an unencrypted store opened with a
// key is refused with a line that says which, before anything is touched.

// encryptionFile is the marker of an encrypted store, in the data directory.
const encryptionFile = "encryption.json"

// EncryptionKeySize is the size of the key in a key file: AES-256.
const EncryptionKeySize = 32

// ErrEncrypted, ErrWrongKey and ErrNotEncrypted are the three ways a key
// and a data directory can fail to match.
var (
	ErrEncrypted    = errors.New("is encrypted: give its key with --key-file or GDPRDESK_KEY_FILE")
	ErrWrongKey     = errors.New("the key does not open it (wrong key file?)")
	ErrNotEncrypted = errors.New("is not encrypted, but a key was given: open it without --key-file and GDPRDESK_KEY_FILE")
)

type encryptionMarker struct {
	Format   int    `json:"format"`
	Cipher   string `json:"cipher"`
	KeyCheck string `json:"key_check"`
	Note     string `json:"note"`
}

func keyCheck(key []byte) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte("gdprdesk key check v1"))
	return hex.EncodeToString(m.Sum(nil))
}

// ParseKey reads a key file's contents: 32 random bytes, or the same as 64
// hex digits or as base64 (surrounding white space is ignored in the text
// forms). Anything else is refused with a line that says how to make one.
func ParseKey(data []byte) ([]byte, error) {
	text := bytes.TrimSpace(data)
	if len(data) == EncryptionKeySize {
		// 32 random bytes are never all hex digits (odds
		// below 2^-100): a file that is is text of a shorter key.
		if _, err := hex.DecodeString(string(text)); err == nil && len(text) == len(data) {
			return nil, fmt.Errorf("holds %d hex digits (a %d-byte key), not a key: a key file holds 32 random bytes, or them as 64 hex digits or base64 (make one with: head -c 32 /dev/urandom > FILE)", len(text), len(text)/2)
		}
		return bytes.Clone(data), nil
	}
	if len(text) == 2*EncryptionKeySize {
		if k, err := hex.DecodeString(string(text)); err == nil {
			return k, nil
		}
	}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if k, err := enc.DecodeString(string(text)); err == nil && len(k) == EncryptionKeySize {
			return k, nil
		}
	}
	return nil, fmt.Errorf("holds %d bytes, not a key: a key file holds 32 random bytes, or them as 64 hex digits or base64 (make one with: head -c 32 /dev/urandom > FILE)", len(data))
}

// ReadKeyFile reads and parses a key file (see ParseKey).
func ReadKeyFile(path string) ([]byte, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read key file: %w", err)
	}
	k, err := ParseKey(data)
	if err != nil {
		return nil, fmt.Errorf("key file %s %w", path, err)
	}
	return k, nil
}

// Encrypted reports whether dir holds an encrypted store (per its marker).
func Encrypted(dir string) (bool, error) {
	_, err := readMarker(dir)
	if errors.Is(err, os.ErrNotExist) {
		return false, nil
	}
	return err == nil, err
}

func readMarker(dir string) (encryptionMarker, error) {
	var m encryptionMarker
	path := filepath.Join(dir, encryptionFile)
	b, err := os.ReadFile(path)
	if err != nil {
		return m, err
	}
	if err := json.Unmarshal(b, &m); err != nil || m.Format != 1 || m.KeyCheck == "" {
		return m, fmt.Errorf("%s is damaged: it says whether the store is encrypted", path)
	}
	return m, nil
}

// dbIsNew reports whether the Badger directory holds nothing yet.
func dbIsNew(dbDir string) (bool, error) {
	entries, err := os.ReadDir(dbDir)
	if errors.Is(err, os.ErrNotExist) {
		return true, nil
	}
	if err != nil {
		return false, fmt.Errorf("read %s: %w", dbDir, err)
	}
	return len(entries) == 0, nil
}

// checkEncryption matches the key (nil: none) with the data directory,
// changing nothing unless the store is new and a key was given, in which
// case the marker is written.
func checkEncryption(dir string, key []byte) error {
	if key != nil && len(key) != EncryptionKeySize {
		return fmt.Errorf("encryption key is %d bytes, want %d", len(key), EncryptionKeySize)
	}
	m, err := readMarker(dir)
	switch {
	case err == nil:
		if key == nil {
			return fmt.Errorf("data directory %s %w", dir, ErrEncrypted)
		}
		if !hmac.Equal([]byte(m.KeyCheck), []byte(keyCheck(key))) {
			return fmt.Errorf("data directory %s: %w", dir, ErrWrongKey)
		}
		return nil
	case !errors.Is(err, os.ErrNotExist):
		return err
	}
	fresh, err := dbIsNew(filepath.Join(dir, "db"))
	if err != nil {
		return err
	}
	if key == nil {
		return nil
	}
	if !fresh {
		return fmt.Errorf("data directory %s %w", dir, ErrNotEncrypted)
	}
	b, _ := json.MarshalIndent(encryptionMarker{Format: 1, Cipher: "badger AES-256-CTR, key from a key file",
		KeyCheck: keyCheck(key), Note: "this store is encrypted at rest; it opens only with its key file (--key-file or GDPRDESK_KEY_FILE)"}, "", "  ")
	return writeFileSync(filepath.Join(dir, encryptionFile), append(b, '\n'))
}
