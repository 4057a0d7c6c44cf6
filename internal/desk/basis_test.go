package desk

import (
	"context"
	"testing"
	"time"

	"github.com/gdprdesk/gdprdesk/gdpr"
	"github.com/gdprdesk/gdprdesk/store"
)

// The preview of a bulk basis change says exactly how many contacts the
// run then changes: for a query and for marked contacts, adding and
// removing; anonymized contacts and those already as asked are left alone.
func TestPreviewBasisChangeIsWhatTheRunChanges(t *testing.T) {
	li := []gdpr.BasisAssignment{{Basis: gdpr.BasisLegitimateInterests, Source: "fair"}}
	q, err := gdpr.ParseQuery("country:DE")
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name   string
		remove bool
		marked bool
	}{{"add, query", false, false}, {"remove, query", true, false}, {"add, marked", false, true}, {"remove, marked", true, true}} {
		t.Run(tt.name, func(t *testing.T) {
			s := openStore(t)
			ids := create(t, s,
				gdpr.Contact{Email: "a@example.org", Country: "DE"},
				gdpr.Contact{Email: "b@example.org", Country: "DE", Bases: li},
				gdpr.Contact{Email: "c@example.org", Country: "DE"},
				gdpr.Contact{Email: "d@example.org", Country: "DE", Bases: li},
				gdpr.Contact{Email: "e@example.org", Country: "DE", Bases: li},
				gdpr.Contact{Email: "f@example.org", Country: "DE"},
				gdpr.Contact{Email: "g@example.org", Country: "AT"},
			)
			if _, err := s.Anonymize("owner", ids[5], store.AnonymizeOptions{}); err != nil {
				t.Fatal(err)
			}
			set := Contacts{Query: &q}
			if tt.marked {
				set = Contacts{IDs: []gdpr.ContactID{ids[0], ids[1], ids[3], ids[5], ids[6], 999}}
			}
			ch := store.BasisChange{Basis: gdpr.BasisLegitimateInterests, Remove: tt.remove, Source: "manual", Evidence: "met at the fair"}
			if tt.remove {
				ch.Evidence = ""
			}
			n, err := PreviewBasisChange(s, set, ch)
			if err != nil {
				t.Fatal(err)
			}
			res, err := ApplyBasisChange(context.Background(), s, "owner", set, ch, nil)
			if err != nil {
				t.Fatal(err)
			}
			if n != res.Changed || n == 0 {
				t.Errorf("preview %d, the run changed %d", n, res.Changed)
			}
			if again, _ := PreviewBasisChange(s, set, ch); again != 0 {
				t.Errorf("after the run the preview still says %d", again)
			}
		})
	}
}

// A bulk consent change is per purpose (SPEC §9, Art. 6(1)(a), 7(3)): its
// preview says how many contacts get a consent record (adding) or a
// withdrawal (removing), and the run does exactly that; a consent basis
// held without a purpose (an import) is withdrawn too.
func TestPreviewConsentChangeIsWhatTheRunChanges(t *testing.T) {
	q, err := gdpr.ParseQuery("country:DE")
	if err != nil {
		t.Fatal(err)
	}
	bare := []gdpr.BasisAssignment{{Basis: gdpr.BasisConsent, Source: "import"}}
	for _, tt := range []struct {
		name   string
		remove bool
		marked bool
	}{{"add, query", false, false}, {"remove, query", true, false}, {"add, marked", false, true}, {"remove, marked", true, true}} {
		t.Run(tt.name, func(t *testing.T) {
			s := openStore(t)
			if err := s.SavePurpose("owner", gdpr.Purpose{Name: "newsletter", Basis: gdpr.BasisConsent, Marketing: true}); err != nil {
				t.Fatal(err)
			}
			ids := create(t, s,
				gdpr.Contact{Email: "a@example.org", Country: "DE"},
				gdpr.Contact{Email: "b@example.org", Country: "DE", Bases: bare},
				gdpr.Contact{Email: "c@example.org", Country: "DE"},
				gdpr.Contact{Email: "d@example.org", Country: "DE"},
				gdpr.Contact{Email: "e@example.org", Country: "DE"},
				gdpr.Contact{Email: "f@example.org", Country: "DE"},
				gdpr.Contact{Email: "g@example.org", Country: "AT"},
			)
			for _, id := range []gdpr.ContactID{ids[3], ids[4]} {
				if err := s.GrantConsent("owner", id, "newsletter", time.Time{}, "webform"); err != nil {
					t.Fatal(err)
				}
			}
			if _, err := s.Anonymize("owner", ids[5], store.AnonymizeOptions{}); err != nil {
				t.Fatal(err)
			}
			set := Contacts{Query: &q}
			if tt.marked {
				set = Contacts{IDs: []gdpr.ContactID{ids[0], ids[1], ids[3], ids[5], ids[6], 999}}
			}
			ch := store.BasisChange{Basis: gdpr.BasisConsent, Purpose: "newsletter", Remove: tt.remove, Source: "fair", Evidence: "signed list"}
			n, err := PreviewBasisChange(s, set, ch)
			if err != nil {
				t.Fatal(err)
			}
			res, err := ApplyBasisChange(context.Background(), s, "owner", set, ch, nil)
			if err != nil {
				t.Fatal(err)
			}
			if n != res.Changed || n == 0 {
				t.Errorf("preview %d, the run changed %d", n, res.Changed)
			}
			if again, _ := PreviewBasisChange(s, set, ch); again != 0 {
				t.Errorf("after the run the preview still says %d", again)
			}
		})
	}
	// Without a purpose a bulk consent is refused.
	s := openStore(t)
	if _, err := ApplyBasisChange(context.Background(), s, "owner", Contacts{Query: &q}, store.BasisChange{Basis: gdpr.BasisConsent}, nil); err == nil {
		t.Error("a bulk consent without a purpose was accepted")
	}
}

// Removing a basis warns how many contacts it leaves with none (Art. 6(1)):
// the warning, for a query and for marked contacts, is the number of
// contacts without any basis the run then adds.
func TestLeftWithoutBasisIsWhatTheRemovalLeaves(t *testing.T) {
	li := gdpr.BasisAssignment{Basis: gdpr.BasisLegitimateInterests, Source: "fair"}
	ct := gdpr.BasisAssignment{Basis: gdpr.BasisContract, Source: "purchase"}
	q, err := gdpr.ParseQuery("country:DE")
	if err != nil {
		t.Fatal(err)
	}
	none, err := gdpr.ParseQuery("basis:none")
	if err != nil {
		t.Fatal(err)
	}
	for _, marked := range []bool{false, true} {
		s := openStore(t)
		ids := create(t, s,
			gdpr.Contact{Email: "a@example.org", Country: "DE", Bases: []gdpr.BasisAssignment{li}},
			gdpr.Contact{Email: "b@example.org", Country: "DE", Bases: []gdpr.BasisAssignment{li, ct}},
			gdpr.Contact{Email: "c@example.org", Country: "DE", Bases: []gdpr.BasisAssignment{li}},
			gdpr.Contact{Email: "d@example.org", Country: "DE", Bases: []gdpr.BasisAssignment{ct}},
			gdpr.Contact{Email: "e@example.org", Country: "AT", Bases: []gdpr.BasisAssignment{li}},
		)
		set := Contacts{Query: &q}
		if marked {
			set = Contacts{IDs: ids[:4]}
		}
		ch := store.BasisChange{Basis: gdpr.BasisLegitimateInterests, Remove: true}
		n, upTo, err := LeftWithoutBasis(s, set, ch)
		if err != nil {
			t.Fatal(err)
		}
		before, _ := s.Count(none)
		if _, err := ApplyBasisChange(context.Background(), s, "owner", set, ch, nil); err != nil {
			t.Fatal(err)
		}
		after, _ := s.Count(none)
		if n != 2 || upTo || after-before != n {
			t.Errorf("marked %v: warned of %d (up to %v), the removal left %d more without a basis; want 2", marked, n, upTo, after-before)
		}
		if add, _, _ := LeftWithoutBasis(s, set, store.BasisChange{Basis: gdpr.BasisContract}); add != 0 {
			t.Errorf("adding a basis warns of %d left without one", add)
		}
	}
}
