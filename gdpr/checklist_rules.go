package gdpr

import (
	"fmt"
	"strings"
	"time"
)

// The measurements of the checklist items SPEC §9 "Checklist honesty"
// names: each is done only from evidence that proves it.

// LateWindow is how far back requests-on-time looks for late closures.
const LateWindow = 12 // months

// ClosedLate reports whether a closed request was closed after its due
// date (Art. 12(3)) within the LateWindow months before now. Its due date
// is the last day to answer, so a closure on that day is on time.
func (r Request) ClosedLate(now time.Time) bool {
	if r.Status.Open() || r.ClosedAt.IsZero() || r.FromController() {
		return false
	}
	if r.ClosedAt.Before(now.AddDate(0, -LateWindow, 0)) {
		return false
	}
	return Day(r.ClosedAt).After(Day(r.Due))
}

// requestsOnTime: no request of any of the six types is overdue now, and
// none was closed late in the last 12 months (Art. 12(3)).
func requestsOnTime(s Snapshot) Evaluation {
	var overdue int64
	for _, n := range s.Overdue {
		overdue += n
	}
	if overdue == 0 && s.LateClosed == 0 {
		return Evaluation{Done: true, Value: "none overdue, none closed late in the last 12 months"}
	}
	return Evaluation{Value: fmt.Sprintf("%s overdue; %s closed late in the last 12 months", plural(overdue, "request"), Thousands(s.LateClosed))}
}

// erasureReentry: every erased contact had an address (a contact cannot
// be stored without one), and its erasure put at least that address on
// the suppression list, distinct from every other erased contact's. So
// the list, with the addresses deliberately re-admitted, holds at least
// one entry per erased contact; fewer entries prove that some erased
// person could be re-added (a restore without the list, an erasure that
// skipped it).
func erasureReentry(s Snapshot) Evaluation {
	have := s.Suppressed + s.Readmitted
	v := fmt.Sprintf("%s erased, %s on the suppression list", Thousands(s.Erased), Thousands(s.Suppressed))
	if s.Readmitted > 0 {
		v += fmt.Sprintf(", %s re-admitted", Thousands(s.Readmitted))
	}
	if have < s.Erased {
		return Evaluation{Value: v + fmt.Sprintf(": at least %s missing", Thousands(s.Erased-have))}
	}
	return Evaluation{Done: true, Value: v}
}

// establishment: the country is set, so the scope (Art. 3) and the EU
// representative (Art. 27) follow from it rather than from the safe
// reading.
func establishment(s Settings) Evaluation {
	switch {
	case s.Establishment == "":
		return Evaluation{Value: "not set: every contact is taken to be in scope"}
	case s.EstablishedInEEA():
		return Evaluation{Done: true, Value: "established in " + s.Establishment + " (EU/EEA): every contact is in scope"}
	}
	return Evaluation{Done: true, Value: "established in " + s.Establishment + " (outside the EU/EEA): contacts in the EU/EEA or of unknown country are in scope"}
}

// dpo: a DPO is appointed only with a name and a contact address
// (Art. 37(7): the contact details are published and given to the
// authority).
func dpo(p Person) Evaluation {
	name, email := strings.TrimSpace(p.Name), strings.TrimSpace(p.Email)
	switch {
	case name != "" && email != "":
		return Evaluation{Done: true, Value: "DPO: " + name + " <" + email + ">"}
	case name == "" && email == "":
		return Evaluation{Value: "DPO not set"}
	case name == "":
		return Evaluation{Value: "DPO has no name"}
	}
	return Evaluation{Value: "DPO has no contact address"}
}

// euRep: an EU representative is a duty only of a controller established
// outside the EU/EEA (Art. 27(1)); n/a inside, from the data.
func euRep(s Settings) Evaluation {
	switch {
	case s.EstablishedInEEA():
		return Evaluation{NA: true, Value: "established in " + s.Establishment + " (EU/EEA): no representative needed"}
	case s.Establishment == "":
		return Evaluation{Value: "set your country of establishment first"}
	case s.EURep.Filled():
		return Evaluation{Done: true, Value: "EU representative: " + firstNonEmpty(s.EURep.Name, s.EURep.Email)}
	}
	return Evaluation{Value: "established in " + s.Establishment + ": EU representative not set"}
}

// dpaEachProcessor: every processor in the recipients register has the
// date its data-processing agreement was signed (Art. 28(3)), and that
// date is not after today (a store written before dates were checked may
// hold one: an agreement not yet signed covers nothing). An empty register
// proves nothing, so it is not done.
func dpaEachProcessor(list []Recipient, now time.Time) Evaluation {
	if len(list) == 0 {
		return Evaluation{Value: "the recipients register is empty"}
	}
	var processors int64
	var missing []string
	for _, r := range list {
		if r.Role != RecipientProcessor {
			continue
		}
		processors++
		if r.DPASignedAt.IsZero() || CheckPastDay("DPA signed", r.DPASignedAt, now) != nil {
			missing = append(missing, r.Name)
		}
	}
	if len(missing) > 0 {
		return Evaluation{Value: "no signed DPA: " + strings.Join(missing, ", ")}
	}
	return Evaluation{Done: true, Value: fmt.Sprintf("%s, each with a signed DPA", plural(processors, "processor"))}
}
