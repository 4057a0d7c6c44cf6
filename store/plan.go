package store

import (
	"bytes"
	"encoding/binary"
	"math/bits"
	"slices"

	"github.com/dgraph-io/badger/v4"
	"github.com/gdprdesk/gdprdesk/gdpr"
)

// Conjunctions of indexed terms are answered from the indexes. The walk
// follows one term's index (the driver, chosen by planQuery); every other
// indexed term is an idStream over its index value's bitmap chunks
// (bitmap.go), which hold the ids of its index keys in id order. When the
// driver is one value too (not created, not several values), walkBitmaps
// intersects the chunks a chunk at a time and reads no index key at all;
// otherwise the driver's keys are walked and each id is checked against
// the streams. A driver id is a match only when every stream holds it;
// when one does not, the stream's next id is where the driver seeks to
// (leapfrog), so `country:DE basis:none` with no match reads no record and
// skips, in every stream, the ids no other stream holds. A term that is
// not indexed (created) and bare words are checked on the candidates that
// are left.

// stepBeforeSeek is how many keys an index walk steps over before it seeks
// instead: a step costs about 0.3 µs at a million contacts, a seek several µs
// (it repositions every table of the tree), so near targets are stepped to.
const stepBeforeSeek = 48

// idStream is one indexed term: the union of the cursors of its value
// prefixes (several for a|b and for eu:, whose values are countries). A
// negated stream holds the term's complement instead: the other values of
// a field every contact has exactly one value of (basis:none against every
// basis), walked when they are fewer than the term's own (complementOf).
type idStream struct {
	cursors  []*bitCursor
	backward bool
	negated  bool
}

// seek reports the first id of the term at or past target, or false when
// the term holds none.
func (s *idStream) seek(target uint64) (uint64, bool) {
	var best uint64
	found := false
	for _, c := range s.cursors {
		id, ok := c.seek(target)
		if !ok {
			continue
		}
		if !found || (s.backward && id > best) || (!s.backward && id < best) {
			best, found = id, true
		}
	}
	return best, found
}

// conjunction is the streams of a query's indexed terms other than the
// driver's.
type conjunction struct {
	streams  []*idStream
	its      []*badger.Iterator
	backward bool
}

// check reports whether every stream holds id. When one does not, next is
// the nearest id past id in the walk's direction that could still match
// (the furthest of the streams' next ids), and done is set when a stream
// holds no id past it at all.
func (cj *conjunction) check(id uint64) (match bool, next uint64, done bool) {
	match, next = true, id
	for _, s := range cj.streams {
		if s.negated {
			continue
		}
		got, ok := s.seek(next)
		if !ok {
			return false, 0, true
		}
		if got != next {
			match = false
			next = got // further along: the other streams start from there
		}
	}
	if !match {
		return false, next, false
	}
	// Every term's own stream holds id; a complement must not.
	for _, s := range cj.streams {
		if !s.negated {
			continue
		}
		if got, ok := s.seek(id); ok && got == id {
			if cj.backward {
				return false, id - 1, id <= 1
			}
			return false, id + 1, false
		}
	}
	return true, id, false
}

func (cj *conjunction) close() {
	for _, it := range cj.its {
		it.Close()
	}
}

// streamPrefixes lists the index value prefixes of an indexed term (each
// ending in 0x00, followed by the id), or false for a term no index
// answers key by key (created).
func streamPrefixes(txn *badger.Txn, t gdpr.Term) ([][]byte, bool) {
	if t.Field == gdpr.FieldCreated || len(t.Values) == 0 {
		return nil, false
	}
	var out [][]byte
	for _, v := range t.Values {
		p := termPrefix(withValue(t, v))
		if t.Field == gdpr.FieldEU {
			// i/co/y: holds one value per country: list them.
			out = append(out, valuePrefixes(txn, p)...)
			continue
		}
		if indexField(t.Field) == "" {
			return nil, false
		}
		out = append(out, p)
	}
	slices.SortFunc(out, bytes.Compare)
	return slices.CompactFunc(out, bytes.Equal), true
}

// valuePrefixes lists the value prefixes present under an index prefix
// (i/co/y: → i/co/y:AT\0, i/co/y:DE\0, …), one seek per value. The values
// are read from the bitmap chunks' keys, a few hundred a value at most,
// not from the index keys: a value whose keys were all deleted (a basis
// added in bulk and removed again) leaves a key's tombstone per contact
// until a compaction, which a walk has to step over.
func valuePrefixes(txn *badger.Txn, family []byte) [][]byte {
	bf := bitmapPrefix(family)
	it := txn.NewIterator(badger.IteratorOptions{Prefix: bf})
	defer it.Close()
	var out [][]byte
	for it.Seek(bf); it.ValidForPrefix(bf); {
		k := it.Item().Key()
		i := bytes.IndexByte(k[len(bf):], 0)
		if i < 0 {
			it.Next()
			continue
		}
		p := k[:len(bf)+i+1]
		out = append(out, join(prefixIndex, p[len(prefixBitmap):]))
		it.Seek(prefixEnd(p))
	}
	return out
}

// conjunctionOf opens a stream for every indexed term of q other than the
// driver (p.term), smallest first by its counters so that a miss is found
// early. It reports whether every term other than the driver is a stream
// (then the streams alone decide a match), and nil when there is no
// stream to open.
func conjunctionOf(txn *badger.Txn, q gdpr.Query, p plan, backward bool) (*conjunction, bool, error) {
	type sized struct {
		prefixes [][]byte
		n        int64
		negated  bool
	}
	var terms []sized
	all := true
	total, err := readCounter(txn, cntContacts)
	if err != nil {
		return nil, false, err
	}
	for i, t := range q.Terms {
		if i == p.term {
			continue
		}
		ps, ok := streamPrefixes(txn, t)
		if !ok {
			all = false
			continue
		}
		n, known, err := termCount(txn, t)
		if err != nil {
			return nil, false, err
		}
		if !known {
			n = 1 << 62
		}
		if field, ok := complementField(t); ok && known && total-n < n {
			if others := complementOf(txn, field, ps); others != nil {
				terms = append(terms, sized{others, total - n, true})
				continue
			}
		}
		terms = append(terms, sized{ps, n, false})
	}
	if len(terms) == 0 {
		return nil, all, nil
	}
	slices.SortStableFunc(terms, func(a, b sized) int {
		switch {
		case a.negated != b.negated:
			if b.negated {
				return -1 // the terms' own streams first: they can move the driver
			}
			return 1
		case a.n < b.n:
			return -1
		case a.n > b.n:
			return 1
		}
		return 0
	})
	cj := &conjunction{backward: backward}
	for _, t := range terms {
		s := &idStream{backward: backward, negated: t.negated}
		for _, pre := range t.prefixes {
			bp := bitmapPrefix(pre)
			it := txn.NewIterator(badger.IteratorOptions{Prefix: bp, Reverse: backward})
			cj.its = append(cj.its, it)
			s.cursors = append(s.cursors, &bitCursor{it: it, prefix: bp, backward: backward})
		}
		cj.streams = append(cj.streams, s)
	}
	return cj, all, nil
}

// complementField reports the index field whose other values make up the
// complement of t: a field every contact has exactly one value of
// (country, eu, status, marketing class, hold), or basis:none, which a
// contact holds exactly when it holds no other basis.
func complementField(t gdpr.Term) (string, bool) {
	switch t.Field {
	case gdpr.FieldCountry, gdpr.FieldEU:
		return ixCountry, true
	case gdpr.FieldStatus, gdpr.FieldMarketingClass, gdpr.FieldHold:
		return indexField(t.Field), true
	case gdpr.FieldBasis:
		if len(t.Values) == 1 && t.Values[0] == string(gdpr.BasisNone) {
			return ixBasis, true
		}
	}
	return "", false
}

// complementOf lists the value prefixes of field other than own, or nil
// when there is none (every contact matches; the term's own stream says
// so as cheaply).
func complementOf(txn *badger.Txn, field string, own [][]byte) [][]byte {
	var out [][]byte
	for _, p := range valuePrefixes(txn, fieldPrefix(field)) {
		if !slices.ContainsFunc(own, func(o []byte) bool { return bytes.Equal(o, p) }) {
			out = append(out, p)
		}
	}
	return out
}

// walkBitmaps walks the ids of one index value (prefix, i/<field>/<value>\x00)
// that every stream of cj holds (a negated stream: does not hold), from
// its bitmap chunks, after the cursor from (an index key of that value),
// in either direction; fn gets the index key of each. Chunk by chunk, the
// driver's bits are intersected with the streams' bits of the same chunk,
// and a chunk some term's stream has no bits in is skipped whole: a
// conjunction that matches nobody reads a few hundred chunks at a million
// contacts, not a key per id. It reports whether the walk got to the end.
func walkBitmaps(txn *badger.Txn, prefix []byte, from Cursor, backward bool, cj *conjunction, fn func(k []byte) (bool, error)) (bool, error) {
	bp := bitmapPrefix(prefix)
	it := txn.NewIterator(badger.IteratorOptions{Prefix: bp, Reverse: backward})
	defer it.Close()
	drv := &bitCursor{it: it, prefix: bp, backward: backward}
	const lastChunk = 1<<32 - 1
	// The walk starts at chunk ch, offset off within it.
	var ch uint64
	var off int
	switch {
	case len(from) == 0 && backward:
		ch, off = lastChunk, chunkIDs-1
	case len(from) > 0:
		id := idFromKey(from)
		if backward {
			if id == 0 {
				return true, nil
			}
			id--
		} else {
			id++
		}
		ch, off = id>>chunkShift, int(id&(chunkIDs-1))
		if ch > lastChunk {
			if !backward {
				return true, nil
			}
			ch, off = lastChunk, chunkIDs-1
		}
	}
	// past moves the walk to the chunk after c.
	past := func(c uint32) bool {
		if backward {
			if c == 0 {
				return false
			}
			ch, off = uint64(c)-1, chunkIDs-1
			return true
		}
		if c == lastChunk {
			return false
		}
		ch, off = uint64(c)+1, 0
		return true
	}
	key := bytes.Clone(prefix)
	var x chunkWordsT
	for {
		if !drv.toChunk(uint32(ch), true) {
			return true, nil
		}
		if drv.chunk != uint32(ch) {
			ch = uint64(drv.chunk)
			if off = 0; backward {
				off = chunkIDs - 1
			}
		}
		x = drv.w
		// Only the ids at or past the start, in the first chunk.
		if backward {
			for w := off/64 + 1; w < chunkWords; w++ {
				x[w] = 0
			}
			x[off/64] &= ^uint64(0) >> (63 - off%64)
		} else {
			for w := range off / 64 {
				x[w] = 0
			}
			x[off/64] &= ^uint64(0) << (off % 64)
		}
		skipTo, skip, end := uint32(0), false, false
		for _, s := range cj.streams {
			if s.negated {
				for _, c := range s.cursors {
					if c.toChunk(uint32(ch), true) && c.chunk == uint32(ch) {
						for w := range x {
							x[w] &^= c.w[w]
						}
					}
				}
				continue
			}
			var u chunkWordsT
			have, nearest, found := false, uint32(0), false
			for _, c := range s.cursors {
				if !c.toChunk(uint32(ch), true) {
					continue
				}
				if c.chunk == uint32(ch) {
					have = true
					for w := range u {
						u[w] |= c.w[w]
					}
					continue
				}
				if !found || c.before(c.chunk, nearest) {
					nearest, found = c.chunk, true
				}
			}
			if !have {
				if !found {
					end = true
					break
				}
				// This term has no id before its nearest chunk.
				if !skip || drv.before(skipTo, nearest) {
					skipTo, skip = nearest, true
				}
				continue
			}
			for w := range x {
				x[w] &= u[w]
			}
		}
		if end {
			return true, nil
		}
		if skip {
			ch = uint64(skipTo)
			if off = 0; backward {
				off = chunkIDs - 1
			}
			continue
		}
		base := ch << chunkShift
		if backward {
			for w := chunkWords - 1; w >= 0; w-- {
				for v := x[w]; v != 0; {
					b := 63 - bits.LeadingZeros64(v)
					v &^= 1 << b
					key = binary.BigEndian.AppendUint64(key[:len(prefix)], base+uint64(w*64+b))
					if more, err := fn(key); err != nil || !more {
						return false, err
					}
				}
			}
		} else {
			for w := range chunkWords {
				for v := x[w]; v != 0; v &= v - 1 {
					key = binary.BigEndian.AppendUint64(key[:len(prefix)], base+uint64(w*64+bits.TrailingZeros64(v)))
					if more, err := fn(key); err != nil || !more {
						return false, err
					}
				}
			}
		}
		if !past(uint32(ch)) {
			return true, nil
		}
	}
}
