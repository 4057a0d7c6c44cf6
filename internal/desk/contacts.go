package desk

import (
	"errors"
	"fmt"
	"strings"

	"golang.org/x/text/language"

	"github.com/gdprdesk/gdprdesk/gdpr"
	"github.com/gdprdesk/gdprdesk/store"
)

// ContactStore is what adding a contact by hand needs; *store.Store
// satisfies it.
type ContactStore interface {
	CreateContact(operator string, c gdpr.Contact) (gdpr.ContactID, error)
}

// NewContact is one person added by hand (`contact add`, a on the contacts
// screen). Basis, when set, is the contact's first lawful basis (Art.
// 6(1)) and Evidence what shows it; it is stored with the contact in the
// same transaction and audit entry.
type NewContact struct {
	Email, FirstName, LastName, Phone, Company string
	Street, City, Region, PostalCode, Country  string
	Language, Source, Notes                    string
	Basis                                      gdpr.Basis
	Evidence                                   string
}

// FieldError is a value the person typed that cannot be stored; Field
// names it as the form and the flag know it ("email", "country", …).
type FieldError struct {
	Field string
	Err   error
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Err.Error() }
func (e *FieldError) Unwrap() error { return e.Err }

// NormalizeLanguage reads a language tag for letters ("de", "pt-BR"); ""
// stays "".
func NormalizeLanguage(v string) (string, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		return "", nil
	}
	tag, err := language.Parse(v)
	if err != nil {
		return "", fmt.Errorf("%q is not a language tag: use one such as de, fr or pt-BR", v)
	}
	return tag.String(), nil
}

// Contact checks and normalizes n into the contact to store. Errors are
// *FieldError, naming the field to correct.
func (n NewContact) Contact() (gdpr.Contact, error) {
	tr := strings.TrimSpace
	email, err := gdpr.NormalizeEmail(n.Email)
	if err != nil {
		return gdpr.Contact{}, &FieldError{"email", err}
	}
	c := gdpr.Contact{
		Email: email, FirstName: tr(n.FirstName), LastName: tr(n.LastName), Phone: tr(n.Phone),
		Company: tr(n.Company), Street: tr(n.Street), City: tr(n.City), Region: tr(n.Region),
		PostalCode: tr(n.PostalCode), Source: tr(n.Source), Notes: tr(n.Notes),
	}
	if tr(n.Country) != "" {
		if c.Country, err = gdpr.NormalizeCountry(n.Country); err != nil {
			return gdpr.Contact{}, &FieldError{"country", err}
		}
	}
	if c.Language, err = NormalizeLanguage(n.Language); err != nil {
		return gdpr.Contact{}, &FieldError{"language", err}
	}
	switch {
	case n.Basis == "":
		if tr(n.Evidence) != "" {
			return gdpr.Contact{}, &FieldError{"basis", errors.New("evidence was given without a lawful basis: choose the basis it shows")}
		}
	case n.Basis == gdpr.BasisConsent:
		return gdpr.Contact{}, &FieldError{"basis", errors.New("consent is recorded per purpose, with the wording in force: add the contact, then record the consent")}
	default:
		b, err := gdpr.ParseBasis(string(n.Basis))
		if err != nil {
			return gdpr.Contact{}, &FieldError{"basis", err}
		}
		if tr(n.Evidence) == "" {
			return gdpr.Contact{}, &FieldError{"evidence", errors.New("say what shows the basis (e.g. order 1042): an auditor will ask")}
		}
		c.Bases = []gdpr.BasisAssignment{{Basis: b, Source: gdpr.SourceManual, Evidence: tr(n.Evidence)}}
	}
	return c, nil
}

// AddContact records one person by hand, with its first lawful basis when
// given, in one audited transaction, and returns the new id. The command
// line and the contacts screen both call it. A suppressed address (a
// person who asked to be erased) is refused with store.ErrSuppressed, a
// known one with store.ErrDuplicate.
func AddContact(s ContactStore, operator string, n NewContact) (gdpr.ContactID, error) {
	c, err := n.Contact()
	if err != nil {
		return 0, err
	}
	id, err := s.CreateContact(operator, c)
	switch {
	case errors.Is(err, store.ErrDuplicate):
		return 0, fmt.Errorf("%s is already a contact: %w", c.Email, err)
	case err != nil:
		return 0, fmt.Errorf("add the contact: %w", err)
	}
	return id, nil
}

// WhoStore reads the contacts requests name; *store.Store satisfies it.
type WhoStore interface {
	Contact(id gdpr.ContactID) (gdpr.Contact, error)
}

// RequestsWho says who made each request, in the order of rs: the contact's
// id and name, or the address the request came from when no contact
// matched. An anonymized contact is named by id alone. The request list of
// the command line and the inbox both show it.
func RequestsWho(s WhoStore, rs []gdpr.Request) ([]string, error) {
	out := make([]string, len(rs))
	names := map[gdpr.ContactID]string{}
	for i, r := range rs {
		if r.Contact == 0 {
			out[i] = r.SubjectEmail
			continue
		}
		name, ok := names[r.Contact]
		if !ok {
			c, err := s.Contact(r.Contact)
			switch {
			case errors.Is(err, store.ErrNotFound):
				name = r.Contact.String()
			case err != nil:
				// A damaged record is named by id; the inbox still lists
				// the others (audit verify names the damage).
				name = r.Contact.String() + " (unreadable)"
			case c.Status == gdpr.ContactAnonymized:
				name = r.Contact.String() + " (anonymized)"
			default:
				name = r.Contact.String() + " " + c.Name()
			}
			names[r.Contact] = name
		}
		out[i] = name
	}
	return out, nil
}
