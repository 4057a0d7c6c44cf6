package store

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"hash"
	"slices"
	"time"
	"unicode/utf8"

	"github.com/gdprdesk/gdprdesk/gdpr"
)

// Codecs: how domain records become stored bytes and back. Everything
// personal is sealed here and nowhere else.

// contactRec is a contact as stored: the clear fields that indexes, counters
// and statistics need, and the personal data sealed under the contact's key.
type contactRec struct {
	ID           gdpr.ContactID       `json:"id"`
	Slot         Slot                 `json:"slot"`
	Country      string               `json:"country,omitempty"`
	Status       gdpr.ContactStatus   `json:"status"`
	Source       string               `json:"source,omitempty"`
	Tags         []string             `json:"tags,omitempty"`
	Bases        []basisRec           `json:"bases,omitempty"`
	Consents     []gdpr.ConsentRecord `json:"consents,omitempty"`
	Balance      int64                `json:"balance,omitempty"`
	OpenContract bool                 `json:"open_contract,omitempty"`
	CreatedAt    time.Time            `json:"created_at"`
	UpdatedAt    time.Time            `json:"updated_at"`
	AnonymizedAt time.Time            `json:"anonymized_at,omitzero"`
	// The rule book's state (codec version 2): see gdpr.Contact.
	MarketingObjection time.Time  `json:"marketing_objection,omitzero"`
	RestrictedAt       time.Time  `json:"restricted_at,omitzero"`
	Hold               *gdpr.Hold `json:"hold,omitempty"`
	Personal           []byte     `json:"personal,omitempty"` // sealed personalData
	// Search is the sealed gdpr.SearchText that stores of schema 1 kept in
	// every record; the search index (search.go) holds it now, and new
	// records leave it empty.
	Search []byte `json:"search,omitempty"`
}

// basisRec is a basis assignment with its evidence note sealed, since an
// owner may well write the person's name into it.
type basisRec struct {
	Basis    gdpr.Basis `json:"basis"`
	Purpose  string     `json:"purpose,omitempty"`
	Source   string     `json:"source,omitempty"`
	Evidence []byte     `json:"evidence,omitempty"`
	At       time.Time  `json:"at"`
	By       string     `json:"by,omitempty"`
}

// personalData is every identifying field of a contact.
type personalData struct {
	FirstName  string            `json:"fn,omitempty"`
	LastName   string            `json:"ln,omitempty"`
	Email      string            `json:"em,omitempty"`
	PastEmails []string          `json:"pe,omitempty"`
	Phone      string            `json:"ph,omitempty"`
	Street     string            `json:"st,omitempty"`
	City       string            `json:"ci,omitempty"`
	Region     string            `json:"re,omitempty"`
	PostalCode string            `json:"pc,omitempty"`
	Company    string            `json:"co,omitempty"`
	Notes      string            `json:"no,omitempty"`
	Custom     map[string]string `json:"cu,omitempty"`
	// RestrictionReason is why processing is restricted: the owner's words,
	// which may well be about the person.
	RestrictionReason string `json:"rr,omitempty"`
	Language          string `json:"lg,omitempty"`
}

// encodePersonal is json.Marshal(pd), the stored form of a contact's
// personal data, written directly for the common record: no past addresses,
// no custom fields, and no text that encoding/json would escape (a byte
// below 0x20, '"', '\\', '<', '>', '&', U+2028, U+2029 or invalid UTF-8).
// Any other record goes through json.Marshal. An import seals a million of
// these; TestEncodePersonalIsJSONMarshal compares the two ways, filling
// every field of personalData by reflection, so a field added there and
// not to the list below fails it.
func encodePersonal(pd *personalData) ([]byte, error) {
	if len(pd.PastEmails) > 0 || len(pd.Custom) > 0 {
		return json.Marshal(pd)
	}
	// In the struct's order, without pe and cu (empty here).
	fields := [...]struct{ name, v string }{{"fn", pd.FirstName}, {"ln", pd.LastName}, {"em", pd.Email},
		{"ph", pd.Phone}, {"st", pd.Street}, {"ci", pd.City}, {"re", pd.Region}, {"pc", pd.PostalCode},
		{"co", pd.Company}, {"no", pd.Notes}, {"rr", pd.RestrictionReason}, {"lg", pd.Language}}
	n := 2
	for _, f := range fields {
		if f.v == "" {
			continue
		}
		if !plainJSON(f.v) {
			return json.Marshal(pd)
		}
		n += len(f.v) + 8
	}
	out := make([]byte, 0, n)
	out = append(out, '{')
	for _, f := range fields {
		if f.v == "" {
			continue
		}
		if len(out) > 1 {
			out = append(out, ',')
		}
		out = append(out, '"')
		out = append(out, f.name...)
		out = append(out, '"', ':', '"')
		out = append(out, f.v...)
		out = append(out, '"')
	}
	return append(out, '}'), nil
}

// plainJSON reports whether encoding/json writes s between its quotes as
// it is.
func plainJSON(s string) bool {
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c < 0x20 || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
				return false
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 || r == '\u2028' || r == '\u2029' {
			return false
		}
		i += size
	}
	return true
}

func contactAAD(id gdpr.ContactID, what string) []byte {
	return join([]byte(what), u64(uint64(id)))
}

// sealContact turns a domain contact into its stored form, sealing the
// personal fields and evidence notes under key.
func sealContact(c *gdpr.Contact, slot Slot, key []byte) (contactRec, error) {
	rec := contactRec{ID: c.ID, Slot: slot, Country: c.Country, Status: c.Status, Source: c.Source,
		Tags: c.Tags, Consents: c.Consents, Balance: c.Balance, OpenContract: c.OpenContract,
		CreatedAt: c.CreatedAt.UTC(), UpdatedAt: c.UpdatedAt.UTC(), AnonymizedAt: c.AnonymizedAt,
		MarketingObjection: c.MarketingObjection, RestrictedAt: c.RestrictedAt, Hold: c.Hold}
	for _, b := range c.Bases {
		br := basisRec{Basis: b.Basis, Purpose: b.Purpose, Source: b.Source, At: b.At.UTC(), By: b.By}
		if b.Evidence != "" {
			ev, err := seal(key, []byte(b.Evidence), contactAAD(c.ID, "evidence"))
			if err != nil {
				return rec, err
			}
			br.Evidence = ev
		}
		rec.Bases = append(rec.Bases, br)
	}
	if c.Status == gdpr.ContactAnonymized {
		return rec, nil
	}
	pd := personalData{FirstName: c.FirstName, LastName: c.LastName, Email: c.Email, PastEmails: c.PastEmails,
		Phone: c.Phone, Street: c.Street, City: c.City, Region: c.Region, PostalCode: c.PostalCode,
		Company: c.Company, Notes: c.Notes, Custom: c.Custom, RestrictionReason: c.RestrictionReason, Language: c.Language}
	pt, err := encodePersonal(&pd)
	if err != nil {
		return rec, fmt.Errorf("encode contact: %w", err)
	}
	rec.Personal, err = seal(key, pt, contactAAD(c.ID, "personal"))
	return rec, err
}

// clear returns the contact with only its clear fields: enough for query
// terms, counters and indexes, without touching any key.
func (r *contactRec) clear() gdpr.Contact {
	c := gdpr.Contact{ID: r.ID, Country: r.Country, Status: r.Status, Source: r.Source, Tags: r.Tags,
		Consents: r.Consents, Balance: r.Balance, OpenContract: r.OpenContract,
		CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt, AnonymizedAt: r.AnonymizedAt,
		MarketingObjection: r.MarketingObjection, RestrictedAt: r.RestrictedAt, Hold: r.Hold}
	for _, b := range r.Bases {
		c.Bases = append(c.Bases, gdpr.BasisAssignment{Basis: b.Basis, Purpose: b.Purpose, Source: b.Source, At: b.At, By: b.By})
	}
	return c
}

// unsealContact returns the whole contact, personal data included.
func unsealContact(r *contactRec, key []byte) (gdpr.Contact, error) {
	c := r.clear()
	for i, b := range r.Bases {
		if len(b.Evidence) == 0 {
			continue
		}
		ev, err := unseal(key, b.Evidence, contactAAD(r.ID, "evidence"))
		if err != nil {
			return c, fmt.Errorf("contact %s evidence: %w", r.ID, err)
		}
		c.Bases[i].Evidence = string(ev)
	}
	if len(r.Personal) == 0 {
		return c, nil
	}
	pt, err := unseal(key, r.Personal, contactAAD(r.ID, "personal"))
	if err != nil {
		return c, fmt.Errorf("contact %s: %w", r.ID, err)
	}
	var pd personalData
	if err := json.Unmarshal(pt, &pd); err != nil {
		return c, fmt.Errorf("decode contact %s: %w", r.ID, err)
	}
	c.FirstName, c.LastName, c.Email, c.PastEmails = pd.FirstName, pd.LastName, pd.Email, pd.PastEmails
	c.Phone, c.Street, c.City, c.Region, c.PostalCode = pd.Phone, pd.Street, pd.City, pd.Region, pd.PostalCode
	c.Company, c.Notes, c.Custom, c.RestrictionReason, c.Language = pd.Company, pd.Notes, pd.Custom, pd.RestrictionReason, pd.Language
	return c, nil
}

// emailHash is the keyed hash of an address in the form addresses are
// compared in (gdpr.CanonicalEmail): look-ups and the suppression list use
// it, so no index key holds an address, and every spelling of one address
// has one hash. An address stored before that rule refuses (a lookalike)
// is hashed as it is stored, as it was then.
func (s *Store) emailHash(email string) []byte {
	return s.hmacOf(gdpr.ComparableEmail(email))
}

// hmacOf is the keyed hash of a string as it is. Keyed hashes are reused
// (an import hashes every address, and keying a new one is most of the
// cost); one keyed with another secret than the store's is never used.
func (s *Store) hmacOf(v string) []byte {
	m, _ := s.hmacs.Get().(*keyedHMAC)
	if m == nil || !bytes.Equal(m.secret, s.hmacSecret) {
		m = &keyedHMAC{secret: s.hmacSecret, h: hmac.New(sha256.New, s.hmacSecret)}
	} else {
		m.h.Reset()
	}
	m.h.Write([]byte(v))
	sum := m.h.Sum(nil)
	s.hmacs.Put(m)
	return sum
}

// keyedHMAC is an HMAC-SHA-256 keyed with secret.
type keyedHMAC struct {
	secret []byte
	h      hash.Hash
}

// indexEntries lists the index keys of a contact's clear fields.
func indexEntries(c *gdpr.Contact) [][]byte {
	buf, ends := appendIndexEntries(nil, nil, c)
	keys := make([][]byte, len(ends))
	start := 0
	for i, end := range ends {
		keys[i] = buf[start:end:end]
		start = end
	}
	return keys
}

// appendIndexEntries appends the index keys of a contact's clear fields to
// buf, one after the other, and the end of each to ends: the keys of
// indexEntries without an allocation per key (a bulk change builds two
// lists per contact to compare, and keeps the few that differ).
func appendIndexEntries(buf []byte, ends []int, c *gdpr.Contact) ([]byte, []int) {
	id := c.ID
	add := func(field, value string) {
		buf = appendIndexKey(buf, field, value, id)
		ends = append(ends, len(buf))
	}
	add(ixCountry, countryValue(c.Country))
	add(ixStatus, string(c.Status))
	add(ixCreated, dateValue(c.CreatedAt))
	if len(c.Bases) == 0 {
		add(ixBasis, string(gdpr.BasisNone))
	}
	for _, b := range basisNames(c) {
		add(ixBasis, string(b))
	}
	if src := gdpr.NormalizeSource(c.Source); src != "" {
		add(ixSource, src)
	}
	for _, tg := range c.Tags {
		add(ixTag, gdpr.NormalizeTag(tg))
	}
	add(ixMarketing, string(c.MarketingClass()))
	add(ixHold, holdValue(c))
	for _, p := range c.ConsentPurposes() {
		add(ixPurpose, p)
	}
	return buf, ends
}

// basisNames lists the bases a contact holds, each once: consent may be
// held for several purposes, and the contact counts once under basis:consent.
func basisNames(c *gdpr.Contact) []gdpr.Basis {
	out := make([]gdpr.Basis, 0, len(c.Bases))
	for _, b := range c.Bases {
		if !slices.Contains(out, b.Basis) {
			out = append(out, b.Basis)
		}
	}
	return out
}

// holdValue is a contact's hold index value: "yes" while a hold is placed.
func holdValue(c *gdpr.Contact) string {
	if c.Hold != nil {
		return "yes"
	}
	return "no"
}

// countryValue is a contact's country index value: the first letter of its
// EU status, a colon, and the country code ("y:DE", "n:US", "u:--"), so
// that one index serves both country: and eu: queries.
func countryValue(code string) string {
	eu := gdpr.EUStatusOf(code)
	if code == "" {
		code = noCountry
	}
	return string(eu)[:1] + ":" + code
}

// Counter names. A contact contributes a fixed set of names (contributions);
// a change adds the new set and subtracts the old one, so counters can be
// checked against a recount at any time.
const (
	cntContacts        = "contacts"
	cntNoBasis         = "nobasis"
	cntSubjectsEU      = "subjects:eu"      // in scope for a controller outside the EU/EEA (gdpr.InScopeFromAbroad)
	cntSubjectsEUNone  = "subjects:eu:none" // of those, holding no basis
	cntSubjects        = "subjects"         // active or restricted, wherever they live: in scope for one inside (or unset)
	cntSubjectsNone    = "subjects:none"    // of those, holding no basis
	cntConsent         = "consent"          // not anonymized, holding consent
	cntConsentNoProof  = "consent:noproof"  // of those, without proof
	cntRequests        = "requests"
	cntRequestsOpen    = "requests:open"
	cntUnnotified      = "requests:unnotified"
	cntPrefixEU        = "eu:"
	cntPrefixStatus    = "status:"
	cntPrefixBasis     = "basis:"
	cntPrefixCountry   = "country:"
	cntPrefixSource    = "source:"
	cntPrefixTag       = "tag:"
	cntPrefixMarketing = "marketing:"
	cntPrefixPurpose   = "purpose:"
	cntPrefixHold      = "hold:"
	cntPrefixReqOpen   = "requests:open:"
	cntPrefixReqStatus = "requests:status:"
)

func contactContributions(c *gdpr.Contact) []string {
	parts := appendContributions(nil, c)
	out := make([]string, len(parts))
	for i, p := range parts {
		out[i] = p.name()
	}
	return out
}

// contribution is a counter name in two parts, a prefix and a value,
// joined only when counted: a bulk change lists a contact's contributions
// before and after, and counts only the few that differ.
type contribution struct{ prefix, value string }

func (c contribution) name() string { return c.prefix + c.value }

// appendContributions appends the counters a contact adds to
// (contactContributions) to out.
func appendContributions(out []contribution, c *gdpr.Contact) []contribution {
	country := c.Country
	if country == "" {
		country = noCountry
	}
	out = append(out, contribution{cntContacts, ""}, contribution{cntPrefixEU, string(c.EU())},
		contribution{cntPrefixStatus, string(c.Status)}, contribution{cntPrefixCountry, country})
	if len(c.Bases) == 0 {
		out = append(out, contribution{cntNoBasis, ""})
	}
	for _, b := range basisNames(c) {
		out = append(out, contribution{cntPrefixBasis, string(b)})
	}
	if src := gdpr.NormalizeSource(c.Source); src != "" {
		out = append(out, contribution{cntPrefixSource, src})
	}
	for _, tg := range c.Tags {
		out = append(out, contribution{cntPrefixTag, gdpr.NormalizeTag(tg)})
	}
	out = append(out, contribution{cntPrefixMarketing, string(c.MarketingClass())}, contribution{cntPrefixHold, holdValue(c)})
	for _, p := range c.ConsentPurposes() {
		out = append(out, contribution{cntPrefixPurpose, p})
	}
	// Both scopes of Art. 3 are counted, so the figure follows the
	// settings' establishment without a recount (see scopeCounters).
	if c.Subject() {
		out = append(out, contribution{cntSubjects, ""})
		if len(c.Bases) == 0 {
			out = append(out, contribution{cntSubjectsNone, ""})
		}
	}
	if gdpr.InScopeFromAbroad(c) {
		out = append(out, contribution{cntSubjectsEU, ""})
		if len(c.Bases) == 0 {
			out = append(out, contribution{cntSubjectsEUNone, ""})
		}
	}
	if c.Status != gdpr.ContactAnonymized {
		if c.HasBasis(gdpr.BasisConsent) {
			out = append(out, contribution{cntConsent, ""})
			if c.ConsentWithoutProof() {
				out = append(out, contribution{cntConsentNoProof, ""})
			}
		}
	}
	return out
}

// requestContributions lists the counters a request adds to. A completed
// rectification or erasure without a recorded notification counts as
// unnotified whatever the settings say; the checklist ignores the count
// while no recipients are configured.
func requestContributions(r *gdpr.Request) []string {
	out := []string{cntRequests, cntPrefixReqStatus + string(r.Status)}
	if r.Status.Open() {
		out = append(out, cntRequestsOpen, cntPrefixReqOpen+string(r.Type))
	}
	if r.Unnotified() {
		out = append(out, cntUnnotified)
	}
	return out
}
