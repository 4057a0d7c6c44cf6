package cli

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/gdprdesk/gdprdesk/gdpr"
	"github.com/gdprdesk/gdprdesk/store"
)

// backupTo writes a backup of the command's store to w. While `serve`
// holds the directory the whole command is carried out by the server
// (control.go), which writes the caller's file.
func (a *app) backupTo(w io.Writer) error {
	if a.served == nil {
		dir, err := a.dataDir()
		if err != nil {
			return err
		}
		if _, err := os.Stat(filepath.Join(dir, "db")); err != nil {
			return fmt.Errorf("data directory %s holds no gdprdesk store: nothing to back up", dir)
		}
	}
	return a.withStore(func(s *store.Store) error {
		_, err := s.Backup(w)
		return err
	})
}

func (a *app) backupCommand() *cobra.Command {
	var out string
	cmd := &cobra.Command{
		Use:   "backup --out FILE",
		Short: "Write a consistent backup of the data directory (also while serve runs)",
		Long: `backup writes one archive (tar) holding a consistent snapshot of the store
and its key ring: everything needed to restore it with 'gdprdesk restore'. It
works while 'gdprdesk serve' runs (the server takes it, through a socket in the
data directory), and the server's sessions carry on meanwhile. Over SSH the
archive goes into the server's DIR/exports.

The archive holds the keys that open every person's data in it: keep it as
safe as the data directory. It is checked after writing. See docs/BACKUP.md.`,
		Args: exactArgs(0, "no arguments (name the file with --out)"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if out == "" {
				return usagef("--out FILE is required")
			}
			dir, err := a.dataDir()
			if err != nil {
				return err
			}
			if out, err = a.outputPath(out); err != nil {
				return err
			}
			// Room at the destination, not in the data directory: a backup
			// to another disk works while the store's own disk is full.
			if err := store.CheckFreeSpace(filepath.Dir(out), store.BackupSize(dir)); err != nil {
				return fmt.Errorf("backup of %s: %w", dir, err)
			}
			f, err := os.OpenFile(out, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
			if err != nil {
				return fmt.Errorf("create %s: %w (choose a new file name)", out, err)
			}
			err = a.backupTo(f)
			if err == nil {
				err = f.Sync()
			}
			if cerr := f.Close(); err == nil {
				err = cerr
			}
			var m store.BackupManifest
			if err == nil {
				m, err = verifyBackupFile(out)
			}
			if err != nil {
				os.Remove(out)
				if errors.Is(err, errServing) {
					return err // run forwards the command to the server
				}
				return fmt.Errorf("backup of %s: %w", dir, err)
			}
			fmt.Fprintf(a.stdout, "Backed up %s to %s: %s records, %s audit entries, checked.\n", dir, out,
				gdpr.Thousands(m.Records), gdpr.Thousands(int64(m.AuditEntries)))
			return nil
		},
	}
	cmd.Flags().StringVar(&out, "out", "", "file to write (required; must not exist)")
	return cmd
}

func verifyBackupFile(path string) (store.BackupManifest, error) {
	f, err := os.Open(path)
	if err != nil {
		return store.BackupManifest{}, err
	}
	defer f.Close()
	return store.VerifyBackup(f)
}

func (a *app) restoreCommand() *cobra.Command {
	var from string
	cmd := &cobra.Command{
		Use:   "restore FILE [--reapply-erasures-from DIR]",
		Short: "Restore a backup into an empty data directory",
		Long: `restore fills the data directory — which must be empty or not exist yet —
from a backup written by 'gdprdesk backup', then verifies it (checksums, the
audit chain and every counter). With --key-file (or GDPRDESK_KEY_FILE) the
restored store is encrypted at rest.

An older backup brings back the people erased since it was taken. Give the
current (or damaged) data directory with --reapply-erasures-from and their
erasures are applied again: every contact erased there is erased here, its
keys destroyed, every address suppressed there is suppressed here. Each is
audited. Move the current directory aside first, e.g.

  mv ~/.local/share/gdprdesk ~/.local/share/gdprdesk.old
  gdprdesk restore backup.tar --reapply-erasures-from ~/.local/share/gdprdesk.old

See docs/BACKUP.md.`,
		Args: exactArgs(1, "the backup file"),
		RunE: func(_ *cobra.Command, args []string) error {
			dir, err := a.dataDir()
			if err != nil {
				return err
			}
			opts, err := a.storeOptions(store.Options{Now: a.now, Log: a.stderr})
			if err != nil {
				return err
			}
			ropts := store.RestoreOptions{Options: opts, Operator: a.operatorName()}
			if from != "" {
				if filepath.Clean(from) == filepath.Clean(dir) {
					return usagef("--reapply-erasures-from must name another data directory than the one restored into")
				}
				er, err := a.erasuresOf(from, opts)
				if err != nil {
					return err
				}
				ropts.Erasures = &er
			}
			f, err := os.Open(args[0])
			if err != nil {
				return fmt.Errorf("open backup: %w", err)
			}
			defer f.Close()
			rep, err := store.Restore(dir, f, ropts)
			if err != nil {
				return fmt.Errorf("restore %s into %s: %w", args[0], dir, err)
			}
			fmt.Fprintf(a.stdout, "Restored %s into %s: %s contacts, %s requests, %s audit entries, verified.\n", args[0], dir,
				gdpr.Thousands(rep.Verify.Contacts), gdpr.Thousands(rep.Verify.Requests), gdpr.Thousands(int64(rep.Verify.Entries)))
			if from != "" {
				fmt.Fprintf(a.stdout, "Re-applied the erasures of %s: %d contact(s) erased again, %d more address(es) suppressed, %d more key(s) destroyed.\n",
					from, len(rep.Reapplied.Contacts), rep.Reapplied.Suppressed, rep.Reapplied.KeysShred)
			}
			if rep.Manifest.Encrypted && opts.EncryptionKey == nil {
				fmt.Fprintln(a.stdout, "Note: the backup came from an encrypted store, and this one is not encrypted (restore with --key-file to encrypt it).")
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&from, "reapply-erasures-from", "", "a newer data directory of the same desk whose erasures must win")
	return cmd
}

// erasuresOf lists what the store in dir has erased. It is opened with the
// key when it is encrypted, without it otherwise.
func (a *app) erasuresOf(dir string, opts store.Options) (store.Erasures, error) {
	if _, err := os.Stat(filepath.Join(dir, "db")); err != nil {
		return store.Erasures{}, fmt.Errorf("--reapply-erasures-from: %s holds no gdprdesk store", dir)
	}
	if enc, _ := store.Encrypted(dir); !enc {
		opts.EncryptionKey = nil
	}
	s, err := store.Open(dir, opts)
	if err != nil {
		return store.Erasures{}, fmt.Errorf("--reapply-erasures-from: %w", err)
	}
	defer s.Close()
	er, err := s.Erasures()
	if err != nil {
		return er, fmt.Errorf("--reapply-erasures-from %s: %w", dir, err)
	}
	return er, nil
}
