package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	tea "charm.land/bubbletea/v2"
	"github.com/gdprdesk/gdprdesk/gdpr"
	"github.com/gdprdesk/gdprdesk/internal/demo"
	"github.com/gdprdesk/gdprdesk/store"
	"github.com/gdprdesk/gdprdesk/ui"
)

// runTUI opens the terminal UI on the data directory. Badger's own
// warnings are dropped while it runs, as they would draw over the screen.
func (a *app) runTUI(ctx context.Context) error {
	if !stdinIsTerminal() || !term.IsTerminal(int(os.Stdout.Fd())) {
		return usagef("the terminal UI needs a terminal; for scripts use the commands (gdprdesk --help lists them)")
	}
	dir, err := a.dataDir()
	if err != nil {
		return err
	}
	// The first run starts the data directory (a missing or empty one).
	a.create = true
	if err := a.storeDir(dir); err != nil {
		return err
	}
	opts, err := a.storeOptions(store.Options{Now: a.now})
	if err != nil {
		return err
	}
	s, err := store.Open(dir, opts)
	if err != nil {
		return err
	}
	exports, err := exportsDir(dir)
	if err != nil {
		s.Close()
		return err
	}
	// Only here, at the local terminal, may the policy texts open in $EDITOR.
	m := ui.New(ui.Options{Store: s, Operator: a.operatorName(), Now: a.now, ExportDir: exports, AllowEditor: true})
	_, runErr := tea.NewProgram(m, tea.WithContext(ctx)).Run()
	if err := s.Close(); err != nil && runErr == nil {
		runErr = err
	}
	if report := m.Crash(); report != "" {
		path := filepath.Join(dir, "crash-"+a.now().UTC().Format("20060102-150405")+".txt")
		if err := writeNew(path, []byte(report)); err != nil {
			return fmt.Errorf("the terminal UI stopped on an internal error, and its report could not be written: %w", err)
		}
		return fmt.Errorf("the terminal UI stopped on an internal error; nothing was lost. A report without personal data is in %s: please send it to us", path)
	}
	if runErr != nil && !errors.Is(runErr, tea.ErrProgramKilled) {
		return fmt.Errorf("terminal UI: %w", runErr)
	}
	// Work that ended as the desk quit (a bulk change stopped after its
	// chunk) says what it did here, once the terminal is back.
	if f := m.Farewell(); f != "" {
		fmt.Fprintln(a.stdout, f)
	}
	return nil
}

func (a *app) demoCommand() *cobra.Command {
	var n int
	var seed uint64
	var noTUI bool
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Fill a new data directory with realistic demo data, then open it",
		Long: `demo fills an empty data directory with realistic demo data: contacts across
the EU and beyond, lawful bases and consent records, requests in every state
(some overdue), policy versions, source rules and a partly done checklist.

Without --data (and without GDPRDESK_DATA) the demo goes to its own directory,
$XDG_DATA_HOME/gdprdesk-demo or ~/.local/share/gdprdesk-demo, so it never
mixes with your real data. A directory that is not empty is refused.`,
		Args: exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if n < 1 || n > 10_000_000 {
				return usagef("--contacts must be between 1 and 10,000,000, got %d", n)
			}
			dir, err := a.demoDir()
			if err != nil {
				return err
			}
			if entries, err := os.ReadDir(dir); err == nil && len(entries) > 0 {
				// The default demo directory, filled by an earlier run, is
				// opened again rather than refused: the README's first
				// command must keep working.
				_, statErr := os.Stat(filepath.Join(dir, "db"))
				if !a.explicitDir() && statErr == nil {
					fmt.Fprintf(a.stdout, "Opening the demo filled earlier in %s (remove the directory for a fresh one).\n", dir)
					a.dataFlag = dir
					if noTUI {
						return nil
					}
					return a.runTUI(cmd.Context())
				}
				return fmt.Errorf("data directory %s is not empty: demo only fills a new directory (choose another with --data, or remove this one)", dir)
			}
			a.dataFlag, a.create = dir, true
			if err := a.withStore(func(s *store.Store) error {
				return demo.FillDemo(cmd.Context(), s, demo.DemoOptions{Contacts: n, Seed: seed, Operator: a.operatorName(), Now: a.now, Progress: a.stderr})
			}); err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "Demo data directory %s: %s contacts. Open it with: gdprdesk --data %s\n", dir, gdpr.Thousands(int64(n)), dir)
			if !noTUI {
				return a.runTUI(cmd.Context())
			}
			return nil
		},
	}
	cmd.Flags().IntVar(&n, "contacts", 2000, "how many contacts to create")
	cmd.Flags().Uint64Var(&seed, "seed", 1, "random seed; the same seed gives the same data on the same day")
	cmd.Flags().BoolVar(&noTUI, "no-tui", false, "fill the directory and exit without opening the terminal UI")
	return cmd
}

// explicitDir reports whether the owner named a data directory.
func (a *app) explicitDir() bool { return a.dataFlag != "" || os.Getenv("GDPRDESK_DATA") != "" }

func (a *app) demoDir() (string, error) {
	if a.explicitDir() {
		return a.dataDir()
	}
	base := os.Getenv("XDG_DATA_HOME")
	if base == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return "", fmt.Errorf("no data directory: give --data DIR (%w)", err)
		}
		base = filepath.Join(home, ".local", "share")
	}
	return filepath.Join(base, "gdprdesk-demo"), nil
}

// exportsDir is where the terminal UI writes what it exports (access
// packages, their email drafts), locally as over SSH: DIR/exports, made
// private if missing. Files there are known to belong to the store, so they
// are not left in whatever directory the owner happened to start from (a
// git checkout, a shared folder).
func exportsDir(dir string) (string, error) {
	exports := filepath.Join(dir, "exports")
	if err := os.MkdirAll(exports, 0o700); err != nil {
		return "", fmt.Errorf("create the exports folder %s: %w", exports, err)
	}
	return exports, nil
}
