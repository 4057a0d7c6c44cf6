package ui

import (
	"context"
	"fmt"
	"strings"

	tea "charm.land/bubbletea/v2"
	"charm.land/huh/v2"
	"github.com/gdprdesk/gdprdesk/gdpr"
	"github.com/gdprdesk/gdprdesk/internal/desk"
	"github.com/gdprdesk/gdprdesk/store"
)

// basisDialog adds or removes a lawful basis on this contact alone, from
// the contact screen: the same change as the bulk form's (desk.
// ApplyBasisChange) on one id. Consent is not a basis to set here: it is
// given for a purpose, with the wording in force (c and w record it).
func (v *contactView) basisDialog() *dialog {
	c := v.contact
	remove := false
	var held []gdpr.Basis
	for _, b := range gdpr.Bases() {
		if b != gdpr.BasisConsent && c.HasBasis(b) {
			held = append(held, b)
		}
	}
	basis := gdpr.BasisContract
	var opts []huh.Option[gdpr.Basis]
	for _, b := range gdpr.Bases() {
		if b != gdpr.BasisConsent {
			opts = append(opts, huh.NewOption(b.Label(), b))
		}
	}
	source, evidence := gdpr.SourceManual, ""
	op, id, st := v.c.operator, v.id, v.c.store
	what := huh.NewGroup(
		huh.NewSelect[bool]().Title("Change").Options(huh.NewOption("add a basis", false), huh.NewOption("remove a basis", true)).Value(&remove),
		huh.NewSelect[gdpr.Basis]().Title("Lawful basis (Art. 6(1))").
			Description("consent is recorded per purpose with c; withdrawn with w").Options(opts...).Value(&basis),
	)
	// Removing asks for neither: nothing is recorded but the removal.
	proof := huh.NewGroup(
		huh.NewInput().Title("Source").Description("where it comes from, e.g. purchase, in_person").Value(&source),
		huh.NewInput().Title("Evidence").Description("what shows it, e.g. order 1042 (kept sealed; no more than needed)").Value(&evidence),
	).WithHideFunc(func() bool { return remove })
	return newDialogGroups("Lawful basis of "+id.String(), func() tea.Cmd {
		return v.act(func() (string, error) {
			if remove && !c.HasBasis(basis) {
				return "", fmt.Errorf("%s does not hold %s: nothing to remove (it holds %s)", id, basis.Label(), basesWords(held))
			}
			if !remove && strings.TrimSpace(evidence) == "" {
				return "", fmt.Errorf("say what shows the basis (the evidence): an auditor will ask")
			}
			ch := store.BasisChange{Basis: basis, Remove: remove, Source: strings.TrimSpace(source), Evidence: strings.TrimSpace(evidence)}
			if remove {
				ch.Source, ch.Evidence = "", ""
			}
			res, err := desk.ApplyBasisChange(context.Background(), st, op, desk.Contacts{IDs: []gdpr.ContactID{id}}, ch, nil)
			if err != nil {
				return "", fmt.Errorf("lawful basis of %s: %w", id, err)
			}
			verb := "Added " + basis.Label() + " to"
			if remove {
				verb = "Removed " + basis.Label() + " from"
			}
			if res.Changed == 0 {
				return id.String() + " is already as asked: nothing changed", nil
			}
			if remove && !c.KeepsABasisWithout(basis, "") {
				return verb + " " + id.String() + "; it now has no lawful basis: it may not be processed (Art. 6(1))", nil
			}
			return verb + " " + id.String(), nil
		})
	}, what, proof)
}

// basesWords names bases in plain words ("none" for none).
func basesWords(bs []gdpr.Basis) string {
	if len(bs) == 0 {
		return "no basis but consent"
	}
	words := make([]string, len(bs))
	for i, b := range bs {
		words[i] = b.Label()
	}
	return strings.Join(words, ", ")
}
