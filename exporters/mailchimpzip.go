package exporters

import (
	"archive/zip"
	"context"
	"errors"
	"fmt"
	"io"
	"path"
	"slices"
	"strings"
)

// ZipFileReport is what the import of one member file of a Mailchimp
// audience export did.
type ZipFileReport struct {
	File   string `json:"file"`
	Member string `json:"member"` // subscribed, unsubscribed, cleaned or nonsubscribed
	ImportReport
}

// MemberNonSubscribed is Mailchimp's file of contacts who never subscribed
// (transactional contacts): imported, not marketable.
const MemberNonSubscribed = "nonsubscribed"

// MemberOfFile names the member status of a file of a Mailchimp audience
// export by its name (subscribed_members_export_….csv and so on); ok is
// false for any other file.
func MemberOfFile(name string) (member string, ok bool) {
	base := strings.ToLower(path.Base(name))
	if !strings.HasSuffix(base, ".csv") {
		return "", false
	}
	for _, m := range []string{MemberNonSubscribed, MemberUnsubscribed, MemberSubscribed, MemberCleaned} {
		if strings.HasPrefix(base, m+"_") || strings.HasPrefix(base, m+".") || strings.HasPrefix(base, m+"-") {
			return m, true
		}
	}
	return "", false
}

// IsZip reports whether the first bytes are a zip archive's.
func IsZip(head []byte) bool { return len(head) >= 4 && string(head[:4]) == "PK\x03\x04" }

// ImportMailchimpZip imports a Mailchimp audience export as Mailchimp
// writes it: one zip holding a CSV file per member status. Each file is
// imported with its status (ImportOptions.Member): subscribed first, then
// unsubscribed, cleaned and non-subscribed, each with a report of its own.
// Strict checks every file before anything is written. Other files in the
// zip are left alone; a zip without any member file is an error.
func ImportMailchimpZip(ctx context.Context, zr *zip.Reader, sink ImportSink, opts ImportOptions, run ImportRun) ([]ZipFileReport, error) {
	type member struct {
		f      *zip.File
		status string
	}
	var files []member
	for _, f := range zr.File {
		if st, ok := MemberOfFile(f.Name); ok && !f.FileInfo().IsDir() {
			files = append(files, member{f, st})
		}
	}
	if len(files) == 0 {
		return nil, errors.New("the zip holds no Mailchimp member file (subscribed_…csv, unsubscribed_…csv, cleaned_…csv): export the audience again, or import the CSV itself")
	}
	order := []string{MemberSubscribed, MemberUnsubscribed, MemberCleaned, MemberNonSubscribed}
	slices.SortStableFunc(files, func(a, b member) int { return slices.Index(order, a.status) - slices.Index(order, b.status) })
	each := func(run ImportRun) ([]ZipFileReport, error) {
		var out []ZipFileReport
		for _, m := range files {
			o := opts
			o.Member = m.status
			open := func() (io.ReadCloser, error) { return m.f.Open() }
			rep, err := ImportContacts(ctx, open, sink, o, run)
			out = append(out, ZipFileReport{File: m.f.Name, Member: m.status, ImportReport: rep})
			if err != nil {
				return out, fmt.Errorf("%s: %w", m.f.Name, err)
			}
		}
		return out, nil
	}
	if run.Strict {
		check := run
		check.DryRun, check.Strict = true, false
		reps, err := each(check)
		if err != nil {
			return reps, err
		}
		bad := false
		for i := range reps {
			reps[i].DryRun, reps[i].Strict = run.DryRun, true
			bad = bad || reps[i].Rejected > 0
		}
		if bad || run.DryRun {
			return reps, nil
		}
		run.Strict = false
		reps, err = each(run)
		for i := range reps {
			reps[i].Strict = true
		}
		return reps, err
	}
	return each(run)
}
