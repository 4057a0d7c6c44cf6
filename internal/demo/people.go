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
	// The rule book's cases (SPEC §9) are each given to the first
	// contact that fits, so every demo, however small, has them, and no
	// random draw is added (the rest of the data stays as it was).
	held bool
	// objector is the number of the contact who objects to marketing, by
	// an objection request (Requests), or 0.
	objector int
	// The retention schedule's guards (SPEC §10): a lapsed webinar
	// attendee kept for a legal claim under a hold, and one whose access
	// request is open (Requests), so sweep --retention skips both.
	lapsedHeld, lapsedAsker int
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

// The demo's purposes (the records of processing, SPEC §10), by the names
// its consents and bases use.
const (
	PurposeNewsletter = "email newsletter"
	PurposeWebinar    = "webinar follow-up"
	PurposeOrders     = "orders"
	PurposeInvoices   = "invoices"
	PurposeSupport    = "support enquiries"
)

// Purposes are the demo's records of processing: a marketing newsletter
// and a webinar follow-up on consent, orders on contract, invoices kept
// ten years by tax law, support enquiries on legitimate interests with
// their balancing test. The webinar's record lacks its security measures,
// so ropa-complete has something to show; its six months' retention gives
// the retention sweep (sweep --retention) lapsed attendees.
func (d *Demo) Purposes() []gdpr.Purpose {
	customers := []string{"customers"}
	return []gdpr.Purpose{
		{Name: PurposeNewsletter, Basis: gdpr.BasisConsent, Marketing: true,
			Description: "sending our newsletter about new products and offers", PeopleCategories: []string{"newsletter subscribers"},
			DataCategories: []string{"identity", "contact details"}, Recipients: []string{"MailDrop Ltd"},
			Retention: "until you unsubscribe", Security: "access for two staff only, two-factor login"},
		{Name: PurposeWebinar, Basis: gdpr.BasisConsent,
			Description: "sending the recording and slides of a webinar you attended", PeopleCategories: []string{"webinar attendees"},
			DataCategories: []string{"identity", "contact details"}, Recipients: []string{"MailDrop Ltd"},
			Retention: "6 months after the webinar", RetentionDays: 183},
		{Name: PurposeOrders, Basis: gdpr.BasisContract,
			Description: "delivering orders, taking payment and handling returns", PeopleCategories: customers,
			DataCategories: []string{"identity", "contact details", "postal address", "billing"},
			Recipients:     []string{"PayWell", "ParcelGo GmbH", "TicketDesk Inc."}, Transfers: "United States (TicketDesk Inc., standard contractual clauses)",
			Retention: "2 years after the order (returns and warranty)", RetentionDays: 730,
			Security: "payment data stays with the payment service; shop accounts behind two-factor login"},
		{Name: PurposeInvoices, Basis: gdpr.BasisLegalObligation,
			Description: "keeping invoices and accounting records", PeopleCategories: customers,
			DataCategories: []string{"identity", "postal address", "company", "billing"}, Recipients: []string{"Steuerbüro Klein"},
			Retention: "10 years (German tax law, §147 AO)", RetentionDays: 3653,
			Security: "accounting system with role-based access; encrypted backups"},
		{Name: PurposeSupport, Basis: gdpr.BasisLegitimateInterests,
			Description: "answering the questions you send us", PeopleCategories: []string{"customers", "prospects"},
			DataCategories: []string{"identity", "contact details"}, Recipients: []string{"TicketDesk Inc."},
			Transfers: "United States (TicketDesk Inc., standard contractual clauses)",
			Retention: "2 years after the last enquiry", RetentionDays: 730,
			Security: "helpdesk accounts behind two-factor login; tickets visible to support staff only",
			Balancing: &gdpr.BalancingTest{Interest: "answering customers and prospects who write to us",
				Necessity: "we cannot answer without the contact details and the question",
				Balance:   "people who write to us expect an answer; only what they sent is used, and only for the answer",
				Outcome:   "passed", At: d.now.AddDate(0, 0, -400)}},
	}
}

// Recipients are the demo's recipients register: the newsletter service in
// Ireland and the payment service in the Netherlands with signed DPAs, a
// parcel service whose DPA is not signed yet (so dpa-each-processor has
// something to show), the tax adviser as a controller of its own, and a
// helpdesk in the United States under standard contractual clauses.
func (d *Demo) Recipients() []gdpr.Recipient {
	day := func(y int, m time.Month, dd int) time.Time { return time.Date(y, m, dd, 0, 0, 0, 0, time.UTC) }
	return []gdpr.Recipient{
		{Name: "MailDrop Ltd", Role: gdpr.RecipientProcessor, Service: "newsletter delivery", Contact: "privacy@maildrop.example",
			Country: "IE", Purposes: []string{PurposeNewsletter, PurposeWebinar}, DPASignedAt: day(2024, 3, 12), DPARef: "DPA-2024-031"},
		{Name: "PayWell", Role: gdpr.RecipientProcessor, Service: "card payments", Contact: "dpo@paywell.example",
			Country: "NL", Purposes: []string{PurposeOrders}, DPASignedAt: day(2023, 11, 2)},
		{Name: "ParcelGo GmbH", Role: gdpr.RecipientProcessor, Service: "parcel delivery", Contact: "datenschutz@parcelgo.example",
			Country: "DE", Purposes: []string{PurposeOrders}},
		{Name: "Steuerbüro Klein", Role: gdpr.RecipientController, Service: "tax adviser: bookkeeping and tax returns",
			Contact: "kanzlei@stb-klein.example", Country: "DE", Purposes: []string{PurposeInvoices}},
		{Name: "TicketDesk Inc.", Role: gdpr.RecipientProcessor, Service: "helpdesk for orders and enquiries", Contact: "privacy@ticketdesk.example",
			Country: "US", Purposes: []string{PurposeOrders, PurposeSupport}, DPASignedAt: day(2023, 9, 1),
			Safeguard: gdpr.SafeguardSCC, SafeguardAt: day(2023, 9, 1)},
	}
}

// DPIA is the demo's screening (Art. 35): one of the EDPB's nine criteria
// met, so no DPIA is needed, and the reason is written down.
func (d *Demo) DPIA() gdpr.DPIAScreening {
	return gdpr.DPIAScreening{Matching: true, Outcome: gdpr.DPIANotNeeded,
		Why: "one criterion of nine: the newsletter list is matched with order history; no profiling, " +
			"no special categories, no monitoring, a few thousand customers — a DPIA is not likely required (EDPB WP248)",
		Notes: "review when a new tool or purpose is added"}
}

// Settings are half filled in: controller in Berlin (established in
// Germany, so every contact is in scope and no EU representative is
// needed), privacy URL, DPO and purposes; no security officer; no
// automated decisions; the soft opt-in off (the default). The recipients
// are in their register (Recipients).
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
		rec := gdpr.ConsentRecord{Purpose: PurposeNewsletter, Granted: true, At: c.CreatedAt, Method: "webform:newsletter, double opt-in",
			Marketing: true, ConsentVersion: 1, PolicyVersion: 1}
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
			c.Consents = append(c.Consents, gdpr.ConsentRecord{Purpose: PurposeNewsletter, Granted: false,
				At: c.CreatedAt.Add(time.Duration(1+r.IntN(300)) * 24 * time.Hour), Method: "unsubscribe link", Marketing: true})
		} else {
			// The consent basis is held for the purpose consented to (the
			// source rule gives the others theirs, as before).
			c.Bases = append(c.Bases, gdpr.BasisAssignment{Basis: gdpr.BasisConsent, Purpose: PurposeNewsletter, Source: c.Source,
				Evidence: "newsletter form, consent box ticked", At: c.CreatedAt})
		}
	}
	// Some contacts got a basis by hand: a webinar attendee who agreed, a
	// referral handled as legitimate interests.
	switch {
	case c.Source == "webinar" && r.IntN(2) == 0:
		c.Bases = append(c.Bases, gdpr.BasisAssignment{Basis: gdpr.BasisConsent, Purpose: PurposeWebinar, Source: "webinar", Evidence: "registration form, consent box ticked", At: c.CreatedAt})
		c.Consents = append(c.Consents, gdpr.ConsentRecord{Purpose: PurposeWebinar, Granted: true, At: c.CreatedAt, Method: "webinar registration", ConsentVersion: 1, PolicyVersion: 1})
	case c.Source == "referral" && r.IntN(3) > 0:
		c.Bases = append(c.Bases, gdpr.BasisAssignment{Basis: gdpr.BasisLegitimateInterests, Source: "referral", Evidence: "introduced by an existing customer", At: c.CreatedAt})
	case c.Source == "import:crm-2022" && r.IntN(2) == 0:
		c.Bases = append(c.Bases, gdpr.BasisAssignment{Basis: gdpr.BasisContract, Source: "import", Evidence: "customer in the old CRM", At: c.CreatedAt})
	}
	d.ruleBookCases(i, &c)
	return c
}

// ruleBookCases gives the demo the cases of the rule book (SPEC §9): every
// restricted contact a reason and a date (Art. 18); the first customer a
// legal hold on its invoices for ten years (Art. 17(3)(b)); the first
// newsletter subscriber who did not unsubscribe objects to marketing
// (Art. 21(2)–(3)) — by an objection request (Requests), which takes
// effect as it is logged, as at the desk. They depend only on the
// contact's number and what was drawn, never on a new draw.
func (d *Demo) ruleBookCases(i int, c *gdpr.Contact) {
	if c.Status == gdpr.ContactRestricted {
		c.RestrictedAt = c.CreatedAt.Add(time.Duration(1+i%20) * 24 * time.Hour)
		if c.RestrictedAt.After(d.now) {
			c.RestrictedAt = d.now
		}
		c.RestrictionReason = []string{
			"the person disputes their postal address; we are checking it (Art. 18(1)(a))",
			"the person objected to processing; we are weighing our grounds (Art. 18(1)(d))",
		}[i%2]
	}
	switch {
	case !d.held && c.Source == "purchase" && c.Status == gdpr.ContactActive && c.Balance == 0 && !c.OpenContract:
		d.held = true
		placed := d.now.AddDate(0, 0, -30)
		c.Bases = append(c.Bases, gdpr.BasisAssignment{Basis: gdpr.BasisLegalObligation, Purpose: PurposeInvoices,
			Source: gdpr.SourceManual, Evidence: "invoices issued; kept under §147 AO", At: placed})
		c.Hold = &gdpr.Hold{Reason: "invoices: 10 years, tax law (§147 AO)", Until: gdpr.Day(c.CreatedAt.AddDate(10, 0, 0)),
			Keep: gdpr.DefaultHoldKeep(), At: placed}
		c.Notes = "asked to be invoiced by post; invoices 2024-117 and 2024-162"
	case d.objector == 0 && c.Source == "webform:newsletter" && c.Status == gdpr.ContactActive && len(c.Consents) == 1 &&
		c.CreatedAt.Before(d.now.AddDate(0, 0, -30)):
		d.objector = i
	case (d.lapsedHeld == 0 || d.lapsedAsker == 0) && c.Source == "webinar" && c.Status == gdpr.ContactActive && len(c.Consents) == 1 &&
		c.Consents[0].Purpose == PurposeWebinar && c.CreatedAt.Before(d.now.AddDate(-1, 0, 0)):
		// Their webinar follow-up lapsed long ago (six months).
		if d.lapsedHeld == 0 {
			d.lapsedHeld = i
			c.Hold = &gdpr.Hold{Reason: "disputed refund of the webinar ticket: kept for the legal claim (Art. 17(3)(e))",
				Until: gdpr.Day(d.now.AddDate(1, 0, 0)), Keep: gdpr.DefaultHoldKeep(), At: d.now.AddDate(0, 0, -20)}
		} else {
			d.lapsedAsker = i
		}
	}
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
	// Ground is a denial's ground; empty, the demo picks the type's.
	Ground gdpr.DenialGround
	Extend string // extension reason, if extended
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
		if t == gdpr.RequestObjection {
			// An objection says what it objects to (Art. 21): these weigh
			// the business's legitimate interests; the one objection to
			// marketing is added below, so the others keep their numbers.
			req.Scope = gdpr.ScopeProcessing
		}
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
			dr.Ground = gdpr.GroundIdentity // Art. 12(2), 11(2), 12(6): not an invoice's legal claim
		}
		out = append(out, dr)
	}
	// Last, so the other requests keep their numbers: the objection to
	// marketing of the rule book's case, answered.
	if d.objector != 0 {
		req := gdpr.NewRequest(gdpr.RequestObjection, gdpr.ChannelEmail, gdpr.Day(d.now.AddDate(0, 0, -10)), nil)
		req.Scope, req.Note = gdpr.ScopeMarketing, "no more newsletters or offers, please"
		out = append(out, DemoRequest{Request: req, ContactNo: d.objector,
			Steps:   []gdpr.RequestStatus{gdpr.StatusVerifying, gdpr.StatusInProgress, gdpr.StatusCompleted},
			Outcome: "removed from every mailing list; no marketing from now on"})
	}
	// A lapsed webinar attendee asked what is still held on them: the
	// request is open, so the retention sweep keeps them until it is
	// answered (Art. 12(2)).
	if d.lapsedAsker != 0 {
		req := gdpr.NewRequest(gdpr.RequestAccess, gdpr.ChannelEmail, gdpr.Day(d.now.AddDate(0, 0, -3)), nil)
		req.Note = "asks what we still hold after the webinar"
		out = append(out, DemoRequest{Request: req, ContactNo: d.lapsedAsker})
	}
	return out
}
