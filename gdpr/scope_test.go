package gdpr

import (
	"reflect"
	"testing"
)

// TestInScopeWithoutBasis: the GDPR applies to contacts in the EU/EEA, and
// the desk takes the safe side for those of unknown country (Art. 3(2));
// holding one of them needs a lawful basis (Art. 6(1)). Anonymized
// contacts are out of scope; restricted ones are still held (Art. 18). The
// query and the predicate are the same set.
func TestInScopeWithoutBasis(t *testing.T) {
	basis := []BasisAssignment{{Basis: BasisContract}}
	tests := []struct {
		name string
		c    Contact
		want bool
	}{
		{"EU, no basis", Contact{Country: "DE", Status: ContactActive}, true},
		{"EEA, no basis", Contact{Country: "NO", Status: ContactActive}, true},
		{"unknown country, no basis", Contact{Status: ContactActive}, true},
		{"restricted, no basis", Contact{Country: "FR", Status: ContactRestricted}, true},
		{"EU with a basis", Contact{Country: "DE", Status: ContactActive, Bases: basis}, false},
		{"unknown with a basis", Contact{Status: ContactActive, Bases: basis}, false},
		{"outside the EU/EEA", Contact{Country: "US", Status: ContactActive}, false},
		{"GB is outside", Contact{Country: "GB", Status: ContactActive}, false},
		{"anonymized EU", Contact{Country: "DE", Status: ContactAnonymized}, false},
		{"anonymized unknown", Contact{Status: ContactAnonymized}, false},
	}
	q := WithoutBasisQuery()
	for _, tt := range tests {
		if got := InScopeWithoutBasis(&tt.c); got != tt.want {
			t.Errorf("%s: InScopeWithoutBasis = %v, want %v", tt.name, got, tt.want)
		}
		if got := q.Matches(&tt.c); got != tt.want {
			t.Errorf("%s: WithoutBasisQuery().Matches = %v, want %v", tt.name, got, tt.want)
		}
		if got := InScope(&tt.c); got != (tt.want || len(tt.c.Bases) > 0 && tt.c.EU() != EUNo && tt.c.Status != ContactAnonymized) {
			t.Errorf("%s: InScope = %v", tt.name, got)
		}
	}
	// The query reads back as typed, so a list opened from its text is
	// the same set.
	back, err := ParseQuery(q.String())
	if err != nil || !reflect.DeepEqual(back, q) {
		t.Errorf("ParseQuery(%q) = %+v, %v; want %+v", q.String(), back, err, q)
	}
	if s := q.String(); s != "eu:yes|unknown basis:none status:active|restricted" {
		t.Errorf("WithoutBasisQuery().String() = %q", s)
	}
	// The checklist's items about the set list the same contacts.
	for _, id := range []string{"basis-recorded", "basis-sweep"} {
		if it, _ := ChecklistItem(id); it.Fix != q.String() {
			t.Errorf("checklist item %s fixes %q, want the set %q", id, it.Fix, q.String())
		}
	}
}
