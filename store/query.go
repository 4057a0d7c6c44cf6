package store

import (
	"bytes"
	"errors"
	"fmt"
	"slices"

	"github.com/dgraph-io/badger/v4"
	"github.com/gdprdesk/gdprdesk/gdpr"
)

// Queries run on the indexes: the most selective single-valued term (by its
// maintained counter) picks the index to walk, every term is then checked on
// the contact's clear fields, and bare words on its sealed search text. A
// page reads only as many records as it shows (plus the ones it skips), never
// the whole store, unless the query has no indexed term.

// Cursor marks where a page ended: the last key read. Nil starts at the
// beginning. Cursors are opaque and valid for the query that made them.
type Cursor []byte

// Page is one page of contacts matching a query, in index order.
type Page struct {
	Contacts []gdpr.Contact
	Keys     []Cursor // the position of each contact, for paging from any row
	Next     Cursor   // pass to the next call to continue
	More     bool     // false when the query is exhausted
}

type plan struct {
	start, end []byte // keys in [start, end)
	byIndex    bool   // keys are index keys ending in the id; else c/<id>
	exact      bool   // the index alone decides the match (one term, no words)
	// within, when set, are the value prefixes of a term of several values:
	// the walk covers the field's index from the first to the last and
	// skips the keys of every other value.
	within [][]byte
	// term is the query term whose index is walked (-1: none, or a
	// created range), sorted whether the walk's keys are in id order (one
	// value: the driver can seek by id, see plan.go).
	term   int
	sorted bool
}

// termCount is how many contacts match one term, from the counters: ok for
// a single value of an indexed field, and for several values of a
// one-valued field (their counts add up).
func termCount(txn *badger.Txn, t gdpr.Term) (n int64, ok bool, err error) {
	if t.Field == gdpr.FieldCreated || (len(t.Values) > 1 && !oneValued(t.Field)) {
		return 0, false, nil
	}
	seen := map[string]bool{}
	for _, v := range t.Values {
		name := estimateName(withValue(t, v))
		if seen[name] {
			continue
		}
		seen[name] = true
		c, err := readCounter(txn, name)
		if err != nil {
			return 0, false, err
		}
		n += c
	}
	return n, true, nil
}

// resolveQuery writes the query's marketing: terms as the marketing classes
// the settings make marketable (gdpr.Query.Resolve), so they walk the class
// index; a query without such a term is returned as it is.
func resolveQuery(txn *badger.Txn, q gdpr.Query) (gdpr.Query, error) {
	if !slices.ContainsFunc(q.Terms, func(t gdpr.Term) bool { return t.Field == gdpr.FieldMarketing }) {
		return q, nil
	}
	st, err := readSettings(txn)
	if err != nil {
		return q, err
	}
	return q.Resolve(st), nil
}

// withValue is t with only the value v.
func withValue(t gdpr.Term, v string) gdpr.Term {
	t.Values = []string{v}
	return t
}

// oneValued reports whether each contact has exactly one value of f, so that
// a walk over several of its values meets each contact once.
func oneValued(f gdpr.Field) bool {
	return f == gdpr.FieldCountry || f == gdpr.FieldEU || f == gdpr.FieldStatus || f == gdpr.FieldSource ||
		f == gdpr.FieldMarketingClass || f == gdpr.FieldHold
}

// valuesPlan walks the index of a term of several values of a one-valued
// field (country:ES|PL, eu:yes|unknown): key by key over the range its
// values span, reading a record only for the keys of its values.
func valuesPlan(q gdpr.Query, t gdpr.Term) plan {
	var ps [][]byte
	for _, v := range t.Values {
		ps = append(ps, termPrefix(withValue(t, v)))
	}
	slices.SortFunc(ps, bytes.Compare)
	ps = slices.CompactFunc(ps, bytes.Equal)
	return plan{start: ps[0], end: prefixEnd(ps[len(ps)-1]), byIndex: true, within: ps, term: -1,
		exact: len(q.Terms) == 1 && len(q.Words) == 0}
}

func (p *plan) skips(k []byte) bool {
	if p.within == nil {
		return false
	}
	for _, w := range p.within {
		if bytes.HasPrefix(k, w) {
			return false
		}
	}
	return true
}

func prefixEnd(p []byte) []byte {
	end := append([]byte(nil), p...)
	for i := len(end) - 1; i >= 0; i-- {
		if end[i] < 0xff {
			end[i]++
			return end[:i+1]
		}
	}
	return nil
}

// estimateName is the counter that sizes a term's index value.
func estimateName(t gdpr.Term) string {
	v := t.Values[0]
	switch t.Field {
	case gdpr.FieldCountry:
		if v == "" {
			v = noCountry
		}
		return cntPrefixCountry + v
	case gdpr.FieldEU:
		return cntPrefixEU + v
	case gdpr.FieldBasis:
		if v == string(gdpr.BasisNone) {
			return cntNoBasis
		}
		return cntPrefixBasis + v
	case gdpr.FieldStatus:
		return cntPrefixStatus + v
	case gdpr.FieldSource:
		return cntPrefixSource + v
	case gdpr.FieldTag:
		return cntPrefixTag + v
	case gdpr.FieldMarketingClass:
		return cntPrefixMarketing + v
	case gdpr.FieldPurpose:
		return cntPrefixPurpose + v
	case gdpr.FieldHold:
		return cntPrefixHold + v
	}
	return ""
}

func indexField(f gdpr.Field) string {
	switch f {
	case gdpr.FieldCountry:
		return ixCountry
	case gdpr.FieldBasis:
		return ixBasis
	case gdpr.FieldStatus:
		return ixStatus
	case gdpr.FieldSource:
		return ixSource
	case gdpr.FieldTag:
		return ixTag
	case gdpr.FieldCreated:
		return ixCreated
	case gdpr.FieldMarketingClass:
		return ixMarketing
	case gdpr.FieldPurpose:
		return ixPurpose
	case gdpr.FieldHold:
		return ixHold
	}
	return ""
}

// termPrefix is the index prefix of a single-valued term. EU status has no
// index of its own: the country index is keyed by EU status first
// (i/co/y:DE), so eu:yes walks the EU countries' keys one after another.
func termPrefix(t gdpr.Term) []byte {
	switch t.Field {
	case gdpr.FieldCountry:
		return indexPrefix(ixCountry, countryValue(t.Values[0]))
	case gdpr.FieldEU:
		return join(fieldPrefix(ixCountry), []byte(t.Values[0][:1]), []byte{':'})
	}
	return indexPrefix(indexField(t.Field), t.Values[0])
}

// planQuery chooses the keys to walk for q. A cursor stays with the index
// it was read from: the counters that chose that index may have changed
// since (a bulk change between its chunks, a write between two pages).
func planQuery(txn *badger.Txn, q gdpr.Query, after Cursor) (plan, error) {
	single := func(i int) plan {
		t := q.Terms[i]
		p := termPrefix(t)
		return plan{start: p, end: prefixEnd(p), byIndex: true, term: i, sorted: t.Field != gdpr.FieldEU,
			exact: len(q.Terms) == 1 && len(q.Words) == 0}
	}
	for i, t := range q.Terms {
		if len(after) == 0 || t.Field == gdpr.FieldCreated || len(t.Values) != 1 {
			continue
		}
		if p := termPrefix(t); bytes.HasPrefix(after, p) {
			return single(i), nil
		}
	}
	best, bestN := -1, int64(-1)
	for i, t := range q.Terms {
		if t.Field == gdpr.FieldCreated || len(t.Values) != 1 {
			continue
		}
		n, err := readCounter(txn, estimateName(t))
		if err != nil {
			return plan{}, err
		}
		if best < 0 || n < bestN {
			best, bestN = i, n
		}
	}
	if best >= 0 {
		return single(best), nil
	}
	// No single value: the term of several values with the fewest
	// contacts by its counters, if any is on a one-valued field. A cursor
	// stays with the term it was read from.
	best, bestN = -1, -1
	for i, t := range q.Terms {
		if len(t.Values) < 2 || !oneValued(t.Field) {
			continue
		}
		if len(after) > 0 {
			if p := valuesPlan(q, t); !p.skips(after) {
				p.term = i
				return p, nil
			}
			continue
		}
		n, _, err := termCount(txn, t)
		if err != nil {
			return plan{}, err
		}
		if best < 0 || n < bestN {
			best, bestN = i, n
		}
	}
	if best >= 0 {
		p := valuesPlan(q, q.Terms[best])
		p.term = best
		return p, nil
	}
	for i, t := range q.Terms {
		if t.Field != gdpr.FieldCreated {
			continue
		}
		fp := fieldPrefix(ixCreated)
		day := []byte(t.Date.Format("20060102"))
		p := plan{byIndex: true, term: i, exact: len(q.Terms) == 1 && len(q.Words) == 0}
		switch t.Op {
		case '<':
			p.start, p.end = fp, join(fp, day)
		case '>':
			next := []byte(t.Date.AddDate(0, 0, 1).Format("20060102"))
			p.start, p.end = join(fp, next), prefixEnd(fp)
		default:
			pre := indexPrefix(ixCreated, string(day))
			p.start, p.end, p.sorted = pre, prefixEnd(pre), true
		}
		return p, nil
	}
	return plan{start: prefixContact, end: prefixEnd(prefixContact), term: -1}, nil
}

// scan walks the contacts matching q after the cursor, calling fn for each
// until fn returns false. It returns the last key read.
func (s *Store) scan(txn *badger.Txn, q gdpr.Query, after Cursor, idsOnly bool, fn func(key []byte, rec *contactRec) (bool, error)) (last []byte, exhausted bool, err error) {
	return s.scanDir(txn, q, after, false, idsOnly, fn)
}

// scanDir is scan in either direction: backward walks the matches before
// the cursor (nil: from the end), nearest first.
func (s *Store) scanDir(txn *badger.Txn, q gdpr.Query, from Cursor, backward, idsOnly bool, fn func(key []byte, rec *contactRec) (bool, error)) (last []byte, exhausted bool, err error) {
	if q, err = resolveQuery(txn, q); err != nil {
		return nil, false, err
	}
	p, err := planQuery(txn, q, from)
	if err != nil {
		return nil, false, err
	}
	if len(from) > 0 && (bytes.Compare(from, p.start) < 0 || (p.end != nil && bytes.Compare(from, p.end) >= 0)) {
		return nil, false, errors.New("cursor does not belong to this query")
	}
	// Bare words are looked up in the search index first: the ids that
	// match, walked in order when no index narrows the query, else
	// checked on each index entry before its record is read.
	var matches matchSet
	if len(q.Words) > 0 {
		if matches, err = s.wordMatches(txn, q); err != nil {
			return nil, false, err
		}
		if !p.byIndex {
			return s.scanMatches(txn, q, matches, from, backward, idsOnly, fn)
		}
	}
	// The other indexed terms are streams of ids the driver's ids are
	// checked against before any record is read (plan.go).
	cj, allIndexed, err := conjunctionOf(txn, q, p, backward)
	if err != nil {
		return nil, false, err
	}
	if cj != nil {
		defer cj.close()
	}
	exact := p.exact || (p.byIndex && p.term >= 0 && allIndexed && len(q.Words) == 0)
	// visit hands one walked key to fn when its contact matches, reading
	// the record unless the index alone decides; it reports whether the
	// walk goes on. item is the key's, for a walk over the records.
	visit := func(k []byte, item *badger.Item) (bool, error) {
		var rec contactRec
		var err error
		switch {
		case p.byIndex && exact && idsOnly:
			rec = contactRec{ID: gdpr.ContactID(idFromKey(k))}
			return fn(last, &rec)
		case p.byIndex:
			if matches != nil && !matches.has(idFromKey(k)) {
				return true, nil
			}
			if rec, err = readContactRec(txn, gdpr.ContactID(idFromKey(k))); err != nil {
				return false, fmt.Errorf("index entry without contact: %w", err)
			}
		default:
			v, err := item.ValueCopy(nil)
			if err != nil {
				return false, err
			}
			if rec, err = decodeContact(v); err != nil {
				return false, err
			}
		}
		clear := rec.clear()
		if !q.MatchesTerms(&clear) || (matches != nil && !s.searchable(&rec)) {
			return true, nil
		}
		return fn(last, &rec)
	}
	if cj != nil && p.sorted && p.byIndex && q.Terms[p.term].Field != gdpr.FieldCreated &&
		(len(from) == 0 || len(from) == len(p.start)+8) {
		// Every term is a stream of bitmap chunks, the driver too: the
		// ids every stream holds are found a chunk at a time, without a
		// key per id (plan.go).
		exhausted, err := walkBitmaps(txn, p.start, from, backward, cj, func(k []byte) (bool, error) {
			last = append(last[:0], k...)
			return visit(last, nil)
		})
		return last, exhausted, err
	}
	opts := badger.DefaultIteratorOptions
	opts.PrefetchValues = !p.byIndex && cj == nil
	opts.PrefetchSize = 64
	opts.Reverse = backward
	it := txn.NewIterator(opts)
	defer it.Close()
	var seek []byte
	switch {
	case !backward && len(from) == 0:
		seek = p.start
	case !backward:
		seek = append(append([]byte(nil), from...), 0)
	case len(from) > 0:
		seek = from // a reverse seek lands on the cursor itself, skipped below
	case p.end != nil:
		seek = p.end
	default:
		seek = []byte{0xff, 0xff, 0xff, 0xff}
	}
	// A long scan (a free-text filter, an export) maps every table it
	// passes; give the pages back as it goes and when it ends.
	visited := 0
	defer func() {
		if visited >= reclaimScanEvery {
			s.reclaimPages(true)
		}
	}()
	// jump, when jumping, is the id the walk moves to next (a sorted
	// driver only): stepped to when near, sought when not.
	var jump uint64
	jumping, steps := false, 0
	var jumpKey []byte
	for it.Seek(seek); it.Valid(); it.Next() {
		if visited++; visited%reclaimScanEvery == 0 {
			s.reclaimPages(false)
		}
		item := it.Item()
		k := item.Key()
		if jumping && bytes.HasPrefix(k, p.start) {
			if id := idFromKey(k); (backward && id > jump) || (!backward && id < jump) {
				if steps++; steps <= stepBeforeSeek {
					continue
				}
				jumpKey = append(append(jumpKey[:0], p.start...), u64(jump)...)
				if it.Seek(jumpKey); !it.Valid() {
					break
				}
				item = it.Item()
				k = item.Key()
			}
		}
		jumping = false
		if backward {
			if bytes.Compare(k, p.start) < 0 {
				break
			}
			if bytes.Compare(k, seek) >= 0 {
				continue
			}
		} else if p.end != nil && bytes.Compare(k, p.end) >= 0 {
			break
		}
		if p.skips(k) {
			continue
		}
		last = item.KeyCopy(last[:0])
		if cj != nil {
			match, next, done := cj.check(idFromKey(k))
			if done && p.sorted {
				return last, true, nil
			}
			if !match {
				if p.sorted && !done {
					jump, jumping, steps = next, true, 0
				}
				continue
			}
		}
		more, err := visit(last, item)
		if err != nil || !more {
			return last, false, err
		}
	}
	return last, true, nil
}

// Contacts returns up to limit contacts matching q after the cursor, with
// their personal data, for display.
func (s *Store) Contacts(q gdpr.Query, after Cursor, limit int) (Page, error) {
	page, err := s.readPage(q, after, false, limit)
	if page.More {
		page.Next = page.Keys[len(page.Keys)-1]
	}
	return page, err
}

// ContactsBefore returns up to limit contacts matching q that come before
// the cursor (nil: the last ones), in index order like Contacts, so a
// windowed list can page upward and jump to the end without counting.
// More reports that earlier contacts remain.
func (s *Store) ContactsBefore(q gdpr.Query, before Cursor, limit int) (Page, error) {
	page, err := s.readPage(q, before, true, limit)
	slices.Reverse(page.Contacts)
	slices.Reverse(page.Keys)
	if len(page.Keys) > 0 {
		page.Next = page.Keys[len(page.Keys)-1]
	}
	return page, err
}

// readPage reads up to limit contacts from the cursor in one direction,
// nearest first, with each one's key.
func (s *Store) readPage(q gdpr.Query, from Cursor, backward bool, limit int) (Page, error) {
	var page Page
	if limit <= 0 {
		return page, errors.New("page size must be positive")
	}
	err := s.view(func(txn *badger.Txn) error {
		_, _, err := s.scanDir(txn, q, from, backward, false, func(key []byte, rec *contactRec) (bool, error) {
			if len(page.Contacts) == limit {
				page.More = true
				return false, nil
			}
			c, err := s.unseal(rec)
			if errors.Is(err, ErrKeyDamaged) {
				// One damaged key must not hide every other contact:
				// the page shows what is kept in clear and says why
				// the rest is missing (audit verify names it too).
				c, err = rec.clear(), nil
				c.FirstName = "(unreadable: data key damaged, see gdprdesk audit verify)"
			}
			if err != nil {
				return false, err
			}
			page.Contacts = append(page.Contacts, c)
			page.Keys = append(page.Keys, Cursor(bytes.Clone(key)))
			return true, nil
		})
		return err
	})
	return page, err
}

// Count returns how many contacts match q: from the counters when the query
// is one indexed term (one value, or several of a one-valued field: instant
// at any size), else by walking the query.
func (s *Store) Count(q gdpr.Query) (int64, error) {
	var n int64
	err := s.view(func(txn *badger.Txn) error {
		if q.Empty() {
			var err error
			n, err = readCounter(txn, cntContacts)
			return err
		}
		q, err := resolveQuery(txn, q)
		if err != nil {
			return err
		}
		if len(q.Terms) == 1 && len(q.Words) == 0 {
			c, ok, err := termCount(txn, q.Terms[0])
			if err != nil || ok {
				n = c
				return err
			}
		}
		_, _, err = s.scan(txn, q, nil, true, func([]byte, *contactRec) (bool, error) {
			n++
			return true, nil
		})
		return err
	})
	return n, err
}

// estimate is an upper bound of Count read from counters only: the exact
// count for an empty or one-term query, else the smallest count of its
// terms that counters give (or all contacts). Bulk progress uses it so that a
// bulk change never walks the query twice.
func (s *Store) estimate(q gdpr.Query) (int64, error) {
	var n int64
	err := s.view(func(txn *badger.Txn) error {
		var err error
		if n, err = readCounter(txn, cntContacts); err != nil {
			return err
		}
		if q, err = resolveQuery(txn, q); err != nil {
			return err
		}
		for _, t := range q.Terms {
			c, ok, err := termCount(txn, t)
			if err != nil {
				return err
			}
			if ok {
				n = min(n, c)
			}
		}
		return nil
	})
	return n, err
}
