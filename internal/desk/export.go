package desk

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/gdprdesk/gdprdesk/exporters"
	"github.com/gdprdesk/gdprdesk/gdpr"
	"github.com/gdprdesk/gdprdesk/store"
)

// AccessStore is what an access export reads and records; *store.Store
// satisfies it.
type AccessStore interface {
	exporters.AccessSource
	Request(id gdpr.RequestID) (gdpr.Request, error)
	// Both record an export in one audit entry and register the files
	// written (store.WrittenFile) in the same transaction, so that erasing
	// the person finds them.
	UpdateRequestFiles(operator string, id gdpr.RequestID, action gdpr.Action, detail string, fn func(r *gdpr.Request) error, contact gdpr.ContactID, files []store.WrittenFile) error
	RecordExportFiles(operator string, id gdpr.ContactID, format, sha256 string, files []store.WrittenFile) error
}

// AccessExport says which package to write, where, and what goes with it.
type AccessExport struct {
	Operator string         // who exports (the audit entry names them)
	Contact  gdpr.ContactID // whose package
	Format   string         // exporters.FormatXLSX, FormatCSV or FormatJSON
	Password string         // encrypts an XLSX package; refused for the others
	EML      bool           // also write an email draft with the package attached
	Request  gdpr.RequestID // the access or portability request it answers (0: none)
	// Dir is where the package is written under a new name,
	// access-ID-DATE.EXT (a number is added when that exists); "" is the
	// current directory.
	Dir string
	// Out, when set, is the file to write instead; it must not exist.
	Out string
	Now time.Time
}

// ExportedAccess says what an access export wrote.
type ExportedAccess struct {
	Path    string         // the package
	EMLPath string         // the email draft, when asked for
	SHA256  string         // of the package, hex
	Linked  gdpr.RequestID // the request it was recorded on, if any
}

// ExportAccess writes a person's access package (Art. 15, Art. 20): it
// checks the request first (gdpr.Request.CanLinkExport), builds the package,
// writes it under a name that does not exist yet (never over a file),
// hashes it, writes the email draft when asked, and records the export in
// one audit entry — on the request, committed with the link, when it
// answers one; on the contact otherwise. Every package written is audited:
// when the draft or the record fails, the files written are removed, so no
// unaudited or half result is left behind.
func ExportAccess(s AccessStore, e AccessExport) (ExportedAccess, error) {
	var out ExportedAccess
	ext := exporters.AccessExt(e.Format)
	if ext == "" {
		return out, fmt.Errorf("unknown access package format %q: use xlsx, csv or json", e.Format)
	}
	if e.Password != "" && e.Format != exporters.FormatXLSX {
		return out, errors.New("a password works with the xlsx format only")
	}
	if e.Request != 0 {
		r, err := s.Request(e.Request)
		if err != nil {
			return out, fmt.Errorf("read request %s: %w", e.Request, err)
		}
		if err := r.CanLinkExport(e.Contact); err != nil {
			return out, err
		}
	}
	pkg, err := exporters.BuildAccessPackage(s, e.Contact, e.Now)
	if err != nil {
		return out, fmt.Errorf("build the access package of %s: %w", e.Contact, err)
	}
	var buf bytes.Buffer
	if err := exporters.WriteAccess(&buf, pkg, e.Format, e.Password); err != nil {
		return out, fmt.Errorf("write the access package of %s: %w", e.Contact, err)
	}
	sum := sha256.Sum256(buf.Bytes())
	out.SHA256 = hex.EncodeToString(sum[:])
	if e.Out != "" {
		out.Path, err = e.Out, createNew(e.Out, buf.Bytes())
	} else {
		out.Path, err = writeUnique(e.Dir, "access-"+e.Contact.String()+"-"+e.Now.Format(time.DateOnly), ext, buf.Bytes())
	}
	if err != nil {
		return ExportedAccess{}, err
	}
	undo := func(err error) (ExportedAccess, error) {
		os.Remove(out.Path)
		if out.EMLPath != "" {
			os.Remove(out.EMLPath)
		}
		return ExportedAccess{}, err
	}
	if e.EML {
		mail, err := accessDraft(s, e, out, buf.Bytes())
		if err != nil {
			return undo(err)
		}
		eml := strings.TrimSuffix(out.Path, filepath.Ext(out.Path)) + ".eml"
		if err := createNew(eml, mail); err != nil {
			return undo(err)
		}
		out.EMLPath = eml
	}
	written, err := registered(store.FileAccessPackage, e.Format, out.Path, buf.Bytes())
	if err != nil {
		return undo(err)
	}
	files := []store.WrittenFile{written}
	if out.EMLPath != "" {
		draft, err := os.ReadFile(out.EMLPath)
		if err != nil {
			return undo(fmt.Errorf("read the email draft back: %w", err))
		}
		if written, err = registered(store.FileEmailDraft, "eml", out.EMLPath, draft); err != nil {
			return undo(err)
		}
		files = append(files, written)
	}
	detail := "access package " + e.Format + ", sha256 " + out.SHA256
	if e.Request == 0 {
		if err := s.RecordExportFiles(e.Operator, e.Contact, e.Format, out.SHA256, files); err != nil {
			return undo(fmt.Errorf("record the export of %s (nothing was kept): %w", e.Contact, err))
		}
		return out, nil
	}
	err = s.UpdateRequestFiles(e.Operator, e.Request, gdpr.ActionRequestExport, detail, func(r *gdpr.Request) error {
		// Checked again inside the change: the request may have moved on.
		if err := r.CanLinkExport(e.Contact); err != nil {
			return err
		}
		r.ExportSHA256, r.ExportedAt = out.SHA256, e.Now.UTC()
		return nil
	}, e.Contact, files)
	if err != nil {
		return undo(fmt.Errorf("link the package to %s (nothing was kept): %w", e.Request, err))
	}
	out.Linked = e.Request
	return out, nil
}

// accessDraft is the email draft that goes with a package: the completion
// letter of the request it answers, in the person's language (SPEC §11),
// with the package attached. A package exported for no request is
// answered as the person's latest access or portability request (open
// ones first); with none, the letter names no request.
func accessDraft(s AccessStore, e AccessExport, out ExportedAccess, pkg []byte) ([]byte, error) {
	c, err := s.Contact(e.Contact)
	if err != nil {
		return nil, fmt.Errorf("read contact %s: %w", e.Contact, err)
	}
	if c.Status == gdpr.ContactAnonymized {
		return nil, fmt.Errorf("write email draft: %s is anonymized: no address is left to write to", e.Contact)
	}
	if c.Email == "" {
		return nil, fmt.Errorf("write email draft: %s has no email address: send the file another way", e.Contact)
	}
	st, err := s.Settings()
	if err != nil {
		return nil, fmt.Errorf("read the settings: %w", err)
	}
	if senderOf(st).Address == "" {
		return nil, errors.New("write email draft: the settings have no email for the controller: fill it in under Settings (controller) so the draft has a sender")
	}
	var req *gdpr.Request
	if e.Request != 0 {
		r, err := s.Request(e.Request)
		if err != nil {
			return nil, fmt.Errorf("read request %s: %w", e.Request, err)
		}
		req = &r
	} else {
		rs, err := s.Requests(store.RequestFilter{Contact: e.Contact})
		if err != nil {
			return nil, fmt.Errorf("read the requests of %s: %w", e.Contact, err)
		}
		for i := range rs { // open first, soonest due first
			if rs[i].Type == gdpr.RequestAccess || rs[i].Type == gdpr.RequestPortability {
				req = &rs[i]
				break
			}
		}
	}
	lang := gdpr.LetterLanguage(c.Language, c.Country, st.Language)
	d := letterData(gdpr.LetterCompletion, lang, req, c, st, e.Now)
	if req == nil {
		d.Type = string(gdpr.RequestAccess)
	}
	name := filepath.Base(out.Path)
	d.FileName, d.FormatName, d.SHA256, d.Protected = name, FormatName(lang, name), out.SHA256, exporters.Protected(pkg)
	dataDir := ""
	if ds, ok := s.(interface{ Dir() string }); ok {
		dataDir = ds.Dir()
	}
	l := Letter{Kind: gdpr.LetterCompletion, Lang: lang, Data: d, To: mailAddress(d.Name, d.Email), From: senderOf(st),
		Attachment: &Attachment{Name: name, Data: pkg}}
	if req != nil {
		l.Request = *req
	}
	if l.Subject, l.Body, err = ExecuteLetter(nil, dataDir, d); err != nil {
		return nil, err
	}
	return l.EML(e.Now)
}

// writeUnique writes data to dir/base+ext, or base-2+ext, base-3+ext, …,
// whichever does not exist yet, and returns the path.
func writeUnique(dir, base, ext string, data []byte) (string, error) {
	if dir == "" {
		dir = "."
	}
	for n := 1; n < 1000; n++ {
		name := base + ext
		if n > 1 {
			name = fmt.Sprintf("%s-%d%s", base, n, ext)
		}
		path := filepath.Join(dir, name)
		err := createNew(path, data)
		if errors.Is(err, os.ErrExist) {
			continue
		}
		return path, err
	}
	return "", fmt.Errorf("too many files named %s* in %s: move some away", base, dir)
}

// createNew writes data to a file that must not exist yet, readable by its
// owner only; a half-written file is removed.
func createNew(path string, data []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("create %s: %w (choose a new file name)", path, err)
	}
	_, werr := f.Write(data)
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	if werr != nil {
		os.Remove(path)
		return fmt.Errorf("write %s: %w", path, werr)
	}
	return nil
}

// PortabilityExport says whose Art. 20 file to write and where.
type PortabilityExport struct {
	Operator string         // who exports (the audit entry names them)
	Contact  gdpr.ContactID // whose data
	// Dir is where the file is written under a new name,
	// portability-ID-DATE.json (numbered when that exists); "" is the
	// current directory. Out, when set, is the file to write instead; it
	// must not exist.
	Dir, Out string
	Now      time.Time
}

// ExportPortability writes the person's data for portability alone (Art.
// 20: what they provided or their use generated, as JSON) under a name
// that does not exist yet, and records it in an audit entry on the
// contact naming the SHA-256 (nothing personal); when the record fails,
// the file is removed, so no unaudited file is left.
func ExportPortability(s AccessStore, e PortabilityExport) (ExportedAccess, error) {
	var out ExportedAccess
	pkg, err := exporters.BuildAccessPackage(s, e.Contact, e.Now)
	if err != nil {
		return out, fmt.Errorf("build the portability file of %s: %w", e.Contact, err)
	}
	var buf bytes.Buffer
	if err := exporters.WritePortabilityJSON(&buf, pkg); err != nil {
		return out, fmt.Errorf("write the portability file of %s: %w", e.Contact, err)
	}
	sum := sha256.Sum256(buf.Bytes())
	out.SHA256 = hex.EncodeToString(sum[:])
	if e.Out != "" {
		out.Path, err = e.Out, createNew(e.Out, buf.Bytes())
	} else {
		out.Path, err = writeUnique(e.Dir, "portability-"+e.Contact.String()+"-"+e.Now.Format(time.DateOnly), ".json", buf.Bytes())
	}
	if err != nil {
		return ExportedAccess{}, err
	}
	written, err := registered(store.FilePortability, "json", out.Path, buf.Bytes())
	if err != nil {
		os.Remove(out.Path)
		return ExportedAccess{}, err
	}
	if err := s.RecordExportFiles(e.Operator, e.Contact, PortabilityFormat, out.SHA256, []store.WrittenFile{written}); err != nil {
		os.Remove(out.Path)
		return ExportedAccess{}, fmt.Errorf("record the export of %s (nothing was kept): %w", e.Contact, err)
	}
	return out, nil
}

// PortabilityFormat is how the audit entry of a portability export names
// its format ("access package json, Art. 20 portability only, sha256 …").
const PortabilityFormat = "json, Art. 20 portability only"
