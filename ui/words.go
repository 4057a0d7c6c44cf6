package ui

import (
	"strings"

	"github.com/gdprdesk/gdprdesk/store"
)

// words shows a stored name of the rule book (a request status, a channel:
// in_progress, optout_link) as words (in progress, opt-out link), so no
// raw identifier shows on a screen where a person reads.
func words[T ~string](v T) string {
	s := strings.ReplaceAll(string(v), "_", " ")
	return strings.Replace(s, "optout", "opt-out", 1)
}

// actionWidth is the widest audit action name (contact.import-update): a
// column of actions this wide never runs into the next one.
const actionWidth = 21

// trailLine is one entry of a record's audit trail (the contact and
// request views): time, operator, action and detail in fixed columns.
func trailLine(st Styles, e store.AuditEntry) string {
	return "  " + e.At.UTC().Format("2006-01-02 15:04") + " " + cell(e.Operator, 8) + " " + cell(e.Action, actionWidth) + " " + st.Subtle.Render(e.Detail)
}
