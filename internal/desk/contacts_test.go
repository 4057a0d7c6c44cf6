package desk

import (
	"errors"
	"testing"

	"github.com/gdprdesk/gdprdesk/gdpr"
	"github.com/gdprdesk/gdprdesk/store"
)

// A contact added by hand with its first lawful basis (Art. 6(1)) holds
// it, with the evidence, from the one audited creation.
func TestAddContactWithFirstBasisIsOneAuditedStep(t *testing.T) {
	s := openStore(t)
	id, err := AddContact(s, "owner", NewContact{Email: " Ana@Example.COM ", FirstName: "Ana", Country: "Portugal",
		Language: "pt-br", Basis: gdpr.BasisContract, Evidence: "order 1042"})
	if err != nil {
		t.Fatal(err)
	}
	c, err := s.Contact(id)
	if err != nil {
		t.Fatal(err)
	}
	if c.Email != "ana@example.com" || c.Country != "PT" || c.Language != "pt-BR" {
		t.Errorf("not normalized: email %q country %q language %q", c.Email, c.Country, c.Language)
	}
	if !c.HasBasis(gdpr.BasisContract) || len(c.Bases) != 1 || c.Bases[0].Evidence != "order 1042" || c.Bases[0].By != "owner" {
		t.Errorf("bases = %+v, want contract with its evidence, by owner", c.Bases)
	}
	es := auditOf(t, s, store.AuditFilter{Record: id.String()})
	if len(es) != 1 || es[0].Action != string(gdpr.ActionContactCreate) {
		t.Fatalf("audit of %s = %+v, want one creation entry", id, es)
	}
	if _, err := AddContact(s, "owner", NewContact{Email: "ana@example.com"}); !errors.Is(err, store.ErrDuplicate) {
		t.Errorf("second add of the address: err = %v, want ErrDuplicate", err)
	}
}

func TestAddContactNamesTheFieldToCorrect(t *testing.T) {
	s := openStore(t)
	for _, tc := range []struct {
		n     NewContact
		field string
	}{
		{NewContact{Email: "not an address"}, "email"},
		{NewContact{Email: "a@example.com", Country: "Atlantis"}, "country"},
		{NewContact{Email: "a@example.com", Language: "not a tag!"}, "language"},
		{NewContact{Email: "a@example.com", Basis: gdpr.BasisContract}, "evidence"},
		{NewContact{Email: "a@example.com", Evidence: "order 1"}, "basis"},
		{NewContact{Email: "a@example.com", Basis: gdpr.BasisConsent, Evidence: "form"}, "basis"},
	} {
		_, err := AddContact(s, "owner", tc.n)
		var fe *FieldError
		if !errors.As(err, &fe) || fe.Field != tc.field {
			t.Errorf("%+v: err = %v, want a FieldError on %s", tc.n, err, tc.field)
		}
	}
	n, err := s.Counts()
	if err != nil {
		t.Fatal(err)
	}
	if n.Contacts != 0 {
		t.Errorf("%d contacts stored after refused adds, want 0", n.Contacts)
	}
}

func TestRequestsWhoNamesTheContactOrTheAddress(t *testing.T) {
	s := openStore(t)
	ids := create(t, s, gdpr.Contact{Email: "ana@example.com", FirstName: "Ana", LastName: "Silva"})
	r1 := gdpr.NewRequest(gdpr.RequestAccess, gdpr.ChannelEmail, testNow, nil)
	r1.Contact = ids[0]
	r2 := gdpr.NewRequest(gdpr.RequestErasure, gdpr.ChannelEmail, testNow, nil)
	r2.SubjectEmail = "stranger@example.org"
	who, err := RequestsWho(s, []gdpr.Request{r1, r2})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{ids[0].String() + " Ana Silva", "stranger@example.org"}
	if len(who) != 2 || who[0] != want[0] || who[1] != want[1] {
		t.Errorf("who = %q, want %q", who, want)
	}
}
