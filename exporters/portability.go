package exporters

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"time"

	"github.com/gdprdesk/gdprdesk/gdpr"
)

// PortabilitySchema names the layout of the standalone portability file
// (gdprdesk export portability); docs/access-package.md documents it.
const PortabilitySchema = "gdprdesk.portability/v1"

// Portability is the data the person may take to another business (Art.
// 20(1)): only what they provided to us (their name, contact details,
// address, company, consents and objection) or what their use of the
// service generated (their requests). Nothing the business added of its
// own goes in: no notes, balance or contract state, no lawful-basis
// evidence, no tags or custom fields (columns of the business's own
// system), no operator names. It is written as JSON, machine-readable and
// commonly used (Art. 20(1)).
type Portability struct {
	Contact    gdpr.ContactID `json:"contact"`
	FirstName  string         `json:"first_name"`
	LastName   string         `json:"last_name"`
	Email      string         `json:"email"`
	PastEmails []string       `json:"past_emails"`
	Phone      string         `json:"phone"`
	Street     string         `json:"street"`
	City       string         `json:"city"`
	Region     string         `json:"region"`
	PostalCode string         `json:"postal_code"`
	Country    string         `json:"country"`
	Company    string         `json:"company"`
	// MarketingObjection is when the person objected to direct marketing.
	MarketingObjection time.Time         `json:"marketing_objection_at,omitzero"`
	Consents           []PortableConsent `json:"consents"`
	Requests           []PortableRequest `json:"requests"`
}

// PortableConsent is one consent the person gave or withdrew.
type PortableConsent struct {
	Purpose string    `json:"purpose"`
	Granted bool      `json:"granted"`
	At      time.Time `json:"at"`
	Method  string    `json:"method"`
}

// PortableRequest is one request the person made: its facts, not the
// business's notes or who worked on it.
type PortableRequest struct {
	ID       gdpr.RequestID     `json:"id"`
	Type     gdpr.RequestType   `json:"type"`
	Received time.Time          `json:"received"`
	Channel  gdpr.Channel       `json:"channel"`
	Status   gdpr.RequestStatus `json:"status"`
	ClosedAt time.Time          `json:"closed_at,omitzero"`
}

// portabilityOf takes the Art. 20 part of a contact and its requests.
func portabilityOf(c *gdpr.Contact, reqs []gdpr.Request) Portability {
	p := Portability{Contact: c.ID, FirstName: c.FirstName, LastName: c.LastName, Email: c.Email,
		PastEmails: append([]string{}, c.PastEmails...), Phone: c.Phone, Street: c.Street, City: c.City,
		Region: c.Region, PostalCode: c.PostalCode, Country: c.Country, Company: c.Company,
		MarketingObjection: c.MarketingObjection.UTC(),
		Consents:           make([]PortableConsent, 0, len(c.Consents)), Requests: make([]PortableRequest, 0, len(reqs))}
	consents := append([]gdpr.ConsentRecord(nil), c.Consents...)
	sort.SliceStable(consents, func(i, j int) bool { return consents[i].At.Before(consents[j].At) })
	for _, r := range consents {
		p.Consents = append(p.Consents, PortableConsent{Purpose: r.Purpose, Granted: r.Granted, At: r.At.UTC(), Method: r.Method})
	}
	for _, r := range reqs {
		p.Requests = append(p.Requests, PortableRequest{ID: r.ID, Type: r.Type, Received: r.Received.UTC(),
			Channel: r.Channel, Status: r.Status, ClosedAt: r.ClosedAt.UTC()})
	}
	return p
}

// PortabilityFile is the standalone Art. 20 document.
type PortabilityFile struct {
	Schema      string      `json:"schema"` // PortabilitySchema
	GeneratedAt time.Time   `json:"generated_at"`
	Controller  string      `json:"controller"` // who sends it
	Data        Portability `json:"data"`
}

// WritePortabilityJSON writes the package's portability part alone, as
// one indented JSON document (schema "gdprdesk.portability/v1"), values
// exactly as held.
func WritePortabilityJSON(w io.Writer, p *AccessPackage) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	doc := PortabilityFile{Schema: PortabilitySchema, GeneratedAt: p.GeneratedAt, Controller: p.About.Controller.Name, Data: p.Portability}
	if err := enc.Encode(doc); err != nil {
		return fmt.Errorf("write portability JSON: %w", err)
	}
	return nil
}
