package desk

import (
	"testing"
	"time"

	"github.com/gdprdesk/gdprdesk/gdpr"
	"github.com/gdprdesk/gdprdesk/store"
)

var testNow = time.Date(2026, 11, 29, 10, 0, 0, 0, time.UTC)

// openStore is a new store in a temporary directory, on a fixed clock.
func openStore(t *testing.T) *store.Store {
	t.Helper()
	s, err := store.Open(t.TempDir(), store.Options{Now: func() time.Time { return testNow }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func create(t *testing.T, s *store.Store, cs ...gdpr.Contact) []gdpr.ContactID {
	t.Helper()
	for i := range cs {
		if cs[i].Status == "" {
			cs[i].Status = gdpr.ContactActive
		}
	}
	ids, err := s.CreateContacts("owner", cs)
	if err != nil {
		t.Fatal(err)
	}
	return ids
}

func addRequest(t *testing.T, s *store.Store, typ gdpr.RequestType, contact gdpr.ContactID) gdpr.RequestID {
	t.Helper()
	r := gdpr.NewRequest(typ, gdpr.ChannelEmail, testNow, nil)
	r.Contact = contact
	id, err := s.AddRequest("owner", r)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func auditOf(t *testing.T, s *store.Store, f store.AuditFilter) []store.AuditEntry {
	t.Helper()
	es, err := s.Audit(f, 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	return es
}
