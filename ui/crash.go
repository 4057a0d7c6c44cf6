package ui

import (
	"fmt"
	"runtime"
	"runtime/debug"
	"strings"

	tea "charm.land/bubbletea/v2"
)

// A panic anywhere in the UI — Update, View, or a command doing store work
// — ends the program cleanly (Bubble Tea restores the terminal) and leaves
// a crash report that holds no personal data: the panic's type and the
// stack's function names and lines, never the panic's message or any
// value, which could hold a name or an address.

// crashMsg carries the report of a panic in a command.
type crashMsg struct{ report string }

// crashReport describes a recovered panic without its values.
func crashReport(r any) string {
	var b strings.Builder
	fmt.Fprintf(&b, "gdprdesk crash report\ngo: %s %s/%s\npanic of type %T (its message is left out: it may hold personal data)\n\n",
		runtime.Version(), runtime.GOOS, runtime.GOARCH, r)
	if bi, ok := debug.ReadBuildInfo(); ok {
		fmt.Fprintf(&b, "module: %s %s\n\n", bi.Main.Path, bi.Main.Version)
	}
	// Only function names and file:line of each frame; the argument
	// words Go prints in a stack trace are left out.
	pcs := make([]uintptr, 64)
	n := runtime.Callers(3, pcs)
	frames := runtime.CallersFrames(pcs[:n])
	for {
		f, more := frames.Next()
		fmt.Fprintf(&b, "%s\n\t%s:%d\n", f.Function, f.File, f.Line)
		if !more {
			break
		}
	}
	return b.String()
}

// Crash returns the crash report when the UI stopped on a panic, else "".
func (m *Model) Crash() string { return m.crash }

// guard turns a panic in fn into a crash that quits the program.
func (m *Model) guard(fn func() tea.Cmd) (cmd tea.Cmd) {
	defer func() {
		if r := recover(); r != nil {
			m.crash = crashReport(r)
			cmd = tea.Quit
		}
	}()
	return fn()
}
