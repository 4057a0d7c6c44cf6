package exporters

import (
	"context"
	"errors"
	"fmt"
	"hash/maphash"
	"io"
	"slices"

	"github.com/gdprdesk/gdprdesk/gdpr"
	"github.com/gdprdesk/gdprdesk/internal/u64map"
	"github.com/gdprdesk/gdprdesk/store"
)

// ImportSink is the part of the store an import writes to.
type ImportSink interface {
	ImportContacts(operator string, items []store.ImportItem, merge store.MergeFunc, dryRun bool) ([]store.ImportOutcome, error)
}

// ImportRun says how to run an import.
type ImportRun struct {
	Operator string
	DryRun   bool // write nothing, report what would happen
	Strict   bool // import nothing when any row is bad
	// Progress, when set, is called after each chunk with the rows read.
	Progress func(rows int)
	// Bulk lets the import take the bulk-load path (store.BeginBulkLoad)
	// when the store holds no contact: the caller sets it when the store
	// is its own (not a server's, whose sessions read it meanwhile) and
	// the file is large. The result is the ordinary path's.
	Bulk bool
}

// MaxListed bounds each list of the report; the counts stay exact.
const MaxListed = 1000

// LineNote is a line-numbered remark of the report.
type LineNote struct {
	Line int    `json:"line"`
	Note string `json:"note"`
}

// Merge records that a row repeated the email of an earlier row of the file
// and was merged into it.
type Merge struct {
	Line int `json:"line"`
	Into int `json:"into_line"`
}

// ImportReport is what an import did, line by line where it matters.
type ImportReport struct {
	Rows       int        `json:"rows"`
	Created    int        `json:"created"`
	Updated    int        `json:"updated"`   // existing contacts changed
	Unchanged  int        `json:"unchanged"` // matched a contact, nothing new
	Merged     int        `json:"merged"`    // rows merged into an earlier row of the file
	Suppressed int        `json:"suppressed"`
	Rejected   int        `json:"rejected"`
	DryRun     bool       `json:"dry_run"`
	Strict     bool       `json:"strict"`
	Imported   bool       `json:"imported"` // false for a dry run, or strict with bad rows
	Errors     []RowError `json:"errors"`
	Merges     []Merge    `json:"merges"`
	Warnings   []LineNote `json:"warnings"`
	// Notes say what the import made of cells that were not plain, e.g. a
	// one-column name split in two (--dry-run shows them before anything
	// is written).
	Notes   []LineNote  `json:"notes"`
	Columns []ColumnMap `json:"columns"`
	// Consent state the file carries (crmconsent.go), counted on the rows
	// that were not rejected: opt-ins (consent records), opt-outs
	// (withdrawals, each with a marketing objection), and people the file
	// marks not marketable without an objection (bounced, non-marketable,
	// confirmation pending). Rows repeated or already imported are
	// counted again here; the store keeps each record once.
	Consents      int `json:"consents"`
	Withdrawals   int `json:"withdrawals"`
	Objections    int `json:"objections"`
	NotMarketable int `json:"not_marketable"`
	// Purpose is the purpose the file's consent state was recorded for
	// (--purpose), when the file has consent columns; PurposeAdded says the
	// import added it to the register (a consent purpose of direct
	// marketing, to be checked), or would have in a dry run.
	Purpose      string `json:"purpose,omitempty"`
	PurposeAdded bool   `json:"purpose_added,omitempty"`
	// BulkLoad says the import took the bulk-load path (store/bulkload.go);
	// what it did is what the ordinary path does.
	BulkLoad bool `json:"bulk_load,omitempty"`
}

// PurposeSink is a sink that can add the purpose an import records
// consents for (store.Store.EnsureImportPurpose), and tell whether it is
// there.
type PurposeSink interface {
	EnsureImportPurpose(operator, name string) (bool, error)
	Purpose(name string) (gdpr.Purpose, error)
}

// importChunk is how many rows go into one store transaction.
const importChunk = store.BulkChunk

// ImportContacts imports a contacts CSV. open is called once, or twice with
// Strict (a first pass checks every row, so that nothing is imported when
// one is bad). Rows are streamed and written in chunks, each in one
// transaction with its audit entries; a cancelled import keeps the chunks
// it finished, and importing the same file again completes it (rows that
// made it in are then matched by email and left unchanged).
func ImportContacts(ctx context.Context, open func() (io.ReadCloser, error), sink ImportSink, opts ImportOptions, run ImportRun) (ImportReport, error) {
	rep := ImportReport{DryRun: run.DryRun, Strict: run.Strict, Errors: []RowError{}, Merges: []Merge{}, Warnings: []LineNote{}, Notes: []LineNote{}}
	if run.Strict {
		check := rep
		if err := readRows(ctx, open, opts, &check, nil, func([]store.ImportItem, *store.Prepared) error { return nil }, nil, true); err != nil {
			return check, err
		}
		if check.Rejected > 0 {
			check.Imported = false
			return check, nil
		}
	}
	// A store that holds no contact takes a large file through the bulk
	// load (store/bulkload.go), which writes a new database beside it.
	var bl *store.BulkLoad
	if b, ok := sink.(interface {
		BeginBulkLoad(operator string) (*store.BulkLoad, error)
	}); ok && run.Bulk && !run.DryRun {
		var err error
		if bl, err = b.BeginBulkLoad(run.Operator); err != nil {
			return rep, err
		}
	}
	// A store that can run the file as one import (store.BeginImport) skips
	// the look-up of addresses it knows to be new.
	var im *store.Import
	if b, ok := sink.(interface{ BeginImport() *store.Import }); ok && !run.DryRun && bl == nil {
		im = b.BeginImport()
		sink = im
	}
	// The first line of each address, to report repeats (a bulk load keeps
	// its own, store.Prepared.RepeatOf, so the table is not held twice):
	// by a 64-bit hash
	// (12 bytes an entry, not the address: 1,000,000 rows cost about
	// 24 MB). Two addresses of one file sharing a hash — about one chance
	// in 30 million at a million rows — would only miscount a row as
	// merged in the report; the store matches whole addresses.
	// Addresses are compared as the store compares them: two spellings of
	// one address (NFD, upper case, a punycode domain) are a repeat.
	seed := maphash.MakeSeed()
	emailKey := func(email string) uint64 {
		return maphash.String(seed, gdpr.ComparableEmail(email))
	}
	var seen u64map.Map[int32]
	flush := func(items []store.ImportItem, keys []uint64, prep *store.Prepared) error {
		var outcomes []store.ImportOutcome
		var err error
		if bl != nil {
			outcomes, err = bl.Write(items, prep)
		} else if im != nil {
			outcomes, err = im.ImportPrepared(run.Operator, items, prep, MergeContact)
		} else {
			outcomes, err = sink.ImportContacts(run.Operator, items, MergeContact, run.DryRun)
		}
		if err != nil {
			return err
		}
		for i, o := range outcomes {
			var first int32
			var merged bool
			if bl != nil {
				var line int
				line, merged = prep.RepeatOf(i)
				first = int32(line)
			} else {
				first, merged = seen.Get(keys[i])
			}
			if merged && int(first) != items[i].Line {
				if o != store.ImportSuppressed {
					rep.Merged++
					if len(rep.Merges) < MaxListed {
						rep.Merges = append(rep.Merges, Merge{Line: items[i].Line, Into: int(first)})
					}
					continue
				}
			}
			switch o {
			case store.ImportCreated:
				rep.Created++
			case store.ImportUpdated:
				rep.Updated++
			case store.ImportUnchanged:
				rep.Unchanged++
			case store.ImportSuppressed:
				rep.Suppressed++
			}
		}
		if run.Progress != nil {
			run.Progress(rep.Rows)
		}
		return nil
	}
	// A file with consent columns records consents for the import's
	// purpose: the register gets it, if it lacks it, before any chunk is
	// read (so every chunk is settled against it).
	ensure := func() error {
		rep.Purpose = opts.purpose()
		ps, ok := sink.(PurposeSink)
		if im != nil {
			ps, ok = any(im.Store()).(PurposeSink)
		}
		if !ok {
			return nil
		}
		if run.DryRun {
			_, err := ps.Purpose(rep.Purpose)
			rep.PurposeAdded = errors.Is(err, store.ErrNotFound)
			return nil
		}
		added, err := ps.EnsureImportPurpose(run.Operator, rep.Purpose)
		rep.PurposeAdded = added
		return err
	}
	var prepare func([]store.ImportItem) *store.Prepared
	switch {
	case bl != nil:
		prepare = bl.Prepare
	case im != nil:
		prepare = func(items []store.ImportItem) *store.Prepared { return im.Prepare(run.Operator, items) }
	}
	err := readRows(ctx, open, opts, &rep, ensure, func(items []store.ImportItem, prep *store.Prepared) error {
		if bl != nil {
			return flush(items, nil, prep)
		}
		keys := make([]uint64, len(items))
		for i, it := range items {
			k := emailKey(it.Contact.Email)
			keys[i] = k
			if !seen.Has(k) {
				seen.Put(k, int32(it.Line))
			}
		}
		return flush(items, keys, prep)
	}, prepare, false)
	if bl != nil {
		err = finishBulkLoad(bl, sink, run, &rep, err)
		rep.BulkLoad = true
	}
	rep.Imported = err == nil && !run.DryRun
	return rep, err
}

// finishBulkLoad ends a bulk load: dropped when reading the file failed
// (the store is as before), else swapped in, after which the rows that
// repeat an earlier address of the file are merged the ordinary way, in
// file order (the report counted them as merged already; one the merge
// creates instead, an address that only shared the load's 64-bit prefix
// with another, is moved to the created).
func finishBulkLoad(bl *store.BulkLoad, sink ImportSink, run ImportRun, rep *ImportReport, readErr error) error {
	if readErr != nil {
		bl.Abort()
		return readErr
	}
	deferred, err := bl.Finish()
	if err != nil {
		return err
	}
	var im interface {
		ImportContacts(operator string, items []store.ImportItem, merge store.MergeFunc, dryRun bool) ([]store.ImportOutcome, error)
	} = sink
	if b, ok := sink.(interface{ BeginImport() *store.Import }); ok {
		im = b.BeginImport()
	}
	for len(deferred) > 0 {
		n := min(len(deferred), importChunk)
		outcomes, err := im.ImportContacts(run.Operator, deferred[:n], MergeContact, false)
		if err != nil {
			return fmt.Errorf("merge the rows repeating an address (the new contacts are imported; import the file again to finish): %w", err)
		}
		for i, o := range outcomes {
			if o == store.ImportCreated {
				rep.Merged--
				rep.Created++
				rep.Merges = slices.DeleteFunc(rep.Merges, func(m Merge) bool { return m.Line == deferred[i].Line })
			}
		}
		deferred = deferred[n:]
	}
	return nil
}

// readRows streams the file, records rejected rows and warnings in rep,
// and hands valid rows to flush in chunks. Parsing runs on its own
// goroutine, one chunk ahead of the store, so reading the file and writing
// the store overlap on two cores; prepare, when given, runs on a third,
// between the two (store.Import.Prepare: sealing the next chunk while the
// store writes this one).
//
// consents, when given, is called once the header shows consent columns,
// before any row is read.
func readRows(ctx context.Context, open func() (io.ReadCloser, error), opts ImportOptions, rep *ImportReport, consents func() error, flush func([]store.ImportItem, *store.Prepared) error, prepare func([]store.ImportItem) *store.Prepared, countOnly bool) error {
	f, err := open()
	if err != nil {
		return err
	}
	defer f.Close()
	r, err := NewContactReader(f, opts)
	if err != nil {
		return err
	}
	rep.Columns = r.Mapping()
	if consents != nil && slices.ContainsFunc(rep.Columns, func(c ColumnMap) bool { return c.Field == FieldConsent }) {
		if err := consents(); err != nil {
			return fmt.Errorf("add the import's purpose to the register: %w", err)
		}
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	type chunk struct {
		items []store.ImportItem
		rows  int // rows read when the chunk was complete
		prep  *store.Prepared
	}
	chunks := make(chan chunk, 1)
	parsed := make(chan error, 1)
	var (
		rows, rejected int
		errs           []RowError
		warns, notes   []LineNote
		tally          consentTally
	)
	go func() {
		defer close(chunks)
		var items []store.ImportItem
		send := func() bool {
			select {
			case chunks <- chunk{items: items, rows: rows}:
				items = nil
				return true
			case <-ctx.Done():
				return false
			}
		}
		for {
			row, err := r.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				parsed <- fmt.Errorf("after %d rows: %w", rows, err)
				return
			}
			rows++
			for _, w := range row.Warnings {
				if len(warns) < MaxListed {
					warns = append(warns, LineNote{Line: row.Line, Note: w})
				}
			}
			if row.Err != nil {
				rejected++
				if len(errs) < MaxListed {
					errs = append(errs, *row.Err)
				}
				continue
			}
			for _, n := range row.Notes {
				if len(notes) < MaxListed {
					notes = append(notes, LineNote{Line: row.Line, Note: n})
				}
			}
			tally.add(&row)
			if countOnly {
				continue
			}
			items = append(items, store.ImportItem{Line: row.Line, Contact: row.Contact})
			if len(items) == importChunk && !send() {
				parsed <- ctx.Err()
				return
			}
		}
		if len(items) > 0 && !send() {
			parsed <- ctx.Err()
			return
		}
		parsed <- nil
	}()
	ready := chunks
	if prepare != nil {
		prepared := make(chan chunk)
		go func(in <-chan chunk) {
			defer close(prepared)
			for c := range in {
				if ctx.Err() == nil {
					c.prep = prepare(c.items)
				}
				prepared <- c
			}
		}(chunks)
		ready = prepared
	}
	var flushErr error
	for c := range ready {
		if flushErr != nil {
			continue // drain, so the reader can finish
		}
		if err := ctx.Err(); err != nil {
			flushErr = fmt.Errorf("import stopped after %d rows (run it again to finish): %w", rep.Rows, err)
			cancel()
			continue
		}
		rep.Rows = c.rows
		if err := flush(c.items, c.prep); err != nil {
			flushErr = err
			cancel()
		}
	}
	perr := <-parsed
	// The reader goroutine is done: its tallies are safe to read.
	rep.Rows, rep.Rejected = rows, rejected
	rep.Errors = append(rep.Errors, errs...)
	rep.Warnings = append(rep.Warnings, warns...)
	rep.Notes = append(rep.Notes, notes...)
	rep.Consents, rep.Withdrawals, rep.Objections, rep.NotMarketable = tally.consents, tally.withdrawals, tally.objections, tally.notMarketable
	if flushErr != nil {
		return flushErr
	}
	return perr
}

// consentTally counts the consent state of the rows read (ImportReport).
type consentTally struct{ consents, withdrawals, objections, notMarketable int }

func (t *consentTally) add(row *ImportRow) {
	for _, r := range row.Contact.Consents {
		if r.Granted {
			t.consents++
		} else {
			t.withdrawals++
		}
	}
	if row.Contact.Objected() {
		t.objections++
	}
	if row.NotMarketable {
		t.notMarketable++
	}
}
