// Package ui is the terminal UI of gdprdesk: the six screens of SPEC §5 over
// one store, built with Bubble Tea v2.
//
// The root model (app.go) owns the tab bar, the status line, the help
// overlay and the quit confirmation; each screen is a value behind the
// screen interface that renders a string of the size it is given and
// returns commands for anything slow. Screens read and write the store only
// through the Store interface (common.go), inside tea.Cmds, never in Update
// or View, so a slow disk never freezes the keyboard. Styles (styles.go) and
// keys (keys.go) live in one place each; help is generated from the keys.
package ui
