package store

import (
	"fmt"

	"github.com/gdprdesk/gdprdesk/gdpr"
)

// RecordDownload audits that operator fetches a file of the exports
// directory over SSH (scp, sftp), before it is sent. what names the file
// without personal data ("exports/access-C42-2026-12-02.xlsx, 5 KB, sha256
// …"). The operator's role decides, as for any change
// (gdpr.ActionExportDownload): a refusal is ErrForbidden, audited as
// access.refused.
func (s *Store) RecordDownload(operator, what string) error {
	err := s.write(operator, func(t *tx) error {
		t.audit(gdpr.ActionExportDownload, "", what, nil, 0)
		return nil
	})
	if err != nil {
		return fmt.Errorf("download: %w", err)
	}
	return nil
}
