package cli

import (
	"bytes"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/gdprdesk/gdprdesk/store"
)

// keyCommand groups what the owner does with the master key, the key that
// wraps every person's data key in DIR/keys (store/keyfile.go).
func (a *app) keyCommand() *cobra.Command {
	rotate := &cobra.Command{
		Use:   "rotate",
		Short: "Replace the master key: every data key is wrapped by a new one, the old one is destroyed",
		Long: `rotate makes a new master key, wraps every live data key with it into a new
key ring, puts both in place (crash-safe: a crash leaves the old or the new
pair working, never a mix) and destroys the old master key. The master key
keeps its protection: the key file of an encrypted store, or its
passphrase. Audited; admins only. It works while 'gdprdesk serve' runs.

An old copy of the key ring (a stolen disk image, a remapped disk block)
can no longer unwrap anything afterwards. Backups are not changed: each
holds the key ring of its day, protected by its own passphrase. The key
file of an encrypted store is not rotated by this command: to change it,
back the store up and restore it with a new key file.`,
		Args: exactArgs(0, "no arguments"),
		RunE: func(*cobra.Command, []string) error {
			return a.withStore(func(s *store.Store) error {
				if err := s.RotateMasterKey(a.operatorName()); err != nil {
					return err
				}
				fmt.Fprintf(a.stdout, "Rotated the master key of %s: every live data key is wrapped by the new one, and the old one is destroyed (protected by: %s).\n",
					s.Dir(), s.MasterProtection())
				return nil
			})
		},
	}
	var newFile string
	var remove bool
	passphrase := &cobra.Command{
		Use:   "passphrase [--new-passphrase-file FILE | --remove]",
		Short: "Protect the master key with a passphrase (or change it, or --remove it)",
		Long: `passphrase wraps the master key in DIR/keys with a key derived from a
passphrase (Argon2id), so that the data directory alone, or a copy of it,
opens nothing. From then on gdprdesk asks for it whenever it opens the
directory: $GDPRDESK_PASSPHRASE, else the first line of the file named by
$GDPRDESK_PASSPHRASE_FILE, else asked on the terminal.

The new passphrase (at least 8 characters) comes from --new-passphrase-file
FILE (- for stdin), else $GDPRDESK_NEW_PASSPHRASE, else it is asked twice on
the terminal. --remove keeps the master key plain again. A store encrypted
at rest has its master key wrapped by its key file already and takes no
passphrase. Audited; admins only.`,
		Args: exactArgs(0, "no arguments"),
		RunE: func(*cobra.Command, []string) error {
			var pass []byte
			if remove {
				if newFile != "" {
					return usagef("--remove takes no new passphrase")
				}
			} else {
				var err error
				if pass, err = a.passphrase(secretSource{file: newFile, flag: "--new-passphrase-file", env: envNewPassphrase,
					prompt: "New passphrase for the master key: ", twice: true}); err != nil {
					return fmt.Errorf("key passphrase: %w", err)
				}
			}
			a.forwardWith = func(args []string) ([]string, io.Reader) {
				if remove {
					return args, a.stdin
				}
				return append(withoutFlag(args, "new-passphrase-file"), "--new-passphrase-file", "-"), bytes.NewReader(pass)
			}
			return a.withStore(func(s *store.Store) error {
				if err := s.SetMasterPassphrase(a.operatorName(), pass); err != nil {
					return fmt.Errorf("key passphrase: %w", err)
				}
				if remove {
					fmt.Fprintf(a.stdout, "The master key of %s is kept plain again: whoever can read the directory can open it.\n", s.Dir())
				} else {
					fmt.Fprintf(a.stdout, "The master key of %s is protected by your passphrase: gdprdesk asks for it ($%s) whenever it opens the directory.\n", s.Dir(), envPassphrase)
				}
				return nil
			})
		},
	}
	passphrase.Flags().StringVar(&newFile, "new-passphrase-file", "", "file whose first line is the new passphrase (- for stdin; default $"+envNewPassphrase+", else asked)")
	passphrase.Flags().BoolVar(&remove, "remove", false, "keep the master key plain again")
	return parentCommand("key", "Rotate the master key, or protect it with a passphrase", rotate, passphrase)
}
