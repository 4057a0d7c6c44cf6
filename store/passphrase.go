package store

import (
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"
)

// Passphrases: a backup (backupcrypt.go) and, when the owner asks for it,
// the master key (keyfile.go) are encrypted under a key derived from a
// passphrase with Argon2id (RFC 9106). The parameters are stored with what
// they encrypt, so they can grow without breaking old files; those read
// from a file are bounded, so a crafted file cannot make gdprdesk allocate
// without limit.

// MinPassphrase is the shortest passphrase accepted, in characters.
const MinPassphrase = 8

// ErrShortPassphrase refuses a passphrase shorter than MinPassphrase.
var ErrShortPassphrase = fmt.Errorf("the passphrase is too short: use at least %d characters (a few words are best)", MinPassphrase)

// kdf holds Argon2id's parameters and salt.
type kdf struct {
	time    uint32 // passes
	memory  uint32 // KiB
	threads uint8
	salt    [16]byte
}

// kdfSize is the size of an encoded kdf: time, memory, threads, salt.
const kdfSize = 4 + 4 + 1 + 16

// newKDF returns RFC 9106's second recommended setting (3 passes over
// 64 MiB, 4 lanes: about a tenth of a second) with a fresh salt.
func newKDF() (kdf, error) {
	k := kdf{time: 3, memory: 64 << 10, threads: 4}
	if _, err := rand.Read(k.salt[:]); err != nil {
		return k, fmt.Errorf("generate salt: %w", err)
	}
	return k, nil
}

func (k kdf) encode() []byte {
	b := make([]byte, kdfSize)
	binary.BigEndian.PutUint32(b[0:], k.time)
	binary.BigEndian.PutUint32(b[4:], k.memory)
	b[8] = k.threads
	copy(b[9:], k.salt[:])
	return b
}

func decodeKDF(b []byte) (kdf, error) {
	var k kdf
	if len(b) < kdfSize {
		return k, errors.New("its key derivation parameters are cut short")
	}
	k.time = binary.BigEndian.Uint32(b[0:])
	k.memory = binary.BigEndian.Uint32(b[4:])
	k.threads = b[8]
	copy(k.salt[:], b[9:kdfSize])
	if k.time == 0 || k.time > 16 || k.threads == 0 || k.memory < 8*uint32(k.threads) || k.memory > 1<<20 {
		return k, fmt.Errorf("its key derivation parameters are out of range (%d passes, %d KiB, %d lanes)", k.time, k.memory, k.threads)
	}
	return k, nil
}

// derive returns n bytes of key from the passphrase.
func (k kdf) derive(passphrase []byte, n uint32) []byte {
	return argon2.IDKey(passphrase, k.salt[:], k.time, k.memory, k.threads, n)
}

// checkPassphrase refuses a passphrase too short to protect anything.
func checkPassphrase(p []byte) error {
	if utf8.RuneCount(p) < MinPassphrase {
		return ErrShortPassphrase
	}
	return nil
}
