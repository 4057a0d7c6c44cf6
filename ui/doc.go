// Package ui will hold the terminal UI (Bubble Tea v2): the app shell, the
// six screens of SPEC §5, reusable components, the key map and styles, and
// the SSH server. Until it lands, `gdprdesk` with no command says so and the
// command line covers the work.
package ui
