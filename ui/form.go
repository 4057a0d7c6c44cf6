package ui

import (
	"reflect"
	"sync"

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
	styles Styles  // the desk's, given by openDialog
	done   bool    // submitted or cancelled
	opened tea.Cmd // run once when the dialog opens (an audit of a refusal)
}

func newDialog(title string, submit func() tea.Cmd, fields ...huh.Field) *dialog {
	return newDialogGroups(title, submit, huh.NewGroup(fields...))
}

// newDialogGroups is newDialog with its fields in groups, so a group can
// be hidden by an earlier answer (huh.Group.WithHideFunc).
func newDialogGroups(title string, submit func() tea.Cmd, groups ...*huh.Group) *dialog {
	f := huh.NewForm(groups...).WithShowHelp(true).WithTheme(huh.ThemeFunc(huh.ThemeBase))
	return &dialog{title: title, form: f, submit: submit}
}

func (d *dialog) init() tea.Cmd { return tea.Batch(d.form.Init(), d.opened) }

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
	cmd := updateForm(d.form, msg)
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

// updateForm hands msg to a huh form and moves its focus before it
// returns. Huh moves from field to field (and group to group) by a command
// whose message Bubble Tea delivers after the keys already waiting: keys
// typed fast after enter or tab, or a paste, went into the field being
// left ("Sam Secures", "am@"). So the moves a form asks for are made here,
// at once, and every later key goes to the field focused when it was typed.
// The other commands (a cursor's blink, a field's refresh) run as usual.
func updateForm(f *huh.Form, msg tea.Msg) tea.Cmd {
	nav := huhNav()
	var keep []tea.Cmd
	_, cmd := f.Update(msg)
	queue := []tea.Cmd{cmd}
	for len(queue) > 0 {
		c := queue[0]
		queue = queue[1:]
		if c == nil {
			continue
		}
		switch reflect.ValueOf(c).Pointer() {
		case nav.batch:
			// A batch's command only lists its commands: run it to see them.
			m := c()
			if b, ok := m.(tea.BatchMsg); ok {
				queue = append(queue, b...)
			} else {
				keep = append(keep, func() tea.Msg { return m })
			}
		case nav.next, nav.prev, nav.nextGroup, nav.prevGroup:
			_, more := f.Update(c())
			queue = append(queue, more)
		default:
			keep = append(keep, c)
		}
	}
	return tea.Batch(keep...)
}

// formNav names huh's focus moves and Bubble Tea's batch by their
// functions' code, so updateForm can tell them from other commands: the
// moves only return a message and never block.
type formNav struct{ batch, next, prev, nextGroup, prevGroup uintptr }

// huhNav works formNav out once, from the commands a one-field form and a
// batch return (the group moves are not exported by huh). It is computed
// on first use and never changes after.
var huhNav = sync.OnceValue(func() formNav {
	ptr := func(c tea.Cmd) uintptr {
		if c == nil {
			return 0
		}
		return reflect.ValueOf(c).Pointer()
	}
	nop := func() tea.Msg { return nil }
	one := func() *huh.Form {
		f := huh.NewForm(huh.NewGroup(huh.NewConfirm()))
		f.Init()
		return f
	}
	return formNav{
		batch:     ptr(tea.Batch(nop, nop)),
		next:      ptr(huh.NextField),
		prev:      ptr(huh.PrevField),
		nextGroup: ptr(one().NextField()),
		prevGroup: ptr(one().PrevField()),
	}
})
