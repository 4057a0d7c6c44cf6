package ui

import (
	"errors"
	"fmt"
	"strings"

	tea "charm.land/bubbletea/v2"
	"charm.land/huh/v2"
	"github.com/gdprdesk/gdprdesk/gdpr"
	"github.com/gdprdesk/gdprdesk/internal/desk"
)

// contactAddedMsg ends the add-contact form: the new contact, or why it
// was not added.
type contactAddedMsg struct {
	id   gdpr.ContactID
	text string
	err  error
}

// openAddContact opens the add-contact form over the list (a), or says
// why the operator may not add one.
func (s *contacts) openAddContact() tea.Cmd {
	if ok, cmd := s.c.mayDo(gdpr.ActionContactCreate); !ok {
		return cmd
	}
	return openDialog(s.c, &s.adding, newContactAddDialog(s.c))
}

// added opens the contact just added, so the owner goes on from it (a
// consent, a request); a refusal (a known or suppressed address) goes to
// the status line.
func (s *contacts) added(msg contactAddedMsg) tea.Cmd {
	if msg.err != nil {
		return reported("", msg.err)
	}
	return tea.Batch(reported(msg.text, nil), openOverlay(&s.detail, newContactView(s.c, msg.id)))
}

// newContactAddDialog is one person added by hand: the fields of
// `gdprdesk contact add`, and an optional first lawful basis with what
// shows it, stored by desk.AddContact in one audited step. Each field says
// inline what is wrong with it before the form can be saved.
func newContactAddDialog(c *common) *dialog {
	var n desk.NewContact
	var opts []huh.Option[gdpr.Basis]
	opts = append(opts, huh.NewOption("none yet (a source rule may give one)", gdpr.Basis("")))
	for _, b := range gdpr.Bases() {
		if b != gdpr.BasisConsent {
			opts = append(opts, huh.NewOption(b.Label(), b))
		}
	}
	st, op := c.store, c.operator
	d := newDialog("Add a contact", func() tea.Cmd {
		return c.io(func() tea.Msg {
			id, err := desk.AddContact(st, op, n)
			if err != nil {
				return contactAddedMsg{err: err}
			}
			return contactAddedMsg{id: id, text: "Added " + id.String()}
		})
	},
		huh.NewInput().Title("First name").Value(&n.FirstName),
		huh.NewInput().Title("Last name").Value(&n.LastName),
		huh.NewInput().Title("Email").Value(&n.Email).Validate(func(v string) error {
			if strings.TrimSpace(v) == "" {
				return errors.New("an email address is needed")
			}
			_, err := gdpr.NormalizeEmail(v)
			return err
		}),
		huh.NewInput().Title("Phone").Value(&n.Phone),
		huh.NewInput().Title("Country").Description("ISO code or English name; empty if unknown").Value(&n.Country).Validate(func(v string) error {
			if strings.TrimSpace(v) == "" {
				return nil
			}
			_, err := gdpr.NormalizeCountry(v)
			return err
		}),
		huh.NewInput().Title("Language").Description("for letters: de, fr, pt-BR; empty for the country's").Value(&n.Language).Validate(func(v string) error {
			_, err := desk.NormalizeLanguage(v)
			return err
		}),
		huh.NewInput().Title("Source").Description("where they came from, e.g. in_person, fair-2026").Value(&n.Source),
		huh.NewSelect[gdpr.Basis]().Title("First lawful basis (Art. 6(1))").
			Description("consent is recorded per purpose afterwards, with c").Options(opts...).Value(&n.Basis),
		huh.NewInput().Title("Evidence").Description("what shows the basis, e.g. order 1042 (sealed)").Value(&n.Evidence).Validate(func(v string) error {
			switch empty := strings.TrimSpace(v) == ""; {
			case n.Basis != "" && empty:
				return fmt.Errorf("say what shows %s: an auditor will ask", n.Basis.Label())
			case n.Basis == "" && !empty:
				return errors.New("no basis chosen: choose the basis this shows, or leave it empty")
			}
			return nil
		}),
	)
	return d
}
