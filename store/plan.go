package store

import (
	"bytes"
	"slices"

	"github.com/dgraph-io/badger/v4"
	"github.com/gdprdesk/gdprdesk/gdpr"
)

// Conjunctions of indexed terms are answered from the indexes. The walk
// follows one term's index (the driver, chosen by planQuery); every other
// indexed term is an idStream over its own index keys, which all end in
// the contact id, 8 bytes big-endian, so the keys of one index value are
// sorted by id. A driver id is a match only when every stream holds it;
// when one does not, the stream's next id is where the driver seeks to
// (leapfrog), so `country:DE basis:none` with no match reads no record and
// skips, in every stream, the ids no other stream holds. A term that is
// not indexed (created) and bare words are checked on the candidates that
// are left.

// stepBeforeSeek is how many keys an index walk steps over before it seeks
// instead: a step costs about 0.3 µs at a million contacts, a seek several µs
// (it repositions every table of the tree), so near targets are stepped to.
const stepBeforeSeek = 48

// idCursor walks the keys of one index value prefix in id order, forward
// or backward, positioned at the first id at or past a target.
type idCursor struct {
	it       *badger.Iterator
	prefix   []byte
	backward bool
	started  bool
	target   uint64 // the last target asked for
	id       uint64 // the id at the position, if ok
	ok       bool   // false: no id at or past target in this prefix
	seekKey  []byte
}

func (c *idCursor) load() {
	if !c.it.Valid() {
		c.ok = false
		return
	}
	k := c.it.Item().Key()
	if !bytes.HasPrefix(k, c.prefix) || len(k) != len(c.prefix)+8 {
		c.ok = false
		return
	}
	c.id, c.ok = idFromKey(k), true
}

// past reports whether id a lies at or past b in the walk's direction.
func (c *idCursor) past(a, b uint64) bool {
	if c.backward {
		return a <= b
	}
	return a >= b
}

// seek positions the cursor at the first id at or past target (forward:
// the smallest id ≥ target; backward: the largest ≤ target) and reports it.
func (c *idCursor) seek(target uint64) (uint64, bool) {
	if c.started && c.past(target, c.target) {
		// Moving on in the walk's direction: from where the cursor is.
		c.target = target
		for i := 0; c.ok && !c.past(c.id, target); i++ {
			if i == stepBeforeSeek {
				c.reposition(target)
				return c.id, c.ok
			}
			c.it.Next()
			c.load()
		}
		return c.id, c.ok
	}
	c.started = true
	c.target = target
	c.reposition(target)
	return c.id, c.ok
}

func (c *idCursor) reposition(target uint64) {
	c.seekKey = append(append(c.seekKey[:0], c.prefix...), u64(target)...)
	c.it.Seek(c.seekKey)
	c.load()
}

// idStream is one indexed term: the union of the cursors of its value
// prefixes (several for a|b and for eu:, whose values are countries). A
// negated stream holds the term's complement instead: the other values of
// a field every contact has exactly one value of (basis:none against every
// basis), walked when they are fewer than the term's own (complementOf).
type idStream struct {
	cursors  []*idCursor
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
// (i/co/y: → i/co/y:AT\0, i/co/y:DE\0, …), one seek per value.
func valuePrefixes(txn *badger.Txn, family []byte) [][]byte {
	it := txn.NewIterator(badger.IteratorOptions{Prefix: family})
	defer it.Close()
	var out [][]byte
	for it.Seek(family); it.ValidForPrefix(family); {
		k := it.Item().Key()
		i := bytes.IndexByte(k[len(family):], 0)
		if i < 0 {
			it.Next()
			continue
		}
		p := bytes.Clone(k[:len(family)+i+1])
		out = append(out, p)
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
			it := txn.NewIterator(badger.IteratorOptions{Prefix: pre, Reverse: backward})
			cj.its = append(cj.its, it)
			s.cursors = append(s.cursors, &idCursor{it: it, prefix: pre, backward: backward})
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
