package cli

import (
	"fmt"

	"github.com/gdprdesk/gdprdesk/store"
)

// A mistyped --data must not silently make a new, empty store and answer
// "0 contacts" (issue 19). Only the commands that start an owner's desk
// start a data directory, in a directory that is missing or empty, and
// say so: the terminal UI (its first run), demo, restore, import
// (importing the contact list is how an owner starts; --dry-run works on
// a throw-away store and leaves nothing), contact add (the first contact
// by hand) and operator add (setting up the server). Every other command
// refuses a directory that holds no store, naming it.

// storeDir checks the data directory before this process opens it: a
// store, or — when the command may start one (a.create) — a missing or
// empty directory, which import announces on stderr.
func (a *app) storeDir(dir string) error {
	st, err := store.InspectDir(dir)
	if err != nil {
		return err
	}
	switch {
	case st == store.DirStore:
		return nil
	case st == store.DirOther:
		return fmt.Errorf("%s is not a gdprdesk data directory: it holds other files and no gdprdesk store; check --data (or GDPRDESK_DATA)", dir)
	case a.create:
		if a.announce {
			fmt.Fprintf(a.stderr, "Starting a new data directory in %s.\n", dir)
		}
		return nil
	}
	return fmt.Errorf("no gdprdesk data in %s: check --data (or GDPRDESK_DATA); to start a data directory there, run gdprdesk --data %s (the terminal UI), or import your contacts with gdprdesk import FILE.csv --data %s", dir, dir, dir)
}
