package gdpr

import (
	"reflect"
	"testing"
	"time"
)

// TestInScopeWithoutBasis: a controller established in the EU/EEA is bound
// for every contact (Art. 3(1)); one established outside only for contacts
// in the EU/EEA, with the desk taking the safe side for those of unknown
// country (Art. 3(2)); until the country is set, every contact (the safe
// reading). Holding a contact in scope needs a lawful basis (Art. 6(1)).
// Anonymized contacts are out of scope; restricted ones are still held
// (Art. 18). The query and the predicate are the same set.
func TestInScopeWithoutBasis(t *testing.T) {
	basis := []BasisAssignment{{Basis: BasisContract}}
	de, us, unset := Settings{Establishment: "DE"}, Settings{Establishment: "US"}, Settings{}
	tests := []struct {
		name   string
		c      Contact
		inside bool // established in the EU/EEA, or not set
		abroad bool // established outside
	}{
		{"EU, no basis", Contact{Country: "DE", Status: ContactActive}, true, true},
		{"EEA, no basis", Contact{Country: "NO", Status: ContactActive}, true, true},
		{"unknown country, no basis", Contact{Status: ContactActive}, true, true},
		{"restricted, no basis", Contact{Country: "FR", Status: ContactRestricted}, true, true},
		{"EU with a basis", Contact{Country: "DE", Status: ContactActive, Bases: basis}, false, false},
		{"unknown with a basis", Contact{Status: ContactActive, Bases: basis}, false, false},
		{"outside the EU/EEA", Contact{Country: "US", Status: ContactActive}, true, false},
		{"GB is outside", Contact{Country: "GB", Status: ContactActive}, true, false},
		{"anonymized EU", Contact{Country: "DE", Status: ContactAnonymized}, false, false},
		{"anonymized US", Contact{Country: "US", Status: ContactAnonymized}, false, false},
		{"held (erased but for a hold)", Contact{Country: "DE", Status: ContactHeld}, false, false},
	}
	for _, set := range []struct {
		s      Settings
		abroad bool
		query  string
	}{
		{de, false, "basis:none status:active|restricted"},
		{unset, false, "basis:none status:active|restricted"},
		{us, true, "eu:yes|unknown basis:none status:active|restricted"},
	} {
		q := WithoutBasisQuery(set.s)
		for _, tt := range tests {
			want := tt.inside
			if set.abroad {
				want = tt.abroad
			}
			if got := InScopeWithoutBasis(&tt.c, set.s); got != want {
				t.Errorf("established %q, %s: InScopeWithoutBasis = %v, want %v", set.s.Establishment, tt.name, got, want)
			}
			if got := q.Matches(&tt.c); got != want {
				t.Errorf("established %q, %s: WithoutBasisQuery().Matches = %v, want %v", set.s.Establishment, tt.name, got, want)
			}
		}
		back, err := ParseQuery(q.String())
		if err != nil || !reflect.DeepEqual(back, q) {
			t.Errorf("ParseQuery(%q) = %+v, %v; want %+v", q.String(), back, err, q)
		}
		if s := q.String(); s != set.query {
			t.Errorf("established %q: WithoutBasisQuery().String() = %q, want %q", set.s.Establishment, s, set.query)
		}
		// The checklist's items about the set list the same contacts.
		items, _, _ := Readiness(nil, Snapshot{Settings: set.s}, time.Time{})
		for _, it := range items {
			if (it.ID == "basis-recorded" || it.ID == "basis-sweep") && it.Fix != q.String() {
				t.Errorf("established %q: checklist item %s fixes %q, want the set %q", set.s.Establishment, it.ID, it.Fix, q.String())
			}
		}
	}
	// A US contact with a basis is in scope for an EU controller; the
	// counter of the abroad set never holds it.
	c := Contact{Country: "US", Status: ContactActive, Bases: basis}
	if !InScope(&c, de) || InScope(&c, us) || InScopeFromAbroad(&c) || !InScope(&c, unset) {
		t.Error("a US contact is in scope for a controller in DE or unset, not for one in the US")
	}
}

// TestEstablishment: an unset country is neither inside nor outside; the
// EEA's non-EU members are inside (Art. 3, EEA Agreement).
func TestEstablishment(t *testing.T) {
	for _, tt := range []struct {
		code            string
		inside, outside bool
	}{{"", false, false}, {"DE", true, false}, {"NO", true, false}, {"US", false, true}, {"GB", false, true}, {"CH", false, true}} {
		s := Settings{Establishment: tt.code}
		if s.EstablishedInEEA() != tt.inside || s.EstablishedOutsideEEA() != tt.outside {
			t.Errorf("%q: inside %v outside %v, want %v %v", tt.code, s.EstablishedInEEA(), s.EstablishedOutsideEEA(), tt.inside, tt.outside)
		}
	}
}
