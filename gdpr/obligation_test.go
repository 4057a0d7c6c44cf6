package gdpr

import (
	"reflect"
	"testing"
)

// TestObligations: an unpaid balance may keep the data for a legal claim
// (Art. 17(3)(e)); an open contract means Art. 17(1) does not apply yet.
// A zero or negative balance (a credit) and a closed contract are none.
func TestObligations(t *testing.T) {
	tests := []struct {
		name    string
		c       Contact
		want    []Obligation
		article []string
		text    string
	}{
		{"none", Contact{}, nil, nil, ""},
		{"paid up", Contact{Balance: 0}, nil, nil, ""},
		{"credit", Contact{Balance: -500}, nil, nil, ""},
		{"unpaid", Contact{Balance: 1250}, []Obligation{{Kind: ObligationBalance, Cents: 1250, Article: "Art. 17(3)(e)"}}, []string{"Art. 17(3)(e)"}, "an unpaid balance of 12.50"},
		{"one cent", Contact{Balance: 1}, []Obligation{{Kind: ObligationBalance, Cents: 1, Article: "Art. 17(3)(e)"}}, []string{"Art. 17(3)(e)"}, "an unpaid balance of 0.01"},
		{"contract", Contact{OpenContract: true}, []Obligation{{Kind: ObligationContract, Article: "Art. 17(1)"}}, []string{"Art. 17(1)"}, "an open contract"},
		{"both", Contact{Balance: 10000, OpenContract: true}, []Obligation{
			{Kind: ObligationBalance, Cents: 10000, Article: "Art. 17(3)(e)"},
			{Kind: ObligationContract, Article: "Art. 17(1)"},
		}, []string{"Art. 17(3)(e)", "Art. 17(1)"}, "an unpaid balance of 100.00 and an open contract"},
	}
	for _, tt := range tests {
		got := tt.c.Obligations()
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s: Obligations() = %+v, want %+v", tt.name, got, tt.want)
		}
		var arts []string
		for _, o := range got {
			arts = append(arts, o.Article)
		}
		if !reflect.DeepEqual(arts, tt.article) {
			t.Errorf("%s: articles %q, want %q", tt.name, arts, tt.article)
		}
		if s := ObligationsText(got); s != tt.text {
			t.Errorf("%s: ObligationsText = %q, want %q", tt.name, s, tt.text)
		}
	}
}
