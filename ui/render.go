package ui

import (
	"fmt"
	"strings"
	"time"

	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/gdprdesk/gdprdesk/gdpr"
	"github.com/gdprdesk/gdprdesk/internal/textsafe"
)

// The pure string helpers every screen draws with live here, not in the
// screen that happened to need them first, so a change to how a cell is
// cut or a bar is drawn is made once for the whole desk.

// rule is a horizontal line w cells wide, between the tabs and the body.
func rule(w int) string { return strings.Repeat("─", w) }

// fit pads or cuts s to exactly h lines of at most w cells.
func fit(s string, w, h int) string {
	lines := strings.Split(s, "\n")
	if len(lines) > h {
		lines = lines[:h]
	}
	for i, l := range lines {
		if lipgloss.Width(l) > w {
			lines[i] = ansi.Truncate(l, w, "…")
		}
	}
	for len(lines) < h {
		lines = append(lines, "")
	}
	return strings.Join(lines, "\n")
}

// clipLines cuts every line of s to w cells, so nothing wraps.
func clipLines(s string, w int) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = ansi.Truncate(l, w, "…")
	}
	return strings.Join(lines, "\n")
}

// dash shows a stored value in a line: an empty one as a dash, so a blank
// field reads as "none" rather than as a gap in the layout, and any other
// through plain.
func dash(s string) string {
	if s == "" {
		return "—"
	}
	return plain(s)
}

// plain is stored text (a contact's field, a note, an operator's name, an
// audit detail) made safe to put in a line of the screen (SPEC §8): its
// controls, escape sequences, bidi and invisible characters show as
// visible signs (textsafe), a line feed as ⏎. Every value a contact, an
// import or an operator supplied passes it, or dash, before it is styled,
// cut or padded; Model.View guards the whole frame once more.
func plain(s string) string { return textsafe.Line(s) }

// paragraph is stored text of several lines (a policy's wording) made safe
// the same way, keeping its line feeds.
func paragraph(s string) string { return textsafe.Text(s) }

// cell cuts or pads s to exactly w cells, so table columns line up.
func cell(s string, w int) string {
	s = ansi.Truncate(steadyWidth(s), w, "…")
	return s + strings.Repeat(" ", max(w-lipgloss.Width(s), 0))
}

// nonBlank keeps the values that are not blank, so joined parts of an
// address or a person have no empty separators.
func nonBlank(ss ...string) []string {
	var out []string
	for _, s := range ss {
		if strings.TrimSpace(s) != "" {
			out = append(out, s)
		}
	}
	return out
}

// progressBar draws pct (0–100) in width cells with plain characters, so it
// reads without colour.
func progressBar(pct, width int) string {
	full := min(max(pct*width/100, 0), width)
	return "[" + strings.Repeat("█", full) + strings.Repeat("░", width-full) + "]"
}

// requestLine is one request in a list: id, type, days left (red once
// overdue, which is also said in words, so it reads without colour).
func requestLine(st Styles, r gdpr.Request, now time.Time) string {
	left := gdpr.DaysLeft(r.Due, now)
	var due string
	switch {
	case !r.Status.Open():
		due = st.Subtle.Render(string(r.Status))
	case left < 0:
		due = st.Error.Render(fmt.Sprintf("overdue %dd", -left))
	case left == 0:
		due = st.Warn.Render("due today")
	case left <= 7:
		due = st.Warn.Render(fmt.Sprintf("%dd left", left))
	default:
		due = fmt.Sprintf("%dd left", left)
	}
	return fmt.Sprintf("%-5s %-13s %s %s", r.ID, r.Type, r.Due.Format("01-02"), due)
}
