package gdpr

import (
	"fmt"
	"strings"
	"time"
)

// DPIAOutcome is what a DPIA screening concluded (Art. 35(1)).
type DPIAOutcome string

// The outcomes of a screening.
const (
	DPIANeeded    DPIAOutcome = "needed"
	DPIANotNeeded DPIAOutcome = "not-needed"
)

// ParseDPIAOutcome reads an outcome ("needed" or "not-needed";
// "not needed" and "not_needed" too).
func ParseDPIAOutcome(s string) (DPIAOutcome, error) {
	v := strings.NewReplacer(" ", "-", "_", "-").Replace(strings.ToLower(strings.TrimSpace(s)))
	switch o := DPIAOutcome(v); o {
	case DPIANeeded, DPIANotNeeded:
		return o, nil
	}
	return "", fmt.Errorf("unknown DPIA outcome %q: use needed or not-needed", s)
}

// DPIAScreening is the record of a screening against the nine criteria of
// the EDPB's guidelines on DPIAs (WP248 rev.01, endorsed by the EDPB): which
// of them the business's processing meets, what it concluded and why
// (Art. 35(1), 35(3); SPEC §10). The desk keeps the latest one; the audit
// log keeps every one recorded.
type DPIAScreening struct {
	Evaluation         bool `json:"evaluation"`          // 1. evaluation or scoring, profiling and predicting included
	AutomatedDecisions bool `json:"automated_decisions"` // 2. automated decisions with legal or similarly significant effect
	Monitoring         bool `json:"monitoring"`          // 3. systematic monitoring
	Sensitive          bool `json:"sensitive"`           // 4. sensitive data or data of a highly personal nature
	LargeScale         bool `json:"large_scale"`         // 5. data processed on a large scale
	Matching           bool `json:"matching"`            // 6. matching or combining datasets
	Vulnerable         bool `json:"vulnerable"`          // 7. data concerning vulnerable data subjects
	Innovative         bool `json:"innovative"`          // 8. innovative use of new technological or organisational solutions
	PreventsRights     bool `json:"prevents_rights"`     // 9. prevents people from exercising a right or using a service or contract

	Notes   string      `json:"notes,omitempty"`
	Outcome DPIAOutcome `json:"outcome"`
	Why     string      `json:"why,omitempty"`
	At      time.Time   `json:"at,omitzero"`
	By      string      `json:"by,omitempty"`
}

// DPIACriterion is one of the nine criteria: its name on the command line
// and its words in the guidelines.
type DPIACriterion struct {
	Name  string
	Label string
	field func(*DPIAScreening) *bool
}

// DPIACriteria lists the nine criteria of WP248 rev.01 in its order.
func DPIACriteria() []DPIACriterion {
	return []DPIACriterion{
		{"evaluation", "evaluation or scoring (profiling, predicting)", func(d *DPIAScreening) *bool { return &d.Evaluation }},
		{"automated-decisions", "automated decisions with legal or similarly significant effect", func(d *DPIAScreening) *bool { return &d.AutomatedDecisions }},
		{"monitoring", "systematic monitoring", func(d *DPIAScreening) *bool { return &d.Monitoring }},
		{"sensitive", "sensitive data or data of a highly personal nature", func(d *DPIAScreening) *bool { return &d.Sensitive }},
		{"large-scale", "data processed on a large scale", func(d *DPIAScreening) *bool { return &d.LargeScale }},
		{"matching", "matching or combining datasets", func(d *DPIAScreening) *bool { return &d.Matching }},
		{"vulnerable", "data concerning vulnerable people", func(d *DPIAScreening) *bool { return &d.Vulnerable }},
		{"innovative", "innovative use of new technology", func(d *DPIAScreening) *bool { return &d.Innovative }},
		{"prevents-rights", "prevents people from exercising a right or using a service or contract", func(d *DPIAScreening) *bool { return &d.PreventsRights }},
	}
}

// DPIACriterionNames lists the criteria's names, for help and errors.
func DPIACriterionNames() []string {
	var out []string
	for _, c := range DPIACriteria() {
		out = append(out, c.Name)
	}
	return out
}

// SetCriteria marks the named criteria met (and every other one not met).
// An unknown name is an error that lists the names.
func (d *DPIAScreening) SetCriteria(names []string) error {
	for _, c := range DPIACriteria() {
		*c.field(d) = false
	}
	for _, n := range names {
		n = strings.ToLower(strings.TrimSpace(n))
		found := false
		for _, c := range DPIACriteria() {
			if c.Name == n || strings.ReplaceAll(c.Name, "-", "_") == n {
				*c.field(d), found = true, true
			}
		}
		if !found {
			return fmt.Errorf("unknown DPIA criterion %q: use %s", n, strings.Join(DPIACriterionNames(), ", "))
		}
	}
	return nil
}

// Met lists the criteria the screening marks as met, in the guidelines'
// order.
func (d DPIAScreening) Met() []DPIACriterion {
	var out []DPIACriterion
	for _, c := range DPIACriteria() {
		if *c.field(&d) {
			out = append(out, c)
		}
	}
	return out
}

// DPIALikelyThreshold is how many criteria make a DPIA likely needed: "in
// most cases, a data controller can consider that a processing meeting two
// criteria would require a DPIA to be carried out" (WP248 rev.01, III.B.a).
const DPIALikelyThreshold = 2

// DPIALikelyNeeded reports whether the screened processing meets enough of
// the nine criteria for a DPIA to be likely required (Art. 35(1), EDPB).
func DPIALikelyNeeded(d DPIAScreening) bool { return len(d.Met()) >= DPIALikelyThreshold }

// Validate checks a screening before it is stored: it has an outcome, and
// concluding "not needed" although two or more criteria are met needs the
// reason in writing (WP248 rev.01: the controller documents why it did not
// carry out a DPIA despite meeting them).
func (d DPIAScreening) Validate() error {
	if _, err := ParseDPIAOutcome(string(d.Outcome)); err != nil {
		return err
	}
	if err := checkNote("DPIA notes", d.Notes, MaxFieldLen); err != nil {
		return err
	}
	if err := checkNote("DPIA reason", d.Why, MaxFieldLen); err != nil {
		return err
	}
	if d.Outcome == DPIANotNeeded && DPIALikelyNeeded(d) && strings.TrimSpace(d.Why) == "" {
		return fmt.Errorf("%d of the nine criteria are met, so a DPIA is likely needed (EDPB, Art. 35): concluding it is not needed requires the reason (--why)", len(d.Met()))
	}
	return nil
}

// Summary says the screening in one line: "DPIA not needed (1 of 9
// criteria met: large scale)".
func (d DPIAScreening) Summary() string {
	met := d.Met()
	words := "needed"
	if d.Outcome == DPIANotNeeded {
		words = "not needed"
	}
	s := fmt.Sprintf("DPIA %s (%d of 9 criteria met", words, len(met))
	if len(met) > 0 {
		names := make([]string, len(met))
		for i, c := range met {
			names[i] = c.Name
		}
		s += ": " + strings.Join(names, ", ")
	}
	return s + ")"
}

// dpiaScreened: a screening against the nine criteria is recorded, with
// its outcome (Art. 35; SPEC §10). The item is about the screening: one
// that concludes a DPIA is needed is done as a screening, and says so.
func dpiaScreened(d *DPIAScreening) Evaluation {
	if d == nil || d.At.IsZero() {
		return Evaluation{Value: "no DPIA screening recorded"}
	}
	v := d.Summary() + ", screened " + d.At.UTC().Format(time.DateOnly)
	if d.Outcome == DPIANeeded {
		v += ": carry out the DPIA before the processing (Art. 35(1), 35(7))"
	}
	return Evaluation{Done: true, Value: v}
}
