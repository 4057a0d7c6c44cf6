package store

import (
	"fmt"
	"strings"

	"github.com/gdprdesk/gdprdesk/gdpr"
)

// RecordControllerErasure logs the record of an erasure the business made
// without a person's request — one contact erased with anonymize, or a
// sweep run (contact 0) — naming the recipients to tell (Art. 19, see
// gdpr/notify.go). It is completed when logged, so it never counts toward
// deadlines; request notify answers it like any other, and
// rectify-recipients counts it until every recipient is told. The note
// says what was erased, without personal data.
func (s *Store) RecordControllerErasure(operator string, contact gdpr.ContactID, recipients []string, note string) (gdpr.RequestID, error) {
	if len(recipients) == 0 {
		return 0, fmt.Errorf("an erasure with no recipients to tell needs no record")
	}
	var id gdpr.RequestID
	err := s.write(operator, func(t *tx) error {
		var err error
		if id, err = t.addRequest(gdpr.ControllerErasure(contact, recipients, note, t.now)); err != nil {
			return err
		}
		subject := "a sweep"
		if contact != 0 {
			subject = contact.String()
		}
		t.audit(gdpr.ActionRequestAdd, id.String(), fmt.Sprintf("erasure of %s without a request: recipients to tell (Art. 19): %s", subject, strings.Join(recipients, ", ")), nil, 0)
		return nil
	})
	return id, err
}
