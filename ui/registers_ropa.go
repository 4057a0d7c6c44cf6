package ui

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	tea "charm.land/bubbletea/v2"
	"charm.land/huh/v2"
	"github.com/gdprdesk/gdprdesk/exporters"
	"github.com/gdprdesk/gdprdesk/internal/desk"
)

// ropaForm is what e opens on any section of screen 7: the format of the
// records of processing (Art. 30(1)), xlsx by default, so e then enter
// writes the workbook. The file goes to the exports folder as
// ropa-DATE.FORMAT (numbered when that exists, never overwritten), and
// the status line names its full path. The records hold no customer's
// personal data and desk.ExportROPA audits nothing, so every role may
// write them, as every role reads the registers.
func (r *registers) ropaForm() func() *dialog {
	format := "xlsx"
	submit := func() tea.Cmd {
		c := r.c
		st, dir, now := c.store, c.exportDir, c.now()
		day := c.in(now).Format("2006-01-02")
		return r.save("export the records of processing", func() (string, string, error) {
			var buf bytes.Buffer
			if err := desk.ExportROPA(st, format, &buf, now); err != nil {
				return "", "", err
			}
			path, err := writeNew(dir, "ropa-"+day, "."+format, buf.Bytes())
			if err != nil {
				return "", "", err
			}
			// The path first: a narrow status line cuts the words after it.
			return "Wrote " + path + ": the records of processing (Art. 30)", "", nil
		})
	}
	var opts []huh.Option[string]
	for _, f := range exporters.ROPAFormats {
		opts = append(opts, huh.NewOption(f, f))
	}
	return func() *dialog {
		d := newDialog("Export the records of processing (Art. 30(1))", submit,
			huh.NewSelect[string]().Title("Format").Options(opts...).Value(&format).
				Description("enter writes it into the exports folder; esc cancels"))
		d.body = "The controller, its representative and DPO, then one row per purpose with its basis, people, data, recipients, transfers, retention and security."
		return d
	}
}

// writeNew writes data to dir/base+ext, or base-2+ext, base-3+ext, …,
// whichever does not exist yet (an earlier export is never overwritten),
// readable by its owner only, and returns the full path.
func writeNew(dir, base, ext string, data []byte) (string, error) {
	if dir == "" {
		dir = "."
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", fmt.Errorf("the exports folder %s: %w", dir, err)
	}
	for n := 1; n < 1000; n++ {
		name := base + ext
		if n > 1 {
			name = fmt.Sprintf("%s-%d%s", base, n, ext)
		}
		path := filepath.Join(abs, name)
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if errors.Is(err, os.ErrExist) {
			continue
		}
		if err != nil {
			return "", fmt.Errorf("create %s: %w", path, err)
		}
		_, werr := f.Write(data)
		if cerr := f.Close(); werr == nil {
			werr = cerr
		}
		if werr != nil {
			os.Remove(path)
			return "", fmt.Errorf("write %s: %w", path, werr)
		}
		return path, nil
	}
	return "", fmt.Errorf("too many files named %s* in %s: move some away", base, abs)
}
