package exporters

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/gdprdesk/gdprdesk/gdpr"
	"github.com/gdprdesk/gdprdesk/store"
)

// An access package (SPEC §6, Art. 15 and Art. 20) is everything held on one
// person: the profile, the lawful bases with their evidence, the consent
// history with the exact wording agreed to, the requests and their outcomes,
// the audit entries about the person, and a plain-language "about" part
// built from the settings. BuildAccessPackage gathers it once; the writers
// (XLSX, CSV zip, JSON, and the email draft around any of them) only lay it
// out. docs/access-package.md documents every layout.

// AccessSchema names the layout of the JSON access package. A change that
// is not purely additive gets a new version.
//
// v2 (the rule book, SPEC §9): about.purposes became the list of the
// person's own purposes (the owner's words moved to about.purposes_text);
// about.recipients lists only those that received the person's data, with
// country and transfer safeguard; about gained data_categories,
// data_source_at, data_source_imported, automated_decisions(_text) and
// response_time; the top level gained portability.
const AccessSchema = "gdprdesk.access/v2"

// AccessSource is what an access package reads from the store
// (*store.Store satisfies it).
type AccessSource interface {
	Contact(id gdpr.ContactID) (gdpr.Contact, error)
	Requests(f store.RequestFilter) ([]gdpr.Request, error)
	AuditOf(record string) ([]store.AuditEntry, error)
	Settings() (gdpr.Settings, error)
	PolicyVersions() ([]gdpr.PolicyVersion, error)
	// The registers of SPEC §10: which purposes apply to the person, and
	// so which recipients received their data (Art. 15(1)(a), (c)).
	Purposes() ([]gdpr.Purpose, error)
	Recipients() ([]gdpr.Recipient, error)
}

var _ AccessSource = (*store.Store)(nil)

// AccessPackage is everything held on one person, as of GeneratedAt. Its
// JSON form is the JSON access package; field names are documented in
// docs/access-package.md. Slices are never nil, so the JSON always has
// every key.
type AccessPackage struct {
	Schema      string         `json:"schema"` // AccessSchema
	GeneratedAt time.Time      `json:"generated_at"`
	Contact     gdpr.ContactID `json:"contact"`
	// Anonymized is true when the person was erased: the package then holds
	// only what remains, which identifies nobody.
	Anonymized bool               `json:"anonymized"`
	About      AccessAbout        `json:"about"`
	Profile    AccessProfile      `json:"profile"`
	Bases      []AccessBasis      `json:"lawful_bases"`
	Consents   []AccessConsent    `json:"consents"`
	Requests   []AccessRequest    `json:"requests"`
	Audit      []AccessAuditEntry `json:"audit"`
	// Portability is the part the person may take elsewhere (Art. 20).
	Portability Portability `json:"portability"`
}

// AccessParty is the controller, the DPO or the EU representative.
type AccessParty struct {
	Name    string `json:"name"`
	Email   string `json:"email"`
	Address string `json:"address"`
}

// AccessRecipient is a third party that received the person's data
// (Art. 15(1)(c)), with where it is and, outside the EEA, the ground of
// the transfer (Art. 15(2)).
type AccessRecipient struct {
	Name        string `json:"name"`
	Role        string `json:"role"`    // processor, controller or joint
	Service     string `json:"service"` // what they do, e.g. "email delivery"
	Contact     string `json:"contact"`
	Country     string `json:"country"` // ISO alpha-2, "" not recorded
	CountryName string `json:"country_name"`
	// OutsideEEA is true when the data goes to a country outside the EEA
	// (Chapter V); Safeguard is then the ground of the transfer.
	OutsideEEA     bool      `json:"outside_eea"`
	Safeguard      string    `json:"safeguard"`       // adequacy, scc, bcr, derogation; "" none recorded
	SafeguardLabel string    `json:"safeguard_label"` // in words, with the article
	SafeguardAt    time.Time `json:"safeguard_at,omitzero"`
	Purposes       []string  `json:"purposes"` // the person's purposes it serves
}

// AccessPurpose is one purpose the person's data is processed for, with
// its lawful basis and retention (Art. 15(1)(a), (d)).
type AccessPurpose struct {
	Name        string     `json:"name"`
	Description string     `json:"description"`
	Basis       gdpr.Basis `json:"basis"`
	BasisLabel  string     `json:"basis_label"`
	Marketing   bool       `json:"marketing"`
	// Interest is the legitimate interest pursued (Art. 13(1)(d)), from
	// the balancing test; "" for other bases.
	Interest  string `json:"interest"`
	Retention string `json:"retention"` // "" when the register does not say
}

// AccessRight is one right of the person, in plain words.
type AccessRight struct {
	Right   string `json:"right"`   // stable id: access, rectification, …
	Title   string `json:"title"`   // e.g. "Right of access"
	Article string `json:"article"` // e.g. "Art. 15 GDPR"
	Text    string `json:"text"`
}

// AccessAbout is the plain-language part: who the controller is, why the
// data is used, who receives it, how long it is kept, where it came from
// and the person's rights. Empty settings are left empty here; the sheets
// say in words that they were not recorded.
type AccessAbout struct {
	Notice           string            `json:"notice"` // what this package is (and, if so, that the person was anonymized)
	Controller       AccessParty       `json:"controller"`
	DPO              AccessParty       `json:"dpo"`
	EURepresentative AccessParty       `json:"eu_representative"`
	PrivacyPolicyURL string            `json:"privacy_policy_url"`
	Purposes         []AccessPurpose   `json:"purposes"`      // this person's, from the register
	PurposesText     string            `json:"purposes_text"` // the owner's general words (settings)
	Categories       []AccessCategory  `json:"data_categories"`
	Recipients       []AccessRecipient `json:"recipients"`
	Retention        string            `json:"retention"`
	DataSource       string            `json:"data_source"`      // the contact's source label, e.g. "webform:newsletter"
	DataSourceText   string            `json:"data_source_text"` // the same in plain words, with the date
	// DataSourceAt is when the person's record was added: for a file
	// import, the import's date (its audit entry), else the record's
	// created time; DataSourceImported says it came in by an import.
	DataSourceAt       time.Time     `json:"data_source_at,omitzero"`
	DataSourceImported bool          `json:"data_source_imported"`
	AutomatedDecisions string        `json:"automated_decisions"`      // the setting: "" none
	AutomatedText      string        `json:"automated_decisions_text"` // in plain words (Art. 15(1)(h))
	ResponseTime       string        `json:"response_time"`            // when we answer (Art. 12(3))
	HowToAsk           string        `json:"how_to_ask"`               // how to use the rights
	Rights             []AccessRight `json:"rights"`
}

// AccessCategory is one category of data held on the person
// (gdpr.Contact.DataCategories).
type AccessCategory = gdpr.DataCategory

// AccessProfile is every field of the contact. For an anonymized contact
// the personal fields are empty and created_at keeps only the year (1
// January of it).
type AccessProfile struct {
	ID           gdpr.ContactID    `json:"id"`
	FirstName    string            `json:"first_name"`
	LastName     string            `json:"last_name"`
	Email        string            `json:"email"`
	PastEmails   []string          `json:"past_emails"`
	Phone        string            `json:"phone"`
	Street       string            `json:"street"`
	City         string            `json:"city"`
	Region       string            `json:"region"`
	PostalCode   string            `json:"postal_code"`
	Country      string            `json:"country"`      // ISO 3166-1 alpha-2, "" unknown
	CountryName  string            `json:"country_name"` // English short name
	Company      string            `json:"company"`
	Notes        string            `json:"notes"`
	Custom       map[string]string `json:"custom"`
	Status       string            `json:"status"` // active, restricted or anonymized
	Source       string            `json:"source"`
	Tags         []string          `json:"tags"`
	BalanceCents int64             `json:"balance_cents"`
	OpenContract bool              `json:"open_contract"`
	CreatedAt    time.Time         `json:"created_at,omitzero"`
	UpdatedAt    time.Time         `json:"updated_at,omitzero"`
	AnonymizedAt time.Time         `json:"anonymized_at,omitzero"`
}

// AccessBasis is one lawful basis the person's data is processed on.
type AccessBasis struct {
	Basis    gdpr.Basis `json:"basis"`   // e.g. consent
	Label    string     `json:"label"`   // e.g. "Consent"
	Meaning  string     `json:"meaning"` // what it means, in plain words
	Source   string     `json:"source"`
	Evidence string     `json:"evidence"`
	At       time.Time  `json:"at,omitzero"`
	By       string     `json:"by"`
}

// The states of an AccessText.
const (
	TextFound       = "found"        // the version is stored: Text is the exact wording
	TextNotRecorded = "not_recorded" // the consent record names no version
	TextNotFound    = "not_found"    // the record names a version the store does not hold
)

// AccessText is the wording (consent text or privacy policy) in force when a
// consent was given or withdrawn.
type AccessText struct {
	Version     int       `json:"version"` // 0: not recorded
	State       string    `json:"state"`   // TextFound, TextNotRecorded or TextNotFound
	EffectiveAt time.Time `json:"effective_at,omitzero"`
	SHA256      string    `json:"sha256"`
	// Verified is true when Text still matches SHA256.
	Verified bool   `json:"verified"`
	Text     string `json:"text"`
}

// AccessConsent is one grant or withdrawal of consent.
type AccessConsent struct {
	Purpose       string     `json:"purpose"`
	Granted       bool       `json:"granted"` // false: withdrawn
	At            time.Time  `json:"at"`
	Method        string     `json:"method"`
	ConsentText   AccessText `json:"consent_text"`
	PrivacyPolicy AccessText `json:"privacy_policy"`
}

// AccessRequest is one data-subject request of the person.
type AccessRequest struct {
	ID            gdpr.RequestID      `json:"id"`
	Type          gdpr.RequestType    `json:"type"`
	Received      time.Time           `json:"received"` // a date: midnight UTC
	Channel       gdpr.Channel        `json:"channel"`
	Status        gdpr.RequestStatus  `json:"status"`
	Due           time.Time           `json:"due"` // a date: midnight UTC
	ClosedAt      time.Time           `json:"closed_at,omitzero"`
	Outcome       string              `json:"outcome"`
	Note          string              `json:"note"`
	Verified      *gdpr.Verification  `json:"verified"`
	Extension     *gdpr.Extension     `json:"extension"`
	Notifications []gdpr.Notification `json:"notifications"`
	ExportSHA256  string              `json:"export_sha256"`
	ExportedAt    time.Time           `json:"exported_at,omitzero"`
	AnonymizedAt  time.Time           `json:"anonymized_at,omitzero"`
}

// AccessAuditEntry is one audit-log entry about the person: about the
// contact record or about one of the person's requests.
type AccessAuditEntry struct {
	Seq      uint64    `json:"seq"`
	At       time.Time `json:"at"`
	Operator string    `json:"operator"`
	Action   string    `json:"action"`
	Record   string    `json:"record"`
	Detail   string    `json:"detail"`
	Personal string    `json:"personal"` // the sealed part (e.g. old and new values of an edit), when it exists
	// PersonalErased is true when the sealed part was destroyed with the
	// person's key on anonymization.
	PersonalErased bool `json:"personal_erased"`
}

// BuildAccessPackage gathers everything held on contact id as of now.
func BuildAccessPackage(src AccessSource, id gdpr.ContactID, now time.Time) (*AccessPackage, error) {
	c, err := src.Contact(id)
	if err != nil {
		return nil, fmt.Errorf("access package: %w", err)
	}
	reqs, err := src.Requests(store.RequestFilter{Contact: id})
	if err != nil {
		return nil, fmt.Errorf("access package for %s: read requests: %w", id, err)
	}
	sort.Slice(reqs, func(i, j int) bool { return reqs[i].ID < reqs[j].ID })
	audit, err := accessAudit(src, id, reqs)
	if err != nil {
		return nil, fmt.Errorf("access package for %s: read audit log: %w", id, err)
	}
	st, err := src.Settings()
	if err != nil {
		return nil, fmt.Errorf("access package for %s: %w", id, err)
	}
	versions, err := src.PolicyVersions()
	if err != nil {
		return nil, fmt.Errorf("access package for %s: read policy versions: %w", id, err)
	}
	purposes, err := src.Purposes()
	if err != nil {
		return nil, fmt.Errorf("access package for %s: read the purposes: %w", id, err)
	}
	recipients, err := src.Recipients()
	if err != nil {
		return nil, fmt.Errorf("access package for %s: read the recipients: %w", id, err)
	}

	p := &AccessPackage{
		Schema:      AccessSchema,
		GeneratedAt: now.UTC(),
		Contact:     c.ID,
		Anonymized:  c.Status == gdpr.ContactAnonymized,
		Profile:     accessProfile(&c),
		Bases:       make([]AccessBasis, 0, len(c.Bases)),
		Consents:    make([]AccessConsent, 0, len(c.Consents)),
		Requests:    make([]AccessRequest, 0, len(reqs)),
		Audit:       audit,
	}
	for _, b := range c.Bases {
		p.Bases = append(p.Bases, AccessBasis{Basis: b.Basis, Label: b.Basis.Label(), Meaning: basisMeaning(b.Basis),
			Source: b.Source, Evidence: b.Evidence, At: b.At.UTC(), By: b.By})
	}
	consents := append([]gdpr.ConsentRecord(nil), c.Consents...)
	sort.SliceStable(consents, func(i, j int) bool { return consents[i].At.Before(consents[j].At) })
	for _, r := range consents {
		p.Consents = append(p.Consents, AccessConsent{Purpose: r.Purpose, Granted: r.Granted, At: r.At.UTC(), Method: r.Method,
			ConsentText:   accessText(versions, gdpr.PolicyConsent, r.ConsentVersion),
			PrivacyPolicy: accessText(versions, gdpr.PolicyPrivacy, r.PolicyVersion)})
	}
	for _, r := range reqs {
		ar := AccessRequest{ID: r.ID, Type: r.Type, Received: r.Received.UTC(), Channel: r.Channel, Status: r.Status,
			Due: r.Due.UTC(), ClosedAt: r.ClosedAt.UTC(), Outcome: r.Outcome, Note: r.Note, Verified: r.Verified,
			Extension: r.Extension, Notifications: r.Notifications, ExportSHA256: r.ExportSHA256,
			ExportedAt: r.ExportedAt.UTC(), AnonymizedAt: r.AnonymizedAt.UTC()}
		if ar.Notifications == nil {
			ar.Notifications = []gdpr.Notification{}
		}
		p.Requests = append(p.Requests, ar)
	}
	p.About = accessAbout(&c, st, p, now)
	p.About.Purposes, p.About.Recipients = accessPurposes(&c, purposes, recipients, st)
	p.About.Categories = c.DataCategories(len(reqs))
	if p.About.Categories == nil {
		p.About.Categories = []AccessCategory{}
	}
	p.Portability = portabilityOf(&c, reqs)
	return p, nil
}

// accessAudit returns the entries about the contact and about each of its
// requests, oldest first, each once.
func accessAudit(src AccessSource, id gdpr.ContactID, reqs []gdpr.Request) ([]AccessAuditEntry, error) {
	records := []string{id.String()}
	for _, r := range reqs {
		records = append(records, r.ID.String())
	}
	seen := map[uint64]bool{}
	out := []AccessAuditEntry{}
	for _, rec := range records {
		entries, err := src.AuditOf(rec)
		if err != nil {
			return nil, err
		}
		for _, e := range entries {
			if seen[e.Seq] {
				continue
			}
			seen[e.Seq] = true
			// An entry about many contacts at once (a bulk change) names
			// none of them: here it is about the one looked up.
			record := e.Record
			if record == "" {
				record = rec
			}
			out = append(out, AccessAuditEntry{Seq: e.Seq, At: e.At.UTC(), Operator: e.Operator, Action: e.Action,
				Record: record, Detail: e.Detail, Personal: e.Personal, PersonalErased: e.Erased})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Seq < out[j].Seq })
	return out, nil
}

func accessProfile(c *gdpr.Contact) AccessProfile {
	p := AccessProfile{ID: c.ID, FirstName: c.FirstName, LastName: c.LastName, Email: c.Email,
		PastEmails: append([]string{}, c.PastEmails...), Phone: c.Phone, Street: c.Street, City: c.City,
		Region: c.Region, PostalCode: c.PostalCode, Country: c.Country, CountryName: gdpr.CountryName(c.Country),
		Company: c.Company, Notes: c.Notes, Custom: make(map[string]string, len(c.Custom)),
		Status: string(c.Status), Source: c.Source, Tags: append([]string{}, c.Tags...),
		BalanceCents: c.Balance, OpenContract: c.OpenContract,
		CreatedAt: c.CreatedAt.UTC(), UpdatedAt: c.UpdatedAt.UTC(), AnonymizedAt: c.AnonymizedAt.UTC()}
	for k, v := range c.Custom {
		p.Custom[k] = v
	}
	return p
}

// accessText finds the version a consent record names.
func accessText(versions []gdpr.PolicyVersion, kind gdpr.PolicyKind, version int) AccessText {
	if version <= 0 {
		return AccessText{State: TextNotRecorded}
	}
	for _, v := range versions {
		if v.Kind == kind && v.Version == version {
			return AccessText{Version: version, State: TextFound, EffectiveAt: v.EffectiveAt.UTC(), SHA256: v.SHA256,
				Verified: v.Verify() == nil, Text: v.Text}
		}
	}
	return AccessText{Version: version, State: TextNotFound}
}

func party(p gdpr.Person) AccessParty {
	return AccessParty{Name: strings.TrimSpace(p.Name), Email: strings.TrimSpace(p.Email), Address: strings.TrimSpace(p.Address)}
}

func (p AccessParty) filled() bool { return p.Name != "" || p.Email != "" || p.Address != "" }

// lines is the party as one block of text: name, email and address, one a
// line.
func (p AccessParty) lines() string {
	var out []string
	for _, s := range []string{p.Name, p.Email, p.Address} {
		if s != "" {
			out = append(out, s)
		}
	}
	return strings.Join(out, "\n")
}

func accessAbout(c *gdpr.Contact, st gdpr.Settings, p *AccessPackage, now time.Time) AccessAbout {
	a := AccessAbout{
		Controller:         party(st.Controller),
		DPO:                party(st.DPO),
		EURepresentative:   party(st.EURep),
		PrivacyPolicyURL:   strings.TrimSpace(st.PrivacyPolicyURL),
		PurposesText:       strings.TrimSpace(st.Purposes),
		Retention:          strings.TrimSpace(st.Retention),
		DataSource:         c.Source,
		AutomatedDecisions: strings.TrimSpace(st.AutomatedDecisions),
		ResponseTime: "We answer within one month of receiving your request. Where necessary, taking into account how complex " +
			"the request is and how many we have, we may extend this by two further months; we then tell you within the first " +
			"month, with the reasons (Art. 12(3) GDPR).",
		Rights: accessRights(),
	}
	if !p.Anonymized {
		a.DataSourceAt, a.DataSourceImported = sourceAdded(c, p.Audit)
	}
	a.DataSourceText = sourceWords(c.Source, a.DataSourceAt, a.DataSourceImported)
	if a.DataSourceImported && !gdpr.Day(c.CreatedAt).Equal(gdpr.Day(a.DataSourceAt)) {
		a.DataSourceText += " The file gave " + c.CreatedAt.UTC().Format("2 January 2006") + " as the date you were first recorded."
	}
	if a.AutomatedDecisions == "" {
		a.AutomatedText = "We make no decisions about you by automated means alone, profiling included, that have legal or " +
			"similarly significant effects on you (Art. 22 GDPR)."
	} else {
		a.AutomatedText = "We use automated decision-making: " + a.AutomatedDecisions +
			" You may ask for a person to review such a decision, give your point of view and contest it (Art. 22(3) GDPR)."
	}
	who := a.Controller.Name
	if who == "" {
		who = "the business that sent you this file"
	}
	when := now.UTC().Format("2 January 2006, 15:04 UTC")
	switch {
	case p.Anonymized:
		a.Notice = fmt.Sprintf("Your record (%s) was anonymized on %s: your name, contact details and everything else "+
			"that identified you were erased for good and cannot be recovered. This file, made on %s by %s, "+
			"shows what remains. It identifies nobody and is kept only so that our counts still add up.",
			c.ID, c.AnonymizedAt.UTC().Format("2 January 2006"), when, who)
	default:
		a.Notice = fmt.Sprintf("This is everything %s holds about you in its customer records (record %s), as of %s. "+
			"You are entitled to it under your right of access (Art. 15 GDPR). Each part is in a sheet or file of its own.",
			who, c.ID, when)
		switch {
		case c.Status == gdpr.ContactRestricted && !c.RestrictedAt.IsZero():
			a.Notice += fmt.Sprintf(" Since %s your record is restricted (Art. 18 GDPR): we keep it, but we do not otherwise use it, "+
				"and never for marketing.", c.RestrictedAt.UTC().Format("2 January 2006"))
		case c.Status == gdpr.ContactRestricted:
			a.Notice += " Your record is restricted: we keep it, but we do not use it for marketing."
		}
	}
	contact := a.Controller.Email
	switch {
	case contact != "" && a.DPO.Email != "":
		a.HowToAsk = fmt.Sprintf("Write to us at %s, or to our Data Protection Officer at %s.", contact, a.DPO.Email)
	case contact != "":
		a.HowToAsk = fmt.Sprintf("Write to us at %s.", contact)
	case a.DPO.Email != "":
		a.HowToAsk = fmt.Sprintf("Write to our Data Protection Officer at %s.", a.DPO.Email)
	default:
		a.HowToAsk = "Reply to the message that brought you this file."
	}
	a.HowToAsk += " It costs nothing. We answer within one month, extendable by two further months where necessary (Art. 12(3) GDPR)."
	return a
}

// accessRights are the person's rights in plain words (own wording).
func accessRights() []AccessRight {
	return []AccessRight{
		{"access", "Right of access", "Art. 15 GDPR",
			"You may ask us at any time what we hold about you, why, and who gets it, and receive a copy, like this one."},
		{"rectification", "Right to rectification", "Art. 16 GDPR",
			"If anything here is wrong or incomplete, tell us and we will correct it."},
		{"erasure", "Right to erasure", "Art. 17 GDPR",
			"You may ask us to delete your data. We will, unless a law or a contract still running obliges us to keep part of it; then we tell you what and why."},
		{"restriction", "Right to restriction", "Art. 18 GDPR",
			"You may ask us to keep your data but stop using it, for example while we check a correction you asked for."},
		{"objection", "Right to object", "Art. 21 GDPR",
			"You may object to our use of your data for our legitimate interests, and to marketing at any time; marketing then stops for good."},
		{"portability", "Right to data portability", "Art. 20 GDPR",
			"You may have the data you gave us in a machine-readable file (such as the JSON or CSV form of this package) to take elsewhere, or ask us to send it to another business."},
		{"withdraw_consent", "Right to withdraw consent", "Art. 7(3) GDPR",
			"Where we rely on your consent, you may withdraw it at any time, as easily as you gave it. What we did before stays lawful."},
		{"complaint", "Right to complain", "Art. 77 GDPR",
			"If you think we handle your data wrongly, you may complain to a data protection authority, in particular in the EU country where you live or work or where the problem happened."},
	}
}

// basisMeaning says what a lawful basis means for the person.
func basisMeaning(b gdpr.Basis) string {
	switch b {
	case gdpr.BasisConsent:
		return "You agreed to this use of your data. You may withdraw your consent at any time."
	case gdpr.BasisContract:
		return "We need the data to deliver what you bought or asked for, or to prepare a contract with you."
	case gdpr.BasisLegalObligation:
		return "A law obliges us to keep or use the data (for example tax and accounting records)."
	case gdpr.BasisVitalInterests:
		return "The data is needed to protect someone's life or health."
	case gdpr.BasisPublicTask:
		return "The data is needed for a task in the public interest or an official duty."
	case gdpr.BasisLegitimateInterests:
		return "We have a legitimate business reason that we weighed against your interests. You may object to it."
	}
	return ""
}

// sourceAdded is when the person's record was added: for a record that
// came in by a file import, the date of the import (its audit entry; the
// created time is what the file said); otherwise the record's created time.
func sourceAdded(c *gdpr.Contact, audit []AccessAuditEntry) (time.Time, bool) {
	for _, e := range audit {
		switch gdpr.Action(e.Action) {
		case gdpr.ActionContactImport:
			return e.At, true
		case gdpr.ActionContactCreate:
			return c.CreatedAt.UTC(), false
		}
	}
	return c.CreatedAt.UTC(), false
}

// sourceWords says in plain words where the person's data came from: the
// source label (an import's label names its file) and the date it was
// added (Art. 15(1)(g)).
func sourceWords(src string, added time.Time, imported bool) string {
	var s string
	label := src != "" // say the label as recorded, unless the sentence names it
	switch {
	case imported && src != "":
		s, label = fmt.Sprintf("Your details came from a file we imported into our records, labelled %q.", src), false
	case imported:
		s = "Your details came from a file we imported into our records; no source label was recorded for it."
	case src == "":
		s = "No source was recorded when your details were added."
	case src == gdpr.SourceImport:
		s = "Your details came from a list we imported from an earlier system."
	case src == gdpr.SourceManual:
		s = "Our staff entered your details by hand."
	case src == gdpr.SourcePurchase:
		s = "You bought something from us."
	case src == gdpr.SourceInPerson:
		s = "You gave us your details in person."
	case strings.HasPrefix(src, "webform:"):
		s = fmt.Sprintf("You filled in our web form %q.", strings.TrimPrefix(src, "webform:"))
	case strings.HasPrefix(src, "import"):
		s, label = fmt.Sprintf("Your details came from a list we imported, labelled %q.", src), false
	default:
		s, label = fmt.Sprintf("Recorded as %q.", src), false
	}
	if label {
		s += fmt.Sprintf(" (Recorded as %q.)", src)
	}
	if !added.IsZero() {
		verb := "Added to our records"
		if imported {
			verb = "Imported"
		}
		s += " " + verb + " on " + added.UTC().Format("2 January 2006") + "."
	}
	return s
}

// accessPurposes lists the purposes that apply to the person
// (gdpr.PurposesOf) and the recipients that received their data
// (gdpr.RecipientsOf), each with the person's purposes it serves. A store
// whose recipients register is empty but whose settings still list
// recipients (written before the register) names those, all of them: it
// cannot tell which received the data, and naming too many is the safe
// side of Art. 15(1)(c).
func accessPurposes(c *gdpr.Contact, register []gdpr.Purpose, recipients []gdpr.Recipient, st gdpr.Settings) ([]AccessPurpose, []AccessRecipient) {
	mine := gdpr.PurposesOf(c, register)
	ps := make([]AccessPurpose, 0, len(mine))
	applies := map[string]bool{}
	for _, p := range mine {
		applies[p.Name] = true
		ap := AccessPurpose{Name: p.Name, Description: p.Description, Basis: p.Basis, BasisLabel: p.Basis.Label(),
			Marketing: p.Marketing, Retention: p.Retention}
		if p.Basis == gdpr.BasisLegitimateInterests && p.Balancing != nil {
			ap.Interest = p.Balancing.Interest
		}
		ps = append(ps, ap)
	}
	list := gdpr.RecipientsOf(c, register, recipients)
	if len(recipients) == 0 && c.Status != gdpr.ContactAnonymized {
		for _, r := range st.Recipients {
			list = append(list, r.LegacyRole())
		}
	}
	rs := make([]AccessRecipient, 0, len(list))
	for _, r := range list {
		ar := AccessRecipient{Name: r.Name, Role: string(r.Role), Service: r.Service, Contact: r.Contact,
			Country: r.Country, CountryName: gdpr.CountryName(r.Country), OutsideEEA: r.ThirdCountry(),
			SafeguardAt: r.SafeguardAt.UTC(), Purposes: []string{}}
		if ar.OutsideEEA && r.Safeguard != "" {
			ar.Safeguard, ar.SafeguardLabel = string(r.Safeguard), r.SafeguardLabel()
		}
		if !ar.OutsideEEA {
			ar.SafeguardAt = time.Time{}
		}
		for _, name := range r.Purposes {
			if applies[name] {
				ar.Purposes = append(ar.Purposes, name)
			}
		}
		rs = append(rs, ar)
	}
	return ps, rs
}

// The sheets (XLSX) and files (CSV) of an access package share one layout:
// a table per section, built here from the package. A cell is a string, an
// accessTime, an int64, or nil (empty). Strings are the exact values: no
// writer puts a "'" in front of them (see WriteAccessXLSX, WriteAccessCSVZip).

type accessTime struct {
	t   time.Time
	day bool // a date without a time of day
}

type accessTable struct {
	sheet  string // worksheet name
	file   string // CSV file name in the zip
	header []string
	rows   [][]any
}

// The section names, in order: worksheet and CSV file.
var accessSections = []struct{ sheet, file string }{
	{"About", "about.csv"},
	{"Profile", "profile.csv"},
	{"Lawful bases", "bases.csv"},
	{"Consents", "consents.csv"},
	{"Requests", "requests.csv"},
	{"Audit", "audit.csv"},
}

func timeCell(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return accessTime{t: t.UTC()}
}

func dayCell(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return accessTime{t: t.UTC(), day: true}
}

func textCellOrNil(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// tables lays the package out as its six sections.
func (p *AccessPackage) tables() []accessTable {
	return []accessTable{p.aboutTable(), p.profileTable(), p.basesTable(), p.consentsTable(), p.requestsTable(), p.auditTable()}
}

func (p *AccessPackage) aboutTable() accessTable {
	a := &p.About
	t := accessTable{sheet: accessSections[0].sheet, file: accessSections[0].file, header: []string{"Topic", "Details"}}
	add := func(topic string, v any) { t.rows = append(t.rows, []any{topic, v}) }
	orSay := func(s, missing string) string {
		if s == "" {
			return missing
		}
		return s
	}
	add("This file", a.Notice)
	add("Made on (UTC)", timeCell(p.GeneratedAt))
	add("Who is responsible for your data (the controller)",
		orSay(a.Controller.lines(), "Not recorded in our settings: reply to the message that brought you this file."))
	if a.DPO.filled() {
		add("Our Data Protection Officer", a.DPO.lines())
	} else {
		add("Our Data Protection Officer", "We have not appointed a Data Protection Officer. Write to us directly (see above).")
	}
	if a.EURepresentative.filled() {
		add("Our representative in the EU", a.EURepresentative.lines())
	}
	add("Why we use your data, and on what legal ground", orSay(purposeLines(a), "Not yet described in our records. Ask us and we will tell you."))
	add("The data we hold on you", orSay(categoryLines(a.Categories), "Nothing that identifies you."))
	if len(a.Recipients) == 0 {
		add("Who receives your data", "Nobody outside our business, as far as our records show.")
	} else {
		add("Who receives your data", recipientLines(a.Recipients))
	}
	add("How long we keep it", orSay(retentionLines(a), "Not yet stated in our records. Ask us and we will tell you."))
	add("Where your data came from", a.DataSourceText)
	add("Automated decisions and profiling", a.AutomatedText)
	if a.PrivacyPolicyURL != "" {
		add("Our privacy policy", a.PrivacyPolicyURL)
	}
	add("What this file holds", fmt.Sprintf("Profile: your details as we hold them. Lawful bases: %d. Consent records: %d. "+
		"Requests you made: %d. Log entries about you: %d.", len(p.Bases), len(p.Consents), len(p.Requests), len(p.Audit)))
	add("How to use your rights", a.HowToAsk)
	add("When we answer", a.ResponseTime)
	for _, r := range a.Rights {
		add(r.Title+" ("+r.Article+")", r.Text)
	}
	return t
}

// purposeLines is one line per purpose of the person: what for, on which
// lawful basis (and, for legitimate interests, which interest). Without a
// register entry that applies, the owner's general words stand in.
func purposeLines(a *AccessAbout) string {
	if len(a.Purposes) == 0 {
		return a.PurposesText
	}
	var lines []string
	for _, p := range a.Purposes {
		l := p.Name
		if p.Description != "" {
			l += ": " + p.Description
		}
		l += ". Lawful basis: " + p.BasisLabel + " (" + basisArticle(p.Basis) + ")"
		if p.Interest != "" {
			l += "; our interest: " + p.Interest
		}
		if p.Marketing {
			l += "; this is direct marketing, which you may object to at any time (Art. 21(2))"
		}
		lines = append(lines, l+".")
	}
	return strings.Join(lines, "\n")
}

func categoryLines(cs []AccessCategory) string {
	var lines []string
	for _, c := range cs {
		lines = append(lines, c.Label+": "+strings.Join(c.Fields, ", "))
	}
	return strings.Join(lines, "\n")
}

// recipientLines is one line per recipient: name, role and service,
// country, and outside the EEA the transfer safeguard (Art. 15(2)).
func recipientLines(rs []AccessRecipient) string {
	var lines []string
	for _, r := range rs {
		l := r.Name
		var what []string
		if r.Role != "" {
			what = append(what, recipientRoleWords(r.Role))
		}
		if r.Service != "" {
			what = append(what, r.Service)
		}
		if len(what) > 0 {
			l += " (" + strings.Join(what, ", ") + ")"
		}
		if r.CountryName != "" {
			l += ", in " + r.CountryName
		}
		if r.OutsideEEA {
			switch {
			case r.Safeguard == "":
				l += ", outside the EEA; no transfer safeguard is recorded: ask us"
			case r.SafeguardAt.IsZero():
				l += ", outside the EEA, safeguarded by " + r.SafeguardLabel
			default:
				l += ", outside the EEA, safeguarded by " + r.SafeguardLabel + " of " + r.SafeguardAt.Format(time.DateOnly)
			}
		}
		if r.Contact != "" {
			l += "; " + r.Contact
		}
		lines = append(lines, l)
	}
	return strings.Join(lines, "\n")
}

func recipientRoleWords(role string) string {
	switch gdpr.RecipientRole(role) {
	case gdpr.RecipientProcessor:
		return "processes it on our behalf"
	case gdpr.RecipientController:
		return "uses it under its own responsibility"
	case gdpr.RecipientJoint:
		return "decides with us how it is used (joint controller)"
	}
	return role
}

// retentionLines is how long the data is kept per purpose (Art.
// 15(1)(d)), then the owner's general words.
func retentionLines(a *AccessAbout) string {
	var lines []string
	for _, p := range a.Purposes {
		if p.Retention != "" {
			lines = append(lines, p.Name+": "+p.Retention)
		}
	}
	if a.Retention != "" {
		lines = append(lines, a.Retention)
	}
	return strings.Join(lines, "\n")
}

// basisArticle names the point of Art. 6(1) a basis stands on.
func basisArticle(b gdpr.Basis) string {
	switch b {
	case gdpr.BasisConsent:
		return "Art. 6(1)(a)"
	case gdpr.BasisContract:
		return "Art. 6(1)(b)"
	case gdpr.BasisLegalObligation:
		return "Art. 6(1)(c)"
	case gdpr.BasisVitalInterests:
		return "Art. 6(1)(d)"
	case gdpr.BasisPublicTask:
		return "Art. 6(1)(e)"
	case gdpr.BasisLegitimateInterests:
		return "Art. 6(1)(f)"
	}
	return "Art. 6(1)"
}

func (p *AccessPackage) profileTable() accessTable {
	pr := &p.Profile
	t := accessTable{sheet: accessSections[1].sheet, file: accessSections[1].file, header: []string{"Field", "Value"}}
	add := func(field string, v any) {
		if p.Anonymized && v == nil {
			return // an anonymized record: only what remains
		}
		t.rows = append(t.rows, []any{field, v})
	}
	country := pr.Country
	if pr.CountryName != "" {
		country += " (" + pr.CountryName + ")"
	}
	add("Record", pr.ID.String())
	add("First name", textCellOrNil(pr.FirstName))
	add("Last name", textCellOrNil(pr.LastName))
	add("Email", textCellOrNil(pr.Email))
	add("Earlier emails", textCellOrNil(strings.Join(pr.PastEmails, "\n")))
	add("Phone", textCellOrNil(pr.Phone))
	add("Street", textCellOrNil(pr.Street))
	add("City", textCellOrNil(pr.City))
	add("Region", textCellOrNil(pr.Region))
	add("Postal code", textCellOrNil(pr.PostalCode))
	add("Country", textCellOrNil(country))
	add("Company", textCellOrNil(pr.Company))
	add("Notes", textCellOrNil(pr.Notes))
	add("Status", pr.Status)
	add("Source", textCellOrNil(pr.Source))
	add("Tags", textCellOrNil(strings.Join(pr.Tags, ", ")))
	if p.Anonymized {
		if !pr.CreatedAt.IsZero() {
			add("Added in (year)", int64(pr.CreatedAt.Year()))
		}
		add("Anonymized on (UTC)", timeCell(pr.AnonymizedAt))
		return t
	}
	add("Unpaid balance (cents)", pr.BalanceCents)
	add("Open contract", map[bool]string{true: "yes", false: "no"}[pr.OpenContract])
	add("Added on (UTC)", timeCell(pr.CreatedAt))
	add("Last changed (UTC)", timeCell(pr.UpdatedAt))
	names := make([]string, 0, len(pr.Custom))
	for k := range pr.Custom {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		add("Custom: "+k, textCellOrNil(pr.Custom[k]))
	}
	return t
}

func (p *AccessPackage) basesTable() accessTable {
	t := accessTable{sheet: accessSections[2].sheet, file: accessSections[2].file,
		header: []string{"Lawful basis", "What it means", "Source", "Evidence", "Recorded on (UTC)", "Recorded by"}}
	for _, b := range p.Bases {
		t.rows = append(t.rows, []any{b.Label, b.Meaning, textCellOrNil(b.Source), textCellOrNil(b.Evidence), timeCell(b.At), textCellOrNil(b.By)})
	}
	return t
}

// versionWords is the version column of a consent: the number, or why there
// is none.
func versionWords(x AccessText) any {
	switch x.State {
	case TextFound:
		return int64(x.Version)
	case TextNotFound:
		return fmt.Sprintf("version %d (not found in our records)", x.Version)
	}
	return "not recorded"
}

func textWords(x AccessText) any {
	if x.State != TextFound {
		return nil
	}
	if !x.Verified {
		return x.Text + "\n\n[Warning: this stored text no longer matches its SHA-256 fingerprint.]"
	}
	return x.Text
}

func (p *AccessPackage) consentsTable() accessTable {
	t := accessTable{sheet: accessSections[3].sheet, file: accessSections[3].file,
		header: []string{"Purpose", "Given or withdrawn", "When (UTC)", "How",
			"Consent wording version", "Consent wording in force from (UTC)", "Consent wording", "Consent wording SHA-256",
			"Privacy policy version", "Privacy policy in force from (UTC)", "Privacy policy", "Privacy policy SHA-256"}}
	for _, c := range p.Consents {
		given := "withdrawn"
		if c.Granted {
			given = "given"
		}
		t.rows = append(t.rows, []any{c.Purpose, given, timeCell(c.At), textCellOrNil(c.Method),
			versionWords(c.ConsentText), timeCell(c.ConsentText.EffectiveAt), textWords(c.ConsentText), textCellOrNil(c.ConsentText.SHA256),
			versionWords(c.PrivacyPolicy), timeCell(c.PrivacyPolicy.EffectiveAt), textWords(c.PrivacyPolicy), textCellOrNil(c.PrivacyPolicy.SHA256)})
	}
	return t
}

func (p *AccessPackage) requestsTable() accessTable {
	t := accessTable{sheet: accessSections[4].sheet, file: accessSections[4].file,
		header: []string{"Request", "Type", "Received", "Channel", "Status", "Due", "Closed on (UTC)", "Outcome",
			"Identity checked", "Extension", "Recipients told (UTC)", "Package sent (SHA-256)", "Note"}}
	const stamp = "2006-01-02 15:04"
	for _, r := range p.Requests {
		var verified, ext, sent string
		if v := r.Verified; v != nil {
			verified = strings.TrimSpace(fmt.Sprintf("by %s on %s: %s", v.By, v.At.UTC().Format(stamp), v.How))
		}
		if e := r.Extension; e != nil {
			ext = fmt.Sprintf("extended to %s: %s (you were told on %s)", e.Due.UTC().Format(time.DateOnly), e.Reason, e.ToldAt.UTC().Format(time.DateOnly))
		}
		var told []string
		for _, n := range r.Notifications {
			told = append(told, fmt.Sprintf("%s on %s", n.Recipient, n.At.UTC().Format(stamp)))
		}
		if r.ExportSHA256 != "" {
			sent = r.ExportSHA256
			if !r.ExportedAt.IsZero() {
				sent += " on " + r.ExportedAt.UTC().Format(stamp)
			}
		}
		outcome := r.Outcome
		if !r.AnonymizedAt.IsZero() {
			outcome = strings.TrimSpace(outcome + "\n(record anonymized on " + r.AnonymizedAt.UTC().Format(stamp) + " UTC)")
		}
		t.rows = append(t.rows, []any{r.ID.String(), string(r.Type), dayCell(r.Received), string(r.Channel), strings.ReplaceAll(string(r.Status), "_", " "),
			dayCell(r.Due), timeCell(r.ClosedAt), textCellOrNil(outcome), textCellOrNil(verified), textCellOrNil(ext),
			textCellOrNil(strings.Join(told, "\n")), textCellOrNil(sent), textCellOrNil(r.Note)})
	}
	return t
}

func (p *AccessPackage) auditTable() accessTable {
	t := accessTable{sheet: accessSections[5].sheet, file: accessSections[5].file,
		header: []string{"Entry", "When (UTC)", "By", "Action", "Record", "What happened", "Personal details"}}
	for _, e := range p.Audit {
		personal := textCellOrNil(e.Personal)
		if e.PersonalErased {
			personal = "(erased with your personal data)"
		}
		t.rows = append(t.rows, []any{int64(e.Seq), timeCell(e.At), textCellOrNil(e.Operator), e.Action, textCellOrNil(e.Record), textCellOrNil(e.Detail), personal})
	}
	return t
}

// AccessExt is the file extension of an access-package format (xlsx; csv,
// a zip of one CSV per section; json), or "" for an unknown format.
func AccessExt(format string) string {
	switch format {
	case FormatXLSX:
		return ".xlsx"
	case FormatCSV:
		return ".zip"
	case FormatJSON:
		return ".json"
	}
	return ""
}

// WriteAccess writes a package in a format (xlsx, csv or json); a password
// encrypts the XLSX and is refused for the others.
func WriteAccess(w io.Writer, p *AccessPackage, format, password string) error {
	if password != "" && format != FormatXLSX {
		return fmt.Errorf("a password works with the xlsx format only")
	}
	switch format {
	case FormatXLSX:
		return WriteAccessXLSX(w, p, password)
	case FormatCSV:
		return WriteAccessCSVZip(w, p)
	case FormatJSON:
		return WriteAccessJSON(w, p)
	}
	return fmt.Errorf("unknown access package format %q: use xlsx, csv or json", format)
}
