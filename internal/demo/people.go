// Package demo makes the demo data set: realistic people, requests in every
// state, policy versions and a partly done checklist, the same for the
// command line and the tests.
package demo

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/gdprdesk/gdprdesk/gdpr"
)

// Demo generates a realistic, deterministic demo data set: contacts across
// the EU and beyond with lawful bases, consent records and tags; requests in
// every status, some overdue; policy versions; source rules; compliance
// settings half filled in; a partly ticked checklist. The same seed and day
// give the same data. Contacts are produced in batches so that a million
// of them never sit in memory at once.
type Demo struct {
	rng    *rand.Rand
	now    time.Time
	data   demoData
	total  int
	made   int
	weight int
	srcW   int
}

type demoCountry struct {
	Code    string   `json:"code"`
	Weight  int      `json:"weight"`
	Phone   string   `json:"phone"`
	Cities  []string `json:"cities"`
	Streets []string `json:"streets"`
	First   []string `json:"first"`
	Last    []string `json:"last"`
}

type demoSource struct {
	Label  string `json:"label"`
	Weight int    `json:"weight"`
}

type demoData struct {
	Countries []demoCountry `json:"countries"`
	Companies []string      `json:"companies"`
	Domains   []string      `json:"domains"`
	Sources   []demoSource  `json:"sources"`
	Tags      []string      `json:"tags"`
}

type demoPolicy struct {
	Kind    gdpr.PolicyKind `json:"kind"`
	DaysAgo int             `json:"days_ago"`
	Text    string          `json:"text"`
}

// NewDemo reads the demo lists from fsys (the assets' demo/ folder) and
// prepares a generator of n contacts.
func NewDemo(fsys fs.FS, n int, seed uint64, now time.Time) (*Demo, error) {
	b, err := fs.ReadFile(fsys, "demo/people.json")
	if err != nil {
		return nil, fmt.Errorf("read demo data: %w", err)
	}
	d := &Demo{rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)), now: now.UTC(), total: n}
	if err := json.Unmarshal(b, &d.data); err != nil {
		return nil, fmt.Errorf("decode demo data: %w", err)
	}
	for _, c := range d.data.Countries {
		d.weight += c.Weight
	}
	for _, s := range d.data.Sources {
		d.srcW += s.Weight
	}
	if d.weight == 0 || d.srcW == 0 || len(d.data.Domains) == 0 {
		return nil, fmt.Errorf("demo data is incomplete")
	}
	return d, nil
}

// Policies returns the demo's policy and consent-text versions, oldest
// first.
func (d *Demo) Policies(fsys fs.FS) ([]gdpr.PolicyVersion, error) {
	b, err := fs.ReadFile(fsys, "demo/policies.json")
	if err != nil {
		return nil, fmt.Errorf("read demo policies: %w", err)
	}
	var ps []demoPolicy
	if err := json.Unmarshal(b, &ps); err != nil {
		return nil, fmt.Errorf("decode demo policies: %w", err)
	}
	out := make([]gdpr.PolicyVersion, 0, len(ps))
	version := map[gdpr.PolicyKind]int{}
	for _, p := range ps {
		version[p.Kind]++
		out = append(out, gdpr.NewPolicyVersion(p.Kind, version[p.Kind], p.Text, d.now.AddDate(0, 0, -p.DaysAgo)))
	}
	return out, nil
}

// SourceRules are the demo's rules: a newsletter signup gives consent, a
// purchase a contract, an in-person meeting legitimate interests. The
// webinar, referral and CRM-import sources have none, so the checklist has
// something to point at.
func (d *Demo) SourceRules() []gdpr.SourceRule {
	return []gdpr.SourceRule{
		{Source: "webform:newsletter", Basis: gdpr.BasisConsent, Evidence: "newsletter form, consent box ticked"},
		{Source: "purchase", Basis: gdpr.BasisContract, Evidence: "order placed in the shop"},
		{Source: "in_person", Basis: gdpr.BasisLegitimateInterests, Evidence: "met at the shop or a fair"},
	}
}

// Settings are half filled in: controller (established in Germany, so
// every contact is in scope and no EU representative is needed), privacy
// URL, DPO and purposes; no security officer.
func (d *Demo) Settings() gdpr.Settings {
	return gdpr.Settings{
		Establishment:    "DE",
		Controller:       gdpr.Person{Name: "Demo Shop GmbH", Email: "hello@demo-shop.example", Address: "Hauptstraße 1, 10115 Berlin, Germany"},
		DPO:              gdpr.Person{Name: "Data Protection Office", Email: "dpo@demo-shop.example"},
		PrivacyPolicyURL: "https://demo-shop.example/privacy",
		Purposes:         "Delivering orders and invoices; answering questions; sending the newsletter to those who asked for it.",
		Retention:        "Order and invoice data: 10 years (tax law). Newsletter: until you unsubscribe. Enquiries: 2 years.",
	}
}

// Recipients is the recipients register: two processors, one with its
// data-processing agreement on file and one without (dpa-each-processor
// names it); the newsletter service is in the UK, under an adequacy decision.
func (d *Demo) Recipients() []gdpr.Recipient {
	return []gdpr.Recipient{
		{Name: "MailDrop Ltd", Role: gdpr.RecipientProcessor, Service: "newsletter delivery", Contact: "privacy@maildrop.example", Country: "GB",
			DPASignedAt: time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC), DPARef: "MD-DPA-2024", Safeguard: gdpr.SafeguardAdequacy},
		{Name: "PayWell", Role: gdpr.RecipientProcessor, Service: "card payments", Contact: "dpo@paywell.example", Country: "NL"},
	}
}

// ChecklistRecords ticks a few manual items, as an owner part-way through.
func (d *Demo) ChecklistRecords() map[string]gdpr.ItemRecord {
	return map[string]gdpr.ItemRecord{
		"privacy-link":     {State: gdpr.StateDone, Note: "footer of the shop and the newsletter form"},
		"privacy-offline":  {State: gdpr.StateDone, Note: "printed notice at the till"},
		"consent-specific": {State: gdpr.StateDone},
		"erasure-channel":  {State: gdpr.StateDone, Note: "link in every newsletter footer"},
	}
}

// Remaining is how many contacts are still to be generated.
func (d *Demo) Remaining() int { return d.total - d.made }

// NextContacts returns up to n more contacts (fewer at the end).
func (d *Demo) NextContacts(n int) []gdpr.Contact {
	if n > d.Remaining() {
		n = d.Remaining()
	}
	out := make([]gdpr.Contact, 0, n)
	for range n {
		d.made++
		out = append(out, d.contact(d.made))
	}
	return out
}

func pick[T any](r *rand.Rand, list []T) T { return list[r.IntN(len(list))] }

func (d *Demo) country() demoCountry {
	w := d.rng.IntN(d.weight)
	for _, c := range d.data.Countries {
		if w < c.Weight {
			return c
		}
		w -= c.Weight
	}
	return d.data.Countries[0]
}

func (d *Demo) source() string {
	w := d.rng.IntN(d.srcW)
	for _, s := range d.data.Sources {
		if w < s.Weight {
			return s.Label
		}
		w -= s.Weight
	}
	return ""
}

var asciiFold = strings.NewReplacer("ä", "ae", "ö", "oe", "ü", "ue", "ß", "ss", "é", "e", "è", "e", "ë", "e", "á", "a", "à", "a",
	"ó", "o", "í", "i", "ñ", "n", "ç", "c", "ł", "l", "ś", "s", "ć", "c", "ź", "z", "ż", "z", "ą", "a", "ę", "e", "ń", "n",
	"å", "a", "ø", "o", "æ", "ae", "ð", "d", "þ", "th", "ú", "u", "ý", "y", "č", "c", "ř", "r", "š", "s", "ž", "z", "ě", "e",
	"ů", "u", "ã", "a", "õ", "o", "â", "a", "ê", "e", "ô", "o", "'", "", " ", "")

// contact i is made unique by its number in the address.
func (d *Demo) contact(i int) gdpr.Contact {
	r := d.rng
	co := d.country()
	first, last := pick(r, co.First), pick(r, co.Last)
	local := asciiFold.Replace(strings.ToLower(first + "." + last))
	c := gdpr.Contact{
		FirstName: first,
		LastName:  last,
		Email:     fmt.Sprintf("%s.%d@%s", local, i, pick(r, d.data.Domains)),
		Country:   co.Code,
		Source:    d.source(),
		Status:    gdpr.ContactActive,
		CreatedAt: d.now.Add(-time.Duration(r.Int64N(int64(5 * 365 * 24 * time.Hour)))).Truncate(time.Second),
	}
	if co.Code != "" {
		c.City = pick(r, co.Cities)
		c.Street = fmt.Sprintf("%s %d", pick(r, co.Streets), 1+r.IntN(120))
		c.PostalCode = fmt.Sprintf("%05d", r.IntN(99999))
	}
	if co.Phone != "" && r.IntN(3) > 0 {
		c.Phone = fmt.Sprintf("%s %d %07d", co.Phone, 100+r.IntN(900), r.IntN(10_000_000))
	}
	if r.IntN(4) == 0 {
		c.Company = pick(r, d.data.Companies)
	}
	if r.IntN(3) == 0 {
		c.Tags = append(c.Tags, pick(r, d.data.Tags))
	}
	if c.Source == "purchase" && r.IntN(20) == 0 {
		c.Balance = int64(1000 + r.IntN(50000)) // an unpaid invoice
	}
	if c.Source == "purchase" && r.IntN(15) == 0 {
		c.OpenContract = true
	}
	if r.IntN(40) == 0 {
		c.Status = gdpr.ContactRestricted
	}
	// Consent records for newsletter signups (the source rule gives the
	// basis); one in eight lacks the policy version, as in real lists.
	if c.Source == "webform:newsletter" {
		rec := gdpr.ConsentRecord{Purpose: "email newsletter", Granted: true, At: c.CreatedAt, Method: "webform:newsletter, double opt-in",
			ConsentVersion: 1, PolicyVersion: 1}
		if c.CreatedAt.After(d.now.AddDate(0, 0, -300)) {
			rec.PolicyVersion = 2
		}
		if c.CreatedAt.After(d.now.AddDate(0, 0, -200)) {
			rec.ConsentVersion = 2
		}
		if r.IntN(8) == 0 {
			rec.PolicyVersion, rec.ConsentVersion = 0, 0
		}
		c.Consents = append(c.Consents, rec)
		if r.IntN(12) == 0 {
			c.Consents = append(c.Consents, gdpr.ConsentRecord{Purpose: "email newsletter", Granted: false,
				At: c.CreatedAt.Add(time.Duration(1+r.IntN(300)) * 24 * time.Hour), Method: "unsubscribe link"})
		}
	}
	// Some contacts got a basis by hand: a webinar attendee who agreed, a
	// referral handled as legitimate interests.
	switch {
	case c.Source == "webinar" && r.IntN(2) == 0:
		c.Bases = append(c.Bases, gdpr.BasisAssignment{Basis: gdpr.BasisConsent, Source: "webinar", Evidence: "registration form, consent box ticked", At: c.CreatedAt})
		c.Consents = append(c.Consents, gdpr.ConsentRecord{Purpose: "webinar follow-up", Granted: true, At: c.CreatedAt, Method: "webinar registration", ConsentVersion: 1, PolicyVersion: 1})
	case c.Source == "referral" && r.IntN(3) > 0:
		c.Bases = append(c.Bases, gdpr.BasisAssignment{Basis: gdpr.BasisLegitimateInterests, Source: "referral", Evidence: "introduced by an existing customer", At: c.CreatedAt})
	case c.Source == "import:crm-2022" && r.IntN(2) == 0:
		c.Bases = append(c.Bases, gdpr.BasisAssignment{Basis: gdpr.BasisContract, Source: "import", Evidence: "customer in the old CRM", At: c.CreatedAt})
	}
	return c
}

// DemoRequest is a request of the demo, with the number (1-based, in the
// order generated) of the contact it concerns, or 0 with SubjectEmail set.
type DemoRequest struct {
	Request   gdpr.Request
	ContactNo int
	// Steps replay the request's life: the statuses it moved through and
	// the outcome note of the last.
	Steps   []gdpr.RequestStatus
	Outcome string
	Extend  string // extension reason, if extended
}

// Requests returns requests in every status and of every type, some
// overdue, concerning the first contacts generated (n of them, at least 1).
func (d *Demo) Requests(contacts int) []DemoRequest {
	r := d.rng
	count := 12 + contacts/100
	if count > 400 {
		count = 400
	}
	types := gdpr.RequestTypes()
	channels := gdpr.Channels()
	var out []DemoRequest
	for i := range count {
		t := types[i%len(types)]
		// Received between 120 days ago and today: the older open ones
		// are overdue.
		received := gdpr.Day(d.now.AddDate(0, 0, -r.IntN(120)))
		req := gdpr.NewRequest(t, pick(r, channels), received, nil)
		req.Note = pick(r, []string{"asked by email after the newsletter", "phoned the shop", "letter received at the office", "via the contact form", ""})
		dr := DemoRequest{Request: req, ContactNo: 1 + r.IntN(max(contacts, 1))}
		if i%9 == 8 {
			dr.ContactNo = 0
			dr.Request.SubjectEmail = fmt.Sprintf("unknown.sender%d@example.net", i)
		}
		// Statuses cycle against types, so every type meets every status.
		switch (i + i/len(types)) % 6 {
		case 0: // new
		case 1:
			dr.Steps = []gdpr.RequestStatus{gdpr.StatusVerifying}
		case 2:
			dr.Steps = []gdpr.RequestStatus{gdpr.StatusVerifying, gdpr.StatusInProgress}
			if gdpr.DaysLeft(req.Due, d.now) > 3 {
				dr.Extend = "several years of order history to gather from the old shop system"
			}
		case 3, 4:
			dr.Steps = []gdpr.RequestStatus{gdpr.StatusVerifying, gdpr.StatusInProgress, gdpr.StatusCompleted}
			dr.Outcome = "answered by email"
		case 5:
			dr.Steps = []gdpr.RequestStatus{gdpr.StatusDenied}
			dr.Outcome = "identity could not be verified after two reminders"
		}
		out = append(out, dr)
	}
	return out
}
