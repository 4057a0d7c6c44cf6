package cli

import (
	"archive/zip"
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime/debug"

	"github.com/gdprdesk/gdprdesk/exporters"
	"github.com/gdprdesk/gdprdesk/gdpr"
	"github.com/gdprdesk/gdprdesk/store"
	"github.com/spf13/cobra"
)

func (a *app) importCommand() *cobra.Command {
	var source, purpose string
	var dryRun, strict, asJSON bool
	var bulk string
	cmd := &cobra.Command{
		Use:   "import FILE.csv|AUDIENCE.zip",
		Short: "Import contacts from a CSV (gdprdesk, Keap, HubSpot, Mailchimp or similar) or a Mailchimp audience zip",
		Long: `import reads a contacts CSV: UTF-8 with or without BOM, comma, semicolon or
tab separated, with the headers of gdprdesk's own export or of a Keap/
Infusionsoft, HubSpot or Mailchimp export (and common aliases). Unknown columns
become custom fields. A row whose email matches a contact updates it (an
empty cell never clears anything); repeated emails in the file are merged.
Suppressed (erased) addresses are skipped and counted. Each bad row is
reported with its line number; the good rows are imported unless --strict.
--dry-run writes nothing and prints the same report.

Consent and opt-out state in the file becomes the rule book's records for
--purpose (default "email marketing"): opt-ins are consent records (double
opt-in when confirmed; Mailchimp's IP addresses are kept as sealed
evidence), unsubscribes and opt-outs are withdrawals with a marketing
objection, non-marketable and bounced addresses get no consent. A Mailchimp
audience export (the zip of subscribed, unsubscribed and cleaned files)
imports in one go, with a report per file. The file "-" is standard input
(over SSH the only input). The mapping of each tool's columns is in
docs/import-consent.md.`,
		Args: exactArgs(1, "one CSV or zip file"),
		RunE: func(cmd *cobra.Command, args []string) error {
			path := args[0]
			switch bulk {
			case "auto", "always", "never":
			default:
				return usagef("--bulk is auto, always or never, not %q", bulk)
			}
			open, err := a.inputFile(path) // "-": stdin (over SSH the only input)
			if err != nil {
				return err
			}
			if a.served == nil { // not in a server: the limit is the whole process's
				limitImportHeap()
			}
			zr, open, err := openZip(open)
			if err != nil {
				return fmt.Errorf("import %s: %w", path, err)
			}
			if zr != nil && open != nil {
				if g, err := open(); err == nil {
					defer g.Close()
				}
			}
			// Importing is how an owner starts: a missing or empty data
			// directory gets a new store (datadir.go); a dry run there
			// works on a throw-away one.
			a.create, a.announce = true, !dryRun
			if dryRun {
				done, err := a.dryRunDir()
				if err != nil {
					return err
				}
				defer done()
			}
			// One bulk change, and the process ends (store.Options.Bulk).
			return a.withBulkStore(func(s *store.Store) error {
				run := exporters.ImportRun{Operator: a.operatorName(), DryRun: dryRun, Strict: strict,
					Bulk: a.served == nil && zr == nil && bulkSized(path, bulk)}
				if a.stderrTTY && !asJSON {
					run.Progress = func(rows int) {
						if rows%50_000 < store.BulkChunk {
							a.progressf("\rimport: %s rows read", gdpr.Thousands(int64(rows)))
						}
					}
				}
				opts := exporters.ImportOptions{Source: source, Now: a.now(), Purpose: purpose}
				var reps []exporters.ZipFileReport
				if zr != nil {
					reps, err = exporters.ImportMailchimpZip(cmd.Context(), zr, s, opts, run)
				} else {
					var rep exporters.ImportReport
					rep, err = exporters.ImportContacts(cmd.Context(), open, s, opts, run)
					reps = []exporters.ZipFileReport{{File: path, ImportReport: rep}}
				}
				if run.Progress != nil {
					fmt.Fprintln(a.stderr)
				}
				if err != nil {
					return fmt.Errorf("import %s: %w", path, err)
				}
				switch {
				case asJSON && zr != nil:
					err = a.writeJSON(struct {
						Files []exporters.ZipFileReport `json:"files"`
					}{reps})
				case asJSON:
					err = a.writeJSON(reps[0].ImportReport)
				default:
					for _, r := range reps {
						name := path
						if zr != nil {
							name = path + ": " + r.File + " (" + r.Member + ")"
						}
						a.printImportReport(name, r.ImportReport)
					}
				}
				if err != nil {
					return err
				}
				rows, rejected := 0, 0
				for _, r := range reps {
					rows, rejected = rows+r.Rows, rejected+r.Rejected
				}
				if strict && rejected > 0 {
					return fmt.Errorf("--strict: %d bad row(s), nothing imported; fix them and import again", rejected)
				}
				if rows > 0 && rejected == rows {
					return fmt.Errorf("every one of the %s row(s) was rejected: nothing imported; the report above says why", gdpr.Thousands(int64(rows)))
				}
				return nil
			})
		},
	}
	f := cmd.Flags()
	f.StringVar(&source, "source", "", "source label for rows without one (source rules then apply a lawful basis)")
	f.StringVar(&purpose, "purpose", "", `the purpose the file's opt-ins and opt-outs are for, as in the purposes register (default "email marketing")`)
	f.BoolVar(&dryRun, "dry-run", false, "write nothing; print what would happen")
	f.BoolVar(&strict, "strict", false, "import nothing when any row is bad")
	f.BoolVar(&asJSON, "json", false, "print the report as one JSON document")
	// The bulk-load path (store/bulkload.go) is chosen by the file's size;
	// tests and benchmarks force it either way.
	f.StringVar(&bulk, "bulk", "auto", "bulk-load path into a store without contacts: auto (files of 1 MiB or more), always or never")
	_ = f.MarkHidden("bulk")
	return cmd
}

// openZip returns the zip archive the input is, or nil when it is not one
// (a CSV), and how to open the input from its start again (for a zip file
// on disk: the open file the archive reads, for the caller to close). A
// zip read from standard input is held in memory, up to 1 GiB.
func openZip(open func() (io.ReadCloser, error)) (*zip.Reader, func() (io.ReadCloser, error), error) {
	f, err := open()
	if err != nil {
		return nil, nil, err
	}
	br := bufio.NewReader(f)
	head, _ := br.Peek(4)
	file, isFile := f.(*os.File)
	if !exporters.IsZip(head) {
		if isFile {
			f.Close()
			return nil, open, nil
		}
		// A stream is read once: its first bytes are in br.
		used := false
		return nil, func() (io.ReadCloser, error) {
			if used {
				return nil, errors.New("standard input can be read only once (--strict reads the file twice: give a file name)")
			}
			used = true
			return struct {
				io.Reader
				io.Closer
			}{br, f}, nil
		}, nil
	}
	defer f.Close()
	if isFile {
		st, err := file.Stat()
		if err != nil {
			return nil, nil, err
		}
		// The zip is opened again: the reader above has read ahead.
		g, err := os.Open(file.Name())
		if err != nil {
			return nil, nil, err
		}
		zr, err := zip.NewReader(g, st.Size())
		if err != nil {
			g.Close()
			return nil, nil, err
		}
		// The archive's files are read through g while the import runs;
		// the caller closes it with closeZip.
		return zr, func() (io.ReadCloser, error) { return g, nil }, nil
	}
	const maxZip = 1 << 30
	b, err := io.ReadAll(io.LimitReader(br, maxZip+1))
	if err != nil {
		return nil, nil, err
	}
	if len(b) > maxZip {
		return nil, nil, errors.New("a zip on standard input is at most 1 GiB: unpack it and import its files one by one")
	}
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	return zr, nil, err
}

func (a *app) printImportReport(path string, rep exporters.ImportReport) {
	w := a.stdout
	verb := "Imported"
	switch {
	case rep.DryRun:
		verb = "Dry run (nothing written) of"
	case !rep.Imported:
		verb = "Checked (nothing written)"
	}
	fmt.Fprintf(w, "%s %s: %s rows.\n", verb, path, gdpr.Thousands(int64(rep.Rows)))
	fmt.Fprintf(w, "  created %s, updated %s, unchanged %s, merged %s, suppressed %s, rejected %s\n",
		gdpr.Thousands(int64(rep.Created)), gdpr.Thousands(int64(rep.Updated)), gdpr.Thousands(int64(rep.Unchanged)),
		gdpr.Thousands(int64(rep.Merged)), gdpr.Thousands(int64(rep.Suppressed)), gdpr.Thousands(int64(rep.Rejected)))
	for _, e := range rep.Errors {
		fmt.Fprintf(w, "  rejected line %d: %s\n", e.Line, e.Reason)
	}
	if rep.Rejected > len(rep.Errors) {
		fmt.Fprintf(w, "  … and %s more rejected rows (use --json for the first %d)\n", gdpr.Thousands(int64(rep.Rejected-len(rep.Errors))), exporters.MaxListed)
	}
	for _, m := range rep.Merges {
		fmt.Fprintf(w, "  merged line %d into line %d (same email)\n", m.Line, m.Into)
	}
	if rep.Consents+rep.Withdrawals+rep.Objections+rep.NotMarketable > 0 {
		fmt.Fprintf(w, "  consent state in the file: %s opt-in(s), %s withdrawal(s), %s marketing objection(s), %s not marketable\n",
			gdpr.Thousands(int64(rep.Consents)), gdpr.Thousands(int64(rep.Withdrawals)), gdpr.Thousands(int64(rep.Objections)), gdpr.Thousands(int64(rep.NotMarketable)))
	}
	for _, n := range rep.Warnings {
		fmt.Fprintf(w, "  warning line %d: %s\n", n.Line, n.Note)
	}
	for _, n := range rep.Notes {
		fmt.Fprintf(w, "  line %d: %s\n", n.Line, n.Note)
	}
}

// bulkMinSize is the smallest file the import takes through the bulk-load
// path by itself (about 6,000 rows): below it the new database's open and
// swap cost more than the transactions they save.
const bulkMinSize = 1 << 20

// bulkSized reports whether an import of path may take the bulk-load path
// (--bulk: auto, always, never). Standard input is never bulk-loaded in
// auto: its size is unknown.
func bulkSized(path, mode string) bool {
	switch mode {
	case "always":
		return true
	case "never":
		return false
	}
	if path == "-" {
		return false
	}
	st, err := os.Stat(path)
	return err == nil && st.Size() >= bulkMinSize
}

// importHeapLimit is the soft limit of the Go heap while the import command
// runs. Without it the collector lets the heap grow to twice what is live,
// and Badger's table builders make a large import's live heap swing by a
// few hundred megabytes: a million rows peaked at 540 MB of heap instead of
// about 300 MB. A soft limit only makes the collector run sooner; it never
// fails an allocation. It is set for this command alone (its own process),
// never for the desk or the server, and GOMEMLIMIT overrides it.
//
// 400 MiB, not less: at 300 MiB the bulk load of a million rows spent a
// third of its time collecting and giving pages back to the system and
// faulting them in again (27.8–29.0 s wall, 49–51 s CPU, 241–293 MB peak
// RSS); at 400 MiB, paired on the same quiet machine, 21.5–22.7 s wall,
// 38–40 s CPU, 344–352 MB (docs/PERFORMANCE.md, "Import"), still well
// under SPEC §7's 500 MB.
const importHeapLimit = 400 << 20

func limitImportHeap() {
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(importHeapLimit)
	}
}

// dryRunDir points a dry run at a throw-away store when the data directory
// holds none yet, so that --dry-run writes nothing there; done removes it.
func (a *app) dryRunDir() (done func(), err error) {
	if a.served != nil {
		return func() {}, nil
	}
	dir, err := a.dataDir()
	if err != nil {
		return nil, err
	}
	if st, err := store.InspectDir(dir); err != nil || (st != store.DirMissing && st != store.DirEmpty) {
		return func() {}, err
	}
	tmp, err := os.MkdirTemp("", "gdprdesk-dry-run-")
	if err != nil {
		return nil, fmt.Errorf("dry run: %w", err)
	}
	fmt.Fprintf(a.stderr, "No data directory in %s yet: the dry run compares the file with an empty one.\n", dir)
	a.dataFlag = tmp
	return func() { os.RemoveAll(tmp) }, nil
}
