package desk

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/gdprdesk/gdprdesk/gdpr"
)

// RequestStore is what the request steps change; *store.Store satisfies it.
type RequestStore interface {
	UpdateRequest(operator string, id gdpr.RequestID, action gdpr.Action, detail string, fn func(r *gdpr.Request) error) error
}

// VerifyRequest records how the requester's identity was checked (Art.
// 12(6)) and moves a new request into progress. The command line and the
// request screen both call it.
func VerifyRequest(s RequestStore, operator string, id gdpr.RequestID, how string, now time.Time) error {
	how = strings.TrimSpace(how)
	if how == "" {
		return errors.New("say how the identity was checked (e.g. reply from the address on file); no ID numbers")
	}
	return s.UpdateRequest(operator, id, gdpr.ActionRequestVerify, "identity verified", func(r *gdpr.Request) error {
		if !r.Status.Open() {
			return fmt.Errorf("request %s is already %s", id, r.Status)
		}
		if r.Verified != nil {
			return fmt.Errorf("identity already verified by %s", r.Verified.By)
		}
		r.Verified = &gdpr.Verification{By: operator, How: how, At: now.UTC()}
		if r.Status == gdpr.StatusNew || r.Status == gdpr.StatusVerifying {
			return r.Move(gdpr.StatusInProgress, "", now)
		}
		return nil
	})
}

// ExtendRequest applies the one extension of Art. 12(3) (gdpr.Request.Extend:
// a written reason, the person told within the first month) and returns
// the new due date.
func ExtendRequest(s RequestStore, operator string, id gdpr.RequestID, reason string, told, now time.Time) (time.Time, error) {
	var due time.Time
	err := s.UpdateRequest(operator, id, gdpr.ActionRequestExtend, "extended", func(r *gdpr.Request) error {
		if err := r.Extend(strings.TrimSpace(reason), time.Time{}, told, now, operator, nil); err != nil {
			return err
		}
		due = r.Due
		return nil
	})
	return due, err
}
