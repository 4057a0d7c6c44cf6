package store

import (
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/gdprdesk/gdprdesk/gdpr"
)

// Custody of the master key (SPEC §8). The master key wraps every
// subject's data key (keyring.go). It lives in DIR/keys/master.key, in one
// of three forms:
//
//   - plain: the 32 bytes themselves. Whoever can read the data directory
//     can open everything in it; the operating system's file permissions
//     (perms.go) are all that protects it.
//   - wrapped by the key file: a store encrypted at rest (encryption.go)
//     also wraps its master key with a key derived from the key file
//     (HKDF-SHA-256), and a plain master key found in such a store is
//     wrapped when it opens. The secret is then outside the directory:
//     the directory alone, or a copy of it, opens nothing.
//   - wrapped by a passphrase (Argon2id, passphrase.go), for a store without
//     a key file: set, changed or removed with `gdprdesk key passphrase`,
//     asked for (Options.Passphrase) whenever the store opens.
//
// A wrapped master key file is
//
//	"GDMASTR1", kind (1: key file, 2: passphrase),
//	[kind 2: Argon2id parameters and salt (25)], nonce (12),
//	the master key sealed with AES-256-GCM (48), the bytes before the
//	nonce as additional data.
//
// A new master.key is always written beside the old one, synced and
// renamed over it, so a crash leaves one of the two, whole. The master key
// is rotated by RotateMasterKey (keyring.rotate), which keeps its form.

const (
	wrappedMasterMagic = "GDMASTR1"
	wrapKeyFile        = 1
	wrapPassphrase     = 2
)

// ErrPassphrase is returned when a passphrase does not open the master key.
var ErrPassphrase = errors.New("the passphrase does not open the master key")

// ErrNeedPassphrase is returned when the master key is wrapped by a
// passphrase and none was given.
var ErrNeedPassphrase = errors.New("the master key is protected by a passphrase: give it with GDPRDESK_PASSPHRASE or GDPRDESK_PASSPHRASE_FILE, or run gdprdesk on a terminal to be asked")

// masterWrap says how master.key is (to be) kept. Its zero value, and nil,
// keep it plain.
type masterWrap struct {
	// keyFile is the key of the store's key file, when it is encrypted at
	// rest: the master is wrapped by it.
	keyFile []byte
	// passphrase asks for the passphrase of a master key wrapped by one.
	passphrase func() ([]byte, error)
	// pass is the passphrase once asked (or set): a rotation wraps the
	// new master with it. Empty: no passphrase.
	pass []byte
}

func newMasterWrap(opts Options) *masterWrap {
	return &masterWrap{keyFile: opts.EncryptionKey, passphrase: opts.Passphrase}
}

func keyFileWrapKey(key []byte) ([]byte, error) {
	k, err := hkdf.Key(sha256.New, key, nil, "gdprdesk master key wrap v1", 32)
	if err != nil {
		return nil, fmt.Errorf("derive the wrapping key: %w", err)
	}
	return k, nil
}

// wrapMaster seals master in the wrapped form of kind.
func wrapMaster(master []byte, kind byte, wrapKey []byte, params *kdf) ([]byte, error) {
	head := append([]byte(wrappedMasterMagic), kind)
	if params != nil {
		head = append(head, params.encode()...)
	}
	aead, err := newAEAD(wrapKey)
	if err != nil {
		return nil, err
	}
	nonce := make([]byte, aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return nil, fmt.Errorf("generate nonce: %w", err)
	}
	out := append(append([]byte(nil), head...), nonce...)
	return aead.Seal(out, nonce, master, head), nil
}

// encode returns the bytes of master.key for master under w.
func (w *masterWrap) encode(master []byte) ([]byte, error) {
	switch {
	case w == nil:
		return master, nil
	case w.keyFile != nil:
		k, err := keyFileWrapKey(w.keyFile)
		if err != nil {
			return nil, err
		}
		return wrapMaster(master, wrapKeyFile, k, nil)
	case len(w.pass) > 0:
		params, err := newKDF()
		if err != nil {
			return nil, err
		}
		return wrapMaster(master, wrapPassphrase, params.derive(w.pass, 32), &params)
	}
	return master, nil
}

// writeMaster writes master.key (or its .next during a rotation) in w's
// form: beside the old file, synced, renamed over it.
func (w *masterWrap) writeMaster(path string, master []byte) error {
	b, err := w.encode(master)
	if err != nil {
		return err
	}
	tmp := path + ".new"
	if err := writeFileSync(tmp, b); err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("install %s: %w", path, err)
	}
	return syncDir(filepath.Dir(path))
}

// readMaster reads and unwraps a master key file; it reports whether the
// file held the key plain.
func (w *masterWrap) readMaster(path string) (master []byte, plain bool, err error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, false, err
	}
	return w.unwrap(b, path)
}

// unwrap opens the contents of a master key file (path names it in errors).
func (w *masterWrap) unwrap(b []byte, path string) (master []byte, plain bool, err error) {
	if len(b) == dataKeySize {
		return b, true, nil
	}
	if len(b) < len(wrappedMasterMagic)+1 || string(b[:len(wrappedMasterMagic)]) != wrappedMasterMagic {
		return nil, false, fmt.Errorf("master key %s is damaged (%d bytes, want %d): restore it from a backup", path, len(b), dataKeySize)
	}
	if w == nil {
		w = &masterWrap{}
	}
	kind, rest := b[len(wrappedMasterMagic)], b[len(wrappedMasterMagic)+1:]
	var wrapKey []byte
	switch kind {
	case wrapKeyFile:
		if w.keyFile == nil {
			return nil, false, fmt.Errorf("master key %s %w", path, ErrEncrypted)
		}
		if wrapKey, err = keyFileWrapKey(w.keyFile); err != nil {
			return nil, false, err
		}
	case wrapPassphrase:
		params, err := decodeKDF(rest)
		if err != nil {
			return nil, false, fmt.Errorf("master key %s is damaged: %w", path, err)
		}
		rest = rest[kdfSize:]
		if len(w.pass) == 0 {
			if w.passphrase == nil {
				return nil, false, ErrNeedPassphrase
			}
			if w.pass, err = w.passphrase(); err != nil {
				return nil, false, err
			}
		}
		wrapKey = params.derive(w.pass, 32)
	default:
		return nil, false, fmt.Errorf("master key %s is wrapped in a way this gdprdesk does not know (%d): upgrade gdprdesk", path, kind)
	}
	aead, err := newAEAD(wrapKey)
	if err != nil {
		return nil, false, err
	}
	if len(rest) < aead.NonceSize() {
		return nil, false, fmt.Errorf("master key %s is damaged (cut short)", path)
	}
	head := b[:len(b)-len(rest)]
	master, err = aead.Open(nil, rest[:aead.NonceSize()], rest[aead.NonceSize():], head)
	if err != nil {
		if kind == wrapPassphrase {
			w.pass = nil
			return nil, false, ErrPassphrase
		}
		return nil, false, fmt.Errorf("master key %s: %w", path, ErrWrongKey)
	}
	if len(master) != dataKeySize {
		return nil, false, fmt.Errorf("master key %s is damaged", path)
	}
	return master, false, nil
}

// loadMaster reads the master key at open, and wraps a plain one with the
// key file of an encrypted store (once: a store made before master keys
// were wrapped).
func (w *masterWrap) loadMaster(path string) ([]byte, error) {
	master, plain, err := w.readMaster(path)
	if err != nil {
		return nil, err
	}
	if plain && w != nil && w.keyFile != nil {
		if err := w.writeMaster(path, master); err != nil {
			return nil, fmt.Errorf("wrap the master key with the key file: %w", err)
		}
	}
	return master, nil
}

// MasterProtection says how the store's master key is kept: "key file",
// "passphrase" or "none" (plain, beside the data).
func (s *Store) MasterProtection() string {
	s.keys.rw.RLock()
	defer s.keys.rw.RUnlock()
	switch w := s.keys.wrap; {
	case w != nil && w.keyFile != nil:
		return "key file"
	case w != nil && len(w.pass) > 0:
		return "passphrase"
	}
	return "none"
}

// ErrKeyFileWraps refuses a passphrase for a store whose master key the
// key file wraps already.
var ErrKeyFileWraps = errors.New("the master key of an encrypted store is wrapped by its key file: keep the key file safe instead (a passphrase is for a store without one)")

// SetMasterPassphrase wraps the master key with a new passphrase, or keeps
// it plain again when passphrase is empty. The master key itself does not
// change (rotate it with RotateMasterKey). Audited; only an admin may.
func (s *Store) SetMasterPassphrase(operator string, passphrase []byte) error {
	if len(passphrase) > 0 {
		if err := checkPassphrase(passphrase); err != nil {
			return err
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.keys.wrap != nil && s.keys.wrap.keyFile != nil {
		return ErrKeyFileWraps
	}
	detail := "master key now protected by a passphrase"
	if len(passphrase) == 0 {
		detail = "master key passphrase removed: the key is kept plain in the data directory"
	}
	return s.writeLocked(operator, func(t *tx) error {
		t.audit(gdpr.ActionKeysRotate, "", detail, nil, 0)
		if action, _, _, err := t.refused(); err != nil || action != "" {
			return err // refused: writeLocked audits the refusal
		}
		return s.keys.rewrap(passphrase)
	})
}

// rewrap writes the master key again, wrapped by passphrase (none: plain).
func (k *keyring) rewrap(passphrase []byte) error {
	k.rw.Lock()
	defer k.rw.Unlock()
	path := filepath.Join(k.dir, masterKeyFile)
	master, _, err := k.wrap.readMaster(path)
	if err != nil {
		return fmt.Errorf("read master key: %w", err)
	}
	next := &masterWrap{pass: passphrase, passphrase: k.wrap.passphrase}
	if err := next.writeMaster(path, master); err != nil {
		return err
	}
	k.wrap = next
	return nil
}
