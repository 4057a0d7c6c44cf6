package store

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math/bits"
	"slices"

	"github.com/dgraph-io/badger/v4"
)

// Bitmap chunks of the contact indexes. Beside each index value's keys
// (i/<field>/<value>\x00<id>, one per contact) the store keeps the same ids
// as bitmaps, a chunk of chunkIDs ids per key:
//
//	ib/<field>/<value>\x00<chunk, 4 bytes big-endian>   ids chunk·4096 … chunk·4096+4095
//
// so that a conjunction of indexed terms (plan.go) reads an index value's
// ids a chunk at a time instead of a key per id: `country:DE basis:none` at
// a million contacts walks a few hundred chunks, not 235,404 keys. A chunk
// holding fewer than chunkSparse ids is a sorted list of their offsets in
// the chunk (2 bytes each); a fuller one is the bitmap (chunkBytes bytes,
// bit i of byte j is offset 8j+i); an empty chunk has no key. The encoding
// depends on the ids alone, so the bulk load and the ordinary path write
// the same bytes.
//
// The chunks are written by the transaction that writes the index keys:
// tx.set and tx.del note every i/ key they set or delete (noteIndex), and
// the chunks they touched are written once, before the commit
// (flushBitmaps). The bulk load writes them from its sorted index keys
// (emitRest), an upgrade to schema 4 builds them from the index keys
// (migrateBitmaps), and audit verify compares them with the index keys.
// The created-date index has no chunks: no conjunction streams it.
//
// Personal data (SPEC §8): a chunk key names exactly the field and value
// its index keys name (labels: country, basis, status, source, tag, …) and
// holds contact ids only, which the index keys hold too. An erasure changes
// the index keys through tx.set and tx.del like every other change, so the
// chunks follow it in the same transaction.

var prefixBitmap = []byte("ib/")

const (
	chunkShift  = 12
	chunkIDs    = 1 << chunkShift // ids per chunk
	chunkBytes  = chunkIDs / 8    // a full bitmap
	chunkWords  = chunkIDs / 64
	chunkSparse = chunkBytes / 2 // fewer ids than this are listed, not mapped
)

// chunkWordsT is one chunk's ids as a bitmap: bit i of word w is offset
// 64w+i.
type chunkWordsT [chunkWords]uint64

// set, unset and has work on the bit of id's offset in its chunk (only
// the offset counts: any id of the chunk may be given).
func (w *chunkWordsT) set(id uint64) {
	off := id & (chunkIDs - 1)
	w[off/64] |= 1 << (off % 64)
}

func (w *chunkWordsT) unset(id uint64) {
	off := id & (chunkIDs - 1)
	w[off/64] &^= 1 << (off % 64)
}

func (w *chunkWordsT) has(id uint64) bool {
	off := id & (chunkIDs - 1)
	return w[off/64]&(1<<(off%64)) != 0
}

// bitmapped reports whether an index field has bitmap chunks.
func bitmapped(field []byte) bool { return string(field) != ixCreated }

// bitmappedPrefix reports whether an index value prefix
// (i/<field>/<value>\x00) has chunks.
func bitmappedPrefix(prefix []byte) bool {
	rest := prefix[len(prefixIndex):]
	slash := bytes.IndexByte(rest, '/')
	return slash >= 0 && bitmapped(rest[:slash])
}

// indexKeyParts splits an index key into its value prefix
// (i/<field>/<value>\x00) and id, and reports whether its field has
// chunks.
func indexKeyParts(k []byte) (prefix []byte, id uint64, ok bool) {
	if !bytes.HasPrefix(k, prefixIndex) || len(k) < len(prefixIndex)+10 {
		return nil, 0, false
	}
	if !bitmappedPrefix(k[:len(k)-8]) {
		return nil, 0, false
	}
	return k[:len(k)-8], idFromKey(k), true
}

// appendChunkKey appends the chunk key of an index value prefix
// (i/<field>/<value>\x00, or ib/… already) and a chunk number to buf.
func appendChunkKey(buf, prefix []byte, chunk uint32) []byte {
	buf = appendBitmapPrefix(buf, prefix)
	return binary.BigEndian.AppendUint32(buf, chunk)
}

// appendBitmapPrefix appends the chunk prefix (ib/<field>/<value>\x00) of
// an index value prefix (i/<field>/<value>\x00) to buf.
func appendBitmapPrefix(buf, prefix []byte) []byte {
	if bytes.HasPrefix(prefix, prefixBitmap) {
		return append(buf, prefix...)
	}
	return append(append(buf, prefixBitmap...), prefix[len(prefixIndex):]...)
}

// bitmapPrefix is the chunk prefix of an index value prefix.
func bitmapPrefix(prefix []byte) []byte { return appendBitmapPrefix(nil, prefix) }

// encodeBits appends a chunk's stored form to buf (nil for an empty
// chunk: it has no key).
func encodeBits(buf []byte, w *chunkWordsT) []byte {
	n := 0
	for _, x := range w {
		n += bits.OnesCount64(x)
	}
	switch {
	case n == 0:
		return buf
	case n < chunkSparse:
		for i, x := range w {
			for x != 0 {
				b := bits.TrailingZeros64(x)
				x &= x - 1
				buf = binary.BigEndian.AppendUint16(buf, uint16(i*64+b))
			}
		}
		return buf
	}
	for _, x := range w {
		buf = binary.LittleEndian.AppendUint64(buf, x)
	}
	return buf
}

// decodeBits reads a chunk's stored form into w.
func decodeBits(v []byte, w *chunkWordsT) error {
	*w = chunkWordsT{}
	switch {
	case len(v) == chunkBytes:
		for i := range w {
			w[i] = binary.LittleEndian.Uint64(v[i*8:])
		}
		return nil
	case len(v)%2 == 0 && len(v) < chunkBytes:
		for i := 0; i < len(v); i += 2 {
			off := binary.BigEndian.Uint16(v[i:])
			if off >= chunkIDs {
				return errors.New("bitmap chunk: offset out of range")
			}
			w.set(uint64(off))
		}
		return nil
	}
	return fmt.Errorf("bitmap chunk: %d bytes", len(v))
}

// bitEdit is a chunk a transaction changes.
type bitEdit struct {
	w chunkWordsT
}

// noteIndex records that the transaction sets (on) or deletes an index
// key, so that its chunk follows (flushBitmaps writes it). The first touch
// of a chunk reads it as committed: the transaction writes chunks only at
// its end.
func (t *tx) noteIndex(k []byte, on bool) error {
	prefix, id, ok := indexKeyParts(k)
	if !ok {
		return nil
	}
	t.bitKey = appendChunkKey(t.bitKey[:0], prefix, uint32(id>>chunkShift))
	e := t.bits[string(t.bitKey)]
	if e == nil {
		e = &bitEdit{}
		v, err := getValue(t.txn, t.bitKey)
		switch {
		case err == nil:
			if err := decodeBits(v, &e.w); err != nil {
				return fmt.Errorf("%s: %w", t.bitKey[:len(t.bitKey)-4], err)
			}
		case !errors.Is(err, ErrNotFound):
			return err
		}
		if t.bits == nil {
			t.bits = map[string]*bitEdit{}
		}
		t.bits[string(t.bitKey)] = e
	}
	if on {
		e.w.set(id)
	} else {
		e.w.unset(id)
	}
	return nil
}

// flushBitmaps writes the chunks the transaction changed.
func (t *tx) flushBitmaps() error {
	var buf []byte
	for k, e := range t.bits {
		buf = encodeBits(buf[:0], &e.w)
		var err error
		if len(buf) == 0 {
			err = t.txn.Delete([]byte(k))
		} else {
			err = t.txn.Set([]byte(k), slices.Clone(buf))
		}
		if err != nil {
			return err
		}
	}
	t.bits = nil
	return nil
}

// chunkBuilder turns index keys, given in key order, into their chunks,
// in key order (the chunk keys of the values sort as the values' index
// keys do: a value never holds 0x00).
type chunkBuilder struct {
	emit   func(k, v []byte) bool
	prefix []byte // the value prefix being built (i/…), nil before the first
	chunk  uint32
	w      chunkWordsT
	key    []byte
	val    []byte
	stop   bool
}

// add adds one id of an index value prefix; it reports false once emit
// did.
func (b *chunkBuilder) add(prefix []byte, id uint64) bool {
	c := uint32(id >> chunkShift)
	if b.prefix == nil || c != b.chunk || !bytes.Equal(prefix, b.prefix) {
		if !b.flush() {
			return false
		}
		b.prefix = append(b.prefix[:0], prefix...)
		b.chunk = c
	}
	b.w.set(id)
	return true
}

// flush emits the chunk being built, if any.
func (b *chunkBuilder) flush() bool {
	if b.stop {
		return false
	}
	if b.prefix == nil {
		return true
	}
	b.val = encodeBits(b.val[:0], &b.w)
	b.w = chunkWordsT{}
	if len(b.val) == 0 {
		return true
	}
	b.key = appendChunkKey(b.key[:0], b.prefix, b.chunk)
	if !b.emit(b.key, b.val) {
		b.stop = true
		return false
	}
	return true
}

// eachExpectedChunk walks the index keys of txn and calls emit with every
// chunk they imply, in key order, and counts the index keys; it stops
// when emit returns false.
func eachExpectedChunk(txn *badger.Txn, emit func(k, v []byte) bool) (keys int64) {
	b := &chunkBuilder{emit: emit}
	it := txn.NewIterator(badger.IteratorOptions{Prefix: prefixIndex})
	defer it.Close()
	for it.Rewind(); it.Valid(); it.Next() {
		keys++
		k := it.Item().Key()
		prefix, id, ok := indexKeyParts(k)
		if !ok {
			continue
		}
		if !b.add(prefix, id) {
			return keys
		}
	}
	b.flush()
	return keys
}

// checkBitmaps compares the stored chunks with the ones the index keys
// imply: it returns the number of index keys, how many chunks differ
// (missing, left over or with other ids) and the first few of them.
func checkBitmaps(txn *badger.Txn) (keys, bad int64, first []string) {
	it := txn.NewIterator(badger.IteratorOptions{Prefix: prefixBitmap, PrefetchValues: true, PrefetchSize: 64})
	defer it.Close()
	it.Rewind()
	note := func(k []byte) {
		bad++
		if len(first) < 5 {
			first = append(first, fmt.Sprintf("%s chunk %d", bytes.TrimRight(k[len(prefixBitmap):len(k)-4], "\x00"), binary.BigEndian.Uint32(k[len(k)-4:])))
		}
	}
	var got []byte
	keys = eachExpectedChunk(txn, func(k, v []byte) bool {
		for ; it.Valid(); it.Next() {
			have := it.Item().Key()
			c := bytes.Compare(have, k)
			if c > 0 {
				break
			}
			if c < 0 {
				note(have) // a chunk no index key implies
				continue
			}
			var err error
			got, err = it.Item().ValueCopy(got[:0])
			if err != nil || !bytes.Equal(got, v) {
				note(k)
			}
			it.Next()
			return true
		}
		note(k) // missing
		return true
	})
	for ; it.Valid(); it.Next() {
		note(it.Item().Key())
	}
	return keys, bad, first
}

// bitCursor walks the ids of one index value in id order, forward or
// backward, from its chunks: seek positions it at the first id at or past
// a target.
type bitCursor struct {
	it       *badger.Iterator
	prefix   []byte // ib/<field>/<value>\x00
	backward bool
	loaded   bool   // w holds chunk
	chunk    uint32 // the chunk in w
	ended    bool   // no chunk past chunk in the walk's direction
	last     uint64 // the last target, for a walk that only moves on
	started  bool
	w        chunkWordsT
	seekKey  []byte
}

// chunkSteps is how many chunk keys a cursor steps over before it seeks
// instead.
const chunkSteps = 8

// load reads the chunk at the iterator's position, if it is one of the
// prefix's; it reports false when the walk has no chunk left.
func (c *bitCursor) load() bool {
	if !c.it.Valid() {
		c.loaded, c.ended = false, true
		return false
	}
	item := c.it.Item()
	k := item.Key()
	if !bytes.HasPrefix(k, c.prefix) || len(k) != len(c.prefix)+4 {
		c.loaded, c.ended = false, true
		return false
	}
	c.chunk = binary.BigEndian.Uint32(k[len(c.prefix):])
	err := item.Value(func(v []byte) error { return decodeBits(v, &c.w) })
	if err != nil {
		// A chunk that cannot be read holds no id here; audit verify
		// names it.
		c.w = chunkWordsT{}
	}
	c.loaded = true
	return true
}

// before reports whether chunk a comes before b in the walk's direction.
func (c *bitCursor) before(a, b uint32) bool {
	if c.backward {
		return a > b
	}
	return a < b
}

// toChunk positions the cursor at the first chunk at or past ch in the
// walk's direction; false when there is none.
func (c *bitCursor) toChunk(ch uint32, onward bool) bool {
	if c.loaded && c.chunk == ch {
		return true
	}
	if onward && c.loaded && c.before(ch, c.chunk) {
		// The loaded chunk was the first past an earlier target, so
		// it is the first past this one too.
		return true
	}
	if onward && c.ended {
		return false
	}
	if onward && c.loaded {
		for range chunkSteps {
			c.it.Next()
			if !c.load() {
				return false
			}
			if !c.before(c.chunk, ch) {
				return true
			}
		}
	}
	c.seekKey = binary.BigEndian.AppendUint32(append(c.seekKey[:0], c.prefix...), ch)
	c.it.Seek(c.seekKey)
	c.ended = false
	return c.load()
}

// seek reports the first id at or past target (forward: the smallest id ≥
// target; backward: the largest ≤ target), or false when there is none.
func (c *bitCursor) seek(target uint64) (uint64, bool) {
	onward := c.started && (c.backward && target <= c.last || !c.backward && target >= c.last)
	c.started, c.last = true, target
	ch := target >> chunkShift
	if ch > 0xffffffff {
		if !c.backward {
			return 0, false
		}
		ch, target = 0xffffffff, 0xffffffff<<chunkShift|(chunkIDs-1)
	}
	if !c.toChunk(uint32(ch), onward) {
		return 0, false
	}
	for {
		var off int
		switch {
		case c.chunk != uint32(ch) && c.backward:
			off = chunkIDs - 1
		case c.chunk != uint32(ch):
			off = 0
		default:
			off = int(target & (chunkIDs - 1))
		}
		if id, ok := c.inChunk(off); ok {
			return id, true
		}
		// Nothing past the offset in this chunk: the next one.
		c.it.Next()
		if !c.load() {
			return 0, false
		}
	}
}

// inChunk finds the first id of the loaded chunk at or past offset off.
func (c *bitCursor) inChunk(off int) (uint64, bool) {
	base := uint64(c.chunk) << chunkShift
	w := off / 64
	if c.backward {
		x := c.w[w] & (^uint64(0) >> (63 - off%64))
		for {
			if x != 0 {
				return base + uint64(w*64+63-bits.LeadingZeros64(x)), true
			}
			if w--; w < 0 {
				return 0, false
			}
			x = c.w[w]
		}
	}
	x := c.w[w] & (^uint64(0) << (off % 64))
	for {
		if x != 0 {
			return base + uint64(w*64+bits.TrailingZeros64(x)), true
		}
		if w++; w == chunkWords {
			return 0, false
		}
		x = c.w[w]
	}
}
