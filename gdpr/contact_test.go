package gdpr

import (
	"math/rand/v2"
	"net/mail"
	"reflect"
	"strings"
	"testing"
	"time"
)

// TestParseContactID checks the contact ids shown to owners ("C12").
func TestParseContactID(t *testing.T) {
	good := []struct {
		in   string
		want ContactID
	}{
		{"C12", 12},
		{"c12", 12},
		{"12", 12},
		{" C12 ", 12},
		{"C1", 1},
		{"C18446744073709551615", 18446744073709551615},
	}
	for _, tt := range good {
		got, err := ParseContactID(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("ParseContactID(%q) = %d, %v; want %d", tt.in, got, err, tt.want)
		}
	}
	bad := []string{"", " ", "C", "c", "C0", "0", "R12", "CC12", "C-1", "-1", "C+1", "C 12", "12a", "C1.5", "0x1f", "C18446744073709551616", "１２"}
	for _, in := range bad {
		got, err := ParseContactID(in)
		if err == nil {
			t.Errorf("ParseContactID(%q) = %d, want an error", in, got)
			continue
		}
		if !strings.Contains(err.Error(), "C42") {
			t.Errorf("ParseContactID(%q) error %q does not show the expected form", in, err)
		}
	}
	for _, id := range []ContactID{1, 42, 1 << 50} {
		back, err := ParseContactID(id.String())
		if err != nil || back != id {
			t.Errorf("ParseContactID(%q) = %d, %v; want %d", id.String(), back, err, id)
		}
	}
	if got := ContactID(42).String(); got != "C42" {
		t.Errorf("ContactID(42).String() = %q, want C42", got)
	}
}

// TestParseRequestID checks the request ids ("R12"); a contact id is not a
// request id.
func TestParseRequestID(t *testing.T) {
	good := []struct {
		in   string
		want RequestID
	}{
		{"R12", 12},
		{"r12", 12},
		{"12", 12},
		{"\tR7\n", 7},
	}
	for _, tt := range good {
		got, err := ParseRequestID(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("ParseRequestID(%q) = %d, %v; want %d", tt.in, got, err, tt.want)
		}
	}
	for _, in := range []string{"", "R", "R0", "C12", "RR12", "R-3", "R 3", "twelve"} {
		got, err := ParseRequestID(in)
		if err == nil {
			t.Errorf("ParseRequestID(%q) = %d, want an error", in, got)
		} else if !strings.Contains(err.Error(), "R42") {
			t.Errorf("ParseRequestID(%q) error %q does not show the expected form", in, err)
		}
	}
}

// TestNormalizeEmail checks the address rules of SPEC §6: trimmed and
// lower-cased as a whole, plus-addresses distinct, internationalized
// addresses (RFC 6531/6532: UTF-8 local part, IDN domain) valid, at most 254
// characters. The normalized address is what suppression hashes (Art. 17).
func TestNormalizeEmail(t *testing.T) {
	long := strings.Repeat("a", MaxEmailLen-len("@example.com")) + "@example.com"
	longUTF8 := strings.Repeat("ü", MaxEmailLen-len("@example.com")) + "@example.com"
	good := []struct{ in, want string }{
		{"ann@example.com", "ann@example.com"},
		{"  Ann.Smith@Example.COM \t", "ann.smith@example.com"},
		{"ANN+News@example.com", "ann+news@example.com"},
		{"ann+shop@example.com", "ann+shop@example.com"},
		{"jörg@example.de", "jörg@example.de"},
		{"JÖRG@EXAMPLE.DE", "jörg@example.de"},
		{"user@bücher.example", "user@bücher.example"},
		{"user@xn--bcher-kva.example", "user@xn--bcher-kva.example"},
		{"o'brien@example.ie", "o'brien@example.ie"},
		{"first.last@sub.example.co.uk", "first.last@sub.example.co.uk"},
		{long, long},
		{longUTF8, longUTF8},
	}
	for _, tt := range good {
		got, err := NormalizeEmail(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("NormalizeEmail(%.60q) = %q, %v; want %.60q", tt.in, got, err, tt.want)
		}
	}

	// Plus-addresses are different people as far as matching goes.
	a, _ := NormalizeEmail("ann+news@example.com")
	b, _ := NormalizeEmail("ann@example.com")
	if a == b {
		t.Errorf("plus-address %q normalized to the plain address %q", a, b)
	}

	bad := []struct{ in, wantErr string }{
		{"", "missing"},
		{"   ", "missing"},
		{"ann", "not a valid address"},
		{"ann@", "not a valid address"},
		{"@example.com", "not a valid address"},
		{"ann smith@example.com", "not a valid address"},
		{"ann@exam ple.com", "not a valid address"},
		{"Ann <ann@example.com>", "not a valid address"},
		{"ann@example.com, bob@example.com", "not a valid address"},
		{"ann@example.com;bob@example.com", "not a valid address"},
		{`"ann"@example.com`, "not a valid address"},
		{"a@b@example.com", "not a valid address"},
		{"ann..smith@example.com", "not a valid address"},
		{"ann@example", "no valid domain"},
		{"ann@localhost", "no valid domain"},
		{"ann@.example.com", "valid"},
		{"ann@example.com.", "valid"},
		{"ann@exa..mple.com", "valid"},
		{"ann\xff@example.com", "UTF-8"},
		{"a" + long, "too long"},
		{"ü" + longUTF8, "too long"},
	}
	for _, tt := range bad {
		got, err := NormalizeEmail(tt.in)
		if err == nil {
			t.Errorf("NormalizeEmail(%.60q) = %q, want an error", tt.in, got)
			continue
		}
		if !strings.Contains(err.Error(), tt.wantErr) {
			t.Errorf("NormalizeEmail(%.60q) error %q, want it to mention %q", tt.in, err, tt.wantErr)
		}
		if got != "" {
			t.Errorf("NormalizeEmail(%.60q) returned %q with its error", tt.in, got)
		}
	}
}

// validContact is a contact that passes Validate.
func validContact() Contact {
	return Contact{
		ID: 1, FirstName: "Ann", LastName: "Smith", Email: "ann@example.com",
		Country: "DE", Status: ContactActive, Tags: []string{"vip", "newsletter"},
		Custom:    map[string]string{"shoe size": "38"},
		CreatedAt: date(2026, 1, 2),
	}
}

// TestContactValidate checks a contact before it is stored: a valid
// normalized email, a normalized country, and the field limits of SPEC §6,
// counted in characters, not bytes (Art. 5(1)(d) accuracy starts with data
// that can be read back).
func TestContactValidate(t *testing.T) {
	chars := func(n int) string { return strings.Repeat("é", n) } // 2 bytes each
	tests := []struct {
		name    string
		edit    func(c *Contact)
		wantErr string
	}{
		{"valid", func(c *Contact) {}, ""},
		{"no country is allowed (EU status unknown)", func(c *Contact) { c.Country = "" }, ""},
		{"missing email", func(c *Contact) { c.Email = "" }, "email"},
		{"invalid email", func(c *Contact) { c.Email = "ann@example" }, "email"},
		{"email not normalized", func(c *Contact) { c.Email = "Ann@Example.com" }, "normalized"},
		{"country not normalized", func(c *Contact) { c.Country = "de" }, "normalized"},
		{"country as a name", func(c *Contact) { c.Country = "Germany" }, "normalized"},
		{"unknown country", func(c *Contact) { c.Country = "Atlantis" }, "Atlantis"},
		{"no status", func(c *Contact) { c.Status = "" }, "status"},
		{"unknown status", func(c *Contact) { c.Status = "deleted" }, "status"},

		{"first name at the limit", func(c *Contact) { c.FirstName = chars(MaxNameLen) }, ""},
		{"first name over the limit", func(c *Contact) { c.FirstName = chars(MaxNameLen + 1) }, "first name is too long"},
		{"last name at the limit", func(c *Contact) { c.LastName = chars(200) }, ""},
		{"last name over the limit", func(c *Contact) { c.LastName = chars(201) }, "last name is too long: 201 characters, at most 200"},
		{"phone at the limit", func(c *Contact) { c.Phone = strings.Repeat("9", 64) }, ""},
		{"phone over the limit", func(c *Contact) { c.Phone = strings.Repeat("9", 65) }, "phone is too long"},
		{"street at the limit", func(c *Contact) { c.Street = chars(1000) }, ""},
		{"street over the limit", func(c *Contact) { c.Street = chars(1001) }, "street is too long"},
		{"city over the limit", func(c *Contact) { c.City = chars(1001) }, "city"},
		{"region over the limit", func(c *Contact) { c.Region = chars(1001) }, "region"},
		{"postal code over the limit", func(c *Contact) { c.PostalCode = chars(1001) }, "postal code"},
		{"company at the limit", func(c *Contact) { c.Company = chars(1000) }, ""},
		{"company over the limit", func(c *Contact) { c.Company = chars(1001) }, "company"},
		{"notes at the limit", func(c *Contact) { c.Notes = chars(1000) }, ""},
		{"notes over the limit", func(c *Contact) { c.Notes = chars(1001) }, "notes"},
		{"source over the limit", func(c *Contact) { c.Source = chars(1001) }, "source"},
		{"custom value at the limit", func(c *Contact) { c.Custom["bio"] = chars(MaxCustomLen) }, ""},
		{"custom value over the limit", func(c *Contact) { c.Custom["bio"] = chars(MaxCustomLen + 1) }, `custom field "bio" is too long`},
		{"custom name over the limit", func(c *Contact) { c.Custom[chars(1001)] = "x" }, "custom field name"},
		{"invalid UTF-8", func(c *Contact) { c.City = "K\xf6ln" }, "UTF-8"},
		{"invalid UTF-8 in a custom value", func(c *Contact) { c.Custom["x"] = "\xff" }, "UTF-8"},
		{"tag with a space", func(c *Contact) { c.Tags = []string{"big spender"} }, "single words"},
		{"empty tag", func(c *Contact) { c.Tags = []string{""} }, "single words"},
		{"tag over the limit", func(c *Contact) { c.Tags = []string{chars(201)} }, "tag"},
		{"negative balance", func(c *Contact) { c.Balance = -1 }, "negative"},
		{"anonymized contact has nothing to check", func(c *Contact) {
			*c = Contact{ID: 1, Status: ContactAnonymized, Country: "DE"}
		}, ""},
	}
	for _, tt := range tests {
		c := validContact()
		tt.edit(&c)
		err := c.Validate()
		checkErr(t, tt.name+": Validate()", err, tt.wantErr)
	}
}

// TestContactBases checks recording and dropping lawful bases (Art. 6(1)):
// a contact may hold several, each once.
func TestContactBases(t *testing.T) {
	at := time.Date(2026, 2, 3, 4, 5, 6, 0, time.UTC)
	consent := BasisAssignment{Basis: BasisConsent, Source: "webform:newsletter", Evidence: "double opt-in", At: at, By: "ops"}
	contract := BasisAssignment{Basis: BasisContract, Source: SourcePurchase, At: at, By: "ops"}

	var c Contact
	if c.HasBasis(BasisConsent) {
		t.Fatalf("a new contact holds consent")
	}
	steps := []struct {
		name      string
		do        func() bool
		want      bool
		wantBases []Basis
	}{
		{"add consent", func() bool { return c.AddBasis(consent) }, true, []Basis{BasisConsent}},
		{"add consent again", func() bool { return c.AddBasis(BasisAssignment{Basis: BasisConsent, Source: "import"}) }, false, []Basis{BasisConsent}},
		{"add contract", func() bool { return c.AddBasis(contract) }, true, []Basis{BasisConsent, BasisContract}},
		{"remove a basis not held", func() bool { return c.RemoveBasis(BasisPublicTask) }, false, []Basis{BasisConsent, BasisContract}},
		{"remove consent", func() bool { return c.RemoveBasis(BasisConsent) }, true, []Basis{BasisContract}},
		{"remove consent again", func() bool { return c.RemoveBasis(BasisConsent) }, false, []Basis{BasisContract}},
		{"remove contract", func() bool { return c.RemoveBasis(BasisContract) }, true, nil},
	}
	for _, st := range steps {
		if got := st.do(); got != st.want {
			t.Errorf("%s: changed = %v, want %v", st.name, got, st.want)
		}
		var held []Basis
		for _, a := range c.Bases {
			held = append(held, a.Basis)
		}
		if !reflect.DeepEqual(held, st.wantBases) {
			t.Errorf("%s: bases %q, want %q", st.name, held, st.wantBases)
		}
		for _, b := range Bases() {
			want := false
			for _, w := range st.wantBases {
				want = want || w == b
			}
			if c.HasBasis(b) != want {
				t.Errorf("%s: HasBasis(%s) = %v, want %v", st.name, b, !want, want)
			}
		}
	}

	// The first assignment keeps its evidence.
	c = Contact{}
	c.AddBasis(consent)
	c.AddBasis(BasisAssignment{Basis: BasisConsent, Source: "import"})
	if !reflect.DeepEqual(c.Bases, []BasisAssignment{consent}) {
		t.Errorf("re-adding a basis replaced its record: %+v", c.Bases)
	}

	// A copy taken before a change (e.g. to update indexes from the old and
	// new contact) is not changed through a shared slice.
	c = Contact{Bases: []BasisAssignment{consent, contract}}
	before := c
	c.RemoveBasis(BasisConsent)
	if !reflect.DeepEqual(before.Bases, []BasisAssignment{consent, contract}) {
		t.Errorf("RemoveBasis changed an earlier copy's bases: %+v", before.Bases)
	}
}

// TestContactHelpers checks the small views of a contact used by the
// screens and the query language.
func TestContactHelpers(t *testing.T) {
	c := validContact()
	c.Tags = []string{"VIP"}
	if got := c.Name(); got != "Ann Smith" {
		t.Errorf("Name() = %q, want Ann Smith", got)
	}
	noName := Contact{Email: "x@example.com"}
	if got := noName.Name(); got != "x@example.com" {
		t.Errorf("Name() without names = %q, want the email", got)
	}
	first := Contact{FirstName: "Ann"}
	if got := first.Name(); got != "Ann" {
		t.Errorf("Name() with a first name only = %q, want Ann", got)
	}
	if !c.HasTag("vip") || !c.HasTag("VIP") || c.HasTag("vi") {
		t.Errorf("HasTag is not a case-insensitive whole-tag match")
	}
	if NormalizeTag("  VIP ") != "vip" {
		t.Errorf("NormalizeTag(%q) = %q", "  VIP ", NormalizeTag("  VIP "))
	}

	// EU status from the country (Art. 3; the EEA Agreement).
	for _, tt := range []struct {
		country string
		want    EUStatus
	}{{"DE", EUYes}, {"NO", EUYes}, {"GB", EUNo}, {"CH", EUNo}, {"", EUUnknown}} {
		c.Country = tt.country
		if got := c.EU(); got != tt.want {
			t.Errorf("EU() for country %q = %q, want %q", tt.country, got, tt.want)
		}
	}

}

// TestParseContactStatus checks the contact statuses of the query language.
func TestParseContactStatus(t *testing.T) {
	tests := []struct {
		in   string
		want ContactStatus
		ok   bool
	}{
		{"active", ContactActive, true},
		{"Restricted", ContactRestricted, true},
		{" ANONYMIZED ", ContactAnonymized, true},
		{"", "", false},
		{"deleted", "", false},
		{"anonymised", "", false},
	}
	for _, tt := range tests {
		got, err := ParseContactStatus(tt.in)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("ParseContactStatus(%q) = %q, %v; want %q (ok %v)", tt.in, got, err, tt.want, tt.ok)
		}
	}
}

// Every address the plain-address shortcut accepts, net/mail accepts too:
// the shortcut changes the speed of NormalizeEmail, never its answer.
func TestPlainAddressAgreesWithNetMail(t *testing.T) {
	const alphabet = "ab9.-_+@!#%'`~\"(),:;<>[\\] éZ"
	rng := rand.New(rand.NewPCG(7, 11))
	accepted := 0
	for range 200000 {
		b := make([]byte, 3+rng.IntN(12))
		for i := range b {
			b[i] = alphabet[rng.IntN(len(alphabet))]
		}
		e := strings.ToLower(string(b))
		at := strings.LastIndexByte(e, '@')
		if at <= 0 || !plainAddress(e, at) {
			continue
		}
		accepted++
		if _, err := mail.ParseAddress(e); err != nil {
			t.Fatalf("plainAddress accepts %q, net/mail refuses it: %v", e, err)
		}
	}
	for _, e := range []string{"anna.schmidt@example.org", "a+news@mail.example.co.uk", "x_y-z@ex-ample.de"} {
		if !plainAddress(e, strings.LastIndexByte(e, '@')) {
			t.Errorf("plainAddress refuses the common address %q", e)
		}
	}
	if accepted < 100 {
		t.Fatalf("only %d random addresses took the shortcut: the test checks too little", accepted)
	}
}

// TestBasisChangeApplies: a bulk change of an Art. 6(1) basis changes only
// contacts that do not hold it yet (adding) or hold it (removing), and never
// an anonymized contact (Art. 17: nothing is processed on an erased person).
func TestBasisChangeApplies(t *testing.T) {
	held := []BasisAssignment{{Basis: BasisConsent}}
	tests := []struct {
		name   string
		c      Contact
		remove bool
		want   bool
	}{
		{"add to one without", Contact{Status: ContactActive}, false, true},
		{"add to one holding it", Contact{Status: ContactActive, Bases: held}, false, false},
		{"remove from one holding it", Contact{Status: ContactRestricted, Bases: held}, true, true},
		{"remove from one without", Contact{Status: ContactActive}, true, false},
		{"add to an anonymized one", Contact{Status: ContactAnonymized}, false, false},
		{"remove from an anonymized one", Contact{Status: ContactAnonymized, Bases: held}, true, false},
	}
	for _, tt := range tests {
		if got := tt.c.BasisChangeApplies(BasisConsent, tt.remove); got != tt.want {
			t.Errorf("%s: %v, want %v", tt.name, got, tt.want)
		}
	}
}

// TestAddBasisAgainRenewsItArt5_1e: recording a basis again (a new order,
// RenewBasis; the bulk tag's rule, RenewedBasis)
// renews its time, so the retention schedule (storage limitation, Art.
// 5(1)(e)) runs from the latest ground; an older or undated assignment
// never moves the clock back, and a consent to one purpose never renews
// another's (Art. 6(1)(a)).
func TestAddBasisAgainRenewsItArt5_1e(t *testing.T) {
	first := time.Date(2022, 3, 1, 10, 0, 0, 0, time.UTC)
	again := time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)
	c := Contact{Status: ContactActive, Bases: []BasisAssignment{{Basis: BasisContract, Source: SourcePurchase, Evidence: "order 1", At: first, By: "ops"}}}
	if !c.RenewBasis(BasisAssignment{Basis: BasisContract, Source: SourcePurchase, Evidence: "order 2", At: again, By: "ana"}) {
		t.Fatal("recording contract again: changed = false, want the basis renewed")
	}
	if len(c.Bases) != 1 || !c.Bases[0].At.Equal(again) || c.Bases[0].Evidence != "order 2" || c.Bases[0].By != "ana" {
		t.Errorf("renewed basis = %+v, want one contract at %s with the new evidence", c.Bases, again)
	}
	if c.RenewBasis(BasisAssignment{Basis: BasisContract, At: first}) || !c.Bases[0].At.Equal(again) {
		t.Errorf("an older assignment moved the clock back: %+v", c.Bases)
	}
	orders := Purpose{Name: "orders", Basis: BasisContract, RetentionDays: 730}
	if got := RetentionLapsed(&c, []Purpose{orders}, time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)); got != nil {
		t.Errorf("a renewed contract lapsed: %v", got)
	}
	k := Contact{Bases: []BasisAssignment{{Basis: BasisConsent, Purpose: "newsletter", At: first}}}
	if k.RenewBasis(BasisAssignment{Basis: BasisConsent, Purpose: "webinar", At: again}) || !k.Bases[0].At.Equal(first) {
		t.Errorf("a consent to another purpose renewed the newsletter's: %+v", k.Bases)
	}
}
