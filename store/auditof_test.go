package store

import (
	"testing"

	"github.com/gdprdesk/gdprdesk/gdpr"
)

func TestAuditOfListsOneRecordsEntriesInOrder(t *testing.T) {
	s, _ := newStore(t)
	ids := mustCreate(t, s, gdpr.Contact{Email: "a@example.com"}, gdpr.Contact{Email: "b@example.com"})
	if err := s.UpdateContact("anna", ids[0], func(c *gdpr.Contact) error { c.City = "Graz"; return nil }); err != nil {
		t.Fatal(err)
	}
	if err := s.SetContactStatus("anna", ids[1], gdpr.ContactRestricted, "objected"); err != nil {
		t.Fatal(err)
	}
	got, err := s.AuditOf(ids[0].String())
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].Action != "contact.create" || got[1].Action != "contact.edit" || got[0].Seq >= got[1].Seq {
		t.Errorf("AuditOf(%s) = %+v, want its create then its edit", ids[0], actions(got))
	}
	for _, e := range got {
		if e.Record != ids[0].String() {
			t.Errorf("entry %d is about %s", e.Seq, e.Record)
		}
	}
	if other, _ := s.AuditOf("C999"); len(other) != 0 {
		t.Errorf("AuditOf of an unknown record = %d entries", len(other))
	}
}
