package cli

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"golang.org/x/term"

	"github.com/gdprdesk/gdprdesk/store"
)

// Passphrases are never taken from a flag's value, which any user of the
// machine can read in the process list: they come from a file named by a
// flag ("-" is stdin: the only way over SSH), from an environment variable,
// or typed on the terminal without echo.

// Environment variables that hold passphrases.
const (
	envBackupPassphrase = "GDPRDESK_BACKUP_PASSPHRASE" // encrypts and opens backups
	envPassphrase       = "GDPRDESK_PASSPHRASE"        // opens a master key wrapped by a passphrase
	envPassphraseFile   = "GDPRDESK_PASSPHRASE_FILE"   // a file holding it
	envNewPassphrase    = "GDPRDESK_NEW_PASSPHRASE"    // the one `key passphrase` sets
)

// maxPassphrase bounds what is read from a passphrase file.
const maxPassphrase = 4096

// secretSource says where a passphrase comes from.
type secretSource struct {
	file   string // the flag's value: a file, or "-" for stdin
	flag   string // the flag's name, for messages
	env    string // the environment variable
	prompt string // what to ask on a terminal ("" never asks)
	twice  bool   // ask twice on a terminal (a new passphrase)
}

// errNoPassphrase is wrapped by the error for a passphrase that is needed
// but was given nowhere.
var errNoPassphrase = errors.New("no passphrase given")

// passphrase reads the passphrase from its source: the file, else the
// environment variable (only at the shell: a server does not pass its
// own environment on), else the terminal.
func (a *app) passphrase(src secretSource) ([]byte, error) {
	if src.file != "" {
		var r io.Reader
		if src.file == "-" {
			r = a.stdin
		} else {
			if a.served != nil && a.served.remote {
				a.refusal("reading a server file over SSH")
				return nil, usagef("over SSH give %s - and the passphrase on stdin", src.flag)
			}
			f, err := os.Open(a.resolve(src.file))
			if err != nil {
				return nil, fmt.Errorf("%s: %w", src.flag, err)
			}
			defer f.Close()
			r = f
		}
		b, err := io.ReadAll(io.LimitReader(r, maxPassphrase+1))
		if err != nil {
			return nil, fmt.Errorf("%s: read the passphrase: %w", src.flag, err)
		}
		if len(b) > maxPassphrase {
			return nil, fmt.Errorf("%s: the passphrase is longer than %d bytes: is it the right file?", src.flag, maxPassphrase)
		}
		// The first line: a file written by echo ends with a line break.
		line, _, _ := bytes.Cut(b, []byte("\n"))
		return bytes.TrimSuffix(line, []byte("\r")), nil
	}
	if a.served == nil {
		if p := os.Getenv(src.env); p != "" {
			return []byte(p), nil
		}
	}
	if src.prompt != "" && a.served == nil && a.stdinTTY {
		p, err := a.askSecret(src.prompt)
		if err != nil || !src.twice {
			return p, err
		}
		again, err := a.askSecret("Once more: ")
		if err != nil {
			return nil, err
		}
		if !bytes.Equal(p, again) {
			return nil, errors.New("the two passphrases differ: nothing was changed")
		}
		return p, nil
	}
	how := fmt.Sprintf("%s FILE (- for stdin) or %s", src.flag, src.env)
	if a.served != nil {
		how = src.flag + " FILE (- for stdin)"
	} else if src.prompt != "" {
		how += ", or run it on a terminal to be asked"
	}
	return nil, fmt.Errorf("%w: give it with %s", errNoPassphrase, how)
}

// askSecret reads one line from the terminal without echo.
func (a *app) askSecret(prompt string) ([]byte, error) {
	fmt.Fprint(a.stderr, prompt)
	p, err := term.ReadPassword(int(os.Stdin.Fd()))
	fmt.Fprintln(a.stderr)
	if err != nil {
		return nil, fmt.Errorf("read the passphrase: %w", err)
	}
	return p, nil
}

// withoutFlag drops a flag and its value from a command line.
func withoutFlag(args []string, name string) []string {
	out := make([]string, 0, len(args))
	for i := 0; i < len(args); i++ {
		switch {
		case args[i] == "--"+name:
			i++ // and its value
		case strings.HasPrefix(args[i], "--"+name+"="):
		default:
			out = append(out, args[i])
		}
	}
	return out
}

// masterPassphrase asks for the passphrase of a master key wrapped by one
// (Options.Passphrase): $GDPRDESK_PASSPHRASE, else the file named by
// $GDPRDESK_PASSPHRASE_FILE, else the terminal.
func (a *app) masterPassphrase() ([]byte, error) {
	if os.Getenv(envPassphrase) == "" && os.Getenv(envPassphraseFile) != "" {
		return a.passphrase(secretSource{file: os.Getenv(envPassphraseFile), flag: envPassphraseFile})
	}
	p, err := a.passphrase(secretSource{env: envPassphrase, prompt: "Passphrase of the master key: "})
	if errors.Is(err, errNoPassphrase) {
		return nil, store.ErrNeedPassphrase
	}
	return p, err
}
