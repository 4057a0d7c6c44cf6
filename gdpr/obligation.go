package gdpr

import (
	"fmt"
	"strings"
)

// Obligation is something still outstanding between the business and a
// contact that erasure would destroy the record of. Anonymizing such a
// contact is refused unless the operator gives a reason (SPEC §2, §9).
type Obligation struct {
	Kind    ObligationKind
	Cents   int64  // the unpaid amount, for an unpaid balance
	Article string // where the law says why the data may stay
}

// ObligationKind names an obligation.
type ObligationKind string

// The obligations the desk knows of.
const (
	// ObligationBalance is an unpaid invoice: the data may be kept to
	// establish or defend a legal claim (Art. 17(3)(e)).
	ObligationBalance ObligationKind = "unpaid balance"
	// ObligationContract is a contract still running: the data is still
	// necessary for it, so the right to erasure does not apply yet
	// (Art. 17(1)(a)).
	ObligationContract ObligationKind = "open contract"
)

// Obligations lists what the contact still owes or is owed: an unpaid
// balance above zero (Art. 17(3)(e)) and an open contract (Art. 17(1)).
// Erasure, the contact screen and the request screens all ask this one
// rule; none when the list is empty.
func (c *Contact) Obligations() []Obligation {
	var out []Obligation
	if c.Balance > 0 {
		out = append(out, Obligation{Kind: ObligationBalance, Cents: c.Balance, Article: "Art. 17(3)(e)"})
	}
	if c.OpenContract {
		out = append(out, Obligation{Kind: ObligationContract, Article: "Art. 17(1)"})
	}
	return out
}

// String says the obligation in words: "an unpaid balance of 12.50", "an
// open contract".
func (o Obligation) String() string {
	if o.Kind == ObligationBalance {
		return fmt.Sprintf("an unpaid balance of %d.%02d", o.Cents/100, o.Cents%100)
	}
	return "an " + string(o.Kind)
}

// ObligationsText joins obligations in words: "an unpaid balance of 12.50
// and an open contract".
func ObligationsText(obs []Obligation) string {
	parts := make([]string, len(obs))
	for i, o := range obs {
		parts[i] = o.String()
	}
	return strings.Join(parts, " and ")
}
