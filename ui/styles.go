package ui

import (
	"charm.land/lipgloss/v2"
)

// Styles is every style the screens use, in one place. Colour is a hint,
// never the only signal: overdue rows also say "overdue", the selected row is
// reversed, marks are a ✓. Bubble Tea drops the colours when NO_COLOR is set
// or the terminal cannot show them, so the screens stay readable.
type Styles struct {
	TabActive lipgloss.Style
	Tab       lipgloss.Style
	Title     lipgloss.Style
	Subtle    lipgloss.Style
	Status    lipgloss.Style
	Message   lipgloss.Style // a success on the status line, after ✓
	Hint      lipgloss.Style // a hint on the status line, after ·
	Refused   lipgloss.Style // a refusal on the status line, after !
	Error     lipgloss.Style
	Warn      lipgloss.Style
	Good      lipgloss.Style
	Header    lipgloss.Style
	Selected  lipgloss.Style
	Marked    lipgloss.Style
	Box       lipgloss.Style
	Label     lipgloss.Style
	Big       lipgloss.Style
	Dialog    lipgloss.Style
	Key       lipgloss.Style
}

// DefaultStyles returns the styles of the desk.
func DefaultStyles() Styles {
	accent := lipgloss.Color("#7D56F4")
	subtle := lipgloss.Color("#8A8A8A")
	red := lipgloss.Color("#E5484D")
	amber := lipgloss.Color("#F5A524")
	green := lipgloss.Color("#30A46C")
	return Styles{
		TabActive: lipgloss.NewStyle().Bold(true).Reverse(true).Padding(0, 1),
		Tab:       lipgloss.NewStyle().Foreground(subtle).Padding(0, 1),
		Title:     lipgloss.NewStyle().Bold(true).Foreground(accent),
		Subtle:    lipgloss.NewStyle().Foreground(subtle),
		Status:    lipgloss.NewStyle().Foreground(subtle),
		Message:   lipgloss.NewStyle().Foreground(green),
		Hint:      lipgloss.NewStyle(),
		Refused:   lipgloss.NewStyle().Foreground(amber).Bold(true),
		Error:     lipgloss.NewStyle().Foreground(red).Bold(true),
		Warn:      lipgloss.NewStyle().Foreground(amber),
		Good:      lipgloss.NewStyle().Foreground(green),
		Header:    lipgloss.NewStyle().Bold(true).Underline(true),
		Selected:  lipgloss.NewStyle().Reverse(true),
		Marked:    lipgloss.NewStyle().Foreground(accent).Bold(true),
		Box:       lipgloss.NewStyle().Border(lipgloss.RoundedBorder()).BorderForeground(subtle).Padding(0, 1),
		Label:     lipgloss.NewStyle().Foreground(subtle),
		Big:       lipgloss.NewStyle().Bold(true).Foreground(accent),
		Dialog:    lipgloss.NewStyle().Border(lipgloss.DoubleBorder()).BorderForeground(accent).Padding(0, 1),
		Key:       lipgloss.NewStyle().Bold(true).Foreground(accent),
	}
}
