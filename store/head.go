package store

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"os"
	"path/filepath"

	"github.com/dgraph-io/badger/v4"
)

// The audit head, kept outside Badger as well (DIR/audit.head), is how a
// store notices transactions that Badger dropped on open. Badger replays
// its write-ahead files (db/*.mem) up to the first entry whose checksum
// fails and truncates the rest: one flipped bit there silently loses every
// later transaction. Every commit ends by writing the audit chain's head
// (sequence number and hash) into this small file, in place; Open compares
// it with the head the store holds. A store behind its file lost committed
// transactions: Open records the gap (m/lost) and audit verify reports it
// until a backup is restored.
//
// The file is written after the commit and not synced: after a crash it
// may be behind the store (nothing is reported), never ahead of what was
// committed. A power cut may lose the last commits of Badger's unsynced
// write-ahead file while the file kept their head: that is reported too,
// and rightly, as those changes are gone.
//
// audit.head: sequence (8 bytes, big endian), hash (32), CRC-32 of both (4).

const headFile = "audit.head"

// keyLost records committed audit entries that Badger dropped:
// m/lost/<first seq> -> last seq.
var prefixLost = []byte("m/lost/")

type headRec struct {
	seq  uint64
	hash []byte
}

func encodeHead(h headRec) []byte {
	b := make([]byte, 44)
	binary.BigEndian.PutUint64(b, h.seq)
	copy(b[8:40], h.hash)
	binary.BigEndian.PutUint32(b[40:], crc32.ChecksumIEEE(b[:40]))
	return b
}

func decodeHead(b []byte) (headRec, bool) {
	if len(b) != 44 || binary.BigEndian.Uint32(b[40:]) != crc32.ChecksumIEEE(b[:40]) {
		return headRec{}, false
	}
	return headRec{seq: binary.BigEndian.Uint64(b), hash: bytes.Clone(b[8:40])}, true
}

// openHead opens DIR/audit.head and compares it with the store's audit
// head. It returns the range of audit entries the store lost (zero when
// none).
func (s *Store) openHead() (lostFrom, lostTo uint64, err error) {
	path := filepath.Join(s.dir, headFile)
	b, err := os.ReadFile(path)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return 0, 0, fmt.Errorf("read %s: %w", path, err)
	}
	if h, ok := decodeHead(b); ok {
		behind := h.seq > s.auditSeq
		if h.seq == s.auditSeq && s.auditSeq > 0 && !bytes.Equal(h.hash, s.auditHash[:min(32, len(s.auditHash))]) {
			behind = true // the same number, another entry: the last ones were lost and replaced
		}
		if behind {
			lostFrom, lostTo = s.auditSeq+1, h.seq
			if h.seq == s.auditSeq {
				lostFrom = s.auditSeq
			}
		}
	}
	if s.readOnly {
		return lostFrom, lostTo, nil // the file keeps the evidence until a write can record it
	}
	if lostTo > 0 {
		if err := s.db.Update(func(txn *badger.Txn) error {
			return txn.Set(join(prefixLost, u64(lostFrom)), u64(lostTo))
		}); err != nil {
			return 0, 0, fmt.Errorf("record lost transactions: %w", err)
		}
	}
	if s.head, err = os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600); err != nil {
		return 0, 0, fmt.Errorf("open %s: %w", path, err)
	}
	return lostFrom, lostTo, s.writeHead()
}

// writeHead records the store's audit head in DIR/audit.head (after each
// commit; see above).
func (s *Store) writeHead() error {
	if s.head == nil {
		return nil
	}
	h := headRec{seq: s.auditSeq, hash: s.auditHash}
	if len(h.hash) > 32 {
		h.hash = h.hash[:32]
	}
	if _, err := s.head.WriteAt(encodeHead(h), 0); err != nil {
		return fmt.Errorf("write %s: %w", filepath.Join(s.dir, headFile), err)
	}
	return nil
}

// lostProblems lists, for audit verify, the transactions Open found lost.
func (s *Store) lostProblems(txn *badger.Txn) []string {
	var out []string
	it := txn.NewIterator(badger.IteratorOptions{Prefix: prefixLost, PrefetchValues: true})
	defer it.Close()
	for it.Rewind(); it.Valid(); it.Next() {
		from := idFromKey(it.Item().Key()[len(prefixLost):])
		v, _ := it.Item().ValueCopy(nil)
		out = append(out, lostText(from, idFromKey(v)))
	}
	if s.lostTo > 0 && len(out) == 0 {
		out = append(out, lostText(s.lostFrom, s.lostTo))
	}
	return out
}

func lostText(from, to uint64) string {
	return fmt.Sprintf("committed changes are missing: audit entries %d to %d were written (%s says so) but the database no longer holds them — a damaged write-ahead file (db/*.mem) or a power cut dropped them: restore the latest backup",
		from, to, headFile)
}
