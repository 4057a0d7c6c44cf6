package cli

// The export commands about one person: the access package (Art. 15) and
// the portability file (Art. 20).

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/gdprdesk/gdprdesk/exporters"
	"github.com/gdprdesk/gdprdesk/gdpr"
	"github.com/gdprdesk/gdprdesk/internal/desk"
	"github.com/gdprdesk/gdprdesk/store"
)

func (a *app) exportAccessCommand() *cobra.Command {
	var format, out, password, request string
	var eml bool
	cmd := &cobra.Command{
		Use:   "access (ID|EMAIL)",
		Short: "Write everything held on one person (right of access, Art. 15; portability, Art. 20)",
		Long: `export access writes an access package: the profile, lawful bases with their
evidence, consent history with the exact wording agreed to, requests, the audit
entries about the person, and a plain-language sheet of who you are, why you
hold the data, who receives it, how long you keep it and the person's rights.

Formats: xlsx (one sheet per section; --password encrypts it), csv (a zip of
one CSV per section) or json (documented in docs/access-package.md). --eml also
writes a ready-to-send email draft with the package attached. With --request,
the package's SHA-256 and time are recorded on the access or portability
request, which must be the person's and still open: once a request is
completed or denied, the package on it is its record and cannot be replaced
(export without --request for a new copy). Every export is audited
(on the request when linked); if the draft or the record fails, nothing is
left behind. Without --out the file is access-ID-DATE.EXT in the current
directory, numbered when that name exists.`,
		Args: exactArgs(1, "a contact id (e.g. C42) or email"),
		RunE: func(cmd *cobra.Command, args []string) error {
			ext := exporters.AccessExt(format)
			if ext == "" {
				return usagef("--format must be xlsx, csv or json, got %q", format)
			}
			if password != "" && format != "xlsx" {
				return usagef("--password works with --format xlsx only")
			}
			var reqID gdpr.RequestID
			if request != "" {
				id, err := gdpr.ParseRequestID(request)
				if err != nil {
					return usageError{err}
				}
				reqID = id
			}
			return a.withStore(func(s *store.Store) error {
				c, err := s.FindContact(args[0])
				if err != nil {
					return err
				}
				path, dir := "", a.outputDir()
				if out != "" {
					if path, err = a.outputPath(out); err != nil {
						return err
					}
				}
				res, err := desk.ExportAccess(s, desk.AccessExport{Operator: a.operatorName(), Contact: c.ID, Format: format,
					Password: password, EML: eml, Request: reqID, Dir: dir, Out: path, Now: a.now()})
				if err != nil {
					return err
				}
				fmt.Fprintf(a.stdout, "Wrote the access package for %s to %s (SHA-256 %s).\n", c.ID, res.Path, res.SHA256)
				if res.EMLPath != "" {
					fmt.Fprintf(a.stdout, "Wrote the email draft to %s.\n", res.EMLPath)
				}
				if res.Linked != 0 {
					fmt.Fprintf(a.stdout, "Linked to %s.\n", res.Linked)
				}
				return nil
			})
		},
	}
	f := cmd.Flags()
	f.StringVar(&format, "format", "xlsx", "xlsx, csv (zip) or json")
	f.StringVar(&out, "out", "", "file to write (must not exist; default access-ID-DATE.EXT, numbered if taken)")
	f.StringVar(&password, "password", "", "encrypt the XLSX with this password (tell it to the person another way)")
	f.BoolVar(&eml, "eml", false, "also write an email draft (.eml) with the package attached")
	f.StringVar(&request, "request", "", "the access or portability request this answers, e.g. R7")
	return cmd
}

func (a *app) exportPortabilityCommand() *cobra.Command {
	var out string
	cmd := &cobra.Command{
		Use:   "portability (ID|EMAIL)",
		Short: "Write the data a person may take elsewhere, as JSON (right to data portability, Art. 20)",
		Long: `export portability writes only what the person gave you or what their use
generated (name, contact details, address, company, consents, marketing
objection, requests) as one JSON document, schema gdprdesk.portability/v1
(docs/access-package.md) — not your notes, balances, evidence or staff names.
The export is audited; the file must not exist (default
portability-ID-DATE.json in the current directory, numbered when taken).`,
		Args: exactArgs(1, "a contact id (e.g. C42) or email"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.withStore(func(s *store.Store) error {
				c, err := s.FindContact(args[0])
				if err != nil {
					return err
				}
				path := ""
				if out != "" {
					if path, err = a.outputPath(out); err != nil {
						return err
					}
				}
				res, err := desk.ExportPortability(s, desk.PortabilityExport{Operator: a.operatorName(), Contact: c.ID,
					Dir: a.outputDir(), Out: path, Now: a.now()})
				if err != nil {
					return err
				}
				fmt.Fprintf(a.stdout, "Wrote the portability file for %s to %s (SHA-256 %s).\n", c.ID, res.Path, res.SHA256)
				return nil
			})
		},
	}
	cmd.Flags().StringVar(&out, "out", "", "file to write (must not exist; default portability-ID-DATE.json, numbered if taken)")
	return cmd
}
