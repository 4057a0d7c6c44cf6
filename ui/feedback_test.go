package ui

import (
	"testing"

	tea "charm.land/bubbletea/v2"
	"github.com/gdprdesk/gdprdesk/gdpr"
)

// burst delivers msgs the way a fast typist's keys (or a paste) arrive:
// every one of them before any command they cause has run, then the
// commands. A form that moves its focus in a command would put the keys
// typed after enter into the field that was left.
func (d *driver) burst(msgs ...tea.Msg) {
	d.tb.Helper()
	var cmds []tea.Cmd
	for _, msg := range msgs {
		_, c := d.m.Update(msg)
		cmds = append(cmds, c)
	}
	d.run(tea.Batch(cmds...))
}

// typed is s as key presses, with "\n" as enter.
func typed(s string) []tea.Msg {
	var out []tea.Msg
	for _, r := range s {
		if r == '\n' {
			out = append(out, keyMsg("enter"))
			continue
		}
		out = append(out, tea.KeyPressMsg{Code: r, Text: string(r)})
	}
	return out
}

// Keys typed fast land in the field that was focused when each was typed,
// in order, and a paste lands whole in the field it was pasted into: the
// desk moves a form's focus before it takes the next key (issue 20.6).
func TestFormKeepsFastTypingInItsField(t *testing.T) {
	s := openDemo(t, 20)
	d := openSettings(t, s)
	d.selectRow("DPO (Art. 37)")
	d.keys("enter")
	d.mustShow("Edit Data Protection Officer")
	var msgs []tea.Msg
	msgs = append(msgs, keyMsg("ctrl+u"))
	msgs = append(msgs, typed("Sam Secure\n")...)
	msgs = append(msgs, keyMsg("ctrl+u"))
	msgs = append(msgs, typed("sam@secures.example\n")...)
	msgs = append(msgs, keyMsg("ctrl+u"), tea.PasteMsg{Content: "Main Street 1, 10115 Berlin, Germany"}, keyMsg("enter"))
	d.burst(msgs...)
	d.mustShow("Saved the DPO")
	got := readSettings(t, s).DPO
	want := gdpr.Person{Name: "Sam Secure", Email: "sam@secures.example", Address: "Main Street 1, 10115 Berlin, Germany"}
	if got != want {
		t.Errorf("DPO = %+v, want %+v", got, want)
	}
}
