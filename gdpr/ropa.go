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
// Recipients (d) may rightly be none, but each one a purpose names must be
// in the recipients register (UnknownRecipients): there its role, country,
// DPA and transfer safeguard are recorded, and from there the person's
// access package names it. Transfers (e) follow from the recipients
// register, which transfers-safeguarded measures.
func ROPAGaps(purposes []Purpose, register []Recipient) []ROPAGap {
	var out []ROPAGap
	for _, p := range purposes {
		var missing []string
		blank := func(s string) bool { return strings.TrimSpace(s) == "" }
		if unknown := UnknownRecipients(p, register); len(unknown) > 0 {
			missing = append(missing, "recipients not in the register: "+strings.Join(unknown, ", "))
		}
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
// date they were signed (SPEC §10 records them "with their date"), an
// adequacy decision for a country that has none (HasAdequacyDecision:
// stores written before the desk checked it), a processor on an Art. 49
// derogation (derogations are for occasional transfers, not a processor's
// routine ones: EDPB Guidelines 2/2018), and a recipient of unknown
// country — whether its data leaves the EEA cannot be told.
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
		case r.CheckAdequacy() != nil:
			out = append(out, TransferGap{Recipient: r.Name, Country: r.Country, Missing: "no adequacy decision exists for " + r.Country + " (Art. 45)"})
		case r.Safeguard == SafeguardDerogation && r.Role == RecipientProcessor:
			out = append(out, TransferGap{Recipient: r.Name, Country: r.Country, Missing: "a processor's routine transfers cannot rest on an Art. 49 derogation (EDPB Guidelines 2/2018): record standard contractual clauses or another safeguard"})
		}
	}
	return out
}

// BalancingGap is a purpose on legitimate interests that cannot rest on
// them as recorded: its balancing test is missing or incomplete (or an
// older store's outcome needs review), or it failed.
type BalancingGap struct {
	Purpose string
	Failed  bool  // the test failed: the person's interests override the controller's
	Err     error // what is missing, when not Failed
}

// BalancingGaps lists the purposes on legitimate interests without a
// complete balancing test that passed (Art. 6(1)(f), recital 47): the
// interest, why the processing is necessary for it, the balance against
// the person's interests and rights, and the outcome. A test that failed
// is complete, but legitimate interests cannot then be relied on: the
// purpose needs another basis, or the processing stops.
func BalancingGaps(purposes []Purpose) []BalancingGap {
	var out []BalancingGap
	for _, p := range purposes {
		if p.Basis != BasisLegitimateInterests {
			continue
		}
		if err := p.Balancing.Validate(); err != nil {
			out = append(out, BalancingGap{Purpose: p.Name, Err: err})
		} else if p.Balancing.Outcome == BalancingFailed {
			out = append(out, BalancingGap{Purpose: p.Name, Failed: true})
		}
	}
	return out
}

// Validate checks a balancing test is complete: each of its three parts
// written down and an outcome, passed or failed (an older store's outcome
// that did not read as passed has none: it needs review). A nil test is
// missing.
func (b *BalancingTest) Validate() error {
	if b == nil {
		return fmt.Errorf("no balancing test recorded")
	}
	var missing []string
	for _, f := range []struct{ name, v string }{{"interest", b.Interest}, {"necessity", b.Necessity}, {"balance", b.Balance}} {
		if strings.TrimSpace(f.v) == "" {
			missing = append(missing, f.name)
		} else if err := checkNote("balancing test "+f.name, f.v, MaxFieldLen); err != nil {
			return err
		}
	}
	if err := checkNote("balancing test notes", b.Notes, MaxFieldLen); err != nil {
		return err
	}
	if b.Outcome == "" {
		missing = append(missing, "outcome (passed or failed)")
	} else if _, err := ParseBalancingOutcome(string(b.Outcome)); err != nil {
		return err
	}
	if len(missing) > 0 {
		return fmt.Errorf("the balancing test needs its %s", strings.Join(missing, ", "))
	}
	return nil
}

// BalancingWarning is what recording the purpose's balancing test must
// tell the operator, or "": a failed test means legitimate interests
// cannot be relied on (Art. 6(1)(f)) — the test is kept as the record,
// but the purpose needs another basis or the processing must stop.
func BalancingWarning(p Purpose) string {
	if p.Basis != BasisLegitimateInterests || p.Balancing == nil || p.Balancing.Outcome != BalancingFailed {
		return ""
	}
	return "the balancing test of " + p.Name + " failed: legitimate interests cannot be relied on (Art. 6(1)(f)); choose another basis (e.g. consent) or stop the processing"
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

// ropaComplete: the controller's part of the record (Art. 30(1)(a),
// ControllerGaps) and every purpose's row (ROPAGaps) are complete; an
// empty register proves nothing.
func ropaComplete(purposes []Purpose, recipients []Recipient, st Settings) Evaluation {
	var parts []string
	if gaps := ControllerGaps(st); len(gaps) > 0 {
		parts = append(parts, "Art. 30(1)(a): "+strings.Join(gaps, ", "))
	}
	if len(purposes) == 0 {
		return Evaluation{Value: strings.Join(append(parts, "the purposes register is empty"), "; ")}
	}
	gaps := ROPAGaps(purposes, recipients)
	if len(gaps) == 0 && len(parts) == 0 {
		return Evaluation{Done: true, Value: fmt.Sprintf("%s, each complete", plural(int64(len(purposes)), "purpose"))}
	}
	if len(gaps) > 0 {
		rows := make([]string, len(gaps))
		for i, g := range gaps {
			rows[i] = g.Purpose + " (" + strings.Join(g.Missing, ", ") + ")"
		}
		parts = append(parts, fmt.Sprintf("%d of %d incomplete: %s", len(gaps), len(purposes), strings.Join(rows, "; ")))
	}
	return Evaluation{Value: strings.Join(parts, "; ")}
}

// ControllerGaps lists what the head of the records of processing lacks
// (Art. 30(1)(a)): the controller's name and contact details; the EU
// representative's, when Art. 27 applies (established outside the EU/EEA,
// EstablishedOutsideEEA); the DPO's contact details, when a DPO is named.
func ControllerGaps(st Settings) []string {
	blank := func(s string) bool { return strings.TrimSpace(s) == "" }
	var out []string
	if blank(st.Controller.Name) {
		out = append(out, "controller name")
	}
	if blank(st.Controller.Email) && blank(st.Controller.Address) {
		out = append(out, "controller contact")
	}
	if st.EstablishedOutsideEEA() {
		switch {
		case !st.EURep.Filled():
			out = append(out, "EU representative (Art. 27)")
		case blank(st.EURep.Email) && blank(st.EURep.Address):
			out = append(out, "EU representative's contact")
		}
	}
	if st.DPO.Filled() && blank(st.DPO.Email) && blank(st.DPO.Address) {
		out = append(out, "DPO contact")
	}
	return out
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
		var failed, incomplete []string
		for _, g := range gaps {
			if g.Failed {
				failed = append(failed, g.Purpose+" (balancing test failed)")
			} else {
				incomplete = append(incomplete, g.Purpose)
			}
		}
		var parts []string
		if len(failed) > 0 {
			parts = append(parts, "legitimate interests cannot be relied on: "+strings.Join(failed, ", "))
		}
		if len(incomplete) > 0 {
			parts = append(parts, "no complete balancing test: "+strings.Join(incomplete, ", "))
		}
		return Evaluation{Value: strings.Join(parts, "; ")}
	}
	if li == 0 {
		return Evaluation{Done: true, Value: "no purpose on legitimate interests"}
	}
	return Evaluation{Done: true, Value: fmt.Sprintf("%s on legitimate interests, each with a balancing test that passed", plural(li, "purpose"))}
}
