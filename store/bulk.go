package store

import (
	"context"
	"errors"
	"fmt"

	"github.com/dgraph-io/badger/v4"
	"github.com/gdprdesk/gdprdesk/gdpr"
)

// BulkChunk is how many contacts a bulk operation changes per transaction:
// small enough to stay far below Badger's transaction limit, large enough
// that commits do not dominate. Each chunk commits with its audit entries,
// so a cancelled or killed run leaves whole chunks done and the rest
// untouched, and running it again finishes the job.
const BulkChunk = 500

// BasisChange is a bulk change of a lawful basis.
type BasisChange struct {
	Basis    gdpr.Basis
	Remove   bool   // remove instead of add
	Source   string // where the basis comes from (default "manual")
	Evidence string // evidence note, sealed per contact
}

// BulkProgress reports how far a bulk operation got.
type BulkProgress struct {
	Done    int64 // contacts looked at
	Changed int64
	Total   int64 // matching contacts when the run started (an upper bound for a query of several terms)
}

// BulkResult is what a bulk operation did.
type BulkResult struct {
	Matched   int64 // contacts that matched the query
	Changed   int64 // contacts changed (one audit entry each)
	Unchanged int64 // already as asked (held the basis, or did not)
	Cancelled bool
}

// ApplyBasis adds or removes a lawful basis on every contact matching q.
// Anonymized contacts are skipped. It commits in chunks of BulkChunk, calls
// progress after each, and stops between chunks when ctx is cancelled.
// Re-running it is safe: contacts already as asked are left alone.
func (s *Store) ApplyBasis(ctx context.Context, operator string, q gdpr.Query, ch BasisChange, progress func(BulkProgress)) (BulkResult, error) {
	total, err := s.estimate(q)
	if err != nil {
		return BulkResult{}, err
	}
	var cursor Cursor
	return s.applyBasis(ctx, operator, q, ch, total, func() ([]gdpr.ContactID, bool, error) {
		ids, next, exhausted, err := s.matchingIDs(q, cursor, BulkChunk)
		cursor = next
		return ids, exhausted, err
	}, progress)
}

// ApplyBasisTo is ApplyBasis on a list of contacts (the rows an owner marked
// one by one). Unknown and anonymized ids are counted as unchanged.
func (s *Store) ApplyBasisTo(ctx context.Context, operator string, ids []gdpr.ContactID, ch BasisChange, progress func(BulkProgress)) (BulkResult, error) {
	rest := ids
	return s.applyBasis(ctx, operator, gdpr.Query{}, ch, int64(len(ids)), func() ([]gdpr.ContactID, bool, error) {
		n := min(len(rest), BulkChunk)
		chunk := rest[:n]
		rest = rest[n:]
		return chunk, len(rest) == 0, nil
	}, progress)
}

// applyBasis runs a bulk basis change over the chunks next hands out, one
// transaction per chunk.
func (s *Store) applyBasis(ctx context.Context, operator string, q gdpr.Query, ch BasisChange, total int64, next func() ([]gdpr.ContactID, bool, error), progress func(BulkProgress)) (BulkResult, error) {
	var res BulkResult
	if _, err := gdpr.ParseBasis(string(ch.Basis)); err != nil {
		return res, err
	}
	if ch.Source = gdpr.NormalizeSource(ch.Source); ch.Source == "" {
		ch.Source = gdpr.SourceManual
	}
	for {
		if err := ctx.Err(); err != nil {
			res.Cancelled = true
			return res, nil
		}
		ids, exhausted, err := next()
		if err != nil {
			return res, err
		}
		if len(ids) > 0 {
			var changed, unchanged int64
			err := s.write(operator, func(t *tx) error {
				changed, unchanged = 0, 0
				for _, id := range ids {
					ok, err := t.changeBasis(q, id, ch)
					if err != nil {
						return err
					}
					if ok {
						changed++
					} else {
						unchanged++
					}
				}
				return nil
			})
			if err != nil {
				return res, fmt.Errorf("bulk basis change after %d contacts: %w", res.Changed, err)
			}
			res.Matched += int64(len(ids))
			res.Changed += changed
			res.Unchanged += unchanged
			if progress != nil {
				progress(BulkProgress{Done: res.Matched, Changed: res.Changed, Total: total})
			}
		}
		if exhausted {
			return res, nil
		}
	}
}

// changeBasis changes one contact, re-checking the query on the record as it
// is now (another writer may have changed it since the page was read).
func (t *tx) changeBasis(q gdpr.Query, id gdpr.ContactID, ch BasisChange) (bool, error) {
	rec, err := t.getContactRec(id)
	if errors.Is(err, ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	old := rec.clear()
	if old.Status == gdpr.ContactAnonymized || !q.MatchesTerms(&old) {
		return false, nil
	}
	if ch.Remove {
		now := old
		now.Bases = append([]gdpr.BasisAssignment(nil), old.Bases...)
		if !now.RemoveBasis(ch.Basis) {
			return false, nil
		}
		kept := rec.Bases[:0:0]
		for _, b := range rec.Bases {
			if b.Basis != ch.Basis {
				kept = append(kept, b)
			}
		}
		rec.Bases = kept
		rec.UpdatedAt = t.now
		if err := t.putClear(&old, &rec); err != nil {
			return false, err
		}
		t.audit("basis.remove", id.String(), "removed "+string(ch.Basis), nil, rec.Slot)
		return true, nil
	}
	if old.HasBasis(ch.Basis) {
		return false, nil
	}
	br := basisRec{Basis: ch.Basis, Source: ch.Source, At: t.now, By: t.operator}
	if ch.Evidence != "" {
		key, err := t.key(rec.Slot)
		if err != nil {
			return false, fmt.Errorf("contact %s: %w", id, err)
		}
		if br.Evidence, err = seal(key, []byte(ch.Evidence), contactAAD(id, "evidence")); err != nil {
			return false, err
		}
	}
	rec.Bases = append(append([]basisRec(nil), rec.Bases...), br)
	rec.UpdatedAt = t.now
	if err := t.putClear(&old, &rec); err != nil {
		return false, err
	}
	var sealed []byte
	if ch.Evidence != "" {
		sealed = []byte(ch.Evidence)
	}
	t.audit("basis.add", id.String(), "added "+string(ch.Basis)+" (source "+ch.Source+")", sealed, rec.Slot)
	return true, nil
}

// matchingIDs reads the ids of up to n contacts matching q after cursor.
func (s *Store) matchingIDs(q gdpr.Query, after Cursor, n int) (ids []gdpr.ContactID, next Cursor, exhausted bool, err error) {
	err = s.view(func(txn *badger.Txn) error {
		var last []byte
		last, exhausted, err = s.scan(txn, q, after, true, func(_ []byte, rec *contactRec) (bool, error) {
			ids = append(ids, rec.ID)
			return len(ids) < n, nil
		})
		next = Cursor(last)
		return err
	})
	if len(ids) < n && err == nil {
		exhausted = true
	}
	return ids, next, exhausted, err
}
