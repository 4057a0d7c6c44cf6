// Package store keeps everything gdprdesk knows in one embedded Badger
// database under the data directory, with each subject's personal data
// sealed under a key of its own (see keyring.go) and every change committed
// together with its audit entry, its index entries and its counters in one
// transaction.
package store

import (
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/dgraph-io/badger/v4"
	"github.com/dgraph-io/badger/v4/options"
	"github.com/gdprdesk/gdprdesk/gdpr"
	"github.com/gofrs/flock"
)

// schemaVersion is written into a new store; a store written by a newer
// gdprdesk is refused instead of misread. 2: the sealed search index (sx/,
// search.go), which Open builds for a store of schema 1. 3: the rule
// book's records (codec version 2, purposes, the marketing, purpose and
// hold indexes; upgrade.go), which Open builds for a store of schema 2. 4:
// the bitmap chunks of the contact indexes (ib/, bitmap.go), which Open
// builds for a store of schema 3 (upgrade_bitmaps.go).
const schemaVersion = 4

// ErrNotFound is returned when a contact, request or other record does not
// exist.
var ErrNotFound = errors.New("not found")

// ErrLocked is returned when another process holds the data directory.
var ErrLocked = errors.New("data directory is in use by another gdprdesk process")

// Options tune a store. The zero value is ready to use.
type Options struct {
	// Now returns the current time; tests set a fixed clock.
	Now func() time.Time
	// Log receives Badger's errors, one line each (nothing personal is
	// ever logged; see quietLogger). Nil discards them.
	Log io.Writer
	// RemoteOnly refuses changes by names that are not registered
	// operators: set by the SSH server, where every change comes from a
	// session. Without it an unregistered name is the owner at the
	// machine, with every right.
	RemoteOnly bool
	// EncryptionKey (32 bytes, see ReadKeyFile) turns on Badger's
	// encryption at rest for a new store, and opens an encrypted one. A
	// store is encrypted or not for life: the wrong key, a missing key, or
	// a key for an unencrypted store is refused (encryption.go).
	EncryptionKey []byte
	// Passphrase is asked for the passphrase of a master key wrapped by
	// one (keyfile.go), only then, and at most once.
	Passphrase func() ([]byte, error)
	// Upgrading, when set, is told before Open upgrades a store written
	// by an earlier gdprdesk, which takes a while for a large one (it
	// builds the search index: about 30 s a million contacts).
	Upgrading func(contacts uint64)
	// ReadOnly opens the store for a command that only reads: Badger is
	// opened read-only (no memtable file, no compactions, no value-log
	// work) with small caches, and every change is refused with
	// ErrReadOnly. A store that has to write to open (a new one, an
	// upgrade, an erasure or a crash to finish) is opened as usual.
	ReadOnly bool
	// Bulk opens the store for a process that makes one bulk change and
	// ends (the CLI's tag and import): without Badger's block cache. A
	// bulk change reads each block of records once, in order, or hardly
	// reads at all, so the cache only costs its bookkeeping (ristretto's
	// admission policy, on a goroutine of its own): paired runs at
	// 1,000,000 contacts took 0.94× the wall time for a bulk tag and 0.97×
	// for an import without it (docs/PERFORMANCE.md). Browsing reads the
	// same blocks again and again, and keeps it; so does a store
	// encrypted at rest, which Badger cannot read without one.
	//
	// Its memtables are half the size (bulkMemTableSize), so that the
	// process touches fewer new pages of memory: see there.
	Bulk bool

	// searchBits sets the search index's chunk size (2^bits contacts)
	// of a new store; tests make it small to cross chunks often.
	searchBits uint

	// freeSpace replaces the free-space probe of the data directory's
	// disk, so that tests can fill it at will.
	freeSpace freeFunc

	// snappy writes tables compressed, as stores made before compression
	// was turned off (badgerOptions) have them, so that tests can check
	// such tables too.
	snappy bool
}

// Store is an open data directory. Its methods are safe for concurrent use;
// writes are serialized so counters and the audit chain never race.
//
// A Store is a handle on the open directory's state: LocalOwner gives a
// second handle on the same state that differs only in who an unregistered
// name is, so one process can serve remote operators and its local owner
// from one open store while the store itself decides every role.
type Store struct {
	*state
	// remoteOnly refuses changes by unregistered names (Options.RemoteOnly).
	remoteOnly bool
}

// state is what every handle of one open store shares.
type state struct {
	dir  string
	db   *badger.DB
	keys *keyring
	lock *flock.Flock
	now  func() time.Time

	// free probes the free space of dir's disk; readOnly is set when Open
	// found too little to write safely: Badger is then opened read-only
	// (it writes nothing, not even a new memtable file) and every change
	// is refused with a DiskFullError.
	free     freeFunc
	readOnly bool
	// reading is set with readOnly when the caller asked for a read-only
	// store (Options.ReadOnly), not the disk: changes are refused with
	// ErrReadOnly instead of a DiskFullError.
	reading bool

	// head is DIR/audit.head, the audit head kept outside Badger (head.go);
	// lostFrom..lostTo are audit entries Open found missing.
	head             *os.File
	lostFrom, lostTo uint64

	hmacSecret []byte
	hmacs      sync.Pool // of *keyedHMAC (hmacOf)

	// life guards db against Close: readers hold it shared, Close
	// exclusively, so a read on a closed store is an error, not a crash.
	life sync.RWMutex

	mu        sync.Mutex // serializes writers; guards the fields below
	auditSeq  uint64
	auditHash []byte
	// suppressed mirrors the x/ keys (the suppression list is small: one
	// entry per address of an erased person), so that creating and
	// importing contacts checks it without a Badger look-up per row.
	suppressed map[string]bool

	reclaimed atomic.Int64 // when table pages were last given back (Unix ns)
	// While an import runs, pages are also given back on a timer (see
	// reclaimWhileImporting): until when (Unix ns), and whether the timer
	// goroutine runs.
	reclaimUntil atomic.Int64
	reclaiming   atomic.Bool

	badgerOpts badger.Options // how db was opened: a bulk load opens its new database so (bulkload.go)

	searchBits uint       // the search index's chunk size, fixed per store
	matches    matchCache // the last free-text match set

	subsMu sync.Mutex
	subs   map[chan struct{}]bool
}

// LocalOwner returns a handle on the same open store in which a name that
// is not a registered operator is the owner at the machine, with every
// right, as in a store opened without Options.RemoteOnly; a registered
// operator's name keeps its role. The server uses it for commands that reach
// it through its control socket, which only the directory's owner can open
// (it is 0600 in the 0700 data directory: whoever reaches it could open the
// store directly). Both handles share everything: closing either closes the
// store.
func (s *Store) LocalOwner() *Store {
	return &Store{state: s.state}
}

// Subscribe returns a channel that receives a signal after every committed
// change (several changes may share one signal), and a function that ends
// the subscription. Sessions over SSH use it to show each other's changes.
func (s *Store) Subscribe() (<-chan struct{}, func()) {
	ch := make(chan struct{}, 1)
	s.subsMu.Lock()
	if s.subs == nil {
		s.subs = map[chan struct{}]bool{}
	}
	s.subs[ch] = true
	s.subsMu.Unlock()
	return ch, func() {
		s.subsMu.Lock()
		delete(s.subs, ch)
		s.subsMu.Unlock()
	}
}

// reclaimEvery is how often the store gives the kernel back the pages of
// its table files: four times a second keeps a million-row import's mapped
// tables under 200 MB (docs/PERFORMANCE.md); a pass costs about a
// millisecond.
const reclaimEvery = 250 * time.Millisecond

// reclaimScanEvery is how many records a scan reads between two chances to
// give pages back.
const reclaimScanEvery = 16384

// reclaimPages gives back the pages of the store's table files that this
// process has mapped, at most once every reclaimEvery whoever asks (an
// import, a long scan, several sessions at once) unless now is set (the
// end of a long scan). Badger maps every table and keeps it mapped, so
// without this a process that wrote or scanned the store keeps all of it
// resident. A page given back is read from disk again when next needed.
func (s *Store) reclaimPages(now bool) {
	if s.reclaimDue(now) {
		reclaimTables(filepath.Join(s.dir, "db"))
	}
}

// reclaimDuring gives the pages of the store's tables back every
// reclaimEvery, on a goroutine of its own, until the function it returns is
// called, which gives them back once more: for a long read that Badger
// does for the store (VerifyChecksum), where no loop of ours can ask.
func (s *Store) reclaimDuring() (stop func()) {
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		tick := time.NewTicker(reclaimEvery)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-tick.C:
				s.reclaimPages(false)
			}
		}
	}()
	return func() {
		close(done)
		wg.Wait()
		s.reclaimPages(true)
	}
}

// reclaimLinger is how long the timer of reclaimWhileImporting outlives the
// last chunk: longer than Badger stalls writes while level 0 is full.
const reclaimLinger = 10 * time.Second

// reclaimWhileImporting keeps giving table pages back every reclaimEvery
// until reclaimLinger after its last call, on a goroutine of its own. An
// import also reclaims after each chunk, but when Badger stalls writes for
// its compactions no chunk commits for seconds while the compactions read
// and write tables through their maps; reclaiming only after commits let
// the import's resident memory grow by the tables of a whole stall.
func (s *Store) reclaimWhileImporting() {
	s.reclaimUntil.Store(time.Now().Add(reclaimLinger).UnixNano())
	if s.reclaiming.CompareAndSwap(false, true) {
		go s.reclaimLoop()
	}
}

func (s *Store) reclaimLoop() {
	tick := time.NewTicker(reclaimEvery)
	defer tick.Stop()
	for range tick.C {
		if time.Now().UnixNano() > s.reclaimUntil.Load() {
			s.reclaiming.Store(false)
			// A chunk may have asked between the check and the store: it
			// saw the loop running and started none.
			if time.Now().UnixNano() > s.reclaimUntil.Load() || !s.reclaiming.CompareAndSwap(false, true) {
				return
			}
		}
		s.reclaimPages(false)
	}
}

func (s *Store) reclaimDue(now bool) bool {
	t := time.Now().UnixNano()
	last := s.reclaimed.Load()
	if !now && (t-last < int64(reclaimEvery) || !s.reclaimed.CompareAndSwap(last, t)) {
		return false
	}
	s.reclaimed.Store(t)
	return true
}

// notify signals every subscriber without waiting for any.
func (s *Store) notify() {
	s.subsMu.Lock()
	defer s.subsMu.Unlock()
	for ch := range s.subs {
		select {
		case ch <- struct{}{}:
		default: // a signal is already pending
		}
	}
}

// ErrReadOnly refuses a change to a store opened with Options.ReadOnly.
var ErrReadOnly = errors.New("the store was opened for reading only")

// errNeedsWrite says a store opened for reading has to write to open.
var errNeedsWrite = errors.New("the store has to write to open")

// Open opens or creates the store in dir. A directory that another process
// holds is refused with ErrLocked.
func Open(dir string, opts Options) (*Store, error) {
	if opts.ReadOnly && hasData(filepath.Join(dir, "db")) {
		s, err := open(dir, opts, true)
		if !errors.Is(err, errNeedsWrite) {
			return s, err
		}
	}
	return open(dir, opts, false)
}

func open(dir string, opts Options, reading bool) (*Store, error) {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create data directory %s: %w", dir, err)
	}
	lock, err := lockDir(dir)
	if err != nil {
		return nil, err
	}
	// A bulk load a crash interrupted is finished or undone (bulkload.go).
	if err := finishBulkLoad(dir); err != nil {
		lock.Close()
		return nil, fmt.Errorf("open store %s: %w", dir, err)
	}
	if err := tightenAtOpen(dir, opts.Log); err != nil {
		lock.Close()
		return nil, err
	}
	if opts.freeSpace == nil {
		opts.freeSpace = freeSpace
	}
	s := &Store{state: &state{dir: dir, lock: lock, now: opts.Now, free: opts.freeSpace}, remoteOnly: opts.RemoteOnly}
	// A disk too full to write opens the store for reading: audit verify,
	// backup and export still work, every change says the disk is full.
	if free, ok := s.free(dir); ok && free < minFree {
		s.readOnly = true
	} else if reading {
		s.readOnly, s.reading = true, true
	}
	fail := func(err error) (*Store, error) {
		s.closeAll()
		if s.reading && (errors.Is(err, badger.ErrReadOnlyTxn) || errors.Is(err, badger.ErrTruncateNeeded)) {
			return nil, errNeedsWrite
		}
		if s.readOnly && (errors.Is(err, badger.ErrReadOnlyTxn) || errors.Is(err, badger.ErrTruncateNeeded)) {
			// The store has to write to open (a new store, an upgrade,
			// the replay of a crash's write-ahead file): say why it cannot.
			free, _ := s.free(dir)
			return nil, &DiskFullError{Dir: dir, Free: free}
		}
		return nil, s.diskFull(err)
	}
	// Before anything else is touched: a store opened without its key, or
	// with the wrong one, must stay exactly as it was.
	if err := checkEncryption(dir, opts.EncryptionKey); err != nil {
		return fail(fmt.Errorf("open store: %w", err))
	}
	s.keys, err = openKeyring(filepath.Join(dir, "keys"), newMasterWrap(opts), !hasData(filepath.Join(dir, "db")))
	if err != nil {
		return fail(fmt.Errorf("open store %s: %w", dir, err))
	}
	if err := removeEmptyLogs(filepath.Join(dir, "db")); err != nil {
		return fail(fmt.Errorf("open store %s: %w", dir, err))
	}
	bopts := badgerOptions(filepath.Join(dir, "db"), opts.Log, opts.EncryptionKey)
	if opts.snappy {
		bopts = bopts.WithCompression(options.Snappy)
	}
	if s.readOnly {
		bopts = bopts.WithReadOnly(true)
	}
	if s.reading && len(opts.EncryptionKey) == 0 {
		// One command's reads: a few pages, no compactions.
		bopts = bopts.WithBlockCacheSize(8 << 20).WithIndexCacheSize(0)
	}
	if opts.Bulk && !s.reading && len(opts.EncryptionKey) == 0 && !opts.snappy {
		bopts = bopts.WithBlockCacheSize(0)
	}
	if opts.Bulk {
		bopts = bopts.WithMemTableSize(bulkMemTableSize)
	}
	s.badgerOpts = bopts
	db, err := badger.Open(bopts)
	if errors.Is(err, badger.ErrWindowsNotSupported) && s.readOnly {
		// Badger has no read-only mode on Windows: open it for writing,
		// the store still refuses every change.
		db, err = badger.Open(bopts.WithReadOnly(false))
	}
	if err == nil {
		s.db = db // (on error Badger may return a half-made value: not ours to close)
	}
	if err != nil && s.reading && !errors.Is(err, badger.ErrEncryptionKeyMismatch) {
		// Whatever keeps Badger from opening read-only (a write-ahead
		// file to replay or truncate after a crash), the ordinary open
		// deals with or reports.
		s.closeAll()
		return nil, errNeedsWrite
	}
	if errors.Is(err, badger.ErrEncryptionKeyMismatch) {
		// The marker said otherwise (it was removed or copied over).
		if opts.EncryptionKey == nil {
			return fail(fmt.Errorf("open store: data directory %s %w (its marker %s is missing)", dir, ErrEncrypted, encryptionFile))
		}
		return fail(fmt.Errorf("open store: data directory %s: %w", dir, ErrWrongKey))
	}
	if err != nil {
		return fail(fmt.Errorf("open store %s: %w", dir, err))
	}
	if _, err := tightenPerms(dir); err != nil { // what Badger just made (perms.go)
		return fail(err)
	}
	if err := s.init(opts); err != nil {
		return fail(fmt.Errorf("open store %s: %w", dir, err))
	}
	// Before any write of Open's own: a store that lost transactions must
	// be compared with its head as it was found.
	if s.lostFrom, s.lostTo, err = s.openHead(); err != nil {
		return fail(fmt.Errorf("open store %s: %w", dir, err))
	}
	if s.reading {
		if need, err := s.needsWriteAtOpen(); err != nil || need {
			s.closeAll()
			if err == nil {
				err = errNeedsWrite
			}
			return nil, err
		}
	}
	if err := s.loadSuppressed(); err != nil {
		return fail(fmt.Errorf("open store %s: read the suppression list: %w", dir, err))
	}
	// Finish an erasure that a crash interrupted between its commit and the
	// destruction of its keys.
	if !s.readOnly {
		if err := s.finishShred(); err != nil {
			return fail(fmt.Errorf("open store %s: finish an interrupted erasure: %w", dir, err))
		}
		if err := s.reconcileKeyring(); err != nil {
			return fail(fmt.Errorf("open store %s: match the key ring with the store's erasures: %w", dir, err))
		}
	}
	if err := s.migrateSearch(opts.Upgrading); err != nil {
		return fail(fmt.Errorf("open store %s: %w", dir, err))
	}
	if err := s.migrateRuleBook(opts.Upgrading); err != nil {
		return fail(fmt.Errorf("open store %s: %w", dir, err))
	}
	if err := s.migrateBitmaps(opts.Upgrading); err != nil {
		return fail(fmt.Errorf("open store %s: %w", dir, err))
	}
	if err := s.migrateEmailKeys(); err != nil {
		return fail(fmt.Errorf("open store %s: %w", dir, err))
	}
	if err := s.migrateSearchFold(); err != nil {
		return fail(fmt.Errorf("open store %s: %w", dir, err))
	}
	return s, nil
}

// needsWriteAtOpen reports whether a store opened for reading has work
// that Open does by writing: an upgrade, a lost audit tail to record, an
// erasure whose keys a crash left undestroyed, a key ring to reconcile.
func (s *Store) needsWriteAtOpen() (bool, error) {
	if s.lostTo > 0 {
		return true, nil
	}
	destroyed, err := s.keys.destroyedCount()
	if err != nil {
		return false, err
	}
	need := false
	err = s.view(func(txn *badger.Txn) error {
		schema, err := seqValue(txn, keySchema)
		if err != nil {
			return err
		}
		fold, err := seqValue(txn, keyUpgradeSearchFold)
		if err != nil {
			return err
		}
		marked, err := readU64(txn, keyShredCount)
		if err != nil {
			return err
		}
		_, emailErr := getValue(txn, keyUpgradeEmailKeys)
		if emailErr != nil && !errors.Is(emailErr, ErrNotFound) {
			return emailErr
		}
		it := txn.NewIterator(badger.IteratorOptions{Prefix: prefixShred})
		defer it.Close()
		it.Rewind()
		need = schema != schemaVersion || fold != searchFoldDone || marked != destroyed || emailErr != nil || it.Valid()
		return nil
	})
	return need, err
}

// hasData reports whether a Badger directory holds a database (its
// MANIFEST), as opposed to a store about to be created.
func hasData(db string) bool {
	_, err := os.Stat(filepath.Join(db, "MANIFEST"))
	return err == nil
}

// memTableSize is the size of Badger's memtables (badgerOptions);
// bulkMemTableSize is theirs in a store opened for one bulk change
// (Options.Bulk). Each memtable is a new arena on the Go heap, which the
// collector then lets grow by as much again, and a write-ahead file of twice its size that the kernel fills
// with zeros page by page as it is written: a bulk tag of 117,702 contacts
// touched ~90,000 new pages, 590 MB peak RSS. On a virtual machine that
// hands free memory back to its host, each new page can cost many times
// the work done on it, and the runs that started after a pause took up to
// 60 % more CPU (docs/PERFORMANCE.md, "Bulk change"). With 16 MB
// memtables, and the tag's collector at GOGC 50 (internal/cli), the same
// tag touches ~55,000 pages (~400 MB); it costs a few per cent more on a
// warm machine and a sixth less after a pause.
const (
	memTableSize     = 32 << 20
	bulkMemTableSize = memTableSize / 2
)

// badgerOptions sizes Badger for a desk, not a server: the defaults (five
// 64 MB memtables, a 256 MB block cache) alone exceed the memory targets of
// SPEC §7. A key turns on Badger's encryption at rest (which needs the
// index cache set below: encrypted table indexes cannot be read in place).
func badgerOptions(dir string, log io.Writer, key []byte) badger.Options {
	opts := badger.DefaultOptions(dir).
		WithLogger(quietLogger{w: log}).
		WithMemTableSize(memTableSize).
		WithNumMemtables(3).
		WithBlockCacheSize(64 << 20).
		WithIndexCacheSize(32 << 20).
		WithNumCompactors(2).
		WithNumLevelZeroTables(10).
		WithNumLevelZeroTablesStall(30).
		WithValueLogFileSize(256 << 20).
		WithMetricsEnabled(false).
		// No compression: sealed values do not compress, and though index
		// keys do (Snappy saves a quarter of the disk at 1,000,000
		// contacts: 399 MB against 519 MB), a table builder keeps every
		// block twice, raw and compressed, and Badger pools up to eight
		// builders — 200 MB more heap during a large import. Tables
		// written compressed by earlier versions stay readable: the
		// setting is per table.
		WithCompression(options.None).
		// Writers are serialized by Store.mu, so Badger need not track
		// read sets to detect conflicts.
		WithDetectConflicts(false).
		WithBaseTableSize(4 << 20).
		// A changed byte in a table or the value log is an error on the
		// read that meets it, not a silently different record
		// (docs/RELIABILITY.md, "Integrity"; audit verify checks every
		// table with DB.VerifyChecksum).
		WithChecksumVerificationMode(options.OnBlockRead).
		WithVerifyValueChecksum(true)
	// Tables of one size at every level: by default each level's tables are
	// twice the size of the one above, and a compaction at the deepest
	// level builds 64 MB tables in memory — the largest part of the heap
	// during a million-row import.
	opts.TableSizeMultiplier = 1
	if len(key) > 0 {
		opts = opts.WithEncryptionKey(key)
	}
	return opts
}

// lockDir takes the data directory's lock file, so that a second process
// is told which directory is busy instead of meeting Badger's own lock. The
// lock (gofrs/flock: flock on Unix, LockFileEx on Windows) goes with the
// process, so a crash never leaves the directory locked.
func lockDir(dir string) (*flock.Flock, error) {
	lock := flock.New(filepath.Join(dir, "gdprdesk.lock"), flock.SetPermissions(0o600))
	ok, err := lock.TryLock()
	if err != nil {
		lock.Close()
		return nil, fmt.Errorf("open store %s: lock the data directory: %w", dir, err)
	}
	if !ok {
		lock.Close()
		return nil, fmt.Errorf("%w: %s (close the other gdprdesk, or work through `gdprdesk serve`)", ErrLocked, dir)
	}
	return lock, nil
}

// init reads or creates the store's metadata.
func (s *Store) init(opts Options) error {
	return s.db.Update(func(txn *badger.Txn) error {
		bits := opts.searchBits
		if bits == 0 {
			bits = defaultSearchBits
		}
		var err error
		if s.searchBits, err = searchBitsOf(txn, bits); err != nil {
			return err
		}
		v, err := getValue(txn, keySchema)
		switch {
		case errors.Is(err, ErrNotFound):
			secret := make([]byte, 32)
			if _, err := rand.Read(secret); err != nil {
				return fmt.Errorf("generate HMAC secret: %w", err)
			}
			if err := txn.Set(keySchema, u64(schemaVersion)); err != nil {
				return err
			}
			if err := txn.Set(keyHMACSecret, secret); err != nil {
				return err
			}
			// Its email look-ups are canonical from the start.
			if err := txn.Set(keyUpgradeEmailKeys, []byte{1}); err != nil {
				return err
			}
			// Its search texts are folded from the start.
			if err := txn.Set(keyUpgradeSearchFold, u64(searchFoldDone)); err != nil {
				return err
			}
			if err := txn.Set(keyCreatedFlag, []byte(s.now().UTC().Format(time.RFC3339))); err != nil {
				return err
			}
			s.hmacSecret = secret
			return nil
		case err != nil:
			return err
		}
		if got := idFromKey(v); got > schemaVersion {
			return fmt.Errorf("data was written by a newer gdprdesk (schema %d, this one reads %d): upgrade gdprdesk", got, schemaVersion)
		}
		if s.hmacSecret, err = getValue(txn, keyHMACSecret); err != nil {
			return fmt.Errorf("read HMAC secret: %w", err)
		}
		head, err := getValue(txn, keyAuditHead)
		if err == nil && len(head) > 8 {
			s.auditSeq, s.auditHash = idFromKey(head[:8]), append([]byte(nil), head[8:]...)
		} else if err != nil && !errors.Is(err, ErrNotFound) {
			return fmt.Errorf("read audit head: %w", err)
		}
		return nil
	})
}

// Dir is the data directory.
func (s *Store) Dir() string { return s.dir }

// Close flushes and closes the store and releases the directory.
func (s *Store) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.life.Lock()
	defer s.life.Unlock()
	return s.closeAll()
}

func (s *Store) loadSuppressed() error {
	s.suppressed = map[string]bool{}
	return s.view(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{Prefix: prefixSuppress})
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			s.suppressed[string(it.Item().Key()[len(prefixSuppress):])] = true
		}
		return nil
	})
}

// errClosed is returned by every method of a closed store.
var errClosed = errors.New("store is closed")

// view runs fn in a read transaction of the open store.
func (s *Store) view(fn func(txn *badger.Txn) error) error {
	s.life.RLock()
	defer s.life.RUnlock()
	if s.db == nil {
		return errClosed
	}
	return s.db.View(fn)
}

func (s *Store) closeAll() error {
	var errs []error
	if s.db != nil {
		errs = append(errs, s.db.Close())
		s.db = nil
	}
	if s.head != nil {
		errs = append(errs, s.head.Close())
		s.head = nil
	}
	if s.keys != nil {
		errs = append(errs, s.keys.close())
		s.keys = nil
	}
	if s.lock != nil {
		var err error
		if !s.reading {
			_, err = tightenPerms(s.dir) // tables written since open (perms.go)
		}
		errs = append(errs, err, s.lock.Close())
		s.lock = nil
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("close store %s: %w", s.dir, err)
	}
	return nil
}

// RotateMasterKey re-wraps every live data key under a new master key and
// destroys the old one, so old copies of the keyring (backups, remapped
// disk blocks) can no longer unwrap keys destroyed since.
// The role is checked before the keys are touched; the master key keeps
// its form (keyfile.go).
func (s *Store) RotateMasterKey(operator string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.writeLocked(operator, func(t *tx) error {
		t.audit(gdpr.ActionKeysRotate, "", "master key rotated", nil, 0)
		if action, _, _, err := t.refused(); err != nil || action != "" {
			return err // refused: writeLocked audits the refusal
		}
		if err := s.keys.rotate(); err != nil {
			return fmt.Errorf("rotate master key: %w", err)
		}
		return nil
	})
}

func getValue(txn *badger.Txn, key []byte) ([]byte, error) {
	item, err := txn.Get(key)
	if errors.Is(err, badger.ErrKeyNotFound) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	return item.ValueCopy(nil)
}

// quietLogger passes Badger's errors on, one line each, and drops its
// warnings and chatter, so that a command's own error is the one line on
// stderr (SPEC §4). Badger logs a failed open ("Received err: …. Cleaning
// up...") before returning the same error, which the caller reports: that
// one is dropped. Nothing Badger logs holds personal data (keys hold none,
// and it never logs values).
type quietLogger struct{ w io.Writer }

// badgerOpenFailed is the format of Badger's log line for a failed open.
const badgerOpenFailed = "Received err: %v. Cleaning up..."

func (l quietLogger) Errorf(f string, a ...any) {
	if l.w == nil || f == badgerOpenFailed {
		return
	}
	fmt.Fprintln(l.w, "gdprdesk: storage error: "+strings.TrimSpace(fmt.Sprintf(f, a...)))
}
func (quietLogger) Warningf(string, ...any) {}
func (quietLogger) Infof(string, ...any)    {}
func (quietLogger) Debugf(string, ...any)   {}
