package desk

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/gdprdesk/gdprdesk/gdpr"
	"github.com/gdprdesk/gdprdesk/store"
)

// NotifyStore is what the Art. 19 use cases read and change; *store.Store
// satisfies it.
type NotifyStore interface {
	Contact(id gdpr.ContactID) (gdpr.Contact, error)
	Purposes() ([]gdpr.Purpose, error)
	Recipients() ([]gdpr.Recipient, error)
	Request(id gdpr.RequestID) (gdpr.Request, error)
	UpdateRequest(operator string, id gdpr.RequestID, action gdpr.Action, detail string, fn func(r *gdpr.Request) error) error
}

// RecipientsOf names the recipients that received the contact's data,
// through the purposes that apply to them (gdpr.RecipientsOf).
func RecipientsOf(s NotifyStore, c *gdpr.Contact) ([]string, error) {
	purposes, err := s.Purposes()
	if err != nil {
		return nil, err
	}
	register, err := s.Recipients()
	if err != nil {
		return nil, err
	}
	var names []string
	for _, r := range gdpr.RecipientsOf(c, purposes, register) {
		names = append(names, r.Name)
	}
	return names, nil
}

// ToTell names the recipients a request's Art. 19 step is about: those
// recorded on the request; else those that received the person's data
// (their purposes); else — the person erased, or no purpose naming a
// recipient — every recipient of the register, for the operator to choose
// from (none is chosen for them).
func ToTell(s NotifyStore, r gdpr.Request) ([]string, error) {
	if len(r.Recipients) > 0 {
		return r.Recipients, nil
	}
	if r.Contact != 0 {
		c, err := s.Contact(r.Contact)
		if err == nil && c.Status != gdpr.ContactAnonymized {
			names, err := RecipientsOf(s, &c)
			if err != nil {
				return nil, err
			}
			if len(names) > 0 {
				return names, nil
			}
		}
	}
	register, err := s.Recipients()
	if err != nil {
		return nil, err
	}
	var names []string
	for _, x := range register {
		names = append(names, x.Name)
	}
	return names, nil
}

// Notify records on a request that recipients were told (Art. 19) on at,
// or with impossible why telling them was impossible or disproportionate.
// spec is "all" or names separated by commas, among ToTell.
func Notify(s NotifyStore, operator string, id gdpr.RequestID, spec, impossible string, at time.Time) ([]string, error) {
	r, err := s.Request(id)
	if err != nil {
		return nil, err
	}
	toTell, err := ToTell(s, r)
	if err != nil {
		return nil, err
	}
	names, err := gdpr.ResolveRecipients(spec, toTell)
	if err != nil {
		return nil, err
	}
	detail := "recipients told: " + strings.Join(names, ", ")
	if strings.TrimSpace(impossible) != "" {
		detail = "recipients not told, impossible or disproportionate: " + strings.Join(names, ", ")
	}
	err = s.UpdateRequest(operator, id, gdpr.ActionRequestNotify, detail, func(r *gdpr.Request) error {
		return r.Notify(names, toTell, impossible, operator, at)
	})
	if err != nil {
		return nil, fmt.Errorf("record notifications on %s: %w", id, err)
	}
	return names, nil
}

// EraseStore is what an erasure with its Art. 19 record needs.
type EraseStore interface {
	NotifyStore
	FilesStore
	Anonymize(operator string, id gdpr.ContactID, opts store.AnonymizeOptions) (store.Anonymized, error)
	RecordControllerErasure(operator string, contact gdpr.ContactID, recipients []string, note string) (gdpr.RequestID, error)
}

// Erase anonymizes one contact and keeps the Art. 19 record: the
// recipients that received the person's data are read first (afterwards
// the purposes can no longer be), then recorded on the erasure request it
// answers, or — erased without a request — on a controller record
// (store.RecordControllerErasure). rec is that record's id, 0 when there
// was nobody to tell or the record is the person's request.
//
// The files written with the person's data (SPEC §8) are read from the
// register first too (their names are sealed under the person's key);
// after the erasure those under the data directory are deleted and the
// others named in files, for the owner to delete by hand. An error with
// res.Event set comes after the erasure committed.
func Erase(s EraseStore, operator string, id gdpr.ContactID, opts store.AnonymizeOptions) (res store.Anonymized, rec gdpr.RequestID, files ErasedFiles, err error) {
	c, err := s.Contact(id)
	if err != nil {
		return res, 0, files, err
	}
	if c.Status == gdpr.ContactAnonymized {
		// Erased already; an erasure cut short may have left its files.
		written, err := s.WrittenFiles(id)
		if err != nil || len(written) == 0 {
			return res, 0, files, errors.Join(fmt.Errorf("contact %s is already anonymized", id), err)
		}
		files, err = eraseFiles(s, operator, id, written)
		return res, 0, files, errors.Join(fmt.Errorf("contact %s is already anonymized; only the files its interrupted erasure left were dealt with", id), err)
	}
	names, err := RecipientsOf(s, &c)
	if err != nil {
		return res, 0, files, err
	}
	written, err := s.WrittenFiles(id)
	if err != nil {
		return res, 0, files, err
	}
	if opts.Request != 0 && len(names) > 0 {
		err := s.UpdateRequest(operator, opts.Request, gdpr.ActionRequestNotify, "recipients to tell (Art. 19): "+strings.Join(names, ", "), func(r *gdpr.Request) error {
			for _, n := range names {
				if !slices.Contains(r.Recipients, n) {
					r.Recipients = append(r.Recipients, n)
				}
			}
			return nil
		})
		if err != nil {
			return res, 0, files, err
		}
	}
	if res, err = s.Anonymize(operator, id, opts); err != nil {
		return store.Anonymized{}, 0, files, err
	}
	files, ferr := eraseFiles(s, operator, id, written)
	if opts.Request == 0 && len(names) > 0 {
		rec, err = s.RecordControllerErasure(operator, id, names, "erased without a request")
	}
	return res, rec, files, errors.Join(ferr, err)
}
