package store

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/dgraph-io/badger/v4"
	"github.com/gdprdesk/gdprdesk/gdpr"
)

// The register of files written with a person's data (SPEC §8): every
// access package, portability file and email draft the desk writes is
// registered in the transaction of its audit entry, so that erasing the
// person can delete the ones still under the data directory and name the
// ones written elsewhere.
//
//	f/<contact id><audit seq><n>  one file: kind, format, SHA-256, when, by whom,
//	                              and its path sealed under the person's key
//
// The path is sealed because the caller chooses it (--out anna-schmidt.xlsx)
// and it may name the person; destroying the person's key destroys it too.
// The seq is that of the audit entry that recorded the file; n numbers the
// files it recorded (a package and its email draft).
var prefixFile = []byte("f/")

func fileKey(id gdpr.ContactID, seq uint64, n int) []byte {
	return join(prefixFile, u64(uint64(id)), u64(seq), []byte{byte(n)})
}

func filePrefix(id gdpr.ContactID) []byte { return join(prefixFile, u64(uint64(id))) }

func fileAAD(key []byte) []byte { return join([]byte("file"), key) }

// FileKind says what a registered file is.
type FileKind string

// The kinds of files written with a person's data.
const (
	FileAccessPackage FileKind = "access package"
	FilePortability   FileKind = "portability file"
	FileEmailDraft    FileKind = "email draft"
	FileLetter        FileKind = "letter"
)

// WrittenFile is one file the desk wrote with a person's personal data.
type WrittenFile struct {
	Contact gdpr.ContactID
	Kind    FileKind
	Format  string // xlsx, csv, json or eml
	// Path is absolute. Read back from the register it is "" once the
	// person's key is destroyed.
	Path     string
	SHA256   string // of the file as written, hex
	At       time.Time
	Operator string
	Seq      uint64 // the audit entry that recorded it
}

// fileRec is a register entry as stored.
type fileRec struct {
	Kind     FileKind  `json:"kind"`
	Format   string    `json:"format"`
	SHA256   string    `json:"sha256"`
	At       time.Time `json:"at"`
	Operator string    `json:"operator"`
	Slot     Slot      `json:"slot"`
	Path     []byte    `json:"path"` // sealed under Slot's key
}

// ErrContactErased refuses to register a file for an erased contact.
var ErrContactErased = errors.New("the person was erased: no file with their data is kept")

// registerFiles registers files written with the contact's data under the
// audit entry the transaction wrote last. An erased contact is refused
// (ErrContactErased), never skipped silently.
func (t *tx) registerFiles(id gdpr.ContactID, files []WrittenFile) error {
	if len(files) == 0 {
		return nil
	}
	if len(t.entries) == 0 {
		return errors.New("register written files: no audit entry records them")
	}
	rec, err := t.getContactRec(id)
	if err != nil {
		return err
	}
	if rec.Status == gdpr.ContactAnonymized {
		// A file written for an erased person would outlive the erasure:
		// the caller must not keep it.
		return fmt.Errorf("register the files of %s: %w", id, ErrContactErased)
	}
	key, err := t.key(rec.Slot)
	if err != nil {
		return fmt.Errorf("register the files of %s: %w", id, err)
	}
	seq := t.seq + uint64(len(t.entries))
	for i, f := range files {
		k := fileKey(id, seq, i)
		sealed, err := seal(key, []byte(f.Path), fileAAD(k))
		if err != nil {
			return err
		}
		b, err := json.Marshal(fileRec{Kind: f.Kind, Format: f.Format, SHA256: f.SHA256, At: t.now,
			Operator: t.operator, Slot: rec.Slot, Path: sealed})
		if err != nil {
			return err
		}
		if err := t.set(k, b); err != nil {
			return err
		}
	}
	return nil
}

// RecordExportFiles audits an export for a contact that answers no request,
// as RecordExport does, and registers the files it wrote, in one
// transaction.
func (s *Store) RecordExportFiles(operator string, id gdpr.ContactID, format, sha256 string, files []WrittenFile) error {
	return s.write(operator, func(t *tx) error {
		if _, err := t.getContactRec(id); err != nil {
			return err
		}
		t.audit(gdpr.ActionContactExport, id.String(), "access package "+format+", sha256 "+sha256, nil, 0)
		return t.registerFiles(id, files)
	})
}

// UpdateRequestFiles changes a request as UpdateRequest does (its audit
// entry on the request) and registers the files written with the person's
// data that the change records, in one transaction.
func (s *Store) UpdateRequestFiles(operator string, id gdpr.RequestID, action gdpr.Action, detail string, fn func(r *gdpr.Request) error, contact gdpr.ContactID, files []WrittenFile) error {
	return s.write(operator, func(t *tx) error {
		rec, err := readRequestRec(t.txn, id)
		if err != nil {
			return err
		}
		if err := t.updateRequest(rec, action, detail, fn); err != nil {
			return err
		}
		return t.registerFiles(contact, files)
	})
}

// WrittenFiles lists the registered files written with the data of the
// contacts, oldest first per contact. A file whose path was sealed under a
// key since destroyed is listed with an empty Path.
func (s *Store) WrittenFiles(ids ...gdpr.ContactID) ([]WrittenFile, error) {
	var out []WrittenFile
	err := s.view(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{PrefetchValues: false})
		defer it.Close()
		for _, id := range ids {
			p := filePrefix(id)
			for it.Seek(p); it.ValidForPrefix(p); it.Next() {
				k := it.Item().KeyCopy(nil)
				v, err := it.Item().ValueCopy(nil)
				if err != nil {
					return err
				}
				var r fileRec
				if err := json.Unmarshal(v, &r); err != nil {
					return fmt.Errorf("decode the register entry of a file of %s: %w", id, err)
				}
				f := WrittenFile{Contact: id, Kind: r.Kind, Format: r.Format, SHA256: r.SHA256, At: r.At,
					Operator: r.Operator, Seq: idFromKey(k[:len(p)+8])}
				if key, err := s.keys.key(r.Slot); err == nil {
					if path, err := unseal(key, r.Path, fileAAD(k)); err == nil {
						f.Path = string(path)
					}
				} else if !errors.Is(err, errKeyDestroyed) {
					return fmt.Errorf("read the register of files of %s: %w", id, err)
				}
				out = append(out, f)
			}
		}
		return nil
	})
	return out, err
}

// ForgetFiles removes the contact's files from the register, after an
// erasure dealt with them, and audits it on the contact with detail (which
// must name no path: a path may name the person).
func (s *Store) ForgetFiles(operator string, id gdpr.ContactID, detail string) error {
	return s.write(operator, func(t *tx) error {
		p := filePrefix(id)
		var keys [][]byte
		it := t.txn.NewIterator(badger.IteratorOptions{Prefix: p})
		for it.Rewind(); it.Valid(); it.Next() {
			keys = append(keys, it.Item().KeyCopy(nil))
		}
		it.Close()
		if len(keys) == 0 {
			return nil
		}
		for _, k := range keys {
			if err := t.del(k); err != nil {
				return err
			}
		}
		t.audit(gdpr.ActionContactFilesErase, id.String(), detail, nil, 0)
		return nil
	})
}
