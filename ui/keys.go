package ui

import "charm.land/bubbles/v2/key"

// KeyMap is every key binding of the desk. The help overlay (?) and the
// short help in the footer are generated from it, so a key and its
// description never drift apart.
type KeyMap struct {
	// Global.
	Tab, ShiftTab     key.Binding
	Screen            [7]key.Binding
	Help, Quit, Force key.Binding
	Back              key.Binding

	// Lists.
	Up, Down, PageUp, PageDown, Home, End key.Binding
	Open                                  key.Binding
	Filter                                key.Binding

	// Contacts.
	Mark, MarkAll, ClearMarks, Bulk key.Binding
	AddContact                      key.Binding

	// Contact view.
	Edit, Consent, Withdraw, Restrict, Anonymize, Export, NewRequest key.Binding
	Hold                                                             key.Binding

	// Dashboard.
	ShowUnbased, ShowMarketable key.Binding

	// Requests, checklist, settings, audit.
	FilterType, FilterStatus, Tick, Verify   key.Binding
	Search                                   key.Binding
	Add, Delete, NA, Note, Fix               key.Binding
	VerifyID, Extend, Deny, Notify, Complete key.Binding

	// Letters (request view, ui/letters.go).
	RequestLetters, Send, WriteDraft, Retry, Language key.Binding

	// Registers.
	NextSection, PrevSection, Change, Balancing key.Binding
	// ExportROPA writes the records of processing from any section.
	ExportROPA key.Binding
	// The breach register.
	NotifyAuthority, Inform, Draft, Letters key.Binding

	// Dialogs.
	Confirm, Cancel key.Binding
}

// DefaultKeyMap returns the desk's keys.
func DefaultKeyMap() KeyMap {
	b := func(help, desc string, keys ...string) key.Binding {
		return key.NewBinding(key.WithKeys(keys...), key.WithHelp(help, desc))
	}
	return KeyMap{
		Tab:      b("tab", "next screen", "tab"),
		ShiftTab: b("shift+tab", "previous screen", "shift+tab"),
		Screen: [7]key.Binding{
			b("1", "dashboard", "1"), b("2", "contacts", "2"), b("3", "requests", "3"),
			b("4", "checklist", "4"), b("5", "settings", "5"), b("6", "audit", "6"),
			b("7", "registers", "7"),
		},
		Help:  b("?", "help", "?"),
		Quit:  b("q", "quit", "q", "ctrl+c"),
		Force: b("ctrl+c", "quit", "ctrl+c"),
		Back:  b("esc", "back", "esc"),

		Up:       b("↑/k", "up", "up", "k"),
		Down:     b("↓/j", "down", "down", "j"),
		PageUp:   b("pgup", "page up", "pgup", "ctrl+b"),
		PageDown: b("pgdn", "page down", "pgdown", "ctrl+f", "space+shift"),
		Home:     b("home/g", "first", "home", "g"),
		End:      b("end/G", "last", "end", "G"),
		Open:     b("enter", "open", "enter"),
		Filter:   b("/", "filter", "/"),

		Mark:       b("space", "mark", "space"),
		MarkAll:    b("A", "mark all", "A"),
		ClearMarks: b("x", "clear marks", "x"),
		Bulk:       b("b", "set basis", "b"),
		AddContact: b("a", "add contact", "a"),

		Edit:       b("e", "edit (rectify)", "e"),
		Consent:    b("c", "record consent", "c"),
		Withdraw:   b("w", "withdraw consent", "w"),
		Restrict:   b("r", "restrict / lift", "r"),
		Anonymize:  b("D", "anonymize", "D"),
		Hold:       b("h", "legal hold / release", "h"),
		Export:     b("p", "export access package", "p"),
		NewRequest: b("n", "new request", "n"),

		ShowUnbased:    b("w", "contacts in scope without a basis", "w"),
		ShowMarketable: b("m", "who may receive marketing", "m"),

		FilterType:   b("t", "filter by type", "t"),
		Search:       b("/", "search", "/"),
		FilterStatus: b("s", "open / all / closed", "s"),
		Tick:         b("space", "tick / untick", "space"),
		Verify:       b("v", "verify the chain", "v"),
		Add:          b("a", "add", "a"),
		Delete:       b("d", "delete", "d"),
		NA:           b("n", "not applicable (with reason)", "n"),
		Note:         b("o", "note", "o"),
		Fix:          b("f", "go fix it", "f"),
		VerifyID:     b("v", "verify identity", "v"),
		Extend:       b("x", "extend (once, with reason)", "x"),
		Deny:         b("d", "deny (with reason)", "d"),
		Notify:       b("t", "recipients told", "t"),
		Complete:     b("c", "complete (outcome note)", "c"),

		RequestLetters: b("L", "letters: preview, edit, send or write", "L"),
		Send:           b("s", "send", "s"),
		WriteDraft:     b("w", "write draft (.txt, .eml)", "w"),
		Retry:          b("r", "retry the letters not sent", "r"),
		Language:       b("←/→", "language", "left", "right"),

		NextSection: b("→/l", "next section", "right", "l"),
		PrevSection: b("←/h", "previous section", "left", "h"),
		Change:      b("c", "change", "c"),
		Balancing:   b("b", "balancing test", "b"),
		ExportROPA:  b("e", "export records of processing", "e"),

		NotifyAuthority: b("n", "authority told, or why not", "n"),
		Inform:          b("i", "people told, or why not", "i"),
		Draft:           b("w", "write the authority draft", "w"),
		Letters:         b("L", "write the letters to the people", "L"),

		Confirm: b("y", "confirm", "y"),
		Cancel:  b("n/esc", "cancel", "n", "esc"),
	}
}
