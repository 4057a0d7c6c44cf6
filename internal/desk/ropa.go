package desk

import (
	"fmt"
	"io"
	"time"

	"github.com/gdprdesk/gdprdesk/exporters"
	"github.com/gdprdesk/gdprdesk/gdpr"
)

// ROPAStore is what the records of processing are written from;
// *store.Store satisfies it.
type ROPAStore interface {
	Settings() (gdpr.Settings, error)
	Purposes() ([]gdpr.Purpose, error)
	Recipients() ([]gdpr.Recipient, error)
}

// ExportROPA writes the records of processing (Art. 30(1)) in a format of
// exporters.ROPAFormats: the controller, its representative and DPO, then
// one row per purpose. The command line (export ropa) and the registers
// screen call it. It holds no customer's personal data, so it is not
// audited.
func ExportROPA(s ROPAStore, format string, w io.Writer, now time.Time) error {
	st, err := s.Settings()
	if err != nil {
		return fmt.Errorf("read the settings: %w", err)
	}
	ps, err := s.Purposes()
	if err != nil {
		return fmt.Errorf("read the purposes: %w", err)
	}
	rs, err := s.Recipients()
	if err != nil {
		return fmt.Errorf("read the recipients: %w", err)
	}
	return exporters.WriteROPA(w, exporters.BuildROPA(st, ps, rs, now), format)
}
