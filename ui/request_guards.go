package ui

import (
	"fmt"
	"strings"

	tea "charm.land/bubbletea/v2"
	"charm.land/huh/v2"
	"github.com/gdprdesk/gdprdesk/gdpr"
)

// denyBlocked says why a request cannot be denied: an objection to direct
// marketing is absolute (Art. 21(3)).
func denyBlocked(r gdpr.Request) string {
	if r.ObjectsToMarketing() {
		return "an objection to marketing is never refused (Art. 21(3)): it took effect when logged; complete it"
	}
	return ""
}

// denyDialog refuses the request on a ground the law gives for its type
// (gdpr.DenialGrounds), with the reason told to the person.
func (v *requestView) denyDialog() *dialog {
	grounds := gdpr.DenialGrounds(v.r)
	var ground gdpr.DenialGround
	if len(grounds) > 0 {
		ground = grounds[0]
	}
	opts := make([]huh.Option[gdpr.DenialGround], len(grounds))
	for i, g := range grounds {
		opts[i] = huh.NewOption(g.Label(), g)
	}
	reason := ""
	desc := "the reason, told to the person with their right to complain (Art. 12(4))"
	if v.contact != nil {
		if obs := v.contact.Obligations(); len(obs) > 0 {
			desc = "the contact has " + gdpr.ObligationsText(obs) + " (Art. 17(3)); " + desc
		}
	}
	sure := false
	return newDialog("Deny "+v.id.String(), func() tea.Cmd {
		if !sure {
			return status(v.id.String() + " stays open; nothing changed")
		}
		return v.act(func() (string, error) {
			if err := v.c.store.DenyRequest(v.c.operator, v.id, ground, strings.TrimSpace(reason)); err != nil {
				return "", fmt.Errorf("deny %s: %w", v.id, err)
			}
			return "Denied " + v.id.String() + " (" + ground.Article() + "); L writes the refusal letter", nil
		})
	},
		huh.NewSelect[gdpr.DenialGround]().Title("Ground").Options(opts...).Value(&ground),
		huh.NewInput().Title("Reason").Description(desc).Value(&reason).Validate(nonEmpty("the reason")),
		closeConfirm("Deny "+v.id.String()+"? The person is told the reason and their right to complain.", "Deny", &sure))
}

// requestKind is what the new-request dialogs ask: the type and, for an
// objection, its scope (Art. 21(1) or 21(2)), since an objection to
// marketing takes effect the moment it is logged.
type requestKind struct {
	Type  gdpr.RequestType
	Scope gdpr.ObjectionScope
}

// requestKindOptions lists every type, objections once per scope; long
// labels name the article.
func requestKindOptions(long bool) []huh.Option[requestKind] {
	var out []huh.Option[requestKind]
	for _, t := range gdpr.RequestTypes() {
		if t != gdpr.RequestObjection {
			label := string(t)
			if long {
				label = t.Label()
			}
			out = append(out, huh.NewOption(label, requestKind{Type: t}))
			continue
		}
		for _, sc := range []struct {
			scope      gdpr.ObjectionScope
			long, word string
		}{
			{gdpr.ScopeMarketing, "Objection to marketing (Art. 21(2), at once)", "objection (marketing)"},
			{gdpr.ScopeProcessing, "Objection to processing (Art. 21(1))", "objection (processing)"},
		} {
			label := sc.word
			if long {
				label = sc.long
			}
			out = append(out, huh.NewOption(label, requestKind{Type: t, Scope: sc.scope}))
		}
	}
	return out
}
