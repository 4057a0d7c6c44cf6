package store

import (
	"errors"
	"strings"
	"testing"

	"github.com/dgraph-io/badger/v4"
	"github.com/gdprdesk/gdprdesk/gdpr"
)

// A store used after Close answers with an error, never a panic (SPEC §8).
func TestClosedStoreReturnsErrors(t *testing.T) {
	s, err := Open(t.TempDir(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	id, err := s.CreateContact("anna", gdpr.Contact{Email: "a@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	calls := map[string]func() error{
		"Contact":        func() error { _, err := s.Contact(id); return err },
		"Contacts":       func() error { _, err := s.Contacts(gdpr.Query{}, nil, 10); return err },
		"Count":          func() error { _, err := s.Count(gdpr.Query{}); return err },
		"Counts":         func() error { _, err := s.Counts(); return err },
		"Settings":       func() error { _, err := s.Settings(); return err },
		"PolicyVersions": func() error { _, err := s.PolicyVersions(); return err },
		"Requests":       func() error { _, err := s.Requests(RequestFilter{}); return err },
		"VerifyAudit":    func() error { _, err := s.VerifyAudit(); return err },
		"CreateContact":  func() error { _, err := s.CreateContact("anna", gdpr.Contact{Email: "b@example.com"}); return err },
		"Anonymize":      func() error { _, err := s.Anonymize("anna", id, AnonymizeOptions{}); return err },
	}
	for name, call := range calls {
		if err := call(); !errors.Is(err, errClosed) {
			t.Errorf("%s on a closed store: %v, want %v", name, err, errClosed)
		}
	}
}

// VerifyAudit notices an index entry that no record explains, and a
// missing email look-up.
func TestVerifyNoticesStrayIndexEntries(t *testing.T) {
	s, _ := newStore(t)
	ids := mustCreate(t, s, gdpr.Contact{Email: "a@example.com", Country: "DE"})
	checkVerified(t, s)
	if err := s.db.Update(func(txn *badger.Txn) error {
		return txn.Set(indexKey(ixTag, "ghost", ids[0]), nil)
	}); err != nil {
		t.Fatal(err)
	}
	rep, err := s.VerifyAudit()
	if err != nil || rep.OK() || !strings.Contains(strings.Join(rep.Problems, "\n"), "indexes") {
		t.Errorf("stray index entry not reported: %+v, %v", rep.Problems, err)
	}
	if err := s.db.Update(func(txn *badger.Txn) error {
		if err := txn.Delete(indexKey(ixTag, "ghost", ids[0])); err != nil {
			return err
		}
		return txn.Delete(emailKey(s.emailHash("a@example.com")))
	}); err != nil {
		t.Fatal(err)
	}
	rep, _ = s.VerifyAudit()
	if rep.OK() || !strings.Contains(strings.Join(rep.Problems, "\n"), "email look-up") {
		t.Errorf("missing email look-up not reported: %+v", rep.Problems)
	}
}
