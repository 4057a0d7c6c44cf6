package ui

import (
	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"charm.land/huh/v2"
	"charm.land/lipgloss/v2"
)

// dialog is a small form over a screen: a title, a huh form, and what to do
// with the answers. esc cancels and changes nothing. It is an overlay,
// opened with openDialog.
type dialog struct {
	title  string
	body   string // shown above the form, wrapped to the width
	form   *huh.Form
	submit func() tea.Cmd
	styles Styles // the desk's, given by openDialog
	done   bool   // submitted or cancelled
}

func newDialog(title string, submit func() tea.Cmd, fields ...huh.Field) *dialog {
	f := huh.NewForm(huh.NewGroup(fields...)).WithShowHelp(true).WithTheme(huh.ThemeFunc(huh.ThemeBase))
	return &dialog{title: title, form: f, submit: submit}
}

func (d *dialog) init() tea.Cmd { return d.form.Init() }

// capturing is always true while a dialog is open: its fields take text.
func (d *dialog) capturing() bool { return !d.done }

// closed reports whether the dialog was submitted or cancelled.
func (d *dialog) closed() bool { return d.done }

func (d *dialog) help() []key.Binding {
	return []key.Binding{
		key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "next / done")),
		key.NewBinding(key.WithKeys("shift+tab"), key.WithHelp("shift+tab", "previous field")),
		key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "cancel")),
	}
}

func (d *dialog) update(msg tea.Msg) tea.Cmd {
	if d.done {
		return nil // submitted or cancelled: late messages must not submit again
	}
	if k, ok := msg.(tea.KeyPressMsg); ok && k.String() == "esc" {
		d.done = true
		return status("cancelled; nothing changed")
	}
	f, cmd := d.form.Update(msg)
	if ff, ok := f.(*huh.Form); ok {
		d.form = ff
	}
	switch d.form.State {
	case huh.StateCompleted:
		d.done = true
		return d.submit()
	case huh.StateAborted:
		d.done = true
		return status("cancelled; nothing changed")
	}
	return cmd
}

// view draws the title, the body and the form, sized to w×h.
func (d *dialog) view(w, h int) string {
	st := d.styles
	head := st.Title.Render(d.title) + "\n\n"
	if d.body != "" {
		head += lipgloss.NewStyle().Width(min(w-2, 78)).Render(d.body) + "\n\n"
	}
	d.form.WithWidth(min(w-4, 76)).WithHeight(max(h-lipgloss.Height(head), 6))
	return head + d.form.View()
}
