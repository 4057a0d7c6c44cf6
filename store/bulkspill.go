package store

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"slices"
)

// What a bulk load keeps until its end, kept small: at 10,000,000 contacts
// the lists of ids per index value and the email look-ups held in memory
// were most of a 1.4 GB peak (SPEC §7: under 500 MB).

// idList holds ascending ids, each as the varint of its distance from the
// one before (a byte or two for the values of an index: ~1.2 bytes an id
// where a []uint32 took 4, and twice that while it grew), in blocks that
// double up to 64 KiB, so that no list is ever copied to grow.
type idList struct {
	blocks [][]byte
	last   uint64
}

const idListMaxBlock = 64 << 10

func (l *idList) add(id uint64) {
	n := len(l.blocks)
	if n == 0 || cap(l.blocks[n-1])-len(l.blocks[n-1]) < binary.MaxVarintLen64 {
		size := 64
		if n > 0 {
			size = min(2*cap(l.blocks[n-1]), idListMaxBlock)
		}
		l.blocks = append(l.blocks, make([]byte, 0, size))
		n++
	}
	l.blocks[n-1] = binary.AppendUvarint(l.blocks[n-1], id-l.last)
	l.last = id
}

// each calls f with every id in order; it stops when f returns false.
func (l *idList) each(f func(id uint64) bool) bool {
	var id uint64
	for _, b := range l.blocks {
		for len(b) > 0 {
			d, k := binary.Uvarint(b)
			b = b[k:]
			id += d
			if !f(id) {
				return false
			}
		}
	}
	return true
}

// emailSpill holds the run's email look-ups (the address's HMAC → contact
// id) on disk until the end, in files of the staging directory, one per
// leading six bits of the HMAC: each is then read, sorted and written on
// its own, in order, so memory holds one of 64 parts at a time. The files
// hold what the e/ keys hold (keyed hashes, not addresses) and go with the
// staging directory when the load ends, commits or is undone.
type emailSpill struct {
	dir   string
	files [emailParts]*os.File
	bufs  [emailParts]*bufio.Writer
	err   error
}

const (
	emailParts     = 64
	emailEntrySize = 32 + 8
)

func newEmailSpill(dir string) (*emailSpill, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("bulk load: %w", err)
	}
	return &emailSpill{dir: dir}, nil
}

func (e *emailSpill) path(part int) string {
	return filepath.Join(e.dir, fmt.Sprintf("%02d", part))
}

// add records the look-up of an address; an error is kept for finish.
func (e *emailSpill) add(h []byte, id uint64) {
	if e.err != nil {
		return
	}
	part := int(h[0] >> 2)
	if e.bufs[part] == nil {
		f, err := os.OpenFile(e.path(part), os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
		if err != nil {
			e.err = fmt.Errorf("bulk load: %w", err)
			return
		}
		e.files[part], e.bufs[part] = f, bufio.NewWriterSize(f, 16<<10)
	}
	var rec [emailEntrySize]byte
	copy(rec[:32], h)
	binary.BigEndian.PutUint64(rec[32:], id)
	if _, err := e.bufs[part].Write(rec[:]); err != nil {
		e.err = fmt.Errorf("bulk load: %w", err)
	}
}

// each calls f with every look-up in the order of the HMACs; it stops when
// f returns false. The files are closed and removed as they are read.
func (e *emailSpill) each(f func(h []byte, id uint64) bool) (bool, error) {
	if e.err != nil {
		return false, e.err
	}
	for part := range emailParts {
		if e.bufs[part] == nil {
			continue
		}
		if err := e.bufs[part].Flush(); err != nil {
			return false, fmt.Errorf("bulk load: %w", err)
		}
		if err := e.files[part].Close(); err != nil {
			return false, fmt.Errorf("bulk load: %w", err)
		}
		e.bufs[part], e.files[part] = nil, nil
		recs, err := os.ReadFile(e.path(part))
		if err != nil {
			return false, fmt.Errorf("bulk load: %w", err)
		}
		if len(recs)%emailEntrySize != 0 {
			return false, fmt.Errorf("bulk load: %s is cut short", e.path(part))
		}
		_ = os.Remove(e.path(part))
		sorted := make([][]byte, 0, len(recs)/emailEntrySize)
		for r := recs; len(r) > 0; r = r[emailEntrySize:] {
			sorted = append(sorted, r[:emailEntrySize:emailEntrySize])
		}
		slices.SortFunc(sorted, func(x, y []byte) int { return bytes.Compare(x[:32], y[:32]) })
		for _, r := range sorted {
			if !f(r[:32], binary.BigEndian.Uint64(r[32:])) {
				return false, nil
			}
		}
	}
	return true, nil
}

// close closes whatever files are still open (the directory goes with the
// staging directory).
func (e *emailSpill) close() {
	for part, f := range e.files {
		if f != nil {
			_ = f.Close()
			e.files[part], e.bufs[part] = nil, nil
		}
	}
}
