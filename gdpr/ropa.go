package gdpr

import (
	"fmt"
	"strings"
)

// The rules of the records of processing (Art. 30), of transfers outside
// the EEA (Art. 44–46) and of balancing tests (Art. 6(1)(f)) that the
// checklist measures (SPEC §10).

// ROPAGap is a purpose whose Art. 30(1) record lacks something, and what.
type ROPAGap struct {
	Purpose string
	Missing []string // in the order of Art. 30(1): "description", "categories of people", …
}

// ROPAGaps lists the purposes whose record of processing is not complete.
// A row of the Art. 30(1) record is complete when it says:
//
//   - (b) the purpose: a description in words (the name alone is a label);
//   - the lawful basis (always there: a purpose cannot be stored without);
//   - (c) the categories of people and the categories of personal data;
//   - (f) the retention, "where possible": the desk asks for it always, in
//     words (a period and its criteria) — a small business can always say
//     how long it keeps its customers' data;
//   - (g) the security measures, in general terms, likewise.
//
// Recipients (d) may rightly be none, and transfers (e) follow from the
// recipients register, which transfers-safeguarded measures.
func ROPAGaps(purposes []Purpose) []ROPAGap {
	var out []ROPAGap
	for _, p := range purposes {
		var missing []string
		blank := func(s string) bool { return strings.TrimSpace(s) == "" }
		if blank(p.Description) {
			missing = append(missing, "description")
		}
		if p.Basis == "" {
			missing = append(missing, "lawful basis")
		}
		if len(p.PeopleCategories) == 0 {
			missing = append(missing, "categories of people")
		}
		if len(p.DataCategories) == 0 {
			missing = append(missing, "categories of data")
		}
		if blank(p.Retention) {
			missing = append(missing, "retention")
		}
		if blank(p.Security) {
			missing = append(missing, "security measures")
		}
		if len(missing) > 0 {
			out = append(out, ROPAGap{Purpose: p.Name, Missing: missing})
		}
	}
	return out
}

// TransferGap is a recipient outside the EEA (or of unknown country) whose
// transfer ground is not recorded, and what is missing.
type TransferGap struct {
	Recipient string
	Country   string
	Missing   string
}

// UnsafeguardedTransfers lists the recipients whose transfer is not
// grounded (Chapter V, Art. 44–46): one in a third country with no
// safeguard (adequacy, standard contractual clauses, binding corporate
// rules, an Art. 49 derogation), standard contractual clauses without the
// date they were signed (SPEC §10 records them "with their date"), and a
// recipient of unknown country — whether its data leaves the EEA cannot
// be told.
func UnsafeguardedTransfers(recipients []Recipient) []TransferGap {
	var out []TransferGap
	for _, r := range recipients {
		switch {
		case r.Country == "":
			out = append(out, TransferGap{Recipient: r.Name, Missing: "country not recorded"})
		case !r.ThirdCountry():
		case r.Safeguard == "":
			out = append(out, TransferGap{Recipient: r.Name, Country: r.Country, Missing: "no safeguard"})
		case r.Safeguard == SafeguardSCC && r.SafeguardAt.IsZero():
			out = append(out, TransferGap{Recipient: r.Name, Country: r.Country, Missing: "standard contractual clauses without their date"})
		}
	}
	return out
}

// BalancingGaps lists the purposes on legitimate interests without a
// complete balancing test (Art. 6(1)(f), recital 47): the interest, why
// the processing is necessary for it, the balance against the person's
// interests and rights, and the outcome.
func BalancingGaps(purposes []Purpose) []string {
	var out []string
	for _, p := range purposes {
		if p.Basis == BasisLegitimateInterests && p.Balancing.Validate() != nil {
			out = append(out, p.Name)
		}
	}
	return out
}

// Validate checks a balancing test is complete: each of its four parts
// written down. A nil test is missing.
func (b *BalancingTest) Validate() error {
	if b == nil {
		return fmt.Errorf("no balancing test recorded")
	}
	var missing []string
	for _, f := range []struct{ name, v string }{{"interest", b.Interest}, {"necessity", b.Necessity}, {"balance", b.Balance}, {"outcome", b.Outcome}} {
		if strings.TrimSpace(f.v) == "" {
			missing = append(missing, f.name)
		} else if err := checkNote("balancing test "+f.name, f.v, MaxFieldLen); err != nil {
			return err
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("the balancing test needs its %s", strings.Join(missing, ", "))
	}
	return nil
}

// CheckBalancing says whether a balancing test may be recorded on the
// purpose: only a purpose on legitimate interests is weighed against the
// person's interests (Art. 6(1)(f)); every other basis stands on its own
// ground, and a test recorded there would suggest otherwise.
func CheckBalancing(p Purpose, b *BalancingTest) error {
	if err := BalancingAllowed(p); err != nil {
		return err
	}
	if err := b.Validate(); err != nil {
		return fmt.Errorf("purpose %s: %w", p.Name, err)
	}
	return nil
}

// BalancingAllowed says whether a balancing test may be recorded on the
// purpose at all: only on legitimate interests (Art. 6(1)(f)). A test
// recorded before the basis changed stays as history; lia-recorded and the
// records of processing read it only while the basis is legitimate
// interests.
func BalancingAllowed(p Purpose) error {
	if p.Basis != BasisLegitimateInterests {
		return fmt.Errorf("purpose %s is on %s, not legitimate interests: a balancing test belongs only to a purpose on legitimate interests (Art. 6(1)(f))", p.Name, p.Basis)
	}
	return nil
}

// ropaComplete: every purpose's Art. 30(1) record is complete (ROPAGaps);
// an empty register proves nothing.
func ropaComplete(purposes []Purpose) Evaluation {
	if len(purposes) == 0 {
		return Evaluation{Value: "the purposes register is empty"}
	}
	gaps := ROPAGaps(purposes)
	if len(gaps) == 0 {
		return Evaluation{Done: true, Value: fmt.Sprintf("%s, each complete", plural(int64(len(purposes)), "purpose"))}
	}
	parts := make([]string, len(gaps))
	for i, g := range gaps {
		parts[i] = g.Purpose + " (" + strings.Join(g.Missing, ", ") + ")"
	}
	return Evaluation{Value: fmt.Sprintf("%d of %d incomplete: %s", len(gaps), len(purposes), strings.Join(parts, "; "))}
}

// transfersSafeguarded: every recipient outside the EEA has its transfer
// ground recorded (UnsafeguardedTransfers); an empty register proves
// nothing.
func transfersSafeguarded(recipients []Recipient) Evaluation {
	if len(recipients) == 0 {
		return Evaluation{Value: "the recipients register is empty"}
	}
	gaps := UnsafeguardedTransfers(recipients)
	var third int64
	for _, r := range recipients {
		if r.ThirdCountry() {
			third++
		}
	}
	if len(gaps) == 0 {
		if third == 0 {
			return Evaluation{Done: true, Value: "no recipient outside the EEA"}
		}
		return Evaluation{Done: true, Value: fmt.Sprintf("%s outside the EEA, each with a safeguard", plural(third, "recipient"))}
	}
	parts := make([]string, len(gaps))
	for i, g := range gaps {
		where := ""
		if g.Country != "" {
			where = " in " + g.Country
		}
		parts[i] = g.Recipient + where + ": " + g.Missing
	}
	return Evaluation{Value: strings.Join(parts, "; ")}
}

// liaRecorded: every purpose on legitimate interests has a complete
// balancing test (BalancingGaps).
func liaRecorded(purposes []Purpose) Evaluation {
	if len(purposes) == 0 {
		return Evaluation{Value: "the purposes register is empty"}
	}
	var li int64
	for _, p := range purposes {
		if p.Basis == BasisLegitimateInterests {
			li++
		}
	}
	if gaps := BalancingGaps(purposes); len(gaps) > 0 {
		return Evaluation{Value: "no complete balancing test: " + strings.Join(gaps, ", ")}
	}
	if li == 0 {
		return Evaluation{Done: true, Value: "no purpose on legitimate interests"}
	}
	return Evaluation{Done: true, Value: fmt.Sprintf("%s on legitimate interests, each with a balancing test", plural(li, "purpose"))}
}
