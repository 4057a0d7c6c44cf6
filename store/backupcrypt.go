package store

import (
	"bufio"
	"bytes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"golang.org/x/crypto/chacha20poly1305"
)

// Encrypted backups. Every backup is encrypted with a key derived from a
// passphrase the owner holds (Argon2id, passphrase.go), so a backup file
// alone — copied to a cloud drive, left on a USB stick — reveals nothing:
// not the people in it, not the key ring that it carries, and not the HMAC
// secret of the suppression list, without which nobody can test whether a
// given address was erased.
//
// The file is the tar archive of backup.go, cut into chunks of 64 KiB and
// sealed one by one with XChaCha20-Poly1305 (the STREAM construction: each
// chunk's nonce carries its number and whether it is the last, so chunks
// cannot be reordered, dropped or cut off unnoticed):
//
//	header  "GDBKENC1" (8), Argon2id parameters and salt (25),
//	        nonce prefix (15), key check (32)
//	chunk   last (1: 0 or 1), length of what follows (4, big endian),
//	        sealed chunk (length: plain text + 16-byte tag)
//
// The key check is HMAC-SHA-256 of the header under a second derived key:
// a wrong passphrase is told apart from a damaged file before anything is
// decrypted or written.

const (
	backupMagic      = "GDBKENC1"
	backupChunk      = 64 << 10
	backupNoncePfx   = 15
	backupHeaderSize = len(backupMagic) + kdfSize + backupNoncePfx + sha256.Size
	chunkHeaderSize  = 5
)

// ErrBackupPassphrase is returned when the passphrase does not open a backup.
var ErrBackupPassphrase = errors.New("the passphrase does not open this backup (it is not the one it was written with)")

// backupKeys derives the chunk key and the key-check key.
func backupKeys(k kdf, passphrase []byte) (cipher.AEAD, []byte, error) {
	keys := k.derive(passphrase, 64)
	aead, err := chacha20poly1305.NewX(keys[:32])
	if err != nil {
		return nil, nil, fmt.Errorf("init backup cipher: %w", err)
	}
	return aead, keys[32:], nil
}

func backupKeyCheck(checkKey, hdr []byte) []byte {
	m := hmac.New(sha256.New, checkKey)
	m.Write(hdr)
	return m.Sum(nil)
}

func chunkNonce(prefix []byte, n uint64, last bool) []byte {
	nonce := make([]byte, chacha20poly1305.NonceSizeX)
	copy(nonce, prefix)
	binary.BigEndian.PutUint64(nonce[backupNoncePfx:], n)
	if last {
		nonce[len(nonce)-1] = 1
	}
	return nonce
}

// sealWriter encrypts what is written to it; Close seals the last chunk.
type sealWriter struct {
	w      io.Writer
	aead   cipher.AEAD
	hdr    []byte // the whole header: every chunk's additional data
	prefix []byte
	n      uint64
	buf    []byte
	out    []byte
	count  int64 // bytes written to w
	err    error
}

// newSealWriter writes the header of an encrypted backup to w.
func newSealWriter(w io.Writer, passphrase []byte) (*sealWriter, error) {
	if err := checkPassphrase(passphrase); err != nil {
		return nil, err
	}
	k, err := newKDF()
	if err != nil {
		return nil, err
	}
	aead, checkKey, err := backupKeys(k, passphrase)
	if err != nil {
		return nil, err
	}
	hdr := append([]byte(backupMagic), k.encode()...)
	prefix := make([]byte, backupNoncePfx)
	if _, err := rand.Read(prefix); err != nil {
		return nil, fmt.Errorf("generate nonce: %w", err)
	}
	hdr = append(hdr, prefix...)
	hdr = append(hdr, backupKeyCheck(checkKey, hdr)...)
	sw := &sealWriter{w: w, aead: aead, hdr: hdr, prefix: prefix, buf: make([]byte, 0, backupChunk)}
	if _, err := w.Write(hdr); err != nil {
		return nil, fmt.Errorf("write backup: %w", err)
	}
	sw.count = int64(len(hdr))
	return sw, nil
}

func (s *sealWriter) Write(p []byte) (int, error) {
	if s.err != nil {
		return 0, s.err
	}
	written := 0
	for len(p) > 0 {
		n := copy(s.buf[len(s.buf):cap(s.buf)], p)
		s.buf = s.buf[:len(s.buf)+n]
		p = p[n:]
		written += n
		// A full chunk is sealed once more follows: Close seals the
		// last one, so it is never an empty chunk after a full one.
		if len(s.buf) == cap(s.buf) && len(p) > 0 {
			if err := s.flush(false); err != nil {
				return written, err
			}
		}
	}
	return written, nil
}

func (s *sealWriter) flush(last bool) error {
	if s.err != nil {
		return s.err
	}
	var ch [chunkHeaderSize]byte
	if last {
		ch[0] = 1
	}
	s.out = s.aead.Seal(s.out[:0], chunkNonce(s.prefix, s.n, last), s.buf, s.hdr)
	binary.BigEndian.PutUint32(ch[1:], uint32(len(s.out)))
	if _, err := s.w.Write(ch[:]); err != nil {
		s.err = fmt.Errorf("write backup: %w", err)
		return s.err
	}
	if _, err := s.w.Write(s.out); err != nil {
		s.err = fmt.Errorf("write backup: %w", err)
		return s.err
	}
	s.count += int64(chunkHeaderSize + len(s.out))
	s.n++
	s.buf = s.buf[:0]
	return nil
}

// Close seals what is left as the last chunk. It does not close w.
func (s *sealWriter) Close() error { return s.flush(true) }

// openReader decrypts an encrypted backup, failing on the first chunk
// that does not authenticate and on a file cut short.
type openReader struct {
	r      *bufio.Reader
	aead   cipher.AEAD
	hdr    []byte
	prefix []byte
	n      uint64
	plain  []byte // decrypted, not yet read
	buf    []byte
	done   bool
}

// isEncryptedBackup reports whether r starts like an encrypted backup.
func isEncryptedBackup(r *bufio.Reader) bool {
	b, _ := r.Peek(len(backupMagic))
	return string(b) == backupMagic
}

// newOpenReader reads the header of an encrypted backup, checks the
// passphrase against it and decrypts the first chunk, so that a wrong
// passphrase or a foreign file fails here, before anything is written.
func newOpenReader(r *bufio.Reader, passphrase []byte) (*openReader, error) {
	hdr := make([]byte, backupHeaderSize)
	if _, err := io.ReadFull(r, hdr); err != nil {
		return nil, fmt.Errorf("backup is damaged or not a gdprdesk backup: its header is cut short")
	}
	if string(hdr[:len(backupMagic)]) != backupMagic {
		return nil, errors.New("not an encrypted gdprdesk backup")
	}
	k, err := decodeKDF(hdr[len(backupMagic):])
	if err != nil {
		return nil, fmt.Errorf("backup is damaged: %w", err)
	}
	if len(passphrase) == 0 {
		return nil, errors.New("the backup is encrypted: give its passphrase")
	}
	aead, checkKey, err := backupKeys(k, passphrase)
	if err != nil {
		return nil, err
	}
	body := hdr[:backupHeaderSize-sha256.Size]
	if !hmac.Equal(hdr[len(body):], backupKeyCheck(checkKey, body)) {
		return nil, ErrBackupPassphrase
	}
	o := &openReader{r: r, aead: aead, hdr: hdr, prefix: body[len(body)-backupNoncePfx:]}
	if err := o.next(); err != nil {
		return nil, err
	}
	return o, nil
}

func (o *openReader) next() error {
	var ch [chunkHeaderSize]byte
	if _, err := io.ReadFull(o.r, ch[:]); err != nil {
		return errors.New("backup is incomplete: it was cut short")
	}
	last := ch[0] == 1
	n := binary.BigEndian.Uint32(ch[1:])
	if ch[0] > 1 || n < uint32(o.aead.Overhead()) || n > backupChunk+uint32(o.aead.Overhead()) {
		return fmt.Errorf("backup is damaged: chunk %d has a bad header", o.n)
	}
	if cap(o.buf) < int(n) {
		o.buf = make([]byte, n)
	}
	o.buf = o.buf[:n]
	if _, err := io.ReadFull(o.r, o.buf); err != nil {
		return errors.New("backup is incomplete: it was cut short")
	}
	plain, err := o.aead.Open(o.buf[:0], chunkNonce(o.prefix, o.n, last), o.buf, o.hdr)
	if err != nil {
		return fmt.Errorf("backup is damaged: chunk %d does not authenticate", o.n)
	}
	o.plain, o.n = plain, o.n+1
	if last {
		if _, err := o.r.ReadByte(); err != io.EOF {
			return errors.New("backup is damaged: something follows its last chunk")
		}
		o.done = true
	}
	return nil
}

func (o *openReader) Read(p []byte) (int, error) {
	for len(o.plain) == 0 {
		if o.done {
			return 0, io.EOF
		}
		if err := o.next(); err != nil {
			return 0, err
		}
	}
	n := copy(p, o.plain)
	o.plain = o.plain[n:]
	return n, nil
}

// openBackup returns the archive of a backup: decrypted with the
// passphrase when it is encrypted (checked before anything else is read),
// as it is when it is a plain archive written by an earlier gdprdesk
// (encrypted reports which).
func openBackup(r io.Reader, passphrase []byte) (archive io.Reader, encrypted bool, err error) {
	br := bufio.NewReaderSize(r, 64<<10)
	if isEncryptedBackup(br) {
		o, err := newOpenReader(br, passphrase)
		return o, true, err
	}
	if b, _ := br.Peek(512); len(b) == 512 && bytes.Equal(b[257:262], []byte("ustar")) {
		return br, false, nil
	}
	return nil, false, errors.New("not a gdprdesk backup")
}

// BackupEncrypted reads the start of a backup file and reports whether it
// is encrypted (a plain archive of an earlier gdprdesk is not), then
// rewinds r to its start.
func BackupEncrypted(r io.ReadSeeker) (bool, error) {
	head := make([]byte, len(backupMagic))
	n, err := io.ReadFull(r, head)
	if _, serr := r.Seek(0, io.SeekStart); serr != nil {
		return false, fmt.Errorf("read backup: %w", serr)
	}
	if err != nil && n == 0 {
		return false, errors.New("backup is empty")
	}
	return string(head[:n]) == backupMagic, nil
}
