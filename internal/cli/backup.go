package cli

import (
	"bytes"
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
func (a *app) backupTo(w io.Writer, passphrase []byte) (m store.BackupManifest, err error) {
	err = a.withStore(func(s *store.Store) error {
		m, err = s.Backup(w, passphrase)
		return err
	})
	return m, err
}

func (a *app) backupCommand() *cobra.Command {
	var out, passFile string
	cmd := &cobra.Command{
		Use:   "backup --out FILE [--passphrase-file FILE]",
		Short: "Write an encrypted, consistent backup of the data directory (also while serve runs)",
		Long: `backup writes one file holding a consistent snapshot of the store and its key
ring: everything needed to restore it with 'gdprdesk restore'. It works while
'gdprdesk serve' runs (the server takes it, through a socket in the data
directory), and the server's sessions carry on meanwhile. Over SSH the file
goes into the server's DIR/exports.

The backup is encrypted with a passphrase you keep (at least 8 characters;
a few words are best): from --passphrase-file FILE (- reads stdin, the way
over SSH), else $GDPRDESK_BACKUP_PASSPHRASE, else asked twice on the
terminal. Without the passphrase the file reveals nothing, and restore
needs it: keep it apart from the backups. The file is read back and checked
after writing. See docs/BACKUP.md.`,
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
			if _, err := os.Lstat(out); err == nil {
				return fmt.Errorf("create %s: it exists (choose a new file name)", out)
			}
			// Before the passphrase is asked for: a mistyped --data is
			// said at once.
			if err := a.hasStore(dir); err != nil {
				return err
			}
			pass, err := a.passphrase(secretSource{file: passFile, flag: "--passphrase-file", env: envBackupPassphrase,
				prompt: "Passphrase for the backup: ", twice: true})
			if err != nil {
				return fmt.Errorf("backup: %w", err)
			}
			// A server holding the directory takes the backup: it gets the
			// passphrase on its stdin.
			a.forwardWith = func(args []string) ([]string, io.Reader) {
				return append(withoutFlag(args, "passphrase-file"), "--passphrase-file", "-"), bytes.NewReader(pass)
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
			m, err := a.backupTo(f, pass)
			if err == nil {
				err = f.Sync()
			}
			if cerr := f.Close(); err == nil {
				err = cerr
			}
			if err == nil {
				_, err = verifyBackupFile(out, pass)
			}
			if err != nil {
				os.Remove(out)
				if errors.Is(err, errServing) {
					return err // run forwards the command to the server
				}
				return fmt.Errorf("backup of %s: %w", dir, err)
			}
			fmt.Fprintf(a.stdout, "Backed up %s to %s: %s contacts, %s audit entries (%s database records, %s), encrypted with your passphrase, checked.\n",
				dir, out, gdpr.Thousands(m.Contacts), gdpr.Thousands(int64(m.AuditEntries)), gdpr.Thousands(m.Records), byteSize(m.Bytes))
			return nil
		},
	}
	cmd.Flags().StringVar(&out, "out", "", "file to write (required; must not exist)")
	cmd.Flags().StringVar(&passFile, "passphrase-file", "", "file whose first line is the backup's passphrase (- for stdin; default $"+envBackupPassphrase+", else asked)")
	return cmd
}

// byteSize says a size the way people read it.
func byteSize(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f kB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d bytes", n)
}

func verifyBackupFile(path string, passphrase []byte) (store.BackupManifest, error) {
	f, err := os.Open(path)
	if err != nil {
		return store.BackupManifest{}, err
	}
	defer f.Close()
	return store.VerifyBackup(f, passphrase)
}

func (a *app) restoreCommand() *cobra.Command {
	var from, passFile string
	cmd := &cobra.Command{
		Use:   "restore FILE [--passphrase-file FILE] [--reapply-erasures-from DIR]",
		Short: "Restore a backup into an empty data directory",
		Long: `restore fills the data directory — which must be empty or not exist yet —
from a backup written by 'gdprdesk backup', then verifies it (checksums, the
audit chain and every counter). It needs the backup's passphrase: from
--passphrase-file FILE, else $GDPRDESK_BACKUP_PASSPHRASE, else asked on the
terminal. A wrong one is refused before anything is written. With --key-file
(or GDPRDESK_KEY_FILE) the restored store is encrypted at rest.

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
			if enc, err := store.BackupEncrypted(f); err != nil {
				return fmt.Errorf("restore %s: %w", args[0], err)
			} else if enc {
				if ropts.Passphrase, err = a.passphrase(secretSource{file: passFile, flag: "--passphrase-file",
					env: envBackupPassphrase, prompt: "Passphrase of the backup: "}); err != nil {
					return fmt.Errorf("restore %s: the backup is encrypted: %w", args[0], err)
				}
			}
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
			if rep.Manifest.Unencrypted {
				fmt.Fprintln(a.stdout, "Note: this backup is not encrypted (an earlier gdprdesk wrote it): take a new one, which will be, and destroy this one.")
			}
			if rep.Manifest.Encrypted && opts.EncryptionKey == nil {
				fmt.Fprintln(a.stdout, "Note: the backup came from an encrypted store, and this one is not encrypted (restore with --key-file to encrypt it).")
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&passFile, "passphrase-file", "", "file whose first line is the backup's passphrase (- for stdin; default $"+envBackupPassphrase+", else asked)")
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

// hasStore refuses, before any question is asked, a data directory that
// holds no store (when this process works on the directory itself; a
// server answering for its caller has its store open).
func (a *app) hasStore(dir string) error {
	if a.served != nil {
		return nil
	}
	if _, err := os.Stat(filepath.Join(dir, "db")); err != nil {
		return fmt.Errorf("data directory %s holds no gdprdesk store: nothing to back up", dir)
	}
	return nil
}
