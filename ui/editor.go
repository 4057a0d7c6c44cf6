package ui

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
)

// The texts of the privacy policy and the consent wording are long: on a
// local terminal the owner may write them in their own editor ($VISUAL,
// else $EDITOR). Over SSH there is no local terminal to lend the editor,
// so it is not offered there (Options.AllowEditor).

// editorKey opens the text in the editor; it shows only when there is one.
func editorKey(c *common) key.Binding {
	b := key.NewBinding(key.WithKeys("E"), key.WithHelp("E", "write it in $EDITOR"))
	b.SetEnabled(len(c.editor) > 0)
	return b
}

// editorCommand is the editor the environment names, split into words
// ("code --wait" is two), or nil when there is none.
func editorCommand(getenv func(string) string) []string {
	for _, name := range []string{"VISUAL", "EDITOR"} {
		if f := strings.Fields(getenv(name)); len(f) > 0 {
			return f
		}
	}
	return nil
}

// execFunc runs a process in the terminal the UI gives up meanwhile:
// tea.ExecProcess, or in tests a plain run.
type execFunc func(c *exec.Cmd, fn tea.ExecCallback) tea.Cmd

// editedMsg is the text back from the editor, for what asked for it.
type editedMsg struct {
	text string
	err  error
}

// editText writes text to a file of its own (0600, in a new private
// folder), runs the editor on it and reads it back; the folder is removed
// whatever happens. The result goes to the screen that asked, as an
// editedMsg.
func (c *common) editText(text string) tea.Cmd {
	to := c.screen
	// Counted in flight like store work; the root takes the count back
	// when it routes the ioMsg.
	c.inflight.Add(1)
	back := func(m editedMsg) tea.Msg { return ioMsg{to: to, msg: m} }
	fail := func(err error) tea.Cmd { return func() tea.Msg { return back(editedMsg{err: err}) } }
	if len(c.editor) == 0 {
		return fail(fmt.Errorf("no editor: set $EDITOR (or $VISUAL) before starting gdprdesk"))
	}
	dir, err := os.MkdirTemp("", "gdprdesk-edit-")
	if err != nil {
		return fail(fmt.Errorf("make a private folder for the editor: %w", err))
	}
	path := filepath.Join(dir, "text.txt")
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		os.RemoveAll(dir)
		return fail(fmt.Errorf("write the text for the editor: %w", err))
	}
	cmd := exec.Command(c.editor[0], append(c.editor[1:len(c.editor):len(c.editor)], path)...)
	return c.exec(cmd, func(err error) tea.Msg {
		defer os.RemoveAll(dir)
		if err != nil {
			return back(editedMsg{err: fmt.Errorf("%s ended with %w; nothing was kept", filepath.Base(c.editor[0]), err)})
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return back(editedMsg{err: fmt.Errorf("read the text back from the editor: %w", err)})
		}
		return back(editedMsg{text: string(b)})
	})
}
