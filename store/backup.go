package store

import (
	"archive/tar"
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/dgraph-io/badger/v4"
	"github.com/dgraph-io/badger/v4/pb"
	"github.com/gdprdesk/gdprdesk/gdpr"
	"google.golang.org/protobuf/proto"
)

// Backup and restore.
//
// A backup is a tar archive, encrypted with the owner's passphrase
// (backupcrypt.go):
//
//	manifest.json         what it is (format, time, installation, audit head)
//	keys/master.key       the key ring, copied in the same instant as the
//	keys/subjects.keys    database snapshot, so every record's key is there
//	db/000001.kv …        the database: Badger's backup format (length-
//	                      prefixed protobuf KV lists), latest versions only,
//	                      cut into parts of at most 8 MB
//	checksums.json        SHA-256 of every file above
//
// The snapshot is consistent: the database is read in one Badger read
// transaction, opened — and the key files copied — while the store's write
// lock is held, so no commit and no key destruction falls between them. The
// lock is held only for that moment; writers carry on while the snapshot is
// streamed. Old versions of values are not copied, so a backup holds nothing
// an erasure made before it destroyed.
//
// A backup holds the key ring and the HMAC secret, so with its passphrase it
// opens everything in it; without the passphrase it opens nothing. A plain
// archive written by an earlier gdprdesk still restores. Restoring an older backup brings back the
// people erased since it was taken, with their keys. RestoreOptions.Erasures
// re-applies those erasures to the restored store (see reapply): the
// erasure records and the suppression list of the newer store win.

const (
	backupFormat   = 1
	backupProgram  = "gdprdesk"
	backupPartSize = 8 << 20

	manifestName  = "manifest.json"
	checksumsName = "checksums.json"
	dbPartPrefix  = "db/"
)

// BackupManifest describes a backup. It holds no personal data.
type BackupManifest struct {
	Format       int       `json:"format"`
	Program      string    `json:"program"`
	Created      time.Time `json:"created"`
	Schema       int       `json:"schema"`
	Installation string    `json:"installation"`  // fingerprint of the store's HMAC secret
	AuditEntries uint64    `json:"audit_entries"` // the audit head at the snapshot
	Encrypted    bool      `json:"source_encrypted"`
	Contacts     int64     `json:"contacts"` // contacts at the snapshot (erased ones included)
	Records      int64     `json:"records"`  // database keys copied: known once the stream is written, so 0 in the archive's copy

	// Bytes is the size of the backup written (set by Backup, not stored).
	Bytes int64 `json:"-"`
	// Unencrypted says the backup read was a plain archive of an earlier
	// gdprdesk (set when reading, not stored).
	Unencrypted bool `json:"-"`
}

func (s *Store) installation() string {
	h := sha256.Sum256(append([]byte("gdprdesk installation\x00"), s.hmacSecret...))
	return hex.EncodeToString(h[:16])
}

// Backup writes a consistent snapshot of the open store to w (the archive
// format is above), encrypted with the passphrase (at least MinPassphrase
// characters). It is safe to call while other goroutines read and write:
// they wait only while the snapshot is taken, not while it is written. It
// returns the manifest of what it wrote, with the count of database
// records and of bytes written.
func (s *Store) Backup(w io.Writer, passphrase []byte) (BackupManifest, error) {
	var m BackupManifest
	if err := checkPassphrase(passphrase); err != nil {
		return m, fmt.Errorf("backup: %w", err)
	}
	// It reads every table: give their pages back as it goes (at
	// 10,000,000 contacts a backup held 5.6 GB of them otherwise).
	defer s.reclaimDuring()()
	s.mu.Lock()
	s.life.RLock()
	defer s.life.RUnlock()
	if s.db == nil {
		s.mu.Unlock()
		return m, errClosed
	}
	txn := s.db.NewTransaction(false)
	defer txn.Discard()
	master, slots, err := s.keys.snapshot()
	m = BackupManifest{Format: backupFormat, Program: backupProgram, Created: s.now().UTC(), Schema: schemaVersion,
		Installation: s.installation(), AuditEntries: s.auditSeq}
	m.Encrypted, _ = Encrypted(s.dir)
	wrap := s.keys.wrap // changed only under s.mu (SetMasterPassphrase)
	if err == nil {
		if m.Contacts, err = readCounter(txn, cntContacts); err != nil {
			err = fmt.Errorf("count contacts: %w", err)
		}
	}
	s.mu.Unlock()
	if err == nil {
		// The backup carries the master key unwrapped: its passphrase
		// protects it, and the restore decides how it is kept.
		master, _, err = wrap.unwrap(master, filepath.Join(s.dir, "keys", masterKeyFile))
	}
	if err != nil {
		return m, fmt.Errorf("backup: copy the key ring: %w", err)
	}

	sw, err := newSealWriter(w, passphrase)
	if err != nil {
		return m, fmt.Errorf("backup: %w", err)
	}
	tw := tar.NewWriter(sw)
	sums := map[string]string{}
	add := func(name string, data []byte) error {
		hdr := &tar.Header{Name: name, Mode: 0o600, Size: int64(len(data)), ModTime: m.Created, Typeflag: tar.TypeReg}
		if err := tw.WriteHeader(hdr); err != nil {
			return fmt.Errorf("backup: write %s: %w", name, err)
		}
		if _, err := tw.Write(data); err != nil {
			return fmt.Errorf("backup: write %s: %w", name, err)
		}
		sum := sha256.Sum256(data)
		sums[name] = hex.EncodeToString(sum[:])
		return nil
	}
	mb, _ := json.MarshalIndent(m, "", "  ")
	if err := add(manifestName, mb); err != nil {
		return m, err
	}
	if err := add("keys/"+masterKeyFile, master); err != nil {
		return m, err
	}
	if err := add("keys/"+slotsFile, slots); err != nil {
		return m, err
	}

	var part bytes.Buffer
	parts := 0
	flushPart := func() error {
		if part.Len() == 0 {
			return nil
		}
		parts++
		err := add(fmt.Sprintf("%s%06d.kv", dbPartPrefix, parts), part.Bytes())
		part.Reset()
		return err
	}
	list := &pb.KVList{}
	listSize := 0
	flushList := func() error {
		if len(list.Kv) == 0 {
			return nil
		}
		b, err := proto.Marshal(list)
		if err != nil {
			return fmt.Errorf("backup: encode records: %w", err)
		}
		var n [8]byte
		binary.LittleEndian.PutUint64(n[:], uint64(len(b)))
		part.Write(n[:])
		part.Write(b)
		list.Kv, listSize = list.Kv[:0], 0
		if part.Len() >= backupPartSize {
			return flushPart()
		}
		return nil
	}
	it := txn.NewIterator(badger.IteratorOptions{PrefetchValues: true, PrefetchSize: 100})
	defer it.Close()
	for it.Rewind(); it.Valid(); it.Next() {
		item := it.Item()
		v, err := item.ValueCopy(nil)
		if err != nil {
			return m, fmt.Errorf("backup: read the database: %w", err)
		}
		list.Kv = append(list.Kv, &pb.KV{Key: item.KeyCopy(nil), Value: v, UserMeta: []byte{item.UserMeta()},
			Version: item.Version(), ExpiresAt: item.ExpiresAt()})
		m.Records++
		listSize += len(v) + len(item.Key())
		if len(list.Kv) >= 1000 || listSize >= 1<<20 {
			if err := flushList(); err != nil {
				return m, err
			}
		}
	}
	if err := flushList(); err != nil {
		return m, err
	}
	if err := flushPart(); err != nil {
		return m, err
	}
	sb, _ := json.MarshalIndent(sums, "", "  ")
	if err := add(checksumsName, sb); err != nil {
		return m, err
	}
	if err := tw.Close(); err != nil {
		return m, fmt.Errorf("backup: finish the archive: %w", err)
	}
	if err := sw.Close(); err != nil {
		return m, fmt.Errorf("backup: finish the archive: %w", err)
	}
	m.Bytes = sw.count
	return m, nil
}

// snapshot copies the master key file as it is and the slot file (whole
// slots only). The caller holds the store's write lock, so no erasure or
// rotation runs, and unwraps the master key after releasing it (a
// passphrase's key derivation takes a while).
func (k *keyring) snapshot() (master, slots []byte, err error) {
	k.rw.RLock()
	defer k.rw.RUnlock()
	if master, err = os.ReadFile(filepath.Join(k.dir, masterKeyFile)); err != nil {
		return nil, nil, err
	}
	st, err := k.f.Stat()
	if err != nil {
		return nil, nil, err
	}
	n := st.Size()
	if n > headerSize {
		n -= (n - headerSize) % slotSize
	}
	slots = make([]byte, n)
	if _, err := k.f.ReadAt(slots, 0); err != nil {
		return nil, nil, err
	}
	return master, slots, nil
}

// destroyed lists the slots of this keyring that hold no key.
func (k *keyring) destroyed() ([]Slot, error) {
	k.rw.RLock()
	defer k.rw.RUnlock()
	st, err := k.f.Stat()
	if err != nil {
		return nil, err
	}
	n := (st.Size() - headerSize) / slotSize
	buf := make([]byte, n*slotSize)
	if _, err := k.f.ReadAt(buf, headerSize); err != nil && !errors.Is(err, io.EOF) {
		return nil, err
	}
	var out []Slot
	for i := int64(0); i < n; i++ {
		if buf[i*slotSize] != slotLive {
			out = append(out, Slot(i+1))
		}
	}
	return out, nil
}

// VerifyBackup reads a backup to its end, decrypting it with the
// passphrase, and checks its checksums, without restoring it.
func VerifyBackup(r io.Reader, passphrase []byte) (BackupManifest, error) {
	var m BackupManifest
	archive, encrypted, err := openBackup(r, passphrase)
	if err != nil {
		return m, err
	}
	br := &backupReader{tr: tar.NewReader(archive)}
	defer func() { m.Unencrypted = !encrypted }()
	for {
		hdr, err := br.next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return m, err
		}
		if hdr.Name == manifestName {
			if m, err = br.manifest(); err != nil {
				return m, err
			}
			continue
		}
		if _, err := io.Copy(io.Discard, br); err != nil {
			return m, fmt.Errorf("backup is damaged: read %s: %w", hdr.Name, err)
		}
	}
	return m, br.finish()
}

// backupReader walks an archive, hashing every file as it is read.
type backupReader struct {
	tr      *tar.Reader
	cur     string
	h       hash.Hash
	sums    map[string]string // computed
	want    map[string]string // from checksums.json
	haveMan bool
	parts   int
}

func (b *backupReader) next() (*tar.Header, error) {
	b.close()
	hdr, err := b.tr.Next()
	if err == io.EOF {
		return nil, io.EOF
	}
	if err != nil {
		return nil, fmt.Errorf("backup is damaged or not a gdprdesk backup: %w", err)
	}
	if !b.haveMan && hdr.Name != manifestName {
		return nil, errors.New("not a gdprdesk backup: it does not start with manifest.json")
	}
	if b.want != nil {
		return nil, fmt.Errorf("backup is damaged: %s follows checksums.json", hdr.Name)
	}
	switch {
	case hdr.Name == manifestName, hdr.Name == "keys/"+masterKeyFile, hdr.Name == "keys/"+slotsFile:
	case strings.HasPrefix(hdr.Name, dbPartPrefix) && !strings.Contains(hdr.Name[len(dbPartPrefix):], "/"):
		b.parts++
	case hdr.Name == checksumsName:
		var want map[string]string
		if err := json.NewDecoder(io.LimitReader(b.tr, 1<<20)).Decode(&want); err != nil {
			return nil, fmt.Errorf("backup is damaged: read checksums.json: %w", err)
		}
		b.want = want
		return b.next()
	default:
		return nil, fmt.Errorf("backup holds an unexpected file %q: not a gdprdesk backup", hdr.Name)
	}
	if hdr.Typeflag != tar.TypeReg {
		return nil, fmt.Errorf("backup is damaged: %s is not a regular file", hdr.Name)
	}
	if _, dup := b.sums[hdr.Name]; dup {
		return nil, fmt.Errorf("backup is damaged: %s appears twice", hdr.Name)
	}
	b.cur, b.h = hdr.Name, sha256.New()
	return hdr, nil
}

func (b *backupReader) Read(p []byte) (int, error) {
	n, err := b.tr.Read(p)
	if b.h != nil {
		b.h.Write(p[:n])
	}
	return n, err
}

func (b *backupReader) close() {
	if b.h == nil {
		return
	}
	io.Copy(b.h, b.tr) // hash what the caller did not read
	if b.sums == nil {
		b.sums = map[string]string{}
	}
	b.sums[b.cur] = hex.EncodeToString(b.h.Sum(nil))
	b.h = nil
}

func (b *backupReader) manifest() (BackupManifest, error) {
	var m BackupManifest
	if err := json.NewDecoder(io.LimitReader(b, 1<<20)).Decode(&m); err != nil {
		return m, fmt.Errorf("backup is damaged: read manifest.json: %w", err)
	}
	if m.Program != backupProgram {
		return m, errors.New("not a gdprdesk backup (manifest names another program)")
	}
	if m.Format != backupFormat {
		return m, fmt.Errorf("backup format %d is not known to this gdprdesk (it reads %d): upgrade gdprdesk", m.Format, backupFormat)
	}
	if m.Schema > schemaVersion {
		return m, fmt.Errorf("backup was written by a newer gdprdesk (schema %d, this one reads %d): upgrade gdprdesk", m.Schema, schemaVersion)
	}
	b.haveMan = true
	return m, nil
}

// finish checks every file against checksums.json.
func (b *backupReader) finish() error {
	b.close()
	if b.want == nil {
		return errors.New("backup is incomplete: checksums.json is missing (was it cut short?)")
	}
	for _, name := range []string{manifestName, "keys/" + masterKeyFile, "keys/" + slotsFile} {
		if _, ok := b.sums[name]; !ok {
			return fmt.Errorf("backup is incomplete: %s is missing", name)
		}
	}
	if b.parts == 0 {
		return errors.New("backup is incomplete: it holds no database")
	}
	if len(b.want) != len(b.sums) {
		return fmt.Errorf("backup is damaged: checksums.json lists %d files, the archive holds %d", len(b.want), len(b.sums))
	}
	names := make([]string, 0, len(b.sums))
	for n := range b.sums {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if b.want[n] != b.sums[n] {
			return fmt.Errorf("backup is damaged: %s does not match its checksum", n)
		}
	}
	return nil
}

// dbParts reads the database parts one after the other as one stream,
// stopping (io.EOF) at the first file that is not a part.
type dbParts struct {
	b       *backupReader
	pending *tar.Header // the file after the last part
	err     error
}

func (d *dbParts) Read(p []byte) (int, error) {
	for {
		if d.pending != nil || d.err != nil {
			return 0, io.EOF
		}
		n, err := d.b.Read(p)
		if n > 0 || err == nil {
			return n, nil
		}
		if err != io.EOF {
			return 0, fmt.Errorf("backup is damaged: %w", err)
		}
		hdr, err := d.b.next()
		if err == io.EOF {
			d.err = io.EOF
			continue
		}
		if err != nil {
			return 0, err
		}
		if !strings.HasPrefix(hdr.Name, dbPartPrefix) {
			d.pending = hdr
		}
	}
}

// RestoreOptions tune a restore.
type RestoreOptions struct {
	// Options open the restored store: its clock, log, and EncryptionKey,
	// which makes the restored store encrypted at rest (whether or not
	// the store the backup came from was).
	Options
	// Operator names who restores, in the audit entries of re-applied
	// erasures.
	Operator string
	// Erasures, when set, are re-applied to the restored store: what a
	// newer store of the same installation erased since the backup.
	Erasures *Erasures
	// Passphrase opens the backup. It is checked before anything is
	// written: a wrong one leaves dir as it was.
	Passphrase []byte
}

// RestoreReport says what a restore did.
type RestoreReport struct {
	Manifest BackupManifest
	Verify   VerifyReport
	Reapplied
}

// Restore fills dir — empty or not yet there — from a backup, verifies the
// result (checksums, audit chain, counters), and re-applies erasures made
// since the backup when opts.Erasures is set. A failed restore removes what
// it wrote, leaving dir empty.
func Restore(dir string, r io.Reader, opts RestoreOptions) (rep RestoreReport, err error) {
	entries, err := os.ReadDir(dir)
	switch {
	case err == nil && len(entries) > 0:
		return rep, fmt.Errorf("data directory %s is not empty: restore fills only an empty or new directory (move the old one aside first)", dir)
	case err != nil && !errors.Is(err, os.ErrNotExist):
		return rep, fmt.Errorf("read data directory %s: %w", dir, err)
	}
	created := errors.Is(err, os.ErrNotExist)
	archive, encrypted, err := openBackup(r, opts.Passphrase)
	if err != nil {
		return rep, err
	}
	rep.Manifest.Unencrypted = !encrypted
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return rep, fmt.Errorf("create data directory %s: %w", dir, err)
	}
	defer func() {
		if err == nil {
			return
		}
		if created {
			os.RemoveAll(dir)
			return
		}
		entries, _ := os.ReadDir(dir)
		for _, e := range entries {
			os.RemoveAll(filepath.Join(dir, e.Name()))
		}
	}()
	if rep.Manifest, err = restoreFiles(dir, archive, opts.Options); err != nil {
		return rep, err
	}
	rep.Manifest.Unencrypted = !encrypted
	s, err := Open(dir, opts.Options)
	if err != nil {
		return rep, fmt.Errorf("restore: open the restored store: %w", err)
	}
	defer func() {
		if cerr := s.Close(); cerr != nil && err == nil {
			err = cerr
		}
	}()
	same, err := s.onlyUpgradesPast(rep.Manifest.AuditEntries)
	if err != nil {
		return rep, fmt.Errorf("restore: read the audit log: %w", err)
	}
	if s.installation() != rep.Manifest.Installation || !same {
		return rep, errors.New("restore: the restored store does not match the backup's manifest: the backup is damaged")
	}
	if rep.Verify, err = s.VerifyAudit(); err != nil {
		return rep, fmt.Errorf("restore: verify: %w", err)
	}
	if !rep.Verify.OK() {
		return rep, fmt.Errorf("restore: the restored store does not verify (%s): the backup is damaged", rep.Verify.Problems[0])
	}
	if opts.Erasures != nil {
		if rep.Reapplied, err = s.Reapply(opts.Operator, *opts.Erasures); err != nil {
			return rep, err
		}
		if rep.Verify, err = s.VerifyAudit(); err != nil {
			return rep, fmt.Errorf("restore: verify after re-applying erasures: %w", err)
		}
		if !rep.Verify.OK() {
			return rep, fmt.Errorf("restore: the store does not verify after re-applying erasures: %s", rep.Verify.Problems[0])
		}
	}
	return rep, nil
}

// restoreFiles writes the key ring and loads the database of a backup into
// the empty dir.
func restoreFiles(dir string, r io.Reader, opts Options) (BackupManifest, error) {
	var m BackupManifest
	lock, err := lockDir(dir)
	if err != nil {
		return m, err
	}
	defer lock.Close()
	if err := checkEncryption(dir, opts.EncryptionKey); err != nil {
		return m, fmt.Errorf("restore: %w", err)
	}
	keysDir := filepath.Join(dir, "keys")
	if err := os.MkdirAll(keysDir, 0o700); err != nil {
		return m, fmt.Errorf("create key directory %s: %w", keysDir, err)
	}
	br := &backupReader{tr: tar.NewReader(r)}
	_, err = br.next()
	if err == io.EOF {
		return m, errors.New("backup is empty")
	}
	if err != nil {
		return m, err
	}
	if m, err = br.manifest(); err != nil {
		return m, err
	}
	loaded := false
	var hdr *tar.Header
	for {
		if hdr == nil {
			if hdr, err = br.next(); err == io.EOF {
				break
			} else if err != nil {
				return m, err
			}
		}
		name := hdr.Name
		hdr = nil
		switch {
		case strings.HasPrefix(name, "keys/"):
			data, err := io.ReadAll(br)
			if err != nil {
				return m, fmt.Errorf("backup is damaged: read %s: %w", name, err)
			}
			if err := writeFileSync(filepath.Join(keysDir, filepath.Base(name)), data); err != nil {
				return m, err
			}
		case strings.HasPrefix(name, dbPartPrefix):
			if loaded {
				return m, errors.New("backup is damaged: its database parts are not together")
			}
			loaded = true
			db, err := badger.Open(badgerOptions(filepath.Join(dir, "db"), opts.Log, opts.EncryptionKey))
			if err != nil {
				return m, fmt.Errorf("restore: create the database: %w", err)
			}
			parts := &dbParts{b: br}
			lerr := db.Load(parts, 16)
			cerr := db.Close()
			if lerr != nil {
				return m, fmt.Errorf("restore: load the database (is the backup damaged?): %w", lerr)
			}
			if cerr != nil {
				return m, fmt.Errorf("restore: close the database: %w", cerr)
			}
			hdr = parts.pending
		}
	}
	if err := br.finish(); err != nil {
		return m, err
	}
	return m, nil
}

// Erasures is what a store has erased, in a form that can be re-applied to a
// restored older backup of the same installation. It holds no personal
// data: contact ids, the suppression list (HMACs of addresses) and the
// numbers of destroyed key slots.
type Erasures struct {
	Installation string           `json:"installation"`
	Contacts     []gdpr.ContactID `json:"contacts"`   // anonymized contacts
	Suppressed   []string         `json:"suppressed"` // hex HMACs of suppressed addresses
	Destroyed    []Slot           `json:"destroyed"`  // key slots that hold no key
}

// Erasures lists what this store has erased (see Erasures), in one
// consistent snapshot.
func (s *Store) Erasures() (Erasures, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e := Erasures{Installation: s.installation()}
	err := s.view(func(txn *badger.Txn) error {
		err := eachContactRec(txn, func(rec *contactRec) {
			if rec.Status == gdpr.ContactAnonymized {
				e.Contacts = append(e.Contacts, rec.ID)
			}
		})
		if err != nil {
			return err
		}
		it := txn.NewIterator(badger.IteratorOptions{Prefix: prefixSuppress})
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			e.Suppressed = append(e.Suppressed, hex.EncodeToString(it.Item().Key()[len(prefixSuppress):]))
		}
		return nil
	})
	if err != nil {
		return e, fmt.Errorf("list erasures: %w", err)
	}
	if e.Destroyed, err = s.keys.destroyed(); err != nil {
		return e, fmt.Errorf("list erasures: read the key ring: %w", err)
	}
	return e, nil
}

// Reapplied says what Reapply did.
type Reapplied struct {
	Contacts   []gdpr.ContactID // erased again
	Suppressed int              // suppression entries added
	KeysShred  int              // further keys destroyed
}

// reapplyReason is the override reason of a re-applied erasure: the
// erasure was decided already, an obligation recorded in the older
// backup cannot stop it.
const reapplyReason = "re-applied after restoring an older backup (the person was erased since)"

// Reapply brings the erasures of a newer store of the same installation
// into this one, typically just restored from an older backup, so that
// nobody erased since the backup comes back:
//
//  1. every contact that is anonymized there, or whose data key was
//     destroyed there, or whose address is on its suppression list, is
//     anonymized here with the ordinary erasure (addresses suppressed, the
//     email look-up removed, the keys of the contact and its requests
//     destroyed), audited as a re-applied erasure, regardless of
//     obligations;
//  2. every suppression entry there is added here, so that people created
//     and erased after the backup cannot be imported again either;
//  3. every key slot destroyed there is destroyed here too (slot numbers
//     are never reused within an installation), with the same crash-safe
//     shred markers as an erasure.
//
// Running it twice changes nothing more. Step 1 and 2/3 commit in
// transactions of their own, each with its audit entries.
func (s *Store) Reapply(operator string, e Erasures) (Reapplied, error) {
	var out Reapplied
	if e.Installation != s.installation() {
		return out, errors.New("re-apply erasures: they come from another installation than this store (its HMAC secret differs): nothing was changed")
	}
	suppressed := map[string]bool{}
	for _, h := range e.Suppressed {
		b, err := hex.DecodeString(h)
		if err != nil {
			return out, fmt.Errorf("re-apply erasures: bad suppression entry %q", h)
		}
		suppressed[string(b)] = true
	}
	destroyed := map[Slot]bool{}
	for _, sl := range e.Destroyed {
		destroyed[sl] = true
	}
	// The erasures below allocate keys (a search index chunk changes key
	// with an erasure): none may take a number the other store destroyed.
	if len(e.Destroyed) > 0 {
		if err := s.keys.skipPast(slices.Max(e.Destroyed)); err != nil {
			return out, fmt.Errorf("re-apply erasures: %w", err)
		}
	}
	anonymized := map[gdpr.ContactID]bool{}
	for _, id := range e.Contacts {
		anonymized[id] = true
	}
	// Which contacts here are people erased there.
	var ids []gdpr.ContactID
	err := s.view(func(txn *badger.Txn) error {
		err := eachContactRec(txn, func(rec *contactRec) {
			if rec.Status != gdpr.ContactAnonymized && (anonymized[rec.ID] || destroyed[rec.Slot]) {
				ids = append(ids, rec.ID)
				anonymized[rec.ID] = true
			}
		})
		if err != nil {
			return err
		}
		it := txn.NewIterator(badger.IteratorOptions{Prefix: prefixEmail, PrefetchValues: true})
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			if !suppressed[string(it.Item().Key()[len(prefixEmail):])] {
				continue
			}
			v, err := it.Item().ValueCopy(nil)
			if err != nil {
				return err
			}
			if id := gdpr.ContactID(idFromKey(v)); !anonymized[id] {
				ids = append(ids, id)
				anonymized[id] = true
			}
		}
		return nil
	})
	if err != nil {
		return out, fmt.Errorf("re-apply erasures: %w", err)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	const chunk = 200
	for i := 0; i < len(ids); i += chunk {
		part := ids[i:min(i+chunk, len(ids))]
		err := s.write(operator, func(t *tx) error {
			reqs, err := t.requestsByContact()
			if err != nil {
				return err
			}
			for _, id := range part {
				if _, err := t.anonymize(id, AnonymizeOptions{OverrideReason: reapplyReason, reapply: true}, reqs); err != nil {
					return fmt.Errorf("contact %s: %w", id, err)
				}
			}
			return nil
		})
		if err != nil {
			return out, fmt.Errorf("re-apply erasures: %w", err)
		}
		if err := s.shredNow(part[0]); err != nil {
			return out, fmt.Errorf("re-apply erasures: %w", err)
		}
		out.Contacts = append(out.Contacts, part...)
	}
	// The rest of the suppression list, and keys destroyed there but
	// still here.
	live := map[Slot]bool{}
	for sl := range destroyed {
		if _, err := s.keys.key(sl); err == nil {
			live[sl] = true
		}
	}
	err = s.write(operator, func(t *tx) error {
		out.Suppressed, out.KeysShred = 0, 0
		for h := range suppressed {
			if t.isSuppressed([]byte(h)) {
				continue
			}
			if err := t.setSuppressed([]byte(h), true); err != nil {
				return err
			}
			out.Suppressed++
		}
		for sl := range live {
			if err := t.set(shredKey(sl), nil); err != nil {
				return err
			}
			out.KeysShred++
		}
		if out.Suppressed > 0 || out.KeysShred > 0 {
			t.audit(gdpr.ActionErasureReapply, "suppression", fmt.Sprintf("re-applied after restoring an older backup: %d erased address(es) suppressed, %d data key(s) destroyed", out.Suppressed, out.KeysShred), nil, 0)
		}
		return nil
	})
	if err != nil {
		return out, fmt.Errorf("re-apply erasures: %w", err)
	}
	if out.KeysShred > 0 {
		s.mu.Lock()
		err = s.finishShred()
		s.mu.Unlock()
		if err != nil {
			return out, fmt.Errorf("re-apply erasures: destroy keys (retried on the next start): %w", err)
		}
		// Some of those keys may have sealed chunks of the search index
		// here (the other store changed them since).
		if err := s.repairSearch(); err != nil {
			return out, fmt.Errorf("re-apply erasures: %w", err)
		}
	}
	return out, nil
}

// eachContactRec calls fn for every contact record; a record that cannot
// be read is an error naming its key.
func eachContactRec(txn *badger.Txn, fn func(rec *contactRec)) error {
	return eachContactIn(txn, prefixContact, prefixEnd(prefixContact), func(rec *contactRec) error {
		fn(rec)
		return nil
	})
}

// eachContactIn calls fn for every contact record with a key in [from,
// end), stopping at fn's first error.
func eachContactIn(txn *badger.Txn, from, end []byte, fn func(rec *contactRec) error) error {
	it := txn.NewIterator(badger.IteratorOptions{Prefix: prefixContact, PrefetchValues: true, PrefetchSize: 100})
	defer it.Close()
	for it.Seek(from); it.Valid() && bytes.Compare(it.Item().Key(), end) < 0; it.Next() {
		v, err := it.Item().ValueCopy(nil)
		if err != nil {
			return err
		}
		rec, err := decodeContact(v)
		if err != nil {
			return fmt.Errorf("contact record %x cannot be read: %w", it.Item().Key(), err)
		}
		if err := fn(&rec); err != nil {
			return err
		}
	}
	return nil
}

// onlyUpgradesPast reports whether the audit log ends at head, the
// backup's, or goes on from it with store.upgrade entries alone: a backup
// of an older schema is upgraded as the restored store opens, and the
// upgrades that change records (the rule book, the search index) say so in
// the log. Any other entry past head, or a log shorter than head, is not
// the backup's.
func (s *Store) onlyUpgradesPast(head uint64) (bool, error) {
	if s.auditSeq < head {
		return false, nil
	}
	more := s.auditSeq - head
	if more == 0 {
		return true, nil
	}
	es, err := s.Audit(AuditFilter{}, 0, int(more))
	if err != nil {
		return false, err
	}
	if uint64(len(es)) != more {
		return false, nil
	}
	for _, e := range es {
		if e.Seq <= head || e.Action != string(gdpr.ActionStoreUpgrade) {
			return false, nil
		}
	}
	return true, nil
}
