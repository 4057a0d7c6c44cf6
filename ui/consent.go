package ui

import (
	"fmt"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"
	"charm.land/huh/v2"
	"github.com/gdprdesk/gdprdesk/gdpr"
)

// Consent per purpose on the contact screen (SPEC §9, Art. 7): c records a
// consent to a purpose of the register at a time (default now), w records
// a withdrawal of a standing one. The store applies the rule book
// (gdpr.GrantConsent, gdpr.WithdrawConsent): the versions in force at the
// time, the consent basis for the purpose.

// consentTimeLayout is how the consent dialog shows and reads a time, in
// the desk's time zone.
const consentTimeLayout = "2006-01-02 15:04"

// consentPurposes are the purposes of the register consent is given to.
func consentPurposes(ps []gdpr.Purpose) []gdpr.Purpose {
	var out []gdpr.Purpose
	for _, p := range ps {
		if p.Basis == gdpr.BasisConsent {
			out = append(out, p)
		}
	}
	return out
}

func (v *contactView) consentDialog() *dialog {
	purposes := consentPurposes(v.purposes)
	if len(purposes) == 0 {
		v.none = "no purpose rests on consent in the register: add one first (gdprdesk purpose add NAME --basis consent)"
		return nil
	}
	opts := make([]huh.Option[string], len(purposes))
	for i, p := range purposes {
		label := plain(p.Name)
		if p.Marketing {
			label += " (direct marketing)"
		}
		opts[i] = huh.NewOption(label, p.Name)
	}
	purpose, method := purposes[0].Name, "recorded at the desk"
	op, id, st, now := v.c.operator, v.id, v.c.store, v.c.now
	loc, zone := v.c.zone.Load(), v.c.zoneName()
	at := now().In(loc).Format(consentTimeLayout)
	readAt := func(s string) (time.Time, error) {
		t, err := time.ParseInLocation(consentTimeLayout, strings.TrimSpace(s), loc)
		if err != nil {
			return t, fmt.Errorf("use YYYY-MM-DD HH:MM (%s)", zone)
		}
		if t.After(now()) {
			return t, fmt.Errorf("consent is recorded once given: not in the future")
		}
		return t, nil
	}
	return newDialog("Record consent for "+id.String()+" (Art. 7): the wording in force at that time is kept", func() tea.Cmd {
		return v.act(func() (string, error) {
			t, err := readAt(at)
			if err != nil {
				return "", err
			}
			// A time typed as the current minute means now.
			if now().Sub(t) < time.Minute {
				t = time.Time{}
			}
			if err := st.GrantConsent(op, id, purpose, t, strings.TrimSpace(method)); err != nil {
				return "", fmt.Errorf("record consent: %w", err)
			}
			return fmt.Sprintf("Recorded consent to %s for %s", purpose, id), nil
		})
	},
		huh.NewSelect[string]().Title("Purpose").Description("from the register (Settings › purposes)").Options(opts...).Value(&purpose),
		huh.NewInput().Title("How it was given").Description("where and how, e.g. signed form at the shop (no personal details)").
			Value(&method).Validate(nonEmpty("how consent was given")),
		huh.NewInput().Title("When ("+zone+")").Description("YYYY-MM-DD HH:MM; now by default").Value(&at).
			Validate(func(s string) error { _, err := readAt(s); return err }),
	)
}

// withdrawLabel names a purpose in the withdraw list; "" is a consent basis
// held without one (from a bulk tag or an import).
func withdrawLabel(p string) string {
	if p == "" {
		return "consent basis without a purpose"
	}
	return p
}

func (v *contactView) withdrawDialog() *dialog {
	standing := v.contact.WithdrawablePurposes()
	if len(standing) == 0 {
		v.none = "no consent stands for " + v.id.String() + ": nothing to withdraw"
		return nil
	}
	var opts []huh.Option[string]
	var register []string
	for _, p := range consentPurposes(v.purposes) {
		register = append(register, p.Name)
	}
	for _, p := range standing {
		if p != "" {
			opts = append(opts, huh.NewOption(plain(p), p))
		}
	}
	if len(standing) == 1 && standing[0] == "" {
		// A purpose-less basis is withdrawn by naming the purpose it was
		// for: any consent purpose of the register not standing already.
		for _, p := range register {
			if !contains(standing, p) {
				opts = append(opts, huh.NewOption(withdrawLabel("")+" — for "+plain(p), p))
			}
		}
	}
	if len(opts) == 0 {
		v.none = "no consent purpose in the register to withdraw the consent basis for"
		return nil
	}
	purpose, method := opts[0].Value, "withdrawal recorded at the desk"
	op, id, st := v.c.operator, v.id, v.c.store
	return newDialog("Withdraw consent for "+id.String()+" (Art. 7(3)): the basis ends now, the history is kept", func() tea.Cmd {
		return v.act(func() (string, error) {
			if err := st.WithdrawConsent(op, id, purpose, strings.TrimSpace(method)); err != nil {
				return "", fmt.Errorf("withdraw consent: %w", err)
			}
			return fmt.Sprintf("Recorded the withdrawal of consent to %s for %s", purpose, id), nil
		})
	},
		huh.NewSelect[string]().Title("Purpose").Options(opts...).Value(&purpose),
		huh.NewInput().Title("How it came").Description("e.g. unsubscribe link, phone call (no personal details)").Value(&method),
	)
}

// standingConsents lists, per purpose, the consent standing now and the
// wording it was given to (Art. 7(1)), and a consent basis held without a
// purpose, for the profile.
func (v *contactView) standingConsents(st Styles) []string {
	c := v.contact
	out := []string{"", st.Header.Render("Consent per purpose (Art. 6(1)(a))")}
	purposes := c.ConsentPurposes()
	if len(purposes) == 0 && !c.HasBasisFor(gdpr.BasisConsent, "") {
		return append(out, st.Subtle.Render("  no consent stands; c records one"))
	}
	for _, p := range purposes {
		r, _ := c.LatestConsent(p)
		wording := st.Warn.Render("no wording version: unproven")
		if r.ConsentVersion > 0 {
			wording = fmt.Sprintf("wording v%d", r.ConsentVersion)
		}
		mk := ""
		if r.Marketing {
			mk = " · direct marketing"
		}
		out = append(out, fmt.Sprintf("  %-16s since %s · %s%s", p, r.At.Format("2006-01-02"), wording, mk))
	}
	if c.HasBasisFor(gdpr.BasisConsent, "") {
		out = append(out, st.Warn.Render("  consent basis without a purpose or record: unproven; w withdraws it"))
	}
	return out
}
