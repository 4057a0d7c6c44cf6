package store

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
)

// The keyring holds one data key per subject (a contact, or a request whose
// sender matches no contact). Every identifying field of the subject is
// sealed under that key, so destroying the key destroys the data wherever
// Badger left old copies of it (LSM tables, value log, write-ahead files).
//
// Keys live outside Badger, because a Badger delete only writes a tombstone:
// keys/subjects.keys is a file of fixed-size slots overwritten in place and
// fsynced when a key is destroyed. Each slot holds its data key wrapped
// (AES-256-GCM) by the master key in keys/master.key, so an old copy of the
// slot file (a backup, a remapped SSD block) is useless once the master is
// rotated away.
//
// subjects.keys layout:
//
//	header  64 bytes: magic "GDKEYS01", master id (8 bytes), keys destroyed
//	        so far (8 bytes, big endian: see Store.finishLostErasures),
//	        zero padding
//	slot n  64 bytes at offset 64*(n+1):
//	        state (1 = live, 0 = never used or destroyed), 3 bytes zero,
//	        nonce (12), wrapped key + GCM tag (48)
//
// Slot numbers start at 1; 0 means "no key". Slots are only ever appended, so
// a number never names two keys; a slot written for a transaction that then
// failed is left live and unused, which costs 64 bytes and reveals nothing.

const (
	slotSize      = 64
	headerSize    = 64
	keyringMagic  = "GDKEYS01"
	dataKeySize   = 32
	slotNonceSize = 12 // a slot's bytes 4–15: the nonce its key is wrapped with
	slotLive      = 1
	masterKeyFile = "master.key"
	slotsFile     = "subjects.keys"
)

// Slot names a subject's data key in the keyring.
type Slot uint32

// errKeyDestroyed reports a data key that was destroyed: the subject was
// erased and what was sealed under the key is gone for good.
var errKeyDestroyed = errors.New("data key destroyed (subject erased)")

// ErrKeyDamaged is returned when a data key cannot be read although it was
// not destroyed: its slot in keys/subjects.keys was altered or is missing.
// Only what was sealed under that one key is unreadable; restore the key
// ring from a backup to get it back.
var ErrKeyDamaged = errors.New("data key damaged")

// ErrKeyringMissing is returned by Open when the store holds data but its
// key ring (keys/master.key, keys/subjects.keys) is gone: without it no
// personal data can be read, so a new empty one must not be made.
var ErrKeyringMissing = errors.New("key ring missing")

type keyring struct {
	dir string

	// rw guards f and master: readers of the store do not hold its write
	// lock, and rotate swaps both under them.
	rw     sync.RWMutex
	f      *os.File
	master cipher.AEAD
	wrap   *masterWrap // how master.key is kept (keyfile.go)

	mu   sync.Mutex // guards next
	next Slot
}

func masterID(master []byte) []byte {
	h := sha256.Sum256(append([]byte("gdprdesk master id\x00"), master...))
	return h[:8]
}

// openKeyring opens the keyring in dir, its master key kept as w says
// (nil: plain), or creates it when create is set (a new store). A store
// with data whose keyring is gone is refused with ErrKeyringMissing: a
// fresh keyring would open every sealed field of it to nothing.
func openKeyring(dir string, w *masterWrap, create bool) (*keyring, error) {
	if w == nil {
		w = &masterWrap{}
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create key directory %s: %w", dir, err)
	}
	if err := finishRotation(dir, w); err != nil {
		return nil, err
	}
	masterPath := filepath.Join(dir, masterKeyFile)
	if !create {
		for _, name := range []string{masterKeyFile, slotsFile} {
			if _, err := os.Stat(filepath.Join(dir, name)); errors.Is(err, os.ErrNotExist) {
				return nil, fmt.Errorf("%w: %s is gone but the store holds data sealed under it: restore the keys directory from a backup (gdprdesk restore); nothing can be read without it",
					ErrKeyringMissing, filepath.Join(dir, name))
			}
		}
	}
	master, err := w.loadMaster(masterPath)
	if errors.Is(err, os.ErrNotExist) {
		master = make([]byte, dataKeySize)
		if _, err := rand.Read(master); err != nil {
			return nil, fmt.Errorf("generate master key: %w", err)
		}
		if err := w.writeMaster(masterPath, master); err != nil {
			return nil, err
		}
	} else if err != nil {
		return nil, fmt.Errorf("read master key %s: %w", masterPath, err)
	}
	if len(master) != dataKeySize {
		return nil, fmt.Errorf("master key %s is damaged (%d bytes, want %d): restore it from a backup", masterPath, len(master), dataKeySize)
	}
	aead, err := newAEAD(master)
	if err != nil {
		return nil, err
	}
	path := filepath.Join(dir, slotsFile)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open keyring %s: %w", path, err)
	}
	k := &keyring{dir: dir, f: f, master: aead, wrap: w}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("stat keyring %s: %w", path, err)
	}
	if st.Size() == 0 {
		if err := k.writeHeader(master); err != nil {
			f.Close()
			return nil, err
		}
		st, _ = f.Stat()
	}
	hdr := make([]byte, headerSize)
	if _, err := f.ReadAt(hdr, 0); err != nil {
		f.Close()
		return nil, fmt.Errorf("read keyring header %s: %w", path, err)
	}
	if string(hdr[:8]) != keyringMagic {
		f.Close()
		return nil, fmt.Errorf("keyring %s is not a gdprdesk keyring", path)
	}
	if !bytes.Equal(hdr[8:16], masterID(master)) {
		f.Close()
		return nil, fmt.Errorf("keyring %s was wrapped by another master key than %s: restore the matching pair", path, masterPath)
	}
	// A torn append leaves a partial slot at the end; it belongs to no
	// committed record, so the next slot starts after the last whole one.
	k.next = Slot((st.Size()-headerSize)/slotSize) + 1
	return k, nil
}

func newAEAD(key []byte) (cipher.AEAD, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("init cipher: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("init cipher: %w", err)
	}
	return aead, nil
}

func (k *keyring) writeHeader(master []byte) error {
	hdr := make([]byte, headerSize)
	copy(hdr, keyringMagic)
	copy(hdr[8:], masterID(master))
	if _, err := k.f.WriteAt(hdr, 0); err != nil {
		return fmt.Errorf("write keyring header: %w", err)
	}
	return k.f.Sync()
}

func slotAAD(s Slot) []byte {
	var b [12]byte
	copy(b[:], "slot")
	binary.BigEndian.PutUint64(b[4:], uint64(s))
	return b[:]
}

func slotOffset(s Slot) int64 { return headerSize + int64(s-1)*slotSize }

// newKeys allocates n fresh data keys, appends them to the slot file and
// returns their slots. The caller syncs (sync) before committing records
// that reference them, so a committed record never points at a key that a
// power cut could lose.
func (k *keyring) newKeys(n int) ([]Slot, error) {
	slots, _, err := k.newKeysRaw(n)
	return slots, err
}

// newKeysRaw is newKeys that also returns the new data keys, so that a
// caller about to seal under them need not read and unwrap them again.
func (k *keyring) newKeysRaw(n int) ([]Slot, [][]byte, error) {
	if n == 0 {
		return nil, nil, nil
	}
	buf := make([]byte, n*slotSize)
	k.rw.RLock()
	defer k.rw.RUnlock()
	k.mu.Lock()
	first := k.next
	k.next += Slot(n)
	k.mu.Unlock()
	slots := make([]Slot, n)
	keys := make([][]byte, n)
	// The keys and the nonces that wrap them, from one read of the
	// random source; each key wrapped on any core (a bulk load makes 500
	// at a time). The master key's AEAD is safe for concurrent use.
	raw := make([]byte, n*(dataKeySize+slotNonceSize))
	if _, err := rand.Read(raw); err != nil {
		return nil, nil, fmt.Errorf("generate data keys: %w", err)
	}
	nonces := raw[n*dataKeySize:]
	parallel(n, func(i int) {
		s := first + Slot(i)
		slots[i] = s
		dk := raw[i*dataKeySize : (i+1)*dataKeySize : (i+1)*dataKeySize]
		keys[i] = dk
		rec := buf[i*slotSize : (i+1)*slotSize]
		rec[0] = slotLive
		nonce := rec[4:16]
		copy(nonce, nonces[i*slotNonceSize:(i+1)*slotNonceSize])
		k.master.Seal(rec[16:16], nonce, dk, slotAAD(s))
	})
	if _, err := k.f.WriteAt(buf, slotOffset(first)); err != nil {
		return nil, nil, fmt.Errorf("write data keys: %w", err)
	}
	return slots, keys, nil
}

// skipPast makes sure no slot up to s is ever handed out again: a store
// restored from an older backup must not reuse the numbers that the newer
// store gave out since (Reapply destroys by number). The slots skipped read
// as destroyed.
func (k *keyring) skipPast(s Slot) error {
	k.rw.RLock()
	defer k.rw.RUnlock()
	k.mu.Lock()
	defer k.mu.Unlock()
	if s < k.next {
		return nil
	}
	var zero [slotSize]byte
	if _, err := k.f.WriteAt(zero[:], slotOffset(s)); err != nil {
		return fmt.Errorf("reserve data key slots up to %d: %w", s, err)
	}
	if err := k.f.Sync(); err != nil {
		return fmt.Errorf("sync keyring: %w", err)
	}
	k.next = s + 1
	return nil
}

func (k *keyring) sync() error {
	k.rw.RLock()
	defer k.rw.RUnlock()
	if err := k.f.Sync(); err != nil {
		return fmt.Errorf("sync keyring: %w", err)
	}
	return nil
}

// key unwraps a slot's data key.
func (k *keyring) key(s Slot) ([]byte, error) {
	if s == 0 {
		return nil, errKeyDestroyed
	}
	k.rw.RLock()
	defer k.rw.RUnlock()
	var rec [slotSize]byte
	if _, err := k.f.ReadAt(rec[:], slotOffset(s)); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("%w: data key %d is missing from the keyring (keys/subjects.keys is shorter than the store needs)", ErrKeyDamaged, s)
		}
		return nil, fmt.Errorf("read data key %d: %w", s, err)
	}
	return k.open(s, rec[:])
}

// open unwraps one slot's bytes. A destroyed slot is all zeros (destroy,
// skipPast); any other slot that is not live and whole is damage, not an
// erasure: a cleared live flag must not make a contact read as erased.
func (k *keyring) open(s Slot, rec []byte) ([]byte, error) {
	switch slotState(rec) {
	case slotDestroyed:
		return nil, errKeyDestroyed
	case slotDamaged:
		return nil, fmt.Errorf("%w: data key %d has its state byte altered (%#x)", ErrKeyDamaged, s, rec[0])
	}
	dk, err := k.master.Open(nil, rec[4:16], rec[16:], slotAAD(s))
	if err != nil {
		return nil, fmt.Errorf("%w: data key %d does not open under the master key (its bytes were altered)", ErrKeyDamaged, s)
	}
	return dk, nil
}

// What a slot's bytes say, before unwrapping.
const (
	slotIsLive = iota
	slotDestroyed
	slotDamaged
)

func slotState(rec []byte) int {
	if rec[0] == slotLive {
		return slotIsLive
	}
	for _, b := range rec {
		if b != 0 {
			return slotDamaged
		}
	}
	return slotDestroyed
}

// destroy overwrites the slots in place with zeros and syncs the file: the
// keys, and everything sealed under them, are gone.
//
// The header counts the keys destroyed (those that were live), in the same
// sync: a store whose own count of erasures is lower lost the record of an
// erasure whose keys are gone, and Open finishes it (finishLostErasures).
func (k *keyring) destroy(slots ...Slot) error {
	var zero [slotSize]byte
	k.rw.RLock()
	defer k.rw.RUnlock()
	var n uint64
	for _, s := range slots {
		if s == 0 {
			continue
		}
		var rec [slotSize]byte
		if _, err := k.f.ReadAt(rec[:], slotOffset(s)); err == nil && slotState(rec[:]) != slotDestroyed {
			n++
		}
		if _, err := k.f.WriteAt(zero[:], slotOffset(s)); err != nil {
			return fmt.Errorf("destroy data key %d: %w", s, err)
		}
	}
	if n > 0 {
		count, err := k.destroyedCountLocked()
		if err != nil {
			return err
		}
		if _, err := k.f.WriteAt(u64(count+n), 16); err != nil {
			return fmt.Errorf("count destroyed data keys: %w", err)
		}
	}
	if err := k.f.Sync(); err != nil {
		return fmt.Errorf("sync keyring: %w", err)
	}
	return nil
}

// destroyedCount is the number of keys destroyed so far (the header's).
func (k *keyring) destroyedCount() (uint64, error) {
	k.rw.RLock()
	defer k.rw.RUnlock()
	return k.destroyedCountLocked()
}

// setDestroyedCount records that the key ring honours n erasure marks.
func (k *keyring) setDestroyedCount(n uint64) error {
	k.rw.RLock()
	defer k.rw.RUnlock()
	if _, err := k.f.WriteAt(u64(n), 16); err != nil {
		return fmt.Errorf("count destroyed data keys: %w", err)
	}
	if err := k.f.Sync(); err != nil {
		return fmt.Errorf("sync keyring: %w", err)
	}
	return nil
}

func (k *keyring) destroyedCountLocked() (uint64, error) {
	var b [8]byte
	if _, err := k.f.ReadAt(b[:], 16); err != nil {
		return 0, fmt.Errorf("read keyring header: %w", err)
	}
	return binary.BigEndian.Uint64(b[:]), nil
}

func (k *keyring) close() error {
	k.rw.Lock()
	defer k.rw.Unlock()
	return k.f.Close()
}

// rotate replaces the master key: every live data key is re-wrapped under a
// new master into a fresh slot file, the new files replace the old ones, and
// the old master is gone. Destroyed slots stay zero. Crash-safe: the new
// master is written as master.key.next first; finishRotation completes or
// abandons a rotation that a crash interrupted, by comparing the slot file's
// master id with it. The caller holds the store's write lock.
func (k *keyring) rotate() error {
	newMaster := make([]byte, dataKeySize)
	if _, err := rand.Read(newMaster); err != nil {
		return fmt.Errorf("generate master key: %w", err)
	}
	aead, err := newAEAD(newMaster)
	if err != nil {
		return err
	}
	nextMaster := filepath.Join(k.dir, masterKeyFile+".next")
	nextSlots := filepath.Join(k.dir, slotsFile+".next")
	if err := k.wrap.writeMaster(nextMaster, newMaster); err != nil {
		return err
	}
	out, err := os.OpenFile(nextSlots, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return fmt.Errorf("create keyring: %w", err)
	}
	defer out.Close()
	hdr := make([]byte, headerSize)
	copy(hdr, keyringMagic)
	copy(hdr[8:], masterID(newMaster))
	count, err := k.destroyedCount()
	if err != nil {
		return err
	}
	copy(hdr[16:], u64(count))
	if _, err := out.Write(hdr); err != nil {
		return fmt.Errorf("write keyring: %w", err)
	}
	k.mu.Lock()
	last := k.next - 1
	k.mu.Unlock()
	for s := Slot(1); s <= last; s++ {
		rec := make([]byte, slotSize)
		dk, err := k.key(s)
		if err == nil {
			rec[0] = slotLive
			if _, err := rand.Read(rec[4:16]); err != nil {
				return fmt.Errorf("generate nonce: %w", err)
			}
			aead.Seal(rec[16:16], rec[4:16], dk, slotAAD(s))
		} else if !errors.Is(err, errKeyDestroyed) {
			return err
		}
		if _, err := out.Write(rec); err != nil {
			return fmt.Errorf("write keyring: %w", err)
		}
	}
	if err := out.Sync(); err != nil {
		return fmt.Errorf("sync keyring: %w", err)
	}
	if err := os.Rename(nextSlots, filepath.Join(k.dir, slotsFile)); err != nil {
		return fmt.Errorf("install keyring: %w", err)
	}
	if err := syncDir(k.dir); err != nil {
		return err
	}
	if err := finishRotation(k.dir, k.wrap); err != nil {
		return err
	}
	f, err := os.OpenFile(filepath.Join(k.dir, slotsFile), os.O_RDWR, 0o600)
	if err != nil {
		return fmt.Errorf("reopen keyring: %w", err)
	}
	k.rw.Lock()
	old := k.f
	k.f, k.master = f, aead
	k.rw.Unlock()
	old.Close()
	return nil
}

// finishRotation completes a master rotation interrupted by a crash: when
// master.key.next exists and the slot file already carries its id, it
// becomes the master (the old one is overwritten first); otherwise the slot
// file still belongs to the old master and the half-made rotation is dropped.
func finishRotation(dir string, w *masterWrap) error {
	nextMaster := filepath.Join(dir, masterKeyFile+".next")
	next, _, err := w.readMaster(nextMaster)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	} else if err != nil {
		return fmt.Errorf("read %s: %w", nextMaster, err)
	}
	hdr := make([]byte, headerSize)
	f, err := os.Open(filepath.Join(dir, slotsFile))
	if err != nil {
		return fmt.Errorf("open keyring: %w", err)
	}
	_, err = f.ReadAt(hdr, 0)
	f.Close()
	if err != nil {
		return fmt.Errorf("read keyring header: %w", err)
	}
	if len(next) == dataKeySize && bytes.Equal(hdr[8:16], masterID(next)) {
		masterPath := filepath.Join(dir, masterKeyFile)
		// Overwrite the old master in place before replacing it, so its
		// bytes do not linger in a freed block of this file system.
		if old, err := os.OpenFile(masterPath, os.O_WRONLY, 0o600); err == nil {
			_, werr := old.WriteAt(make([]byte, dataKeySize), 0)
			serr := old.Sync()
			old.Close()
			if werr != nil || serr != nil {
				return fmt.Errorf("overwrite old master key: %w", errors.Join(werr, serr))
			}
		}
		if err := os.Rename(nextMaster, masterPath); err != nil {
			return fmt.Errorf("install master key: %w", err)
		}
		return syncDir(dir)
	}
	_ = os.Remove(filepath.Join(dir, slotsFile+".next"))
	if err := os.Remove(nextMaster); err != nil {
		return fmt.Errorf("drop unfinished key rotation: %w", err)
	}
	return nil
}

func writeFileSync(path string, data []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("sync %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("close %s: %w", path, err)
	}
	return syncDir(filepath.Dir(path))
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("open directory %s: %w", dir, err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("sync directory %s: %w", dir, err)
	}
	return nil
}

// seal encrypts plaintext under a data key; aad binds it to its place.
func seal(key, plaintext, aad []byte) ([]byte, error) {
	aead, err := newAEAD(key)
	if err != nil {
		return nil, err
	}
	out := make([]byte, aead.NonceSize(), aead.NonceSize()+len(plaintext)+aead.Overhead())
	if _, err := rand.Read(out); err != nil {
		return nil, fmt.Errorf("generate nonce: %w", err)
	}
	return aead.Seal(out, out, plaintext, aad), nil
}

// unseal decrypts what seal produced.
func unseal(key, sealed, aad []byte) ([]byte, error) {
	aead, err := newAEAD(key)
	if err != nil {
		return nil, err
	}
	if len(sealed) < aead.NonceSize()+aead.Overhead() {
		return nil, errors.New("sealed value is truncated")
	}
	n := aead.NonceSize()
	pt, err := aead.Open(nil, sealed[:n], sealed[n:], aad)
	if err != nil {
		return nil, fmt.Errorf("sealed value does not decrypt: %w", err)
	}
	return pt, nil
}

// sealJSON seals v, as JSON, under the data key of slot: the sealed part
// of a record whose clear part is stored beside it (requests, breaches).
func (s *Store) sealJSON(slot Slot, v any, aad []byte) ([]byte, error) {
	key, err := s.keys.key(slot)
	if err != nil {
		return nil, err
	}
	pt, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("encode the sealed part: %w", err)
	}
	return seal(key, pt, aad)
}
