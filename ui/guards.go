package ui

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"charm.land/huh/v2"
	"charm.land/lipgloss/v2"
	"github.com/gdprdesk/gdprdesk/gdpr"
)

// The rule book's guards on the contact view (SPEC §9): restriction and
// its lifting (Art. 18), legal holds (Art. 17(3)(b)), and the erasure
// guards the anonymize confirmation shows instead of proceeding.

// guardKey handles the keys of a held contact and the hold key; done
// reports whether the key was handled here.
func (v *contactView) guardKey(msg tea.KeyPressMsg) (tea.Cmd, bool) {
	k := v.c.keys
	if key.Matches(msg, k.Hold) {
		action := gdpr.ActionContactHold
		if v.contact.Hold != nil {
			action = gdpr.ActionContactRelease
		}
		if ok, cmd := v.c.mayDo(action); !ok {
			return cmd, true
		}
		return openDialog(v.c, &v.dialog, v.holdDialog()), true
	}
	if v.contact.Status == gdpr.ContactHeld {
		for _, b := range []key.Binding{k.Edit, k.Consent, k.Withdraw, k.Restrict, k.Anonymize, k.Export, k.NewRequest} {
			if key.Matches(msg, b) {
				return v.c.refuse("a change to a contact erased under a legal hold (Art. 17(3)(b))",
					"this contact is "+v.contact.HeldLabel()+": only the hold can be released (h)"), true
			}
		}
	}
	return nil, false
}

// guardLines are the contact view's lines on restriction and hold, w
// cells wide: the owner's reasons are wrapped, never cut.
func (v *contactView) guardLines(w int) []string {
	st, c := v.c.styles, v.contact
	var out []string
	if c.Status == gdpr.ContactHeld {
		out = append(out, st.Warn.Render(c.HeldLabel())+st.Subtle.Render(" (Art. 17(3)(b)): kept "+strings.Join(c.Hold.Keep, ", ")))
	}
	if c.Status == gdpr.ContactRestricted {
		since := ""
		if !c.RestrictedAt.IsZero() {
			since = " since " + c.RestrictedAt.Format(time.DateOnly)
		}
		line := st.Warn.Render("Restricted (Art. 18)"+since) + ": " + dash(c.RestrictionReason)
		out = append(out, strings.Split(lipgloss.NewStyle().Width(max(w, 20)).Render(line), "\n")...)
	}
	if !c.MarketingObjection.IsZero() {
		out = append(out, st.Warn.Render("Objected to marketing")+" on "+c.MarketingObjection.Format(time.DateOnly)+st.Subtle.Render(" (Art. 21(3)): never marketed"))
	}
	if c.Hold != nil && c.Status != gdpr.ContactHeld {
		line := st.Warn.Render("Legal hold until "+c.Hold.Until.Format(time.DateOnly)) + ": " + plain(c.Hold.Reason) +
			st.Subtle.Render(" · keeps "+strings.Join(c.Hold.Keep, ", "))
		out = append(out, strings.Split(lipgloss.NewStyle().Width(max(w, 20)).Render(line), "\n")...)
	}
	if len(out) > 0 {
		out = append(out, "")
	}
	return out
}

func (v *contactView) restrictDialog() *dialog {
	op, id, st, now := v.c.operator, v.id, v.c.store, v.c.now
	if v.contact.Status == gdpr.ContactRestricted {
		told := now().Format(time.DateOnly)
		return newDialog("Lift the restriction of "+id.String()+" (Art. 18(3))", func() tea.Cmd {
			return v.act(func() (string, error) {
				day, err := time.Parse(time.DateOnly, strings.TrimSpace(told))
				if err != nil {
					return "", errors.New("told on: use YYYY-MM-DD")
				}
				if err := st.LiftRestriction(op, id, day); err != nil {
					return "", fmt.Errorf("lift restriction: %w", err)
				}
				return "Lifted the restriction of " + id.String(), nil
			})
		}, huh.NewInput().Title("Person told on").
			Description("YYYY-MM-DD: the person must be told before it is lifted; a marketing objection stays").Value(&told))
	}
	reason := ""
	return newDialog("Restrict "+id.String()+" (Art. 18): stored only until lifted", func() tea.Cmd {
		return v.act(func() (string, error) {
			if err := st.Restrict(op, id, strings.TrimSpace(reason)); err != nil {
				return "", fmt.Errorf("restrict: %w", err)
			}
			return "Restricted " + id.String(), nil
		})
	}, huh.NewInput().Title("Reason").Description("e.g. contests accuracy, objection being weighed (no personal details)").Value(&reason).Validate(nonEmpty("a reason")))
}

// holdDialog places a hold (reason, until, fields kept), or releases it.
func (v *contactView) holdDialog() *dialog {
	op, id, st, now := v.c.operator, v.id, v.c.store, v.c.now
	if h := v.contact.Hold; h != nil {
		release := false
		title := "Release the legal hold of " + id.String() + " (until " + h.Until.Format(time.DateOnly) + ")"
		ask := "Release it? The held fields may then be erased"
		if v.contact.Status == gdpr.ContactHeld {
			ask = "Release it? The held records are erased for good now"
		}
		return newDialog(title, func() tea.Cmd {
			if !release {
				return status("the hold stays; nothing changed")
			}
			return v.act(func() (string, error) {
				if err := st.ReleaseHold(op, id); err != nil {
					return "", fmt.Errorf("release hold: %w", err)
				}
				return "Released the legal hold of " + id.String(), nil
			})
		}, huh.NewConfirm().Title(ask).Affirmative("Release").Negative("Keep").Value(&release))
	}
	reason, until, keep := "", now().AddDate(10, 0, 0).Format(time.DateOnly), strings.Join(gdpr.DefaultHoldKeep(), ",")
	return newDialog("Legal hold on "+id.String()+" (Art. 17(3)(b))", func() tea.Cmd {
		return v.act(func() (string, error) {
			day, err := time.Parse(time.DateOnly, strings.TrimSpace(until))
			if err != nil {
				return "", errors.New("until: use YYYY-MM-DD")
			}
			h := gdpr.Hold{Reason: strings.TrimSpace(reason), Until: day}
			for _, f := range strings.Split(keep, ",") {
				if f = strings.TrimSpace(f); f != "" {
					h.Keep = append(h.Keep, f)
				}
			}
			if err := st.SetHold(op, id, h); err != nil {
				return "", fmt.Errorf("hold: %w", err)
			}
			return "Legal hold on " + id.String() + " until " + day.Format(time.DateOnly), nil
		})
	},
		huh.NewInput().Title("Reason").Description("the legal duty, e.g. invoices: 10 years, tax law").Value(&reason).Validate(nonEmpty("a reason")),
		huh.NewInput().Title("Until").Description("YYYY-MM-DD, when the duty ends").Value(&until),
		huh.NewInput().Title("Keep").Description("fields kept: "+strings.Join(gdpr.HoldFields(), ", ")).Value(&keep),
	)
}

// erasureBlockedDialog shows, instead of the confirmation, why the contact
// cannot be erased now (gdpr.ErasureBlockers), or nil when it can. A hold
// in force does not block: the erasure then keeps the held fields.
func (v *contactView) erasureBlockedDialog(answering gdpr.RequestID) *dialog {
	var why []string
	for _, b := range gdpr.ErasureBlockers(&v.contact, v.requests, answering, v.c.now()) {
		if b.Kind != gdpr.BlockHold {
			why = append(why, "• "+plain(b.Reason))
		}
	}
	if len(why) == 0 {
		return nil
	}
	ok := true
	d := newDialog("Anonymize "+v.id.String()+": not now (SPEC §9 erasure guards)", func() tea.Cmd {
		return refused("nothing changed: " + v.id.String() + " cannot be erased yet")
	}, huh.NewConfirm().Title("Understood").Affirmative("OK").Negative("").Value(&ok))
	d.body = strings.Join(why, "\n")
	// Refused once, when the reasons are shown.
	d.opened = v.c.recordRefusal(string(gdpr.ActionContactAnonymize) + " blocked by the erasure guards")
	return d
}

// heldErasureText says what an erasure under a hold does.
func heldErasureText(c gdpr.Contact) string {
	return fmt.Sprintf("%s is under a legal hold until %s (%s): everything but %s is destroyed now — emails, phone, notes, custom fields, consents, evidence — and the addresses go on the suppression list; the sweep erases the rest when the hold ends.",
		c.ID, c.Hold.Until.Format(time.DateOnly), plain(c.Hold.Reason), plain(strings.Join(c.Hold.Keep, ", ")))
}
