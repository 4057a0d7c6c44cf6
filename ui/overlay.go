package ui

import (
	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
)

// overlay is something a screen opens over itself: the contact view, the
// request view, the bulk lawful-basis change and a dialog. Every one is
// driven the same way, so a screen needs no special case per overlay:
//
//   - the screen holds it in a typed field (nil while none is open), opens
//     it with openOverlay and sends it messages with stepOverlay, which drops it once it
//     reports closed;
//   - while it is open the screen sends it the keys (and the results of the
//     commands it made), draws view in place of its own body, shows help
//     in the footer and reports capturing as its own;
//   - closed is final: an overlay that has closed ignores late messages,
//     so a form is never submitted twice.
type overlay interface {
	// init starts it: a form's first command, or the first read of a view.
	init() tea.Cmd
	// update takes a key or a message meant for it and returns what to run.
	update(msg tea.Msg) tea.Cmd
	// view renders it in w×h cells.
	view(w, h int) string
	// help is its key bindings in its current state, most used first.
	help() []key.Binding
	// capturing is true while it takes typed text, so q and the number
	// keys go to it instead of quitting or switching screens.
	capturing() bool
	// closed is true once it is done, cancelled or left with esc.
	closed() bool
}

// The four overlays satisfy the contract; the compiler says so here rather
// than at the first screen that opens one.
var (
	_ overlay = (*contactView)(nil)
	_ overlay = (*requestView)(nil)
	_ overlay = (*bulk)(nil)
	_ overlay = (*dialog)(nil)
)

// slot is an overlay type that can be compared with nil, so openOverlay and
// stepOverlay can be given a screen's field of that type directly.
type slot interface {
	overlay
	comparable
}

// openOverlay puts o into the screen's field *at and starts it.
func openOverlay[T slot](at *T, o T) tea.Cmd {
	*at = o
	return o.init()
}

// stepOverlay sends msg to the overlay in *at and drops it once it has closed; with
// none open it does nothing.
func stepOverlay[T slot](at *T, msg tea.Msg) tea.Cmd {
	var none T
	o := *at
	if o == none {
		return nil
	}
	cmd := o.update(msg)
	if o.closed() {
		*at = none
	}
	return cmd
}

// openDialog opens d in the screen's dialog field *at: a dialog is built
// without the desk's styles, so it is given them here.
func openDialog(c *common, at **dialog, d *dialog) tea.Cmd {
	d.styles = c.styles
	return openOverlay(at, d)
}
