package desk

import (
	"bytes"
	"fmt"
	"io/fs"
	"strings"
	"text/template"
	"time"

	"github.com/gdprdesk/gdprdesk/assets"
	"github.com/gdprdesk/gdprdesk/gdpr"
)

// BreachStore is what the breach register's use cases read and change;
// *store.Store satisfies it.
type BreachStore interface {
	Settings() (gdpr.Settings, error)
	Breaches() ([]gdpr.Breach, error)
	Breach(id gdpr.BreachID) (gdpr.Breach, error)
	AddBreach(operator string, b gdpr.Breach) (gdpr.BreachID, error)
	UpdateBreach(operator string, id gdpr.BreachID, action gdpr.Action, detail string, fn func(b *gdpr.Breach) error) error
	Count(q gdpr.Query) (int64, error)
}

// AddBreach records a breach (Art. 33(5)). A breach whose people are given
// as a query and not as a number counts the contacts matching it now.
func AddBreach(s BreachStore, operator string, b gdpr.Breach) (gdpr.BreachID, error) {
	if q := strings.TrimSpace(b.Query); q != "" && b.People == 0 {
		parsed, err := gdpr.ParseQuery(q)
		if err != nil {
			return 0, err
		}
		settings, err := s.Settings()
		if err != nil {
			return 0, err
		}
		n, err := s.Count(parsed.Resolve(settings))
		if err != nil {
			return 0, fmt.Errorf("count the contacts of the breach: %w", err)
		}
		b.People = int(n)
	}
	return s.AddBreach(operator, b)
}

// EditBreach changes the facts of a breach through fn (risk, counts,
// texts); who was told and when change only through NotifyBreach and
// InformBreach.
func EditBreach(s BreachStore, operator string, id gdpr.BreachID, fn func(b *gdpr.Breach)) error {
	return s.UpdateBreach(operator, id, gdpr.ActionBreachEdit, "facts changed", func(b *gdpr.Breach) error {
		notified, ref, late, informed := b.NotifiedAt, b.NotifyRef, b.LateReason, b.InformedAt
		fn(b)
		b.NotifiedAt, b.NotifyRef, b.LateReason, b.InformedAt = notified, ref, late, informed
		return nil
	})
}

// NotifyBreach records that the authority was told at at (zero: now), with
// its reference; after the 72 hours the reasons for the delay are required
// (gdpr.ValidateNotify, Art. 33(1)).
func NotifyBreach(s BreachStore, operator string, id gdpr.BreachID, at time.Time, ref, lateReason string, now time.Time) error {
	if at.IsZero() {
		at = now
	}
	at = at.UTC()
	detail := "authority told at " + at.Format(time.RFC3339)
	return s.UpdateBreach(operator, id, gdpr.ActionBreachNotify, detail, func(b *gdpr.Breach) error {
		if err := gdpr.ValidateNotify(*b, at, lateReason); err != nil {
			return err
		}
		b.NotifiedAt, b.NotifyRef = at, strings.TrimSpace(ref)
		if at.After(b.Due()) {
			b.LateReason = strings.TrimSpace(lateReason)
		}
		return nil
	})
}

// NoNotifyBreach records why a breach without risk is not notified
// (gdpr.ValidateNoNotify, Art. 33(1), 33(5)).
func NoNotifyBreach(s BreachStore, operator string, id gdpr.BreachID, reason string) error {
	return s.UpdateBreach(operator, id, gdpr.ActionBreachNotify, "not notified: no risk (reason recorded)", func(b *gdpr.Breach) error {
		if err := gdpr.ValidateNoNotify(*b, reason); err != nil {
			return err
		}
		b.NoNotifyReason = strings.TrimSpace(reason)
		return nil
	})
}

// InformBreach records that the people were told (Art. 34(1)) at at (zero:
// now), or — none — why they are not told, a reason of Art. 34(3)
// (gdpr.ValidateInform).
func InformBreach(s BreachStore, operator string, id gdpr.BreachID, at time.Time, none bool, reason string, now time.Time) error {
	if at.IsZero() {
		at = now
	}
	at = at.UTC()
	detail := "people told at " + at.Format(time.RFC3339)
	if none {
		detail = "people not told (Art. 34(3) reason recorded)"
	}
	return s.UpdateBreach(operator, id, gdpr.ActionBreachInform, detail, func(b *gdpr.Breach) error {
		if err := gdpr.ValidateInform(*b, at, none, reason); err != nil {
			return err
		}
		if none {
			b.NoInformReason = strings.TrimSpace(reason)
		} else {
			b.InformedAt = at
		}
		return nil
	})
}

// UrgentBreach is the breach the dashboard puts above everything else,
// with its hours left at now (gdpr.UrgentBreach); ok is false when no
// breach is open.
func UrgentBreach(s BreachStore, now time.Time) (b gdpr.Breach, hoursLeft int, ok bool, err error) {
	list, err := s.Breaches()
	if err != nil {
		return b, 0, false, err
	}
	b, ok = gdpr.UrgentBreach(list)
	if !ok {
		return b, 0, false, nil
	}
	return b, b.HoursLeft(now), true, nil
}

// breachNoticeData is what assets/templates/breach-authority.en.txt uses.
type breachNoticeData struct {
	ID, Risk, Aware, Due, Today                    string
	Late                                           bool
	LateReason                                     string
	What, PeopleCategories, DataCategories         string
	People, Records                                int
	Consequences, Measures                         string
	Controller, ControllerEmail, ControllerAddress string
	ContactName, ContactEmail, ContactRole         string
	Informed, NoInformReason                       string
}

// BreachNotice writes the draft notification to the supervisory authority
// from the breach record, with the contents of Art. 33(3): the nature of
// the breach (categories and approximate numbers of people and records),
// the contact point (the DPO, else the controller), the likely
// consequences and the measures taken or proposed. Times are in UTC; a
// draft made after the 72 hours asks for the reasons for the delay.
func BreachNotice(s BreachStore, id gdpr.BreachID, now time.Time) (string, error) {
	b, err := s.Breach(id)
	if err != nil {
		return "", err
	}
	settings, err := s.Settings()
	if err != nil {
		return "", err
	}
	return renderBreachNotice(b, settings, now)
}

func renderBreachNotice(b gdpr.Breach, st gdpr.Settings, now time.Time) (string, error) {
	const layout = "2006-01-02 15:04 UTC"
	d := breachNoticeData{ID: b.ID.String(), Risk: string(b.Risk), Aware: b.AwareAt.UTC().Format(layout), Due: b.Due().Format(layout),
		Today: now.UTC().Format(time.DateOnly), LateReason: b.LateReason,
		What: b.What, PeopleCategories: strings.Join(b.PeopleCategories, ", "), DataCategories: strings.Join(b.DataCategories, ", "),
		People: b.People, Records: b.Records, Consequences: b.Consequences, Measures: b.Measures,
		Controller: st.Controller.Name, ControllerEmail: st.Controller.Email, ControllerAddress: st.Controller.Address,
		NoInformReason: b.NoInformReason}
	switch b.Risk {
	case gdpr.RiskNone:
		d.Risk = "unlikely to result in a risk to the rights and freedoms of people"
	case gdpr.RiskSome:
		d.Risk = "a risk to the rights and freedoms of people"
	case gdpr.RiskHigh:
		d.Risk = "a high risk to the rights and freedoms of people"
	}
	sent := now
	if !b.NotifiedAt.IsZero() {
		sent = b.NotifiedAt
	}
	d.Late = sent.After(b.Due())
	if st.DPO.Filled() {
		d.ContactRole, d.ContactName, d.ContactEmail = "Data Protection Officer", st.DPO.Name, st.DPO.Email
	} else {
		d.ContactRole, d.ContactName, d.ContactEmail = "Contact point", st.Controller.Name, st.Controller.Email
	}
	if !b.InformedAt.IsZero() {
		d.Informed = b.InformedAt.UTC().Format(layout)
	}
	tmpl, err := fs.ReadFile(assets.FS, "templates/breach-authority.en.txt")
	if err != nil {
		return "", fmt.Errorf("breach notice template: %w", err)
	}
	t, err := template.New("breach-authority").Option("missingkey=error").Parse(string(tmpl))
	if err != nil {
		return "", fmt.Errorf("breach notice template: %w", err)
	}
	var out bytes.Buffer
	if err := t.Execute(&out, d); err != nil {
		return "", fmt.Errorf("breach notice %s: %w", b.ID, err)
	}
	return out.String(), nil
}
