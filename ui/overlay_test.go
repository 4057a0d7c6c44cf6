package ui

import (
	"testing"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
)

// fakeOverlay counts what it is sent and closes when told to.
type fakeOverlay struct {
	started, sent int
	shut          bool
}

func (o *fakeOverlay) init() tea.Cmd              { o.started++; return nil }
func (o *fakeOverlay) update(msg tea.Msg) tea.Cmd { o.sent++; return nil }
func (o *fakeOverlay) view(w, h int) string       { return "" }
func (o *fakeOverlay) help() []key.Binding        { return nil }
func (o *fakeOverlay) capturing() bool            { return !o.shut }
func (o *fakeOverlay) closed() bool               { return o.shut }

// A screen's overlay field: stepping with none open does nothing, opening
// starts the overlay, and stepping drops it once it has closed, after it
// has seen the message that closed it.
func TestOverlayOpenStepDrop(t *testing.T) {
	var at *fakeOverlay
	if cmd := stepOverlay(&at, pingMsg{}); cmd != nil || at != nil {
		t.Fatal("stepping with no overlay open did something")
	}
	o := &fakeOverlay{}
	openOverlay(&at, o)
	if at != o || o.started != 1 {
		t.Fatalf("open: field %p, started %d times", at, o.started)
	}
	stepOverlay(&at, pingMsg{})
	if at != o || o.sent != 1 {
		t.Fatalf("after one message: field %p, sent %d", at, o.sent)
	}
	o.shut = true
	stepOverlay(&at, pingMsg{})
	if at != nil || o.sent != 2 {
		t.Fatalf("after it closed: field %p, sent %d; want it dropped after the last message", at, o.sent)
	}
}

// Every dialog is driven through the contract: esc on one the checklist
// opened closes it, the screen drops it, and it was drawn with the desk's
// styles.
func TestDialogClosesThroughTheContract(t *testing.T) {
	s := openDemo(t, 0)
	d := drive(t, newTestModel(s), 100, 30)
	d.keys("4", "o")
	cl := d.m.screens[tabChecklist].(*checklist)
	if cl.dialog == nil || !cl.Capturing() {
		t.Fatal("o did not open the note dialog")
	}
	if cl.dialog.styles.Title.GetBold() != d.m.c.styles.Title.GetBold() || cl.dialog.styles.Title.GetForeground() != d.m.c.styles.Title.GetForeground() {
		t.Error("the dialog was not given the desk's styles")
	}
	d.mustShow("Note on:")
	d.keys("esc")
	if cl.dialog != nil || cl.Capturing() {
		t.Fatal("esc did not close the dialog")
	}
	d.mustShow("cancelled; nothing changed")
}
