package store

import (
	"context"
	"slices"
	"testing"

	"github.com/gdprdesk/gdprdesk/gdpr"
)

func pageIDs(cs []gdpr.Contact) []gdpr.ContactID {
	out := make([]gdpr.ContactID, 0, len(cs))
	for _, c := range cs {
		out = append(out, c.ID)
	}
	return out
}

// Paging backward from the end, and backward from any row's key, gives the
// same order as paging forward: the windowed contacts list relies on it.
func TestContactsBeforeMirrorsContacts(t *testing.T) {
	s, _ := queryStore(t, 300)
	for _, text := range []string{"", "country:DE", "eu:yes", "eu:yes basis:none", "anna", "country:DE|FR", "created:>2024-03-01", "country:JP tag:nope"} {
		t.Run(text, func(t *testing.T) {
			q := mustQuery(t, text)
			fwd, err := s.Contacts(q, nil, 100000)
			if err != nil {
				t.Fatal(err)
			}
			want := pageIDs(fwd.Contacts)
			if len(fwd.Keys) != len(fwd.Contacts) {
				t.Fatalf("%d keys for %d contacts", len(fwd.Keys), len(fwd.Contacts))
			}
			// Walk backward from the end in pages of 7.
			var got []gdpr.ContactID
			var before Cursor
			for pages := 0; ; pages++ {
				if pages > 1000 {
					t.Fatal("backward paging does not end")
				}
				p, err := s.ContactsBefore(q, before, 7)
				if err != nil {
					t.Fatal(err)
				}
				got = append(pageIDs(p.Contacts), got...)
				if !p.More {
					break
				}
				before = p.Keys[0]
			}
			if !slices.Equal(got, want) {
				t.Fatalf("backward walk gave %d contacts, forward %d\n got %v\nwant %v", len(got), len(want), got, want)
			}
			// From the middle: the 5 before row i are rows i-5..i-1, and the
			// ones after row i start at i+1.
			if len(want) > 12 {
				i := len(want) / 2
				p, err := s.ContactsBefore(q, fwd.Keys[i], 5)
				if err != nil {
					t.Fatal(err)
				}
				if !slices.Equal(pageIDs(p.Contacts), want[i-5:i]) || !p.More {
					t.Errorf("5 before row %d = %v (more %v), want %v", i, pageIDs(p.Contacts), p.More, want[i-5:i])
				}
				n, err := s.Contacts(q, fwd.Keys[i], 3)
				if err != nil {
					t.Fatal(err)
				}
				if !slices.Equal(pageIDs(n.Contacts), want[i+1:i+4]) {
					t.Errorf("3 after row %d = %v, want %v", i, pageIDs(n.Contacts), want[i+1:i+4])
				}
			}
		})
	}
}

func TestApplyBasisToMarkedContacts(t *testing.T) {
	s, ids := queryStore(t, 40)
	marked := []gdpr.ContactID{ids[3], ids[9], ids[9], ids[21], gdpr.ContactID(999999)}
	unmarked := mustContact(t, s, ids[4])
	before := len(allAudit(t, s))
	res, err := s.ApplyBasisTo(context.Background(), "op", marked, BasisChange{Basis: gdpr.BasisConsent, Evidence: "signed form"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []gdpr.ContactID{ids[3], ids[9], ids[21]} {
		c := mustContact(t, s, id)
		if !c.HasBasis(gdpr.BasisConsent) {
			t.Errorf("%s has no consent basis after ApplyBasisTo", id)
		}
	}
	if res.Matched != 5 || res.Changed+res.Unchanged != 5 {
		t.Errorf("result %+v, want 5 looked at", res)
	}
	if got := len(allAudit(t, s)) - before; int64(got) != res.Changed {
		t.Errorf("%d audit entries for %d changes", got, res.Changed)
	}
	if after := mustContact(t, s, ids[4]); len(after.Bases) != len(unmarked.Bases) {
		t.Errorf("unmarked %s changed: %d bases, had %d", ids[4], len(after.Bases), len(unmarked.Bases))
	}
	checkCounters(t, s, "after ApplyBasisTo")
	checkVerified(t, s)
}
