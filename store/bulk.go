package store

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/dgraph-io/badger/v4"
	"github.com/gdprdesk/gdprdesk/gdpr"
)

// BulkChunk is how many contacts a bulk operation changes per transaction:
// small enough to stay far below Badger's transaction limit, large enough
// that commits do not dominate. Each chunk commits with its audit entry,
// so a cancelled or killed run leaves whole chunks done and the rest
// untouched, and running it again finishes the job.
const BulkChunk = 500

// BasisChange is a bulk change of a lawful basis.
type BasisChange struct {
	Basis    gdpr.Basis
	Remove   bool   // remove instead of add
	Source   string // where the basis comes from (default "manual")
	Evidence string // evidence note, sealed per contact
	// Purpose is the purpose of the register consent is given to: required
	// for the consent basis (SPEC §9). Adding records, per contact, a
	// consent record (gdpr.GrantConsent) whose basis carries the evidence,
	// so proof exists for each and each can withdraw; removing is a
	// withdrawal per contact (gdpr.WithdrawConsent).
	Purpose string
	// Method is how the consents were given, as each record says (default
	// "bulk: SOURCE"). It is kept in clear on the records: never personal.
	Method string

	// Read once per run: the purpose and the policy versions.
	purpose  gdpr.Purpose
	versions []gdpr.PolicyVersion
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
	Changed   int64 // contacts changed (one audit entry per chunk names how many)
	Unchanged int64 // already as asked (held the basis, or did not)
	Skipped   int64 // anonymized, or no longer there: left alone
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
// one by one). Unknown and anonymized ids are counted as skipped; an id
// given twice is one contact.
func (s *Store) ApplyBasisTo(ctx context.Context, operator string, ids []gdpr.ContactID, ch BasisChange, progress func(BulkProgress)) (BulkResult, error) {
	// Each id once: a chunk is prepared from a snapshot taken before the
	// previous chunk's write (see applyBasis), so two chunks must never
	// share a contact.
	seen := make(map[gdpr.ContactID]bool, len(ids))
	rest := make([]gdpr.ContactID, 0, len(ids))
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			rest = append(rest, id)
		}
	}
	return s.applyBasis(ctx, operator, gdpr.Query{}, ch, int64(len(rest)), func() ([]gdpr.ContactID, bool, error) {
		n := min(len(rest), BulkChunk)
		chunk := rest[:n]
		rest = rest[n:]
		return chunk, len(rest) == 0, nil
	}, progress)
}

// prepareAhead is how many chunks of a bulk change are worked out at once
// while the one before them is written.
const prepareAhead = 2

// applyBasis runs a bulk basis change over the chunks next hands out, one
// transaction per chunk. Chunks are read and worked out (records decoded,
// evidence sealed, index and counter changes named, the audit entry
// drafted) from snapshots, prepareAhead at a time on goroutines of their
// own, while an earlier chunk is written; the write then replays the
// preparation. The chunks' contacts are disjoint, so a snapshot taken
// before this run's earlier writes reads a chunk's contacts as they are,
// unless someone else wrote since: every change is audited, so the audit
// head tells, and such a chunk is worked out again inside its transaction.
func (s *Store) applyBasis(ctx context.Context, operator string, q gdpr.Query, ch BasisChange, total int64, next func() ([]gdpr.ContactID, bool, error), progress func(BulkProgress)) (BulkResult, error) {
	var res BulkResult
	if _, err := gdpr.ParseBasis(string(ch.Basis)); err != nil {
		return res, err
	}
	if ch.Source = gdpr.NormalizeSource(ch.Source); ch.Source == "" {
		ch.Source = gdpr.SourceManual
	}
	if err := s.prepareConsentChange(&ch); err != nil {
		return res, err
	}
	type chunk struct {
		ids       []gdpr.ContactID
		prep      *basisPrep
		exhausted bool
		err       error
		ready     chan struct{} // closed once prep and err are set
	}
	chunks := make(chan *chunk, prepareAhead-1)
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		defer close(chunks)
		for {
			if ctx.Err() != nil {
				return
			}
			ids, exhausted, err := next()
			c := &chunk{ids: ids, exhausted: exhausted, err: err, ready: make(chan struct{})}
			if err == nil && len(ids) > 0 {
				go func() {
					defer close(c.ready)
					c.prep, c.err = s.prepareBasis(operator, q, ch, ids)
				}()
			} else {
				close(c.ready)
			}
			select {
			case chunks <- c:
			case <-stop:
				return
			}
			if err != nil || exhausted {
				return
			}
		}
	}()
	var last runHead
	// A run reads records all over the store; give the pages back at its
	// end (not during: its reads would go to the disk).
	defer s.reclaimPages(true)
	for {
		if err := ctx.Err(); err != nil {
			res.Cancelled = true
			return res, nil
		}
		c, ok := <-chunks
		if !ok {
			res.Cancelled = ctx.Err() != nil
			return res, nil
		}
		<-c.ready
		if c.err != nil {
			return res, c.err
		}
		if len(c.ids) > 0 {
			changed, unchanged, skipped, _, err := s.commitBasis(operator, q, ch, c.ids, c.prep, &last)
			if err != nil {
				return res, fmt.Errorf("bulk basis change after %d contacts: %w", res.Changed, err)
			}
			res.Matched += int64(len(c.ids))
			res.Changed += changed
			res.Unchanged += unchanged
			res.Skipped += skipped
			if progress != nil {
				progress(BulkProgress{Done: res.Matched, Changed: res.Changed, Total: total})
			}
		}
		if c.exhausted {
			return res, nil
		}
	}
}

// runHead follows a run's writes: since the audit head was from, only this
// run wrote, up to its last write, which left the head at end.
type runHead struct{ from, end uint64 }

// commitBasis writes one chunk: its preparation replayed if it was worked
// out from a snapshot no one but this run (last) wrote after, else worked
// out anew.
func (s *Store) commitBasis(operator string, q gdpr.Query, ch BasisChange, ids []gdpr.ContactID, p *basisPrep, last *runHead) (changed, unchanged, skipped int64, replayed bool, err error) {
	err = s.write(operator, func(t *tx) error {
		base := t.seq
		from := last.from
		if last.end != base {
			from = base // someone else wrote since the run's last write (or this is its first)
		}
		changed, unchanged, skipped, replayed = 0, 0, 0, false
		if p != nil && p.head >= from && p.head <= base {
			if err := t.replay(p.t); err != nil {
				return err
			}
			changed, unchanged, skipped, replayed = p.changed, p.unchanged, p.skipped, true
		} else {
			var err error
			if changed, unchanged, skipped, err = t.changeBases(q, ids, ch); err != nil {
				return err
			}
		}
		*last = runHead{from: from, end: base + uint64(len(t.entries))}
		return nil
	})
	return changed, unchanged, skipped, replayed, err
}

// basisPrep is a chunk of a bulk basis change worked out from a snapshot
// whose audit head was head: t holds what to write.
type basisPrep struct {
	head                        uint64
	t                           *tx
	changed, unchanged, skipped int64
}

// prepareBasis works a chunk out from a snapshot, writing nothing.
func (s *Store) prepareBasis(operator string, q gdpr.Query, ch BasisChange, ids []gdpr.ContactID) (*basisPrep, error) {
	p := &basisPrep{}
	err := s.view(func(txn *badger.Txn) error {
		var err error
		if p.head, err = auditHeadSeq(txn); err != nil {
			return err
		}
		log := []op{}
		p.t = &tx{s: s, txn: txn, operator: operator, now: s.now().UTC(), deltas: map[string]int64{}, log: &log}
		p.changed, p.unchanged, p.skipped, err = p.t.changeBases(q, ids, ch)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("bulk basis change: %w", err)
	}
	return p, nil
}

// changeBases changes each contact of a chunk and counts what it did. The
// chunk is audited in one entry that each changed contact finds in its audit
// trail (a chunk that changed one contact: an entry about that contact, with
// the evidence sealed under its key, as a change by hand). One entry per
// contact made a bulk change write its audit log as large as its records,
// and left the log 100,000 entries longer per 100,000 contacts tagged. The
// evidence of a chunk's entry is not in it: it may be personal, and it is
// kept, sealed, on each contact's basis.
func (t *tx) changeBases(q gdpr.Query, ids []gdpr.ContactID, ch BasisChange) (changed, unchanged, skipped int64, err error) {
	rd := newRecordReader(t.txn)
	defer rd.close()
	var done, renewed []gdpr.ContactID
	var slot, rslot Slot
	for _, id := range ids {
		ok, s, err := t.changeBasis(q, rd, id, ch)
		if errors.Is(err, errSkipped) {
			skipped++
			continue
		}
		if errors.Is(err, errRenewed) {
			unchanged++
			renewed, rslot = append(renewed, id), s
			continue
		}
		if err != nil {
			return 0, 0, 0, err
		}
		if ok {
			done = append(done, id)
			slot = s
		} else {
			unchanged++
		}
	}
	action, detail := gdpr.ActionBasisAdd, "added "+string(ch.Basis)+" (source "+ch.Source+")"
	if ch.Remove {
		action, detail = gdpr.ActionBasisRemove, "removed "+string(ch.Basis)
	}
	if ch.Basis == gdpr.BasisConsent {
		action, detail = gdpr.ActionConsentGrant, "consent for "+ch.purpose.Name+" recorded (source "+ch.Source+")"
		if ch.Remove {
			action, detail = gdpr.ActionConsentWithdraw, "consent for "+ch.purpose.Name+" withdrawn"
		}
	}
	switch {
	case len(done) == 1:
		var sealed []byte
		if ch.Evidence != "" && !ch.Remove {
			sealed = []byte(ch.Evidence)
		}
		t.audit(action, done[0].String(), detail, sealed, slot)
	case len(done) > 1:
		detail = fmt.Sprintf("%s on %d contacts, %s to %s", detail, len(done), done[0], done[len(done)-1])
		if ch.Evidence != "" && !ch.Remove {
			detail += ", evidence kept on each"
		}
		t.auditBulk(action, detail, done)
	}
	t.auditRenewed(ch, renewed, rslot)
	return int64(len(done)), unchanged, skipped, nil
}

// auditRenewed audits the contacts of a chunk whose held basis was
// recorded again and renewed (errRenewed), like the chunk's changes.
func (t *tx) auditRenewed(ch BasisChange, renewed []gdpr.ContactID, slot Slot) {
	detail := "recorded " + string(ch.Basis) + " again (source " + ch.Source + "): its date renewed"
	switch {
	case len(renewed) == 1:
		var sealed []byte
		if ch.Evidence != "" {
			sealed = []byte(ch.Evidence)
		}
		t.audit(gdpr.ActionBasisAdd, renewed[0].String(), detail, sealed, slot)
	case len(renewed) > 1:
		detail = fmt.Sprintf("%s on %d contacts, %s to %s", detail, len(renewed), renewed[0], renewed[len(renewed)-1])
		if ch.Evidence != "" {
			detail += ", evidence kept on each"
		}
		t.auditBulk(gdpr.ActionBasisAdd, detail, renewed)
	}
}

// errSkipped says a contact of a bulk change is anonymized or gone: it is
// left alone and counted apart from those already as asked.
var errSkipped = errors.New("anonymized or gone")

// changeBasis changes one contact, re-checking the query on the record as it
// is now (another writer may have changed it since the page was read). It
// reports whether it changed the contact, and the slot of its key.
func (t *tx) changeBasis(q gdpr.Query, rd *recordReader, id gdpr.ContactID, ch BasisChange) (bool, Slot, error) {
	rec, err := rd.read(id)
	if errors.Is(err, ErrNotFound) {
		return false, 0, errSkipped
	}
	if err != nil {
		return false, 0, err
	}
	old := rec.clear()
	if old.Status == gdpr.ContactAnonymized {
		return false, 0, errSkipped
	}
	if ch.Basis == gdpr.BasisConsent {
		return t.changeConsent(q, id, &rec, &old, ch)
	}
	renewing := !ch.Remove && old.HasBasis(ch.Basis) // recorded again: see below
	if !q.MatchesTerms(&old) || (!old.BasisChangeApplies(ch.Basis, ch.Remove) && !renewing) {
		return false, 0, nil
	}
	if ch.Remove {
		now := old
		now.Bases = append([]gdpr.BasisAssignment(nil), old.Bases...)
		if !now.RemoveBasis(ch.Basis) {
			return false, 0, nil
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
			return false, 0, err
		}
		return true, rec.Slot, nil
	}
	br := basisRec{Basis: ch.Basis, Source: ch.Source, At: t.now, By: t.operator}
	renew := -1
	if renewing {
		// Recorded again (a new order): the held assignment is renewed
		// in place, so the retention clock restarts (gdpr RenewBasis).
		if renew = gdpr.RenewedBasis(old.Bases, ch.Basis, ""); renew < 0 || !t.now.After(old.Bases[renew].At) {
			return false, 0, nil
		}
		br.Purpose = rec.Bases[renew].Purpose
	}
	if ch.Evidence != "" {
		key, err := t.key(rec.Slot)
		if err != nil {
			return false, 0, fmt.Errorf("contact %s: %w", id, err)
		}
		if br.Evidence, err = seal(key, []byte(ch.Evidence), contactAAD(id, "evidence")); err != nil {
			return false, 0, err
		}
	}
	rec.UpdatedAt = t.now
	if renew >= 0 {
		rec.Bases = append([]basisRec(nil), rec.Bases...)
		rec.Bases[renew] = br
		if err := t.putClear(&old, &rec); err != nil {
			return false, 0, err
		}
		return false, rec.Slot, errRenewed
	}
	rec.Bases = append(append([]basisRec(nil), rec.Bases...), br)
	if err := t.putClear(&old, &rec); err != nil {
		return false, 0, err
	}
	return true, rec.Slot, nil
}

// errRenewed says a bulk add found the basis held and renewed its time:
// counted with those already as asked (the index is unchanged), but the
// record was rewritten and the renewal is audited.
var errRenewed = errors.New("basis renewed")

// prepareConsentChange checks a bulk consent change and reads, once for
// the run, the purpose it is for and the policy versions its records name.
func (s *Store) prepareConsentChange(ch *BasisChange) error {
	if ch.Basis != gdpr.BasisConsent {
		return nil
	}
	if gdpr.NormalizePurposeName(ch.Purpose) == "" {
		return errors.New("consent is given for a purpose: name it (gdprdesk purpose list)")
	}
	var err error
	if ch.purpose, err = s.Purpose(ch.Purpose); err != nil {
		return err
	}
	if ch.purpose.Basis != gdpr.BasisConsent {
		return fmt.Errorf("purpose %s rests on %s, not consent", ch.purpose.Name, ch.purpose.Basis.Label())
	}
	if ch.versions, err = s.PolicyVersions(); err != nil {
		return err
	}
	if ch.Method = strings.TrimSpace(ch.Method); ch.Method == "" {
		ch.Method = "bulk: " + ch.Source
	}
	return nil
}

// changeConsent records a consent (or its withdrawal) on one contact of a
// bulk change, by the rules one consent by hand follows. The basis a grant
// gives carries the run's source and its evidence, sealed. A bulk grant
// never lifts a marketing objection: only the person's own consent,
// recorded for them, does (Art. 21(3)).
func (t *tx) changeConsent(q gdpr.Query, id gdpr.ContactID, rec *contactRec, old *gdpr.Contact, ch BasisChange) (bool, Slot, error) {
	if !q.MatchesTerms(old) || !old.ConsentChangeApplies(ch.purpose.Name, ch.Remove) {
		return false, 0, nil
	}
	now := cloneContact(*old)
	if ch.Remove {
		if err := gdpr.WithdrawConsent(&now, ch.purpose, t.now, ch.Method); err != nil {
			return false, 0, fmt.Errorf("contact %s: %w", id, err)
		}
	} else {
		had := len(now.Bases)
		if err := gdpr.GrantConsent(&now, ch.purpose, t.now, ch.Method, ch.versions, t.now, t.operator); err != nil {
			return false, 0, fmt.Errorf("contact %s: %w", id, err)
		}
		now.MarketingObjection = old.MarketingObjection
		if len(now.Bases) > had {
			now.Bases[len(now.Bases)-1].Source = ch.Source
		}
	}
	bases := len(rec.Bases)
	applyConsentState(rec, &now, t.now)
	if ch.Evidence != "" && !ch.Remove && len(rec.Bases) > bases {
		key, err := t.key(rec.Slot)
		if err != nil {
			return false, 0, fmt.Errorf("contact %s: %w", id, err)
		}
		b := &rec.Bases[len(rec.Bases)-1]
		if b.Evidence, err = seal(key, []byte(ch.Evidence), contactAAD(id, "evidence")); err != nil {
			return false, 0, err
		}
	}
	if err := t.putClear(old, rec); err != nil {
		return false, 0, err
	}
	return true, rec.Slot, nil
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
