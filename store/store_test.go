package store

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dgraph-io/badger/v4"
	"github.com/gdprdesk/gdprdesk/gdpr"
)

func anna() gdpr.Contact {
	return gdpr.Contact{FirstName: "Anna", LastName: "Schmidt", Email: " Anna.Schmidt@Example.org ",
		Phone: "+49 30 1234567", City: "Berlin", Country: "DE", Company: "Schmidt GmbH",
		Source: "Webinar", Tags: []string{"VIP", "newsletter"}, Custom: map[string]string{"shoe": "42"}}
}

func TestCreateAndReadContact(t *testing.T) {
	s, _ := newStore(t)
	id, err := s.CreateContact("alice", anna())
	if err != nil {
		t.Fatalf("CreateContact: %v", err)
	}
	if id != 1 {
		t.Errorf("first contact id = %s, want C1", id)
	}
	c := mustContact(t, s, id)
	want := anna()
	if c.ID != id || c.FirstName != want.FirstName || c.LastName != want.LastName || c.Phone != want.Phone ||
		c.City != want.City || c.Company != want.Company || c.Custom["shoe"] != "42" {
		t.Errorf("Contact(%s) = %+v, personal fields differ from %+v", id, c, want)
	}
	if c.Email != "anna.schmidt@example.org" {
		t.Errorf("email = %q, want it normalized to anna.schmidt@example.org", c.Email)
	}
	if c.Source != "webinar" || !slices.Equal(c.Tags, []string{"vip", "newsletter"}) {
		t.Errorf("source %q tags %q, want normalized webinar [vip newsletter]", c.Source, c.Tags)
	}
	if c.Status != gdpr.ContactActive || !c.CreatedAt.Equal(t0) || !c.UpdatedAt.Equal(t0) {
		t.Errorf("status %q created %v updated %v, want active at the fixed clock %v", c.Status, c.CreatedAt, c.UpdatedAt, t0)
	}

	lookups := []struct {
		name string
		get  func() (gdpr.Contact, error)
	}{
		{"ContactByEmail exact", func() (gdpr.Contact, error) { return s.ContactByEmail("anna.schmidt@example.org") }},
		{"ContactByEmail other case", func() (gdpr.Contact, error) { return s.ContactByEmail("  ANNA.SCHMIDT@example.ORG") }},
		{"FindContact C1", func() (gdpr.Contact, error) { return s.FindContact("C1") }},
		{"FindContact c1", func() (gdpr.Contact, error) { return s.FindContact("c1") }},
		{"FindContact 1", func() (gdpr.Contact, error) { return s.FindContact("1") }},
		{"FindContact email", func() (gdpr.Contact, error) { return s.FindContact("Anna.Schmidt@example.org") }},
	}
	for _, l := range lookups {
		got, err := l.get()
		if err != nil {
			t.Errorf("%s: %v", l.name, err)
			continue
		}
		if got.ID != id || got.LastName != "Schmidt" {
			t.Errorf("%s found %s %q, want C1 Schmidt", l.name, got.ID, got.LastName)
		}
	}

	misses := []struct {
		name     string
		get      func() (gdpr.Contact, error)
		notFound bool
	}{
		{"Contact C99", func() (gdpr.Contact, error) { return s.Contact(99) }, true},
		{"ContactByEmail unknown", func() (gdpr.Contact, error) { return s.ContactByEmail("nobody@example.org") }, true},
		{"FindContact C2", func() (gdpr.Contact, error) { return s.FindContact("C2") }, true},
		{"FindContact unknown email", func() (gdpr.Contact, error) { return s.FindContact("nobody@example.org") }, true},
		{"FindContact garbage", func() (gdpr.Contact, error) { return s.FindContact("Anna") }, false},
		{"ContactByEmail invalid", func() (gdpr.Contact, error) { return s.ContactByEmail("not an address") }, false},
	}
	for _, m := range misses {
		_, err := m.get()
		if err == nil {
			t.Errorf("%s: no error", m.name)
			continue
		}
		if got := isNotFound(err); got != m.notFound {
			t.Errorf("%s: errors.Is(err, ErrNotFound) = %v, want %v (err: %v)", m.name, got, m.notFound, err)
		}
	}
}

func TestCreateContactsBatch(t *testing.T) {
	s, _ := newStore(t)
	cs := []gdpr.Contact{
		{FirstName: "Ben", Email: "ben@example.org", Country: "FR", Tags: []string{"Gold"}},
		{FirstName: "Cleo", Email: "cleo@example.org", Country: "US"},
		{FirstName: "Dora", Email: "dora@example.org"},
	}
	ids := mustCreate(t, s, cs...)
	if !slices.Equal(ids, []gdpr.ContactID{1, 2, 3}) {
		t.Errorf("ids = %v, want [C1 C2 C3]", ids)
	}
	if cs[0].Tags[0] != "Gold" || cs[0].Status != "" || cs[0].ID != 0 {
		t.Errorf("CreateContacts changed the caller's slice: %+v", cs[0])
	}
	for i, id := range ids {
		if c := mustContact(t, s, id); c.FirstName != cs[i].FirstName {
			t.Errorf("Contact(%s).FirstName = %q, want %q", id, c.FirstName, cs[i].FirstName)
		}
	}
	counts, err := s.Counts()
	if err != nil {
		t.Fatal(err)
	}
	// With no establishment set, every contact is in scope (the safe
	// reading of Art. 3); for a controller outside the EU/EEA only the EU
	// and unknown-country ones.
	if counts.Contacts != 3 || counts.EU != 1 || counts.EUUnknown != 1 || counts.WithoutBasis != 3 || counts.EUWithoutBasis != 3 {
		t.Errorf("Counts = %+v, want 3 contacts, 1 EU, 1 unknown, 3 without basis, 3 in scope without basis", counts)
	}
	if ids, err := s.CreateContacts("tester", nil); err != nil || len(ids) != 0 {
		t.Errorf("CreateContacts(nil) = %v, %v; want no ids, no error", ids, err)
	}
	if n := len(allAudit(t, s)); n != 3 {
		t.Errorf("audit has %d entries after 3 creations (and an empty batch), want 3", n)
	}
	checkCounters(t, s, "after batch")
	if err := s.SaveSettings("tester", gdpr.Settings{Establishment: "US"}); err != nil {
		t.Fatal(err)
	}
	if counts, _ = s.Counts(); counts.EUWithoutBasis != 2 || counts.WithoutBasisQuery.String() != "eu:yes|unknown basis:none status:active|restricted" {
		t.Errorf("established in the US: Counts = %+v, want 2 EU/unknown without basis", counts)
	}
}

// TestRefusedCreateWritesNothing covers duplicates and invalid input: the
// call fails, and no contact, index, counter, sequence number or audit entry
// is left behind.
func TestRefusedCreateWritesNothing(t *testing.T) {
	long := strings.Repeat("x", gdpr.MaxNameLen+1)
	tests := []struct {
		name    string
		batch   []gdpr.Contact
		dup     bool   // errors.Is(err, ErrDuplicate)
		mention string // the error names this
	}{
		{"existing email", []gdpr.Contact{{Email: "ANNA.SCHMIDT@example.org"}}, true, ""},
		{"same email twice in a batch", []gdpr.Contact{{Email: "x@example.org"}, {Email: "X@Example.org "}}, true, "contact 2 of 2"},
		{"existing email later in a batch", []gdpr.Contact{{Email: "y@example.org"}, {Email: "anna.schmidt@example.org"}}, true, "contact 2 of 2"},
		{"no email", []gdpr.Contact{{FirstName: "Nobody"}}, false, "email"},
		{"bad email", []gdpr.Contact{{Email: "anna at example"}}, false, "anna at example"},
		{"unknown country", []gdpr.Contact{{Email: "z@example.org", Country: "XX"}}, false, "XX"},
		{"country not normalized", []gdpr.Contact{{Email: "z@example.org", Country: "Germany"}}, false, "Germany"},
		{"name too long", []gdpr.Contact{{Email: "z@example.org", FirstName: long}}, false, "first name"},
		{"tag with a space", []gdpr.Contact{{Email: "z@example.org", Tags: []string{"two words"}}}, false, "two words"},
		{"negative balance", []gdpr.Contact{{Email: "z@example.org", Balance: -1}}, false, "balance"},
		{"anonymized", []gdpr.Contact{{Email: "z@example.org", Status: gdpr.ContactAnonymized}}, false, "anonymized"},
		{"unknown status", []gdpr.Contact{{Email: "z@example.org", Status: "sleeping"}}, false, "sleeping"},
		{"invalid UTF-8", []gdpr.Contact{{Email: "z@example.org", City: "\xff\xfe"}}, false, "UTF-8"},
		{"unknown basis", []gdpr.Contact{{Email: "z@example.org", Bases: []gdpr.BasisAssignment{{Basis: "goodwill"}}}}, false, "goodwill"},
		{"consent record without purpose", []gdpr.Contact{{Email: "z@example.org", Consents: []gdpr.ConsentRecord{{Granted: true, At: t0}}}}, false, "purpose"},
		{"third of three invalid", []gdpr.Contact{{Email: "p@example.org"}, {Email: "q@example.org"}, {Email: "bad"}}, false, "contact 3 of 3"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, _ := newStore(t)
			mustCreate(t, s, anna())
			before, err := s.Counts()
			if err != nil {
				t.Fatal(err)
			}
			entries := len(allAudit(t, s))
			ids, err := s.CreateContacts("tester", tt.batch)
			if err == nil {
				t.Fatalf("CreateContacts(%s) = %v, want an error", tt.name, ids)
			}
			if got := errors.Is(err, ErrDuplicate); got != tt.dup {
				t.Errorf("errors.Is(err, ErrDuplicate) = %v, want %v (err: %v)", got, tt.dup, err)
			}
			if tt.mention != "" && !strings.Contains(err.Error(), tt.mention) {
				t.Errorf("error %q does not mention %q", err, tt.mention)
			}
			after, err := s.Counts()
			if err != nil {
				t.Fatal(err)
			}
			if after.Contacts != before.Contacts || after.WithoutBasis != before.WithoutBasis {
				t.Errorf("counts changed by a refused create: %+v → %+v", before, after)
			}
			if n := len(allAudit(t, s)); n != entries {
				t.Errorf("audit grew from %d to %d entries on a refused create", entries, n)
			}
			if _, err := s.Contact(2); !isNotFound(err) {
				t.Errorf("Contact(C2) after a refused create: err %v, want ErrNotFound", err)
			}
			// The refused call consumed no id: the next contact is C2.
			id, err := s.CreateContact("tester", gdpr.Contact{Email: "next@example.org"})
			if err != nil || id != 2 {
				t.Errorf("next create = %s, %v; want C2", id, err)
			}
			checkCounters(t, s, "after refused create")
			checkVerified(t, s)
		})
	}
}

func TestCreateNormalizesToUTC(t *testing.T) {
	// An import may carry local times; the created-date index must use the
	// same (UTC) day the stored record and the query matcher use.
	s, _ := newStore(t)
	berlin := time.FixedZone("CEST", 2*3600)
	created := time.Date(2024, 6, 1, 0, 30, 0, 0, berlin) // 2024-05-31 22:30 UTC
	id := mustCreate(t, s, gdpr.Contact{Email: "late@example.org", CreatedAt: created})[0]
	c := mustContact(t, s, id)
	if !c.CreatedAt.Equal(created) {
		t.Errorf("CreatedAt = %v, want %v", c.CreatedAt, created)
	}
	for _, q := range []string{"created:2024-05-31", "created:<2024-06-01", "created:>2024-05-30"} {
		if n := len(collect(t, s, q, 10)); n != 1 {
			t.Errorf("%s finds %d contacts, want 1", q, n)
		}
	}
	if n := len(collect(t, s, "created:2024-06-01", 10)); n != 0 {
		t.Errorf("created:2024-06-01 finds %d contacts, want 0 (the UTC day is 2024-05-31)", n)
	}
	// After an edit the index must not keep a stale entry for the local day.
	if err := s.UpdateContact("tester", id, func(c *gdpr.Contact) error { c.City = "Köln"; return nil }); err != nil {
		t.Fatal(err)
	}
	if n := len(collect(t, s, "created:2024-05-31", 10)); n != 1 {
		t.Errorf("after an edit created:2024-05-31 finds %d contacts, want 1", n)
	}
	if n := indexKeyCount(t, s, ixCreated); n != 1 {
		t.Errorf("created index holds %d entries for one contact, want 1", n)
	}
}

func TestDuplicateTagsCountOnce(t *testing.T) {
	s, _ := newStore(t)
	id := mustCreate(t, s, gdpr.Contact{Email: "t@example.org", Tags: []string{"VIP", "vip", " Vip"},
		Bases: []gdpr.BasisAssignment{{Basis: gdpr.BasisContract}, {Basis: gdpr.BasisContract}}})[0]
	c := mustContact(t, s, id)
	if !slices.Equal(c.Tags, []string{"vip"}) {
		t.Errorf("tags = %q, want [vip]", c.Tags)
	}
	if len(c.Bases) != 1 {
		t.Errorf("bases = %+v, want one contract", c.Bases)
	}
	if n := mustCount(t, s, "tag:vip"); n != 1 {
		t.Errorf("Count(tag:vip) = %d for one contact, want 1", n)
	}
	if n := mustCount(t, s, "basis:contract"); n != 1 {
		t.Errorf("Count(basis:contract) = %d for one contact, want 1", n)
	}
	if err := s.UpdateContact("tester", id, func(c *gdpr.Contact) error {
		c.Tags = append(c.Tags, "VIP", "new", "NEW")
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if n := mustCount(t, s, "tag:new"); n != 1 {
		t.Errorf("after edit Count(tag:new) = %d, want 1", n)
	}
	if n := mustCount(t, s, "tag:vip"); n != 1 {
		t.Errorf("after edit Count(tag:vip) = %d, want 1", n)
	}
	checkCounters(t, s, "duplicate tags")
}

func TestUpdateContact(t *testing.T) {
	s, clk := newStore(t)
	ids := mustCreate(t, s, anna(), gdpr.Contact{Email: "other@example.org", Country: "FR"})
	id := ids[0]
	clk.Set(t0.Add(time.Hour))
	n := len(allAudit(t, s))

	err := s.UpdateContact("bob", id, func(c *gdpr.Contact) error {
		c.Email = "Anna.New@Example.org"
		c.Country = "AT"
		return nil
	})
	if err != nil {
		t.Fatalf("UpdateContact: %v", err)
	}
	c := mustContact(t, s, id)
	if c.Email != "anna.new@example.org" || c.Country != "AT" {
		t.Errorf("after edit email %q country %q, want anna.new@example.org AT", c.Email, c.Country)
	}
	if !slices.Equal(c.PastEmails, []string{"anna.schmidt@example.org"}) {
		t.Errorf("PastEmails = %q, want the old address", c.PastEmails)
	}
	if !c.UpdatedAt.Equal(t0.Add(time.Hour)) || !c.CreatedAt.Equal(t0) {
		t.Errorf("created %v updated %v, want %v and %v", c.CreatedAt, c.UpdatedAt, t0, t0.Add(time.Hour))
	}
	if _, err := s.ContactByEmail("anna.schmidt@example.org"); !isNotFound(err) {
		t.Errorf("old email still finds a contact (err %v), want ErrNotFound", err)
	}
	if got, err := s.FindContact("anna.new@example.org"); err != nil || got.ID != id {
		t.Errorf("new email finds %s, %v; want %s", got.ID, err, id)
	}
	if got := mustCount(t, s, "country:DE"); got != 0 {
		t.Errorf("Count(country:DE) = %d after moving to AT, want 0", got)
	}
	if got := mustCount(t, s, "country:AT"); got != 1 {
		t.Errorf("Count(country:AT) = %d, want 1", got)
	}
	es := auditSince(t, s, n)
	if len(es) != 1 {
		t.Fatalf("edit appended %d audit entries (%q), want 1", len(es), actions(es))
	}
	e := es[0]
	if e.Action != "contact.edit" || e.Record != "C1" || e.Operator != "bob" || !e.At.Equal(t0.Add(time.Hour)) {
		t.Errorf("audit entry = %+v, want contact.edit on C1 by bob at the clock", e)
	}
	for _, field := range []string{"email", "past_emails", "country"} {
		if !strings.Contains(e.Detail, field) {
			t.Errorf("audit detail %q does not name the changed field %s", e.Detail, field)
		}
	}
	if strings.Contains(e.Detail, "anna") || strings.Contains(e.Detail, "first_name") {
		t.Errorf("audit detail %q names personal data or unchanged fields", e.Detail)
	}
	if !strings.Contains(e.Personal, "anna.schmidt@example.org") || !strings.Contains(e.Personal, "anna.new@example.org") {
		t.Errorf("sealed part of the entry %q lacks the old and new values", e.Personal)
	}

	// The old address is free for someone else now.
	if _, err := s.CreateContact("tester", gdpr.Contact{Email: "anna.schmidt@example.org"}); err != nil {
		t.Errorf("re-using the old address: %v", err)
	}

	refusals := []struct {
		name string
		fn   func(c *gdpr.Contact) error
		dup  bool
	}{
		{"email of another contact", func(c *gdpr.Contact) error { c.Email = "OTHER@example.org"; return nil }, true},
		{"invalid email", func(c *gdpr.Contact) error { c.Email = "nope"; return nil }, false},
		{"unknown country", func(c *gdpr.Contact) error { c.Country = "ZZ"; return nil }, false},
		{"anonymize by edit", func(c *gdpr.Contact) error { c.Status = gdpr.ContactAnonymized; return nil }, false},
		{"unknown basis", func(c *gdpr.Contact) error {
			c.Bases = append(c.Bases, gdpr.BasisAssignment{Basis: "goodwill"})
			return nil
		}, false},
		{"fn fails", func(c *gdpr.Contact) error { c.City = "x"; return errors.New("changed my mind") }, false},
	}
	for _, r := range refusals {
		n := len(allAudit(t, s))
		err := s.UpdateContact("bob", id, r.fn)
		if err == nil {
			t.Errorf("%s: no error", r.name)
			continue
		}
		if errors.Is(err, ErrDuplicate) != r.dup {
			t.Errorf("%s: errors.Is(err, ErrDuplicate) = %v, want %v (%v)", r.name, !r.dup, r.dup, err)
		}
		if m := len(allAudit(t, s)); m != n {
			t.Errorf("%s: audit grew from %d to %d", r.name, n, m)
		}
		if c := mustContact(t, s, id); c.Email != "anna.new@example.org" || c.Country != "AT" || c.City != "Berlin" {
			t.Errorf("%s: contact changed anyway: %s %s %s", r.name, c.Email, c.Country, c.City)
		}
	}

	// An edit that changes nothing writes nothing.
	n = len(allAudit(t, s))
	if err := s.UpdateContact("bob", id, func(c *gdpr.Contact) error { c.Email = " ANNA.NEW@example.org"; return nil }); err != nil {
		t.Errorf("no-op edit: %v", err)
	}
	if m := len(allAudit(t, s)); m != n {
		t.Errorf("no-op edit appended %d audit entries, want 0", m-n)
	}
	if err := s.UpdateContact("bob", 99, func(*gdpr.Contact) error { return nil }); !isNotFound(err) {
		t.Errorf("editing C99: %v, want ErrNotFound", err)
	}
	checkCounters(t, s, "after edits")
	checkVerified(t, s)
}

func TestSetContactStatus(t *testing.T) {
	s, _ := newStore(t)
	id := mustCreate(t, s, anna())[0]
	steps := []struct {
		status     gdpr.ContactStatus
		reason     string
		wantAction string // "" when nothing changes
		restricted int64
		fails      bool
	}{
		{gdpr.ContactRestricted, "objected on the phone", "contact.restrict", 1, false},
		{gdpr.ContactRestricted, "again", "", 1, false},
		{gdpr.ContactActive, "", "contact.lift", 0, false},
		{gdpr.ContactActive, "", "", 0, false},
		{gdpr.ContactAnonymized, "", "", 0, true},
		{"frozen", "", "", 0, true},
	}
	for i, st := range steps {
		n := len(allAudit(t, s))
		err := s.SetContactStatus("carol", id, st.status, st.reason)
		if st.status == gdpr.ContactActive {
			// Lifting needs the date the person was told (Art. 18(3)).
			if err = s.LiftRestriction("carol", id, t0); st.wantAction == "" && err != nil {
				err = nil // already active: nothing to lift
			}
		}
		if (err != nil) != st.fails {
			t.Errorf("step %d (%s): err %v, want failure %v", i, st.status, err, st.fails)
		}
		es := auditSince(t, s, n)
		switch {
		case st.wantAction == "" && len(es) != 0:
			t.Errorf("step %d (%s): audit gained %q, want nothing", i, st.status, actions(es))
		case st.wantAction != "" && (len(es) != 1 || es[0].Action != st.wantAction || es[0].Record != "C1"):
			t.Errorf("step %d (%s): audit gained %q, want one %s on C1", i, st.status, actions(es), st.wantAction)
		case st.reason != "" && st.wantAction != "" && es[0].Personal != st.reason:
			t.Errorf("step %d: sealed reason %q, want %q", i, es[0].Personal, st.reason)
		}
		counts, err := s.Counts()
		if err != nil {
			t.Fatal(err)
		}
		if counts.Restricted != st.restricted {
			t.Errorf("step %d (%s): Counts.Restricted = %d, want %d", i, st.status, counts.Restricted, st.restricted)
		}
		if got := mustCount(t, s, "status:restricted"); got != st.restricted {
			t.Errorf("step %d: Count(status:restricted) = %d, want %d", i, got, st.restricted)
		}
	}
	if err := s.SetContactStatus("carol", 42, gdpr.ContactRestricted, ""); !isNotFound(err) {
		t.Errorf("restricting C42: %v, want ErrNotFound", err)
	}
	checkCounters(t, s, "after status changes")
}

func TestSourceRulesApplyBasisOnCreate(t *testing.T) {
	s, clk := newStore(t)
	rules := []gdpr.SourceRule{
		{Source: " Webform:Newsletter ", Basis: gdpr.BasisConsent},
		{Source: "purchase", Basis: gdpr.BasisContract, Evidence: "order confirmation"},
	}
	for _, r := range rules {
		if err := s.SetSourceRule("admin", r); err != nil {
			t.Fatalf("SetSourceRule(%s): %v", r.Source, err)
		}
	}
	if err := s.SetSourceRule("admin", gdpr.SourceRule{Source: "x", Basis: "goodwill"}); err == nil {
		t.Error("a rule with an unknown basis was accepted")
	}
	if err := s.SetSourceRule("admin", gdpr.SourceRule{Source: "  ", Basis: gdpr.BasisConsent}); err == nil {
		t.Error("a rule without a source was accepted")
	}
	got, err := s.SourceRules()
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].Source != "purchase" || got[1].Source != "webform:newsletter" {
		t.Errorf("SourceRules = %+v, want purchase and webform:newsletter, by source", got)
	}

	clk.Set(t0.Add(2 * time.Hour))
	tests := []struct {
		source   string
		basis    gdpr.Basis // "" none
		evidence string
	}{
		{"WebForm:newsletter", gdpr.BasisConsent, "source rule: webform:newsletter"},
		{"purchase", gdpr.BasisContract, "order confirmation"},
		{"fair", "", ""},
		{"", "", ""},
	}
	for i, tt := range tests {
		id := mustCreate(t, s, gdpr.Contact{Email: "rule" + string(rune('a'+i)) + "@example.org", Source: tt.source})[0]
		c := mustContact(t, s, id)
		if tt.basis == "" {
			if len(c.Bases) != 0 {
				t.Errorf("source %q: bases %+v, want none", tt.source, c.Bases)
			}
			continue
		}
		if len(c.Bases) != 1 {
			t.Fatalf("source %q: bases %+v, want one %s", tt.source, c.Bases, tt.basis)
		}
		b := c.Bases[0]
		if b.Basis != tt.basis || b.Source != gdpr.NormalizeSource(tt.source) || b.Evidence != tt.evidence ||
			b.By != "tester" || !b.At.Equal(t0.Add(2*time.Hour)) {
			t.Errorf("source %q: basis %+v, want %s from the rule with evidence %q by tester at the clock", tt.source, b, tt.basis, tt.evidence)
		}
	}
	counts, err := s.Counts()
	if err != nil {
		t.Fatal(err)
	}
	if counts.ByBasis[gdpr.BasisConsent] != 1 || counts.ByBasis[gdpr.BasisContract] != 1 || counts.WithoutBasis != 2 {
		t.Errorf("Counts = %+v, want 1 consent, 1 contract, 2 without basis", counts)
	}
	if err := s.DeleteSourceRule("admin", "PURCHASE"); err != nil {
		t.Fatalf("DeleteSourceRule: %v", err)
	}
	if err := s.DeleteSourceRule("admin", "purchase"); !isNotFound(err) {
		t.Errorf("deleting a missing rule: %v, want ErrNotFound", err)
	}
	id := mustCreate(t, s, gdpr.Contact{Email: "after@example.org", Source: "purchase"})[0]
	if c := mustContact(t, s, id); len(c.Bases) != 0 {
		t.Errorf("after deleting the rule, a purchase contact got %+v", c.Bases)
	}
	checkCounters(t, s, "source rules")
}

func TestRequests(t *testing.T) {
	s, clk := newStore(t)
	annaID := mustCreate(t, s, anna())[0]
	day := func(s string) time.Time {
		d, err := time.Parse(time.DateOnly, s)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}

	// Linked by email: the contact is found and the address is not kept.
	linked, err := s.AddRequest("op", gdpr.Request{Type: gdpr.RequestAccess, Channel: gdpr.ChannelEmail,
		SubjectEmail: " ANNA.SCHMIDT@example.org", Received: day("2026-03-02"), Note: "wants a copy"})
	if err != nil {
		t.Fatalf("AddRequest linked: %v", err)
	}
	r, err := s.Request(linked)
	if err != nil {
		t.Fatal(err)
	}
	if r.Contact != annaID || r.SubjectEmail != "" || r.Note != "wants a copy" || r.Status != gdpr.StatusNew {
		t.Errorf("linked request = %+v, want contact C1, no email, note kept, status new", r)
	}
	if want := day("2026-04-02"); !r.Due.Equal(want) {
		t.Errorf("due %v, want %v (one month after receipt)", r.Due, want)
	}

	// Unmatched: stays with the (sealed) address.
	unmatched, err := s.AddRequest("op", gdpr.Request{Type: gdpr.RequestErasure, Channel: gdpr.ChannelWebform,
		SubjectEmail: "Stranger@Example.net", Received: day("2026-02-20")})
	if err != nil {
		t.Fatalf("AddRequest unmatched: %v", err)
	}
	r, err = s.Request(unmatched)
	if err != nil {
		t.Fatal(err)
	}
	if r.Contact != 0 || r.SubjectEmail != "stranger@example.net" {
		t.Errorf("unmatched request = contact %s email %q, want none and stranger@example.net", r.Contact, r.SubjectEmail)
	}
	var raw requestRec
	if err := s.db.View(func(txn *badger.Txn) error {
		rec, err := readRequestRec(txn, unmatched)
		raw = rec
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if raw.SubjectEmail != "" || len(raw.Sealed) == 0 || raw.Slot == 0 {
		t.Errorf("stored request holds email %q, sealed %d bytes, slot %d; want the email sealed", raw.SubjectEmail, len(raw.Sealed), raw.Slot)
	}

	// Overdue: received 2026-01-05, due 2026-02-05, and today is 2026-03-10.
	overdue, err := s.AddRequest("op", gdpr.Request{Type: gdpr.RequestAccess, Channel: gdpr.ChannelLetter,
		Contact: annaID, Received: day("2026-01-05")})
	if err != nil {
		t.Fatal(err)
	}
	// Received today by default.
	if _, err := s.AddRequest("op", gdpr.Request{Type: gdpr.RequestObjection, Channel: gdpr.ChannelPhone, Contact: annaID}); err == nil ||
		!strings.Contains(err.Error(), "scope marketing") {
		t.Fatalf("an objection without its scope: %v", err)
	}
	today, err := s.AddRequest("op", gdpr.Request{Type: gdpr.RequestObjection, Scope: gdpr.ScopeProcessing, Channel: gdpr.ChannelPhone, Contact: annaID})
	if err != nil {
		t.Fatal(err)
	}
	if r, _ := s.Request(today); !r.Received.Equal(gdpr.Day(t0)) || !r.CreatedAt.Equal(t0) {
		t.Errorf("default received %v created %v, want %v and %v", r.Received, r.CreatedAt, gdpr.Day(t0), t0)
	}

	invalid := []struct {
		name string
		r    gdpr.Request
	}{
		{"no subject", gdpr.Request{Type: gdpr.RequestAccess, Channel: gdpr.ChannelEmail}},
		{"unknown type", gdpr.Request{Type: "gossip", Channel: gdpr.ChannelEmail, Contact: annaID}},
		{"unknown channel", gdpr.Request{Type: gdpr.RequestAccess, Channel: "pigeon", Contact: annaID}},
		{"unknown contact", gdpr.Request{Type: gdpr.RequestAccess, Channel: gdpr.ChannelEmail, Contact: 77}},
		{"bad email", gdpr.Request{Type: gdpr.RequestAccess, Channel: gdpr.ChannelEmail, SubjectEmail: "nope"}},
	}
	for _, in := range invalid {
		n := len(allAudit(t, s))
		if id, err := s.AddRequest("op", in.r); err == nil {
			t.Errorf("AddRequest(%s) = %s, want an error", in.name, id)
		}
		if m := len(allAudit(t, s)); m != n {
			t.Errorf("AddRequest(%s) appended %d audit entries", in.name, m-n)
		}
	}

	list, err := s.Requests(RequestFilter{})
	if err != nil {
		t.Fatal(err)
	}
	var order []gdpr.RequestID
	for _, r := range list {
		order = append(order, r.ID)
	}
	if want := []gdpr.RequestID{overdue, unmatched, linked, today}; !slices.Equal(order, want) {
		t.Errorf("Requests order = %v, want soonest due first %v", order, want)
	}
	counts, err := s.Counts()
	if err != nil {
		t.Fatal(err)
	}
	if counts.OpenRequests != 4 || counts.Overdue != 1 || counts.OverdueByType[gdpr.RequestAccess] != 1 {
		t.Errorf("Counts = open %d overdue %d by type %v, want 4 open, 1 overdue access", counts.OpenRequests, counts.Overdue, counts.OverdueByType)
	}
	if l, _ := s.Requests(RequestFilter{Overdue: true}); len(l) != 1 || l[0].ID != overdue {
		t.Errorf("Requests(overdue) = %v, want only %s", l, overdue)
	}
	if l, _ := s.Requests(RequestFilter{Type: gdpr.RequestErasure}); len(l) != 1 || l[0].ID != unmatched {
		t.Errorf("Requests(erasure) = %v, want only %s", l, unmatched)
	}
	if l, _ := s.Requests(RequestFilter{Contact: annaID}); len(l) != 3 {
		t.Errorf("Requests(contact C1) = %d requests, want 3", len(l))
	}

	// Later the clock moves on: the erasure request (due 2026-03-20) becomes overdue too.
	clk.Set(time.Date(2026, 3, 21, 8, 0, 0, 0, time.UTC))
	if counts, _ := s.Counts(); counts.Overdue != 2 || counts.OverdueByType[gdpr.RequestErasure] != 1 {
		t.Errorf("on 2026-03-21 Counts.Overdue = %d (%v), want 2 with one erasure", counts.Overdue, counts.OverdueByType)
	}
	clk.Set(t0)

	closes := []struct {
		name    string
		id      gdpr.RequestID
		outcome gdpr.RequestStatus
		note    string
		fails   bool
	}{
		{"denied without reason", linked, gdpr.StatusDenied, "  ", true},
		{"not a closing status", linked, gdpr.StatusInProgress, "", true},
		{"completed", overdue, gdpr.StatusCompleted, "sent the export", false},
		{"closed twice", overdue, gdpr.StatusDenied, "no", true},
		{"denied with reason", linked, gdpr.StatusDenied, "unpaid invoice", false},
		{"unknown request", 99, gdpr.StatusCompleted, "", true},
	}
	for _, c := range closes {
		n := len(allAudit(t, s))
		err := s.CloseRequest("op", c.id, c.outcome, c.note)
		if c.outcome == gdpr.StatusDenied && strings.TrimSpace(c.note) != "" && c.name != "closed twice" {
			// A denial names its ground (SPEC §9 "Denials, by type").
			err = s.DenyRequest("op", c.id, gdpr.GroundUnfounded, c.note)
		}
		if (err != nil) != c.fails {
			t.Errorf("%s: err %v, want failure %v", c.name, err, c.fails)
		}
		es := auditSince(t, s, n)
		if c.fails && len(es) != 0 {
			t.Errorf("%s: refused close appended %q", c.name, actions(es))
		}
		if !c.fails && (len(es) != 1 || es[0].Action != "request.close" || es[0].Record != c.id.String() ||
			!strings.Contains(es[0].Detail, string(c.outcome))) {
			t.Errorf("%s: audit gained %+v, want one request.close naming %s", c.name, es, c.outcome)
		}
	}
	if r, _ := s.Request(linked); r.Status != gdpr.StatusDenied || r.Outcome != "unpaid invoice" || !r.ClosedAt.Equal(t0) {
		t.Errorf("denied request = status %s outcome %q closed %v", r.Status, r.Outcome, r.ClosedAt)
	}
	if r, _ := s.Request(overdue); r.Status != gdpr.StatusCompleted || r.Outcome != "sent the export" {
		t.Errorf("completed request = status %s outcome %q", r.Status, r.Outcome)
	}
	counts, err = s.Counts()
	if err != nil {
		t.Fatal(err)
	}
	if counts.OpenRequests != 2 || counts.Overdue != 0 {
		t.Errorf("after closing: open %d overdue %d, want 2 and 0", counts.OpenRequests, counts.Overdue)
	}
	list, _ = s.Requests(RequestFilter{})
	if len(list) != 4 || list[0].Status.Open() == false || list[3].Status.Open() {
		t.Errorf("Requests after closing does not list open ones first: %+v", list)
	}
	if _, err := s.Request(99); !isNotFound(err) {
		t.Errorf("Request(R99): %v, want ErrNotFound", err)
	}
	checkCounters(t, s, "requests")
	checkVerified(t, s)
}

func TestSettingsPolicyVersionsAndChecklist(t *testing.T) {
	s, clk := newStore(t)
	st, err := s.Settings()
	if err != nil || st.PrivacyPolicyURL != "" {
		t.Fatalf("Settings of a new store = %+v, %v", st, err)
	}
	st.PrivacyPolicyURL = "https://example.org/privacy"
	st.DPO = gdpr.Person{Name: "Dana Pro", Email: "dpo@example.org"}
	n := len(allAudit(t, s))
	if err := s.SaveSettings("admin", st); err != nil {
		t.Fatal(err)
	}
	es := auditSince(t, s, n)
	if len(es) != 1 || es[0].Action != "settings.edit" || !strings.Contains(es[0].Detail, "privacy_policy_url") || !strings.Contains(es[0].Detail, "dpo") {
		t.Errorf("SaveSettings audit = %+v, want one settings.edit naming privacy_policy_url and dpo", es)
	}
	if err := s.SaveSettings("admin", st); err != nil {
		t.Fatal(err)
	}
	if m := len(allAudit(t, s)); m != n+1 {
		t.Errorf("saving unchanged settings appended %d entries", m-n-1)
	}
	if got, _ := s.Settings(); got.PrivacyPolicyURL != st.PrivacyPolicyURL || got.DPO.Name != "Dana Pro" {
		t.Errorf("Settings = %+v", got)
	}
	if err := s.RecordSweep("admin", t0.Add(-24*time.Hour), 3); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.Settings(); !got.LastSweepAt.Equal(t0.Add(-24*time.Hour)) || got.PrivacyPolicyURL == "" {
		t.Errorf("after RecordSweep Settings = %+v", got)
	}

	// Policy versions: numbered per kind, hashed, never empty.
	texts := []struct {
		kind gdpr.PolicyKind
		text string
		want int
	}{
		{gdpr.PolicyPrivacy, "We keep your data safe.", 1},
		{gdpr.PolicyConsent, "Yes, send me the newsletter.", 1},
		{gdpr.PolicyPrivacy, "We keep your data safe. Now with cookies.", 2},
	}
	for _, tt := range texts {
		pv, err := s.AddPolicyVersion("admin", tt.kind, tt.text, time.Time{})
		if err != nil {
			t.Fatalf("AddPolicyVersion: %v", err)
		}
		if pv.Version != tt.want || pv.SHA256 != gdpr.TextSHA256(tt.text) || !pv.EffectiveAt.Equal(t0) {
			t.Errorf("AddPolicyVersion(%s) = v%d %s at %v, want v%d with the text's hash at the clock", tt.kind, pv.Version, pv.SHA256, pv.EffectiveAt, tt.want)
		}
	}
	if _, err := s.AddPolicyVersion("admin", gdpr.PolicyPrivacy, "  ", time.Time{}); err == nil {
		t.Error("an empty policy text was accepted")
	}
	if _, err := s.AddPolicyVersion("admin", "terms", "text", time.Time{}); err == nil {
		t.Error("an unknown policy kind was accepted")
	}
	pvs, err := s.PolicyVersions()
	if err != nil {
		t.Fatal(err)
	}
	if len(pvs) != 3 {
		t.Fatalf("PolicyVersions = %d, want 3", len(pvs))
	}
	for _, pv := range pvs {
		if err := pv.Verify(); err != nil {
			t.Error(err)
		}
	}

	// Checklist records.
	mustCreate(t, s, gdpr.Contact{Email: "eu@example.org", Country: "DE"})
	records := []struct {
		id    string
		rec   gdpr.ItemRecord
		fails bool
	}{
		{"privacy-offline", gdpr.ItemRecord{State: gdpr.StateDone, Note: "poster at the till"}, false},
		{"dpo", gdpr.ItemRecord{State: gdpr.StateDone}, false},           // DPO is set
		{"cdso", gdpr.ItemRecord{State: gdpr.StateDone}, true},           // automatic and unmet
		{"basis-recorded", gdpr.ItemRecord{State: gdpr.StateDone}, true}, // an EU contact has no basis
		{"eu-rep", gdpr.ItemRecord{State: gdpr.StateNA}, true},           // n/a needs a reason
		{"eu-rep", gdpr.ItemRecord{State: gdpr.StateNA, Reason: "we are in the EU"}, false},
		{"no-such-item", gdpr.ItemRecord{State: gdpr.StateDone}, true},
		{"privacy-offline", gdpr.ItemRecord{State: "maybe"}, true},
	}
	clk.Set(t0.Add(3 * time.Hour))
	for _, r := range records {
		n := len(allAudit(t, s))
		err := s.SetChecklistItem("admin", r.id, r.rec)
		if (err != nil) != r.fails {
			t.Errorf("SetChecklistItem(%s, %s): err %v, want failure %v", r.id, r.rec.State, err, r.fails)
		}
		want := 1
		if r.fails {
			want = 0
		}
		if m := len(allAudit(t, s)); m-n != want {
			t.Errorf("SetChecklistItem(%s, %s) appended %d entries, want %d", r.id, r.rec.State, m-n, want)
		}
	}
	recs, err := s.ChecklistRecords()
	if err != nil {
		t.Fatal(err)
	}
	if r := recs["privacy-offline"]; r.State != gdpr.StateDone || r.By != "admin" || !r.At.Equal(t0.Add(3*time.Hour)) || r.Note != "poster at the till" {
		t.Errorf("privacy-offline record = %+v", r)
	}
	if _, ok := recs["cdso"]; ok {
		t.Error("a refused tick was recorded")
	}
	items, done, applicable, err := s.Checklist()
	if err != nil {
		t.Fatal(err)
	}
	state := map[string]gdpr.ItemState{}
	for _, it := range items {
		state[it.ID] = it.State
	}
	wantStates := map[string]gdpr.ItemState{
		// privacy-link is the owner's tick: the URL alone proves nothing.
		"privacy-link": gdpr.StateTodo, "privacy-offline": gdpr.StateDone, "dpo": gdpr.StateDone,
		"cdso": gdpr.StateTodo, "eu-rep": gdpr.StateNA, "basis-recorded": gdpr.StateTodo,
		"consent-versions": gdpr.StateDone, "basis-sweep": gdpr.StateDone,
	}
	for id, want := range wantStates {
		if state[id] != want {
			t.Errorf("checklist %s = %s, want %s", id, state[id], want)
		}
	}
	// eu-rep is n/a and cdso is good practice: neither counts.
	if applicable != len(gdpr.Checklist())-2 || done < 5 {
		t.Errorf("readiness %d/%d, want %d applicable and at least 5 done", done, applicable, len(gdpr.Checklist())-2)
	}
	// Once the EU contact holds a basis, basis-recorded may be ticked.
	if _, err := s.ApplyBasis(t.Context(), "admin", mustQuery(t, "eu:yes"), BasisChange{Basis: gdpr.BasisContract}, nil); err != nil {
		t.Fatal(err)
	}
	if err := s.SetChecklistItem("admin", "basis-recorded", gdpr.ItemRecord{State: gdpr.StateDone}); err != nil {
		t.Errorf("basis-recorded with every EU contact holding a basis: %v", err)
	}
}

func TestOperators(t *testing.T) {
	s, _ := newStore(t)
	const key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIExample"
	adds := []struct {
		op    Operator
		fails bool
	}{
		{Operator{Name: "zoe", Role: gdpr.RoleViewer, PublicKey: key}, false},
		{Operator{Name: " anna ", Role: "ADMIN", PublicKey: key + "Anna"}, false},
		{Operator{Name: "two words", Role: gdpr.RoleStaff, PublicKey: key}, true},
		{Operator{Name: "", Role: gdpr.RoleStaff, PublicKey: key}, true},
		{Operator{Name: "a/b", Role: gdpr.RoleStaff, PublicKey: key}, true},
		{Operator{Name: "max", Role: "root", PublicKey: key}, true},
		{Operator{Name: "max", Role: gdpr.RoleStaff, PublicKey: " "}, true},
	}
	for _, a := range adds {
		if err := s.AddOperator("admin", a.op); (err != nil) != a.fails {
			t.Errorf("AddOperator(%q, %q): err %v, want failure %v", a.op.Name, a.op.Role, err, a.fails)
		}
	}
	ops, err := s.Operators()
	if err != nil {
		t.Fatal(err)
	}
	if len(ops) != 2 || ops[0].Name != "anna" || ops[1].Name != "zoe" || ops[0].AddedBy != "admin" || !ops[0].AddedAt.Equal(t0) {
		t.Errorf("Operators = %+v, want anna and zoe added by admin at the clock", ops)
	}
	if err := s.RemoveOperator("admin", "zoe"); err != nil {
		t.Fatal(err)
	}
	if err := s.RemoveOperator("admin", "zoe"); !isNotFound(err) {
		t.Errorf("removing zoe twice: %v, want ErrNotFound", err)
	}
	if ops, _ := s.Operators(); len(ops) != 1 {
		t.Errorf("after removal Operators = %+v", ops)
	}
}

func TestIsEmpty(t *testing.T) {
	tests := []struct {
		name  string
		fill  func(t *testing.T, s *Store)
		empty bool
	}{
		{"new store", func(*testing.T, *Store) {}, true},
		{"settings only", func(t *testing.T, s *Store) {
			if err := s.SaveSettings("a", gdpr.Settings{PrivacyPolicyURL: "https://x.example"}); err != nil {
				t.Fatal(err)
			}
		}, true},
		{"a contact", func(t *testing.T, s *Store) { mustCreate(t, s, anna()) }, false},
		{"a request only", func(t *testing.T, s *Store) {
			if _, err := s.AddRequest("a", gdpr.Request{Type: gdpr.RequestAccess, Channel: gdpr.ChannelEmail, SubjectEmail: "x@example.org"}); err != nil {
				t.Fatal(err)
			}
		}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, _ := newStore(t)
			tt.fill(t, s)
			empty, err := s.IsEmpty()
			if err != nil || empty != tt.empty {
				t.Errorf("IsEmpty = %v, %v; want %v", empty, err, tt.empty)
			}
		})
	}
}

func TestSecondOpenIsLocked(t *testing.T) {
	dir := t.TempDir()
	clk := newClock(t0)
	s := openAt(t, dir, clk)
	mustCreate(t, s, anna())

	other, err := Open(dir, Options{Now: clk.Now})
	if err == nil {
		other.Close()
		t.Fatal("a second Open of a held directory succeeded")
	}
	if !errors.Is(err, ErrLocked) {
		t.Errorf("second Open: %v, want ErrLocked", err)
	}
	if !strings.Contains(err.Error(), dir) {
		t.Errorf("error %q does not name the directory %s", err, dir)
	}
	if strings.Contains(err.Error(), "\n") {
		t.Errorf("error %q is not one line", err)
	}
	// The failed Open must not have disturbed the holder.
	if c := mustContact(t, s, 1); c.FirstName != "Anna" {
		t.Errorf("holder reads %q after the refused Open", c.FirstName)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if _, err := s.CreateContact("x", gdpr.Contact{Email: "late@example.org"}); err == nil {
		t.Error("writing to a closed store succeeded")
	}

	// Released: it opens again, with its data and its audit chain.
	s2 := openAt(t, dir, clk)
	if c, err := s2.ContactByEmail("anna.schmidt@example.org"); err != nil || c.FirstName != "Anna" {
		t.Errorf("after reopening: %+v, %v", c, err)
	}
	mustCreate(t, s2, gdpr.Contact{Email: "after@example.org"})
	if rep := checkVerified(t, s2); rep.Entries != 2 || rep.Contacts != 2 {
		t.Errorf("after reopening VerifyAudit saw %d entries and %d contacts, want 2 and 2", rep.Entries, rep.Contacts)
	}
}

// TestEditAddsBasisWithWhenAndWho: a basis added by an edit records when and
// by whom, as one added on creation or in bulk does (SPEC §2).
func TestEditAddsBasisWithWhenAndWho(t *testing.T) {
	s, clk := newStore(t)
	id := mustCreate(t, s, gdpr.Contact{Email: "b@example.org", Bases: []gdpr.BasisAssignment{{Basis: gdpr.BasisContract}}})[0]
	clk.Set(t0.Add(48 * time.Hour))
	if err := s.UpdateContact("dora", id, func(c *gdpr.Contact) error {
		c.AddBasis(gdpr.BasisAssignment{Basis: gdpr.BasisConsent, Source: "phone", Evidence: "said yes on the phone"})
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	c := mustContact(t, s, id)
	if len(c.Bases) != 2 {
		t.Fatalf("bases = %+v, want contract and consent", c.Bases)
	}
	if b := c.Bases[0]; b.By != "tester" || !b.At.Equal(t0) {
		t.Errorf("the existing basis changed: %+v", b)
	}
	if b := c.Bases[1]; b.By != "dora" || !b.At.Equal(t0.Add(48*time.Hour)) || b.Evidence != "said yes on the phone" {
		t.Errorf("basis added by an edit = %+v, want by dora at the clock with its evidence", b)
	}
}
