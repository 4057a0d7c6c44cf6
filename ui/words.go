package ui

import (
	"strings"
	"unicode/utf8"

	"github.com/charmbracelet/x/ansi"

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
// request views), its time in the desk's zone: time, operator, action and detail in fixed columns.
func trailLine(c *common, e store.AuditEntry) string {
	st := c.styles
	return "  " + c.in(e.At).Format("2006-01-02 15:04") + " " + cell(plain(e.Operator), 8) + " " + cell(plain(e.Action), actionWidth) + " " + st.Subtle.Render(plain(e.Detail))
}

// steadyWidth makes s take the same number of cells whichever way a
// terminal counts them. Bubble Tea draws by the width of each character
// (wcwidth) unless the terminal says it joins grapheme clusters (mode
// 2027): there a combined emoji (👩‍💻, 👍🏽, 1️⃣) takes 2 cells, elsewhere up
// to 4, so a name holding one shifted the table's columns. A cluster
// whose width the two ways differ is shown by its first character, whose
// width they agree on; the stored value is untouched.
func steadyWidth(s string) string {
	ascii := true
	for i := 0; i < len(s) && ascii; i++ {
		ascii = s[i] < utf8.RuneSelf
	}
	if ascii {
		return s
	}
	var b strings.Builder
	for rest := s; rest != ""; {
		cluster, w := ansi.FirstGraphemeCluster(rest, ansi.GraphemeWidth)
		if cluster == "" {
			break
		}
		rest = rest[len(cluster):]
		if ansi.StringWidthWc(cluster) == w {
			b.WriteString(cluster)
			continue
		}
		r, _ := utf8.DecodeRuneInString(cluster)
		if first := string(r); ansi.StringWidthWc(first) == ansi.StringWidth(first) {
			b.WriteString(first)
		}
	}
	return b.String()
}
