package desk

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/gdprdesk/gdprdesk/gdpr"
	"github.com/gdprdesk/gdprdesk/store"
)

// SweepStore is what a sweep reads and changes; *store.Store satisfies it.
type SweepStore interface {
	Contacts(q gdpr.Query, after store.Cursor, limit int) (store.Page, error)
	Count(q gdpr.Query) (int64, error)
	AnonymizeMany(operator string, ids []gdpr.ContactID, still store.StillDue) (done []store.Anonymized, skipped map[gdpr.ContactID]error, err error)
	RecordSweep(operator string, at time.Time, anonymized int64) error
	Settings() (gdpr.Settings, error)
	Purposes() ([]gdpr.Purpose, error)
	Recipients() ([]gdpr.Recipient, error)
	RecordControllerErasure(operator string, contact gdpr.ContactID, recipients []string, note string) (gdpr.RequestID, error)
	UpdateRequest(operator string, id gdpr.RequestID, action gdpr.Action, detail string, fn func(r *gdpr.Request) error) error
	FilesStore
}

// SweepChunk is how many contacts a sweep erases per transaction: an
// interrupted sweep keeps the chunks it finished, and a second run
// finishes the rest.
const SweepChunk = 200

// sweepPage is how many candidates a listing reads at a time.
const sweepPage = 1000

// SweepOptions say how a sweep runs.
type SweepOptions struct {
	Operator string
	// Apply erases the candidates; without it the sweep only lists them.
	Apply bool
	Now   time.Time // when a finished sweep is recorded (checklist basis-sweep)
	// Confirm, when set, is asked with the number of candidates before
	// anything is erased; an error stops the sweep with nothing changed.
	Confirm func(candidates int64) error
	// Candidate, when set, sees every candidate in turn, erased or not,
	// as it is read: the list is never held in memory.
	Candidate func(c gdpr.Contact) error
	// Progress, when set, is told after every chunk.
	Progress func(SweepProgress)
}

// SweepProgress is how far an applied sweep is.
type SweepProgress struct {
	Done, Total int64 // candidates worked through, of how many
	Erased      int64
}

// SweepSkip is a candidate the sweep did not erase, and why: the kind is
// the rule that held it back (gdpr.BlockerKind: open request, restricted,
// legal hold, obligation), the reason says it in words.
type SweepSkip struct {
	Contact gdpr.ContactID `json:"contact"`
	Kind    string         `json:"kind"`
	Reason  string         `json:"reason"`
}

// SweepReport says what a sweep found and did. SkippedBy counts the
// skipped candidates by kind (SPEC §9: the sweep reports them by reason).
// Held counts the contacts erased except held records whose hold has
// ended: the sweep finishes their erasure.
type SweepReport struct {
	Applied    bool
	Candidates int64
	Erased     int64
	Held       int64
	Skipped    []SweepSkip
	SkippedBy  map[string]int64
	// Files says what became of the files written with the erased
	// people's data (SPEC §8): deleted under the data directory, or to be
	// deleted by hand.
	Files ErasedFiles
}

// Sweep lists, and with Apply erases, the contacts in scope without a
// lawful basis under the settings' establishment (Art. 3) — the set of
// gdpr.WithoutBasisQuery, the one the dashboard
// counts and the checklist asks to fix. It walks the store's query page by
// page; an applied sweep erases each page in one transaction
// (store.AnonymizeMany), skips a contact with an obligation and reports it
// with the reason, stops between chunks when ctx is cancelled (what was
// done stays done; running it again finishes the rest), and records a
// finished sweep for the checklist.
func Sweep(ctx context.Context, s SweepStore, o SweepOptions) (rep SweepReport, err error) {
	rep = SweepReport{Applied: o.Apply, Skipped: []SweepSkip{}, SkippedBy: map[string]int64{}}
	settings, err := s.Settings()
	if err != nil {
		return rep, fmt.Errorf("read the settings: %w", err)
	}
	q := gdpr.WithoutBasisQuery(settings)
	now := o.Now
	if now.IsZero() {
		now = time.Now()
	}
	held, err := heldEnded(s, now)
	if err != nil {
		return rep, err
	}
	// Art. 19: whom the erased people's data went to is read before it is
	// destroyed, and recorded once per run (gdpr/notify.go).
	told := &sweepRecipients{}
	if o.Apply {
		if told.purposes, err = s.Purposes(); err != nil {
			return rep, err
		}
		if told.register, err = s.Recipients(); err != nil {
			return rep, err
		}
	}
	var total int64
	if o.Apply {
		n, err := s.Count(q)
		if err != nil {
			return rep, fmt.Errorf("count the contacts to sweep: %w", err)
		}
		n += int64(len(held))
		total = n
		if o.Confirm != nil && n > 0 {
			if err := o.Confirm(n); err != nil {
				return rep, err
			}
		}
	}
	size := sweepPage
	if o.Apply {
		size = SweepChunk
	}
	var cursor store.Cursor
	for {
		if err := ctx.Err(); err != nil {
			return rep, fmt.Errorf("sweep stopped after %d of %d candidates; run it again to finish: %w", rep.Candidates, total, err)
		}
		page, err := s.Contacts(q, cursor, size)
		if err != nil {
			return rep, fmt.Errorf("read the contacts to sweep: %w", err)
		}
		ids := make([]gdpr.ContactID, 0, len(page.Contacts))
		told.page(page.Contacts)
		for _, c := range page.Contacts {
			rep.Candidates++
			ids = append(ids, c.ID)
			if o.Candidate != nil {
				if err := o.Candidate(c); err != nil {
					return rep, err
				}
			}
		}
		if o.Apply && len(ids) > 0 {
			if err := sweepChunk(s, o.Operator, ids, nil, &rep, told); err != nil {
				return rep, err
			}
			if o.Progress != nil {
				o.Progress(SweepProgress{Done: rep.Candidates, Total: max(total, rep.Candidates), Erased: rep.Erased})
			}
		}
		if !page.More {
			break
		}
		cursor = page.Next
	}
	// Contacts erased except held records whose hold has ended: the rest
	// of them goes now (Art. 17(3)(b) no longer applies).
	for i := 0; i < len(held); i += SweepChunk {
		part := held[i:min(i+SweepChunk, len(held))]
		ids := make([]gdpr.ContactID, 0, len(part))
		for _, c := range part {
			rep.Candidates++
			rep.Held++
			ids = append(ids, c.ID)
			if o.Candidate != nil {
				if err := o.Candidate(c); err != nil {
					return rep, err
				}
			}
		}
		if o.Apply {
			if err := sweepChunk(s, o.Operator, ids, nil, &rep, &sweepRecipients{}); err != nil {
				return rep, err
			}
		}
	}
	if o.Apply {
		if err := s.RecordSweep(o.Operator, o.Now, rep.Erased); err != nil {
			return rep, fmt.Errorf("record the sweep: %w", err)
		}
	}
	return rep, nil
}

// sweepChunk erases one chunk and adds what it did to the report.
// still, when set, is asked again for each contact in the erasure's
// transaction (store.StillDue).
func sweepChunk(s SweepStore, operator string, ids []gdpr.ContactID, still store.StillDue, rep *SweepReport, told *sweepRecipients) error {
	// Their files' names are sealed under the keys the erasure destroys.
	written, err := s.WrittenFiles(ids...)
	if err != nil {
		return fmt.Errorf("sweep (%d erased before this chunk; run it again to finish): %w", rep.Erased, err)
	}
	done, skipped, err := s.AnonymizeMany(operator, ids, still)
	if err != nil {
		return fmt.Errorf("sweep (%d erased before this chunk; run it again to finish): %w", rep.Erased, err)
	}
	rep.Erased += int64(len(done))
	// The chunk's erasures are committed: whatever happens to their files,
	// the recipients to tell of them are recorded (Art. 19) and the skips
	// reported, for a run again would not find these people.
	var fileErrs []error
	for _, d := range done {
		told.erased(d.Contact)
		if len(written) == 0 {
			continue
		}
		files, err := eraseFiles(s, operator, d.Contact, written)
		rep.Files.add(files)
		if err != nil {
			fileErrs = append(fileErrs, err)
		}
	}
	if err := told.record(s, operator); err != nil {
		return fmt.Errorf("sweep (%d erased; record the recipients to tell of them, Art. 19): %w", rep.Erased, errors.Join(append(fileErrs, err)...))
	}
	for _, id := range ids {
		if err, ok := skipped[id]; ok {
			for _, sk := range skipsOf(id, err) {
				rep.Skipped = append(rep.Skipped, sk)
				rep.SkippedBy[sk.Kind]++
			}
		}
	}
	if len(fileErrs) > 0 {
		return fmt.Errorf("sweep (%d erased; anonymize each again to finish its files): %w", rep.Erased, errors.Join(fileErrs...))
	}
	return nil
}

// skipsOf turns a refused erasure into the report's skips: one per
// contact, of the first rule that held it back, with every reason in words.
func skipsOf(id gdpr.ContactID, err error) []SweepSkip {
	kind := string(gdpr.BlockObligation)
	var be *store.ErasureBlockedError
	if errors.As(err, &be) && len(be.Blockers) > 0 {
		kind = string(be.Blockers[0].Kind)
	}
	if errors.Is(err, store.ErrNoLongerDue) {
		kind = SkipNoLongerLapsed
	}
	return []SweepSkip{{Contact: id, Kind: kind, Reason: err.Error()}}
}

// heldEnded lists the contacts erased except held records whose hold has
// ended at now (query status:held). They are few: a business holds
// invoices, not its mailing list.
func heldEnded(s SweepStore, now time.Time) ([]gdpr.Contact, error) {
	q, err := gdpr.ParseQuery("status:" + string(gdpr.ContactHeld))
	if err != nil {
		return nil, err
	}
	var out []gdpr.Contact
	var cursor store.Cursor
	for {
		page, err := s.Contacts(q, cursor, sweepPage)
		if err != nil {
			return nil, fmt.Errorf("read the held contacts: %w", err)
		}
		for _, c := range page.Contacts {
			if !c.Hold.InForce(now) {
				out = append(out, c)
			}
		}
		if !page.More {
			return out, nil
		}
		cursor = page.Next
	}
}

// sweepRecipients gathers the recipients of the contacts a sweep erases
// (Art. 19): each page's candidates are read before their chunk is
// erased, and the names of the erased ones are kept on one controller
// record per run, written after the first chunk that has any and
// extended after each later chunk that adds a name — so a sweep stopped
// or killed between chunks leaves at most one chunk's names unrecorded.
type sweepRecipients struct {
	purposes []gdpr.Purpose
	register []gdpr.Recipient
	pending  map[gdpr.ContactID][]string
	names    []string
	recorded int // how many of names the record holds
	rec      gdpr.RequestID
	note     string // the record's note; "" is the basis sweep's
}

func (w *sweepRecipients) page(cs []gdpr.Contact) {
	if len(w.register) == 0 {
		return
	}
	w.pending = map[gdpr.ContactID][]string{}
	for i := range cs {
		for _, r := range gdpr.RecipientsOf(&cs[i], w.purposes, w.register) {
			w.pending[cs[i].ID] = append(w.pending[cs[i].ID], r.Name)
		}
	}
}

func (w *sweepRecipients) erased(id gdpr.ContactID) {
	for _, n := range w.pending[id] {
		if !slices.Contains(w.names, n) {
			w.names = append(w.names, n)
		}
	}
}

// record writes or extends the run's controller record when names came in.
func (w *sweepRecipients) record(s SweepStore, operator string) error {
	if len(w.names) == w.recorded {
		return nil
	}
	names := slices.Clone(w.names)
	slices.Sort(names)
	if w.rec == 0 {
		note := w.note
		if note == "" {
			note = "erased by a sweep of the contacts in scope without a basis"
		}
		id, err := s.RecordControllerErasure(operator, 0, names, note)
		if err != nil {
			return err
		}
		w.rec, w.recorded = id, len(names)
		return nil
	}
	err := s.UpdateRequest(operator, w.rec, gdpr.ActionRequestNotify, "recipients to tell (Art. 19): "+strings.Join(names, ", "), func(r *gdpr.Request) error {
		r.Recipients = names
		return nil
	})
	if err == nil {
		w.recorded = len(names)
	}
	return err
}

// RetentionStore is what a retention sweep reads and changes besides a
// sweep's; *store.Store satisfies it.
type RetentionStore interface {
	SweepStore
	ClearContacts(q gdpr.Query, after store.Cursor, limit int) (store.Page, error)
	Contact(id gdpr.ContactID) (gdpr.Contact, error)
	Requests(f store.RequestFilter) ([]gdpr.Request, error)
	RecordRetentionSweep(operator string, anonymized int64) error
}

// RetentionCandidate is a contact whose every purpose has lapsed
// (gdpr.RetentionLapsed), with the purposes, and the guards that keep it
// now (none: it is erased by an applied sweep).
type RetentionCandidate struct {
	Contact  gdpr.Contact          `json:"contact"`
	Lapsed   []gdpr.Lapse          `json:"lapsed"`
	Blockers []gdpr.ErasureBlocker `json:"blockers,omitempty"`
}

// RetentionOptions say how a retention sweep runs: as a sweep (operator,
// apply, clock, confirmation, progress), and Lapsed, when set, sees every
// candidate in turn with its personal data, as it is read.
type RetentionOptions struct {
	SweepOptions
	Lapsed func(RetentionCandidate) error
}

// RetentionReport is a sweep's report with the candidates counted by
// lapsed purpose (a contact lapsed on two purposes counts under both).
type RetentionReport struct {
	SweepReport
	ByPurpose map[string]int64
}

// SweepRetention applies the retention schedule (SPEC §10): it walks every
// contact's clear fields page by page (no personal data is unsealed to
// decide), lists those whose every purpose has lapsed
// (gdpr.RetentionLapsed) and, with Apply, erases them in chunks through
// the sweep's erasure path (store.AnonymizeMany, one Art. 19 record per
// run) — except those the erasure guards keep (gdpr.ErasureBlockers: an
// open request, a restriction, a legal hold; and an obligation,
// Contact.Obligations), which are reported by reason, listing or not. A
// finished applied run is audited (store.RecordRetentionSweep); it does
// not count as the sweep of contacts without a basis.
func SweepRetention(ctx context.Context, s RetentionStore, o RetentionOptions) (rep RetentionReport, err error) {
	rep = RetentionReport{SweepReport: SweepReport{Applied: o.Apply, Skipped: []SweepSkip{}, SkippedBy: map[string]int64{}},
		ByPurpose: map[string]int64{}}
	now := o.Now
	if now.IsZero() {
		now = time.Now()
	}
	purposes, err := s.Purposes()
	if err != nil {
		return rep, fmt.Errorf("read the purposes: %w", err)
	}
	reqs, err := s.Requests(store.RequestFilter{})
	if err != nil {
		return rep, fmt.Errorf("read the requests: %w", err)
	}
	open := map[gdpr.ContactID][]gdpr.Request{}
	for _, r := range reqs {
		if r.Status.Open() && r.Contact != 0 {
			open[r.Contact] = append(open[r.Contact], r)
		}
	}
	told := &sweepRecipients{purposes: purposes, note: "erased by the retention sweep: every purpose of theirs had lapsed"}
	if o.Apply {
		if told.register, err = s.Recipients(); err != nil {
			return rep, err
		}
	}
	var total int64
	if o.Apply && o.Confirm != nil {
		// The count is asked before anything is erased: a pass that only
		// reads.
		err := walkRetention(ctx, s, purposes, now, func(c *gdpr.Contact, _ []gdpr.Lapse) error {
			if len(retentionBlockers(c, open[c.ID], now)) == 0 {
				total++
			}
			return nil
		})
		if err != nil {
			return rep, err
		}
		if total > 0 {
			if err := o.Confirm(total); err != nil {
				return rep, err
			}
		}
	}
	var chunk []gdpr.Contact
	flush := func() error {
		if len(chunk) == 0 {
			return nil
		}
		ids := make([]gdpr.ContactID, len(chunk))
		for i, c := range chunk {
			ids[i] = c.ID
		}
		told.page(chunk)
		if err := sweepChunk(s, o.Operator, ids, stillLapsed(now), &rep.SweepReport, told); err != nil {
			return err
		}
		chunk = chunk[:0]
		if o.Progress != nil {
			o.Progress(SweepProgress{Done: rep.Erased + int64(len(rep.Skipped)), Total: max(total, rep.Erased+int64(len(rep.Skipped))), Erased: rep.Erased})
		}
		return nil
	}
	err = walkRetention(ctx, s, purposes, now, func(c *gdpr.Contact, lapsed []gdpr.Lapse) error {
		if err := ctx.Err(); err != nil {
			// Between chunks: what was erased stays erased.
			return fmt.Errorf("retention sweep stopped after %d erased; run it again to finish: %w", rep.Erased, err)
		}
		rep.Candidates++
		for _, l := range lapsed {
			rep.ByPurpose[l.Purpose]++
		}
		bs := retentionBlockers(c, open[c.ID], now)
		if len(bs) > 0 {
			rep.Skipped = append(rep.Skipped, SweepSkip{Contact: c.ID, Kind: string(bs[0].Kind), Reason: gdpr.BlockersText(bs)})
			rep.SkippedBy[string(bs[0].Kind)]++
		}
		if o.Lapsed != nil {
			full, err := s.Contact(c.ID)
			if err != nil {
				return fmt.Errorf("read contact %s: %w", c.ID, err)
			}
			if err := o.Lapsed(RetentionCandidate{Contact: full, Lapsed: lapsed, Blockers: bs}); err != nil {
				return err
			}
		}
		if o.Apply && len(bs) == 0 {
			chunk = append(chunk, *c)
			if len(chunk) >= SweepChunk {
				return flush()
			}
		}
		return nil
	})
	if err == nil && o.Apply {
		err = flush()
	}
	if err != nil {
		return rep, err
	}
	if o.Apply {
		if err := s.RecordRetentionSweep(o.Operator, rep.Erased); err != nil {
			return rep, fmt.Errorf("record the retention sweep: %w", err)
		}
	}
	return rep, nil
}

// SkipNoLongerLapsed is the kind of a retention sweep's skip of a contact
// whose purposes no longer all lapsed when it was to be erased (a consent
// or a purpose recorded since the sweep read it).
const SkipNoLongerLapsed = "no longer lapsed"

// errNoLongerLapsed says why stillLapsed holds a contact back.
var errNoLongerLapsed = errors.New("no longer lapsed: a consent, purpose or retention period changed since the sweep read it, so it is kept")

// stillLapsed asks the retention schedule again, in the erasure's
// transaction, against the contact and the purposes register as they are
// then (gdpr.RetentionLapsed).
func stillLapsed(now time.Time) store.StillDue {
	return func(c *gdpr.Contact, purposes []gdpr.Purpose) error {
		if len(gdpr.RetentionLapsed(c, purposes, now)) == 0 {
			return errNoLongerLapsed
		}
		return nil
	}
}

// walkRetention calls fn with every contact whose purposes have all
// lapsed, reading clear fields a page at a time; it stops between pages
// when ctx is cancelled.
func walkRetention(ctx context.Context, s RetentionStore, purposes []gdpr.Purpose, now time.Time, fn func(c *gdpr.Contact, lapsed []gdpr.Lapse) error) error {
	var cursor store.Cursor
	for {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("retention sweep stopped; run it again to finish: %w", err)
		}
		page, err := s.ClearContacts(gdpr.Query{}, cursor, sweepPage)
		if err != nil {
			return fmt.Errorf("read the contacts: %w", err)
		}
		for i := range page.Contacts {
			c := &page.Contacts[i]
			if lapsed := gdpr.RetentionLapsed(c, purposes, now); len(lapsed) > 0 {
				if err := fn(c, lapsed); err != nil {
					return err
				}
			}
		}
		if !page.More {
			return nil
		}
		cursor = page.Next
	}
}

// retentionBlockers are the guards that keep a lapsed contact now: the
// erasure guards of the rule book (open request, restriction, legal
// hold) and an obligation (an unpaid balance, an open contract), in the
// order the desk clears them — the first is the skip's kind.
func retentionBlockers(c *gdpr.Contact, open []gdpr.Request, now time.Time) []gdpr.ErasureBlocker {
	bs := gdpr.ErasureBlockers(c, open, 0, now)
	if obs := c.Obligations(); len(obs) > 0 {
		bs = append(bs, gdpr.ErasureBlocker{Kind: gdpr.BlockObligation,
			Reason: "it has " + gdpr.ObligationsText(obs) + ": settle it first (Art. 17(3)(e), 17(1))"})
	}
	return bs
}
