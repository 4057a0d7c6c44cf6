package exporters

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"

	"github.com/gdprdesk/gdprdesk/store"
)

// AuditSource is the part of the store the audit export reads.
type AuditSource interface {
	EachAudit(fn func(store.AuditEntry) error) error
}

// AuditHeader is the first line of an audit export.
type AuditHeader struct {
	Schema   string `json:"schema"`
	Exported string `json:"exported_at"`
	Note     string `json:"note"`
}

// WriteAudit writes the whole audit log as JSON Lines: a header line, then
// one entry per line, oldest first, each with the hash of the one before,
// so an auditor can follow the chain. Personal details are left out unless
// includePersonal is set (they are still there for people not erased; an
// erased person's are gone for good and marked "erased": true). It returns
// how many entries were written.
func WriteAudit(w io.Writer, src AuditSource, exportedAt string, includePersonal bool) (int, error) {
	bw := bufio.NewWriter(w)
	enc := json.NewEncoder(bw)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(AuditHeader{Schema: "gdprdesk.audit/v1", Exported: exportedAt,
		Note: "One entry per line, oldest first; prev is the hash of the entry before. Check the chain itself with: gdprdesk audit verify."}); err != nil {
		return 0, fmt.Errorf("write audit export: %w", err)
	}
	n := 0
	err := src.EachAudit(func(e store.AuditEntry) error {
		n++
		if !includePersonal {
			e.Personal = ""
		}
		return enc.Encode(e)
	})
	if err != nil {
		return n, fmt.Errorf("write audit export: %w", err)
	}
	if err := bw.Flush(); err != nil {
		return n, fmt.Errorf("write audit export: %w", err)
	}
	return n, nil
}
